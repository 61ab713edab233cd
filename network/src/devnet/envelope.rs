//! Reading the headers of a transaction envelope without re-encoding anything.

use crate::error::{Error, Result};
use fabric_protos::Timestamp;
use fabric_protos::common::{ChannelHeader, Envelope, Payload, SignatureHeader};
use prost::Message;

/// The headers of one envelope, decoded from its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeHeaders {
    /// The decoded envelope (payload and signature keep their original bytes).
    pub envelope: Envelope,
    /// The decoded payload (its `data` keeps the original bytes).
    pub payload: Payload,
    /// The channel header.
    pub channel_header: ChannelHeader,
    /// The signature header.
    pub signature_header: SignatureHeader,
}

impl EnvelopeHeaders {
    /// Decodes `bytes` as a `common.Envelope` and its payload's headers.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        Self::from_envelope(Envelope::decode(bytes).map_err(Error::decode("common.Envelope"))?)
    }

    /// Decodes the payload headers of an already decoded envelope.
    pub fn from_envelope(envelope: Envelope) -> Result<Self> {
        if envelope.payload.is_empty() {
            return Err(Error::Ledger("envelope has an empty payload".into()));
        }
        let payload =
            Payload::decode(envelope.payload.clone()).map_err(Error::decode("common.Payload"))?;
        let header = payload
            .header
            .as_ref()
            .ok_or_else(|| Error::Ledger("payload has no header".into()))?;
        let channel_header = ChannelHeader::decode(header.channel_header.clone())
            .map_err(Error::decode("common.ChannelHeader"))?;
        let signature_header = SignatureHeader::decode(header.signature_header.clone())
            .map_err(Error::decode("common.SignatureHeader"))?;
        Ok(EnvelopeHeaders {
            envelope,
            payload,
            channel_header,
            signature_header,
        })
    }

    /// The transaction id.
    pub fn tx_id(&self) -> &str {
        &self.channel_header.tx_id
    }

    /// The channel header timestamp.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.channel_header.timestamp
    }
}

/// An unsigned ENDORSER_TRANSACTION-typed envelope with `tx_id` and `data` as the payload data,
/// for tests and load tools (it carries no real transaction).
pub fn synthetic_envelope(channel_id: &str, tx_id: &str, data: &[u8]) -> bytes::Bytes {
    use bytes::Bytes;
    use fabric_protos::common::{Header, HeaderType};
    let channel_header = ChannelHeader {
        r#type: HeaderType::EndorserTransaction as i32,
        version: 0,
        timestamp: Some(fabric_sdk::tx::now_timestamp()),
        channel_id: channel_id.to_owned(),
        tx_id: tx_id.to_owned(),
        epoch: 0,
        extension: Bytes::new(),
        tls_cert_hash: Bytes::new(),
    };
    let payload = Payload {
        header: Some(Header {
            channel_header: Bytes::from(channel_header.encode_to_vec()),
            signature_header: Bytes::from(SignatureHeader::default().encode_to_vec()),
        }),
        data: Bytes::copy_from_slice(data),
    };
    Bytes::from(
        Envelope {
            payload: Bytes::from(payload.encode_to_vec()),
            signature: Bytes::new(),
        }
        .encode_to_vec(),
    )
}
