//! Medical records: public metadata pointing at a document (FHIR resource) kept by the
//! hospital, with its salted hash; optionally the content itself in the hospital's collection.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::commitment::{Commitment, Salt};
use crate::enums::string_enum;
use crate::time::Timestamp;

string_enum! {
    /// Record categories: what a consent's scopes name.
    pub enum RecordCategory {
        /// A visit or admission.
        Encounter = "encounter",
        /// Diagnoses.
        Diagnosis = "diagnosis",
        /// Laboratory results.
        Lab = "lab",
        /// Imaging studies and reports.
        Imaging = "imaging",
        /// Medication history.
        Medication = "medication",
        /// Discharge summaries.
        Discharge = "discharge",
        /// Vaccinations.
        Vaccination = "vaccination",
    }
}

string_enum! {
    /// The FHIR R4 resource type of a record's document.
    pub enum FhirResourceType {
        /// `Encounter`.
        Encounter = "Encounter",
        /// `Condition`.
        Condition = "Condition",
        /// `Observation`.
        Observation = "Observation",
        /// `DiagnosticReport`.
        DiagnosticReport = "DiagnosticReport",
        /// `ImagingStudy`.
        ImagingStudy = "ImagingStudy",
        /// `Procedure`.
        Procedure = "Procedure",
        /// `MedicationStatement`.
        MedicationStatement = "MedicationStatement",
        /// `Immunization`.
        Immunization = "Immunization",
        /// `Composition` (e.g. a discharge summary).
        Composition = "Composition",
        /// `DocumentReference`.
        DocumentReference = "DocumentReference",
        /// `Bundle`.
        Bundle = "Bundle",
    }
}

/// The public metadata of a record. No PHI: ids, the category, where the document lives and
/// its salted hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MedicalRecord {
    /// The record's id.
    pub record_id: String,
    /// The patient.
    pub patient_id: String,
    /// MSP id of the hospital that holds the record.
    pub org: String,
    /// The doctor or nurse who added it.
    pub author: Actor,
    /// Its category.
    pub category: RecordCategory,
    /// The FHIR resource type of the document.
    pub resource_type: FhirResourceType,
    /// `SHA-256(salt ‖ the document's bytes)`.
    pub content_hash: Commitment,
    /// Where the document can be fetched (an https URL or a urn).
    pub location: String,
    /// Whether the content is also in the hospital's collection.
    pub content_on_ledger: bool,
    /// Transaction time.
    pub created_at: Timestamp,
}

/// What the hospital's collection keeps of a record's content: the document as given (FHIR
/// JSON text) and the salt of its public hash. Purged on erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RecordPrivate {
    /// The document.
    pub content: String,
    /// The salt of `MedicalRecord::content_hash`.
    pub salt: Salt,
}

/// What `GetRecord` returns to the record's hospital: the metadata and, when on the ledger,
/// the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RecordView {
    /// The metadata.
    pub record: MedicalRecord,
    /// The content and its salt, if on the ledger and readable here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<RecordPrivate>,
}

/// What `AccessRecord` returns to another organisation: where to fetch the document and how
/// to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RecordLocation {
    /// The record.
    pub record_id: String,
    /// MSP id of the hospital that holds it.
    pub org: String,
    /// Its category.
    pub category: RecordCategory,
    /// The FHIR resource type.
    pub resource_type: FhirResourceType,
    /// Where to fetch the document.
    pub location: String,
    /// The salted hash to check it against (the holder gives the salt with the document).
    pub content_hash: Commitment,
    /// The transaction that logged this access.
    pub access_id: String,
}
