//! Key-level (state-based) endorsement policies, like Go's `statebased` package and Node's
//! `KeyEndorsementPolicy`.
//!
//! The policy of a key is the set of orgs that must all endorse, each with a role (member or
//! peer). It is stored in the key's metadata under [`VALIDATION_PARAMETER`] as a serialized
//! `SignaturePolicyEnvelope`: MSP IDs sorted, one ROLE principal per org, rule
//! `NOutOf{n = number of orgs, rules = [SignedBy 0 … n-1]}`, version 0.

use std::collections::BTreeMap;

use prost::Message;

use super::dsl::role_principal;
use crate::protos::common::msp_principal::Classification;
use crate::protos::common::msp_role::MspRoleType;
use crate::protos::common::signature_policy::{NOutOf, Type};
use crate::protos::common::{MspRole, SignaturePolicy, SignaturePolicyEnvelope};
use crate::{Error, Result};

/// The metadata key under which a key-level endorsement policy is stored.
pub const VALIDATION_PARAMETER: &str = "VALIDATION_PARAMETER";

/// The role an org must endorse with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleType {
    /// Any member of the org (`MSPRole.MEMBER`).
    Member,
    /// A peer of the org (`MSPRole.PEER`).
    Peer,
}

impl From<RoleType> for MspRoleType {
    fn from(r: RoleType) -> Self {
        match r {
            RoleType::Member => MspRoleType::Member,
            RoleType::Peer => MspRoleType::Peer,
        }
    }
}

/// A key-level endorsement policy under construction: MSP ID → role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyEndorsementPolicy {
    orgs: BTreeMap<String, MspRoleType>,
}

impl KeyEndorsementPolicy {
    /// An empty policy (no orgs).
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from an existing `VALIDATION_PARAMETER` value (a serialized
    /// `SignaturePolicyEnvelope`); empty bytes give an empty policy. Every ROLE principal
    /// contributes its org and role (the rule itself is not kept: [`to_bytes`](Self::to_bytes)
    /// always writes "all listed orgs"). Other principal kinds are an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let env = SignaturePolicyEnvelope::decode(bytes)
            .map_err(Error::decode("common.SignaturePolicyEnvelope"))?;
        let mut orgs = BTreeMap::new();
        for (i, p) in env.identities.iter().enumerate() {
            if p.principal_classification != Classification::Role as i32 {
                return Err(Error::Policy(format!(
                    "key endorsement policy identity {i}: principal classification {} is not ROLE",
                    p.principal_classification
                )));
            }
            let role = MspRole::decode(p.principal.as_ref()).map_err(Error::decode("MSPRole"))?;
            let kind = MspRoleType::try_from(role.role).map_err(|_| {
                Error::Policy(format!(
                    "key endorsement policy identity {i}: unknown MSP role type {}",
                    role.role
                ))
            })?;
            orgs.insert(role.msp_identifier, kind);
        }
        Ok(KeyEndorsementPolicy { orgs })
    }

    /// Adds orgs (or changes their role) that must endorse with `role`. MSP IDs must be non-empty.
    pub fn add_orgs<S: AsRef<str>>(&mut self, role: RoleType, msp_ids: &[S]) -> Result<()> {
        if let Some(bad) = msp_ids.iter().find(|m| m.as_ref().is_empty()) {
            return Err(Error::Policy(format!("invalid MSP ID {:?}", bad.as_ref())));
        }
        for m in msp_ids {
            self.orgs.insert(m.as_ref().to_string(), role.into());
        }
        Ok(())
    }

    /// Removes orgs; unknown MSP IDs are ignored.
    pub fn del_orgs<S: AsRef<str>>(&mut self, msp_ids: &[S]) {
        for m in msp_ids {
            self.orgs.remove(m.as_ref());
        }
    }

    /// The MSP IDs of the policy, sorted.
    pub fn list_orgs(&self) -> Vec<String> {
        self.orgs.keys().cloned().collect()
    }

    /// The role of one org, if listed.
    pub fn role_of(&self, msp_id: &str) -> Option<MspRoleType> {
        self.orgs.get(msp_id).copied()
    }

    /// The `SignaturePolicyEnvelope` the policy encodes to.
    pub fn to_envelope(&self) -> Result<SignaturePolicyEnvelope> {
        let n = i32::try_from(self.orgs.len())
            .map_err(|_| Error::Policy("too many orgs in a key endorsement policy".into()))?;
        Ok(SignaturePolicyEnvelope {
            version: 0,
            rule: Some(SignaturePolicy {
                r#type: Some(Type::NOutOf(NOutOf {
                    n,
                    rules: (0..n)
                        .map(|i| SignaturePolicy {
                            r#type: Some(Type::SignedBy(i)),
                        })
                        .collect(),
                })),
            }),
            identities: self
                .orgs
                .iter()
                .map(|(msp, role)| role_principal(msp, *role))
                .collect(),
        })
    }

    /// The serialized envelope: the value to store under [`VALIDATION_PARAMETER`].
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.to_envelope()?.encode_to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_roles() {
        let mut p = KeyEndorsementPolicy::new();
        p.add_orgs(RoleType::Peer, &["Org2MSP", "Org1MSP"]).unwrap();
        p.add_orgs(RoleType::Member, &["Org3MSP"]).unwrap();
        assert_eq!(p.list_orgs(), ["Org1MSP", "Org2MSP", "Org3MSP"]);
        let env = p.to_envelope().unwrap();
        assert_eq!(
            super::super::dsl::to_dsl(&env).unwrap(),
            "AND('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.member')"
        );
        p.del_orgs(&["Org2MSP", "nope"]);
        assert_eq!(p.list_orgs(), ["Org1MSP", "Org3MSP"]);
        assert!(p.add_orgs(RoleType::Peer, &[""]).is_err());
    }

    #[test]
    fn empty_bytes_is_empty_policy() {
        let p = KeyEndorsementPolicy::from_bytes(&[]).unwrap();
        assert!(p.list_orgs().is_empty());
    }
}
