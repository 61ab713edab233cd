//! Block events (peer `Deliver`): full blocks, filtered blocks, or blocks with the private data
//! the client's organisation may read, from the next commit, a block, or a checkpoint.
//!
//! The request is an envelope with a DELIVER_SEEK_INFO channel header (timestamp, channel, the
//! SHA-256 of the client TLS certificate when the connection uses mutual TLS) and a `SeekInfo`
//! from the start block to the end of time, signed by the client identity. A listener whose
//! gateway has a signer reconnects by itself when the stream breaks, from the block after the
//! last one it delivered.

use std::marker::PhantomData;

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::common::{
    Block, ChannelHeader, Envelope, Header, HeaderType, Payload, SignatureHeader, Status,
};
use fabric_protos::orderer::seek_info::{SeekBehavior, SeekContentType, SeekErrorResponse};
use fabric_protos::orderer::seek_position::Type as Seek;
use fabric_protos::orderer::{SeekInfo, SeekPosition, SeekSpecified};
use fabric_protos::protos::{
    BlockAndPrivateData, DeliverResponse, FilteredBlock, deliver_response,
};
use tokio::sync::mpsc;
use tonic::Code;

use super::chaincode_events::Start;
use super::client::require_signed;
use super::reconnect::{BUFFER, EventStream, INITIAL_BACKOFF, is_transient, next_backoff};
use super::{Checkpoint, Checkpointer, Gateway, Network, RpcError};
use crate::{Error, Result};

/// Block events of type `T`, as a stream.
pub type BlockEvents<T> = EventStream<T>;

mod sealed {
    pub trait Sealed {}
    impl Sealed for fabric_protos::common::Block {}
    impl Sealed for fabric_protos::protos::FilteredBlock {}
    impl Sealed for fabric_protos::protos::BlockAndPrivateData {}
}

/// Which Deliver service a block event type comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverKind {
    /// `Deliver`: [`Block`].
    Blocks,
    /// `DeliverFiltered`: [`FilteredBlock`].
    Filtered,
    /// `DeliverWithPrivateData`: [`BlockAndPrivateData`].
    WithPrivateData,
}

/// A kind of block event: [`Block`], [`FilteredBlock`] or [`BlockAndPrivateData`].
pub trait BlockItem:
    sealed::Sealed + Clone + Sized + Send + Sync + std::fmt::Debug + 'static
{
    /// The Deliver service that sends it.
    const KIND: DeliverKind;

    /// The block number.
    fn block_number(&self) -> u64;

    #[doc(hidden)]
    fn from_response(response: deliver_response::Type) -> Option<Self>;
}

impl BlockItem for Block {
    const KIND: DeliverKind = DeliverKind::Blocks;

    fn block_number(&self) -> u64 {
        self.header.as_ref().map_or(0, |h| h.number)
    }

    fn from_response(response: deliver_response::Type) -> Option<Self> {
        match response {
            deliver_response::Type::Block(b) => Some(b),
            _ => None,
        }
    }
}

impl BlockItem for FilteredBlock {
    const KIND: DeliverKind = DeliverKind::Filtered;

    fn block_number(&self) -> u64 {
        self.number
    }

    fn from_response(response: deliver_response::Type) -> Option<Self> {
        match response {
            deliver_response::Type::FilteredBlock(b) => Some(b),
            _ => None,
        }
    }
}

impl BlockItem for BlockAndPrivateData {
    const KIND: DeliverKind = DeliverKind::WithPrivateData;

    fn block_number(&self) -> u64 {
        self.block
            .as_ref()
            .and_then(|b| b.header.as_ref())
            .map_or(0, |h| h.number)
    }

    fn from_response(response: deliver_response::Type) -> Option<Self> {
        match response {
            deliver_response::Type::BlockAndPrivateData(b) => Some(b),
            _ => None,
        }
    }
}

/// Describes a block events request. Made by [`Network::block_events`],
/// [`Network::filtered_block_events`] and [`Network::block_and_private_data_events`].
#[derive(Debug, Clone)]
pub struct BlockEventsBuilder<T> {
    network: Network,
    start: Start,
    reconnect: bool,
    _kind: PhantomData<fn() -> T>,
}

impl<T: BlockItem> BlockEventsBuilder<T> {
    pub(crate) fn new(network: Network) -> Self {
        BlockEventsBuilder {
            network,
            start: Start::NextCommit,
            reconnect: true,
            _kind: PhantomData,
        }
    }

    /// Starts at block `number` (instead of the next commit).
    pub fn start_block(mut self, number: u64) -> Self {
        self.start = Start::Block(number);
        self
    }

