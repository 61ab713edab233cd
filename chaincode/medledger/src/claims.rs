//! Claims: `SubmitClaim`, `AdjudicateClaim`, `PayClaim`, `GetClaim`, `ListClaims`.
//!
//! submitted → approved | partially_approved | rejected → paid (approved ones only). The claim
//! key carries a key-level endorsement policy: the provider's AND the insurer's peers must
//! endorse every later change. Items, amounts, decisions and payments stay in the
//! provider–insurer collection; the public record holds their salted hashes.

use std::sync::Arc;

use fabric_chaincode::contract::Context;
use fabric_sdk::policy::statebased::{KeyEndorsementPolicy, RoleType};
use medledger_model::{
    Claim, ClaimDetails, ClaimDetailsPrivate, ClaimOutcome, ClaimPayment, ClaimResponse,
    ClaimResponsePrivate, ClaimStatus, ClaimView, ConsentPurpose, EventPayload, MedicalRecord,
    OrgKind, Page, RecordCategory, Role, commit_json, events, validate,
};

use crate::Env;
use crate::args::Arg;
use crate::caller::Caller;
use crate::consents;
use crate::error::{MedError, MedResult};
use crate::keys::{self, types};
use crate::patients;
use crate::store::{self, PageRequest};

/// Most encounters one claim may cover.
pub const MAX_ENCOUNTERS: usize = 20;

async fn load(ctx: &Context, claim_id: &str) -> MedResult<(String, Claim)> {
    let key = keys::primary(types::CLAIM, claim_id)?;
    let claim = store::get(ctx, &key)
        .await?
        .ok_or_else(|| MedError::NotFound(format!("claim {claim_id}")))?;
    Ok((key, claim))
}

/// The claim's one organisation index key: by provider and insurer. A provider's claims are
/// its partial key `(provider)`, an insurer's the partial keys `(hospital, insurer)` of every
/// hospital. It holds no status, so a status change moves nothing (lists filter on the claim's
/// status).
fn pair_key(c: &Claim) -> MedResult<String> {
    keys::key(
        types::CLAIM_BY_PAIR,
        &[&c.provider, &c.insurer, c.claim_id.as_str()],
    )
}

/// The collection of a provider–insurer pair (the claim's details, decision and payment).
fn collection(env: &Env, provider: &str, insurer: &str) -> MedResult<String> {
    env.consortium
        .claims_collection(provider, insurer)
        .ok_or_else(|| {
            MedError::Internal(format!("no claims collection for {provider} and {insurer}"))
        })
}

fn event(c: &Claim) -> EventPayload {
    EventPayload {
        id: c.claim_id.clone(),
        patient_id: Some(c.patient_id.clone()),
        status: Some(c.status.to_string()),
        org: Some(c.insurer.clone()),
    }
}

