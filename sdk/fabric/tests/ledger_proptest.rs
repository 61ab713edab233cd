//! Property tests of `fabric_sdk::ledger`: random blocks of random transactions (gets, puts,
//! deletes, full range scans) run through `TxSimulator`, `validate_block` and `MemoryState`,
//! against a naive model of Fabric's rules; and random bytes fed to every request type.

use std::collections::BTreeMap;

use bytes::Bytes;
use fabric_sdk::ledger::{
    BlockTx, MemoryState, SimulatorConfig, StateReader, TxRwSet, TxSimulator, Version,
    validate_block,
};
use fabric_sdk::protos::Message;
use fabric_sdk::protos::protos::chaincode_message::Type;
use fabric_sdk::protos::protos::{
    GetState, GetStateByRange, PutState, QueryResponse, QueryStateNext, TxValidationCode,
};
use fabric_sdk::protos::queryresult::Kv;
use proptest::prelude::*;

const NS: &str = "cc";

#[derive(Debug, Clone)]
enum Op {
    Get(u8),
    /// value 0 = empty value = delete
    Put(u8, u8),
    Range(u8, u8),
}

fn key(k: u8) -> String {
    format!("k{k:03}")
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<u8>().prop_map(Op::Get),
        4 => (any::<u8>(), 0u8..4).prop_map(|(k, v)| Op::Put(k, v)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Range(a.min(b), a.max(b))),
    ]
}

fn blocks() -> impl Strategy<Value = Vec<Vec<Vec<Op>>>> {
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(op(), 0..8), 1..5),
        1..6,
    )
}

/// Committed state of the model: key → (value, version).
type Model = BTreeMap<String, (String, Version)>;

fn model_range(m: &Model, start: &str, end: &str) -> Vec<(String, String)> {
    m.range(start.to_string()..)
        .take_while(|(k, _)| end.is_empty() || k.as_str() < end)
        .map(|(k, (v, _))| (k.clone(), v.clone()))
        .collect()
}

