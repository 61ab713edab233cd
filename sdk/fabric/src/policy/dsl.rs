//! The signature policy language (Fabric's `policydsl`).
//!
//! ```text
//! policy    := gate
//! gate      := ("AND" | "And" | "and") "(" expr ("," expr)* ")"
//!            | ("OR" | "Or" | "or") "(" expr ("," expr)* ")"
//!            | ("OutOf" | "outof" | "OUTOF") "(" integer ("," expr)+ ")"
//! expr      := gate | principal
//! principal := "'" MSPID "." role "'"      MSPID chars [A-Za-z0-9.-], role the text after the last '.'
//! role      := member | admin | client | peer | orderer
//! ```
//!
//! Whitespace is allowed between tokens. Encoding, as Fabric does it: `AND` with k items is
//! `NOutOf{n = k}`, `OR` is `NOutOf{n = 1}`, `OutOf(t, …)` is `NOutOf{n = t}` with
//! `0 ≤ t ≤ items + 1`. Every principal occurrence appends one `MSPPrincipal{ROLE, MSPRole}` to
//! the identities (left to right, depth first, no deduplication) and becomes `SignedBy(index)`.
//! The envelope version is 0. A bare principal is not a policy (Fabric rejects it too).

use prost::Message;

use crate::protos::common::msp_principal::Classification;
use crate::protos::common::msp_role::MspRoleType;
use crate::protos::common::signature_policy::{NOutOf, Type};
use crate::protos::common::{MspPrincipal, MspRole, SignaturePolicy, SignaturePolicyEnvelope};
use crate::{Error, Result};

/// Maximum gate nesting accepted by [`parse`]: deeper policies could not be decoded again by a
/// protobuf decoder with the usual recursion limit (100 nested messages).
pub const MAX_NESTING: usize = 32;

/// Parses a policy string into the `SignaturePolicyEnvelope` Fabric would produce.
///
/// Errors are [`Error::PolicySyntax`] with the 0-based character position of the problem.
pub fn parse(policy: &str) -> Result<SignaturePolicyEnvelope> {
    let mut p = Parser {
        chars: policy.chars().collect(),
        pos: 0,
        identities: Vec::new(),
    };
    p.skip_ws();
    let rule = match p.peek() {
        Some(c) if c.is_ascii_alphabetic() => p.gate(1)?,
        _ => return Err(p.error("a gate name (AND, OR, OutOf)")),
    };
    p.skip_ws();
    if p.peek().is_some() {
        return Err(p.error("end of input"));
    }
    Ok(SignaturePolicyEnvelope {
        version: 0,
        rule: Some(rule),
        identities: p.identities,
    })
}

/// The role names of the policy language, as written in principals.
pub fn role_name(role: MspRoleType) -> &'static str {
    match role {
        MspRoleType::Member => "member",
        MspRoleType::Admin => "admin",
        MspRoleType::Client => "client",
        MspRoleType::Peer => "peer",
        MspRoleType::Orderer => "orderer",
    }
}

/// The role for a policy language role name (`member`, `admin`, `client`, `peer`, `orderer`).
pub fn role_from_name(name: &str) -> Option<MspRoleType> {
    Some(match name {
        "member" => MspRoleType::Member,
        "admin" => MspRoleType::Admin,
        "client" => MspRoleType::Client,
        "peer" => MspRoleType::Peer,
        "orderer" => MspRoleType::Orderer,
        _ => return None,
    })
}

