//! Read-write sets: building them exactly as a Fabric peer does (`RWSetBuilder`), and their
//! decoded form for validation and commit.
//!
//! Fabric's layout rules, reproduced here:
//! - namespaces sorted by name; a namespace appears as soon as anything (a read, a write, a range
//!   query, a private read or write) touched it, even if its public `KVRWSet` is empty;
//! - in a `KVRWSet`: reads, writes and metadata writes sorted by key, one entry per key (the last
//!   one wins); range query infos in the order the iterators were opened, one per distinct
//!   `(start, end, exhausted)`;
//! - collections sorted by name; inside a `HashedRWSet` the entries are sorted by the **plain**
//!   key (Fabric keys its maps by key, not by key hash);
//! - a write with an empty value is a delete (`is_delete = true`);
//! - `pvt_rwset_hash` = SHA-256 of the serialized private `KVRWSet` of the collection; a
//!   collection that was only read has none.

use std::collections::BTreeMap;

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::kvrwset::{
    HashedRwSet, KvMetadataEntry, KvMetadataWrite, KvMetadataWriteHash, KvRead, KvReadHash,
    KvWrite, KvWriteHash, KvrwSet, RangeQueryInfo,
};
use fabric_protos::rwset::{
    CollectionHashedReadWriteSet, CollectionPvtReadWriteSet, NsPvtReadWriteSet, NsReadWriteSet,
    TxPvtReadWriteSet, TxReadWriteSet,
};

use super::state::{Metadata, Version};
use crate::crypto::sha256;
use crate::{Error, Result};

/// SHA-256 of a key, as the hashed read-write set and the hash store key it.
pub fn key_hash(key: &str) -> Bytes {
    Bytes::copy_from_slice(&sha256(key.as_bytes()))
}

fn metadata_entries(metadata: &Metadata) -> Vec<KvMetadataEntry> {
    metadata
        .iter()
        .map(|(name, value)| KvMetadataEntry {
            name: name.clone(),
            value: value.clone(),
        })
        .collect()
}

#[derive(Debug, Default)]
struct NsBuilder {
    reads: BTreeMap<String, Option<Version>>,
    writes: BTreeMap<String, Bytes>,
    metadata_writes: BTreeMap<String, Metadata>,
    range_queries: Vec<RangeQueryInfo>,
    collections: BTreeMap<String, CollHashedBuilder>,
}

#[derive(Debug, Default)]
struct CollHashedBuilder {
    reads: BTreeMap<String, KvReadHash>,
    writes: BTreeMap<String, KvWriteHash>,
    metadata_writes: BTreeMap<String, KvMetadataWriteHash>,
}

#[derive(Debug, Default)]
struct CollPvtBuilder {
    writes: BTreeMap<String, KvWrite>,
    metadata_writes: BTreeMap<String, KvMetadataWrite>,
}

/// Collects what a simulation read and wrote (Fabric's `RWSetBuilder`).
#[derive(Debug, Default)]
pub(crate) struct RwSetBuilder {
    public: BTreeMap<String, NsBuilder>,
    private: BTreeMap<String, BTreeMap<String, CollPvtBuilder>>,
}

/// The two read-write sets of a simulation.
#[derive(Debug, Clone)]
pub(crate) struct BuiltRwSets {
    pub(crate) public: Bytes,
    pub(crate) private: Option<TxPvtReadWriteSet>,
}

impl RwSetBuilder {
    fn ns(&mut self, ns: &str) -> &mut NsBuilder {
        self.public.entry(ns.to_string()).or_default()
    }

    fn coll(&mut self, ns: &str, coll: &str) -> &mut CollHashedBuilder {
        self.ns(ns).collections.entry(coll.to_string()).or_default()
    }

    fn pvt(&mut self, ns: &str, coll: &str) -> &mut CollPvtBuilder {
        self.private
            .entry(ns.to_string())
            .or_default()
            .entry(coll.to_string())
            .or_default()
    }

    /// Records a public read with the version read (`None`: the key did not exist).
    pub(crate) fn add_read(&mut self, ns: &str, key: &str, version: Option<Version>) {
        self.ns(ns).reads.insert(key.to_string(), version);
    }

    /// Records a public write; an empty value is a delete.
    pub(crate) fn add_write(&mut self, ns: &str, key: &str, value: Bytes) {
        self.ns(ns).writes.insert(key.to_string(), value);
    }

    /// Records the complete new metadata of a public key.
    pub(crate) fn add_metadata_write(&mut self, ns: &str, key: &str, metadata: Metadata) {
        self.ns(ns)
            .metadata_writes
            .insert(key.to_string(), metadata);
    }

