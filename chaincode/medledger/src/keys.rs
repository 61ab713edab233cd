//! Every key the contract writes: composite keys per asset type, and index keys per owner.
//!
//! Primary keys are `(type, id)`; indexes are `(type, owner…, id)` with a one-byte value, so
//! a list is a partial-key range over one owner and no key is shared by unrelated
//! transactions (no hot keys, no global counters). No index holds a status: an entry is
//! written once, when the asset gets that owner, and a status change rewrites only the
//! asset's own key (lists in one status filter on the assets they read). Ids and MSP ids are validated before they
//! reach a key (ASCII, no U+0000), so building a key cannot fail on user input.
//!
//! | object type | attributes | value |
//! |---|---|---|
//! | `Patient` | patient | `Patient` |
//! | `ErasureReceipt` | patient | `ErasureReceipt` |
//! | `Consent` | consent | `Consent` |
//! | `ConsentByPatient` | patient, consent | index |
//! | `ActiveConsents` | patient, grantee, purpose | the active consents (`[Consent]`, by id): a consent check is one read |
//! | `Record` | record | `MedicalRecord` |
//! | `RecordByPatient` | patient, record | index |
//! | `Prescription` | prescription | `MedicationRequest` |
//! | `PrescriptionByPatient` | patient, prescription | index |
//! | `PrescriptionByOrg` | org (prescriber, or pharmacy once dispensed), prescription | index |
//! | `Claim` | claim | `Claim` (key-level policy: provider AND insurer peers) |
//! | `ClaimByPair` | provider, insurer, claim | index (partial key `provider`: a provider's claims; `(hospital, insurer)` of each hospital: an insurer's) |
//! | `ClaimByEncounter` | insurer, encounter record | the claim id (one claim per encounter and insurer; erasure finds a patient's claims through it) |
//! | `Certificate` | certificate | `DocumentReference` |
//! | `CertificateByPatient` | patient, certificate | index |
//! | `AccessLog` | patient, time, txid | `AuditEvent` |
//!
//! Private keys (in collections) use the same scheme: `Demographics`(patient),
//! `RecordContent`(record), `ConsentDocument`(consent), `PrescriptionContent`(prescription),
//! `ClaimDetails`/`ClaimResponse`/`ClaimPayment`(claim), and `PhiSeal`(type, attributes…):
//! the commitment of a value a private-phase function stored in a PHI collection
//! (`PhiSeal(Demographics, patient)`, `PhiSeal(RecordContent, record)`,
//! `PhiSeal(ConsentDocument, consent, grant|revocation)`; see `phi`).

use fabric_sdk::tx::composite_key::create_composite_key;

use crate::error::{MedError, MedResult};

/// The value of an index key (an empty value would be a delete).
pub const INDEX_VALUE: &[u8] = &[0];

/// Builds a composite key.
pub fn key(object_type: &str, attributes: &[&str]) -> MedResult<String> {
    create_composite_key(object_type, attributes)
        .map_err(|e| MedError::Internal(format!("cannot build a {object_type} key: {e}")))
}

/// Object types.
pub mod types {
    /// A patient.
    pub const PATIENT: &str = "Patient";
    /// An erasure receipt.
    pub const ERASURE_RECEIPT: &str = "ErasureReceipt";
    /// A consent.
    pub const CONSENT: &str = "Consent";
    /// Consents by patient.
    pub const CONSENT_BY_PATIENT: &str = "ConsentByPatient";
    /// The active consents of a patient to one grantee for one purpose (their values, so a
    /// consent check is one point read).
    pub const ACTIVE_CONSENTS: &str = "ActiveConsents";
    /// A record.
    pub const RECORD: &str = "Record";
    /// Records by patient.
    pub const RECORD_BY_PATIENT: &str = "RecordByPatient";
    /// A prescription.
    pub const PRESCRIPTION: &str = "Prescription";
    /// Prescriptions by patient.
    pub const PRESCRIPTION_BY_PATIENT: &str = "PrescriptionByPatient";
    /// Prescriptions by organisation (prescriber, dispensing pharmacy).
    pub const PRESCRIPTION_BY_ORG: &str = "PrescriptionByOrg";
    /// A claim.
    pub const CLAIM: &str = "Claim";
    /// Claims by provider and insurer.
    pub const CLAIM_BY_PAIR: &str = "ClaimByPair";
    /// The claim of an encounter at an insurer.
    pub const CLAIM_BY_ENCOUNTER: &str = "ClaimByEncounter";
    /// A certificate.
    pub const CERTIFICATE: &str = "Certificate";
    /// Certificates by patient.
    pub const CERTIFICATE_BY_PATIENT: &str = "CertificateByPatient";
    /// An access log entry.
    pub const ACCESS_LOG: &str = "AccessLog";

    /// Private: demographics.
    pub const DEMOGRAPHICS: &str = "Demographics";
    /// Private: a record's content.
    pub const RECORD_CONTENT: &str = "RecordContent";
    /// Private: a consent document.
    pub const CONSENT_DOCUMENT: &str = "ConsentDocument";
    /// Private: a prescription's content.
    pub const PRESCRIPTION_CONTENT: &str = "PrescriptionContent";
    /// Private: a claim's details.
    pub const CLAIM_DETAILS: &str = "ClaimDetails";
    /// Private: a claim's decision.
    pub const CLAIM_RESPONSE: &str = "ClaimResponse";
    /// Private: a claim's payment.
    pub const CLAIM_PAYMENT: &str = "ClaimPayment";
    /// Private: the seal of a value a private-phase function stored (its salted commitment,
    /// 32 bytes), keyed by the value's key type and attributes.
    pub const PHI_SEAL: &str = "PhiSeal";
}

/// The primary key of an asset.
pub fn primary(object_type: &str, id: &str) -> MedResult<String> {
    key(object_type, &[id])
}
