//! `medledger chaincode evaluate|submit`: raw calls to any chaincode through the profile's
//! gateway. Results print as UTF-8 when valid, else base64 (`result_encoding` says which);
//! failures go through `exit::render` (gRPC code, every peer's detail, the chaincode's message,
//! the validation code).

use crate::cli::ChaincodeCallArgs;
use crate::context::Context;
use crate::exit::{Exit, fail};
use crate::output::{Report, bytes_value};
use anyhow::Context as _;
use fabric_sdk::gateway::Contract;

/// `key=value` or `key=@file`.
fn transient(entries: &[String]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    entries
        .iter()
        .map(|e| {
            let (k, v) = e
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| {
                    fail(
                        Exit::Usage,
                        format!("--transient {e:?} is not KEY=VALUE or KEY=@FILE"),
                    )
                })?;
            let value = match v.strip_prefix('@') {
                Some(path) => std::fs::read(path)
                    .with_context(|| format!("cannot read the transient value file {path}"))?,
                None => v.as_bytes().to_vec(),
            };
            Ok((k.to_owned(), value))
        })
        .collect()
}

fn proposal(
    contract: &Contract,
    args: &ChaincodeCallArgs,
) -> anyhow::Result<fabric_sdk::gateway::proposal::ProposalBuilder> {
    let mut b = contract.new_proposal(&args.function).args(&args.args);
    for (k, v) in transient(&args.transient)? {
        b = b.transient(k, v);
    }
    if !args.endorsing_orgs.is_empty() {
        b = b.endorsing_organizations(args.endorsing_orgs.iter().cloned());
    }
    Ok(b)
}

fn base_report(title: String, contract: &Contract, args: &ChaincodeCallArgs) -> Report {
    let mut r = Report::new(title);
    r.row("chaincode", contract.chaincode_name());
    r.row("function", contract.qualified_name(&args.function));
    r
}

/// `medledger chaincode evaluate`.
pub fn evaluate(ctx: &Context, args: &ChaincodeCallArgs) -> anyhow::Result<()> {
    ctx.block_on(async {
        let session = ctx.connect().await?;
        let contract = session.contract(args.chaincode.as_deref(), args.contract.as_deref())?;
        let proposal = proposal(&contract, args)?.build()?;
        let txid = proposal.transaction_id().to_owned();
        let result = {
            let _spin = ctx.spinner(format!("evaluating {}", args.function));
            proposal.evaluate().await?
        };
        let mut r = base_report(format!("Evaluated {}", args.function), &contract, args);
        r.row("transaction_id", txid);
        let (value, encoding) = bytes_value(&result);
        r.row("result", value);
        r.row("result_encoding", encoding);
        r.print(ctx.output)
    })
}

/// `medledger chaincode submit`.
pub fn submit(ctx: &Context, args: &ChaincodeCallArgs) -> anyhow::Result<()> {
    ctx.block_on(async {
        let session = ctx.connect().await?;
        let contract = session.contract(args.chaincode.as_deref(), args.contract.as_deref())?;
        let spin = ctx.spinner(format!("endorsing {}", args.function));
        let submitted = proposal(&contract, args)?.submit_async().await?;
        spin.set_message(format!(
            "waiting for {} to commit",
            submitted.transaction_id()
        ));
        let status = submitted.status().await?;
        drop(spin);
        let status = status.check()?;
        let mut r = base_report(format!("Submitted {}", args.function), &contract, args);
        r.row("transaction_id", submitted.transaction_id());
        r.row("block", status.block_number);
        r.row("validation_code", status.code.as_str_name());
        let (value, encoding) = bytes_value(submitted.result());
        r.row("result", value);
        r.row("result_encoding", encoding);
        r.print(ctx.output)
    })
}
