//! The medical chaincode server, as Fabric peers (and the devnet) reach it: chaincode as a
//! service.
//!
//! ```text
//! CHAINCODE_SERVER_ADDRESS=0.0.0.0:9999 CHAINCODE_ID=medledger_1.0:<package hash> \
//!     medledger-chaincode
//! ```
//!
//! TLS, mutual TLS and classic mode (`CORE_PEER_ADDRESS`) as for every `fabric-chaincode`
//! server (`CHAINCODE_TLS_CERT`, `CHAINCODE_TLS_KEY`, `CHAINCODE_CLIENT_CA_CERT`; see
//! `chaincode/shim/README.md`). `MEDLEDGER_CONSORTIUM=<file>` replaces the compiled-in
//! directory of the default network (`config/consortium.json`); every peer's server must use
//! the same file.

use std::process::ExitCode;

use medledger_chaincode::Consortium;

// One thread, as the shim's example: one peer connection, short bursts of work per message.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    init_logging();
    let chaincode = match load() {
        Ok(cc) => cc,
        Err(e) => {
            eprintln!("medledger-chaincode: {e}");
            return ExitCode::FAILURE;
        }
    };
    match fabric_chaincode::run(chaincode).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("medledger-chaincode: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load() -> Result<fabric_chaincode::contract::ContractChaincode, String> {
    match std::env::var_os("MEDLEDGER_CONSORTIUM") {
        None => medledger_chaincode::chaincode().map_err(|e| e.to_string()),
        Some(path) => {
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("MEDLEDGER_CONSORTIUM {}: {e}", path.to_string_lossy()))?;
            let consortium = Consortium::from_json(&bytes)
                .map_err(|e| format!("MEDLEDGER_CONSORTIUM {}: {e}", path.to_string_lossy()))?;
            medledger_chaincode::chaincode_for(consortium).map_err(|e| e.to_string())
        }
    }
}

/// Logs to stderr at `RUST_LOG`'s level (default `info`).
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
