//! One test per ledger rule of `fabric_sdk::ledger`: the shim requests as a Fabric peer answers
//! them, the read-write sets it builds, commit rules and MVCC validation.

use bytes::Bytes;
use fabric_sdk::crypto::sha256;
use fabric_sdk::ledger::{
    BlockTx, ChaincodeDefinitionInfo, INITIALIZED_KEY, KeyRef, MemoryState, PrivateValue,
    Simulation, SimulatorConfig, StateReader, TxRwSet, TxSimulator, Version, VersionedValue,
    iterator_id, key_hash, validate_block,
};
use fabric_sdk::policy::parse_collections_json;
use fabric_sdk::protos::Message;
use fabric_sdk::protos::kvrwset::range_query_info::ReadsInfo;
use fabric_sdk::protos::kvrwset::{KvrwSet, RangeQueryInfo};
use fabric_sdk::protos::protos::chaincode_message::Type;
use fabric_sdk::protos::protos::write_record::Type as RecordType;
use fabric_sdk::protos::protos::{
    CollectionConfigPackage, DelState, GetHistoryForKey, GetQueryResult, GetState, GetStateByRange,
    GetStateMetadata, GetStateMultiple, GetStateMultipleResult, PutState, PutStateMetadata,
    QueryMetadata, QueryResponse, QueryResponseMetadata, QueryStateClose, QueryStateNext,
    StateMetadata, StateMetadataResult, TxValidationCode, WriteBatchState, WriteRecord,
};
use fabric_sdk::protos::queryresult::{KeyModification, Kv};

const NS: &str = "cc";
const TX: &str = "tx1";

// ----- helpers ---------------------------------------------------------------------------------

fn cfg() -> SimulatorConfig {
    SimulatorConfig::new(NS, TX, "Org1MSP")
        .with_channel("mychannel")
        .with_channel_orgs(["Org1MSP", "Org2MSP"])
        .with_collections(colls())
}

fn colls() -> CollectionConfigPackage {
    parse_collections_json(
        br#"[
        {"name":"shared","policy":"OR('Org1MSP.member','Org2MSP.member')","memberOnlyRead":true,"memberOnlyWrite":true},
        {"name":"org1only","policy":"OR('Org1MSP.member')","memberOnlyRead":true,"memberOnlyWrite":false},
        {"name":"org1write","policy":"OR('Org1MSP.member')","memberOnlyRead":false,"memberOnlyWrite":true},
        {"name":"open","policy":"OR('Org1MSP.member')"}
    ]"#,
    )
    .unwrap()
}

fn vv(value: &str, block: u64, tx: u64) -> VersionedValue {
    VersionedValue {
        value: Bytes::copy_from_slice(value.as_bytes()),
        metadata: Default::default(),
        version: Version::new(block, tx),
    }
}

fn state(kvs: &[(&str, &str)]) -> MemoryState {
    let mut s = MemoryState::new();
    for (i, (k, v)) in kvs.iter().enumerate() {
        s.put_state(NS, k, vv(v, 1, i as u64));
    }
    s
}

fn get(key: &str) -> Vec<u8> {
    GetState {
        key: key.into(),
        collection: String::new(),
    }
    .encode_to_vec()
}

fn get_in(coll: &str, key: &str) -> Vec<u8> {
    GetState {
        key: key.into(),
        collection: coll.into(),
    }
    .encode_to_vec()
}

fn put(key: &str, value: &str) -> Vec<u8> {
    put_in("", key, value)
}

fn put_in(coll: &str, key: &str, value: &str) -> Vec<u8> {
    PutState {
        key: key.into(),
        value: Bytes::copy_from_slice(value.as_bytes()),
        collection: coll.into(),
    }
    .encode_to_vec()
}

fn del(coll: &str, key: &str) -> Vec<u8> {
    DelState {
        key: key.into(),
        collection: coll.into(),
    }
    .encode_to_vec()
}

fn range(start: &str, end: &str) -> Vec<u8> {
    GetStateByRange {
        start_key: start.into(),
        end_key: end.into(),
        collection: String::new(),
        metadata: Bytes::new(),
    }
    .encode_to_vec()
}

fn page(start: &str, end: &str, page_size: i32, bookmark: &str) -> Vec<u8> {
    GetStateByRange {
        start_key: start.into(),
        end_key: end.into(),
        collection: String::new(),
        metadata: QueryMetadata {
            page_size,
            bookmark: bookmark.into(),
        }
        .encode_to_vec()
        .into(),
    }
    .encode_to_vec()
}

fn next(id: &str) -> Vec<u8> {
    QueryStateNext { id: id.into() }.encode_to_vec()
}

fn qr(b: Bytes) -> QueryResponse {
    QueryResponse::decode(b).unwrap()
}

fn keys(r: &QueryResponse) -> Vec<String> {
    r.results
        .iter()
        .map(|x| Kv::decode(x.result_bytes.clone()).unwrap().key)
        .collect()
}

fn ns_kv(sim: &Simulation, ns: &str) -> KvrwSet {
    TxRwSet::decode(&sim.results)
        .unwrap()
        .namespaces
        .into_iter()
        .find(|n| n.namespace == ns)
        .map(|n| n.kv)
        .unwrap_or_default()
}

fn err_of(r: Result<Bytes, String>) -> String {
    r.unwrap_err()
}

fn many(n: usize) -> MemoryState {
    let mut s = MemoryState::new();
    for i in 0..n {
        s.put_state(NS, &format!("k{i:04}"), vv("v", 2, i as u64));
    }
    s
}

fn only_range(sim: &Simulation) -> RangeQueryInfo {
    let kv = ns_kv(sim, NS);
    assert_eq!(kv.range_queries_info.len(), 1);
    kv.range_queries_info[0].clone()
}

// ----- public state ----------------------------------------------------------------------------

#[test]
fn get_state_returns_committed_value_and_records_the_version() {
    let st = state(&[("a", "1")]);
    let mut sim = TxSimulator::new(&st, cfg());
    assert_eq!(sim.handle(Type::GetState, &get("a")).unwrap(), "1");
    assert_eq!(sim.handle(Type::GetState, &get("missing")).unwrap(), "");
    let s = sim.finish();
    assert!(s.read_only);
    let kv = ns_kv(&s, NS);
    assert_eq!(kv.reads.len(), 2);
    assert_eq!(kv.reads[0].key, "a");
    assert_eq!(kv.reads[0].version, Some(Version::new(1, 0).to_proto()));
    assert_eq!(kv.reads[1].key, "missing");
    assert_eq!(kv.reads[1].version, None);
}

