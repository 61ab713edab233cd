//! Transactions on the test ledger: [`TxBuilder`] makes a real signed proposal and runs it
//! through the shim against the simulator; [`TxOutcome`] is what the endorsement produced.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use fabric_protos::Timestamp;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeEvent, ChaincodeInput, ChaincodeMessage, Response, SignedProposal, TxValidationCode,
};
use fabric_sdk::ledger::{ChaincodeDefinitionInfo, Simulation, TxRwSet, TxSimulator, Version};
use fabric_sdk::tx::ProposalBuilder;
use prost::Message;
use serde::de::DeserializeOwned;

use super::identity::TestIdentity;
use super::ledger::TestLedger;
use super::peer::SimPeer;
use crate::chaincode::{self, Chaincode, ERROR_THRESHOLD};
use crate::peer::PeerRequests;
use crate::{Error, Result};

/// A transaction proposal being built: [`TestLedger::tx`].
///
/// ```
/// # use fabric_chaincode::testing::{TestLedger, TestIdentity};
/// # async fn demo(ledger: &TestLedger, cc: &impl fabric_chaincode::Chaincode) -> fabric_chaincode::Result<()> {
/// let user = TestIdentity::new("Org1MSP")?;
/// let outcome = ledger
///     .tx(&user)
///     .function("CreateAsset")
///     .args(["asset1", "blue", "5", "Tom", "300"])
///     .transient("secret", b"never on the ledger")
///     .timestamp(1_700_000_000, 0)
///     .submit(cc)
///     .await?;
/// assert!(outcome.is_valid());
/// # Ok(()) }
/// ```
#[must_use = "a transaction does nothing until it is simulated, evaluated or submitted"]
pub struct TxBuilder<'l> {
    ledger: &'l TestLedger,
    identity: TestIdentity,
    chaincode: Option<String>,
    function: Option<Bytes>,
    args: Vec<Bytes>,
    transient: BTreeMap<String, Bytes>,
    timestamp: Option<Timestamp>,
    is_init: bool,
    nonce: Option<Vec<u8>>,
}

