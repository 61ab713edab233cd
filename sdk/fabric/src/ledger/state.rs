//! Committed state as the simulator and the validator see it: versions, versioned values,
//! private data and their hashes, key history, and the [`StateReader`] trait a state database
//! implements (in memory: [`MemoryState`](super::MemoryState); on disk: the devnet's store).
//!
//! The model is Fabric's LevelDB state database:
//! - public state: `(namespace, key) → (value, metadata, version)`, keys ordered bytewise;
//! - private data: `(namespace, collection, key) → (value, version)`, readable only on peers
//!   that hold the collection;
//! - private data hashes: `(namespace, collection, SHA-256(key)) → (SHA-256(value), metadata,
//!   version)`, on every peer of the channel (key-level metadata of private keys lives here);
//! - history: per public key, every committed write, newest first.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use fabric_protos::Timestamp;
use fabric_protos::kvrwset;
use fabric_protos::queryresult::KeyModification;

use crate::Result;

/// The height of the transaction that last wrote a key: block number and index in the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// Block number.
    pub block_num: u64,
    /// Index of the transaction in the block.
    pub tx_num: u64,
}

impl Version {
    /// A version at `block_num`, transaction `tx_num`.
    pub const fn new(block_num: u64, tx_num: u64) -> Self {
        Version { block_num, tx_num }
    }

    /// The `kvrwset.Version` message.
    pub fn to_proto(self) -> kvrwset::Version {
        kvrwset::Version {
            block_num: self.block_num,
            tx_num: self.tx_num,
        }
    }

    /// From a `kvrwset.Version` message.
    pub fn from_proto(v: &kvrwset::Version) -> Self {
        Version::new(v.block_num, v.tx_num)
    }
}

/// Go's `version.Height` formatting, used in Fabric's error texts: `{BlockNum: 5, TxNum: 0}`.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{BlockNum: {}, TxNum: {}}}",
            self.block_num, self.tx_num
        )
    }
}

/// Go's formatting of an optional height (`<nil>` when absent).
pub(crate) fn fmt_version(v: Option<Version>) -> String {
    v.map_or_else(|| "<nil>".to_string(), |v| v.to_string())
}

/// Key-level metadata of a key (`VALIDATION_PARAMETER` → serialized policy), ordered by name.
pub type Metadata = BTreeMap<String, Bytes>;

/// A committed public value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionedValue {
    /// The value (never empty: an empty write is a delete).
    pub value: Bytes,
    /// Key-level metadata (e.g. a key-level endorsement policy).
    pub metadata: Metadata,
    /// The version of the last write (of the value or of the metadata).
    pub version: Version,
}

/// A committed private value, as held by peers that are members of the collection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivateValue {
    /// The value.
    pub value: Bytes,
    /// The version; it equals the version of the key's hash when the peer is up to date.
    pub version: Version,
}

/// The committed hash of a private key, held by every peer of the channel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HashedValue {
    /// SHA-256 of the private value.
    pub value_hash: Bytes,
    /// Key-level metadata of the private key.
    pub metadata: Metadata,
    /// The version of the last write.
    pub version: Version,
}

/// One committed write of a public key, as `GET_HISTORY_FOR_KEY` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryEntry {
    /// The transaction that wrote it.
    pub tx_id: String,
    /// The value written (empty for a delete).
    pub value: Bytes,
    /// The transaction's channel header timestamp.
    pub timestamp: Option<Timestamp>,
    /// Whether the write was a delete.
    pub is_delete: bool,
}

impl HistoryEntry {
    /// The `queryresult.KeyModification` message.
    pub fn to_key_modification(&self) -> KeyModification {
        KeyModification {
            tx_id: self.tx_id.clone(),
            value: self.value.clone(),
            timestamp: self.timestamp,
            is_delete: self.is_delete,
        }
    }
}

/// A key/value pair returned by a range read.
pub type KeyValue<V> = (String, V);

