//! Replays the recorded Fabric v3.1.5 and v2.5.16 networks through `fabric_sdk::ledger`:
//!
//! - the state is built by committing the recorded blocks 0–81 one after the other with our
//!   MVCC validator and `MemoryState` (private data: from our own simulations, else from the
//!   recorded `pvtdata/*.pb`);
//! - before block `n` is committed, every recorded chaincode execution that happened at that
//!   height (the transactions of block `n`, and the evaluations and failed submits made while the
//!   ledger was at height `n`) is replayed: its recorded cc→peer requests are fed to a
//!   `TxSimulator` (with Fabric's `_lifecycle` reads on), and every answer must equal the
//!   recorded `RESPONSE` payload or `ERROR` text byte for byte;
//! - for transactions that are in a block, `finish()` must give the `ChaincodeAction.results`
//!   bytes of the block (the complete `TxReadWriteSet`: public reads and writes, range query
//!   info with raw reads or Merkle hashes, metadata writes, hashed private sets and their
//!   `pvt_rwset_hash`, and the `_lifecycle` reads);
//! - our validation codes must equal the block's TRANSACTIONS_FILTER for MVCC (11) and phantom
//!   (12) conflicts and for every valid transaction (the other codes come from checks outside
//!   this module and are taken as given).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use base64::Engine;
use bytes::Bytes;
use fabric_sdk::ledger::{
    BlockTx, ChaincodeDefinitionInfo, MemoryState, SimulatorConfig, TxPvtRwSet, TxRwSet,
    TxSimulator, validate_block,
};
use fabric_sdk::policy::parse_collections_json;
use fabric_sdk::protos::Message;
use fabric_sdk::protos::common::{Block, ChannelHeader, Envelope, HeaderType, Payload};
use fabric_sdk::protos::msp::SerializedIdentity;
use fabric_sdk::protos::protos::chaincode_message::Type;
use fabric_sdk::protos::protos::{
    BlockAndPrivateData, ChaincodeMessage, CollectionConfigPackage, QueryResponse, TxValidationCode,
};
use fabric_sdk::protos::rwset::TxPvtReadWriteSet;
use fabric_sdk::tx::ParsedProposal;
use fabric_sdk::tx::ParsedTransaction;
use fabric_sdk::tx::block::transactions_filter;
use serde_json::Value;

const CHANNEL: &str = "mychannel";
const ORGS: [&str; 2] = ["Org1MSP", "Org2MSP"];

thread_local! {
    static VERSION: std::cell::RefCell<&'static str> = const { std::cell::RefCell::new("fabric-v3.1.5") };
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(VERSION.with(|v| *v.borrow()))
}

fn last_block() -> u64 {
    let n = std::fs::read_dir(dir().join("blocks"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".block"))
        })
        .count();
    n as u64 - 1
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// One transaction of a recorded block.
struct RecordedTx {
    txid: String,
    timestamp: Option<fabric_sdk::protos::Timestamp>,
    results: Bytes,
    code: i32,
}

struct RecordedBlock {
    txs: Vec<Option<RecordedTx>>,
    pvt: BTreeMap<u64, TxPvtReadWriteSet>,
}

fn load_blocks() -> Vec<RecordedBlock> {
    (0..=last_block())
        .map(|n| {
            let bytes = std::fs::read(dir().join(format!("blocks/{n:06}.block"))).unwrap();
            let block = Block::decode(bytes.as_slice()).unwrap();
            let filter = transactions_filter(&block).to_vec();
            let data = block
                .data
                .as_ref()
                .map(|d| d.data.clone())
                .unwrap_or_default();
            let txs = data
                .iter()
                .enumerate()
                .map(|(i, env)| {
                    let env = Envelope::decode(env.as_ref()).unwrap();
                    let payload = Payload::decode(env.payload.as_ref()).unwrap();
                    let ch = ChannelHeader::decode(
                        payload.header.as_ref().unwrap().channel_header.as_ref(),
                    )
                    .unwrap();
                    if ch.r#type != HeaderType::EndorserTransaction as i32 {
                        return None;
                    }
                    let tx = ParsedTransaction::parse(&env).unwrap();
                    Some(RecordedTx {
                        txid: ch.tx_id.clone(),
                        timestamp: ch.timestamp,
                        results: tx.action.results.clone(),
                        code: i32::from(filter[i]),
                    })
                })
                .collect();
            let pvt_path = dir().join(format!("pvtdata/{n:06}.blockandpvtdata.pb"));
            let pvt = match std::fs::read(pvt_path) {
                Ok(b) => BlockAndPrivateData::decode(b.as_slice())
                    .unwrap()
                    .private_data_map
                    .into_iter()
                    .collect(),
                Err(_) => BTreeMap::new(),
            };
            RecordedBlock { txs, pvt }
        })
        .collect()
}