    /// Records a range query (once per distinct start, end and exhaustion).
    pub(crate) fn add_range_query(&mut self, ns: &str, rqi: RangeQueryInfo) {
        let b = self.ns(ns);
        let seen = b.range_queries.iter().any(|q| {
            q.start_key == rqi.start_key
                && q.end_key == rqi.end_key
                && q.itr_exhausted == rqi.itr_exhausted
        });
        if !seen {
            b.range_queries.push(rqi);
        }
    }

    /// Records a read of a private key by hash.
    pub(crate) fn add_hashed_read(
        &mut self,
        ns: &str,
        coll: &str,
        key: &str,
        version: Option<Version>,
    ) {
        let read = KvReadHash {
            key_hash: key_hash(key),
            version: version.map(Version::to_proto),
        };
        self.coll(ns, coll).reads.insert(key.to_string(), read);
    }

    /// Records a private write (empty value: delete) in the private set and its hash.
    pub(crate) fn add_private_write(&mut self, ns: &str, coll: &str, key: &str, value: Bytes) {
        self.private_write(ns, coll, key, value, false);
    }

    /// Records a purge of a private key.
    pub(crate) fn add_private_purge(&mut self, ns: &str, coll: &str, key: &str) {
        self.private_write(ns, coll, key, Bytes::new(), true);
    }

    fn private_write(&mut self, ns: &str, coll: &str, key: &str, value: Bytes, purge: bool) {
        let is_delete = value.is_empty();
        let hash = KvWriteHash {
            key_hash: key_hash(key),
            is_delete,
            value_hash: if is_delete {
                Bytes::new()
            } else {
                Bytes::copy_from_slice(&sha256(&value))
            },
            is_purge: purge,
        };
        self.pvt(ns, coll).writes.insert(
            key.to_string(),
            KvWrite {
                key: key.to_string(),
                is_delete,
                value,
            },
        );
        self.coll(ns, coll).writes.insert(key.to_string(), hash);
    }

    /// Records new metadata of a private key: the hashed set carries the entries, the private
    /// set only the key (so that the private value's version moves with it).
    pub(crate) fn add_private_metadata_write(
        &mut self,
        ns: &str,
        coll: &str,
        key: &str,
        metadata: &Metadata,
    ) {
        self.pvt(ns, coll).metadata_writes.insert(
            key.to_string(),
            KvMetadataWrite {
                key: key.to_string(),
                entries: Vec::new(),
            },
        );
        let hashed = KvMetadataWriteHash {
            key_hash: key_hash(key),
            entries: metadata_entries(metadata),
        };
        self.coll(ns, coll)
            .metadata_writes
            .insert(key.to_string(), hashed);
    }

    /// Every `(namespace, collection)` that has a hashed read-write set.
    pub(crate) fn collection_names(&self) -> std::collections::BTreeSet<(String, String)> {
        self.public
            .iter()
            .flat_map(|(ns, b)| b.collections.keys().map(move |c| (ns.clone(), c.clone())))
            .collect()
    }

    /// Builds the serialized public `TxReadWriteSet` and the private `TxPvtReadWriteSet`.
    pub(crate) fn build(self) -> BuiltRwSets {
        let mut pvt_hashes: BTreeMap<(String, String), Bytes> = BTreeMap::new();
        let mut ns_pvt = Vec::with_capacity(self.private.len());
        for (ns, colls) in self.private {
            let mut collection_pvt_rwset = Vec::with_capacity(colls.len());
            for (coll, b) in colls {
                let kv = KvrwSet {
                    reads: Vec::new(),
                    range_queries_info: Vec::new(),
                    writes: b.writes.into_values().collect(),
                    metadata_writes: b.metadata_writes.into_values().collect(),
                };
                let rwset = Bytes::from(kv.encode_to_vec());
                pvt_hashes.insert(
                    (ns.clone(), coll.clone()),
                    Bytes::copy_from_slice(&sha256(&rwset)),
                );
                collection_pvt_rwset.push(CollectionPvtReadWriteSet {
                    collection_name: coll,
                    rwset,
                });
            }
            ns_pvt.push(NsPvtReadWriteSet {
                namespace: ns,
                collection_pvt_rwset,
            });
        }
        let private = (!ns_pvt.is_empty()).then(|| TxPvtReadWriteSet {
            data_model: 0,
            ns_pvt_rwset: ns_pvt,
        });

        let mut ns_rwset = Vec::with_capacity(self.public.len());
        for (ns, b) in self.public {
            let kv = KvrwSet {
                reads: b
                    .reads
                    .into_iter()
                    .map(|(key, v)| KvRead {
                        key,
                        version: v.map(Version::to_proto),
                    })
                    .collect(),
                range_queries_info: b.range_queries,
                writes: b
                    .writes
                    .into_iter()
                    .map(|(key, value)| KvWrite {
                        key,
                        is_delete: value.is_empty(),
                        value,
                    })
                    .collect(),
                metadata_writes: b
                    .metadata_writes
                    .into_iter()
                    .map(|(key, m)| KvMetadataWrite {
                        entries: metadata_entries(&m),
                        key,
                    })
                    .collect(),
            };
            let collection_hashed_rwset = b
                .collections
                .into_iter()
                .map(|(coll, c)| {
                    let hashed = HashedRwSet {
                        hashed_reads: c.reads.into_values().collect(),
                        hashed_writes: c.writes.into_values().collect(),
                        metadata_writes: c.metadata_writes.into_values().collect(),
                    };
                    let pvt_rwset_hash = pvt_hashes
                        .get(&(ns.clone(), coll.clone()))
                        .cloned()
                        .unwrap_or_default();
                    CollectionHashedReadWriteSet {
                        collection_name: coll,
                        hashed_rwset: hashed.encode_to_vec().into(),
                        pvt_rwset_hash,
                    }
                })
                .collect();
            ns_rwset.push(NsReadWriteSet {
                namespace: ns,
                rwset: kv.encode_to_vec().into(),
                collection_hashed_rwset,
            });
        }
        let public = TxReadWriteSet {
            data_model: 0,
            ns_rwset,
        }
        .encode_to_vec()
        .into();
        BuiltRwSets { public, private }
    }
}

