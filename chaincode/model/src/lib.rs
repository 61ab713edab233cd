//! `medledger-model`: the medical ledger's domain, shared by the chaincode and its clients.
//!
//! - Assets with FHIR-aligned names: [`Patient`], [`Consent`], [`MedicalRecord`],
//!   [`MedicationRequest`] / [`MedicationDispense`], [`Claim`] / [`ClaimResponse`],
//!   [`DocumentReference`] (certificates), [`AuditEvent`]. Each public type holds no PHI; the
//!   PHI types (demographics, prescription content, claim details) travel in the transient map
//!   and live in private data collections.
//! - [`canonical`]: canonical JSON (sorted keys, no whitespace, integers only — money is
//!   integer [`Krw`]).
//! - [`validate`] and `validate()` methods: ids, code systems, periods, amounts; every error
//!   ([`ValidationError`]) names its field.
//! - [`commitment`]: salted SHA-256 commitments (`SHA-256(salt ‖ content)`), to compute before
//!   sending and to verify after reading.
//!
//! Features: `schema` derives `schemars::JsonSchema` (for the contract metadata), `random`
//! adds `Salt::random()` for clients.

pub mod actor;
pub mod audit;
pub mod canonical;
pub mod certificate;
pub mod claim;
pub mod commitment;
pub mod consent;
mod enums;
pub mod error;
pub mod money;
pub mod patient;
pub mod phi;
pub mod prescription;
pub mod record;
pub mod time;
pub mod validate;

pub use actor::{Actor, OrgKind, Role};
pub use audit::{AssetType, AuditEvent, EventPayload, HistoryEntry, Page, events};
pub use certificate::{
    CertificateKind, CertificateStatus, CertificateVerification, DocumentReference,
    RevocationReason, VerificationResult,
};
pub use claim::{
    Claim, ClaimDetails, ClaimDetailsPrivate, ClaimItem, ClaimOutcome, ClaimPayment, ClaimResponse,
    ClaimResponsePrivate, ClaimStatus, ClaimView,
};
pub use commitment::{Commitment, Salt, commit, commit_json, sha256};
pub use consent::{
    Consent, ConsentCheck, ConsentDocument, ConsentForm, ConsentPurpose, ConsentStatus,
};
pub use error::{ModelError, ValidationError};
pub use money::Krw;
pub use patient::{
    Address, AdministrativeGender, ErasureReceipt, HumanName, Patient, PatientDemographics,
    PatientPrivate, PatientStatus, PatientView,
};
pub use phi::StoredPhi;
pub use prescription::{
    Medication, MedicationDispense, MedicationRequest, PrescriptionContent, PrescriptionInput,
    PrescriptionPrivate, PrescriptionStatus, PrescriptionView, Route,
};
pub use record::{
    FhirResourceType, MedicalRecord, RecordCategory, RecordLocation, RecordPrivate, RecordView,
};
pub use time::{Date, Period, Timestamp};
