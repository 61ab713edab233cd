//! The audit trail (FHIR `AuditEvent`), asset history, pages of query results, and the
//! chaincode events.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::consent::ConsentPurpose;
use crate::enums::string_enum;
use crate::time::Timestamp;

/// One logged access to a patient's record by another organisation (`AccessRecord`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditEvent {
    /// The id of the access: the transaction id.
    pub access_id: String,
    /// The patient.
    pub patient_id: String,
    /// The record read.
    pub record_id: String,
    /// MSP id of the hospital holding the record.
    pub record_org: String,
    /// Who read it.
    pub agent: Actor,
    /// What for.
    pub purpose: ConsentPurpose,
    /// The consent that allowed it (absent when the reader's own hospital holds the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<String>,
    /// Transaction time.
    pub recorded: Timestamp,
}

string_enum! {
    /// The asset types whose history `GetHistory` returns.
    pub enum AssetType {
        /// Patients.
        Patient = "Patient",
        /// Consents.
        Consent = "Consent",
        /// Records.
        Record = "Record",
        /// Prescriptions.
        Prescription = "Prescription",
        /// Claims.
        Claim = "Claim",
        /// Certificates.
        Certificate = "Certificate",
    }
}

/// One version of an asset, newest first in a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistoryEntry {
    /// The transaction that wrote it.
    pub txid: String,
    /// That transaction's time.
    pub timestamp: Timestamp,
    /// Whether the transaction deleted the asset.
    pub is_delete: bool,
    /// The asset as written (public JSON), absent for a delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass it back to get the next page; empty when there is none.
    pub bookmark: String,
}

/// The most items a page may hold.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The chaincode event of a state change: ids and status only, never PHI or amounts. The event
/// name is `<Asset><Action>` (see [`events`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventPayload {
    /// The id of the asset that changed.
    pub id: String,
    /// The patient it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
    /// The asset's status after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The other organisation concerned: a consent's grantee, a claim's insurer, a record's
    /// reader, a dispense's pharmacy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

/// The event names: `<Asset><Action>`, one per state change.
pub mod events {
    /// `RegisterPatient`.
    pub const PATIENT_REGISTERED: &str = "PatientRegistered";
    /// `ErasePatient`.
    pub const PATIENT_ERASED: &str = "PatientErased";
    /// `GrantConsent`.
    pub const CONSENT_GRANTED: &str = "ConsentGranted";
    /// `RevokeConsent`.
    pub const CONSENT_REVOKED: &str = "ConsentRevoked";
    /// `AddRecord`.
    pub const RECORD_ADDED: &str = "RecordAdded";
    /// `AccessRecord`.
    pub const RECORD_ACCESSED: &str = "RecordAccessed";
    /// `IssuePrescription`.
    pub const PRESCRIPTION_ISSUED: &str = "PrescriptionIssued";
    /// `DispensePrescription`.
    pub const PRESCRIPTION_DISPENSED: &str = "PrescriptionDispensed";
    /// `ConfirmDelivery`.
    pub const PRESCRIPTION_DELIVERED: &str = "PrescriptionDelivered";
    /// `CancelPrescription`.
    pub const PRESCRIPTION_CANCELLED: &str = "PrescriptionCancelled";
    /// `SubmitClaim`.
    pub const CLAIM_SUBMITTED: &str = "ClaimSubmitted";
    /// `AdjudicateClaim`.
    pub const CLAIM_ADJUDICATED: &str = "ClaimAdjudicated";
    /// `PayClaim`.
    pub const CLAIM_PAID: &str = "ClaimPaid";
    /// `IssueCertificate`.
    pub const CERTIFICATE_ISSUED: &str = "CertificateIssued";
    /// `RevokeCertificate`.
    pub const CERTIFICATE_REVOKED: &str = "CertificateRevoked";
}
