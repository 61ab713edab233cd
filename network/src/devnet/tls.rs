//! TLS for the devnet's gRPC services, from the generated crypto material.
//!
//! Peers and the orderer serve with their `tls/server.crt` and `tls/server.key`; with mutual
//! TLS, client certificates must chain to the TLS root CA of one of the channel's
//! organisations (as a Fabric peer requires). tonic offers ALPN `h2`, which grpc-go clients
//! insist on.

use crate::cryptogen::{CryptoSummary, IdentityCrypto};
use crate::error::{Error, Result};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

/// The server TLS configuration of `node`: its certificate and key, and (with `mutual`) the TLS
/// root CAs of every organisation of `crypto` as accepted client roots.
pub fn server_tls(
    node: &IdentityCrypto,
    crypto: &CryptoSummary,
    mutual: bool,
) -> Result<ServerTlsConfig> {
    let cert = std::fs::read(&node.tls_cert).map_err(|e| Error::io(&node.tls_cert, e))?;
    let key = std::fs::read(&node.tls_key).map_err(|e| Error::io(&node.tls_key, e))?;
    let mut config = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
    if mutual {
        let mut roots = Vec::new();
        for org in &crypto.orgs {
            let pem = std::fs::read(&org.tlsca_cert).map_err(|e| Error::io(&org.tlsca_cert, e))?;
            roots.extend_from_slice(&pem);
            if !roots.ends_with(b"\n") {
                roots.push(b'\n');
            }
        }
        config = config.client_ca_root(Certificate::from_pem(roots));
    }
    Ok(config)
}

/// A server TLS configuration from PEM data: certificate, key, and (for mutual TLS) the
/// concatenated PEM of the accepted client root CAs.
pub fn server_tls_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    client_roots_pem: Option<&[u8]>,
) -> ServerTlsConfig {
    let config = ServerTlsConfig::new().identity(Identity::from_pem(cert_pem, key_pem));
    match client_roots_pem {
        Some(roots) => config.client_ca_root(Certificate::from_pem(roots)),
        None => config,
    }
}
