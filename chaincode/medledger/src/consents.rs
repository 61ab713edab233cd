//! Consent: `GrantConsent`, `RevokeConsent`, `ListConsents`, `CheckConsent`, and the check
//! other functions run (`AccessRecord`, `SubmitClaim`).
//!
//! A consent is recorded by the patient identity itself (attribute `patient_id`, issued by the
//! home hospital), or by a hospital clerk recording a signed paper form, whose salted hash goes
//! to that clerk's hospital's PHI collection first (`StoreConsentForm`, endorsed by the
//! hospital alone), then the public call names it (`document_hash`). A consent read
//! by a transaction is the committed one, so a grant or revocation takes effect from the next
//! block (and a transaction that read consents conflicts with a change in the same block).

use std::sync::Arc;

use fabric_chaincode::contract::Context;
use medledger_model::{
    Commitment, Consent, ConsentCheck, ConsentDocument, ConsentForm, ConsentPurpose, ConsentStatus,
    EventPayload, OrgKind, Patient, Period, RecordCategory, Role, StoredPhi, Timestamp, events,
    validate,
};

use crate::Env;
use crate::args::Arg;
use crate::caller::Caller;
use crate::consortium::Consortium;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::patients;
use crate::{phi, store};

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

/// The key of the active consents of `patient_id` to `grantee` for `purpose`.
pub(crate) fn active_key(
    patient_id: &str,
    grantee: &str,
    purpose: ConsentPurpose,
) -> MedResult<String> {
    keys::key(
        types::ACTIVE_CONSENTS,
        &[patient_id, grantee, purpose.as_str()],
    )
}

/// The first consent in force, of the active consents stored at `key` (read with
/// [`active_key`]), that lets `grantee` use `category` records (any when `None`) for `purpose`
/// at `at`.
pub(crate) fn first_allowing(
    key: &str,
    value: Option<&[u8]>,
    grantee: &str,
    purpose: ConsentPurpose,
    category: Option<RecordCategory>,
    at: Timestamp,
) -> MedResult<Option<Consent>> {
    let active: Vec<Consent> = store::decode_opt(key, value)?.unwrap_or_default();
    Ok(active
        .into_iter()
        .find(|c| c.allows(grantee, purpose, category, at)))
}

/// The first consent in force that lets `grantee` use `category` records (any when `None`) of
/// the patient for `purpose` at `at`: one point read.
pub(crate) async fn find_effective(
    ctx: &Context,
    patient_id: &str,
    grantee: &str,
    purpose: ConsentPurpose,
    category: Option<RecordCategory>,
    at: Timestamp,
) -> MedResult<Option<Consent>> {
    let key = active_key(patient_id, grantee, purpose)?;
    let value = ctx.stub().get_state(&key).await?;
    first_allowing(&key, value.as_deref(), grantee, purpose, category, at)
}

/// Adds `consent` to (`active`) or takes it out of the active consents of its patient, grantee
/// and purpose (kept in consent id order; an empty list is deleted).
async fn update_active(ctx: &Context, consent: &Consent, active: bool) -> MedResult<()> {
    let key = active_key(&consent.patient_id, &consent.grantee, consent.purpose)?;
    let mut list: Vec<Consent> = store::get(ctx, &key).await?.unwrap_or_default();
    list.retain(|c| c.consent_id != consent.consent_id);
    if active {
        list.push(consent.clone());
        list.sort_by(|a, b| a.consent_id.cmp(&b.consent_id));
    }
    if list.is_empty() {
        store::del(ctx, &key).await
    } else {
        store::put(ctx, &key, &list).await
    }
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

/// A clerk must name the signed form (`document_hash`); it is optional for the patient.
fn require_form(
    caller: &Caller,
    patient: &Patient,
    document_hash: Option<&Commitment>,
) -> MedResult<()> {
    if document_hash.is_none() && !caller.is_patient(patient) {
        return Err(MedError::bad_input(
            "document_hash",
            "required when a clerk records a paper form: store the signed form first with StoreConsentForm and pass the commitment it returns",
        ));
    }
    Ok(())
}

/// Checks a named form against the seal `StoreConsentForm` stored in the caller's PHI
/// collection. Answers whether a form was named.
async fn check_form(
    env: &Env,
    ctx: &Context,
    caller: &Caller,
    document_hash: Option<&Commitment>,
    consent_id: &str,
    form: ConsentForm,
) -> MedResult<bool> {
    let Some(hash) = document_hash else {
        return Ok(false);
    };
    let collection = phi::home_collection(env, caller)?;
    let (_, seal) = phi::keys_of(types::CONSENT_DOCUMENT, &[consent_id, form.as_str()])?;
    phi::check_sealed(
        ctx,
        &collection,
        &seal,
        "document_hash",
        hash,
        &format!("{form} form of consent {consent_id}"),
        "StoreConsentForm",
    )
    .await?;
    Ok(true)
}

/// An optional commitment argument (empty = none).
fn optional_hash(field: &str, text: &str) -> MedResult<Option<Commitment>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(Commitment::from_hex(field, text)?))
}

