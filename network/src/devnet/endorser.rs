//! The endorser of one devnet peer: `ProcessProposal` as a Fabric v3.1 peer does it.
//!
//! 1. The default auth filters: `ExpirationCheck` (the creator's certificate must not have
//!    expired) and `TimeWindowCheck` (the channel header timestamp within ±15 minutes). A
//!    refusal here is an error without a proposal response ([`ProposalOutcome::Refused`]).
//! 2. Unpacking (headers, chaincode header extension, invocation spec with its input) and the
//!    channel; then `preProcess`: header type, epoch 0, nonce and creator present, txid =
//!    SHA-256(nonce ‖ creator), the creator valid for its MSP and its signature over the
//!    proposal, no committed transaction with that txid, and the creator satisfying
//!    `/Channel/Application/Writers`. A failure is a status 500 response *and* an error
//!    ([`ProposalOutcome::Invalid`]), with Fabric's texts.
//! 3. The chaincode definition, `CheckInvocation` (init rules), the simulation: the chaincode is
//!    sent INIT/TRANSACTION over its connection and every request it makes is answered by a
//!    [`TxSimulator`] over a snapshot of the ledger (as this organisation sees it: no private
//!    values of collections it is not a member of). `INVOKE_CHAINCODE` runs the callee on the
//!    same simulator. Failures are status 500 responses without payload ("error in simulation:
//!    ...").
//! 4. The response: status < 400 is endorsed (ProposalResponsePayload signed by the peer with
//!    its MSP identity), 400–499 carries only the response, ≥ 500 the response and the payload
//!    but no endorsement. The chaincode event gets the chaincode name and txid; private writes
//!    are kept in the [`TransientStore`] by txid until the transaction commits.

use super::chaincode::{ChaincodeSupport, PeerLink};
use super::channel::{ChaincodeDefinition, ChannelContext};
use super::ledger::Ledger;
use super::policies::{PolicyLookupError, Requirement, WrittenKey, required_policies};
use super::state::PeerView;
use super::store::Snapshot;
use crate::error::{Error, Result};
use bytes::Bytes;
use fabric_chaincode::peer_side::{ChaincodeRequest, ExecuteKind, Reply, RequestHandler};
use fabric_protos::common::{ChannelHeader, Header, HeaderType, SignatureHeader};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeEvent, ChaincodeHeaderExtension, ChaincodeId, ChaincodeInput,
    ChaincodeInvocationSpec, ChaincodeMessage, ChaincodeProposalPayload, ChaincodeSpec,
    Endorsement, Proposal, ProposalResponse, ProposalResponsePayload, Response, SignedProposal,
};
use fabric_protos::rwset::TxPvtReadWriteSet;
use fabric_sdk::crypto::Signer;
use fabric_sdk::identity::Identity;
use fabric_sdk::identity::msp::format_unix_time;
use fabric_sdk::ledger::{Simulation, SimulatorConfig, TxRwSet, TxSimulator};
use fabric_sdk::policy::VerifiedSigner;
use fabric_sdk::tx::proposal::{compute_txid, proposal_hash};
use fabric_sdk::tx::response::endorsement_message;
use prost::Message;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Fabric's `peer.authentication.timewindow`.
pub const TIME_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How many blocks private data waits in the transient store for its transaction
/// (`peer.gossip.pvtData.transientstoreMaxBlockRetention`).
pub const TRANSIENT_RETENTION: u64 = 1000;
/// Deepest chain of chaincode-to-chaincode calls.
const MAX_CALL_DEPTH: usize = 16;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Private write sets of endorsed transactions, waiting for their commit (Fabric's transient
/// store). Several endorsers may put the set of one txid; the validator takes the one whose
/// hashes match the transaction.
#[derive(Debug, Default)]
pub struct TransientStore {
    entries: Mutex<HashMap<String, Vec<(u64, TxPvtReadWriteSet)>>>,
}

impl TransientStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the private write set of `txid`, endorsed at ledger height `height`.
    pub fn put(&self, txid: &str, height: u64, set: TxPvtReadWriteSet) {
        let mut e = lock(&self.entries);
        let list = e.entry(txid.to_owned()).or_default();
        if !list.iter().any(|(_, s)| *s == set) {
            list.push((height, set));
        }
    }

    /// The private write sets kept for `txid`.
    pub fn get(&self, txid: &str) -> Vec<TxPvtReadWriteSet> {
        lock(&self.entries)
            .get(txid)
            .map(|l| l.iter().map(|(_, s)| s.clone()).collect())
            .unwrap_or_default()
    }

    /// Forgets `txids` (committed) and everything endorsed more than
    /// [`TRANSIENT_RETENTION`] blocks before `height`.
    pub fn purge(&self, txids: &[String], height: u64) {
        let mut e = lock(&self.entries);
        for t in txids {
            e.remove(t);
        }
        let floor = height.saturating_sub(TRANSIENT_RETENTION);
        e.retain(|_, l| {
            l.retain(|(h, _)| *h >= floor);
            !l.is_empty()
        });
    }

    /// Number of txids with kept data.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One peer node of the devnet.
#[derive(Debug, Clone)]
pub struct PeerNode {
    /// `peer0.org1.example.com`.
    pub name: String,
    /// The organisation's MSP ID.
    pub msp_id: String,
    /// The peer's gRPC endpoint (what gateway error details name).
    pub address: String,
    /// The peer's serialized identity (`Endorsement.endorser`).
    pub identity: Bytes,
    /// The peer's signer.
    pub signer: Arc<dyn Signer>,
    /// How it reaches chaincodes.
    pub link: PeerLink,
}

/// What a transaction's endorsements must satisfy, as learnt from one simulation (Fabric's
/// `ChaincodeInterest`, resolved).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndorsementNeeds {
    /// The policies (chaincode, collection and key-level) the endorsements must satisfy.
    pub policies: Vec<Requirement>,
    /// Collections whose private data was read: only member organisations can endorse.
    pub private_reads: BTreeSet<(String, String)>,
    /// Every collection the transaction touched (read or wrote).
    pub collections: BTreeSet<(String, String)>,
    /// A namespace the transaction writes has no definition.
    pub undefined_namespace: Option<String>,
}