impl std::fmt::Debug for TxBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxBuilder")
            .field("creator", &self.identity.name())
            .field("function", &self.function)
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl<'l> TxBuilder<'l> {
    pub(crate) fn new(ledger: &'l TestLedger, identity: &TestIdentity) -> Self {
        TxBuilder {
            ledger,
            identity: identity.clone(),
            chaincode: None,
            function: None,
            args: Vec::new(),
            transient: BTreeMap::new(),
            timestamp: None,
            is_init: false,
            nonce: None,
        }
    }

    /// The function (the first argument); for a contract other than the default one,
    /// `"Contract:Function"`.
    pub fn function(mut self, name: impl AsRef<[u8]>) -> Self {
        self.function = Some(Bytes::copy_from_slice(name.as_ref()));
        self
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<[u8]>) -> Self {
        self.args.push(Bytes::copy_from_slice(arg.as_ref()));
        self
    }

    /// Appends arguments.
    pub fn args<I, A>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        self.args
            .extend(args.into_iter().map(|a| Bytes::copy_from_slice(a.as_ref())));
        self
    }

    /// Adds a transient entry (in the proposal, never in the transaction).
    pub fn transient(mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        self.transient
            .insert(name.into(), Bytes::copy_from_slice(value.as_ref()));
        self
    }

    /// The client's timestamp (default: the ledger's clock).
    pub fn timestamp(mut self, seconds: i64, nanos: i32) -> Self {
        self.timestamp = Some(Timestamp { seconds, nanos });
        self
    }

    /// Marks the proposal as the chaincode's init (`--isInit`): the peer sends INIT and
    /// refuses private data requests.
    pub fn init(mut self, is_init: bool) -> Self {
        self.is_init = is_init;
        self
    }

    /// The proposal's nonce (default: derived from a counter of the ledger, so the txids of a
    /// test are the same on every run).
    pub fn nonce(mut self, nonce: impl Into<Vec<u8>>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Calls another chaincode name (namespace) than the ledger's, e.g. one registered for
    /// chaincode-to-chaincode calls.
    pub fn chaincode(mut self, name: impl Into<String>) -> Self {
        self.chaincode = Some(name.into());
        self
    }

    /// Endorses the proposal: runs `chaincode` on the committed state and keeps the result
    /// (response, event, read-write sets). Nothing is committed; pass the outcome to
    /// [`TestLedger::commit_block`] to order it in a block.
    pub async fn simulate<C: Chaincode>(self, chaincode: &C) -> Result<TxOutcome> {
        let ledger = self.ledger;
        let ctx = ledger.begin();
        let namespace = self
            .chaincode
            .clone()
            .unwrap_or_else(|| ledger.chaincode_name().to_owned());
        let timestamp = self.timestamp.unwrap_or(ctx.timestamp);
        let mut args = Vec::with_capacity(self.args.len() + 1);
        args.extend(self.function.clone());
        args.extend(self.args.iter().cloned());

        let mut proposal = ProposalBuilder::new(
            ledger.channel(),
            namespace.clone(),
            self.identity.serialized().to_vec(),
        )
        .args(args.iter().cloned())
        .init(self.is_init)
        .nonce(self.nonce.clone().unwrap_or(ctx.nonce))
        .timestamp(timestamp);
        for (name, value) in &self.transient {
            proposal = proposal.transient(name.clone(), value.clone());
        }
        let context = || format!("proposal {namespace}");
        let unsigned = proposal.build().map_err(|e| Error::testing(context(), e))?;
        let signed = unsigned
            .sign(self.identity.signing_identity().signer.as_ref())
            .map_err(|e| Error::testing(context(), e))?;
        let txid = unsigned.txid().to_owned();

        let cfg = ledger.config_for(
            &ctx.registry,
            &namespace,
            &txid,
            self.identity.msp_id(),
            self.is_init,
        );
        let mut simulator = TxSimulator::new(ctx.state, cfg);
        let outcome = |response, event, simulation: Simulation| -> Result<TxOutcome> {
            let rwset = TxRwSet::decode(&simulation.results)
                .map_err(|e| Error::testing(format!("transaction {txid}"), e))?;
            Ok(TxOutcome {
                txid: txid.clone(),
                chaincode: namespace.clone(),
                timestamp,
                response,
                event,
                simulation,
                rwset,
                signed_proposal: signed.clone(),
                code: None,
                block: None,
            })
        };

        // The peer's checks before it runs the chaincode (CheckInvocation).
        if ledger.init_required().is_some() || self.is_init {
            let definition = ChaincodeDefinitionInfo {
                version: ledger.init_required().unwrap_or("1.0").to_owned(),
                init_required: ledger.init_required().is_some(),
            };
            if let Err(reason) = simulator.check_invocation(&definition) {
                let response = chaincode::error(format!(
                    "failed to execute transaction {txid}: invalid invocation: {reason}"
                ));
                return outcome(response, None, simulator.finish());
            }
        }

        let kind = if self.is_init {
            Type::Init
        } else {
            Type::Transaction
        };
        let input = ChaincodeInput {
            args,
            decorations: BTreeMap::new(),
            is_init: self.is_init,
        };
        let msg = ChaincodeMessage {
            r#type: kind as i32,
            payload: Bytes::from(input.encode_to_vec()),
            txid: txid.clone(),
            channel_id: ledger.channel().to_owned(),
            proposal: Some(signed.clone()),
            ..Default::default()
        };
        let features = ledger.peer_features();
        let peer = SimPeer::new(
            simulator,
            ledger.channel(),
            &txid,
            signed.clone(),
            ctx.registry,
            features,
        );
        let requests: Arc<dyn PeerRequests> = Arc::new(peer.clone());
        let (response, mut event) =
            crate::handler::execute(chaincode, requests, msg, features).await;
        let simulator = peer.take_simulator().ok_or_else(|| {
            Error::testing(
                format!("transaction {txid}"),
                "the simulator was taken twice",
            )
        })?;
        // The peer names the event's chaincode and transaction.
        if let Some(e) = event.as_mut() {
            e.chaincode_id = namespace.clone();
            e.tx_id = txid.clone();
        }
        outcome(response, event, simulator.finish())
    }

    /// What a client's evaluate does: runs the chaincode on the committed state and commits
    /// nothing. The same as [`simulate`](TxBuilder::simulate); the name says the intent.
    pub async fn evaluate<C: Chaincode>(self, chaincode: &C) -> Result<TxOutcome> {
        self.simulate(chaincode).await
    }

    /// What a client's submit does: simulates, and if the chaincode answered with a status
    /// below 400 (the peer endorses), commits the transaction in a block of its own.
    /// [`TxOutcome::code`] then holds the validation code.
    pub async fn submit<C: Chaincode>(self, chaincode: &C) -> Result<TxOutcome> {
        let ledger = self.ledger;
        let mut outcome = self.simulate(chaincode).await?;
        if outcome.is_endorsed() {
            let (block, codes) = ledger.commit_outcomes(&[&outcome])?;
            outcome.code = codes.first().copied();
            outcome.block = Some(block);
        }
        Ok(outcome)
    }
}

