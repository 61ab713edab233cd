//! Shared pieces of the protocol tests: a test chaincode, an in-memory ledger that answers the
//! chaincode's requests as a peer would, certificates, and a server on an ephemeral port.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fabric_chaincode::chaincode::{error, error_with_status, success};
use fabric_chaincode::peer_side::{ChaincodeRequest, Reply};
use fabric_chaincode::{Chaincode, ChaincodeServer, Response, ServerTlsConfig, Stub};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeInput, DelState, GetState, GetStateByRange, GetStateMultiple, GetStateMultipleResult,
    PutState, QueryMetadata, QueryResponse, QueryResponseMetadata, QueryResultBytes,
    QueryStateClose, QueryStateNext, WriteBatchState, write_record,
};
use fabric_protos::queryresult::Kv;
use prost::Message;
use tokio::sync::oneshot;

pub const PACKAGE_ID: &str = "testcc_1.0:0123456789abcdef";
pub const CHANNEL: &str = "mychannel";

/// Bounds every wait in the tests.
pub const DEADLINE: Duration = Duration::from_secs(20);

pub fn input(args: &[&str]) -> ChaincodeInput {
    ChaincodeInput {
        args: args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect(),
        ..Default::default()
    }
}

pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {DEADLINE:?}: {what}"),
    }
}

/// Polls `check` until it is true, failing after [`DEADLINE`].
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ------------------------------------------------------------------------------ the chaincode

/// A chaincode whose functions exercise one stub feature each.
pub struct TestCc;

impl Chaincode for TestCc {
    async fn invoke(&self, stub: Stub) -> Response {
        let args: Vec<String> = stub
            .args()
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
        let result: fabric_chaincode::Result<Response> = async {
            Ok(match arg(0).as_str() {
                "echo" => success(args[1..].join(",")),
                "get" => {
                    let v = stub.get_state(&arg(1)).await?;
                    success(v.unwrap_or_default())
                }
                "put" => {
                    stub.put_state(&arg(1), arg(2).into_bytes()).await?;
                    success("ok")
                }
                "putmany" => {
                    let n: usize = arg(1).parse().unwrap_or(0);
                    for i in 0..n {
                        stub.put_state(&format!("k{i:04}"), format!("v{i}").into_bytes())
                            .await?;
                    }
                    success("ok")
                }
                "getmany" => {
                    let n: usize = arg(1).parse().unwrap_or(0);
                    let keys: Vec<String> = (0..n).map(|i| format!("k{i:04}")).collect();
                    let values = stub.get_multiple_states(&keys).await?;
                    let found = values.iter().filter(|v| v.is_some()).count();
                    success(found.to_string())
                }
                "join2" => {
                    let (ka, kb) = (arg(1), arg(2));
                    let (a, b) = tokio::join!(stub.get_state(&ka), stub.get_state(&kb));
                    let (a, b) = (a?.unwrap_or_default(), b?.unwrap_or_default());
                    success([a, b].concat())
                }
                "range" => {
                    let mut it = stub.get_state_by_range(&arg(1), &arg(2)).await?;
                    let mut keys = Vec::new();
                    while let Some(kv) = it.next().await? {
                        keys.push(kv.key);
                    }
                    it.close().await?;
                    success(format!("{}:{}", keys.len(), keys.join(",")))
                }
                "first" => {
                    // Reads one result of a range and stops there.
                    let mut it = stub.get_state_by_range(&arg(1), &arg(2)).await?;
                    let first = it.next().await?.map(|kv| kv.key).unwrap_or_default();
                    it.close().await?;
                    success(first)
                }
                "page" => {
                    let size: i32 = arg(1).parse().unwrap_or(0);
                    let (it, meta) = stub
                        .get_state_by_range_with_pagination("", "", size, &arg(2))
                        .await?;
                    let keys: Vec<String> =
                        it.collect().await?.into_iter().map(|kv| kv.key).collect();
                    success(format!(
                        "{}|{}|{}",
                        meta.fetched_records_count,
                        meta.bookmark,
                        keys.join(",")
                    ))
                }
                "panic" => panic!("deliberate panic in {}", stub.txid()),
                "event" => {
                    stub.set_event("done", arg(1).into_bytes())?;
                    success("")
                }
                "client-error" => error_with_status(404, "no such thing"),
                "abandon" => {
                    // Gives up on a slow read; the next read must still wait for the peer's
                    // late reply, as the peer takes one request per transaction at a time.
                    let slow =
                        tokio::time::timeout(Duration::from_millis(20), stub.get_state("slow"))
                            .await;
                    assert!(slow.is_err(), "the slow read was expected to time out");
                    let v = stub.get_state(&arg(1)).await?;
                    success(v.unwrap_or_default())
                }
                other => error(format!("unknown function {other:?}")),
            })
        }
        .await;
        result.unwrap_or_else(|e| error(e.to_string()))
    }
}

// ------------------------------------------------------------------------------ the ledger

