//! The peer Gateway service (`gateway.Gateway`) of a devnet peer, as Fabric v3.1's embedded
//! gateway (`internal/pkg/gateway`) behaves, codes and messages included.
//!
//! - **Evaluate**: the proposal runs on one peer — this peer's organisation first, then the
//!   others (retrying only where Fabric retries); with transient data and no target
//!   organisations, only this organisation. The result is the chaincode response, its payload
//!   taken from the endorsed ChaincodeAction.
//! - **Endorse**: with `endorsing_organizations`, exactly those organisations; otherwise the
//!   proposal runs on this organisation's peer first, and the policies that simulation says the
//!   transaction needs (chaincode, collection, key-level; private reads restricted to member
//!   organisations; with transient data every touched collection) choose the smallest set of
//!   organisations that satisfies them, preferring this one. Every endorsement must succeed with
//!   byte-identical ProposalResponsePayloads; the prepared transaction is assembled as Fabric
//!   does (envelope unsigned).
//! - **Submit**: the envelope must be signed; the ordering service's checks (channel, creator
//!   not expired, size, `/Channel/Writers`) then ordering.
//! - **CommitStatus**: signed by an identity satisfying `/Channel/Application/Readers`; waits for
//!   the transaction's commit.
//! - **ChaincodeEvents**: signed the same way; from the next commit, a given block, or after a
//!   given transaction; events of VALID transactions of the chaincode only; forever.
//!
//! Errors carry Fabric's gRPC code and message, and `google.rpc.Status` details of type
//! `gateway.ErrorDetail{address, msp_id, message}` for each peer or orderer that failed.

use super::channel::ChannelContext;
use super::endorser::{EndorsementNeeds, EndorserService, ProposalOutcome};
use super::ledger::Ledger;
use super::orderer::OrdererHandle;
use crate::error::Error;
use bytes::Bytes;
use fabric_protos::common::{
    Block, ChannelHeader, Envelope, Header, HeaderType, Payload, SignatureHeader, Status,
};
use fabric_protos::gateway::gateway_server::{Gateway, GatewayServer};
use fabric_protos::gateway::{
    ChaincodeEventsRequest, ChaincodeEventsResponse, CommitStatusRequest, CommitStatusResponse,
    EndorseRequest, EndorseResponse, ErrorDetail, EvaluateRequest, EvaluateResponse,
    SignedChaincodeEventsRequest, SignedCommitStatusRequest, SubmitRequest, SubmitResponse,
};
use fabric_protos::google::rpc::Status as RpcStatus;
use fabric_protos::orderer::seek_position::Type as Seek;
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeActionPayload, ChaincodeEvent, ChaincodeInvocationSpec,
    ChaincodeProposalPayload, Endorsement, Proposal, ProposalResponse, ProposalResponsePayload,
    SignedProposal, Transaction, TxValidationCode,
};
use fabric_protos::{Any, Message};
use fabric_sdk::identity::Identity;
use fabric_sdk::policy::VerifiedSigner;
use fabric_sdk::tx::{ParsedProposal, UnsignedTransaction};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response};

/// Fabric's `peer.gateway.endorsementTimeout` in the sample core.yaml.
pub const ENDORSEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Gateway requests and responses up to Fabric's 100 MiB.
pub const MAX_MESSAGE_SIZE: usize = 100 * 1024 * 1024;
/// The most organisations the endorsement planner combines exhaustively.
const MAX_PLANNED_ORGS: usize = 16;

/// The ordering service as the gateway sees it.
#[derive(Debug, Clone)]
pub struct OrderingEndpoint {
    /// Where the ordering service runs (error details).
    pub address: String,
    /// Its MSP ID (error details).
    pub msp_id: String,
    /// Envelopes go here; `None` once the devnet is shutting down.
    pub handle: Arc<std::sync::Mutex<Option<OrdererHandle>>>,
    /// `BatchSize.AbsoluteMaxBytes`.
    pub absolute_max_bytes: u32,
}

/// The gateway of one peer.
#[derive(Clone)]
pub struct GatewayService {
    inner: Arc<Inner>,
}

struct Inner {
    /// This peer.
    local: EndorserService,
    /// Every peer of the channel (this one included), in topology order.
    peers: Vec<EndorserService>,
    channel: Arc<ChannelContext>,
    ledger: Ledger,
    orderer: OrderingEndpoint,
    timeout: Duration,
    stop: Option<watch::Receiver<bool>>,
}

impl std::fmt::Debug for GatewayService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayService")
            .field("peer", &self.inner.local.peer().name)
            .finish_non_exhaustive()
    }
}

type GResult<T> = std::result::Result<T, tonic::Status>;

/// A gRPC error with `gateway.ErrorDetail`s in `google.rpc.Status`.
pub fn rpc_error(code: Code, message: impl Into<String>, details: &[ErrorDetail]) -> tonic::Status {
    let message = message.into();
    if details.is_empty() {
        return tonic::Status::new(code, message);
    }
    let status = RpcStatus {
        code: code as i32,
        message: message.clone(),
        details: details
            .iter()
            .map(|d| Any {
                type_url: "type.googleapis.com/gateway.ErrorDetail".into(),
                value: d.encode_to_vec(),
            })
            .collect(),
    };
    tonic::Status::with_details(code, message, Bytes::from(status.encode_to_vec()))
}

