//! Validation of a parsed topology. Errors are `(key path, message)`.

use super::{Location, Node, Role, Topology, User, UserType};
use std::collections::HashSet;
use std::net::IpAddr;

type VResult = Result<(), (String, String)>;

fn err(key: impl Into<String>, message: impl Into<String>) -> VResult {
    Err((key.into(), message.into()))
}

/// Attribute names the generator sets itself.
const RESERVED_ATTRIBUTES: [&str; 3] = ["role", "license_no", "patient_id"];

pub(super) fn validate(t: &Topology) -> VResult {
    if t.orgs.is_empty() {
        return err("orgs", "at least one peer organisation is required");
    }
    let mut msp_ids = HashSet::new();
    let mut domains = HashSet::new();
    let mut names = HashSet::new();

    let o = &t.orderer_org;
    org_common("orderer_org", &o.name, &o.msp_id, &o.domain, &o.location)?;
    msp_ids.insert(o.msp_id.as_str());
    domains.insert(o.domain.as_str());
    names.insert(o.name.to_ascii_lowercase());
    if o.orderers.is_empty() {
        return err(
            "orderer_org.orderers",
            "at least one orderer node is required",
        );
    }
    nodes("orderer_org.orderers", &o.orderers)?;
    users("orderer_org.users", &o.users)?;

    for (i, org) in t.orgs.iter().enumerate() {
        let base = format!("orgs[{i}]");
        org_common(&base, &org.name, &org.msp_id, &org.domain, &org.location)?;
        if !msp_ids.insert(org.msp_id.as_str()) {
            return err(
                format!("{base}.msp_id"),
                format!("duplicate MSP id {:?}", org.msp_id),
            );
        }
        if !domains.insert(org.domain.as_str()) {
            return err(
                format!("{base}.domain"),
                format!("duplicate domain {:?}", org.domain),
            );
        }
        if !names.insert(org.name.to_ascii_lowercase()) {
            return err(
                format!("{base}.name"),
                format!("duplicate organisation name {:?}", org.name),
            );
        }
        nodes(&format!("{base}.peers"), &org.peers)?;
        users(&format!("{base}.users"), &org.users)?;
    }
    Ok(())
}

fn org_common(base: &str, name: &str, msp_id: &str, domain: &str, location: &Location) -> VResult {
    if !is_identifier(name, false) {
        return err(
            format!("{base}.name"),
            format!(
                "invalid name {name:?} (1-64 letters, digits, '_' or '-', starting with a letter or digit)"
            ),
        );
    }
    if !is_identifier(msp_id, true) {
        return err(
            format!("{base}.msp_id"),
            format!("invalid MSP id {msp_id:?} (1-64 letters, digits, '.', '_' or '-')"),
        );
    }
    if !is_dns_name(domain) {
        return err(
            format!("{base}.domain"),
            format!("invalid domain {domain:?} (lower-case DNS name, e.g. hospital.example.com)"),
        );
    }
    let c = &location.country;
    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        return err(
            format!("{base}.location.country"),
            format!("invalid country {c:?} (two upper-case letters, e.g. KR)"),
        );
    }
    for (key, v) in [
        ("province", &location.province),
        ("locality", &location.locality),
    ] {
        if !is_printable(v, 128) {
            return err(
                format!("{base}.location.{key}"),
                format!("invalid {key} {v:?} (1-128 printable characters)"),
            );
        }
    }
    Ok(())
}

fn nodes(base: &str, list: &[Node]) -> VResult {
    let mut seen = HashSet::new();
    for (i, node) in list.iter().enumerate() {
        let key = format!("{base}[{i}]");
        if !is_dns_label(&node.name) {
            return err(
                format!("{key}.name"),
                format!(
                    "invalid node name {:?} (a lower-case DNS label, e.g. peer0)",
                    node.name
                ),
            );
        }
        if !seen.insert(node.name.as_str()) {
            return err(
                format!("{key}.name"),
                format!("duplicate node name {:?}", node.name),
            );
        }
        for (j, san) in node.sans.iter().enumerate() {
            if san.parse::<IpAddr>().is_err() && !is_dns_name(san) {
                return err(
                    format!("{key}.sans[{j}]"),
                    format!(
                        "invalid subject alternative name {san:?} (a DNS name or an IP address)"
                    ),
                );
            }
        }
    }
    Ok(())
}

