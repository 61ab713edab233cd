//! `medledger identity ...`

use crate::cli::{IdentityShowArgs, OutputFormat};
use crate::output::Report;
use anyhow::Context;
use fabric_sdk::identity::{Msp, SigningIdentity, msp::format_unix_time, msp::unix_now};

/// `medledger identity show`: what Fabric and the medical contract will see of an identity.
pub fn show(args: &IdentityShowArgs, format: OutputFormat) -> anyhow::Result<()> {
    let signing = SigningIdentity::from_msp_dir(&args.msp_dir, &args.msp_id)
        .with_context(|| format!("cannot load the identity in {}", args.msp_dir.display()))?;
    let cert = signing.identity.certificate();
    let mut report = Report::new(format!("Identity {}", cert.subject()));
    report.row("msp_id", args.msp_id.clone());
    report.row("subject", cert.subject());
    report.row("issuer", cert.issuer());
    report.row("id", cert.id_string());
    report.row("key", cert.public_key()?.algorithm().to_string());
    report.row("not_before", format_unix_time(cert.not_before()));
    report.row("not_after", format_unix_time(cert.not_after()));
    let msp = Msp::from_dir(&args.msp_dir, &args.msp_id)
        .with_context(|| format!("cannot read the MSP in {}", args.msp_dir.display()))?;
    match msp.validate(&signing.identity, unix_now()) {
        Ok(v) => {
            report.row("valid", true);
            report.row(
                "node_role",
                v.role()
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "-".into()),
            );
            report.row("admin", v.is_admin());
        }
        Err(e) => {
            report.row("valid", false);
            report.row("invalid_because", e.to_string());
        }
    }
    let attrs = cert
        .attributes()
        .context("the Fabric CA attribute extension is unreadable")?;
    for (k, v) in attrs {
        report.row(format!("attr.{k}"), v);
    }
    report.print(format)
}
