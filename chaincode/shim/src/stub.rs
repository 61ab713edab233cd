//! The stub: everything a chaincode can ask about its transaction and do on the ledger.
//!
//! A [`Stub`] is cheap to clone (one `Arc`). All ledger calls go through
//! [`PeerRequests`], at most one at a time per transaction, as the
//! peer requires; concurrent calls on clones of the same stub wait their turn.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use fabric_protos::Timestamp;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeEvent, ChaincodeId, ChaincodeInput, ChaincodeMessage, ChaincodeSpec, DelState,
    GetHistoryForKey, GetQueryResult, GetState, GetStateByRange, GetStateMetadata,
    GetStateMultiple, GetStateMultipleResult, PutState, PutStateMetadata, QueryMetadata,
    QueryResponse, QueryResponseMetadata, Response, SignedProposal, StateMetadata,
    StateMetadataResult,
};
use fabric_sdk::identity::ClientIdentity;
use fabric_sdk::tx::ParsedProposal;
use fabric_sdk::tx::composite_key;
use prost::Message;

use crate::iterator::{HistoryIterator, StateIterator};
use crate::peer::{PeerFeatures, PeerRequests};
use crate::sync::lock;
use crate::write_batch::{WriteBatch, WriteKind};
use crate::{Error, Result};

/// The metadata entry that holds a key-level endorsement policy.
pub const VALIDATION_PARAMETER: &str = "VALIDATION_PARAMETER";

/// What Fabric's shims send for an empty range start key, so that plain range scans never return
/// composite keys (which start with U+0000).
const EMPTY_KEY_SUBSTITUTE: &str = "\u{1}";

/// The chaincode's handle on one transaction.
#[derive(Clone)]
pub struct Stub {
    inner: Arc<Inner>,
}

struct Inner {
    channel_id: String,
    txid: String,
    input: ChaincodeInput,
    signed_proposal: Option<SignedProposal>,
    proposal: OnceLock<std::result::Result<ParsedProposal, String>>,
    identity: OnceLock<std::result::Result<ClientIdentity, String>>,
    peer: Arc<dyn PeerRequests>,
    features: PeerFeatures,
    /// Held for the duration of one request/reply exchange.
    request_lock: tokio::sync::Mutex<()>,
    batch: Mutex<WriteBatch>,
    event: Mutex<Option<ChaincodeEvent>>,
}

impl std::fmt::Debug for Stub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stub")
            .field("channel_id", &self.inner.channel_id)
            .field("txid", &self.inner.txid)
            .field("function", &self.function())
            .finish_non_exhaustive()
    }
}

impl Stub {
    /// A stub for one transaction. `peer` answers the ledger requests; `features` is what the peer
    /// advertised in READY.
    pub fn new(
        channel_id: impl Into<String>,
        txid: impl Into<String>,
        input: ChaincodeInput,
        signed_proposal: Option<SignedProposal>,
        peer: Arc<dyn PeerRequests>,
        features: PeerFeatures,
    ) -> Stub {
        Stub {
            inner: Arc::new(Inner {
                channel_id: channel_id.into(),
                txid: txid.into(),
                input,
                signed_proposal,
                proposal: OnceLock::new(),
                identity: OnceLock::new(),
                peer,
                features,
                request_lock: tokio::sync::Mutex::new(()),
                batch: Mutex::new(WriteBatch::default()),
                event: Mutex::new(None),
            }),
        }
    }

    // ---------------------------------------------------------------- transaction facts

    /// The channel of the transaction.
    pub fn channel_id(&self) -> &str {
        &self.inner.channel_id
    }

    /// The transaction id.
    pub fn txid(&self) -> &str {
        &self.inner.txid
    }

    /// All arguments, the function name first.
    pub fn args(&self) -> &[Bytes] {
        &self.inner.input.args
    }

    /// The function name (the first argument), or `""` if there are no arguments or it is not
    /// UTF-8.
    pub fn function(&self) -> &str {
        self.inner
            .input
            .args
            .first()
            .and_then(|a| std::str::from_utf8(a).ok())
            .unwrap_or("")
    }

    /// The arguments after the function name.
    pub fn parameters(&self) -> &[Bytes] {
        self.inner.input.args.get(1..).unwrap_or(&[])
    }

