//! The devnet's ledger: blocks, transaction index, world state, private data, history and
//! block-to-live bookkeeping in **one redb database file** (`<data dir>/ledger.redb`).
//!
//! | table | key | value |
//! |---|---|---|
//! | `blocks` | block number | the block's bytes exactly as committed (TRANSACTIONS_FILTER filled) |
//! | `tx_index` | txid | block, index in block, validation code (first occurrence wins) |
//! | `chain_info` | `"tip"` | height, current block hash, previous hash |
//! | `state` | `ns ‖ 0 ‖ key` | value, metadata, version |
//! | `private_data` | `ns ‖ 0 ‖ coll ‖ 0 ‖ key` | value, version (collections this peer holds) |
//! | `private_hashes` | `ns ‖ 0 ‖ coll ‖ 0 ‖ SHA-256(key)` | SHA-256(value), metadata, version |
//! | `history` | `ns ‖ 0 ‖ len(key) ‖ key ‖ block ‖ tx` | txid, is_delete, timestamp, value |
//! | `block_private_data` | `block ‖ tx ‖ ns ‖ 0 ‖ coll` | the collection's private rwset (for DeliverWithPrivateData) |
//! | `expiry` | `expiry block ‖ kind ‖ target key` | version written (block-to-live purge) |
//!
//! [`Store::commit`] writes a block, its index entries, every state update and the new chain
//! tip in **one write transaction** (fsync'd on commit): after a crash the file holds either
//! the whole block or none of it. Reads run in read transactions ([`Snapshot`]), which see one
//! consistent committed state while commits go on.
//!
//! Every method blocks on disk I/O: async callers run them with `spawn_blocking`.

mod codec;
mod types;

pub use types::{
    BlockUpdates, ChainInfo, CollectionPvtRwset, HashedValue, HashedWrite, HistoryEntry, Metadata,
    PrivatePurge, PrivateValue, PrivateWrite, PublicWrite, TxLocation, TxUpdates, Version,
    VersionedValue, WriteOp,
};

use crate::error::{Error, Result};
use bytes::Bytes;
use codec::{
    EXPIRE_BLOCK_PVT, EXPIRE_HASH, EXPIRE_PRIVATE, StoredChain, StoredExpiry, StoredHistory,
    StoredTx, StoredValue,
};
use fabric_protos::common::{Block, BlockMetadata, BlockMetadataIndex};
use fabric_protos::protos::TxValidationCode;
use fabric_protos::rwset::{
    CollectionPvtReadWriteSet, NsPvtReadWriteSet, TxPvtReadWriteSet, tx_read_write_set,
};
use fabric_sdk::crypto::sha256;
use fabric_sdk::tx::block::{block_header_hash, verify_block_hashes};
use prost::Message;
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, TableHandle,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const TX_INDEX: TableDefinition<&str, &[u8]> = TableDefinition::new("tx_index");
const CHAIN_INFO: TableDefinition<&str, &[u8]> = TableDefinition::new("chain_info");
const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const PRIVATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("private_data");
const HASHES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("private_hashes");
const HISTORY: TableDefinition<&[u8], &[u8]> = TableDefinition::new("history");
const BLOCK_PVT: TableDefinition<&[u8], &[u8]> = TableDefinition::new("block_private_data");
const EXPIRY: TableDefinition<&[u8], &[u8]> = TableDefinition::new("expiry");

const TIP: &str = "tip";

/// The database file name inside the data directory.
pub const LEDGER_FILE: &str = "ledger.redb";

/// Number of metadata entries of a block (SIGNATURES … COMMIT_HASH).
const METADATA_ENTRIES: usize = 5;

/// Attaches what the store was doing to a redb error.
trait StoreCtx<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<redb::Error>> StoreCtx<T> for std::result::Result<T, E> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::store(context())(e.into()))
    }
}

/// The ledger of one channel on disk. Cheap to clone (shared handle).
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// A block as committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedBlock {
    /// Block number.
    pub number: u64,
    /// The stored bytes of the block (with TRANSACTIONS_FILTER).
    pub bytes: Bytes,
    /// The block's header hash (the next block's `previous_hash`).
    pub header_hash: [u8; 32],
    /// Each transaction's id (may be empty) and validation code, in block order.
    pub transactions: Vec<(String, TxValidationCode)>,
}

