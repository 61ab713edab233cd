//! `medledger record add|get|access`.

use super::{connect, print_committed, print_value, read_file};
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
    ctx.block_on(async {
        let (_s, client) = connect(ctx, &args.patient.target).await?;
        let spin = ctx.spinner("adding the record");
        let c = client.add_record(&record).await?;
        drop(spin);
        print_committed(ctx, "Record added", &c, extra)
    })
}

/// `medledger record get`.
pub fn get(ctx: &Context, args: &IdArg) -> anyhow::Result<()> {
    ctx.block_on(async {
        let (_s, client) = connect(ctx, &args.target).await?;
        let view = client.get_record(&args.id).await?;
        print_value(ctx, &format!("Record {}", args.id), &view)
    })
}

/// `medledger record access`.
pub fn access(ctx: &Context, args: &RecordAccessArgs) -> anyhow::Result<()> {
    ctx.block_on(async {
        let (_s, client) = connect(ctx, &args.record.target).await?;
        let spin = ctx.spinner("accessing the record (logged)");
        let c = client
            .access_record(&args.record.id, args.purpose.purpose)
            .await?;
        drop(spin);
        print_committed(ctx, "Record accessed (logged)", &c, vec![])
    })
}
