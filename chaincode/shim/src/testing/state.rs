//! Seeding the test ledger and reading its committed state.

use std::sync::Arc;

use bytes::Bytes;
use fabric_protos::protos::PutState;
use fabric_protos::protos::chaincode_message::Type;
use fabric_sdk::ledger::{
    HistoryEntry, MemoryState, Metadata, StateReader, TxSimulator, VersionedValue, key_hash,
};
use fabric_sdk::policy::collection::{
    collection_member_orgs, find_collection, implicit_org_msp_id,
};
use prost::Message;

use super::ledger::{TestLedger, commit};
use crate::{Error, Result};

impl TestLedger {
    // ------------------------------------------------------------------ seeding

    /// Commits `value` at `key` of the chaincode's public state in a block of its own (a
    /// transaction with that one write, so it has a version and a history entry).
    pub fn put_state(&self, key: &str, value: impl AsRef<[u8]>) -> Result<()> {
        self.put_states([(key, value)])
    }

    /// Commits several public keys in one block.
    pub fn put_states<I, K, V>(&self, entries: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let writes = entries
            .into_iter()
            .map(|(k, v)| PutState {
                key: k.as_ref().to_owned(),
                value: Bytes::copy_from_slice(v.as_ref()),
                collection: String::new(),
            })
            .collect();
        self.seed("put_state", String::new(), writes)
    }

    /// Commits a private value (and its hash) in a block of its own, written by a member of the
    /// collection.
    pub fn put_private_data(
        &self,
        collection: &str,
        key: &str,
        value: impl AsRef<[u8]>,
    ) -> Result<()> {
        let writer = implicit_org_msp_id(collection)
            .map(str::to_owned)
            .or_else(|| {
                find_collection(&self.collections, collection)
                    .and_then(|c| collection_member_orgs(c).into_iter().next())
            })
            .unwrap_or_default();
        let write = PutState {
            key: key.to_owned(),
            value: Bytes::copy_from_slice(value.as_ref()),
            collection: collection.to_owned(),
        };
        self.seed("put_private_data", writer, vec![write])
    }

    fn seed(&self, what: &str, writer_msp: String, writes: Vec<PutState>) -> Result<()> {
        let mut inner = self.lock();
        let txid = format!("seed-{}", inner.seeds);
        inner.seeds += 1;
        let cfg = self.simulator_config(&inner, &self.chaincode, &txid, writer_msp, false);
        let mut sim = TxSimulator::new(Arc::clone(&inner.state), cfg);
        for w in writes {
            sim.handle_bytes(Type::PutState, Bytes::from(w.encode_to_vec()))
                .map_err(|e| Error::testing(what, e))?;
        }
        let tx = sim
            .finish()
            .to_block_tx(0, txid)
            .map_err(|e| Error::testing(what, e))?
            .with_timestamp(Some(inner.clock));
        commit(&mut inner, vec![tx]).map(drop)
    }

    // ------------------------------------------------------------------ committed state

    /// The committed value of a public key of the chaincode.
    pub fn state(&self, key: &str) -> Option<Bytes> {
        self.state_of(&self.chaincode, key)
    }

    /// The committed value of a public key of any chaincode (namespace).
    pub fn state_of(&self, namespace: &str, key: &str) -> Option<Bytes> {
        self.versioned_state_of(namespace, key).map(|v| v.value)
    }

    /// The committed value of a public key with its version and metadata.
    pub fn versioned_state(&self, key: &str) -> Option<VersionedValue> {
        self.versioned_state_of(&self.chaincode, key)
    }

    fn versioned_state_of(&self, namespace: &str, key: &str) -> Option<VersionedValue> {
        // MemoryState reads cannot fail.
        self.snapshot().get_state(namespace, key).ok().flatten()
    }

    /// Every committed public key of the chaincode, in order (composite keys included).
    pub fn keys(&self) -> Vec<String> {
        self.snapshot()
            .get_state_range(&self.chaincode, "", "", usize::MAX)
            .map(|kvs| kvs.into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default()
    }

    /// The key-level metadata of a public key (`VALIDATION_PARAMETER` → a key-level
    /// endorsement policy).
    pub fn metadata(&self, key: &str) -> Metadata {
        self.versioned_state(key)
            .map(|v| v.metadata)
            .unwrap_or_default()
    }

    /// A committed private value (this ledger holds every collection's data).
    pub fn private_data(&self, collection: &str, key: &str) -> Option<Bytes> {
        self.snapshot()
            .get_private_data(&self.chaincode, collection, key)
            .ok()
            .flatten()
            .map(|p| p.value)
    }

    /// The committed hash of a private value: what every peer of the channel holds.
    pub fn private_data_hash(&self, collection: &str, key: &str) -> Option<Bytes> {
        self.snapshot()
            .get_private_data_hash(&self.chaincode, collection, &key_hash(key))
            .ok()
            .flatten()
            .map(|h| h.value_hash)
    }

    /// The key-level metadata of a private key.
    pub fn private_metadata(&self, collection: &str, key: &str) -> Metadata {
        self.snapshot()
            .get_private_data_hash(&self.chaincode, collection, &key_hash(key))
            .ok()
            .flatten()
            .map(|h| h.metadata)
            .unwrap_or_default()
    }

    /// The history of a public key, newest first (empty when history is off).
    pub fn history(&self, key: &str) -> Vec<HistoryEntry> {
        self.snapshot()
            .get_history(&self.chaincode, key)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The number of committed blocks (the number of the next block).
    pub fn height(&self) -> u64 {
        self.lock().state.height()
    }

    /// The committed state as it is now (a snapshot: later commits do not change it).
    pub fn snapshot(&self) -> Arc<MemoryState> {
        Arc::clone(&self.lock().state)
    }
}
