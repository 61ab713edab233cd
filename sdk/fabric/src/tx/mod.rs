//! Proposals, transactions, blocks and composite keys, built and checked with Fabric's rules.
//!
//! | module | what it offers |
//! |---|---|
//! | [`proposal`] | nonce, txid, channel header, chaincode header extension, invocation spec, transient map, proposal hash, signed proposal; parsing a received proposal with its original bytes |
//! | [`response`] | endorsing (proposal response payload, endorsement signature) and checking proposal responses |
//! | [`transaction`] | assembling and parsing transaction envelopes, the committer's proposal-hash check |
//! | [`block`] | block header hash (DER) and data hash, metadata, the transactions filter |
//! | [`composite_key`] | composite key create, split, validation and partial-key ranges |
//!
//! Every signed or hashed piece is kept as the bytes that were (or will be) on the wire.

pub mod block;
pub mod composite_key;
pub mod proposal;
pub mod response;
pub mod transaction;

pub use block::{block_data_hash, block_header_der, block_header_hash};
pub use composite_key::{create_composite_key, split_composite_key};
pub use proposal::{
    ParsedProposal, ProposalBuilder, UnsignedProposal, compute_txid, proposal_hash,
};
pub use response::{Endorser, ResponseSet};
pub use transaction::{ParsedTransaction, UnsignedTransaction};

use crate::{Error, Result};
use prost::Message;

/// Decodes a protobuf message, naming it in the error.
pub(crate) fn decode<M: Message + Default>(what: &'static str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(Error::decode(what))
}

/// Fabric accepts only ENDORSER_TRANSACTION headers for proposals and endorser transactions.
pub(crate) fn require_endorser_transaction(
    header: &fabric_protos::common::ChannelHeader,
) -> Result<()> {
    if header.r#type != fabric_protos::common::HeaderType::EndorserTransaction as i32 {
        return Err(Error::Malformed {
            what: "ChannelHeader",
            reason: format!(
                "type is {}, expected ENDORSER_TRANSACTION (3)",
                header.r#type
            ),
        });
    }
    Ok(())
}

/// The current time as a protobuf timestamp.
pub fn now_timestamp() -> fabric_protos::Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    fabric_protos::Timestamp {
        seconds: now.as_secs() as i64,
        nanos: now.subsec_nanos() as i32,
    }
}
