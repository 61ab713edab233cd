//! Consent: `GrantConsent`, `RevokeConsent`, `ListConsents`, `CheckConsent`.

use medledger_model::{
    Consent, ConsentCheck, ConsentDocument, ConsentPurpose, Period, RecordCategory,
};

use super::id_or_derive;
use crate::call::{Call, CallKind, json_arg, optional};
use crate::client::{Committed, MedLedgerClient};
use crate::error::Result;

/// What `GrantConsent` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentGrant {
    /// The consent's id; `None` lets the chaincode derive `CON-<txid prefix>`.
    pub consent_id: Option<String>,
    /// The patient.
    pub patient_id: String,
    /// The organisation (MSP id) the consent is given to.
    pub grantee: String,
    /// treatment (a hospital or pharmacy), insurance_claim (an insurer), research (a
    /// hospital).
    pub purpose: ConsentPurpose,
    /// The record categories covered.
    pub scopes: Vec<RecordCategory>,
    /// When it is in force (end optional).
    pub period: Period,
    /// The signed paper form's salted hash (required when a clerk records it; see
    /// [`SaltedDocument::consent_document`](crate::SaltedDocument::consent_document)).
    pub document: Option<ConsentDocument>,
}

/// `GrantConsent(consent_id, patient_id, grantee, purpose, scopes, period)`, transient
/// `consent_document` when given.
pub fn grant_consent(grant: &ConsentGrant) -> Result<Call<Consent>> {
    const F: &str = "GrantConsent";
    let call = Call::new(F, CallKind::Submit)
        .arg(id_or_derive(grant.consent_id.as_deref()))
        .arg(&grant.patient_id)
        .arg(&grant.grantee)
        .arg(grant.purpose.as_str())
        .arg(json_arg(F, "scopes", &grant.scopes)?)
        .arg(json_arg(F, "period", &grant.period)?);
    match &grant.document {
        Some(doc) => Ok(call.transient_json("consent_document", doc)?.own_phi()),
        None => Ok(call),
    }
}

/// `RevokeConsent(consent_id)`, transient `consent_document` (the signed revocation form)
/// when given.
pub fn revoke_consent(
    consent_id: &str,
    document: Option<&ConsentDocument>,
) -> Result<Call<Consent>> {
    let call = Call::new("RevokeConsent", CallKind::Submit).arg(consent_id);
    match document {
        Some(doc) => Ok(call.transient_json("consent_document", doc)?.own_phi()),
        None => Ok(call),
    }
}

/// `ListConsents(patient_id)`.
pub fn list_consents(patient_id: &str) -> Call<Vec<Consent>> {
    Call::new("ListConsents", CallKind::Evaluate).arg(patient_id)
}

/// `CheckConsent(patient_id, grantee, purpose, category)`; `None` = any category.
pub fn check_consent(
    patient_id: &str,
    grantee: &str,
    purpose: ConsentPurpose,
    category: Option<RecordCategory>,
) -> Call<ConsentCheck> {
    Call::new("CheckConsent", CallKind::Evaluate)
        .arg(patient_id)
        .arg(grantee)
        .arg(purpose.as_str())
        .arg(optional(category))
}

impl MedLedgerClient {
    /// `GrantConsent`: the patient (their own identity), or a hospital clerk recording a
    /// signed form (`document` required), gives `grantee` a consent for a purpose and
    /// categories over a period. Takes effect from the next block.
    ///
    /// Event `ConsentGranted` (org: grantee). Refusals: 400 (`period.end`, `scopes[1]`,
    /// `grantee`…), 403, 404 (patient), 409 (duplicate id, erased patient).
    pub async fn grant_consent(&self, grant: &ConsentGrant) -> Result<Committed<Consent>> {
        self.submit(grant_consent(grant)?).await
    }

    /// `RevokeConsent`: the same callers as `GrantConsent`; the consent must be active.
    /// Event `ConsentRevoked`.
    pub async fn revoke_consent(
        &self,
        consent_id: &str,
        document: Option<&ConsentDocument>,
    ) -> Result<Committed<Consent>> {
        self.submit(revoke_consent(consent_id, document)?).await
    }

    /// `ListConsents`: every consent of the patient (the patient, the home hospital's staff,
    /// auditors), or those given to this client's organisation.
    pub async fn list_consents(&self, patient_id: &str) -> Result<Vec<Consent>> {
        self.evaluate(list_consents(patient_id)).await
    }

    /// `CheckConsent`: whether a consent is in force for `grantee`, the purpose and the
    /// category (`None`: any).
    pub async fn check_consent(
        &self,
        patient_id: &str,
        grantee: &str,
        purpose: ConsentPurpose,
        category: Option<RecordCategory>,
    ) -> Result<ConsentCheck> {
        self.evaluate(check_consent(patient_id, grantee, purpose, category))
            .await
    }
}
