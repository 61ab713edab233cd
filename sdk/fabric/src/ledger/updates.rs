//! The state changes of a block: every valid transaction's writes resolved against committed
//! state and the earlier transactions of the same block (Fabric's `prepareTxOps` and
//! `applyWriteSet`), ready for a state database to commit.
//!
//! Rules (Fabric's):
//! - a write with `is_delete` or an empty value deletes the key, its value and its metadata;
//! - a value write keeps the key's current metadata unless the transaction also writes metadata;
//! - a metadata-only write keeps the current value; on a key that does not exist it does nothing;
//! - a metadata write without entries deletes the metadata;
//! - every change of a key gets the version `(block, tx index)` of the transaction;
//! - private values are taken from the transaction's private write set only when its SHA-256
//!   matches the `pvt_rwset_hash` of the public set (otherwise the peer lacks that data, as a
//!   peer outside the collection does); a private metadata-only write moves the private value's
//!   version to the hash's new version;
//! - history records every public write of a valid transaction (not metadata writes).

use std::collections::BTreeMap;

use bytes::Bytes;
use fabric_protos::Timestamp;
use fabric_protos::kvrwset::KvMetadataEntry;
use fabric_protos::protos::TxValidationCode;

use super::rwset::{TxPvtRwSet, TxRwSet};
use super::state::{
    HashedValue, HistoryEntry, Metadata, PrivateValue, StateReader, Version, VersionedValue,
};
use crate::crypto::sha256;
use crate::{Error, Result};

/// One transaction of a block, as the validator and the committer see it.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockTx {
    /// Index of the transaction in the block.
    pub tx_num: u64,
    /// Transaction id.
    pub txid: String,
    /// Channel header timestamp (goes into history).
    pub timestamp: Option<Timestamp>,
    /// The public read-write set (`ChaincodeAction.results`, decoded).
    pub rwset: TxRwSet,
    /// The private write set, if this peer has it.
    pub pvt: Option<TxPvtRwSet>,
    /// The code given by the validation steps before MVCC (signatures, endorsement policy,
    /// duplicate txid, ...). Only `VALID` transactions are MVCC-checked and committed.
    pub code: TxValidationCode,
}

impl BlockTx {
    /// A transaction that passed the earlier validation steps.
    pub fn new(tx_num: u64, txid: impl Into<String>, rwset: TxRwSet) -> Self {
        BlockTx {
            tx_num,
            txid: txid.into(),
            timestamp: None,
            rwset,
            pvt: None,
            code: TxValidationCode::Valid,
        }
    }

    /// A transaction from its `ChaincodeAction.results` bytes. Bytes that do not decode as a
    /// read-write set make the transaction `INVALID_OTHER_REASON` (what Fabric's committer
    /// marks), with an empty read-write set.
    pub fn from_results(tx_num: u64, txid: impl Into<String>, results: &[u8]) -> Self {
        match TxRwSet::decode(results) {
            Ok(rwset) => BlockTx::new(tx_num, txid, rwset),
            Err(_) => BlockTx::new(tx_num, txid, TxRwSet::default())
                .with_code(TxValidationCode::InvalidOtherReason),
        }
    }

    /// Sets the channel header timestamp.
    pub fn with_timestamp(mut self, timestamp: Option<Timestamp>) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Sets the private write set.
    pub fn with_private(mut self, pvt: Option<TxPvtRwSet>) -> Self {
        self.pvt = pvt;
        self
    }

    /// Sets the code from the earlier validation steps.
    pub fn with_code(mut self, code: TxValidationCode) -> Self {
        self.code = code;
        self
    }
}

/// One history record: a public key written by a valid transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRecord {
    /// Namespace.
    pub namespace: String,
    /// Key.
    pub key: String,
    /// The height of the writing transaction.
    pub version: Version,
    /// What `GET_HISTORY_FOR_KEY` returns for it.
    pub entry: HistoryEntry,
}

/// A private collection set that was not committed because its hash does not match the
/// public read-write set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPrivateData {
    /// Index of the transaction in the block.
    pub tx_num: u64,
    /// Namespace.
    pub namespace: String,
    /// Collection.
    pub collection: String,
}

/// Public state changes: namespace → key → new value (`None`: deleted).
pub type PublicUpdates = BTreeMap<String, BTreeMap<String, Option<VersionedValue>>>;
/// Hash changes: (namespace, collection) → key hash → new hash entry (`None`: deleted).
pub type HashedUpdates = BTreeMap<(String, String), BTreeMap<Bytes, Option<HashedValue>>>;
/// Private value changes: (namespace, collection) → key → new value (`None`: deleted).
pub type PrivateUpdates = BTreeMap<(String, String), BTreeMap<String, Option<PrivateValue>>>;

/// The resolved state changes of one block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateBatch {
    /// The block being committed.
    pub block_num: u64,
    /// Public changes.
    pub public: PublicUpdates,
    /// Private data hash changes.
    pub hashed: HashedUpdates,
    /// Private value changes.
    pub private: PrivateUpdates,
    /// History records, in commit order.
    pub history: Vec<HistoryRecord>,
    /// Private sets left out because their hash did not match.
    pub missing_private: Vec<MissingPrivateData>,
}

