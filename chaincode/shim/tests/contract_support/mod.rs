//! Test peers for the contract tests: an in-memory ledger and a replayer of recorded streams.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use fabric_chaincode::{Chaincode, Error, PeerFeatures, PeerRequests, Response, Stub};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeInput, ChaincodeMessage, DelState, GetState, GetStateByRange, PutState, QueryResponse,
    QueryResultBytes, SignedProposal,
};
use fabric_protos::queryresult::Kv;
use futures_util::future::BoxFuture;
use prost::Message;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A write the chaincode asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Put(String, Bytes),
    Delete(String),
}

/// A BTreeMap ledger answering GET_STATE, PUT_STATE, DEL_STATE, GET_STATE_BY_RANGE and
/// QUERY_STATE_CLOSE with Fabric's semantics: reads see committed state only (no
/// read-your-writes); [`MemoryPeer::invoke`] commits the writes of a successful transaction.
#[derive(Default)]
pub struct MemoryPeer {
    state: Mutex<BTreeMap<String, Bytes>>,
    writes: Mutex<Vec<Write>>,
}

impl MemoryPeer {
    pub fn new() -> Arc<Self> {
        Arc::new(MemoryPeer::default())
    }

    pub fn with_state<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Arc<Self> {
        let peer = MemoryPeer::default();
        for (k, v) in entries {
            lock(&peer.state).insert(k.to_owned(), Bytes::copy_from_slice(v.as_bytes()));
        }
        Arc::new(peer)
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        lock(&self.state).get(key).cloned()
    }

    pub fn keys(&self) -> Vec<String> {
        lock(&self.state).keys().cloned().collect()
    }

    /// A stub for a transaction with these arguments (function first).
    pub fn stub<A: AsRef<[u8]>>(
        self: &Arc<Self>,
        args: &[A],
        proposal: Option<SignedProposal>,
        is_init: bool,
    ) -> Stub {
        let input = ChaincodeInput {
            args: args
                .iter()
                .map(|a| Bytes::copy_from_slice(a.as_ref()))
                .collect(),
            is_init,
            ..Default::default()
        };
        let peer: Arc<dyn PeerRequests> = self.clone();
        Stub::new(
            "mychannel",
            "tx1",
            input,
            proposal,
            peer,
            PeerFeatures::default(),
        )
    }

    /// Runs one transaction; commits its writes if it succeeded. Returns the response and the
    /// writes it asked for.
    pub async fn invoke<C: Chaincode, A: AsRef<[u8]>>(
        self: &Arc<Self>,
        chaincode: &C,
        args: &[A],
    ) -> (Response, Vec<Write>) {
        self.invoke_with(chaincode, args, None).await
    }

    pub async fn invoke_with<C: Chaincode, A: AsRef<[u8]>>(
        self: &Arc<Self>,
        chaincode: &C,
        args: &[A],
        proposal: Option<SignedProposal>,
    ) -> (Response, Vec<Write>) {
        lock(&self.writes).clear();
        let response = chaincode.invoke(self.stub(args, proposal, false)).await;
        let writes = std::mem::take(&mut *lock(&self.writes));
        if response.status < 400 {
            let mut state = lock(&self.state);
            for w in &writes {
                match w {
                    Write::Put(k, v) if v.is_empty() => {
                        state.remove(k);
                    }
                    Write::Put(k, v) => {
                        state.insert(k.clone(), v.clone());
                    }
                    Write::Delete(k) => {
                        state.remove(k);
                    }
                }
            }
        }
        (response, writes)
    }

