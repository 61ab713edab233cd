//! Consent: `GrantConsent`, `RevokeConsent`, `ListConsents`, `CheckConsent`, and the check
//! other functions run (`AccessRecord`, `SubmitClaim`).
//!
//! A consent is recorded by the patient identity itself (attribute `patient_id`, issued by the
//! home hospital), or by a hospital clerk recording a signed paper form, whose salted hash goes
//! to that clerk's hospital's PHI collection. A consent read
//! by a transaction is the committed one, so a grant or revocation takes effect from the next
//! block (and a transaction that read consents conflicts with a change in the same block).

use std::sync::Arc;

use fabric_chaincode::contract::Context;
use medledger_model::{
    Consent, ConsentCheck, ConsentDocument, ConsentPurpose, ConsentStatus, EventPayload, OrgKind,
    Patient, Period, RecordCategory, Role, Timestamp, events, validate,
};

use crate::Env;
use crate::args::Arg;
use crate::caller::Caller;
use crate::consortium::Consortium;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::patients;
use crate::store;

/// The private key of a consent's grant or revocation document.
pub(crate) fn document_key(consent_id: &str, which: &str) -> MedResult<String> {
    keys::key(types::CONSENT_DOCUMENT, &[consent_id, which])
}

/// The consents of a patient.
pub(crate) async fn of_patient(ctx: &Context, patient_id: &str) -> MedResult<Vec<Consent>> {
    store::load_indexed(
        ctx,
        types::CONSENT_BY_PATIENT,
        &[patient_id],
        types::CONSENT,
    )
    .await
}

/// The first consent in force that lets `grantee` use `category` records (any when `None`) of
/// the patient for `purpose` at `at`.
pub(crate) async fn find_effective(
    ctx: &Context,
    patient_id: &str,
    grantee: &str,
    purpose: ConsentPurpose,
    category: Option<RecordCategory>,
    at: Timestamp,
) -> MedResult<Option<Consent>> {
    Ok(of_patient(ctx, patient_id)
        .await?
        .into_iter()
        .find(|c| c.allows(grantee, purpose, category, at)))
}

/// Whether the caller may record a consent (or its revocation) for this patient: the patient
/// themselves, or a hospital clerk (who must give the signed form's hash).
fn may_record(caller: &Caller, patient: &Patient) -> bool {
    caller.is_patient(patient)
        || (caller.has_role(&[Role::Clerk]) && caller.is_kind(OrgKind::Hospital))
}

const RECORD_RULE: &str = "only the patient (an identity of the home hospital with a matching patient_id) or a hospital clerk recording a signed form may record a consent";

/// Checks that the grantee is an organisation that can receive this purpose.
fn check_grantee(consortium: &Consortium, grantee: &str, purpose: ConsentPurpose) -> MedResult<()> {
    validate::msp_id("grantee", grantee)?;
    let Some(kind) = consortium.kind_of(grantee) else {
        return Err(MedError::bad_input(
            "grantee",
            format!("{grantee} is not an organisation of the consortium"),
        ));
    };
    let fits = match purpose {
        ConsentPurpose::InsuranceClaim => kind == OrgKind::Insurer,
        ConsentPurpose::Treatment => matches!(kind, OrgKind::Hospital | OrgKind::Pharmacy),
        ConsentPurpose::Research => kind == OrgKind::Hospital,
    };
    if fits {
        Ok(())
    } else {
        Err(MedError::bad_input(
            "grantee",
            format!(
                "{grantee} ({kind}) cannot receive a consent for {purpose} (insurance_claim: an insurer; treatment: a hospital or pharmacy; research: a hospital)"
            ),
        ))
    }
}

