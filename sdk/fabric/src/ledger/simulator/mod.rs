//! [`TxSimulator`]: one transaction's simulation, answering the chaincode's ledger requests
//! (`GET_STATE`, `PUT_STATE`, range queries, private data, …) exactly as a Fabric v3.1 peer with a
//! LevelDB state database does, and building the read-write sets the peer would endorse.
//!
//! A simulation reads committed state only (no read-your-writes); every read records the version
//! it saw; writes, deletes (= writes of an empty value) and metadata writes are buffered into the
//! write set; private writes go to the private write set and their hashes into the public one.
//! See `docs/ledger-semantics.md` for the full list of rules and the differences from Fabric.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::collection_config::Payload as CollPayload;
use fabric_protos::protos::write_record::Type as RecordType;
use fabric_protos::protos::{
    CollectionConfigPackage, DelState, GetState, GetStateMetadata, GetStateMultiple,
    GetStateMultipleResult, PutState, PutStateMetadata, StateMetadata, StateMetadataResult,
    StaticCollectionConfig, WriteBatchState,
};
use fabric_protos::rwset::TxPvtReadWriteSet;

mod query;

use query::{QueryContext, RangeRecord};

use super::rwset::{RwSetBuilder, TxPvtRwSet, TxRwSet, key_hash};
use super::state::{Metadata, StateReader, VersionedValue, fmt_version};
use super::updates::BlockTx;
use crate::crypto::sha256_parts;
use crate::policy::collection::{IMPLICIT_COLLECTION_PREFIX, collection_member_orgs};

/// Fabric's default `ledger.state.totalQueryLimit` (sample core.yaml).
pub const DEFAULT_TOTAL_QUERY_LIMIT: u32 = 100_000;
/// Results per `QueryResponse` of a non-paginated query (Fabric's fixed `MaxResultLimit`).
pub const MAX_RESULT_LIMIT: usize = 100;
/// The namespace of Fabric's v2 chaincode lifecycle.
pub const LIFECYCLE_NAMESPACE: &str = "_lifecycle";
/// The key a Fabric peer writes when an init-required chaincode is initialized
/// (`"\x00" + U+10FFFF + "initialized"`), holding the definition's version.
pub const INITIALIZED_KEY: &str = "\u{0}\u{10FFFF}initialized";
/// The error text of a LevelDB peer for a rich query (`GET_QUERY_RESULT`), after the usual
/// `GET_QUERY_RESULT failed: transaction ID: <txid>: ` prefix.
pub const RICH_QUERY_UNSUPPORTED: &str = "ExecuteQuery not supported for leveldb";
/// The same for a paginated rich query.
pub const PAGINATED_RICH_QUERY_UNSUPPORTED: &str =
    "ExecuteQueryWithMetadata not supported for leveldb";

const NOT_IN_INIT: &str = "private data APIs are not allowed in chaincode Init()";

type HResult<T> = std::result::Result<T, String>;

/// Everything a simulation needs to know about its transaction and channel.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Channel id (appears in some of Fabric's error texts).
    pub channel_id: String,
    /// The chaincode namespace the requests act on.
    pub namespace: String,
    /// Transaction id.
    pub txid: String,
    /// MSP id of the proposal's creator (collection membership).
    pub creator_msp_id: String,
    /// The chaincode's explicit collections.
    pub collections: CollectionConfigPackage,
    /// MSP ids of the channel's application orgs: each has an implicit collection
    /// `_implicit_org_<MSPID>` (anyone may read and write it at the peer).
    pub channel_msp_ids: Vec<String>,
    /// The invocation is an `INIT` (private data APIs are refused).
    pub is_init: bool,
    /// `ledger.state.totalQueryLimit` (default 100000).
    pub total_query_limit: u32,
    /// Results per non-paginated `QueryResponse` (default 100).
    pub max_result_limit: usize,
    /// Channel application capability V1_3 (key-level endorsement: state metadata requests).
    pub key_level_endorsement: bool,
    /// Channel application capability V2_5 (`PURGE_PRIVATE_DATA`).
    pub purge_private_data: bool,
    /// Record the `_lifecycle` reads a Fabric v2+ peer makes through the simulator when it looks
    /// up the chaincode definition for a collection (`namespaces/metadata/<cc>` and
    /// `namespaces/fields/<cc>/{Collections,EndorsementInfo,Sequence,ValidationInfo}`), so that
    /// the read-write set is byte-identical to a real peer's. Default off.
    pub lifecycle_reads: bool,
}