    /// Starts at the checkpoint's block.
    pub fn checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.start = Start::Block(checkpoint.block_number);
        self
    }

    /// Starts at the checkpointer's block when it holds one (else keeps the start block or
    /// next commit).
    pub fn checkpointer(self, checkpointer: &impl Checkpointer) -> Self {
        match checkpointer.checkpoint() {
            Some(c) => self.checkpoint(c),
            None => self,
        }
    }

    /// Whether to reconnect when the stream breaks (default: yes, when the gateway can sign).
    pub fn reconnect(mut self, reconnect: bool) -> Self {
        self.reconnect = reconnect;
        self
    }

    /// The request, signed when the gateway has a signer.
    pub fn build(self) -> Result<BlockEventsRequest<T>> {
        let gateway = self.network.gateway().clone();
        let envelope = seek_envelope(&gateway, self.network.name(), &self.start)?;
        Ok(BlockEventsRequest {
            reconnect: self.reconnect && gateway.has_signer(),
            gateway,
            channel: self.network.name().to_owned(),
            start: self.start,
            envelope,
            _kind: PhantomData,
        })
    }

    /// Builds the request and starts listening.
    pub async fn events(self) -> Result<BlockEvents<T>> {
        self.build()?.events().await
    }
}

/// The signed (when possible) Deliver request for blocks from `start` on.
fn seek_envelope(gateway: &Gateway, channel: &str, start: &Start) -> Result<Envelope> {
    let channel_header = ChannelHeader {
        r#type: HeaderType::DeliverSeekInfo as i32,
        version: 0,
        timestamp: Some(crate::tx::now_timestamp()),
        channel_id: channel.to_owned(),
        tx_id: String::new(),
        epoch: 0,
        extension: Bytes::new(),
        tls_cert_hash: gateway
            .connection()
            .tls_cert_hash()
            .map(|h| Bytes::copy_from_slice(&h))
            .unwrap_or_default(),
    };
    let signature_header = SignatureHeader {
        creator: gateway.inner.creator.clone(),
        nonce: Bytes::new(),
    };
    let seek = SeekInfo {
        start: Some(start.seek()),
        stop: Some(SeekPosition {
            r#type: Some(Seek::Specified(SeekSpecified { number: u64::MAX })),
        }),
        behavior: SeekBehavior::BlockUntilReady as i32,
        error_response: SeekErrorResponse::Strict as i32,
        content_type: SeekContentType::Block as i32,
    };
    let payload: Bytes = Payload {
        header: Some(Header {
            channel_header: channel_header.encode_to_vec().into(),
            signature_header: signature_header.encode_to_vec().into(),
        }),
        data: seek.encode_to_vec().into(),
    }
    .encode_to_vec()
    .into();
    let signature = gateway.inner.sign(&payload)?.unwrap_or_default();
    Ok(Envelope { payload, signature })
}

/// A block events request, signed or waiting for an offline signature.
#[derive(Debug, Clone)]
pub struct BlockEventsRequest<T> {
    gateway: Gateway,
    channel: String,
    start: Start,
    envelope: Envelope,
    reconnect: bool,
    _kind: PhantomData<fn() -> T>,
}

impl<T: BlockItem> BlockEventsRequest<T> {
    pub(crate) fn from_bytes(gateway: Gateway, bytes: &[u8], signature: Bytes) -> Result<Self> {
        let mut envelope = Envelope::decode(bytes).map_err(Error::decode("Envelope"))?;
        envelope.signature = signature;
        let payload =
            Payload::decode(envelope.payload.clone()).map_err(Error::decode("Payload"))?;
        let header = payload.header.ok_or_else(|| Error::Malformed {
            what: "Payload",
            reason: "no header".into(),
        })?;
        let channel_header =
            ChannelHeader::decode(header.channel_header).map_err(Error::decode("ChannelHeader"))?;
        if channel_header.r#type != HeaderType::DeliverSeekInfo as i32 {
            return Err(Error::Malformed {
                what: "ChannelHeader",
                reason: format!(
                    "type is {}, expected DELIVER_SEEK_INFO (5)",
                    channel_header.r#type
                ),
            });
        }
        let seek = SeekInfo::decode(payload.data).map_err(Error::decode("SeekInfo"))?;
        let start = match seek.start.and_then(|p| p.r#type) {
            Some(Seek::Specified(s)) => Start::Block(s.number),
            _ => Start::NextCommit,
        };
        Ok(BlockEventsRequest {
            reconnect: gateway.has_signer(),
            gateway,
            channel: channel_header.channel_id,
            start,
            envelope,
            _kind: PhantomData,
        })
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// Whether the request carries a signature.
    pub fn is_signed(&self) -> bool {
        !self.envelope.signature.is_empty()
    }

    /// The serialized `common.Envelope`, for offline signing: sign
    /// [`BlockEventsRequest::digest`], then the matching `Gateway::new_signed_*_events_request`.
    pub fn bytes(&self) -> Vec<u8> {
        self.envelope.encode_to_vec()
    }

    /// What the signer signs: the gateway's hash of the envelope payload.
    pub fn digest(&self) -> Vec<u8> {
        self.gateway.inner.digest(&self.envelope.payload)
    }

