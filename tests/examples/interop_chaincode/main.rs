//! The chaincode the Gateway interop test (`tests/interop/gateway.rs`) serves with our Rust shim:
//! the asset-transfer-basic contract of `fabric-chaincode`'s example (the default contract) and
//! the `Interop` contract (chaincode events, private data from the transient map). Its twin for
//! the official Node `fabric-shim` is `tests/interop/chaincode-node` (same functions, same
//! results, same errors, same events).
//!
//! ```text
//! CHAINCODE_SERVER_ADDRESS=127.0.0.1:9999 CHAINCODE_ID=interop_1.0:<hash> \
//!     cargo run -p medledger-e2e --example interop_chaincode
//! ```

#[path = "../../../chaincode/shim/examples/asset_transfer/contract.rs"]
#[allow(dead_code)] // its `chaincode()` serves the contract alone; here it is one of two
mod asset_transfer;
mod interop;

use fabric_chaincode::contract::{ContractChaincode, Info};
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let chaincode = ContractChaincode::builder()
        .info(Info::new("medledger-interop", "1.0.0"))
        .contract(asset_transfer::contract())
        .contract(interop::contract())
        .default_contract(asset_transfer::CONTRACT_NAME)
        .build();
    let chaincode = match chaincode {
        Ok(cc) => cc,
        Err(e) => {
            eprintln!("interop chaincode: {e}");
            return ExitCode::FAILURE;
        }
    };
    match fabric_chaincode::run(chaincode).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("interop chaincode: {e}");
            ExitCode::FAILURE
        }
    }
}