impl SimulatorConfig {
    /// A configuration with Fabric's defaults: no collections, not an INIT, query limit
    /// 100000, batches of 100, capabilities V2_5, no lifecycle reads.
    pub fn new(
        namespace: impl Into<String>,
        txid: impl Into<String>,
        creator_msp_id: impl Into<String>,
    ) -> Self {
        SimulatorConfig {
            channel_id: String::new(),
            namespace: namespace.into(),
            txid: txid.into(),
            creator_msp_id: creator_msp_id.into(),
            collections: CollectionConfigPackage::default(),
            channel_msp_ids: Vec::new(),
            is_init: false,
            total_query_limit: DEFAULT_TOTAL_QUERY_LIMIT,
            max_result_limit: MAX_RESULT_LIMIT,
            key_level_endorsement: true,
            purge_private_data: true,
            lifecycle_reads: false,
        }
    }

    /// Sets the channel id.
    pub fn with_channel(mut self, channel_id: impl Into<String>) -> Self {
        self.channel_id = channel_id.into();
        self
    }

    /// Sets the chaincode's collections.
    pub fn with_collections(mut self, collections: CollectionConfigPackage) -> Self {
        self.collections = collections;
        self
    }

    /// Sets the channel's application orgs (implicit collections).
    pub fn with_channel_orgs<I, S>(mut self, msp_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.channel_msp_ids = msp_ids.into_iter().map(Into::into).collect();
        self
    }

    /// Marks the invocation as an `INIT`.
    pub fn with_init(mut self, is_init: bool) -> Self {
        self.is_init = is_init;
        self
    }

    /// Sets the total query limit and the batch size (a batch size of 0 is taken as 1).
    pub fn with_limits(mut self, total_query_limit: u32, max_result_limit: usize) -> Self {
        self.total_query_limit = total_query_limit;
        self.max_result_limit = max_result_limit.max(1);
        self
    }

    /// Turns the `_lifecycle` definition reads on or off.
    pub fn with_lifecycle_reads(mut self, on: bool) -> Self {
        self.lifecycle_reads = on;
        self
    }

    /// Sets the channel capabilities: key-level endorsement (V1_3) and purge (V2_5).
    pub fn with_capabilities(mut self, key_level_endorsement: bool, purge: bool) -> Self {
        self.key_level_endorsement = key_level_endorsement;
        self.purge_private_data = purge;
        self
    }
}

/// What the peer knows about the chaincode definition when it invokes the chaincode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaincodeDefinitionInfo {
    /// The definition's version (what the `initialized` key holds).
    pub version: String,
    /// The definition requires `INIT` before any other invocation.
    pub init_required: bool,
}

/// A key of the write set: `collection` is empty for public state.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyRef {
    /// Namespace.
    pub namespace: String,
    /// Collection, empty for public state.
    pub collection: String,
    /// Key.
    pub key: String,
}

/// The result of a simulation: what the endorser signs, what it keeps aside, and what the
/// endorser and validator need to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// The serialized `rwset.TxReadWriteSet` (goes into `ChaincodeAction.results`).
    pub results: Bytes,
    /// The private write set (never in the transaction; disseminated to collection members).
    pub private: Option<TxPvtReadWriteSet>,
    /// No write of any kind (public, private, metadata, purge) was made.
    pub read_only: bool,
    /// `(namespace, collection)` pairs with private writes, purges or private metadata writes.
    pub private_writes: BTreeSet<(String, String)>,
    /// `(namespace, collection)` pairs whose private values were read (not just their hashes).
    pub private_reads: BTreeSet<(String, String)>,
    /// Every `(namespace, collection)` with a hashed read-write set.
    pub collections: BTreeSet<(String, String)>,
    /// Namespaces with public writes or public metadata writes.
    pub public_write_namespaces: BTreeSet<String>,
    /// Keys whose metadata (e.g. a key-level endorsement policy) the transaction writes.
    pub metadata_writes: BTreeSet<KeyRef>,
    /// The committed metadata, at simulation time, of every written key that has any: the
    /// key-level endorsement policies (`VALIDATION_PARAMETER`) that apply to this transaction.
    pub written_key_metadata: BTreeMap<KeyRef, Metadata>,
}

impl Simulation {
    /// Whether the transaction writes private data (values, deletes, purges or metadata).
    pub fn has_private_writes(&self) -> bool {
        !self.private_writes.is_empty()
    }