impl Store {
    /// Opens the ledger in `data_dir` (created if missing), creating the database file and its
    /// tables on first use. An existing ledger continues at its stored height.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self> {
        let dir = data_dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(LEDGER_FILE);
        let db = Database::create(&path).ctx(|| format!("open {}", path.display()))?;
        let txn = db.begin_write().ctx(|| "create tables".into())?;
        {
            let c = || "create tables".to_owned();
            txn.open_table(BLOCKS).ctx(c)?;
            txn.open_table(TX_INDEX).ctx(c)?;
            txn.open_table(CHAIN_INFO).ctx(c)?;
            txn.open_table(STATE).ctx(c)?;
            txn.open_table(PRIVATE).ctx(c)?;
            txn.open_table(HASHES).ctx(c)?;
            txn.open_table(HISTORY).ctx(c)?;
            txn.open_table(BLOCK_PVT).ctx(c)?;
            txn.open_table(EXPIRY).ctx(c)?;
        }
        txn.commit().ctx(|| "create tables".into())?;
        let store = Store {
            db: Arc::new(db),
            path,
        };
        tracing::debug!(path = %store.path.display(), height = store.height()?, "ledger store opened");
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A consistent read-only view of the committed ledger.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let txn = self.db.begin_read().ctx(|| "begin read".into())?;
        Ok(Snapshot {
            txn,
            state: OnceLock::new(),
        })
    }

    /// The chain tip.
    pub fn chain_info(&self) -> Result<ChainInfo> {
        self.snapshot()?.chain_info()
    }

    /// Number of committed blocks.
    pub fn height(&self) -> Result<u64> {
        Ok(self.chain_info()?.height)
    }

    /// The stored bytes of block `number`.
    pub fn block_bytes(&self, number: u64) -> Result<Option<Bytes>> {
        self.snapshot()?.block_bytes(number)
    }

    /// Block `number`, decoded.
    pub fn block(&self, number: u64) -> Result<Option<Block>> {
        self.snapshot()?.block(number)
    }

    /// Where `tx_id` was committed (its first occurrence).
    pub fn transaction(&self, tx_id: &str) -> Result<Option<TxLocation>> {
        self.snapshot()?.transaction(tx_id)
    }

    /// Commits `block` with its validated `updates` in one write transaction: fills the
    /// block's TRANSACTIONS_FILTER from the updates' codes, stores the block bytes, indexes its
    /// txids, purges expired private data, applies the writes of VALID transactions with the
    /// version (block, tx), records history, and advances the chain tip.
    ///
    /// Refuses a block whose number is not the height, whose `previous_hash` is not the tip's
    /// hash, whose data hash does not match its data, or whose update count differs from its
    /// transaction count; nothing is written then.
    pub fn commit(&self, mut block: Block, updates: &BlockUpdates) -> Result<CommittedBlock> {
        let header = block
            .header
            .clone()
            .ok_or_else(|| Error::Ledger("block has no header".into()))?;
        let n = header.number;
        verify_block_hashes(&block, None).map_err(Error::fabric(format!("block {n}")))?;
        let tx_count = block.data.as_ref().map_or(0, |d| d.data.len());
        if updates.txs.len() != tx_count {
            return Err(Error::Ledger(format!(
                "block {n} has {tx_count} transactions but {} updates",
                updates.txs.len()
            )));
        }
        let metadata = block.metadata.get_or_insert_with(BlockMetadata::default);
        if metadata.metadata.len() < METADATA_ENTRIES {
            metadata.metadata.resize(METADATA_ENTRIES, Bytes::new());
        }
        metadata.metadata[BlockMetadataIndex::TransactionsFilter as usize] =
            Bytes::from(updates.transactions_filter());
        let bytes = Bytes::from(block.encode_to_vec());
        let header_hash = block_header_hash(&header);
        let c = |what: &str| format!("commit block {n}: {what}");

        let txn = self.db.begin_write().ctx(|| c("begin"))?;
        {
            let mut chain = txn.open_table(CHAIN_INFO).ctx(|| c("chain_info"))?;
            let tip: StoredChain = match chain.get(TIP).ctx(|| c("read tip"))? {
                Some(v) => codec::decode("chain_info", v.value())?,
                None => StoredChain::default(),
            };
            if n != tip.height {
                return Err(Error::Ledger(format!(
                    "block {n} cannot be committed at height {}",
                    tip.height
                )));
            }
            if tip.height > 0 && header.previous_hash.as_ref() != tip.current_hash.as_slice() {
                return Err(Error::Ledger(format!(
                    "block {n}: previous_hash {} is not the hash of block {} ({})",
                    hex::encode(&header.previous_hash),
                    n - 1,
                    hex::encode(&tip.current_hash)
                )));
            }

            let mut tables = WriteTables {
                state: txn.open_table(STATE).ctx(|| c("state"))?,
                private: txn.open_table(PRIVATE).ctx(|| c("private_data"))?,
                hashes: txn.open_table(HASHES).ctx(|| c("private_hashes"))?,
                history: txn.open_table(HISTORY).ctx(|| c("history"))?,
                block_pvt: txn.open_table(BLOCK_PVT).ctx(|| c("block_private_data"))?,
                expiry: txn.open_table(EXPIRY).ctx(|| c("expiry"))?,
                block: n,
            };
            tables.purge_expired()?;
            let mut index = txn.open_table(TX_INDEX).ctx(|| c("tx_index"))?;
            for (i, tx) in updates.txs.iter().enumerate() {
                let i = i as u64;
                if !tx.tx_id.is_empty()
                    && index
                        .get(tx.tx_id.as_str())
                        .ctx(|| c("tx_index"))?
                        .is_none()
                {
                    let entry = StoredTx {
                        block: n,
                        tx: i,
                        code: tx.code as i32,
                    }
                    .encode_to_vec();
                    index
                        .insert(tx.tx_id.as_str(), entry.as_slice())
                        .ctx(|| c("tx_index"))?;
                }
                if tx.code == TxValidationCode::Valid {
                    tables.apply(Version::new(n, i), tx)?;
                }
            }
            let mut blocks = txn.open_table(BLOCKS).ctx(|| c("blocks"))?;
            blocks.insert(n, bytes.as_ref()).ctx(|| c("blocks"))?;
            let tip = StoredChain {
                height: n + 1,
                current_hash: header_hash.to_vec(),
                previous_hash: header.previous_hash.to_vec(),
            }
            .encode_to_vec();
            chain.insert(TIP, tip.as_slice()).ctx(|| c("chain_info"))?;
        }
        txn.commit().ctx(|| c("commit"))?;
        tracing::debug!(block = n, txs = tx_count, "block committed");
        Ok(CommittedBlock {
            number: n,
            bytes,
            header_hash,
            transactions: updates
                .txs
                .iter()
                .map(|t| (t.tx_id.clone(), t.code))
                .collect(),
        })
    }

    /// The committed public value of `(namespace, key)`.
    pub fn get_state(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>> {
        self.snapshot()?.get_state(namespace, key)
    }

    /// Up to `limit` public entries with `start ≤ key < end` (`end == ""`: no upper bound).
    pub fn get_state_range(
        &self,
        namespace: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<(String, VersionedValue)>> {
        self.snapshot()?
            .get_state_range(namespace, start, end, limit)
    }

    /// The private value of `(namespace, collection, key)` if this peer holds it.
    pub fn get_private_data(
        &self,
        namespace: &str,
        collection: &str,
        key: &str,
    ) -> Result<Option<PrivateValue>> {
        self.snapshot()?
            .get_private_data(namespace, collection, key)
    }

    /// The committed hash entry of a private key, by the SHA-256 of the key.
    pub fn get_private_data_hash(
        &self,
        namespace: &str,
        collection: &str,
        key_hash: &[u8],
    ) -> Result<Option<HashedValue>> {
        self.snapshot()?
            .get_private_data_hash(namespace, collection, key_hash)
    }

    /// Up to `limit` private entries with `start ≤ key < end` (`end == ""`: no upper bound).
    pub fn get_private_data_range(
        &self,
        namespace: &str,
        collection: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<(String, PrivateValue)>> {
        self.snapshot()?
            .get_private_data_range(namespace, collection, start, end, limit)
    }

    /// Every committed write of a public key, newest first (history is always kept).
    pub fn get_history(&self, namespace: &str, key: &str) -> Result<Option<Vec<HistoryEntry>>> {
        self.snapshot()?.get_history(namespace, key)
    }

    /// The private read-write sets this peer holds for block `number`, by transaction index.
    pub fn block_private_data(&self, number: u64) -> Result<BTreeMap<u64, TxPvtReadWriteSet>> {
        self.snapshot()?.block_private_data(number)
    }
}

/// Names must not contain 0x00 (the key separator) and namespaces must not be empty.
fn check_names(namespace: &str, collection: Option<&str>) -> Result<()> {
    if namespace.is_empty() || namespace.contains('\0') {
        return Err(Error::Ledger(format!("invalid namespace {namespace:?}")));
    }
    if let Some(c) = collection
        && (c.is_empty() || c.contains('\0'))
    {
        return Err(Error::Ledger(format!("invalid collection {c:?}")));
    }
    Ok(())
}

/// Error context for a commit step.
fn cx(block: u64, what: &'static str) -> impl FnOnce() -> String {
    move || format!("commit block {block}: {what}")
}

type WTable<'t> = redb::Table<'t, &'static [u8], &'static [u8]>;

/// The tables one block's updates touch, open in the block's write transaction.
struct WriteTables<'t> {
    state: WTable<'t>,
    private: WTable<'t>,
    hashes: WTable<'t>,
    history: WTable<'t>,
    block_pvt: WTable<'t>,
    expiry: WTable<'t>,
    block: u64,
}

impl WriteTables<'_> {
    /// Purges private data whose block-to-live ends at this block (unless rewritten since).
    fn purge_expired(&mut self) -> Result<()> {
        let hi = (self.block + 1).to_be_bytes();
        let mut due = Vec::new();
        for item in self
            .expiry
            .range::<&[u8]>(..&hi[..])
            .ctx(cx(self.block, "expiry scan"))?
        {
            let (k, v) = item.ctx(cx(self.block, "expiry scan"))?;
            due.push((k.value().to_vec(), v.value().to_vec()));
        }
        for (k, v) in due {
            let (_, kind, target) = codec::split_expiry_key(&k)?;
            let written: StoredExpiry = codec::decode("expiry", &v)?;
            let written = Version::new(written.block, written.tx);
            let table = match kind {
                EXPIRE_HASH => Some(&mut self.hashes),
                EXPIRE_PRIVATE => Some(&mut self.private),
                EXPIRE_BLOCK_PVT => None,
                other => {
                    return Err(Error::Corrupt {
                        what: "expiry".into(),
                        reason: format!("unknown kind {other}"),
                    });
                }
            };
            match table {
                Some(table) => {
                    let current = match table.get(target).ctx(|| "expiry lookup".into())? {
                        Some(g) => Some(codec::decode::<StoredValue>("expiry target", g.value())?),
                        None => None,
                    };
                    if current.is_some_and(|cur| cur.version() == written) {
                        table.remove(target).ctx(|| "expiry purge".into())?;
                    }
                }
                None => {
                    self.block_pvt
                        .remove(target)
                        .ctx(cx(self.block, "expiry purge"))?;
                }
            }
            self.expiry
                .remove(k.as_slice())
                .ctx(cx(self.block, "expiry"))?;
        }
        Ok(())
    }

    fn add_expiry(&mut self, btl: u64, kind: u8, target: &[u8], version: Version) -> Result<()> {
        if btl == 0 {
            return Ok(());
        }
        let at = self.block.saturating_add(btl).saturating_add(1);
        let k = codec::expiry_key(at, kind, target);
        let v = StoredExpiry {
            block: version.block_num,
            tx: version.tx_num,
        }
        .encode_to_vec();
        self.expiry
            .insert(k.as_slice(), v.as_slice())
            .ctx(cx(self.block, "expiry"))?;
        Ok(())
    }

    /// Applies one valid transaction's updates at `version`.
    fn apply(&mut self, version: Version, tx: &TxUpdates) -> Result<()> {
        for w in &tx.public {
            check_names(&w.namespace, None)?;
            let k = codec::state_key(&w.namespace, &w.key);
            let deleted = write_value(&mut self.state, &k, &w.op, version, "state")?;
            if let Some(is_delete) = deleted {
                let value = match (&w.op, is_delete) {
                    (WriteOp::Put { value, .. }, false) => value.to_vec(),
                    _ => Vec::new(),
                };
                let h = StoredHistory {
                    tx_id: tx.tx_id.clone(),
                    is_delete,
                    timestamp: tx.timestamp,
                    value,
                }
                .encode_to_vec();
                let hk = codec::history_key(&w.namespace, &w.key, version);
                self.history
                    .insert(hk.as_slice(), h.as_slice())
                    .ctx(cx(self.block, "history"))?;
            }
        }
        for w in &tx.hashed {
            check_names(&w.namespace, Some(&w.collection))?;
            let k = codec::collection_key(&w.namespace, &w.collection, &w.key_hash);
            write_value(&mut self.hashes, &k, &w.op, version, "private_hashes")?;
            if matches!(w.op, WriteOp::Put { .. }) {
                self.add_expiry(w.block_to_live, EXPIRE_HASH, &k, version)?;
            }
        }
        for w in &tx.private {
            check_names(&w.namespace, Some(&w.collection))?;
            let k = codec::collection_key(&w.namespace, &w.collection, w.key.as_bytes());
            match &w.value {
                Some(value) if !value.is_empty() => {
                    let v = StoredValue::new(value, &Metadata::new(), version).encode_to_vec();
                    self.private
                        .insert(k.as_slice(), v.as_slice())
                        .ctx(cx(self.block, "private_data"))?;
                    self.add_expiry(w.block_to_live, EXPIRE_PRIVATE, &k, version)?;
                }
                _ => {
                    self.private
                        .remove(k.as_slice())
                        .ctx(cx(self.block, "private_data"))?;
                }
            }
        }
        for p in &tx.purges {
            check_names(&p.namespace, Some(&p.collection))?;
            let hk = codec::collection_key(&p.namespace, &p.collection, &p.key_hash);
            self.hashes
                .remove(hk.as_slice())
                .ctx(cx(self.block, "purge hash"))?;
            let prefix = codec::collection_key(&p.namespace, &p.collection, b"");
            let (lo, hi) = codec::prefixed_range(&prefix, "", "");
            let mut doomed = Vec::new();
            for item in self
                .private
                .range::<&[u8]>(lo.as_slice()..hi.as_slice())
                .ctx(cx(self.block, "purge scan"))?
            {
                let (k, _) = item.ctx(cx(self.block, "purge scan"))?;
                let key = &k.value()[prefix.len()..];
                if sha256(key).as_slice() == p.key_hash.as_ref() {
                    doomed.push(k.value().to_vec());
                }
            }
            for k in doomed {
                self.private
                    .remove(k.as_slice())
                    .ctx(cx(self.block, "purge private"))?;
            }
        }
        for r in &tx.private_rwsets {
            check_names(&r.namespace, Some(&r.collection))?;
            let k = codec::block_pvt_key(self.block, version.tx_num, &r.namespace, &r.collection);
            self.block_pvt
                .insert(k.as_slice(), r.rwset.as_ref())
                .ctx(cx(self.block, "block_private_data"))?;
            self.add_expiry(r.block_to_live, EXPIRE_BLOCK_PVT, &k, version)?;
        }
        Ok(())
    }
}

