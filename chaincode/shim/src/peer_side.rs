//! The peer's end of a chaincode connection: what a Fabric peer does towards a chaincode served
//! as a service, for an embedded peer, test drivers and benchmarks.
//!
//! 1. [`ChaincodeDialer::connect`] dials the chaincode's address (plain text, or TLS with the
//!    server's root CA, optionally a client certificate, ALPN `h2`), opens
//!    `protos.Chaincode/Connect`, waits for REGISTER (the package id), answers REGISTERED and READY
//!    (with [`PeerFeatures`] as Fabric 3.1 does, or an empty payload as Fabric 2.5 does).
//! 2. [`ChaincodeConnection::execute`] sends one INIT/TRANSACTION and answers every request the
//!    chaincode makes for it (GET_STATE, PUT_STATE, …) with a [`RequestHandler`], until the
//!    chaincode sends COMPLETED or ERROR. Any number of executions run at once on one connection,
//!    as a peer does; each may have one request outstanding, as the peer enforces.
//!
//! ```no_run
//! # async fn example() -> fabric_chaincode::Result<()> {
//! use fabric_chaincode::peer_side::{ChaincodeDialer, ExecuteKind, Reply};
//! use fabric_chaincode::PeerFeatures;
//! use fabric_protos::protos::ChaincodeInput;
//!
//! let conn = ChaincodeDialer::new("127.0.0.1:9999")
//!     .features(PeerFeatures::FABRIC_3_1)
//!     .connect()
//!     .await?;
//! println!("chaincode registered as {}", conn.package_id());
//! let input = ChaincodeInput { args: vec!["ReadAsset".into(), "asset1".into()], ..Default::default() };
//! let done = conn
//!     .execute("mychannel", "txid-1", ExecuteKind::Transaction, &input, None, &|_req| async {
//!         Reply::ok(&b"{\"ID\":\"asset1\"}"[..])
//!     })
//!     .await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use fabric_protos::protos::chaincode_client::ChaincodeClient;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeId, ChaincodeInput, ChaincodeMessage, SignedProposal};
use futures_util::StreamExt;
use prost::Message;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;
use tracing::{debug, warn};

use crate::handler::OUTBOUND_QUEUE;
use crate::peer::PeerFeatures;
use crate::server::MAX_MESSAGE_SIZE;
use crate::sync::lock;
use crate::tls::ClientTlsConfig;
use crate::transport;
use crate::{Error, Result};

/// connection.json's default `dial_timeout`.
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the chaincode has to send REGISTER once the stream is open.
pub const DEFAULT_REGISTER_TIMEOUT: Duration = Duration::from_secs(10);
/// Fabric's `chaincode.executetimeout` default.
pub const DEFAULT_EXECUTE_TIMEOUT: Duration = Duration::from_secs(30);
/// After [`ChaincodeConnection::close`], how long the chaincode has to end its side.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Dials a chaincode server as a peer does.
#[derive(Debug, Clone)]
pub struct ChaincodeDialer {
    address: String,
    tls: Option<ClientTlsConfig>,
    dial_timeout: Duration,
    register_timeout: Duration,
    execute_timeout: Duration,
    features: PeerFeatures,
    expected_package_id: Option<String>,
}

impl ChaincodeDialer {
    /// Dials `address` (`host:port`) in plain text, advertising no features (an empty READY, as
    /// Fabric 2.5 and 3.0 send).
    pub fn new(address: impl Into<String>) -> Self {
        ChaincodeDialer {
            address: address.into(),
            tls: None,
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            register_timeout: DEFAULT_REGISTER_TIMEOUT,
            execute_timeout: DEFAULT_EXECUTE_TIMEOUT,
            features: PeerFeatures::default(),
            expected_package_id: None,
        }
    }