    /// The serialized private write set.
    pub fn private_bytes(&self) -> Option<Bytes> {
        self.private.as_ref().map(|p| p.encode_to_vec().into())
    }

    /// The transaction as a block would carry it, for [`MemoryState::apply`](super::MemoryState::apply)
    /// or [`validate_block`](super::validate_block).
    pub fn to_block_tx(&self, tx_num: u64, txid: impl Into<String>) -> crate::Result<BlockTx> {
        let pvt = self
            .private
            .as_ref()
            .map(TxPvtRwSet::from_proto)
            .transpose()?;
        Ok(BlockTx::new(tx_num, txid, TxRwSet::decode(&self.results)?).with_private(pvt))
    }
}

/// Source of iterator ids.
type IdSource = Box<dyn FnMut() -> String + Send>;

/// The simulation of one transaction. Feed it the chaincode's requests with
/// [`handle`](TxSimulator::handle), then call [`finish`](TxSimulator::finish).
///
/// `INVOKE_CHAINCODE` is not a ledger request: the caller (the peer's chaincode support)
/// intercepts it, runs the callee on the same simulator after
/// [`switch_namespace`](TxSimulator::switch_namespace), and answers it itself; `handle` refuses it.
pub struct TxSimulator<R: StateReader> {
    reader: R,
    cfg: SimulatorConfig,
    rw: RwSetBuilder,
    write_performed: bool,
    pvtdata_queries_performed: bool,
    paginated_queries_performed: bool,
    queries: BTreeMap<String, QueryContext>,
    ranges: Vec<RangeRecord>,
    iterator_count: u64,
    id_source: Option<IdSource>,
    acl_cache: BTreeMap<(String, String), (bool, bool)>,
    definitions_read: BTreeSet<String>,
    private_reads: BTreeSet<(String, String)>,
    private_writes: BTreeSet<(String, String)>,
    public_write_namespaces: BTreeSet<String>,
    metadata_writes: BTreeSet<KeyRef>,
    written_key_metadata: BTreeMap<KeyRef, Metadata>,
}

impl<R: StateReader> std::fmt::Debug for TxSimulator<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxSimulator")
            .field("cfg", &self.cfg)
            .field("write_performed", &self.write_performed)
            .field("open_queries", &self.queries.len())
            .finish_non_exhaustive()
    }
}

