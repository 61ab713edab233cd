//! The consortium directory: which organisation is a hospital, an insurer or a pharmacy, and
//! the private data collections that follow from it.
//!
//! The chaincode needs it to decide rules ("a clerk of a hospital", "an insurer's claims
//! officer") and to name collections. It is configuration, the same on every endorser: the
//! default network's is compiled in (`config/consortium.json`); a server for another network
//! reads its own file (`MEDLEDGER_CONSORTIUM`, see `main.rs`). Every peer's chaincode server
//! must use the same file, or their endorsements differ.
//!
//! Collections (Fabric's collection JSON is generated from this, `config/collections.json`):
//! - `<Org>PHI` per hospital: demographics, record contents, consent documents;
//! - `Prescriptions`: hospitals and pharmacies;
//! - `<Provider><Insurer>Claims` per hospital–insurer pair: claim details, decisions, payments.

use std::collections::BTreeSet;

use medledger_model::OrgKind;
use serde::{Deserialize, Serialize};

/// The compiled-in directory of the default network.
pub const DEFAULT_CONSORTIUM_JSON: &str = include_str!("../config/consortium.json");

/// The prescriptions collection (hospitals and pharmacies).
pub const PRESCRIPTIONS_COLLECTION: &str = "Prescriptions";

/// A directory that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConsortiumError {
    /// Not the expected JSON.
    #[error("consortium directory: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but breaking a rule.
    #[error("consortium directory: {0}")]
    Invalid(String),
}

/// One organisation of the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgEntry {
    /// Short name, used in collection names (letters and digits).
    pub name: String,
    /// MSP id.
    pub msp_id: String,
    /// Hospital, insurer or pharmacy.
    pub kind: OrgKind,
    /// Whether the organisation may run without peers (pharmacies): it then takes no part in
    /// the chaincode endorsement policy.
    #[serde(default)]
    pub peers_optional: bool,
}

/// Block-to-live of the collections (0 = kept until purged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockToLive {
    /// `<Org>PHI`.
    pub phi: u64,
    /// `Prescriptions`.
    pub prescriptions: u64,
    /// `<Provider><Insurer>Claims`.
    pub claims: u64,
}

/// The directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consortium {
    /// The organisations.
    pub orgs: Vec<OrgEntry>,
    /// Collection retention.
    pub block_to_live: BlockToLive,
}

impl Consortium {
    /// The default network's directory (Seoul Medical Center, Myongji Hospital, NHIS,
    /// pharmacies).
    pub fn default_network() -> Result<Consortium, ConsortiumError> {
        Consortium::from_json(DEFAULT_CONSORTIUM_JSON.as_bytes())
    }

