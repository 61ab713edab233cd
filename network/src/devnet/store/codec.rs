//! Byte layout of the store's keys and values.
//!
//! Keys are ordered bytewise by redb, so every composite key is built to sort the way it is
//! scanned: `namespace ‖ 0x00 ‖ key` keeps one namespace's keys together in key order
//! (namespaces and collection names never contain 0x00; keys may, composite keys start with
//! it). Numbers are big-endian so they sort numerically. Values are small protobuf messages
//! (prost derive): decoding damaged bytes gives an error, never a panic.

use super::types::{Metadata, Version};
use crate::error::{Error, Result};
use bytes::Bytes;
use prost::Message;
use std::collections::BTreeMap;

/// `namespace ‖ 0x00 ‖ key`.
pub(super) fn state_key(namespace: &str, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(namespace.len() + 1 + key.len());
    k.extend_from_slice(namespace.as_bytes());
    k.push(0);
    k.extend_from_slice(key.as_bytes());
    k
}

/// `namespace ‖ 0x00 ‖ collection ‖ 0x00 ‖ item`.
pub(super) fn collection_key(namespace: &str, collection: &str, item: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(namespace.len() + collection.len() + 2 + item.len());
    k.extend_from_slice(namespace.as_bytes());
    k.push(0);
    k.extend_from_slice(collection.as_bytes());
    k.push(0);
    k.extend_from_slice(item);
    k
}

/// The `[lo, hi)` byte range of the keys `prefix ‖ k` with `start ≤ k < end` (`end == ""`: up
/// to the end of the prefix). `prefix` ends with 0x00.
pub(super) fn prefixed_range(prefix: &[u8], start: &str, end: &str) -> (Vec<u8>, Vec<u8>) {
    let mut lo = prefix.to_vec();
    lo.extend_from_slice(start.as_bytes());
    let hi = if end.is_empty() {
        // The prefix with its final 0x00 turned into 0x01: just past every `prefix ‖ k`.
        let mut hi = prefix.to_vec();
        if let Some(last) = hi.last_mut() {
            *last = 1;
        }
        hi
    } else {
        let mut hi = prefix.to_vec();
        hi.extend_from_slice(end.as_bytes());
        hi
    };
    (lo, hi)
}

/// `namespace ‖ 0x00 ‖ len(key) as u32 BE ‖ key`: the prefix of one key's history entries
/// (the length makes a key never a prefix of another key's entries).
pub(super) fn history_prefix(namespace: &str, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(namespace.len() + 5 + key.len() + 16);
    k.extend_from_slice(namespace.as_bytes());
    k.push(0);
    k.extend_from_slice(&(key.len() as u32).to_be_bytes());
    k.extend_from_slice(key.as_bytes());
    k
}

/// A history entry's key: the key's prefix, then block and transaction number.
pub(super) fn history_key(namespace: &str, key: &str, version: Version) -> Vec<u8> {
    let mut k = history_prefix(namespace, key);
    k.extend_from_slice(&version.block_num.to_be_bytes());
    k.extend_from_slice(&version.tx_num.to_be_bytes());
    k
}

/// `block BE ‖ tx BE ‖ namespace ‖ 0x00 ‖ collection`: a block's private read-write set of
/// one collection.
pub(super) fn block_pvt_key(block: u64, tx: u64, namespace: &str, collection: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(16 + namespace.len() + 1 + collection.len());
    k.extend_from_slice(&block.to_be_bytes());
    k.extend_from_slice(&tx.to_be_bytes());
    k.extend_from_slice(namespace.as_bytes());
    k.push(0);
    k.extend_from_slice(collection.as_bytes());
    k
}

/// Splits a [`block_pvt_key`] back into (tx, namespace, collection).
pub(super) fn split_block_pvt_key(k: &[u8]) -> Result<(u64, String, String)> {
    let bad = || Error::Corrupt {
        what: "block private data key".into(),
        reason: format!("{} bytes", k.len()),
    };
    let tx = k
        .get(8..16)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(bad)?;
    let rest = k.get(16..).ok_or_else(bad)?;
    let sep = rest.iter().position(|&b| b == 0).ok_or_else(bad)?;
    let ns = String::from_utf8(rest[..sep].to_vec()).map_err(|_| bad())?;
    let coll = String::from_utf8(rest[sep + 1..].to_vec()).map_err(|_| bad())?;
    Ok((tx, ns, coll))
}

/// Kinds of expiry bookkeeping entries.
pub(super) const EXPIRE_HASH: u8 = 0;
pub(super) const EXPIRE_PRIVATE: u8 = 1;
pub(super) const EXPIRE_BLOCK_PVT: u8 = 2;

/// `expiry block BE ‖ kind ‖ target key`: purge `target` when committing `expiry`.
pub(super) fn expiry_key(expiry: u64, kind: u8, target: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + target.len());
    k.extend_from_slice(&expiry.to_be_bytes());
    k.push(kind);
    k.extend_from_slice(target);
    k
}

