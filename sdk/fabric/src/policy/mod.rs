//! Endorsement and channel policies: the policy language, Fabric's encoding, evaluation,
//! key-level endorsement policies and private data collections.
//!
//! (Being built: see issue 2.)

use crate::identity::NodeRole;

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
