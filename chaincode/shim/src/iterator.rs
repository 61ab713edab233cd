//! Lazy query iterators. The peer sends results in batches (100 by default); the iterator asks for
//! the next batch (`QUERY_STATE_NEXT`) only when the current one is used up, and tells the peer
//! when it stops early (`QUERY_STATE_CLOSE`; after the last batch the peer has closed it).

use std::collections::VecDeque;

use bytes::Bytes;
use fabric_protos::protos::{QueryResponse, QueryResultBytes};
use fabric_protos::queryresult::{KeyModification, Kv};
use prost::Message;

use crate::stub::Stub;
use crate::{Error, Result};

/// The cursor shared by both iterator kinds.
struct Cursor {
    stub: Stub,
    batch: VecDeque<QueryResultBytes>,
    id: String,
    has_more: bool,
    closed: bool,
}

impl Cursor {
    fn new(stub: Stub, response: QueryResponse) -> Self {
        Cursor {
            stub,
            batch: response.results.into(),
            id: response.id,
            has_more: response.has_more,
            closed: false,
        }
    }

    async fn next_bytes(&mut self) -> Result<Option<Bytes>> {
        loop {
            if let Some(r) = self.batch.pop_front() {
                return Ok(Some(r.result_bytes));
            }
            if !self.has_more || self.closed {
                return Ok(None);
            }
            let next = self.stub.query_next(&self.id).await?;
            self.batch = next.results.into();
            self.has_more = next.has_more;
            if !next.id.is_empty() {
                self.id = next.id;
            }
        }
    }

    async fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        self.batch.clear();
        // After the last batch (`has_more` false) the peer has already closed the iterator
        // (Fabric's peer, v2.5 and v3): a QUERY_STATE_CLOSE would be a round trip for nothing.
        if self.id.is_empty() || !self.has_more {
            return Ok(());
        }
        self.stub.query_close(&self.id).await
    }
}

/// Iterates over key-value results (range, partial composite key and rich queries).
pub struct StateIterator {
    cursor: Cursor,
}

impl StateIterator {
    pub(crate) fn new(stub: Stub, response: QueryResponse) -> Self {
        StateIterator {
            cursor: Cursor::new(stub, response),
        }
    }

    /// The next result, fetching the next batch from the peer when needed. `None` at the end.
    pub async fn next(&mut self) -> Result<Option<Kv>> {
        match self.cursor.next_bytes().await? {
            Some(b) => Kv::decode(b)
                .map(Some)
                .map_err(Error::decode("query result (queryresult.KV)")),
            None => Ok(None),
        }
    }

    /// Whether results remain in the current batch or on the peer.
    pub fn has_next(&self) -> bool {
        !self.cursor.closed && (!self.cursor.batch.is_empty() || self.cursor.has_more)
    }

    /// Reads every remaining result.
    pub async fn collect(mut self) -> Result<Vec<Kv>> {
        let mut out = Vec::new();
        while let Some(kv) = self.next().await? {
            out.push(kv);
        }
        self.close().await?;
        Ok(out)
    }

    /// Closes the iterator on the peer (the peer also closes every iterator when the transaction
    /// ends).
    pub async fn close(&mut self) -> Result<()> {
        self.cursor.close().await
    }
}

/// Iterates over the history of a key, newest first.
pub struct HistoryIterator {
    cursor: Cursor,
}

impl HistoryIterator {
    pub(crate) fn new(stub: Stub, response: QueryResponse) -> Self {
        HistoryIterator {
            cursor: Cursor::new(stub, response),
        }
    }

    /// The next modification, or `None` at the end.
    pub async fn next(&mut self) -> Result<Option<KeyModification>> {
        match self.cursor.next_bytes().await? {
            Some(b) => KeyModification::decode(b).map(Some).map_err(Error::decode(
                "history result (queryresult.KeyModification)",
            )),
            None => Ok(None),
        }
    }

    /// Whether results remain.
    pub fn has_next(&self) -> bool {
        !self.cursor.closed && (!self.cursor.batch.is_empty() || self.cursor.has_more)
    }

    /// Reads every remaining modification.
    pub async fn collect(mut self) -> Result<Vec<KeyModification>> {
        let mut out = Vec::new();
        while let Some(m) = self.next().await? {
            out.push(m);
        }
        self.close().await?;
        Ok(out)
    }

    /// Closes the iterator on the peer.
    pub async fn close(&mut self) -> Result<()> {
        self.cursor.close().await
    }
}
