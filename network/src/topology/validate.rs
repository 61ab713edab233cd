//! Validation of a parsed topology. Errors are `(key path, message)`.

use super::{ChaincodeDef, KeyType, Location, Node, Role, Topology, User, UserType};
use fabric_protos::protos::collection_config::Payload;
use fabric_sdk::policy::collection::{
    collection_member_orgs, parse_collections_json, signature_policy_member_orgs,
};
use fabric_sdk::policy::{dsl, parse_implicit_meta};
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
    devnet_sections(t)
}

/// `[channel]`, `[[chaincodes]]`, `[block_cutting]` and `[devnet]`.
fn devnet_sections(t: &Topology) -> VResult {
    let c = &t.channel;
    let name_ok = c.name.len() < 250
        && c.name.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '.' || ch == '-');
    if !name_ok {
        return err(
            "channel.name",
            format!(
                "invalid channel name {:?} (lower-case letters, digits, '.' and '-', starting with a letter)",
                c.name
            ),
        );
    }
    let caps = &c.capabilities;
    for (key, value, allowed) in [
        ("channel", &caps.channel, &["V2_0", "V3_0"][..]),
        ("orderer", &caps.orderer, &["V2_0"][..]),
        ("application", &caps.application, &["V2_0", "V2_5"][..]),
    ] {
        if !allowed.contains(&value.as_str()) {
            return err(
                format!("channel.capabilities.{key}"),
                format!(
                    "unsupported capability {value:?} (expected one of {})",
                    allowed.join(", ")
                ),
            );
        }
    }
    if t.key_algorithm == KeyType::Ed25519 && caps.channel != "V3_0" {
        return err(
            "channel.capabilities.channel",
            "Ed25519 keys need the channel capability V3_0",
        );
    }
    let p = &c.policies;
    for (key, value) in [
        ("readers", &p.readers),
        ("writers", &p.writers),
        ("admins", &p.admins),
        ("endorsement", &p.endorsement),
        ("lifecycle_endorsement", &p.lifecycle_endorsement),
    ] {
        let key = format!("channel.policies.{key}");
        let meta = parse_implicit_meta(value).map_err(|e| (key.clone(), e.to_string()))?;
        if !ORG_POLICIES.contains(&meta.sub_policy.as_str()) {
            return err(
                key,
                format!(
                    "unknown sub-policy {:?} (expected one of {})",
                    meta.sub_policy,
                    ORG_POLICIES.join(", ")
                ),
            );
        }
    }

    let app_msps: HashSet<&str> = t.orgs.iter().map(|o| o.msp_id.as_str()).collect();
    let mut names = HashSet::new();
    for (i, cc) in t.chaincodes.iter().enumerate() {
        chaincode(&format!("chaincodes[{i}]"), cc, &app_msps)?;
        if !names.insert(cc.name.as_str()) {
            return err(
                format!("chaincodes[{i}].name"),
                format!("duplicate chaincode {:?}", cc.name),
            );
        }
    }

    let b = &t.block_cutting;
    if b.max_message_count == 0 {
        return err("block_cutting.max_message_count", "must be at least 1");
    }
    if b.batch_timeout().is_none_or(|d| d.is_zero()) {
        return err(
            "block_cutting.batch_timeout",
            format!(
                "invalid duration {:?} (a positive Go duration such as 2s or 500ms)",
                b.batch_timeout
            ),
        );
    }
    if b.absolute_max_bytes == 0 {
        return err("block_cutting.absolute_max_bytes", "must be at least 1");
    }
    if b.preferred_max_bytes == 0 || b.preferred_max_bytes > b.absolute_max_bytes {
        return err(
            "block_cutting.preferred_max_bytes",
            "must be between 1 and absolute_max_bytes",
        );
    }

    let d = &t.devnet;
    if d.data_dir.as_os_str().is_empty() {
        return err("devnet.data_dir", "must not be empty");
    }
    if d.listen_host.parse::<IpAddr>().is_err() && !is_dns_name(&d.listen_host) {
        return err(
            "devnet.listen_host",
            format!(
                "invalid host {:?} (an IP address or a DNS name)",
                d.listen_host
            ),
        );
    }
    let peers: usize = t.orgs.iter().map(|o| o.peers.len()).sum();
    if d.port_base != 0 && usize::from(d.port_base) + peers > usize::from(u16::MAX) {
        return err(
            "devnet.port_base",
            format!("too high for {peers} peers after the orderer"),
        );
    }
    if d.mutual_tls && !d.tls {
        return err("devnet.mutual_tls", "mutual TLS needs tls = true");
    }
    Ok(())
}