#[test]
fn no_read_your_writes() {
    let st = state(&[("a", "old")]);
    let mut sim = TxSimulator::new(&st, cfg());
    sim.handle(Type::PutState, &put("a", "new")).unwrap();
    sim.handle(Type::PutState, &put("b", "new")).unwrap();
    assert_eq!(sim.handle(Type::GetState, &get("a")).unwrap(), "old");
    assert_eq!(sim.handle(Type::GetState, &get("b")).unwrap(), "");
}

#[test]
fn empty_put_and_del_state_are_deletes_and_the_last_write_wins() {
    let st = state(&[]);
    let mut sim = TxSimulator::new(&st, cfg());
    sim.handle(Type::PutState, &put("a", "")).unwrap();
    sim.handle(Type::PutState, &put("b", "1")).unwrap();
    sim.handle(Type::DelState, &del("", "b")).unwrap();
    sim.handle(Type::DelState, &del("", "c")).unwrap();
    sim.handle(Type::PutState, &put("c", "3")).unwrap();
    let s = sim.finish();
    assert!(!s.read_only);
    let w = ns_kv(&s, NS).writes;
    let got: Vec<_> = w.iter().map(|w| (w.key.as_str(), w.is_delete)).collect();
    assert_eq!(got, [("a", true), ("b", true), ("c", false)]);
    assert_eq!(w[2].value, "3");
    assert_eq!(s.public_write_namespaces.len(), 1);
}

#[test]
fn get_state_multiple_aligns_values_and_records_reads() {
    let st = state(&[("a", "1"), ("c", "3")]);
    let mut sim = TxSimulator::new(&st, cfg());
    let req = GetStateMultiple {
        keys: vec!["c".into(), "b".into(), "a".into()],
        collection: String::new(),
    };
    let r = sim
        .handle(Type::GetStateMultiple, &req.encode_to_vec())
        .unwrap();
    let r = GetStateMultipleResult::decode(r).unwrap();
    assert_eq!(r.values, [&b"3"[..], b"", b"1"]);
    assert_eq!(ns_kv(&sim.finish(), NS).reads.len(), 3);
}

#[test]
fn write_batch_applies_records_in_order_and_refuses_unknown_types() {
    let st = state(&[]);
    let rec = |t: RecordType, key: &str, value: &str| WriteRecord {
        key: key.into(),
        value: Bytes::copy_from_slice(value.as_bytes()),
        collection: String::new(),
        metadata: None,
        r#type: t as i32,
    };
    let mut sim = TxSimulator::new(&st, cfg());
    let batch = WriteBatchState {
        rec: vec![
            rec(RecordType::PutState, "a", "1"),
            rec(RecordType::DelState, "a", ""),
            rec(RecordType::PutState, "b", "2"),
        ],
    };
    assert_eq!(
        sim.handle(Type::WriteBatchState, &batch.encode_to_vec())
            .unwrap(),
        ""
    );
    let bad = WriteBatchState {
        rec: vec![
            rec(RecordType::PutState, "c", "3"),
            rec(RecordType::Undefined, "d", "4"),
        ],
    };
    assert_eq!(
        err_of(sim.handle(Type::WriteBatchState, &bad.encode_to_vec())),
        "WRITE_BATCH_STATE failed: transaction ID: tx1: unknown operation type"
    );
    let w = ns_kv(&sim.finish(), NS).writes;
    // Records before the unknown one stay applied, as on a peer.
    let got: Vec<_> = w.iter().map(|w| (w.key.as_str(), w.is_delete)).collect();
    assert_eq!(got, [("a", true), ("b", false), ("c", false)]);
}

// ----- range queries -----------------------------------------------------------------------------

#[test]
fn range_results_come_100_per_response_then_the_iterator_is_gone() {
    let st = many(250);
    let mut sim = TxSimulator::new(&st, cfg());
    let r1 = qr(sim.handle(Type::GetStateByRange, &range("", "")).unwrap());
    assert_eq!((r1.results.len(), r1.has_more), (100, true));
    assert_eq!(r1.id, iterator_id(TX, 0));
    let r2 = qr(sim.handle(Type::QueryStateNext, &next(&r1.id)).unwrap());
    assert_eq!((r2.results.len(), r2.has_more), (100, true));
    let r3 = qr(sim.handle(Type::QueryStateNext, &next(&r1.id)).unwrap());
    assert_eq!((r3.results.len(), r3.has_more), (50, false));
    assert_eq!(keys(&r3)[49], "k0249");
    assert_eq!(
        err_of(sim.handle(Type::QueryStateNext, &next(&r1.id))),
        "QUERY_STATE_NEXT failed: transaction ID: tx1: query iterator not found"
    );
    let kv = Kv::decode(r1.results[0].result_bytes.clone()).unwrap();
    assert_eq!((kv.namespace.as_str(), kv.key.as_str()), (NS, "k0000"));
    let rqi = only_range(&sim.finish());
    assert!(rqi.itr_exhausted);
    assert_eq!((rqi.start_key.as_str(), rqi.end_key.as_str()), ("", ""));
    let Some(ReadsInfo::ReadsMerkleHashes(m)) = rqi.reads_info else {
        panic!("250 results are summarized")
    };
    assert_eq!(
        (m.max_degree, m.max_level, m.max_level_hashes.len()),
        (50, 1, 5)
    );
}

#[test]
fn exactly_100_results_need_no_second_response() {
    let st = many(100);
    let mut sim = TxSimulator::new(&st, cfg());
    let r = qr(sim.handle(Type::GetStateByRange, &range("", "")).unwrap());
    assert_eq!((r.results.len(), r.has_more), (100, false));
}

#[test]
fn a_closed_iterator_records_what_was_read_so_far() {
    let st = many(250);
    let mut sim = TxSimulator::new(&st, cfg());
    let r = qr(sim.handle(Type::GetStateByRange, &range("", "")).unwrap());
    let close = QueryStateClose { id: r.id.clone() }.encode_to_vec();
    let c = qr(sim.handle(Type::QueryStateClose, &close).unwrap());
    assert_eq!(
        (c.results.len(), c.has_more, c.id),
        (0, false, r.id.clone())
    );
    assert!(sim.handle(Type::QueryStateNext, &next(&r.id)).is_err());
    let rqi = only_range(&sim.finish());
    // The peer read one result beyond the batch it returned.
    assert!(!rqi.itr_exhausted);
    assert_eq!(rqi.end_key, "k0100");
}

