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
//! | [`acl`] | the access-control check shared by Deliver, Broadcast and the Gateway ([`AccessControl`], [`MspAccessControl`]) |
//! | [`deliver`] | the peer's `protos.Deliver` service (blocks, filtered blocks, blocks with private data) |
//! | [`genesis`] | block 0 as configtxgen makes it for the topology; the channel config read back (MSPs, policies) |
//! | [`tls`] | server TLS (and mutual TLS) from the generated crypto material |
//! | [`envelope`] | reading envelope headers without re-encoding |

pub mod acl;
pub mod chaincode;
pub mod channel;
pub mod committer;
pub mod deliver;
pub mod endorser;
pub mod envelope;
pub mod gateway;
pub mod genesis;
pub mod ledger;
pub mod network;
pub mod orderer;
pub mod package;
pub mod policies;
pub mod state;
pub mod store;
pub mod tls;
pub mod validator;

pub use acl::{
    AccessControl, ChannelPolicy, MspAccessControl, Requester, SignedData, check_broadcast,
};
pub use committer::{AcceptAll, Committer, Pipeline};
pub use deliver::{DeliverConfig, DeliverService};
pub use ledger::Ledger;
pub use network::{ConnectionProfile, Devnet, DevnetPeer};
pub use orderer::{BatchConfig, OrdererHandle, build_block};
pub use store::{BlockUpdates, Store};