/// The endorsement of one transaction on the test ledger, and its validation once committed.
#[derive(Debug, Clone)]
pub struct TxOutcome {
    /// The transaction id.
    pub txid: String,
    /// The chaincode (namespace) that was called.
    pub chaincode: String,
    /// The client's timestamp.
    pub timestamp: Timestamp,
    /// The chaincode's response.
    pub response: Response,
    /// The transaction's chaincode event (the last one set), with the chaincode and
    /// transaction ids filled in by the peer.
    pub event: Option<ChaincodeEvent>,
    /// The read-write sets the peer built.
    pub simulation: Simulation,
    /// `simulation.results` decoded.
    pub rwset: TxRwSet,
    /// The signed proposal the client sent.
    pub signed_proposal: SignedProposal,
    /// The validation code, once committed by [`TxBuilder::submit`].
    pub code: Option<TxValidationCode>,
    /// The block it was committed in, by [`TxBuilder::submit`].
    pub block: Option<u64>,
}

impl TxOutcome {
    /// The response status.
    pub fn status(&self) -> i32 {
        self.response.status
    }

    /// The response message (set on errors).
    pub fn message(&self) -> &str {
        &self.response.message
    }

    /// The response payload.
    pub fn payload(&self) -> &Bytes {
        &self.response.payload
    }

    /// The payload as text (invalid UTF-8 replaced).
    pub fn payload_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.response.payload)
    }

    /// The payload decoded from JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.response.payload).map_err(|source| Error::Json {
            context: format!("decoding the payload of transaction {}", self.txid),
            source,
        })
    }

    /// Whether a peer endorses it (status below 400).
    pub fn is_endorsed(&self) -> bool {
        self.response.status < ERROR_THRESHOLD
    }

    /// Whether it was committed as valid.
    pub fn is_valid(&self) -> bool {
        self.code == Some(TxValidationCode::Valid)
    }

    /// The public writes to the called chaincode's namespace: key → value (`None`: delete).
    pub fn writes(&self) -> BTreeMap<String, Option<Bytes>> {
        self.writes_of(&self.chaincode)
    }

    /// The public writes to a namespace.
    pub fn writes_of(&self, namespace: &str) -> BTreeMap<String, Option<Bytes>> {
        self.rwset
            .namespaces
            .iter()
            .filter(|n| n.namespace == namespace)
            .flat_map(|n| &n.kv.writes)
            .map(|w| {
                let value = (!w.is_delete).then(|| w.value.clone());
                (w.key.clone(), value)
            })
            .collect()
    }

    /// The public reads of the called chaincode's namespace: key → the version read (`None`:
    /// the key did not exist).
    pub fn reads(&self) -> BTreeMap<String, Option<Version>> {
        self.rwset
            .namespaces
            .iter()
            .filter(|n| n.namespace == self.chaincode)
            .flat_map(|n| &n.kv.reads)
            .map(|r| (r.key.clone(), r.version.as_ref().map(Version::from_proto)))
            .collect()
    }

    /// The private writes to a collection of the called chaincode: key → value (`None`:
    /// delete). Only the endorsing peers see these; the transaction carries their hashes.
    pub fn private_writes(&self, collection: &str) -> BTreeMap<String, Option<Bytes>> {
        self.simulation
            .private
            .as_ref()
            .into_iter()
            .flat_map(|p| &p.ns_pvt_rwset)
            .filter(|n| n.namespace == self.chaincode)
            .flat_map(|n| &n.collection_pvt_rwset)
            .filter(|c| c.collection_name == collection)
            .filter_map(|c| fabric_protos::kvrwset::KvrwSet::decode(c.rwset.clone()).ok())
            .flat_map(|kv| kv.writes)
            .map(|w| {
                let value = (!w.is_delete).then_some(w.value);
                (w.key, value)
            })
            .collect()
    }
}