#[test]
fn small_ranges_record_raw_reads_and_the_query_end() {
    let st = state(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]);
    let mut sim = TxSimulator::new(&st, cfg());
    let r = qr(sim.handle(Type::GetStateByRange, &range("b", "d")).unwrap());
    assert_eq!(keys(&r), ["b", "c"]);
    let empty = qr(sim.handle(Type::GetStateByRange, &range("x", "z")).unwrap());
    assert!(empty.results.is_empty());
    let kv = ns_kv(&sim.finish(), NS);
    assert_eq!(kv.range_queries_info.len(), 2);
    let rqi = &kv.range_queries_info[0];
    assert!(rqi.itr_exhausted);
    assert_eq!((rqi.start_key.as_str(), rqi.end_key.as_str()), ("b", "d"));
    let Some(ReadsInfo::RawReads(raw)) = &rqi.reads_info else {
        panic!("raw reads expected")
    };
    let got: Vec<_> = raw.kv_reads.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(got, ["b", "c"]);
    assert_eq!(raw.kv_reads[1].version, Some(Version::new(1, 2).to_proto()));
    // No results: no reads_info at all, as Fabric leaves it.
    assert!(kv.range_queries_info[1].reads_info.is_none());
    // Range reads are not point reads.
    assert!(kv.reads.is_empty());
}

#[test]
fn the_total_query_limit_ends_the_iteration() {
    let st = many(250);
    let mut sim = TxSimulator::new(&st, cfg().with_limits(150, 100));
    let r1 = qr(sim.handle(Type::GetStateByRange, &range("", "")).unwrap());
    assert_eq!((r1.results.len(), r1.has_more), (100, true));
    let r2 = qr(sim.handle(Type::QueryStateNext, &next(&r1.id)).unwrap());
    assert_eq!((r2.results.len(), r2.has_more), (50, false));
    let rqi = only_range(&sim.finish());
    assert!(!rqi.itr_exhausted);
    assert_eq!(rqi.end_key, "k0149");
}

#[test]
fn pagination_returns_one_page_with_a_bookmark() {
    let st = many(10);
    let mut sim = TxSimulator::new(&st, cfg());
    let p1 = qr(sim
        .handle(Type::GetStateByRange, &page("", "", 4, ""))
        .unwrap());
    assert_eq!(keys(&p1), ["k0000", "k0001", "k0002", "k0003"]);
    assert!(!p1.has_more);
    let m = QueryResponseMetadata::decode(p1.metadata.clone()).unwrap();
    assert_eq!((m.fetched_records_count, m.bookmark.as_str()), (4, "k0004"));
    // The bookmark replaces the start key.
    let p3 = qr(sim
        .handle(Type::GetStateByRange, &page("k0000", "", 4, "k0008"))
        .unwrap());
    assert_eq!(keys(&p3), ["k0008", "k0009"]);
    let m = QueryResponseMetadata::decode(p3.metadata.clone()).unwrap();
    assert_eq!((m.fetched_records_count, m.bookmark.as_str()), (2, ""));
    // The page's iterator is closed after the page.
    assert!(sim.handle(Type::QueryStateNext, &next(&p1.id)).is_err());
    let kv = ns_kv(&sim.finish(), NS);
    let first = &kv.range_queries_info[0];
    assert_eq!(
        (first.end_key.as_str(), first.itr_exhausted),
        ("k0003", false)
    );
    let last = &kv.range_queries_info[1];
    assert_eq!(
        (last.start_key.as_str(), last.itr_exhausted),
        ("k0008", true)
    );
}

#[test]
fn paginated_queries_only_in_read_only_transactions() {
    let st = many(10);
    let mut sim = TxSimulator::new(&st, cfg());
    sim.handle(Type::PutState, &put("x", "1")).unwrap();
    assert_eq!(
        err_of(sim.handle(Type::GetStateByRange, &page("", "", 2, ""))),
        "GET_STATE_BY_RANGE failed: transaction ID: tx1: txid [tx1]: unsuppored transaction. Paginated queries are supported only in a read-only transaction"
    );
    // A plain range query is fine after a write.
    assert!(sim.handle(Type::GetStateByRange, &range("", "")).is_ok());

    let mut sim = TxSimulator::new(&st, cfg());
    sim.handle(Type::GetStateByRange, &page("", "", 2, ""))
        .unwrap();
    assert_eq!(
        err_of(sim.handle(Type::PutState, &put("x", "1"))),
        "PUT_STATE failed: transaction ID: tx1: txid [tx1]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed"
    );
    assert!(sim.handle(Type::DelState, &del("", "x")).is_err());
    assert!(sim.finish().read_only);
}

#[test]
fn rich_queries_fail_as_on_leveldb() {
    let st = many(3);
    let q = |metadata: Bytes, coll: &str| {
        GetQueryResult {
            query: r#"{"selector":{}}"#.into(),
            collection: coll.into(),
            metadata,
        }
        .encode_to_vec()
    };
    let mut sim = TxSimulator::new(&st, cfg());
    assert_eq!(
        err_of(sim.handle(Type::GetQueryResult, &q(Bytes::new(), ""))),
        "GET_QUERY_RESULT failed: transaction ID: tx1: ExecuteQuery not supported for leveldb"
    );
    let paged = QueryMetadata {
        page_size: 5,
        bookmark: String::new(),
    }
    .encode_to_vec()
    .into();
    assert_eq!(
        err_of(sim.handle(Type::GetQueryResult, &q(paged, ""))),
        "GET_QUERY_RESULT failed: transaction ID: tx1: ExecuteQueryWithMetadata not supported for leveldb"
    );
    assert_eq!(
        err_of(sim.handle(Type::GetQueryResult, &q(Bytes::new(), "shared"))),
        "GET_QUERY_RESULT failed: transaction ID: tx1: ExecuteQuery not supported for leveldb"
    );
}

// ----- private data ----------------------------------------------------------------------------

