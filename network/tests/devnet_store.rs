//! The ledger store: one write transaction per block, the hash chain, state semantics
//! (versions, metadata, deletes, ranges, history), private data with block-to-live, reopening.

use bytes::Bytes;
use fabric_protos::common::Block;
use fabric_protos::protos::TxValidationCode;
use fabric_sdk::crypto::sha256;
use fabric_sdk::tx::block::{block_header_hash, transactions_filter, verify_block_hashes};
use medledger_network::Error;
use medledger_network::devnet::envelope::synthetic_envelope;
use medledger_network::devnet::store::{
    BlockUpdates, CollectionPvtRwset, HashedWrite, Metadata, PrivatePurge, PrivateWrite,
    PublicWrite, TxUpdates, Version, WriteOp,
};
use medledger_network::devnet::{Store, build_block};

fn block(store: &Store, txids: &[&str]) -> Block {
    let info = store.chain_info().unwrap();
    let envs = txids
        .iter()
        .map(|t| synthetic_envelope("ch", t, t.as_bytes()))
        .collect();
    build_block(info.height, &info.current_block_hash, envs, 0, None).unwrap()
}

fn tx(id: &str) -> TxUpdates {
    TxUpdates {
        tx_id: id.to_owned(),
        ..TxUpdates::default()
    }
}

fn put(ns: &str, key: &str, value: &str) -> PublicWrite {
    PublicWrite {
        namespace: ns.into(),
        key: key.into(),
        op: WriteOp::Put {
            value: Bytes::copy_from_slice(value.as_bytes()),
            metadata: None,
        },
    }
}

fn commit(store: &Store, txs: Vec<TxUpdates>) -> u64 {
    let ids: Vec<String> = txs.iter().map(|t| t.tx_id.clone()).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let b = block(store, &ids);
    store.commit(b, &BlockUpdates { txs }).unwrap().number
}

fn meta(name: &str, value: &[u8]) -> Metadata {
    let mut m = Metadata::new();
    m.insert(name.to_owned(), Bytes::copy_from_slice(value));
    m
}

#[test]
fn blocks_chain_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.height().unwrap(), 0);
        for i in 0..5 {
            let n = commit(&store, vec![tx(&format!("t{i}a")), tx(&format!("t{i}b"))]);
            assert_eq!(n, i);
        }
    }
    let store = Store::open(dir.path()).unwrap();
    let info = store.chain_info().unwrap();
    assert_eq!(info.height, 5);
    let mut previous = None;
    for n in 0..5 {
        let bytes = store.block_bytes(n).unwrap().unwrap();
        let b: Block = prost::Message::decode(bytes.clone()).unwrap();
        assert_eq!(prost::Message::encode_to_vec(&b), bytes.to_vec());
        verify_block_hashes(&b, previous.as_ref()).unwrap();
        assert_eq!(transactions_filter(&b), &[0, 0]);
        previous = b.header.clone();
    }
    assert_eq!(
        info.current_block_hash.as_ref(),
        &block_header_hash(previous.as_ref().unwrap())
    );
    // Continues at the stored height.
    assert_eq!(commit(&store, vec![tx("after")]), 5);
    let loc = store.transaction("t3b").unwrap().unwrap();
    assert_eq!(
        (loc.block_num, loc.tx_num, loc.code),
        (3, 1, TxValidationCode::Valid)
    );
    assert!(store.transaction("nope").unwrap().is_none());
    assert!(store.block_bytes(99).unwrap().is_none());
}

#[test]
fn refuses_bad_blocks_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    commit(&store, vec![tx("a")]);
    // Wrong number.
    let b = build_block(
        5,
        &[0; 32],
        vec![synthetic_envelope("ch", "x", b"")],
        0,
        None,
    )
    .unwrap();
    let e = store
        .commit(b, &BlockUpdates { txs: vec![tx("x")] })
        .unwrap_err();
    assert!(matches!(e, Error::Ledger(_)), "{e}");
    // Broken hash chain.
    let b = build_block(
        1,
        &[7; 32],
        vec![synthetic_envelope("ch", "x", b"")],
        0,
        None,
    )
    .unwrap();
    let e = store
        .commit(b, &BlockUpdates { txs: vec![tx("x")] })
        .unwrap_err();
    assert!(e.to_string().contains("previous_hash"), "{e}");
    // Update count mismatch.
    let b = block(&store, &["x", "y"]);
    let e = store
        .commit(b, &BlockUpdates { txs: vec![tx("x")] })
        .unwrap_err();
    assert!(
        e.to_string().contains("2 transactions but 1 updates"),
        "{e}"
    );
    // Tampered data.
    let mut b = block(&store, &["x"]);
    b.data.as_mut().unwrap().data[0] = Bytes::from_static(b"tampered");
    assert!(
        store
            .commit(b, &BlockUpdates { txs: vec![tx("x")] })
            .is_err()
    );
    // A bad namespace aborts the whole block.
    let b = block(&store, &["x"]);
    let mut t = tx("x");
    t.public.push(put("cc", "k", "v"));
    t.public.push(put("bad\0ns", "k", "v"));
    assert!(store.commit(b, &BlockUpdates { txs: vec![t] }).is_err());
    assert_eq!(store.height().unwrap(), 1);
    assert!(store.transaction("x").unwrap().is_none());
    assert!(store.get_state("cc", "k").unwrap().is_none());
}