/// A processed proposal.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The proposal response.
    pub response: ProposalResponse,
    /// For an endorsed response: what the other endorsements must satisfy.
    pub needs: Option<EndorsementNeeds>,
}

/// The outcome of `ProcessProposal`, in Fabric's three shapes.
#[derive(Debug, Clone)]
pub enum ProposalOutcome {
    /// Refused by an auth filter (expired creator, timestamp outside the window): an error and
    /// no proposal response.
    Refused(String),
    /// Refused while unpacking or validating (signature, txid, ACL, duplicate): a status 500
    /// response with this message, and an error.
    Invalid(String),
    /// Processed: an endorsed response, or one with status ≥ 400.
    Processed(Box<Processed>),
}

impl ProposalOutcome {
    fn failed(message: impl Into<String>) -> Self {
        ProposalOutcome::Processed(Box::new(Processed {
            response: ProposalResponse {
                response: Some(Response {
                    status: 500,
                    message: message.into(),
                    payload: Bytes::new(),
                }),
                ..ProposalResponse::default()
            },
            needs: None,
        }))
    }
}

/// The proposal, unpacked as Fabric's `UnpackProposal` does.
#[derive(Debug, Clone)]
struct Unpacked {
    channel_header: ChannelHeader,
    signature_header: SignatureHeader,
    chaincode_name: String,
    input: ChaincodeInput,
    proposal_hash: [u8; 32],
}

/// The endorser of one peer. Cheap to clone.
#[derive(Clone)]
pub struct EndorserService {
    inner: Arc<Inner>,
}

struct Inner {
    peer: Arc<PeerNode>,
    channel: Arc<ChannelContext>,
    ledger: Ledger,
    chaincodes: Arc<ChaincodeSupport>,
    transient: Arc<TransientStore>,
    time_window: Duration,
}