/// One request of the chaincode and the peer's recorded answer.
struct Exchange {
    seq: u64,
    msg_type: Type,
    payload: Bytes,
    /// `Ok(RESPONSE payload)` or `Err(ERROR text)`; `None` if the peer never answered.
    answer: Option<Result<Bytes, String>>,
}

/// One recorded execution of a transaction on one peer.
struct Execution {
    file: String,
    conn: String,
    seq: u64,
    txid: String,
    op: Option<String>,
    chaincode: String,
    creator_msp: String,
    is_init: bool,
    exchanges: Vec<Exchange>,
}

fn load_executions() -> Vec<Execution> {
    let mut out: Vec<Execution> = Vec::new();
    for file in [
        "basic",
        "ledger-queries",
        "events",
        "private-data",
        "sbe",
        "init",
    ] {
        // v2.5.16 has no sbe and init transcripts.
        let Ok(text) = std::fs::read_to_string(dir().join(format!("transcripts/{file}.jsonl")))
        else {
            continue;
        };
        // (conn, txid) → index into `out` of the running execution
        let mut running: BTreeMap<(String, String), usize> = BTreeMap::new();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let Some(b) = v["bytes_b64"].as_str() else {
                continue;
            };
            let msg = ChaincodeMessage::decode(b64(b).as_slice()).unwrap();
            let conn = v["conn"].as_str().unwrap().to_string();
            let seq = v["seq"].as_u64().unwrap();
            let dir = v["dir"].as_str().unwrap();
            let ty = Type::try_from(msg.r#type).unwrap();
            let key = (conn.clone(), msg.txid.clone());
            match (dir, ty) {
                ("peer->cc", Type::Transaction | Type::Init) => {
                    let signed = msg.proposal.clone().unwrap();
                    let p = ParsedProposal::parse(&signed).unwrap();
                    let creator = SerializedIdentity::decode(p.creator().as_ref()).unwrap();
                    out.push(Execution {
                        file: file.to_string(),
                        conn: conn.clone(),
                        seq,
                        txid: msg.txid.clone(),
                        op: v["op"].as_str().map(str::to_string),
                        chaincode: p.chaincode_name().to_string(),
                        creator_msp: creator.mspid,
                        is_init: ty == Type::Init,
                        exchanges: Vec::new(),
                    });
                    running.insert(key, out.len() - 1);
                }
                ("peer->cc", Type::Response | Type::Error) => {
                    let Some(&i) = running.get(&key) else {
                        continue;
                    };
                    let answer = if ty == Type::Response {
                        Ok(msg.payload.clone())
                    } else {
                        Err(String::from_utf8(msg.payload.to_vec()).unwrap())
                    };
                    if let Some(x) = out[i].exchanges.iter_mut().find(|x| x.answer.is_none()) {
                        x.answer = Some(answer);
                    }
                }
                ("cc->peer", Type::Completed | Type::Error | Type::Register | Type::Keepalive) => {}
                ("cc->peer", _) => {
                    let Some(&i) = running.get(&key) else {
                        continue;
                    };
                    out[i].exchanges.push(Exchange {
                        seq,
                        msg_type: ty,
                        payload: msg.payload.clone(),
                        answer: None,
                    });
                }
                _ => {}
            }
        }
    }
    out
}