    /// All arguments as strings (Go's `GetStringArgs`). Fails if one is not UTF-8.
    pub fn string_args(&self) -> Result<Vec<String>> {
        self.inner
            .input
            .args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                String::from_utf8(a.to_vec())
                    .map_err(|_| Error::InvalidArgument(format!("argument {i} is not valid UTF-8")))
            })
            .collect()
    }

    /// The function name and the other arguments as strings (Go's `GetFunctionAndParameters`).
    pub fn function_and_parameters(&self) -> Result<(String, Vec<String>)> {
        let mut args = self.string_args()?;
        if args.is_empty() {
            return Ok((String::new(), Vec::new()));
        }
        let function = args.remove(0);
        Ok((function, args))
    }

    /// Whether the peer sent this as an INIT (the chaincode definition requires init and the
    /// client asked for it).
    pub fn is_init(&self) -> bool {
        self.inner.input.is_init
    }

    /// Decorations added by the peer's decorator plugins (none by default).
    pub fn decorations(&self) -> &BTreeMap<String, Bytes> {
        &self.inner.input.decorations
    }

    /// The client's signed proposal, byte for byte as the peer received it.
    pub fn signed_proposal(&self) -> Option<&SignedProposal> {
        self.inner.signed_proposal.as_ref()
    }

    /// The decoded proposal (decoded once, on first use).
    pub fn proposal(&self) -> Result<&ParsedProposal> {
        let signed = self
            .inner
            .signed_proposal
            .as_ref()
            .ok_or(Error::NoProposal)?;
        self.inner
            .proposal
            .get_or_init(|| ParsedProposal::parse(signed).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Proposal(e.clone()))
    }

    /// The creator's serialized identity (`msp.SerializedIdentity` bytes, as signed).
    pub fn creator(&self) -> Result<&Bytes> {
        Ok(self.proposal()?.creator())
    }

    /// The transient map of the proposal: data for this endorsement only, never on the ledger.
    pub fn transient(&self) -> Result<&BTreeMap<String, Bytes>> {
        Ok(&self.proposal()?.transient)
    }

    /// One transient value.
    pub fn transient_value(&self, name: &str) -> Result<Option<&Bytes>> {
        Ok(self.transient()?.get(name))
    }

    /// The client's timestamp from the channel header. Use it instead of a clock: every
    /// endorser sees the same value.
    pub fn tx_timestamp(&self) -> Result<Timestamp> {
        self.proposal()?
            .channel_header
            .timestamp
            .ok_or_else(|| Error::Proposal("the channel header has no timestamp".into()))
    }

    /// The binding: SHA-256(nonce ‖ creator ‖ epoch as 8 little-endian bytes).
    pub fn binding(&self) -> Result<[u8; 32]> {
        let p = self.proposal()?;
        let epoch = p.channel_header.epoch.to_le_bytes();
        Ok(fabric_sdk::crypto::sha256_parts(&[
            &p.signature_header.nonce,
            &p.signature_header.creator,
            &epoch,
        ]))
    }

    /// The creator as a client identity (MSP id, ID string, attributes, OUs, certificate).
    pub fn client_identity(&self) -> Result<&ClientIdentity> {
        let creator = self.creator()?;
        self.inner
            .identity
            .get_or_init(|| ClientIdentity::from_serialized(creator).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Proposal(format!("creator identity: {e}")))
    }

    /// The MSP id of the peer running this chaincode, from `CORE_PEER_LOCALMSPID` (as Go's
    /// `GetMSPID`; CCaaS deployments must set it themselves).
    pub fn msp_id(&self) -> Result<String> {
        std::env::var("CORE_PEER_LOCALMSPID").map_err(|_| {
            Error::Config(
                "CORE_PEER_LOCALMSPID is not set; set it to the MSP id of the peer that runs \
                 this chaincode"
                    .into(),
            )
        })
    }

    /// What the peer advertised in READY.
    pub fn peer_features(&self) -> PeerFeatures {
        self.inner.features
    }

    // ---------------------------------------------------------------- requests

    async fn call(&self, kind: Type, payload: Bytes) -> Result<Bytes> {
        let _turn = self.inner.request_lock.lock().await;
        self.inner
            .peer
            .request(&self.inner.channel_id, &self.inner.txid, kind, payload)
            .await
    }

    async fn call_msg<M: Message>(&self, kind: Type, msg: &M) -> Result<Bytes> {
        self.call(kind, Bytes::from(msg.encode_to_vec())).await
    }

    // ---------------------------------------------------------------- public state

    /// Reads a key's committed value; `None` if it does not exist. Writes of this transaction
    /// are not visible (Fabric has no read-your-writes).
    pub async fn get_state(&self, key: &str) -> Result<Option<Bytes>> {
        self.get("", key).await
    }

    /// Writes a key. An empty value is recorded as a delete, as Fabric does.
    pub async fn put_state(&self, key: &str, value: impl Into<Bytes>) -> Result<()> {
        self.write("", key, WriteKind::Put(value.into())).await
    }

    /// Deletes a key.
    pub async fn del_state(&self, key: &str) -> Result<()> {
        self.write("", key, WriteKind::Delete).await
    }

    /// Reads several keys; the result is aligned with `keys` (`None` for absent keys). Uses
    /// `GET_STATE_MULTIPLE` when the peer advertised it, in chunks of its advertised size, else
    /// one `GET_STATE` per key.
    pub async fn get_multiple_states<S: AsRef<str>>(
        &self,
        keys: &[S],
    ) -> Result<Vec<Option<Bytes>>> {
        self.get_multiple("", keys).await
    }

    /// The committed keys in `[start, end)` (`end` empty = to the end), excluding composite
    /// keys. Results are fetched from the peer 100 at a time as the iterator advances.
    pub async fn get_state_by_range(&self, start: &str, end: &str) -> Result<StateIterator> {
        self.range("", start, end, None).await.map(|(it, _)| it)
    }

    /// One page of `[start, end)`: at most `page_size` keys, starting at `bookmark` if not empty.
    /// Only in read-only transactions (Fabric's rule). The metadata holds the count and the
    /// bookmark of the next page.
    pub async fn get_state_by_range_with_pagination(
        &self,
        start: &str,
        end: &str,
        page_size: i32,
        bookmark: &str,
    ) -> Result<(StateIterator, QueryResponseMetadata)> {
        let (it, meta) = self
            .range("", start, end, Some(query_metadata(page_size, bookmark)))
            .await?;
        Ok((it, meta.unwrap_or_default()))
    }

    /// The keys with this object type whose first attributes equal `attributes`.
    pub async fn get_state_by_partial_composite_key<S: AsRef<str>>(
        &self,
        object_type: &str,
        attributes: &[S],
    ) -> Result<StateIterator> {
        let (start, end) = composite_key::partial_key_range(object_type, attributes)?;
        self.range_raw("", start, end, None).await.map(|(it, _)| it)
    }

    /// One page of a partial composite key query (read-only transactions only).
    pub async fn get_state_by_partial_composite_key_with_pagination<S: AsRef<str>>(
        &self,
        object_type: &str,
        attributes: &[S],
        page_size: i32,
        bookmark: &str,
    ) -> Result<(StateIterator, QueryResponseMetadata)> {
        let (start, end) = composite_key::partial_key_range(object_type, attributes)?;
        let (it, meta) = self
            .range_raw("", start, end, Some(query_metadata(page_size, bookmark)))
            .await?;
        Ok((it, meta.unwrap_or_default()))
    }

    /// One page of all composite keys of the namespace (Go shim v2.3's
    /// `GetAllStatesCompositeKeyWithPagination`).
    pub async fn get_all_states_composite_key_with_pagination(
        &self,
        page_size: i32,
        bookmark: &str,
    ) -> Result<(StateIterator, QueryResponseMetadata)> {
        let (start, end) = composite_key::all_composite_keys_range();
        let (it, meta) = self
            .range_raw("", start, end, Some(query_metadata(page_size, bookmark)))
            .await?;
        Ok((it, meta.unwrap_or_default()))
    }

    /// A rich (CouchDB selector) query. LevelDB peers refuse it.
    pub async fn get_query_result(&self, query: &str) -> Result<StateIterator> {
        self.query("", query, None).await.map(|(it, _)| it)
    }

    /// One page of a rich query (read-only transactions only).
    pub async fn get_query_result_with_pagination(
        &self,
        query: &str,
        page_size: i32,
        bookmark: &str,
    ) -> Result<(StateIterator, QueryResponseMetadata)> {
        let (it, meta) = self
            .query("", query, Some(query_metadata(page_size, bookmark)))
            .await?;
        Ok((it, meta.unwrap_or_default()))
    }

    /// The history of a key, newest first (needs the peer's history database).
    pub async fn get_history_for_key(&self, key: &str) -> Result<HistoryIterator> {
        require_key(key)?;
        let req = GetHistoryForKey {
            key: key.to_owned(),
        };
        let bytes = self.call_msg(Type::GetHistoryForKey, &req).await?;
        let response = decode_query_response(&bytes)?;
        Ok(HistoryIterator::new(self.clone(), response))
    }

    // ---------------------------------------------------------------- composite keys

    /// Builds a composite key (`U+0000 type U+0000 attr U+0000 …`).
    pub fn create_composite_key<S: AsRef<str>>(
        &self,
        object_type: &str,
        attributes: &[S],
    ) -> Result<String> {
        Ok(composite_key::create_composite_key(
            object_type,
            attributes,
        )?)
    }

    /// Splits a composite key into its object type and attributes.
    pub fn split_composite_key(&self, key: &str) -> Result<(String, Vec<String>)> {
        Ok(composite_key::split_composite_key(key)?)
    }

    // ---------------------------------------------------------------- private data

    /// Reads a private value (the creator's org must be allowed to read the collection).
    pub async fn get_private_data(&self, collection: &str, key: &str) -> Result<Option<Bytes>> {
        require_collection(collection)?;
        self.get(collection, key).await
    }

    /// The SHA-256 of a private value, readable by any org on the channel.
    pub async fn get_private_data_hash(
        &self,
        collection: &str,
        key: &str,
    ) -> Result<Option<Bytes>> {
        require_collection(collection)?;
        require_key(key)?;
        let req = GetState {
            key: key.to_owned(),
            collection: collection.to_owned(),
        };
        let bytes = self.call_msg(Type::GetPrivateDataHash, &req).await?;
        Ok((!bytes.is_empty()).then_some(bytes))
    }

    /// Reads several private keys, aligned with `keys`.
    pub async fn get_multiple_private_data<S: AsRef<str>>(
        &self,
        collection: &str,
        keys: &[S],
    ) -> Result<Vec<Option<Bytes>>> {
        require_collection(collection)?;
        self.get_multiple(collection, keys).await
    }

    /// Writes a private value. Only its hash reaches the public ledger.
    pub async fn put_private_data(
        &self,
        collection: &str,
        key: &str,
        value: impl Into<Bytes>,
    ) -> Result<()> {
        require_collection(collection)?;
        self.write(collection, key, WriteKind::Put(value.into()))
            .await
    }

    /// Deletes a private value (its history stays in member peers' private stores until purged).
    pub async fn del_private_data(&self, collection: &str, key: &str) -> Result<()> {
        require_collection(collection)?;
        self.write(collection, key, WriteKind::Delete).await
    }

    /// Deletes a private value and purges its past versions from every peer's private store
    /// (channel capability V2_5).
    pub async fn purge_private_data(&self, collection: &str, key: &str) -> Result<()> {
        require_collection(collection)?;
        self.write(collection, key, WriteKind::Purge).await
    }

    /// A range over a collection (read-only transactions only, no pagination).
    pub async fn get_private_data_by_range(
        &self,
        collection: &str,
        start: &str,
        end: &str,
    ) -> Result<StateIterator> {
        require_collection(collection)?;
        self.range(collection, start, end, None)
            .await
            .map(|(it, _)| it)
    }

    /// A partial composite key query over a collection.
    pub async fn get_private_data_by_partial_composite_key<S: AsRef<str>>(
        &self,
        collection: &str,
        object_type: &str,
        attributes: &[S],
    ) -> Result<StateIterator> {
        require_collection(collection)?;
        let (start, end) = composite_key::partial_key_range(object_type, attributes)?;
        self.range_raw(collection, start, end, None)
            .await
            .map(|(it, _)| it)
    }

    /// A rich query over a collection.
    pub async fn get_private_data_query_result(
        &self,
        collection: &str,
        query: &str,
    ) -> Result<StateIterator> {
        require_collection(collection)?;
        self.query(collection, query, None).await.map(|(it, _)| it)
    }

    // ---------------------------------------------------------------- metadata, key-level endorsement

    /// All metadata entries of a key (`collection` empty for public state).
    pub async fn get_state_metadata(
        &self,
        collection: &str,
        key: &str,
    ) -> Result<BTreeMap<String, Bytes>> {
        require_key(key)?;
        let req = GetStateMetadata {
            key: key.to_owned(),
            collection: collection.to_owned(),
        };
        let bytes = self.call_msg(Type::GetStateMetadata, &req).await?;
        let result = StateMetadataResult::decode(bytes).map_err(Error::decode(
            "GET_STATE_METADATA reply (StateMetadataResult)",
        ))?;
        Ok(result
            .entries
            .into_iter()
            .map(|e| (e.metakey, e.value))
            .collect())
    }

    /// Sets one metadata entry of a key (`collection` empty for public state).
    pub async fn put_state_metadata(
        &self,
        collection: &str,
        key: &str,
        name: &str,
        value: impl Into<Bytes>,
    ) -> Result<()> {
        if name.is_empty() {
            return Err(Error::InvalidArgument(
                "metadata entry name must not be empty".into(),
            ));
        }
        self.write(
            collection,
            key,
            WriteKind::Metadata(StateMetadata {
                metakey: name.to_owned(),
                value: value.into(),
            }),
        )
        .await
    }

    /// The key-level endorsement policy of a public key (a serialized SignaturePolicyEnvelope),
    /// if one is set.
    pub async fn get_state_validation_parameter(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self
            .get_state_metadata("", key)
            .await?
            .remove(VALIDATION_PARAMETER))
    }

    /// Sets the key-level endorsement policy of a public key. Build it with
    /// [`fabric_sdk::policy::statebased::KeyEndorsementPolicy`].
    pub async fn set_state_validation_parameter(
        &self,
        key: &str,
        policy: impl Into<Bytes>,
    ) -> Result<()> {
        self.put_state_metadata("", key, VALIDATION_PARAMETER, policy)
            .await
    }

    /// The key-level endorsement policy of a private key.
    pub async fn get_private_data_validation_parameter(
        &self,
        collection: &str,
        key: &str,
    ) -> Result<Option<Bytes>> {
        require_collection(collection)?;
        Ok(self
            .get_state_metadata(collection, key)
            .await?
            .remove(VALIDATION_PARAMETER))
    }

    /// Sets the key-level endorsement policy of a private key.
    pub async fn set_private_data_validation_parameter(
        &self,
        collection: &str,
        key: &str,
        policy: impl Into<Bytes>,
    ) -> Result<()> {
        require_collection(collection)?;
        self.put_state_metadata(collection, key, VALIDATION_PARAMETER, policy)
            .await
    }

    // ---------------------------------------------------------------- events, chaincode-to-chaincode

    /// Sets the transaction's chaincode event. A transaction has one event; the last call wins.
    /// Clients see it only once the transaction commits as valid.
    pub fn set_event(&self, name: &str, payload: impl Into<Bytes>) -> Result<()> {
        if name.is_empty() {
            return Err(Error::InvalidArgument(
                "event name must not be empty".into(),
            ));
        }
        let event = ChaincodeEvent {
            event_name: name.to_owned(),
            payload: payload.into(),
            ..Default::default()
        };
        *lock(&self.inner.event) = Some(event);
        Ok(())
    }

    /// The event set so far.
    pub fn event(&self) -> Option<ChaincodeEvent> {
        lock(&self.inner.event).clone()
    }

    /// Calls another chaincode in this transaction (same txid). `channel` empty = this channel.
    /// A call to another channel can read but its writes are not committed.
    pub async fn invoke_chaincode<A: AsRef<[u8]>>(
        &self,
        chaincode: &str,
        args: &[A],
        channel: &str,
    ) -> Result<Response> {
        if chaincode.is_empty() {
            return Err(Error::InvalidArgument(
                "chaincode name must not be empty".into(),
            ));
        }
        let name = if channel.is_empty() {
            chaincode.to_owned()
        } else {
            format!("{chaincode}/{channel}")
        };
        // Writes buffered so far belong to this chaincode; send them before the callee runs.
        self.flush_writes().await?;
        let spec = ChaincodeSpec {
            chaincode_id: Some(ChaincodeId {
                name,
                ..Default::default()
            }),
            input: Some(ChaincodeInput {
                args: args
                    .iter()
                    .map(|a| Bytes::copy_from_slice(a.as_ref()))
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let bytes = self.call_msg(Type::InvokeChaincode, &spec).await?;
        let reply = ChaincodeMessage::decode(bytes)
            .map_err(Error::decode("INVOKE_CHAINCODE reply (ChaincodeMessage)"))?;
        match Type::try_from(reply.r#type) {
            Ok(Type::Completed) => Response::decode(reply.payload)
                .map_err(Error::decode("INVOKE_CHAINCODE reply (Response)")),
            Ok(Type::Error) => Ok(Response {
                status: 500,
                message: String::from_utf8_lossy(&reply.payload).into_owned(),
                payload: Bytes::new(),
            }),
            _ => Err(Error::Protocol(format!(
                "INVOKE_CHAINCODE reply has type {}, expected COMPLETED or ERROR",
                reply.r#type
            ))),
        }
    }

    // ---------------------------------------------------------------- write batching

    /// Sends the writes buffered so far (`WRITE_BATCH_STATE`, chunked at the peer's advertised
    /// size). The shim calls this before COMPLETED; call it yourself only to see write errors
    /// earlier. Without write batching this does nothing.
    pub async fn flush_writes(&self) -> Result<()> {
        let Some(max) = self.inner.features.write_batch else {
            return Ok(());
        };
        let records = {
            let mut batch = lock(&self.inner.batch);
            if batch.is_empty() {
                return Ok(());
            }
            std::mem::take(&mut *batch).into_records()
        };
        for chunk in records.chunks(max.max(1) as usize) {
            let msg = fabric_protos::protos::WriteBatchState {
                rec: chunk.to_vec(),
            };
            self.call_msg(Type::WriteBatchState, &msg).await?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- internals

    async fn get(&self, collection: &str, key: &str) -> Result<Option<Bytes>> {
        require_key(key)?;
        let req = GetState {
            key: key.to_owned(),
            collection: collection.to_owned(),
        };
        let bytes = self.call_msg(Type::GetState, &req).await?;
        Ok((!bytes.is_empty()).then_some(bytes))
    }

    async fn get_multiple<S: AsRef<str>>(
        &self,
        collection: &str,
        keys: &[S],
    ) -> Result<Vec<Option<Bytes>>> {
        for k in keys {
            require_key(k.as_ref())?;
        }
        let Some(max) = self.inner.features.get_multiple else {
            let mut out = Vec::with_capacity(keys.len());
            for k in keys {
                out.push(self.get(collection, k.as_ref()).await?);
            }
            return Ok(out);
        };
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(max.max(1) as usize) {
            let req = GetStateMultiple {
                keys: chunk.iter().map(|k| k.as_ref().to_owned()).collect(),
                collection: collection.to_owned(),
            };
            let bytes = self.call_msg(Type::GetStateMultiple, &req).await?;
            let result = GetStateMultipleResult::decode(bytes).map_err(Error::decode(
                "GET_STATE_MULTIPLE reply (GetStateMultipleResult)",
            ))?;
            if result.values.len() != chunk.len() {
                return Err(Error::Protocol(format!(
                    "GET_STATE_MULTIPLE asked for {} keys, the peer returned {} values",
                    chunk.len(),
                    result.values.len()
                )));
            }
            out.extend(
                result
                    .values
                    .into_iter()
                    .map(|v| (!v.is_empty()).then_some(v)),
            );
        }
        Ok(out)
    }

    async fn write(&self, collection: &str, key: &str, kind: WriteKind) -> Result<()> {
        require_key(key)?;
        if self.inner.features.write_batch.is_some() {
            lock(&self.inner.batch).push(collection, key, kind);
            return Ok(());
        }
        match kind {
            WriteKind::Put(value) => {
                let req = PutState {
                    key: key.to_owned(),
                    value,
                    collection: collection.to_owned(),
                };
                self.call_msg(Type::PutState, &req).await?;
            }
            WriteKind::Delete => {
                let req = DelState {
                    key: key.to_owned(),
                    collection: collection.to_owned(),
                };
                self.call_msg(Type::DelState, &req).await?;
            }
            WriteKind::Purge => {
                let req = DelState {
                    key: key.to_owned(),
                    collection: collection.to_owned(),
                };
                self.call_msg(Type::PurgePrivateData, &req).await?;
            }
            WriteKind::Metadata(metadata) => {
                let req = PutStateMetadata {
                    key: key.to_owned(),
                    collection: collection.to_owned(),
                    metadata: Some(metadata),
                };
                self.call_msg(Type::PutStateMetadata, &req).await?;
            }
        }
        Ok(())
    }

    async fn range(
        &self,
        collection: &str,
        start: &str,
        end: &str,
        metadata: Option<QueryMetadata>,
    ) -> Result<(StateIterator, Option<QueryResponseMetadata>)> {
        composite_key::validate_simple_key(start)?;
        composite_key::validate_simple_key(end)?;
        let start = if start.is_empty() {
            EMPTY_KEY_SUBSTITUTE
        } else {
            start
        };
        self.range_raw(collection, start.to_owned(), end.to_owned(), metadata)
            .await
    }

    async fn range_raw(
        &self,
        collection: &str,
        start: String,
        end: String,
        metadata: Option<QueryMetadata>,
    ) -> Result<(StateIterator, Option<QueryResponseMetadata>)> {
        let paginated = metadata.is_some();
        let req = GetStateByRange {
            start_key: start,
            end_key: end,
            collection: collection.to_owned(),
            metadata: metadata
                .map(|m| Bytes::from(m.encode_to_vec()))
                .unwrap_or_default(),
        };
        let bytes = self.call_msg(Type::GetStateByRange, &req).await?;
        self.iterator_from(bytes, paginated)
    }

    async fn query(
        &self,
        collection: &str,
        query: &str,
        metadata: Option<QueryMetadata>,
    ) -> Result<(StateIterator, Option<QueryResponseMetadata>)> {
        if query.is_empty() {
            return Err(Error::InvalidArgument("query must not be empty".into()));
        }
        let paginated = metadata.is_some();
        let req = GetQueryResult {
            query: query.to_owned(),
            collection: collection.to_owned(),
            metadata: metadata
                .map(|m| Bytes::from(m.encode_to_vec()))
                .unwrap_or_default(),
        };
        let bytes = self.call_msg(Type::GetQueryResult, &req).await?;
        self.iterator_from(bytes, paginated)
    }

    fn iterator_from(
        &self,
        bytes: Bytes,
        paginated: bool,
    ) -> Result<(StateIterator, Option<QueryResponseMetadata>)> {
        let mut response = decode_query_response(&bytes)?;
        let metadata = if paginated {
            let m = QueryResponseMetadata::decode(std::mem::take(&mut response.metadata)).map_err(
                Error::decode("query reply metadata (QueryResponseMetadata)"),
            )?;
            Some(m)
        } else {
            None
        };
        Ok((StateIterator::new(self.clone(), response), metadata))
    }

    /// Asks the peer for the next batch of an open iterator.
    pub(crate) async fn query_next(&self, id: &str) -> Result<QueryResponse> {
        let req = fabric_protos::protos::QueryStateNext { id: id.to_owned() };
        let bytes = self.call_msg(Type::QueryStateNext, &req).await?;
        decode_query_response(&bytes)
    }

    /// Tells the peer an iterator is no longer needed.
    pub(crate) async fn query_close(&self, id: &str) -> Result<()> {
        let req = fabric_protos::protos::QueryStateClose { id: id.to_owned() };
        self.call_msg(Type::QueryStateClose, &req).await?;
        Ok(())
    }

    /// Takes the event (the handler does this when it sends COMPLETED).
    pub(crate) fn take_event(&self) -> Option<ChaincodeEvent> {
        lock(&self.inner.event).take()
    }
}

fn query_metadata(page_size: i32, bookmark: &str) -> QueryMetadata {
    QueryMetadata {
        page_size,
        bookmark: bookmark.to_owned(),
    }
}

fn decode_query_response(bytes: &Bytes) -> Result<QueryResponse> {
    QueryResponse::decode(bytes.clone()).map_err(Error::decode("query reply (QueryResponse)"))
}

fn require_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidArgument(
            "key must not be an empty string".into(),
        ));
    }
    Ok(())
}

fn require_collection(collection: &str) -> Result<()> {
    if collection.is_empty() {
        return Err(Error::InvalidArgument(
            "collection must not be an empty string".into(),
        ));
    }
    Ok(())
}