impl std::fmt::Debug for EndorserService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndorserService")
            .field("peer", &self.inner.peer.name)
            .finish_non_exhaustive()
    }
}

fn unix_nanos(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// Go's `time.Duration.String()` for whole minutes and seconds (`15m0s`).
fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec}s"),
        (h, m, sec) => format!("{h}h{m}m{sec}s"),
    }
}

impl EndorserService {
    /// The endorser of `peer`.
    pub fn new(
        peer: Arc<PeerNode>,
        channel: Arc<ChannelContext>,
        ledger: Ledger,
        chaincodes: Arc<ChaincodeSupport>,
        transient: Arc<TransientStore>,
    ) -> Self {
        EndorserService {
            inner: Arc::new(Inner {
                peer,
                channel,
                ledger,
                chaincodes,
                transient,
                time_window: TIME_WINDOW,
            }),
        }
    }

    /// The peer.
    pub fn peer(&self) -> &Arc<PeerNode> {
        &self.inner.peer
    }

    /// The channel.
    pub fn channel(&self) -> &Arc<ChannelContext> {
        &self.inner.channel
    }

    /// Processes a signed proposal now.
    pub async fn process_proposal(&self, signed: &SignedProposal) -> ProposalOutcome {
        self.process_proposal_at(signed, SystemTime::now()).await
    }

    /// Processes a signed proposal at time `now`.
    pub async fn process_proposal_at(
        &self,
        signed: &SignedProposal,
        now: SystemTime,
    ) -> ProposalOutcome {
        if let Err(e) = self.auth_filters(signed, now) {
            return ProposalOutcome::Refused(e);
        }
        let up = match unpack(signed) {
            Ok(u) => u,
            Err(e) => return ProposalOutcome::Invalid(e),
        };
        let channel = &self.inner.channel;
        if up.channel_header.channel_id != channel.id() {
            return ProposalOutcome::failed(format!(
                "channel '{}' not found",
                up.channel_header.channel_id
            ));
        }
        let creator = match self.validate(&up, signed) {
            Ok(c) => c,
            Err(e) => return ProposalOutcome::Invalid(format!("error validating proposal: {e}")),
        };
        // Point reads of the committed state run inline (see `point_request`).
        let snapshot = match self.inner.ledger.store().snapshot() {
            Ok(s) => Arc::new(s),
            Err(e) => return ProposalOutcome::failed(e.to_string()),
        };
        let txid = up.channel_header.tx_id.clone();
        match snapshot.transaction(&txid) {
            Ok(None) => {}
            Ok(Some(_)) => {
                return ProposalOutcome::Invalid(format!(
                    "duplicate transaction found [{txid}]. Creator [{}]",
                    hex::encode(&up.signature_header.creator)
                ));
            }
            Err(e) => return ProposalOutcome::failed(e.to_string()),
        }
        const WRITERS: &str = "/Channel/Application/Writers";
        if let Err(e) = channel.check_policy(WRITERS, std::slice::from_ref(&creator)) {
            return ProposalOutcome::Invalid(format!(
                "failed evaluating policy on signed data during check policy [{WRITERS}]: [{e}]"
            ));
        }
        self.endorse(up, signed, creator, snapshot).await
    }

