//! What the store reads and writes: versions, versioned values, private values and hashes,
//! history entries, and [`BlockUpdates`], the validated outcome of one block that the store
//! applies in one write transaction.
//!
//! The read types have the same shapes as `fabric_sdk::ledger::state` (the simulator's
//! `StateReader` trait), so that the store implements that trait with one-line methods once it
//! is merged.

use bytes::Bytes;
use fabric_protos::Timestamp;
use fabric_protos::protos::TxValidationCode;
use std::collections::BTreeMap;
use std::fmt;

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
}

/// Go's `version.Height` formatting: `{BlockNum: 5, TxNum: 0}`.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{BlockNum: {}, TxNum: {}}}",
            self.block_num, self.tx_num
        )
    }
}

/// Key-level metadata of a key (`VALIDATION_PARAMETER` → serialized policy), ordered by name.
pub type Metadata = BTreeMap<String, Bytes>;

/// A committed public value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionedValue {
    /// The value (never empty: an empty write is a delete).
    pub value: Bytes,
    /// Key-level metadata.
    pub metadata: Metadata,
    /// The version of the last write (of the value or of the metadata).
    pub version: Version,
}

/// A committed private value (held by this peer because its org is a collection member).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivateValue {
    /// The value.
    pub value: Bytes,
    /// The version of the last write.
    pub version: Version,
}

/// The committed hash of a private key (held by every peer of the channel).
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

/// Where a transaction id was committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// Block number.
    pub block_num: u64,
    /// Index in the block.
    pub tx_num: u64,
    /// The validation code recorded in the block's TRANSACTIONS_FILTER.
    pub code: TxValidationCode,
}

/// The chain's tip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainInfo {
    /// Number of blocks (the next block's number).
    pub height: u64,
    /// Header hash of the last block (the next block's `previous_hash`); empty when no block.
    pub current_block_hash: Bytes,
    /// `previous_hash` of the last block.
    pub previous_block_hash: Bytes,
}

/// The validated outcome of one block: one [`TxUpdates`] per transaction, in block order.
///
/// Produced by the validator (or a trivial committer in tests), applied by
/// [`Store::commit`](super::Store::commit) in the same write transaction as the block itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockUpdates {
    /// One entry per envelope of the block, in block order.
    pub txs: Vec<TxUpdates>,
}

impl BlockUpdates {
    /// Updates for `count` transactions that change no state, all with `code` and no txid (a
    /// config block, or a block whose transactions were all rejected).
    pub fn without_writes(count: usize, code: TxValidationCode) -> Self {
        BlockUpdates {
            txs: (0..count)
                .map(|_| TxUpdates {
                    code,
                    ..TxUpdates::default()
                })
                .collect(),
        }
    }

    /// The TRANSACTIONS_FILTER bytes: one validation code per transaction.
    pub fn transactions_filter(&self) -> Vec<u8> {
        self.txs.iter().map(|t| t.code as i32 as u8).collect()
    }
}

/// The outcome of one transaction. Writes are applied only when `code` is VALID; the txid is
/// indexed whatever the code (the first occurrence of a txid wins, as in Fabric's block index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxUpdates {
    /// The transaction id (empty for transactions without one, e.g. config).
    pub tx_id: String,
    /// The channel header timestamp (recorded in history entries).
    pub timestamp: Option<Timestamp>,
    /// The validation code.
    pub code: TxValidationCode,
    /// Public writes, deletes and metadata writes, in order.
    pub public: Vec<PublicWrite>,
    /// Private data hash writes (every peer applies these).
    pub hashed: Vec<HashedWrite>,
    /// Private values (only for collections this peer's org is a member of).
    pub private: Vec<PrivateWrite>,
    /// `PURGE_PRIVATE_DATA` of private keys.
    pub purges: Vec<PrivatePurge>,
    /// The transaction's private read-write sets per collection, kept per block for
    /// `DeliverWithPrivateData` (and purged with block-to-live).
    pub private_rwsets: Vec<CollectionPvtRwset>,
}

impl Default for TxUpdates {
    fn default() -> Self {
        TxUpdates {
            tx_id: String::new(),
            timestamp: None,
            code: TxValidationCode::Valid,
            public: Vec::new(),
            hashed: Vec::new(),
            private: Vec::new(),
            purges: Vec::new(),
            private_rwsets: Vec::new(),
        }
    }
}

/// A final write to a public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicWrite {
    /// Namespace (chaincode name).
    pub namespace: String,
    /// Key.
    pub key: String,
    /// What happens to it.
    pub op: WriteOp,
}

/// The operation of a write, as Fabric's committer applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// A new value. `metadata: None` keeps the key's committed metadata (a value-only write);
    /// `Some(map)` replaces it (an empty map removes it).
    Put {
        /// The value (must not be empty: an empty write is a [`WriteOp::Delete`]).
        value: Bytes,
        /// New metadata, or `None` to keep the committed one.
        metadata: Option<Metadata>,
    },
    /// Delete the key (value and metadata).
    Delete,
    /// Replace the key's metadata only; ignored when the key does not exist.
    Metadata(Metadata),
}

/// A write to the hash of a private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedWrite {
    /// Namespace.
    pub namespace: String,
    /// Collection.
    pub collection: String,
    /// SHA-256 of the key.
    pub key_hash: Bytes,
    /// The operation; `Put.value` is the SHA-256 of the value.
    pub op: WriteOp,
    /// The collection's block-to-live (0 = never expires).
    pub block_to_live: u64,
}

/// A write to a private value (member peers only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateWrite {
    /// Namespace.
    pub namespace: String,
    /// Collection.
    pub collection: String,
    /// Key.
    pub key: String,
    /// The value, or `None` to delete.
    pub value: Option<Bytes>,
    /// The collection's block-to-live (0 = never expires).
    pub block_to_live: u64,
}

/// `PURGE_PRIVATE_DATA`: removes the private value and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivatePurge {
    /// Namespace.
    pub namespace: String,
    /// Collection.
    pub collection: String,
    /// SHA-256 of the key.
    pub key_hash: Bytes,
}

/// One collection's private read-write set of a transaction (`CollectionPvtReadWriteSet.rwset`,
/// a serialized `kvrwset.KVRWSet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionPvtRwset {
    /// Namespace.
    pub namespace: String,
    /// Collection.
    pub collection: String,
    /// Serialized `kvrwset.KVRWSet`, as endorsed.
    pub rwset: Bytes,
    /// The collection's block-to-live (0 = never expires).
    pub block_to_live: u64,
}
