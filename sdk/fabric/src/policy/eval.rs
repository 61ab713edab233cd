//! Evaluation of signature policies and implicit meta policies, with Fabric's semantics.
//!
//! Signature policies: the signers are first deduplicated by their serialized identity bytes.
//! `SignedBy(i)` takes the first signer, in order, that is not used yet and satisfies principal
//! `i`, and marks it used, so one identity satisfies at most one leaf. `NOutOf{n, rules}`
//! evaluates every sub-rule on a copy of the used flags and keeps the copy only when that
//! sub-rule succeeds; it is satisfied when at least `n` sub-rules succeed.

use std::collections::HashSet;
use std::fmt;

use prost::Message;

use super::VerifiedSigner;
use super::dsl::principal_to_dsl;
use crate::identity::NodeRole;
use crate::protos::common::implicit_meta_policy::Rule;
use crate::protos::common::msp_identity_anonymity::MspIdentityAnonymityType;
use crate::protos::common::msp_principal::Classification;
use crate::protos::common::msp_role::MspRoleType;
use crate::protos::common::signature_policy::Type;
use crate::protos::common::{
    CombinedPrincipal, ImplicitMetaPolicy, MspIdentityAnonymity, MspPrincipal, MspRole,
    OrganizationUnit, SignaturePolicy, SignaturePolicyEnvelope,
};
use crate::protos::msp::SerializedIdentity;
use crate::{Error, Result};

/// Rules nested deeper than this are refused (no protobuf-decoded envelope gets near it).
pub const MAX_RULE_DEPTH: usize = 128;

/// Combined principals nested deeper than this are refused.
pub const MAX_COMBINED_DEPTH: usize = 8;

/// A `SignedBy` leaf that found no unused signer satisfying its principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsatisfiedLeaf {
    /// Index of the principal in the envelope's identities.
    pub principal_index: usize,
    /// The principal in the policy language (`'Org1MSP.peer'`) or a short description.
    pub principal: String,
}

/// The outcome of evaluating a signature policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Whether the policy is satisfied.
    pub satisfied: bool,
    /// Number of distinct signers (after deduplication by serialized identity).
    pub distinct_signers: usize,
    /// The leaves that found no usable signer during evaluation, in evaluation order. A leaf can
    /// appear here even when the policy is satisfied (an `OR` branch that was not needed).
    pub unsatisfied: Vec<UnsatisfiedLeaf>,
}

impl Evaluation {
    /// `Ok(())` when satisfied, otherwise [`Error::Policy`] explaining which principals had no
    /// signer.
    pub fn require_satisfied(&self) -> Result<()> {
        if self.satisfied {
            Ok(())
        } else {
            Err(Error::Policy(self.to_string()))
        }
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.satisfied {
            return write!(f, "signature policy satisfied");
        }
        write!(
            f,
            "signature policy not satisfied by {} distinct signer(s)",
            self.distinct_signers
        )?;
        if !self.unsatisfied.is_empty() {
            let mut seen = HashSet::new();
            let names: Vec<&str> = self
                .unsatisfied
                .iter()
                .filter(|l| seen.insert(l.principal_index))
                .map(|l| l.principal.as_str())
                .collect();
            write!(f, "; no unused signer for: {}", names.join(", "))?;
        }
        Ok(())
    }
}

/// Evaluates `envelope` against signers whose signatures and identities are already verified.
///
/// Errors (rather than "not satisfied") when the envelope itself is malformed: no rule, a
/// `SignedBy` index outside the identities, an undecodable or unknown principal.
pub fn evaluate(
    envelope: &SignaturePolicyEnvelope,
    signers: &[VerifiedSigner],
) -> Result<Evaluation> {
    let rule = envelope
        .rule
        .as_ref()
        .ok_or_else(|| Error::Policy("signature policy envelope has no rule".into()))?;
    let principals = envelope
        .identities
        .iter()
        .map(|p| Principal::decode(p, 0))
        .collect::<Result<Vec<_>>>()?;
    let mut seen = HashSet::new();
    let distinct: Vec<&VerifiedSigner> = signers
        .iter()
        .filter(|s| seen.insert(s.serialized.as_slice()))
        .collect();
    let mut ctx = Ctx {
        envelope,
        principals: &principals,
        signers: &distinct,
        unsatisfied: Vec::new(),
    };
    let mut used = vec![false; distinct.len()];
    let satisfied = ctx.eval(rule, &mut used, 0)?;
    Ok(Evaluation {
        satisfied,
        distinct_signers: distinct.len(),
        unsatisfied: ctx.unsatisfied,
    })
}

