//! Classic mode: the chaincode dials a peer's `ChaincodeSupport/Register`, configured from the
//! environment Fabric's launcher writes, in plain text and with mutual TLS. The fake peer behaves
//! like grpc-go: it answers (and so sends its response headers) only after it has read REGISTER.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use base64::Engine;
use bytes::Bytes;
use common::*;
use fabric_chaincode::classic;
use fabric_chaincode::config::Config;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::chaincode_support_server::{ChaincodeSupport, ChaincodeSupportServer};
use fabric_protos::protos::{ChaincodeId, ChaincodeMessage, GetState};
use futures_util::StreamExt;
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

/// What the fake peer saw of one registration.
#[derive(Debug)]
struct Seen {
    name: String,
    request: GetState,
    completed: ChaincodeMessage,
}

struct FakePeer {
    seen: mpsc::UnboundedSender<Seen>,
}

type Out = Pin<Box<dyn futures_util::Stream<Item = Result<ChaincodeMessage, Status>> + Send>>;

fn msg(kind: Type, payload: impl Into<Bytes>) -> ChaincodeMessage {
    ChaincodeMessage {
        r#type: kind as i32,
        payload: payload.into(),
        ..Default::default()
    }
}

#[tonic::async_trait]
impl ChaincodeSupport for FakePeer {
    type RegisterStream = Out;

