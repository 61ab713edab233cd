//! The Rust asset-transfer-basic contract against the Node chaincode's recorded behaviour.
//!
//! `tests/vectors/fabric-v3.1.5/transcripts/basic.jsonl` and `init.jsonl` hold every message
//! between two Fabric v3.1.5 peers and fabric-samples' JavaScript asset-transfer-basic
//! chaincode. Each recorded transaction is replayed here: the Rust contract gets the recorded
//! TRANSACTION/INIT message (arguments and signed proposal), every request it sends must equal
//! the Node chaincode's request byte for byte (GET_STATE, PUT_STATE with the stored JSON,
//! DEL_STATE, GET_STATE_BY_RANGE, QUERY_STATE_NEXT), it gets the peer's recorded replies, and
//! its response must encode to the same `protos.Response` bytes as the Node chaincode's
//! COMPLETED payload.

#[path = "../examples/asset_transfer/contract.rs"]
#[allow(dead_code)]
mod asset_transfer;
mod contract_support;

use std::collections::BTreeMap;

use bytes::Bytes;
use contract_support::{
    check_golden, evaluate, load_transcript, metadata_shape_problems, replay, user,
};
use fabric_chaincode::testing::{TestLedger, TxOutcome};
use fabric_protos::protos::Response;
use fabric_protos::protos::chaincode_message::Type;
use prost::Message;