    /// Configures the dialer from a CCaaS `connection.json` as the peer reads it: `address`,
    /// `dial_timeout` (a duration string such as `"10s"`; a bare number is nanoseconds),
    /// `tls_required`, `client_auth_required`, `root_cert`, `client_cert`, `client_key` (PEM
    /// strings) and `domain` (the TLS name, used only with client auth, as the peer does).
    pub fn from_connection_json(json: &[u8]) -> Result<Self> {
        let c: ConnectionJson = serde_json::from_slice(json).map_err(|source| Error::Json {
            context: "reading connection.json (booleans must be JSON true/false, PEM values \
                      JSON strings)"
                .into(),
            source,
        })?;
        if c.address.trim().is_empty() {
            return Err(Error::Config(
                "connection.json: \"address\" is missing or empty; set it to the chaincode \
                 server's host:port"
                    .into(),
            ));
        }
        let mut dialer = ChaincodeDialer::new(c.address.trim());
        if let Some(timeout) = &c.dial_timeout {
            dialer.dial_timeout = match timeout {
                serde_json::Value::String(s) => parse_go_duration(s).map_err(|e| {
                    Error::Config(format!("connection.json: dial_timeout {s:?}: {e}"))
                })?,
                serde_json::Value::Number(n) => match n.as_u64() {
                    Some(ns) => Duration::from_nanos(ns),
                    None => {
                        return Err(Error::Config(format!(
                            "connection.json: dial_timeout {n} is not a whole number of \
                             nanoseconds; write a duration string such as \"10s\""
                        )));
                    }
                },
                other => {
                    return Err(Error::Config(format!(
                        "connection.json: dial_timeout must be a duration string such as \
                         \"10s\", not {other}"
                    )));
                }
            };
        }
        if c.tls_required {
            if c.root_cert.trim().is_empty() {
                return Err(Error::Config(
                    "connection.json: tls_required is true but root_cert is empty; set it to \
                     the PEM of the CA that signed the chaincode server's certificate"
                        .into(),
                ));
            }
            let tls = if c.client_auth_required {
                if c.client_cert.trim().is_empty() || c.client_key.trim().is_empty() {
                    return Err(Error::Config(
                        "connection.json: client_auth_required is true but client_cert or \
                         client_key is empty"
                            .into(),
                    ));
                }
                let tls = ClientTlsConfig::build(
                    c.root_cert.as_bytes(),
                    "connection.json root_cert",
                    Some((
                        c.client_cert.as_bytes(),
                        "connection.json client_cert",
                        c.client_key.as_bytes(),
                        "connection.json client_key",
                    )),
                )
                .map_err(Error::Config)?;
                tls.with_server_name(c.domain.trim())
            } else {
                ClientTlsConfig::build(c.root_cert.as_bytes(), "connection.json root_cert", None)
                    .map_err(Error::Config)?
            };
            dialer.tls = Some(tls);
        }
        Ok(dialer)
    }

    /// Dials with TLS.
    pub fn tls(mut self, tls: ClientTlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Bounds the TCP connect and TLS handshake ([`DEFAULT_DIAL_TIMEOUT`]).
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.dial_timeout = timeout;
        self
    }

    /// Bounds the wait for REGISTER ([`DEFAULT_REGISTER_TIMEOUT`]).
    pub fn register_timeout(mut self, timeout: Duration) -> Self {
        self.register_timeout = timeout;
        self
    }

    /// Bounds each execution ([`DEFAULT_EXECUTE_TIMEOUT`], Fabric's default).
    pub fn execute_timeout(mut self, timeout: Duration) -> Self {
        self.execute_timeout = timeout;
        self
    }

    /// What READY advertises. [`PeerFeatures::default()`] (nothing) sends an empty payload like
    /// Fabric 2.5/3.0; [`PeerFeatures::FABRIC_3_1`] what a 3.1 peer sends by default. The
    /// connection then refuses `WRITE_BATCH_STATE`/`GET_STATE_MULTIPLE` it did not advertise.
    pub fn features(mut self, features: PeerFeatures) -> Self {
        self.features = features;
        self
    }

    /// Refuses a chaincode that registers with another package id (the peer only accepts the id
    /// it is launching): it gets ERROR and the connection fails.
    pub fn expect_package_id(mut self, package_id: impl Into<String>) -> Self {
        self.expected_package_id = Some(package_id.into());
        self
    }

