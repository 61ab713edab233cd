//! MedLedger's own protobuf subset of Hyperledger Fabric.
//!
//! The `.proto` files under `proto/fabric/` are written from the published wire facts: the same
//! package names, message names and field numbers as Fabric, only the messages MedLedger uses.
//! Modules mirror the proto packages (`common`, `msp`, `protos`, `rwset`, `kvrwset`,
//! `queryresult`, `orderer`, `etcdraft`, `gateway`, `google::rpc`).
//!
//! Fields that carry serialized messages Fabric signs or hashes stay `bytes` (as
//! [`bytes::Bytes`], borrowed from the received buffer), so callers can keep the original bytes
//! instead of re-encoding a decoded message.

#![allow(clippy::doc_lazy_continuation, clippy::large_enum_variant)]

pub use prost;
pub use prost::Message;
pub use prost_types::{Any, Timestamp};

/// Package `common`: envelopes, headers, blocks, policies and MSP principals.
pub mod common {
    tonic::include_proto!("common");
}

/// Package `msp`: serialized identities.
pub mod msp {
    tonic::include_proto!("msp");
}

/// Package `protos`: chaincode shim, proposals, transactions, events and collections.
pub mod protos {
    tonic::include_proto!("protos");
}

/// Package `rwset`: transaction read-write sets.
pub mod rwset {
    tonic::include_proto!("rwset");
}

/// Package `kvrwset`: key-value read-write sets.
pub mod kvrwset {
    tonic::include_proto!("kvrwset");
}

/// Package `queryresult`: results of chaincode queries.
pub mod queryresult {
    tonic::include_proto!("queryresult");
}

/// Package `orderer`: broadcast and deliver.
pub mod orderer {
    tonic::include_proto!("orderer");
}

/// Package `etcdraft`: Raft consensus metadata in the channel configuration.
pub mod etcdraft {
    tonic::include_proto!("etcdraft");
}

/// Package `gateway`: the Fabric Gateway service.
pub mod gateway {
    tonic::include_proto!("gateway");
}

/// Package `google.rpc`: the rich gRPC error status.
pub mod google {
    pub mod rpc {
        tonic::include_proto!("google.rpc");
    }
}

/// gRPC full method paths, for logs and for servers that route by path.
pub mod paths {
    pub const CHAINCODE_CONNECT: &str = "/protos.Chaincode/Connect";
    pub const CHAINCODE_SUPPORT_REGISTER: &str = "/protos.ChaincodeSupport/Register";
    pub const ENDORSER_PROCESS_PROPOSAL: &str = "/protos.Endorser/ProcessProposal";
    pub const DELIVER: &str = "/protos.Deliver/Deliver";
    pub const DELIVER_FILTERED: &str = "/protos.Deliver/DeliverFiltered";
    pub const DELIVER_WITH_PRIVATE_DATA: &str = "/protos.Deliver/DeliverWithPrivateData";
    pub const BROADCAST: &str = "/orderer.AtomicBroadcast/Broadcast";
    pub const ORDERER_DELIVER: &str = "/orderer.AtomicBroadcast/Deliver";
    pub const GATEWAY_ENDORSE: &str = "/gateway.Gateway/Endorse";
    pub const GATEWAY_SUBMIT: &str = "/gateway.Gateway/Submit";
    pub const GATEWAY_COMMIT_STATUS: &str = "/gateway.Gateway/CommitStatus";
    pub const GATEWAY_EVALUATE: &str = "/gateway.Gateway/Evaluate";
    pub const GATEWAY_CHAINCODE_EVENTS: &str = "/gateway.Gateway/ChaincodeEvents";
}

/// The Any type URL of [`gateway::ErrorDetail`] in a `google.rpc.Status`.
pub const ERROR_DETAIL_TYPE_URL: &str = "type.googleapis.com/gateway.ErrorDetail";