/// Splits an [`expiry_key`] into (expiry block, kind, target key).
pub(super) fn split_expiry_key(k: &[u8]) -> Result<(u64, u8, &[u8])> {
    match (k.get(..8), k.get(8), k.get(9..)) {
        (Some(n), Some(&kind), Some(target)) => {
            let mut b = [0u8; 8];
            b.copy_from_slice(n);
            Ok((u64::from_be_bytes(b), kind, target))
        }
        _ => Err(Error::Corrupt {
            what: "expiry key".into(),
            reason: format!("{} bytes", k.len()),
        }),
    }
}

/// A state, private or hash entry: value (or value hash), metadata, version.
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredValue {
    #[prost(uint64, tag = "1")]
    pub block: u64,
    #[prost(uint64, tag = "2")]
    pub tx: u64,
    #[prost(bytes = "vec", tag = "3")]
    pub value: Vec<u8>,
    #[prost(btree_map = "string, bytes", tag = "4")]
    pub metadata: BTreeMap<String, Vec<u8>>,
}

impl StoredValue {
    pub fn new(value: &[u8], metadata: &Metadata, version: Version) -> Self {
        StoredValue {
            block: version.block_num,
            tx: version.tx_num,
            value: value.to_vec(),
            metadata: metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.to_vec()))
                .collect(),
        }
    }

    pub fn version(&self) -> Version {
        Version::new(self.block, self.tx)
    }

    pub fn metadata(&self) -> Metadata {
        self.metadata
            .iter()
            .map(|(k, v)| (k.clone(), Bytes::copy_from_slice(v)))
            .collect()
    }
}

/// A history entry.
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredHistory {
    #[prost(string, tag = "1")]
    pub tx_id: String,
    #[prost(bool, tag = "2")]
    pub is_delete: bool,
    #[prost(message, optional, tag = "3")]
    pub timestamp: Option<fabric_protos::Timestamp>,
    #[prost(bytes = "vec", tag = "4")]
    pub value: Vec<u8>,
}

/// A transaction index entry.
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredTx {
    #[prost(uint64, tag = "1")]
    pub block: u64,
    #[prost(uint64, tag = "2")]
    pub tx: u64,
    #[prost(int32, tag = "3")]
    pub code: i32,
}

/// An expiry entry: the version that was written (a newer write is not purged).
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredExpiry {
    #[prost(uint64, tag = "1")]
    pub block: u64,
    #[prost(uint64, tag = "2")]
    pub tx: u64,
}

/// The chain tip.
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredChain {
    #[prost(uint64, tag = "1")]
    pub height: u64,
    #[prost(bytes = "vec", tag = "2")]
    pub current_hash: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub previous_hash: Vec<u8>,
}

/// Decodes a stored value, naming the table in the error.
pub(super) fn decode<M: Message + Default>(what: &str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| Error::Corrupt {
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

/// A stored key back to a string (keys are UTF-8 in Fabric).
pub(super) fn key_string(what: &str, bytes: &[u8]) -> Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::Corrupt {
        what: what.to_owned(),
        reason: "key is not UTF-8".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_like_fabric_ranges() {
        let a = state_key("cc", "a");
        let b = state_key("cc", "b");
        let composite = state_key("cc", "\u{0}color\u{0}blue\u{0}");
        let other_ns = state_key("cc2", "a");
        assert!(composite < a && a < b && b < other_ns);
        let (lo, hi) = prefixed_range(&state_key("cc", ""), "", "");
        for k in [&a, &b, &composite] {
            assert!(k >= &lo && k < &hi);
        }
        assert!(other_ns >= hi);
        let (lo, hi) = prefixed_range(&state_key("cc", ""), "a", "b");
        assert!(a >= lo && a < hi && b >= hi);
    }

    #[test]
    fn history_prefixes_do_not_overlap() {
        let k1 = history_key("cc", "x", Version::new(1, 0));
        let p2 = history_prefix("cc", "x\u{0}");
        assert!(!k1.starts_with(&p2));
        assert!(k1.starts_with(&history_prefix("cc", "x")));
    }

    #[test]
    fn split_keys_round_trip_and_reject_garbage() {
        let k = block_pvt_key(5, 3, "cc", "coll");
        assert_eq!(
            split_block_pvt_key(&k).unwrap(),
            (3, "cc".into(), "coll".into())
        );
        assert!(split_block_pvt_key(&[1, 2, 3]).is_err());
        let e = expiry_key(9, EXPIRE_HASH, b"abc");
        assert_eq!(split_expiry_key(&e).unwrap(), (9, EXPIRE_HASH, &b"abc"[..]));
        assert!(split_expiry_key(&[0; 8]).is_err());
        assert!(decode::<StoredValue>("state", &[0xff, 0xff]).is_err());
    }
}
