//! Prescriptions: `IssuePrescription`, `GetPrescription`, `DispensePrescription`,
//! `ConfirmDelivery`, `CancelPrescription`, `ListPrescriptions`.
//!
//! issued → dispensed (once, by a pharmacist, before expiry by the transaction time) →
//! delivered; issued → cancelled (by the prescriber). Two dispenses endorsed on the same
//! state both read the prescription's key: only the first to commit is valid, the other is
//! invalidated with an MVCC read conflict.

use std::sync::Arc;

use fabric_chaincode::contract::Context;
use medledger_model::prescription::{DEFAULT_VALIDITY_DAYS, MAX_VALIDITY_DAYS};
use medledger_model::{
    EventPayload, MedicationDispense, MedicationRequest, OrgKind, Page, Patient,
    PrescriptionContent, PrescriptionInput, PrescriptionPrivate, PrescriptionStatus,
    PrescriptionView, Role, commit_json, events, validate,
};

use crate::Env;
use crate::args::Arg;
use crate::caller::Caller;
use crate::consortium::PRESCRIPTIONS_COLLECTION;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::patients;
use crate::store::{self, PageRequest};

/// Loads a prescription (404 if unknown).
pub(crate) async fn load(ctx: &Context, id: &str) -> MedResult<(String, MedicationRequest)> {
    let key = keys::primary(types::PRESCRIPTION, id)?;
    let rx = store::get(ctx, &key)
        .await?
        .ok_or_else(|| MedError::NotFound(format!("prescription {id}")))?;
    Ok((key, rx))
}

/// The index keys of a prescription: by patient, by prescriber, and by pharmacy once
/// dispensed. They hold no status, so a status change moves none of them (lists filter on the
/// prescription's status).
fn index_keys(rx: &MedicationRequest) -> MedResult<Vec<String>> {
    let id = rx.prescription_id.as_str();
    let mut out = vec![
        keys::key(types::PRESCRIPTION_BY_PATIENT, &[&rx.patient_id, id])?,
        keys::key(types::PRESCRIPTION_BY_ORG, &[&rx.prescriber_org, id])?,
    ];
    if let Some(d) = &rx.dispense
        && d.pharmacy_org != rx.prescriber_org
    {
        out.push(keys::key(
            types::PRESCRIPTION_BY_ORG,
            &[&d.pharmacy_org, id],
        )?);
    }
    Ok(out)
}

/// Writes a prescription whose status changed, adding the index entries it gained (the
/// dispensing pharmacy's).
async fn save_transition(
    ctx: &Context,
    key: &str,
    before: &MedicationRequest,
    after: &MedicationRequest,
) -> MedResult<()> {
    store::put(ctx, key, after).await?;
    let old = index_keys(before)?;
    for k in index_keys(after)? {
        if !old.contains(&k) {
            store::put_index(ctx, &k).await?;
        }
    }
    Ok(())
}

fn event(rx: &MedicationRequest, org: Option<String>) -> EventPayload {
    EventPayload {
        id: rx.prescription_id.clone(),
        patient_id: Some(rx.patient_id.clone()),
        status: Some(rx.status.to_string()),
        org,
    }
}

