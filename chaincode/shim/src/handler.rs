//! The shim side of one peer stream: REGISTER, REGISTERED, READY, then many transactions at once.
//!
//! Each INIT/TRANSACTION runs in its own task. Requests are routed back by (channel, txid); one
//! request per transaction is outstanding at a time. KEEPALIVE is echoed. A message that is out of
//! place in the handshake ends the stream with ERROR; an unknown message type gets an ERROR reply
//! and the stream goes on; a panic in a transaction becomes a 500 response.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeId, ChaincodeInput, ChaincodeMessage, Response};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream, StreamExt};
use prost::Message;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tracing::{debug, error, warn};

use crate::chaincode::{self, Chaincode};
use crate::peer::{PeerFeatures, PeerRequests, tx_key};
use crate::stub::Stub;
use crate::sync::lock;
use crate::{Error, Result};

/// Messages queued towards the peer before senders wait.
pub const OUTBOUND_QUEUE: usize = 1024;

/// The state of the handshake, as Fabric's shims track it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// REGISTER sent, waiting for REGISTERED.
    Created,
    /// REGISTERED received, waiting for READY.
    Established,
    /// READY received: transactions flow.
    Ready,
}

/// The peer as seen from a stream: sends requests, routes replies.
struct StreamPeer {
    outbound: mpsc::Sender<ChaincodeMessage>,
    /// The reply slot of each transaction's outstanding request.
    pending: Mutex<Pending>,
    /// Transactions executing now.
    active: Mutex<HashSet<String>>,
    /// Signalled when the last active transaction has sent its COMPLETED.
    idle: Notify,
}

#[derive(Default)]
struct Pending {
    slots: HashMap<String, oneshot::Sender<ChaincodeMessage>>,
    /// The peer's side of the stream has ended: no reply will ever come.
    closed: bool,
}

impl PeerRequests for StreamPeer {
    fn request<'a>(
        &'a self,
        channel_id: &'a str,
        txid: &'a str,
        kind: Type,
        payload: Bytes,
    ) -> BoxFuture<'a, Result<Bytes>> {
        Box::pin(async move {
            let name = kind.as_str_name();
            let key = tx_key(channel_id, txid);
            let reply_rx = loop {
                let earlier = {
                    let mut pending = lock(&self.pending);
                    if pending.closed {
                        return Err(Error::StreamClosed(name));
                    }
                    match pending.slots.get_mut(&key) {
                        None => {
                            let (tx, rx) = oneshot::channel();
                            pending.slots.insert(key.clone(), tx);
                            break rx;
                        }
                        // An earlier request of this transaction was sent and then abandoned
                        // (its future dropped, e.g. by a timeout in the chaincode). The peer still
                        // owes its reply and takes one request at a time: wait for that reply.
                        Some(slot) if slot.is_closed() => {
                            let (tx, rx) = oneshot::channel();
                            *slot = tx;
                            rx
                        }
                        Some(_) => {
                            return Err(Error::Protocol(format!(
                                "{name}: another request of transaction {txid} is still waiting \
                                 for its reply (the peer allows one at a time)"
                            )));
                        }
                    }
                };
                // The reply to the abandoned request (dropped), or the stream ended: look again.
                let _ = earlier.await;
            };
            // Until the request is handed to the stream, dropping this future (or failing to send)
            // must free the slot: no reply will come for a request never sent.
            let mut unsent = Unsent {
                pending: &self.pending,
                key: Some(key),
            };
            let msg = ChaincodeMessage {
                r#type: kind as i32,
                payload,
                txid: txid.to_owned(),
                channel_id: channel_id.to_owned(),
                ..Default::default()
            };
            if self.outbound.send(msg).await.is_err() {
                return Err(Error::StreamClosed(name));
            }
            unsent.key = None;
            let reply = reply_rx.await.map_err(|_| Error::StreamClosed(name))?;
            match Type::try_from(reply.r#type) {
                Ok(Type::Response) => Ok(reply.payload),
                Ok(Type::Error) => Err(Error::Peer {
                    request: name,
                    message: String::from_utf8_lossy(&reply.payload).into_owned(),
                }),
                _ => Err(Error::Protocol(format!(
                    "{name}: the peer replied with message type {}",
                    reply.r#type
                ))),
            }
        })
    }
}