/// The signed document a clerk must give (transient `consent_document`); optional for the
/// patient.
fn document(
    ctx: &Context,
    caller: &Caller,
    patient: &Patient,
) -> MedResult<Option<ConsentDocument>> {
    let doc: Option<ConsentDocument> = store::transient_json(ctx, "consent_document")?;
    if doc.is_none() && !caller.is_patient(patient) {
        return Err(MedError::bad_input(
            "consent_document",
            "required in the transient map when a clerk records a paper form: {\"document_hash\": <64 hex>, \"salt\": <64 hex>}",
        ));
    }
    Ok(doc)
}

/// `GrantConsent(consent_id, patient_id, grantee, purpose, scopes, period)`, transient
/// `consent_document` (required for clerks).
#[allow(clippy::too_many_arguments)]
pub async fn grant(
    env: Arc<Env>,
    ctx: Context,
    consent_id: String,
    patient_id: String,
    grantee: String,
    purpose: Arg<ConsentPurpose>,
    scopes: Arg<Vec<RecordCategory>>,
    period: Arg<Period>,
) -> MedResult<Consent> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Patient, Role::Clerk], None)?;
    let consent_id = store::id_or_derived(&ctx, "consent_id", &consent_id, "CON")?;
    validate::id("patient_id", &patient_id)?;
    let purpose = purpose.parse("purpose")?;
    check_grantee(&env.consortium, &grantee, purpose)?;
    let mut scopes = scopes.parse("scopes")?;
    validate::list("scopes", &scopes, RecordCategory::ALL.len())?;
    scopes.sort();
    let period = period.parse("period")?;
    period.validate().map_err(|e| e.within("period"))?;

    let patient = patients::load_active(&ctx, &patient_id).await?;
    if !may_record(&caller, &patient) {
        return Err(caller.forbidden(RECORD_RULE));
    }
    let doc = document(&ctx, &caller, &patient)?;
    let key = keys::primary(types::CONSENT, &consent_id)?;
    if store::exists(&ctx, &key).await? {
        return Err(MedError::Conflict(format!(
            "consent {consent_id} already exists"
        )));
    }
    let consent = Consent {
        consent_id: consent_id.clone(),
        patient_id: patient_id.clone(),
        grantee: grantee.clone(),
        purpose,
        scopes,
        period,
        status: ConsentStatus::Active,
        recorded_by: caller.actor()?,
        recorded_at: store::now(&ctx)?,
        document_org: doc.as_ref().map(|_| caller.msp_id.clone()),
        revoked_at: None,
        revoked_by: None,
        revocation_document_org: None,
    };
    store::put(&ctx, &key, &consent).await?;
    store::put_index(
        &ctx,
        &keys::key(types::CONSENT_BY_PATIENT, &[&patient_id, &consent_id])?,
    )
    .await?;
    if let Some(doc) = doc {
        store::put_private(
            &ctx,
            &phi_of(&env, &caller)?,
            &document_key(&consent_id, "grant")?,
            &doc,
        )
        .await?;
    }
    store::emit(
        &ctx,
        events::CONSENT_GRANTED,
        &EventPayload {
            id: consent_id,
            patient_id: Some(patient_id),
            status: Some(ConsentStatus::Active.to_string()),
            org: Some(grantee),
        },
    )?;
    Ok(consent)
}

fn phi_of(env: &Env, caller: &Caller) -> MedResult<String> {
    env.consortium
        .phi_collection(&caller.msp_id)
        .ok_or_else(|| caller.forbidden("the consent document goes to the recording hospital's PHI collection; the caller's organisation has none"))
}

