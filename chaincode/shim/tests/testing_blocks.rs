//! Blocks on the test ledger with the asset-transfer contract: MVCC and phantom-read conflicts
//! between concurrently endorsed transactions, duplicate txids, GetAllAssets across batches,
//! identical read-write sets with and without write batching; chaincode-to-chaincode calls and
//! init-required chaincodes with the probe.

#[path = "../examples/asset_transfer/contract.rs"]
#[allow(dead_code)]
mod asset_transfer;
mod testing_support;

use std::sync::Arc;

use fabric_chaincode::PeerFeatures;
use fabric_chaincode::contract::ContractChaincode;
use fabric_chaincode::testing::{TestIdentity, TestLedger, TxOutcome, TxValidationCode};
use fabric_sdk::ledger::INITIALIZED_KEY;
use serde_json::{Value, json};
use testing_support::{Probe, ok_text, submit, user};

fn chaincode() -> ContractChaincode {
    asset_transfer::chaincode().expect("valid chaincode")
}

async fn simulate(
    ledger: &TestLedger,
    cc: &ContractChaincode,
    who: &TestIdentity,
    args: &[&str],
) -> TxOutcome {
    let (function, rest) = args.split_first().expect("a function");
    ledger
        .tx(who)
        .function(function)
        .args(rest)
        .simulate(cc)
        .await
        .expect("simulate")
}

async fn submit_asset(ledger: &TestLedger, cc: &ContractChaincode, args: &[&str]) -> TxOutcome {
    let o = simulate(ledger, cc, &user(), args).await;
    assert_eq!(o.status(), 200, "{args:?}: {:?}", o.response);
    assert_eq!(
        ledger.commit_block([&o]).unwrap(),
        [TxValidationCode::Valid]
    );
    o
}

fn owner(ledger: &TestLedger, id: &str) -> Value {
    let value: Value = serde_json::from_slice(&ledger.state(id).expect("asset exists")).unwrap();
    value["Owner"].clone()
}

#[tokio::test]
async fn two_concurrent_updates_of_one_asset_conflict() {
    let cc = chaincode();
    let ledger = TestLedger::new("basic");
    submit_asset(
        &ledger,
        &cc,
        &["CreateAsset", "a1", "blue", "5", "Tom", "300"],
    )
    .await;
    // Two clients endorse an update on the same committed state ...
    let u1 = simulate(
        &ledger,
        &cc,
        &user(),
        &["UpdateAsset", "a1", "blue", "5", "Ann", "300"],
    )
    .await;
    let u2 = simulate(
        &ledger,
        &cc,
        &user(),
        &["UpdateAsset", "a1", "red", "5", "Bob", "300"],
    )
    .await;
    assert_eq!((u1.status(), u2.status()), (200, 200));
    // ... the orderer puts both in one block: the second read a1 at a version the first one
    // changed.
    assert_eq!(
        ledger.commit_block([&u1, &u2]).unwrap(),
        [TxValidationCode::Valid, TxValidationCode::MvccReadConflict]
    );
    assert_eq!(owner(&ledger, "a1"), "Ann");
    assert_eq!(
        ledger.history("a1").len(),
        2,
        "the invalid one left no history"
    );
    // Endorsed before a commit, ordered after it: the read version is stale.
    let stale = simulate(&ledger, &cc, &user(), &["TransferAsset", "a1", "Cy"]).await;
    submit_asset(&ledger, &cc, &["TransferAsset", "a1", "Dee"]).await;
    assert_eq!(
        ledger.commit_block([&stale]).unwrap(),
        [TxValidationCode::MvccReadConflict]
    );
    assert_eq!(owner(&ledger, "a1"), "Dee");
    // The same transaction again: its txid is already on the ledger.
    assert_eq!(
        ledger.commit_block([&u1]).unwrap(),
        [TxValidationCode::DuplicateTxid]
    );
}

