//! [`MemoryState`]: committed state in ordered maps, for the chaincode test ledger and for tests.
//! It holds every collection's private data (it behaves as a peer that is a member of all
//! collections) and a history of every public key.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;
use fabric_protos::protos::CollectionConfigPackage;
use fabric_protos::protos::collection_config::Payload;

use super::state::{
    HashedValue, HistoryEntry, KeyValue, PrivateValue, StateReader, VersionedValue,
};
use super::updates::{BlockTx, UpdateBatch, prepare_block};
use crate::{Error, Result};

/// Committed state in memory. Deterministic: everything is kept in `BTreeMap`s.
#[derive(Debug, Clone)]
pub struct MemoryState {
    public: BTreeMap<String, BTreeMap<String, VersionedValue>>,
    hashed: BTreeMap<(String, String), BTreeMap<Bytes, HashedValue>>,
    private: BTreeMap<(String, String), BTreeMap<String, PrivateValue>>,
    /// Oldest first.
    history: BTreeMap<(String, String), Vec<HistoryEntry>>,
    block_to_live: BTreeMap<(String, String), u64>,
    history_enabled: bool,
    height: u64,
}

impl Default for MemoryState {
    fn default() -> Self {
        Self::new()
    }
}

fn bounds<'a>(start: &'a str, end: &'a str) -> Option<(Bound<&'a str>, Bound<&'a str>)> {
    if !end.is_empty() && start >= end {
        return None;
    }
    let upper = if end.is_empty() {
        Bound::Unbounded
    } else {
        Bound::Excluded(end)
    };
    Some((Bound::Included(start), upper))
}

