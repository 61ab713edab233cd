//! Insurance claims (FHIR `Claim` / `ClaimResponse`): submitted by a hospital to an insurer
//! with the patient's consent, adjudicated and paid by the insurer. Amounts stay private.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::commitment::{Commitment, Salt};
use crate::enums::string_enum;
use crate::error::ValidationError;
use crate::money::{Krw, MAX_KRW};
use crate::time::Timestamp;
use crate::validate;

string_enum! {
    /// A claim's status.
    pub enum ClaimStatus {
        /// Submitted, waiting for the insurer.
        Submitted = "submitted",
        /// Approved in full.
        Approved = "approved",
        /// Approved in part (reason codes say why).
        PartiallyApproved = "partially_approved",
        /// Rejected (reason codes say why).
        Rejected = "rejected",
        /// Paid.
        Paid = "paid",
    }
}

string_enum! {
    /// The insurer's decision (FHIR `ClaimResponse.outcome`, in this ledger's words).
    pub enum ClaimOutcome {
        /// Approved in full.
        Approved = "approved",
        /// Approved in part.
        PartiallyApproved = "partially_approved",
        /// Rejected.
        Rejected = "rejected",
    }
}

impl ClaimOutcome {
    /// The claim status this decision leads to.
    pub fn status(self) -> ClaimStatus {
        match self {
            ClaimOutcome::Approved => ClaimStatus::Approved,
            ClaimOutcome::PartiallyApproved => ClaimStatus::PartiallyApproved,
            ClaimOutcome::Rejected => ClaimStatus::Rejected,
        }
    }
}

/// One claimed line: a fee-schedule code, a quantity, a unit price and their product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimItem {
    /// Fee-schedule code (수가코드).
    pub code: String,
    /// Quantity (≥ 1).
    pub quantity: u32,
    /// Unit price.
    pub unit_price: Krw,
    /// `quantity × unit_price`.
    pub amount: Krw,
}

/// The private content of a claim, sent in the transient map (`claim`) and kept in the
/// provider–insurer collection. Its canonical JSON, salted, is the public `content_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimDetails {
    /// KCD-8 diagnosis codes (1-10).
    pub diagnosis_codes: Vec<String>,
    /// The lines (1-200).
    pub items: Vec<ClaimItem>,
    /// The sum of the lines' amounts.
    pub total: Krw,
}

impl ClaimDetails {
    /// Checks codes, quantities, each line's product and the total (no overflow).
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate::list("diagnosis_codes", &self.diagnosis_codes, 10)?;
        for (i, c) in self.diagnosis_codes.iter().enumerate() {
            validate::kcd_code(&format!("diagnosis_codes[{i}]"), c)?;
        }
        if self.items.is_empty() || self.items.len() > 200 {
            return Err(ValidationError::new("items", "expected 1 to 200 items"));
        }
        let mut total = Krw(0);
        for (i, item) in self.items.iter().enumerate() {
            let at = |f: &str| format!("items[{i}].{f}");
            validate::fee_code(&at("code"), &item.code)?;
            if item.quantity == 0 {
                return Err(ValidationError::new(at("quantity"), "must be at least 1"));
            }
            if item.unit_price.0 > MAX_KRW {
                return Err(ValidationError::new(
                    at("unit_price"),
                    format!("at most {MAX_KRW} KRW"),
                ));
            }
            let product = item.unit_price.checked_mul(u64::from(item.quantity));
            if product != Some(item.amount) || item.amount.0 > MAX_KRW {
                return Err(ValidationError::new(
                    at("amount"),
                    format!(
                        "must equal quantity × unit_price ({} × {}) and be at most {MAX_KRW} KRW",
                        item.quantity, item.unit_price.0
                    ),
                ));
            }
            total = total
                .checked_add(item.amount)
                .ok_or_else(|| ValidationError::new("total", "the sum overflows"))?;
        }
        if total != self.total {
            return Err(ValidationError::new(
                "total",
                format!("must equal the sum of the items' amounts ({})", total.0),
            ));
        }
        Ok(())
    }
}

/// The insurer's decision details (FHIR `ClaimResponse`), sent in the transient map
/// (`decision`) and kept in the provider–insurer collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimResponse {
    /// The decision (must match the `outcome` argument).
    pub outcome: ClaimOutcome,
    /// What the insurer pays.
    pub insurer_amount: Krw,
    /// What the patient pays (본인부담금).
    pub patient_share: Krw,
    /// Review reason codes (needed unless approved in full).
    #[serde(default)]
    pub reason_codes: Vec<String>,
}