/// Builds the `MSPPrincipal{ROLE, MSPRole{msp_id, role}}` the policy language produces.
pub fn role_principal(msp_id: &str, role: MspRoleType) -> MspPrincipal {
    MspPrincipal {
        principal_classification: Classification::Role as i32,
        principal: MspRole {
            msp_identifier: msp_id.to_string(),
            role: role as i32,
        }
        .encode_to_vec()
        .into(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Gate {
    And,
    Or,
    OutOf,
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    identities: Vec<MspPrincipal>,
}

fn describe(c: Option<char>) -> String {
    match c {
        None => "end of input".to_string(),
        Some(c) if c.is_control() => format!("{:?}", c),
        Some(c) => format!("`{c}`"),
    }
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error(&self, expected: &str) -> Error {
        self.error_at(self.pos, expected, describe(self.peek()))
    }

    fn error_at(&self, position: usize, expected: &str, found: String) -> Error {
        Error::PolicySyntax {
            position,
            expected: expected.to_string(),
            found,
        }
    }

    fn expect(&mut self, c: char) -> Result<()> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("`{c}`")))
        }
    }

    /// `gate` with the cursor on its first letter.
    fn gate(&mut self, depth: usize) -> Result<SignaturePolicy> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let gate = match name.as_str() {
            "AND" | "And" | "and" => Gate::And,
            "OR" | "Or" | "or" => Gate::Or,
            "OutOf" | "outof" | "OUTOF" => Gate::OutOf,
            _ => {
                let expected = if depth == 1 {
                    "a gate name (AND, OR, OutOf)"
                } else {
                    "`'` or a gate name (AND, OR, OutOf)"
                };
                return Err(self.error_at(start, expected, format!("`{name}`")));
            }
        };
        if depth > MAX_NESTING {
            return Err(self.error_at(
                start,
                &format!("at most {MAX_NESTING} nested gates"),
                format!("`{name}` at nesting depth {depth}"),
            ));
        }
        self.expect('(')?;
        let mut threshold = None;
        if gate == Gate::OutOf {
            self.skip_ws();
            let t_start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            if t_start == self.pos {
                return Err(self.error("an integer threshold"));
            }
            let digits: String = self.chars[t_start..self.pos].iter().collect();
            let t: i32 = digits.parse().map_err(|_| {
                self.error_at(
                    t_start,
                    "an integer threshold that fits in 32 bits",
                    format!("`{digits}`"),
                )
            })?;
            threshold = Some((t, t_start));
            self.expect(',')?;
        }
        let mut rules = Vec::new();
        loop {
            rules.push(self.expr(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error("`,` or `)`")),
            }
        }
        let items = rules.len();
        let n = match (gate, threshold) {
            (Gate::OutOf, Some((t, t_pos))) => {
                // Fabric permits t up to n + 1 (a policy no set of signers can satisfy).
                if usize::try_from(t).map_or(true, |t| t > items + 1) {
                    return Err(self.error_at(
                        t_pos,
                        &format!("a threshold between 0 and {} (items + 1)", items + 1),
                        format!("`{t}`"),
                    ));
                }
                t
            }
            (Gate::Or, _) => 1,
            _ => i32::try_from(items).map_err(|_| {
                self.error_at(start, "fewer items in a gate", format!("{items} items"))
            })?,
        };
        Ok(SignaturePolicy {
            r#type: Some(Type::NOutOf(NOutOf { n, rules })),
        })
    }

    /// A gate or a principal.
    fn expr(&mut self, depth: usize) -> Result<SignaturePolicy> {
        self.skip_ws();
        match self.peek() {
            Some('\'') => self.principal(),
            Some(c) if c.is_ascii_alphabetic() => self.gate(depth + 1),
            _ => Err(self.error("`'` or a gate name (AND, OR, OutOf)")),
        }
    }

    /// `'MSPID.role'` with the cursor on the opening quote.
    fn principal(&mut self) -> Result<SignaturePolicy> {
        self.pos += 1;
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '\'' {
                break;
            }
            if !(c.is_ascii_alphanumeric() || c == '.' || c == '-') {
                return Err(self.error("an MSP ID character ([A-Za-z0-9.-]), `.` or `'`"));
            }
            self.pos += 1;
        }
        if self.peek().is_none() {
            return Err(self.error("`'` closing the principal"));
        }
        let end = self.pos;
        self.pos += 1; // closing quote
        let body: String = self.chars[start..end].iter().collect();
        let Some(dot) = body.rfind('.') else {
            return Err(self.error_at(
                start,
                "a principal of the form 'MSPID.role'",
                format!("`'{body}'`"),
            ));
        };
        let (msp_id, role) = (&body[..dot], &body[dot + 1..]);
        if msp_id.is_empty() {
            return Err(self.error_at(start, "an MSP ID before `.`", format!("`'{body}'`")));
        }
        // All characters are ASCII, so byte offsets are character offsets.
        let role_pos = start + dot + 1;
        let Some(role) = role_from_name(role) else {
            let found = if role.is_empty() {
                "`'`".to_string()
            } else {
                format!("`{role}`")
            };
            return Err(self.error_at(
                role_pos,
                "a role (member, admin, client, peer, orderer)",
                found,
            ));
        };
        let index = i32::try_from(self.identities.len())
            .map_err(|_| self.error_at(start, "fewer principals", "too many".to_string()))?;
        self.identities.push(role_principal(msp_id, role));
        Ok(SignaturePolicy {
            r#type: Some(Type::SignedBy(index)),
        })
    }
}

/// Renders an envelope in the policy language, for display.
///
/// `NOutOf` with `n == 1` is shown as `OR`, with `n` equal to the number of rules as `AND`,
/// otherwise as `OutOf(n, …)`; parsing the result gives back the same rule. A rule that is a
/// bare `SignedBy` is shown as the bare principal (which [`parse`] does not accept as a
/// whole policy). Only ROLE principals can be written; others give [`Error::Policy`].
pub fn to_dsl(envelope: &SignaturePolicyEnvelope) -> Result<String> {
    let rule = envelope
        .rule
        .as_ref()
        .ok_or_else(|| Error::Policy("signature policy envelope has no rule".into()))?;
    let mut out = String::new();
    write_rule(envelope, rule, 0, &mut out)?;
    Ok(out)
}