async fn replay_all(name: &str) -> BTreeMap<String, usize> {
    let chaincode = asset_transfer::chaincode().expect("valid chaincode");
    let txs = load_transcript(name);
    assert!(!txs.is_empty(), "{name}: no transactions recorded");
    let mut per_function = BTreeMap::new();
    let mut failures = Vec::new();
    let mut requests = 0;
    for tx in &txs {
        let (response, problems, matched) = replay(&chaincode, tx).await;
        requests += matched;
        assert_eq!(tx.completed.r#type, Type::Completed as i32, "{}", tx.op);
        let ours = response.encode_to_vec();
        if ours != tx.completed.payload || !problems.is_empty() {
            let theirs = Response::decode(tx.completed.payload.clone()).unwrap_or_default();
            failures.push(format!(
                "{} {} {:?}: response {:?} vs recorded {:?}; {problems:?}",
                tx.conn,
                tx.op,
                tx.args(),
                response,
                theirs
            ));
        }
        *per_function.entry(tx.function()).or_insert(0) += 1;
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let recorded: usize = txs.iter().map(|t| t.exchanges.len()).sum();
    assert_eq!(
        requests, recorded,
        "every recorded request matched byte for byte"
    );
    println!(
        "{name}: {} transactions, {requests} requests matched",
        txs.len()
    );
    per_function
}

/// Submits `args` (function first) as Org1's User1; commits it if the chaincode succeeded.
async fn submit<A: AsRef<[u8]>>(
    ledger: &TestLedger,
    chaincode: &fabric_chaincode::contract::ContractChaincode,
    args: &[A],
) -> TxOutcome {
    ledger
        .tx(&user())
        .args(args)
        .submit(chaincode)
        .await
        .expect("submit")
}

#[tokio::test]
async fn replays_every_recorded_basic_transaction_byte_for_byte() {
    let counts = replay_all("basic").await;
    // Every function of the sample is covered by the recording.
    for f in [
        "InitLedger",
        "CreateAsset",
        "ReadAsset",
        "UpdateAsset",
        "DeleteAsset",
        "AssetExists",
        "TransferAsset",
        "GetAllAssets",
    ] {
        assert!(
            counts.get(f).copied().unwrap_or(0) > 0,
            "{f} not recorded: {counts:?}"
        );
    }
    assert_eq!(counts.values().sum::<usize>(), 335);
}

#[tokio::test]
async fn replays_the_recorded_init_transactions() {
    let counts = replay_all("init").await;
    assert_eq!(counts.get("InitLedger"), Some(&2));
}

#[tokio::test]
async fn the_recorded_values_come_out_of_a_ledger_run_too() {
    // The same sequence as the recording (InitLedger → ... → ReadAsset of a deleted asset), on
    // the test ledger, starting empty: every written value and every response equals the
    // recorded one of peer0.org1's first connection.
    let chaincode = asset_transfer::chaincode().expect("valid chaincode");
    let ledger = TestLedger::new("basic");
    let txs = load_transcript("basic");
    let sequence: Vec<_> = txs
        .iter()
        .filter(|t| t.conn == "peer0.org1#1" && !t.op.starts_with("basic.bulk"))
        .take_while(|t| t.function() != "GetAllAssets")
        .collect();
    assert_eq!(
        sequence.len(),
        9,
        "{:?}",
        sequence.iter().map(|t| &t.op).collect::<Vec<_>>()
    );
    for tx in sequence {
        let outcome = submit(&ledger, &chaincode, &tx.args()).await;
        assert_eq!(
            outcome.response.encode_to_vec(),
            tx.completed.payload.to_vec(),
            "{}: {:?}",
            tx.op,
            outcome.response
        );
        // The recorded PUT_STATE / DEL_STATE requests, as the read-write set holds them.
        let recorded: BTreeMap<String, Option<Bytes>> = tx
            .exchanges
            .iter()
            .filter_map(|(req, _)| match Type::try_from(req.r#type) {
                Ok(Type::PutState) => {
                    let p = fabric_protos::protos::PutState::decode(req.payload.clone()).ok()?;
                    Some((p.key, Some(p.value)))
                }
                Ok(Type::DelState) => {
                    let d = fabric_protos::protos::DelState::decode(req.payload.clone()).ok()?;
                    Some((d.key, None))
                }
                _ => None,
            })
            .collect();
        assert_eq!(outcome.writes(), recorded, "{}", tx.op);
    }
    assert_eq!(
        ledger.keys(),
        ["asset1", "asset2", "asset3", "asset4", "asset5", "asset6"]
    );
}

#[tokio::test]
async fn argument_errors_name_the_parameter() {
    let chaincode = asset_transfer::chaincode().expect("valid chaincode");
    let ledger = TestLedger::new("basic");
    let outcome = submit(
        &ledger,
        &chaincode,
        &["CreateAsset", "a1", "blue", "big", "Ann", "5"],
    )
    .await;
    let response = &outcome.response;
    assert_eq!(response.status, 500);
    assert!(outcome.writes().is_empty());
    assert_eq!(
        response.message,
        "error managing parameter size (3 of 5) of CreateAsset: expected u64 (a JSON integer), \
         got \"big\": expected value at line 1 column 1"
    );
    let response = evaluate(&chaincode, &["ReadAsset"]).await;
    assert_eq!(
        response.message,
        "Expected 1 parameters, but 0 have been supplied: AssetTransfer:ReadAsset(id: String)"
    );
}

#[tokio::test]
async fn unusual_stored_values_do_not_break_it() {
    let chaincode = asset_transfer::chaincode().expect("valid chaincode");
    let ledger = TestLedger::new("basic");
    ledger
        .put_states([
            ("a", "not json"),
            ("b", r#"{"Owner":5,"z":{"y":1,"x":[1.5,1e21]}}"#),
            ("c", "[1,2]"),
        ])
        .unwrap();
    let response = submit(&ledger, &chaincode, &["GetAllAssets"])
        .await
        .response;
    assert_eq!(
        String::from_utf8_lossy(&response.payload),
        r#"["not json",{"Owner":5,"z":{"x":[1.5,1e+21],"y":1}},[1,2]]"#
    );
    let outcome = submit(&ledger, &chaincode, &["TransferAsset", "b", "Zoe"]).await;
    let response = &outcome.response;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(&response.payload[..], b"5");
    assert_eq!(
        outcome.writes(),
        [(
            "b".to_owned(),
            Some(r#"{"Owner":"Zoe","z":{"x":[1.5,1e+21],"y":1}}"#.into())
        )]
        .into()
    );
    let outcome = submit(&ledger, &chaincode, &["TransferAsset", "a", "Zoe"]).await;
    let response = &outcome.response;
    assert_eq!(response.status, 500);
    assert!(
        response
            .message
            .starts_with("The asset a is not valid JSON"),
        "{response:?}"
    );
    assert!(outcome.writes().is_empty());
    let response = submit(&ledger, &chaincode, &["TransferAsset", "c", "Zoe"])
        .await
        .response;
    assert_eq!(response.message, "The asset c is not a JSON object");
}

#[tokio::test]
async fn metadata_matches_the_golden_file() {
    let chaincode = asset_transfer::chaincode().expect("valid chaincode");
    let response = evaluate(&chaincode, &["org.hyperledger.fabric:GetMetadata"]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.payload, chaincode.metadata());
    let metadata: serde_json::Value = serde_json::from_slice(&response.payload).unwrap();
    assert_eq!(metadata_shape_problems(&metadata), Vec::<String>::new());
    check_golden("asset_transfer_metadata.json", chaincode.metadata());
}
