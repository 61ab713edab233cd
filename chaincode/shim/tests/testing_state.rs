//! The test ledger's public-state semantics, each rule through the probe chaincode, with the
//! peer's write batching on (Fabric 3.1) and off (Fabric 2.5) where the shim behaves
//! differently.

mod testing_support;

use fabric_chaincode::PeerFeatures;
use fabric_chaincode::testing::{DEFAULT_TIME, TestLedger, Version};
use fabric_protos::kvrwset::range_query_info::ReadsInfo;
use serde_json::json;
use testing_support::{Probe, evaluate, ok_json, ok_text, submit, user};

const BOTH: [PeerFeatures; 2] = [
    PeerFeatures::FABRIC_3_1,
    PeerFeatures {
        write_batch: None,
        get_multiple: None,
    },
];

fn ledger(features: PeerFeatures) -> TestLedger {
    TestLedger::new("probe").with_peer_features(features)
}

#[tokio::test]
async fn a_transaction_does_not_read_its_own_writes() {
    for features in BOTH {
        let ledger = ledger(features);
        let me = user();
        ledger.put_state("k", "old").unwrap();
        let o = submit(&ledger, &me, &["PutThenGet", "k", "new"]).await;
        assert_eq!(ok_json(&o), json!("old"), "{features:?}");
        let o = submit(&ledger, &me, &["PutThenGet", "fresh", "v"]).await;
        assert_eq!(ok_json(&o), json!(null), "{features:?}");
        // Once committed, the writes are there.
        assert_eq!(ledger.state("k").as_deref(), Some(&b"new"[..]));
        assert_eq!(ledger.state("fresh").as_deref(), Some(&b"v"[..]));
    }
}

#[tokio::test]
async fn an_empty_value_is_a_delete() {
    for features in BOTH {
        let ledger = ledger(features);
        let me = user();
        ledger.put_state("k", "v").unwrap();
        let o = submit(&ledger, &me, &["Put", "k", ""]).await;
        assert_eq!(o.writes(), [("k".to_owned(), None)].into());
        assert!(o.rwset.namespaces[0].kv.writes[0].is_delete);
        assert_eq!(ledger.state("k"), None);
        let history = ledger.history("k");
        assert!(history[0].is_delete && history[0].value.is_empty());
        // DEL_STATE writes the same thing.
        ledger.put_state("j", "v").unwrap();
        let o = submit(&ledger, &me, &["Del", "j"]).await;
        assert_eq!(o.writes(), [("j".to_owned(), None)].into());
        assert_eq!(ledger.state("j"), None);
    }
}

#[tokio::test]
async fn composite_keys_and_partial_queries() {
    let ledger = TestLedger::new("probe");
    let me = user();
    for (color, id) in [("blue", "a1"), ("blue", "a2"), ("red", "a3")] {
        submit(&ledger, &me, &["PutComposite", "asset", color, id, id]).await;
    }
    submit(&ledger, &me, &["PutComposite", "owner", "tom", "a1", "x"]).await;
    ledger.put_state("plain", "p").unwrap();

    let o = evaluate(&ledger, &me, &["Partial", "asset", "blue"]).await;
    assert_eq!(
        ok_json(&o),
        json!([
            ["asset", ["blue", "a1"], "a1"],
            ["asset", ["blue", "a2"], "a2"]
        ])
    );
    let o = evaluate(&ledger, &me, &["Partial", "asset"]).await;
    assert_eq!(ok_json(&o).as_array().map(Vec::len), Some(3));
    // A plain range never returns composite keys (they start with U+0000).
    let o = evaluate(&ledger, &me, &["Range", "", ""]).await;
    assert_eq!(ok_json(&o), json!(["plain"]));
    assert_eq!(ledger.keys().len(), 5);
    assert_eq!(
        ledger.keys()[0],
        "\u{0}asset\u{0}blue\u{0}a1\u{0}",
        "composite keys are stored as Fabric builds them"
    );
    // Composite key parts may not hold U+0000 or U+10FFFF.
    let o = evaluate(&ledger, &me, &["PutComposite", "asset", "x\u{0}y", "v"]).await;
    assert_eq!(o.status(), 500);
    assert!(o.message().starts_with("composite key"), "{}", o.message());
}