/// One request the ledger saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub kind: Type,
    pub txid: String,
    pub payload: Bytes,
}

/// An in-memory world state answering chaincode requests like a peer: GET/PUT/DEL_STATE,
/// WRITE_BATCH_STATE, GET_STATE_MULTIPLE, range queries in batches of `batch` with QUERY_STATE_NEXT,
/// pagination. Writes apply immediately (no read-your-writes isolation: tests don't need it).
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Mutex<LedgerInner>>,
    batch: usize,
}

struct LedgerInner {
    state: BTreeMap<String, Bytes>,
    iterators: BTreeMap<String, Vec<Kv>>,
    next_iterator: u64,
    seen: Vec<Seen>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::new()
    }
}

impl Ledger {
    pub fn new() -> Self {
        Ledger {
            inner: Arc::new(Mutex::new(LedgerInner {
                state: BTreeMap::new(),
                iterators: BTreeMap::new(),
                next_iterator: 0,
                seen: Vec::new(),
            })),
            batch: 100,
        }
    }

    pub fn with_keys(n: usize) -> Self {
        let ledger = Ledger::new();
        {
            let mut inner = ledger.inner.lock().unwrap();
            for i in 0..n {
                inner
                    .state
                    .insert(format!("k{i:04}"), Bytes::from(format!("v{i}")));
            }
        }
        ledger
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.inner.lock().unwrap().state.get(key).cloned()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().state.len()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    pub fn seen_kinds(&self) -> Vec<Type> {
        self.seen().into_iter().map(|s| s.kind).collect()
    }

    pub fn open_iterators(&self) -> usize {
        self.inner.lock().unwrap().iterators.len()
    }

    /// Answers one request.
    pub fn answer(&self, req: &ChaincodeRequest) -> Reply {
        let mut l = self.inner.lock().unwrap();
        l.seen.push(Seen {
            kind: req.kind,
            txid: req.txid.to_string(),
            payload: req.payload.clone(),
        });
        match req.kind {
            Type::GetState => match GetState::decode(req.payload.clone()) {
                Ok(g) => Reply::ok(l.state.get(&g.key).cloned().unwrap_or_default()),
                Err(e) => Reply::error(e.to_string()),
            },
            Type::PutState => match PutState::decode(req.payload.clone()) {
                Ok(p) => {
                    if p.value.is_empty() {
                        l.state.remove(&p.key);
                    } else {
                        l.state.insert(p.key, p.value);
                    }
                    Reply::empty()
                }
                Err(e) => Reply::error(e.to_string()),
            },
            Type::DelState => match DelState::decode(req.payload.clone()) {
                Ok(d) => {
                    l.state.remove(&d.key);
                    Reply::empty()
                }
                Err(e) => Reply::error(e.to_string()),
            },
            Type::WriteBatchState => match WriteBatchState::decode(req.payload.clone()) {
                Ok(b) => {
                    for r in b.rec {
                        if r.r#type == write_record::Type::PutState as i32 && !r.value.is_empty() {
                            l.state.insert(r.key, r.value);
                        } else if r.r#type == write_record::Type::PutState as i32
                            || r.r#type == write_record::Type::DelState as i32
                        {
                            l.state.remove(&r.key);
                        }
                    }
                    Reply::empty()
                }
                Err(e) => Reply::error(e.to_string()),
            },
            Type::GetStateMultiple => match GetStateMultiple::decode(req.payload.clone()) {
                Ok(g) => {
                    let values = g
                        .keys
                        .iter()
                        .map(|k| l.state.get(k).cloned().unwrap_or_default())
                        .collect();
                    Reply::ok(GetStateMultipleResult { values }.encode_to_vec())
                }
                Err(e) => Reply::error(e.to_string()),
            },
            Type::GetStateByRange => match GetStateByRange::decode(req.payload.clone()) {
                Ok(r) => {
                    let start = r.start_key.clone();
                    let meta = QueryMetadata::decode(r.metadata.clone()).unwrap_or_default();
                    let paginated = !r.metadata.is_empty()
                        && (meta.page_size != 0 || !meta.bookmark.is_empty());
                    let from = if paginated && !meta.bookmark.is_empty() {
                        meta.bookmark.clone()
                    } else {
                        start
                    };
                    let all: Vec<Kv> = l
                        .state
                        .range(from..)
                        .filter(|(k, _)| r.end_key.is_empty() || k.as_str() < r.end_key.as_str())
                        .map(|(k, v)| Kv {
                            namespace: "testcc".into(),
                            key: k.clone(),
                            value: v.clone(),
                        })
                        .collect();
                    if paginated {
                        let size = meta.page_size.max(0) as usize;
                        let page: Vec<Kv> = all.iter().take(size).cloned().collect();
                        let bookmark = all.get(size).map(|kv| kv.key.clone()).unwrap_or_default();
                        let mut response = query_response(&page, false, String::new());
                        response.metadata = Bytes::from(
                            QueryResponseMetadata {
                                fetched_records_count: page.len() as i32,
                                bookmark,
                            }
                            .encode_to_vec(),
                        );
                        return Reply::ok(response.encode_to_vec());
                    }
                    l.next_iterator += 1;
                    let id = format!("iter-{}", l.next_iterator);
                    let (first, rest) = all.split_at(all.len().min(self.batch));
                    let has_more = !rest.is_empty();
                    if has_more {
                        l.iterators.insert(id.clone(), rest.to_vec());
                    }
                    Reply::ok(query_response(first, has_more, id).encode_to_vec())
                }
                Err(e) => Reply::error(e.to_string()),
            },
            Type::QueryStateNext => match QueryStateNext::decode(req.payload.clone()) {
                Ok(n) => match l.iterators.remove(&n.id) {
                    Some(rest) => {
                        let (first, rest) = rest.split_at(rest.len().min(self.batch));
                        let has_more = !rest.is_empty();
                        if has_more {
                            l.iterators.insert(n.id.clone(), rest.to_vec());
                        }
                        Reply::ok(query_response(first, has_more, n.id).encode_to_vec())
                    }
                    None => Reply::error("query iterator not found"),
                },
                Err(e) => Reply::error(e.to_string()),
            },
            Type::QueryStateClose => match QueryStateClose::decode(req.payload.clone()) {
                Ok(c) => {
                    l.iterators.remove(&c.id);
                    Reply::ok(query_response(&[], false, c.id).encode_to_vec())
                }
                Err(e) => Reply::error(e.to_string()),
            },
            other => Reply::error(format!(
                "{} not supported by the test ledger",
                other.as_str_name()
            )),
        }
    }