    /// `ExpirationCheck` and `TimeWindowCheck`.
    fn auth_filters(
        &self,
        signed: &SignedProposal,
        now: SystemTime,
    ) -> std::result::Result<(), String> {
        let prop = Proposal::decode(signed.proposal_bytes.clone())
            .map_err(|e| format!("failed parsing proposal: {e}"))?;
        let hdr = Header::decode(prop.header).map_err(|e| format!("failed parsing header: {e}"))?;
        let sh = SignatureHeader::decode(hdr.signature_header)
            .map_err(|e| format!("failed parsing signature header: {e}"))?;
        let now_nanos = unix_nanos(now);
        let not_after = match self.inner.channel.known_identity(&sh.creator) {
            Ok(known) => Some(known.not_after()),
            Err(_) => Identity::from_serialized(&sh.creator)
                .ok()
                .map(|id| id.certificate().not_after()),
        };
        if let Some(not_after) = not_after {
            let expires = i128::from(not_after) * 1_000_000_000;
            if now_nanos > expires {
                return Err("proposal client identity expired".into());
            }
        }
        let ch = ChannelHeader::decode(hdr.channel_header)
            .map_err(|e| format!("failed parsing channel header: {e}"))?;
        let ts = ch.timestamp.unwrap_or_default();
        let proposal_nanos = i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos);
        let window = self.inner.time_window.as_nanos() as i128;
        if proposal_nanos + window < now_nanos || proposal_nanos - window > now_nanos {
            let now_secs = i64::try_from(now_nanos.div_euclid(1_000_000_000)).unwrap_or(i64::MAX);
            return Err(format!(
                "request unauthorized due to incorrect timestamp {}, peer time {}, \
                 peer.authentication.timewindow {}",
                format_unix_time(ts.seconds),
                format_unix_time(now_secs),
                go_duration(self.inner.time_window)
            ));
        }
        Ok(())
    }

    /// `UnpackedProposal.Validate`; the error texts are Fabric's.
    fn validate(
        &self,
        up: &Unpacked,
        signed: &SignedProposal,
    ) -> std::result::Result<VerifiedSigner, String> {
        let ch = &up.channel_header;
        let t = ch.r#type;
        if t != HeaderType::EndorserTransaction as i32 && t != HeaderType::Config as i32 {
            let name = HeaderType::try_from(t)
                .map(|h| h.as_str_name().to_owned())
                .unwrap_or_else(|_| t.to_string());
            return Err(format!("invalid header type {name}"));
        }
        if ch.epoch != 0 {
            return Err("epoch is non-zero".into());
        }
        let sh = &up.signature_header;
        if sh.nonce.is_empty() {
            return Err("nonce is empty".into());
        }
        if sh.creator.is_empty() {
            return Err("creator is empty".into());
        }
        let expected = compute_txid(&sh.nonce, &sh.creator);
        if ch.tx_id != expected {
            return Err(format!(
                "incorrectly computed txid '{}' -- expected '{expected}'",
                ch.tx_id
            ));
        }
        if signed.proposal_bytes.is_empty() {
            return Err("empty proposal bytes".into());
        }
        if signed.signature.is_empty() {
            return Err("empty signature bytes".into());
        }
        let channel = &self.inner.channel;
        let known = channel.known_identity(&sh.creator);
        let msp_id = match &known {
            Ok(k) => Some(k.msp_id().to_owned()),
            Err(_) => Identity::from_serialized(&sh.creator)
                .ok()
                .filter(|i| channel.orgs().contains_key(i.msp_id()))
                .map(|i| i.msp_id().to_owned()),
        };
        let Some(msp_id) = msp_id else {
            return Err(format!(
                "access denied: channel [{}] creator org unknown, creator is malformed",
                ch.channel_id
            ));
        };
        let verified = known.and_then(|k| {
            k.verify(&signed.proposal_bytes, &signed.signature)
                .map(|()| k.signer().clone())
        });
        verified.map_err(|reason| {
            tracing::warn!(%reason, msp = %msp_id, "access denied: creator or its signature is not valid");
            format!(
                "access denied: channel [{}] creator org [{msp_id}]",
                ch.channel_id
            )
        })
    }

    async fn endorse(
        &self,
        up: Unpacked,
        signed: &SignedProposal,
        creator: VerifiedSigner,
        snapshot: Arc<Snapshot>,
    ) -> ProposalOutcome {
        let channel = &self.inner.channel;
        let Some(def) = channel.chaincode(&up.chaincode_name) else {
            return ProposalOutcome::failed(format!(
                "make sure the chaincode {cc} has been successfully defined on channel {ch} and \
                 try again: chaincode {cc} not found",
                cc = up.chaincode_name,
                ch = channel.id()
            ));
        };
        let txid = up.channel_header.tx_id.clone();
        let height = self.inner.ledger.height();
        let view = PeerView::new(
            snapshot.clone(),
            &self.inner.peer.msp_id,
            channel.members().clone(),
        );
        let cfg = SimulatorConfig::new(&def.name, &txid, &creator.msp_id)
            .with_channel(channel.id())
            .with_collections(def.collections.clone())
            .with_channel_orgs(channel.application_msp_ids())
            .with_init(up.input.is_init)
            .with_capabilities(true, channel.purge_enabled());
        let sim = Arc::new(Mutex::new(TxSimulator::new(view, cfg)));
        let exec = Arc::new(ExecCtx {
            sim: sim.clone(),
            endorser: self.clone(),
            signed: signed.clone(),
            channel_id: channel.id().to_owned(),
            txid: txid.clone(),
            depth: 0,
        });
        let outcome = run_chaincode(&exec, def, &up.input).await;
        tracing::debug!(%txid, ok = outcome.is_ok(), "chaincode execution ended");
        drop(exec);
        let (response, event) = match outcome {
            Ok(r) => r,
            Err(e) => return ProposalOutcome::failed(format!("error in simulation: {e}")),
        };
        let sim = match Arc::try_unwrap(sim) {
            Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
            Err(_) => {
                return ProposalOutcome::failed(
                    "error in simulation: the simulation is still in use after the chaincode completed",
                );
            }
        };
        let simulation = sim.finish();
        let status = response.status;
        let event = if status >= 400 { None } else { event };
        let action = ChaincodeAction {
            results: simulation.results.clone(),
            events: event
                .as_ref()
                .map(|e| Bytes::from(e.encode_to_vec()))
                .unwrap_or_default(),
            response: Some(response.clone()),
            chaincode_id: Some(ChaincodeId {
                path: String::new(),
                name: def.name.clone(),
                version: def.version.clone(),
            }),
        };
        let prp = Bytes::from(
            ProposalResponsePayload {
                proposal_hash: Bytes::copy_from_slice(&up.proposal_hash),
                extension: Bytes::from(action.encode_to_vec()),
            }
            .encode_to_vec(),
        );
        if status >= 500 {
            return ProposalOutcome::Processed(Box::new(Processed {
                response: ProposalResponse {
                    response: Some(response),
                    payload: prp,
                    ..ProposalResponse::default()
                },
                needs: None,
            }));
        }
        if status >= 400 {
            return ProposalOutcome::Processed(Box::new(Processed {
                response: ProposalResponse {
                    response: Some(response),
                    ..ProposalResponse::default()
                },
                needs: None,
            }));
        }
        let peer = &self.inner.peer;
        let signature = match peer.signer.sign(&endorsement_message(&prp, &peer.identity)) {
            Ok(s) => s,
            Err(e) => {
                return ProposalOutcome::failed(format!("endorsing with plugin failed: {e}"));
            }
        };
        if let Some(pvt) = &simulation.private {
            self.inner.transient.put(&txid, height, pvt.clone());
        }
        // Point reads: the key-level metadata of the keys written.
        let needs = endorsement_needs(channel, &def.name, &simulation, &snapshot);
        ProposalOutcome::Processed(Box::new(Processed {
            response: ProposalResponse {
                version: 1,
                timestamp: None,
                response: Some(response),
                payload: prp,
                endorsement: Some(Endorsement {
                    endorser: peer.identity.clone(),
                    signature: Bytes::from(signature),
                }),
                interest: None,
            },
            needs: Some(needs),
        }))
    }
}