/// The ledger height each execution saw.
fn heights(executions: &[Execution], blocks: &[RecordedBlock]) -> Vec<u64> {
    let mut in_block: BTreeMap<&str, u64> = BTreeMap::new();
    for (n, b) in blocks.iter().enumerate() {
        for tx in b.txs.iter().flatten() {
            in_block.entry(tx.txid.as_str()).or_insert(n as u64);
        }
    }
    // Client operations in time order: an operation not in a block saw every block committed
    // for the operations before it.
    let txids: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("txids.json")).unwrap()).unwrap();
    let mut op_height: BTreeMap<String, u64> = BTreeMap::new();
    let mut committed = 0u64;
    for op in txids["operations"].as_array().unwrap() {
        let txid = op["txid"].as_str().unwrap_or_default().to_string();
        if let Some(&n) = in_block.get(txid.as_str()) {
            op_height.entry(txid).or_insert(n);
        } else {
            op_height.entry(txid).or_insert(committed + 1);
        }
        for b in op["in_blocks"].as_array().into_iter().flatten() {
            committed = committed.max(b["block"].as_u64().unwrap());
        }
    }
    let mut last_per_file: BTreeMap<&str, u64> = BTreeMap::new();
    executions
        .iter()
        .map(|e| {
            let h = in_block
                .get(e.txid.as_str())
                .copied()
                .or_else(|| op_height.get(&e.txid).copied())
                .or_else(|| last_per_file.get(e.file.as_str()).copied())
                .unwrap_or(blocks.len() as u64);
            last_per_file.insert(e.file.as_str(), h);
            h
        })
        .collect()
}

fn collections() -> BTreeMap<String, CollectionConfigPackage> {
    let json = std::fs::read(dir().join("config/collections_config.json")).unwrap();
    let mut m = BTreeMap::new();
    m.insert(
        "private".to_string(),
        parse_collections_json(&json).unwrap(),
    );
    m
}

#[derive(Default)]
struct Report {
    executions: usize,
    answers: usize,
    answers_equal: usize,
    rwsets: usize,
    rwsets_equal: usize,
    codes: usize,
    codes_equal: usize,
    pvt_collections: usize,
    pvt_collections_equal: usize,
    pvt_purged_skipped: usize,
    features: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
    fully_equal: usize,
}

/// What a byte-exact read-write set exercised.
fn features(rwset: &TxRwSet) -> Vec<&'static str> {
    use fabric_sdk::protos::kvrwset::range_query_info::ReadsInfo;
    let mut f = BTreeSet::new();
    for ns in &rwset.namespaces {
        if ns.namespace == "_lifecycle" {
            f.insert("_lifecycle reads");
            continue;
        }
        if !ns.kv.reads.is_empty() {
            f.insert("public reads");
        }
        if ns.kv.reads.iter().any(|r| r.version.is_none()) {
            f.insert("reads of absent keys");
        }
        if ns.kv.writes.iter().any(|w| !w.is_delete) {
            f.insert("public writes");
        }
        if ns.kv.writes.iter().any(|w| w.is_delete) {
            f.insert("public deletes");
        }
        if !ns.kv.metadata_writes.is_empty() {
            f.insert("metadata writes");
        }
        for q in &ns.kv.range_queries_info {
            match &q.reads_info {
                Some(ReadsInfo::RawReads(_)) => f.insert("range query, raw reads"),
                Some(ReadsInfo::ReadsMerkleHashes(_)) => f.insert("range query, Merkle summary"),
                None => f.insert("range query, no results"),
            };
        }
        for c in &ns.collections {
            if !c.hashed.hashed_reads.is_empty() {
                f.insert("hashed reads");
            }
            if c.hashed.hashed_writes.iter().any(|w| !w.is_delete) {
                f.insert("hashed writes");
            }
            if c.hashed
                .hashed_writes
                .iter()
                .any(|w| w.is_delete && !w.is_purge)
            {
                f.insert("hashed deletes");
            }
            if c.hashed.hashed_writes.iter().any(|w| w.is_purge) {
                f.insert("purges");
            }
            if c.collection.starts_with("_implicit_org_") {
                f.insert("implicit collections");
            }
        }
    }
    f.into_iter().collect()
}

