//! The results of a range query as they go into the read-write set: the raw `KVRead`s when there
//! are at most `max_degree` (50) of them, otherwise a Merkle summary — Fabric's
//! `RangeQueryResultsHelper`, so the summary bytes are the same as a Fabric peer's.
//!
//! Results are the leaves. Every `max_degree + 1` pending reads are serialized as a
//! `kvrwset.QueryReads` and hashed (SHA-256) into a level-1 node; whenever a level holds more
//! than `max_degree` hashes they are concatenated and hashed into one node of the next level.
//! At the end the lower levels are folded up to the highest level (`done`), and the summary is
//! `{max_degree, max_level, hashes of max_level}`.

use std::collections::BTreeMap;

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::kvrwset::range_query_info::ReadsInfo;
use fabric_protos::kvrwset::{KvRead, QueryReads, QueryReadsMerkleSummary};

use crate::crypto::{sha256, sha256_parts};

/// Fabric's fixed maximum degree of the range-query Merkle tree.
pub const MAX_DEGREE_QUERY_READS_HASHING: u32 = 50;

/// Incrementally hashes range query results (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct RangeResultsHasher {
    pending: Vec<KvRead>,
    tree: BTreeMap<u32, Vec<Bytes>>,
    max_level: u32,
    max_degree: u32,
}

impl RangeResultsHasher {
    /// A hasher with the given maximum degree; `None` if it is below 2 (Fabric refuses those).
    pub(crate) fn new(max_degree: u32) -> Option<Self> {
        (max_degree >= 2).then(|| RangeResultsHasher {
            pending: Vec::new(),
            tree: BTreeMap::new(),
            max_level: 1,
            max_degree,
        })
    }

    /// Adds the next result.
    pub(crate) fn add(&mut self, read: KvRead) {
        self.pending.push(read);
        if self.pending.len() as u64 > u64::from(self.max_degree) {
            self.process_pending();
        }
    }

    fn process_pending(&mut self) {
        let bytes = QueryReads {
            kv_reads: std::mem::take(&mut self.pending),
        }
        .encode_to_vec();
        let hash = Bytes::copy_from_slice(&sha256(&bytes));
        self.update(hash);
    }

    fn update(&mut self, leaf: Bytes) {
        self.tree.entry(1).or_default().push(leaf);
        let mut level = 1u32;
        loop {
            let Some(hashes) = self.tree.get(&level) else {
                return;
            };
            if hashes.len() as u64 <= u64::from(self.max_degree) {
                return;
            }
            let combined = combine(hashes);
            self.tree.remove(&level);
            let next = level.saturating_add(1);
            self.tree.entry(next).or_default().push(combined);
            self.max_level = self.max_level.max(next);
            level = next;
        }
    }

    fn is_empty(&self) -> bool {
        self.max_level == 1 && self.tree.get(&1).is_none_or(Vec::is_empty)
    }

    /// The current summary (what validation compares while it rebuilds the tree).
    pub(crate) fn summary(&self) -> QueryReadsMerkleSummary {
        QueryReadsMerkleSummary {
            max_degree: self.max_degree,
            max_level: self.max_level,
            max_level_hashes: self.tree.get(&self.max_level).cloned().unwrap_or_default(),
        }
    }

    /// Finishes: raw reads if there were at most `max_degree` results (`None` if there were
    /// none at all, as Fabric leaves `reads_info` unset then), else the Merkle summary.
    pub(crate) fn done(mut self) -> Option<ReadsInfo> {
        if self.is_empty() {
            if self.pending.is_empty() {
                return None;
            }
            return Some(ReadsInfo::RawReads(QueryReads {
                kv_reads: self.pending,
            }));
        }
        if !self.pending.is_empty() {
            self.process_pending();
        }
        self.finish_tree();
        Some(ReadsInfo::ReadsMerkleHashes(self.summary()))
    }

    fn finish_tree(&mut self) {
        let mut level = 1u32;
        while level < self.max_level {
            let hashes = self.tree.get(&level).map(Vec::as_slice).unwrap_or(&[]);
            let h = match hashes {
                [] => {
                    level += 1;
                    continue;
                }
                [one] => one.clone(),
                many => combine(many),
            };
            self.tree.remove(&level);
            level += 1;
            self.tree.entry(level).or_default().push(h);
        }
        let len = self.tree.get(&self.max_level).map_or(0, Vec::len);
        if len as u64 > u64::from(self.max_degree) {
            let finals = self.tree.remove(&self.max_level).unwrap_or_default();
            self.max_level = self.max_level.saturating_add(1);
            self.tree.insert(self.max_level, vec![combine(&finals)]);
        }
    }
}

fn combine(hashes: &[Bytes]) -> Bytes {
    let parts: Vec<&[u8]> = hashes.iter().map(Bytes::as_ref).collect();
    Bytes::copy_from_slice(&sha256_parts(&parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Version;

    fn read(i: usize) -> KvRead {
        KvRead {
            key: format!("key{i:04}"),
            version: Some(Version::new(1, i as u64).to_proto()),
        }
    }

    fn run(n: usize, degree: u32) -> Option<ReadsInfo> {
        let mut h = RangeResultsHasher::new(degree).unwrap();
        (0..n).for_each(|i| h.add(read(i)));
        h.done()
    }

    #[test]
    fn raw_reads_up_to_max_degree() {
        assert_eq!(run(0, 50), None);
        let Some(ReadsInfo::RawReads(r)) = run(50, 50) else {
            panic!("expected raw reads")
        };
        assert_eq!(r.kv_reads.len(), 50);
    }

    #[test]
    fn merkle_summary_above_max_degree() {
        // 51 results: one level-1 hash of all 51 reads.
        let Some(ReadsInfo::ReadsMerkleHashes(s)) = run(51, 50) else {
            panic!("expected a summary")
        };
        assert_eq!((s.max_degree, s.max_level), (50, 1));
        let all = QueryReads {
            kv_reads: (0..51).map(read).collect(),
        }
        .encode_to_vec();
        assert_eq!(
            s.max_level_hashes,
            vec![Bytes::copy_from_slice(&sha256(&all))]
        );
        // 156 results: chunks of 51, 51, 51, 3 → four level-1 hashes.
        let Some(ReadsInfo::ReadsMerkleHashes(s)) = run(156, 50) else {
            panic!("expected a summary")
        };
        assert_eq!((s.max_level, s.max_level_hashes.len()), (1, 4));
    }

    #[test]
    fn tree_grows_levels() {
        // degree 2: every 3 reads make a leaf; every 3 leaves make a level-2 node.
        let Some(ReadsInfo::ReadsMerkleHashes(s)) = run(3 * 3 * 3, 2) else {
            panic!("expected a summary")
        };
        assert_eq!(s.max_level, 3);
        assert_eq!(s.max_level_hashes.len(), 1);
        let Some(ReadsInfo::ReadsMerkleHashes(s)) = run(3 * 3 + 1, 2) else {
            panic!("expected a summary")
        };
        // level 2 holds one node; the extra leaf is folded up beside it.
        assert_eq!((s.max_level, s.max_level_hashes.len()), (2, 2));
        assert!(RangeResultsHasher::new(1).is_none());
    }
}
