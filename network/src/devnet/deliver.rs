//! The peer's `protos.Deliver` service over the ledger: `Deliver` (blocks), `DeliverFiltered`
//! (filtered blocks) and `DeliverWithPrivateData` (blocks with the private data the requester's
//! organisation may read).
//!
//! Per request envelope (a signed `SeekInfo`), as Fabric's deliver handler does:
//! 1. the payload, its header and channel header must decode, the header type must be
//!    DELIVER_SEEK_INFO and the timestamp within the time window (±15 min) — else BAD_REQUEST;
//! 2. the channel must be this devnet's channel — else NOT_FOUND;
//! 3. the signer must satisfy `/Channel/Application/Readers` (and, with mutual TLS, the
//!    channel header's `tls_cert_hash` must be the SHA-256 of the client's TLS certificate) —
//!    else FORBIDDEN;
//! 4. the `SeekInfo` must decode with a start and a stop, stop ≥ start — else BAD_REQUEST;
//! 5. blocks `start..=stop` are sent; a block beyond the height is waited for
//!    (BLOCK_UNTIL_READY) or ends the request with NOT_FOUND (FAIL_IF_NOT_READY);
//! 6. a status ends the request: SUCCESS, after which the next `SeekInfo` is read from the same
//!    stream, or an error status, after which the stream is closed.
//!
//! Blocks go out as the stored bytes: the response is framed around them by hand
//! ([`RawCodec`]), nothing is decoded and re-encoded.

use super::acl::{AccessControl, ChannelPolicy, Requester, SignedData};
use super::envelope::EnvelopeHeaders;
use super::ledger::Ledger;
use crate::error::{Error, Result};
use bytes::{BufMut, Bytes};
use fabric_protos::common::{Block, Envelope, HeaderType, Status};
use fabric_protos::orderer::seek_info::{SeekBehavior, SeekContentType};
use fabric_protos::orderer::seek_position::Type as Seek;
use fabric_protos::orderer::{SeekInfo, SeekPosition};
use fabric_protos::protos::{
    BlockAndPrivateData, ChaincodeAction, ChaincodeActionPayload, ChaincodeEvent, DeliverResponse,
    FilteredBlock, FilteredChaincodeAction, FilteredTransaction, FilteredTransactionActions,
    ProposalResponsePayload, Transaction, TxValidationCode, deliver_response, filtered_transaction,
};
use fabric_protos::rwset::TxPvtReadWriteSet;
use fabric_sdk::crypto::sha256;
use prost::Message;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{Body, BoxFuture, Context, Poll, Service, StdError, http};
use tonic::{Request, Response, Streaming};

/// Fabric's default `peer.authentication.timewindow`.
pub const DEFAULT_TIME_WINDOW: Duration = Duration::from_secs(15 * 60);

/// What a Deliver stream sends per block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverKind {
    /// Full blocks (`Deliver`).
    Blocks,
    /// Filtered blocks (`DeliverFiltered`).
    Filtered,
    /// Blocks with private data (`DeliverWithPrivateData`).
    WithPrivateData,
}

/// Configuration of the Deliver service.
#[derive(Clone)]
pub struct DeliverConfig {
    /// The channel served.
    pub channel_id: String,
    /// Accepted clock skew of request timestamps.
    pub time_window: Duration,
    /// Require `tls_cert_hash` to match the client's TLS certificate (mutual TLS).
    pub mutual_tls: bool,
}

impl DeliverConfig {
    /// The defaults for `channel_id`: 15 min window, no mutual TLS.
    pub fn new(channel_id: impl Into<String>) -> Self {
        DeliverConfig {
            channel_id: channel_id.into(),
            time_window: DEFAULT_TIME_WINDOW,
            mutual_tls: false,
        }
    }
}

struct Inner {
    ledger: Ledger,
    acl: Arc<dyn AccessControl>,
    config: DeliverConfig,
}

