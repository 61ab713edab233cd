//! `medledger network ...`

use crate::cli::{CryptoArgs, OutputFormat};
use crate::output::Report;
use anyhow::Context;
use medledger_network::cryptogen::{self, GenerateOptions};
use medledger_network::topology::Topology;

/// `medledger network crypto`: cryptogen for the consortium.
pub fn crypto(args: &CryptoArgs, format: OutputFormat) -> anyhow::Result<()> {
    let topology = match &args.topology {
        Some(path) => Topology::from_file(path)
            .with_context(|| format!("cannot use topology file {}", path.display()))?,
        None => Topology::medical_default(),
    };
    let summary = cryptogen::generate_with(
        &topology,
        &args.out,
        &GenerateOptions {
            overwrite: args.overwrite,
        },
    )
    .with_context(|| {
        format!(
            "cannot generate crypto material into {}",
            args.out.display()
        )
    })?;
    let mut report = Report::new(format!("Crypto material written to {}", args.out.display()));
    report.row("organizations", summary.orgs.len());
    report.row("identities", summary.identities.len());
    report.row("files", summary.files.len());
    for id in &summary.identities {
        let role = id
            .role
            .map(|r| r.as_str().to_owned())
            .unwrap_or_else(|| id.kind.as_str().to_owned());
        report.row(
            id.name.clone(),
            format!("{} {} {}", id.msp_id, role, id.msp_dir.display()),
        );
    }
    report.print(format)
}
