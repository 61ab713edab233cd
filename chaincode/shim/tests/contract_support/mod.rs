//! Test peers for the contract tests: the test ledger with a client identity, a replayer of
//! recorded streams, a bare stub.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use base64::Engine;
use bytes::Bytes;
use fabric_chaincode::testing::{TestIdentity, TestLedger};
use fabric_chaincode::{Chaincode, Error, PeerFeatures, PeerRequests, Response, Stub};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeInput, ChaincodeMessage, SignedProposal};
use futures_util::future::BoxFuture;
use prost::Message;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ------------------------------------------------------------------ the test ledger

/// Org1's User1, the client of the test-ledger runs.
pub fn user() -> TestIdentity {
    static USER: LazyLock<TestIdentity> =
        LazyLock::new(|| TestIdentity::new("Org1MSP").expect("test identity"));
    USER.clone()
}

/// Evaluates `args` (function first) on a fresh, empty test ledger.
pub async fn evaluate<C: Chaincode, A: AsRef<[u8]>>(chaincode: &C, args: &[A]) -> Response {
    TestLedger::new("cc")
        .tx(&user())
        .args(args)
        .evaluate(chaincode)
        .await
        .expect("evaluate")
        .response
}

/// A peer that refuses every request (for stubs that never reach the ledger).
struct NoPeer;

impl PeerRequests for NoPeer {
    fn request<'a>(
        &'a self,
        _channel_id: &'a str,
        _txid: &'a str,
        kind: Type,
        _payload: Bytes,
    ) -> BoxFuture<'a, fabric_chaincode::Result<Bytes>> {
        Box::pin(async move {
            Err(Error::Peer {
                request: kind.as_str_name(),
                message: "this stub has no ledger".into(),
            })
        })
    }
}

/// A stub for transaction `tx1` with these arguments and proposal (possibly none: what a
/// chaincode sees from a peer that sends no signed proposal), and no ledger.
pub fn bare_stub<A: AsRef<[u8]>>(args: &[A], proposal: Option<SignedProposal>) -> Stub {
    let input = ChaincodeInput {
        args: args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_ref()))
            .collect(),
        ..Default::default()
    };
    Stub::new(
        "mychannel",
        "tx1",
        input,
        proposal,
        Arc::new(NoPeer),
        PeerFeatures::default(),
    )
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

// ------------------------------------------------------------------ metadata shape

/// The keywords Fabric's `contract-schema.json` allows in a parameter or return schema (its
/// `schema` definition has `additionalProperties: false`).
const SCHEMA_KEYWORDS: &[&str] = &[
    "$ref",
    "format",
    "title",
    "description",
    "default",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "additionalProperties",
    "type",
    "items",
    "allOf",
    "properties",
    "discriminator",
    "readOnly",
    "example",
];

