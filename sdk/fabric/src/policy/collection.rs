//! Private data collections: Fabric's collections JSON (the `--collections-config` file of
//! `peer lifecycle chaincode approveformyorg/commit`) → `protos.CollectionConfigPackage`, the
//! member orgs of a collection, and implicit per-org collections.
//!
//! JSON form: an array of objects with `name` and `policy` (required), `requiredPeerCount`
//! (default 0), `maxPeerCount` (default 1), `blockToLive` (default 0 = never purge),
//! `memberOnlyRead`, `memberOnlyWrite` (default false) and `endorsementPolicy`
//! (`{"signaturePolicy": "..."}` or `{"channelConfigPolicy": "..."}`, not both; absent = the
//! chaincode's policy applies). Unknown keys are ignored, as Fabric's JSON decoder does.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::dsl;
use crate::protos::common::SignaturePolicyEnvelope;
use crate::protos::common::msp_principal::Classification;
use crate::protos::common::{MspPrincipal, MspRole};
use crate::protos::protos::application_policy::Type as AppType;
use crate::protos::protos::collection_config::Payload;
use crate::protos::protos::collection_policy_config::Payload as PolicyPayload;
use crate::protos::protos::{
    ApplicationPolicy, CollectionConfig, CollectionConfigPackage, CollectionPolicyConfig,
    StaticCollectionConfig,
};
use crate::{Error, Result};

/// Prefix of implicit per-org collection names.
pub const IMPLICIT_COLLECTION_PREFIX: &str = "_implicit_org_";

/// The implicit private data collection of an org: `_implicit_org_<MSPID>`.
pub fn implicit_org_collection_name(msp_id: &str) -> String {
    format!("{IMPLICIT_COLLECTION_PREFIX}{msp_id}")
}

/// The MSP ID of an implicit collection name, if `name` is one.
pub fn implicit_org_msp_id(name: &str) -> Option<&str> {
    name.strip_prefix(IMPLICIT_COLLECTION_PREFIX)
        .filter(|m| !m.is_empty())
}

/// Parses a collections JSON document into the package Fabric puts in a chaincode definition.
///
/// Errors are [`Error::Policy`] naming the collection index and key, e.g.
/// `collection[1].policy: policy syntax error at position 3: …`.
pub fn parse_collections_json(json: &[u8]) -> Result<CollectionConfigPackage> {
    let value: Value = serde_json::from_slice(json)
        .map_err(|e| Error::Policy(format!("collections config is not valid JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(Error::Policy(format!(
            "collections config: expected a JSON array, found {}",
            kind(&value)
        )));
    };
    let mut names = HashSet::new();
    let mut config = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(obj) = item else {
            return Err(Error::Policy(format!(
                "collection[{i}]: expected a JSON object, found {}",
                kind(item)
            )));
        };
        let c = parse_one(i, obj)?;
        if !names.insert(c.name.clone()) {
            return Err(Error::Policy(format!(
                "collection[{i}].name: duplicate collection name {:?}",
                c.name
            )));
        }
        config.push(CollectionConfig {
            payload: Some(Payload::StaticCollectionConfig(c)),
        });
    }
    Ok(CollectionConfigPackage { config })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn field_err(i: usize, key: &str, msg: impl std::fmt::Display) -> Error {
    Error::Policy(format!("collection[{i}].{key}: {msg}"))
}

/// A present, non-null value of `key`.
fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn get_str<'a>(i: usize, obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(field_err(
            i,
            key,
            format!("expected a string, found {}", kind(v)),
        )),
    }
}

fn get_bool(i: usize, obj: &Map<String, Value>, key: &str) -> Result<bool> {
    match get(obj, key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(field_err(
            i,
            key,
            format!("expected a boolean, found {}", kind(v)),
        )),
    }
}

fn get_i32(i: usize, obj: &Map<String, Value>, key: &str, default: i32) -> Result<i32> {
    match get(obj, key) {
        None => Ok(default),
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| field_err(i, key, format!("expected a 32-bit integer, found {v}"))),
    }
}