impl ClaimResponse {
    /// Checks the decision against the claimed total: approved = the amounts add up to the
    /// total; partially approved = they add up to less, with reason codes; rejected = the
    /// insurer pays nothing, with reason codes.
    pub fn validate(&self, claimed: Krw) -> Result<(), ValidationError> {
        for (i, c) in self.reason_codes.iter().enumerate() {
            validate::reason_code(&format!("reason_codes[{i}]"), c)?;
        }
        if self.reason_codes.len() > 20 {
            return Err(ValidationError::new("reason_codes", "at most 20 codes"));
        }
        let covered = self
            .insurer_amount
            .checked_add(self.patient_share)
            .ok_or_else(|| ValidationError::new("insurer_amount", "the sum overflows"))?;
        match self.outcome {
            ClaimOutcome::Approved => {
                if covered != claimed {
                    return Err(ValidationError::new(
                        "insurer_amount",
                        format!(
                            "insurer_amount + patient_share must equal the claimed total ({}) when approved",
                            claimed.0
                        ),
                    ));
                }
            }
            ClaimOutcome::PartiallyApproved => {
                if covered >= claimed || self.insurer_amount.0 == 0 {
                    return Err(ValidationError::new(
                        "insurer_amount",
                        format!(
                            "when partially approved the insurer pays something and insurer_amount + patient_share stays below the claimed total ({})",
                            claimed.0
                        ),
                    ));
                }
                if self.reason_codes.is_empty() {
                    return Err(ValidationError::new(
                        "reason_codes",
                        "give at least one reason code when not approved in full",
                    ));
                }
            }
            ClaimOutcome::Rejected => {
                if self.insurer_amount.0 != 0 {
                    return Err(ValidationError::new(
                        "insurer_amount",
                        "must be 0 when rejected",
                    ));
                }
                if self.reason_codes.is_empty() {
                    return Err(ValidationError::new(
                        "reason_codes",
                        "give at least one reason code when rejected",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A payment, sent in the transient map (`payment`) and kept in the collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimPayment {
    /// The insurer's payment reference (an id: letters, digits, `.`, `_`, `-`).
    pub payment_reference: String,
}

/// What the provider–insurer collection keeps of a claim: details, decision and payment, each
/// with the salt of its public hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClaimDetailsPrivate {
    /// The details.
    pub details: ClaimDetails,
    /// The salt of `Claim::content_hash`.
    pub salt: Salt,
}

/// The decision as kept in the collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClaimResponsePrivate {
    /// The decision.
    pub response: ClaimResponse,
    /// The salt of `Claim::decision_hash`.
    pub salt: Salt,
}

/// A claim on the public ledger. No amounts, no items, no diagnoses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Claim {
    /// The claim's id.
    pub claim_id: String,
    /// The patient.
    pub patient_id: String,
    /// MSP id of the provider (the hospital).
    pub provider: String,
    /// MSP id of the insurer.
    pub insurer: String,
    /// The encounter records claimed (ids of `encounter` records of the provider).
    pub encounter_ids: Vec<String>,
    /// Its status.
    pub status: ClaimStatus,
    /// `SHA-256(salt ‖ canonical JSON of the details)`.
    pub content_hash: Commitment,
    /// The clerk who submitted it.
    pub submitted_by: Actor,
    /// Transaction time of the submission.
    pub submitted_at: Timestamp,
    /// `SHA-256(salt ‖ canonical JSON of the decision)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_hash: Option<Commitment>,
    /// Transaction time of the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// Transaction time of the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<Timestamp>,
}

/// What `GetClaim` returns: the public record, and for the provider and the insurer (and the
/// patient) the private parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClaimView {
    /// The public record.
    pub claim: Claim,
    /// The details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<ClaimDetails>,
    /// The decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ClaimResponse>,
    /// The payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<ClaimPayment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> ClaimDetails {
        serde_json::from_str(
            r#"{"diagnosis_codes":["J20.9"],"items":[
                {"code":"AA154","quantity":1,"unit_price":17610,"amount":17610},
                {"code":"B0010","quantity":2,"unit_price":1500,"amount":3000}],"total":20610}"#,
        )
        .unwrap()
    }

    #[test]
    fn details_add_up() {
        assert!(details().validate().is_ok());
        let mut d = details();
        d.items[1].amount = Krw(3001);
        assert_eq!(d.validate().unwrap_err().field, "items[1].amount");
        let mut d = details();
        d.total = Krw(1);
        assert_eq!(d.validate().unwrap_err().field, "total");
        let mut d = details();
        d.items[0].quantity = 0;
        assert_eq!(d.validate().unwrap_err().field, "items[0].quantity");
        let mut d = details();
        d.diagnosis_codes = vec!["flu".into()];
        assert_eq!(d.validate().unwrap_err().field, "diagnosis_codes[0]");
        let mut d = details();
        d.items[0].unit_price = Krw(u64::MAX);
        d.items[0].quantity = 2;
        assert!(d.validate().is_err());
    }

    #[test]
    fn decisions_match_the_total() {
        let r = |outcome, ins, share, codes: &[&str]| ClaimResponse {
            outcome,
            insurer_amount: Krw(ins),
            patient_share: Krw(share),
            reason_codes: codes.iter().map(|s| s.to_string()).collect(),
        };
        let total = Krw(20_610);
        assert!(
            r(ClaimOutcome::Approved, 14_427, 6_183, &[])
                .validate(total)
                .is_ok()
        );
        assert_eq!(
            r(ClaimOutcome::Approved, 14_000, 6_183, &[])
                .validate(total)
                .unwrap_err()
                .field,
            "insurer_amount"
        );
        assert!(
            r(ClaimOutcome::PartiallyApproved, 10_000, 5_000, &["B1"])
                .validate(total)
                .is_ok()
        );
        assert_eq!(
            r(ClaimOutcome::PartiallyApproved, 10_000, 5_000, &[])
                .validate(total)
                .unwrap_err()
                .field,
            "reason_codes"
        );
        assert!(
            r(ClaimOutcome::Rejected, 0, 0, &["A1"])
                .validate(total)
                .is_ok()
        );
        assert_eq!(
            r(ClaimOutcome::Rejected, 1, 0, &["A1"])
                .validate(total)
                .unwrap_err()
                .field,
            "insurer_amount"
        );
        assert_eq!(
            r(ClaimOutcome::Rejected, 0, 0, &["a"])
                .validate(total)
                .unwrap_err()
                .field,
            "reason_codes[0]"
        );
    }
}
