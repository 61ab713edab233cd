//! Write batching (Fabric ≥ 3.1): writes are buffered, the last write to a key wins, and the
//! batch is sent as `WRITE_BATCH_STATE` records before COMPLETED.

use std::collections::BTreeMap;

use bytes::Bytes;
use fabric_protos::protos::{StateMetadata, WriteRecord, write_record};

/// One buffered write.
#[derive(Debug, Clone)]
pub(crate) enum WriteKind {
    Put(Bytes),
    Delete,
    Purge,
    Metadata(StateMetadata),
}

/// Buffered writes, keyed by (collection, key, metadata entry name or none for the value).
/// A `BTreeMap` keeps the records in a deterministic order.
#[derive(Debug, Default)]
pub(crate) struct WriteBatch {
    writes: BTreeMap<(String, String, Option<String>), WriteKind>,
}

impl WriteBatch {
    pub(crate) fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    pub(crate) fn push(&mut self, collection: &str, key: &str, kind: WriteKind) {
        let entry = match &kind {
            WriteKind::Metadata(m) => Some(m.metakey.clone()),
            _ => None,
        };
        self.writes
            .insert((collection.to_owned(), key.to_owned(), entry), kind);
    }

    pub(crate) fn into_records(self) -> Vec<WriteRecord> {
        self.writes
            .into_iter()
            .map(|((collection, key, _), kind)| {
                let (r#type, value, metadata) = match kind {
                    WriteKind::Put(v) => (write_record::Type::PutState, v, None),
                    WriteKind::Delete => (write_record::Type::DelState, Bytes::new(), None),
                    WriteKind::Purge => (write_record::Type::PurgePrivateData, Bytes::new(), None),
                    WriteKind::Metadata(m) => {
                        (write_record::Type::PutStateMetadata, Bytes::new(), Some(m))
                    }
                };
                WriteRecord {
                    key,
                    value,
                    collection,
                    metadata,
                    r#type: r#type as i32,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_write_to_a_key_wins_and_order_is_deterministic() {
        let mut b = WriteBatch::default();
        b.push("", "b", WriteKind::Put(Bytes::from_static(b"1")));
        b.push("", "a", WriteKind::Put(Bytes::from_static(b"1")));
        b.push("", "b", WriteKind::Delete);
        b.push(
            "",
            "a",
            WriteKind::Metadata(StateMetadata {
                metakey: "VALIDATION_PARAMETER".into(),
                value: Bytes::from_static(b"p"),
            }),
        );
        let recs = b.into_records();
        let summary: Vec<_> = recs.iter().map(|r| (r.key.as_str(), r.r#type)).collect();
        assert_eq!(
            summary,
            vec![
                ("a", write_record::Type::PutState as i32),
                ("a", write_record::Type::PutStateMetadata as i32),
                ("b", write_record::Type::DelState as i32),
            ]
        );
    }
}