    async fn register(
        &self,
        request: Request<Streaming<ChaincodeMessage>>,
    ) -> Result<Response<Out>, Status> {
        let mut inbound = request.into_inner();
        // Like the Go peer: nothing goes back before REGISTER has been read.
        let register = inbound
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("no REGISTER"))?;
        if register.r#type != Type::Register as i32 {
            return Err(Status::invalid_argument("first message is not REGISTER"));
        }
        let name = ChaincodeId::decode(register.payload)
            .map_err(|e| Status::invalid_argument(e.to_string()))?
            .name;
        let (tx, rx) = mpsc::channel(16);
        let seen = self.seen.clone();
        tokio::spawn(async move {
            let tx_msg = ChaincodeMessage {
                txid: "classic-tx".into(),
                channel_id: CHANNEL.into(),
                ..msg(Type::Transaction, input(&["get", "k"]).encode_to_vec())
            };
            for m in [
                msg(Type::Registered, Bytes::new()),
                msg(Type::Ready, Bytes::new()),
                tx_msg,
            ] {
                tx.send(Ok(m)).await.unwrap();
            }
            let get = inbound.message().await.unwrap().unwrap();
            assert_eq!(get.r#type, Type::GetState as i32);
            assert_eq!(
                (get.txid.as_str(), get.channel_id.as_str()),
                ("classic-tx", CHANNEL)
            );
            let request = GetState::decode(get.payload).unwrap();
            let reply = ChaincodeMessage {
                txid: get.txid,
                channel_id: get.channel_id,
                ..msg(Type::Response, "from the peer")
            };
            tx.send(Ok(reply)).await.unwrap();
            let completed = inbound.message().await.unwrap().unwrap();
            let _ = seen.send(Seen {
                name,
                request,
                completed,
            });
            // Dropping `tx` ends the stream: the chaincode's classic run returns.
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// A TLS connection for tonic's server (test-local: the crate's own is private).
struct TlsConn(tokio_rustls::server::TlsStream<TcpStream>);

impl tonic::transport::server::Connected for TlsConn {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for TlsConn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// Starts the fake peer; with `tls`, it requires client certificates from `client_ca`.
async fn start_peer(tls: Option<(&Issued, &Pki)>) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let service = ChaincodeSupportServer::new(FakePeer { seen: seen_tx });
    match tls {
        None => {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            tokio::spawn(
                tonic::transport::Server::builder().serve_with_incoming(service, incoming),
            );
        }
        Some((cert, client_ca)) => {
            let config = fabric_chaincode::ServerTlsConfig::mutual_from_pem(
                cert.cert_pem.as_bytes(),
                cert.key_pem.as_bytes(),
                client_ca.ca_pem.as_bytes(),
            )
            .unwrap()
            .rustls_config();
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            let incoming =
                tokio_stream::wrappers::TcpListenerStream::new(listener).then(move |tcp| {
                    let acceptor = acceptor.clone();
                    async move {
                        let tls = acceptor.accept(tcp?).await?;
                        Ok::<_, std::io::Error>(TlsConn(tls))
                    }
                });
            tokio::spawn(
                tonic::transport::Server::builder().serve_with_incoming(service, incoming),
            );
        }
    }
    (address, seen)
}

fn classic_config(vars: &HashMap<String, String>) -> fabric_chaincode::config::ClassicConfig {
    match Config::parse(Vec::<String>::new(), |n| vars.get(n).cloned()).unwrap() {
        Config::Classic(c) => c,
        other => panic!("expected classic mode: {other:?}"),
    }
}

async fn run_and_check(vars: HashMap<String, String>, mut seen: mpsc::UnboundedReceiver<Seen>) {
    let config = classic_config(&vars);
    let run = tokio::spawn(classic::run_with_shutdown(
        TestCc,
        config,
        std::future::pending(),
    ));
    let seen = within("the fake peer's transaction", seen.recv())
        .await
        .unwrap();
    assert_eq!(seen.name, "mycc:1.0");
    assert_eq!(seen.request.key, "k");
    assert_eq!(seen.completed.txid, "classic-tx");
    assert_eq!(
        response_of(&seen.completed).payload.as_ref(),
        b"from the peer"
    );
    // The peer ended the stream: the chaincode's run returns.
    within("classic run", run).await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_mode_in_plain_text() {
    let (address, seen) = start_peer(None).await;
    let vars = HashMap::from([
        ("CORE_PEER_ADDRESS".to_owned(), address),
        ("CORE_CHAINCODE_ID_NAME".to_owned(), "mycc:1.0".to_owned()),
        ("CORE_PEER_TLS_ENABLED".to_owned(), "false".to_owned()),
    ]);
    run_and_check(vars, seen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_mode_with_mutual_tls_from_the_launch_environment() {
    let peer_pki = Pki::new("peer");
    let cc_pki = Pki::new("chaincode clients");
    let peer_cert = peer_pki.server();
    let (address, seen) = start_peer(Some((&peer_cert, &cc_pki))).await;
    // Fabric's launcher: root CA as a PEM file, the client key and certificate as files of base64.
    let client = cc_pki.client("mycc");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        path.to_string_lossy().into_owned()
    };
    let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let vars = HashMap::from([
        ("CORE_PEER_ADDRESS".to_owned(), address),
        ("CORE_CHAINCODE_ID_NAME".to_owned(), "mycc:1.0".to_owned()),
        ("CORE_PEER_TLS_ENABLED".to_owned(), "true".to_owned()),
        (
            "CORE_PEER_TLS_ROOTCERT_FILE".to_owned(),
            write("root.crt", &peer_pki.ca_pem),
        ),
        (
            "CORE_TLS_CLIENT_KEY_PATH".to_owned(),
            write("client.key", &b64(&client.key_pem)),
        ),
        (
            "CORE_TLS_CLIENT_CERT_PATH".to_owned(),
            write("client.crt", &b64(&client.cert_pem)),
        ),
    ]);
    run_and_check(vars, seen).await;

    // Without the client certificate the peer refuses the connection and the run fails.
    let (address, _seen) = start_peer(Some((&peer_cert, &cc_pki))).await;
    let vars = HashMap::from([
        ("CORE_PEER_ADDRESS".to_owned(), address),
        ("CORE_CHAINCODE_ID_NAME".to_owned(), "mycc:1.0".to_owned()),
        ("CORE_PEER_TLS_ENABLED".to_owned(), "true".to_owned()),
        (
            "CORE_PEER_TLS_ROOTCERT_FILE".to_owned(),
            write("root2.crt", &peer_pki.ca_pem),
        ),
    ]);
    let config = classic_config(&vars);
    let result = within(
        "classic run without a client certificate",
        classic::run_with_shutdown(TestCc, config, std::future::pending()),
    )
    .await;
    let err = result.expect_err("the peer requires a client certificate");
    eprintln!("without a client certificate: {err}");
}
