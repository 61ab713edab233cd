//! Patients (FHIR `Patient`): a public pseudonym with a status, and demographics kept private.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::commitment::{Commitment, Salt};
use crate::enums::string_enum;
use crate::error::ValidationError;
use crate::time::{Date, Timestamp};
use crate::validate;

string_enum! {
    /// A patient's status on the ledger.
    pub enum PatientStatus {
        /// Registered; every function may refer to the patient.
        Active = "active",
        /// Erased (PIPA right to deletion): private data purged, nothing new accepted.
        Erased = "erased",
    }
}

string_enum! {
    /// FHIR `AdministrativeGender`.
    pub enum AdministrativeGender {
        /// Male.
        Male = "male",
        /// Female.
        Female = "female",
        /// Other.
        Other = "other",
        /// Unknown.
        Unknown = "unknown",
    }
}

/// The public face of a patient. Holds no PHI: the id is a pseudonym issued by the home
/// hospital (never a resident registration number), the demographics only as a salted hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Patient {
    /// Pseudonymous id, issued by the home hospital.
    pub patient_id: String,
    /// MSP id of the home hospital (holds the demographics).
    pub home_org: String,
    /// Active or erased.
    pub status: PatientStatus,
    /// `SHA-256(salt ‖ canonical JSON of the demographics)`; meaningless once erased.
    pub demographics_hash: Commitment,
    /// Transaction time of the registration.
    pub registered_at: Timestamp,
    /// Who registered the patient.
    pub registered_by: Actor,
    /// Transaction time of the erasure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<Timestamp>,
}

/// FHIR `HumanName`: family name and given names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HumanName {
    /// Family name (성).
    pub family: String,
    /// Given names (이름).
    pub given: Vec<String>,
}

/// FHIR `Address` (the parts used in Korea).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street lines (도로명 주소).
    pub line: Vec<String>,
    /// City or province (시/도).
    pub city: String,
    /// Five-digit postal code (우편번호).
    pub postal_code: String,
}

/// The demographics of a patient: PHI. Sent only in the transient map (`patient`), stored only
/// in the home hospital's collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientDemographics {
    /// Name.
    pub name: HumanName,
    /// Date of birth.
    pub birth_date: Date,
    /// Administrative gender.
    pub gender: AdministrativeGender,
    /// Phone number (digits, `-`, `+`, spaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telecom: Option<String>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

impl PatientDemographics {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate::text("name.family", &self.name.family, 50)?;
        if self.name.given.is_empty() || self.name.given.len() > 5 {
            return Err(ValidationError::new(
                "name.given",
                "expected 1 to 5 given names",
            ));
        }
        for (i, g) in self.name.given.iter().enumerate() {
            validate::text(&format!("name.given[{i}]"), g, 50)?;
        }
        if let Some(t) = &self.telecom {
            let digits = t.chars().filter(char::is_ascii_digit).count();
            let chars_ok = t
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '));
            if !chars_ok || !(7..=15).contains(&digits) {
                return Err(ValidationError::new(
                    "telecom",
                    "expected a phone number of 7-15 digits (digits, '-', '+', spaces)",
                ));
            }
        }
        if let Some(a) = &self.address {
            if a.line.is_empty() || a.line.len() > 4 {
                return Err(ValidationError::new(
                    "address.line",
                    "expected 1 to 4 lines",
                ));
            }
            for (i, l) in a.line.iter().enumerate() {
                validate::text(&format!("address.line[{i}]"), l, 200)?;
            }
            validate::text("address.city", &a.city, 50)?;
            if a.postal_code.len() != 5 || !a.postal_code.bytes().all(|c| c.is_ascii_digit()) {
                return Err(ValidationError::new(
                    "address.postal_code",
                    "expected five digits",
                ));
            }
        }
        Ok(())
    }
}

/// What the home hospital's collection keeps for a patient: the demographics and the salt of
/// their public hash. Purged on erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PatientPrivate {
    /// The demographics.
    pub demographics: PatientDemographics,
    /// The salt of `Patient::demographics_hash`.
    pub salt: Salt,
}

/// What `GetPatient` returns: the public record, and the demographics when the caller may see
/// them (the patient, or staff of the home hospital reading on its own peer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PatientView {
    /// The public record.
    pub patient: Patient,
    /// The demographics, if the caller may read them and they still exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demographics: Option<PatientDemographics>,
}

/// The public receipt of an erasure: what was purged, where, when and by whom. Keys and
/// counts only; nothing about the patient beyond the pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErasureReceipt {
    /// The erased patient.
    pub patient_id: String,
    /// The home hospital that erased.
    pub org: String,
    /// Transaction time of the erasure.
    pub erased_at: Timestamp,
    /// Who erased.
    pub erased_by: Actor,
    /// The erasing transaction.
    pub txid: String,
    /// Collection → number of private keys purged there.
    pub purged: BTreeMap<String, u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demographics() -> PatientDemographics {
        serde_json::from_str(
            r#"{"name":{"family":"홍","given":["길동"]},"birth_date":"1984-03-15","gender":"male",
                "telecom":"010-1234-5678","address":{"line":["세종대로 110"],"city":"서울","postal_code":"04524"}}"#,
        )
        .unwrap()
    }

    #[test]
    fn valid_demographics() {
        assert!(demographics().validate().is_ok());
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut d = demographics();
        d.name.given.clear();
        assert_eq!(d.validate().unwrap_err().field, "name.given");
        let mut d = demographics();
        d.telecom = Some("call me".into());
        assert_eq!(d.validate().unwrap_err().field, "telecom");
        let mut d = demographics();
        if let Some(a) = d.address.as_mut() {
            a.postal_code = "1234".into();
        }
        assert_eq!(d.validate().unwrap_err().field, "address.postal_code");
        let mut d = demographics();
        d.name.given = vec!["길동".into(), "".into()];
        assert_eq!(d.validate().unwrap_err().field, "name.given[1]");
    }

    #[test]
    fn unknown_fields_and_bad_dates_are_refused() {
        let e = serde_json::from_str::<PatientDemographics>(
            r#"{"name":{"family":"홍","given":["길동"]},"birth_date":"1984-03-15","gender":"male","rrn":"840315-1234567"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `rrn`"), "{e}");
        assert!(
            serde_json::from_str::<PatientDemographics>(
                r#"{"name":{"family":"홍","given":["길동"]},"birth_date":"1984-02-30","gender":"male"}"#,
            )
            .is_err()
        );
    }
}
