//! Who may do what on the channel: the access-control check shared by Deliver, Broadcast and
//! the Gateway.
//!
//! [`AccessControl`] is the small trait the services call: check a signed request against a
//! channel policy, and say whether a requester may read a private data collection.
//! [`MspAccessControl`] implements it the way a Fabric peer does for a static channel
//! configuration: the requester's identity is validated by its organisation's MSP, the
//! signature verified, and the organisation's `Readers`/`Writers` signature policy evaluated;
//! `/Channel/Application/Readers` is `ANY Readers` of the application organisations,
//! `/Channel/Writers` is `ANY Writers` of every organisation (application and orderer).

use crate::error::{Error, Result};
use bytes::Bytes;
use fabric_protos::common::SignaturePolicyEnvelope;
use fabric_protos::protos::CollectionConfigPackage;
use fabric_protos::protos::collection_config::Payload;
use fabric_sdk::identity::{Identity, Msp, NodeRole};
use fabric_sdk::policy::collection::{collection_member_orgs, implicit_org_msp_id};
use fabric_sdk::policy::{VerifiedSigner, evaluate};
use std::collections::{BTreeMap, BTreeSet};

/// A channel policy a request is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelPolicy {
    /// `/Channel/Application/Readers` (Deliver, CommitStatus, ChaincodeEvents).
    ApplicationReaders,
    /// `/Channel/Application/Writers` (Evaluate, Endorse).
    ApplicationWriters,
    /// `/Channel/Writers` (Broadcast).
    ChannelWriters,
}

/// A signed request: `signature` by `identity` over `data` (Fabric's `SignedData`).
#[derive(Debug, Clone, Copy)]
pub struct SignedData<'a> {
    /// The signed bytes (e.g. an envelope's payload).
    pub data: &'a [u8],
    /// The signer's serialized `msp.SerializedIdentity`.
    pub identity: &'a [u8],
    /// The signature.
    pub signature: &'a [u8],
}

/// A requester whose identity and signature were verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// The requester's MSP ID.
    pub msp_id: String,
    /// The NodeOU role, when the MSP uses NodeOUs.
    pub role: Option<NodeRole>,
    /// The serialized identity as signed.
    pub serialized: Bytes,
}

/// The access-control check the devnet services share.
pub trait AccessControl: Send + Sync + 'static {
    /// Verifies `signed` (identity valid for its MSP, signature correct) and that it satisfies
    /// `policy` at `now` (unix seconds). Errors with [`Error::AccessDenied`] otherwise.
    fn check(&self, policy: ChannelPolicy, signed: &SignedData<'_>, now: i64) -> Result<Requester>;

    /// Whether `requester` may receive the private data of `namespace`/`collection` (its
    /// organisation is a member of the collection).
    fn may_read_collection(&self, requester: &Requester, namespace: &str, collection: &str)
    -> bool;
}

/// One organisation of the channel, as the access control sees it.
#[derive(Debug, Clone)]
pub struct ChannelOrg {
    /// The organisation's MSP.
    pub msp: Msp,
    /// Whether it is an application (peer) organisation, not the orderer organisation.
    pub application: bool,
    /// The organisation's `Readers` policy.
    pub readers: SignaturePolicyEnvelope,
    /// The organisation's `Writers` policy.
    pub writers: SignaturePolicyEnvelope,
}

/// [`AccessControl`] over the channel's MSPs and organisation policies.
#[derive(Debug, Clone, Default)]
pub struct MspAccessControl {
    orgs: BTreeMap<String, ChannelOrg>,
    /// (namespace, collection) → member MSP IDs.
    collections: BTreeMap<(String, String), BTreeSet<String>>,
}

impl MspAccessControl {
    /// Access control for these organisations.
    pub fn new(orgs: impl IntoIterator<Item = ChannelOrg>) -> Self {
        MspAccessControl {
            orgs: orgs
                .into_iter()
                .map(|o| (o.msp.msp_id().to_owned(), o))
                .collect(),
            collections: BTreeMap::new(),
        }
    }

    /// Declares the collections of chaincode `namespace` (their member organisations come
    /// from each collection's member-orgs policy).
    pub fn add_collections(&mut self, namespace: &str, package: &CollectionConfigPackage) {
        for c in &package.config {
            if let Some(Payload::StaticCollectionConfig(s)) = &c.payload {
                self.collections.insert(
                    (namespace.to_owned(), s.name.clone()),
                    collection_member_orgs(s).into_iter().collect(),
                );
            }
        }
    }