#[test]
fn private_writes_go_to_the_private_set_and_their_hashes_to_the_public_set() {
    let st = state(&[]);
    let mut sim = TxSimulator::new(&st, cfg());
    sim.handle(Type::PutState, &put_in("shared", "k", "secret"))
        .unwrap();
    sim.handle(Type::DelState, &del("shared", "gone")).unwrap();
    let s = sim.finish();
    let tx = TxRwSet::decode(&s.results).unwrap();
    let ns = &tx.namespaces[0];
    assert_eq!(ns.namespace, NS);
    // A namespace with only private writes still appears, with an empty public set.
    assert_eq!(ns.kv, KvrwSet::default());
    let c = &ns.collections[0];
    assert_eq!(c.collection, "shared");
    let w = &c.hashed.hashed_writes;
    // Sorted by the plain key: "gone" < "k".
    assert_eq!(w[0].key_hash, key_hash("gone"));
    assert!(w[0].is_delete && w[0].value_hash.is_empty());
    assert_eq!(w[1].key_hash, key_hash("k"));
    assert_eq!(w[1].value_hash.as_ref(), sha256(b"secret"));
    let pvt = s.to_block_tx(0, TX).unwrap().pvt.unwrap();
    let pc = pvt.collection(NS, "shared").unwrap();
    assert_eq!(c.pvt_rwset_hash.as_ref(), sha256(&pc.rwset));
    assert_eq!(pc.kv.writes[1].value, "secret");
    assert!(s.private_writes.contains(&(NS.into(), "shared".into())));
    assert!(s.private_reads.is_empty());
    assert!(!s.results.windows(6).any(|w| w == b"secret"));
}

fn private_state() -> MemoryState {
    let mut st = MemoryState::new();
    st.put_private_data(
        NS,
        "shared",
        "k",
        PrivateValue {
            value: "secret".into(),
            version: Version::new(4, 1),
        },
    );
    st
}

#[test]
fn private_reads_are_hashed_reads_and_hash_reads_are_not_private_reads() {
    let st = private_state();
    let mut sim = TxSimulator::new(&st, cfg());
    assert_eq!(
        sim.handle(Type::GetState, &get_in("shared", "k")).unwrap(),
        "secret"
    );
    assert_eq!(
        sim.handle(Type::GetPrivateDataHash, &get_in("shared", "k"))
            .unwrap()
            .as_ref(),
        sha256(b"secret")
    );
    assert_eq!(
        sim.handle(Type::GetPrivateDataHash, &get_in("shared", "none"))
            .unwrap(),
        ""
    );
    let s = sim.finish();
    let tx = TxRwSet::decode(&s.results).unwrap();
    let reads = &tx.namespaces[0].collections[0].hashed.hashed_reads;
    assert_eq!(reads.len(), 2);
    assert_eq!(reads[0].key_hash, key_hash("k"));
    assert_eq!(reads[0].version, Some(Version::new(4, 1).to_proto()));
    assert!(tx.namespaces[0].collections[0].pvt_rwset_hash.is_empty());
    assert!(s.private_reads.contains(&(NS.into(), "shared".into())));
    assert!(s.private.is_none() && s.read_only);
}

#[test]
fn private_data_without_the_matching_value_is_an_error() {
    let mut st = MemoryState::new();
    st.put_private_data_hash(
        NS,
        "shared",
        key_hash("k"),
        fabric_sdk::ledger::HashedValue {
            value_hash: Bytes::copy_from_slice(&sha256(b"x")),
            metadata: Default::default(),
            version: Version::new(5, 0),
        },
    );
    let mut sim = TxSimulator::new(&st, cfg());
    assert_eq!(
        err_of(sim.handle(Type::GetState, &get_in("shared", "k"))),
        "GET_STATE failed: transaction ID: tx1: private data matching public hash version is not available. Public hash version = {BlockNum: 5, TxNum: 0}, Private data version = <nil>"
    );
}

#[test]
fn collection_membership_decides_read_and_write_access() {
    let st = private_state();
    let org2 = || {
        let mut c = cfg();
        c.creator_msp_id = "Org2MSP".into();
        c
    };
    let mut sim = TxSimulator::new(&st, org2());
    // memberOnlyRead, Org2 not a member
    assert_eq!(
        err_of(sim.handle(Type::GetState, &get_in("org1only", "k"))),
        "GET_STATE failed: transaction ID: tx1: tx creator does not have read access permission on privatedata in chaincodeName:cc collectionName: org1only"
    );
    // memberOnlyWrite false: Org2 may write
    sim.handle(Type::PutState, &put_in("org1only", "k", "v"))
        .unwrap();
    // memberOnlyWrite, not a member
    assert_eq!(
        err_of(sim.handle(Type::PutState, &put_in("org1write", "k", "v"))),
        "PUT_STATE failed: transaction ID: tx1: tx creator does not have write access permission on privatedata in chaincodeName:cc collectionName: org1write"
    );
    assert!(sim.handle(Type::DelState, &del("org1write", "k")).is_err());
    // memberOnlyRead false: anyone reads
    assert!(
        sim.handle(Type::GetState, &get_in("org1write", "k"))
            .is_ok()
    );
    // neither flag: anyone reads and writes
    assert!(
        sim.handle(Type::PutState, &put_in("open", "k", "v"))
            .is_ok()
    );
    // members of a two-org collection
    assert!(sim.handle(Type::GetState, &get_in("shared", "k")).is_ok());
    // GET_PRIVATE_DATA_HASH needs no membership
    assert!(
        sim.handle(Type::GetPrivateDataHash, &get_in("org1only", "k"))
            .is_ok()
    );
}

#[test]
fn unknown_and_implicit_collections() {
    let st = state(&[]);
    let mut sim = TxSimulator::new(&st, cfg());
    assert_eq!(
        err_of(sim.handle(Type::GetState, &get_in("nope", "k"))),
        "GET_STATE failed: transaction ID: tx1: collection mychannel/cc/nope could not be found"
    );
    assert_eq!(
        err_of(sim.handle(Type::GetPrivateDataHash, &get_in("nope", "k"))),
        "GET_PRIVATE_DATA_HASH failed: transaction ID: tx1: collection [nope] not defined in the collection config for chaincode [cc]"
    );
    // An empty collection passes Fabric's name check (its cache marker): an empty hash.
    assert_eq!(
        sim.handle(Type::GetPrivateDataHash, &get_in("", "k"))
            .unwrap(),
        ""
    );
    // Implicit collections of channel orgs: anyone may read and write at the peer.
    sim.handle(Type::PutState, &put_in("_implicit_org_Org2MSP", "k", "v"))
        .unwrap();
    assert_eq!(
        err_of(sim.handle(Type::PutState, &put_in("_implicit_org_Org9MSP", "k", "v"))),
        "PUT_STATE failed: transaction ID: tx1: collection [_implicit_org_Org9MSP] not defined in the collection config for chaincode [cc]"
    );
}

#[test]
fn no_private_data_in_init() {
    let st = private_state();
    let mut sim = TxSimulator::new(&st, cfg().with_init(true));
    let msg = "private data APIs are not allowed in chaincode Init()";
    for (t, p) in [
        (Type::GetState, get_in("shared", "k")),
        (Type::PutState, put_in("shared", "k", "v")),
        (Type::DelState, del("shared", "k")),
        (Type::GetPrivateDataHash, get_in("shared", "k")),
        (Type::PurgePrivateData, del("shared", "k")),
    ] {
        let e = err_of(sim.handle(t, &p));
        assert!(e.ends_with(msg), "{e}");
    }
    sim.handle(Type::PutState, &put("public", "ok")).unwrap();
}

