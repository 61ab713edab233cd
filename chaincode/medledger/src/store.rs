//! Ledger helpers: typed reads and canonical writes, indexes, private data, pages, events, the
//! transaction time and transient inputs.
//!
//! Determinism: every value is written as canonical JSON (`medledger_model::canonical`), time
//! is the transaction timestamp, derived ids come from the transaction id.

use fabric_chaincode::contract::Context;
use medledger_model::{EventPayload, Salt, Timestamp, canonical, validate};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{MedError, MedResult};
use crate::keys::{self, INDEX_VALUE};

/// The transaction time (the proposal's timestamp, seconds).
pub fn now(ctx: &Context) -> MedResult<Timestamp> {
    let ts = ctx.tx_timestamp()?;
    Timestamp::from_unix("timestamp", ts.seconds).map_err(|e| {
        MedError::bad_input(
            "timestamp",
            format!("the proposal's timestamp: {}", e.reason),
        )
    })
}

/// An id given by the caller, or `<prefix>-<first 32 hex digits of the txid>` when empty.
pub fn id_or_derived(ctx: &Context, field: &str, given: &str, prefix: &str) -> MedResult<String> {
    let id = if given.is_empty() {
        let txid = ctx.txid();
        format!("{prefix}-{}", txid.get(..32).unwrap_or(txid))
    } else {
        given.to_owned()
    };
    validate::id(field, &id)?;
    Ok(id)
}

/// Reads and decodes a public value.
pub async fn get<T: DeserializeOwned>(ctx: &Context, key: &str) -> MedResult<Option<T>> {
    match ctx.stub().get_state(key).await? {
        None => Ok(None),
        Some(bytes) => decode(key, &bytes).map(Some),
    }
}

/// Whether a public key exists.
pub async fn exists(ctx: &Context, key: &str) -> MedResult<bool> {
    Ok(ctx.stub().get_state(key).await?.is_some())
}

/// Writes a public value as canonical JSON.
pub async fn put<T: Serialize>(ctx: &Context, key: &str, value: &T) -> MedResult<()> {
    let bytes = canonical::to_canonical_vec(value)?;
    Ok(ctx.stub().put_state(key, bytes).await?)
}

/// Writes an index key.
pub async fn put_index(ctx: &Context, key: &str) -> MedResult<()> {
    Ok(ctx.stub().put_state(key, INDEX_VALUE).await?)
}

/// Deletes a public key.
pub async fn del(ctx: &Context, key: &str) -> MedResult<()> {
    Ok(ctx.stub().del_state(key).await?)
}

/// Moves an index entry: deletes the old key and writes the new one (nothing if equal).
pub async fn move_index(ctx: &Context, old: &str, new: &str) -> MedResult<()> {
    if old != new {
        del(ctx, old).await?;
        put_index(ctx, new).await?;
    }
    Ok(())
}

/// Reads and decodes a private value (the caller's organisation must be a member).
pub async fn get_private<T: DeserializeOwned>(
    ctx: &Context,
    collection: &str,
    key: &str,
) -> MedResult<Option<T>> {
    match ctx.stub().get_private_data(collection, key).await? {
        None => Ok(None),
        Some(bytes) => decode(key, &bytes).map(Some),
    }
}

/// Writes a private value as canonical JSON.
pub async fn put_private<T: Serialize>(
    ctx: &Context,
    collection: &str,
    key: &str,
    value: &T,
) -> MedResult<()> {
    let bytes = canonical::to_canonical_vec(value)?;
    Ok(ctx.stub().put_private_data(collection, key, bytes).await?)
}

/// Purges a private key (value, hash and history on every member peer).
pub async fn purge_private(ctx: &Context, collection: &str, key: &str) -> MedResult<()> {
    Ok(ctx.stub().purge_private_data(collection, key).await?)
}

/// Sets the transaction's event (`<Asset><Action>`, ids and status only).
pub fn emit(ctx: &Context, name: &str, payload: &EventPayload) -> MedResult<()> {
    let bytes = canonical::to_canonical_vec(payload)?;
    Ok(ctx.stub().set_event(name, bytes)?)
}

/// The last attribute of every key of a partial composite key range (the ids an index holds).
pub async fn index_ids(
    ctx: &Context,
    object_type: &str,
    attributes: &[&str],
) -> MedResult<Vec<String>> {
    let kvs = ctx
        .stub()
        .get_state_by_partial_composite_key(object_type, attributes)
        .await?
        .collect()
        .await?;
    kvs.iter().map(|kv| last_attribute(&kv.key)).collect()
}

/// Reads many public values by key, in order; missing ones are skipped.
pub async fn get_many<T: DeserializeOwned>(ctx: &Context, keys: &[String]) -> MedResult<Vec<T>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let values = ctx.stub().get_multiple_states(keys).await?;
    keys.iter()
        .zip(values)
        .filter_map(|(k, v)| v.map(|bytes| decode(k, &bytes)))
        .collect()
}

