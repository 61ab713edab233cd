//! Records: `AddRecord`, `GetRecord` (own hospital), `AccessRecord` (another organisation,
//! consent checked, access logged).

use std::sync::Arc;

use fabric_chaincode::contract::Context;
use medledger_model::{
    AuditEvent, Commitment, ConsentPurpose, EventPayload, FhirResourceType, MedicalRecord, OrgKind,
    RecordCategory, RecordLocation, RecordPrivate, RecordView, Role, StoredPhi, commit, events,
    validate,
};

use crate::Env;
use crate::args::Arg;
use crate::caller::Caller;
use crate::consents;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::patients;
use crate::{phi, store};

/// The largest record content accepted on the ledger (larger documents stay at `location`).
pub const MAX_CONTENT_BYTES: usize = 1024 * 1024;

/// Loads a record (404 if unknown).
pub(crate) async fn load(ctx: &Context, record_id: &str) -> MedResult<MedicalRecord> {
    store::get(ctx, &keys::primary(types::RECORD, record_id)?)
        .await?
        .ok_or_else(|| MedError::NotFound(format!("record {record_id}")))
}

/// `StoreRecordContent(record_id, patient_id, content_hash)`, transient `record_content` (the
/// FHIR document as given, UTF-8, at most 1 MiB) and `salt`: the private phase of `AddRecord`
/// for a record kept on the ledger.
///
/// Rule: a doctor or nurse of a hospital; the patient active; the record id not yet used;
/// `content_hash` = `SHA-256(salt ‖ record_content)`. Writes the content (with its salt) and
/// its seal to the caller's PHI collection only — nothing public, no event. An empty id is
/// derived here (`REC-<txid prefix>`) and answered: pass it to `AddRecord`.
pub async fn store_content(
    env: Arc<Env>,
    ctx: Context,
    record_id: String,
    patient_id: String,
    content_hash: String,
) -> MedResult<StoredPhi> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Doctor, Role::Nurse], Some(OrgKind::Hospital))?;
    let record_id = store::id_or_derived(&ctx, "record_id", &record_id, "REC")?;
    validate::id("patient_id", &patient_id)?;
    let content_hash = Commitment::from_hex("content_hash", content_hash.trim())?;
    let bytes = ctx.transient("record_content")?.ok_or_else(|| {
        MedError::bad_input(
            "record_content",
            "required in the transient map: the FHIR document (UTF-8)",
        )
    })?;
    if bytes.len() > MAX_CONTENT_BYTES {
        return Err(MedError::bad_input(
            "record_content",
            format!("at most {MAX_CONTENT_BYTES} bytes; larger documents stay at the location"),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        MedError::bad_input(
            "record_content",
            "must be UTF-8 text (a FHIR resource); binary documents stay at the location",
        )
    })?;
    let salt = store::transient_salt(&ctx)?;
    if !content_hash.verify(&salt, bytes) {
        return Err(MedError::bad_input(
            "content_hash",
            format!(
                "does not match the record content: SHA-256(salt ‖ record_content) is {}",
                commit(&salt, bytes)
            ),
        ));
    }
    let content = RecordPrivate {
        content: text.to_owned(),
        salt,
    };
    let collection = phi::home_collection(&env, &caller)?;
    patients::load_active(&ctx, &patient_id).await?;
    if store::exists(&ctx, &keys::primary(types::RECORD, &record_id)?).await? {
        return Err(MedError::Conflict(format!(
            "record {record_id} already exists"
        )));
    }
    phi::store_sealed(
        &ctx,
        &collection,
        phi::keys_of(types::RECORD_CONTENT, &[&record_id])?,
        &content,
        &content_hash,
    )
    .await?;
    Ok(phi::stored(&record_id, &collection, content_hash))
}

/// `AddRecord(record_id, patient_id, category, resource_type, content_hash, location,
/// content_on_ledger)`: the public record; no transient data.
///
/// Rule: a doctor or nurse of a hospital; the record belongs to that hospital. With
/// `content_on_ledger` true, `StoreRecordContent` must have stored the content with this
/// `content_hash` in the caller's PHI collection (checked by hash: any endorser can run it).
#[allow(clippy::too_many_arguments)]
pub async fn add(
    env: Arc<Env>,
    ctx: Context,
    record_id: String,
    patient_id: String,
    category: Arg<RecordCategory>,
    resource_type: Arg<FhirResourceType>,
    content_hash: String,
    location: String,
    content_on_ledger: Arg<Option<bool>>,
) -> MedResult<MedicalRecord> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Doctor, Role::Nurse], Some(OrgKind::Hospital))?;
    let record_id = store::id_or_derived(&ctx, "record_id", &record_id, "REC")?;
    validate::id("patient_id", &patient_id)?;
    let category = category.parse("category")?;
    let resource_type = resource_type.parse("resource_type")?;
    let content_hash = Commitment::from_hex("content_hash", content_hash.trim())?;
    validate::location_uri("location", &location)?;
    let content_on_ledger = content_on_ledger
        .parse("content_on_ledger")?
        .unwrap_or(false);
    phi::refuse_transient(&ctx, &["record_content", "salt"], "StoreRecordContent")?;
    let collection = phi::home_collection(&env, &caller)?;

    patients::load_active(&ctx, &patient_id).await?;
    let key = keys::primary(types::RECORD, &record_id)?;
    if store::exists(&ctx, &key).await? {
        return Err(MedError::Conflict(format!(
            "record {record_id} already exists"
        )));
    }
    if content_on_ledger {
        let (_, seal) = phi::keys_of(types::RECORD_CONTENT, &[&record_id])?;
        phi::check_sealed(
            &ctx,
            &collection,
            &seal,
            "content_hash",
            &content_hash,
            &format!("content of record {record_id}"),
            "StoreRecordContent",
        )
        .await?;
    }
    let record = MedicalRecord {
        record_id: record_id.clone(),
        patient_id: patient_id.clone(),
        org: caller.msp_id.clone(),
        author: caller.actor()?,
        category,
        resource_type,
        content_hash,
        location,
        content_on_ledger,
        created_at: store::now(&ctx)?,
    };
    store::put(&ctx, &key, &record).await?;
    store::put_index(
        &ctx,
        &keys::key(types::RECORD_BY_PATIENT, &[&patient_id, &record_id])?,
    )
    .await?;
    store::emit(
        &ctx,
        events::RECORD_ADDED,
        &EventPayload {
            id: record_id,
            patient_id: Some(patient_id),
            status: None,
            org: None,
        },
    )?;
    Ok(record)
}