fn write_rule(
    env: &SignaturePolicyEnvelope,
    rule: &SignaturePolicy,
    depth: usize,
    out: &mut String,
) -> Result<()> {
    if depth > super::eval::MAX_RULE_DEPTH {
        return Err(Error::Policy(
            "signature policy is nested too deeply".into(),
        ));
    }
    match &rule.r#type {
        None => Err(Error::Policy("signature policy rule has no type".into())),
        Some(Type::SignedBy(i)) => {
            let principal = usize::try_from(*i)
                .ok()
                .and_then(|i| env.identities.get(i))
                .ok_or_else(|| {
                    Error::Policy(format!(
                        "SignedBy({i}) refers to a missing identity ({} identities)",
                        env.identities.len()
                    ))
                })?;
            out.push_str(&principal_to_dsl(principal)?);
            Ok(())
        }
        Some(Type::NOutOf(NOutOf { n, rules })) => {
            if rules.is_empty() {
                return Err(Error::Policy(format!(
                    "NOutOf(n={n}) without rules has no policy language form"
                )));
            }
            if *n == 1 {
                out.push_str("OR(");
            } else if usize::try_from(*n) == Ok(rules.len()) {
                out.push_str("AND(");
            } else {
                out.push_str(&format!("OutOf({n}, "));
            }
            for (k, sub) in rules.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                write_rule(env, sub, depth + 1, out)?;
            }
            out.push(')');
            Ok(())
        }
    }
}

/// Renders one ROLE principal as `'MSPID.role'`.
pub fn principal_to_dsl(principal: &MspPrincipal) -> Result<String> {
    if principal.principal_classification != Classification::Role as i32 {
        let name = Classification::try_from(principal.principal_classification)
            .map(|c| c.as_str_name().to_string())
            .unwrap_or_else(|_| principal.principal_classification.to_string());
        return Err(Error::Policy(format!(
            "a {name} principal has no policy language form"
        )));
    }
    let role = MspRole::decode(principal.principal.as_ref()).map_err(Error::decode("MSPRole"))?;
    let kind = MspRoleType::try_from(role.role)
        .map_err(|_| Error::Policy(format!("unknown MSP role type {}", role.role)))?;
    Ok(format!("'{}.{}'", role.msp_identifier, role_name(kind)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> (usize, String, String) {
        match parse(s) {
            Err(Error::PolicySyntax {
                position,
                expected,
                found,
            }) => (position, expected, found),
            other => panic!("{s:?}: expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn and_of_two_peers() {
        let env = parse("AND('Org1MSP.peer','Org2MSP.peer')").unwrap();
        assert_eq!(env.version, 0);
        assert_eq!(env.identities.len(), 2);
        assert_eq!(
            env.rule.unwrap().r#type,
            Some(Type::NOutOf(NOutOf {
                n: 2,
                rules: vec![
                    SignaturePolicy {
                        r#type: Some(Type::SignedBy(0))
                    },
                    SignaturePolicy {
                        r#type: Some(Type::SignedBy(1))
                    },
                ],
            }))
        );
    }

    #[test]
    fn msp_id_with_dots() {
        let env = parse("OR('org.example.com.admin')").unwrap();
        assert_eq!(to_dsl(&env).unwrap(), "OR('org.example.com.admin')");
    }

    #[test]
    fn positions() {
        assert_eq!(err("").0, 0);
        assert_eq!(err("AND(").0, 4);
        assert_eq!(err("  XOR('A.member')").0, 2);
        assert_eq!(err("AND('A.member' 'B.member')").0, 15);
        assert_eq!(err("AND('A.boss')").0, 7);
        assert_eq!(err("OutOf(3, 'A.member')").0, 6);
        assert_eq!(err("AND('A.member')x").0, 15);
        assert_eq!(err("AND('A_B.member')").0, 6);
        assert_eq!(err("AND('é.member')").0, 5);
    }

    #[test]
    fn nesting_limit() {
        let deep = "AND(".repeat(MAX_NESTING) + "'A.member'" + &")".repeat(MAX_NESTING);
        assert!(parse(&deep).is_ok());
        let deeper = "AND(".repeat(MAX_NESTING + 1) + "'A.member'" + &")".repeat(MAX_NESTING + 1);
        assert!(parse(&deeper).is_err());
        let huge = "AND(".repeat(100_000);
        assert!(parse(&huge).is_err());
    }
}
