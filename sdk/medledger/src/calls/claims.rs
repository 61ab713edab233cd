//! Claims: `SubmitClaim`, `AdjudicateClaim`, `PayClaim`, `GetClaim`, `ListClaims`.

use medledger_model::{
    Claim, ClaimDetails, ClaimPayment, ClaimResponse, ClaimStatus, ClaimView, Page,
};

use super::id_or_derive;
use crate::call::{Call, CallKind, json_arg, optional};
use crate::client::{Committed, MedLedgerClient};
use crate::error::Result;

/// `SubmitClaim(claim_id, patient_id, insurer, encounter_ids)`, transient `claim` (diagnosis
/// codes, items and total in integer KRW) and `salt` (drawn here). The answer's
/// `content_hash` is checked against the hash computed here.
pub fn submit_claim(
    claim_id: Option<&str>,
    patient_id: &str,
    insurer: &str,
    encounter_ids: &[String],
    details: &ClaimDetails,
) -> Result<Call<Claim>> {
    const F: &str = "SubmitClaim";
    Call::new(F, CallKind::Submit)
        .arg(id_or_derive(claim_id))
        .arg(patient_id)
        .arg(insurer)
        .arg(json_arg(F, "encounter_ids", encounter_ids)?)
        .transient_json_committed("claim", details, "content_hash", |c: &Claim| {
            Some(&c.content_hash)
        })
}

/// `AdjudicateClaim(claim_id, outcome)`, transient `decision` (outcome, insurer amount,
/// patient share, reason codes) and `salt` (drawn here). The outcome argument is the
/// decision's. The answer's `decision_hash` is checked against the hash computed here.
pub fn adjudicate_claim(claim_id: &str, decision: &ClaimResponse) -> Result<Call<Claim>> {
    Call::new("AdjudicateClaim", CallKind::Submit)
        .arg(claim_id)
        .arg(decision.outcome.as_str())
        .transient_json_committed("decision", decision, "decision_hash", |c: &Claim| {
            c.decision_hash.as_ref()
        })
}

/// `PayClaim(claim_id)`, transient `payment` (`payment_reference`).
pub fn pay_claim(claim_id: &str, payment_reference: &str) -> Result<Call<Claim>> {
    Call::new("PayClaim", CallKind::Submit)
        .arg(claim_id)
        .transient_json(
            "payment",
            &ClaimPayment {
                payment_reference: payment_reference.to_owned(),
            },
        )
}

/// `GetClaim(claim_id)`.
pub fn get_claim(claim_id: &str) -> Call<ClaimView> {
    Call::new("GetClaim", CallKind::Evaluate).arg(claim_id)
}

/// `ListClaims(provider, insurer, status, page_size, bookmark)`: give the provider, the
/// insurer or both.
pub fn list_claims(
    provider: Option<&str>,
    insurer: Option<&str>,
    status: Option<ClaimStatus>,
    page_size: u32,
    bookmark: &str,
) -> Call<Page<Claim>> {
    Call::new("ListClaims", CallKind::Evaluate)
        .arg(provider.unwrap_or_default())
        .arg(insurer.unwrap_or_default())
        .arg(optional(status))
        .arg(page_size.to_string())
        .arg(bookmark)
}

impl MedLedgerClient {
    /// `SubmitClaim`: a hospital clerk claims encounters (its `encounter` records of the
    /// patient) from an insurer; needs the patient's insurance_claim consent for that
    /// insurer. The details go (transient) into the hospital–insurer claims collection. Event
    /// `ClaimSubmitted` (org: insurer). Refusals: 400 (`claim.items[0].amount`,
    /// `encounter_ids[1]`…), 403 (no consent), 404, 409 (encounter already claimed).
    pub async fn submit_claim(
        &self,
        claim_id: Option<&str>,
        patient_id: &str,
        insurer: &str,
        encounter_ids: &[String],
        details: &ClaimDetails,
    ) -> Result<Committed<Claim>> {
        self.submit(submit_claim(
            claim_id,
            patient_id,
            insurer,
            encounter_ids,
            details,
        )?)
        .await
    }

    /// `AdjudicateClaim`: a claims officer of the claim's insurer decides a submitted claim
    /// (approved: amounts add up to the total; partially approved: less, with reason codes;
    /// rejected: 0, with reason codes). Event `ClaimAdjudicated`.
    pub async fn adjudicate_claim(
        &self,
        claim_id: &str,
        decision: &ClaimResponse,
    ) -> Result<Committed<Claim>> {
        self.submit(adjudicate_claim(claim_id, decision)?).await
    }

    /// `PayClaim`: a claims officer of the insurer records the payment of an approved or
    /// partially approved claim. Event `ClaimPaid`.
    pub async fn pay_claim(
        &self,
        claim_id: &str,
        payment_reference: &str,
    ) -> Result<Committed<Claim>> {
        self.submit(pay_claim(claim_id, payment_reference)?).await
    }

    /// `GetClaim`: the public claim; with details, decision and payment for the provider's
    /// and insurer's staff and the patient.
    pub async fn get_claim(&self, claim_id: &str) -> Result<ClaimView> {
        self.evaluate(get_claim(claim_id)).await
    }

    /// `ListClaims`: one page of a provider's and/or insurer's claims.
    pub async fn list_claims(
        &self,
        provider: Option<&str>,
        insurer: Option<&str>,
        status: Option<ClaimStatus>,
        page_size: u32,
        bookmark: &str,
    ) -> Result<Page<Claim>> {
        self.evaluate(list_claims(provider, insurer, status, page_size, bookmark))
            .await
    }
}