#[derive(Debug, Default)]
struct KeyOps {
    value: Option<Bytes>,
    delete: bool,
    /// `Some(None)`: metadata deleted; `Some(Some(m))`: metadata replaced.
    metadata: Option<Option<Metadata>>,
}

fn entries_to_metadata(entries: &[KvMetadataEntry]) -> Option<Metadata> {
    if entries.is_empty() {
        return None;
    }
    Some(
        entries
            .iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect(),
    )
}

/// Whether a hashed write deletes (Fabric also treats the hash of an empty value as a delete).
fn hashed_write_is_delete(is_delete: bool, value_hash: &[u8]) -> bool {
    is_delete || value_hash.is_empty() || value_hash == sha256(&[])
}

impl UpdateBatch {
    /// An empty batch for `block_num`.
    pub fn new(block_num: u64) -> Self {
        UpdateBatch {
            block_num,
            ..Default::default()
        }
    }

    /// Whether an earlier transaction of this block changed the public key.
    pub fn public_contains(&self, ns: &str, key: &str) -> bool {
        self.public.get(ns).is_some_and(|m| m.contains_key(key))
    }

    /// Whether an earlier transaction of this block changed the private key hash.
    pub fn hashed_contains(&self, ns: &str, coll: &str, key_hash: &[u8]) -> bool {
        self.hashed
            .get(&(ns.to_string(), coll.to_string()))
            .is_some_and(|m| m.contains_key(key_hash))
    }

    /// The latest public value: this batch first, then committed state.
    pub fn latest_public(
        &self,
        state: &dyn StateReader,
        ns: &str,
        key: &str,
    ) -> Result<Option<VersionedValue>> {
        match self.public.get(ns).and_then(|m| m.get(key)) {
            Some(v) => Ok(v.clone()),
            None => state.get_state(ns, key),
        }
    }

    /// The latest private data hash entry: this batch first, then committed state.
    pub fn latest_hashed(
        &self,
        state: &dyn StateReader,
        ns: &str,
        coll: &str,
        key_hash: &[u8],
    ) -> Result<Option<HashedValue>> {
        match self
            .hashed
            .get(&(ns.to_string(), coll.to_string()))
            .and_then(|m| m.get(key_hash))
        {
            Some(v) => Ok(v.clone()),
            None => state.get_private_data_hash(ns, coll, key_hash),
        }
    }

    fn latest_private(
        &self,
        state: &dyn StateReader,
        ns: &str,
        coll: &str,
        key: &str,
    ) -> Result<Option<PrivateValue>> {
        match self
            .private
            .get(&(ns.to_string(), coll.to_string()))
            .and_then(|m| m.get(key))
        {
            Some(v) => Ok(v.clone()),
            None => state.get_private_data(ns, coll, key),
        }
    }

    /// Adds the writes of a valid transaction (its `code` is not looked at).
    pub fn add_tx(&mut self, state: &dyn StateReader, tx: &BlockTx) -> Result<()> {
        let height = Version::new(self.block_num, tx.tx_num);
        self.add_public(state, tx, height)?;
        self.add_hashed(state, tx, height)?;
        self.add_private(state, tx, height)?;
        for ns in &tx.rwset.namespaces {
            for w in &ns.kv.writes {
                self.history.push(HistoryRecord {
                    namespace: ns.namespace.clone(),
                    key: w.key.clone(),
                    version: height,
                    entry: HistoryEntry {
                        tx_id: tx.txid.clone(),
                        value: w.value.clone(),
                        timestamp: tx.timestamp,
                        is_delete: w.is_delete || w.value.is_empty(),
                    },
                });
            }
        }
        Ok(())
    }

    fn add_public(&mut self, state: &dyn StateReader, tx: &BlockTx, height: Version) -> Result<()> {
        let mut ops: BTreeMap<(&str, &str), KeyOps> = BTreeMap::new();
        for ns in &tx.rwset.namespaces {
            for w in &ns.kv.writes {
                let op = ops.entry((&ns.namespace, &w.key)).or_default();
                if w.is_delete || w.value.is_empty() {
                    op.delete = true;
                } else {
                    op.value = Some(w.value.clone());
                }
            }
            for m in &ns.kv.metadata_writes {
                ops.entry((&ns.namespace, &m.key)).or_default().metadata =
                    Some(entries_to_metadata(&m.entries));
            }
        }
        for ((ns, key), op) in ops {
            let new = if op.delete {
                None
            } else {
                match (op.value, op.metadata) {
                    (Some(value), Some(metadata)) => Some(VersionedValue {
                        value,
                        metadata: metadata.unwrap_or_default(),
                        version: height,
                    }),
                    (Some(value), None) => {
                        let metadata = self
                            .latest_public(state, ns, key)?
                            .map(|v| v.metadata)
                            .unwrap_or_default();
                        Some(VersionedValue {
                            value,
                            metadata,
                            version: height,
                        })
                    }
                    (None, Some(metadata)) => match self.latest_public(state, ns, key)? {
                        Some(latest) => Some(VersionedValue {
                            value: latest.value,
                            metadata: metadata.unwrap_or_default(),
                            version: height,
                        }),
                        None => continue,
                    },
                    (None, None) => continue,
                }
            };
            self.public
                .entry(ns.to_string())
                .or_default()
                .insert(key.to_string(), new);
        }
        Ok(())
    }

