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

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
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