struct Ctx<'a> {
    envelope: &'a SignaturePolicyEnvelope,
    principals: &'a [Principal],
    signers: &'a [&'a VerifiedSigner],
    unsatisfied: Vec<UnsatisfiedLeaf>,
}

impl Ctx<'_> {
    fn eval(&mut self, rule: &SignaturePolicy, used: &mut [bool], depth: usize) -> Result<bool> {
        if depth > MAX_RULE_DEPTH {
            return Err(Error::Policy(
                "signature policy is nested too deeply".into(),
            ));
        }
        match &rule.r#type {
            None => Err(Error::Policy("signature policy rule has no type".into())),
            Some(Type::SignedBy(i)) => {
                let index = usize::try_from(*i)
                    .ok()
                    .filter(|&i| i < self.principals.len())
                    .ok_or_else(|| {
                        Error::Policy(format!(
                            "SignedBy({i}) refers to a missing identity ({} identities)",
                            self.principals.len()
                        ))
                    })?;
                let principal = &self.principals[index];
                for (k, signer) in self.signers.iter().enumerate() {
                    if !used[k] && principal.satisfied_by(signer) {
                        used[k] = true;
                        return Ok(true);
                    }
                }
                let shown = self
                    .envelope
                    .identities
                    .get(index)
                    .and_then(|p| principal_to_dsl(p).ok())
                    .unwrap_or_else(|| principal.describe());
                self.unsatisfied.push(UnsatisfiedLeaf {
                    principal_index: index,
                    principal: shown,
                });
                Ok(false)
            }
            Some(Type::NOutOf(n_out_of)) => {
                let mut successes: i64 = 0;
                for sub in &n_out_of.rules {
                    let mut trial = used.to_vec();
                    if self.eval(sub, &mut trial, depth + 1)? {
                        successes += 1;
                        used.copy_from_slice(&trial);
                    }
                }
                Ok(successes >= i64::from(n_out_of.n))
            }
        }
    }
}

/// A decoded `MSPPrincipal`.
#[derive(Debug, Clone)]
enum Principal {
    Role(MspRole, MspRoleType),
    OrgUnit(OrganizationUnit),
    Identity(SerializedIdentity),
    Anonymity(MspIdentityAnonymityType),
    Combined(Vec<Principal>),
}

impl Principal {
    fn decode(p: &MspPrincipal, depth: usize) -> Result<Self> {
        let class = Classification::try_from(p.principal_classification).map_err(|_| {
            Error::Policy(format!(
                "unknown principal classification {}",
                p.principal_classification
            ))
        })?;
        let bytes = p.principal.as_ref();
        Ok(match class {
            Classification::Role => {
                let role = MspRole::decode(bytes).map_err(Error::decode("MSPRole"))?;
                let kind = MspRoleType::try_from(role.role)
                    .map_err(|_| Error::Policy(format!("unknown MSP role type {}", role.role)))?;
                Principal::Role(role, kind)
            }
            Classification::OrganizationUnit => Principal::OrgUnit(
                OrganizationUnit::decode(bytes).map_err(Error::decode("OrganizationUnit"))?,
            ),
            Classification::Identity => Principal::Identity(
                SerializedIdentity::decode(bytes)
                    .map_err(Error::decode("msp.SerializedIdentity"))?,
            ),
            Classification::Anonymity => {
                let a = MspIdentityAnonymity::decode(bytes)
                    .map_err(Error::decode("MSPIdentityAnonymity"))?;
                Principal::Anonymity(
                    MspIdentityAnonymityType::try_from(a.anonymity_type).map_err(|_| {
                        Error::Policy(format!("unknown anonymity type {}", a.anonymity_type))
                    })?,
                )
            }
            Classification::Combined => {
                if depth >= MAX_COMBINED_DEPTH {
                    return Err(Error::Policy(
                        "combined principals nested too deeply".into(),
                    ));
                }
                let c =
                    CombinedPrincipal::decode(bytes).map_err(Error::decode("CombinedPrincipal"))?;
                if c.principals.is_empty() {
                    return Err(Error::Policy(
                        "combined principal without principals".into(),
                    ));
                }
                Principal::Combined(
                    c.principals
                        .iter()
                        .map(|p| Principal::decode(p, depth + 1))
                        .collect::<Result<_>>()?,
                )
            }
        })
    }

