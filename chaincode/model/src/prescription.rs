//! Electronic prescriptions (FHIR `MedicationRequest` / `MedicationDispense`): issued by a
//! doctor, dispensed once by a pharmacist before expiry, then delivered — or cancelled.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::commitment::{Commitment, Salt};
use crate::enums::string_enum;
use crate::error::ValidationError;
use crate::time::Timestamp;
use crate::validate;

/// Days a prescription stays valid unless the doctor says otherwise (처방전 사용기간: 3 days).
pub const DEFAULT_VALIDITY_DAYS: u32 = 3;
/// The longest validity a doctor may give.
pub const MAX_VALIDITY_DAYS: u32 = 90;

string_enum! {
    /// A prescription's status.
    pub enum PrescriptionStatus {
        /// Issued, not yet dispensed.
        Issued = "issued",
        /// Dispensed by a pharmacy.
        Dispensed = "dispensed",
        /// Delivered to the patient.
        Delivered = "delivered",
        /// Cancelled by the prescriber before dispensing.
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// Route of administration.
    pub enum Route {
        /// By mouth.
        Oral = "oral",
        /// Under the tongue.
        Sublingual = "sublingual",
        /// On the skin.
        Topical = "topical",
        /// Through the skin (patch).
        Transdermal = "transdermal",
        /// Injection.
        Injection = "injection",
        /// Inhaled.
        Inhalation = "inhalation",
        /// Eye.
        Ophthalmic = "ophthalmic",
        /// Ear.
        Otic = "otic",
        /// Nose.
        Nasal = "nasal",
        /// Rectal.
        Rectal = "rectal",
    }
}

/// One prescribed medication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Medication {
    /// 9-digit EDI drug code.
    pub code: String,
    /// Product name.
    pub name: String,
    /// Dose per administration, as written (`500 mg`, `1 tablet`, `0.5 ml`: text, no floats).
    pub dose: String,
    /// Administrations per day (1-24).
    pub frequency: u32,
    /// Days of treatment (1-180).
    pub days: u32,
    /// Route.
    pub route: Route,
}

impl Medication {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate::drug_code("code", &self.code)?;
        validate::text("name", &self.name, 100)?;
        validate::text("dose", &self.dose, 32)?;
        if !(1..=24).contains(&self.frequency) {
            return Err(ValidationError::new(
                "frequency",
                format!("expected 1 to 24 times a day, got {}", self.frequency),
            ));
        }
        if !(1..=180).contains(&self.days) {
            return Err(ValidationError::new(
                "days",
                format!("expected 1 to 180 days, got {}", self.days),
            ));
        }
        Ok(())
    }
}

/// What the doctor sends in the transient map (`prescription`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PrescriptionInput {
    /// The medications (1-20).
    pub medications: Vec<Medication>,
    /// Instructions for the pharmacist and the patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl PrescriptionInput {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.medications.is_empty() || self.medications.len() > 20 {
            return Err(ValidationError::new(
                "medications",
                "expected 1 to 20 medications",
            ));
        }
        for (i, m) in self.medications.iter().enumerate() {
            m.validate()
                .map_err(|e| e.within(&format!("[{i}]")).within("medications"))?;
        }
        if let Some(n) = &self.notes {
            validate::text("notes", n, 1000)?;
        }
        Ok(())
    }
}

/// The private content of a prescription: what the doctor sent plus the prescriber's licence
/// (from the certificate). Its canonical JSON, salted, is the public `content_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PrescriptionContent {
    /// The medications.
    pub medications: Vec<Medication>,
    /// Instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The prescriber's licence number (certificate attribute `license_no`).
    pub prescriber_license: String,
}

/// What the prescriptions collection keeps: the content and the salt of its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PrescriptionPrivate {
    /// The content.
    pub content: PrescriptionContent,
    /// The salt of `MedicationRequest::content_hash`.
    pub salt: Salt,
}

/// A dispense (FHIR `MedicationDispense`), public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MedicationDispense {
    /// MSP id of the pharmacy organisation.
    pub pharmacy_org: String,
    /// The pharmacist.
    pub pharmacist: Actor,
    /// Transaction time.
    pub dispensed_at: Timestamp,
}

/// A prescription on the public ledger. No PHI: the medications are only in the collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MedicationRequest {
    /// The prescription's id.
    pub prescription_id: String,
    /// The patient.
    pub patient_id: String,
    /// MSP id of the prescribing hospital.
    pub prescriber_org: String,
    /// The prescribing doctor.
    pub prescriber: Actor,
    /// Its status.
    pub status: PrescriptionStatus,
    /// Transaction time of the issue.
    pub issued_at: Timestamp,
    /// The first instant it can no longer be dispensed.
    pub expires_at: Timestamp,
    /// `SHA-256(salt ‖ canonical JSON of the content)`.
    pub content_hash: Commitment,
    /// The dispense, once dispensed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispense: Option<MedicationDispense>,
    /// Transaction time of the delivery confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
    /// Transaction time of the cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Timestamp>,
}

/// What `GetPrescription` returns: the public record, and the content when readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PrescriptionView {
    /// The public record.
    pub prescription: MedicationRequest,
    /// The content, for members of the prescriptions collection (hospitals, pharmacies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<PrescriptionContent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PrescriptionInput {
        serde_json::from_str(
            r#"{"medications":[{"code":"645301220","name":"타이레놀정500mg","dose":"1 tablet",
                "frequency":3,"days":3,"route":"oral"}],"notes":"식후 30분"}"#,
        )
        .unwrap()
    }

    #[test]
    fn valid_input() {
        assert!(input().validate().is_ok());
    }

    #[test]
    fn errors_name_the_nested_field() {
        let mut p = input();
        p.medications[0].code = "123".into();
        assert_eq!(p.validate().unwrap_err().field, "medications[0].code");
        let mut p = input();
        p.medications[0].days = 0;
        assert_eq!(p.validate().unwrap_err().field, "medications[0].days");
        let mut p = input();
        p.medications.clear();
        assert_eq!(p.validate().unwrap_err().field, "medications");
        assert!(
            serde_json::from_str::<Medication>(
                r#"{"code":"645301220","name":"x","dose":"1","frequency":1.5,"days":3,"route":"oral"}"#
            )
            .is_err()
        );
    }
}