/// What the endorsements of a simulated transaction must satisfy.
fn endorsement_needs(
    channel: &ChannelContext,
    invoked: &str,
    simulation: &Simulation,
    snapshot: &Snapshot,
) -> EndorsementNeeds {
    let mut needs = EndorsementNeeds {
        private_reads: simulation.private_reads.clone(),
        collections: simulation.collections.clone(),
        ..EndorsementNeeds::default()
    };
    let Ok(rwset) = TxRwSet::decode(&simulation.results) else {
        return needs;
    };
    let mut lookup = |k: WrittenKey<'_>| -> std::result::Result<Option<Bytes>, PolicyLookupError> {
        use fabric_sdk::ledger::StateReader;
        let metadata = if k.collection.is_empty() {
            let key = std::str::from_utf8(k.key).unwrap_or_default();
            StateReader::get_state(snapshot, k.namespace, key)
                .map_err(|e| PolicyLookupError::State(e.to_string()))?
                .map(|v| v.metadata)
        } else {
            StateReader::get_private_data_hash(snapshot, k.namespace, k.collection, k.key)
                .map_err(|e| PolicyLookupError::State(e.to_string()))?
                .map(|v| v.metadata)
        };
        Ok(metadata.and_then(|m| super::policies::validation_parameter(&m)))
    };
    match required_policies(channel, invoked, &rwset, &mut lookup) {
        Ok(p) => needs.policies = p,
        Err(PolicyLookupError::UndefinedNamespace(ns)) => needs.undefined_namespace = Some(ns),
        Err(e) => tracing::warn!(error = ?e, "cannot determine the endorsement policies"),
    }
    needs
}