#[tokio::test]
async fn range_queries_page_through_batches() {
    let keys: Vec<String> = (0..250).map(|i| format!("key{i:03}")).collect();
    let all = json!(keys);
    // Batches of 100 (Fabric's), and of 7: QUERY_STATE_NEXT is needed either way.
    for batch in [100, 7] {
        let ledger = TestLedger::new("probe").with_query_limits(100_000, batch);
        ledger
            .put_states(keys.iter().map(|k| (k.as_str(), "v")))
            .unwrap();
        let o = evaluate(&ledger, &user(), &["Range", "", ""]).await;
        assert_eq!(ok_json(&o), all, "batch {batch}");
        // The read set records the whole range; above 50 reads Fabric keeps a Merkle summary.
        let info = &o.rwset.namespaces[0].kv.range_queries_info;
        assert_eq!(info.len(), 1);
        assert!(info[0].itr_exhausted);
        assert!(matches!(
            info[0].reads_info,
            Some(ReadsInfo::ReadsMerkleHashes(_))
        ));
    }
    // The peer's total query limit ends a range early.
    let ledger = TestLedger::new("probe").with_query_limits(120, 100);
    ledger
        .put_states(keys.iter().map(|k| (k.as_str(), "v")))
        .unwrap();
    let o = evaluate(&ledger, &user(), &["Range", "key000", ""]).await;
    assert_eq!(ok_json(&o).as_array().map(Vec::len), Some(120));
}

#[tokio::test]
async fn pagination_with_bookmarks_in_an_evaluate() {
    let ledger = TestLedger::new("probe");
    let keys: Vec<String> = (0..25).map(|i| format!("k{i:02}")).collect();
    ledger
        .put_states(keys.iter().map(|k| (k.as_str(), "v")))
        .unwrap();
    let me = user();
    let page = |bookmark: &'static str| {
        let ledger = &ledger;
        let me = &me;
        async move { ok_json(&evaluate(ledger, me, &["Page", "", "", "10", bookmark]).await) }
    };
    let first = page("").await;
    assert_eq!(first["keys"], json!(keys[..10]));
    assert_eq!(first["count"], 10);
    assert_eq!(first["bookmark"], "k10");
    let second = page("k10").await;
    assert_eq!(second["keys"], json!(keys[10..20]));
    assert_eq!(second["bookmark"], "k20");
    let last = page("k20").await;
    assert_eq!(last["keys"], json!(keys[20..]));
    assert_eq!(last["count"], 5);
    assert_eq!(last["bookmark"], "");
}

#[tokio::test]
async fn pagination_and_writes_do_not_mix() {
    for features in BOTH {
        let ledger = ledger(features);
        let me = user();
        ledger.put_state("a", "1").unwrap();
        // A write after a paginated query: refused (with batching, when the batch is sent at
        // the end; without, by the PUT_STATE itself).
        let o = ledger
            .tx(&me)
            .function("PageThenPut")
            .args(["b", "2"])
            .submit(&Probe)
            .await
            .unwrap();
        assert_eq!(o.status(), 500, "{features:?}");
        assert!(
            o.message().contains(
                "Transaction has already performed a paginated query. Writes are not allowed"
            ),
            "{features:?}: {}",
            o.message()
        );
        assert_eq!(o.code, None, "not endorsed, not committed");
        assert_eq!(ledger.state("b"), None);
        assert_eq!(ledger.height(), 1);
        // The paginated query alone is fine in a submitted (read-only) transaction.
        let o = submit(&ledger, &me, &["Page", "", "", "5", ""]).await;
        assert!(o.simulation.read_only);
    }
}