/// `SubmitClaim(claim_id, patient_id, insurer, encounter_ids)`, transient `claim` (diagnosis
/// codes, items, total) and `salt`.
///
/// Rule: a clerk of a hospital (the provider), with the patient's insurance_claim consent for
/// that insurer in force; each encounter is an `encounter` record of this patient held by the
/// provider, and claimed at most once per insurer.
pub async fn submit(
    env: Arc<Env>,
    ctx: Context,
    claim_id: String,
    patient_id: String,
    insurer: String,
    encounter_ids: Arg<Vec<String>>,
) -> MedResult<Claim> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Clerk], Some(OrgKind::Hospital))?;
    let claim_id = store::id_or_derived(&ctx, "claim_id", &claim_id, "CLM")?;
    validate::id("patient_id", &patient_id)?;
    validate::msp_id("insurer", &insurer)?;
    if env.consortium.kind_of(&insurer) != Some(OrgKind::Insurer) {
        return Err(MedError::bad_input(
            "insurer",
            format!("{insurer} is not an insurer of the consortium"),
        ));
    }
    let encounter_ids = encounter_ids.parse("encounter_ids")?;
    validate::list("encounter_ids", &encounter_ids, MAX_ENCOUNTERS)?;
    for (i, e) in encounter_ids.iter().enumerate() {
        validate::id(&format!("encounter_ids[{i}]"), e)?;
    }
    let details: ClaimDetails = store::require_transient(
        &ctx,
        "claim",
        "the claim's diagnosis codes, items and total (JSON)",
    )?;
    details.validate().map_err(|e| e.within("claim"))?;
    let salt = store::transient_salt(&ctx)?;
    let provider = caller.msp_id.clone();
    let collection = collection(&env, &provider, &insurer)?;

    // The patient, their active consents to the insurer, the claim's key, the encounters and
    // their claim markers in one read; the checks below still run in the documented order.
    let patient_key = keys::primary(types::PATIENT, &patient_id)?;
    let consents_key = consents::active_key(&patient_id, &insurer, ConsentPurpose::InsuranceClaim)?;
    let key = keys::primary(types::CLAIM, &claim_id)?;
    let record_keys = encounter_ids
        .iter()
        .map(|e| keys::primary(types::RECORD, e))
        .collect::<MedResult<Vec<_>>>()?;
    let encounter_keys = encounter_ids
        .iter()
        .map(|e| keys::key(types::CLAIM_BY_ENCOUNTER, &[&insurer, e]))
        .collect::<MedResult<Vec<_>>>()?;
    let mut wanted = vec![patient_key.as_str(), consents_key.as_str(), key.as_str()];
    wanted.extend(record_keys.iter().map(String::as_str));
    wanted.extend(encounter_keys.iter().map(String::as_str));
    let mut values = store::get_raw_many(&ctx, &wanted).await?.into_iter();
    let mut next = || values.next().flatten();
    let patient = store::decode_opt(&patient_key, next().as_deref())?;
    let active_consents = next();
    let claim_exists = next().is_some();
    let records = record_keys.iter().map(|_| next()).collect::<Vec<_>>();
    let claimed = encounter_keys.iter().map(|_| next()).collect::<Vec<_>>();

    patients::require_active(&patient_id, patient)?;
    let now = store::now(&ctx)?;
    if consents::first_allowing(
        &consents_key,
        active_consents.as_deref(),
        &insurer,
        ConsentPurpose::InsuranceClaim,
        None,
        now,
    )?
    .is_none()
    {
        return Err(caller.forbidden(format!(
            "no insurance_claim consent of patient {patient_id} for {insurer} is in force"
        )));
    }
    if claim_exists {
        return Err(MedError::Conflict(format!(
            "claim {claim_id} already exists"
        )));
    }
    let encounters = encounter_ids
        .iter()
        .zip(&record_keys)
        .zip(records)
        .zip(claimed);
    for (i, (((e, record_key), record), existing)) in encounters.enumerate() {
        let field = format!("encounter_ids[{i}]");
        let record: MedicalRecord = store::decode_opt(record_key, record.as_deref())?
            .ok_or_else(|| MedError::NotFound(format!("record {e}")))?;
        if record.patient_id != patient_id {
            return Err(MedError::bad_input(
                field,
                format!("record {e} is not a record of patient {patient_id}"),
            ));
        }
        if record.org != provider {
            return Err(MedError::bad_input(
                field,
                format!("record {e} is held by {}, not by the provider", record.org),
            ));
        }
        if record.category != RecordCategory::Encounter {
            return Err(MedError::bad_input(
                field,
                format!(
                    "record {e} is a {} record, not an encounter",
                    record.category
                ),
            ));
        }
        if let Some(existing) = existing {
            return Err(MedError::Conflict(format!(
                "encounter {e} is already claimed at {insurer} (claim {})",
                String::from_utf8_lossy(&existing)
            )));
        }
    }

    let claim = Claim {
        claim_id: claim_id.clone(),
        patient_id: patient_id.clone(),
        provider: provider.clone(),
        insurer: insurer.clone(),
        encounter_ids,
        status: ClaimStatus::Submitted,
        content_hash: commit_json(&salt, &details)?,
        submitted_by: caller.actor()?,
        submitted_at: now,
        decision_hash: None,
        decided_at: None,
        paid_at: None,
    };
    let mut policy = KeyEndorsementPolicy::new();
    policy
        .add_orgs(RoleType::Peer, &[provider.as_str(), insurer.as_str()])
        .map_err(|e| MedError::Internal(format!("key-level endorsement policy: {e}")))?;
    let policy = policy
        .to_bytes()
        .map_err(|e| MedError::Internal(format!("key-level endorsement policy: {e}")))?;

    store::put(&ctx, &key, &claim).await?;
    ctx.stub()
        .set_state_validation_parameter(&key, policy)
        .await?;
    store::put_index(&ctx, &pair_key(&claim)?).await?;
    for ek in &encounter_keys {
        ctx.stub()
            .put_state(ek, claim_id.clone().into_bytes())
            .await?;
    }
    store::put_private(
        &ctx,
        &collection,
        &keys::primary(types::CLAIM_DETAILS, &claim_id)?,
        &ClaimDetailsPrivate { details, salt },
    )
    .await?;
    store::emit(&ctx, events::CLAIM_SUBMITTED, &event(&claim))?;
    Ok(claim)
}