#[test]
fn public_state_versions_metadata_ranges_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    commit(&store, vec![tx("genesis")]);
    // Block 1: two txs; the second overwrites and sets metadata; an invalid tx writes nothing.
    let mut t0 = tx("t0");
    t0.public = vec![
        put("cc", "a", "1"),
        put("cc", "b", "1"),
        put("cc", "\u{0}idx\u{0}x\u{0}", "c"),
    ];
    let mut t1 = tx("t1");
    t1.public = vec![PublicWrite {
        namespace: "cc".into(),
        key: "a".into(),
        op: WriteOp::Put {
            value: Bytes::from_static(b"2"),
            metadata: Some(meta("VALIDATION_PARAMETER", b"p")),
        },
    }];
    let mut bad = tx("t2");
    bad.code = TxValidationCode::MvccReadConflict;
    bad.public = vec![put("cc", "zzz", "no")];
    commit(&store, vec![t0, t1, bad]);
    let a = store.get_state("cc", "a").unwrap().unwrap();
    assert_eq!(a.value.as_ref(), b"2");
    assert_eq!(a.version, Version::new(1, 1));
    assert_eq!(a.metadata, meta("VALIDATION_PARAMETER", b"p"));
    assert!(store.get_state("cc", "zzz").unwrap().is_none());
    assert_eq!(
        store.transaction("t2").unwrap().unwrap().code,
        TxValidationCode::MvccReadConflict
    );
    let b1 = store.block(1).unwrap().unwrap();
    assert_eq!(transactions_filter(&b1), &[0, 0, 11]);

    // Block 2: value-only write keeps metadata; metadata-only write on a missing key is
    // ignored; delete of b.
    let mut t = tx("t3");
    t.public = vec![
        put("cc", "a", "3"),
        PublicWrite {
            namespace: "cc".into(),
            key: "missing".into(),
            op: WriteOp::Metadata(meta("X", b"y")),
        },
        PublicWrite {
            namespace: "cc".into(),
            key: "b".into(),
            op: WriteOp::Delete,
        },
    ];
    commit(&store, vec![t]);
    let a = store.get_state("cc", "a").unwrap().unwrap();
    assert_eq!(
        (a.value.as_ref(), a.version),
        (&b"3"[..], Version::new(2, 0))
    );
    assert_eq!(a.metadata, meta("VALIDATION_PARAMETER", b"p"));
    assert!(store.get_state("cc", "missing").unwrap().is_none());
    assert!(store.get_state("cc", "b").unwrap().is_none());
    // Metadata-only write on an existing key bumps the version and keeps the value.
    let mut t = tx("t4");
    t.public = vec![PublicWrite {
        namespace: "cc".into(),
        key: "a".into(),
        op: WriteOp::Metadata(Metadata::new()),
    }];
    commit(&store, vec![t]);
    let a = store.get_state("cc", "a").unwrap().unwrap();
    assert_eq!(
        (a.value.as_ref(), a.version),
        (&b"3"[..], Version::new(3, 0))
    );
    assert!(a.metadata.is_empty());

    // Ranges: composite keys sort first; end exclusive; limit; other namespaces excluded.
    let mut t = tx("t5");
    t.public = (0..5).map(|i| put("cc", &format!("k{i}"), "v")).collect();
    t.public.push(put("cc2", "k0", "other"));
    commit(&store, vec![t]);
    let keys = |v: Vec<(String, _)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(
        keys(store.get_state_range("cc", "", "", 100).unwrap()),
        ["\u{0}idx\u{0}x\u{0}", "a", "k0", "k1", "k2", "k3", "k4"]
    );
    assert_eq!(
        keys(store.get_state_range("cc", "k1", "k3", 100).unwrap()),
        ["k1", "k2"]
    );
    assert_eq!(
        keys(store.get_state_range("cc", "\u{1}", "", 2).unwrap()),
        ["a", "k0"]
    );
    assert!(
        store
            .get_state_range("cc", "k3", "k1", 10)
            .unwrap()
            .is_empty()
    );
    assert!(store.get_state_range("cc", "", "", 0).unwrap().is_empty());

    // History newest first, with the delete.
    let h = store.get_history("cc", "b").unwrap().unwrap();
    assert_eq!(h.len(), 2);
    assert!(h[0].is_delete && h[0].tx_id == "t3" && h[0].value.is_empty());
    assert!(!h[1].is_delete && h[1].tx_id == "t0" && h[1].value.as_ref() == b"1");
    let h = store.get_history("cc", "a").unwrap().unwrap();
    let ids: Vec<_> = h.iter().map(|e| e.tx_id.as_str()).collect();
    assert_eq!(
        ids,
        ["t3", "t1", "t0"],
        "metadata-only writes are not history"
    );
    assert!(
        store
            .get_history("cc", "nothing")
            .unwrap()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn txid_index_keeps_the_first_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    commit(&store, vec![tx("dup")]);
    let mut again = tx("dup");
    again.code = TxValidationCode::DuplicateTxid;
    commit(&store, vec![again]);
    let loc = store.transaction("dup").unwrap().unwrap();
    assert_eq!((loc.block_num, loc.code), (0, TxValidationCode::Valid));
}

