//! `medledger demo`: the whole medical story on a fresh embedded network, as the README's first
//! command. Starts the devnet with the medical chaincode served in this process
//! (`medledger_sdk::devnet::MedicalDevnet`) in a temporary directory (or `--dir`), plays
//! [`story`] with the consortium's identities, prints every step (who, what, txid, block,
//! time) and a summary, and stops — or with `--keep` writes a profile per user and serves
//! until Ctrl-C.
//!
//! The network is the default consortium's topology with one change: blocks are cut after
//! [`BATCH_TIMEOUT`] instead of 2 s, so the story's one-transaction blocks do not wait.

mod record;
mod story;

use crate::cli::{DemoArgs, OutputFormat};
use crate::commands::devnet::{STATE_FILE, State, termination};
use crate::context::Context;
use crate::exit::{Exit, Failure};
use crate::home::write_json;
use crate::output::{Report, Table, outln, step};
use crate::profile::write_devnet_profiles;
use anyhow::Context as _;
use medledger_network::devnet::network::TOPOLOGY_FILE;
use medledger_sdk::devnet::MedicalDevnet;
use record::Recorder;
use std::path::PathBuf;
use std::time::Instant;

/// The demo network's batch timeout (the default consortium cuts blocks after 2 s).
pub const BATCH_TIMEOUT: &str = "100ms";

/// `medledger demo`.
pub fn run(ctx: &Context, args: &DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let temp;
    let dir: PathBuf = match &args.dir {
        Some(d) => {
            if d.join(TOPOLOGY_FILE).exists() {
                return Err(Failure::new(
                    Exit::Failure,
                    format!("{} already holds a devnet", d.display()),
                )
                .hint("the story needs a fresh ledger: pass another --dir, or delete it with `medledger devnet reset --dir DIR`")
                .into());
            }
            if d.is_absolute() {
                d.clone()
            } else {
                std::env::current_dir()
                    .context("cannot read the current directory")?
                    .join(d)
            }
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("medledger-demo-")
                .tempdir()
                .context("cannot create a temporary directory")?;
            if args.keep {
                temp.keep()
            } else {
                temp.path().to_owned()
            }
        }
    };
    let format = ctx.output;
    ctx.block_on(async move {
        let signal = termination();
        let mut topology = MedicalDevnet::topology();
        topology.block_cutting.batch_timeout = BATCH_TIMEOUT.into();
        let spin = ctx.spinner(format!("starting the network in {}", dir.display()));
        let net = MedicalDevnet::start_with(&dir, topology)
            .await
            .with_context(|| format!("cannot start the demo network in {}", dir.display()))?;
        drop(spin);
        let network_ms = started.elapsed().as_millis();
        if format == OutputFormat::Table {
            outln!(
                "MedLedger demo: 4 organisations (Seoul Medical Center, Myongji Hospital, NHIS, \
                 Pharmacy), channel {}, chaincode medledger (served in this process on {})",
                net.channel(),
                net.chaincode_address()
            );
            outln!("network up in {network_ms} ms ({})\n", dir.display());
        }
        let mut recorder = Recorder::new(format);
        let played = story::play(&net, &mut recorder).await;
        if let Err(e) = played {
            let _ = net.shutdown().await;
            return Err(e.context(format!(
                "the demo stopped at step {}",
                recorder.steps().len() + 1
            )));
        }
        let total_ms = started.elapsed().as_millis();
        let summary = recorder.summary(network_ms, total_ms);
        let profiles = if args.keep {
            match keep(ctx, &net, &dir) {
                Ok(p) => p,
                Err(e) => {
                    let _ = net.shutdown().await;
                    return Err(e);
                }
            }
        } else {
            Vec::new()
        };
        match format {
            OutputFormat::Json => {
                let mut doc = serde_json::json!({
                    "data_dir": dir.display().to_string(),
                    "steps": recorder.steps(),
                    "summary": summary,
                });
                if args.keep {
                    doc["profiles"] = serde_json::Value::Array(
                        profiles
                            .iter()
                            .map(|(n, msp, user, role)| serde_json::json!({"profile": n, "msp_id": msp, "user": user, "role": role}))
                            .collect(),
                    );
                }
                outln!("{}", serde_json::to_string_pretty(&doc)?);
            }
            OutputFormat::Table => {
                outln!();
                let mut r = Report::new("Summary");
                for (k, v) in summary.as_object().into_iter().flatten() {
                    r.row(k.clone(), v.clone());
                }
                r.print(format)?;
                if args.keep {
                    outln!();
                    let mut t = Table::new(&["profile", "msp_id", "user", "role"]);
                    for (n, msp, user, role) in &profiles {
                        t.row(vec![n.clone().into(), msp.clone().into(), user.clone().into(), role.clone().into()]);
                    }
                    t.print(format)?;
                    outln!(
                        "\nThe network keeps running in {} (Ctrl-C stops it). Try:\n  \
                         medledger --profile seoulmedical-doctor1 record get REC-LAB-1\n  \
                         medledger --profile seoulmedical-auditor1 history prescription RX-1\n  \
                         medledger --profile nhis-claimsofficer1 claim get CLM-1\n  \
                         medledger events watch --start-block 0",
                        dir.display()
                    );
                }
            }
        }
        if args.keep {
            signal.await;
            step(format, "stopping");
        }
        let stopped = net.shutdown().await;
        if args.keep {
            let _ = std::fs::remove_file(dir.join(STATE_FILE));
            if args.dir.is_none() {
                // The temporary directory was kept for the exploration; it ends with it.
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
        stopped.context("the demo network did not stop cleanly")?;
        Ok(())
    })
}

/// `--keep`: a profile per user (made current: `seoulmedical-doctor1`), the data directory as
/// the current devnet, and the state file (`devnet status` and `devnet down` see it).
fn keep(
    ctx: &Context,
    net: &MedicalDevnet,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<(String, String, String, String)>> {
    let profiles = write_devnet_profiles(&ctx.home, dir)?;
    ctx.home
        .update_config(|c| c.devnet_dir = Some(dir.to_owned()))?;
    let state = State::of_this_process(net.devnet());
    write_json(&dir.join(STATE_FILE), &state)?;
    Ok(profiles)
}
