//! [`Connection`]: one gRPC channel to a Gateway peer, shared by every [`Gateway`] that uses it.
//!
//! The channel is a tonic [`Channel`]: cheap to clone, multiplexing any number of concurrent
//! calls and streams over one HTTP/2 connection, and re-dialing lazily when the connection is
//! lost (a peer restart): the call that finds the peer gone fails with `UNAVAILABLE`, a later
//! call dials again.
//!
//! Defaults follow what a Fabric peer accepts: HTTP/2 keepalive pings every 60 s with a 20 s
//! timeout, and none while no call is active (the peer's enforcement policy would otherwise
//! close the connection with `ENHANCE_YOUR_CALM`); messages up to 100 MiB; ALPN `h2` under TLS.
//!
//! [`Gateway`]: super::Gateway

use std::path::{Path, PathBuf};
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use super::transport::{ClientTls, Connector, TlsMaterial, error_chain};
use crate::identity::MspDir;
use crate::{Error, Result};

/// Fabric's message size limit (peer default 100 MiB).
pub const MAX_MESSAGE_SIZE: usize = 100 * 1024 * 1024;

/// HTTP/2 keepalive ping interval (Fabric's client default: 1 min).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);

/// How long to wait for a keepalive ping's answer (Fabric's client default: 20 s).
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// How long dialing (TCP and TLS handshake) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to a Gateway peer: a cloneable tonic [`Channel`] and what the client needs to
/// know about its TLS session.
#[derive(Clone)]
pub struct Connection {
    channel: Channel,
    address: String,
    tls: bool,
    tls_cert_hash: Option<[u8; 32]>,
    max_message_size: usize,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("address", &self.address)
            .field("tls", &self.tls)
            .field("mutual_tls", &self.tls_cert_hash.is_some())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Starts describing a connection to `address` (`host:port`).
    pub fn builder(address: impl Into<String>) -> ConnectionBuilder {
        ConnectionBuilder::new(address)
    }

    /// Wraps a channel built elsewhere (for example a tonic `Endpoint` with its own TLS). Deliver
    /// requests then carry no TLS certificate hash, so peers that require mutual TLS refuse
    /// block events.
    pub fn from_channel(channel: Channel, address: impl Into<String>) -> Self {
        Connection {
            channel,
            address: address.into(),
            tls: false,
            tls_cert_hash: None,
            max_message_size: MAX_MESSAGE_SIZE,
        }
    }

    /// The gRPC channel (clone it freely).
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// The peer address this connection dials.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether the connection uses TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// SHA-256 of the client TLS certificate (mutual TLS), which Deliver requests carry as
    /// `tls_cert_hash`.
    pub fn tls_cert_hash(&self) -> Option<[u8; 32]> {
        self.tls_cert_hash
    }

    /// The largest message sent or accepted.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }
}

/// Where TLS root certificates come from.
#[derive(Debug, Clone)]
enum Source {
    Pem(Vec<u8>),
    File(PathBuf),
    MspDir(PathBuf),
}

/// Describes a [`Connection`]: address, TLS, keepalive, limits.
///
/// ```no_run
/// # async fn f() -> fabric_sdk::Result<()> {
/// use fabric_sdk::gateway::Connection;
/// let connection = Connection::builder("localhost:7051")
///     .tls_root_cert_file("crypto/peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem")
///     .server_name("peer0.org1.example.com")
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ConnectionBuilder {
    address: String,
    roots: Vec<Source>,
    client_cert: Option<(Source, Source)>,
    server_name: Option<String>,
    keepalive_interval: Duration,
    keepalive_timeout: Duration,
    connect_timeout: Duration,
    max_message_size: usize,
}

impl ConnectionBuilder {
    /// A plaintext connection to `address` until TLS roots are given.
    pub fn new(address: impl Into<String>) -> Self {
        ConnectionBuilder {
            address: address.into(),
            roots: Vec::new(),
            client_cert: None,
            server_name: None,
            keepalive_interval: KEEPALIVE_INTERVAL,
            keepalive_timeout: KEEPALIVE_TIMEOUT,
            connect_timeout: CONNECT_TIMEOUT,
            max_message_size: MAX_MESSAGE_SIZE,
        }
    }