#[tokio::test]
async fn rich_queries_fail_as_on_a_leveldb_peer() {
    let ledger = TestLedger::new("probe");
    let o = evaluate(&ledger, &user(), &["Rich", r#"{"selector":{}}"#]).await;
    assert_eq!(o.status(), 500);
    assert!(
        o.message()
            .ends_with("ExecuteQuery not supported for leveldb"),
        "{}",
        o.message()
    );
}

#[tokio::test]
async fn history_is_newest_first_and_shows_deletes() {
    let ledger = TestLedger::new("probe");
    let me = user();
    let mut txids = Vec::new();
    for (i, args) in [
        &["Put", "k", "v1"][..],
        &["Put", "k", "v2"],
        &["Del", "k"],
        &["Put", "k", "v4"],
    ]
    .into_iter()
    .enumerate()
    {
        ledger.set_time(1_000 + i as i64, 0);
        txids.push(submit(&ledger, &me, args).await.txid);
    }
    let o = evaluate(&ledger, &me, &["History", "k"]).await;
    assert_eq!(
        ok_json(&o),
        json!([
            {"txid": txids[3], "value": "v4", "delete": false, "seconds": 1003},
            {"txid": txids[2], "value": "", "delete": true, "seconds": 1002},
            {"txid": txids[1], "value": "v2", "delete": false, "seconds": 1001},
            {"txid": txids[0], "value": "v1", "delete": false, "seconds": 1000},
        ])
    );
    let history = ledger.history("k");
    assert_eq!(
        history.iter().map(|h| &h.tx_id).collect::<Vec<_>>(),
        txids.iter().rev().collect::<Vec<_>>()
    );
    // History is not part of the read-write set.
    assert!(o.rwset.namespaces.is_empty());
    // A peer without a history database refuses.
    let ledger = TestLedger::new("probe").with_history(false);
    let o = evaluate(&ledger, &me, &["History", "k"]).await;
    assert_eq!(o.status(), 500);
    assert!(
        o.message().contains("history database is not enabled"),
        "{}",
        o.message()
    );
}

#[tokio::test]
async fn key_level_endorsement_metadata() {
    for features in BOTH {
        let ledger = ledger(features);
        let me = user();
        ledger.put_state("k", "v").unwrap();
        submit(&ledger, &me, &["SetEndorsers", "k", "Org2MSP", "Org1MSP"]).await;
        let o = evaluate(&ledger, &me, &["GetEndorsers", "k"]).await;
        assert_eq!(ok_json(&o), json!(["Org1MSP", "Org2MSP"]));
        assert!(ledger.metadata("k").contains_key("VALIDATION_PARAMETER"));
        // A value write keeps the key's metadata; a delete removes it.
        submit(&ledger, &me, &["Put", "k", "v2"]).await;
        assert!(ledger.metadata("k").contains_key("VALIDATION_PARAMETER"));
        submit(&ledger, &me, &["Del", "k"]).await;
        assert!(ledger.metadata("k").is_empty());
        // Metadata on a key that does not exist: written, then dropped at commit (Fabric).
        submit(&ledger, &me, &["SetEndorsers", "ghost", "Org1MSP"]).await;
        assert!(ledger.metadata("ghost").is_empty());
    }
    // Without the V1_3 capability the peer refuses metadata requests.
    let ledger = TestLedger::new("probe").with_capabilities(false, true);
    let o = evaluate(&ledger, &user(), &["GetEndorsers", "k"]).await;
    assert!(
        o.message().contains("key level endorsement is not enabled"),
        "{}",
        o.message()
    );
}

#[tokio::test]
async fn the_last_event_wins() {
    let ledger = TestLedger::new("probe");
    let o = submit(&ledger, &user(), &["Events", "first", "second", "third"]).await;
    let event = o.event.expect("an event");
    assert_eq!(event.event_name, "third");
    assert_eq!(&event.payload[..], b"payload of third");
    assert_eq!(event.chaincode_id, "probe");
    assert_eq!(event.tx_id, o.txid);
    let o = submit(&ledger, &user(), &["Put", "k", "v"]).await;
    assert!(o.event.is_none());
}

#[tokio::test]
async fn multiple_key_reads_with_and_without_the_peer_feature() {
    let mut results = Vec::new();
    for features in BOTH {
        let ledger = ledger(features);
        ledger.put_states([("a", "1"), ("c", "3")]).unwrap();
        let o = evaluate(&ledger, &user(), &["GetMany", "a", "b", "c"]).await;
        assert_eq!(ok_json(&o), json!(["1", null, "3"]));
        assert_eq!(
            o.reads(),
            [
                ("a".to_owned(), Some(Version::new(0, 0))),
                ("b".to_owned(), None),
                ("c".to_owned(), Some(Version::new(0, 0))),
            ]
            .into()
        );
        results.push(o.simulation.results);
    }
    assert_eq!(
        results[0], results[1],
        "GET_STATE_MULTIPLE = one GET_STATE per key"
    );
}

#[tokio::test]
async fn a_panic_is_a_500_and_writes_nothing() {
    let ledger = TestLedger::new("probe");
    let o = ledger
        .tx(&user())
        .function("Panic")
        .submit(&Probe)
        .await
        .unwrap();
    assert_eq!(o.status(), 500);
    assert_eq!(o.message(), "chaincode panicked: the probe panics");
    assert_eq!(o.code, None);
    assert_eq!(ledger.height(), 0);
}

#[tokio::test]
async fn seeding_commits_blocks_with_versions() {
    let ledger = TestLedger::new("probe");
    assert_eq!(ledger.height(), 0);
    ledger.put_state("a", "1").unwrap();
    ledger.put_states([("b", "2"), ("c", "3")]).unwrap();
    assert_eq!(ledger.height(), 2);
    assert_eq!(
        ledger.versioned_state("c").map(|v| v.version),
        Some(Version::new(1, 0))
    );
    assert_eq!(ledger.history("a")[0].tx_id, "seed-0");
    assert_eq!(ledger.history("a")[0].timestamp, Some(DEFAULT_TIME));
    let o = submit(&ledger, &user(), &["Get", "b"]).await;
    assert_eq!(ok_text(&o), "2");
    assert_eq!(o.block, Some(2));
    assert_eq!(ledger.height(), 3);
}
