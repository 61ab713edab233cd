//! Block validation of read sets (Fabric's state-based validator): each transaction's reads are
//! checked against committed state plus the writes of the earlier valid transactions of the same
//! block, in block order.
//!
//! - a public read whose key an earlier transaction of the block changed, or whose committed
//!   version differs from the version read (absent = absent), ⇒ `MVCC_READ_CONFLICT` (11);
//! - a range query is re-run over committed state merged with the block's earlier writes (up to
//!   the last key the simulation saw when the iterator was not exhausted); different keys or
//!   versions (raw reads), or a different Merkle summary, ⇒ `PHANTOM_READ_CONFLICT` (12);
//! - a hashed (private) read is checked like a public read against the hash store ⇒
//!   `MVCC_READ_CONFLICT`.
//!
//! Per namespace, public reads come first, then range queries, then hashed reads; the first
//! failure decides the code. Valid transactions' writes go into the block's [`UpdateBatch`].

use std::collections::VecDeque;

use fabric_protos::kvrwset::range_query_info::ReadsInfo;
use fabric_protos::kvrwset::{KvRead, QueryReadsMerkleSummary, RangeQueryInfo};
use fabric_protos::protos::TxValidationCode;

use super::merkle::RangeResultsHasher;
use super::rwset::TxRwSet;
use super::state::{StateReader, Version, key_after};
use super::updates::{BlockTx, UpdateBatch};
use crate::{Error, Result};

const PAGE: usize = 256;

/// The outcome of validating a block.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockValidation {
    /// One code per transaction, in block order (earlier codes are kept, MVCC codes added).
    pub codes: Vec<TxValidationCode>,
    /// The state changes of the valid transactions.
    pub batch: UpdateBatch,
}

/// Validates the read sets of a block's transactions in order and prepares the update batch.
///
/// Transactions whose `code` is not `VALID` keep their code and are skipped. Errors are only
/// state read failures; an unusable read set is a validation code, never an error.
pub fn validate_block(
    state: &dyn StateReader,
    block_num: u64,
    txs: &[BlockTx],
) -> Result<BlockValidation> {
    let mut batch = UpdateBatch::new(block_num);
    let mut codes = Vec::with_capacity(txs.len());
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
        let code = if tx.code == TxValidationCode::Valid {
            validate_tx(state, &batch, &tx.rwset)?
        } else {
            tx.code
        };
        if code == TxValidationCode::Valid {
            batch.add_tx(state, tx)?;
        }
        codes.push(code);
    }
    Ok(BlockValidation { codes, batch })
}

/// The MVCC code of one transaction against committed state and the earlier writes in `batch`.
pub fn validate_tx(
    state: &dyn StateReader,
    batch: &UpdateBatch,
    rwset: &TxRwSet,
) -> Result<TxValidationCode> {
    for ns in &rwset.namespaces {
        let name = ns.namespace.as_str();
        for read in &ns.kv.reads {
            if batch.public_contains(name, &read.key) {
                return Ok(TxValidationCode::MvccReadConflict);
            }
            let committed = state.get_state(name, &read.key)?.map(|v| v.version);
            if committed != read.version.as_ref().map(Version::from_proto) {
                return Ok(TxValidationCode::MvccReadConflict);
            }
        }
        for rqi in &ns.kv.range_queries_info {
            if !range_query_valid(state, batch, name, rqi)? {
                return Ok(TxValidationCode::PhantomReadConflict);
            }
        }
        for coll in &ns.collections {
            for read in &coll.hashed.hashed_reads {
                if batch.hashed_contains(name, &coll.collection, &read.key_hash) {
                    return Ok(TxValidationCode::MvccReadConflict);
                }
                let committed = state
                    .get_private_data_hash(name, &coll.collection, &read.key_hash)?
                    .map(|v| v.version);
                if committed != read.version.as_ref().map(Version::from_proto) {
                    return Ok(TxValidationCode::MvccReadConflict);
                }
            }
        }
    }
    Ok(TxValidationCode::Valid)
}

/// Committed state merged with a block's earlier writes, over `[start, end)` of a namespace,
/// plus `end` itself when the simulation stopped there (Fabric's `combinedIterator`).
struct Combined<'a> {
    state: &'a dyn StateReader,
    ns: &'a str,
    end: &'a str,
    db: VecDeque<(String, Version)>,
    db_next: Option<String>,
    updates: VecDeque<(String, Option<Version>)>,
    batch: &'a UpdateBatch,
    include_end: bool,
    end_served: bool,
}

