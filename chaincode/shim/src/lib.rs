//! `fabric-chaincode`: write Hyperledger Fabric chaincode in Rust.
//!
//! - [`Stub`]: the whole stub API (state, private data, queries, history, key-level
//!   endorsement, events, chaincode-to-chaincode calls), with write batching and multiple-key
//!   reads when the peer advertises them (Fabric ≥ 3.1).
//! - [`Chaincode`]: the low-level interface.
//! - [`contract`]: the contract API — plain async functions with typed parameters, grouped in
//!   contracts, routed as `"Contract:Function"`, with hooks and Fabric's contract metadata.
//! - Serving: [`run`] (one line in `main`: flags and environment decide between a chaincode
//!   server and classic mode), [`ChaincodeServer`] (chaincode as a service, TLS and mutual TLS,
//!   graceful shutdown), [`classic`] (dial the peer), [`config`] (the flags and variables).
//! - [`peer_side`]: the peer's end of the protocol (dial a chaincode, handshake, execute
//!   transactions), for embedded peers, test drivers and benchmarks.
//! - [`testing`] (feature `testing`): the in-memory test ledger — unit-test chaincode with
//!   Fabric's ledger semantics, signed proposals from generated identities, MVCC blocks.

pub mod chaincode;
pub mod classic;
pub mod config;
pub mod contract;
pub mod error;
pub mod handler;
pub mod iterator;
pub mod peer;
pub mod peer_side;
pub mod server;
pub mod stub;
mod sync;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
mod transport;
mod write_batch;

pub use chaincode::Chaincode;
pub use config::Config;
pub use error::{Error, Result};
pub use iterator::{HistoryIterator, StateIterator};
pub use peer::{PeerFeatures, PeerRequests};
pub use server::{BoundServer, ChaincodeServer, ConnectService};
pub use stub::Stub;
pub use tls::{ClientTlsConfig, ServerTlsConfig};

pub use fabric_protos::protos::Response;

/// Runs a chaincode as its flags and environment say ([`config`]): a chaincode server when a
/// listen address is set (`CHAINCODE_SERVER_ADDRESS`, `--chaincode-address`, …), else classic
/// mode when a peer address is (`CORE_PEER_ADDRESS`, `--peer.address`). Returns when the server
/// has shut down after SIGTERM or Ctrl-C, or when the peer ends a classic stream.
///
/// ```no_run
/// # use fabric_chaincode::{Chaincode, Stub, Response};
/// # struct MyChaincode;
/// # impl Chaincode for MyChaincode {
/// #     async fn invoke(&self, _stub: Stub) -> Response { fabric_chaincode::chaincode::success("") }
/// # }
/// #[tokio::main]
/// async fn main() -> Result<(), fabric_chaincode::Error> {
///     fabric_chaincode::run(MyChaincode).await
/// }
/// ```
pub async fn run<C: Chaincode>(chaincode: C) -> Result<()> {
    // Installed first, so that SIGTERM during start-up already stops gracefully.
    let signal = server::termination_signal();
    // Reading the configuration reads certificate files: off the async threads.
    let config = tokio::task::spawn_blocking(Config::from_env)
        .await
        .map_err(|e| Error::Config(format!("reading the configuration failed: {e}")))??;
    run_with_config(chaincode, config, signal).await
}

/// Runs a chaincode with an explicit configuration until `signal` completes (server mode) or the
/// peer ends the stream (classic mode).
pub async fn run_with_config<C, F>(chaincode: C, config: Config, signal: F) -> Result<()>
where
    C: Chaincode,
    F: std::future::Future<Output = ()> + Send,
{
    match config {
        Config::Server(config) => {
            ChaincodeServer::from_config(config)
                .serve_with_shutdown(chaincode, signal)
                .await
        }
        Config::Classic(config) => classic::run_with_shutdown(chaincode, config, signal).await,
    }
}
