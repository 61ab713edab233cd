//! Patients: `RegisterPatient`, `GetPatient`, `ErasePatient`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use fabric_chaincode::contract::Context;
use medledger_model::{
    Claim, ClaimStatus, Commitment, ErasureReceipt, EventPayload, MedicalRecord, OrgKind, Patient,
    PatientDemographics, PatientPrivate, PatientStatus, PatientView, RecordCategory, Role,
    StoredPhi, commit_json, events, validate,
};

use crate::Env;
use crate::caller::Caller;
use crate::consortium::PRESCRIPTIONS_COLLECTION;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::{consents, phi, store};

/// Loads a patient (404 if unknown).
pub(crate) async fn load(ctx: &Context, patient_id: &str) -> MedResult<Patient> {
    store::get(ctx, &keys::primary(types::PATIENT, patient_id)?)
        .await?
        .ok_or_else(|| MedError::NotFound(format!("patient {patient_id}")))
}

/// Loads a patient who must be active (409 if erased).
pub(crate) async fn load_active(ctx: &Context, patient_id: &str) -> MedResult<Patient> {
    let patient = load(ctx, patient_id).await?;
    require_active(patient_id, Some(patient))
}

/// The checks of [`load_active`] on a patient already read (`None`: no such patient).
pub(crate) fn require_active(patient_id: &str, patient: Option<Patient>) -> MedResult<Patient> {
    let patient = patient.ok_or_else(|| MedError::NotFound(format!("patient {patient_id}")))?;
    if patient.status != PatientStatus::Active {
        return Err(MedError::Conflict(format!(
            "patient {patient_id} is erased; nothing can be added or changed for them"
        )));
    }
    Ok(patient)
}

/// Whether the caller may read patient-level data (consents, prescription lists, access log):
/// the patient, staff of the home hospital, or an auditor.
pub(crate) fn may_read_patient_data(caller: &Caller, patient: &Patient) -> bool {
    caller.is_patient(patient)
        || caller.is_staff_of(
            &patient.home_org,
            &[Role::Doctor, Role::Nurse, Role::Clerk, Role::Auditor],
        )
        || caller.has_role(&[Role::Auditor])
}

/// `StorePatientDemographics(patient_id)`, transient `patient` (demographics) and `salt`: the
/// private phase of a registration.
///
/// Rule: a clerk or doctor of a hospital; the id not yet registered. Writes the demographics
/// (with their salt) and their seal to the caller's PHI collection only — nothing public, no
/// event — so the caller's organisation alone endorses it. Answers the commitment to pass to
/// `RegisterPatient`. Storing again before the registration replaces the stored demographics.
pub async fn store_demographics(
    env: Arc<Env>,
    ctx: Context,
    patient_id: String,
) -> MedResult<StoredPhi> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Clerk, Role::Doctor], Some(OrgKind::Hospital))?;
    validate::id("patient_id", &patient_id)?;
    let demographics: PatientDemographics =
        store::require_transient(&ctx, "patient", "the patient's demographics (JSON)")?;
    demographics.validate().map_err(|e| e.within("patient"))?;
    let salt = store::transient_salt(&ctx)?;
    let collection = phi::home_collection(&env, &caller)?;
    if store::exists(&ctx, &keys::primary(types::PATIENT, &patient_id)?).await? {
        return Err(MedError::Conflict(format!(
            "patient {patient_id} is already registered"
        )));
    }
    let commitment = commit_json(&salt, &demographics)?;
    phi::store_sealed(
        &ctx,
        &collection,
        phi::keys_of(types::DEMOGRAPHICS, &[&patient_id])?,
        &PatientPrivate { demographics, salt },
        &commitment,
    )
    .await?;
    Ok(phi::stored(&patient_id, &collection, commitment))
}