/// Read access to committed state, the way a transaction simulator and the block validator
/// need it. Synchronous and free of I/O policy: an implementation over redb or LevelDB opens a
/// read transaction (a snapshot) and answers from it.
///
/// While one simulation or one block validation runs, the reader must present one consistent
/// snapshot (Fabric holds the commit lock during a simulation).
///
/// Range reads return at most `limit` entries (`limit ≥ 1`) with `start ≤ key < end` in bytewise
/// key order; `end == ""` means "to the end of the namespace". To read the next page, call again
/// with `start = `[`key_after`]`(last key)`. A result shorter than `limit` means the range is
/// exhausted.
pub trait StateReader: Send + Sync {
    /// The committed public value of `(namespace, key)`.
    fn get_state(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>>;

    /// Up to `limit` public entries of `namespace` with `start ≤ key < end` (`end == ""`: no upper
    /// bound), in key order.
    fn get_state_range(
        &self,
        namespace: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<KeyValue<VersionedValue>>>;

    /// The private value of `(namespace, collection, key)` if this peer holds it.
    fn get_private_data(
        &self,
        namespace: &str,
        collection: &str,
        key: &str,
    ) -> Result<Option<PrivateValue>>;

    /// The committed hash entry of a private key, by the SHA-256 of the key.
    fn get_private_data_hash(
        &self,
        namespace: &str,
        collection: &str,
        key_hash: &[u8],
    ) -> Result<Option<HashedValue>>;

    /// Up to `limit` private entries of the collection with `start ≤ key < end` (`end == ""`: no
    /// upper bound), in key order.
    fn get_private_data_range(
        &self,
        namespace: &str,
        collection: &str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<KeyValue<PrivateValue>>>;

    /// Every committed write of a public key, newest first; `None` when this state keeps no
    /// history (Fabric: history database disabled).
    fn get_history(&self, namespace: &str, key: &str) -> Result<Option<Vec<HistoryEntry>>>;
}

/// The smallest key greater than `key` (`key` followed by U+0000): the `start` of the next page
/// of a range read.
pub fn key_after(key: &str) -> String {
    let mut next = String::with_capacity(key.len() + 1);
    next.push_str(key);
    next.push('\0');
    next
}

/// Whether `key` lies in `[start, end)` (`end == ""`: no upper bound).
pub fn in_range(key: &str, start: &str, end: &str) -> bool {
    key >= start && (end.is_empty() || key < end)
}

macro_rules! forward_reader {
    ($($ty:ty),*) => {$(
        impl<T: StateReader + ?Sized> StateReader for $ty {
            fn get_state(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>> {
                (**self).get_state(namespace, key)
            }
            fn get_state_range(
                &self,
                namespace: &str,
                start: &str,
                end: &str,
                limit: usize,
            ) -> Result<Vec<KeyValue<VersionedValue>>> {
                (**self).get_state_range(namespace, start, end, limit)
            }
            fn get_private_data(
                &self,
                namespace: &str,
                collection: &str,
                key: &str,
            ) -> Result<Option<PrivateValue>> {
                (**self).get_private_data(namespace, collection, key)
            }
            fn get_private_data_hash(
                &self,
                namespace: &str,
                collection: &str,
                key_hash: &[u8],
            ) -> Result<Option<HashedValue>> {
                (**self).get_private_data_hash(namespace, collection, key_hash)
            }
            fn get_private_data_range(
                &self,
                namespace: &str,
                collection: &str,
                start: &str,
                end: &str,
                limit: usize,
            ) -> Result<Vec<KeyValue<PrivateValue>>> {
                (**self).get_private_data_range(namespace, collection, start, end, limit)
            }
            fn get_history(&self, namespace: &str, key: &str) -> Result<Option<Vec<HistoryEntry>>> {
                (**self).get_history(namespace, key)
            }
        }
    )*};
}

forward_reader!(&T, Box<T>, Arc<T>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_order_and_go_format() {
        assert!(Version::new(1, 5) < Version::new(2, 0));
        assert!(Version::new(2, 0) < Version::new(2, 1));
        assert_eq!(Version::new(5, 1).to_string(), "{BlockNum: 5, TxNum: 1}");
        assert_eq!(fmt_version(None), "<nil>");
        let p = Version::new(7, 3).to_proto();
        assert_eq!(Version::from_proto(&p), Version::new(7, 3));
    }

    #[test]
    fn ranges() {
        assert_eq!(key_after("a"), "a\0");
        assert!("a\0" > "a" && "a\0" < "a\u{1}");
        assert!(in_range("b", "a", "c"));
        assert!(in_range("a", "a", "c"));
        assert!(!in_range("c", "a", "c"));
        assert!(in_range("zzz", "a", ""));
        assert!(!in_range("", "a", ""));
    }
}