fn iterator_ids(e: &Execution) -> Vec<String> {
    e.exchanges
        .iter()
        .filter(|x| {
            matches!(
                x.msg_type,
                Type::GetStateByRange | Type::GetQueryResult | Type::GetHistoryForKey
            )
        })
        .map(|x| match &x.answer {
            Some(Ok(b)) => QueryResponse::decode(b.as_ref()).unwrap().id,
            _ => "unused".to_string(),
        })
        .collect()
}

struct Outcome {
    results: Bytes,
    private: Option<TxPvtReadWriteSet>,
}

fn replay(
    state: &MemoryState,
    e: &Execution,
    colls: &BTreeMap<String, CollectionConfigPackage>,
    report: &mut Report,
) -> Option<Outcome> {
    report.executions += 1;
    let cfg = SimulatorConfig::new(&e.chaincode, &e.txid, &e.creator_msp)
        .with_channel(CHANNEL)
        .with_channel_orgs(ORGS)
        .with_collections(colls.get(&e.chaincode).cloned().unwrap_or_default())
        .with_init(e.is_init)
        .with_lifecycle_reads(true);
    let mut sim = TxSimulator::new(state, cfg);
    let mut ids = iterator_ids(e).into_iter();
    sim.set_iterator_ids(move || ids.next().unwrap_or_default());
    let def = ChaincodeDefinitionInfo {
        version: "1.0".into(),
        init_required: e.chaincode == "basicinit",
    };
    if let Err(err) = sim.check_invocation(&def) {
        report.failures.push(format!(
            "{} {} seq {}: check_invocation: {err}",
            e.file, e.conn, e.seq
        ));
        return None;
    }
    let mut all_equal = true;
    for x in &e.exchanges {
        let got = sim.handle(x.msg_type, &x.payload);
        let Some(want) = &x.answer else { continue };
        report.answers += 1;
        if got == *want {
            report.answers_equal += 1;
        } else {
            all_equal = false;
            report.failures.push(format!(
                "{} {} seq {} {:?} ({}): answer differs\n  got:  {}\n  want: {}",
                e.file,
                e.conn,
                x.seq,
                x.msg_type,
                e.op.as_deref().unwrap_or("-"),
                show(&got),
                show(want)
            ));
        }
    }
    if all_equal {
        report.fully_equal += 1;
    }
    let s = sim.finish();
    Some(Outcome {
        results: s.results,
        private: s.private,
    })
}

fn show(r: &Result<Bytes, String>) -> String {
    match r {
        Ok(b) => format!("RESPONSE {}", hex::encode(b)),
        Err(e) => format!("ERROR {e}"),
    }
}

/// The number of peer answers in the transcripts (from their index).
fn recorded_answers() -> usize {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("transcripts/index.json")).unwrap(),
    )
    .unwrap();
    index
        .as_object()
        .unwrap()
        .values()
        .flat_map(|v| v["message_counts"].as_object().unwrap().iter())
        .filter(|(k, _)| k.starts_with("peer->cc RESPONSE") || k.starts_with("peer->cc ERROR"))
        .map(|(_, n)| n.as_u64().unwrap() as usize)
        .sum()
}

#[test]
fn replay_recorded_network_v3_1_5() {
    let r = replay_network("fabric-v3.1.5");
    // Every recorded answer, every recorded chaincode transaction's rwset, every code.
    assert_eq!((r.answers, r.rwsets, r.codes), (871, 370, 218));
}

#[test]
fn replay_recorded_network_v2_5_16() {
    let r = replay_network("fabric-v2.5.16");
    assert_eq!((r.answers, r.rwsets, r.codes), (814, 355, 200));
}