/// Applies a write to a versioned table. Returns `Some(is_delete)` when a value was written or
/// deleted (history-worthy), `None` for a metadata-only write.
fn write_value(
    table: &mut WTable<'_>,
    k: &[u8],
    op: &WriteOp,
    version: Version,
    what: &str,
) -> Result<Option<bool>> {
    let c = || format!("commit block {}: {what}", version.block_num);
    let existing = match table.get(k).ctx(c)? {
        Some(g) => Some(codec::decode::<StoredValue>(what, g.value())?),
        None => None,
    };
    match op {
        WriteOp::Put { value, metadata } if !value.is_empty() => {
            let metadata = match metadata {
                Some(m) => m.clone(),
                None => existing.map(|e| e.metadata()).unwrap_or_default(),
            };
            let v = StoredValue::new(value, &metadata, version).encode_to_vec();
            table.insert(k, v.as_slice()).ctx(c)?;
            Ok(Some(false))
        }
        WriteOp::Put { .. } | WriteOp::Delete => {
            table.remove(k).ctx(c)?;
            Ok(Some(true))
        }
        WriteOp::Metadata(metadata) => {
            if let Some(mut e) = existing {
                e.metadata = metadata
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_vec()))
                    .collect();
                e.block = version.block_num;
                e.tx = version.tx_num;
                table.insert(k, e.encode_to_vec().as_slice()).ctx(c)?;
            }
            Ok(None)
        }
    }
}

