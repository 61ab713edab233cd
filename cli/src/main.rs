//! `medledger`: a thin binary over the MedLedger libraries (see `cli.rs` for every command,
//! `context.rs` for how commands connect, `output.rs` for output, `exit.rs` for exit codes).

mod cli;
mod commands;
mod context;
mod exit;
mod height;
mod home;
mod output;
mod profile;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = cli::Cli::parse();
    let filter = if cli.global.verbose {
        "medledger=debug,fabric_sdk=debug,medledger_network=info,info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MEDLEDGER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let json = cli.global.output == cli::OutputFormat::Json;
    match commands::run(cli) {
        Ok(()) => ExitCode::from(exit::Exit::Ok.code()),
        Err(e) => {
            if json {
                println!("{}", exit::to_json(&e));
            }
            eprintln!("{}", exit::render(&e));
            ExitCode::from(exit::classify(&e).code())
        }
    }
}

/// Output piped into a reader that stops early (`medledger profile list | head -1`) ends the
/// process quietly, like any Unix tool, instead of failing on a broken pipe: Rust ignores
/// SIGPIPE by default, so a closed stdout would surface as a write error. Network sockets are not
/// affected (Rust sends on them with MSG_NOSIGNAL).
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread starts; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