#[test]
fn private_range_queries_only_in_read_only_transactions() {
    let mut st = MemoryState::new();
    for k in ["a", "b", "c"] {
        st.put_private_data(
            NS,
            "shared",
            k,
            PrivateValue {
                value: "v".into(),
                version: Version::new(2, 0),
            },
        );
    }
    let prange = |page_size: i32| {
        GetStateByRange {
            start_key: "a".into(),
            end_key: "z".into(),
            collection: "shared".into(),
            metadata: if page_size == 0 {
                Bytes::new()
            } else {
                QueryMetadata {
                    page_size,
                    bookmark: String::new(),
                }
                .encode_to_vec()
                .into()
            },
        }
        .encode_to_vec()
    };
    let mut sim = TxSimulator::new(&st, cfg());
    let r = qr(sim.handle(Type::GetStateByRange, &prange(0)).unwrap());
    assert_eq!(keys(&r), ["a", "b", "c"]);
    // no pagination for collections, but the page size caps the results
    let r = qr(sim.handle(Type::GetStateByRange, &prange(2)).unwrap());
    assert_eq!((keys(&r).len(), r.metadata.is_empty()), (2, true));
    assert_eq!(
        err_of(sim.handle(Type::PutState, &put("x", "1"))),
        "PUT_STATE failed: transaction ID: tx1: txid [tx1]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed"
    );
    let s = sim.finish();
    // Private range queries leave nothing in the read-write set.
    assert_eq!(s.results, Bytes::new());

    let mut sim = TxSimulator::new(&st, cfg());
    sim.handle(Type::PutState, &put("x", "1")).unwrap();
    assert_eq!(
        err_of(sim.handle(Type::GetStateByRange, &prange(0))),
        "GET_STATE_BY_RANGE failed: transaction ID: tx1: txid [tx1]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction"
    );
}

#[test]
fn purge_writes_a_purge_hash_and_needs_a_collection() {
    let st = private_state();
    let mut sim = TxSimulator::new(&st, cfg());
    sim.handle(Type::PurgePrivateData, &del("shared", "k"))
        .unwrap();
    assert_eq!(
        err_of(sim.handle(Type::PurgePrivateData, &del("", "k"))),
        "PURGE_PRIVATE_DATA failed: transaction ID: tx1: only applicable for private data"
    );
    let s = sim.finish();
    let tx = TxRwSet::decode(&s.results).unwrap();
    let w = &tx.namespaces[0].collections[0].hashed.hashed_writes[0];
    assert!(w.is_purge && w.is_delete && w.value_hash.is_empty());
    let pvt = s.to_block_tx(0, TX).unwrap().pvt.unwrap();
    assert!(pvt.collection(NS, "shared").unwrap().kv.writes[0].is_delete);

    let mut sim = TxSimulator::new(&st, cfg().with_capabilities(true, false));
    assert_eq!(
        err_of(sim.handle(Type::PurgePrivateData, &del("shared", "k"))),
        "PURGE_PRIVATE_DATA failed: transaction ID: tx1: purge private data is not enabled, channel application capability of V2_5 or later is required"
    );
}

// ----- key-level metadata ----------------------------------------------------------------------

fn put_md(coll: &str, key: &str, name: &str, value: &str) -> Vec<u8> {
    PutStateMetadata {
        key: key.into(),
        collection: coll.into(),
        metadata: Some(StateMetadata {
            metakey: name.into(),
            value: Bytes::copy_from_slice(value.as_bytes()),
        }),
    }
    .encode_to_vec()
}

#[test]
fn state_metadata_is_read_and_written_per_key() {
    let mut st = MemoryState::new();
    let mut v = vv("value", 3, 0);
    v.metadata
        .insert("VALIDATION_PARAMETER".into(), "policy".into());
    v.metadata.insert("A".into(), "a".into());
    st.put_state(NS, "k", v);
    let mut sim = TxSimulator::new(&st, cfg());
    let req = GetStateMetadata {
        key: "k".into(),
        collection: String::new(),
    };
    let r = StateMetadataResult::decode(
        sim.handle(Type::GetStateMetadata, &req.encode_to_vec())
            .unwrap(),
    )
    .unwrap();
    let names: Vec<_> = r.entries.iter().map(|e| e.metakey.as_str()).collect();
    assert_eq!(names, ["A", "VALIDATION_PARAMETER"]);
    sim.handle(
        Type::PutStateMetadata,
        &put_md("", "k", "VALIDATION_PARAMETER", "new"),
    )
    .unwrap();
    sim.handle(Type::PutState, &put("k", "value2")).unwrap();
    let s = sim.finish();
    let kv = ns_kv(&s, NS);
    // GET_STATE_METADATA reads the key.
    assert_eq!(kv.reads[0].version, Some(Version::new(3, 0).to_proto()));
    assert_eq!(kv.metadata_writes[0].key, "k");
    assert_eq!(
        kv.metadata_writes[0].entries[0].name,
        "VALIDATION_PARAMETER"
    );
    assert_eq!(kv.metadata_writes[0].entries[0].value, "new");
    let key = KeyRef {
        namespace: NS.into(),
        collection: String::new(),
        key: "k".into(),
    };
    assert!(s.metadata_writes.contains(&key));
    // The committed policy of the written key applies to this transaction.
    assert_eq!(
        s.written_key_metadata[&key]["VALIDATION_PARAMETER"],
        "policy"
    );
}

#[test]
fn state_metadata_errors() {
    let st = state(&[]);
    let mut sim = TxSimulator::new(&st, cfg());
    let no_md = PutStateMetadata {
        key: "k".into(),
        collection: String::new(),
        metadata: None,
    };
    assert_eq!(
        err_of(sim.handle(Type::PutStateMetadata, &no_md.encode_to_vec())),
        "PUT_STATE_METADATA failed: transaction ID: tx1: panic during execution"
    );
    let mut sim = TxSimulator::new(&st, cfg().with_capabilities(false, true));
    let e = err_of(sim.handle(Type::PutStateMetadata, &put_md("", "k", "a", "b")));
    assert!(e.ends_with("key level endorsement is not enabled, channel application capability of V1_3 or later is required"), "{e}");
}

