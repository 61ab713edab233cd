//! Endorsement and channel policies: the policy language, Fabric's encoding, evaluation,
//! key-level endorsement policies and private data collections.
//!
//! | module | what it offers |
//! |---|---|
//! | [`dsl`] | `AND('Org1MSP.peer', OR(...))` ⇄ [`SignaturePolicyEnvelope`] exactly as Fabric encodes it |
//! | [`eval`] | signature policy evaluation over [`VerifiedSigner`]s, principal matching, implicit meta policies |
//! | [`application`] | [`ApplicationPolicy`](crate::protos::protos::ApplicationPolicy) and [`EndorsementPolicy`] |
//! | [`statebased`] | key-level endorsement policies ([`KeyEndorsementPolicy`]), like Go's `statebased` package |
//! | [`collection`] | collections JSON → [`CollectionConfigPackage`](crate::protos::protos::CollectionConfigPackage), member orgs, implicit collections |

pub mod application;
pub mod collection;
pub mod dsl;
pub mod eval;
pub mod statebased;

use prost::Message;

use crate::identity::NodeRole;
use crate::protos::common::SignaturePolicyEnvelope;
use crate::{Error, Result};

pub use application::{DEFAULT_ENDORSEMENT_POLICY_REF, EndorsementPolicy};
pub use collection::{
    IMPLICIT_COLLECTION_PREFIX, collection_member_orgs, implicit_org_collection_name,
    parse_collections_json, signature_policy_member_orgs,
};
pub use dsl::{parse as parse_signature_policy, to_dsl};
pub use eval::{
    Evaluation, ImplicitMeta, UnsatisfiedLeaf, evaluate, evaluate_implicit_meta,
    parse_implicit_meta, satisfies_principal,
};
pub use statebased::{KeyEndorsementPolicy, RoleType, VALIDATION_PARAMETER};

/// What policy evaluation needs to know about one signer whose signature has already been
/// verified and whose certificate its MSP has already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigner {
    /// The MSP ID from the SerializedIdentity.
    pub msp_id: String,
    /// The NodeOU role, when the MSP has NodeOUs enabled and the certificate carries one.
    pub role: Option<NodeRole>,
    /// Admin by the admin OU or by being listed in the MSP's admincerts.
    pub is_admin: bool,
    /// Every `OU=` value of the certificate subject.
    pub ous: Vec<String>,
    /// The SerializedIdentity bytes exactly as signed (`msp.SerializedIdentity`).
    pub serialized: Vec<u8>,
}

impl VerifiedSigner {
    /// A signer of `msp_id` with the NodeOU `role` (`is_admin` follows from `role == Admin`,
    /// `ous` holds the role's default OU). `serialized` is the SerializedIdentity as signed.
    pub fn new(msp_id: impl Into<String>, role: Option<NodeRole>, serialized: Vec<u8>) -> Self {
        VerifiedSigner {
            msp_id: msp_id.into(),
            role,
            is_admin: role == Some(NodeRole::Admin),
            ous: role
                .map(|r| vec![r.default_ou().to_string()])
                .unwrap_or_default(),
            serialized,
        }
    }

    /// Builds a signer from SerializedIdentity bytes: the MSP ID is read from them. The role,
    /// admin flag and OUs must come from the MSP's validation of the certificate.
    pub fn from_serialized(
        serialized: &[u8],
        role: Option<NodeRole>,
        is_admin: bool,
        ous: Vec<String>,
    ) -> Result<Self> {
        let id = crate::protos::msp::SerializedIdentity::decode(serialized)
            .map_err(Error::decode("msp.SerializedIdentity"))?;
        Ok(VerifiedSigner {
            msp_id: id.mspid,
            role,
            is_admin,
            ous,
            serialized: serialized.to_vec(),
        })
    }

    /// Marks the signer as an MSP admin (admin OU or listed in admincerts).
    pub fn with_admin(mut self, is_admin: bool) -> Self {
        self.is_admin = is_admin;
        self
    }

    /// Replaces the subject OUs of the signer.
    pub fn with_ous<I, S>(mut self, ous: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ous = ous.into_iter().map(Into::into).collect();
        self
    }
}

/// Decodes a serialized `common.SignaturePolicyEnvelope` (e.g. a key's `VALIDATION_PARAMETER`).
pub fn decode_signature_policy(bytes: &[u8]) -> Result<SignaturePolicyEnvelope> {
    SignaturePolicyEnvelope::decode(bytes).map_err(Error::decode("common.SignaturePolicyEnvelope"))
}

/// Serializes a `common.SignaturePolicyEnvelope` with the deterministic protobuf encoding.
pub fn encode_signature_policy(envelope: &SignaturePolicyEnvelope) -> Vec<u8> {
    envelope.encode_to_vec()
}