/// The policies every organisation has, which channel ImplicitMeta policies may name.
const ORG_POLICIES: [&str; 4] = ["Readers", "Writers", "Admins", "Endorsement"];

fn chaincode(base: &str, cc: &ChaincodeDef, app_msps: &HashSet<&str>) -> VResult {
    let name_ok = !cc.name.is_empty()
        && cc
            .name
            .split(['-', '_'])
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if !name_ok {
        return err(
            format!("{base}.name"),
            format!(
                "invalid chaincode name {:?} (letters and digits, joined by single '-' or '_')",
                cc.name
            ),
        );
    }
    if cc.version.is_empty()
        || !cc
            .version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'))
    {
        return err(
            format!("{base}.version"),
            format!(
                "invalid version {:?} (letters, digits, '_', '.', '+', '-')",
                cc.version
            ),
        );
    }
    if cc.sequence == 0 {
        return err(format!("{base}.sequence"), "must be at least 1");
    }
    let label_ok = |l: &str| {
        l.starts_with(|c: char| c.is_ascii_alphanumeric())
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'))
    };
    match (&cc.label, &cc.package_id) {
        (Some(_), Some(_)) => {
            return err(
                format!("{base}.package_id"),
                "set either label or package_id, not both",
            );
        }
        (Some(l), None) if !label_ok(l) => {
            return err(
                format!("{base}.label"),
                format!(
                    "invalid package label {l:?} (letters, digits, '_', '.', '+', '-', starting with a letter or digit)"
                ),
            );
        }
        (None, Some(id)) => {
            let ok = id.split_once(':').is_some_and(|(l, h)| {
                label_ok(l)
                    && h.len() == 64
                    && h.chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            });
            if !ok {
                return err(
                    format!("{base}.package_id"),
                    format!("invalid package id {id:?} (<label>:<64 lower-case hex digits>)"),
                );
            }
        }
        _ => {}
    }
    match (&cc.address, &cc.command) {
        (Some(_), Some(_)) | (None, None) => {
            return err(
                format!("{base}.address"),
                "set exactly one of address (a CCaaS server to dial) or command (a binary to start)",
            );
        }
        (Some(a), None) => {
            let ok = a
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p != 0));
            if !ok {
                return err(
                    format!("{base}.address"),
                    format!("invalid address {a:?} (host:port)"),
                );
            }
        }
        (None, Some(cmd)) => {
            if cmd.first().is_none_or(|c| c.trim().is_empty()) {
                return err(format!("{base}.command"), "the program is missing");
            }
        }
    }
    if cc.tls.required && cc.tls.root_cert.is_none() {
        return err(
            format!("{base}.tls.root_cert"),
            "TLS to the chaincode needs the CA certificate of its server",
        );
    }
    if cc.tls.client_auth && !cc.tls.required {
        return err(
            format!("{base}.tls.client_auth"),
            "client_auth needs required = true",
        );
    }
    let known_orgs = |key: String, orgs: Vec<String>| -> VResult {
        match orgs.iter().find(|m| !app_msps.contains(m.as_str())) {
            Some(m) => err(
                key,
                format!("MSP {m:?} is not an organisation of the channel"),
            ),
            None => Ok(()),
        }
    };
    if let Some(policy) = &cc.endorsement_policy {
        let key = format!("{base}.endorsement_policy");
        let envelope = dsl::parse(policy).map_err(|e| (key.clone(), e.to_string()))?;
        known_orgs(key, signature_policy_member_orgs(&envelope))?;
    }
    match (&cc.collections, &cc.collections_file) {
        (Some(_), Some(_)) => {
            return err(
                format!("{base}.collections_file"),
                "set either collections or collections_file, not both",
            );
        }
        (Some(json), None) => {
            let key = format!("{base}.collections");
            let package = parse_collections_json(json.as_bytes())
                .map_err(|e| (key.clone(), e.to_string()))?;
            for c in &package.config {
                if let Some(Payload::StaticCollectionConfig(s)) = &c.payload {
                    known_orgs(key.clone(), collection_member_orgs(s))?;
                }
            }
        }
        (None, Some(path)) if path.as_os_str().is_empty() => {
            return err(format!("{base}.collections_file"), "must not be empty");
        }
        _ => {}
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