    /// The address dialed.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Opens a bare `Connect` stream: no handshake, every message up to the caller. For protocol
    /// tests and tools.
    pub async fn open_stream(&self) -> Result<RawStream> {
        let channel = transport::dial(&self.address, self.tls.as_ref(), self.dial_timeout).await?;
        let mut client = ChaincodeClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE);
        let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
        let (close_tx, close_rx) = watch::channel(false);
        let outbound = ReceiverStream::new(rx).take_until(closed(close_rx));
        let response = tokio::time::timeout(self.register_timeout, client.connect(outbound))
            .await
            .map_err(|_| Error::Timeout {
                what: format!("opening the Connect stream to {}", self.address),
                after: self.register_timeout,
            })??;
        Ok(RawStream {
            outbound: tx,
            inbound: response.into_inner(),
            close: close_tx,
        })
    }

    /// Dials, opens `Connect` and completes the handshake: REGISTER (from the chaincode),
    /// REGISTERED, READY.
    pub async fn connect(&self) -> Result<ChaincodeConnection> {
        let mut raw = self.open_stream().await?;
        let first = tokio::time::timeout(self.register_timeout, raw.recv())
            .await
            .map_err(|_| Error::Timeout {
                what: format!("REGISTER from the chaincode at {}", self.address),
                after: self.register_timeout,
            })??
            .ok_or_else(|| {
                Error::Protocol(format!(
                    "the chaincode at {} closed the stream before sending REGISTER",
                    self.address
                ))
            })?;
        if first.r#type != Type::Register as i32 {
            let text = format!(
                "expected REGISTER as the first message, got {}",
                type_name(first.r#type)
            );
            raw.send(error_message(&text, String::new(), String::new()))
                .await?;
            return Err(Error::Protocol(text));
        }
        let id = ChaincodeId::decode(first.payload)
            .map_err(Error::decode("REGISTER payload (ChaincodeID)"))?;
        if id.name.is_empty() {
            let text = "REGISTER carries an empty chaincode id";
            raw.send(error_message(text, String::new(), String::new()))
                .await?;
            return Err(Error::Protocol(text.into()));
        }
        if let Some(expected) = &self.expected_package_id
            && id.name != *expected
        {
            let text = format!(
                "chaincode registered as {:?}, but the peer expects package id {expected:?}",
                id.name
            );
            raw.send(error_message(&text, String::new(), String::new()))
                .await?;
            return Err(Error::Protocol(text));
        }
        raw.send(ChaincodeMessage {
            r#type: Type::Registered as i32,
            ..Default::default()
        })
        .await?;
        raw.send(ChaincodeMessage {
            r#type: Type::Ready as i32,
            payload: Bytes::from(self.features.to_params().encode_to_vec()),
            ..Default::default()
        })
        .await?;
        debug!(package_id = %id.name, address = %self.address, "chaincode registered");

        let RawStream {
            outbound,
            inbound,
            close,
        } = raw;
        let shared = Arc::new(Shared {
            routes: Mutex::new(Routes::default()),
            keepalives: watch::channel(0).0,
            ended: watch::channel(false).0,
        });
        let close_rx = close.subscribe();
        tokio::spawn(read_loop(inbound, Arc::clone(&shared), close_rx));
        Ok(ChaincodeConnection {
            inner: Arc::new(ConnInner {
                package_id: id.name,
                address: self.address.clone(),
                outbound,
                shared,
                close,
                execute_timeout: self.execute_timeout,
                features: self.features,
            }),
        })
    }
}

/// connection.json as the peer parses it.
#[derive(Debug, Deserialize)]
struct ConnectionJson {
    #[serde(default)]
    address: String,
    #[serde(default)]
    dial_timeout: Option<serde_json::Value>,
    #[serde(default)]
    tls_required: bool,
    #[serde(default)]
    client_auth_required: bool,
    #[serde(default)]
    client_key: String,
    #[serde(default)]
    client_cert: String,
    #[serde(default)]
    root_cert: String,
    #[serde(default)]
    domain: String,
}

/// Completes when `close` turns true or its sender is gone.
async fn closed(mut close: watch::Receiver<bool>) {
    let _ = close.wait_for(|c| *c).await;
}

/// A bare `Connect` stream ([`ChaincodeDialer::open_stream`]).
#[derive(Debug)]
pub struct RawStream {
    outbound: mpsc::Sender<ChaincodeMessage>,
    inbound: Streaming<ChaincodeMessage>,
    close: watch::Sender<bool>,
}

impl RawStream {
    /// Sends one message to the chaincode.
    pub async fn send(&self, msg: ChaincodeMessage) -> Result<()> {
        self.outbound
            .send(msg)
            .await
            .map_err(|_| Error::Transport("the stream to the chaincode is closed".into()))
    }