/// A consistent, read-only view of the ledger (a redb read transaction). The read methods
/// have the shapes of `fabric_sdk::ledger::state::StateReader`.
pub struct Snapshot {
    txn: ReadTransaction,
    /// The state table, opened at the first read of it (every endorsement and validation
    /// reads it many times; opening it is a lookup in redb's table tree).
    state: OnceLock<redb::ReadOnlyTable<&'static [u8], &'static [u8]>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Snapshot")
    }
}

impl Snapshot {
    fn table(
        &self,
        def: TableDefinition<&'static [u8], &'static [u8]>,
    ) -> Result<redb::ReadOnlyTable<&'static [u8], &'static [u8]>> {
        self.txn
            .open_table(def)
            .ctx(|| format!("open table {}", def.name()))
    }

    /// The chain tip.
    pub fn chain_info(&self) -> Result<ChainInfo> {
        let t = self
            .txn
            .open_table(CHAIN_INFO)
            .ctx(|| "open chain_info".into())?;
        let tip: StoredChain = match t.get(TIP).ctx(|| "read chain_info".into())? {
            Some(v) => codec::decode("chain_info", v.value())?,
            None => StoredChain::default(),
        };
        Ok(ChainInfo {
            height: tip.height,
            current_block_hash: Bytes::from(tip.current_hash),
            previous_block_hash: Bytes::from(tip.previous_hash),
        })
    }