    fn answer(&self, kind: Type, payload: Bytes) -> Result<Bytes, String> {
        let decode_err = |e: prost::DecodeError| e.to_string();
        match kind {
            Type::GetState => {
                let req = GetState::decode(payload).map_err(decode_err)?;
                Ok(lock(&self.state).get(&req.key).cloned().unwrap_or_default())
            }
            Type::PutState => {
                let req = PutState::decode(payload).map_err(decode_err)?;
                lock(&self.writes).push(Write::Put(req.key, req.value));
                Ok(Bytes::new())
            }
            Type::DelState => {
                let req = DelState::decode(payload).map_err(decode_err)?;
                lock(&self.writes).push(Write::Delete(req.key));
                Ok(Bytes::new())
            }
            Type::GetStateByRange => {
                let req = GetStateByRange::decode(payload).map_err(decode_err)?;
                let state = lock(&self.state);
                let results = state
                    .range(req.start_key.clone()..)
                    .take_while(|(k, _)| req.end_key.is_empty() || **k < req.end_key)
                    .map(|(k, v)| QueryResultBytes {
                        result_bytes: Bytes::from(
                            Kv {
                                namespace: "cc".into(),
                                key: k.clone(),
                                value: v.clone(),
                            }
                            .encode_to_vec(),
                        ),
                    })
                    .collect();
                let response = QueryResponse {
                    results,
                    has_more: false,
                    id: "iterator-1".into(),
                    ..Default::default()
                };
                Ok(Bytes::from(response.encode_to_vec()))
            }
            Type::QueryStateClose => Ok(Bytes::from(QueryResponse::default().encode_to_vec())),
            other => Err(format!(
                "{} is not supported by the in-memory test peer",
                other.as_str_name()
            )),
        }
    }
}

impl PeerRequests for MemoryPeer {
    fn request<'a>(
        &'a self,
        _channel_id: &'a str,
        _txid: &'a str,
        kind: Type,
        payload: Bytes,
    ) -> BoxFuture<'a, fabric_chaincode::Result<Bytes>> {
        Box::pin(async move {
            self.answer(kind, payload).map_err(|message| Error::Peer {
                request: kind.as_str_name(),
                message,
            })
        })
    }
}

// ------------------------------------------------------------------ recorded transcripts

/// One recorded transaction: what the peer sent, each request of the (Node) chaincode with the
/// peer's reply, and the COMPLETED message.
#[derive(Debug, Clone)]
pub struct RecordedTx {
    pub conn: String,
    pub op: String,
    pub input: ChaincodeMessage,
    pub exchanges: Vec<(ChaincodeMessage, ChaincodeMessage)>,
    pub completed: ChaincodeMessage,
}

