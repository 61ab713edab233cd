//! The query side of a simulation: range, private range and history iterators, Fabric's
//! `BuildQueryResponse` batching and pagination, and the range-query records that go into the
//! read-write set for phantom-read validation.

use std::collections::VecDeque;

use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::kvrwset::{KvRead, RangeQueryInfo};
use fabric_protos::protos::{
    GetHistoryForKey, GetQueryResult, GetStateByRange, QueryMetadata, QueryResponse,
    QueryResponseMetadata, QueryResultBytes, QueryStateClose, QueryStateNext,
};
use fabric_protos::queryresult::Kv;

use super::{
    HResult, MAX_RESULT_LIMIT, PAGINATED_RICH_QUERY_UNSUPPORTED, RICH_QUERY_UNSUPPORTED,
    TxSimulator, encode, state_err, unmarshal,
};
use crate::ledger::merkle::{MAX_DEGREE_QUERY_READS_HASHING, RangeResultsHasher};
use crate::ledger::state::{HistoryEntry, PrivateValue, StateReader, VersionedValue, key_after};

/// Entries fetched from the state per page: one batch plus the result the peer reads ahead.
const FETCH: usize = MAX_RESULT_LIMIT + 1;

/// The range-query record of one state iterator (what phantom-read validation re-runs).
#[derive(Debug)]
pub(super) struct RangeRecord {
    namespace: String,
    start_key: String,
    end_key: String,
    query_end: String,
    exhausted: bool,
    hasher: Option<RangeResultsHasher>,
}

#[derive(Debug)]
pub(super) enum Source {
    Range {
        namespace: String,
        end: String,
        next_start: Option<String>,
        buffer: VecDeque<(String, VersionedValue)>,
        page_limit: Option<i32>,
        returned: i32,
        record: usize,
    },
    PrivateRange {
        namespace: String,
        collection: String,
        end: String,
        next_start: Option<String>,
        buffer: VecDeque<(String, PrivateValue)>,
    },
    History {
        entries: VecDeque<HistoryEntry>,
    },
}

#[derive(Debug)]
pub(super) struct QueryContext {
    source: Source,
    pending: Vec<QueryResultBytes>,
    total: i32,
}

fn query_metadata(bytes: Bytes) -> HResult<Option<QueryMetadata>> {
    if bytes.is_empty() {
        return Ok(None);
    }
    unmarshal(bytes).map(Some)
}

fn is_paginated(m: &Option<QueryMetadata>) -> bool {
    m.as_ref()
        .is_some_and(|m| m.page_size != 0 || !m.bookmark.is_empty())
}

fn kv_bytes(namespace: &str, key: String, value: Bytes) -> QueryResultBytes {
    QueryResultBytes {
        result_bytes: Kv {
            namespace: namespace.to_string(),
            key,
            value,
        }
        .encode_to_vec()
        .into(),
    }
}

impl<R: StateReader> TxSimulator<R> {
    // ----- queries -----------------------------------------------------------------------------

    fn total_return_limit(&self, metadata: &Option<QueryMetadata>) -> i32 {
        let limit = i32::try_from(self.cfg.total_query_limit).unwrap_or(i32::MAX);
        match metadata {
            Some(m) if m.page_size > 0 && m.page_size < limit => m.page_size,
            _ => limit,
        }
    }

    pub(super) fn on_get_state_by_range(&mut self, payload: Bytes) -> HResult<Bytes> {
        let m: GetStateByRange = unmarshal(payload)?;
        let metadata = query_metadata(m.metadata)?;
        let limit = self.total_return_limit(&metadata);
        let id = self.next_iterator_id();
        let ns = self.cfg.namespace.clone();
        let mut paginated = false;
        let source = if !m.collection.is_empty() {
            self.check_read(&ns, &m.collection)?;
            self.check_before_pvtdata_query()?;
            self.validate_collection(&ns, &m.collection)?;
            Source::PrivateRange {
                namespace: ns,
                collection: m.collection,
                end: m.end_key,
                next_start: Some(m.start_key),
                buffer: VecDeque::new(),
            }
        } else if is_paginated(&metadata) {
            paginated = true;
            let (page_size, bookmark) = metadata
                .map(|m| (m.page_size, m.bookmark))
                .unwrap_or_default();
            let start = if bookmark.is_empty() {
                m.start_key
            } else {
                bookmark
            };
            self.check_before_paginated_query()?;
            self.open_range(ns, start, m.end_key, (page_size > 0).then_some(page_size))
        } else {
            self.open_range(ns, m.start_key, m.end_key, None)
        };
        let ctx = QueryContext {
            source,
            pending: Vec::new(),
            total: 0,
        };
        let resp = self.build_response(&id, ctx, paginated, limit)?;
        Ok(encode(&resp))
    }