/// `StoreConsentForm(consent_id, patient_id, form)`, transient `consent_document`
/// (`{"document_hash", "salt"}`): the private phase of a consent recorded with a signed form
/// (`form`: `grant` or `revocation`).
///
/// Rule: the callers of `GrantConsent` (the patient, or a hospital clerk); the patient active.
/// grant: the consent id not yet used (an empty id is derived here, `CON-<txid prefix>`, and
/// answered: pass it to `GrantConsent`); revocation: the consent exists, is the patient's (an
/// empty `patient_id` means the consent's) and is active. Writes the form's salted hash (with its salt) and its seal to the caller's PHI
/// collection only — nothing public, no event.
pub async fn store_form(
    env: Arc<Env>,
    ctx: Context,
    consent_id: String,
    patient_id: String,
    form: Arg<ConsentForm>,
) -> MedResult<StoredPhi> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Patient, Role::Clerk], None)?;
    let form = form.parse("form")?;
    let consent_id = match form {
        ConsentForm::Grant => store::id_or_derived(&ctx, "consent_id", &consent_id, "CON")?,
        ConsentForm::Revocation => {
            validate::id("consent_id", &consent_id)?;
            consent_id
        }
    };
    if !(form == ConsentForm::Revocation && patient_id.is_empty()) {
        validate::id("patient_id", &patient_id)?;
    }
    let doc: ConsentDocument = store::require_transient(
        &ctx,
        "consent_document",
        "the signed form's salted hash: {\"document_hash\": <64 hex>, \"salt\": <64 hex>}",
    )?;
    let key = keys::primary(types::CONSENT, &consent_id)?;
    let existing: Option<Consent> = store::get(&ctx, &key).await?;
    let patient_id = match (&existing, form) {
        (None, ConsentForm::Revocation) => {
            return Err(MedError::NotFound(format!("consent {consent_id}")));
        }
        // A revocation's patient may be left empty: the consent's.
        (Some(c), ConsentForm::Revocation) if patient_id.is_empty() => c.patient_id.clone(),
        _ => patient_id,
    };
    let patient = patients::load_active(&ctx, &patient_id).await?;
    if !may_record(&caller, &patient) {
        return Err(caller.forbidden(RECORD_RULE));
    }
    let collection = phi::home_collection(&env, &caller)?;
    match (form, existing) {
        (ConsentForm::Grant, Some(_)) => {
            return Err(MedError::Conflict(format!(
                "consent {consent_id} already exists"
            )));
        }
        (ConsentForm::Revocation, Some(c)) if c.patient_id != patient_id => {
            return Err(MedError::bad_input(
                "patient_id",
                format!("consent {consent_id} is not a consent of patient {patient_id}"),
            ));
        }
        (ConsentForm::Revocation, Some(c)) if c.status != ConsentStatus::Active => {
            return Err(MedError::Conflict(format!(
                "consent {consent_id} is already revoked"
            )));
        }
        _ => {}
    }
    let commitment = doc.document_hash.clone();
    phi::store_sealed(
        &ctx,
        &collection,
        phi::keys_of(types::CONSENT_DOCUMENT, &[&consent_id, form.as_str()])?,
        &doc,
        &commitment,
    )
    .await?;
    Ok(phi::stored(&consent_id, &collection, commitment))
}

/// `GrantConsent(consent_id, patient_id, grantee, purpose, scopes, period, document_hash)`:
/// no transient data; `document_hash` (the signed form's commitment stored by
/// `StoreConsentForm`) required for clerks, empty for none.
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
    document_hash: String,
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
    let document_hash = optional_hash("document_hash", &document_hash)?;
    phi::refuse_transient(&ctx, &["consent_document"], "StoreConsentForm")?;

    let patient = patients::load_active(&ctx, &patient_id).await?;
    if !may_record(&caller, &patient) {
        return Err(caller.forbidden(RECORD_RULE));
    }
    // Before the state checks: the clerk's mistake, whatever the consent's state.
    require_form(&caller, &patient, document_hash.as_ref())?;
    let key = keys::primary(types::CONSENT, &consent_id)?;
    if store::exists(&ctx, &key).await? {
        return Err(MedError::Conflict(format!(
            "consent {consent_id} already exists"
        )));
    }
    let with_form = check_form(
        &env,
        &ctx,
        &caller,
        document_hash.as_ref(),
        &consent_id,
        ConsentForm::Grant,
    )
    .await?;
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
        document_org: with_form.then(|| caller.msp_id.clone()),
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
    update_active(&ctx, &consent, true).await?;
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

/// `RevokeConsent(consent_id, document_hash)`: no transient data; `document_hash` (the signed
/// revocation form's commitment stored by `StoreConsentForm`) required for clerks, empty for
/// none. Same callers as `GrantConsent`.
pub async fn revoke(
    env: Arc<Env>,
    ctx: Context,
    consent_id: String,
    document_hash: String,
) -> MedResult<Consent> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Patient, Role::Clerk], None)?;
    validate::id("consent_id", &consent_id)?;
    let document_hash = optional_hash("document_hash", &document_hash)?;
    phi::refuse_transient(&ctx, &["consent_document"], "StoreConsentForm")?;
    let key = keys::primary(types::CONSENT, &consent_id)?;
    let mut consent: Consent = store::get(&ctx, &key)
        .await?
        .ok_or_else(|| MedError::NotFound(format!("consent {consent_id}")))?;
    let patient = patients::load_active(&ctx, &consent.patient_id).await?;
    if !may_record(&caller, &patient) {
        return Err(caller.forbidden(RECORD_RULE));
    }
    require_form(&caller, &patient, document_hash.as_ref())?;
    if consent.status != ConsentStatus::Active {
        return Err(MedError::Conflict(format!(
            "consent {consent_id} is already revoked"
        )));
    }
    let with_form = check_form(
        &env,
        &ctx,
        &caller,
        document_hash.as_ref(),
        &consent_id,
        ConsentForm::Revocation,
    )
    .await?;
    consent.status = ConsentStatus::Revoked;
    consent.revoked_at = Some(store::now(&ctx)?);
    consent.revoked_by = Some(caller.actor()?);
    consent.revocation_document_org = with_form.then(|| caller.msp_id.clone());
    store::put(&ctx, &key, &consent).await?;
    update_active(&ctx, &consent, false).await?;
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
