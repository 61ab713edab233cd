//! Consent (FHIR `Consent`): a patient allows an organisation to use some categories of their
//! records for a purpose, during a period.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::commitment::{Commitment, Salt};
use crate::enums::string_enum;
use crate::record::RecordCategory;
use crate::time::{Period, Timestamp};

string_enum! {
    /// What a consent allows the grantee to do.
    pub enum ConsentPurpose {
        /// Treatment by the grantee (another hospital, a pharmacy).
        Treatment = "treatment",
        /// Sending claims to the grantee insurer, and its review of the claimed encounters.
        InsuranceClaim = "insurance_claim",
        /// Research use by the grantee.
        Research = "research",
    }
}

string_enum! {
    /// Which signed form of a consent `StoreConsentForm` stores.
    pub enum ConsentForm {
        /// The form granting the consent (`GrantConsent`).
        Grant = "grant",
        /// The form revoking it (`RevokeConsent`).
        Revocation = "revocation",
    }
}

string_enum! {
    /// A consent's status.
    pub enum ConsentStatus {
        /// In force during its period.
        Active = "active",
        /// Revoked; never in force again.
        Revoked = "revoked",
    }
}

/// A consent on the public ledger. No PHI: who (pseudonym), to whom (an organisation), what
/// for, which record categories, when, and who recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Consent {
    /// The consent's id.
    pub consent_id: String,
    /// The patient who consents.
    pub patient_id: String,
    /// MSP id of the organisation the consent is given to.
    pub grantee: String,
    /// What for.
    pub purpose: ConsentPurpose,
    /// The record categories it covers (sorted, no duplicates).
    pub scopes: Vec<RecordCategory>,
    /// When it is in force.
    pub period: Period,
    /// Active or revoked.
    pub status: ConsentStatus,
    /// The patient (signed the transaction) or the clerk who recorded a paper consent.
    pub recorded_by: Actor,
    /// Transaction time of the grant.
    pub recorded_at: Timestamp,
    /// MSP id of the hospital whose collection holds the signed consent document's hash, if
    /// one was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_org: Option<String>,
    /// Transaction time of the revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
    /// Who revoked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<Actor>,
    /// MSP id of the hospital whose collection holds the signed revocation document's hash,
    /// if one was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_document_org: Option<String>,
}

impl Consent {
    /// Whether this consent lets `grantee` use `category` records (any category when `None`)
    /// for `purpose` at `at`.
    pub fn allows(
        &self,
        grantee: &str,
        purpose: ConsentPurpose,
        category: Option<RecordCategory>,
        at: Timestamp,
    ) -> bool {
        self.status == ConsentStatus::Active
            && self.grantee == grantee
            && self.purpose == purpose
            && category.is_none_or(|c| self.scopes.contains(&c))
            && self.period.contains(at)
    }
}

/// A signed (paper or electronic) consent document, by its salted hash: sent in the transient
/// map (`consent_document`), kept in a hospital's collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentDocument {
    /// `SHA-256(salt ‖ the document's bytes)`.
    pub document_hash: Commitment,
    /// The salt.
    pub salt: Salt,
}

/// The answer of `CheckConsent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConsentCheck {
    /// Whether a consent in force allows it now (at the transaction time).
    pub granted: bool,
    /// The consent that allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Role;

    #[test]
    fn allows_checks_every_condition() {
        let t = |s| Timestamp::parse("t", s).unwrap();
        let c = Consent {
            consent_id: "C1".into(),
            patient_id: "P1".into(),
            grantee: "MyongjiHospitalMSP".into(),
            purpose: ConsentPurpose::Treatment,
            scopes: vec![RecordCategory::Diagnosis, RecordCategory::Lab],
            period: Period {
                start: t("2024-01-01T00:00:00Z"),
                end: Some(t("2025-01-01T00:00:00Z")),
            },
            status: ConsentStatus::Active,
            recorded_by: Actor {
                msp_id: "SeoulMedicalCenterMSP".into(),
                role: Role::Patient,
                id: "P1".into(),
            },
            recorded_at: t("2024-01-01T00:00:00Z"),
            document_org: None,
            revoked_at: None,
            revoked_by: None,
            revocation_document_org: None,
        };
        let now = t("2024-06-01T00:00:00Z");
        let mj = "MyongjiHospitalMSP";
        assert!(c.allows(
            mj,
            ConsentPurpose::Treatment,
            Some(RecordCategory::Lab),
            now
        ));
        assert!(c.allows(mj, ConsentPurpose::Treatment, None, now));
        assert!(!c.allows(mj, ConsentPurpose::Research, None, now));
        assert!(!c.allows("NHISMSP", ConsentPurpose::Treatment, None, now));
        assert!(!c.allows(
            mj,
            ConsentPurpose::Treatment,
            Some(RecordCategory::Imaging),
            now
        ));
        assert!(!c.allows(
            mj,
            ConsentPurpose::Treatment,
            None,
            t("2025-01-01T00:00:00Z")
        ));
        let revoked = Consent {
            status: ConsentStatus::Revoked,
            ..c
        };
        assert!(!revoked.allows(mj, ConsentPurpose::Treatment, None, now));
    }
}
