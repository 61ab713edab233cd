//! TLS for both ends of a chaincode connection: rustls with the aws-lc-rs provider, TLS 1.2 and
//! 1.3 only, ALPN `h2` required (Fabric's grpc-go refuses TLS connections without it), no session
//! tickets or resumption on the server (as Fabric's Go shim), and optional mutual TLS: when a
//! client CA is configured the server requires a client certificate signed by it.
//!
//! [`ServerTlsConfig`] is the chaincode server's side; [`ClientTlsConfig`] is the side that dials:
//! a peer dialing a chaincode server ([`crate::peer_side`]) or a chaincode dialing its peer
//! (classic mode, [`crate::classic`]).

use fabric_sdk::address::host_of;
use std::fmt;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::{Error, Result};

/// The one ALPN protocol gRPC speaks over TLS.
pub const ALPN_H2: &[u8] = b"h2";

/// TLS versions offered and accepted: 1.3 and 1.2 (Fabric's minimum).
static VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Parses every `CERTIFICATE` block of a PEM text. `what` names the source in errors.
pub(crate) fn parse_certs(
    pem: &[u8],
    what: &str,
) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("{what}: the PEM text is damaged ({e})"))?;
    if certs.is_empty() {
        return Err(format!(
            "{what}: no \"-----BEGIN CERTIFICATE-----\" block found; expected a PEM X.509 \
             certificate"
        ));
    }
    Ok(certs)
}

/// Parses the first private key (PKCS#8, SEC1 or PKCS#1) of a PEM text.
pub(crate) fn parse_key(
    pem: &[u8],
    what: &str,
) -> std::result::Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => format!(
            "{what}: no private key block found; expected \"-----BEGIN PRIVATE KEY-----\" \
             (PKCS#8), \"EC PRIVATE KEY\" or \"RSA PRIVATE KEY\""
        ),
        e => format!("{what}: the PEM text is damaged ({e})"),
    })
}

fn root_store(
    certs: &[CertificateDer<'static>],
    what: &str,
) -> std::result::Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for (i, cert) in certs.iter().enumerate() {
        roots
            .add(cert.clone())
            .map_err(|e| format!("{what}: certificate {} is not usable as a CA ({e})", i + 1))?;
    }
    Ok(roots)
}

/// The chaincode server's TLS: its certificate chain and key, and optionally the CA that signs
/// the clients (peers) it accepts.
#[derive(Clone)]
pub struct ServerTlsConfig {
    config: Arc<ServerConfig>,
    mutual: bool,
}

impl fmt::Debug for ServerTlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTlsConfig")
            .field("mutual_tls", &self.mutual)
            .finish_non_exhaustive()
    }
}

impl ServerTlsConfig {
    /// TLS with the server certificate (chain, leaf first) and its private key, both PEM.
    /// Clients are not asked for certificates.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        Self::build(
            cert_pem,
            "server certificate",
            key_pem,
            "server private key",
            None,
        )
        .map_err(Error::Tls)
    }

    /// Mutual TLS: as [`ServerTlsConfig::from_pem`], and every client must present a
    /// certificate signed by one of the CAs in `client_ca_pem`.
    pub fn mutual_from_pem(cert_pem: &[u8], key_pem: &[u8], client_ca_pem: &[u8]) -> Result<Self> {
        Self::build(
            cert_pem,
            "server certificate",
            key_pem,
            "server private key",
            Some((client_ca_pem, "client CA certificate")),
        )
        .map_err(Error::Tls)
    }

    /// Builds the configuration; the labels name each input in error messages.
    pub(crate) fn build(
        cert_pem: &[u8],
        cert_what: &str,
        key_pem: &[u8],
        key_what: &str,
        client_ca: Option<(&[u8], &str)>,
    ) -> std::result::Result<Self, String> {
        let chain = parse_certs(cert_pem, cert_what)?;
        let key = parse_key(key_pem, key_what)?;
        let provider = provider();
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(VERSIONS)
            .map_err(|e| format!("TLS versions: {e}"))?;
        let mutual = client_ca.is_some();
        let builder = match client_ca {
            Some((pem, what)) => {
                let cas = parse_certs(pem, what)?;
                let roots = root_store(&cas, what)?;
                // Clients without a certificate are refused (Go's RequireAndVerifyClientCert).
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(&provider),
                )
                .build()
                .map_err(|e| format!("{what}: {e}"))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(chain, key).map_err(|e| {
            format!(
                "{cert_what} and {key_what} do not make a usable pair ({e}); check that the key \
                 belongs to the certificate"
            )
        })?;
        config.alpn_protocols = vec![ALPN_H2.to_vec()];
        // Go's shim sets SessionTicketsDisabled: no tickets, no resumption.
        config.send_tls13_tickets = 0;
        config.session_storage = Arc::new(NoServerSessionStorage {});
        Ok(ServerTlsConfig {
            config: Arc::new(config),
            mutual,
        })
    }

    /// Whether clients must present a certificate (mutual TLS).
    pub fn requires_client_certificate(&self) -> bool {
        self.mutual
    }

    /// The rustls configuration (for callers that accept connections themselves).
    pub fn rustls_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config)
    }
}