#[test]
fn private_metadata_goes_to_the_hashed_set() {
    let st = private_state();
    let mut sim = TxSimulator::new(&st, cfg());
    sim.handle(
        Type::PutStateMetadata,
        &put_md("shared", "k", "VALIDATION_PARAMETER", "p"),
    )
    .unwrap();
    let s = sim.finish();
    let tx = TxRwSet::decode(&s.results).unwrap();
    let mw = &tx.namespaces[0].collections[0].hashed.metadata_writes[0];
    assert_eq!(mw.key_hash, key_hash("k"));
    assert_eq!(mw.entries[0].value, "p");
    let pvt = s.to_block_tx(0, TX).unwrap().pvt.unwrap();
    let pm = &pvt.collection(NS, "shared").unwrap().kv.metadata_writes[0];
    assert_eq!((pm.key.as_str(), pm.entries.len()), ("k", 0));
}

// ----- history, iterators, malformed input -------------------------------------------------------

#[test]
fn history_is_newest_first_and_needs_the_history_database() {
    let mut st = MemoryState::new();
    for (block, value) in [(0u64, "v1"), (1, "v2"), (2, "")] {
        let mut sim = TxSimulator::new(&st, cfg());
        sim.handle(Type::PutState, &put("k", value)).unwrap();
        let tx = sim
            .finish()
            .to_block_tx(0, format!("t{block}"))
            .unwrap()
            .with_timestamp(Some(fabric_sdk::protos::Timestamp {
                seconds: block as i64,
                nanos: 0,
            }));
        st.apply(block, &[tx]).unwrap();
    }
    let mut sim = TxSimulator::new(&st, cfg());
    let req = GetHistoryForKey { key: "k".into() }.encode_to_vec();
    let r = qr(sim.handle(Type::GetHistoryForKey, &req).unwrap());
    let h: Vec<KeyModification> = r
        .results
        .iter()
        .map(|x| KeyModification::decode(x.result_bytes.clone()).unwrap())
        .collect();
    let got: Vec<_> = h
        .iter()
        .map(|m| (m.tx_id.as_str(), m.value.as_ref(), m.is_delete))
        .collect();
    assert_eq!(
        got,
        [
            ("t2", &b""[..], true),
            ("t1", b"v2", false),
            ("t0", b"v1", false)
        ]
    );
    assert_eq!(h[0].timestamp.unwrap().seconds, 2);
    // History is not part of the read-write set.
    assert!(sim.finish().results.is_empty());

    let st = MemoryState::new().with_history(false);
    let mut sim = TxSimulator::new(&st, cfg());
    assert_eq!(
        err_of(sim.handle(Type::GetHistoryForKey, &req)),
        "GET_HISTORY_FOR_KEY failed: transaction ID: tx1: history database is not enabled"
    );
}

#[test]
fn iterator_ids_are_deterministic_uuids() {
    let id = iterator_id("tx1", 0);
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "4");
    assert_eq!(id, iterator_id("tx1", 0));
    assert_ne!(id, iterator_id("tx1", 1));
    assert_ne!(id, iterator_id("tx2", 0));
    let st = many(3);
    let ids = |_: ()| {
        let mut sim = TxSimulator::new(&st, cfg());
        (0..3)
            .map(|_| qr(sim.handle(Type::GetStateByRange, &range("", "")).unwrap()).id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(()), ids(()));
    assert_eq!(ids(())[2], iterator_id(TX, 2));
}

#[test]
fn malformed_requests_are_errors_never_panics() {
    let st = many(3);
    let mut sim = TxSimulator::new(&st, cfg());
    for t in [
        Type::GetState,
        Type::GetStateMultiple,
        Type::GetPrivateDataHash,
        Type::GetStateMetadata,
        Type::PutState,
        Type::DelState,
        Type::PurgePrivateData,
        Type::PutStateMetadata,
        Type::WriteBatchState,
        Type::GetStateByRange,
        Type::QueryStateNext,
        Type::QueryStateClose,
        Type::GetQueryResult,
        Type::GetHistoryForKey,
    ] {
        let e = err_of(sim.handle(t, &[0xff, 0xff, 0xff]));
        assert!(
            e.starts_with(&format!(
                "{} failed: transaction ID: tx1: unmarshal failed",
                t.as_str_name()
            )),
            "{e}"
        );
    }
    assert!(err_of(sim.handle(Type::InvokeChaincode, &[])).contains("handled by the caller"));
    assert_eq!(
        err_of(sim.handle(Type::Register, &[])),
        "[tx1] Fabric side handler cannot handle message (REGISTER) while in ready state"
    );
    // Non-UTF-8 in a string field is a decode error too.
    let mut bad = get("k");
    let last = bad.len() - 1;
    bad[last] = 0xff;
    assert!(sim.handle(Type::GetState, &bad).is_err());
}

// ----- peer checks around the invocation ---------------------------------------------------------

#[test]
fn init_required_chaincodes_are_initialized_once() {
    let def = ChaincodeDefinitionInfo {
        version: "1.0".into(),
        init_required: true,
    };
    let mut st = MemoryState::new();
    st.put_state(
        "_lifecycle",
        "namespaces/fields/cc/Sequence",
        vv("\u{8}\u{1}", 3, 0),
    );
    let mut sim = TxSimulator::new(&st, cfg());
    assert_eq!(
        sim.check_invocation(&def).unwrap_err(),
        "chaincode 'cc' has not been initialized for this version, must call as init first"
    );
    let mut sim = TxSimulator::new(&st, cfg().with_init(true));
    sim.check_invocation(&def).unwrap();
    let s = sim.finish();
    let kv = ns_kv(&s, NS);
    assert_eq!(kv.writes[0].key, INITIALIZED_KEY);
    assert_eq!(kv.writes[0].value, "1.0");
    let lc = ns_kv(&s, "_lifecycle");
    assert_eq!(lc.reads[0].key, "namespaces/fields/cc/Sequence");
    assert_eq!(lc.reads[0].version, Some(Version::new(3, 0).to_proto()));
    st.apply(4, &[s.to_block_tx(0, TX).unwrap()]).unwrap();

    let mut sim = TxSimulator::new(&st, cfg().with_init(true));
    assert_eq!(
        sim.check_invocation(&def).unwrap_err(),
        "chaincode 'cc' is already initialized but called as init"
    );
    let mut sim = TxSimulator::new(&st, cfg());
    sim.check_invocation(&def).unwrap();
    let plain = ChaincodeDefinitionInfo {
        version: "1.0".into(),
        init_required: false,
    };
    let mut sim = TxSimulator::new(&st, cfg().with_init(true));
    assert_eq!(
        sim.check_invocation(&plain).unwrap_err(),
        "chaincode 'cc' does not require initialization but called as init"
    );
}

