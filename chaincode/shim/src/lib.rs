//! `fabric-chaincode`: write Hyperledger Fabric chaincode in Rust.
//!
//! - [`Stub`]: the whole stub API (state, private data, queries, history, key-level
//!   endorsement, events, chaincode-to-chaincode calls), with write batching and multiple-key
//!   reads when the peer advertises them (Fabric ≥ 3.1).
//! - [`Chaincode`]: the low-level interface; [`ConnectService`]: the chaincode-as-a-service gRPC
//!   service a peer dials.
//! - [`contract`]: the contract API — plain async functions with typed parameters, grouped in
//!   contracts, routed as `"Contract:Function"`, with hooks and Fabric's contract metadata.
//! - [`testing`] (feature `testing`): the in-memory test ledger — unit-test chaincode with
//!   Fabric's ledger semantics, signed proposals from generated identities, MVCC blocks.

pub mod chaincode;
pub mod contract;
pub mod error;
pub mod handler;
pub mod iterator;
pub mod peer;
pub mod server;
pub mod stub;
#[cfg(feature = "testing")]
pub mod testing;
mod write_batch;

pub use chaincode::Chaincode;
pub use error::{Error, Result};
pub use iterator::{HistoryIterator, StateIterator};
pub use peer::{PeerFeatures, PeerRequests};
pub use server::ConnectService;
pub use stub::Stub;

pub use fabric_protos::protos::Response;