/// The `protos.Deliver` gRPC service (add it to a tonic `Server`).
#[derive(Clone)]
pub struct DeliverService {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DeliverService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverService")
            .field("channel_id", &self.inner.config.channel_id)
            .finish()
    }
}

impl DeliverService {
    /// A Deliver service over `ledger`, checking requesters with `acl`.
    pub fn new(ledger: Ledger, acl: Arc<dyn AccessControl>, config: DeliverConfig) -> Self {
        DeliverService {
            inner: Arc::new(Inner {
                ledger,
                acl,
                config,
            }),
        }
    }

    /// Serves one Deliver stream: reads SeekInfo envelopes from `inbound`, sends responses.
    /// `client_cert_hash` is the SHA-256 of the client's TLS certificate, when known.
    fn open(
        &self,
        kind: DeliverKind,
        inbound: Streaming<Envelope>,
        client_cert_hash: Option<[u8; 32]>,
    ) -> ReceiverStream<std::result::Result<RawResponse, tonic::Status>> {
        let (tx, rx) = mpsc::channel(16);
        let inner = self.inner.clone();
        tokio::spawn(async move {
            session(inner, kind, inbound, tx, client_cert_hash).await;
        });
        ReceiverStream::new(rx)
    }
}

type Out = mpsc::Sender<std::result::Result<RawResponse, tonic::Status>>;

async fn session(
    inner: Arc<Inner>,
    kind: DeliverKind,
    mut inbound: Streaming<Envelope>,
    tx: Out,
    client_cert_hash: Option<[u8; 32]>,
) {
    loop {
        let received = tokio::select! {
            m = inbound.message() => m,
            _ = tx.closed() => return,
        };
        let envelope = match received {
            Ok(Some(e)) => e,
            Ok(None) => return,
            Err(status) => {
                tracing::debug!(%status, "deliver stream ended by the client");
                return;
            }
        };
        let Some(status) = handle(&inner, kind, &envelope, &tx, client_cert_hash).await else {
            return;
        };
        let response = DeliverResponse {
            r#type: Some(deliver_response::Type::Status(status as i32)),
        };
        if tx
            .send(Ok(RawResponse(Bytes::from(response.encode_to_vec()))))
            .await
            .is_err()
            || status != Status::Success
        {
            return;
        }
    }
}

fn now_unix() -> i64 {
    fabric_sdk::identity::msp::unix_now()
}

