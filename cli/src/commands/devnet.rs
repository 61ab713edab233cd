//! `medledger devnet ...`

use crate::cli::{DevnetUpArgs, OutputFormat};
use crate::output::{Report, step};
use anyhow::Context;
use medledger_network::devnet::Devnet;
use medledger_network::devnet::network::TOPOLOGY_FILE;
use medledger_network::topology::Topology;
use std::path::{Path, PathBuf};

/// The topology to run: `--topology`, else the one saved in the data directory, else the
/// medical consortium.
fn topology(args: &DevnetUpArgs, dir: Option<&Path>) -> anyhow::Result<Topology> {
    if let Some(path) = &args.topology {
        return Topology::from_file(path)
            .with_context(|| format!("cannot use topology file {}", path.display()));
    }
    if let Some(saved) = dir.map(|d| d.join(TOPOLOGY_FILE)).filter(|p| p.exists()) {
        return Topology::from_file(&saved).with_context(|| {
            format!(
                "cannot read the topology saved in {} (pass --topology to use another)",
                saved.display()
            )
        });
    }
    Ok(Topology::medical_default())
}

/// `medledger devnet up`: start (or resume) the devnet and serve until Ctrl-C or SIGTERM.
pub fn up(args: &DevnetUpArgs, format: OutputFormat) -> anyhow::Result<()> {
    let topology = topology(args, args.dir.as_deref())?;
    let dir: PathBuf = args
        .dir
        .clone()
        .unwrap_or_else(|| topology.devnet.data_dir.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let signal = termination();
        step(format, &format!("starting the devnet in {}", dir.display()));
        let devnet = Devnet::start(&dir, topology)
            .await
            .with_context(|| format!("cannot start the devnet in {}", dir.display()))?;
        report(&devnet).print(format)?;
        step(format, "serving; press Ctrl-C (or send SIGTERM) to stop");
        signal.await;
        step(format, "stopping");
        devnet
            .shutdown()
            .await
            .context("the devnet did not stop cleanly")?;
        step(format, "stopped");
        Ok(())
    })
}

fn report(devnet: &Devnet) -> Report {
    let title = if devnet.resumed() {
        format!("Devnet resumed in {}", devnet.data_dir().display())
    } else {
        format!("Devnet created in {}", devnet.data_dir().display())
    };
    let mut r = Report::new(title);
    let settings = &devnet.topology().devnet;
    r.row("data_dir", devnet.data_dir().display().to_string());
    r.row("resumed", devnet.resumed());
    r.row("channel", devnet.channel().id());
    r.row("height", devnet.ledger().height());
    r.row("tls", settings.tls);
    r.row("mutual_tls", settings.tls && settings.mutual_tls);
    r.row("crypto", devnet.crypto().out_dir.display().to_string());
    for p in devnet.peers() {
        r.row(
            format!("peer {}", p.name),
            format!(
                "{} ({}; TLS root {}; server name {})",
                p.address,
                p.msp_id,
                p.tls_root_cert.display(),
                p.name
            ),
        );
    }
    for (name, id) in devnet.package_ids() {
        let target = devnet
            .topology()
            .chaincodes
            .iter()
            .find(|c| &c.name == name)
            .map(|c| match (&c.address, &c.command) {
                (Some(a), _) => format!("dials {a}"),
                (None, Some(cmd)) => format!("starts {}", cmd.join(" ")),
                _ => String::new(),
            })
            .unwrap_or_default();
        r.row(format!("chaincode {name}"), format!("{id} ({target})"));
    }
    for (profile, path) in devnet.connection_profiles() {
        r.row(
            format!("connection {}", profile.msp_id),
            format!("{} (gateway {})", path.display(), profile.gateway_address),
        );
    }
    r
}

/// Completes on Ctrl-C or SIGTERM.
async fn termination() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