impl RecordedTx {
    pub fn args(&self) -> Vec<String> {
        ChaincodeInput::decode(self.input.payload.clone())
            .map(|i| {
                i.args
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn function(&self) -> String {
        self.args().first().cloned().unwrap_or_default()
    }
}

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/fabric-v3.1.5")
}

/// The transactions of a transcript (`transcripts/<name>.jsonl`), in the order they started.
pub fn load_transcript(name: &str) -> Vec<RecordedTx> {
    let path = vectors_dir()
        .join("transcripts")
        .join(format!("{name}.jsonl"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    struct Partial {
        conn: String,
        op: String,
        input: ChaincodeMessage,
        exchanges: Vec<(ChaincodeMessage, ChaincodeMessage)>,
        pending: Option<ChaincodeMessage>,
        completed: Option<ChaincodeMessage>,
    }
    let mut txs: Vec<Partial> = Vec::new();
    let mut open: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("transcript line is JSON");
        let (Some(b64), Some(conn), Some(dir)) = (
            row["bytes_b64"].as_str(),
            row["conn"].as_str(),
            row["dir"].as_str(),
        ) else {
            continue;
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        let msg = ChaincodeMessage::decode(&bytes[..]).expect("ChaincodeMessage");
        let key = (conn.to_owned(), msg.channel_id.clone(), msg.txid.clone());
        let kind = Type::try_from(msg.r#type).expect("known type");
        match (dir, kind) {
            ("peer->cc", Type::Transaction | Type::Init) => {
                open.insert(key, txs.len());
                txs.push(Partial {
                    conn: conn.to_owned(),
                    op: row["op"].as_str().unwrap_or("").to_owned(),
                    input: msg,
                    exchanges: Vec::new(),
                    pending: None,
                    completed: None,
                });
            }
            ("peer->cc", Type::Response | Type::Error) => {
                let i = open[&key];
                let request = txs[i].pending.take().expect("a reply follows a request");
                txs[i].exchanges.push((request, msg));
            }
            ("cc->peer", Type::Completed | Type::Error) if !msg.txid.is_empty() => {
                let i = open
                    .remove(&key)
                    .expect("completion of an open transaction");
                txs[i].completed = Some(msg);
            }
            ("cc->peer", Type::Register | Type::Keepalive) | ("peer->cc", _) => {}
            ("cc->peer", _) => {
                let i = open[&key];
                assert!(txs[i].pending.is_none(), "one request at a time");
                txs[i].pending = Some(msg);
            }
            _ => {}
        }
    }
    txs.into_iter()
        .filter_map(|p| {
            Some(RecordedTx {
                conn: p.conn,
                op: p.op,
                input: p.input,
                exchanges: p.exchanges,
                completed: p.completed?,
            })
        })
        .collect()
}

/// Answers requests from a recording, checking each request against the recorded one.
pub struct ReplayPeer {
    script: Mutex<VecDeque<(ChaincodeMessage, ChaincodeMessage)>>,
    problems: Mutex<Vec<String>>,
    /// How many requests matched the recording byte for byte.
    pub matched: Mutex<usize>,
}

impl ReplayPeer {
    pub fn new(tx: &RecordedTx) -> Arc<Self> {
        Arc::new(ReplayPeer {
            script: Mutex::new(tx.exchanges.iter().cloned().collect()),
            problems: Mutex::new(Vec::new()),
            matched: Mutex::new(0),
        })
    }

    /// Mismatches, and recorded requests the chaincode never made.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = lock(&self.problems).clone();
        for (request, _) in lock(&self.script).iter() {
            problems.push(format!(
                "the recording has one more request: {}",
                describe(request.r#type, &request.payload)
            ));
        }
        problems
    }
}

fn describe(kind: i32, payload: &[u8]) -> String {
    let name = Type::try_from(kind)
        .map(|t| t.as_str_name().to_owned())
        .unwrap_or_else(|_| kind.to_string());
    format!("{name} {:?}", String::from_utf8_lossy(payload))
}

impl PeerRequests for ReplayPeer {
    fn request<'a>(
        &'a self,
        _channel_id: &'a str,
        _txid: &'a str,
        kind: Type,
        payload: Bytes,
    ) -> BoxFuture<'a, fabric_chaincode::Result<Bytes>> {
        Box::pin(async move {
            let next = lock(&self.script).pop_front();
            let Some((recorded, reply)) = next else {
                lock(&self.problems).push(format!(
                    "request not in the recording: {}",
                    describe(kind as i32, &payload)
                ));
                return Err(Error::Peer {
                    request: kind.as_str_name(),
                    message: "not in the recording".into(),
                });
            };
            if recorded.r#type != kind as i32 || recorded.payload != payload {
                lock(&self.problems).push(format!(
                    "request differs: recorded {}, sent {}",
                    describe(recorded.r#type, &recorded.payload),
                    describe(kind as i32, &payload)
                ));
            } else {
                *lock(&self.matched) += 1;
            }
            match Type::try_from(reply.r#type) {
                Ok(Type::Response) => Ok(reply.payload),
                _ => Err(Error::Peer {
                    request: kind.as_str_name(),
                    message: String::from_utf8_lossy(&reply.payload).into_owned(),
                }),
            }
        })
    }
}

/// Runs a recorded transaction against `chaincode`: a stub made from the recorded message and
/// a replaying peer. Returns the response and the replay problems.
pub async fn replay<C: Chaincode>(
    chaincode: &C,
    tx: &RecordedTx,
) -> (Response, Vec<String>, usize) {
    let peer = ReplayPeer::new(tx);
    let input = ChaincodeInput::decode(tx.input.payload.clone()).expect("ChaincodeInput");
    let is_init = tx.input.r#type == Type::Init as i32;
    let requests: Arc<dyn PeerRequests> = peer.clone();
    let stub = Stub::new(
        tx.input.channel_id.clone(),
        tx.input.txid.clone(),
        input,
        tx.input.proposal.clone(),
        requests,
        PeerFeatures::default(),
    );
    let response = if is_init {
        chaincode.init(stub).await
    } else {
        chaincode.invoke(stub).await
    };
    let matched = *lock(&peer.matched);
    (response, peer.problems(), matched)
}

/// A recorded signed proposal (from Org1's User1), for tests that need a client identity.
pub fn recorded_proposal() -> SignedProposal {
    load_transcript("basic")
        .into_iter()
        .find_map(|tx| tx.input.proposal)
        .expect("a recorded proposal")
}