fn run_range(sim: &mut TxSimulator<&MemoryState>, start: &str, end: &str) -> Vec<(String, String)> {
    let req = GetStateByRange {
        start_key: start.into(),
        end_key: end.into(),
        collection: String::new(),
        metadata: Bytes::new(),
    };
    let mut r = QueryResponse::decode(
        sim.handle(Type::GetStateByRange, &req.encode_to_vec())
            .unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    loop {
        assert!(r.results.len() <= 100);
        for x in &r.results {
            let kv = Kv::decode(x.result_bytes.clone()).unwrap();
            out.push((kv.key, String::from_utf8(kv.value.to_vec()).unwrap()));
        }
        if !r.has_more {
            return out;
        }
        let next = QueryStateNext { id: r.id.clone() }.encode_to_vec();
        r = QueryResponse::decode(sim.handle(Type::QueryStateNext, &next).unwrap()).unwrap();
    }
}

/// A full range scan: start, end and the keys with the versions it saw.
type Scan = (String, String, Vec<(String, Version)>);

/// What one transaction did, for the model's validation.
#[derive(Default)]
struct TxEffects {
    reads: Vec<String>,
    ranges: Vec<Scan>,
    writes: BTreeMap<String, String>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn simulation_validation_and_commit_match_a_naive_model(blocks in blocks()) {
        let mut state = MemoryState::new();
        let mut model: Model = BTreeMap::new();
        for (b, txs) in blocks.iter().enumerate() {
            let block = b as u64;
            let mut block_txs = Vec::new();
            let mut effects = Vec::new();
            for (t, ops) in txs.iter().enumerate() {
                let txid = format!("b{block}t{t}");
                let mut sim = TxSimulator::new(&state, SimulatorConfig::new(NS, &txid, "Org1MSP"));
                let mut fx = TxEffects::default();
                for op in ops {
                    match op {
                        Op::Get(k) => {
                            let req = GetState { key: key(*k), collection: String::new() };
                            let got = sim.handle(Type::GetState, &req.encode_to_vec()).unwrap();
                            // no read-your-writes: always the committed value
                            let want = model.get(&key(*k)).map(|(v, _)| v.clone()).unwrap_or_default();
                            prop_assert_eq!(got, want);
                            fx.reads.push(key(*k));
                        }
                        Op::Put(k, v) => {
                            let value = if *v == 0 { String::new() } else { format!("v{block}.{t}.{v}") };
                            let req = PutState { key: key(*k), value: value.clone().into(), collection: String::new() };
                            prop_assert_eq!(sim.handle(Type::PutState, &req.encode_to_vec()).unwrap(), "");
                            fx.writes.insert(key(*k), value);
                        }
                        Op::Range(a, z) => {
                            let (start, end) = (key(*a), if *z == 255 { String::new() } else { key(*z) });
                            let got = run_range(&mut sim, &start, &end);
                            prop_assert_eq!(&got, &model_range(&model, &start, &end));
                            let seen = got.iter().map(|(k, _)| (k.clone(), model[k].1)).collect();
                            fx.ranges.push((start, end, seen));
                        }
                    }
                }
                let s = sim.finish();
                prop_assert_eq!(s.read_only, fx.writes.is_empty());
                block_txs.push(BlockTx::new(t as u64, &txid, TxRwSet::decode(&s.results).unwrap()));
                effects.push(fx);
            }

            // The model's validation: reads must not have been written by an earlier valid
            // transaction of the block (deletes of absent keys included); ranges re-run over
            // committed state plus those writes must give the same keys and versions.
            let mut overlay: BTreeMap<String, Option<(String, Version)>> = BTreeMap::new();
            let mut want_codes = Vec::new();
            for (t, fx) in effects.iter().enumerate() {
                let conflict = fx.reads.iter().any(|k| overlay.contains_key(k));
                let phantom = fx.ranges.iter().any(|(start, end, seen)| {
                    let mut merged: BTreeMap<String, Version> =
                        model.iter().map(|(k, (_, v))| (k.clone(), *v)).collect();
                    for (k, v) in &overlay {
                        match v {
                            Some((_, ver)) => { merged.insert(k.clone(), *ver); }
                            None => { merged.remove(k); }
                        }
                    }
                    let now: Vec<(String, Version)> = merged
                        .range(start.clone()..)
                        .take_while(|(k, _)| end.is_empty() || k.as_str() < end.as_str())
                        .map(|(k, v)| (k.clone(), *v))
                        .collect();
                    now != *seen
                });
                let code = if conflict {
                    TxValidationCode::MvccReadConflict
                } else if phantom {
                    TxValidationCode::PhantomReadConflict
                } else {
                    for (k, v) in &fx.writes {
                        let ver = Version::new(block, t as u64);
                        overlay.insert(k.clone(), (!v.is_empty()).then(|| (v.clone(), ver)));
                    }
                    TxValidationCode::Valid
                };
                want_codes.push(code);
            }
            let v = validate_block(&state, block, &block_txs).unwrap();
            // Fabric checks reads before ranges within a namespace; the model's order is the same.
            prop_assert_eq!(&v.codes, &want_codes);
            state.commit(&v.batch).unwrap();
            for (k, v) in overlay {
                match v {
                    Some(x) => { model.insert(k, x); }
                    None => { model.remove(&k); }
                }
            }
            // Committed state equals the model, by point reads and by paged range reads.
            let all = state.get_state_range(NS, "", "", 1000).unwrap();
            let got: Vec<(String, String, Version)> = all
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8(v.value.to_vec()).unwrap(), v.version))
                .collect();
            let want: Vec<(String, String, Version)> =
                model.iter().map(|(k, (v, ver))| (k.clone(), v.clone(), *ver)).collect();
            prop_assert_eq!(&got, &want);
            let mut paged = Vec::new();
            let mut start = String::new();
            loop {
                let p = state.get_state_range(NS, &start, "", 7).unwrap();
                let done = p.len() < 7;
                if let Some((last, _)) = p.last() {
                    start = fabric_sdk::ledger::key_after(last);
                }
                paged.extend(p.into_iter().map(|(k, _)| k));
                if done { break; }
            }
            prop_assert_eq!(paged, model.keys().cloned().collect::<Vec<_>>());
        }
    }

    #[test]
    fn any_bytes_for_any_request_never_panic(
        reqs in prop::collection::vec((0i32..30, prop::collection::vec(any::<u8>(), 0..64)), 0..40)
    ) {
        let mut state = MemoryState::new();
        for i in 0..120u64 {
            state.put_state(NS, &key(i as u8), fabric_sdk::ledger::VersionedValue {
                value: "v".into(),
                metadata: Default::default(),
                version: Version::new(1, i),
            });
        }
        let mut sim = TxSimulator::new(&state, SimulatorConfig::new(NS, "tx", "Org1MSP"));
        for (t, payload) in reqs {
            let Ok(t) = Type::try_from(t) else { continue };
            let _ = sim.handle(t, &payload);
        }
        let s = sim.finish();
        prop_assert!(TxRwSet::decode(&s.results).is_ok());
    }
}