    fn add_hashed(&mut self, state: &dyn StateReader, tx: &BlockTx, height: Version) -> Result<()> {
        let mut ops: BTreeMap<(&str, &str, &Bytes), KeyOps> = BTreeMap::new();
        for ns in &tx.rwset.namespaces {
            for c in &ns.collections {
                for w in &c.hashed.hashed_writes {
                    let op = ops
                        .entry((&ns.namespace, &c.collection, &w.key_hash))
                        .or_default();
                    if hashed_write_is_delete(w.is_delete, &w.value_hash) {
                        op.delete = true;
                    } else {
                        op.value = Some(w.value_hash.clone());
                    }
                }
                for m in &c.hashed.metadata_writes {
                    ops.entry((&ns.namespace, &c.collection, &m.key_hash))
                        .or_default()
                        .metadata = Some(entries_to_metadata(&m.entries));
                }
            }
        }
        for ((ns, coll, kh), op) in ops {
            let new = if op.delete {
                None
            } else {
                match (op.value, op.metadata) {
                    (Some(value_hash), Some(metadata)) => Some(HashedValue {
                        value_hash,
                        metadata: metadata.unwrap_or_default(),
                        version: height,
                    }),
                    (Some(value_hash), None) => {
                        let metadata = self
                            .latest_hashed(state, ns, coll, kh)?
                            .map(|v| v.metadata)
                            .unwrap_or_default();
                        Some(HashedValue {
                            value_hash,
                            metadata,
                            version: height,
                        })
                    }
                    (None, Some(metadata)) => match self.latest_hashed(state, ns, coll, kh)? {
                        Some(latest) => Some(HashedValue {
                            value_hash: latest.value_hash,
                            metadata: metadata.unwrap_or_default(),
                            version: height,
                        }),
                        None => continue,
                    },
                    (None, None) => continue,
                }
            };
            self.hashed
                .entry((ns.to_string(), coll.to_string()))
                .or_default()
                .insert(kh.clone(), new);
        }
        Ok(())
    }

    fn add_private(
        &mut self,
        state: &dyn StateReader,
        tx: &BlockTx,
        height: Version,
    ) -> Result<()> {
        let Some(pvt) = &tx.pvt else {
            return Ok(());
        };
        for ns in &pvt.namespaces {
            for c in &ns.collections {
                let expected = tx.rwset.pvt_rwset_hash(&ns.namespace, &c.collection);
                if expected.is_none_or(|h| h.as_ref() != sha256(&c.rwset)) {
                    self.missing_private.push(MissingPrivateData {
                        tx_num: tx.tx_num,
                        namespace: ns.namespace.clone(),
                        collection: c.collection.clone(),
                    });
                    continue;
                }
                let slot = (ns.namespace.clone(), c.collection.clone());
                for w in &c.kv.writes {
                    let new = (!(w.is_delete || w.value.is_empty())).then(|| PrivateValue {
                        value: w.value.clone(),
                        version: height,
                    });
                    self.private
                        .entry(slot.clone())
                        .or_default()
                        .insert(w.key.clone(), new);
                }
                for m in &c.kv.metadata_writes {
                    if c.kv.writes.iter().any(|w| w.key == m.key) {
                        continue;
                    }
                    let kh = super::rwset::key_hash(&m.key);
                    let hashed_now = self
                        .hashed
                        .get(&slot)
                        .and_then(|h| h.get(&kh))
                        .and_then(|v| v.as_ref())
                        .map(|v| v.version);
                    if hashed_now != Some(height) {
                        continue;
                    }
                    if let Some(mut latest) =
                        self.latest_private(state, &ns.namespace, &c.collection, &m.key)?
                        && latest.version != height
                    {
                        latest.version = height;
                        self.private
                            .entry(slot.clone())
                            .or_default()
                            .insert(m.key.clone(), Some(latest));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Builds the update batch of `block_num` from transactions that are all to be committed
/// (those whose `code` is not `VALID` are skipped).
pub fn prepare_block(
    state: &dyn StateReader,
    block_num: u64,
    txs: &[BlockTx],
) -> Result<UpdateBatch> {
    let mut batch = UpdateBatch::new(block_num);
    let mut last: Option<u64> = None;
    for tx in txs {
        if last.is_some_and(|l| tx.tx_num <= l) {
            return Err(Error::State(format!(
                "block {block_num}: transaction numbers must increase (tx {} after {})",
                tx.tx_num,
                last.unwrap_or_default()
            )));
        }
        last = Some(tx.tx_num);
        if tx.code == TxValidationCode::Valid {
            batch.add_tx(state, tx)?;
        }
    }
    Ok(batch)
}