/// Decodes the proposal as Fabric's `UnpackProposal` (its error texts).
fn unpack(signed: &SignedProposal) -> std::result::Result<Unpacked, String> {
    let prop = Proposal::decode(signed.proposal_bytes.clone())
        .map_err(|e| format!("error unmarshalling Proposal: {e}"))?;
    let hdr = Header::decode(prop.header.clone())
        .map_err(|e| format!("error unmarshalling Header: {e}"))?;
    let channel_header = ChannelHeader::decode(hdr.channel_header.clone())
        .map_err(|e| format!("error unmarshalling ChannelHeader: {e}"))?;
    let signature_header = SignatureHeader::decode(hdr.signature_header.clone())
        .map_err(|e| format!("error unmarshalling SignatureHeader: {e}"))?;
    let ext = ChaincodeHeaderExtension::decode(channel_header.extension.clone())
        .map_err(|e| format!("error unmarshalling ChaincodeHeaderExtension: {e}"))?;
    let Some(cc) = ext.chaincode_id else {
        return Err("ChaincodeHeaderExtension.ChaincodeId is nil".into());
    };
    if cc.name.is_empty() {
        return Err("ChaincodeHeaderExtension.ChaincodeId.Name is empty".into());
    }
    let cpp = ChaincodeProposalPayload::decode(prop.payload.clone())
        .map_err(|e| format!("error unmarshalling ChaincodeProposalPayload: {e}"))?;
    let cis = ChaincodeInvocationSpec::decode(cpp.input.clone())
        .map_err(|e| format!("error unmarshalling ChaincodeInvocationSpec: {e}"))?;
    let Some(spec) = cis.chaincode_spec else {
        return Err("chaincode invocation spec did not contain chaincode spec".into());
    };
    let Some(input) = spec.input else {
        return Err("chaincode input did not contain any input".into());
    };
    Ok(Unpacked {
        proposal_hash: proposal_hash(&hdr.channel_header, &hdr.signature_header, &cpp.input),
        channel_header,
        signature_header,
        chaincode_name: cc.name,
        input,
    })
}

/// One chaincode execution's context (shared with nested chaincode-to-chaincode calls).
struct ExecCtx {
    sim: Arc<Mutex<TxSimulator<PeerView>>>,
    endorser: EndorserService,
    signed: SignedProposal,
    channel_id: String,
    txid: String,
    depth: usize,
}

