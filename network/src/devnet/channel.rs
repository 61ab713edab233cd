//! What every peer of the devnet knows about its channel: the organisations with their MSPs
//! and policies, the channel's application policies, and the committed chaincode definitions.
//!
//! Built once from the genesis block's configuration and the topology's chaincodes
//! ([`ChannelContext::from_config`]); shared by the endorsers, the validator and the gateway.
//! It answers the questions they ask: is this identity valid, which signers does a set of
//! endorsements stand for, does a set of signers satisfy a chaincode, collection or key-level
//! endorsement policy (channel policy references such as `/Channel/Application/Endorsement`
//! are resolved against the configuration).

use super::genesis::{implicit_meta_of, msp_from_group, signature_policy_of};
use super::identities::{IdentityCache, KnownIdentity};
use super::state::CollectionMembers;
use crate::error::{Error, Result};
use crate::topology::{ChaincodeDef, Topology};
use bytes::Bytes;
use fabric_protos::common::{
    Config, ConfigGroup, ImplicitMetaPolicy, SignaturePolicyEnvelope, policy::PolicyType,
};
use fabric_protos::protos::collection_config::Payload as CollPayload;
use fabric_protos::protos::{
    CollectionConfigPackage, Endorsement, StaticCollectionConfig, application_policy,
};
use fabric_sdk::identity::{Identity, Msp, ValidatedIdentity};
use fabric_sdk::ledger::ChaincodeDefinitionInfo;
use fabric_sdk::policy::collection::{
    IMPLICIT_COLLECTION_PREFIX, collection_member_orgs, implicit_org_msp_id,
};
use fabric_sdk::policy::{
    EndorsementPolicy, VerifiedSigner, dsl, evaluate, evaluate_implicit_meta,
};
use fabric_sdk::tx::response::endorsement_message;
use prost::Message;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One organisation of the channel.
#[derive(Debug, Clone)]
pub struct OrgInfo {
    /// The organisation's MSP.
    pub msp: Msp,
    /// An application (peer) organisation rather than the orderer organisation.
    pub application: bool,
    /// The organisation's signature policies by name (`Readers`, `Writers`, `Admins`,
    /// `Endorsement`).
    pub policies: BTreeMap<String, SignaturePolicyEnvelope>,
}

/// A chaincode definition as committed on the channel (here: from the topology).
#[derive(Debug, Clone, PartialEq)]
pub struct ChaincodeDefinition {
    /// The chaincode name (its namespace).
    pub name: String,
    /// The definition's version.
    pub version: String,
    /// The definition's sequence.
    pub sequence: u64,
    /// The endorsement policy (`/Channel/Application/Endorsement` when none is given).
    pub endorsement_policy: EndorsementPolicy,
    /// Explicit private data collections.
    pub collections: CollectionConfigPackage,
    /// `Init` must run first.
    pub init_required: bool,
    /// The package id the chaincode registers with.
    pub package_id: String,
}

impl ChaincodeDefinition {
    /// The definition of a topology chaincode with its package id.
    pub fn from_topology(def: &ChaincodeDef, package_id: impl Into<String>) -> Result<Self> {
        let endorsement_policy = match &def.endorsement_policy {
            Some(p) => p
                .parse::<EndorsementPolicy>()
                .map_err(|e| Error::Topology {
                    origin: "topology".to_owned(),
                    key: format!("chaincodes[{}].endorsement_policy", def.name),
                    message: e.to_string(),
                })?,
            None => EndorsementPolicy::default(),
        };
        Ok(ChaincodeDefinition {
            name: def.name.clone(),
            version: def.version.clone(),
            sequence: def.sequence,
            endorsement_policy,
            collections: def.collection_package()?.unwrap_or_default(),
            init_required: def.init_required,
            package_id: package_id.into(),
        })
    }

    /// What the simulator's `check_invocation` needs.
    pub fn info(&self) -> ChaincodeDefinitionInfo {
        ChaincodeDefinitionInfo {
            version: self.version.clone(),
            init_required: self.init_required,
        }
    }

    /// An explicit collection by name.
    pub fn collection(&self, name: &str) -> Option<&StaticCollectionConfig> {
        self.collections
            .config
            .iter()
            .find_map(|c| match &c.payload {
                Some(CollPayload::StaticCollectionConfig(s)) if s.name == name => Some(s),
                _ => None,
            })
    }
}