    /// The stored bytes of block `number`.
    pub fn block_bytes(&self, number: u64) -> Result<Option<Bytes>> {
        let t = self.txn.open_table(BLOCKS).ctx(|| "open blocks".into())?;
        Ok(t.get(number)
            .ctx(|| format!("read block {number}"))?
            .map(|g| Bytes::copy_from_slice(g.value())))
    }

    /// Block `number`, decoded.
    pub fn block(&self, number: u64) -> Result<Option<Block>> {
        match self.block_bytes(number)? {
            Some(b) => Ok(Some(
                Block::decode(b).map_err(Error::decode("common.Block"))?,
            )),
            None => Ok(None),
        }
    }

    /// Where `tx_id` was committed (its first occurrence).
    pub fn transaction(&self, tx_id: &str) -> Result<Option<TxLocation>> {
        let t = self
            .txn
            .open_table(TX_INDEX)
            .ctx(|| "open tx_index".into())?;
        let Some(g) = t.get(tx_id).ctx(|| format!("read tx {tx_id}"))? else {
            return Ok(None);
        };
        let s: StoredTx = codec::decode("tx_index", g.value())?;
        Ok(Some(TxLocation {
            block_num: s.block,
            tx_num: s.tx,
            code: TxValidationCode::try_from(s.code)
                .unwrap_or(TxValidationCode::InvalidOtherReason),
        }))
    }