    /// The next message from the chaincode; `None` when it has ended the stream.
    pub async fn recv(&mut self) -> Result<Option<ChaincodeMessage>> {
        Ok(self.inbound.message().await?)
    }

    /// Ends the peer's side of the stream (the chaincode sees its inbound end).
    pub fn close_send(&self) {
        self.close.send_replace(true);
    }
}

/// How the chaincode is asked to run: INIT (init-required definition, client asked for init) or
/// TRANSACTION.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecuteKind {
    /// An INIT message.
    Init,
    /// A TRANSACTION message.
    Transaction,
}

/// One request of the chaincode during an execution.
#[derive(Debug, Clone)]
pub struct ChaincodeRequest {
    /// GET_STATE, PUT_STATE, … (types 8–25 except RESPONSE and KEEPALIVE).
    pub kind: Type,
    /// The request message, serialized (GetState, PutState, …; see the Fabric protocol).
    pub payload: Bytes,
    /// The transaction's channel.
    pub channel_id: Arc<str>,
    /// The transaction id.
    pub txid: Arc<str>,
}

impl ChaincodeRequest {
    /// Decodes the payload as `M` (e.g. `GetState`).
    pub fn decode<M: Message + Default>(&self) -> Result<M> {
        M::decode(self.payload.clone()).map_err(|source| Error::Decode {
            what: "chaincode request payload",
            source,
        })
    }
}

/// The peer's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// RESPONSE with this payload.
    Response(Bytes),
    /// ERROR with this text.
    Error(String),
}

impl Reply {
    /// RESPONSE with `payload`.
    pub fn ok(payload: impl Into<Bytes>) -> Reply {
        Reply::Response(payload.into())
    }

    /// RESPONSE with an empty payload (PUT_STATE, DEL_STATE, … and GET_STATE of a missing key).
    pub fn empty() -> Reply {
        Reply::Response(Bytes::new())
    }

    /// ERROR with `text`.
    pub fn error(text: impl Into<String>) -> Reply {
        Reply::Error(text.into())
    }
}

/// Answers the chaincode's requests during an execution: the peer's ledger simulation.
///
/// Closures `Fn(ChaincodeRequest) -> impl Future<Output = Reply>` implement it.
pub trait RequestHandler: Send + Sync {
    /// Answers one request.
    fn handle(&self, request: ChaincodeRequest) -> impl Future<Output = Reply> + Send;
}

impl<F, Fut> RequestHandler for F
where
    F: Fn(ChaincodeRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Reply> + Send,
{
    fn handle(&self, request: ChaincodeRequest) -> impl Future<Output = Reply> + Send {
        self(request)
    }
}

/// An established connection to a chaincode ([`ChaincodeDialer::connect`]). Cheap to clone;
/// the stream closes when the last clone is dropped or on [`ChaincodeConnection::close`].
#[derive(Clone)]
pub struct ChaincodeConnection {
    inner: Arc<ConnInner>,
}

impl std::fmt::Debug for ChaincodeConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChaincodeConnection")
            .field("package_id", &self.inner.package_id)
            .field("address", &self.inner.address)
            .finish_non_exhaustive()
    }
}

struct ConnInner {
    package_id: String,
    address: String,
    outbound: mpsc::Sender<ChaincodeMessage>,
    shared: Arc<Shared>,
    /// true = end the peer's side of the stream. Dropped with the last clone: the same.
    close: watch::Sender<bool>,
    execute_timeout: Duration,
    features: PeerFeatures,
}

/// State shared with the reading task.
struct Shared {
    routes: Mutex<Routes>,
    /// Counts KEEPALIVE messages received.
    keepalives: watch::Sender<u64>,
    /// Turns true when the stream has ended.
    ended: watch::Sender<bool>,
}

#[derive(Default)]
struct Routes {
    /// Running executions by txid, then channel (looked up without allocating).
    executions: HashMap<String, Vec<(String, mpsc::UnboundedSender<ChaincodeMessage>)>>,
    /// Why the stream ended, once it has.
    ended: Option<String>,
}

impl ChaincodeConnection {
    /// The package id the chaincode registered with.
    pub fn package_id(&self) -> &str {
        &self.inner.package_id
    }

    /// What READY advertised.
    pub fn features(&self) -> PeerFeatures {
        self.inner.features
    }

    /// Whether the stream has ended.
    pub fn is_closed(&self) -> bool {
        lock(&self.inner.shared.routes).ended.is_some()
    }