/// Frees a transaction's reply slot unless disarmed (`key` taken) once the request is sent.
struct Unsent<'a> {
    pending: &'a Mutex<Pending>,
    key: Option<String>,
}

impl Drop for Unsent<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(self.pending).slots.remove(&key);
        }
    }
}

impl StreamPeer {
    /// Hands a RESPONSE/ERROR to the transaction waiting for it.
    fn route(&self, msg: ChaincodeMessage) {
        let key = tx_key(&msg.channel_id, &msg.txid);
        let slot = lock(&self.pending).slots.remove(&key);
        match slot {
            Some(slot) => {
                // The waiter may have gone (its request was abandoned): nothing to do.
                let _ = slot.send(msg);
            }
            None => warn!(
                txid = %msg.txid,
                channel = %msg.channel_id,
                "peer reply for a transaction with no outstanding request; ignored"
            ),
        }
    }

    async fn send(&self, msg: ChaincodeMessage) {
        if self.outbound.send(msg).await.is_err() {
            debug!("stream to the peer closed; message dropped");
        }
    }

    fn is_idle(&self) -> bool {
        lock(&self.active).is_empty()
    }

    /// The peer's side ended: fail every waiting and every future request.
    fn close(&self) {
        let mut pending = lock(&self.pending);
        pending.closed = true;
        pending.slots.clear();
    }
}

/// What a stream handler is told when its server shuts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Serving.
    Running,
    /// No new transactions; running ones finish, then the stream ends.
    Draining,
    /// End the stream now.
    Forced,
}

/// Receives the shutdown [`Phase`] of a server.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown(watch::Receiver<Phase>);

impl Shutdown {
    pub(crate) fn new(rx: watch::Receiver<Phase>) -> Self {
        Shutdown(rx)
    }

    /// A signal that never fires.
    pub(crate) fn never() -> Self {
        let (_tx, rx) = watch::channel(Phase::Running);
        Shutdown(rx)
    }

