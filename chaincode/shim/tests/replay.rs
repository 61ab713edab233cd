//! Replays a recorded Fabric v3.1.5 peer↔chaincode transcript (tests/vectors/fabric-v3.1.5/
//! transcripts/basic.jsonl: the fabric-samples asset-transfer-basic Node chaincode behind real
//! peers) against our shim running a Rust chaincode with the sample's logic.
//!
//! The scripted peer plays the recorded peer→chaincode messages (REGISTERED, READY, TRANSACTION
//! and the recorded RESPONSE payloads) over real gRPC, and every message our shim sends —
//! REGISTER, each GET_STATE/PUT_STATE/DEL_STATE/GET_STATE_BY_RANGE/QUERY_STATE_NEXT and each
//! COMPLETED — must equal the recorded bytes. READY is sent with an empty payload: the Node shim
//! ignored the advertised write batching, so without it ours sends the same PUT_STATE messages.
//! Transactions that ran concurrently (15 submitters) run concurrently here too; messages are
//! matched per transaction id.

mod common;

use std::collections::{BTreeMap, HashMap, VecDeque};

use base64::Engine;
use bytes::Bytes;
use common::*;
use fabric_chaincode::chaincode::{error, success};
use fabric_chaincode::peer_side::{ChaincodeDialer, RawStream};
use fabric_chaincode::{Chaincode, Response, Stub};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeId, ChaincodeMessage};
use prost::Message;
use serde::Deserialize;
use serde_json::Value;

const TRANSCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/fabric-v3.1.5/transcripts/basic.jsonl"
);

/// asset-transfer-basic, as its recorded behaviour shows it.
struct AssetTransferBasic;

/// What the Node contract API returned for functions that return `putState`'s result.
const NODE_EMPTY_BUFFER: &str = r#"{"type":"Buffer","data":[]}"#;

fn number_or_string(text: &str) -> Value {
    text.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(text))
}

/// JSON with keys sorted (the sample writes with json-stringify-deterministic).
fn sorted_json(fields: &[(&str, Value)]) -> String {
    let map: BTreeMap<&str, &Value> = fields.iter().map(|(k, v)| (*k, v)).collect();
    serde_json::to_string(&map).expect("JSON")
}

impl AssetTransferBasic {
    async fn exists(stub: &Stub, id: &str) -> fabric_chaincode::Result<bool> {
        Ok(stub.get_state(id).await?.is_some())
    }

    async fn run(stub: &Stub) -> fabric_chaincode::Result<Response> {
        let args: Vec<String> = stub.string_args()?;
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
        Ok(match arg(0) {
            "InitLedger" => {
                let assets = [
                    ("asset1", "blue", 5, "Tomoko", 300),
                    ("asset2", "red", 5, "Brad", 400),
                    ("asset3", "green", 10, "Jin Soo", 500),
                    ("asset4", "yellow", 10, "Max", 600),
                    ("asset5", "black", 15, "Adriana", 700),
                    ("asset6", "white", 15, "Michel", 800),
                ];
                for (id, color, size, owner, value) in assets {
                    let json = sorted_json(&[
                        ("ID", id.into()),
                        ("Color", color.into()),
                        ("Size", size.into()),
                        ("Owner", owner.into()),
                        ("AppraisedValue", value.into()),
                        ("docType", "asset".into()),
                    ]);
                    stub.put_state(id, json.into_bytes()).await?;
                }
                success(Bytes::new())
            }
            "CreateAsset" => {
                let id = arg(1);
                if Self::exists(stub, id).await? {
                    return Ok(error(format!("The asset {id} already exists")));
                }
                let fields = [
                    ("ID", Value::from(id)),
                    ("Color", Value::from(arg(2))),
                    ("Size", number_or_string(arg(3))),
                    ("Owner", Value::from(arg(4))),
                    ("AppraisedValue", number_or_string(arg(5))),
                ];
                stub.put_state(id, sorted_json(&fields).into_bytes())
                    .await?;
                // The return value keeps the object's field order.
                let body: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}:{}", Value::from(*k), v))
                    .collect();
                success(format!("{{{}}}", body.join(",")))
            }
            "ReadAsset" => match stub.get_state(arg(1)).await? {
                Some(v) => success(v),
                None => error(format!("The asset {} does not exist", arg(1))),
            },
            "UpdateAsset" => {
                let id = arg(1);
                if !Self::exists(stub, id).await? {
                    return Ok(error(format!("The asset {id} does not exist")));
                }
                let json = sorted_json(&[
                    ("ID", id.into()),
                    ("Color", arg(2).into()),
                    ("Size", arg(3).into()),
                    ("Owner", arg(4).into()),
                    ("AppraisedValue", arg(5).into()),
                ]);
                stub.put_state(id, json.into_bytes()).await?;
                success(NODE_EMPTY_BUFFER)
            }
            "DeleteAsset" => {
                let id = arg(1);
                if !Self::exists(stub, id).await? {
                    return Ok(error(format!("The asset {id} does not exist")));
                }
                stub.del_state(id).await?;
                success(NODE_EMPTY_BUFFER)
            }
            "AssetExists" => success(Self::exists(stub, arg(1)).await?.to_string()),
            "TransferAsset" => {
                let id = arg(1);
                let Some(bytes) = stub.get_state(id).await? else {
                    return Ok(error(format!("The asset {id} does not exist")));
                };
                let mut asset: BTreeMap<String, Value> = serde_json::from_slice(&bytes)
                    .map_err(|e| fabric_chaincode::Error::InvalidArgument(e.to_string()))?;
                let old = asset
                    .insert("Owner".into(), Value::from(arg(2)))
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let json = serde_json::to_string(&asset).expect("JSON");
                stub.put_state(id, json.into_bytes()).await?;
                success(old)
            }
            "GetAllAssets" => {
                // The sample iterates to the end and never closes the iterator.
                let mut it = stub.get_state_by_range("", "").await?;
                let mut values = Vec::new();
                while let Some(kv) = it.next().await? {
                    values.push(String::from_utf8_lossy(&kv.value).into_owned());
                }
                success(format!("[{}]", values.join(",")))
            }
            other => error(format!("unknown function {other}")),
        })
    }
}