/// How the gateway reads an endorser's outcome (Fabric's `responseStatus`): the code, the
/// message, and whether to try another peer.
fn response_status(outcome: &ProposalOutcome, local: bool) -> (Code, String, bool) {
    let remote = |m: &str| format!("rpc error: code = Unknown desc = {m}");
    match outcome {
        ProposalOutcome::Refused(m) if local => (Code::Unavailable, m.clone(), true),
        ProposalOutcome::Refused(m) => (Code::Unavailable, remote(m), true),
        ProposalOutcome::Invalid(m) if local => (Code::FailedPrecondition, m.clone(), false),
        ProposalOutcome::Invalid(m) => (Code::Unavailable, remote(m), true),
        ProposalOutcome::Processed(p) => {
            let r = p.response.response.clone().unwrap_or_default();
            if r.status < 200 || r.status >= 400 {
                if p.response.payload.is_empty() && r.status == 500 {
                    (Code::Aborted, r.message, true)
                } else {
                    (
                        Code::Unknown,
                        format!("chaincode response {}, {}", r.status, r.message),
                        false,
                    )
                }
            } else {
                (Code::Ok, String::new(), false)
            }
        }
    }
}

/// What the gateway reads from a proposal to route it.
struct Routing {
    channel: String,
    chaincode: String,
    has_transient: bool,
}

fn routing(signed: Option<&SignedProposal>) -> std::result::Result<Routing, String> {
    let Some(signed) = signed.filter(|s| !s.proposal_bytes.is_empty()) else {
        return Err("a signed proposal is required".into());
    };
    let prop = Proposal::decode(signed.proposal_bytes.clone())
        .map_err(|e| format!("error unmarshalling Proposal: {e}"))?;
    let header =
        Header::decode(prop.header).map_err(|e| format!("error unmarshalling Header: {e}"))?;
    let ch = ChannelHeader::decode(header.channel_header)
        .map_err(|e| format!("error unmarshalling ChannelHeader: {e}"))?;
    let payload = ChaincodeProposalPayload::decode(prop.payload)
        .map_err(|e| format!("error unmarshalling ChaincodeProposalPayload: {e}"))?;
    let spec = ChaincodeInvocationSpec::decode(payload.input.clone())
        .map_err(|e| format!("error unmarshalling ChaincodeInvocationSpec: {e}"))?;
    if ch.channel_id.is_empty() {
        return Err("no channel id provided".into());
    }
    let Some(spec) = spec.chaincode_spec else {
        return Err(format!(
            "no chaincode spec is provided, channel id [{}]",
            ch.channel_id
        ));
    };
    let Some(id) = spec.chaincode_id else {
        return Err(format!(
            "no chaincode id is provided, channel id [{}]",
            ch.channel_id
        ));
    };
    if id.name.is_empty() {
        return Err(format!(
            "no chaincode name is provided, channel id [{}]",
            ch.channel_id
        ));
    }
    Ok(Routing {
        channel: ch.channel_id,
        chaincode: id.name,
        has_transient: !payload.transient_map.is_empty(),
    })
}

fn unix_now() -> i64 {
    fabric_sdk::identity::msp::unix_now()
}

impl OrderingEndpoint {
    /// The ordering handle, unless the devnet is shutting down.
    fn handle(&self) -> Option<OrdererHandle> {
        self.handle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Drops the ordering handle: broadcasts fail with UNAVAILABLE from now on, and the
    /// ordering task can finish.
    pub fn close(&self) {
        self.handle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }
}

impl GatewayService {
    /// The gateway of `local`, over every peer of the devnet (`peers` includes `local`).
    pub fn new(
        local: EndorserService,
        peers: Vec<EndorserService>,
        ledger: Ledger,
        orderer: OrderingEndpoint,
    ) -> Self {
        let channel = local.channel().clone();
        GatewayService {
            inner: Arc::new(Inner {
                local,
                peers,
                channel,
                ledger,
                orderer,
                timeout: ENDORSEMENT_TIMEOUT,
                stop: None,
            }),
        }
    }

    /// Ends chaincode event streams (UNAVAILABLE) when `stop` turns true.
    pub fn with_shutdown(mut self, stop: watch::Receiver<bool>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.stop = Some(stop);
        }
        self
    }