/// `CheckInvocation`, launch and execute: the chaincode's response and event, or the peer's
/// error text (`failed to execute transaction ...`, `transaction returned with failure: ...`).
async fn run_chaincode(
    exec: &Arc<ExecCtx>,
    def: &ChaincodeDefinition,
    input: &ChaincodeInput,
) -> std::result::Result<(Response, Option<ChaincodeEvent>), String> {
    let txid = exec.txid.clone();
    let msg = execute_message(exec, def, input)
        .await
        .map_err(|e| format!("failed to execute transaction {txid}: {e}"))?;
    match Type::try_from(msg.r#type) {
        Ok(Type::Completed) => {
            let response = Response::decode(msg.payload)
                .map_err(|e| format!("failed to unmarshal response for transaction {txid}: {e}"))?;
            let event = msg.chaincode_event.map(|mut e| {
                e.chaincode_id = def.name.clone();
                e.tx_id = txid.clone();
                e
            });
            Ok((response, event))
        }
        Ok(Type::Error) => Err(format!(
            "transaction returned with failure: {}",
            String::from_utf8_lossy(&msg.payload)
        )),
        _ => Err(format!(
            "unexpected response type {} for transaction {txid}",
            msg.r#type
        )),
    }
}

/// Checks the invocation and runs it; the chaincode's final message (COMPLETED or ERROR).
async fn execute_message(
    exec: &Arc<ExecCtx>,
    def: &ChaincodeDefinition,
    input: &ChaincodeInput,
) -> std::result::Result<ChaincodeMessage, String> {
    let sim = exec.sim.clone();
    let info = def.info();
    tracing::debug!(chaincode = %def.name, txid = %exec.txid, depth = exec.depth, "checking the invocation");
    // Point reads (the definition's sequence, the init marker): inline.
    lock(&sim)
        .check_invocation(&info)
        .map_err(|e| format!("invalid invocation: {e}"))?;
    let endorser = &exec.endorser.inner;
    let conn = endorser
        .chaincodes
        .connection(&endorser.peer.link, &def.name)
        .await?;
    tracing::debug!(peer = %endorser.peer.name, chaincode = %def.name, txid = %exec.txid, depth = exec.depth, "executing chaincode");
    let kind = if input.is_init {
        ExecuteKind::Init
    } else {
        ExecuteKind::Transaction
    };
    let handler = SimHandler(exec.clone());
    conn.execute(
        &exec.channel_id,
        &exec.txid,
        kind,
        input,
        Some(exec.signed.clone()),
        &handler,
    )
    .await
    .map_err(|e| match e {
        fabric_chaincode::Error::Timeout { .. } => {
            "error sending: timeout expired while executing transaction".to_owned()
        }
        other => {
            tracing::warn!(error = %other, chaincode = %def.name, "chaincode stream failed");
            "error sending: chaincode stream terminated".to_owned()
        }
    })
}

/// Requests answered on the async thread: writes (kept in the simulation's memory) and reads of
/// one key. A point read is a lookup in the redb snapshot's B-tree, whose pages redb and the OS
/// cache: a few microseconds, against two thread hand-offs (wake-ups across CPUs, the largest
/// single cost measured on the 2-vCPU machines: see docs/benchmarks.md) for a blocking-pool
/// call. Multiple-key reads (`GET_STATE_MULTIPLE`) are point reads too (shims send at most the
/// 1000 keys READY advertises per request): a chaincode reading 3 keys at once would otherwise
/// pay hand-offs its 3 single reads do not. Closing a query iterator reads nothing. Range, rich
/// and history queries and their next batches, which can touch many pages, run on the blocking
/// pool.
fn point_request(kind: Type) -> bool {
    matches!(
        kind,
        Type::GetState
            | Type::GetStateMultiple
            | Type::GetPrivateDataHash
            | Type::GetStateMetadata
            | Type::PutState
            | Type::DelState
            | Type::PutStateMetadata
            | Type::PurgePrivateData
            | Type::WriteBatchState
            | Type::QueryStateClose
    )
}

/// Answers a chaincode's requests from the simulator.
#[derive(Clone)]
struct SimHandler(Arc<ExecCtx>);