/// `IssuePrescription(prescription_id, patient_id, validity_days)`, transient `prescription`
/// (medications, notes) and `salt`.
///
/// Rule: a doctor of a hospital with a licence (`license_no`). Validity: `validity_days`
/// (1-90), 3 if empty.
pub async fn issue(
    env: Arc<Env>,
    ctx: Context,
    prescription_id: String,
    patient_id: String,
    validity_days: Arg<Option<u32>>,
) -> MedResult<MedicationRequest> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Doctor], Some(OrgKind::Hospital))?;
    let license = caller.require_license()?.to_owned();
    let id = store::id_or_derived(&ctx, "prescription_id", &prescription_id, "RX")?;
    validate::id("patient_id", &patient_id)?;
    let days = validity_days
        .parse("validity_days")?
        .unwrap_or(DEFAULT_VALIDITY_DAYS);
    if !(1..=MAX_VALIDITY_DAYS).contains(&days) {
        return Err(MedError::bad_input(
            "validity_days",
            format!("expected 1 to {MAX_VALIDITY_DAYS} days, got {days}"),
        ));
    }
    let input: PrescriptionInput =
        store::require_transient(&ctx, "prescription", "the medications and notes (JSON)")?;
    input.validate().map_err(|e| e.within("prescription"))?;
    let salt = store::transient_salt(&ctx)?;

    // The patient and the prescription's key in one read.
    let patient_key = keys::primary(types::PATIENT, &patient_id)?;
    let key = keys::primary(types::PRESCRIPTION, &id)?;
    let mut values = store::get_raw_many(&ctx, &[&patient_key, &key])
        .await?
        .into_iter();
    let patient = store::decode_opt(&patient_key, values.next().flatten().as_deref())?;
    patients::require_active(&patient_id, patient)?;
    if values.next().flatten().is_some() {
        return Err(MedError::Conflict(format!(
            "prescription {id} already exists"
        )));
    }
    let now = store::now(&ctx)?;
    let expires_at = now.plus_days(days).ok_or_else(|| {
        MedError::bad_input("validity_days", "the expiry would be after the year 9999")
    })?;
    let content = PrescriptionContent {
        medications: input.medications,
        notes: input.notes,
        prescriber_license: license,
    };
    let rx = MedicationRequest {
        prescription_id: id.clone(),
        patient_id,
        prescriber_org: caller.msp_id.clone(),
        prescriber: caller.actor()?,
        status: PrescriptionStatus::Issued,
        issued_at: now,
        expires_at,
        content_hash: commit_json(&salt, &content)?,
        dispense: None,
        delivered_at: None,
        cancelled_at: None,
    };
    store::put(&ctx, &key, &rx).await?;
    for k in index_keys(&rx)? {
        store::put_index(&ctx, &k).await?;
    }
    store::put_private(
        &ctx,
        PRESCRIPTIONS_COLLECTION,
        &keys::primary(types::PRESCRIPTION_CONTENT, &id)?,
        &PrescriptionPrivate { content, salt },
    )
    .await?;
    store::emit(&ctx, events::PRESCRIPTION_ISSUED, &event(&rx, None))?;
    Ok(rx)
}

/// Who may read a prescription: the patient, staff of the prescribing hospital, pharmacists
/// and pharmacy clerks (the prescription id is what the patient hands to the pharmacy), and
/// auditors.
fn may_read(caller: &Caller, rx: &MedicationRequest, patient: &Patient) -> bool {
    caller.is_patient(patient)
        || caller.is_staff_of(
            &rx.prescriber_org,
            &[Role::Doctor, Role::Nurse, Role::Clerk, Role::Auditor],
        )
        || (caller.is_kind(OrgKind::Pharmacy) && caller.has_role(&[Role::Pharmacist, Role::Clerk]))
        || caller.has_role(&[Role::Auditor])
}

/// Whether `may_read` holds (loads the patient).
pub(crate) async fn may_read_loaded(
    ctx: &Context,
    caller: &Caller,
    rx: &MedicationRequest,
) -> MedResult<bool> {
    let patient = patients::load(ctx, &rx.patient_id).await?;
    Ok(may_read(caller, rx, &patient))
}

