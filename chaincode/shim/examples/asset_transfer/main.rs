//! The asset-transfer-basic chaincode, served as Fabric expects: as a chaincode server (CCaaS)
//! or in classic mode, with TLS and mutual TLS when configured (see chaincode/shim/README.md).
//!
//! ```text
//! CHAINCODE_SERVER_ADDRESS=0.0.0.0:9999 CHAINCODE_ID=basic_1.0:<hash> \
//!     cargo run -p fabric-chaincode --example asset_transfer
//! ```
//!
//! The peer dials `CHAINCODE_SERVER_ADDRESS` (the `address` of the package's
//! `connection.json`); `CHAINCODE_ID` is the installed package id.

mod contract;

use std::process::ExitCode;

// One thread: a peer's transactions arrive on one HTTP/2 connection (handled by one task) and
// each does a few microseconds of work between replies from the peer, so a multi-threaded
// runtime mostly adds cross-thread wake-ups. Measured in docs/benchmarks.md (shim throughput):
// less CPU per transaction, more throughput and a smaller RSS than `#[tokio::main]`.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    init_logging();
    let chaincode = match contract::chaincode() {
        Ok(cc) => cc,
        Err(e) => {
            eprintln!("asset-transfer: {e}");
            return ExitCode::FAILURE;
        }
    };
    match fabric_chaincode::run(chaincode).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("asset-transfer: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr at `RUST_LOG`'s level (default `info`). A plain level (`warn`, `debug`, …)
/// is applied as such; only directives (`fabric_chaincode=debug,h2=warn`) go through
/// `EnvFilter`, whose directive parser compiles regular expressions: about 1 MiB more RSS.
fn init_logging() {
    use tracing_subscriber::filter::{EnvFilter, LevelFilter};
    let logger = tracing_subscriber::fmt().with_writer(std::io::stderr);
    let setting = std::env::var("RUST_LOG").unwrap_or_default();
    if setting.trim().is_empty() {
        logger.with_max_level(LevelFilter::INFO).init();
    } else if let Ok(level) = setting.trim().parse::<LevelFilter>() {
        logger.with_max_level(level).init();
    } else {
        logger.with_env_filter(EnvFilter::new(setting)).init();
    }
}
