//! TLS and mutual TLS between the peer side and the chaincode server, with certificates made in
//! the test; what the server refuses (no client certificate, a client certificate from another
//! CA, plain text, no ALPN h2) and that it never resumes sessions.

mod common;

use std::sync::Arc;

use common::*;
use fabric_chaincode::peer_side::{ChaincodeDialer, ExecuteKind};
use fabric_chaincode::{ClientTlsConfig, ServerTlsConfig};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn echo_over(dialer: ChaincodeDialer) -> fabric_chaincode::Result<Vec<u8>> {
    let conn = within("connect", dialer.connect()).await?;
    let done = conn
        .execute(
            CHANNEL,
            "tls-tx",
            ExecuteKind::Transaction,
            &input(&["echo", "over", "tls"]),
            None,
            &Ledger::new().handler(),
        )
        .await?;
    Ok(response_of(&done).payload.to_vec())
}

fn server_tls(pki: &Pki) -> ServerTlsConfig {
    let cert = pki.server();
    ServerTlsConfig::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes()).unwrap()
}

fn mutual_tls(pki: &Pki, client_ca: &Pki) -> ServerTlsConfig {
    let cert = pki.server();
    ServerTlsConfig::mutual_from_pem(
        cert.cert_pem.as_bytes(),
        cert.key_pem.as_bytes(),
        client_ca.ca_pem.as_bytes(),
    )
    .unwrap()
}

