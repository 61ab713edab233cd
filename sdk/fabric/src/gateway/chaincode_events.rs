//! Chaincode events (Gateway `ChaincodeEvents`): the events of VALID transactions of one
//! chaincode, from the next commit, a block, or a checkpoint.
//!
//! A listener whose gateway has a signer reconnects by itself when the stream breaks (the peer
//! restarted, the network failed): it asks again from just after the last event it delivered
//! (that block, after that transaction id), so no event is lost or delivered twice. Before the
//! first event, a listener started at the next commit resumes at the then next commit; start
//! from a block or a checkpoint to cover the gap. Requests the peer refuses end the stream
//! with [`Error::ChaincodeEvents`].

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::gateway::{ChaincodeEventsRequest as RequestMsg, SignedChaincodeEventsRequest};
use fabric_protos::orderer::seek_position::Type as Seek;
use fabric_protos::orderer::{SeekNextCommit, SeekPosition, SeekSpecified};
use tokio::sync::mpsc;

use super::client::require_signed;
use super::reconnect::{BUFFER, EventStream, INITIAL_BACKOFF, is_transient, next_backoff};
use super::{Checkpoint, Checkpointer, Gateway, Network, RpcError};
use crate::{Error, Result};

/// One chaincode event of a committed, valid transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaincodeEvent {
    /// The block holding the transaction.
    pub block_number: u64,
    /// The transaction that emitted it.
    pub transaction_id: String,
    /// The chaincode.
    pub chaincode_name: String,
    /// The event name the chaincode gave.
    pub event_name: String,
    /// The event payload.
    pub payload: Bytes,
}

/// Chaincode events, as a stream.
pub type ChaincodeEvents = EventStream<ChaincodeEvent>;

/// Where a listener starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Start {
    NextCommit,
    Block(u64),
    Checkpoint(Checkpoint),
}