    /// Runs one INIT/TRANSACTION: sends it with `input` and `proposal`, answers the chaincode's
    /// requests with `handler`, and returns the chaincode's final message: COMPLETED (payload =
    /// `protos.Response`, maybe a `chaincode_event`) or ERROR (payload = text).
    ///
    /// Fails if the stream ends, the execute timeout passes, the chaincode sends a second request
    /// while one is outstanding (a Fabric peer drops it and the transaction times out), or uses a
    /// feature READY did not advertise.
    pub async fn execute<H: RequestHandler>(
        &self,
        channel_id: &str,
        txid: &str,
        kind: ExecuteKind,
        input: &ChaincodeInput,
        proposal: Option<SignedProposal>,
        handler: &H,
    ) -> Result<ChaincodeMessage> {
        let payload = Bytes::from(input.encode_to_vec());
        self.execute_encoded(channel_id, txid, kind, payload, proposal, handler)
            .await
    }

    /// As [`ChaincodeConnection::execute`] with the `ChaincodeInput` already serialized (e.g. the
    /// bytes from the client's proposal).
    pub async fn execute_encoded<H: RequestHandler>(
        &self,
        channel_id: &str,
        txid: &str,
        kind: ExecuteKind,
        input: Bytes,
        proposal: Option<SignedProposal>,
        handler: &H,
    ) -> Result<ChaincodeMessage> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        {
            let mut routes = lock(&self.inner.shared.routes);
            if let Some(why) = &routes.ended {
                return Err(Error::Transport(format!(
                    "the stream to chaincode {} has ended ({why})",
                    self.inner.package_id
                )));
            }
            let same_txid = routes.executions.entry(txid.to_owned()).or_default();
            if same_txid.iter().any(|(c, _)| c == channel_id) {
                return Err(Error::InvalidArgument(format!(
                    "transaction {txid} on channel {channel_id:?} is already executing on this \
                     connection"
                )));
            }
            same_txid.push((channel_id.to_owned(), tx));
        }
        // Removes the route however this execution ends (including being cancelled).
        let _route = RouteGuard {
            shared: &self.inner.shared,
            channel_id,
            txid,
        };
        let msg = ChaincodeMessage {
            r#type: match kind {
                ExecuteKind::Init => Type::Init,
                ExecuteKind::Transaction => Type::Transaction,
            } as i32,
            payload: input,
            txid: txid.to_owned(),
            channel_id: channel_id.to_owned(),
            proposal,
            ..Default::default()
        };
        self.send(msg).await?;
        let channel: Arc<str> = channel_id.into();
        let tx_id: Arc<str> = txid.into();
        let timeout = self.inner.execute_timeout;
        tokio::time::timeout(timeout, self.converse(&mut rx, handler, channel, tx_id))
            .await
            .map_err(|_| Error::Timeout {
                what: format!(
                    "transaction {txid} on chaincode {} (no COMPLETED)",
                    self.inner.package_id
                ),
                after: timeout,
            })?
    }

    async fn converse<H: RequestHandler>(
        &self,
        rx: &mut mpsc::UnboundedReceiver<ChaincodeMessage>,
        handler: &H,
        channel_id: Arc<str>,
        txid: Arc<str>,
    ) -> Result<ChaincodeMessage> {
        loop {
            let msg = rx.recv().await.ok_or_else(|| self.ended_error())?;
            let kind = match Type::try_from(msg.r#type) {
                Ok(Type::Completed | Type::Error) => return Ok(msg),
                Ok(kind) if is_request(kind) => kind,
                _ => {
                    return Err(Error::Protocol(format!(
                        "chaincode sent {} during transaction {txid}; a peer ends the stream \
                         for that",
                        type_name(msg.r#type)
                    )));
                }
            };
            let refused = match kind {
                Type::WriteBatchState => self.inner.features.write_batch.is_none(),
                Type::GetStateMultiple => self.inner.features.get_multiple.is_none(),
                _ => false,
            };
            if refused {
                return Err(Error::Protocol(format!(
                    "chaincode sent {} but READY did not advertise it; a Fabric 2.5/3.0 peer \
                     ends the stream for that",
                    kind.as_str_name()
                )));
            }
            let ChaincodeMessage {
                payload,
                txid: reply_txid,
                channel_id: reply_channel,
                ..
            } = msg;
            let request = ChaincodeRequest {
                kind,
                payload,
                channel_id: Arc::clone(&channel_id),
                txid: Arc::clone(&txid),
            };
            let handling = handler.handle(request);
            tokio::pin!(handling);
            let reply = tokio::select! {
                reply = &mut handling => reply,
                extra = rx.recv() => {
                    return Err(match extra {
                        Some(extra) => Error::Protocol(format!(
                            "chaincode sent {} for transaction {txid} while its {} was still \
                             unanswered; a Fabric peer drops such a request and the transaction \
                             times out",
                            type_name(extra.r#type),
                            kind.as_str_name()
                        )),
                        None => self.ended_error(),
                    });
                }
            };
            let (r#type, payload) = match reply {
                Reply::Response(p) => (Type::Response, p),
                Reply::Error(text) => (Type::Error, Bytes::from(text.into_bytes())),
            };
            self.send(ChaincodeMessage {
                r#type: r#type as i32,
                payload,
                txid: reply_txid,
                channel_id: reply_channel,
                ..Default::default()
            })
            .await?;
        }
    }

    /// Sends KEEPALIVE and waits for the chaincode's echo (bounded by the execute timeout).
    pub async fn keepalive(&self) -> Result<()> {
        let mut echoes = self.inner.shared.keepalives.subscribe();
        let seen = *echoes.borrow_and_update();
        self.send(ChaincodeMessage {
            r#type: Type::Keepalive as i32,
            ..Default::default()
        })
        .await?;
        let mut ended = self.inner.shared.ended.subscribe();
        let timeout = self.inner.execute_timeout;
        let echo = async {
            tokio::select! {
                echo = echoes.wait_for(|n| *n > seen) => echo.map(|_| ()).map_err(|_| ()),
                _ = ended.wait_for(|e| *e) => Err(()),
            }
        };
        tokio::time::timeout(timeout, echo)
            .await
            .map_err(|_| Error::Timeout {
                what: "the chaincode's KEEPALIVE echo".into(),
                after: timeout,
            })?
            .map_err(|()| self.ended_error())
    }

    /// Ends the peer's side of the stream and waits (a few seconds at most) for the chaincode to
    /// end its side.
    pub async fn close(&self) {
        self.inner.close.send_replace(true);
        let mut ended = self.inner.shared.ended.subscribe();
        let _ = tokio::time::timeout(CLOSE_WAIT, ended.wait_for(|e| *e)).await;
    }

    async fn send(&self, msg: ChaincodeMessage) -> Result<()> {
        self.inner
            .outbound
            .send(msg)
            .await
            .map_err(|_| self.ended_error())
    }

    fn ended_error(&self) -> Error {
        let why = lock(&self.inner.shared.routes)
            .ended
            .clone()
            .unwrap_or_else(|| "closed".into());
        Error::Transport(format!(
            "the stream to chaincode {} has ended ({why})",
            self.inner.package_id
        ))
    }
}

struct RouteGuard<'a> {
    shared: &'a Shared,
    channel_id: &'a str,
    txid: &'a str,
}