/// Handles one SeekInfo request. `None` when the client went away.
async fn handle(
    inner: &Inner,
    kind: DeliverKind,
    envelope: &Envelope,
    tx: &Out,
    client_cert_hash: Option<[u8; 32]>,
) -> Option<Status> {
    let bad = |reason: &str| {
        tracing::debug!(reason, "deliver request refused: BAD_REQUEST");
        Some(Status::BadRequest)
    };
    let headers = match EnvelopeHeaders::from_envelope(envelope.clone()) {
        Ok(h) => h,
        Err(e) => return bad(&e.to_string()),
    };
    let ch = &headers.channel_header;
    if ch.r#type != HeaderType::DeliverSeekInfo as i32 {
        return bad("header type is not DELIVER_SEEK_INFO");
    }
    let Some(ts) = ch.timestamp else {
        return bad("no timestamp");
    };
    let skew = (ts.seconds - now_unix()).unsigned_abs();
    if skew > inner.config.time_window.as_secs() {
        return bad("timestamp outside the time window");
    }
    if ch.channel_id != inner.config.channel_id {
        tracing::debug!(channel = %ch.channel_id, "deliver request for an unknown channel");
        return Some(Status::NotFound);
    }
    if inner.config.mutual_tls {
        let bound = client_cert_hash.is_some_and(|h| h.as_slice() == ch.tls_cert_hash.as_ref());
        if !bound {
            tracing::debug!(
                "deliver request refused: tls_cert_hash does not match the client certificate"
            );
            return Some(Status::Forbidden);
        }
    }
    let signed = SignedData {
        data: &envelope.payload,
        identity: &headers.signature_header.creator,
        signature: &envelope.signature,
    };
    let requester = match inner
        .acl
        .check(ChannelPolicy::ApplicationReaders, &signed, now_unix())
    {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "deliver request refused: FORBIDDEN");
            return Some(Status::Forbidden);
        }
    };
    let Ok(seek) = SeekInfo::decode(headers.payload.data.clone()) else {
        return bad("payload data is not a SeekInfo");
    };
    let (Some(start), Some(stop)) = (seek.start.as_ref(), seek.stop.as_ref()) else {
        return bad("SeekInfo needs a start and a stop");
    };
    let height = inner.ledger.height();
    let newest = height.saturating_sub(1);
    let first = match position(start) {
        Some(Seek::Oldest(_)) => 0,
        Some(Seek::Newest(_)) => newest,
        Some(Seek::Specified(s)) => s.number,
        Some(Seek::NextCommit(_)) => height,
        None => return bad("start position has no type"),
    };
    let last = match position(stop) {
        Some(Seek::Oldest(_)) => first,
        Some(Seek::Newest(_)) if start == stop => first,
        Some(Seek::Newest(_)) => newest,
        Some(Seek::Specified(s)) => s.number,
        Some(Seek::NextCommit(_)) => return bad("next_commit is not a stop position"),
        None => return bad("stop position has no type"),
    };
    if last < first {
        return bad("stop is before start");
    }
    let fail_if_not_ready = seek.behavior == SeekBehavior::FailIfNotReady as i32;
    let headers_only = seek.content_type == SeekContentType::HeaderWithSig as i32;
    let mut number = first;
    loop {
        if inner.ledger.height() <= number {
            if fail_if_not_ready {
                return Some(Status::NotFound);
            }
            tokio::select! {
                r = inner.ledger.wait_for_block(number) => {
                    if r.is_err() {
                        return Some(Status::ServiceUnavailable);
                    }
                }
                _ = tx.closed() => return None,
            }
        }
        let response = match read_response(inner, kind, number, &requester, headers_only).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(block = number, error = %e, "deliver cannot read a block");
                return Some(Status::ServiceUnavailable);
            }
        };
        if tx.send(Ok(response)).await.is_err() {
            return None;
        }
        if number >= last {
            return Some(Status::Success);
        }
        number += 1;
    }
}

fn position(p: &SeekPosition) -> Option<&Seek> {
    p.r#type.as_ref()
}

/// Reads block `number` and frames the response for `kind`.
async fn read_response(
    inner: &Inner,
    kind: DeliverKind,
    number: u64,
    requester: &Requester,
    headers_only: bool,
) -> Result<RawResponse> {
    let store = inner.ledger.store().clone();
    let with_pvt = kind == DeliverKind::WithPrivateData;
    let (bytes, pvt) = tokio::task::spawn_blocking(move || -> Result<_> {
        let snap = store.snapshot()?;
        let bytes = snap
            .block_bytes(number)?
            .ok_or_else(|| Error::Ledger(format!("block {number} is not stored")))?;
        let pvt = if with_pvt {
            snap.block_private_data(number)?
        } else {
            BTreeMap::new()
        };
        Ok((bytes, pvt))
    })
    .await
    .map_err(|e| Error::Task(e.to_string()))??;
    let bytes = if headers_only {
        let mut block = Block::decode(bytes).map_err(Error::decode("common.Block"))?;
        block.data = None;
        Bytes::from(block.encode_to_vec())
    } else {
        bytes
    };
    Ok(match kind {
        DeliverKind::Blocks => RawResponse::block(&bytes),
        DeliverKind::Filtered => {
            let block = Block::decode(bytes).map_err(Error::decode("common.Block"))?;
            let filtered = filtered_block(&inner.config.channel_id, &block);
            RawResponse(Bytes::from(
                DeliverResponse {
                    r#type: Some(deliver_response::Type::FilteredBlock(filtered)),
                }
                .encode_to_vec(),
            ))
        }
        DeliverKind::WithPrivateData => {
            let readable = filter_private_data(inner.acl.as_ref(), requester, pvt);
            RawResponse::block_and_private_data(&bytes, readable)
        }
    })
}

