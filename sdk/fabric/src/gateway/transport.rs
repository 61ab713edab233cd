//! The byte stream under the gRPC channel: TCP (TCP_NODELAY), then TLS with rustls (aws-lc-rs
//! provider, TLS 1.2 and 1.3, ALPN `h2` required — Fabric's grpc-go refuses TLS without it),
//! optionally presenting a client certificate (mutual TLS) and verifying the server against an
//! overridden name.

use crate::address::host_of;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::transport::Uri;

use crate::{Error, Result};

/// The one ALPN protocol gRPC speaks over TLS.
pub(crate) const ALPN_H2: &[u8] = b"h2";

static VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Every `CERTIFICATE` block of a PEM text, as DER.
pub(crate) fn parse_certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Connection(format!("{what}: the PEM text is damaged ({e})")))?;
    if certs.is_empty() {
        return Err(Error::Connection(format!(
            "{what}: no \"-----BEGIN CERTIFICATE-----\" block found; expected PEM X.509 \
             certificates"
        )));
    }
    Ok(certs)
}

fn parse_key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => Error::Connection(format!(
            "{what}: no private key block found; expected \"-----BEGIN PRIVATE KEY-----\" \
             (PKCS#8) or \"EC PRIVATE KEY\""
        )),
        e => Error::Connection(format!("{what}: the PEM text is damaged ({e})")),
    })
}

/// TLS material resolved to bytes.
pub(crate) struct TlsMaterial {
    /// PEM CA certificates that sign the peer's TLS certificate.
    pub roots: Vec<u8>,
    /// PEM client certificate and key, for mutual TLS.
    pub client: Option<(Vec<u8>, Vec<u8>)>,
    /// The name to verify instead of the dialed host.
    pub server_name: Option<String>,
}

/// A ready rustls client configuration with the server name to verify.
#[derive(Clone)]
pub(crate) struct ClientTls {
    config: Arc<ClientConfig>,
    server_name: Option<String>,
    /// SHA-256 of the client certificate DER (Deliver's `tls_cert_hash`).
    pub cert_hash: Option<[u8; 32]>,
}

impl ClientTls {
    pub(crate) fn new(material: &TlsMaterial) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        for (i, cert) in parse_certs(&material.roots, "TLS root CA")?
            .into_iter()
            .enumerate()
        {
            roots.add(cert).map_err(|e| {
                Error::Connection(format!(
                    "TLS root CA: certificate {} is not usable as a CA ({e})",
                    i + 1
                ))
            })?;
        }
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)
            .map_err(|e| Error::Connection(format!("TLS versions: {e}")))?
            .with_root_certificates(roots);
        let (mut config, cert_hash) = match &material.client {
            Some((cert_pem, key_pem)) => {
                let chain = parse_certs(cert_pem, "client TLS certificate")?;
                let hash = chain.first().map(|c| crate::crypto::sha256(c.as_ref()));
                let key = parse_key(key_pem, "client TLS key")?;
                let config = builder.with_client_auth_cert(chain, key).map_err(|e| {
                    Error::Connection(format!(
                        "the client TLS certificate and key do not make a usable pair ({e}); \
                         check that the key belongs to the certificate"
                    ))
                })?;
                (config, hash)
            }
            None => (builder.with_no_client_auth(), None),
        };
        config.alpn_protocols = vec![ALPN_H2.to_vec()];
        Ok(ClientTls {
            config: Arc::new(config),
            server_name: material.server_name.clone().filter(|n| !n.is_empty()),
            cert_hash,
        })
    }

    fn server_name_for(&self, address: &str) -> Result<ServerName<'static>> {
        let host = match &self.server_name {
            Some(name) => name.as_str(),
            None => host_of(address),
        };
        ServerName::try_from(host.to_owned()).map_err(|e| {
            Error::Connection(format!(
                "{host:?} is not a valid TLS server name ({e}); set a server name override"
            ))
        })
    }
}

enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// One dialed connection, plain or TLS.
pub(crate) struct ClientIo(Io);

impl AsyncRead for ClientIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ClientIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().0 {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().0 {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(&mut **s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.0 {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
        }
    }
}

/// Dials the peer for tonic: TCP, then TLS when configured. tonic calls it again whenever the
/// connection has to be re-established (after the peer restarted).
#[derive(Clone)]
pub(crate) struct Connector {
    address: Arc<str>,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    timeout: Duration,
}

impl Connector {
    pub(crate) fn new(address: &str, tls: Option<&ClientTls>, timeout: Duration) -> Result<Self> {
        let tls = match tls {
            Some(t) => Some((
                TlsConnector::from(Arc::clone(&t.config)),
                t.server_name_for(address)?,
            )),
            None => None,
        };
        Ok(Connector {
            address: address.into(),
            tls,
            timeout,
        })
    }

    async fn dial(self) -> io::Result<ClientIo> {
        let address = &*self.address;
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect(address))
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connecting to {address} timed out after {:?}", self.timeout),
                )
            })?
            .map_err(|e| io::Error::new(e.kind(), format!("connecting to {address}: {e}")))?;
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(%address, "TCP_NODELAY: {e}");
        }
        let Some((connector, name)) = self.tls else {
            tracing::debug!(%address, "connected (plaintext)");
            return Ok(ClientIo(Io::Plain(tcp)));
        };
        let tls = tokio::time::timeout(self.timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("TLS handshake with {address} timed out"),
                )
            })?
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("TLS handshake with {address} failed: {e}"),
                )
            })?;
        let (_, conn) = tls.get_ref();
        if conn.alpn_protocol() != Some(ALPN_H2) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{address} did not negotiate ALPN \"h2\"; gRPC over TLS requires it"),
            ));
        }
        tracing::debug!(%address, "connected (TLS)");
        Ok(ClientIo(Io::Tls(Box::new(tls))))
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<ClientIo>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.dial().await.map(TokioIo::new) })
    }
}

/// Formats an error with its sources ("a: b: c").
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

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_of_addresses() {
        assert_eq!(host_of("peer0.org1:7051"), "peer0.org1");
        assert_eq!(host_of("127.0.0.1:7051"), "127.0.0.1");
        assert_eq!(host_of("[::1]:7051"), "::1");
        assert_eq!(host_of("localhost"), "localhost");
    }
}
