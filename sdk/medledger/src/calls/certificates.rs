//! Certificates: `IssueCertificate`, `VerifyCertificate`, `RevokeCertificate`,
//! `GetCertificate`.

use medledger_model::{
    CertificateKind, CertificateVerification, Commitment, DocumentReference, RevocationReason,
    Salt, Timestamp, commit,
};

use super::id_or_derive;
use crate::call::{Call, CallKind, json_arg};
use crate::client::{Committed, MedLedgerClient};
use crate::documents::SaltedDocument;
use crate::error::Result;

/// `IssueCertificate(certificate_id, patient_id, kind, document_hash, valid_until)`: the
/// document's salted hash (computed with [`SaltedDocument::new`]; the salt is printed on or
/// sent with the document, never to the ledger).
pub fn issue_certificate(
    certificate_id: Option<&str>,
    patient_id: &str,
    kind: CertificateKind,
    document: &SaltedDocument,
    valid_until: Option<Timestamp>,
) -> Result<Call<DocumentReference>> {
    const F: &str = "IssueCertificate";
    let valid_until = match valid_until {
        Some(t) => json_arg(F, "valid_until", &t)?,
        None => String::new(),
    };
    Ok(Call::new(F, CallKind::Submit)
        .arg(id_or_derive(certificate_id))
        .arg(patient_id)
        .arg(kind.as_str())
        .arg(document.hash.to_hex())
        .arg(valid_until))
}

/// `VerifyCertificate(certificate_id, document_hash)` with the hash given.
pub fn verify_certificate_hash(
    certificate_id: &str,
    document_hash: &Commitment,
) -> Call<CertificateVerification> {
    Call::new("VerifyCertificate", CallKind::Evaluate)
        .arg(certificate_id)
        .arg(document_hash.to_hex())
}

/// `VerifyCertificate` of a document and the salt that came with it (hashed here).
pub fn verify_certificate(
    certificate_id: &str,
    document: &[u8],
    salt: &Salt,
) -> Call<CertificateVerification> {
    verify_certificate_hash(certificate_id, &commit(salt, document))
}

/// `RevokeCertificate(certificate_id, reason)`.
pub fn revoke_certificate(
    certificate_id: &str,
    reason: RevocationReason,
) -> Call<DocumentReference> {
    Call::new("RevokeCertificate", CallKind::Submit)
        .arg(certificate_id)
        .arg(reason.as_str())
}

/// `GetCertificate(certificate_id)`.
pub fn get_certificate(certificate_id: &str) -> Call<DocumentReference> {
    Call::new("GetCertificate", CallKind::Evaluate).arg(certificate_id)
}

impl MedLedgerClient {
    /// `IssueCertificate`: a licensed doctor of a hospital records a certificate's salted
    /// hash (`valid_until` optional, after now). Event `CertificateIssued`.
    pub async fn issue_certificate(
        &self,
        certificate_id: Option<&str>,
        patient_id: &str,
        kind: CertificateKind,
        document: &SaltedDocument,
        valid_until: Option<Timestamp>,
    ) -> Result<Committed<DocumentReference>> {
        self.submit(issue_certificate(
            certificate_id,
            patient_id,
            kind,
            document,
            valid_until,
        )?)
        .await
    }

    /// `VerifyCertificate`: any consortium identity checks a document it was handed (with its
    /// salt): `valid`, `revoked`, `expired`, `unknown` or `hash_mismatch`, nothing else.
    pub async fn verify_certificate(
        &self,
        certificate_id: &str,
        document: &[u8],
        salt: &Salt,
    ) -> Result<CertificateVerification> {
        self.evaluate(verify_certificate(certificate_id, document, salt))
            .await
    }

    /// `VerifyCertificate` with the salted hash already computed.
    pub async fn verify_certificate_hash(
        &self,
        certificate_id: &str,
        document_hash: &Commitment,
    ) -> Result<CertificateVerification> {
        self.evaluate(verify_certificate_hash(certificate_id, document_hash))
            .await
    }

    /// `RevokeCertificate`: a doctor or clerk of the issuing hospital revokes a valid
    /// certificate, with a reason code. Event `CertificateRevoked`.
    pub async fn revoke_certificate(
        &self,
        certificate_id: &str,
        reason: RevocationReason,
    ) -> Result<Committed<DocumentReference>> {
        self.submit(revoke_certificate(certificate_id, reason))
            .await
    }

    /// `GetCertificate`: for the issuing hospital's staff, the patient and auditors.
    pub async fn get_certificate(&self, certificate_id: &str) -> Result<DocumentReference> {
        self.evaluate(get_certificate(certificate_id)).await
    }
}