/// A decoded `rwset.TxReadWriteSet` (the public read-write set of a transaction, with the hashed
/// private parts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TxRwSet {
    /// Per namespace, in the order of the transaction.
    pub namespaces: Vec<NsRwSet>,
}

/// The read-write set of one namespace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NsRwSet {
    /// The namespace (chaincode name).
    pub namespace: String,
    /// Public reads, range queries, writes and metadata writes.
    pub kv: KvrwSet,
    /// Hashed read-write sets of private data collections.
    pub collections: Vec<CollHashedRwSet>,
}

/// The hashed read-write set of one collection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollHashedRwSet {
    /// Collection name.
    pub collection: String,
    /// Hashed reads, writes and metadata writes.
    pub hashed: HashedRwSet,
    /// SHA-256 of the collection's private `KVRWSet` bytes (empty if nothing was written).
    pub pvt_rwset_hash: Bytes,
}

fn decode<M: Message + Default>(what: &'static str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(Error::decode(what))
}

impl TxRwSet {
    /// Decodes `ChaincodeAction.results` (a serialized `rwset.TxReadWriteSet`).
    pub fn decode(results: &[u8]) -> Result<Self> {
        let tx: TxReadWriteSet = decode("rwset.TxReadWriteSet", results)?;
        if tx.data_model != 0 {
            return Err(Error::State(format!(
                "read-write set data model {} is not KV (0)",
                tx.data_model
            )));
        }
        let mut namespaces = Vec::with_capacity(tx.ns_rwset.len());
        for ns in tx.ns_rwset {
            let kv: KvrwSet = decode("kvrwset.KVRWSet", &ns.rwset)?;
            let mut collections = Vec::with_capacity(ns.collection_hashed_rwset.len());
            for c in ns.collection_hashed_rwset {
                collections.push(CollHashedRwSet {
                    hashed: decode("kvrwset.HashedRWSet", &c.hashed_rwset)?,
                    collection: c.collection_name,
                    pvt_rwset_hash: c.pvt_rwset_hash,
                });
            }
            namespaces.push(NsRwSet {
                namespace: ns.namespace,
                kv,
                collections,
            });
        }
        Ok(TxRwSet { namespaces })
    }

    /// The pvt_rwset_hash recorded for `(namespace, collection)`, if the collection is present.
    pub fn pvt_rwset_hash(&self, namespace: &str, collection: &str) -> Option<&Bytes> {
        self.namespaces
            .iter()
            .find(|n| n.namespace == namespace)?
            .collections
            .iter()
            .find(|c| c.collection == collection)
            .map(|c| &c.pvt_rwset_hash)
    }
}

/// A decoded `rwset.TxPvtReadWriteSet`: the private writes of a transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TxPvtRwSet {
    /// Per namespace.
    pub namespaces: Vec<NsPvtRwSet>,
}

/// The private writes of one namespace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NsPvtRwSet {
    /// The namespace.
    pub namespace: String,
    /// Per collection.
    pub collections: Vec<CollPvtRwSet>,
}

/// The private writes of one collection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollPvtRwSet {
    /// Collection name.
    pub collection: String,
    /// The serialized `KVRWSet` as received (its SHA-256 must equal the public
    /// `pvt_rwset_hash`).
    pub rwset: Bytes,
    /// The decoded writes and metadata writes.
    pub kv: KvrwSet,
}