fn client_tls(server_ca: &Pki, identity: Option<&Issued>) -> ClientTlsConfig {
    match identity {
        Some(id) => ClientTlsConfig::with_identity_pem(
            server_ca.ca_pem.as_bytes(),
            id.cert_pem.as_bytes(),
            id.key_pem.as_bytes(),
        )
        .unwrap(),
        None => ClientTlsConfig::from_root_pem(server_ca.ca_pem.as_bytes()).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_the_servers_root_ca() {
    let pki = Pki::new("server");
    let server = TestServer::start(TestCc, Some(server_tls(&pki))).await;
    let dialer = ChaincodeDialer::new(server.address()).tls(client_tls(&pki, None));
    assert_eq!(echo_over(dialer).await.unwrap(), b"over,tls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_accepts_a_client_of_the_ca() {
    let pki = Pki::new("server");
    let clients = Pki::new("peers");
    let server = TestServer::start(TestCc, Some(mutual_tls(&pki, &clients))).await;
    let peer = clients.client("peer0.org1");
    let dialer = ChaincodeDialer::new(server.address()).tls(client_tls(&pki, Some(&peer)));
    assert_eq!(echo_over(dialer).await.unwrap(), b"over,tls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_refuses_a_client_without_certificate() {
    let pki = Pki::new("server");
    let clients = Pki::new("peers");
    let server = TestServer::start(TestCc, Some(mutual_tls(&pki, &clients))).await;
    let dialer = ChaincodeDialer::new(server.address()).tls(client_tls(&pki, None));
    assert!(echo_over(dialer).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_refuses_a_client_certificate_from_another_ca() {
    let pki = Pki::new("server");
    let clients = Pki::new("peers");
    let intruders = Pki::new("intruders");
    let server = TestServer::start(TestCc, Some(mutual_tls(&pki, &clients))).await;
    let stranger = intruders.client("peer0.evil");
    let dialer = ChaincodeDialer::new(server.address()).tls(client_tls(&pki, Some(&stranger)));
    assert!(echo_over(dialer).await.is_err());
    // The server is still fine for the right client.
    let peer = clients.client("peer0.org1");
    let dialer = ChaincodeDialer::new(server.address()).tls(client_tls(&pki, Some(&peer)));
    assert_eq!(echo_over(dialer).await.unwrap(), b"over,tls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_text_client_is_refused_by_a_tls_server() {
    let pki = Pki::new("server");
    let server = TestServer::start(TestCc, Some(server_tls(&pki))).await;
    assert!(
        echo_over(ChaincodeDialer::new(server.address()))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peer_side_refuses_a_server_it_does_not_trust() {
    let pki = Pki::new("server");
    let other = Pki::new("other");
    let server = TestServer::start(TestCc, Some(server_tls(&pki))).await;
    let dialer = ChaincodeDialer::new(server.address()).tls(client_tls(&other, None));
    let err = echo_over(dialer).await.unwrap_err().to_string();
    assert!(
        err.contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );
    // A TLS client against a plain-text server fails too.
    let plain = TestServer::start(TestCc, None).await;
    let dialer = ChaincodeDialer::new(plain.address()).tls(client_tls(&pki, None));
    assert!(echo_over(dialer).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_json_with_mutual_tls_and_domain() {
    let pki = Pki::new("server");
    let clients = Pki::new("peers");
    // The certificate names only chaincode.example, not 127.0.0.1.
    let cert = pki.issue(
        "chaincode",
        &["chaincode.example"],
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    );
    let tls = ServerTlsConfig::mutual_from_pem(
        cert.cert_pem.as_bytes(),
        cert.key_pem.as_bytes(),
        clients.ca_pem.as_bytes(),
    )
    .unwrap();
    let server = TestServer::start(TestCc, Some(tls)).await;
    let peer = clients.client("peer0.org1");
    let json = |domain: &str| {
        serde_json::json!({
            "address": server.address(),
            "dial_timeout": "10s",
            "tls_required": true,
            "client_auth_required": true,
            "root_cert": pki.ca_pem,
            "client_cert": peer.cert_pem,
            "client_key": peer.key_pem,
            "domain": domain,
        })
        .to_string()
    };
    let dialer =
        ChaincodeDialer::from_connection_json(json("chaincode.example").as_bytes()).unwrap();
    assert_eq!(echo_over(dialer).await.unwrap(), b"over,tls");
    // Without the domain the peer verifies 127.0.0.1, which the certificate does not name.
    let dialer = ChaincodeDialer::from_connection_json(json("").as_bytes()).unwrap();
    assert!(echo_over(dialer).await.is_err());
}

/// A bare rustls client, to check what the server negotiates.
fn raw_client(
    pki: &Pki,
    alpn: &[&[u8]],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(versions)
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

use rustls::pki_types::pem::PemObject;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpn_h2_is_required() {
    let pki = Pki::new("server");
    let server = TestServer::start(TestCc, Some(server_tls(&pki))).await;
    let name = ServerName::try_from("127.0.0.1").unwrap();
    // Offering only http/1.1: the handshake fails.
    let connector = tokio_rustls::TlsConnector::from(Arc::new(raw_client(
        &pki,
        &[b"http/1.1"],
        &[&rustls::version::TLS13],
    )));
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    assert!(
        within("handshake", connector.connect(name.clone(), tcp))
            .await
            .is_err()
    );
    // Offering no ALPN at all: the server closes the connection right after the handshake.
    let connector = tokio_rustls::TlsConnector::from(Arc::new(raw_client(
        &pki,
        &[],
        &[&rustls::version::TLS13],
    )));
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    if let Ok(mut tls) = within("handshake", connector.connect(name, tcp)).await {
        let _ = tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await;
        let mut buf = [0u8; 64];
        let read = within("server closes", tls.read(&mut buf)).await;
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "server answered a client without ALPN: {read:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_1_2_works_and_sessions_are_never_resumed() {
    let pki = Pki::new("server");
    let server = TestServer::start(TestCc, Some(server_tls(&pki))).await;
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        // One client config = one session cache: a resumable server would resume the second time.
        let connector =
            tokio_rustls::TlsConnector::from(Arc::new(raw_client(&pki, &[b"h2"], &[version])));
        for attempt in 0..2 {
            let tcp = TcpStream::connect(server.addr).await.unwrap();
            let name = ServerName::try_from("127.0.0.1").unwrap();
            let mut tls = within("handshake", connector.connect(name, tcp))
                .await
                .unwrap();
            {
                let (_, conn) = tls.get_ref();
                assert_eq!(conn.alpn_protocol(), Some(&b"h2"[..]));
                assert_eq!(
                    conn.handshake_kind(),
                    Some(rustls::HandshakeKind::Full),
                    "{version:?} attempt {attempt}"
                );
            }
            // Read the server's HTTP/2 SETTINGS so that any session ticket would have arrived.
            tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
                .await
                .unwrap();
            let mut buf = [0u8; 9];
            within("server SETTINGS", tls.read_exact(&mut buf))
                .await
                .unwrap();
            assert_eq!(buf[3], 0x04, "an HTTP/2 SETTINGS frame");
        }
    }
}

#[test]
fn bad_tls_material_is_named() {
    let pki = Pki::new("server");
    let other = Pki::new("other").server();
    let cert = pki.server();
    let err = ServerTlsConfig::from_pem(b"not pem", cert.key_pem.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("server certificate"), "{err}");
    let err = ServerTlsConfig::from_pem(cert.cert_pem.as_bytes(), cert.cert_pem.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("server private key") && err.contains("no private key"),
        "{err}"
    );
    let err = ServerTlsConfig::from_pem(cert.cert_pem.as_bytes(), other.key_pem.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("do not make a usable pair"), "{err}");
}
