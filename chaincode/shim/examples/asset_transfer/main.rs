//! The asset-transfer-basic chaincode as a chaincode-as-a-service server.
//!
//! ```text
//! CHAINCODE_SERVER_ADDRESS=0.0.0.0:9999 CHAINCODE_ID=basic_1.0:<hash> \
//!     cargo run -p fabric-chaincode --example asset_transfer
//! ```
//!
//! The peer dials `CHAINCODE_SERVER_ADDRESS` (the `address` of the package's
//! `connection.json`); `CHAINCODE_ID` is the installed package id. Plain gRPC: put TLS in front
//! or wait for `fabric_chaincode::run`, which adds it.

mod contract;

use std::sync::Arc;

use fabric_chaincode::ConnectService;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::var("CHAINCODE_SERVER_ADDRESS").map_err(|_| {
        "set CHAINCODE_SERVER_ADDRESS to the host:port to listen on (the address in \
         connection.json)"
    })?;
    let package_id = std::env::var("CHAINCODE_ID")
        .map_err(|_| "set CHAINCODE_ID to the installed package id (label:hash)")?;
    let listen = tokio::net::lookup_host(&address)
        .await
        .map_err(|e| format!("CHAINCODE_SERVER_ADDRESS {address:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("CHAINCODE_SERVER_ADDRESS {address:?} resolves to no address"))?;

    let chaincode = Arc::new(contract::chaincode()?);
    eprintln!("asset-transfer-basic: serving package {package_id} on {listen}");
    tonic::transport::Server::builder()
        .add_service(ConnectService::new(chaincode, package_id).into_server())
        .serve(listen)
        .await?;
    Ok(())
}