fn range_of<V: Clone>(
    map: Option<&BTreeMap<String, V>>,
    start: &str,
    end: &str,
    limit: usize,
) -> Vec<KeyValue<V>> {
    let (Some(map), Some(b)) = (map, bounds(start, end)) else {
        return Vec::new();
    };
    map.range::<str, _>(b)
        .take(limit)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn pair(ns: &str, coll: &str) -> (String, String) {
    (ns.to_string(), coll.to_string())
}

impl MemoryState {
    /// An empty state (height 0) that keeps history.
    pub fn new() -> Self {
        MemoryState {
            public: BTreeMap::new(),
            hashed: BTreeMap::new(),
            private: BTreeMap::new(),
            history: BTreeMap::new(),
            block_to_live: BTreeMap::new(),
            history_enabled: true,
            height: 0,
        }
    }

    /// Turns the history database on or off (off: `GET_HISTORY_FOR_KEY` fails as on a peer
    /// with `ledger.history.enableHistoryDatabase: false`).
    pub fn with_history(mut self, enabled: bool) -> Self {
        self.history_enabled = enabled;
        self
    }

    /// The number of the next block to commit (0 before any commit).
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Sets a collection's block-to-live: private data and hashes written in block `B` are
    /// purged when block `B + btl + 1` commits. 0 means never.
    pub fn set_block_to_live(&mut self, namespace: &str, collection: &str, btl: u64) {
        if btl == 0 {
            self.block_to_live.remove(&pair(namespace, collection));
        } else {
            self.block_to_live.insert(pair(namespace, collection), btl);
        }
    }

    /// Takes the block-to-live of every static collection of a chaincode definition.
    pub fn set_collections(&mut self, namespace: &str, package: &CollectionConfigPackage) {
        for c in &package.config {
            if let Some(Payload::StaticCollectionConfig(s)) = &c.payload {
                self.set_block_to_live(namespace, &s.name, s.block_to_live);
            }
        }
    }

    /// Seeds a public value directly (for tests and genesis data).
    pub fn put_state(&mut self, namespace: &str, key: &str, value: VersionedValue) {
        self.public
            .entry(namespace.to_string())
            .or_default()
            .insert(key.to_string(), value);
    }

    /// Seeds a private value and its hash directly (value hash = SHA-256 of the value).
    pub fn put_private_data(
        &mut self,
        namespace: &str,
        collection: &str,
        key: &str,
        value: PrivateValue,
    ) {
        let hashed = HashedValue {
            value_hash: Bytes::copy_from_slice(&crate::crypto::sha256(&value.value)),
            metadata: Default::default(),
            version: value.version,
        };
        self.hashed
            .entry(pair(namespace, collection))
            .or_default()
            .insert(super::rwset::key_hash(key), hashed);
        self.private
            .entry(pair(namespace, collection))
            .or_default()
            .insert(key.to_string(), value);
    }

    /// Seeds a private data hash entry without the private value (a peer outside the
    /// collection).
    pub fn put_private_data_hash(
        &mut self,
        namespace: &str,
        collection: &str,
        key_hash: Bytes,
        value: HashedValue,
    ) {
        self.hashed
            .entry(pair(namespace, collection))
            .or_default()
            .insert(key_hash, value);
    }

    /// Commits the transactions of block `block_num` whose `code` is `VALID`, without MVCC
    /// checks (use [`validate_block`](super::validate_block) for those), and returns the batch
    /// that was committed.
    pub fn apply(&mut self, block_num: u64, txs: &[BlockTx]) -> Result<UpdateBatch> {
        self.check_block(block_num)?;
        let batch = prepare_block(self, block_num, txs)?;
        self.commit(&batch)?;
        Ok(batch)
    }

    fn check_block(&self, block_num: u64) -> Result<()> {
        if block_num < self.height {
            return Err(Error::State(format!(
                "block {block_num} is already committed (height {})",
                self.height
            )));
        }
        Ok(())
    }

    /// Commits a prepared batch: first purges the private data whose block-to-live ends with
    /// this block, then applies the changes and history, and moves the height past the block.
    pub fn commit(&mut self, batch: &UpdateBatch) -> Result<()> {
        self.check_block(batch.block_num)?;
        self.expire(batch.block_num);
        for (ns, keys) in &batch.public {
            let m = self.public.entry(ns.clone()).or_default();
            for (key, v) in keys {
                match v {
                    Some(v) => m.insert(key.clone(), v.clone()),
                    None => m.remove(key),
                };
            }
        }
        for (slot, keys) in &batch.hashed {
            let m = self.hashed.entry(slot.clone()).or_default();
            for (kh, v) in keys {
                match v {
                    Some(v) => m.insert(kh.clone(), v.clone()),
                    None => m.remove(kh),
                };
            }
        }
        for (slot, keys) in &batch.private {
            let m = self.private.entry(slot.clone()).or_default();
            for (key, v) in keys {
                match v {
                    Some(v) => m.insert(key.clone(), v.clone()),
                    None => m.remove(key),
                };
            }
        }
        if self.history_enabled {
            for r in &batch.history {
                self.history
                    .entry((r.namespace.clone(), r.key.clone()))
                    .or_default()
                    .push(r.entry.clone());
            }
        }
        self.height = batch.block_num.saturating_add(1);
        Ok(())
    }

    fn expire(&mut self, block_num: u64) {
        for (slot, &btl) in &self.block_to_live {
            let expired = |written: u64| written.saturating_add(btl).saturating_add(1) <= block_num;
            if let Some(m) = self.hashed.get_mut(slot) {
                m.retain(|_, v| !expired(v.version.block_num));
            }
            if let Some(m) = self.private.get_mut(slot) {
                m.retain(|_, v| !expired(v.version.block_num));
            }
        }
    }
}

impl StateReader for MemoryState {
    fn get_state(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>> {
        Ok(self.public.get(namespace).and_then(|m| m.get(key)).cloned())
    }

    fn get_state_range(
        &self,
        namespace: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<KeyValue<VersionedValue>>> {
        Ok(range_of(self.public.get(namespace), start, end, limit))
    }

    fn get_private_data(
        &self,
        namespace: &str,
        collection: &str,
        key: &str,
    ) -> Result<Option<PrivateValue>> {
        Ok(self
            .private
            .get(&pair(namespace, collection))
            .and_then(|m| m.get(key))
            .cloned())
    }

    fn get_private_data_hash(
        &self,
        namespace: &str,
        collection: &str,
        key_hash: &[u8],
    ) -> Result<Option<HashedValue>> {
        Ok(self
            .hashed
            .get(&pair(namespace, collection))
            .and_then(|m| m.get(key_hash))
            .cloned())
    }

    fn get_private_data_range(
        &self,
        namespace: &str,
        collection: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<KeyValue<PrivateValue>>> {
        Ok(range_of(
            self.private.get(&pair(namespace, collection)),
            start,
            end,
            limit,
        ))
    }

    fn get_history(&self, namespace: &str, key: &str) -> Result<Option<Vec<HistoryEntry>>> {
        if !self.history_enabled {
            return Ok(None);
        }
        Ok(Some(
            self.history
                .get(&pair(namespace, key))
                .map(|h| h.iter().rev().cloned().collect())
                .unwrap_or_default(),
        ))
    }
}