#[test]
fn lifecycle_reads_on_collection_use() {
    let mut st = private_state();
    st.put_state("_lifecycle", "namespaces/metadata/cc", vv("m", 7, 0));
    for f in [
        "Collections",
        "EndorsementInfo",
        "Sequence",
        "ValidationInfo",
    ] {
        st.put_state(
            "_lifecycle",
            &format!("namespaces/fields/cc/{f}"),
            vv("f", 7, 0),
        );
    }
    let mut sim = TxSimulator::new(&st, cfg().with_lifecycle_reads(true));
    sim.handle(Type::GetState, &get("public")).unwrap();
    assert!(ns_kv(&sim.finish(), "_lifecycle").reads.is_empty());
    let mut sim = TxSimulator::new(&st, cfg().with_lifecycle_reads(true));
    sim.handle(Type::GetState, &get_in("shared", "k")).unwrap();
    let reads = ns_kv(&sim.finish(), "_lifecycle").reads;
    let got: Vec<_> = reads.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        got,
        [
            "namespaces/fields/cc/Collections",
            "namespaces/fields/cc/EndorsementInfo",
            "namespaces/fields/cc/Sequence",
            "namespaces/fields/cc/ValidationInfo",
            "namespaces/metadata/cc"
        ]
    );
}

// ----- commit ----------------------------------------------------------------------------------

fn commit_one(st: &mut MemoryState, block: u64, f: impl FnOnce(&mut TxSimulator<&MemoryState>)) {
    let tx = {
        let mut sim = TxSimulator::new(&*st, cfg());
        f(&mut sim);
        sim.finish().to_block_tx(0, format!("b{block}")).unwrap()
    };
    st.apply(block, &[tx]).unwrap();
}

#[test]
fn commit_merges_values_and_metadata_like_fabric() {
    let mut st = MemoryState::new();
    commit_one(&mut st, 0, |s| {
        s.handle(Type::PutState, &put("k", "v1")).unwrap();
        s.handle(Type::PutStateMetadata, &put_md("", "k", "P", "p1"))
            .unwrap();
        // metadata-only write on a key that does not exist: no effect
        s.handle(Type::PutStateMetadata, &put_md("", "absent", "P", "x"))
            .unwrap();
    });
    let k = st.get_state(NS, "k").unwrap().unwrap();
    assert_eq!(
        (k.value.as_ref(), k.version),
        (&b"v1"[..], Version::new(0, 0))
    );
    assert_eq!(k.metadata["P"], "p1");
    assert!(st.get_state(NS, "absent").unwrap().is_none());
    // A value write keeps the metadata.
    commit_one(&mut st, 1, |s| {
        s.handle(Type::PutState, &put("k", "v2")).unwrap();
    });
    let k = st.get_state(NS, "k").unwrap().unwrap();
    assert_eq!(
        (k.value.as_ref(), k.metadata["P"].as_ref()),
        (&b"v2"[..], &b"p1"[..])
    );
    // A metadata-only write keeps the value and moves the version.
    commit_one(&mut st, 2, |s| {
        s.handle(Type::PutStateMetadata, &put_md("", "k", "P", "p2"))
            .unwrap();
    });
    let k = st.get_state(NS, "k").unwrap().unwrap();
    assert_eq!(k.value, "v2");
    assert_eq!(k.metadata["P"], "p2");
    assert_eq!(k.version, Version::new(2, 0));
    // A delete removes value and metadata.
    commit_one(&mut st, 3, |s| {
        s.handle(Type::DelState, &del("", "k")).unwrap();
    });
    assert!(st.get_state(NS, "k").unwrap().is_none());
    assert_eq!(st.height(), 4);
    assert!(st.apply(3, &[]).is_err());
}