impl TxPvtRwSet {
    /// Decodes a serialized `rwset.TxPvtReadWriteSet`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        Self::from_proto(&decode("rwset.TxPvtReadWriteSet", bytes)?)
    }

    /// Decodes the collection sets of a `rwset.TxPvtReadWriteSet` message.
    pub fn from_proto(p: &TxPvtReadWriteSet) -> Result<Self> {
        let mut namespaces = Vec::with_capacity(p.ns_pvt_rwset.len());
        for ns in &p.ns_pvt_rwset {
            let mut collections = Vec::with_capacity(ns.collection_pvt_rwset.len());
            for c in &ns.collection_pvt_rwset {
                collections.push(CollPvtRwSet {
                    collection: c.collection_name.clone(),
                    kv: decode("kvrwset.KVRWSet", &c.rwset)?,
                    rwset: c.rwset.clone(),
                });
            }
            namespaces.push(NsPvtRwSet {
                namespace: ns.namespace.clone(),
                collections,
            });
        }
        Ok(TxPvtRwSet { namespaces })
    }

    /// The private set of `(namespace, collection)`.
    pub fn collection(&self, namespace: &str, collection: &str) -> Option<&CollPvtRwSet> {
        self.namespaces
            .iter()
            .find(|n| n.namespace == namespace)?
            .collections
            .iter()
            .find(|c| c.collection == collection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_sorted_and_deduplicated() {
        let mut b = RwSetBuilder::default();
        b.add_read("zz", "b", Some(Version::new(1, 0)));
        b.add_read("zz", "a", None);
        b.add_read("zz", "b", Some(Version::new(2, 0)));
        b.add_write("aa", "k2", Bytes::from_static(b"v"));
        b.add_write("aa", "k1", Bytes::new());
        b.add_private_write("mm", "c2", "y", Bytes::from_static(b"1"));
        b.add_private_write("mm", "c1", "x", Bytes::from_static(b"2"));
        b.add_hashed_read("mm", "c3", "z", None);
        for _ in 0..2 {
            b.add_range_query(
                "zz",
                RangeQueryInfo {
                    start_key: "a".into(),
                    ..Default::default()
                },
            );
        }
        let built = b.build();
        let tx = TxRwSet::decode(&built.public).unwrap();
        let names: Vec<_> = tx.namespaces.iter().map(|n| n.namespace.as_str()).collect();
        assert_eq!(names, ["aa", "mm", "zz"]);
        let aa = &tx.namespaces[0].kv;
        assert_eq!(aa.writes[0].key, "k1");
        assert!(aa.writes[0].is_delete);
        assert!(!aa.writes[1].is_delete);
        let mm = &tx.namespaces[1];
        assert!(mm.kv == KvrwSet::default());
        let colls: Vec<_> = mm
            .collections
            .iter()
            .map(|c| c.collection.as_str())
            .collect();
        assert_eq!(colls, ["c1", "c2", "c3"]);
        assert!(mm.collections[2].pvt_rwset_hash.is_empty());
        let zz = &tx.namespaces[2].kv;
        assert_eq!(zz.reads.len(), 2);
        assert_eq!(zz.reads[1].version, Some(Version::new(2, 0).to_proto()));
        assert_eq!(zz.range_queries_info.len(), 1);
        let pvt = TxPvtRwSet::from_proto(built.private.as_ref().unwrap()).unwrap();
        let c1 = pvt.collection("mm", "c1").unwrap();
        assert_eq!(
            mm.collections[0].pvt_rwset_hash.as_ref(),
            &sha256(&c1.rwset)[..]
        );
    }

    #[test]
    fn hashed_entries_sort_by_plain_key() {
        // sha256("b") < sha256("a"), but Fabric orders by the plain key.
        assert!(key_hash("b") < key_hash("a"));
        let mut b = RwSetBuilder::default();
        b.add_private_write("ns", "c", "b", Bytes::from_static(b"1"));
        b.add_private_write("ns", "c", "a", Bytes::from_static(b"1"));
        let tx = TxRwSet::decode(&b.build().public).unwrap();
        let w = &tx.namespaces[0].collections[0].hashed.hashed_writes;
        assert_eq!(w[0].key_hash, key_hash("a"));
    }

    #[test]
    fn decode_rejects_garbage() {
        assert!(TxRwSet::decode(&[0xff, 0xff]).is_err());
        assert!(TxPvtRwSet::decode(&[0x12, 0x05, 0x00]).is_err());
        let bad_model = TxReadWriteSet {
            data_model: 3,
            ns_rwset: vec![],
        }
        .encode_to_vec();
        assert!(TxRwSet::decode(&bad_model).is_err());
    }
}