/// `GetPrescription(prescription_id)`: the public record for the readers above; the content
/// too for the patient, the prescribing hospital's staff and pharmacists (members of the
/// prescriptions collection), as long as it was not purged.
pub async fn get(
    env: Arc<Env>,
    ctx: Context,
    prescription_id: String,
) -> MedResult<PrescriptionView> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    validate::id("prescription_id", &prescription_id)?;
    let (_, rx) = load(&ctx, &prescription_id).await?;
    let patient = patients::load(&ctx, &rx.patient_id).await?;
    if !may_read(&caller, &rx, &patient) {
        return Err(caller.forbidden(
            "only the patient, the prescribing hospital, pharmacies and auditors may read a prescription",
        ));
    }
    let member = matches!(caller.kind, Some(OrgKind::Hospital | OrgKind::Pharmacy));
    let sees_content = member
        && (caller.is_patient(&patient)
            || caller.is_staff_of(
                &rx.prescriber_org,
                &[Role::Doctor, Role::Nurse, Role::Clerk],
            )
            || caller.has_role(&[Role::Pharmacist]));
    let content = if sees_content {
        store::get_private::<PrescriptionPrivate>(
            &ctx,
            PRESCRIPTIONS_COLLECTION,
            &keys::primary(types::PRESCRIPTION_CONTENT, &prescription_id)?,
        )
        .await?
        .map(|p| p.content)
    } else {
        None
    };
    Ok(PrescriptionView {
        prescription: rx,
        content,
    })
}

/// `DispensePrescription(prescription_id)`: a licensed pharmacist of a pharmacy, once, while
/// the prescription is issued and before it expires (judged by the transaction time).
pub async fn dispense(
    env: Arc<Env>,
    ctx: Context,
    prescription_id: String,
) -> MedResult<MedicationRequest> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Pharmacist], Some(OrgKind::Pharmacy))?;
    caller.require_license()?;
    validate::id("prescription_id", &prescription_id)?;
    let (key, before) = load(&ctx, &prescription_id).await?;
    patients::load_active(&ctx, &before.patient_id).await?;
    match before.status {
        PrescriptionStatus::Issued => {}
        PrescriptionStatus::Dispensed | PrescriptionStatus::Delivered => {
            return Err(MedError::Conflict(format!(
                "prescription {prescription_id} was already dispensed; it can be dispensed only once"
            )));
        }
        PrescriptionStatus::Cancelled => {
            return Err(MedError::Conflict(format!(
                "prescription {prescription_id} was cancelled"
            )));
        }
    }
    let now = store::now(&ctx)?;
    if now >= before.expires_at {
        return Err(MedError::Conflict(format!(
            "prescription {prescription_id} expired at {}",
            before.expires_at
        )));
    }
    let mut after = before.clone();
    after.status = PrescriptionStatus::Dispensed;
    after.dispense = Some(MedicationDispense {
        pharmacy_org: caller.msp_id.clone(),
        pharmacist: caller.actor()?,
        dispensed_at: now,
    });
    save_transition(&ctx, &key, &before, &after).await?;
    store::emit(
        &ctx,
        events::PRESCRIPTION_DISPENSED,
        &event(&after, Some(caller.msp_id.clone())),
    )?;
    Ok(after)
}

/// `ConfirmDelivery(prescription_id)`: the patient, or a pharmacist or clerk of the dispensing
/// pharmacy, once the prescription is dispensed.
pub async fn confirm_delivery(
    env: Arc<Env>,
    ctx: Context,
    prescription_id: String,
) -> MedResult<MedicationRequest> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Patient, Role::Pharmacist, Role::Clerk], None)?;
    validate::id("prescription_id", &prescription_id)?;
    let (key, before) = load(&ctx, &prescription_id).await?;
    let patient = patients::load_active(&ctx, &before.patient_id).await?;
    let pharmacy_ok = caller.is_kind(OrgKind::Pharmacy)
        && caller.has_role(&[Role::Pharmacist, Role::Clerk])
        && before
            .dispense
            .as_ref()
            .is_none_or(|d| d.pharmacy_org == caller.msp_id);
    if !(caller.is_patient(&patient) || pharmacy_ok) {
        return Err(caller.forbidden(
            "only the patient or a pharmacist or clerk of the dispensing pharmacy may confirm the delivery",
        ));
    }
    if before.status != PrescriptionStatus::Dispensed {
        return Err(MedError::Conflict(format!(
            "prescription {prescription_id} is {}; only a dispensed prescription can be delivered",
            before.status
        )));
    }
    let mut after = before.clone();
    after.status = PrescriptionStatus::Delivered;
    after.delivered_at = Some(store::now(&ctx)?);
    save_transition(&ctx, &key, &before, &after).await?;
    let pharmacy = after.dispense.as_ref().map(|d| d.pharmacy_org.clone());
    store::emit(
        &ctx,
        events::PRESCRIPTION_DELIVERED,
        &event(&after, pharmacy),
    )?;
    Ok(after)
}

