//! The byte streams under gRPC: a TCP listener whose connections are TLS-accepted concurrently
//! (one slow or hostile client never holds up the others), and a connector that dials TCP and
//! TLS for tonic channels. Both set TCP_NODELAY and insist on ALPN `h2` under TLS.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tonic::transport::{Channel, Endpoint, Uri};
use tracing::{debug, warn};

use crate::tls::{ALPN_H2, ClientTlsConfig, ServerTlsConfig};
use crate::{Error, Result};

/// How long a client has to finish the TLS handshake (Go's shim: 5 s connection timeout).
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// HTTP/2 keepalive, as Fabric's peer and Go shim use on both ends: ping after 60 s of silence,
/// give up 20 s later.
pub(crate) const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
pub(crate) const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Accepted connections queued for tonic.
const ACCEPT_QUEUE: usize = 64;

/// Pause after an accept error that is not the client's fault (out of file descriptors...).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

// ------------------------------------------------------------------------------------- server

enum ServerIo {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// One accepted connection, plain or TLS.
pub(crate) struct ServerConn {
    io: ServerIo,
    info: TcpConnectInfo,
}

impl Connected for ServerConn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.info.clone()
    }
}

macro_rules! delegate_io {
    ($ty:ty, $plain:path, $tls:path) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                match &mut self.get_mut().io {
                    $plain(s) => Pin::new(s).poll_read(cx, buf),
                    $tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
                }
            }
        }

        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                match &mut self.get_mut().io {
                    $plain(s) => Pin::new(s).poll_write(cx, buf),
                    $tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
                }
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                match &mut self.get_mut().io {
                    $plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
                    $tls(s) => Pin::new(&mut **s).poll_write_vectored(cx, bufs),
                }
            }

            fn is_write_vectored(&self) -> bool {
                match &self.io {
                    $plain(s) => s.is_write_vectored(),
                    $tls(s) => s.is_write_vectored(),
                }
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match &mut self.get_mut().io {
                    $plain(s) => Pin::new(s).poll_flush(cx),
                    $tls(s) => Pin::new(&mut **s).poll_flush(cx),
                }
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match &mut self.get_mut().io {
                    $plain(s) => Pin::new(s).poll_shutdown(cx),
                    $tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
                }
            }
        }
    };
}

delegate_io!(ServerConn, ServerIo::Plain, ServerIo::Tls);

/// The stream of accepted (and, with TLS, handshaken) connections tonic serves. Dropping it stops
/// the accept loop and closes the listening socket.
pub(crate) type Incoming = ReceiverStream<std::result::Result<ServerConn, io::Error>>;