    /// Starts listening. Returns at once; a refused request shows as the stream's first item.
    pub async fn events(&self) -> Result<BlockEvents<T>> {
        require_signed(&self.envelope.signature, "block_events_request")?;
        let (tx, rx) = mpsc::channel(BUFFER);
        let task = tokio::spawn(listen(self.clone(), tx));
        Ok(EventStream::new(rx, task))
    }
}

enum Ended {
    Closed,
    Failed(RpcError),
}

/// A non-SUCCESS Deliver status as a gRPC-style error.
fn status_error(status: i32) -> RpcError {
    let (code, name) = match Status::try_from(status) {
        Ok(Status::BadRequest) => (Code::InvalidArgument, "BAD_REQUEST"),
        Ok(Status::Forbidden) => (Code::PermissionDenied, "FORBIDDEN"),
        Ok(Status::NotFound) => (Code::NotFound, "NOT_FOUND"),
        Ok(Status::RequestEntityTooLarge) => (Code::ResourceExhausted, "REQUEST_ENTITY_TOO_LARGE"),
        Ok(Status::InternalServerError) => (Code::Internal, "INTERNAL_SERVER_ERROR"),
        Ok(Status::NotImplemented) => (Code::Unimplemented, "NOT_IMPLEMENTED"),
        Ok(Status::ServiceUnavailable) => (Code::Unavailable, "SERVICE_UNAVAILABLE"),
        Ok(Status::Success) => (Code::Unavailable, "SUCCESS"),
        _ => (Code::Unknown, "UNKNOWN"),
    };
    RpcError {
        code,
        message: format!("deliver returned status {name} ({status})"),
        transaction_id: String::new(),
        details: Vec::new(),
    }
}

async fn listen<T: BlockItem>(request: BlockEventsRequest<T>, tx: mpsc::Sender<Result<T>>) {
    let mut position = request.start.clone();
    let mut envelope = request.envelope.clone();
    let mut backoff = INITIAL_BACKOFF;
    loop {
        let e = match stream_once(&request, envelope, &mut position, &mut backoff, &tx).await {
            Ended::Closed => return,
            Ended::Failed(e) => e,
        };
        if !request.reconnect || !is_transient(e.code) {
            let _ = tx.send(Err(Error::BlockEvents(e))).await;
            return;
        }
        tracing::warn!(
            channel = %request.channel,
            kind = ?T::KIND,
            error = %e,
            retry_in = ?backoff,
            "block events stream broke; reconnecting"
        );
        tokio::select! {
            _ = tx.closed() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = next_backoff(backoff);
        envelope = match seek_envelope(&request.gateway, &request.channel, &position) {
            Ok(e) => e,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
    }
}

async fn stream_once<T: BlockItem>(
    request: &BlockEventsRequest<T>,
    envelope: Envelope,
    position: &mut Start,
    backoff: &mut std::time::Duration,
    tx: &mpsc::Sender<Result<T>>,
) -> Ended {
    use futures_util::StreamExt as _;
    let mut client = request.gateway.inner.deliver_client();
    // One request, and the request stream stays open: the peer keeps delivering.
    let outbound = futures_util::stream::once(std::future::ready(envelope))
        .chain(futures_util::stream::pending());
    let opened = tokio::select! {
        _ = tx.closed() => return Ended::Closed,
        r = async {
            match T::KIND {
                DeliverKind::Blocks => client.deliver(outbound).await,
                DeliverKind::Filtered => client.deliver_filtered(outbound).await,
                DeliverKind::WithPrivateData => client.deliver_with_private_data(outbound).await,
            }
        } => r,
    };
    let mut stream = match opened {
        Ok(r) => r.into_inner(),
        Err(status) => return Ended::Failed(RpcError::from_status(&status, "")),
    };
    loop {
        let message = tokio::select! {
            _ = tx.closed() => return Ended::Closed,
            m = stream.message() => m,
        };
        let response: DeliverResponse = match message {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Ended::Failed(RpcError {
                    code: Code::Unavailable,
                    message: "the peer ended the deliver stream".into(),
                    transaction_id: String::new(),
                    details: Vec::new(),
                });
            }
            Err(status) => return Ended::Failed(RpcError::from_status(&status, "")),
        };
        match response.r#type {
            Some(deliver_response::Type::Status(s)) => return Ended::Failed(status_error(s)),
            Some(t) => match T::from_response(t) {
                Some(item) => {
                    *backoff = INITIAL_BACKOFF;
                    *position = Start::Block(item.block_number().saturating_add(1));
                    if tx.send(Ok(item)).await.is_err() {
                        return Ended::Closed;
                    }
                }
                None => {
                    tracing::warn!(kind = ?T::KIND, "deliver sent another kind of block; ignored")
                }
            },
            None => tracing::warn!("deliver sent an empty response; ignored"),
        }
    }
}