/// `RegisterPatient(patient_id, demographics_hash)`: the public phase of a registration; no
/// transient data.
///
/// Rule: a clerk or doctor of a hospital; that hospital becomes the home org; id not yet
/// registered; `StorePatientDemographics` stored demographics with this commitment in the
/// caller's PHI collection (checked by hash: any endorser can run it). The public record gets
/// the commitment.
pub async fn register(
    env: Arc<Env>,
    ctx: Context,
    patient_id: String,
    demographics_hash: String,
) -> MedResult<Patient> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Clerk, Role::Doctor], Some(OrgKind::Hospital))?;
    validate::id("patient_id", &patient_id)?;
    let demographics_hash = Commitment::from_hex("demographics_hash", demographics_hash.trim())?;
    phi::refuse_transient(&ctx, &["patient", "salt"], "StorePatientDemographics")?;
    let collection = phi::home_collection(&env, &caller)?;

    let key = keys::primary(types::PATIENT, &patient_id)?;
    if store::exists(&ctx, &key).await? {
        return Err(MedError::Conflict(format!(
            "patient {patient_id} is already registered"
        )));
    }
    let (_, seal) = phi::keys_of(types::DEMOGRAPHICS, &[&patient_id])?;
    phi::check_sealed(
        &ctx,
        &collection,
        &seal,
        "demographics_hash",
        &demographics_hash,
        &format!("demographics of patient {patient_id}"),
        "StorePatientDemographics",
    )
    .await?;
    let patient = Patient {
        patient_id: patient_id.clone(),
        home_org: caller.msp_id.clone(),
        status: PatientStatus::Active,
        demographics_hash,
        registered_at: store::now(&ctx)?,
        registered_by: caller.actor()?,
        erased_at: None,
    };
    store::put(&ctx, &key, &patient).await?;
    store::emit(
        &ctx,
        events::PATIENT_REGISTERED,
        &EventPayload {
            id: patient_id.clone(),
            patient_id: Some(patient_id),
            status: Some(PatientStatus::Active.to_string()),
            org: None,
        },
    )?;
    Ok(patient)
}

/// `GetPatient(patient_id)`: the public record for any member with a medical role; with the
/// demographics for the patient and for doctors, nurses and clerks of the home hospital.
pub async fn get(env: Arc<Env>, ctx: Context, patient_id: String) -> MedResult<PatientView> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    if caller.role.is_none() || caller.kind.is_none() {
        return Err(caller
            .forbidden("only members of the consortium with a medical role may read patients"));
    }
    validate::id("patient_id", &patient_id)?;
    let patient = load(&ctx, &patient_id).await?;
    let sees_phi = caller.is_patient(&patient)
        || caller.is_staff_of(&patient.home_org, &[Role::Doctor, Role::Nurse, Role::Clerk]);
    let demographics = if sees_phi && patient.status == PatientStatus::Active {
        match env.consortium.phi_collection(&patient.home_org) {
            Some(c) => store::get_private::<PatientPrivate>(
                &ctx,
                &c,
                &keys::primary(types::DEMOGRAPHICS, &patient_id)?,
            )
            .await?
            .map(|p| p.demographics),
            None => None,
        }
    } else {
        None
    };
    Ok(PatientView {
        patient,
        demographics,
    })
}