    /// Completes once the phase is at least `phase`; never if the sender is gone first.
    pub(crate) async fn reached(&mut self, phase: Phase) {
        let rank = |p: &Phase| *p as u8;
        let wanted = rank(&phase);
        if self.0.wait_for(|p| rank(p) >= wanted).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Serves one peer stream until it ends: sends REGISTER with `package_id`, completes the
/// handshake, and runs every transaction the peer sends. `outbound` carries messages to the peer.
///
/// Returns `Ok` when the peer closes the stream, and an error for a protocol violation (after
/// sending ERROR) or a transport failure. Transactions still running when the peer closes its
/// side finish in their tasks and send COMPLETED while `outbound` is open; their ledger requests
/// fail with [`Error::StreamClosed`].
pub async fn serve_stream<C, S>(
    chaincode: Arc<C>,
    package_id: &str,
    inbound: S,
    outbound: mpsc::Sender<ChaincodeMessage>,
) -> Result<()>
where
    C: Chaincode,
    S: Stream<Item = std::result::Result<ChaincodeMessage, tonic::Status>> + Unpin + Send,
{
    serve_stream_until(chaincode, package_id, inbound, outbound, Shutdown::never()).await
}

/// [`serve_stream`] that also follows a server's shutdown: when draining, new transactions are
/// refused with ERROR and the stream ends once the running ones have completed; when forced, it
/// ends at once.
pub(crate) async fn serve_stream_until<C, S>(
    chaincode: Arc<C>,
    package_id: &str,
    mut inbound: S,
    outbound: mpsc::Sender<ChaincodeMessage>,
    shutdown: Shutdown,
) -> Result<()>
where
    C: Chaincode,
    S: Stream<Item = std::result::Result<ChaincodeMessage, tonic::Status>> + Unpin + Send,
{
    let peer = Arc::new(StreamPeer {
        outbound,
        pending: Mutex::new(Pending::default()),
        active: Mutex::new(HashSet::new()),
        idle: Notify::new(),
    });
    let register = ChaincodeMessage {
        r#type: Type::Register as i32,
        payload: Bytes::from(
            ChaincodeId {
                name: package_id.to_owned(),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        ..Default::default()
    };
    peer.send(register).await;

    let result = run(&chaincode, &peer, &mut inbound, shutdown).await;
    // Wake every transaction still waiting for a reply: the stream is gone.
    peer.close();
    result
}

async fn run<C, S>(
    chaincode: &Arc<C>,
    peer: &Arc<StreamPeer>,
    inbound: &mut S,
    shutdown: Shutdown,
) -> Result<()>
where
    C: Chaincode,
    S: Stream<Item = std::result::Result<ChaincodeMessage, tonic::Status>> + Unpin + Send,
{
    let mut state = State::Created;
    let mut features = PeerFeatures::default();
    let mut draining = false;
    let mut drain_signal = shutdown.clone();
    let mut force_signal = shutdown;
    loop {
        let item = tokio::select! {
            biased;
            _ = force_signal.reached(Phase::Forced) => {
                debug!("shutdown: leaving the stream now");
                return Ok(());
            }
            _ = drain_signal.reached(Phase::Draining), if !draining => {
                draining = true;
                if peer.is_idle() {
                    return Ok(());
                }
                debug!("shutdown: waiting for the running transactions");
                continue;
            }
            _ = peer.idle.notified(), if draining => {
                if peer.is_idle() {
                    debug!("shutdown: every transaction has completed");
                    return Ok(());
                }
                continue;
            }
            item = inbound.next() => item,
        };
        let Some(item) = item else { break };
        let msg = match item {
            Ok(msg) => msg,
            Err(status) => {
                let text = format!(
                    "the peer stream failed: {} ({:?})",
                    status.message(),
                    status.code()
                );
                let reply = error_message(&text, "", "");
                peer.send(reply).await;
                return Err(Error::Transport(text));
            }
        };
        let kind = Type::try_from(msg.r#type);
        match (state, kind) {
            (_, Ok(Type::Keepalive)) => peer.send(msg).await,
            (State::Created, Ok(Type::Registered)) => {
                debug!("registered with the peer");
                state = State::Established;
            }
            (State::Established, Ok(Type::Ready)) => {
                features = match PeerFeatures::from_ready_payload(&msg.payload) {
                    Ok(f) => f,
                    Err(e) => return violation(peer, &msg, &e.to_string()).await,
                };
                debug!(?features, "peer ready");
                state = State::Ready;
            }
            (State::Ready, Ok(Type::Ready)) => debug!("second READY ignored"),
            (State::Ready, Ok(Type::Transaction | Type::Init)) if draining => {
                let text = "the chaincode server is shutting down; transaction refused";
                warn!(txid = %msg.txid, "{text}");
                peer.send(error_message(text, &msg.txid, &msg.channel_id))
                    .await;
            }
            (State::Ready, Ok(Type::Transaction | Type::Init)) => {
                start_transaction(chaincode, peer, msg, features);
            }
            (State::Ready, Ok(Type::Response | Type::Error)) => peer.route(msg),
            (State::Created | State::Established, Ok(Type::Error)) => {
                let text = String::from_utf8_lossy(&msg.payload).into_owned();
                return Err(Error::Protocol(format!(
                    "the peer refused the registration: {text}"
                )));
            }
            (State::Ready, Err(_)) => {
                let text = format!(
                    "unknown message type {}; this shim handles the types of Fabric v2.5 to v3.1",
                    msg.r#type
                );
                warn!(txid = %msg.txid, "{text}");
                peer.send(error_message(&text, &msg.txid, &msg.channel_id))
                    .await;
            }
            (state, _) => {
                let text = format!(
                    "message type {} is not allowed in state {state:?}",
                    type_name(msg.r#type)
                );
                return violation(peer, &msg, &text).await;
            }
        }
    }
    debug!("the peer closed the stream");
    Ok(())
}

async fn violation(peer: &StreamPeer, msg: &ChaincodeMessage, text: &str) -> Result<()> {
    error!(txid = %msg.txid, "protocol violation: {text}; ending the stream");
    peer.send(error_message(text, &msg.txid, "")).await;
    Err(Error::Protocol(text.to_owned()))
}

fn start_transaction<C: Chaincode>(
    chaincode: &Arc<C>,
    peer: &Arc<StreamPeer>,
    msg: ChaincodeMessage,
    features: PeerFeatures,
) {
    let key = tx_key(&msg.channel_id, &msg.txid);
    if !lock(&peer.active).insert(key.clone()) {
        let text = format!(
            "transaction {} on channel {:?} is already executing; duplicate ignored",
            msg.txid, msg.channel_id
        );
        let reply = error_message(&text, &msg.txid, &msg.channel_id);
        let peer = Arc::clone(peer);
        tokio::spawn(async move { peer.send(reply).await });
        return;
    }
    let chaincode = Arc::clone(chaincode);
    let peer = Arc::clone(peer);
    tokio::spawn(async move {
        let channel_id = msg.channel_id.clone();
        let txid = msg.txid.clone();
        let requests: Arc<dyn PeerRequests> = peer.clone();
        let (response, event) = execute(&*chaincode, requests, msg, features).await;
        let completed = ChaincodeMessage {
            r#type: Type::Completed as i32,
            payload: Bytes::from(response.encode_to_vec()),
            txid,
            channel_id,
            chaincode_event: event,
            ..Default::default()
        };
        peer.send(completed).await;
        // Only now: a draining server ends the stream once every COMPLETED is out.
        let idle = {
            let mut active = lock(&peer.active);
            active.remove(&key);
            active.is_empty()
        };
        if idle {
            peer.idle.notify_one();
        }
    });
}

/// Runs one INIT/TRANSACTION message against the chaincode and returns the response and event
/// to put in COMPLETED. Never panics: a panic in the chaincode becomes a 500 response.
pub(crate) async fn execute<C: Chaincode>(
    chaincode: &C,
    requests: Arc<dyn PeerRequests>,
    msg: ChaincodeMessage,
    features: PeerFeatures,
) -> (Response, Option<fabric_protos::protos::ChaincodeEvent>) {
    let is_init = msg.r#type == Type::Init as i32;
    let input = match ChaincodeInput::decode(msg.payload) {
        Ok(input) => input,
        Err(e) => {
            let text = format!(
                "the transaction payload is not a ChaincodeInput ({e}); the peer must send the \
                 client's arguments"
            );
            return (chaincode::error_with_status(400, text), None);
        }
    };
    let stub = Stub::new(
        msg.channel_id,
        msg.txid,
        input,
        msg.proposal,
        requests,
        features,
    );
    let run = async {
        if is_init {
            chaincode.init(stub.clone()).await
        } else {
            chaincode.invoke(stub.clone()).await
        }
    };
    let mut response = match AssertUnwindSafe(run).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let what = panic_text(&*panic);
            error!(txid = %stub.txid(), "chaincode panicked: {what}");
            chaincode::error(format!("chaincode panicked: {what}"))
        }
    };
    if response.status < chaincode::ERROR_THRESHOLD
        && let Err(e) = stub.flush_writes().await
    {
        response = chaincode::error(format!("writing the batched state failed: {e}"));
    }
    (response, stub.take_event())
}

fn panic_text(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

fn error_message(text: &str, txid: &str, channel_id: &str) -> ChaincodeMessage {
    ChaincodeMessage {
        r#type: Type::Error as i32,
        payload: Bytes::copy_from_slice(text.as_bytes()),
        txid: txid.to_owned(),
        channel_id: channel_id.to_owned(),
        ..Default::default()
    }
}

fn type_name(t: i32) -> String {
    Type::try_from(t)
        .map(|t| t.as_str_name().to_owned())
        .unwrap_or_else(|_| t.to_string())
}