    /// The tonic service, with Fabric's 100 MiB message limits.
    pub fn into_server(self) -> GatewayServer<Self> {
        GatewayServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE)
    }

    fn is_local(&self, e: &EndorserService) -> bool {
        e.peer().name == self.inner.local.peer().name
    }

    fn detail(e: &EndorserService, message: impl Into<String>) -> ErrorDetail {
        ErrorDetail {
            address: e.peer().address.clone(),
            msp_id: e.peer().msp_id.clone(),
            message: message.into(),
        }
    }

    /// Peers that can endorse `chaincode` (it is defined), grouped per organisation in topology
    /// order, this peer first in its organisation.
    fn endorsers_by_org(&self, chaincode: &str) -> Vec<(String, Vec<EndorserService>)> {
        let mut out: Vec<(String, Vec<EndorserService>)> = Vec::new();
        if self.inner.channel.chaincode(chaincode).is_none() {
            return out;
        }
        let mut peers: Vec<&EndorserService> = self.inner.peers.iter().collect();
        peers.sort_by_key(|p| !self.is_local(p));
        for p in peers {
            let msp = p.peer().msp_id.clone();
            match out.iter_mut().find(|(m, _)| *m == msp) {
                Some((_, list)) => list.push(p.clone()),
                None => out.push((msp, vec![p.clone()])),
            }
        }
        out
    }

    async fn process(&self, e: &EndorserService, signed: &SignedProposal) -> ProposalOutcome {
        match tokio::time::timeout(self.inner.timeout, e.process_proposal(signed)).await {
            Ok(o) => o,
            Err(_) => ProposalOutcome::Refused("context deadline exceeded".into()),
        }
    }

    // ----- Evaluate ------------------------------------------------------------------------

    async fn do_evaluate(&self, request: EvaluateRequest) -> GResult<EvaluateResponse> {
        let signed = request.proposed_transaction.clone();
        let r = routing(signed.as_ref()).map_err(|e| {
            tonic::Status::invalid_argument(format!("failed to unpack transaction proposal: {e}"))
        })?;
        let signed = signed.unwrap_or_default();
        let local_msp = self.inner.local.peer().msp_id.clone();
        let mut targets = request.target_organizations.clone();
        let mut transient_protected = false;
        if r.has_transient && targets.is_empty() {
            targets = vec![local_msp.clone()];
            transient_protected = true;
        }
        let by_org = if r.channel == self.inner.channel.id() {
            self.endorsers_by_org(&r.chaincode)
        } else {
            Vec::new()
        };
        let mut plan: Vec<EndorserService> = Vec::new();
        let mut others: Vec<EndorserService> = Vec::new();
        for (msp, list) in by_org {
            if !targets.is_empty() && !targets.contains(&msp) {
                continue;
            }
            if msp == local_msp {
                plan.extend(list);
            } else {
                others.extend(list);
            }
        }
        plan.extend(others);
        if plan.is_empty() {
            let base = format!(
                "no peers available to evaluate chaincode {} in channel {}",
                r.chaincode, r.channel
            );
            return Err(tonic::Status::failed_precondition(if transient_protected {
                format!(
                    "no endorsers found in the gateway's organization; retry specifying target \
                     organization(s) to protect transient data: {base}"
                )
            } else {
                base
            }));
        }
        let mut details = Vec::new();
        for (i, e) in plan.iter().enumerate() {
            let outcome = self.process(e, &signed).await;
            let (code, message, retry) = response_status(&outcome, self.is_local(e));
            if code == Code::Ok {
                let ProposalOutcome::Processed(p) = outcome else {
                    break;
                };
                let result = result_of(&p.response);
                let mut response = p.response.response.unwrap_or_default();
                if let Some(result) = result {
                    response.payload = result;
                }
                return Ok(EvaluateResponse {
                    result: Some(response),
                });
            }
            tracing::debug!(peer = %e.peer().name, %message, "evaluate call to endorser failed");
            details.push(Self::detail(e, message.clone()));
            if !retry {
                return Err(rpc_error(
                    code,
                    format!("evaluate call to endorser returned error: {message}"),
                    &details,
                ));
            }
            if i + 1 == plan.len() {
                return Err(rpc_error(
                    code,
                    "failed to evaluate transaction, see attached details for more info",
                    &details,
                ));
            }
        }
        Err(rpc_error(
            Code::Unavailable,
            "failed to evaluate transaction, see attached details for more info",
            &details,
        ))
    }

    // ----- Endorse -------------------------------------------------------------------------

    async fn do_endorse(&self, request: EndorseRequest) -> GResult<EndorseResponse> {
        let signed = match &request.proposed_transaction {
            Some(s) if !s.proposal_bytes.is_empty() => s.clone(),
            _ => {
                return Err(tonic::Status::invalid_argument(
                    "the proposed transaction must contain a signed proposal",
                ));
            }
        };
        let r = routing(Some(&signed)).map_err(tonic::Status::invalid_argument)?;
        let by_org = if r.channel == self.inner.channel.id() {
            self.endorsers_by_org(&r.chaincode)
        } else {
            Vec::new()
        };
        let mut collected = Collected::default();
        if !request.endorsing_organizations.is_empty() {
            let mut groups = Vec::new();
            let mut missing = Vec::new();
            for org in &request.endorsing_organizations {
                match by_org.iter().find(|(m, _)| m == org) {
                    Some((_, list)) => groups.push(list.clone()),
                    None => missing.push(org.clone()),
                }
            }
            if !missing.is_empty() {
                return Err(tonic::Status::unavailable(format!(
                    "failed to find any endorsing peers for org(s): {}",
                    missing.join(", ")
                )));
            }
            self.endorse_groups(&groups, &signed, &mut collected).await;
            if collected.failed {
                return Err(rpc_error(
                    Code::Aborted,
                    "failed to collect enough transaction endorsements, see attached details for more info",
                    &collected.details,
                ));
            }
        } else {
            self.plan_from_first_endorser(&r, &by_org, &signed, &mut collected)
                .await?;
        }
        let endorsements: Vec<Endorsement> = collected
            .endorsements
            .iter()
            .map(|(_, e)| e.clone())
            .collect();
        let (Some(prp), false) = (collected.prp.clone(), endorsements.is_empty()) else {
            return Err(rpc_error(
                Code::Aborted,
                "failed to collect enough transaction endorsements, see attached details for more info",
                &collected.details,
            ));
        };
        let parsed = ParsedProposal::parse(&signed)
            .map_err(|e| tonic::Status::aborted(format!("failed to assemble transaction: {e}")))?;
        let tx = UnsignedTransaction::assemble(&parsed, &prp, &endorsements)
            .map_err(|e| tonic::Status::aborted(format!("failed to assemble transaction: {e}")))?;
        Ok(EndorseResponse {
            prepared_transaction: Some(Envelope {
                payload: tx.bytes().clone(),
                signature: Bytes::new(),
            }),
        })
    }

    /// Endorses on one peer of each group, the groups at once (each trying its next peer on
    /// failure), and records the outcomes in group order.
    async fn endorse_groups(
        &self,
        groups: &[Vec<EndorserService>],
        signed: &SignedProposal,
        collected: &mut Collected,
    ) {
        let attempts =
            futures_util::future::join_all(groups.iter().map(|g| self.try_group(g, signed))).await;
        for list in attempts {
            let mut endorsed = false;
            for (e, outcome) in list {
                let (code, message, _) = response_status(&outcome, self.is_local(&e));
                if code != Code::Ok {
                    tracing::warn!(peer = %e.peer().name, %message, "endorse call to endorser failed");
                    collected.details.push(Self::detail(&e, message));
                    continue;
                }
                if let ProposalOutcome::Processed(p) = outcome
                    && collected.add(&e, &p.response)
                {
                    endorsed = true;
                }
            }
            if !endorsed {
                collected.failed = true;
            }
        }
    }

    /// The peers of `group` in turn until one endorses: every attempt with its outcome.
    async fn try_group(
        &self,
        group: &[EndorserService],
        signed: &SignedProposal,
    ) -> Vec<(EndorserService, ProposalOutcome)> {
        let mut out = Vec::new();
        for e in group {
            let outcome = self.process(e, signed).await;
            let ok = response_status(&outcome, self.is_local(e)).0 == Code::Ok;
            out.push((e.clone(), outcome));
            if ok {
                break;
            }
        }
        out
    }

    async fn plan_from_first_endorser(
        &self,
        r: &Routing,
        by_org: &[(String, Vec<EndorserService>)],
        signed: &SignedProposal,
        collected: &mut Collected,
    ) -> GResult<()> {
        let channel = &self.inner.channel;
        let local_msp = self.inner.local.peer().msp_id.clone();
        let no_combination = |why: &str| {
            tonic::Status::failed_precondition(format!(
                "no combination of peers can be derived which satisfy the endorsement policy: {why}"
            ))
        };
        let first_group: Vec<EndorserService> = match by_org.iter().find(|(m, _)| *m == local_msp) {
            Some((_, list)) => list.clone(),
            None => {
                if r.has_transient {
                    return Err(tonic::Status::failed_precondition(
                        "no endorsers found in the gateway's organization; retry specifying \
                             endorsing organization(s) to protect transient data",
                    ));
                }
                let Some(def) = channel
                    .chaincode(&r.chaincode)
                    .filter(|_| !by_org.is_empty())
                else {
                    return Err(no_combination(&format!(
                        "No metadata was found for chaincode {} in channel {}",
                        r.chaincode, r.channel
                    )));
                };
                let needs = EndorsementNeeds {
                    policies: vec![super::policies::Requirement {
                        policy: def.endorsement_policy.clone(),
                        what: format!("chaincode {}", def.name),
                    }],
                    ..EndorsementNeeds::default()
                };
                let orgs = self
                    .choose_orgs(&needs, by_org, None, None)
                    .ok_or_else(|| {
                        no_combination("no peer combination can satisfy the endorsement policy")
                    })?;
                let first = orgs.first().cloned().unwrap_or_default();
                by_org
                    .iter()
                    .find(|(m, _)| *m == first)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default()
            }
        };
        // The first endorsement.
        let mut first: Option<(EndorserService, Box<super::endorser::Processed>)> = None;
        let mut details = Vec::new();
        for e in &first_group {
            let outcome = self.process(e, signed).await;
            let (code, message, _) = response_status(&outcome, self.is_local(e));
            if code == Code::Ok
                && let ProposalOutcome::Processed(p) = outcome
            {
                first = Some((e.clone(), p));
                break;
            }
            tracing::warn!(peer = %e.peer().name, %message, "endorse call to endorser failed");
            details.push(Self::detail(e, message));
        }
        let Some((first_endorser, first_response)) = first else {
            return Err(rpc_error(
                Code::Aborted,
                "failed to endorse transaction, see attached details for more info",
                &details,
            ));
        };
        let needs = first_response.needs.clone().unwrap_or_default();
        if let Some(ns) = &needs.undefined_namespace {
            return Err(no_combination(&format!(
                "No metadata was found for chaincode {ns} in channel {}",
                r.channel
            )));
        }
        let first_org = first_endorser.peer().msp_id.clone();
        let private_members = self.members_of(&needs.private_reads);
        let orgs = if r.has_transient && !needs.collections.is_empty() {
            let protected = self.members_of(&needs.collections);
            match self.choose_orgs(&needs, by_org, Some(&first_org), protected.as_ref()) {
                Some(o) => o,
                None => {
                    if self
                        .choose_orgs(&needs, by_org, Some(&first_org), private_members.as_ref())
                        .is_some()
                    {
                        let names: Vec<&str> =
                            needs.collections.iter().map(|(_, c)| c.as_str()).collect();
                        return Err(tonic::Status::failed_precondition(format!(
                            "requires endorsement from organisation(s) that are not in the \
                             distribution policy of the private data collection(s): [{}]; retry \
                             specifying trusted endorsing organizations to protect transient data",
                            names.join(" ")
                        )));
                    }
                    return Err(no_combination(
                        "no peer combination can satisfy the endorsement policy",
                    ));
                }
            }
        } else {
            self.choose_orgs(&needs, by_org, Some(&first_org), private_members.as_ref())
                .ok_or_else(|| {
                    no_combination("no peer combination can satisfy the endorsement policy")
                })?
        };
        collected.add(&first_endorser, &first_response.response);
        collected.details.extend(details);
        let groups: Vec<Vec<EndorserService>> = orgs
            .iter()
            .filter(|o| **o != first_org)
            .map(|org| {
                by_org
                    .iter()
                    .find(|(m, _)| m == org)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default()
            })
            .collect();
        self.endorse_groups(&groups, signed, collected).await;
        if !orgs.contains(&first_org) {
            // The first endorsement is not part of the chosen layout: Fabric keeps it anyway
            // only when its organisation is in the layout; here it is not, so drop it.
            collected.drop_org(&first_org);
        }
        if collected.failed {
            return Err(rpc_error(
                Code::Aborted,
                "failed to collect enough transaction endorsements, see attached details for more info",
                &collected.details,
            ));
        }
        Ok(())
    }

    /// The organisations that are members of every collection of `colls` (`None` when empty).
    fn members_of(&self, colls: &BTreeSet<(String, String)>) -> Option<BTreeSet<String>> {
        if colls.is_empty() {
            return None;
        }
        let members = self.inner.channel.members();
        Some(
            self.inner
                .channel
                .application_msp_ids()
                .into_iter()
                .filter(|m| colls.iter().all(|(ns, c)| members.is_member(m, ns, c)))
                .collect(),
        )
    }

    /// The smallest set of organisations (with peers) whose peers' endorsements satisfy every
    /// policy of `needs`, restricted to `allowed`, preferring sets with `preferred`.
    fn choose_orgs(
        &self,
        needs: &EndorsementNeeds,
        by_org: &[(String, Vec<EndorserService>)],
        preferred: Option<&str>,
        allowed: Option<&BTreeSet<String>>,
    ) -> Option<Vec<String>> {
        let channel = &self.inner.channel;
        let mut candidates: Vec<(String, VerifiedSigner)> = Vec::new();
        for (msp, list) in by_org {
            if allowed.is_some_and(|a| !a.contains(msp)) {
                continue;
            }
            let Some(peer) = list.first() else { continue };
            if let Ok(k) = channel.known_identity(&peer.peer().identity) {
                candidates.push((msp.clone(), k.signer().clone()));
            }
        }
        let satisfied = |set: &[&(String, VerifiedSigner)]| {
            let signers: Vec<VerifiedSigner> = set.iter().map(|(_, s)| s.clone()).collect();
            needs
                .policies
                .iter()
                .all(|r| channel.satisfies(&r.policy, &signers))
        };
        if candidates.len() > MAX_PLANNED_ORGS {
            let all: Vec<&(String, VerifiedSigner)> = candidates.iter().collect();
            return satisfied(&all).then(|| candidates.iter().map(|(m, _)| m.clone()).collect());
        }
        if needs.policies.is_empty() {
            return Some(preferred.map(|p| vec![p.to_owned()]).unwrap_or_default());
        }
        // Discovery's layouts: the minimal sets of organisations that satisfy every policy;
        // those with the preferred organisation first (deterministically: by size, then by
        // topology order).
        let n = candidates.len();
        let mut masks: Vec<u32> = (1..(1u32 << n)).collect();
        masks.sort_by_key(|m| (m.count_ones(), *m));
        let preferred_index = preferred.and_then(|p| candidates.iter().position(|(m, _)| m == p));
        let has_preferred = |mask: u32| preferred_index.is_some_and(|i| mask & (1 << i) != 0);
        let mut layouts: Vec<u32> = Vec::new();
        for mask in masks {
            if layouts.iter().any(|l| l & mask == *l) {
                continue; // a smaller layout is inside: not minimal
            }
            let set: Vec<&(String, VerifiedSigner)> = (0..n)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| &candidates[i])
                .collect();
            if satisfied(&set) {
                layouts.push(mask);
                if has_preferred(mask) {
                    break; // the first layout with the preferred organisation: the choice
                }
            }
        }
        let names = |mask: u32| -> Vec<String> {
            (0..n)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| candidates[i].0.clone())
                .collect()
        };
        let chosen = layouts
            .iter()
            .find(|l| has_preferred(**l))
            .or(layouts.first())?;
        Some(names(*chosen))
    }

    // ----- Submit --------------------------------------------------------------------------

    async fn do_submit(&self, request: SubmitRequest) -> GResult<SubmitResponse> {
        let Some(envelope) = request.prepared_transaction else {
            return Err(tonic::Status::invalid_argument(
                "a prepared transaction is required",
            ));
        };
        if envelope.signature.is_empty() {
            return Err(tonic::Status::invalid_argument(
                "prepared transaction must be signed",
            ));
        }
        if request.channel_id != self.inner.channel.id() {
            return Err(tonic::Status::failed_precondition(format!(
                "channel '{}' not found",
                request.channel_id
            )));
        }
        let o = &self.inner.orderer;
        let bytes = Bytes::from(envelope.encode_to_vec());
        if let Err((status, info)) = self.orderer_checks(&envelope, bytes.len()) {
            tracing::warn!(txid = %request.transaction_id, ?status, %info, "orderer refused the transaction");
            return Err(rpc_error(
                Code::Aborted,
                format!(
                    "received unsuccessful response from orderer: status={}, info={info}",
                    status.as_str_name()
                ),
                &[],
            ));
        }
        let Some(handle) = o.handle() else {
            return Err(rpc_error(
                Code::Unavailable,
                "no orderers could successfully process transaction",
                &[ErrorDetail {
                    address: o.address.clone(),
                    msp_id: o.msp_id.clone(),
                    message: "the ordering service is shutting down".into(),
                }],
            ));
        };
        match handle.broadcast(bytes).await {
            Ok(()) => Ok(SubmitResponse {}),
            Err(Error::Broadcast { status, reason }) if (400..500).contains(&(status as i32)) => {
                Err(rpc_error(
                    Code::Aborted,
                    format!(
                        "received unsuccessful response from orderer: status={}, info={reason}",
                        status.as_str_name()
                    ),
                    &[],
                ))
            }
            Err(e) => Err(rpc_error(
                Code::Unavailable,
                "no orderers could successfully process transaction",
                &[ErrorDetail {
                    address: o.address.clone(),
                    msp_id: o.msp_id.clone(),
                    message: e.to_string(),
                }],
            )),
        }
    }

    /// The ordering service's checks of a normal message (`StandardChannel.ProcessNormalMsg`):
    /// channel, empty payload, creator expiry, size, `/Channel/Writers`.
    fn orderer_checks(
        &self,
        envelope: &Envelope,
        size: usize,
    ) -> std::result::Result<(), (Status, String)> {
        let bad = |m: String| (Status::BadRequest, m);
        let payload = Payload::decode(envelope.payload.clone())
            .map_err(|e| bad(format!("could not unmarshal payload: {e}")))?;
        let header = payload
            .header
            .ok_or_else(|| bad("bad header: missing header".into()))?;
        let ch = ChannelHeader::decode(header.channel_header)
            .map_err(|e| bad(format!("could not unmarshal channel header: {e}")))?;
        if ch.channel_id != self.inner.channel.id() {
            return Err((Status::NotFound, "channel does not exist".into()));
        }
        if ch.r#type != HeaderType::EndorserTransaction as i32 {
            return Err(bad(format!(
                "message of type {} is not allowed through this gateway",
                ch.r#type
            )));
        }
        if payload.data.is_empty() {
            return Err(bad("message was empty".into()));
        }
        let sh = SignatureHeader::decode(header.signature_header)
            .map_err(|e| bad(format!("could not unmarshal signature header: {e}")))?;
        let not_after = match self.inner.channel.known_identity(&sh.creator) {
            Ok(known) => Some(known.not_after()),
            Err(_) => Identity::from_serialized(&sh.creator)
                .ok()
                .map(|id| id.certificate().not_after()),
        };
        if not_after.is_some_and(|t| unix_now() > t) {
            return Err(bad("broadcast client identity expired".into()));
        }
        let max = self.inner.orderer.absolute_max_bytes as usize;
        if envelope.payload.len() > max || size > max {
            return Err(bad(format!(
                "message payload is {} bytes and exceeds maximum allowed {max} bytes",
                envelope.payload.len()
            )));
        }
        let signers: Vec<VerifiedSigner> = self
            .inner
            .channel
            .verify_signer(&sh.creator, &envelope.payload, &envelope.signature)
            .map(|v| vec![v])
            .unwrap_or_default();
        let writer = signers.iter().any(|s| {
            self.inner
                .channel
                .orgs()
                .get(&s.msp_id)
                .and_then(|o| o.policies.get("Writers"))
                .is_some_and(|p| self.inner.channel.satisfies_signature(p, &signers))
        });
        if !writer {
            return Err((
                Status::Forbidden,
                "implicit policy evaluation failed - 0 sub-policies were satisfied, but this \
                 policy requires 1 of the 'Writers' sub-policies to be satisfied: permission denied"
                    .into(),
            ));
        }
        Ok(())
    }

    // ----- CommitStatus and ChaincodeEvents ------------------------------------------------

    fn check_readers(&self, data: &[u8], identity: &[u8], signature: &[u8]) -> GResult<()> {
        const READERS: &str = "/Channel/Application/Readers";
        let signers: Vec<VerifiedSigner> = self
            .inner
            .channel
            .verify_signer(identity, data, signature)
            .map(|v| vec![v])
            .unwrap_or_default();
        self.inner
            .channel
            .check_policy(READERS, &signers)
            .map_err(|e| {
                tonic::Status::permission_denied(format!(
                    "failed evaluating policy on signed data during check policy [{READERS}]: [{e}]"
                ))
            })
    }

    async fn do_commit_status(
        &self,
        signed: SignedCommitStatusRequest,
    ) -> GResult<CommitStatusResponse> {
        if signed.request.is_empty() {
            return Err(tonic::Status::invalid_argument(
                "a commit status request is required",
            ));
        }
        let request = CommitStatusRequest::decode(signed.request.clone())
            .map_err(|e| tonic::Status::invalid_argument(format!("invalid status request: {e}")))?;
        if request.identity.is_empty() {
            return Err(tonic::Status::invalid_argument("no identity provided"));
        }
        if request.channel_id.is_empty() {
            return Err(tonic::Status::invalid_argument("no channel ID provided"));
        }
        if request.transaction_id.is_empty() {
            return Err(tonic::Status::invalid_argument(
                "transaction ID should not be empty",
            ));
        }
        self.check_readers(&signed.request, &request.identity, &signed.signature)?;
        if request.channel_id != self.inner.channel.id() {
            return Err(tonic::Status::aborted(format!(
                "channel '{}' not found",
                request.channel_id
            )));
        }
        let loc = self
            .inner
            .ledger
            .wait_for_transaction(&request.transaction_id)
            .await
            .map_err(|e| tonic::Status::aborted(e.to_string()))?;
        Ok(CommitStatusResponse {
            result: loc.code as i32,
            block_number: loc.block_num,
        })
    }

    async fn do_chaincode_events(
        &self,
        signed: SignedChaincodeEventsRequest,
    ) -> GResult<ReceiverStream<GResult<ChaincodeEventsResponse>>> {
        if signed.request.is_empty() {
            return Err(tonic::Status::invalid_argument(
                "a chaincode events request is required",
            ));
        }
        let request = ChaincodeEventsRequest::decode(signed.request.clone()).map_err(|e| {
            tonic::Status::invalid_argument(format!("invalid chaincode events request: {e}"))
        })?;
        self.check_readers(&signed.request, &request.identity, &signed.signature)?;
        if request.channel_id != self.inner.channel.id() {
            return Err(tonic::Status::not_found(format!(
                "channel '{}' not found",
                request.channel_id
            )));
        }
        let ledger = self.inner.ledger.clone();
        let mut start = None;
        if !request.after_transaction_id.is_empty() {
            let store = ledger.store().clone();
            let txid = request.after_transaction_id.clone();
            if let Ok(Ok(Some(loc))) =
                tokio::task::spawn_blocking(move || store.transaction(&txid)).await
            {
                start = Some(loc.block_num);
            }
        }
        let start = match start {
            Some(s) => s,
            None => match request
                .start_position
                .as_ref()
                .and_then(|p| p.r#type.as_ref())
            {
                None | Some(Seek::NextCommit(_)) => ledger.height(),
                Some(Seek::Specified(s)) => s.number,
                Some(Seek::Oldest(_)) => {
                    return Err(tonic::Status::invalid_argument(
                        "invalid start position type: *orderer.SeekPosition_Oldest",
                    ));
                }
                Some(Seek::Newest(_)) => {
                    return Err(tonic::Status::invalid_argument(
                        "invalid start position type: *orderer.SeekPosition_Newest",
                    ));
                }
            },
        };
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(stream_events(
            ledger,
            start,
            request.chaincode_id,
            request.after_transaction_id,
            tx,
            self.inner.stop.clone(),
        ));
        Ok(ReceiverStream::new(rx))
    }
}