    fn open_range(
        &mut self,
        namespace: String,
        start: String,
        end: String,
        page_limit: Option<i32>,
    ) -> Source {
        self.ranges.push(RangeRecord {
            namespace: namespace.clone(),
            start_key: start.clone(),
            end_key: String::new(),
            query_end: end.clone(),
            exhausted: false,
            hasher: RangeResultsHasher::new(MAX_DEGREE_QUERY_READS_HASHING),
        });
        Source::Range {
            namespace,
            end,
            next_start: Some(start),
            buffer: VecDeque::new(),
            page_limit,
            returned: 0,
            record: self.ranges.len() - 1,
        }
    }

    pub(super) fn on_query_state_next(&mut self, payload: Bytes) -> HResult<Bytes> {
        let m: QueryStateNext = unmarshal(payload)?;
        let Some(ctx) = self.queries.remove(&m.id) else {
            return Err("query iterator not found".into());
        };
        let limit = self.total_return_limit(&None);
        let resp = self.build_response(&m.id, ctx, false, limit)?;
        Ok(encode(&resp))
    }

    pub(super) fn on_query_state_close(&mut self, payload: Bytes) -> HResult<Bytes> {
        let m: QueryStateClose = unmarshal(payload)?;
        self.queries.remove(&m.id);
        Ok(encode(&QueryResponse {
            results: Vec::new(),
            has_more: false,
            id: m.id,
            metadata: Bytes::new(),
        }))
    }

    pub(super) fn on_get_query_result(&mut self, payload: Bytes) -> HResult<Bytes> {
        let _id = self.next_iterator_id();
        let m: GetQueryResult = unmarshal(payload)?;
        let metadata = query_metadata(m.metadata)?;
        let ns = self.cfg.namespace.clone();
        if !m.collection.is_empty() {
            self.check_read(&ns, &m.collection)?;
            self.check_before_pvtdata_query()?;
            self.validate_collection(&ns, &m.collection)?;
            Err(RICH_QUERY_UNSUPPORTED.into())
        } else if is_paginated(&metadata) {
            self.check_before_paginated_query()?;
            Err(PAGINATED_RICH_QUERY_UNSUPPORTED.into())
        } else {
            Err(RICH_QUERY_UNSUPPORTED.into())
        }
    }

    pub(super) fn on_get_history_for_key(&mut self, payload: Bytes) -> HResult<Bytes> {
        let m: GetHistoryForKey = unmarshal(payload)?;
        let ns = self.cfg.namespace.clone();
        let Some(history) = self.reader.get_history(&ns, &m.key).map_err(state_err)? else {
            return Err("history database is not enabled".into());
        };
        let id = self.next_iterator_id();
        let ctx = QueryContext {
            source: Source::History {
                entries: history.into(),
            },
            pending: Vec::new(),
            total: 0,
        };
        let limit = self.total_return_limit(&None);
        let resp = self.build_response(&id, ctx, false, limit)?;
        Ok(encode(&resp))
    }

    /// Fabric's `BuildQueryResponse`: fills one `QueryResponse` from the iterator.
    fn build_response(
        &mut self,
        id: &str,
        mut ctx: QueryContext,
        paginated: bool,
        limit: i32,
    ) -> HResult<QueryResponse> {
        loop {
            if ctx.total >= limit {
                return self.create_response(id, ctx, paginated);
            }
            // On an error the context is dropped (Fabric cleans it up).
            let Some(result) = self.next_result(&mut ctx.source)? else {
                return self.create_response(id, ctx, paginated);
            };
            if !paginated && ctx.pending.len() == self.cfg.max_result_limit {
                let batch = std::mem::take(&mut ctx.pending);
                ctx.pending.push(result);
                ctx.total = ctx.total.saturating_add(1);
                self.queries.insert(id.to_string(), ctx);
                return Ok(QueryResponse {
                    results: batch,
                    has_more: true,
                    id: id.to_string(),
                    metadata: Bytes::new(),
                });
            }
            ctx.pending.push(result);
            ctx.total = ctx.total.saturating_add(1);
        }
    }