    /// Uses TLS, trusting the CA certificates of a PEM text (may be called several times).
    pub fn tls_root_cert_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots.push(Source::Pem(pem.into()));
        self
    }

    /// Uses TLS, trusting the CA certificates of a PEM file (read when connecting).
    pub fn tls_root_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots.push(Source::File(path.into()));
        self
    }

    /// Uses TLS, trusting the `tlscacerts/` and `tlsintermediatecerts/` of an MSP directory
    /// (the organisation's MSP, or a peer's local MSP).
    pub fn tls_roots_from_msp_dir(mut self, msp_dir: impl Into<PathBuf>) -> Self {
        self.roots.push(Source::MspDir(msp_dir.into()));
        self
    }

    /// Mutual TLS: presents this client certificate and key (PEM texts).
    pub fn client_cert_pem(mut self, cert: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        self.client_cert = Some((Source::Pem(cert.into()), Source::Pem(key.into())));
        self
    }

    /// Mutual TLS: presents the client certificate and key of these PEM files.
    pub fn client_cert_files(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_cert = Some((Source::File(cert.into()), Source::File(key.into())));
        self
    }

    /// Verifies the peer's certificate against `name` instead of the dialed host (Fabric's
    /// `ssl-target-name-override`, e.g. `peer0.org1.example.com` when dialing `localhost`).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// HTTP/2 keepalive: ping after `interval` without data while a call is active, close the
    /// connection when no answer comes within `timeout`.
    pub fn keepalive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.keepalive_interval = interval;
        self.keepalive_timeout = timeout;
        self
    }

    /// How long dialing (TCP connect and TLS handshake) may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest message sent or accepted (default 100 MiB, as Fabric).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Dials now: fails when the peer cannot be reached or the TLS handshake fails. Files are
    /// read off the async runtime.
    pub async fn connect(self) -> Result<Connection> {
        let this = self.clone();
        let material = tokio::task::spawn_blocking(move || this.material())
            .await
            .map_err(|e| Error::Connection(format!("reading TLS material: {e}")))??;
        let (endpoint, connector, tls) = self.endpoint(material)?;
        let channel = endpoint
            .connect_with_connector(connector)
            .await
            .map_err(|e| {
                Error::Connection(format!("dialing {}: {}", self.address, error_chain(&e)))
            })?;
        Ok(self.connection(channel, tls))
    }

    /// Does not dial: the first call does. Reads TLS files now (small, blocking reads: call it
    /// at start-up or from `spawn_blocking`). Must be called within a tokio runtime.
    pub fn connect_lazy(self) -> Result<Connection> {
        let material = self.material()?;
        let (endpoint, connector, tls) = self.endpoint(material)?;
        let channel = endpoint.connect_with_connector_lazy(connector);
        Ok(self.connection(channel, tls))
    }

    fn connection(&self, channel: Channel, tls: Option<ClientTls>) -> Connection {
        Connection {
            channel,
            address: self.address.clone(),
            tls: tls.is_some(),
            tls_cert_hash: tls.and_then(|t| t.cert_hash),
            max_message_size: self.max_message_size,
        }
    }

    fn endpoint(
        &self,
        material: Option<TlsMaterial>,
    ) -> Result<(Endpoint, Connector, Option<ClientTls>)> {
        let tls = material.as_ref().map(ClientTls::new).transpose()?;
        let connector = Connector::new(&self.address, tls.as_ref(), self.connect_timeout)?;
        let bad = |e: tonic::transport::Error| {
            Error::Connection(format!(
                "{:?} is not a usable address ({e}); expected host:port",
                self.address
            ))
        };
        // The connector does TLS itself: the endpoint says "http" so that tonic does not try
        // its own, and the origin (the :scheme and :authority of every request) says "https".
        let mut endpoint =
            Endpoint::from_shared(format!("http://{}", self.address)).map_err(bad)?;
        if tls.is_some() {
            let origin = Endpoint::from_shared(format!("https://{}", self.address))
                .map_err(bad)?
                .uri()
                .clone();
            endpoint = endpoint.origin(origin);
        }
        let endpoint = endpoint
            .connect_timeout(self.connect_timeout)
            .http2_keep_alive_interval(self.keepalive_interval)
            .keep_alive_timeout(self.keepalive_timeout)
            .keep_alive_while_idle(false)
            .tcp_nodelay(true);
        Ok((endpoint, connector, tls))
    }

    /// Reads every TLS source (blocking file reads). `None`: plaintext.
    fn material(&self) -> Result<Option<TlsMaterial>> {
        if self.roots.is_empty() {
            if self.client_cert.is_some() {
                return Err(Error::Connection(
                    "a client certificate was given but no TLS root CA: mutual TLS needs the \
                     peer's TLS root CA too"
                        .into(),
                ));
            }
            return Ok(None);
        }
        let mut roots = Vec::new();
        for source in &self.roots {
            match source {
                Source::Pem(p) => push_pem(&mut roots, p),
                Source::File(path) => push_pem(&mut roots, &read(path, "TLS root CA")?),
                Source::MspDir(path) => {
                    let dir = MspDir::load(path)?;
                    let certs: Vec<_> = dir
                        .tlscacerts
                        .iter()
                        .chain(&dir.tlsintermediatecerts)
                        .collect();
                    if certs.is_empty() {
                        return Err(Error::MspDir {
                            path: path.clone(),
                            reason: "tlscacerts/ is missing or holds no certificate".into(),
                        });
                    }
                    for c in certs {
                        push_pem(&mut roots, c.to_pem().as_bytes());
                    }
                }
            }
        }
        let client = match &self.client_cert {
            None => None,
            Some((cert, key)) => Some((
                source_bytes(cert, "client TLS certificate")?,
                source_bytes(key, "client TLS key")?,
            )),
        };
        Ok(Some(TlsMaterial {
            roots,
            client,
            server_name: self.server_name.clone(),
        }))
    }
}

fn push_pem(out: &mut Vec<u8>, pem: &[u8]) {
    out.extend_from_slice(pem);
    if !pem.ends_with(b"\n") {
        out.push(b'\n');
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::Connection(format!("{what}: cannot read {}: {e}", path.display())))
}

fn source_bytes(source: &Source, what: &str) -> Result<Vec<u8>> {
    match source {
        Source::Pem(p) => Ok(p.clone()),
        Source::File(path) => read(path, what),
        Source::MspDir(path) => Err(Error::Connection(format!(
            "{what}: an MSP directory ({}) is not a certificate source",
            path.display()
        ))),
    }
}
