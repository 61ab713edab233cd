//! The store's snapshots as `fabric_sdk::ledger::StateReader`s: what the simulator and the
//! validator read.
//!
//! [`Snapshot`] implements the trait directly (every private value the store holds is
//! visible). [`PeerView`] is what one organisation's peer sees: the store keeps the private
//! data of every collection some devnet organisation is a member of, so a peer of a
//! non-member organisation must not see those values — only their hashes, as on a Fabric peer
//! that never received the data.

use super::store::{self, Snapshot};
use fabric_sdk::ledger::{
    HashedValue, HistoryEntry, KeyValue, Metadata, PrivateValue, StateReader, Version,
    VersionedValue,
};
use fabric_sdk::policy::collection::implicit_org_msp_id;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn state_error(e: crate::Error) -> fabric_sdk::Error {
    fabric_sdk::Error::State(e.to_string())
}

fn version(v: store::Version) -> Version {
    Version::new(v.block_num, v.tx_num)
}

fn metadata(m: store::Metadata) -> Metadata {
    m
}

fn versioned(v: store::VersionedValue) -> VersionedValue {
    VersionedValue {
        value: v.value,
        metadata: metadata(v.metadata),
        version: version(v.version),
    }
}

fn private(v: store::PrivateValue) -> PrivateValue {
    PrivateValue {
        value: v.value,
        version: version(v.version),
    }
}

fn hashed(v: store::HashedValue) -> HashedValue {
    HashedValue {
        value_hash: v.value_hash,
        metadata: metadata(v.metadata),
        version: version(v.version),
    }
}

fn history(v: store::HistoryEntry) -> HistoryEntry {
    HistoryEntry {
        tx_id: v.tx_id,
        value: v.value,
        timestamp: v.timestamp,
        is_delete: v.is_delete,
    }
}

impl StateReader for Snapshot {
    fn get_state(&self, namespace: &str, key: &str) -> fabric_sdk::Result<Option<VersionedValue>> {
        Snapshot::get_state(self, namespace, key)
            .map(|v| v.map(versioned))
            .map_err(state_error)
    }

    fn get_state_range(
        &self,
        namespace: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> fabric_sdk::Result<Vec<KeyValue<VersionedValue>>> {
        Snapshot::get_state_range(self, namespace, start, end, limit)
            .map(|v| v.into_iter().map(|(k, v)| (k, versioned(v))).collect())
            .map_err(state_error)
    }

    fn get_private_data(
        &self,
        namespace: &str,
        collection: &str,
        key: &str,
    ) -> fabric_sdk::Result<Option<PrivateValue>> {
        Snapshot::get_private_data(self, namespace, collection, key)
            .map(|v| v.map(private))
            .map_err(state_error)
    }

    fn get_private_data_hash(
        &self,
        namespace: &str,
        collection: &str,
        key_hash: &[u8],
    ) -> fabric_sdk::Result<Option<HashedValue>> {
        Snapshot::get_private_data_hash(self, namespace, collection, key_hash)
            .map(|v| v.map(hashed))
            .map_err(state_error)
    }

    fn get_private_data_range(
        &self,
        namespace: &str,
        collection: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> fabric_sdk::Result<Vec<KeyValue<PrivateValue>>> {
        Snapshot::get_private_data_range(self, namespace, collection, start, end, limit)
            .map(|v| v.into_iter().map(|(k, v)| (k, private(v))).collect())
            .map_err(state_error)
    }

    fn get_history(
        &self,
        namespace: &str,
        key: &str,
    ) -> fabric_sdk::Result<Option<Vec<HistoryEntry>>> {
        Snapshot::get_history(self, namespace, key)
            .map(|v| v.map(|list| list.into_iter().map(history).collect()))
            .map_err(state_error)
    }
}

/// Which organisations hold the private data of which collection: `(namespace, collection)` →
/// member MSP IDs. Implicit collections `_implicit_org_<MSP>` belong to that MSP alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionMembers {
    members: BTreeMap<(String, String), BTreeSet<String>>,
}

impl CollectionMembers {
    /// No explicit collections.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares the members of `namespace`/`collection`.
    pub fn insert(
        &mut self,
        namespace: impl Into<String>,
        collection: impl Into<String>,
        members: impl IntoIterator<Item = String>,
    ) {
        self.members.insert(
            (namespace.into(), collection.into()),
            members.into_iter().collect(),
        );
    }