    fn create_response(
        &mut self,
        id: &str,
        mut ctx: QueryContext,
        paginated: bool,
    ) -> HResult<QueryResponse> {
        let results = std::mem::take(&mut ctx.pending);
        let metadata = if paginated {
            let bookmark = self.bookmark(&mut ctx.source)?;
            encode(&QueryResponseMetadata {
                fetched_records_count: ctx.total,
                bookmark,
            })
        } else {
            Bytes::new()
        };
        Ok(QueryResponse {
            results,
            has_more: false,
            id: id.to_string(),
            metadata,
        })
    }

    /// The next key of the underlying range after what was returned (`""` when none):
    /// LevelDB's `GetBookmarkAndClose`.
    fn bookmark(&self, source: &mut Source) -> HResult<String> {
        let Source::Range {
            namespace,
            end,
            next_start,
            buffer,
            ..
        } = source
        else {
            return Ok(String::new());
        };
        if let Some((k, _)) = buffer.front() {
            return Ok(k.clone());
        }
        let Some(start) = next_start.as_deref() else {
            return Ok(String::new());
        };
        Ok(self
            .reader
            .get_state_range(namespace, start, end, 1)
            .map_err(state_err)?
            .into_iter()
            .next()
            .map(|(k, _)| k)
            .unwrap_or_default())
    }

    /// One `Next()` of the iterator: a serialized `queryresult.KV` / `KeyModification`, or
    /// `None` when exhausted. Range iterators update their range-query record.
    fn next_result(&mut self, source: &mut Source) -> HResult<Option<QueryResultBytes>> {
        match source {
            Source::Range {
                namespace,
                end,
                next_start,
                buffer,
                page_limit,
                returned,
                record,
            } => {
                let limited = page_limit.is_some_and(|l| *returned >= l);
                let item = if limited {
                    None
                } else {
                    if buffer.is_empty()
                        && let Some(start) = next_start.take()
                    {
                        let page = self
                            .reader
                            .get_state_range(namespace, &start, end, FETCH)
                            .map_err(state_err)?;
                        if page.len() >= FETCH
                            && let Some((last, _)) = page.last()
                        {
                            *next_start = Some(key_after(last));
                        }
                        buffer.extend(page);
                    }
                    buffer.pop_front()
                };
                let Some(rec) = self.ranges.get_mut(*record) else {
                    return Ok(None);
                };
                match item {
                    Some((key, vv)) => {
                        *returned = returned.saturating_add(1);
                        if let Some(h) = rec.hasher.as_mut() {
                            h.add(KvRead {
                                key: key.clone(),
                                version: Some(vv.version.to_proto()),
                            });
                        }
                        rec.end_key.clone_from(&key);
                        Ok(Some(kv_bytes(namespace, key, vv.value)))
                    }
                    None => {
                        rec.exhausted = true;
                        rec.end_key.clone_from(&rec.query_end);
                        Ok(None)
                    }
                }
            }
            Source::PrivateRange {
                namespace,
                collection,
                end,
                next_start,
                buffer,
            } => {
                if buffer.is_empty()
                    && let Some(start) = next_start.take()
                {
                    let page = self
                        .reader
                        .get_private_data_range(namespace, collection, &start, end, FETCH)
                        .map_err(state_err)?;
                    if page.len() >= FETCH
                        && let Some((last, _)) = page.last()
                    {
                        *next_start = Some(key_after(last));
                    }
                    buffer.extend(page);
                }
                Ok(buffer
                    .pop_front()
                    .map(|(key, pv)| kv_bytes(namespace, key, pv.value)))
            }
            Source::History { entries } => Ok(entries.pop_front().map(|e| QueryResultBytes {
                result_bytes: encode(&e.to_key_modification()),
            })),
        }
    }

    /// The range-query infos of every state iterator opened, in opening order.
    pub(super) fn range_query_infos(&mut self) -> Vec<(String, RangeQueryInfo)> {
        std::mem::take(&mut self.ranges)
            .into_iter()
            .map(|r| {
                let reads_info = r.hasher.and_then(RangeResultsHasher::done);
                (
                    r.namespace,
                    RangeQueryInfo {
                        start_key: r.start_key,
                        end_key: r.end_key,
                        itr_exhausted: r.exhausted,
                        reads_info,
                    },
                )
            })
            .collect()
    }
}