    fn satisfied_by(&self, s: &VerifiedSigner) -> bool {
        match self {
            Principal::Role(role, kind) => {
                role.msp_identifier == s.msp_id
                    && match kind {
                        MspRoleType::Member => true,
                        MspRoleType::Admin => s.is_admin,
                        MspRoleType::Client => s.role == Some(NodeRole::Client),
                        MspRoleType::Peer => s.role == Some(NodeRole::Peer),
                        MspRoleType::Orderer => s.role == Some(NodeRole::Orderer),
                    }
            }
            Principal::OrgUnit(ou) => {
                ou.msp_identifier == s.msp_id && s.ous.contains(&ou.organizational_unit_identifier)
            }
            Principal::Identity(id) => SerializedIdentity::decode(s.serialized.as_slice())
                .is_ok_and(|sid| sid.mspid == id.mspid && sid.id_bytes == id.id_bytes),
            // X.509 identities are nominal.
            Principal::Anonymity(t) => *t == MspIdentityAnonymityType::Nominal,
            Principal::Combined(all) => all.iter().all(|p| p.satisfied_by(s)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Principal::Role(r, k) => {
                format!("'{}.{}'", r.msp_identifier, super::dsl::role_name(*k))
            }
            Principal::OrgUnit(ou) => format!(
                "OU {} of {}",
                ou.organizational_unit_identifier, ou.msp_identifier
            ),
            Principal::Identity(id) => format!("a specific identity of {}", id.mspid),
            Principal::Anonymity(t) => format!("{} identity", t.as_str_name().to_lowercase()),
            Principal::Combined(all) => format!(
                "all of [{}]",
                all.iter()
                    .map(Principal::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Whether one verified signer satisfies one principal (Fabric's `SatisfiesPrincipal`).
///
/// ROLE: MEMBER = same MSP; ADMIN = same MSP and admin; CLIENT/PEER/ORDERER = same MSP and that
/// NodeOU role. ORGANIZATION_UNIT: same MSP and the OU among the subject OUs (the certifiers
/// identifier is not checked: [`VerifiedSigner`] does not carry the certificate chain).
/// IDENTITY: same MSP ID and identity bytes. ANONYMITY: NOMINAL only (X.509). COMBINED: all.
pub fn satisfies_principal(signer: &VerifiedSigner, principal: &MspPrincipal) -> Result<bool> {
    Ok(Principal::decode(principal, 0)?.satisfied_by(signer))
}

/// An implicit meta policy such as `MAJORITY Endorsement`, in its message form.
pub type ImplicitMeta = ImplicitMetaPolicy;

/// Parses `"<ANY|ALL|MAJORITY> <SubPolicy>"` (one space-separated rule and sub-policy name).
pub fn parse_implicit_meta(s: &str) -> Result<ImplicitMetaPolicy> {
    let syntax = |position: usize, expected: &str, found: String| Error::PolicySyntax {
        position,
        expected: expected.to_string(),
        found,
    };
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in s
        .chars()
        .enumerate()
        .chain(std::iter::once((s.chars().count(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(b)) => {
                words.push((b, s.chars().skip(b).take(i - b).collect::<String>()));
                start = None;
            }
            _ => {}
        }
    }
    let Some((rule_pos, rule_word)) = words.first() else {
        return Err(syntax(0, "ANY, ALL or MAJORITY", "end of input".into()));
    };
    let rule = Rule::from_str_name(rule_word)
        .ok_or_else(|| syntax(*rule_pos, "ANY, ALL or MAJORITY", format!("`{rule_word}`")))?;
    let Some((_, sub_policy)) = words.get(1) else {
        return Err(syntax(
            s.chars().count(),
            "a sub-policy name",
            "end of input".into(),
        ));
    };
    if let Some((pos, extra)) = words.get(2) {
        return Err(syntax(*pos, "end of input", format!("`{extra}`")));
    }
    Ok(ImplicitMetaPolicy {
        sub_policy: sub_policy.clone(),
        rule: rule as i32,
    })
}

/// How many of `count` sub-policies must be satisfied: ANY = 1, ALL = all, MAJORITY =
/// ⌊count/2⌋ + 1; 0 when there are no sub-policies.
pub fn implicit_meta_threshold(rule: Rule, count: usize) -> usize {
    if count == 0 {
        return 0;
    }
    match rule {
        Rule::Any => 1,
        Rule::All => count,
        Rule::Majority => count / 2 + 1,
    }
}

/// Evaluates an implicit meta policy given the outcome of each sub-policy (one per org/child
/// group). No sub-policies ⇒ satisfied.
pub fn evaluate_implicit_meta(policy: &ImplicitMetaPolicy, outcomes: &[bool]) -> Result<bool> {
    let rule = Rule::try_from(policy.rule)
        .map_err(|_| Error::Policy(format!("unknown implicit meta rule {}", policy.rule)))?;
    let satisfied = outcomes.iter().filter(|&&b| b).count();
    Ok(satisfied >= implicit_meta_threshold(rule, outcomes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::dsl::parse;

    fn signer(msp: &str, role: NodeRole, id: &str) -> VerifiedSigner {
        let sid = SerializedIdentity {
            mspid: msp.into(),
            id_bytes: id.as_bytes().to_vec().into(),
        };
        VerifiedSigner::new(msp, Some(role), sid.encode_to_vec())
    }

    #[test]
    fn or_branch_failures_are_reported_but_satisfied() {
        let env = parse("OR('A.peer','B.peer')").unwrap();
        let e = evaluate(&env, &[signer("B", NodeRole::Peer, "b")]).unwrap();
        assert!(e.satisfied);
        assert_eq!(e.unsatisfied.len(), 1);
        assert_eq!(e.unsatisfied[0].principal, "'A.peer'");
    }

    #[test]
    fn failure_message_names_principals() {
        let env = parse("AND('A.peer','B.peer')").unwrap();
        let e = evaluate(&env, &[signer("A", NodeRole::Peer, "a")]).unwrap();
        let msg = e.require_satisfied().unwrap_err().to_string();
        assert!(msg.contains("'B.peer'"), "{msg}");
        assert!(!msg.contains("'A.peer'"), "{msg}");
    }

    #[test]
    fn implicit_meta_parse() {
        let p = parse_implicit_meta("MAJORITY Endorsement").unwrap();
        assert_eq!(p.sub_policy, "Endorsement");
        assert_eq!(p.rule, Rule::Majority as i32);
        assert!(matches!(
            parse_implicit_meta("SOME Readers"),
            Err(Error::PolicySyntax { position: 0, .. })
        ));
        assert!(matches!(
            parse_implicit_meta("ANY"),
            Err(Error::PolicySyntax { position: 3, .. })
        ));
        assert!(matches!(
            parse_implicit_meta("ANY Readers x"),
            Err(Error::PolicySyntax { position: 12, .. })
        ));
    }
}