impl RequestHandler for SimHandler {
    fn handle(&self, request: ChaincodeRequest) -> impl Future<Output = Reply> + Send {
        let exec = self.0.clone();
        async move {
            tracing::trace!(txid = %exec.txid, depth = exec.depth, kind = request.kind.as_str_name(), "chaincode request");
            if request.kind == Type::InvokeChaincode {
                return invoke_chaincode(exec, request.payload).await;
            }
            let kind = request.kind;
            if point_request(kind) {
                return match lock(&exec.sim).handle_bytes(kind, request.payload) {
                    Ok(payload) => Reply::Response(payload),
                    Err(text) => Reply::Error(text),
                };
            }
            let sim = exec.sim.clone();
            match tokio::task::spawn_blocking(move || {
                lock(&sim).handle_bytes(kind, request.payload)
            })
            .await
            {
                Ok(Ok(payload)) => Reply::Response(payload),
                Ok(Err(text)) => Reply::Error(text),
                Err(e) => Reply::Error(format!(
                    "{} failed: transaction ID: {}: {e}",
                    kind.as_str_name(),
                    exec.txid
                )),
            }
        }
    }
}

/// `INVOKE_CHAINCODE`: runs the callee on the same simulator, answers with its final message.
fn invoke_chaincode(
    exec: Arc<ExecCtx>,
    payload: Bytes,
) -> Pin<Box<dyn Future<Output = Reply> + Send>> {
    Box::pin(async move {
        let fail = |reason: String| {
            Reply::Error(format!(
                "INVOKE_CHAINCODE failed: transaction ID: {}: {reason}",
                exec.txid
            ))
        };
        let spec = match ChaincodeSpec::decode(payload) {
            Ok(s) => s,
            Err(e) => return fail(format!("unmarshal failed: {e}")),
        };
        let full = spec.chaincode_id.map(|c| c.name).unwrap_or_default();
        let (name, channel) = match full.split_once('/') {
            Some((n, c)) => (n, c),
            None => (full.as_str(), ""),
        };
        let name = name.split_once(':').map_or(name, |(n, _)| n);
        if !channel.is_empty() && channel != exec.channel_id {
            return fail(format!("failed to find ledger for channel: {channel}"));
        }
        if exec.depth >= MAX_CALL_DEPTH {
            return fail("execute failed: chaincode-to-chaincode calls nested too deeply".into());
        }
        let Some(def) = exec.endorser.inner.channel.chaincode(name).cloned() else {
            return fail(format!(
                "execute failed: invalid invocation: chaincode {name} not found"
            ));
        };
        let input = spec.input.unwrap_or_default();
        tracing::debug!(txid = %exec.txid, callee = %def.name, "chaincode-to-chaincode call");
        let previous = lock(&exec.sim).switch_namespace(&def.name, def.collections.clone());
        let callee = Arc::new(ExecCtx {
            sim: exec.sim.clone(),
            endorser: exec.endorser.clone(),
            signed: exec.signed.clone(),
            channel_id: exec.channel_id.clone(),
            txid: exec.txid.clone(),
            depth: exec.depth + 1,
        });
        let result = execute_message(&callee, &def, &input).await;
        tracing::debug!(txid = %exec.txid, callee = %def.name, ok = result.is_ok(), "chaincode-to-chaincode call finished");
        drop(callee);
        lock(&exec.sim).switch_namespace(previous.0, previous.1);
        match result {
            Ok(msg) => Reply::Response(Bytes::from(msg.encode_to_vec())),
            Err(e) => fail(format!("execute failed: {e}")),
        }
    })
}

/// The devnet peer of a peer identity of the crypto material, listening at `address`.
pub fn peer_node(
    identity: &crate::cryptogen::IdentityCrypto,
    address: impl Into<String>,
    link: PeerLink,
) -> Result<PeerNode> {
    let signing = fabric_sdk::identity::SigningIdentity::from_msp_dir(
        &identity.msp_dir,
        identity.msp_id.clone(),
    )
    .map_err(Error::fabric(format!("peer identity {}", identity.name)))?;
    Ok(PeerNode {
        name: identity.name.clone(),
        msp_id: identity.msp_id.clone(),
        address: address.into(),
        identity: Bytes::copy_from_slice(signing.serialized()),
        signer: signing.signer.clone(),
        link,
    })
}
