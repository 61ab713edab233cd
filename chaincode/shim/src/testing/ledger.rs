//! [`TestLedger`]: one channel's committed state in memory, the chaincodes on it, and blocks.

use std::borrow::Borrow;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use fabric_protos::Timestamp;
use fabric_protos::protos::{CollectionConfigPackage, TxValidationCode};
use fabric_sdk::ledger::{
    BlockTx, DEFAULT_TOTAL_QUERY_LIMIT, MAX_RESULT_LIMIT, MemoryState, SimulatorConfig,
    validate_block,
};
use fabric_sdk::policy::collection::parse_collections_json;

use super::identity::TestIdentity;
use super::peer::{Registered, Registry, erase};
use super::tx::{TxBuilder, TxOutcome};
use crate::chaincode::{Chaincode, ERROR_THRESHOLD};
use crate::peer::PeerFeatures;
use crate::{Error, Result};

/// The channel the ledger is on unless [`TestLedger::with_channel`] says otherwise.
pub const DEFAULT_CHANNEL: &str = "testchannel";

/// The clock every transaction reads unless told otherwise: 2024-01-01T00:00:00Z.
pub const DEFAULT_TIME: Timestamp = Timestamp {
    seconds: 1_704_067_200,
    nanos: 0,
};

/// An in-memory Fabric channel for unit tests of chaincode: committed state, history and
/// private data, with transactions simulated and validated exactly as a Fabric peer (LevelDB)
/// does it.
///
/// Every transaction goes through the real shim: a signed proposal from a [`TestIdentity`], a
/// [`Stub`](crate::Stub), the transaction handler (panic isolation, write batching), and
/// `fabric_sdk::ledger::TxSimulator` answering each request as a peer would. Blocks are
/// validated with Fabric's MVCC and phantom-read rules.
///
/// What it does not model: endorsement policies (chaincode, collection and key-level policies
/// are stored, not evaluated), several peers (it holds every collection's private data), other
/// channels, rich queries (it is a LevelDB peer: they fail as on one), the `_lifecycle` reads a
/// peer records (except for init-required chaincodes, see
/// [`with_init_required`](TestLedger::with_init_required)).
///
/// See the module documentation for an example.
pub struct TestLedger {
    pub(super) chaincode: String,
    channel: String,
    pub(super) collections: CollectionConfigPackage,
    channel_orgs: Vec<String>,
    features: PeerFeatures,
    total_query_limit: u32,
    batch_size: usize,
    key_level_endorsement: bool,
    purge: bool,
    init_required: Option<String>,
    inner: Mutex<Inner>,
}

pub(super) struct Inner {
    pub(super) state: Arc<MemoryState>,
    registry: Arc<Registry>,
    pub(super) clock: Timestamp,
    /// Proposals built so far (the nonce of each is derived from this count).
    proposals: u64,
    /// Seeding transactions committed so far.
    pub(super) seeds: u64,
    /// Every txid in a committed block (valid or not).
    txids: BTreeSet<String>,
}

impl std::fmt::Debug for TestLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestLedger")
            .field("chaincode", &self.chaincode)
            .field("channel", &self.channel)
            .field("features", &self.features)
            .field("height", &self.height())
            .finish_non_exhaustive()
    }
}

/// What a transaction needs from the ledger at the moment it starts.
pub(crate) struct TxContext {
    pub(crate) state: Arc<MemoryState>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) nonce: Vec<u8>,
    pub(crate) timestamp: Timestamp,
}

impl TestLedger {
    /// A ledger for chaincode `chaincode` on channel [`DEFAULT_CHANNEL`]: no collections, no
    /// channel orgs, Fabric 3.1's peer features (write batching and multiple-key reads on),
    /// history on, query limits 100000/100, capabilities V2_5, clock at [`DEFAULT_TIME`].
    pub fn new(chaincode: impl Into<String>) -> TestLedger {
        TestLedger {
            chaincode: chaincode.into(),
            channel: DEFAULT_CHANNEL.to_owned(),
            collections: CollectionConfigPackage::default(),
            channel_orgs: Vec::new(),
            features: PeerFeatures::FABRIC_3_1,
            total_query_limit: DEFAULT_TOTAL_QUERY_LIMIT,
            batch_size: MAX_RESULT_LIMIT,
            key_level_endorsement: true,
            purge: true,
            init_required: None,
            inner: Mutex::new(Inner {
                state: Arc::new(MemoryState::new()),
                registry: Arc::new(Registry::new()),
                clock: DEFAULT_TIME,
                proposals: 0,
                seeds: 0,
                txids: BTreeSet::new(),
            }),
        }
    }

    // ------------------------------------------------------------------ configuration

