//! The embedded devnet: a Fabric-compatible network in one process.
//!
//! This part holds the ledger side of a peer and the ordering service:
//!
//! | module | what it does |
//! |---|---|
//! | [`store`] | blocks, transaction index, world state, private data, history in one redb file; one write transaction per block |
//! | [`ledger`] | the store plus notifications: height watch, committed-block stream, commit status by txid |
//! | [`orderer`] | block cutting (count, size, timeout) and block building (hash chain, orderer signature) |
//! | [`committer`] | the pluggable validation step ([`Committer`]) and the order → validate → commit → notify pipeline |
//! | [`envelope`] | reading envelope headers without re-encoding |

pub mod committer;
pub mod envelope;
pub mod ledger;
pub mod orderer;
pub mod store;

pub use committer::{AcceptAll, Committer, Pipeline};
pub use ledger::Ledger;
pub use orderer::{BatchConfig, OrdererHandle, build_block};
pub use store::{BlockUpdates, Store};