/// The channel as its peers see it. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct ChannelContext {
    id: String,
    orgs: BTreeMap<String, OrgInfo>,
    /// The Application group's own policies (ImplicitMeta rules such as `MAJORITY Endorsement`).
    application_policies: BTreeMap<String, ImplicitMetaPolicy>,
    chaincodes: BTreeMap<String, ChaincodeDefinition>,
    members: Arc<CollectionMembers>,
    purge: bool,
    /// Identities already found valid (IgnoringExpiry), by serialized bytes.
    identities: Arc<IdentityCache>,
}

/// How an identity is checked against its MSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// At this time (unix seconds), expiry included.
    At(i64),
    /// As Fabric's MSP does: chain, NodeOUs and revocation, but not the validity period (the
    /// MSP verifies at the certificate's `NotBefore` + 1 s; expiry is checked elsewhere).
    IgnoringExpiry,
}

impl ChannelContext {
    /// The channel `channel_id` of `config` with these chaincode definitions. `purge` is the
    /// V2_5 application capability.
    pub fn from_config(
        channel_id: impl Into<String>,
        config: &Config,
        chaincodes: Vec<ChaincodeDefinition>,
        purge: bool,
    ) -> Result<Self> {
        let root = config
            .channel_group
            .as_ref()
            .ok_or_else(|| Error::Genesis("config has no channel group".into()))?;
        let mut orgs = BTreeMap::new();
        let mut application_policies = BTreeMap::new();
        for (section, application) in [("Application", true), ("Orderer", false)] {
            let Some(g) = root.groups.get(section) else {
                continue;
            };
            if application {
                for name in g.policies.keys() {
                    if let Some(p) = implicit_meta_of(g, name) {
                        application_policies.insert(name.clone(), p);
                    }
                }
            }
            for (msp_id, org) in &g.groups {
                orgs.insert(
                    msp_id.clone(),
                    OrgInfo {
                        msp: msp_from_group(msp_id, org)?,
                        application,
                        policies: org_policies(org, msp_id)?,
                    },
                );
            }
        }
        let mut members = CollectionMembers::new();
        for cc in &chaincodes {
            for c in &cc.collections.config {
                if let Some(CollPayload::StaticCollectionConfig(s)) = &c.payload {
                    members.insert(&cc.name, &s.name, collection_member_orgs(s));
                }
            }
        }
        Ok(ChannelContext {
            id: channel_id.into(),
            orgs,
            application_policies,
            chaincodes: chaincodes
                .into_iter()
                .map(|c| (c.name.clone(), c))
                .collect(),
            members: Arc::new(members),
            purge,
            identities: Arc::new(IdentityCache::default()),
        })
    }

    /// The channel context of a topology: its channel, the configuration read from its genesis
    /// block, and its chaincodes with the given package ids (by chaincode name).
    pub fn from_topology(
        topology: &Topology,
        config: &Config,
        package_ids: &BTreeMap<String, String>,
    ) -> Result<Self> {
        let mut defs = Vec::new();
        for cc in &topology.chaincodes {
            let package_id = package_ids
                .get(&cc.name)
                .cloned()
                .unwrap_or_else(|| cc.package_label());
            defs.push(ChaincodeDefinition::from_topology(cc, package_id)?);
        }
        let purge = matches!(
            topology.channel.capabilities.application.as_str(),
            "V2_5" | "V3_0"
        );
        Self::from_config(&topology.channel.name, config, defs, purge)
    }

    /// The channel id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Every organisation (application and orderer), by MSP ID.
    pub fn orgs(&self) -> &BTreeMap<String, OrgInfo> {
        &self.orgs
    }