impl Chaincode for AssetTransferBasic {
    async fn invoke(&self, stub: Stub) -> Response {
        Self::run(&stub)
            .await
            .unwrap_or_else(|e| error(e.to_string()))
    }
}

#[derive(Debug, Deserialize)]
struct Line {
    seq: u64,
    conn: Option<String>,
    dir: Option<String>,
    bytes_b64: Option<String>,
    op: Option<String>,
}

struct Recorded {
    seq: u64,
    from_peer: bool,
    bytes: Vec<u8>,
    msg: ChaincodeMessage,
    op: String,
}

fn transcript() -> Vec<(String, Vec<Recorded>)> {
    let text = std::fs::read_to_string(TRANSCRIPT).expect("the recorded transcript");
    let mut conns: Vec<(String, Vec<Recorded>)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let line: Line = serde_json::from_str(line).expect("a transcript line");
        let (Some(conn), Some(dir), Some(b64)) = (line.conn, line.dir, line.bytes_b64) else {
            continue; // stream events
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        let msg = ChaincodeMessage::decode(bytes.as_slice()).expect("a ChaincodeMessage");
        let rec = Recorded {
            seq: line.seq,
            from_peer: dir == "peer->cc",
            bytes,
            msg,
            op: line.op.unwrap_or_default(),
        };
        match conns.iter_mut().find(|(c, _)| *c == conn) {
            Some((_, recs)) => recs.push(rec),
            None => conns.push((conn, vec![rec])),
        }
    }
    conns
}

/// The next message our shim sent for `txid`, reading (and setting aside) others.
async fn next_for(
    raw: &mut RawStream,
    held: &mut HashMap<String, VecDeque<ChaincodeMessage>>,
    txid: &str,
) -> ChaincodeMessage {
    if let Some(msg) = held.get_mut(txid).and_then(VecDeque::pop_front) {
        return msg;
    }
    loop {
        let msg = within(&format!("a message for {txid:?}"), raw.recv())
            .await
            .expect("the stream")
            .expect("the shim closed the stream");
        if msg.txid == txid {
            return msg;
        }
        held.entry(msg.txid.clone()).or_default().push_back(msg);
    }
}

fn describe(msg: &ChaincodeMessage) -> String {
    format!(
        "{} txid={} channel={} payload={:?} event={:?}",
        Type::try_from(msg.r#type)
            .map(|t| t.as_str_name().to_owned())
            .unwrap_or_else(|_| msg.r#type.to_string()),
        msg.txid,
        msg.channel_id,
        String::from_utf8_lossy(&msg.payload),
        msg.chaincode_event
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_transcript_replays_byte_for_byte() {
    let conns = transcript();
    assert!(conns.len() >= 2, "the transcript has its streams");
    let mut compared = 0usize;
    let mut completed = 0usize;
    for (conn, recs) in conns {
        let register = recs
            .iter()
            .find(|r| !r.from_peer)
            .expect("the chaincode's first message");
        assert_eq!(register.msg.r#type, Type::Register as i32, "{conn}");
        let package_id = ChaincodeId::decode(register.msg.payload.clone())
            .unwrap()
            .name;
        let server = TestServer::start_as(AssetTransferBasic, &package_id, None).await;
        let mut raw = ChaincodeDialer::new(server.address())
            .open_stream()
            .await
            .unwrap();
        let mut held = HashMap::new();
        for rec in &recs {
            if rec.from_peer {
                let mut msg = rec.msg.clone();
                if msg.r#type == Type::Ready as i32 {
                    // As the Node shim behaved: no write batching, no multiple-key reads.
                    msg.payload = Bytes::new();
                }
                raw.send(msg).await.unwrap();
                continue;
            }
            let ours = next_for(&mut raw, &mut held, &rec.msg.txid).await;
            assert!(
                ours.encode_to_vec() == rec.bytes,
                "{conn} seq {} ({}):\n  recorded {}\n  ours     {}",
                rec.seq,
                rec.op,
                describe(&rec.msg),
                describe(&ours)
            );
            compared += 1;
            if rec.msg.r#type == Type::Completed as i32 {
                completed += 1;
            }
        }
        assert!(
            held.values().all(VecDeque::is_empty),
            "{conn}: our shim sent messages the recording does not have: {held:?}"
        );
        // Once the peer closes its side, the shim ends the stream with nothing left to say.
        raw.close_send();
        let rest = within("end of stream", raw.recv()).await.unwrap();
        assert!(rest.is_none(), "{conn}: unexpected message {rest:?}");
        server.shutdown().await.unwrap();
    }
    // Every recorded chaincode message of the file was compared.
    assert!(compared > 1000, "compared {compared} messages");
    assert!(completed > 300, "compared {completed} COMPLETED messages");
    eprintln!("replayed {compared} chaincode messages, {completed} of them COMPLETED");
}