#[tokio::test]
async fn many_clients_endorse_at_once() {
    let cc = Arc::new(chaincode());
    let ledger = Arc::new(TestLedger::new("basic"));
    submit_asset(
        &ledger,
        &cc,
        &["CreateAsset", "a1", "blue", "5", "Tom", "300"],
    )
    .await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (ledger, cc) = (Arc::clone(&ledger), Arc::clone(&cc));
            tokio::spawn(async move {
                let new_owner = format!("owner{i}");
                ledger
                    .tx(&user())
                    .function("TransferAsset")
                    .args(["a1", new_owner.as_str()])
                    .simulate(&*cc)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let codes = ledger.commit_block(&outcomes).unwrap();
    // Every one read a1 at the same version: only the first in the block is valid.
    assert_eq!(codes[0], TxValidationCode::Valid);
    assert!(
        codes[1..]
            .iter()
            .all(|c| *c == TxValidationCode::MvccReadConflict)
    );
    let winner = String::from_utf8_lossy(&outcomes[0].writes()["a1"].clone().unwrap()).into_owned();
    assert_eq!(
        ledger
            .state("a1")
            .map(|v| String::from_utf8_lossy(&v).into_owned()),
        Some(winner)
    );
}

#[tokio::test]
async fn a_range_query_sees_a_phantom() {
    let cc = chaincode();
    let ledger = TestLedger::new("basic");
    submit_asset(&ledger, &cc, &["InitLedger"]).await;
    let all = simulate(&ledger, &cc, &user(), &["GetAllAssets"]).await;
    let create = simulate(
        &ledger,
        &cc,
        &user(),
        &["CreateAsset", "asset9", "red", "1", "Zed", "10"],
    )
    .await;
    // A key appeared in the range GetAllAssets read, earlier in the same block.
    assert_eq!(
        ledger.commit_block([&create, &all]).unwrap(),
        [
            TxValidationCode::Valid,
            TxValidationCode::PhantomReadConflict
        ]
    );
    // In the other order both are fine.
    let all = simulate(&ledger, &cc, &user(), &["GetAllAssets"]).await;
    let create = simulate(
        &ledger,
        &cc,
        &user(),
        &["CreateAsset", "asset10", "red", "1", "Zed", "10"],
    )
    .await;
    assert_eq!(
        ledger.commit_block([&all, &create]).unwrap(),
        [TxValidationCode::Valid, TxValidationCode::Valid]
    );
}

#[tokio::test]
async fn get_all_assets_reads_across_query_batches() {
    let cc = chaincode();
    let ledger = TestLedger::new("basic");
    let assets: Vec<(String, String)> = (0..150)
        .map(|i| {
            let id = format!("asset{i:03}");
            let value =
                json!({"ID": id, "Color": "blue", "Size": i, "Owner": "Tom", "AppraisedValue": 1});
            (id, value.to_string())
        })
        .collect();
    ledger
        .put_states(assets.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .unwrap();
    let o = ledger
        .tx(&user())
        .function("GetAllAssets")
        .evaluate(&cc)
        .await
        .unwrap();
    let all: Vec<Value> = o.json().unwrap();
    assert_eq!(all.len(), 150);
    assert_eq!(all[0]["ID"], "asset000");
    assert_eq!(all[149]["ID"], "asset149");
    assert_eq!(all[120]["Size"], 120);
}

/// The asset-transfer sequence, as (function, args).
const SEQUENCE: &[&[&str]] = &[
    &["InitLedger"],
    &["CreateAsset", "a1", "blue", "5", "Tom", "300"],
    &["UpdateAsset", "a1", "green", "6", "Tom", "400"],
    &["TransferAsset", "asset3", "Zoe"],
    &["DeleteAsset", "asset2"],
    &["AssetExists", "asset2"],
    &["ReadAsset", "a1"],
    &["GetAllAssets"],
    &["ReadAsset", "nope"],
];

#[tokio::test]
async fn write_batching_does_not_change_the_read_write_sets() {
    let cc = chaincode();
    let mut runs = Vec::new();
    for features in [PeerFeatures::FABRIC_3_1, PeerFeatures::default()] {
        let ledger = TestLedger::new("basic").with_peer_features(features);
        let mut run = Vec::new();
        for args in SEQUENCE {
            let (function, rest) = args.split_first().unwrap();
            let o = ledger
                .tx(&user())
                .function(function)
                .args(rest.iter())
                .submit(&cc)
                .await
                .unwrap();
            run.push((o.txid, o.response, o.simulation.results, o.code));
        }
        runs.push((run, ledger.keys(), ledger.state("a1")));
    }
    assert_eq!(runs[0], runs[1]);
    let (run, keys, _) = &runs[0];
    assert_eq!(
        run.last().unwrap().1.status,
        500,
        "ReadAsset of a missing asset"
    );
    assert_eq!(keys.len(), 6, "{keys:?}");
}

#[tokio::test]
async fn a_transaction_that_was_not_endorsed_cannot_be_committed() {
    let cc = chaincode();
    let ledger = TestLedger::new("basic");
    let failed = simulate(&ledger, &cc, &user(), &["ReadAsset", "nope"]).await;
    assert_eq!(failed.status(), 500);
    let err = ledger.commit_block([&failed]).unwrap_err().to_string();
    assert!(
        err.contains("was not endorsed (status 500: The asset nope does not exist)"),
        "{err}"
    );
    assert_eq!(ledger.height(), 0);
    // submit does not try.
    let o = ledger
        .tx(&user())
        .function("ReadAsset")
        .arg("nope")
        .submit(&cc)
        .await
        .unwrap();
    assert_eq!((o.code, o.block), (None, None));
}

#[tokio::test]
async fn duplicate_txids_in_one_block() {
    let ledger = TestLedger::new("probe");
    let a = ledger
        .tx(&user())
        .function("Put")
        .args(["k", "1"])
        .nonce(b"same nonce".to_vec())
        .simulate(&Probe)
        .await
        .unwrap();
    let b = ledger
        .tx(&user())
        .function("Put")
        .args(["k", "2"])
        .nonce(b"same nonce".to_vec())
        .simulate(&Probe)
        .await
        .unwrap();
    assert_eq!(a.txid, b.txid);
    // (commit_block takes outcomes by value too)
    assert_eq!(
        ledger.commit_block(vec![a, b]).unwrap(),
        [TxValidationCode::Valid, TxValidationCode::DuplicateTxid]
    );
    assert_eq!(ledger.state("k").as_deref(), Some(&b"1"[..]));
}

#[tokio::test]
async fn chaincode_to_chaincode_calls_share_the_transaction() {
    for features in [PeerFeatures::FABRIC_3_1, PeerFeatures::default()] {
        let ledger = TestLedger::new("probe").with_peer_features(features);
        ledger.register("other", Probe);
        let me = user();
        // The callee writes in its own namespace, in the caller's transaction.
        let o = submit(&ledger, &me, &["Call", "other", "Put", "x", "1"]).await;
        assert_eq!(
            o.writes_of("other"),
            [("x".to_owned(), Some("1".into()))].into()
        );
        assert!(o.writes().is_empty());
        assert_eq!(ledger.state_of("other", "x").as_deref(), Some(&b"1"[..]));
        assert_eq!(ledger.state("x"), None);
        // It reads its own namespace.
        let o = submit(&ledger, &me, &["Call", "other", "Get", "x"]).await;
        assert_eq!(ok_text(&o), "1");
        // Nested calls: the callee calls a chaincode (itself) in turn.
        let o = submit(
            &ledger,
            &me,
            &["Call", "other", "Call", "other", "Put", "y", "2"],
        )
        .await;
        assert_eq!(
            o.writes_of("other"),
            [("y".to_owned(), Some("2".into()))].into()
        );
        // Its failures reach the caller as a response.
        let o = ledger
            .tx(&me)
            .function("Call")
            .args(["other", "Nope"])
            .evaluate(&Probe)
            .await
            .unwrap();
        assert_eq!(
            o.message(),
            "callee said 500: no probe function Nope with 0 arguments"
        );
        // A chaincode that was not registered.
        let o = ledger
            .tx(&me)
            .function("Call")
            .args(["missing", "Get", "x"])
            .evaluate(&Probe)
            .await
            .unwrap();
        assert_eq!(o.status(), 500);
        assert!(
            o.message()
                .contains("chaincode missing is not registered with the test ledger"),
            "{}",
            o.message()
        );
    }
}

#[tokio::test]
async fn a_chaincode_that_requires_init() {
    let ledger = TestLedger::new("probe").with_init_required("1.0");
    let me = user();
    let o = ledger
        .tx(&me)
        .function("Put")
        .args(["k", "v"])
        .submit(&Probe)
        .await
        .unwrap();
    assert_eq!(o.status(), 500);
    assert_eq!(
        o.message(),
        format!(
            "failed to execute transaction {}: invalid invocation: chaincode 'probe' has not \
             been initialized for this version, must call as init first",
            o.txid
        )
    );
    let o = ledger
        .tx(&me)
        .function("Whoami")
        .init(true)
        .submit(&Probe)
        .await
        .unwrap();
    assert!(o.is_valid(), "{o:?}");
    assert_eq!(o.json::<Value>().unwrap()["init"], true);
    assert_eq!(ledger.state(INITIALIZED_KEY).as_deref(), Some(&b"1.0"[..]));
    let o = ledger
        .tx(&me)
        .function("Whoami")
        .init(true)
        .submit(&Probe)
        .await
        .unwrap();
    assert!(
        o.message()
            .contains("chaincode 'probe' is already initialized but called as init"),
        "{}",
        o.message()
    );
    submit(&ledger, &me, &["Put", "k", "v"]).await;
    // Without --init-required, an init is refused.
    let ledger = TestLedger::new("probe");
    let o = ledger
        .tx(&me)
        .function("Whoami")
        .init(true)
        .evaluate(&Probe)
        .await
        .unwrap();
    assert!(
        o.message()
            .contains("does not require initialization but called as init"),
        "{}",
        o.message()
    );
}
