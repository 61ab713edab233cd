//! A probe chaincode for the test-ledger tests: one function per stub operation, string
//! arguments in, text or JSON out, shim errors as 500 responses with the shim's message.

#![allow(dead_code)]

use bytes::Bytes;
use fabric_chaincode::testing::{TestIdentity, TestLedger, TxOutcome};
use fabric_chaincode::{Chaincode, Response, Stub, chaincode};
use fabric_sdk::policy::statebased::{KeyEndorsementPolicy, RoleType};
use serde_json::{Value, json};

/// The probe. `Call` forwards to another chaincode; `Panic` panics.
pub struct Probe;

type Out = Result<Vec<u8>, String>;

fn text(s: impl Into<String>) -> Out {
    Ok(s.into().into_bytes())
}

fn as_json(v: Value) -> Out {
    Ok(v.to_string().into_bytes())
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn value_text(v: Option<Bytes>) -> Value {
    match v {
        Some(v) => Value::String(String::from_utf8_lossy(&v).into_owned()),
        None => Value::Null,
    }
}

async fn keys_of(mut it: fabric_chaincode::StateIterator) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    while let Some(kv) = it.next().await.map_err(err)? {
        keys.push(kv.key);
    }
    Ok(keys)
}

async fn run(stub: &Stub) -> Out {
    let (function, args) = stub.function_and_parameters().map_err(err)?;
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match (function.as_str(), a.as_slice()) {
        ("Put", [k, v]) => {
            stub.put_state(k, v.to_string()).await.map_err(err)?;
            text("")
        }
        ("Get", [k]) => Ok(stub
            .get_state(k)
            .await
            .map_err(err)?
            .unwrap_or_default()
            .to_vec()),
        ("Del", [k]) => {
            stub.del_state(k).await.map_err(err)?;
            text("")
        }
        // Writes, then reads the same key back: Fabric has no read-your-writes.
        ("PutThenGet", [k, v]) => {
            stub.put_state(k, v.to_string()).await.map_err(err)?;
            as_json(value_text(stub.get_state(k).await.map_err(err)?))
        }
        ("GetMany", keys) => {
            let values = stub.get_multiple_states(keys).await.map_err(err)?;
            as_json(Value::Array(values.into_iter().map(value_text).collect()))
        }
        ("PutComposite", [object_type, attrs @ .., value]) => {
            let key = stub.create_composite_key(object_type, attrs).map_err(err)?;
            stub.put_state(&key, value.to_string()).await.map_err(err)?;
            text("")
        }
        ("Partial", [object_type, attrs @ ..]) => {
            let mut it = stub
                .get_state_by_partial_composite_key(object_type, attrs)
                .await
                .map_err(err)?;
            let mut out = Vec::new();
            while let Some(kv) = it.next().await.map_err(err)? {
                let (t, parts) = stub.split_composite_key(&kv.key).map_err(err)?;
                out.push(json!([t, parts, String::from_utf8_lossy(&kv.value)]));
            }
            as_json(Value::Array(out))
        }
        ("Range", [start, end]) => {
            let it = stub.get_state_by_range(start, end).await.map_err(err)?;
            as_json(json!(keys_of(it).await?))
        }
        ("Page", [start, end, size, bookmark]) => {
            let size: i32 = size.parse().map_err(err)?;
            let (it, meta) = stub
                .get_state_by_range_with_pagination(start, end, size, bookmark)
                .await
                .map_err(err)?;
            let keys = keys_of(it).await?;
            as_json(json!({
                "keys": keys,
                "count": meta.fetched_records_count,
                "bookmark": meta.bookmark,
            }))
        }
        // A paginated query, then a write: Fabric refuses the write.
        ("PageThenPut", [k, v]) => {
            let (it, _) = stub
                .get_state_by_range_with_pagination("", "", 10, "")
                .await
                .map_err(err)?;
            keys_of(it).await?;
            stub.put_state(k, v.to_string()).await.map_err(err)?;
            text("written")
        }
        ("History", [k]) => {
            let mut it = stub.get_history_for_key(k).await.map_err(err)?;
            let mut out = Vec::new();
            while let Some(m) = it.next().await.map_err(err)? {
                out.push(json!({
                    "txid": m.tx_id,
                    "value": String::from_utf8_lossy(&m.value),
                    "delete": m.is_delete,
                    "seconds": m.timestamp.map(|t| t.seconds),
                }));
            }
            as_json(Value::Array(out))
        }
        ("SetEndorsers", [k, orgs @ ..]) => {
            let mut policy = KeyEndorsementPolicy::new();
            policy.add_orgs(RoleType::Peer, orgs).map_err(err)?;
            let bytes = policy.to_bytes().map_err(err)?;
            stub.set_state_validation_parameter(k, bytes)
                .await
                .map_err(err)?;
            text("")
        }
        ("GetEndorsers", [k]) => {
            let orgs = match stub.get_state_validation_parameter(k).await.map_err(err)? {
                Some(bytes) => KeyEndorsementPolicy::from_bytes(&bytes)
                    .map_err(err)?
                    .list_orgs(),
                None => Vec::new(),
            };
            as_json(json!(orgs))
        }
        ("Events", names) => {
            for name in names {
                stub.set_event(name, format!("payload of {name}"))
                    .map_err(err)?;
            }
            text("")
        }
        // The value comes from the transient map, never from the arguments.
        ("PutPrivate", [collection, k]) => {
            let value = stub
                .transient_value("value")
                .map_err(err)?
                .cloned()
                .ok_or("no transient value")?;
            stub.put_private_data(collection, k, value)
                .await
                .map_err(err)?;
            text("")
        }
        ("GetPrivate", [collection, k]) => Ok(stub
            .get_private_data(collection, k)
            .await
            .map_err(err)?
            .unwrap_or_default()
            .to_vec()),
        ("GetPrivateHash", [collection, k]) => {
            let hash = stub
                .get_private_data_hash(collection, k)
                .await
                .map_err(err)?;
            text(hash.map(hex::encode).unwrap_or_default())
        }
        ("PurgePrivate", [collection, k]) => {
            stub.purge_private_data(collection, k).await.map_err(err)?;
            text("")
        }
        ("Rich", [query]) => {
            let it = stub.get_query_result(query).await.map_err(err)?;
            as_json(json!(keys_of(it).await?))
        }
        ("DelPrivate", [collection, k]) => {
            stub.del_private_data(collection, k).await.map_err(err)?;
            text("")
        }
        ("Whoami", []) => {
            let id = stub.client_identity().map_err(err)?;
            let ts = stub.tx_timestamp().map_err(err)?;
            let transient: Vec<&String> = stub.transient().map_err(err)?.keys().collect();
            as_json(json!({
                "msp": id.msp_id(),
                "id": id.id(),
                "attrs": id.attributes(),
                "client": id.has_ou_value("client"),
                "subject": id.certificate().subject(),
                "txid": stub.txid(),
                "channel": stub.channel_id(),
                "seconds": ts.seconds,
                "nanos": ts.nanos,
                "transient": transient,
                "init": stub.is_init(),
            }))
        }
        ("Call", [cc, rest @ ..]) => {
            let r = stub.invoke_chaincode(cc, rest, "").await.map_err(err)?;
            if r.status >= 400 {
                return Err(format!("callee said {}: {}", r.status, r.message));
            }
            Ok(r.payload.to_vec())
        }
        ("Panic", []) => panic!("the probe panics"),
        (f, a) => Err(format!("no probe function {f} with {} arguments", a.len())),
    }
}