/// Sends the matching events of every block from `start` on, until the client goes away.
async fn stream_events(
    ledger: Ledger,
    start: u64,
    chaincode: String,
    after: String,
    tx: mpsc::Sender<GResult<ChaincodeEventsResponse>>,
    stop: Option<watch::Receiver<bool>>,
) {
    let mut passed = after.is_empty();
    let mut number = start;
    let stopping = async move {
        match stop {
            Some(mut s) => {
                let _ = s.wait_for(|v| *v).await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            _ = tx.closed() => return,
            () = &mut stopping => {
                let _ = tx.send(Err(tonic::Status::unavailable("the peer is shutting down"))).await;
                return;
            }
            r = ledger.wait_for_block(number) => if r.is_err() {
                let _ = tx.send(Err(tonic::Status::aborted("the ledger has stopped"))).await;
                return;
            }
        }
        let store = ledger.store().clone();
        let block = match tokio::task::spawn_blocking(move || store.block(number)).await {
            Ok(Ok(Some(b))) => b,
            Ok(Ok(None)) => {
                let _ = tx
                    .send(Err(tonic::Status::aborted(format!(
                        "block {number} not found"
                    ))))
                    .await;
                return;
            }
            Ok(Err(e)) => {
                let _ = tx.send(Err(tonic::Status::aborted(e.to_string()))).await;
                return;
            }
            Err(e) => {
                let _ = tx.send(Err(tonic::Status::aborted(e.to_string()))).await;
                return;
            }
        };
        let mut events = Vec::new();
        for event in block_events(&block) {
            if !passed {
                if event.tx_id == after {
                    passed = true;
                }
                continue;
            }
            if event.chaincode_id == chaincode {
                events.push(event);
            }
        }
        if !events.is_empty()
            && tx
                .send(Ok(ChaincodeEventsResponse {
                    events,
                    block_number: number,
                }))
                .await
                .is_err()
        {
            return;
        }
        number += 1;
    }
}

/// The chaincode events of the VALID endorser transactions of a block (events with a chaincode
/// id, an event name and a txid), in block order.
pub fn block_events(block: &Block) -> Vec<ChaincodeEvent> {
    let filter = fabric_sdk::tx::block::transactions_filter(block);
    let data = block
        .data
        .as_ref()
        .map(|d| d.data.as_slice())
        .unwrap_or(&[]);
    let mut out = Vec::new();
    for (i, env) in data.iter().enumerate() {
        if filter.get(i).copied() != Some(TxValidationCode::Valid as u8) {
            continue;
        }
        let Some(event) = envelope_event(env) else {
            continue;
        };
        if !event.chaincode_id.is_empty() && !event.event_name.is_empty() && !event.tx_id.is_empty()
        {
            out.push(event);
        }
    }
    out
}

fn envelope_event(bytes: &[u8]) -> Option<ChaincodeEvent> {
    let env = Envelope::decode(bytes).ok()?;
    let payload = Payload::decode(env.payload).ok()?;
    let header = payload.header?;
    let ch = ChannelHeader::decode(header.channel_header).ok()?;
    if ch.r#type != HeaderType::EndorserTransaction as i32 {
        return None;
    }
    let tx = Transaction::decode(payload.data).ok()?;
    let action = tx.actions.into_iter().next()?;
    let cap = ChaincodeActionPayload::decode(action.payload).ok()?;
    let prp = ProposalResponsePayload::decode(cap.action?.proposal_response_payload).ok()?;
    let action = ChaincodeAction::decode(prp.extension).ok()?;
    if action.events.is_empty() {
        return None;
    }
    ChaincodeEvent::decode(action.events).ok()
}