/// TLS for the side that dials: the CA that signed the server's certificate, optionally a client
/// certificate and key (mutual TLS), optionally the name to verify instead of the dialed host.
#[derive(Clone)]
pub struct ClientTlsConfig {
    config: Arc<ClientConfig>,
    server_name: Option<String>,
    has_identity: bool,
}

impl fmt::Debug for ClientTlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTlsConfig")
            .field("server_name", &self.server_name)
            .field("client_certificate", &self.has_identity)
            .finish_non_exhaustive()
    }
}

impl ClientTlsConfig {
    /// Trusts the CA certificates in `root_pem`; no client certificate.
    pub fn from_root_pem(root_pem: &[u8]) -> Result<Self> {
        Self::build(root_pem, "root CA certificate", None).map_err(Error::Tls)
    }

    /// Trusts `root_pem` and presents `cert_pem` / `key_pem` as the client certificate.
    pub fn with_identity_pem(root_pem: &[u8], cert_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        Self::build(
            root_pem,
            "root CA certificate",
            Some((
                cert_pem,
                "client certificate",
                key_pem,
                "client private key",
            )),
        )
        .map_err(Error::Tls)
    }

    pub(crate) fn build(
        root_pem: &[u8],
        root_what: &str,
        identity: Option<(&[u8], &str, &[u8], &str)>,
    ) -> std::result::Result<Self, String> {
        let roots = root_store(&parse_certs(root_pem, root_what)?, root_what)?;
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_root_certificates(roots);
        let has_identity = identity.is_some();
        let mut config = match identity {
            Some((cert_pem, cert_what, key_pem, key_what)) => {
                let chain = parse_certs(cert_pem, cert_what)?;
                let key = parse_key(key_pem, key_what)?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    format!(
                        "{cert_what} and {key_what} do not make a usable pair ({e}); check that \
                         the key belongs to the certificate"
                    )
                })?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![ALPN_H2.to_vec()];
        Ok(ClientTlsConfig {
            config: Arc::new(config),
            server_name: None,
            has_identity,
        })
    }

    /// Verifies the server certificate against `name` instead of the dialed host (connection.json
    /// `domain`, the Node shim's `--ssl-target-name-override`).
    pub fn with_server_name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.server_name = (!name.is_empty()).then_some(name);
        self
    }

    /// Whether a client certificate is presented.
    pub fn has_client_certificate(&self) -> bool {
        self.has_identity
    }

    /// The rustls configuration.
    pub fn rustls_config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.config)
    }

    /// The name the server certificate is verified against when dialing `address` (`host:port`).
    pub(crate) fn server_name_for(&self, address: &str) -> Result<ServerName<'static>> {
        let host = match &self.server_name {
            Some(name) => name.as_str(),
            None => host_of(address),
        };
        ServerName::try_from(host.to_owned()).map_err(|e| {
            Error::Tls(format!(
                "{host:?} is not a valid TLS server name ({e}); set the server name override"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_of_addresses() {
        assert_eq!(host_of("peer0.org1:7052"), "peer0.org1");
        assert_eq!(host_of("127.0.0.1:9999"), "127.0.0.1");
        assert_eq!(host_of("[::1]:9999"), "::1");
        assert_eq!(host_of("localhost"), "localhost");
        assert_eq!(host_of("::1"), "::1");
    }
}
