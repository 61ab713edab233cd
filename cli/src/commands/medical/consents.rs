//! `medledger consent grant|revoke|list|check`.

use super::{connect, now, parse_time, print_list, print_value, read_file, transact};
use crate::cli::{ConsentCheckArgs, ConsentGrantArgs, ConsentRevokeArgs, FormArg, PatientArg};
use crate::context::Context;
use anyhow::Context as _;
use medledger_model::Period;
use medledger_sdk::{ConsentGrant, SaltedDocument};
use serde_json::Value;

/// Rows printed after a transaction.
type Extra = Vec<(&'static str, Value)>;

/// The signed form's salted hash (a fresh salt), and the rows to print (keep the salt).
fn form(args: &FormArg) -> anyhow::Result<(Option<SaltedDocument>, Extra)> {
    let Some(path) = &args.form else {
        return Ok((None, vec![]));
    };
    let bytes = read_file(path, "form")?;
    let salted = SaltedDocument::new(&bytes)?;
    let rows = vec![
        ("form_hash", salted.hash.to_hex().into()),
        ("form_salt", salted.salt.to_hex().into()),
    ];
    Ok((Some(salted), rows))
}

fn period(args: &ConsentGrantArgs) -> anyhow::Result<Period> {
    let start = match &args.from {
        Some(t) => parse_time("from", t)?,
        None => now()?,
    };
    let end = match (&args.until, args.days) {
        (Some(t), _) => Some(parse_time("until", t)?),
        (None, Some(days)) => Some(
            start
                .plus_days(days)
                .with_context(|| format!("--days {days} is out of range"))?,
        ),
        (None, None) => None,
    };
    Ok(Period { start, end })
}

/// `medledger consent grant`.
pub fn grant(ctx: &Context, args: &ConsentGrantArgs) -> anyhow::Result<()> {
    let (form, extra) = form(&args.form)?;
    let grant = ConsentGrant {
        consent_id: args.new_id.id.clone(),
        patient_id: args.patient.patient_id.clone(),
        grantee: args.grantee.clone(),
        purpose: args.purpose.purpose,
        scopes: args.scopes.clone(),
        period: period(args)?,
        document: form.map(|f| f.consent_document()),
    };
    transact(
        ctx,
        &args.patient.target,
        "granting the consent",
        "Consent granted",
        extra,
        async |client| client.grant_consent(&grant).await,
    )
}

/// `medledger consent revoke`.
pub fn revoke(ctx: &Context, args: &ConsentRevokeArgs) -> anyhow::Result<()> {
    let (form, extra) = form(&args.form)?;
    let document = form.map(|f| f.consent_document());
    transact(
        ctx,
        &args.consent.target,
        "revoking the consent",
        "Consent revoked",
        extra,
        async |client| {
            client
                .revoke_consent(&args.consent.id, document.as_ref())
                .await
        },
    )
}

/// `medledger consent list`.
pub fn list(ctx: &Context, args: &PatientArg) -> anyhow::Result<()> {
    ctx.block_on(async {
        let (_s, client) = connect(ctx, &args.target).await?;
        let consents = client.list_consents(&args.patient_id).await?;
        print_list(
            ctx,
            &consents,
            &[
                ("consent", "consent_id"),
                ("grantee", "grantee"),
                ("purpose", "purpose"),
                ("scopes", "scopes"),
                ("status", "status"),
                ("from", "period.start"),
                ("until", "period.end"),
            ],
            None,
        )
    })
}

/// `medledger consent check`.
pub fn check(ctx: &Context, args: &ConsentCheckArgs) -> anyhow::Result<()> {
    ctx.block_on(async {
        let (_s, client) = connect(ctx, &args.patient.target).await?;
        let check = client
            .check_consent(
                &args.patient.patient_id,
                &args.org,
                args.purpose.purpose,
                args.category,
            )
            .await?;
        let what = args.category.map(|c| format!(", {c}")).unwrap_or_default();
        print_value(
            ctx,
            &format!(
                "Consent of {} for {} ({}{what})",
                args.patient.patient_id, args.org, args.purpose.purpose
            ),
            &check,
        )
    })
}