/// Reads several public keys in one request (`GET_STATE_MULTIPLE` when the peer offers it),
/// aligned with `keys`; the read set is the same as reading them one by one.
pub async fn get_raw_many(ctx: &Context, keys: &[&str]) -> MedResult<Vec<Option<bytes::Bytes>>> {
    let values = ctx.stub().get_multiple_states(keys).await?;
    if values.len() != keys.len() {
        return Err(MedError::Internal(format!(
            "asked the peer for {} keys, got {} values",
            keys.len(),
            values.len()
        )));
    }
    Ok(values)
}

/// Decodes a value read with [`get_raw_many`].
pub fn decode_opt<T: DeserializeOwned>(key: &str, value: Option<&[u8]>) -> MedResult<Option<T>> {
    value.map(|bytes| decode(key, bytes)).transpose()
}

/// Loads the assets an index lists: the index's ids mapped to primary keys of `object_type`.
pub async fn load_indexed<T: DeserializeOwned>(
    ctx: &Context,
    index_type: &str,
    attributes: &[&str],
    object_type: &str,
) -> MedResult<Vec<T>> {
    let ids = index_ids(ctx, index_type, attributes).await?;
    let keys = ids
        .iter()
        .map(|id| keys::primary(object_type, id))
        .collect::<MedResult<Vec<_>>>()?;
    get_many(ctx, &keys).await
}

/// A page request, checked.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Items per page (1-100).
    pub size: u32,
    /// Where to start (empty: the beginning).
    pub bookmark: String,
}

impl PageRequest {
    /// Checks the size and decodes the bookmark (hex, as [`page`] returns it: composite keys
    /// hold U+0000, which a command line cannot carry).
    pub fn new(size: u32, bookmark: &str) -> MedResult<PageRequest> {
        if !(1..=medledger_model::audit::MAX_PAGE_SIZE).contains(&size) {
            return Err(MedError::bad_input(
                "page_size",
                format!(
                    "expected 1 to {}, got {size}",
                    medledger_model::audit::MAX_PAGE_SIZE
                ),
            ));
        }
        let bad = || {
            MedError::bad_input(
                "bookmark",
                "not a bookmark of this list (pass back the bookmark of the previous page)",
            )
        };
        let bytes = hex::decode(bookmark.trim()).map_err(|_| bad())?;
        let bookmark = String::from_utf8(bytes).map_err(|_| bad())?;
        Ok(PageRequest { size, bookmark })
    }
}

/// One page of a partial composite key range: the keys and values, and the next bookmark
/// (hex; empty after the last page).
pub async fn page(
    ctx: &Context,
    object_type: &str,
    attributes: &[&str],
    request: &PageRequest,
) -> MedResult<(Vec<(String, bytes::Bytes)>, String)> {
    let (kvs, next) = page_raw(
        ctx,
        object_type,
        attributes,
        request.size,
        &request.bookmark,
    )
    .await?;
    Ok((kvs, hex::encode(next)))
}

/// The key range `[start, end)` of a partial composite key.
fn partial_range(object_type: &str, attributes: &[&str]) -> MedResult<(String, String)> {
    fabric_sdk::tx::composite_key::partial_key_range(object_type, attributes)
        .map_err(|e| MedError::Internal(e.to_string()))
}

fn bad_bookmark() -> MedError {
    MedError::bad_input(
        "bookmark",
        "not a bookmark of this list (pass back the bookmark of the previous page)",
    )
}

/// [`page`] with the bookmarks as keys (the key the next page starts at, empty after the
/// last page).
async fn page_raw(
    ctx: &Context,
    object_type: &str,
    attributes: &[&str],
    size: u32,
    bookmark: &str,
) -> MedResult<(Vec<(String, bytes::Bytes)>, String)> {
    let size = i32::try_from(size).unwrap_or(i32::MAX);
    // A bookmark outside this owner's range would page through someone else's keys.
    if !bookmark.is_empty() {
        let (start, end) = partial_range(object_type, attributes)?;
        if bookmark < start.as_str() || bookmark >= end.as_str() {
            return Err(bad_bookmark());
        }
    }
    let (iterator, meta) = ctx
        .stub()
        .get_state_by_partial_composite_key_with_pagination(object_type, attributes, size, bookmark)
        .await?;
    let kvs = iterator.collect().await?;
    Ok((
        kvs.into_iter().map(|kv| (kv.key, kv.value)).collect(),
        meta.bookmark,
    ))
}

/// One page of an index, resolved to the assets it lists.
pub async fn page_indexed<T: DeserializeOwned>(
    ctx: &Context,
    index_type: &str,
    attributes: &[&str],
    object_type: &str,
    request: &PageRequest,
) -> MedResult<(Vec<T>, String)> {
    let (kvs, bookmark) = page(ctx, index_type, attributes, request).await?;
    let keys = kvs
        .iter()
        .map(|(k, _)| last_attribute(k).and_then(|id| keys::primary(object_type, &id)))
        .collect::<MedResult<Vec<_>>>()?;
    Ok((get_many(ctx, &keys).await?, bookmark))
}