/// A deterministic iterator id shaped like a UUID (v4 layout), from the txid and a counter.
pub fn iterator_id(txid: &str, n: u64) -> String {
    let h = sha256_parts(&[txid.as_bytes(), &n.to_be_bytes()]);
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

fn unmarshal<M: Message + Default>(payload: Bytes) -> HResult<M> {
    M::decode(payload).map_err(|e| format!("unmarshal failed: {e}"))
}

fn state_err(e: crate::Error) -> String {
    e.to_string()
}

fn encode(m: &impl Message) -> Bytes {
    m.encode_to_vec().into()
}

impl<R: StateReader> TxSimulator<R> {
    /// A simulation of transaction `cfg.txid` reading committed state from `reader`.
    pub fn new(reader: R, cfg: SimulatorConfig) -> Self {
        TxSimulator {
            reader,
            cfg,
            rw: RwSetBuilder::default(),
            write_performed: false,
            pvtdata_queries_performed: false,
            paginated_queries_performed: false,
            queries: BTreeMap::new(),
            ranges: Vec::new(),
            iterator_count: 0,
            id_source: None,
            acl_cache: BTreeMap::new(),
            definitions_read: BTreeSet::new(),
            private_reads: BTreeSet::new(),
            private_writes: BTreeSet::new(),
            public_write_namespaces: BTreeSet::new(),
            metadata_writes: BTreeSet::new(),
            written_key_metadata: BTreeMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SimulatorConfig {
        &self.cfg
    }

    /// Replaces the iterator id generator (default: [`iterator_id`] of the txid and a counter).
    /// Every `GET_STATE_BY_RANGE`, `GET_QUERY_RESULT` and `GET_HISTORY_FOR_KEY` takes one id,
    /// as Fabric does, even when it then fails.
    pub fn set_iterator_ids(&mut self, ids: impl FnMut() -> String + Send + 'static) {
        self.id_source = Some(Box::new(ids));
    }

    /// Switches the namespace and collections the requests act on (chaincode-to-chaincode
    /// calls on the same channel share the simulator); returns the previous ones.
    pub fn switch_namespace(
        &mut self,
        namespace: impl Into<String>,
        collections: CollectionConfigPackage,
    ) -> (String, CollectionConfigPackage) {
        self.acl_cache.clear();
        let ns = std::mem::replace(&mut self.cfg.namespace, namespace.into());
        let colls = std::mem::replace(&mut self.cfg.collections, collections);
        (ns, colls)
    }

    /// No write of any kind has been made so far.
    pub fn is_read_only(&self) -> bool {
        !self.write_performed
    }

    fn next_iterator_id(&mut self) -> String {
        let n = self.iterator_count;
        self.iterator_count += 1;
        match &mut self.id_source {
            Some(f) => f(),
            None => iterator_id(&self.cfg.txid, n),
        }
    }

    /// Reads a key of any namespace through the simulation, recording the read (what a peer does
    /// when it consults `_lifecycle` during an invocation).
    pub fn read_state(&mut self, namespace: &str, key: &str) -> HResult<Option<VersionedValue>> {
        let v = self.reader.get_state(namespace, key).map_err(state_err)?;
        self.rw
            .add_read(namespace, key, v.as_ref().map(|v| v.version));
        Ok(v)
    }

    /// What a Fabric peer does before it sends `INIT`/`TRANSACTION` (`CheckInvocation`): reads
    /// `_lifecycle` `namespaces/fields/<cc>/Sequence`; for an init-required definition reads the
    /// [`INITIALIZED_KEY`]; refuses an `INIT` that is not needed and a `TRANSACTION` before
    /// `INIT`; for an `INIT` writes the definition's version to the `initialized` key.
    /// Errors are Fabric's texts.
    pub fn check_invocation(&mut self, definition: &ChaincodeDefinitionInfo) -> HResult<()> {
        let ns = self.cfg.namespace.clone();
        self.read_state(
            LIFECYCLE_NAMESPACE,
            &format!("namespaces/fields/{ns}/Sequence"),
        )?;
        let mut needs_init = false;
        if definition.init_required {
            let v = self.read_state(&ns, INITIALIZED_KEY)?;
            needs_init = v.map(|v| v.value).unwrap_or_default() != definition.version.as_bytes();
        }
        if self.cfg.is_init {
            if !definition.init_required {
                return Err(format!(
                    "chaincode '{ns}' does not require initialization but called as init"
                ));
            }
            if !needs_init {
                return Err(format!(
                    "chaincode '{ns}' is already initialized but called as init"
                ));
            }
            return self.set_state(
                &ns,
                INITIALIZED_KEY,
                Bytes::copy_from_slice(definition.version.as_bytes()),
            );
        }
        if needs_init {
            return Err(format!(
                "chaincode '{ns}' has not been initialized for this version, must call as init first"
            ));
        }
        Ok(())
    }

    /// Processes one chaincode→peer request and returns the payload of the peer's `RESPONSE`,
    /// or the text of its `ERROR` (`"<TYPE> failed: transaction ID: <txid>: <reason>"`).
    ///
    /// Message types that are not ledger requests (and `INVOKE_CHAINCODE`, which the caller must
    /// intercept) return an error; for types other than `INVOKE_CHAINCODE` a Fabric peer would
    /// not answer but close the stream.
    pub fn handle(&mut self, msg_type: Type, payload: &[u8]) -> HResult<Bytes> {
        self.handle_bytes(msg_type, Bytes::copy_from_slice(payload))
    }

    /// [`handle`](TxSimulator::handle) without copying the payload: values and keys of the
    /// decoded request share `payload`'s buffer.
    pub fn handle_bytes(&mut self, msg_type: Type, payload: Bytes) -> HResult<Bytes> {
        let result = match msg_type {
            Type::GetState => self.on_get_state(payload),
            Type::GetStateMultiple => self.on_get_state_multiple(payload),
            Type::GetPrivateDataHash => self.on_get_private_data_hash(payload),
            Type::GetStateMetadata => self.on_get_state_metadata(payload),
            Type::PutState => unmarshal(payload).and_then(|m| self.put_state(m)),
            Type::DelState => unmarshal(payload).and_then(|m| self.del_state(m)),
            Type::PurgePrivateData => unmarshal(payload).and_then(|m| self.purge(m)),
            Type::PutStateMetadata => self.on_put_state_metadata(payload),
            Type::WriteBatchState => self.on_write_batch(payload),
            Type::GetStateByRange => self.on_get_state_by_range(payload),
            Type::QueryStateNext => self.on_query_state_next(payload),
            Type::QueryStateClose => self.on_query_state_close(payload),
            Type::GetQueryResult => self.on_get_query_result(payload),
            Type::GetHistoryForKey => self.on_get_history_for_key(payload),
            Type::InvokeChaincode => Err(
                "chaincode-to-chaincode invocation is handled by the caller, not the ledger simulator"
                    .to_string(),
            ),
            other => {
                return Err(format!(
                    "[{}] Fabric side handler cannot handle message ({}) while in ready state",
                    self.cfg.txid,
                    other.as_str_name()
                ));
            }
        };
        result.map_err(|e| self.failed(msg_type, &e))
    }

    fn failed(&self, msg_type: Type, reason: &str) -> String {
        format!(
            "{} failed: transaction ID: {}: {}",
            msg_type.as_str_name(),
            self.cfg.txid,
            reason
        )
    }

    // ----- collections ---------------------------------------------------------------------

    fn collection_config(&self, coll: &str) -> Option<StaticCollectionConfig> {
        if let Some(msp) = coll.strip_prefix(IMPLICIT_COLLECTION_PREFIX) {
            // Fabric generates the implicit collection of any org on request.
            return Some(StaticCollectionConfig {
                name: coll.to_string(),
                member_orgs_policy: Some(implicit_policy(msp)),
                ..Default::default()
            });
        }
        self.cfg
            .collections
            .config
            .iter()
            .find_map(|c| match &c.payload {
                Some(CollPayload::StaticCollectionConfig(s)) if s.name == coll => Some(s.clone()),
                _ => None,
            })
    }

    /// The `_lifecycle` reads of a chaincode definition lookup (once per namespace).
    fn read_definition(&mut self, ns: &str) -> HResult<()> {
        if !self.cfg.lifecycle_reads || !self.definitions_read.insert(ns.to_string()) {
            return Ok(());
        }
        let defined = self.read_state(LIFECYCLE_NAMESPACE, &format!("namespaces/metadata/{ns}"))?;
        if defined.is_some() {
            for field in [
                "Collections",
                "EndorsementInfo",
                "Sequence",
                "ValidationInfo",
            ] {
                self.read_state(
                    LIFECYCLE_NAMESPACE,
                    &format!("namespaces/fields/{ns}/{field}"),
                )?;
            }
        }
        Ok(())
    }

    /// Fabric's `validateCollName`: the collection must be one of the chaincode's explicit
    /// collections or the implicit collection of a channel org. The empty name passes too: Fabric
    /// marks its per-namespace cache as filled with an entry for `""` (only
    /// `GET_PRIVATE_DATA_HASH` can get here with an empty collection).
    fn validate_collection(&mut self, ns: &str, coll: &str) -> HResult<()> {
        self.read_definition(ns)?;
        let known = match coll.strip_prefix(IMPLICIT_COLLECTION_PREFIX) {
            Some(msp) => self.cfg.channel_msp_ids.iter().any(|m| m == msp),
            None => {
                coll.is_empty()
                    || self.cfg.collections.config.iter().any(|c| {
                        matches!(&c.payload, Some(CollPayload::StaticCollectionConfig(s)) if s.name == coll)
                    })
            }
        };
        if known {
            Ok(())
        } else {
            Err(format!(
                "collection [{coll}] not defined in the collection config for chaincode [{ns}]"
            ))
        }
    }

    /// Fabric's collection read/write permission of the creator (cached per collection).
    fn permission(&mut self, ns: &str, coll: &str) -> HResult<(bool, bool)> {
        let slot = (ns.to_string(), coll.to_string());
        if let Some(p) = self.acl_cache.get(&slot) {
            return Ok(*p);
        }
        self.read_definition(ns)?;
        let Some(c) = self.collection_config(coll) else {
            return Err(format!(
                "collection {}/{ns}/{coll} could not be found",
                self.cfg.channel_id
            ));
        };
        // Everyone may read and write when neither flag is set; members always may.
        let anyone = !c.member_only_read && !c.member_only_write;
        let p = if anyone || collection_member_orgs(&c).contains(&self.cfg.creator_msp_id) {
            (true, true)
        } else {
            (!c.member_only_read, !c.member_only_write)
        };
        self.acl_cache.insert(slot, p);
        Ok(p)
    }

    fn check_read(&mut self, ns: &str, coll: &str) -> HResult<()> {
        if self.cfg.is_init {
            return Err(NOT_IN_INIT.into());
        }
        if !self.permission(ns, coll)?.0 {
            return Err(format!(
                "tx creator does not have read access permission on privatedata in chaincodeName:{ns} collectionName: {coll}"
            ));
        }
        Ok(())
    }

    fn check_write(&mut self, ns: &str, coll: &str) -> HResult<()> {
        if self.cfg.is_init {
            return Err(NOT_IN_INIT.into());
        }
        if !self.permission(ns, coll)?.1 {
            return Err(format!(
                "tx creator does not have write access permission on privatedata in chaincodeName:{ns} collectionName: {coll}"
            ));
        }
        Ok(())
    }

    // ----- read/write preconditions (Fabric's txSimulator) -----------------------------------

    fn check_write_precondition(&mut self) -> HResult<()> {
        if self.pvtdata_queries_performed {
            return Err(format!(
                "txid [{}]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed",
                self.cfg.txid
            ));
        }
        if self.paginated_queries_performed {
            return Err(format!(
                "txid [{}]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed",
                self.cfg.txid
            ));
        }
        self.write_performed = true;
        Ok(())
    }

    fn check_before_pvtdata_query(&mut self) -> HResult<()> {
        if self.write_performed {
            return Err(format!(
                "txid [{}]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction",
                self.cfg.txid
            ));
        }
        self.pvtdata_queries_performed = true;
        Ok(())
    }

    fn check_before_paginated_query(&mut self) -> HResult<()> {
        if self.write_performed {
            return Err(format!(
                "txid [{}]: unsuppored transaction. Paginated queries are supported only in a read-only transaction",
                self.cfg.txid
            ));
        }
        self.paginated_queries_performed = true;
        Ok(())
    }

    // ----- reads -------------------------------------------------------------------------------

    fn get_state(&mut self, ns: &str, key: &str) -> HResult<Option<VersionedValue>> {
        self.read_state(ns, key)
    }

    fn get_private_data(&mut self, ns: &str, coll: &str, key: &str) -> HResult<Bytes> {
        self.validate_collection(ns, coll)?;
        let pv = self
            .reader
            .get_private_data(ns, coll, key)
            .map_err(state_err)?;
        let pv_version = pv.as_ref().map(|p| p.version);
        let hash_version = self
            .reader
            .get_private_data_hash(ns, coll, &key_hash(key))
            .map_err(state_err)?
            .map(|h| h.version);
        if hash_version != pv_version {
            return Err(format!(
                "private data matching public hash version is not available. Public hash version = {}, Private data version = {}",
                fmt_version(hash_version),
                fmt_version(pv_version)
            ));
        }
        self.rw.add_hashed_read(ns, coll, key, pv_version);
        self.private_reads
            .insert((ns.to_string(), coll.to_string()));
        Ok(pv.map(|p| p.value).unwrap_or_default())
    }

    fn on_get_state(&mut self, payload: Bytes) -> HResult<Bytes> {
        let m: GetState = unmarshal(payload)?;
        let ns = self.cfg.namespace.clone();
        if !m.collection.is_empty() {
            self.check_read(&ns, &m.collection)?;
            return self.get_private_data(&ns, &m.collection, &m.key);
        }
        Ok(self
            .get_state(&ns, &m.key)?
            .map(|v| v.value)
            .unwrap_or_default())
    }

    fn on_get_state_multiple(&mut self, payload: Bytes) -> HResult<Bytes> {
        let m: GetStateMultiple = unmarshal(payload)?;
        let ns = self.cfg.namespace.clone();
        let mut values = Vec::with_capacity(m.keys.len());
        if !m.collection.is_empty() {
            let coll = m.collection;
            self.check_read(&ns, &coll)?;
            self.validate_collection(&ns, &coll)?;
            for key in &m.keys {
                let pv = self
                    .reader
                    .get_private_data(&ns, &coll, key)
                    .map_err(state_err)?;
                self.rw
                    .add_hashed_read(&ns, &coll, key, pv.as_ref().map(|p| p.version));
                self.private_reads.insert((ns.clone(), coll.clone()));
                values.push(pv.map(|p| p.value).unwrap_or_default());
            }
        } else {
            for key in &m.keys {
                values.push(
                    self.get_state(&ns, key)?
                        .map(|v| v.value)
                        .unwrap_or_default(),
                );
            }
        }
        Ok(encode(&GetStateMultipleResult { values }))
    }

    fn on_get_private_data_hash(&mut self, payload: Bytes) -> HResult<Bytes> {
        let m: GetState = unmarshal(payload)?;
        if self.cfg.is_init {
            return Err(NOT_IN_INIT.into());
        }
        let ns = self.cfg.namespace.clone();
        self.validate_collection(&ns, &m.collection)?;
        let h = self
            .reader
            .get_private_data_hash(&ns, &m.collection, &key_hash(&m.key))
            .map_err(state_err)?;
        self.rw
            .add_hashed_read(&ns, &m.collection, &m.key, h.as_ref().map(|h| h.version));
        Ok(h.map(|h| h.value_hash).unwrap_or_default())
    }

    fn check_metadata_cap(&self) -> HResult<()> {
        if !self.cfg.key_level_endorsement {
            return Err("key level endorsement is not enabled, channel application capability of V1_3 or later is required".into());
        }
        Ok(())
    }

    fn on_get_state_metadata(&mut self, payload: Bytes) -> HResult<Bytes> {
        self.check_metadata_cap()?;
        let m: GetStateMetadata = unmarshal(payload)?;
        let ns = self.cfg.namespace.clone();
        let metadata = if !m.collection.is_empty() {
            self.check_read(&ns, &m.collection)?;
            self.validate_collection(&ns, &m.collection)?;
            let h = self
                .reader
                .get_private_data_hash(&ns, &m.collection, &key_hash(&m.key))
                .map_err(state_err)?;
            self.rw
                .add_hashed_read(&ns, &m.collection, &m.key, h.as_ref().map(|h| h.version));
            h.map(|h| h.metadata).unwrap_or_default()
        } else {
            self.get_state(&ns, &m.key)?
                .map(|v| v.metadata)
                .unwrap_or_default()
        };
        let entries = metadata
            .into_iter()
            .map(|(metakey, value)| StateMetadata { metakey, value })
            .collect();
        Ok(encode(&StateMetadataResult { entries }))
    }

    // ----- writes ------------------------------------------------------------------------------

    fn note_key_metadata(&mut self, ns: &str, coll: &str, key: &str) -> HResult<()> {
        let metadata = if coll.is_empty() {
            self.reader
                .get_state(ns, key)
                .map_err(state_err)?
                .map(|v| v.metadata)
        } else {
            self.reader
                .get_private_data_hash(ns, coll, &key_hash(key))
                .map_err(state_err)?
                .map(|h| h.metadata)
        };
        if let Some(m) = metadata.filter(|m| !m.is_empty()) {
            self.written_key_metadata.insert(
                KeyRef {
                    namespace: ns.to_string(),
                    collection: coll.to_string(),
                    key: key.to_string(),
                },
                m,
            );
        }
        Ok(())
    }

    fn set_state(&mut self, ns: &str, key: &str, value: Bytes) -> HResult<()> {
        self.check_write_precondition()?;
        self.rw.add_write(ns, key, value);
        self.public_write_namespaces.insert(ns.to_string());
        self.note_key_metadata(ns, "", key)
    }

    fn set_private_data(&mut self, ns: &str, coll: &str, key: &str, value: Bytes) -> HResult<()> {
        self.validate_collection(ns, coll)?;
        self.check_write_precondition()?;
        self.rw.add_private_write(ns, coll, key, value);
        self.private_writes
            .insert((ns.to_string(), coll.to_string()));
        self.note_key_metadata(ns, coll, key)
    }

    fn put_state(&mut self, m: PutState) -> HResult<Bytes> {
        let ns = self.cfg.namespace.clone();
        if !m.collection.is_empty() {
            self.check_write(&ns, &m.collection)?;
            self.set_private_data(&ns, &m.collection, &m.key, m.value)?;
        } else {
            self.set_state(&ns, &m.key, m.value)?;
        }
        Ok(Bytes::new())
    }

    fn del_state(&mut self, m: DelState) -> HResult<Bytes> {
        self.put_state(PutState {
            key: m.key,
            value: Bytes::new(),
            collection: m.collection,
        })
    }

    fn purge(&mut self, m: DelState) -> HResult<Bytes> {
        if !self.cfg.purge_private_data {
            return Err("purge private data is not enabled, channel application capability of V2_5 or later is required".into());
        }
        if m.collection.is_empty() {
            return Err("only applicable for private data".into());
        }
        if self.cfg.is_init {
            return Err(NOT_IN_INIT.into());
        }
        let ns = self.cfg.namespace.clone();
        self.check_write(&ns, &m.collection)?;
        self.validate_collection(&ns, &m.collection)?;
        self.check_write_precondition()?;
        self.rw.add_private_purge(&ns, &m.collection, &m.key);
        self.private_writes
            .insert((ns.clone(), m.collection.clone()));
        self.note_key_metadata(&ns, &m.collection, &m.key)?;
        Ok(Bytes::new())
    }

    fn put_state_metadata(&mut self, key: &str, coll: &str, md: StateMetadata) -> HResult<Bytes> {
        self.check_metadata_cap()?;
        let mut metadata = Metadata::new();
        metadata.insert(md.metakey, md.value);
        let ns = self.cfg.namespace.clone();
        let key_ref = KeyRef {
            namespace: ns.clone(),
            collection: coll.to_string(),
            key: key.to_string(),
        };
        if !coll.is_empty() {
            self.check_write(&ns, coll)?;
            self.validate_collection(&ns, coll)?;
            self.check_write_precondition()?;
            self.rw
                .add_private_metadata_write(&ns, coll, key, &metadata);
            self.private_writes.insert((ns.clone(), coll.to_string()));
        } else {
            self.check_write_precondition()?;
            self.rw.add_metadata_write(&ns, key, metadata);
            self.public_write_namespaces.insert(ns.clone());
        }
        self.metadata_writes.insert(key_ref);
        self.note_key_metadata(&ns, coll, key)?;
        Ok(Bytes::new())
    }

    fn on_put_state_metadata(&mut self, payload: Bytes) -> HResult<Bytes> {
        let m: PutStateMetadata = unmarshal(payload)?;
        match m.metadata {
            Some(md) => self.put_state_metadata(&m.key, &m.collection, md),
            // A Fabric peer dereferences the missing message and recovers from the panic.
            None => Err("panic during execution".into()),
        }
    }

    fn on_write_batch(&mut self, payload: Bytes) -> HResult<Bytes> {
        let batch: WriteBatchState = unmarshal(payload)?;
        for rec in batch.rec {
            match RecordType::try_from(rec.r#type) {
                Ok(RecordType::PutState) => {
                    self.put_state(PutState {
                        key: rec.key,
                        value: rec.value,
                        collection: rec.collection,
                    })?;
                }
                Ok(RecordType::DelState) => {
                    self.del_state(DelState {
                        key: rec.key,
                        collection: rec.collection,
                    })?;
                }
                Ok(RecordType::PurgePrivateData) => {
                    self.purge(DelState {
                        key: rec.key,
                        collection: rec.collection,
                    })?;
                }
                Ok(RecordType::PutStateMetadata) => {
                    let md = rec.metadata.unwrap_or_default();
                    self.put_state_metadata(&rec.key, &rec.collection, md)?;
                }
                Ok(RecordType::Undefined) | Err(_) => {
                    return Err("unknown operation type".into());
                }
            }
        }
        Ok(Bytes::new())
    }

    // ----- the end -----------------------------------------------------------------------------

    /// Ends the simulation (closing every iterator) and builds the read-write sets.
    pub fn finish(mut self) -> Simulation {
        for (ns, rqi) in self.range_query_infos() {
            self.rw.add_range_query(&ns, rqi);
        }
        let collections = self.rw.collection_names();
        let built = self.rw.build();
        Simulation {
            results: built.public,
            private: built.private,
            read_only: !self.write_performed,
            private_writes: self.private_writes,
            private_reads: self.private_reads,
            collections,
            public_write_namespaces: self.public_write_namespaces,
            metadata_writes: self.metadata_writes,
            written_key_metadata: self.written_key_metadata,
        }
    }
}

fn implicit_policy(msp_id: &str) -> fabric_protos::protos::CollectionPolicyConfig {
    use fabric_protos::common::msp_principal::Classification;
    use fabric_protos::common::msp_role::MspRoleType;
    use fabric_protos::common::signature_policy::Type as SpType;
    use fabric_protos::common::{MspPrincipal, MspRole, SignaturePolicy, SignaturePolicyEnvelope};
    use fabric_protos::protos::collection_policy_config::Payload;
    let role = MspRole {
        msp_identifier: msp_id.to_string(),
        role: MspRoleType::Member as i32,
    };
    let envelope = SignaturePolicyEnvelope {
        version: 0,
        rule: Some(SignaturePolicy {
            r#type: Some(SpType::SignedBy(0)),
        }),
        identities: vec![MspPrincipal {
            principal_classification: Classification::Role as i32,
            principal: role.encode_to_vec().into(),
        }],
    };
    fabric_protos::protos::CollectionPolicyConfig {
        payload: Some(Payload::SignaturePolicy(envelope)),
    }
}