/// `ErasePatient(patient_id)`: the PIPA right to deletion, after any legal retention (the
/// hospital's call). A clerk of the home hospital purges the patient's private data from every
/// collection the hospital writes, marks the patient erased and records a receipt.
pub async fn erase(env: Arc<Env>, ctx: Context, patient_id: String) -> MedResult<ErasureReceipt> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Clerk], Some(OrgKind::Hospital))?;
    validate::id("patient_id", &patient_id)?;
    let mut patient = load(&ctx, &patient_id).await?;
    if caller.msp_id != patient.home_org {
        return Err(caller.forbidden(format!(
            "only the patient's home hospital ({}) may erase them",
            patient.home_org
        )));
    }
    if patient.status == PatientStatus::Erased {
        return Err(MedError::Conflict(format!(
            "patient {patient_id} is already erased"
        )));
    }
    let home = patient.home_org.clone();
    let home_phi = env
        .consortium
        .phi_collection(&home)
        .ok_or_else(|| MedError::Internal(format!("no PHI collection for {home}")))?;

    // What to purge, found through the public indexes (no private reads: every endorser can
    // run this, member of the collections or not).
    // Values a private phase stored go with their seals.
    let mut purge: Vec<(String, String)> = Vec::new();
    let mut sealed = |private_type: &str, attrs: &[&str]| -> MedResult<()> {
        let (key, seal) = phi::keys_of(private_type, attrs)?;
        purge.push((home_phi.clone(), key));
        purge.push((home_phi.clone(), seal));
        Ok(())
    };
    sealed(types::DEMOGRAPHICS, &[&patient_id])?;
    let records: Vec<MedicalRecord> = store::load_indexed(
        &ctx,
        types::RECORD_BY_PATIENT,
        &[&patient_id],
        types::RECORD,
    )
    .await?;
    for r in records
        .iter()
        .filter(|r| r.org == home && r.content_on_ledger)
    {
        sealed(types::RECORD_CONTENT, &[&r.record_id])?;
    }
    let consents = consents::of_patient(&ctx, &patient_id).await?;
    for c in &consents {
        if c.document_org.as_deref() == Some(home.as_str()) {
            sealed(types::CONSENT_DOCUMENT, &[&c.consent_id, "grant"])?;
        }
        if c.revocation_document_org.as_deref() == Some(home.as_str()) {
            sealed(types::CONSENT_DOCUMENT, &[&c.consent_id, "revocation"])?;
        }
    }
    let prescriptions =
        store::index_ids(&ctx, types::PRESCRIPTION_BY_PATIENT, &[&patient_id]).await?;
    for id in &prescriptions {
        purge.push((
            PRESCRIPTIONS_COLLECTION.to_owned(),
            keys::primary(types::PRESCRIPTION_CONTENT, id)?,
        ));
    }
    // The home hospital's claims for the patient: every one covers encounters of the patient
    // the hospital holds, and each encounter names its claim at each insurer.
    let insurers: Vec<&str> = env
        .consortium
        .of_kind(OrgKind::Insurer)
        .map(|o| o.msp_id.as_str())
        .collect();
    let mut marker_keys = Vec::new();
    for r in records
        .iter()
        .filter(|r| r.org == home && r.category == RecordCategory::Encounter)
    {
        for insurer in &insurers {
            marker_keys.push(keys::key(
                types::CLAIM_BY_ENCOUNTER,
                &[insurer, &r.record_id],
            )?);
        }
    }
    let markers: Vec<&str> = marker_keys.iter().map(String::as_str).collect();
    let claim_ids: BTreeSet<String> = if markers.is_empty() {
        BTreeSet::new()
    } else {
        store::get_raw_many(&ctx, &markers)
            .await?
            .into_iter()
            .flatten()
            .map(|id| String::from_utf8_lossy(&id).into_owned())
            .collect()
    };
    let claim_keys = claim_ids
        .iter()
        .map(|id| keys::primary(types::CLAIM, id))
        .collect::<MedResult<Vec<_>>>()?;
    let claims: Vec<Claim> = store::get_many(&ctx, &claim_keys).await?;
    for c in claims.iter().filter(|c| c.provider == home) {
        let Some(collection) = env.consortium.claims_collection(&c.provider, &c.insurer) else {
            continue;
        };
        purge.push((
            collection.clone(),
            keys::primary(types::CLAIM_DETAILS, &c.claim_id)?,
        ));
        if c.decision_hash.is_some() {
            purge.push((
                collection.clone(),
                keys::primary(types::CLAIM_RESPONSE, &c.claim_id)?,
            ));
        }
        if c.status == ClaimStatus::Paid {
            purge.push((
                collection,
                keys::primary(types::CLAIM_PAYMENT, &c.claim_id)?,
            ));
        }
    }

    let now = store::now(&ctx)?;
    let mut purged: BTreeMap<String, u32> = env
        .consortium
        .collections_written_by(&home)
        .into_iter()
        .map(|c| (c, 0))
        .collect();
    for (collection, key) in &purge {
        store::purge_private(&ctx, collection, key).await?;
        *purged.entry(collection.clone()).or_default() += 1;
    }
    patient.status = PatientStatus::Erased;
    patient.erased_at = Some(now);
    store::put(&ctx, &keys::primary(types::PATIENT, &patient_id)?, &patient).await?;
    let receipt = ErasureReceipt {
        patient_id: patient_id.clone(),
        org: home,
        erased_at: now,
        erased_by: caller.actor()?,
        txid: ctx.txid().to_owned(),
        purged,
    };
    store::put(
        &ctx,
        &keys::primary(types::ERASURE_RECEIPT, &patient_id)?,
        &receipt,
    )
    .await?;
    store::emit(
        &ctx,
        events::PATIENT_ERASED,
        &EventPayload {
            id: patient_id.clone(),
            patient_id: Some(patient_id),
            status: Some(PatientStatus::Erased.to_string()),
            org: None,
        },
    )?;
    Ok(receipt)
}