#[test]
fn private_data_expires_after_block_to_live() {
    let mut st = MemoryState::new();
    st.set_block_to_live(NS, "shared", 2);
    commit_one(&mut st, 10, |s| {
        s.handle(Type::PutState, &put_in("shared", "k", "v"))
            .unwrap();
    });
    for b in 11..=12 {
        st.apply(b, &[]).unwrap();
        assert!(st.get_private_data(NS, "shared", "k").unwrap().is_some());
    }
    st.apply(13, &[]).unwrap();
    assert!(st.get_private_data(NS, "shared", "k").unwrap().is_none());
    assert!(
        st.get_private_data_hash(NS, "shared", &key_hash("k"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn private_sets_with_a_wrong_hash_are_not_committed() {
    let mut st = MemoryState::new();
    let tx = {
        let mut sim = TxSimulator::new(&st, cfg());
        sim.handle(Type::PutState, &put_in("shared", "k", "v"))
            .unwrap();
        sim.finish().to_block_tx(0, "t").unwrap()
    };
    let mut bad = tx.clone();
    if let Some(p) = bad.pvt.as_mut() {
        p.namespaces[0].collections[0].rwset = Bytes::from_static(b"tampered");
    }
    let batch = st.apply(0, &[bad]).unwrap();
    assert_eq!(batch.missing_private.len(), 1);
    // The hash is committed, the value is not.
    assert!(
        st.get_private_data_hash(NS, "shared", &key_hash("k"))
            .unwrap()
            .is_some()
    );
    assert!(st.get_private_data(NS, "shared", "k").unwrap().is_none());
    let mut sim = TxSimulator::new(&st, cfg());
    assert!(sim.handle(Type::GetState, &get_in("shared", "k")).is_err());
}

// ----- MVCC ------------------------------------------------------------------------------------

fn simulate(
    st: &MemoryState,
    txid: &str,
    f: impl FnOnce(&mut TxSimulator<&MemoryState>),
) -> TxRwSet {
    let mut sim = TxSimulator::new(
        st,
        SimulatorConfig::new(NS, txid, "Org1MSP").with_collections(colls()),
    );
    f(&mut sim);
    TxRwSet::decode(&sim.finish().results).unwrap()
}

fn codes(st: &MemoryState, rwsets: Vec<TxRwSet>) -> Vec<TxValidationCode> {
    let txs: Vec<_> = rwsets
        .into_iter()
        .enumerate()
        .map(|(i, r)| BlockTx::new(i as u64, format!("t{i}"), r))
        .collect();
    validate_block(st, st.height(), &txs).unwrap().codes
}

use TxValidationCode::{MvccReadConflict as MVCC, PhantomReadConflict as PHANTOM, Valid as VALID};

#[test]
fn mvcc_read_conflicts() {
    let mut st = state(&[("a", "1")]);
    st.apply(1, &[]).unwrap();
    let read_a = |st: &MemoryState, id: &str| {
        simulate(st, id, |s| {
            s.handle(Type::GetState, &get("a")).unwrap();
            s.handle(Type::PutState, &put("a", "2")).unwrap();
        })
    };
    let read_new = |st: &MemoryState| {
        simulate(st, "n", |s| {
            s.handle(Type::GetState, &get("new")).unwrap();
        })
    };
    let write_new = |st: &MemoryState| {
        simulate(st, "w", |s| {
            s.handle(Type::PutState, &put("new", "x")).unwrap();
        })
    };
    // Two transactions read `a` at the same version: the second loses.
    assert_eq!(
        codes(&st, vec![read_a(&st, "x"), read_a(&st, "y")]),
        [VALID, MVCC]
    );
    // A key that was absent when read and is created earlier in the block.
    assert_eq!(
        codes(&st, vec![write_new(&st), read_new(&st)]),
        [VALID, MVCC]
    );
    // Against committed state: `a` changed after the simulation.
    let stale = read_a(&st, "x");
    let v = validate_block(&st, 2, &[BlockTx::new(0, "c", read_a(&st, "c"))]).unwrap();
    st.commit(&v.batch).unwrap();
    assert_eq!(codes(&st, vec![stale]), [MVCC]);
    // Earlier invalid transactions keep their code and write nothing.
    let txs = vec![
        BlockTx::new(0, "p", write_new(&st)).with_code(TxValidationCode::EndorsementPolicyFailure),
        BlockTx::new(1, "r", read_new(&st)),
    ];
    let v = validate_block(&st, 3, &txs).unwrap();
    assert_eq!(v.codes, [TxValidationCode::EndorsementPolicyFailure, VALID]);
    assert!(
        v.batch
            .public
            .get(NS)
            .is_none_or(|m| !m.contains_key("new"))
    );
    // Transaction numbers must increase.
    let dup = vec![
        BlockTx::new(1, "a", read_new(&st)),
        BlockTx::new(1, "b", read_new(&st)),
    ];
    assert!(validate_block(&st, 3, &dup).is_err());
}

#[test]
fn phantom_reads_with_raw_reads() {
    let mut st = state(&[("b", "1"), ("c", "2"), ("e", "3")]);
    st.apply(1, &[]).unwrap();
    let scan = |st: &MemoryState| {
        simulate(st, "scan", |s| {
            s.handle(Type::GetStateByRange, &range("b", "f")).unwrap();
        })
    };
    let write = |st: &MemoryState, k: &str, v: &str| {
        let (k, v) = (k.to_string(), v.to_string());
        simulate(st, "w", move |s| {
            s.handle(Type::PutState, &put(&k, &v)).unwrap();
        })
    };
    assert_eq!(codes(&st, vec![scan(&st)]), [VALID]);
    // a key appears in the range
    assert_eq!(
        codes(&st, vec![write(&st, "d", "x"), scan(&st)]),
        [VALID, PHANTOM]
    );
    // a key disappears
    assert_eq!(
        codes(&st, vec![write(&st, "c", ""), scan(&st)]),
        [VALID, PHANTOM]
    );
    // a key changes version
    assert_eq!(
        codes(&st, vec![write(&st, "e", "y"), scan(&st)]),
        [VALID, PHANTOM]
    );
    // outside the range: fine
    assert_eq!(
        codes(
            &st,
            vec![write(&st, "f", "z"), write(&st, "a", "z"), scan(&st)]
        ),
        [VALID, VALID, VALID]
    );
    // deleting a key that does not exist changes nothing visible
    assert_eq!(
        codes(&st, vec![write(&st, "bb", ""), scan(&st)]),
        [VALID, VALID]
    );
}

#[test]
fn phantom_reads_of_a_partially_read_iterator() {
    let mut st = many(150);
    st.apply(3, &[]).unwrap();
    // The chaincode reads one batch and stops: the peer saw k0000..=k0100.
    let partial = |st: &MemoryState| {
        simulate(st, "p", |s| {
            s.handle(Type::GetStateByRange, &range("", "")).unwrap();
        })
    };
    let rqi = &partial(&st).namespaces[0].kv.range_queries_info[0];
    assert_eq!((rqi.end_key.as_str(), rqi.itr_exhausted), ("k0100", false));
    let write = |st: &MemoryState, k: &str| {
        let k = k.to_string();
        simulate(st, "w", move |s| {
            s.handle(Type::PutState, &put(&k, "x")).unwrap();
        })
    };
    // after the last key seen: not a phantom
    assert_eq!(
        codes(&st, vec![write(&st, "k0120"), partial(&st)]),
        [VALID, VALID]
    );
    // before it, or the last key itself: phantom (Merkle summary compared)
    assert_eq!(
        codes(&st, vec![write(&st, "k0050x"), partial(&st)]),
        [VALID, PHANTOM]
    );
    assert_eq!(
        codes(&st, vec![write(&st, "k0100"), partial(&st)]),
        [VALID, PHANTOM]
    );
}

#[test]
fn hashed_read_conflicts() {
    let mut st = private_state();
    st.apply(5, &[]).unwrap();
    let read = |st: &MemoryState| {
        simulate(st, "r", |s| {
            s.handle(Type::GetPrivateDataHash, &get_in("shared", "k"))
                .unwrap();
        })
    };
    let write = |st: &MemoryState| {
        simulate(st, "w", |s| {
            s.handle(Type::PutState, &put_in("shared", "k", "new"))
                .unwrap();
        })
    };
    assert_eq!(codes(&st, vec![read(&st)]), [VALID]);
    assert_eq!(codes(&st, vec![write(&st), read(&st)]), [VALID, MVCC]);
}

#[test]
fn undecodable_results_are_invalid_other_reason() {
    let st = MemoryState::new();
    let bad = BlockTx::from_results(0, "t", &[0xff, 0xff]);
    assert_eq!(bad.code, TxValidationCode::InvalidOtherReason);
    let results = {
        let mut sim = TxSimulator::new(&st, cfg());
        sim.handle(Type::PutState, &put("k", "v")).unwrap();
        sim.finish().results
    };
    let good = BlockTx::from_results(1, "u", &results);
    assert_eq!(good.code, TxValidationCode::Valid);
    let v = validate_block(&st, 0, &[bad, good]).unwrap();
    assert_eq!(v.codes, [TxValidationCode::InvalidOtherReason, VALID]);
    assert!(v.batch.public[NS].contains_key("k"));
}