    /// A request handler for [`fabric_chaincode::peer_side::ChaincodeConnection::execute`].
    pub fn handler(
        &self,
    ) -> impl Fn(ChaincodeRequest) -> std::future::Ready<Reply> + Send + Sync + '_ {
        move |req| std::future::ready(self.answer(&req))
    }
}

fn query_response(kvs: &[Kv], has_more: bool, id: String) -> QueryResponse {
    QueryResponse {
        results: kvs
            .iter()
            .map(|kv| QueryResultBytes {
                result_bytes: Bytes::from(kv.encode_to_vec()),
            })
            .collect(),
        has_more,
        id,
        metadata: Bytes::new(),
    }
}

/// Decodes COMPLETED's payload.
pub fn response_of(msg: &fabric_protos::protos::ChaincodeMessage) -> Response {
    assert_eq!(
        msg.r#type,
        Type::Completed as i32,
        "expected COMPLETED, got type {} ({:?})",
        msg.r#type,
        String::from_utf8_lossy(&msg.payload)
    );
    Response::decode(msg.payload.clone()).expect("COMPLETED payload is a Response")
}

// ------------------------------------------------------------------------------ servers

/// A chaincode server on 127.0.0.1 with an ephemeral port; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<fabric_chaincode::Result<()>>>,
}

impl TestServer {
    pub async fn start<C: Chaincode>(chaincode: C, tls: Option<ServerTlsConfig>) -> TestServer {
        TestServer::start_as(chaincode, PACKAGE_ID, tls).await
    }

    pub async fn start_as<C: Chaincode>(
        chaincode: C,
        package_id: &str,
        tls: Option<ServerTlsConfig>,
    ) -> TestServer {
        let mut server =
            ChaincodeServer::new("127.0.0.1:0", package_id).shutdown_grace(Duration::from_secs(5));
        if let Some(tls) = tls {
            server = server.tls(tls);
        }
        let bound = server.bind().await.expect("bind 127.0.0.1:0");
        let addr = bound.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            bound
                .serve_with_shutdown(chaincode, async {
                    let _ = stopped.await;
                })
                .await
        });
        TestServer {
            addr,
            stop: Some(stop),
            done: Some(done),
        }
    }

    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Signals shutdown and waits for the server to return.
    pub async fn shutdown(mut self) -> fabric_chaincode::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = self.done.take().expect("server task");
        within("server shutdown", done).await.expect("server task")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

// ------------------------------------------------------------------------------ certificates

/// A CA and certificates it issues, all PEM.
pub struct Pki {
    pub ca_pem: String,
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} CA"));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = params.self_signed(&ca_key).unwrap();
        Pki {
            ca_pem: ca.pem(),
            ca,
            ca_key,
        }
    }

    pub fn issue(&self, cn: &str, sans: &[&str], usage: rcgen::ExtendedKeyUsagePurpose) -> Issued {
        let mut params =
            rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn.to_owned());
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A server certificate for 127.0.0.1 and localhost.
    pub fn server(&self) -> Issued {
        self.issue(
            "chaincode",
            &["127.0.0.1", "localhost"],
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A client certificate.
    pub fn client(&self, cn: &str) -> Issued {
        self.issue(cn, &[], rcgen::ExtendedKeyUsagePurpose::ClientAuth)
    }
}
