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

use crate::output::outln;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
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
                outln!("{}", exit::to_json(&e));
            }
            eprintln!("{}", exit::render(&e));
            ExitCode::from(exit::classify(&e).code())
        }
    }
}