    /// The committed public value of `(namespace, key)`.
    pub fn get_state(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>> {
        let t = match self.state.get() {
            Some(t) => t,
            None => {
                let opened = self.table(STATE)?;
                self.state.get_or_init(|| opened)
            }
        };
        let k = codec::state_key(namespace, key);
        match t.get(k.as_slice()).ctx(|| "read state".into())? {
            Some(g) => Ok(Some(versioned(codec::decode("state", g.value())?))),
            None => Ok(None),
        }
    }

    /// Up to `limit` public entries with `start ≤ key < end` (`end == ""`: no upper bound), in
    /// key order.
    pub fn get_state_range(
        &self,
        namespace: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<(String, VersionedValue)>> {
        let prefix = codec::state_key(namespace, "");
        self.scan(STATE, &prefix, start, end, limit, |v| Ok(versioned(v)))
    }

    /// The private value of `(namespace, collection, key)` if this peer holds it.
    pub fn get_private_data(
        &self,
        namespace: &str,
        collection: &str,
        key: &str,
    ) -> Result<Option<PrivateValue>> {
        let t = self.table(PRIVATE)?;
        let k = codec::collection_key(namespace, collection, key.as_bytes());
        match t.get(k.as_slice()).ctx(|| "read private_data".into())? {
            Some(g) => Ok(Some(private(codec::decode("private_data", g.value())?))),
            None => Ok(None),
        }
    }

    /// The committed hash entry of a private key, by the SHA-256 of the key.
    pub fn get_private_data_hash(
        &self,
        namespace: &str,
        collection: &str,
        key_hash: &[u8],
    ) -> Result<Option<HashedValue>> {
        let t = self.table(HASHES)?;
        let k = codec::collection_key(namespace, collection, key_hash);
        match t.get(k.as_slice()).ctx(|| "read private_hashes".into())? {
            Some(g) => {
                let v: StoredValue = codec::decode("private_hashes", g.value())?;
                Ok(Some(HashedValue {
                    metadata: v.metadata(),
                    version: v.version(),
                    value_hash: Bytes::from(v.value),
                }))
            }
            None => Ok(None),
        }
    }

    /// Up to `limit` private entries with `start ≤ key < end` (`end == ""`: no upper bound).
    pub fn get_private_data_range(
        &self,
        namespace: &str,
        collection: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<(String, PrivateValue)>> {
        let prefix = codec::collection_key(namespace, collection, b"");
        self.scan(PRIVATE, &prefix, start, end, limit, |v| Ok(private(v)))
    }

    fn scan<V>(
        &self,
        def: TableDefinition<&'static [u8], &'static [u8]>,
        prefix: &[u8],
        start: &str,
        end: &str,
        limit: usize,
        map: impl Fn(StoredValue) -> Result<V>,
    ) -> Result<Vec<(String, V)>> {
        if limit == 0 || (!end.is_empty() && start >= end) {
            return Ok(Vec::new());
        }
        let t = self.table(def)?;
        let (lo, hi) = codec::prefixed_range(prefix, start, end);
        let mut out = Vec::new();
        for item in t
            .range::<&[u8]>(lo.as_slice()..hi.as_slice())
            .ctx(|| format!("scan {}", def.name()))?
        {
            let (k, v) = item.ctx(|| format!("scan {}", def.name()))?;
            let key = codec::key_string(def.name(), k.value().get(prefix.len()..).unwrap_or(&[]))?;
            out.push((key, map(codec::decode(def.name(), v.value())?)?));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Every committed write of a public key, newest first. Always `Some` (history is kept).
    pub fn get_history(&self, namespace: &str, key: &str) -> Result<Option<Vec<HistoryEntry>>> {
        let t = self.table(HISTORY)?;
        let lo = codec::history_prefix(namespace, key);
        let mut hi = lo.clone();
        hi.extend_from_slice(&[0xff; 17]);
        let mut out = Vec::new();
        for item in t
            .range::<&[u8]>(lo.as_slice()..hi.as_slice())
            .ctx(|| "scan history".into())?
            .rev()
        {
            let (_, v) = item.ctx(|| "scan history".into())?;
            let h: StoredHistory = codec::decode("history", v.value())?;
            out.push(HistoryEntry {
                tx_id: h.tx_id,
                value: Bytes::from(h.value),
                timestamp: h.timestamp,
                is_delete: h.is_delete,
            });
        }
        Ok(Some(out))
    }

    /// The private read-write sets held for block `number`, by transaction index (namespaces
    /// and collections in name order).
    pub fn block_private_data(&self, number: u64) -> Result<BTreeMap<u64, TxPvtReadWriteSet>> {
        let t = self.table(BLOCK_PVT)?;
        let lo = number.to_be_bytes();
        let mut out: BTreeMap<u64, TxPvtReadWriteSet> = BTreeMap::new();
        let items = match number.checked_add(1) {
            Some(next) => {
                let hi = next.to_be_bytes();
                t.range::<&[u8]>(&lo[..]..&hi[..])
            }
            None => t.range::<&[u8]>(&lo[..]..),
        }
        .ctx(|| format!("scan block {number} private data"))?;
        for item in items {
            let (k, v) = item.ctx(|| format!("scan block {number} private data"))?;
            let (tx, ns, coll) = codec::split_block_pvt_key(k.value())?;
            let set = out.entry(tx).or_insert_with(|| TxPvtReadWriteSet {
                data_model: tx_read_write_set::DataModel::Kv as i32,
                ns_pvt_rwset: Vec::new(),
            });
            let coll = CollectionPvtReadWriteSet {
                collection_name: coll,
                rwset: Bytes::copy_from_slice(v.value()),
            };
            match set.ns_pvt_rwset.last_mut() {
                Some(last) if last.namespace == ns => last.collection_pvt_rwset.push(coll),
                _ => set.ns_pvt_rwset.push(NsPvtReadWriteSet {
                    namespace: ns,
                    collection_pvt_rwset: vec![coll],
                }),
            }
        }
        Ok(out)
    }
}

fn versioned(v: StoredValue) -> VersionedValue {
    VersionedValue {
        metadata: v.metadata(),
        version: v.version(),
        value: Bytes::from(v.value),
    }
}

fn private(v: StoredValue) -> PrivateValue {
    PrivateValue {
        version: v.version(),
        value: Bytes::from(v.value),
    }
}