fn pvt_tx(id: &str, key: &str, value: &str, btl: u64) -> TxUpdates {
    let mut t = tx(id);
    t.hashed.push(HashedWrite {
        namespace: "cc".into(),
        collection: "c1".into(),
        key_hash: Bytes::copy_from_slice(&sha256(key.as_bytes())),
        op: WriteOp::Put {
            value: Bytes::copy_from_slice(&sha256(value.as_bytes())),
            metadata: None,
        },
        block_to_live: btl,
    });
    t.private.push(PrivateWrite {
        namespace: "cc".into(),
        collection: "c1".into(),
        key: key.into(),
        value: Some(Bytes::copy_from_slice(value.as_bytes())),
        block_to_live: btl,
    });
    t.private_rwsets.push(CollectionPvtRwset {
        namespace: "cc".into(),
        collection: "c1".into(),
        rwset: Bytes::copy_from_slice(format!("rwset-{key}").as_bytes()),
        block_to_live: btl,
    });
    t
}

#[test]
fn private_data_hashes_block_to_live_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    commit(&store, vec![tx("g")]);
    // Block 1: k1 and k2 with BTL 2 (purged when committing block 4); k3 never expires.
    commit(
        &store,
        vec![
            pvt_tx("p1", "k1", "v1", 2),
            pvt_tx("p2", "k2", "v2", 2),
            pvt_tx("p3", "k3", "v3", 0),
        ],
    );
    let kh = |k: &str| sha256(k.as_bytes());
    let h = store
        .get_private_data_hash("cc", "c1", &kh("k1"))
        .unwrap()
        .unwrap();
    assert_eq!(h.value_hash.as_ref(), &sha256(b"v1"));
    assert_eq!(h.version, Version::new(1, 0));
    assert_eq!(
        store
            .get_private_data("cc", "c1", "k2")
            .unwrap()
            .unwrap()
            .value
            .as_ref(),
        b"v2"
    );
    let pd = store.block_private_data(1).unwrap();
    assert_eq!(pd.len(), 3);
    assert_eq!(pd[&1].ns_pvt_rwset[0].namespace, "cc");
    assert_eq!(
        pd[&1].ns_pvt_rwset[0].collection_pvt_rwset[0]
            .rwset
            .as_ref(),
        b"rwset-k2"
    );
    // Block 2 rewrites k2: the block-1 expiry must not purge the new value.
    commit(&store, vec![pvt_tx("p4", "k2", "v2b", 0)]);
    commit(&store, vec![tx("b3")]);
    assert!(
        store.get_private_data("cc", "c1", "k1").unwrap().is_some(),
        "alive at block 3"
    );
    commit(&store, vec![tx("b4")]);
    assert!(
        store.get_private_data("cc", "c1", "k1").unwrap().is_none(),
        "purged at block 4"
    );
    assert!(
        store
            .get_private_data_hash("cc", "c1", &kh("k1"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .get_private_data("cc", "c1", "k2")
            .unwrap()
            .unwrap()
            .value
            .as_ref(),
        b"v2b"
    );
    assert!(store.get_private_data("cc", "c1", "k3").unwrap().is_some());
    let pd = store.block_private_data(1).unwrap();
    assert_eq!(
        pd.keys().copied().collect::<Vec<_>>(),
        [2],
        "only k3's rwset remains"
    );
    assert_eq!(
        store
            .get_private_data_range("cc", "c1", "", "", 10)
            .unwrap()
            .len(),
        2
    );

    // Explicit purge removes value and hash.
    let mut t = tx("purge");
    t.purges.push(PrivatePurge {
        namespace: "cc".into(),
        collection: "c1".into(),
        key_hash: Bytes::copy_from_slice(&kh("k3")),
    });
    commit(&store, vec![t]);
    assert!(store.get_private_data("cc", "c1", "k3").unwrap().is_none());
    assert!(
        store
            .get_private_data_hash("cc", "c1", &kh("k3"))
            .unwrap()
            .is_none()
    );
    assert!(store.get_private_data("cc", "c1", "k2").unwrap().is_some());
}

#[test]
fn snapshots_are_stable_while_commits_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut t = tx("a");
    t.public.push(put("cc", "k", "old"));
    commit(&store, vec![t]);
    let snap = store.snapshot().unwrap();
    let mut t = tx("b");
    t.public.push(put("cc", "k", "new"));
    commit(&store, vec![t]);
    assert_eq!(
        snap.get_state("cc", "k").unwrap().unwrap().value.as_ref(),
        b"old"
    );
    assert_eq!(snap.chain_info().unwrap().height, 1);
    assert_eq!(
        store.get_state("cc", "k").unwrap().unwrap().value.as_ref(),
        b"new"
    );
}

