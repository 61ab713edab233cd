//! The chaincode-as-a-service server: the gRPC service `protos.Chaincode/Connect` a peer dials
//! ([`ConnectService`]) and the server around it ([`ChaincodeServer`]): TCP listener, TLS or mutual
//! TLS (rustls), HTTP/2 settings a Fabric peer expects, graceful shutdown on SIGTERM and Ctrl-C.
//!
//! ```no_run
//! # use fabric_chaincode::{Chaincode, Stub, Response};
//! # struct MyChaincode;
//! # impl Chaincode for MyChaincode {
//! #     async fn invoke(&self, _stub: Stub) -> Response { fabric_chaincode::chaincode::success("") }
//! # }
//! #[tokio::main]
//! async fn main() -> Result<(), fabric_chaincode::Error> {
//!     // Flags and environment decide: server (CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID, TLS
//!     // settings) or classic mode (CORE_PEER_ADDRESS).
//!     fabric_chaincode::run(MyChaincode).await
//! }
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use fabric_protos::protos::ChaincodeMessage;
use fabric_protos::protos::chaincode_server;
use futures_util::{Stream, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, warn};

use crate::chaincode::Chaincode;
use crate::config::{Config, ServerConfig};
use crate::handler::{OUTBOUND_QUEUE, Phase, Shutdown, serve_stream_until};
use crate::tls::ServerTlsConfig;
use crate::transport::{self, KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT};
use crate::{Error, Result};

/// Fabric's gRPC message size limit (100 MiB) for both directions.
pub const MAX_MESSAGE_SIZE: usize = 100 * 1024 * 1024;

/// How long running transactions may take to finish after a shutdown signal: the peer's default
/// execute timeout, after which the peer has given up on them anyway.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// After the grace period, how long to wait for connections to close before returning anyway.
const FORCED_CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The `protos.Chaincode` service: every `Connect` stream is one peer, served by
/// [`serve_stream`](crate::handler::serve_stream).
pub struct ConnectService<C> {
    chaincode: Arc<C>,
    package_id: Arc<str>,
    shutdown: Shutdown,
}

impl<C: Chaincode> ConnectService<C> {
    /// A service that registers as `package_id` (`label:sha256`, the installed package id).
    pub fn new(chaincode: Arc<C>, package_id: impl Into<Arc<str>>) -> Self {
        ConnectService {
            chaincode,
            package_id: package_id.into(),
            shutdown: Shutdown::never(),
        }
    }

    /// Follows a server's shutdown phases.
    pub(crate) fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// The tonic service with Fabric's 100 MiB message limits.
    pub fn into_server(self) -> chaincode_server::ChaincodeServer<Self> {
        chaincode_server::ChaincodeServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE)
    }
}

/// The messages to the peer on one `Connect` stream.
pub type ConnectStream = Pin<Box<dyn Stream<Item = Result<ChaincodeMessage, Status>> + Send>>;

#[tonic::async_trait]
impl<C: Chaincode> chaincode_server::Chaincode for ConnectService<C> {
    type ConnectStream = ConnectStream;

    async fn connect(
        &self,
        request: Request<Streaming<ChaincodeMessage>>,
    ) -> Result<Response<Self::ConnectStream>, Status> {
        let remote = request.remote_addr();
        info!(?remote, "peer connected");
        let inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
        let chaincode = Arc::clone(&self.chaincode);
        let package_id = Arc::clone(&self.package_id);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            match serve_stream_until(chaincode, &package_id, inbound, tx, shutdown).await {
                Ok(()) => info!(?remote, "peer stream ended"),
                Err(e) => warn!(?remote, "peer stream ended: {e}"),
            }
        });
        let mut forced = self.shutdown.clone();
        let outbound = ReceiverStream::new(rx)
            .map(Ok)
            // After the grace period the stream ends even if transactions still run.
            .take_until(async move { forced.reached(Phase::Forced).await });
        Ok(Response::new(Box::pin(outbound)))
    }
}

/// A chaincode server: where it listens, the package id it registers as, its TLS, and how long it
/// lets transactions finish when stopped.
///
/// ```no_run
/// # use fabric_chaincode::{Chaincode, ChaincodeServer, Stub, Response};
/// # struct MyChaincode;
/// # impl Chaincode for MyChaincode {
/// #     async fn invoke(&self, _stub: Stub) -> Response { fabric_chaincode::chaincode::success("") }
/// # }
/// # async fn example() -> fabric_chaincode::Result<()> {
/// ChaincodeServer::new("0.0.0.0:9999", "mycc_1.0:4f2a…")
///     .serve(MyChaincode)
///     .await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ChaincodeServer {
    address: String,
    package_id: String,
    tls: Option<ServerTlsConfig>,
    shutdown_grace: Duration,
}