    /// Whether organisation `msp_id` holds the private data of `namespace`/`collection`.
    pub fn is_member(&self, msp_id: &str, namespace: &str, collection: &str) -> bool {
        if let Some(owner) = implicit_org_msp_id(collection) {
            return owner == msp_id;
        }
        self.members
            .get(&(namespace.to_owned(), collection.to_owned()))
            .is_some_and(|m| m.contains(msp_id))
    }

    /// Whether any organisation of `orgs` holds the collection's private data.
    pub fn any_member<'a>(
        &self,
        orgs: impl IntoIterator<Item = &'a str>,
        namespace: &str,
        collection: &str,
    ) -> bool {
        orgs.into_iter()
            .any(|o| self.is_member(o, namespace, collection))
    }
}

/// The state as the peer of organisation `msp_id` sees it: a snapshot whose private values are
/// hidden for collections the organisation is not a member of (their hashes stay visible).
#[derive(Debug, Clone)]
pub struct PeerView {
    snapshot: Arc<Snapshot>,
    msp_id: Arc<str>,
    members: Arc<CollectionMembers>,
}

impl PeerView {
    /// The view of `msp_id`'s peer over `snapshot`.
    pub fn new(snapshot: Arc<Snapshot>, msp_id: &str, members: Arc<CollectionMembers>) -> Self {
        PeerView {
            snapshot,
            msp_id: Arc::from(msp_id),
            members,
        }
    }

    /// The underlying snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    fn holds(&self, namespace: &str, collection: &str) -> bool {
        self.members.is_member(&self.msp_id, namespace, collection)
    }
}

impl StateReader for PeerView {
    fn get_state(&self, namespace: &str, key: &str) -> fabric_sdk::Result<Option<VersionedValue>> {
        StateReader::get_state(self.snapshot.as_ref(), namespace, key)
    }

    fn get_state_range(
        &self,
        namespace: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> fabric_sdk::Result<Vec<KeyValue<VersionedValue>>> {
        StateReader::get_state_range(self.snapshot.as_ref(), namespace, start, end, limit)
    }

    fn get_private_data(
        &self,
        namespace: &str,
        collection: &str,
        key: &str,
    ) -> fabric_sdk::Result<Option<PrivateValue>> {
        if !self.holds(namespace, collection) {
            return Ok(None);
        }
        StateReader::get_private_data(self.snapshot.as_ref(), namespace, collection, key)
    }

    fn get_private_data_hash(
        &self,
        namespace: &str,
        collection: &str,
        key_hash: &[u8],
    ) -> fabric_sdk::Result<Option<HashedValue>> {
        StateReader::get_private_data_hash(self.snapshot.as_ref(), namespace, collection, key_hash)
    }

    fn get_private_data_range(
        &self,
        namespace: &str,
        collection: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> fabric_sdk::Result<Vec<KeyValue<PrivateValue>>> {
        if !self.holds(namespace, collection) {
            return Ok(Vec::new());
        }
        StateReader::get_private_data_range(
            self.snapshot.as_ref(),
            namespace,
            collection,
            start,
            end,
            limit,
        )
    }

    fn get_history(
        &self,
        namespace: &str,
        key: &str,
    ) -> fabric_sdk::Result<Option<Vec<HistoryEntry>>> {
        StateReader::get_history(self.snapshot.as_ref(), namespace, key)
    }
}
