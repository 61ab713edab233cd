//! `medledger patient register|get|erase`.

use super::{query, read_json, transact};
use crate::cli::{PatientArg, PatientRegisterArgs};
use crate::context::Context;
use crate::exit::{Exit, Failure};
use medledger_model::{Address, AdministrativeGender, Date, HumanName, PatientDemographics};

/// The demographics from the file or the flags (never logged: they are PHI).
fn demographics(args: &PatientRegisterArgs) -> anyhow::Result<PatientDemographics> {
    if let Some(path) = &args.demographics_file {
        return read_json(path, "demographics file");
    }
    let usage = |m: &str| Failure::new(Exit::Usage, m.to_owned());
    let family = args
        .family
        .clone()
        .ok_or_else(|| usage("--family is required without --demographics-file"))?;
    let birth = args
        .birth_date
        .as_deref()
        .ok_or_else(|| usage("--birth-date is required without --demographics-file"))?;
    let birth_date =
        Date::parse("birth_date", birth).map_err(|e| super::bad_flag("birth-date", e.reason))?;
    let gender = args
        .gender
        .as_deref()
        .ok_or_else(|| usage("--gender is required without --demographics-file"))?;
    let gender = AdministrativeGender::parse("gender", gender)
        .map_err(|e| super::bad_flag("gender", e.reason))?;
    let address = match (&args.city, &args.postal_code) {
        (Some(city), Some(postal_code)) => Some(Address {
            line: args.address_line.clone(),
            city: city.clone(),
            postal_code: postal_code.clone(),
        }),
        _ => None,
    };
    Ok(PatientDemographics {
        name: HumanName {
            family,
            given: args.given.clone(),
        },
        birth_date,
        gender,
        telecom: args.telecom.clone(),
        address,
    })
}

/// `medledger patient register`.
pub fn register(ctx: &Context, args: &PatientRegisterArgs) -> anyhow::Result<()> {
    let demographics = demographics(args)?;
    transact(
        ctx,
        &args.patient.target,
        "registering the patient",
        "Patient registered",
        vec![],
        async |client| {
            client
                .register_patient(&args.patient.patient_id, &demographics)
                .await
        },
    )
}

/// `medledger patient get`.
pub fn get(ctx: &Context, args: &PatientArg) -> anyhow::Result<()> {
    query(
        ctx,
        &args.target,
        &format!("Patient {}", args.patient_id),
        async |client| client.get_patient(&args.patient_id).await,
    )
}

/// `medledger patient erase`.
pub fn erase(ctx: &Context, args: &PatientArg) -> anyhow::Result<()> {
    transact(
        ctx,
        &args.target,
        "erasing the patient's private data",
        "Patient erased",
        vec![],
        async |client| client.erase_patient(&args.patient_id).await,
    )
}
