//! The embedded devnet: a Fabric-compatible network in one process ([`Devnet::start`]).
//!
//! | module | what it does |
//! |---|---|
//! | [`network`] | [`Devnet`]: crypto material, ledger, ordering, one TLS endpoint per peer (Gateway + Deliver), chaincode connections, connection files |
//! | [`gateway`] | the peer Gateway service (Evaluate, Endorse, Submit, CommitStatus, ChaincodeEvents) with Fabric's codes and error details |
//! | [`endorser`] | `ProcessProposal` as a Fabric peer: auth filters, proposal checks, Writers ACL, simulation over the chaincode stream, signed responses, transient store |
//! | [`validator`] | the committer's validation ([`Committer`]): structure, creator, endorsement policies (chaincode, collection, key-level), duplicates, MVCC |
//! | [`policies`] | which endorsement policies a read-write set needs (shared by validator and gateway) |
//! | [`channel`] | the channel as peers see it: MSPs, policies, chaincode definitions |
//! | [`chaincode`] | chaincode connections per peer (dial CCaaS or start a command), READY features |
//! | [`package`] | CCaaS packages and package ids |
//! | [`state`] | the store's snapshots as `StateReader`s (per-organisation private data view) |
//! | [`store`] | blocks, transaction index, world state, private data, history in one redb file; one write transaction per block |
//! | [`ledger`] | the store plus notifications: height watch, committed-block stream, commit status by txid |
//! | [`orderer`] | block cutting (count, size, timeout) and block building (hash chain, orderer signature) |
//! | [`committer`] | the pluggable validation step ([`Committer`]) and the order → validate → commit → notify pipeline |
//! | [`acl`] | the access-control check shared by Deliver, Broadcast and the Gateway ([`AccessControl`], [`MspAccessControl`]) |
//! | [`deliver`] | the peer's `protos.Deliver` service (blocks, filtered blocks, blocks with private data) |
//! | [`identities`] | validated identities by serialized bytes (Fabric's MSP cache); signatures are still verified every time |
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
pub mod identities;
pub mod ledger;
pub mod network;
pub mod orderer;
pub mod policies;
pub mod state;
pub mod store;
pub mod tls;
pub mod validator;

/// CCaaS packages (made by the devnet and by the real-Fabric kit alike).
pub use crate::fabric::package;

pub use acl::{
    AccessControl, ChannelPolicy, MspAccessControl, Requester, SignedData, check_broadcast,
};
pub use chaincode::ChaincodeSupport;
pub use channel::{ChaincodeDefinition, ChannelContext};
pub use committer::{AcceptAll, Committer, Pipeline};
pub use deliver::{DeliverConfig, DeliverService};
pub use endorser::{EndorserService, PeerNode, ProposalOutcome, TransientStore};
pub use gateway::GatewayService;
pub use ledger::Ledger;
pub use network::{ConnectionProfile, Devnet, DevnetPeer};
pub use orderer::{BatchConfig, OrdererHandle, build_block};
pub use store::{BlockUpdates, Store};
pub use validator::Validator;