impl ChaincodeServer {
    /// A plain-text server on `address` (`host:port`; port 0 picks a free port) registering as
    /// `package_id`.
    pub fn new(address: impl Into<String>, package_id: impl Into<String>) -> Self {
        ChaincodeServer {
            address: address.into(),
            package_id: package_id.into(),
            tls: None,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// A server as configured by flags and environment ([`Config`]).
    pub fn from_config(config: ServerConfig) -> Self {
        ChaincodeServer {
            address: config.address,
            package_id: config.package_id,
            tls: config.tls,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// A server configured by this process's flags and environment. Fails if they configure
    /// classic mode instead.
    pub fn from_env() -> Result<Self> {
        match Config::from_env()? {
            Config::Server(config) => Ok(Self::from_config(config)),
            Config::Classic(_) => Err(Error::Config(
                "the flags and environment configure classic mode (a peer address and no \
                 listen address); set CHAINCODE_SERVER_ADDRESS to serve"
                    .into(),
            )),
        }
    }

    /// Serves TLS (mutual TLS if `tls` has a client CA).
    pub fn tls(mut self, tls: ServerTlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// How long running transactions may take after a shutdown signal
    /// ([`DEFAULT_SHUTDOWN_GRACE`] by default).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The configured listen address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The package id sent in REGISTER.
    pub fn package_id(&self) -> &str {
        &self.package_id
    }

    /// Binds the listening socket (so the port is known, e.g. after asking for port 0).
    pub async fn bind(self) -> Result<BoundServer> {
        if self.package_id.is_empty() {
            return Err(Error::Config(
                "the package id is empty; set it to the installed package id (label:sha256)".into(),
            ));
        }
        let listener = TcpListener::bind(&self.address)
            .await
            .map_err(Error::io(format!("listening on {}", self.address)))?;
        let local_addr = listener
            .local_addr()
            .map_err(Error::io("reading the listening address"))?;
        Ok(BoundServer {
            listener,
            local_addr,
            server: self,
        })
    }

    /// Binds and serves until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn serve<C: Chaincode>(self, chaincode: C) -> Result<()> {
        self.bind().await?.serve(chaincode).await
    }

    /// Binds and serves until `signal` completes, then shuts down gracefully.
    pub async fn serve_with_shutdown<C, F>(self, chaincode: C, signal: F) -> Result<()>
    where
        C: Chaincode,
        F: Future<Output = ()> + Send,
    {
        self.bind()
            .await?
            .serve_with_shutdown(chaincode, signal)
            .await
    }
}

/// A [`ChaincodeServer`] with its socket bound, not yet serving.
#[derive(Debug)]
pub struct BoundServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    server: ChaincodeServer,
}

impl BoundServer {
    /// The address the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn serve<C: Chaincode>(self, chaincode: C) -> Result<()> {
        let signal = termination_signal();
        self.serve_with_shutdown(chaincode, signal).await
    }

    /// Serves until `signal` completes. Then: no new connections, streams or transactions
    /// (a transaction arriving now gets ERROR); running transactions may finish within the
    /// grace period; each stream ends once its transactions are done; after the grace period
    /// the remaining streams are ended.
    pub async fn serve_with_shutdown<C, F>(self, chaincode: C, signal: F) -> Result<()>
    where
        C: Chaincode,
        F: Future<Output = ()> + Send,
    {
        let BoundServer {
            listener,
            local_addr,
            server,
        } = self;
        let (phase_tx, phase_rx) = watch::channel(Phase::Running);
        let service = ConnectService::new(Arc::new(chaincode), server.package_id.as_str())
            .with_shutdown(Shutdown::new(phase_rx.clone()))
            .into_server();
        let incoming = transport::incoming(listener, server.tls.as_ref());
        let mut stop_accepting = Shutdown::new(phase_rx);
        let serving = tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
            .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
            .serve_with_incoming_shutdown(service, incoming, async move {
                stop_accepting.reached(Phase::Draining).await
            });
        tokio::pin!(serving);
        info!(
            address = %local_addr,
            tls = server.tls.is_some(),
            mutual_tls = server.tls.as_ref().is_some_and(|t| t.requires_client_certificate()),
            package_id = %server.package_id,
            "chaincode server listening"
        );
        tokio::select! {
            result = &mut serving => return result.map_err(transport_error),
            () = signal => {}
        }
        let grace = server.shutdown_grace;
        phase_tx.send_replace(Phase::Draining);
        info!(
            "shutting down: no new connections or transactions; running transactions have \
             {grace:?} to finish"
        );
        match tokio::time::timeout(grace, &mut serving).await {
            Ok(result) => {
                info!("chaincode server stopped");
                result.map_err(transport_error)
            }
            Err(_) => {
                warn!("grace period of {grace:?} over; ending the streams still open");
                phase_tx.send_replace(Phase::Forced);
                match tokio::time::timeout(FORCED_CLOSE_WAIT, &mut serving).await {
                    Ok(result) => result.map_err(transport_error),
                    Err(_) => {
                        warn!("connections still open after the grace period; leaving them");
                        Ok(())
                    }
                }
            }
        }
    }
}

fn transport_error(e: tonic::transport::Error) -> Error {
    Error::Transport(transport::error_chain(&e))
}

/// Completes on SIGTERM (Unix) or Ctrl-C. The SIGTERM handler is installed when this is called,
/// so call it before the process can receive the signal.
pub fn termination_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let sigterm = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => Some(s),
        Err(e) => {
            warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops the server gracefully");
            None
        }
    };
    async move {
        let ctrl_c = async {
            match tokio::signal::ctrl_c().await {
                Ok(()) => info!("Ctrl-C received"),
                Err(e) => {
                    warn!("cannot listen for Ctrl-C ({e})");
                    std::future::pending::<()>().await;
                }
            }
        };
        #[cfg(unix)]
        if let Some(mut sigterm) = sigterm {
            tokio::select! {
                _ = sigterm.recv() => info!("SIGTERM received"),
                () = ctrl_c => {}
            }
            return;
        }
        ctrl_c.await;
    }
}