/// Whether the caller may read a record with `GetRecord`: staff of the record's hospital, or
/// the patient.
pub(crate) async fn may_read(
    ctx: &Context,
    caller: &Caller,
    record: &MedicalRecord,
) -> MedResult<bool> {
    if caller.is_staff_of(
        &record.org,
        &[Role::Doctor, Role::Nurse, Role::Clerk, Role::Auditor],
    ) {
        return Ok(true);
    }
    if caller.has_role(&[Role::Patient]) {
        let patient = patients::load(ctx, &record.patient_id).await?;
        return Ok(caller.is_patient(&patient));
    }
    Ok(false)
}

/// `GetRecord(record_id)`: the record's hospital (doctors, nurses, clerks, auditors) and the
/// patient; with the content when it is on the ledger and the caller's organisation holds it.
pub async fn get(env: Arc<Env>, ctx: Context, record_id: String) -> MedResult<RecordView> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    validate::id("record_id", &record_id)?;
    let record = load(&ctx, &record_id).await?;
    if !may_read(&ctx, &caller, &record).await? {
        return Err(caller.forbidden(
            "only the record's hospital or the patient may read it; other organisations use AccessRecord",
        ));
    }
    let content = match env.consortium.phi_collection(&record.org) {
        Some(c) if record.content_on_ledger && caller.msp_id == record.org => {
            store::get_private(&ctx, &c, &keys::primary(types::RECORD_CONTENT, &record_id)?).await?
        }
        _ => None,
    };
    Ok(RecordView { record, content })
}

/// The roles that may read another organisation's record for a purpose.
fn roles_for(purpose: ConsentPurpose) -> &'static [Role] {
    match purpose {
        ConsentPurpose::Treatment => &[Role::Doctor, Role::Nurse, Role::Pharmacist],
        ConsentPurpose::InsuranceClaim => &[Role::ClaimsOfficer],
        ConsentPurpose::Research => &[Role::Doctor],
    }
}

/// `AccessRecord(record_id, purpose)`: read a record's location and hash. Another
/// organisation needs a consent in force for its organisation, the purpose and the record's
/// category; the record's own hospital needs none. Every access is logged (`AccessLog`).
pub async fn access(
    env: Arc<Env>,
    ctx: Context,
    record_id: String,
    purpose: Arg<ConsentPurpose>,
) -> MedResult<RecordLocation> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    validate::id("record_id", &record_id)?;
    let purpose = purpose.parse("purpose")?;
    let roles = roles_for(purpose);
    if !caller.has_role(roles) || caller.kind.is_none() {
        return Err(caller.forbidden(format!(
            "for {purpose}, only {} of a member organisation may access records",
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    let record = load(&ctx, &record_id).await?;
    let patient = patients::load_active(&ctx, &record.patient_id).await?;
    let now = store::now(&ctx)?;
    let consent_id = if caller.msp_id == record.org {
        None
    } else {
        let consent = consents::find_effective(
            &ctx,
            &patient.patient_id,
            &caller.msp_id,
            purpose,
            Some(record.category),
            now,
        )
        .await?
        .ok_or_else(|| {
            caller.forbidden(format!(
                "no consent in force lets {} read {} records of patient {} for {purpose}",
                caller.msp_id, record.category, patient.patient_id
            ))
        })?;
        Some(consent.consent_id)
    };
    let txid = ctx.txid().to_owned();
    let entry = AuditEvent {
        access_id: txid.clone(),
        patient_id: patient.patient_id.clone(),
        record_id: record_id.clone(),
        record_org: record.org.clone(),
        agent: caller.actor()?,
        purpose,
        consent_id,
        recorded: now,
    };
    let at = now.to_string();
    store::put(
        &ctx,
        &keys::key(types::ACCESS_LOG, &[&patient.patient_id, &at, &txid])?,
        &entry,
    )
    .await?;
    store::emit(
        &ctx,
        events::RECORD_ACCESSED,
        &EventPayload {
            id: record_id.clone(),
            patient_id: Some(patient.patient_id),
            status: None,
            org: Some(caller.msp_id.clone()),
        },
    )?;
    Ok(RecordLocation {
        record_id,
        org: record.org,
        category: record.category,
        resource_type: record.resource_type,
        location: record.location,
        content_hash: record.content_hash,
        access_id: txid,
    })
}