/// `AdjudicateClaim(claim_id, outcome)`, transient `decision` (the `ClaimResponse`: outcome,
/// insurer amount, patient share, reason codes) and `salt`.
///
/// Rule: a claims officer of the claim's insurer, while the claim is submitted. The decision
/// must fit the claimed total (read from the collection: the insurer is a member).
pub async fn adjudicate(
    env: Arc<Env>,
    ctx: Context,
    claim_id: String,
    outcome: Arg<ClaimOutcome>,
) -> MedResult<Claim> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::ClaimsOfficer], Some(OrgKind::Insurer))?;
    validate::id("claim_id", &claim_id)?;
    let outcome = outcome.parse("outcome")?;
    let response: ClaimResponse = store::require_transient(
        &ctx,
        "decision",
        "the decision (JSON: outcome, insurer_amount, patient_share, reason_codes)",
    )?;
    if response.outcome != outcome {
        return Err(MedError::bad_input(
            "decision.outcome",
            format!("must equal the outcome argument ({outcome})"),
        ));
    }
    let salt = store::transient_salt(&ctx)?;
    let (key, mut claim) = load(&ctx, &claim_id).await?;
    if caller.msp_id != claim.insurer {
        return Err(caller.forbidden(format!(
            "only the claim's insurer ({}) may adjudicate it",
            claim.insurer
        )));
    }
    if claim.status != ClaimStatus::Submitted {
        return Err(MedError::Conflict(format!(
            "claim {claim_id} is {}; only a submitted claim can be adjudicated",
            claim.status
        )));
    }
    let collection = collection(&env, &claim.provider, &claim.insurer)?;
    let details: ClaimDetailsPrivate = store::get_private(
        &ctx,
        &collection,
        &keys::primary(types::CLAIM_DETAILS, &claim_id)?,
    )
    .await?
    .ok_or_else(|| {
        MedError::Conflict(format!(
            "the details of claim {claim_id} are no longer on the ledger"
        ))
    })?;
    response
        .validate(details.details.total)
        .map_err(|e| e.within("decision"))?;

    claim.status = outcome.status();
    claim.decision_hash = Some(commit_json(&salt, &response)?);
    claim.decided_at = Some(store::now(&ctx)?);
    store::put(&ctx, &key, &claim).await?;
    store::put_private(
        &ctx,
        &collection,
        &keys::primary(types::CLAIM_RESPONSE, &claim_id)?,
        &ClaimResponsePrivate { response, salt },
    )
    .await?;
    store::emit(&ctx, events::CLAIM_ADJUDICATED, &event(&claim))?;
    Ok(claim)
}

/// `PayClaim(claim_id)`, transient `payment` (`payment_reference`).
///
/// Rule: a claims officer of the claim's insurer, once the claim is approved or partially
/// approved. A rejected claim is never paid.
pub async fn pay(env: Arc<Env>, ctx: Context, claim_id: String) -> MedResult<Claim> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::ClaimsOfficer], Some(OrgKind::Insurer))?;
    validate::id("claim_id", &claim_id)?;
    let payment: ClaimPayment =
        store::require_transient(&ctx, "payment", "the payment (JSON: payment_reference)")?;
    validate::id("payment.payment_reference", &payment.payment_reference)?;
    let (key, mut claim) = load(&ctx, &claim_id).await?;
    if caller.msp_id != claim.insurer {
        return Err(caller.forbidden(format!(
            "only the claim's insurer ({}) may pay it",
            claim.insurer
        )));
    }
    if !matches!(
        claim.status,
        ClaimStatus::Approved | ClaimStatus::PartiallyApproved
    ) {
        return Err(MedError::Conflict(format!(
            "claim {claim_id} is {}; only an approved or partially approved claim can be paid",
            claim.status
        )));
    }
    let collection = collection(&env, &claim.provider, &claim.insurer)?;
    claim.status = ClaimStatus::Paid;
    claim.paid_at = Some(store::now(&ctx)?);
    store::put(&ctx, &key, &claim).await?;
    store::put_private(
        &ctx,
        &collection,
        &keys::primary(types::CLAIM_PAYMENT, &claim_id)?,
        &payment,
    )
    .await?;
    store::emit(&ctx, events::CLAIM_PAID, &event(&claim))?;
    Ok(claim)
}

