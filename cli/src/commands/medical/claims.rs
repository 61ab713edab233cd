//! `medledger claim submit|adjudicate|pay|get|list`.

use super::{bad_flag, pairs, query, query_page, read_json, transact};
use crate::cli::{ClaimAdjudicateArgs, ClaimListArgs, ClaimPayArgs, ClaimSubmitArgs, IdArg};
use crate::context::Context;
use medledger_model::{ClaimDetails, ClaimItem, ClaimResponse, Krw};

/// `code=…,quantity=…,unit_price=…`; the amount is quantity × unit price.
fn item(text: &str) -> anyhow::Result<ClaimItem> {
    const FLAG: &str = "item";
    let (mut code, mut quantity, mut unit_price) = (None, None, None);
    for (k, v) in pairs(FLAG, text)? {
        let number = |what: &str| {
            v.parse::<u64>()
                .map_err(|_| bad_flag(FLAG, format!("{what} must be a whole number")))
        };
        match k {
            "code" => code = Some(v.to_owned()),
            "quantity" => {
                quantity = Some(
                    u32::try_from(number("quantity")?)
                        .map_err(|_| bad_flag(FLAG, "quantity is too large"))?,
                )
            }
            "unit_price" => unit_price = Some(Krw(number("unit_price")?)),
            other => {
                return Err(bad_flag(
                    FLAG,
                    format!("unknown key {other:?} (expected code, quantity, unit_price)"),
                ));
            }
        }
    }
    let need = |key: &str| bad_flag(FLAG, format!("{key}= is missing"));
    let quantity = quantity.ok_or_else(|| need("quantity"))?;
    let unit_price = unit_price.ok_or_else(|| need("unit_price"))?;
    let amount = unit_price
        .checked_mul(u64::from(quantity))
        .ok_or_else(|| bad_flag(FLAG, "the amount overflows"))?;
    Ok(ClaimItem {
        code: code.ok_or_else(|| need("code"))?,
        quantity,
        unit_price,
        amount,
    })
}

/// `medledger claim submit`.
pub fn submit(ctx: &Context, args: &ClaimSubmitArgs) -> anyhow::Result<()> {
    let details = match &args.file {
        Some(path) => read_json::<ClaimDetails>(path, "claim file")?,
        None => {
            let items = args
                .items
                .iter()
                .map(|i| item(i))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let total = items
                .iter()
                .try_fold(Krw(0), |sum, i| sum.checked_add(i.amount))
                .ok_or_else(|| bad_flag("item", "the total overflows"))?;
            ClaimDetails {
                diagnosis_codes: args.diagnoses.clone(),
                items,
                total,
            }
        }
    };
    transact(
        ctx,
        &args.patient.target,
        "submitting the claim",
        "Claim submitted",
        vec![],
        async |client| {
            client
                .submit_claim(
                    args.new_id.id.as_deref(),
                    &args.patient.patient_id,
                    &args.insurer,
                    &args.encounters,
                    &details,
                )
                .await
        },
    )
}

/// `medledger claim adjudicate`.
pub fn adjudicate(ctx: &Context, args: &ClaimAdjudicateArgs) -> anyhow::Result<()> {
    let decision = ClaimResponse {
        outcome: args.outcome,
        insurer_amount: Krw(args.insurer_amount),
        patient_share: Krw(args.patient_share),
        reason_codes: args.reasons.clone(),
    };
    transact(
        ctx,
        &args.claim.target,
        "adjudicating the claim",
        "Claim adjudicated",
        vec![],
        async |client| client.adjudicate_claim(&args.claim.id, &decision).await,
    )
}

/// `medledger claim pay`.
pub fn pay(ctx: &Context, args: &ClaimPayArgs) -> anyhow::Result<()> {
    transact(
        ctx,
        &args.claim.target,
        "recording the payment",
        "Claim paid",
        vec![],
        async |client| client.pay_claim(&args.claim.id, &args.reference).await,
    )
}

/// `medledger claim get`.
pub fn get(ctx: &Context, args: &IdArg) -> anyhow::Result<()> {
    query(
        ctx,
        &args.target,
        &format!("Claim {}", args.id),
        async |client| client.get_claim(&args.id).await,
    )
}

/// `medledger claim list`.
pub fn list(ctx: &Context, args: &ClaimListArgs) -> anyhow::Result<()> {
    query_page(
        ctx,
        &args.target,
        &[
            ("claim", "claim_id"),
            ("patient", "patient_id"),
            ("provider", "provider"),
            ("insurer", "insurer"),
            ("status", "status"),
            ("submitted", "submitted_at"),
        ],
        async |client| {
            client
                .list_claims(
                    args.provider.as_deref(),
                    args.insurer.as_deref(),
                    args.status,
                    args.page.page_size,
                    &args.page.bookmark,
                )
                .await
        },
    )
}