    /// The organisations, by MSP ID.
    pub fn orgs(&self) -> &BTreeMap<String, ChannelOrg> {
        &self.orgs
    }

    fn verify(&self, signed: &SignedData<'_>, now: i64) -> Result<(VerifiedSigner, &ChannelOrg)> {
        let identity = Identity::from_serialized(signed.identity)
            .map_err(|e| Error::AccessDenied(format!("bad identity: {e}")))?;
        let org = self.orgs.get(identity.msp_id()).ok_or_else(|| {
            Error::AccessDenied(format!(
                "MSP {} is not a member of the channel",
                identity.msp_id()
            ))
        })?;
        let validated = org
            .msp
            .verify_signature_at(&identity, signed.data, signed.signature, now)
            .map_err(|e| Error::AccessDenied(e.to_string()))?;
        Ok((validated.to_verified_signer(), org))
    }
}

impl AccessControl for MspAccessControl {
    fn check(&self, policy: ChannelPolicy, signed: &SignedData<'_>, now: i64) -> Result<Requester> {
        let (signer, org) = self.verify(signed, now)?;
        let (sub, name) = match policy {
            ChannelPolicy::ApplicationReaders if org.application => {
                (&org.readers, "/Channel/Application/Readers")
            }
            ChannelPolicy::ApplicationWriters if org.application => {
                (&org.writers, "/Channel/Application/Writers")
            }
            ChannelPolicy::ChannelWriters => (&org.writers, "/Channel/Writers"),
            _ => {
                return Err(Error::AccessDenied(format!(
                    "{} is not an application organisation",
                    signer.msp_id
                )));
            }
        };
        // ANY of the organisations' sub-policies: only the signer's own org can be satisfied
        // by a single signer whose MSP validated it.
        let satisfied = evaluate(sub, std::slice::from_ref(&signer))
            .map_err(|e| Error::AccessDenied(e.to_string()))?
            .satisfied;
        if !satisfied {
            return Err(Error::AccessDenied(format!(
                "identity of {} does not satisfy {name}",
                signer.msp_id
            )));
        }
        Ok(Requester {
            msp_id: signer.msp_id,
            role: signer.role,
            serialized: Bytes::copy_from_slice(signed.identity),
        })
    }

    fn may_read_collection(
        &self,
        requester: &Requester,
        namespace: &str,
        collection: &str,
    ) -> bool {
        if let Some(msp) = implicit_org_msp_id(collection) {
            return msp == requester.msp_id;
        }
        self.collections
            .get(&(namespace.to_owned(), collection.to_owned()))
            .is_some_and(|members| members.contains(&requester.msp_id))
    }
}

/// The ordering service's checks of a broadcast envelope (Fabric's orderer message
/// processor): the envelope and its headers decode, the channel is `channel_id`, the envelope
/// is at most `absolute_max_bytes`, and its creator's signature over the payload satisfies
/// `/Channel/Writers`. Errors are [`Error::Broadcast`] with the status a Broadcast response
/// would carry (BAD_REQUEST, NOT_FOUND, REQUEST_ENTITY_TOO_LARGE, FORBIDDEN).
pub fn check_broadcast(
    acl: &dyn AccessControl,
    channel_id: &str,
    envelope: &[u8],
    absolute_max_bytes: u32,
    now: i64,
) -> Result<Requester> {
    use fabric_protos::common::Status;
    let reject = |status, reason: String| Error::Broadcast { status, reason };
    if envelope.len() > absolute_max_bytes as usize {
        return Err(reject(
            Status::RequestEntityTooLarge,
            format!(
                "envelope of {} bytes is larger than the absolute maximum of {absolute_max_bytes} bytes",
                envelope.len()
            ),
        ));
    }
    let headers = super::envelope::EnvelopeHeaders::parse(envelope)
        .map_err(|e| reject(Status::BadRequest, e.to_string()))?;
    if headers.channel_header.channel_id != channel_id {
        return Err(reject(
            Status::NotFound,
            format!(
                "channel {:?} does not exist",
                headers.channel_header.channel_id
            ),
        ));
    }
    let signed = SignedData {
        data: &headers.envelope.payload,
        identity: &headers.signature_header.creator,
        signature: &headers.envelope.signature,
    };
    acl.check(ChannelPolicy::ChannelWriters, &signed, now)
        .map_err(|e| reject(Status::Forbidden, e.to_string()))
}
