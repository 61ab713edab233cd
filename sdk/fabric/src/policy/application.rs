//! Chaincode endorsement policies: `protos.ApplicationPolicy` (a chaincode definition's
//! `validation_parameter`) and the [`EndorsementPolicy`] enum.

use std::fmt;
use std::str::FromStr;

use prost::Message;

use super::{VerifiedSigner, dsl, eval};
use crate::protos::common::SignaturePolicyEnvelope;
use crate::protos::protos::ApplicationPolicy;
use crate::protos::protos::application_policy::Type;
use crate::{Error, Result};

/// The channel policy a chaincode definition uses when it names no endorsement policy.
pub const DEFAULT_ENDORSEMENT_POLICY_REF: &str = "/Channel/Application/Endorsement";

/// A chaincode (or collection) endorsement policy: an explicit signature policy, or a
/// reference to a policy in the channel configuration that the network resolves.
#[derive(Debug, Clone, PartialEq)]
pub enum EndorsementPolicy {
    /// An explicit signature policy.
    Signature(SignaturePolicyEnvelope),
    /// A channel config policy path such as `/Channel/Application/Endorsement`.
    ChannelConfigReference(String),
}

impl Default for EndorsementPolicy {
    /// `/Channel/Application/Endorsement`, Fabric's default.
    fn default() -> Self {
        EndorsementPolicy::ChannelConfigReference(DEFAULT_ENDORSEMENT_POLICY_REF.to_string())
    }
}

impl EndorsementPolicy {
    /// Parses a signature policy string (`OR('Org1MSP.peer','Org2MSP.peer')`).
    pub fn signature(policy: &str) -> Result<Self> {
        Ok(EndorsementPolicy::Signature(dsl::parse(policy)?))
    }

    /// A channel config policy reference. It must be non-empty and must not contain whitespace.
    pub fn channel_reference(path: &str) -> Result<Self> {
        if path.is_empty() || path.chars().any(char::is_whitespace) {
            return Err(Error::Policy(format!(
                "invalid channel config policy reference {path:?}"
            )));
        }
        Ok(EndorsementPolicy::ChannelConfigReference(path.to_string()))
    }

    /// The `protos.ApplicationPolicy` message.
    pub fn to_application_policy(&self) -> ApplicationPolicy {
        ApplicationPolicy {
            r#type: Some(match self {
                EndorsementPolicy::Signature(env) => Type::SignaturePolicy(env.clone()),
                EndorsementPolicy::ChannelConfigReference(r) => {
                    Type::ChannelConfigPolicyReference(r.clone())
                }
            }),
        }
    }

    /// From a `protos.ApplicationPolicy`; errors when it holds neither alternative.
    pub fn from_application_policy(policy: ApplicationPolicy) -> Result<Self> {
        match policy.r#type {
            Some(Type::SignaturePolicy(env)) => Ok(EndorsementPolicy::Signature(env)),
            Some(Type::ChannelConfigPolicyReference(r)) => {
                Ok(EndorsementPolicy::ChannelConfigReference(r))
            }
            None => Err(Error::Malformed {
                what: "ApplicationPolicy",
                reason: "neither signature_policy nor channel_config_policy_reference is set"
                    .into(),
            }),
        }
    }

    /// Serialized `protos.ApplicationPolicy` (a chaincode definition's validation parameter).
    pub fn encode(&self) -> Vec<u8> {
        self.to_application_policy().encode_to_vec()
    }

    /// Decodes a serialized `protos.ApplicationPolicy`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let policy =
            ApplicationPolicy::decode(bytes).map_err(Error::decode("protos.ApplicationPolicy"))?;
        Self::from_application_policy(policy)
    }

    /// Evaluates the policy. Signature policies are evaluated directly; a channel config
    /// reference is handed to `resolve` (which knows the channel config) with the signers.
    pub fn evaluate<F>(&self, signers: &[VerifiedSigner], resolve: F) -> Result<bool>
    where
        F: FnOnce(&str, &[VerifiedSigner]) -> Result<bool>,
    {
        match self {
            EndorsementPolicy::Signature(env) => Ok(eval::evaluate(env, signers)?.satisfied),
            EndorsementPolicy::ChannelConfigReference(r) => resolve(r, signers),
        }
    }
}

impl FromStr for EndorsementPolicy {
    type Err = Error;

    /// A string starting with `/` is a channel config reference, anything else a signature
    /// policy string.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        if t.starts_with('/') {
            Self::channel_reference(t)
        } else {
            Self::signature(s)
        }
    }
}

impl fmt::Display for EndorsementPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndorsementPolicy::Signature(env) => match dsl::to_dsl(env) {
                Ok(s) => f.write_str(&s),
                Err(_) => write!(
                    f,
                    "<signature policy with {} identities>",
                    env.identities.len()
                ),
            },
            EndorsementPolicy::ChannelConfigReference(r) => f.write_str(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_reference_bytes() {
        let bytes = EndorsementPolicy::default().encode();
        let mut expected = vec![0x12, 0x20];
        expected.extend_from_slice(DEFAULT_ENDORSEMENT_POLICY_REF.as_bytes());
        assert_eq!(bytes, expected);
    }

    #[test]
    fn from_str_dispatch() {
        assert!(matches!(
            "/Channel/Application/Endorsement"
                .parse::<EndorsementPolicy>()
                .unwrap(),
            EndorsementPolicy::ChannelConfigReference(_)
        ));
        assert!(matches!(
            "OR('A.peer')".parse::<EndorsementPolicy>().unwrap(),
            EndorsementPolicy::Signature(_)
        ));
        assert!("OR(".parse::<EndorsementPolicy>().is_err());
        assert!(EndorsementPolicy::decode(&[]).is_err());
    }
}
