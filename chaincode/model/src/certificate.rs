//! Medical certificates (FHIR `DocumentReference`): issued by a doctor, verifiable by any
//! member from the id and the document's hash, revocable by the issuing hospital. The document
//! itself stays with the patient.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::commitment::Commitment;
use crate::enums::string_enum;
use crate::time::Timestamp;

string_enum! {
    /// The kind of certificate.
    pub enum CertificateKind {
        /// 진단서.
        Diagnosis = "diagnosis",
        /// 소견서.
        Opinion = "opinion",
        /// 입퇴원확인서.
        AdmissionDischarge = "admission_discharge",
        /// 진료비 영수증.
        FeeReceipt = "fee_receipt",
        /// 예방접종증명서.
        Vaccination = "vaccination",
    }
}

string_enum! {
    /// A certificate's status (FHIR `DocumentReference.status`: current / entered-in-error).
    pub enum CertificateStatus {
        /// In force.
        Valid = "valid",
        /// Revoked by the issuing hospital.
        Revoked = "revoked",
    }
}

string_enum! {
    /// Why a certificate was revoked (a code, never free text: the record is public).
    pub enum RevocationReason {
        /// Issued by mistake.
        IssuedInError = "issued_in_error",
        /// Replaced by a newer certificate.
        Superseded = "superseded",
        /// Withdrawn at the patient's request.
        PatientRequest = "patient_request",
        /// Found to be fraudulent.
        Fraud = "fraud",
    }
}

string_enum! {
    /// The one thing `VerifyCertificate` reveals.
    pub enum VerificationResult {
        /// The id exists, the hash matches, it is not revoked and not past `valid_until`.
        Valid = "valid",
        /// The hash matches but the certificate was revoked.
        Revoked = "revoked",
        /// The hash matches but the certificate is past `valid_until`.
        Expired = "expired",
        /// No certificate has this id.
        Unknown = "unknown",
        /// A certificate has this id, but not this document.
        HashMismatch = "hash_mismatch",
    }
}

/// A certificate on the public ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DocumentReference {
    /// The certificate's id (printed on the document).
    pub certificate_id: String,
    /// Its kind.
    pub kind: CertificateKind,
    /// The patient.
    pub patient_id: String,
    /// MSP id of the issuing hospital.
    pub issuer_org: String,
    /// The issuing doctor.
    pub issuer: Actor,
    /// `SHA-256(salt ‖ the document's bytes)`; the salt is printed on (or sent with) the
    /// document, so only its holder can compute it.
    pub document_hash: Commitment,
    /// Transaction time of the issue.
    pub issued_at: Timestamp,
    /// The first instant it is no longer valid; absent = no end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
    /// Valid or revoked.
    pub status: CertificateStatus,
    /// Why it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<RevocationReason>,
    /// Transaction time of the revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
}

/// What `VerifyCertificate` returns: the id asked about and the result, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CertificateVerification {
    /// The id asked about.
    pub certificate_id: String,
    /// The result.
    pub result: VerificationResult,
}