fn replay_network(version: &'static str) -> Report {
    VERSION.with(|v| *v.borrow_mut() = version);
    let blocks = load_blocks();
    let executions = load_executions();
    let heights = heights(&executions, &blocks);
    let colls = collections();
    let mut state = MemoryState::new();
    for (ns, pkg) in &colls {
        state.set_collections(ns, pkg);
    }
    let mut report = Report::default();
    // txid → private write set from our own simulation (when its rwset matched the block)
    let mut our_pvt: BTreeMap<String, TxPvtReadWriteSet> = BTreeMap::new();

    for height in 0..=blocks.len() as u64 {
        let block = blocks.get(height as usize);
        for (e, _) in executions
            .iter()
            .zip(&heights)
            .filter(|(_, h)| **h == height)
        {
            let Some(outcome) = replay(&state, e, &colls, &mut report) else {
                continue;
            };
            let Some(recorded) = block
                .into_iter()
                .flat_map(|b| b.txs.iter().flatten())
                .find(|t| t.txid == e.txid)
            else {
                continue;
            };
            report.rwsets += 1;
            if outcome.results == recorded.results {
                report.rwsets_equal += 1;
                for f in features(&TxRwSet::decode(&recorded.results).unwrap()) {
                    *report.features.entry(f).or_default() += 1;
                }
                if let Some(p) = outcome.private {
                    our_pvt.insert(e.txid.clone(), p);
                }
            } else {
                report.failures.push(format!(
                    "{} {} seq {} ({}) block {height}: rwset differs\n  got:  {:?}\n  want: {:?}",
                    e.file,
                    e.conn,
                    e.seq,
                    e.op.as_deref().unwrap_or("-"),
                    TxRwSet::decode(&outcome.results).unwrap(),
                    TxRwSet::decode(&recorded.results).unwrap(),
                ));
            }
        }
        let Some(block) = block else { break };
        // Our private write sets against the clear text the peer served (Org1's view).
        for (i, recorded) in &block.pvt {
            let Some(Some(tx)) = block.txs.get(*i as usize) else {
                continue;
            };
            let Some(ours) = our_pvt.get(&tx.txid) else {
                continue;
            };
            let ours = TxPvtRwSet::from_proto(ours).unwrap();
            for ns in &TxPvtRwSet::from_proto(recorded).unwrap().namespaces {
                for c in &ns.collections {
                    report.pvt_collections += 1;
                    let mine = ours.collection(&ns.namespace, &c.collection);
                    if mine.is_some_and(|m| m.rwset == c.rwset) {
                        report.pvt_collections_equal += 1;
                    } else if TxRwSet::decode(&tx.results)
                        .unwrap()
                        .pvt_rwset_hash(&ns.namespace, &c.collection)
                        .is_some_and(|h| h.as_ref() != fabric_sdk::crypto::sha256(&c.rwset))
                    {
                        // After a purge the peer serves the set with the purged key's writes
                        // removed, so it no longer matches its own hash (README §6).
                        report.pvt_purged_skipped += 1;
                    } else {
                        report.failures.push(format!(
                            "block {height} tx {i} {}/{}: private write set differs",
                            ns.namespace, c.collection
                        ));
                    }
                }
            }
        }
        let mut txs = Vec::new();
        let mut expected = Vec::new();
        for (i, tx) in block.txs.iter().enumerate() {
            let Some(tx) = tx else { continue };
            let recorded = TxValidationCode::try_from(tx.code).unwrap();
            let mvcc_related = matches!(
                recorded,
                TxValidationCode::Valid
                    | TxValidationCode::MvccReadConflict
                    | TxValidationCode::PhantomReadConflict
            );
            let pvt = our_pvt
                .get(&tx.txid)
                .or_else(|| block.pvt.get(&(i as u64)))
                .map(|p| TxPvtRwSet::from_proto(p).unwrap());
            txs.push(
                BlockTx::new(i as u64, &tx.txid, TxRwSet::decode(&tx.results).unwrap())
                    .with_timestamp(tx.timestamp)
                    .with_private(pvt)
                    .with_code(if mvcc_related {
                        TxValidationCode::Valid
                    } else {
                        recorded
                    }),
            );
            expected.push(recorded);
        }
        let validation = validate_block(&state, height, &txs).unwrap();
        for (i, (got, want)) in validation.codes.iter().zip(&expected).enumerate() {
            report.codes += 1;
            if got == want {
                report.codes_equal += 1;
            } else {
                report.failures.push(format!(
                    "block {height} tx {i}: validation code {got:?}, recorded {want:?}"
                ));
            }
        }
        state.commit(&validation.batch).unwrap();
    }

    eprintln!(
        "{version}: executions {} ({} with every answer equal), answers {}/{} equal, rwsets {}/{} byte-exact, \
         private collection sets {}/{} byte-equal to the recorded clear text ({} purged ones skipped), codes {}/{} equal",
        report.executions,
        report.fully_equal,
        report.answers_equal,
        report.answers,
        report.rwsets_equal,
        report.rwsets,
        report.pvt_collections_equal,
        report.pvt_collections,
        report.pvt_purged_skipped,
        report.codes_equal,
        report.codes
    );
    for (f, n) in &report.features {
        eprintln!("  byte-exact rwsets with {f}: {n}");
    }
    for f in &report.failures {
        eprintln!("{f}");
    }
    assert!(
        report.failures.is_empty(),
        "{} differences",
        report.failures.len()
    );
    assert_eq!(report.answers, recorded_answers());
    let endorser_txs = blocks.iter().flat_map(|b| b.txs.iter().flatten()).count();
    assert_eq!(report.codes, endorser_txs);
    let in_blocks: BTreeSet<&str> = blocks
        .iter()
        .flat_map(|b| b.txs.iter().flatten())
        .map(|t| t.txid.as_str())
        .collect();
    let executions_in_blocks = executions
        .iter()
        .filter(|e| in_blocks.contains(e.txid.as_str()))
        .count();
    assert_eq!(report.rwsets, executions_in_blocks);
    assert!(report.pvt_collections_equal > 0);
    report
}