    /// Parses and checks a directory.
    pub fn from_json(json: &[u8]) -> Result<Consortium, ConsortiumError> {
        let c: Consortium = serde_json::from_slice(json)?;
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), ConsortiumError> {
        let mut names = BTreeSet::new();
        let mut msps = BTreeSet::new();
        for (i, o) in self.orgs.iter().enumerate() {
            if o.name.is_empty() || !o.name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(ConsortiumError::Invalid(format!(
                    "orgs[{i}].name: {:?} must be letters and digits (it is part of collection names)",
                    o.name
                )));
            }
            medledger_model::validate::msp_id(&format!("orgs[{i}].msp_id"), &o.msp_id)
                .map_err(|e| ConsortiumError::Invalid(e.to_string()))?;
            if !names.insert(o.name.as_str()) || !msps.insert(o.msp_id.as_str()) {
                return Err(ConsortiumError::Invalid(format!(
                    "orgs[{i}]: name {:?} or MSP id {:?} appears twice",
                    o.name, o.msp_id
                )));
            }
        }
        if !self.orgs.iter().any(|o| o.kind == OrgKind::Hospital) {
            return Err(ConsortiumError::Invalid("orgs: no hospital".into()));
        }
        if !self.orgs.iter().any(|o| !o.peers_optional) {
            return Err(ConsortiumError::Invalid(
                "orgs: every organisation has optional peers; nobody could endorse".into(),
            ));
        }
        Ok(())
    }

    /// The entry of an MSP id.
    pub fn org(&self, msp_id: &str) -> Option<&OrgEntry> {
        self.orgs.iter().find(|o| o.msp_id == msp_id)
    }

    /// The kind of an MSP id's organisation.
    pub fn kind_of(&self, msp_id: &str) -> Option<OrgKind> {
        self.org(msp_id).map(|o| o.kind)
    }

    /// The organisations of a kind.
    pub fn of_kind(&self, kind: OrgKind) -> impl Iterator<Item = &OrgEntry> {
        self.orgs.iter().filter(move |o| o.kind == kind)
    }

    /// The PHI collection of a hospital.
    pub fn phi_collection(&self, msp_id: &str) -> Option<String> {
        self.org(msp_id)
            .filter(|o| o.kind == OrgKind::Hospital)
            .map(|o| format!("{}PHI", o.name))
    }

    /// The claims collection of a hospital–insurer pair.
    pub fn claims_collection(&self, provider: &str, insurer: &str) -> Option<String> {
        let p = self.org(provider).filter(|o| o.kind == OrgKind::Hospital)?;
        let i = self.org(insurer).filter(|o| o.kind == OrgKind::Insurer)?;
        Some(format!("{}{}Claims", p.name, i.name))
    }

    /// Every collection a hospital writes (and so purges on erasure): its PHI collection, the
    /// prescriptions collection, and its claims collections with every insurer.
    pub fn collections_written_by(&self, hospital: &str) -> Vec<String> {
        let mut out: Vec<String> = self.phi_collection(hospital).into_iter().collect();
        out.push(PRESCRIPTIONS_COLLECTION.to_owned());
        out.extend(
            self.of_kind(OrgKind::Insurer)
                .filter_map(|i| self.claims_collection(hospital, &i.msp_id)),
        );
        out
    }

    /// The chaincode endorsement policy: a majority of the organisations that run peers
    /// (pharmacies, whose peers are optional, take no part).
    pub fn endorsement_policy(&self) -> String {
        let voters: Vec<String> = self
            .orgs
            .iter()
            .filter(|o| !o.peers_optional)
            .map(|o| format!("'{}.peer'", o.msp_id))
            .collect();
        format!("OutOf({}, {})", voters.len() / 2 + 1, voters.join(", "))
    }

    /// Fabric's collections JSON (`--collections-config`) for this consortium, pretty-printed,
    /// with a final newline.
    pub fn collections_json(&self) -> String {
        let members = |msps: &[&str], role: &str| -> String {
            msps.iter()
                .map(|m| format!("'{m}.{role}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let collection = |name: String, msps: &[&str], endorse: String, btl: u64| CollectionJson {
            name,
            policy: format!("OR({})", members(msps, "member")),
            required_peer_count: 0,
            max_peer_count: 3,
            block_to_live: btl,
            member_only_read: true,
            member_only_write: true,
            endorsement_policy: EndorsementJson {
                signature_policy: endorse,
            },
        };
        let mut out = Vec::new();
        for h in self.of_kind(OrgKind::Hospital) {
            out.push(collection(
                format!("{}PHI", h.name),
                &[&h.msp_id],
                format!("OR({})", members(&[&h.msp_id], "peer")),
                self.block_to_live.phi,
            ));
        }
        let rx: Vec<&str> = self
            .orgs
            .iter()
            .filter(|o| matches!(o.kind, OrgKind::Hospital | OrgKind::Pharmacy))
            .map(|o| o.msp_id.as_str())
            .collect();
        out.push(collection(
            PRESCRIPTIONS_COLLECTION.to_owned(),
            &rx,
            format!("OR({})", members(&rx, "peer")),
            self.block_to_live.prescriptions,
        ));
        for h in self.of_kind(OrgKind::Hospital) {
            for i in self.of_kind(OrgKind::Insurer) {
                let pair = [h.msp_id.as_str(), i.msp_id.as_str()];
                out.push(collection(
                    format!("{}{}Claims", h.name, i.name),
                    &pair,
                    format!("AND({})", members(&pair, "peer")),
                    self.block_to_live.claims,
                ));
            }
        }
        // Serializing plain structs of strings and integers cannot fail.
        let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CollectionJson {
    name: String,
    policy: String,
    required_peer_count: u32,
    max_peer_count: u32,
    block_to_live: u64,
    member_only_read: bool,
    member_only_write: bool,
    endorsement_policy: EndorsementJson,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EndorsementJson {
    signature_policy: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_network_names() -> Result<(), ConsortiumError> {
        let c = Consortium::default_network()?;
        assert_eq!(
            c.phi_collection("SeoulMedicalCenterMSP").as_deref(),
            Some("SeoulMedicalCenterPHI")
        );
        assert_eq!(c.phi_collection("NHISMSP"), None);
        assert_eq!(
            c.claims_collection("MyongjiHospitalMSP", "NHISMSP")
                .as_deref(),
            Some("MyongjiHospitalNHISClaims")
        );
        assert_eq!(c.claims_collection("NHISMSP", "MyongjiHospitalMSP"), None);
        assert_eq!(
            c.collections_written_by("SeoulMedicalCenterMSP"),
            [
                "SeoulMedicalCenterPHI",
                "Prescriptions",
                "SeoulMedicalCenterNHISClaims"
            ]
        );
        assert_eq!(
            c.endorsement_policy(),
            "OutOf(2, 'SeoulMedicalCenterMSP.peer', 'MyongjiHospitalMSP.peer', 'NHISMSP.peer')"
        );
        Ok(())
    }

    #[test]
    fn bad_directories_are_refused() {
        for (json, why) in [
            (
                r#"{"orgs":[],"block_to_live":{"phi":0,"prescriptions":0,"claims":0}}"#,
                "no hospital",
            ),
            (
                r#"{"orgs":[{"name":"A B","msp_id":"AMSP","kind":"hospital"}],"block_to_live":{"phi":0,"prescriptions":0,"claims":0}}"#,
                "letters and digits",
            ),
            (
                r#"{"orgs":[{"name":"A","msp_id":"AMSP","kind":"hospital"},{"name":"A","msp_id":"BMSP","kind":"insurer"}],"block_to_live":{"phi":0,"prescriptions":0,"claims":0}}"#,
                "twice",
            ),
        ] {
            let e = Consortium::from_json(json.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{e}");
        }
    }
}
