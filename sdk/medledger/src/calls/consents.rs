//! Consent: `StoreConsentForm`, `GrantConsent`, `RevokeConsent`, `ListConsents`, `CheckConsent`.

use medledger_model::{
    Consent, ConsentCheck, ConsentDocument, ConsentForm, ConsentPurpose, Period, RecordCategory,
    StoredPhi,
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

/// `StoreConsentForm(consent_id, patient_id, form)`, transient `consent_document`: the private
/// phase of a consent recorded with a signed form, endorsed by the caller's organisation
/// alone. `consent_id` `None` lets the chaincode derive one (a grant); `patient_id` may be
/// empty for a revocation (the consent's). The answer's `commitment` must be the form's hash.
pub fn store_consent_form(
    consent_id: Option<&str>,
    patient_id: &str,
    form: ConsentForm,
    document: &ConsentDocument,
) -> Result<Call<StoredPhi>> {
    Ok(Call::new("StoreConsentForm", CallKind::Submit)
        .arg(id_or_derive(consent_id))
        .arg(patient_id)
        .arg(form.as_str())
        .transient_json("consent_document", document)?
        .own_phi()
        .expect_hash(
            "commitment",
            document.document_hash.clone(),
            |s: &StoredPhi| Some(&s.commitment),
        ))
}

/// `GrantConsent(consent_id, patient_id, grantee, purpose, scopes, period, document_hash)`:
/// the public call, no transient data; `document_hash` is the form's salted hash when
/// `grant.document` is given (store the form first with [`store_consent_form`]).
pub fn grant_consent(grant: &ConsentGrant) -> Result<Call<Consent>> {
    const F: &str = "GrantConsent";
    Ok(Call::new(F, CallKind::Submit)
        .arg(id_or_derive(grant.consent_id.as_deref()))
        .arg(&grant.patient_id)
        .arg(&grant.grantee)
        .arg(grant.purpose.as_str())
        .arg(json_arg(F, "scopes", &grant.scopes)?)
        .arg(json_arg(F, "period", &grant.period)?)
        .arg(optional(
            grant.document.as_ref().map(|d| d.document_hash.to_hex()),
        )))
}

/// `RevokeConsent(consent_id, document_hash)`: the public call, no transient data;
/// `document_hash` is the signed revocation form's salted hash when given (store the form
/// first with [`store_consent_form`]).
pub fn revoke_consent(
    consent_id: &str,
    document: Option<&ConsentDocument>,
) -> Result<Call<Consent>> {
    Ok(Call::new("RevokeConsent", CallKind::Submit)
        .arg(consent_id)
        .arg(optional(document.map(|d| d.document_hash.to_hex()))))
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
    ///
    /// With a form: first `StoreConsentForm`, endorsed by this client's organisation alone
    /// (its id in [`Committed::private_transaction_id`]), then the public `GrantConsent`,
    /// which carries only the form's salted hash.
    pub async fn grant_consent(&self, grant: &ConsentGrant) -> Result<Committed<Consent>> {
        let Some(document) = &grant.document else {
            return self.submit(grant_consent(grant)?).await;
        };
        let stored = self
            .submit(store_consent_form(
                grant.consent_id.as_deref(),
                &grant.patient_id,
                ConsentForm::Grant,
                document,
            )?)
            .await?;
        let grant = ConsentGrant {
            consent_id: Some(stored.value.id.clone()),
            ..grant.clone()
        };
        Ok(self.submit(grant_consent(&grant)?).await?.after(stored))
    }

    /// `RevokeConsent`: the same callers as `GrantConsent`; the consent must be active.
    /// Event `ConsentRevoked`. With a form: `StoreConsentForm` first, as for a grant.
    pub async fn revoke_consent(
        &self,
        consent_id: &str,
        document: Option<&ConsentDocument>,
    ) -> Result<Committed<Consent>> {
        let Some(doc) = document else {
            return self.submit(revoke_consent(consent_id, None)?).await;
        };
        let stored = self
            .submit(store_consent_form(
                Some(consent_id),
                "",
                ConsentForm::Revocation,
                doc,
            )?)
            .await?;
        Ok(self
            .submit(revoke_consent(consent_id, Some(doc))?)
            .await?
            .after(stored))
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