const SIMPLE_TYPES: &[&str] = &[
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// Checks metadata against the rules of Fabric's `contract-schema.json` (the JSON schema of
/// contract metadata, fabric-chaincode-node `apis/fabric-contract-api/schema`). Returns the
/// violations.
pub fn metadata_shape_problems(metadata: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let mut p = Vec::new();
    let Some(top) = metadata.as_object() else {
        return vec!["metadata is not an object".into()];
    };
    check_info(top.get("info"), "info", &mut p, true);
    match top.get("contracts").and_then(Value::as_object) {
        None => p.push("contracts: missing or not an object".into()),
        Some(contracts) => {
            for (name, c) in contracts {
                let at = format!("contracts.{name}");
                let Some(c) = c.as_object() else {
                    p.push(format!("{at}: not an object"));
                    continue;
                };
                if c.get("name").and_then(Value::as_str) != Some(name) {
                    p.push(format!("{at}.name: missing or not the key"));
                }
                if c.contains_key("info") {
                    check_info(c.get("info"), &format!("{at}.info"), &mut p, true);
                }
                let Some(txs) = c.get("transactions").and_then(Value::as_array) else {
                    p.push(format!("{at}.transactions: missing or not an array"));
                    continue;
                };
                for (i, tx) in txs.iter().enumerate() {
                    check_transaction(tx, &format!("{at}.transactions[{i}]"), &mut p);
                }
            }
        }
    }
    if let Some(components) = top.get("components") {
        match components.get("schemas").map(|s| s.as_object()) {
            None => {}
            Some(None) => p.push("components.schemas: not an object".into()),
            Some(Some(schemas)) => {
                for (name, s) in schemas {
                    let at = format!("components.schemas.{name}");
                    if s.get("$id").and_then(Value::as_str).is_none() {
                        p.push(format!("{at}: no $id"));
                    }
                    if let Some(props) = s.get("properties").and_then(Value::as_object) {
                        for (k, v) in props {
                            check_schema(v, &format!("{at}.properties.{k}"), &mut p);
                        }
                    }
                    if let Some(req) = s.get("required") {
                        check_string_array(req, &format!("{at}.required"), &mut p);
                    }
                }
            }
        }
    }
    p
}

fn check_info(info: Option<&serde_json::Value>, at: &str, p: &mut Vec<String>, required: bool) {
    match info.and_then(|i| i.as_object()) {
        None if required => p.push(format!("{at}: missing or not an object")),
        None => {}
        Some(info) => {
            for k in ["title", "version"] {
                if info.get(k).and_then(|v| v.as_str()).is_none() {
                    p.push(format!("{at}.{k}: missing or not a string"));
                }
            }
        }
    }
}

fn check_transaction(tx: &serde_json::Value, at: &str, p: &mut Vec<String>) {
    let Some(tx) = tx.as_object() else {
        p.push(format!("{at}: not an object"));
        return;
    };
    if tx.get("name").and_then(|n| n.as_str()).is_none() {
        p.push(format!("{at}.name: missing"));
    }
    if let Some(tag) = tx.get("tag") {
        check_string_array(tag, &format!("{at}.tag"), p);
    }
    if let Some(params) = tx.get("parameters") {
        let Some(params) = params.as_array() else {
            p.push(format!("{at}.parameters: not an array"));
            return;
        };
        let mut seen = Vec::new();
        for (i, param) in params.iter().enumerate() {
            let pat = format!("{at}.parameters[{i}]");
            if seen.contains(&param) {
                p.push(format!("{pat}: not unique"));
            }
            seen.push(param);
            let Some(obj) = param.as_object() else {
                p.push(format!("{pat}: not an object"));
                continue;
            };
            for k in obj.keys() {
                if !["description", "name", "required", "schema"].contains(&k.as_str()) {
                    p.push(format!("{pat}: keyword {k} not allowed"));
                }
            }
            if obj.get("name").and_then(|n| n.as_str()).is_none() {
                p.push(format!("{pat}.name: missing"));
            }
            match obj.get("schema") {
                Some(s) => check_schema(s, &format!("{pat}.schema"), p),
                None => p.push(format!("{pat}.schema: missing")),
            }
        }
    }
    if let Some(r) = tx.get("returns") {
        check_schema(r, &format!("{at}.returns"), p);
    }
}

fn check_string_array(v: &serde_json::Value, at: &str, p: &mut Vec<String>) {
    match v.as_array() {
        Some(items) if items.iter().all(|i| i.is_string()) => {}
        _ => p.push(format!("{at}: not an array of strings")),
    }
}

fn check_schema(schema: &serde_json::Value, at: &str, p: &mut Vec<String>) {
    use serde_json::Value;
    let Some(s) = schema.as_object() else {
        p.push(format!("{at}: a schema must be an object"));
        return;
    };
    for (k, v) in s {
        if !SCHEMA_KEYWORDS.contains(&k.as_str()) {
            p.push(format!("{at}: keyword {k} not allowed"));
        }
        match k.as_str() {
            "type" => {
                let ok = match v {
                    Value::String(t) => SIMPLE_TYPES.contains(&t.as_str()),
                    Value::Array(ts) => ts
                        .iter()
                        .all(|t| t.as_str().is_some_and(|t| SIMPLE_TYPES.contains(&t))),
                    _ => false,
                };
                if !ok {
                    p.push(format!("{at}.type: not a simple type or a list of them"));
                }
            }
            "properties" => match v.as_object() {
                Some(props) => {
                    for (name, sub) in props {
                        check_schema(sub, &format!("{at}.properties.{name}"), p);
                    }
                }
                None => p.push(format!("{at}.properties: not an object")),
            },
            "items" => match v {
                Value::Array(items) => {
                    for (i, sub) in items.iter().enumerate() {
                        check_schema(sub, &format!("{at}.items[{i}]"), p);
                    }
                }
                other => check_schema(other, &format!("{at}.items"), p),
            },
            "additionalProperties" if !v.is_boolean() => {
                check_schema(v, &format!("{at}.additionalProperties"), p)
            }
            "allOf" => match v.as_array() {
                Some(items) if !items.is_empty() => {
                    for (i, sub) in items.iter().enumerate() {
                        check_schema(sub, &format!("{at}.allOf[{i}]"), p);
                    }
                }
                _ => p.push(format!("{at}.allOf: not a non-empty array")),
            },
            "required" => check_string_array(v, &format!("{at}.required"), p),
            "$ref" | "format" | "pattern" | "discriminator" if !v.is_string() => {
                p.push(format!("{at}.{k}: not a string"))
            }
            _ => {}
        }
    }
}

/// Compares `actual` (canonical metadata bytes) with a pretty-printed golden file under
/// `tests/golden/`; `UPDATE_GOLDEN=1` rewrites the file.
pub fn check_golden(file: &str, actual: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(file);
    let value: serde_json::Value = serde_json::from_slice(actual).expect("metadata is JSON");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let pretty = serde_json::to_string_pretty(&value).expect("pretty JSON") + "\n";
        std::fs::write(&path, pretty).expect("write golden file");
    }
    let golden = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    let golden: serde_json::Value = serde_json::from_slice(&golden).expect("golden is JSON");
    let canonical = fabric_chaincode::contract::json::to_sorted_vec(&golden).expect("encode");
    assert_eq!(
        String::from_utf8_lossy(&canonical),
        String::from_utf8_lossy(actual),
        "{} differs from the metadata (UPDATE_GOLDEN=1 rewrites it)",
        path.display()
    );
}