fn get_u64(i: usize, obj: &Map<String, Value>, key: &str) -> Result<u64> {
    match get(obj, key) {
        None => Ok(0),
        Some(v) => v.as_u64().ok_or_else(|| {
            field_err(
                i,
                key,
                format!("expected a non-negative integer, found {v}"),
            )
        }),
    }
}

fn parse_policy(i: usize, key: &str, s: &str) -> Result<SignaturePolicyEnvelope> {
    dsl::parse(s).map_err(|e| field_err(i, key, e))
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn parse_one(i: usize, obj: &Map<String, Value>) -> Result<StaticCollectionConfig> {
    let name = get_str(i, obj, "name")?.unwrap_or_default();
    if !valid_name(name) {
        return Err(field_err(
            i,
            "name",
            format!(
                "invalid collection name {name:?} (letters, digits, `-` and `_`, not starting with `_`)"
            ),
        ));
    }
    let policy = get_str(i, obj, "policy")?
        .filter(|p| !p.is_empty())
        .ok_or_else(|| field_err(i, "policy", "a collection member policy is required"))?;
    let member_policy = parse_policy(i, "policy", policy)?;
    let required_peer_count = get_i32(i, obj, "requiredPeerCount", 0)?;
    let maximum_peer_count = get_i32(i, obj, "maxPeerCount", 1)?;
    if required_peer_count < 0 {
        return Err(field_err(
            i,
            "requiredPeerCount",
            format!("must not be negative, found {required_peer_count}"),
        ));
    }
    if maximum_peer_count < required_peer_count {
        return Err(field_err(
            i,
            "maxPeerCount",
            format!("{maximum_peer_count} is less than requiredPeerCount {required_peer_count}"),
        ));
    }
    let endorsement_policy = match get(obj, "endorsementPolicy") {
        None => None,
        Some(Value::Object(ep)) => {
            let key = "endorsementPolicy";
            let sig = get_str(i, ep, "signaturePolicy")
                .map_err(|_| {
                    field_err(i, "endorsementPolicy.signaturePolicy", "expected a string")
                })?
                .filter(|s| !s.is_empty());
            let chan = get_str(i, ep, "channelConfigPolicy")
                .map_err(|_| {
                    field_err(
                        i,
                        "endorsementPolicy.channelConfigPolicy",
                        "expected a string",
                    )
                })?
                .filter(|s| !s.is_empty());
            match (sig, chan) {
                (Some(_), Some(_)) => {
                    return Err(field_err(
                        i,
                        key,
                        "cannot specify both signaturePolicy and channelConfigPolicy",
                    ));
                }
                (Some(s), None) => Some(ApplicationPolicy {
                    r#type: Some(AppType::SignaturePolicy(parse_policy(
                        i,
                        "endorsementPolicy.signaturePolicy",
                        s,
                    )?)),
                }),
                (None, Some(c)) => Some(ApplicationPolicy {
                    r#type: Some(AppType::ChannelConfigPolicyReference(c.to_string())),
                }),
                (None, None) => None,
            }
        }
        Some(v) => {
            return Err(field_err(
                i,
                "endorsementPolicy",
                format!("expected an object, found {}", kind(v)),
            ));
        }
    };
    Ok(StaticCollectionConfig {
        name: name.to_string(),
        member_orgs_policy: Some(CollectionPolicyConfig {
            payload: Some(PolicyPayload::SignaturePolicy(member_policy)),
        }),
        required_peer_count,
        maximum_peer_count,
        block_to_live: get_u64(i, obj, "blockToLive")?,
        member_only_read: get_bool(i, obj, "memberOnlyRead")?,
        member_only_write: get_bool(i, obj, "memberOnlyWrite")?,
        endorsement_policy,
    })
}