fn users(base: &str, list: &[User]) -> VResult {
    let mut seen = HashSet::new();
    for (i, user) in list.iter().enumerate() {
        user_rules(&format!("{base}[{i}]"), user)?;
        if !seen.insert(user.name.to_ascii_lowercase()) {
            return err(
                format!("{base}[{i}].name"),
                format!("duplicate user name {:?}", user.name),
            );
        }
    }
    if !list.iter().any(|u| u.user_type == UserType::Admin) {
        return err(
            base,
            "no user of type \"admin\" (every organisation needs an admin)",
        );
    }
    Ok(())
}

fn user_rules(key: &str, u: &User) -> VResult {
    if !is_identifier(&u.name, true) {
        return err(
            format!("{key}.name"),
            format!(
                "invalid user name {:?} (1-64 letters, digits, '.', '_' or '-', starting with a letter or digit)",
                u.name
            ),
        );
    }
    if u.user_type == UserType::Client && u.role.is_none() {
        return err(format!("{key}.role"), "a client user needs a role");
    }
    match (&u.license_no, u.role) {
        (None, Some(role)) if role.requires_license() => {
            return err(
                format!("{key}.license_no"),
                format!("a {role} needs a license_no"),
            );
        }
        (Some(lic), _) if !is_token(lic) => {
            return err(
                format!("{key}.license_no"),
                format!("invalid license_no {lic:?} (1-64 letters, digits, '.', '_', '/' or '-')"),
            );
        }
        _ => {}
    }
    match (&u.patient_id, u.role) {
        (None, Some(Role::Patient)) => {
            return err(format!("{key}.patient_id"), "a patient needs a patient_id");
        }
        (Some(_), role) if role != Some(Role::Patient) => {
            return err(
                format!("{key}.patient_id"),
                "only a user with role \"patient\" has a patient_id",
            );
        }
        (Some(pid), _) => {
            if !is_token(pid) {
                return err(
                    format!("{key}.patient_id"),
                    format!(
                        "invalid patient_id {pid:?} (1-64 letters, digits, '.', '_', '/' or '-')"
                    ),
                );
            }
            if looks_like_rrn(pid) {
                return err(
                    format!("{key}.patient_id"),
                    "looks like a resident registration number; use a pseudonymous id such as P-SMC-000001",
                );
            }
        }
        _ => {}
    }
    for (name, value) in &u.attributes {
        let akey = format!("{key}.attributes.{name}");
        if !is_identifier(name, true) {
            return err(
                akey,
                "invalid attribute name (1-64 letters, digits, '.', '_' or '-')",
            );
        }
        if name.starts_with("hf.") || RESERVED_ATTRIBUTES.contains(&name.as_str()) {
            return err(
                akey,
                "reserved attribute name (set by the generator or its own key)",
            );
        }
        if !is_printable(value, 1024) {
            return err(
                akey,
                "invalid attribute value (1-1024 printable characters)",
            );
        }
    }
    Ok(())
}

/// Letters, digits, `_`, `-` (and `.` if `dots`), 1–64 characters, starting with a letter or digit.
fn is_identifier(s: &str, dots: bool) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || (dots && c == '.'))
}

/// Licence numbers and patient ids: letters, digits, `.`, `_`, `/`, `-`, 1–64 characters.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
}

fn is_printable(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_dns_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A Korean resident registration number is 13 digits (`YYMMDD-NNNNNNN`); reject any id holding
/// 13 or more digits in a row once separators are removed.
fn looks_like_rrn(s: &str) -> bool {
    let mut run = 0usize;
    for c in s
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '.' | '_' | '/'))
    {
        if c.is_ascii_digit() {
            run += 1;
            if run >= 13 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrn_detection() {
        assert!(looks_like_rrn("900101-1234567"));
        assert!(looks_like_rrn("9001011234567"));
        assert!(looks_like_rrn("P-900101-1234567"));
        assert!(!looks_like_rrn("P-SMC-000001"));
        assert!(!looks_like_rrn("P-000000000001"));
    }

    #[test]
    fn names() {
        assert!(is_dns_name("seoulmedical.example.com"));
        assert!(!is_dns_name("Seoul.example.com"));
        assert!(!is_dns_name("a..b"));
        assert!(!is_dns_name(""));
        assert!(is_identifier("Doctor1", true));
        assert!(!is_identifier("../etc", true));
        assert!(!is_identifier("a@b", true));
        assert!(!is_identifier(".hidden", true));
    }
}