    /// Sets the channel name.
    #[must_use]
    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = channel.into();
        self
    }

    /// Sets the chaincode's private data collections from a collections JSON document (the
    /// `--collections-config` file of `peer lifecycle chaincode approveformyorg`).
    pub fn with_collections_json(self, json: impl AsRef<[u8]>) -> Result<Self> {
        let package = parse_collections_json(json.as_ref())
            .map_err(|e| Error::testing("with_collections_json", e))?;
        Ok(self.with_collections(package))
    }

    /// Sets the chaincode's private data collections.
    #[must_use]
    pub fn with_collections(mut self, collections: CollectionConfigPackage) -> Self {
        let chaincode = self.chaincode.clone();
        self.state_mut().set_collections(&chaincode, &collections);
        self.collections = collections;
        self
    }

    /// Sets the channel's application orgs: each has an implicit collection
    /// `_implicit_org_<MSPID>`.
    #[must_use]
    pub fn with_channel_orgs<I, S>(mut self, msp_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.channel_orgs = msp_ids.into_iter().map(Into::into).collect();
        self
    }

    /// Sets what the peer advertises to the chaincode: [`PeerFeatures::FABRIC_3_1`] (the
    /// default: writes leave in `WRITE_BATCH_STATE`, `get_multiple_states` uses
    /// `GET_STATE_MULTIPLE`) or `PeerFeatures::default()` (a v2.5 peer: one request per write).
    #[must_use]
    pub fn with_peer_features(mut self, features: PeerFeatures) -> Self {
        self.features = features;
        self
    }

    /// Turns the history database on (default) or off (`GetHistoryForKey` then fails as on a
    /// peer with `enableHistoryDatabase: false`).
    #[must_use]
    pub fn with_history(self, enabled: bool) -> Self {
        let state = std::mem::take(&mut self.lock().state);
        let state = Arc::unwrap_or_clone(state).with_history(enabled);
        self.lock().state = Arc::new(state);
        self
    }

    /// Sets the peer's `ledger.state.totalQueryLimit` (default 100000) and the results per
    /// query batch (default 100, Fabric's fixed value; change it only to test paging).
    #[must_use]
    pub fn with_query_limits(mut self, total_query_limit: u32, batch_size: usize) -> Self {
        self.total_query_limit = total_query_limit;
        self.batch_size = batch_size.max(1);
        self
    }

    /// Sets the channel capabilities: key-level endorsement (V1_3, default on) and private
    /// data purge (V2_5, default on).
    #[must_use]
    pub fn with_capabilities(mut self, key_level_endorsement: bool, purge: bool) -> Self {
        self.key_level_endorsement = key_level_endorsement;
        self.purge = purge;
        self
    }

    /// Makes the chaincode definition (version `version`) require initialization: the first
    /// transaction must be an init ([`TxBuilder::init`]), as with `--init-required`. The peer's
    /// checks and its `_lifecycle` and `initialized` reads and writes are then in every
    /// transaction's read-write set, as on a network. Without it, an init transaction is
    /// refused as a peer refuses it.
    #[must_use]
    pub fn with_init_required(mut self, version: impl Into<String>) -> Self {
        self.init_required = Some(version.into());
        self
    }

    /// Sets the clock: the timestamp of the next transactions (the client's channel header
    /// timestamp, what `stub.tx_timestamp()` returns and history records).
    #[must_use]
    pub fn with_time(self, seconds: i64, nanos: i32) -> Self {
        self.set_time(seconds, nanos);
        self
    }

    /// Moves the clock (see [`with_time`](TestLedger::with_time)).
    pub fn set_time(&self, seconds: i64, nanos: i32) {
        self.lock().clock = Timestamp { seconds, nanos };
    }

    /// Makes `chaincode` callable by other chaincodes as `name` (`stub.invoke_chaincode`); it
    /// has no collections.
    pub fn register<C: Chaincode>(&self, name: impl Into<String>, chaincode: C) {
        self.register_with_collections(name, chaincode, CollectionConfigPackage::default());
    }

    /// [`register`](TestLedger::register) with the callee's collections.
    pub fn register_with_collections<C: Chaincode>(
        &self,
        name: impl Into<String>,
        chaincode: C,
        collections: CollectionConfigPackage,
    ) {
        let name = name.into();
        let mut inner = self.lock();
        Arc::make_mut(&mut inner.state).set_collections(&name, &collections);
        Arc::make_mut(&mut inner.registry).insert(
            name,
            Registered {
                chaincode: erase(Arc::new(chaincode)),
                collections,
            },
        );
    }

    // ------------------------------------------------------------------ transactions

    /// Starts a transaction proposal signed by `identity`.
    pub fn tx(&self, identity: &TestIdentity) -> TxBuilder<'_> {
        TxBuilder::new(self, identity)
    }

    /// Commits one block holding `outcomes` in order (`[&a, &b]`, `vec![a, b]` or `&outcomes`):
    /// each is validated against the committed state and the earlier transactions of the block
    /// (MVCC read conflicts, phantom reads, duplicate txids) and the valid ones are committed.
    /// Returns one code per transaction.
    ///
    /// Fails, committing nothing, if a transaction was not endorsed (status 400 or more): a
    /// client cannot submit it.
    pub fn commit_block<I>(&self, outcomes: I) -> Result<Vec<TxValidationCode>>
    where
        I: IntoIterator,
        I::Item: Borrow<TxOutcome>,
    {
        let outcomes: Vec<I::Item> = outcomes.into_iter().collect();
        let refs: Vec<&TxOutcome> = outcomes.iter().map(Borrow::borrow).collect();
        self.commit_outcomes(&refs).map(|(_, codes)| codes)
    }

    pub(crate) fn commit_outcomes(
        &self,
        outcomes: &[&TxOutcome],
    ) -> Result<(u64, Vec<TxValidationCode>)> {
        let mut txs = Vec::with_capacity(outcomes.len());
        for (i, o) in outcomes.iter().enumerate() {
            if o.response.status >= ERROR_THRESHOLD {
                return Err(Error::testing(
                    "commit_block",
                    format!(
                        "transaction {} was not endorsed (status {}: {}); a client cannot \
                         submit it",
                        o.txid, o.response.status, o.response.message
                    ),
                ));
            }
            let tx = o
                .simulation
                .to_block_tx(i as u64, o.txid.clone())
                .map_err(|e| Error::testing("commit_block", e))?
                .with_timestamp(Some(o.timestamp));
            txs.push(tx);
        }
        let mut inner = self.lock();
        commit(&mut inner, txs)
    }

    // ------------------------------------------------------------------ for transactions

    /// The chaincode's name.
    pub fn chaincode_name(&self) -> &str {
        &self.chaincode
    }

    /// The channel's name.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// What the peer advertises to chaincodes.
    pub fn peer_features(&self) -> PeerFeatures {
        self.features
    }

    pub(crate) fn init_required(&self) -> Option<&str> {
        self.init_required.as_deref()
    }

    /// Takes what a new transaction needs: a snapshot of the state, the chaincodes, a fresh
    /// nonce (derived from a counter, so txids are reproducible) and the clock.
    pub(crate) fn begin(&self) -> TxContext {
        let mut inner = self.lock();
        let n = inner.proposals;
        inner.proposals += 1;
        let nonce = fabric_sdk::crypto::sha256_parts(&[
            b"fabric-chaincode test ledger nonce",
            self.channel.as_bytes(),
            &n.to_be_bytes(),
        ])[..fabric_sdk::tx::proposal::NONCE_LEN]
            .to_vec();
        TxContext {
            state: Arc::clone(&inner.state),
            registry: Arc::clone(&inner.registry),
            nonce,
            timestamp: inner.clock,
        }
    }

    /// The simulator configuration of a transaction of `namespace`.
    pub(crate) fn config_for(
        &self,
        registry: &Registry,
        namespace: &str,
        txid: &str,
        creator_msp: &str,
        is_init: bool,
    ) -> SimulatorConfig {
        let collections = if namespace == self.chaincode {
            self.collections.clone()
        } else {
            registry
                .get(namespace)
                .map(|r| r.collections.clone())
                .unwrap_or_default()
        };
        SimulatorConfig::new(namespace, txid, creator_msp)
            .with_channel(&self.channel)
            .with_collections(collections)
            .with_channel_orgs(self.channel_orgs.iter().cloned())
            .with_init(is_init)
            .with_limits(self.total_query_limit, self.batch_size)
            .with_capabilities(self.key_level_endorsement, self.purge)
    }

    pub(super) fn simulator_config(
        &self,
        inner: &Inner,
        namespace: &str,
        txid: &str,
        creator_msp: String,
        is_init: bool,
    ) -> SimulatorConfig {
        self.config_for(&inner.registry, namespace, txid, &creator_msp, is_init)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn state_mut(&mut self) -> &mut MemoryState {
        let inner = self
            .inner
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::make_mut(&mut inner.state)
    }
}

/// Validates and commits one block; txids already on the ledger or earlier in the block are
/// `DUPLICATE_TXID`, as Fabric marks them.
pub(super) fn commit(inner: &mut Inner, txs: Vec<BlockTx>) -> Result<(u64, Vec<TxValidationCode>)> {
    let block = inner.state.height();
    let mut seen = BTreeSet::new();
    let txs: Vec<BlockTx> = txs
        .into_iter()
        .map(|tx| {
            if inner.txids.contains(&tx.txid) || !seen.insert(tx.txid.clone()) {
                tx.with_code(TxValidationCode::DuplicateTxid)
            } else {
                tx
            }
        })
        .collect();
    let context = || format!("commit block {block}");
    let validation =
        validate_block(&*inner.state, block, &txs).map_err(|e| Error::testing(context(), e))?;
    Arc::make_mut(&mut inner.state)
        .commit(&validation.batch)
        .map_err(|e| Error::testing(context(), e))?;
    inner.txids.extend(seen);
    Ok((block, validation.codes))
}