impl Drop for RouteGuard<'_> {
    fn drop(&mut self) {
        let mut routes = lock(&self.shared.routes);
        if let Some(same_txid) = routes.executions.get_mut(self.txid) {
            same_txid.retain(|(c, _)| c != self.channel_id);
            if same_txid.is_empty() {
                routes.executions.remove(self.txid);
            }
        }
    }
}

/// Reads the chaincode's messages and hands each to its execution.
async fn read_loop(
    mut inbound: Streaming<ChaincodeMessage>,
    shared: Arc<Shared>,
    close: watch::Receiver<bool>,
) {
    let closing = closed(close);
    tokio::pin!(closing);
    let mut deadline = None;
    let why = loop {
        let next = tokio::select! {
            next = inbound.message() => next,
            () = &mut closing, if deadline.is_none() => {
                deadline = Some(Box::pin(tokio::time::sleep(CLOSE_WAIT)));
                continue;
            }
            () = async { if let Some(d) = deadline.as_mut() { d.await } }, if deadline.is_some() => {
                break "closed by the peer side; the chaincode did not end its side in time".to_owned();
            }
        };
        let msg = match next {
            Ok(Some(msg)) => msg,
            Ok(None) => break "the chaincode ended the stream".to_owned(),
            Err(status) => {
                break format!("stream failed: {} ({:?})", status.message(), status.code());
            }
        };
        if msg.r#type == Type::Keepalive as i32 {
            shared.keepalives.send_modify(|n| *n += 1);
            continue;
        }
        let route = lock(&shared.routes)
            .executions
            .get(msg.txid.as_str())
            .and_then(|same_txid| same_txid.iter().find(|(c, _)| *c == msg.channel_id))
            .map(|(_, route)| route.clone());
        match route {
            Some(route) => {
                // The execution may have just ended (timeout): then the message has no taker.
                let _ = route.send(msg);
            }
            None if msg.r#type == Type::Error as i32 => warn!(
                txid = %msg.txid,
                channel = %msg.channel_id,
                "chaincode sent ERROR outside any execution: {}",
                String::from_utf8_lossy(&msg.payload)
            ),
            None => debug!(
                txid = %msg.txid,
                channel = %msg.channel_id,
                r#type = %type_name(msg.r#type),
                "message for no running execution; dropped"
            ),
        }
    };
    debug!("chaincode stream ended: {why}");
    let mut routes = lock(&shared.routes);
    routes.ended = Some(why);
    routes.executions.clear();
    drop(routes);
    shared.ended.send_replace(true);
}