/// The MSP IDs named by the ROLE principals of a signature policy (sorted, deduplicated).
/// Other principal kinds and undecodable principals are skipped.
pub fn signature_policy_member_orgs(envelope: &SignaturePolicyEnvelope) -> Vec<String> {
    let mut orgs = BTreeSet::new();
    for p in &envelope.identities {
        collect_orgs(p, &mut orgs);
    }
    orgs.into_iter().collect()
}

fn collect_orgs(p: &MspPrincipal, orgs: &mut BTreeSet<String>) {
    if p.principal_classification == Classification::Role as i32
        && let Ok(role) = <MspRole as prost::Message>::decode(p.principal.as_ref())
    {
        orgs.insert(role.msp_identifier);
    }
}

/// The member orgs of a collection: the MSP IDs of its member orgs policy (sorted).
pub fn collection_member_orgs(collection: &StaticCollectionConfig) -> Vec<String> {
    match collection
        .member_orgs_policy
        .as_ref()
        .and_then(|p| p.payload.as_ref())
    {
        Some(PolicyPayload::SignaturePolicy(env)) => signature_policy_member_orgs(env),
        None => Vec::new(),
    }
}

/// Finds a collection of the package by name.
pub fn find_collection<'a>(
    package: &'a CollectionConfigPackage,
    name: &str,
) -> Option<&'a StaticCollectionConfig> {
    package.config.iter().find_map(|c| match &c.payload {
        Some(Payload::StaticCollectionConfig(s)) if s.name == name => Some(s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> String {
        parse_collections_json(json.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults() {
        let p = parse_collections_json(br#"[{"name":"c1","policy":"OR('A.member')"}]"#).unwrap();
        let c = find_collection(&p, "c1").unwrap();
        assert_eq!(c.required_peer_count, 0);
        assert_eq!(c.maximum_peer_count, 1);
        assert_eq!(c.block_to_live, 0);
        assert!(!c.member_only_read && !c.member_only_write);
        assert!(c.endorsement_policy.is_none());
        assert_eq!(collection_member_orgs(c), ["A"]);
    }

    #[test]
    fn errors_name_index_and_key() {
        let e = err(
            r#"[{"name":"a","policy":"OR('A.member')"},{"name":"b","policy":"OR('A.member'"}]"#,
        );
        assert!(
            e.starts_with("policy: collection[1].policy: policy syntax error at position 13"),
            "{e}"
        );
        let e = err(
            r#"[{"name":"a","policy":"OR('A.member')","endorsementPolicy":{"signaturePolicy":"OR('A.member')","channelConfigPolicy":"/C/E"}}]"#,
        );
        assert!(
            e.contains("collection[0].endorsementPolicy: cannot specify both"),
            "{e}"
        );
        let e = err(r#"[{"name":"a","policy":"OR('A.member')","maxPeerCount":"2"}]"#);
        assert!(e.contains("collection[0].maxPeerCount"), "{e}");
        let e = err(
            r#"[{"name":"a","policy":"OR('A.member')","requiredPeerCount":2,"maxPeerCount":1}]"#,
        );
        assert!(e.contains("collection[0].maxPeerCount"), "{e}");
        let e = err(
            r#"[{"name":"a","policy":"OR('A.member')"},{"name":"a","policy":"OR('A.member')"}]"#,
        );
        assert!(e.contains("collection[1].name: duplicate"), "{e}");
        let e = err(r#"[{"policy":"OR('A.member')"}]"#);
        assert!(e.contains("collection[0].name"), "{e}");
        let e = err(r#"[{"name":"a"}]"#);
        assert!(e.contains("collection[0].policy"), "{e}");
        let e = err(r#"{"name":"a"}"#);
        assert!(e.contains("expected a JSON array"), "{e}");
    }

    #[test]
    fn implicit_names() {
        assert_eq!(
            implicit_org_collection_name("Org1MSP"),
            "_implicit_org_Org1MSP"
        );
        assert_eq!(
            implicit_org_msp_id("_implicit_org_Org1MSP"),
            Some("Org1MSP")
        );
        assert_eq!(implicit_org_msp_id("assetCollection"), None);
    }
}