/// Commits the recorded blocks `0..until` with their recorded codes (no simulation).
fn state_before(blocks: &[RecordedBlock], until: u64) -> MemoryState {
    let mut state = MemoryState::new();
    for (n, b) in blocks.iter().enumerate().take(until as usize) {
        state.apply(n as u64, &block_txs(b, |code| code)).unwrap();
    }
    state
}

fn block_txs(
    b: &RecordedBlock,
    code: impl Fn(TxValidationCode) -> TxValidationCode,
) -> Vec<BlockTx> {
    b.txs
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((i, t.as_ref()?)))
        .map(|(i, t)| {
            BlockTx::new(i as u64, &t.txid, TxRwSet::decode(&t.results).unwrap())
                .with_timestamp(t.timestamp)
                .with_code(code(TxValidationCode::try_from(t.code).unwrap()))
        })
        .collect()
}

#[test]
fn mvcc_block_56_and_phantom_block_60() {
    VERSION.with(|v| *v.borrow_mut() = "fabric-v3.1.5");
    let blocks = load_blocks();
    let all_valid = |_| TxValidationCode::Valid;

    // Block 56: two UpdateAsset(asset1) endorsed on the same state; the second loses.
    let state = state_before(&blocks, 56);
    let v = validate_block(&state, 56, &block_txs(&blocks[56], all_valid)).unwrap();
    assert_eq!(
        v.codes,
        [TxValidationCode::Valid, TxValidationCode::MvccReadConflict]
    );
    // Alone, the second transaction would have been valid.
    let second = block_txs(&blocks[56], all_valid).remove(1);
    let v = validate_block(&state, 56, &[second]).unwrap();
    assert_eq!(v.codes, [TxValidationCode::Valid]);

    // Block 60: CreateAsset(asset9) then a submitted GetAllAssets whose range query (a Merkle
    // summary of 150+ results) no longer matches.
    let state = state_before(&blocks, 60);
    let txs = block_txs(&blocks[60], all_valid);
    let v = validate_block(&state, 60, &txs).unwrap();
    assert_eq!(
        v.codes,
        [
            TxValidationCode::Valid,
            TxValidationCode::PhantomReadConflict
        ]
    );
    let v = validate_block(&state, 60, &txs[1..]).unwrap();
    assert_eq!(v.codes, [TxValidationCode::Valid]);
    // The invalid transactions write nothing.
    let v = validate_block(&state, 60, &txs).unwrap();
    assert!(v.batch.public["basic"].contains_key("asset9"));
    assert_eq!(v.batch.history.len(), 1);
}
