//! `medledger network ...`: crypto material, CCaaS packages, the real-Fabric kit.

use crate::cli::{CryptoArgs, KitConfigArgs, NetworkCommand, OutputFormat, PackageArgs};
use crate::exit::{Exit, fail};
use crate::output::{Report, outln, step};
use anyhow::{Context, bail};
use medledger_network::cryptogen::{self, GenerateOptions};
use medledger_network::fabric::{self, KitOptions};
use medledger_network::topology::Topology;
use std::collections::BTreeMap;
use std::path::Path;

/// Runs one `network` subcommand.
pub fn run(command: NetworkCommand, format: OutputFormat) -> anyhow::Result<()> {
    match command {
        NetworkCommand::Crypto(args) => crypto(&args, format),
        NetworkCommand::Package(args) => package(&args, format),
        NetworkCommand::Config(args) => config(&args, format),
    }
}

fn load_topology(path: Option<&Path>) -> anyhow::Result<Topology> {
    match path {
        Some(path) => Topology::from_file(path)
            .with_context(|| format!("cannot use topology file {}", path.display())),
        None => Ok(Topology::medical_default()),
    }
}

/// `medledger network crypto`: cryptogen for the consortium.
pub fn crypto(args: &CryptoArgs, format: OutputFormat) -> anyhow::Result<()> {
    let topology = load_topology(args.topology.as_deref())?;
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

/// `medledger network package`: the CCaaS package(s) and package id(s).
pub fn package(args: &PackageArgs, format: OutputFormat) -> anyhow::Result<()> {
    let mut topology = load_topology(args.topology.as_deref())?;
    let known: Vec<String> = topology.chaincodes.iter().map(|c| c.name.clone()).collect();
    if let Some(name) = &args.chaincode {
        if !known.contains(name) {
            return Err(fail(
                Exit::NotFound,
                format!(
                    "no chaincode {name:?} in the topology; it has: {}",
                    known.join(", ")
                ),
            ));
        }
        topology.chaincodes.retain(|c| &c.name == name);
    }
    if topology.chaincodes.is_empty() {
        bail!("the topology defines no chaincode ([[chaincodes]]); there is nothing to package");
    }
    let mut options = KitOptions::default();
    if let Some(address) = &args.address {
        if topology.chaincodes.len() > 1 {
            return Err(fail(
                Exit::Usage,
                format!(
                    "--address applies to one chaincode: add --chaincode <name> (one of {})",
                    known.join(", ")
                ),
            ));
        }
        options
            .chaincode_addresses
            .insert(topology.chaincodes[0].name.clone(), address.clone());
    }
    let chaincodes =
        fabric::kit_chaincodes(&topology, &options).context("cannot make the package")?;

    let outputs: Vec<_> = chaincodes
        .iter()
        .map(|cc| {
            (
                cc,
                args.out.join(cc.package.file_name()),
                args.out.join(format!("{}.package-id", cc.label)),
            )
        })
        .collect();
    if !args.overwrite
        && let Some(existing) = outputs
            .iter()
            .flat_map(|(_, a, b)| [a, b])
            .find(|p| p.exists())
    {
        bail!(
            "{} already exists; pass --overwrite to replace it",
            existing.display()
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut report = Report::new(format!("CCaaS packages written to {}", args.out.display()));
    let mut json = Vec::new();
    for (cc, file, id_file) in &outputs {
        std::fs::write(file, &cc.package.bytes)
            .with_context(|| format!("cannot write {}", file.display()))?;
        std::fs::write(id_file, format!("{}\n", cc.package_id))
            .with_context(|| format!("cannot write {}", id_file.display()))?;
        report.row(cc.name.clone(), cc.package_id.clone());
        report.row(format!("{} file", cc.name), file.display().to_string());
        report.row(
            format!("{} dials", cc.name),
            format!("{}{}", cc.address, if cc.tls { " (TLS)" } else { "" }),
        );
        json.push(serde_json::json!({
            "name": cc.name,
            "label": cc.label,
            "package_id": cc.package_id,
            "file": file,
            "package_id_file": id_file,
            "address": cc.address,
            "tls": cc.tls,
        }));
    }
    match format {
        OutputFormat::Json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "packages": json }))?
            );
            Ok(())
        }
        OutputFormat::Table => report.print(format),
    }
}

/// Parses `--chaincode-address` values: `NAME=HOST:PORT`, or `HOST:PORT` for the topology's
/// only chaincode.
fn chaincode_addresses(
    values: &[String],
    topology: &Topology,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for v in values {
        let (name, address) = match v.split_once('=') {
            Some((n, a)) => (n.to_owned(), a.to_owned()),
            None => match topology.chaincodes.as_slice() {
                [only] => (only.name.clone(), v.clone()),
                _ => {
                    return Err(fail(
                        Exit::Usage,
                        format!(
                            "--chaincode-address {v}: the topology has {} chaincodes; write NAME=HOST:PORT",
                            topology.chaincodes.len()
                        ),
                    ));
                }
            },
        };
        if out.insert(name.clone(), address).is_some() {
            return Err(fail(
                Exit::Usage,
                format!("--chaincode-address given twice for {name}"),
            ));
        }
    }
    Ok(out)
}

/// `medledger network config`: the kit for a real Fabric network.
pub fn config(args: &KitConfigArgs, format: OutputFormat) -> anyhow::Result<()> {
    let topology = load_topology(args.topology.as_deref())?;
    let options = KitOptions {
        host: args.host.clone(),
        port_base: args.port_base,
        chaincode_addresses: chaincode_addresses(&args.chaincode_address, &topology)?,
        overwrite: args.overwrite,
    };
    step(
        format,
        &format!(
            "generating the kit for a real Fabric network in {}",
            args.out.display()
        ),
    );
    let kit = fabric::generate_kit(&topology, &args.out, &options)
        .with_context(|| format!("cannot generate the kit into {}", args.out.display()))?;
    let mut report = Report::new(format!(
        "Kit for a real Fabric network written to {}",
        kit.dir.display()
    ));
    report.row("channel", kit.channel.clone());
    report.row("profile", fabric::configtx::PROFILE);
    for o in &kit.plan.orderers {
        report.row(
            o.name.clone(),
            format!(
                "{} orderer {} (admin {}, operations {})",
                o.msp_id,
                kit.plan.address(o.port),
                kit.plan.address(o.admin_port),
                kit.plan.address(o.operations_port)
            ),
        );
    }
    for p in &kit.plan.peers {
        report.row(
            p.name.clone(),
            format!(
                "{} peer {} (operations {})",
                p.msp_id,
                kit.plan.address(p.port),
                kit.plan.address(p.operations_port)
            ),
        );
    }
    for cc in &kit.chaincodes {
        report.row(format!("chaincode {}", cc.name), cc.package_id.clone());
        report.row(
            format!("chaincode {} dials", cc.name),
            format!("{}{}", cc.address, if cc.tls { " (TLS)" } else { "" }),
        );
    }
    report.row("files", kit.files.len());
    report.row(
        "next",
        format!(
            "FABRIC_BIN=<fabric release>/bin MEDLEDGER_CHAINCODE=<medledger-chaincode binary> {}/scripts/up.sh",
            kit.dir.display()
        ),
    );
    report.print(format)
}
