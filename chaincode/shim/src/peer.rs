//! The chaincode's view of its peer: what the peer advertised in READY, and the one operation a
//! transaction needs from it — send a request, wait for the reply.
//!
//! The gRPC stream handler ([`crate::handler`]) and the in-memory test ledger both implement
//! [`PeerRequests`], so one [`Stub`](crate::Stub) works against a real peer and in unit tests.

use bytes::Bytes;
use fabric_protos::protos::ChaincodeAdditionalParams;
use fabric_protos::protos::chaincode_message::Type;
use futures_util::future::BoxFuture;
use prost::Message;

use crate::{Error, Result};

/// What Fabric's Go shim falls back to when a peer advertises a feature with size 0.
const DEFAULT_BATCH_SIZE: u32 = 1000;

/// Optional protocol features the peer advertised in READY (Fabric ≥ 3.1). A v2.5 or v3.0 peer
/// sends an empty READY: both are off, and the shim never sends `WRITE_BATCH_STATE` or
/// `GET_STATE_MULTIPLE` (an older peer would end the stream).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerFeatures {
    /// `WRITE_BATCH_STATE` accepted, with at most this many records per message.
    pub write_batch: Option<u32>,
    /// `GET_STATE_MULTIPLE` accepted, with at most this many keys per message.
    pub get_multiple: Option<u32>,
}

impl PeerFeatures {
    /// Both features on with Fabric 3.1's default sizes (1000).
    pub const FABRIC_3_1: PeerFeatures = PeerFeatures {
        write_batch: Some(DEFAULT_BATCH_SIZE),
        get_multiple: Some(DEFAULT_BATCH_SIZE),
    };

    /// Reads a READY payload (`ChaincodeAdditionalParams`, possibly empty).
    pub fn from_ready_payload(payload: &[u8]) -> Result<Self> {
        let params = ChaincodeAdditionalParams::decode(payload)
            .map_err(Error::decode("READY payload (ChaincodeAdditionalParams)"))?;
        Ok(Self::from_params(&params))
    }

    /// Reads the advertised parameters.
    pub fn from_params(params: &ChaincodeAdditionalParams) -> Self {
        let size = |n: u32| if n == 0 { DEFAULT_BATCH_SIZE } else { n };
        PeerFeatures {
            write_batch: params
                .use_write_batch
                .then(|| size(params.max_size_write_batch)),
            get_multiple: params
                .use_get_multiple_keys
                .then(|| size(params.max_size_get_multiple_keys)),
        }
    }

    /// The READY parameters a peer sends to advertise these features.
    pub fn to_params(self) -> ChaincodeAdditionalParams {
        ChaincodeAdditionalParams {
            use_write_batch: self.write_batch.is_some(),
            max_size_write_batch: self.write_batch.unwrap_or(0),
            use_get_multiple_keys: self.get_multiple.is_some(),
            max_size_get_multiple_keys: self.get_multiple.unwrap_or(0),
        }
    }
}

/// Sends a chaincode→peer request for one transaction and waits for the peer's reply.
///
/// Implementations return the RESPONSE payload, or [`Error::Peer`] with the text of an ERROR
/// reply. The caller ([`Stub`](crate::Stub)) guarantees at most one outstanding request per
/// (channel, txid), as the peer requires.
pub trait PeerRequests: Send + Sync + 'static {
    /// Sends `payload` as a message of type `kind` for transaction (`channel_id`, `txid`).
    fn request<'a>(
        &'a self,
        channel_id: &'a str,
        txid: &'a str,
        kind: Type,
        payload: Bytes,
    ) -> BoxFuture<'a, Result<Bytes>>;
}