/// `CancelPrescription(prescription_id)`: the prescribing doctor (the same identity), before
/// it is dispensed.
pub async fn cancel(
    env: Arc<Env>,
    ctx: Context,
    prescription_id: String,
) -> MedResult<MedicationRequest> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Doctor], Some(OrgKind::Hospital))?;
    validate::id("prescription_id", &prescription_id)?;
    let (key, before) = load(&ctx, &prescription_id).await?;
    if caller.msp_id != before.prescriber_org || caller.client_id != before.prescriber.id {
        return Err(caller.forbidden("only the prescribing doctor may cancel a prescription"));
    }
    if before.status != PrescriptionStatus::Issued {
        return Err(MedError::Conflict(format!(
            "prescription {prescription_id} is {}; only an issued prescription can be cancelled",
            before.status
        )));
    }
    let mut after = before.clone();
    after.status = PrescriptionStatus::Cancelled;
    after.cancelled_at = Some(store::now(&ctx)?);
    save_transition(&ctx, &key, &before, &after).await?;
    store::emit(&ctx, events::PRESCRIPTION_CANCELLED, &event(&after, None))?;
    Ok(after)
}

/// `ListPrescriptions(patient_id, status, page_size, bookmark)`.
///
/// - With a `patient_id`: that patient's prescriptions (of `status` if given), for the
///   patient, the home hospital's staff and auditors.
/// - Without: the caller's own organisation's prescriptions in `status` (required), as
///   prescriber (hospitals) or dispensing pharmacy (pharmacies).
pub async fn list(
    env: Arc<Env>,
    ctx: Context,
    patient_id: String,
    status: Arg<Option<PrescriptionStatus>>,
    page_size: Arg<u32>,
    bookmark: String,
) -> MedResult<Page<MedicationRequest>> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    if caller.role.is_none() || caller.kind.is_none() {
        return Err(caller.forbidden(
            "only members of the consortium with a medical role may list prescriptions",
        ));
    }
    let status = status.parse("status")?;
    let request = PageRequest::new(page_size.parse("page_size")?, &bookmark)?;
    let (index, owner) = if patient_id.is_empty() {
        if status.is_none() {
            return Err(MedError::bad_input(
                "status",
                "required when patient_id is empty (lists your organisation's prescriptions in that status)",
            ));
        }
        if !caller.has_role(&[
            Role::Doctor,
            Role::Nurse,
            Role::Clerk,
            Role::Pharmacist,
            Role::Auditor,
        ]) || !matches!(caller.kind, Some(OrgKind::Hospital | OrgKind::Pharmacy))
        {
            return Err(caller.forbidden(
                "only staff of a hospital or pharmacy may list their organisation's prescriptions",
            ));
        }
        (types::PRESCRIPTION_BY_ORG, caller.msp_id.clone())
    } else {
        validate::id("patient_id", &patient_id)?;
        let patient = patients::load(&ctx, &patient_id).await?;
        if !patients::may_read_patient_data(&caller, &patient) {
            return Err(caller.forbidden(
                "only the patient, the home hospital's staff or an auditor may list a patient's prescriptions",
            ));
        }
        (types::PRESCRIPTION_BY_PATIENT, patient_id)
    };
    let (items, bookmark) = match status {
        Some(status) => {
            store::page_indexed_where(
                &ctx,
                index,
                &[&owner],
                types::PRESCRIPTION,
                &request,
                |rx: &MedicationRequest| rx.status == status,
            )
            .await?
        }
        None => store::page_indexed(&ctx, index, &[&owner], types::PRESCRIPTION, &request).await?,
    };
    Ok(Page { items, bookmark })
}