    /// The MSP IDs of the application organisations, sorted.
    pub fn application_msp_ids(&self) -> Vec<String> {
        self.orgs
            .iter()
            .filter(|(_, o)| o.application)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The chaincode definition of `name`.
    pub fn chaincode(&self, name: &str) -> Option<&ChaincodeDefinition> {
        self.chaincodes.get(name)
    }

    /// Every chaincode definition, by name.
    pub fn chaincodes(&self) -> &BTreeMap<String, ChaincodeDefinition> {
        &self.chaincodes
    }

    /// Who holds which collection's private data.
    pub fn members(&self) -> &Arc<CollectionMembers> {
        &self.members
    }

    /// Whether the V2_5 capability (purge of private data) is on.
    pub fn purge_enabled(&self) -> bool {
        self.purge
    }

    /// The configuration of collection `collection` of chaincode `namespace` (implicit
    /// collections of channel organisations included).
    pub fn collection(&self, namespace: &str, collection: &str) -> Option<StaticCollectionConfig> {
        if let Some(msp) = implicit_org_msp_id(collection) {
            if !self.orgs.get(msp).is_some_and(|o| o.application) {
                return None;
            }
            let policy = dsl::parse(&format!("OR('{msp}.member')")).ok()?;
            return Some(StaticCollectionConfig {
                name: format!("{IMPLICIT_COLLECTION_PREFIX}{msp}"),
                member_orgs_policy: Some(fabric_protos::protos::CollectionPolicyConfig {
                    payload: Some(
                        fabric_protos::protos::collection_policy_config::Payload::SignaturePolicy(
                            policy,
                        ),
                    ),
                }),
                ..StaticCollectionConfig::default()
            });
        }
        self.chaincodes
            .get(namespace)?
            .collection(collection)
            .cloned()
    }

    /// The endorsement policy of a collection, when it has its own.
    pub fn collection_endorsement_policy(
        &self,
        namespace: &str,
        collection: &str,
    ) -> Option<EndorsementPolicy> {
        let c = self.collection(namespace, collection)?;
        let policy = c.endorsement_policy?;
        EndorsementPolicy::from_application_policy(policy).ok()
    }

    /// Validates a serialized identity against its organisation's MSP.
    /// [`Validity::IgnoringExpiry`] results come from the identity cache when the identity was
    /// found valid before (see [`super::identities`]).
    pub fn validate_identity(
        &self,
        serialized: &[u8],
        validity: Validity,
    ) -> std::result::Result<ValidatedIdentity, String> {
        match validity {
            Validity::IgnoringExpiry => Ok(self.known_identity(serialized)?.validated().clone()),
            Validity::At(_) => self.validate_uncached(serialized, validity),
        }
    }

    /// The identity of `serialized` validated as Fabric's MSP does ([`Validity::IgnoringExpiry`]),
    /// kept for the next time.
    pub fn known_identity(
        &self,
        serialized: &[u8],
    ) -> std::result::Result<Arc<KnownIdentity>, String> {
        self.identities.get_or_validate(serialized, || {
            self.validate_uncached(serialized, Validity::IgnoringExpiry)
        })
    }

    fn validate_uncached(
        &self,
        serialized: &[u8],
        validity: Validity,
    ) -> std::result::Result<ValidatedIdentity, String> {
        let identity = Identity::from_serialized(serialized).map_err(|e| e.to_string())?;
        let org = self
            .orgs
            .get(identity.msp_id())
            .ok_or_else(|| format!("MSP {} is not defined on channel", identity.msp_id()))?;
        let now = match validity {
            Validity::At(t) => t,
            Validity::IgnoringExpiry => identity.certificate().not_before().saturating_add(1),
        };
        org.msp.validate(&identity, now).map_err(|e| e.to_string())
    }

    /// Validates `serialized` and verifies its `signature` over `data`.
    pub fn verify(
        &self,
        serialized: &[u8],
        data: &[u8],
        signature: &[u8],
        validity: Validity,
    ) -> std::result::Result<ValidatedIdentity, String> {
        if validity == Validity::IgnoringExpiry {
            let known = self.known_identity(serialized)?;
            known.verify(data, signature)?;
            return Ok(known.validated().clone());
        }
        let v = self.validate_uncached(serialized, validity)?;
        v.identity()
            .certificate()
            .public_key()
            .and_then(|k| k.verify(data, signature))
            .map_err(|e| e.to_string())?;
        Ok(v)
    }

    /// Validates `serialized` as Fabric's MSP does ([`Validity::IgnoringExpiry`]) and verifies
    /// its `signature` over `data`: the signer, for policy evaluation.
    pub fn verify_signer(
        &self,
        serialized: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> std::result::Result<VerifiedSigner, String> {
        let known = self.known_identity(serialized)?;
        known.verify(data, signature)?;
        Ok(known.signer().clone())
    }

    /// The signers a set of endorsements of `prp` stands for, as Fabric's policy evaluation
    /// sees them: identities that do not deserialize, are not valid for their MSP or whose
    /// signature over `prp ‖ endorser` does not verify are left out; duplicates count once.
    pub fn endorsement_signers(
        &self,
        prp: &[u8],
        endorsements: &[Endorsement],
    ) -> Vec<VerifiedSigner> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for e in endorsements {
            if !seen.insert(e.endorser.clone()) {
                continue;
            }
            let message = endorsement_message(prp, &e.endorser);
            match self.verify_signer(&e.endorser, &message, &e.signature) {
                Ok(v) => out.push(v),
                Err(reason) => {
                    tracing::debug!(%reason, "endorsement signature left out of policy evaluation");
                }
            }
        }
        out
    }

    /// Whether `signers` satisfy an endorsement policy (a channel reference is resolved
    /// against the configuration; an unknown reference is never satisfied).
    pub fn satisfies(&self, policy: &EndorsementPolicy, signers: &[VerifiedSigner]) -> bool {
        match policy {
            EndorsementPolicy::Signature(env) => self.satisfies_signature(env, signers),
            EndorsementPolicy::ChannelConfigReference(path) => {
                self.satisfies_reference(path, signers)
            }
        }
    }

    /// Whether `signers` satisfy a signature policy (a malformed policy is never satisfied).
    pub fn satisfies_signature(
        &self,
        envelope: &SignaturePolicyEnvelope,
        signers: &[VerifiedSigner],
    ) -> bool {
        evaluate(envelope, signers).is_ok_and(|e| e.satisfied)
    }

    /// Whether `signers` satisfy the channel policy at `path` (`/Channel/Application/<Name>`
    /// or `/Channel/Application/<Org>/<Name>`).
    pub fn satisfies_reference(&self, path: &str, signers: &[VerifiedSigner]) -> bool {
        let Some(rest) = path.strip_prefix("/Channel/Application/") else {
            return false;
        };
        match rest.split_once('/') {
            Some((org, name)) => self
                .orgs
                .get(org)
                .filter(|o| o.application)
                .and_then(|o| o.policies.get(name))
                .is_some_and(|env| self.satisfies_signature(env, signers)),
            None => {
                let Some(meta) = self.application_policies.get(rest) else {
                    return false;
                };
                let outcomes: Vec<bool> = self
                    .orgs
                    .values()
                    .filter(|o| o.application)
                    .map(|o| {
                        o.policies
                            .get(&meta.sub_policy)
                            .is_some_and(|env| self.satisfies_signature(env, signers))
                    })
                    .collect();
                evaluate_implicit_meta(meta, &outcomes).unwrap_or(false)
            }
        }
    }

    /// Checks `signers` against the channel policy at `path` the way Fabric's policy manager
    /// reports it: `Err` carries Fabric's text (`implicit policy evaluation failed - 0
    /// sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to
    /// be satisfied`).
    pub fn check_policy(
        &self,
        path: &str,
        signers: &[VerifiedSigner],
    ) -> std::result::Result<(), String> {
        let rest = path
            .strip_prefix("/Channel/Application/")
            .unwrap_or_default();
        if let Some(meta) = self.application_policies.get(rest) {
            let outcomes: Vec<bool> = self
                .orgs
                .values()
                .filter(|o| o.application)
                .map(|o| {
                    o.policies
                        .get(&meta.sub_policy)
                        .is_some_and(|env| self.satisfies_signature(env, signers))
                })
                .collect();
            let satisfied = outcomes.iter().filter(|b| **b).count();
            let rule = fabric_protos::common::implicit_meta_policy::Rule::try_from(meta.rule)
                .unwrap_or(fabric_protos::common::implicit_meta_policy::Rule::Any);
            let required = fabric_sdk::policy::eval::implicit_meta_threshold(rule, outcomes.len());
            if satisfied >= required {
                return Ok(());
            }
            return Err(format!(
                "implicit policy evaluation failed - {satisfied} sub-policies were satisfied, but \
                 this policy requires {required} of the '{}' sub-policies to be satisfied",
                meta.sub_policy
            ));
        }
        if self.satisfies_reference(path, signers) {
            Ok(())
        } else {
            Err("signature set did not satisfy policy".into())
        }
    }

    /// A key-level endorsement policy (`VALIDATION_PARAMETER` metadata): a serialized
    /// `SignaturePolicyEnvelope`, or — as Fabric's validator also accepts — an
    /// `ApplicationPolicy`.
    pub fn key_policy(bytes: &Bytes) -> Option<EndorsementPolicy> {
        if let Ok(env) = SignaturePolicyEnvelope::decode(bytes.clone())
            && env.rule.is_some()
        {
            return Some(EndorsementPolicy::Signature(env));
        }
        let app = fabric_protos::protos::ApplicationPolicy::decode(bytes.clone()).ok()?;
        match app.r#type? {
            application_policy::Type::SignaturePolicy(env) => {
                Some(EndorsementPolicy::Signature(env))
            }
            application_policy::Type::ChannelConfigPolicyReference(r) => {
                Some(EndorsementPolicy::ChannelConfigReference(r))
            }
        }
    }
}

fn org_policies(
    group: &ConfigGroup,
    msp_id: &str,
) -> Result<BTreeMap<String, SignaturePolicyEnvelope>> {
    let mut out = BTreeMap::new();
    for (name, p) in &group.policies {
        if p.policy
            .as_ref()
            .is_some_and(|p| p.r#type == PolicyType::Signature as i32)
        {
            out.insert(name.clone(), signature_policy_of(group, name, msp_id)?);
        }
    }
    Ok(out)
}