impl Start {
    pub(crate) fn seek(&self) -> SeekPosition {
        let t = match self {
            Start::NextCommit => Seek::NextCommit(SeekNextCommit {}),
            Start::Block(n) => Seek::Specified(SeekSpecified { number: *n }),
            Start::Checkpoint(c) => Seek::Specified(SeekSpecified {
                number: c.block_number,
            }),
        };
        SeekPosition { r#type: Some(t) }
    }

    fn after_transaction_id(&self) -> String {
        match self {
            Start::Checkpoint(c) => c.transaction_id.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn from_request(request: &RequestMsg) -> Self {
        let block = match request
            .start_position
            .as_ref()
            .and_then(|p| p.r#type.as_ref())
        {
            Some(Seek::Specified(s)) => Some(s.number),
            _ => None,
        };
        match block {
            Some(n) => Start::Checkpoint(Checkpoint::after_transaction(
                n,
                request.after_transaction_id.clone(),
            )),
            None => Start::NextCommit,
        }
    }
}

/// Describes a chaincode events request. Made by [`Network::chaincode_events`].
///
/// ```no_run
/// # async fn f(network: fabric_sdk::gateway::Network) -> fabric_sdk::Result<()> {
/// use fabric_sdk::gateway::{Checkpointer, FileCheckpointer};
/// let checkpointer = FileCheckpointer::open("medledger-events.json").await?;
/// let mut events = network
///     .chaincode_events("medledger")
///     .start_block(0) // used only when the checkpointer holds nothing yet
///     .checkpointer(&checkpointer)
///     .events()
///     .await?;
/// while let Some(event) = events.next().await {
///     let event = event?;
///     println!("{} {}", event.event_name, event.transaction_id);
///     checkpointer.checkpoint_chaincode_event(&event).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ChaincodeEventsBuilder {
    network: Network,
    chaincode: String,
    start: Start,
    reconnect: bool,
}

impl ChaincodeEventsBuilder {
    pub(crate) fn new(network: Network, chaincode: String) -> Self {
        ChaincodeEventsBuilder {
            network,
            chaincode,
            start: Start::NextCommit,
            reconnect: true,
        }
    }

    /// Starts at block `number` (instead of the next commit).
    pub fn start_block(mut self, number: u64) -> Self {
        self.start = Start::Block(number);
        self
    }

    /// Resumes from `checkpoint`: its block, skipping the events up to and including its
    /// transaction.
    pub fn checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.start = Start::Checkpoint(checkpoint);
        self
    }

    /// Resumes from the checkpointer's position when it holds one (else keeps the start block
    /// or next commit).
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
    pub fn build(self) -> Result<ChaincodeEventsRequest> {
        let gateway = self.network.gateway().clone();
        let signed = signed_request(&gateway, self.network.name(), &self.chaincode, &self.start)?;
        Ok(ChaincodeEventsRequest {
            reconnect: self.reconnect && gateway.has_signer(),
            gateway,
            channel: self.network.name().to_owned(),
            chaincode: self.chaincode,
            start: self.start,
            signed,
        })
    }

    /// Builds the request and starts listening.
    pub async fn events(self) -> Result<ChaincodeEvents> {
        self.build()?.events().await
    }
}

fn signed_request(
    gateway: &Gateway,
    channel: &str,
    chaincode: &str,
    start: &Start,
) -> Result<SignedChaincodeEventsRequest> {
    let request: Bytes = RequestMsg {
        channel_id: channel.to_owned(),
        chaincode_id: chaincode.to_owned(),
        identity: gateway.inner.creator.clone(),
        start_position: Some(start.seek()),
        after_transaction_id: start.after_transaction_id(),
    }
    .encode_to_vec()
    .into();
    let signature = gateway.inner.sign(&request)?.unwrap_or_default();
    Ok(SignedChaincodeEventsRequest { request, signature })
}

/// A chaincode events request, signed or waiting for an offline signature.
#[derive(Debug, Clone)]
pub struct ChaincodeEventsRequest {
    gateway: Gateway,
    channel: String,
    chaincode: String,
    start: Start,
    signed: SignedChaincodeEventsRequest,
    reconnect: bool,
}

impl ChaincodeEventsRequest {
    pub(crate) fn from_bytes(gateway: Gateway, bytes: &[u8], signature: Bytes) -> Result<Self> {
        let mut signed = SignedChaincodeEventsRequest::decode(bytes)
            .map_err(Error::decode("SignedChaincodeEventsRequest"))?;
        signed.signature = signature;
        let request = RequestMsg::decode(signed.request.clone())
            .map_err(Error::decode("ChaincodeEventsRequest"))?;
        Ok(ChaincodeEventsRequest {
            reconnect: gateway.has_signer(),
            gateway,
            start: Start::from_request(&request),
            channel: request.channel_id,
            chaincode: request.chaincode_id,
            signed,
        })
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The chaincode.
    pub fn chaincode(&self) -> &str {
        &self.chaincode
    }

    /// Whether the request carries a signature.
    pub fn is_signed(&self) -> bool {
        !self.signed.signature.is_empty()
    }

    /// The serialized `gateway.SignedChaincodeEventsRequest`, for offline signing: sign
    /// [`ChaincodeEventsRequest::digest`], then
    /// [`Gateway::new_signed_chaincode_events_request`]`(bytes, signature)`.
    pub fn bytes(&self) -> Vec<u8> {
        self.signed.encode_to_vec()
    }

    /// What the signer signs: the gateway's hash of the `ChaincodeEventsRequest` bytes.
    pub fn digest(&self) -> Vec<u8> {
        self.gateway.inner.digest(&self.signed.request)
    }

    /// Starts listening. Returns at once; a refused request shows as the stream's first item.
    pub async fn events(&self) -> Result<ChaincodeEvents> {
        require_signed(&self.signed.signature, "chaincode_events_request")?;
        let (tx, rx) = mpsc::channel(BUFFER);
        let task = tokio::spawn(listen(self.clone(), tx));
        Ok(EventStream::new(rx, task))
    }
}

enum Ended {
    /// The application dropped the stream.
    Closed,
    /// The stream failed.
    Failed(RpcError),
}

type Sender = mpsc::Sender<Result<ChaincodeEvent>>;

/// Listens, reconnecting from the last delivered event while failures are transient.
async fn listen(request: ChaincodeEventsRequest, tx: Sender) {
    let mut position = request.start.clone();
    let mut signed = request.signed.clone();
    let mut backoff = INITIAL_BACKOFF;
    loop {
        let e = match stream_once(&request, signed, &mut position, &mut backoff, &tx).await {
            Ended::Closed => return,
            Ended::Failed(e) => e,
        };
        if !request.reconnect || !is_transient(e.code) {
            let _ = tx.send(Err(Error::ChaincodeEvents(e))).await;
            return;
        }
        tracing::warn!(
            channel = %request.channel,
            chaincode = %request.chaincode,
            error = %e,
            retry_in = ?backoff,
            "chaincode events stream broke; reconnecting"
        );
        tokio::select! {
            _ = tx.closed() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = next_backoff(backoff);
        signed = match signed_request(
            &request.gateway,
            &request.channel,
            &request.chaincode,
            &position,
        ) {
            Ok(s) => s,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
    }
}

async fn stream_once(
    request: &ChaincodeEventsRequest,
    signed: SignedChaincodeEventsRequest,
    position: &mut Start,
    backoff: &mut std::time::Duration,
    tx: &Sender,
) -> Ended {
    let mut client = request.gateway.inner.gateway_client();
    let opened = tokio::select! {
        _ = tx.closed() => return Ended::Closed,
        r = client.chaincode_events(signed) => r,
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
        let response = match message {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Ended::Failed(RpcError {
                    code: tonic::Code::Unavailable,
                    message: "the peer ended the chaincode events stream".into(),
                    transaction_id: String::new(),
                    details: Vec::new(),
                });
            }
            Err(status) => return Ended::Failed(RpcError::from_status(&status, "")),
        };
        *backoff = INITIAL_BACKOFF;
        for e in response.events {
            let event = ChaincodeEvent {
                block_number: response.block_number,
                transaction_id: e.tx_id,
                chaincode_name: e.chaincode_id,
                event_name: e.event_name,
                payload: e.payload,
            };
            *position = Start::Checkpoint(Checkpoint::after_transaction(
                event.block_number,
                event.transaction_id.clone(),
            ));
            if tx.send(Ok(event)).await.is_err() {
                return Ended::Closed;
            }
        }
    }
}