/// The transaction result of an endorsed response (its ChaincodeAction's response payload).
fn result_of(response: &ProposalResponse) -> Option<Bytes> {
    let prp = ProposalResponsePayload::decode(response.payload.clone()).ok()?;
    let action = ChaincodeAction::decode(prp.extension).ok()?;
    Some(action.response?.payload)
}

/// Endorsements gathered for one transaction.
#[derive(Default)]
struct Collected {
    prp: Option<Bytes>,
    endorsements: Vec<(String, Endorsement)>,
    details: Vec<ErrorDetail>,
    /// Some organisation of the plan gave no usable endorsement.
    failed: bool,
}

impl Collected {
    /// Adds an endorsed response; false (with an error detail) when its payload differs from
    /// the first one.
    fn add(&mut self, e: &EndorserService, response: &ProposalResponse) -> bool {
        let Some(endorsement) = response.endorsement.clone() else {
            return false;
        };
        match &self.prp {
            None => self.prp = Some(response.payload.clone()),
            Some(p) if *p != response.payload => {
                tracing::warn!(peer = %e.peer().name, "ProposalResponsePayloads do not match");
                self.details.push(GatewayService::detail(
                    e,
                    "ProposalResponsePayloads do not match",
                ));
                return false;
            }
            Some(_) => {}
        }
        self.endorsements
            .push((e.peer().msp_id.clone(), endorsement));
        true
    }

    fn drop_org(&mut self, msp: &str) {
        self.endorsements.retain(|(m, _)| m != msp);
    }
}

#[tonic::async_trait]
impl Gateway for GatewayService {
    async fn endorse(
        &self,
        request: Request<EndorseRequest>,
    ) -> GResult<Response<EndorseResponse>> {
        self.do_endorse(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn submit(&self, request: Request<SubmitRequest>) -> GResult<Response<SubmitResponse>> {
        self.do_submit(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn commit_status(
        &self,
        request: Request<SignedCommitStatusRequest>,
    ) -> GResult<Response<CommitStatusResponse>> {
        self.do_commit_status(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn evaluate(
        &self,
        request: Request<EvaluateRequest>,
    ) -> GResult<Response<EvaluateResponse>> {
        self.do_evaluate(request.into_inner())
            .await
            .map(Response::new)
    }

    type ChaincodeEventsStream = ReceiverStream<GResult<ChaincodeEventsResponse>>;

    async fn chaincode_events(
        &self,
        request: Request<SignedChaincodeEventsRequest>,
    ) -> GResult<Response<Self::ChaincodeEventsStream>> {
        self.do_chaincode_events(request.into_inner())
            .await
            .map(Response::new)
    }
}