/// Starts accepting on `listener`. TLS handshakes run concurrently, each bounded by
/// [`HANDSHAKE_TIMEOUT`]; failed handshakes are logged and dropped.
pub(crate) fn incoming(listener: TcpListener, tls: Option<&ServerTlsConfig>) -> Incoming {
    let (tx, rx) = mpsc::channel(ACCEPT_QUEUE);
    let acceptor = tls.map(|t| TlsAcceptor::from(t.rustls_config()));
    tokio::spawn(accept_loop(listener, acceptor, tx));
    ReceiverStream::new(rx)
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    tx: mpsc::Sender<std::result::Result<ServerConn, io::Error>>,
) {
    loop {
        let accepted = tokio::select! {
            _ = tx.closed() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, remote) = match accepted {
            Ok(pair) => pair,
            Err(e) if is_per_connection_error(&e) => {
                debug!("accept: {e}");
                continue;
            }
            Err(e) => {
                warn!("accepting a connection failed: {e}; retrying");
                tokio::select! {
                    _ = tx.closed() => break,
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        if let Err(e) = tcp.set_nodelay(true) {
            debug!(%remote, "TCP_NODELAY: {e}");
        }
        let info = TcpConnectInfo {
            local_addr: tcp.local_addr().ok(),
            remote_addr: Some(remote),
        };
        match &acceptor {
            None => {
                debug!(%remote, "connection accepted");
                let conn = ServerConn {
                    io: ServerIo::Plain(tcp),
                    info,
                };
                if tx.send(Ok(conn)).await.is_err() {
                    break;
                }
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tls_accept(&acceptor, tcp, remote).await {
                        Ok(tls) => {
                            let conn = ServerConn {
                                io: ServerIo::Tls(Box::new(tls)),
                                info,
                            };
                            // The server may be shutting down: then nobody takes it.
                            let _ = tx.send(Ok(conn)).await;
                        }
                        Err(e) => warn!(%remote, "TLS connection refused: {e}"),
                    }
                });
            }
        }
    }
    debug!("stopped accepting connections");
}

async fn tls_accept(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    remote: SocketAddr,
) -> Result<tokio_rustls::server::TlsStream<TcpStream>> {
    let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
        .await
        .map_err(|_| Error::Timeout {
            what: format!("TLS handshake with {remote}"),
            after: HANDSHAKE_TIMEOUT,
        })?
        .map_err(|e| Error::Tls(format!("handshake with {remote} failed: {e}")))?;
    let (_, conn) = tls.get_ref();
    if conn.alpn_protocol() != Some(ALPN_H2) {
        return Err(Error::Tls(format!(
            "{remote} did not negotiate ALPN \"h2\"; gRPC over TLS requires it"
        )));
    }
    Ok(tls)
}

/// Accept errors that concern one connection only (the client gave up before we took it).
fn is_per_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

// ------------------------------------------------------------------------------------- client

enum ClientIoKind {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// One dialed connection, plain or TLS.
pub(crate) struct ClientIo {
    io: ClientIoKind,
}

delegate_io!(ClientIo, ClientIoKind::Plain, ClientIoKind::Tls);

/// Dials `address` for tonic: TCP with TCP_NODELAY, then TLS with ALPN `h2` when configured.
#[derive(Clone)]
pub(crate) struct Connector {
    address: Arc<str>,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Connector {
    pub(crate) fn new(address: &str, tls: Option<&ClientTlsConfig>) -> Result<Self> {
        let tls = match tls {
            Some(t) => Some((
                TlsConnector::from(t.rustls_config()),
                t.server_name_for(address)?,
            )),
            None => None,
        };
        Ok(Connector {
            address: address.into(),
            tls,
        })
    }

    async fn dial(self) -> Result<ClientIo> {
        let address = &*self.address;
        let tcp = TcpStream::connect(address)
            .await
            .map_err(Error::io(format!("connecting to {address}")))?;
        if let Err(e) = tcp.set_nodelay(true) {
            debug!(%address, "TCP_NODELAY: {e}");
        }
        let Some((connector, name)) = self.tls else {
            return Ok(ClientIo {
                io: ClientIoKind::Plain(tcp),
            });
        };
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| Error::Tls(format!("handshake with {address} failed: {e}")))?;
        let (_, conn) = tls.get_ref();
        if conn.alpn_protocol() != Some(ALPN_H2) {
            return Err(Error::Tls(format!(
                "{address} did not negotiate ALPN \"h2\"; gRPC over TLS requires it"
            )));
        }
        Ok(ClientIo {
            io: ClientIoKind::Tls(Box::new(tls)),
        })
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<ClientIo>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.dial().await.map(TokioIo::new) })
    }
}

/// Opens a gRPC channel to `address` (`host:port`): TLS when `tls` is given, HTTP/2 keepalive
/// 60 s / 20 s (as Fabric), dial bounded by `dial_timeout`.
pub(crate) async fn dial(
    address: &str,
    tls: Option<&ClientTlsConfig>,
    dial_timeout: Duration,
) -> Result<Channel> {
    let connector = Connector::new(address, tls)?;
    // The scheme only names the :scheme pseudo-header; the connector does the TLS. "http" keeps
    // tonic from looking for its own TLS support.
    let endpoint = Endpoint::from_shared(format!("http://{address}")).map_err(|e| {
        Error::Config(format!(
            "{address:?} is not a usable address ({e}); expected host:port"
        ))
    })?;
    let endpoint = endpoint
        .connect_timeout(dial_timeout)
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true);
    tokio::time::timeout(
        dial_timeout.saturating_add(Duration::from_secs(1)),
        endpoint.connect_with_connector(connector),
    )
    .await
    .map_err(|_| Error::Timeout {
        what: format!("dialing {address}"),
        after: dial_timeout,
    })?
    .map_err(|e| Error::Transport(format!("dialing {address}: {}", error_chain(&e))))
}

/// Formats an error with its sources ("a: b: c"), for transport errors that hide the cause.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}
