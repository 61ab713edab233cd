//! `medledger rx issue|get|dispense|deliver|cancel|list`.

use super::{bad_flag, pairs, query, query_page, read_json, transact};
use crate::cli::{IdArg, RxCommand, RxIssueArgs, RxListArgs};
use crate::context::Context;
use medledger_model::{Medication, PrescriptionInput, Route};

/// `code=…,name=…,dose=…,frequency=…,days=…[,route=…]`.
fn medication(text: &str) -> anyhow::Result<Medication> {
    const FLAG: &str = "medication";
    let (mut code, mut name, mut dose, mut frequency, mut days, mut route) =
        (None, None, None, None, None, Route::Oral);
    for (k, v) in pairs(FLAG, text)? {
        match k {
            "code" => code = Some(v.to_owned()),
            "name" => name = Some(v.to_owned()),
            "dose" => dose = Some(v.to_owned()),
            "frequency" => {
                frequency = Some(
                    v.parse::<u32>()
                        .map_err(|_| bad_flag(FLAG, "frequency must be a whole number per day"))?,
                )
            }
            "days" => {
                days = Some(
                    v.parse::<u32>()
                        .map_err(|_| bad_flag(FLAG, "days must be a whole number"))?,
                )
            }
            "route" => route = Route::parse("route", v).map_err(|e| bad_flag(FLAG, e))?,
            other => {
                return Err(bad_flag(
                    FLAG,
                    format!(
                        "unknown key {other:?} (expected code, name, dose, frequency, days, route)"
                    ),
                ));
            }
        }
    }
    let missing = |key: &str| bad_flag(FLAG, format!("{key}= is missing"));
    Ok(Medication {
        code: code.ok_or_else(|| missing("code"))?,
        name: name.ok_or_else(|| missing("name"))?,
        dose: dose.ok_or_else(|| missing("dose"))?,
        frequency: frequency.ok_or_else(|| missing("frequency"))?,
        days: days.ok_or_else(|| missing("days"))?,
        route,
    })
}

/// `medledger rx issue`.
pub fn issue(ctx: &Context, args: &RxIssueArgs) -> anyhow::Result<()> {
    let input = match &args.file {
        Some(path) => read_json::<PrescriptionInput>(path, "prescription file")?,
        None => PrescriptionInput {
            medications: args
                .medications
                .iter()
                .map(|m| medication(m))
                .collect::<anyhow::Result<_>>()?,
            notes: args.notes.clone(),
        },
    };
    transact(
        ctx,
        &args.patient.target,
        "issuing the prescription",
        "Prescription issued",
        vec![],
        async |client| {
            client
                .issue_prescription(
                    args.new_id.id.as_deref(),
                    &args.patient.patient_id,
                    args.validity_days,
                    &input,
                )
                .await
        },
    )
}

/// `medledger rx get`.
pub fn get(ctx: &Context, args: &IdArg) -> anyhow::Result<()> {
    query(
        ctx,
        &args.target,
        &format!("Prescription {}", args.id),
        async |client| client.get_prescription(&args.id).await,
    )
}

/// `medledger rx dispense|deliver|cancel`: one transaction on a prescription.
pub fn transition(ctx: &Context, command: &RxCommand) -> anyhow::Result<()> {
    let (args, title, doing) = match command {
        RxCommand::Dispense(a) => (a, "Prescription dispensed", "dispensing"),
        RxCommand::Deliver(a) => (a, "Prescription delivered", "confirming the delivery of"),
        RxCommand::Cancel(a) => (a, "Prescription cancelled", "cancelling"),
        _ => anyhow::bail!("not a prescription transition"),
    };
    transact(
        ctx,
        &args.target,
        format!("{doing} {}", args.id),
        title,
        vec![],
        async |client| match command {
            RxCommand::Dispense(_) => client.dispense_prescription(&args.id).await,
            RxCommand::Deliver(_) => client.confirm_delivery(&args.id).await,
            _ => client.cancel_prescription(&args.id).await,
        },
    )
}

/// `medledger rx list`.
pub fn list(ctx: &Context, args: &RxListArgs) -> anyhow::Result<()> {
    query_page(
        ctx,
        &args.target,
        &[
            ("prescription", "prescription_id"),
            ("patient", "patient_id"),
            ("prescriber", "prescriber_org"),
            ("status", "status"),
            ("issued", "issued_at"),
            ("expires", "expires_at"),
            ("pharmacy", "dispense.pharmacy_org"),
        ],
        async |client| {
            client
                .list_prescriptions(
                    args.patient.as_deref(),
                    args.status,
                    args.page.page_size,
                    &args.page.bookmark,
                )
                .await
        },
    )
}