/// Keeps only the collections `requester` may read; drops what becomes empty.
fn filter_private_data(
    acl: &dyn AccessControl,
    requester: &Requester,
    pvt: BTreeMap<u64, TxPvtReadWriteSet>,
) -> BTreeMap<u64, TxPvtReadWriteSet> {
    pvt.into_iter()
        .filter_map(|(tx, mut set)| {
            for ns in &mut set.ns_pvt_rwset {
                let namespace = ns.namespace.clone();
                ns.collection_pvt_rwset
                    .retain(|c| acl.may_read_collection(requester, &namespace, &c.collection_name));
            }
            set.ns_pvt_rwset
                .retain(|ns| !ns.collection_pvt_rwset.is_empty());
            (!set.ns_pvt_rwset.is_empty()).then_some((tx, set))
        })
        .collect()
}

/// The filtered form of a block: per transaction its txid, header type, validation code and,
/// for endorser transactions, the chaincode event without its payload.
pub fn filtered_block(channel_id: &str, block: &Block) -> FilteredBlock {
    let number = block.header.as_ref().map_or(0, |h| h.number);
    let filter = fabric_sdk::tx::block::transactions_filter(block);
    let data = block
        .data
        .as_ref()
        .map(|d| d.data.as_slice())
        .unwrap_or(&[]);
    let filtered_transactions = data
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let code = filter
                .get(i)
                .map_or(TxValidationCode::NotValidated as i32, |&c| i32::from(c));
            match EnvelopeHeaders::parse(env) {
                Ok(h) => {
                    let is_endorser =
                        h.channel_header.r#type == HeaderType::EndorserTransaction as i32;
                    FilteredTransaction {
                        txid: h.channel_header.tx_id.clone(),
                        r#type: h.channel_header.r#type,
                        tx_validation_code: code,
                        data: is_endorser.then(|| {
                            filtered_transaction::Data::TransactionActions(
                                FilteredTransactionActions {
                                    chaincode_actions: chaincode_events(&h.payload.data)
                                        .into_iter()
                                        .map(|e| FilteredChaincodeAction {
                                            chaincode_event: Some(e),
                                        })
                                        .collect(),
                                },
                            )
                        }),
                    }
                }
                Err(_) => FilteredTransaction {
                    tx_validation_code: code,
                    ..FilteredTransaction::default()
                },
            }
        })
        .collect();
    FilteredBlock {
        channel_id: channel_id.to_owned(),
        number,
        filtered_transactions,
    }
}

/// The chaincode events of a transaction's actions, payload stripped (undecodable parts are
/// skipped).
fn chaincode_events(transaction: &[u8]) -> Vec<ChaincodeEvent> {
    let Ok(tx) = Transaction::decode(transaction) else {
        return Vec::new();
    };
    tx.actions
        .iter()
        .filter_map(|action| {
            let cap = ChaincodeActionPayload::decode(action.payload.clone()).ok()?;
            let prp =
                ProposalResponsePayload::decode(cap.action?.proposal_response_payload).ok()?;
            let cca = ChaincodeAction::decode(prp.extension).ok()?;
            let event = ChaincodeEvent::decode(cca.events).ok()?;
            (!event.chaincode_id.is_empty()).then(|| ChaincodeEvent {
                chaincode_id: event.chaincode_id,
                tx_id: event.tx_id,
                event_name: event.event_name,
                payload: Bytes::new(),
            })
        })
        .collect()
}

/// A serialized `protos.DeliverResponse`, framed around stored block bytes without decoding.
#[derive(Debug, Clone)]
pub struct RawResponse(pub Bytes);

fn put_field(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    prost::encoding::encode_varint(value.len() as u64, out);
    out.extend_from_slice(value);
}