/// The chaincode→peer request types (everything a chaincode sends during an execution except
/// its final COMPLETED/ERROR).
fn is_request(kind: Type) -> bool {
    matches!(
        kind,
        Type::GetState
            | Type::PutState
            | Type::DelState
            | Type::InvokeChaincode
            | Type::GetStateByRange
            | Type::GetQueryResult
            | Type::QueryStateNext
            | Type::QueryStateClose
            | Type::GetHistoryForKey
            | Type::GetStateMetadata
            | Type::PutStateMetadata
            | Type::GetPrivateDataHash
            | Type::PurgePrivateData
            | Type::WriteBatchState
            | Type::GetStateMultiple
    )
}

fn error_message(text: &str, txid: String, channel_id: String) -> ChaincodeMessage {
    ChaincodeMessage {
        r#type: Type::Error as i32,
        payload: Bytes::copy_from_slice(text.as_bytes()),
        txid,
        channel_id,
        ..Default::default()
    }
}

fn type_name(t: i32) -> String {
    Type::try_from(t)
        .map(|t| t.as_str_name().to_owned())
        .unwrap_or_else(|_| format!("unknown type {t}"))
}

/// Parses a Go duration string (`"10s"`, `"1m30s"`, `"500ms"`, `"1.5h"`, `"0"`).
pub fn parse_go_duration(text: &str) -> std::result::Result<Duration, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("{:?} is not a number", &rest[..number_len]))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err("a unit is missing (ns, us, ms, s, m, h)".into()),
            other => return Err(format!("unknown unit {other:?} (use ns, us, ms, s, m, h)")),
        };
        rest = &rest[unit_len..];
        total += number * seconds_per_unit;
    }
    Duration::try_from_secs_f64(total).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_go_duration("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_go_duration("10").is_err());
        assert!(parse_go_duration("ten seconds").is_err());
        assert!(parse_go_duration("5d").is_err());
    }

    #[test]
    fn connection_json_types() {
        let ok = br#"{"address":"cc:9999","dial_timeout":"10s","tls_required":false}"#;
        let d = ChaincodeDialer::from_connection_json(ok).unwrap();
        assert_eq!(d.address(), "cc:9999");
        assert_eq!(d.dial_timeout, Duration::from_secs(10));

        let string_bool = br#"{"address":"cc:9999","tls_required":"true"}"#;
        let err = ChaincodeDialer::from_connection_json(string_bool)
            .unwrap_err()
            .to_string();
        assert!(err.contains("boolean"), "{err}");

        let no_root = br#"{"address":"cc:9999","tls_required":true}"#;
        let err = ChaincodeDialer::from_connection_json(no_root)
            .unwrap_err()
            .to_string();
        assert!(err.contains("root_cert"), "{err}");

        let nanos = br#"{"address":"cc:9999","dial_timeout":2000000000}"#;
        let d = ChaincodeDialer::from_connection_json(nanos).unwrap();
        assert_eq!(d.dial_timeout, Duration::from_secs(2));
    }
}