#[test]
fn a_garbage_database_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ledger.redb"),
        b"this is not a redb file at all",
    )
    .unwrap();
    assert!(Store::open(dir.path()).is_err());
}

mod model {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn key() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('\u{0}'),
                Just('a'),
                Just('b'),
                Just('\u{7f}'),
                Just('é'),
                Just('\u{10FFFF}')
            ],
            0..4,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put(String, String, u8),
        Del(String, String),
    }

    fn op() -> impl Strategy<Value = Op> {
        let ns = prop_oneof![
            Just("cc".to_owned()),
            Just("cc2".to_owned()),
            Just("c".to_owned())
        ];
        prop_oneof![
            (ns.clone(), key(), any::<u8>()).prop_map(|(n, k, v)| Op::Put(n, k, v)),
            (ns, key()).prop_map(|(n, k)| Op::Del(n, k)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// The store agrees with a BTreeMap model: values, versions, ranges with any bounds
        /// and limits, across namespaces whose names are prefixes of each other.
        #[test]
        fn state_matches_a_model(
            blocks in proptest::collection::vec(proptest::collection::vec(op(), 1..6), 1..5),
            queries in proptest::collection::vec((key(), key(), 1usize..6), 1..8),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path()).unwrap();
            let mut model: BTreeMap<(String, String), (Vec<u8>, Version)> = BTreeMap::new();
            for (b, ops) in blocks.iter().enumerate() {
                let mut t = tx(&format!("t{b}"));
                for o in ops {
                    match o {
                        Op::Put(ns, k, v) => {
                            t.public.push(put(ns, k, &format!("v{v}")));
                            model.insert((ns.clone(), k.clone()), (format!("v{v}").into_bytes(), Version::new(b as u64, 0)));
                        }
                        Op::Del(ns, k) => {
                            t.public.push(PublicWrite { namespace: ns.clone(), key: k.clone(), op: WriteOp::Delete });
                            model.remove(&(ns.clone(), k.clone()));
                        }
                    }
                }
                commit(&store, vec![t]);
            }
            for ns in ["c", "cc", "cc2"] {
                let all: Vec<_> = model.iter().filter(|((n, _), _)| n == ns).collect();
                for ((_, k), (v, ver)) in &all {
                    let got = store.get_state(ns, k).unwrap().unwrap();
                    prop_assert_eq!(got.value.as_ref(), v.as_slice());
                    prop_assert_eq!(got.version, *ver);
                }
                for (start, end, limit) in &queries {
                    let want: Vec<&String> = all
                        .iter()
                        .map(|((_, k), _)| k)
                        .filter(|k| k.as_str() >= start.as_str() && (end.is_empty() || k.as_str() < end.as_str()))
                        .take(*limit)
                        .collect();
                    let got = store.get_state_range(ns, start, end, *limit).unwrap();
                    let got: Vec<&String> = got.iter().map(|(k, _)| k).collect();
                    prop_assert_eq!(got, want, "ns {} [{:?}, {:?}) limit {}", ns, start, end, limit);
                }
            }
        }
    }
}