/// Who may read a claim: the provider's clerks and auditors, the insurer's claims officers and
/// auditors, the patient, and auditors.
pub(crate) async fn may_read(ctx: &Context, caller: &Caller, claim: &Claim) -> MedResult<bool> {
    if caller.is_staff_of(&claim.provider, &[Role::Clerk, Role::Auditor])
        || caller.is_staff_of(&claim.insurer, &[Role::ClaimsOfficer, Role::Auditor])
        || caller.has_role(&[Role::Auditor])
    {
        return Ok(true);
    }
    if caller.has_role(&[Role::Patient]) {
        let patient = patients::load(ctx, &claim.patient_id).await?;
        return Ok(caller.is_patient(&patient));
    }
    Ok(false)
}

/// `GetClaim(claim_id)`: the public record for the readers above; the details, decision and
/// payment for the provider's and insurer's staff and the patient when their organisation is a
/// member of the claim's collection.
pub async fn get(env: Arc<Env>, ctx: Context, claim_id: String) -> MedResult<ClaimView> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    validate::id("claim_id", &claim_id)?;
    let (_, claim) = load(&ctx, &claim_id).await?;
    if !may_read(&ctx, &caller, &claim).await? {
        return Err(caller.forbidden(
            "only the provider, the insurer, the patient or an auditor may read a claim",
        ));
    }
    let member = caller.msp_id == claim.provider || caller.msp_id == claim.insurer;
    let mut view = ClaimView {
        claim,
        details: None,
        response: None,
        payment: None,
    };
    if member && !caller.has_role(&[Role::Auditor]) {
        let c = collection(&env, &view.claim.provider, &view.claim.insurer)?;
        let id = view.claim.claim_id.clone();
        view.details = store::get_private::<ClaimDetailsPrivate>(
            &ctx,
            &c,
            &keys::primary(types::CLAIM_DETAILS, &id)?,
        )
        .await?
        .map(|p| p.details);
        view.response = store::get_private::<ClaimResponsePrivate>(
            &ctx,
            &c,
            &keys::primary(types::CLAIM_RESPONSE, &id)?,
        )
        .await?
        .map(|p| p.response);
        view.payment =
            store::get_private(&ctx, &c, &keys::primary(types::CLAIM_PAYMENT, &id)?).await?;
    }
    Ok(view)
}

/// `ListClaims(provider, insurer, status, page_size, bookmark)`: the claims of a provider, of
/// an insurer, or of the pair, optionally in one status. The caller's organisation must be the
/// provider or the insurer asked about (clerks, claims officers, auditors).
pub async fn list(
    env: Arc<Env>,
    ctx: Context,
    provider: String,
    insurer: String,
    status: Arg<Option<ClaimStatus>>,
    page_size: Arg<u32>,
    bookmark: String,
) -> MedResult<Page<Claim>> {
    let caller = Caller::load(&ctx, &env.consortium)?;
    caller.require(&[Role::Clerk, Role::ClaimsOfficer, Role::Auditor], None)?;
    if !provider.is_empty() {
        validate::msp_id("provider", &provider)?;
    }
    if !insurer.is_empty() {
        validate::msp_id("insurer", &insurer)?;
    }
    let status = status.parse("status")?;
    let request = PageRequest::new(page_size.parse("page_size")?, &bookmark)?;
    // The partial keys of `ClaimByPair` to read, in order: a provider's claims are one partial
    // key; an insurer's are one per hospital (listed by hospital, then claim id).
    let partitions: Vec<Vec<&str>> = match (provider.is_empty(), insurer.is_empty()) {
        (true, true) => {
            return Err(MedError::bad_input(
                "provider",
                "give a provider, an insurer or both",
            ));
        }
        (false, true) => vec![vec![provider.as_str()]],
        (true, false) => {
            let mut each: Vec<Vec<&str>> = env
                .consortium
                .of_kind(OrgKind::Hospital)
                .map(|h| vec![h.msp_id.as_str(), insurer.as_str()])
                .collect();
            each.sort_unstable();
            each
        }
        (false, false) => vec![vec![provider.as_str(), insurer.as_str()]],
    };
    if caller.msp_id != provider && caller.msp_id != insurer {
        return Err(
            caller.forbidden("an organisation may list only the claims it provides or insures")
        );
    }
    let (items, bookmark) = store::page_indexed_across(
        &ctx,
        types::CLAIM_BY_PAIR,
        &partitions,
        types::CLAIM,
        &request,
        |c: &Claim| status.is_none_or(|s| c.status == s),
    )
    .await?;
    Ok(Page { items, bookmark })
}