impl RawResponse {
    /// `DeliverResponse{block = <bytes>}` (field 2).
    pub fn block(block: &[u8]) -> Self {
        let mut out = Vec::with_capacity(block.len() + 11);
        put_field(&mut out, 0x12, block);
        RawResponse(Bytes::from(out))
    }

    /// `DeliverResponse{block_and_private_data = BlockAndPrivateData{block = <bytes>,
    /// private_data_map}}` (field 4).
    pub fn block_and_private_data(block: &[u8], pvt: BTreeMap<u64, TxPvtReadWriteSet>) -> Self {
        let mut inner = Vec::with_capacity(block.len() + 11);
        put_field(&mut inner, 0x0a, block);
        BlockAndPrivateData {
            block: None,
            private_data_map: pvt,
        }
        .encode(&mut inner)
        .unwrap_or_default();
        let mut out = Vec::with_capacity(inner.len() + 11);
        put_field(&mut out, 0x22, &inner);
        RawResponse(Bytes::from(out))
    }
}

/// Decodes request envelopes with prost and writes [`RawResponse`] bytes as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

/// The encoder half of [`RawCodec`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = RawResponse;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: RawResponse,
        dst: &mut EncodeBuf<'_>,
    ) -> std::result::Result<(), tonic::Status> {
        dst.put_slice(&item.0);
        Ok(())
    }
}

/// The decoder half of [`RawCodec`].
#[derive(Debug, Default)]
pub struct EnvelopeDecoder;

impl Decoder for EnvelopeDecoder {
    type Item = Envelope;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut DecodeBuf<'_>,
    ) -> std::result::Result<Option<Envelope>, tonic::Status> {
        Envelope::decode(src)
            .map(Some)
            .map_err(|e| tonic::Status::invalid_argument(format!("decode common.Envelope: {e}")))
    }
}

impl Codec for RawCodec {
    type Encode = RawResponse;
    type Decode = Envelope;
    type Encoder = RawEncoder;
    type Decoder = EnvelopeDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> EnvelopeDecoder {
        EnvelopeDecoder
    }
}

/// Fabric's limit on gRPC messages (100 MiB).
const MAX_MESSAGE: usize = 100 * 1024 * 1024;

struct Method {
    service: DeliverService,
    kind: DeliverKind,
}

impl tonic::server::StreamingService<Envelope> for Method {
    type Response = RawResponse;
    type ResponseStream = ReceiverStream<std::result::Result<RawResponse, tonic::Status>>;
    type Future = BoxFuture<Response<Self::ResponseStream>, tonic::Status>;

    fn call(&mut self, request: Request<Streaming<Envelope>>) -> Self::Future {
        let service = self.service.clone();
        let kind = self.kind;
        Box::pin(async move {
            let cert_hash = request
                .peer_certs()
                .and_then(|certs| certs.first().map(|c| sha256(c.as_ref())));
            Ok(Response::new(service.open(
                kind,
                request.into_inner(),
                cert_hash,
            )))
        })
    }
}

impl<B> Service<http::Request<B>> for DeliverService
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::result::Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let kind = match req.uri().path() {
            fabric_protos::paths::DELIVER => Some(DeliverKind::Blocks),
            fabric_protos::paths::DELIVER_FILTERED => Some(DeliverKind::Filtered),
            fabric_protos::paths::DELIVER_WITH_PRIVATE_DATA => Some(DeliverKind::WithPrivateData),
            _ => None,
        };
        let service = self.clone();
        Box::pin(async move {
            match kind {
                Some(kind) => {
                    let mut grpc = tonic::server::Grpc::new(RawCodec)
                        .apply_max_message_size_config(Some(MAX_MESSAGE), Some(MAX_MESSAGE));
                    Ok(grpc.streaming(Method { service, kind }, req).await)
                }
                None => Ok(tonic::Status::unimplemented("unknown method").into_http()),
            }
        })
    }
}

impl tonic::server::NamedService for DeliverService {
    const NAME: &'static str = "protos.Deliver";
}