impl<'a> Combined<'a> {
    fn new(
        state: &'a dyn StateReader,
        batch: &'a UpdateBatch,
        ns: &'a str,
        start: &str,
        end: &'a str,
        include_end: bool,
    ) -> Self {
        let updates = batch
            .public
            .get(ns)
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| super::state::in_range(k, start, end))
                    .map(|(k, v)| (k.clone(), v.as_ref().map(|v| v.version)))
                    .collect()
            })
            .unwrap_or_default();
        Combined {
            state,
            ns,
            end,
            db: VecDeque::new(),
            db_next: Some(start.to_string()),
            updates,
            batch,
            include_end,
            end_served: false,
        }
    }

    fn db_peek(&mut self) -> Result<Option<&(String, Version)>> {
        if self.db.is_empty()
            && let Some(start) = self.db_next.take()
        {
            let page = self
                .state
                .get_state_range(self.ns, &start, self.end, PAGE)?;
            if page.len() >= PAGE
                && let Some((last, _)) = page.last()
            {
                self.db_next = Some(key_after(last));
            }
            self.db
                .extend(page.into_iter().map(|(k, v)| (k, v.version)));
        }
        Ok(self.db.front())
    }

    /// The next live key and its version.
    fn next(&mut self) -> Result<Option<(String, Version)>> {
        loop {
            let db_key = self.db_peek()?.map(|(k, _)| k.clone());
            let upd_key = self.updates.front().map(|(k, _)| k.clone());
            let selected: (String, Option<Version>) = match (db_key, upd_key) {
                (None, None) => return self.serve_end_key(),
                (Some(d), Some(u)) if d == u => {
                    self.db.pop_front();
                    self.updates.pop_front().unwrap_or((u, None))
                }
                (Some(d), Some(u)) if u < d => self.updates.pop_front().unwrap_or((u, None)),
                (Some(d), _) => match self.db.pop_front() {
                    Some((k, v)) => (k, Some(v)),
                    None => (d, None),
                },
                (None, Some(u)) => self.updates.pop_front().unwrap_or((u, None)),
            };
            if let (k, Some(v)) = selected {
                return Ok(Some((k, v)));
            }
            // A delete: skip it.
        }
    }

    fn serve_end_key(&mut self) -> Result<Option<(String, Version)>> {
        if !self.include_end || self.end_served {
            return Ok(None);
        }
        self.end_served = true;
        let version = match self.batch.public.get(self.ns).and_then(|m| m.get(self.end)) {
            Some(v) => v.as_ref().map(|v| v.version),
            None => self.state.get_state(self.ns, self.end)?.map(|v| v.version),
        };
        Ok(version.map(|v| (self.end.to_string(), v)))
    }
}

fn range_query_valid(
    state: &dyn StateReader,
    batch: &UpdateBatch,
    ns: &str,
    rqi: &RangeQueryInfo,
) -> Result<bool> {
    let mut itr = Combined::new(
        state,
        batch,
        ns,
        &rqi.start_key,
        &rqi.end_key,
        !rqi.itr_exhausted,
    );
    match &rqi.reads_info {
        Some(ReadsInfo::ReadsMerkleHashes(summary)) => hashes_valid(&mut itr, summary),
        Some(ReadsInfo::RawReads(raw)) => raw_valid(&mut itr, &raw.kv_reads),
        None => raw_valid(&mut itr, &[]),
    }
}

fn raw_valid(itr: &mut Combined<'_>, reads: &[KvRead]) -> Result<bool> {
    let mut result = itr.next()?;
    for read in reads {
        let Some((key, version)) = &result else {
            return Ok(false);
        };
        if *key != read.key || read.version.as_ref().map(Version::from_proto) != Some(*version) {
            return Ok(false);
        }
        result = itr.next()?;
    }
    Ok(result.is_none())
}

fn hashes_valid(itr: &mut Combined<'_>, expected: &QueryReadsMerkleSummary) -> Result<bool> {
    // Fabric refuses a degree below 2 with an error; here it is an invalid read set.
    let Some(mut hasher) = RangeResultsHasher::new(expected.max_degree) else {
        return Ok(false);
    };
    let mut last_matched: i64 = -1;
    loop {
        let Some((key, version)) = itr.next()? else {
            return Ok(match hasher.done() {
                Some(ReadsInfo::ReadsMerkleHashes(s)) => s == *expected,
                _ => false,
            });
        };
        hasher.add(KvRead {
            key,
            version: Some(version.to_proto()),
        });
        let current = hasher.summary();
        if current.max_level < expected.max_level {
            continue;
        }
        let len = current.max_level_hashes.len() as i64;
        if last_matched == len - 1 {
            continue;
        }
        if current.max_level_hashes.len() > expected.max_level_hashes.len() {
            return Ok(false);
        }
        last_matched += 1;
        let idx = usize::try_from(last_matched).unwrap_or(usize::MAX);
        if current.max_level_hashes.get(idx) != expected.max_level_hashes.get(idx) {
            return Ok(false);
        }
    }
}