/// One page of the assets an index lists that `keep` accepts (e.g. those in one status: the
/// indexes do not move when an asset changes status, so the status is read from the asset).
/// [`page_indexed_across`] with one partial key.
pub async fn page_indexed_where<T: DeserializeOwned>(
    ctx: &Context,
    index_type: &str,
    attributes: &[&str],
    object_type: &str,
    request: &PageRequest,
    keep: impl Fn(&T) -> bool,
) -> MedResult<(Vec<T>, String)> {
    page_indexed_across(
        ctx,
        index_type,
        &[attributes.to_vec()],
        object_type,
        request,
        keep,
    )
    .await
}

/// One page of the assets an index lists under several partial keys, read one after the
/// other in the order given, that `keep` accepts. Reads the index in chunks of the page size
/// until the page is full or the last partial key's range ends; the bookmark is the index key
/// the next page starts at (hex; empty once everything is read), so a page may hold fewer
/// items than asked, and the last one none.
pub async fn page_indexed_across<T: DeserializeOwned>(
    ctx: &Context,
    index_type: &str,
    partitions: &[Vec<&str>],
    object_type: &str,
    request: &PageRequest,
    keep: impl Fn(&T) -> bool,
) -> MedResult<(Vec<T>, String)> {
    let size = request.size as usize;
    // The partial key the bookmark falls in (the first one without a bookmark).
    let first = if request.bookmark.is_empty() {
        0
    } else {
        let mut found = None;
        for (i, attributes) in partitions.iter().enumerate() {
            let (start, end) = partial_range(index_type, attributes)?;
            if (start.as_str()..end.as_str()).contains(&request.bookmark.as_str()) {
                found = Some(i);
                break;
            }
        }
        found.ok_or_else(bad_bookmark)?
    };
    let mut items = Vec::new();
    let mut bookmark = request.bookmark.clone();
    for (i, attributes) in partitions.iter().enumerate().skip(first) {
        loop {
            let (kvs, next) =
                page_raw(ctx, index_type, attributes, request.size, &bookmark).await?;
            let keys = kvs
                .iter()
                .map(|(k, _)| last_attribute(k).and_then(|id| keys::primary(object_type, &id)))
                .collect::<MedResult<Vec<_>>>()?;
            let values = if keys.is_empty() {
                Vec::new()
            } else {
                ctx.stub().get_multiple_states(&keys).await?
            };
            for (((index_key, _), key), value) in kvs.iter().zip(&keys).zip(values) {
                if items.len() == size {
                    // The page is full: the next one starts at this index entry.
                    return Ok((items, hex::encode(index_key)));
                }
                if let Some(bytes) = value {
                    let item: T = decode(key, &bytes)?;
                    if keep(&item) {
                        items.push(item);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            if items.len() == size {
                return Ok((items, hex::encode(next)));
            }
            bookmark = next;
        }
        bookmark = String::new();
        if items.len() == size {
            // Full at the end of this partial key: the next page starts at the next one.
            let next = match partitions.get(i + 1) {
                Some(attributes) => partial_range(index_type, attributes)?.0,
                None => String::new(),
            };
            return Ok((items, hex::encode(next)));
        }
    }
    Ok((items, String::new()))
}

fn last_attribute(key: &str) -> MedResult<String> {
    let (_, attributes) = fabric_sdk::tx::composite_key::split_composite_key(key)
        .map_err(|e| MedError::Internal(e.to_string()))?;
    attributes
        .last()
        .cloned()
        .ok_or_else(|| MedError::Internal(format!("index key {key:?} has no attributes")))
}

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> MedResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        MedError::Internal(format!(
            "the stored value of {:?} does not decode: {e}",
            key.replace('\u{0}', "~")
        ))
    })
}

/// A JSON value from the transient map, `None` when absent. A malformed one is a 400 naming
/// the transient key and the path inside it.
pub fn transient_json<T: DeserializeOwned>(ctx: &Context, name: &str) -> MedResult<Option<T>> {
    let Some(bytes) = ctx.transient(name)? else {
        return Ok(None);
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match value {
        Ok(v) => {
            de.end()
                .map_err(|e| MedError::bad_input(name, e.to_string()))?;
            Ok(Some(v))
        }
        Err(e) => {
            let path = e.path().to_string();
            let field = if path == "." {
                name.to_owned()
            } else if path.starts_with('[') {
                format!("{name}{path}")
            } else {
                format!("{name}.{path}")
            };
            Err(MedError::bad_input(field, e.into_inner().to_string()))
        }
    }
}

/// A JSON value the transient map must hold.
pub fn require_transient<T: DeserializeOwned>(
    ctx: &Context,
    name: &str,
    what: &str,
) -> MedResult<T> {
    transient_json(ctx, name)?
        .ok_or_else(|| MedError::bad_input(name, format!("required in the transient map: {what}")))
}

/// The `salt` of the transient map: 64 hex digits.
pub fn transient_salt(ctx: &Context) -> MedResult<Salt> {
    let bytes = ctx.transient("salt")?.ok_or_else(|| {
        MedError::bad_input(
            "salt",
            "required in the transient map: 32 random bytes as 64 hex digits",
        )
    })?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| MedError::bad_input("salt", "expected 64 hex digits"))?;
    Ok(Salt::from_hex("salt", text.trim())?)
}
