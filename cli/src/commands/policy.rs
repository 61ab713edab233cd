//! `medledger policy ...`

use crate::cli::{OutputFormat, PolicyEncodeArgs};
use crate::output::Report;
use base64::Engine;
use fabric_sdk::policy::{dsl, encode_signature_policy};

/// `medledger policy encode`: the SignaturePolicyEnvelope bytes Fabric would store.
pub fn encode(args: &PolicyEncodeArgs, format: OutputFormat) -> anyhow::Result<()> {
    let envelope = dsl::parse(&args.policy)?;
    let bytes = encode_signature_policy(&envelope);
    let mut report = Report::new("Signature policy");
    report.row("policy", dsl::to_dsl(&envelope)?);
    report.row("principals", envelope.identities.len());
    report.row("hex", hex::encode(&bytes));
    report.row(
        "base64",
        base64::engine::general_purpose::STANDARD.encode(&bytes),
    );
    report.print(format)
}