/// `RevokeConsent(consent_id)`, transient `consent_document` (the signed revocation form,
/// required for clerks). Same callers as `GrantConsent`.
pub async fn revoke(env: Arc<Env>, ctx: Context, consent_id: String) -> MedResult<Consent> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Patient, Role::Clerk], None)?;
    validate::id("consent_id", &consent_id)?;
    let key = keys::primary(types::CONSENT, &consent_id)?;
    let mut consent: Consent = store::get(&ctx, &key)
        .await?
        .ok_or_else(|| MedError::NotFound(format!("consent {consent_id}")))?;
    let patient = patients::load_active(&ctx, &consent.patient_id).await?;
    if !may_record(&caller, &patient) {
        return Err(caller.forbidden(RECORD_RULE));
    }
    let doc = document(&ctx, &caller, &patient)?;
    if consent.status != ConsentStatus::Active {
        return Err(MedError::Conflict(format!(
            "consent {consent_id} is already revoked"
        )));
    }
    consent.status = ConsentStatus::Revoked;
    consent.revoked_at = Some(store::now(&ctx)?);
    consent.revoked_by = Some(caller.actor()?);
    consent.revocation_document_org = doc.as_ref().map(|_| caller.msp_id.clone());
    store::put(&ctx, &key, &consent).await?;
    if let Some(doc) = doc {
        store::put_private(
            &ctx,
            &phi_of(&env, &caller)?,
            &document_key(&consent_id, "revocation")?,
            &doc,
        )
        .await?;
    }
    store::emit(
        &ctx,
        events::CONSENT_REVOKED,
        &EventPayload {
            id: consent_id,
            patient_id: Some(consent.patient_id.clone()),
            status: Some(ConsentStatus::Revoked.to_string()),
            org: Some(consent.grantee.clone()),
        },
    )?;
    Ok(consent)
}

/// Whether the caller may read this consent: the patient, staff of the home hospital,
/// auditors, and the grantee organisation's staff.
pub(crate) fn may_read(caller: &Caller, patient: &Patient, consent: &Consent) -> bool {
    patients::may_read_patient_data(caller, patient)
        || (caller.role.is_some() && caller.msp_id == consent.grantee)
}

/// `ListConsents(patient_id)`: all of a patient's consents for the patient, the home
/// hospital's staff and auditors; the consents given to its own organisation for anyone else
/// with a medical role.
pub async fn list(env: Arc<Env>, ctx: Context, patient_id: String) -> MedResult<Vec<Consent>> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    if caller.role.is_none() || caller.kind.is_none() {
        return Err(caller
            .forbidden("only members of the consortium with a medical role may list consents"));
    }
    validate::id("patient_id", &patient_id)?;
    let patient = patients::load(&ctx, &patient_id).await?;
    let consents = of_patient(&ctx, &patient_id).await?;
    Ok(consents
        .into_iter()
        .filter(|c| may_read(&caller, &patient, c))
        .collect())
}

/// `CheckConsent(patient_id, grantee, purpose, category)`: whether a consent in force lets
/// `grantee` use `category` records (any category if empty) for `purpose` now. For the
/// grantee itself, the patient, the home hospital's staff and auditors.
pub async fn check(
    env: Arc<Env>,
    ctx: Context,
    patient_id: String,
    grantee: String,
    purpose: Arg<ConsentPurpose>,
    category: Arg<Option<RecordCategory>>,
) -> MedResult<ConsentCheck> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    if caller.role.is_none() || caller.kind.is_none() {
        return Err(caller
            .forbidden("only members of the consortium with a medical role may check consents"));
    }
    validate::id("patient_id", &patient_id)?;
    validate::msp_id("grantee", &grantee)?;
    let purpose = purpose.parse("purpose")?;
    let category = category.parse("category")?;
    let patient = patients::load(&ctx, &patient_id).await?;
    if caller.msp_id != grantee && !patients::may_read_patient_data(&caller, &patient) {
        return Err(caller.forbidden(
            "only the grantee organisation, the patient, the home hospital's staff or an auditor may check a consent",
        ));
    }
    if patient.status != medledger_model::PatientStatus::Active {
        return Ok(ConsentCheck {
            granted: false,
            consent_id: None,
        });
    }
    let found = find_effective(
        &ctx,
        &patient_id,
        &grantee,
        purpose,
        category,
        store::now(&ctx)?,
    )
    .await?;
    Ok(ConsentCheck {
        granted: found.is_some(),
        consent_id: found.map(|c| c.consent_id),
    })
}