impl Chaincode for Probe {
    async fn invoke(&self, stub: Stub) -> Response {
        match run(&stub).await {
            Ok(payload) => chaincode::success(payload),
            Err(message) => chaincode::error(message),
        }
    }
}

/// Org1's User1.
pub fn user() -> TestIdentity {
    TestIdentity::new("Org1MSP").expect("test identity")
}

/// A probe transaction's payload as text, asserting status 200.
pub fn ok_text(outcome: &TxOutcome) -> String {
    assert_eq!(outcome.status(), 200, "{:?}", outcome.response);
    outcome.payload_str().into_owned()
}

/// A probe transaction's payload as JSON, asserting status 200.
pub fn ok_json(outcome: &TxOutcome) -> Value {
    assert_eq!(outcome.status(), 200, "{:?}", outcome.response);
    outcome.json().expect("JSON payload")
}

/// Submits `function args...` to the probe and asserts it committed as valid.
pub async fn submit(ledger: &TestLedger, who: &TestIdentity, args: &[&str]) -> TxOutcome {
    let (function, rest) = args.split_first().expect("a function");
    let outcome = ledger
        .tx(who)
        .function(function)
        .args(rest)
        .submit(&Probe)
        .await
        .expect("submit");
    assert!(outcome.is_valid(), "{args:?}: {outcome:?}");
    outcome
}

/// Evaluates `function args...` on the probe.
pub async fn evaluate(ledger: &TestLedger, who: &TestIdentity, args: &[&str]) -> TxOutcome {
    let (function, rest) = args.split_first().expect("a function");
    ledger
        .tx(who)
        .function(function)
        .args(rest)
        .evaluate(&Probe)
        .await
        .expect("evaluate")
}
