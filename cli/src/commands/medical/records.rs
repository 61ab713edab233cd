//! `medledger record add|get|access`.

use super::{query, read_file, transact};
use crate::cli::{IdArg, RecordAccessArgs, RecordAddArgs};
use crate::context::Context;
use crate::exit::{Exit, Failure};
use medledger_sdk::{NewRecord, RecordDocument};
use serde_json::Value;

/// `medledger record add`.
pub fn add(ctx: &Context, args: &RecordAddArgs) -> anyhow::Result<()> {
    let (document, extra): (RecordDocument, Vec<(&str, Value)>) =
        match (&args.content, &args.document) {
            (Some(path), _) => {
                let bytes = read_file(path, "record content")?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Failure::new(Exit::Usage, format!("{} is not UTF-8 text", path.display())).hint(
                        "--content takes a FHIR JSON document; use --document for other files",
                    )
                })?;
                (RecordDocument::on_ledger(text)?, vec![])
            }
            (None, Some(path)) => {
                let doc = RecordDocument::off_ledger(&read_file(path, "document")?)?;
                let salt = doc.salted.salt.to_hex();
                (doc, vec![("salt (keep it with the document)", salt.into())])
            }
            (None, None) => {
                return Err(Failure::new(Exit::Usage, "give --content or --document").into());
            }
        };
    let record = NewRecord {
        record_id: args.new_id.id.clone(),
        patient_id: args.patient.patient_id.clone(),
        category: args.category,
        resource_type: args.resource_type,
        location: args.location.clone(),
        document,
    };
    transact(
        ctx,
        &args.patient.target,
        "adding the record",
        "Record added",
        extra,
        async |client| client.add_record(&record).await,
    )
}

/// `medledger record get`.
pub fn get(ctx: &Context, args: &IdArg) -> anyhow::Result<()> {
    query(
        ctx,
        &args.target,
        &format!("Record {}", args.id),
        async |client| client.get_record(&args.id).await,
    )
}

/// `medledger record access`.
pub fn access(ctx: &Context, args: &RecordAccessArgs) -> anyhow::Result<()> {
    transact(
        ctx,
        &args.record.target,
        "accessing the record (logged)",
        "Record accessed (logged)",
        vec![],
        async |client| {
            client
                .access_record(&args.record.id, args.purpose.purpose)
                .await
        },
    )
}
