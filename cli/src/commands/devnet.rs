//! `medledger devnet up|down|status|reset`.
//!
//! A running devnet (foreground or `--detach`) keeps `<dir>/devnet.pid.json` (pid, start time,
//! peers); it is removed when the devnet stops cleanly. A file whose process is gone (crash,
//! SIGKILL, reboot) is *stale*: `up`, `down`, `status` and `reset` notice and remove it.

use crate::cli::{DevnetDirArgs, DevnetResetArgs, DevnetUpArgs, OutputFormat};
use crate::context::Context;
use crate::exit::{Exit, Failure};
use crate::home::{read_json_opt, write_json};
use crate::output::{Report, Spinner, Table, outln, step};
use crate::profile::write_devnet_profiles;
use anyhow::Context as _;
use medledger_network::devnet::Devnet;
use medledger_network::devnet::network::TOPOLOGY_FILE;
use medledger_network::topology::Topology;
use medledger_sdk::devnet::MedicalDevnet;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The state file of a running devnet.
pub const STATE_FILE: &str = "devnet.pid.json";
/// The log of a detached devnet.
pub const LOG_FILE: &str = "devnet.log";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub pid: u32,
    pub started_at: u64,
    pub channel: String,
    pub peers: Vec<PeerState>,
}

impl State {
    /// The state file's content for `devnet`, served by this process since now.
    pub fn of_this_process(devnet: &Devnet) -> State {
        State {
            pid: std::process::id(),
            started_at: now(),
            channel: devnet.channel().id().to_owned(),
            peers: devnet
                .peers()
                .iter()
                .map(|p| PeerState {
                    name: p.name.clone(),
                    msp_id: p.msp_id.clone(),
                    address: p.address.to_string(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerState {
    pub name: String,
    pub msp_id: String,
    pub address: String,
}

/// A running devnet: with the medical chaincode served in this process when the topology
/// deploys a `medledger` chaincode, else the devnet alone (its chaincodes are dialled or
/// started as the topology says).
pub enum Running {
    Medical(MedicalDevnet),
    Plain(Devnet),
}

impl Running {
    /// Starts (or resumes) the devnet of `topology` in `dir`.
    pub async fn start(dir: &Path, topology: Topology) -> anyhow::Result<Running> {
        let medical = topology
            .chaincodes
            .iter()
            .any(|c| c.name == medledger_sdk::CHAINCODE_NAME);
        let started = if medical {
            MedicalDevnet::start_with(dir, topology)
                .await
                .map(Running::Medical)
                .map_err(anyhow::Error::from)
        } else {
            Devnet::start(dir, topology)
                .await
                .map(Running::Plain)
                .map_err(anyhow::Error::from)
        };
        started.with_context(|| format!("cannot start the devnet in {}", dir.display()))
    }

    pub fn devnet(&self) -> &Devnet {
        match self {
            Running::Medical(m) => m.devnet(),
            Running::Plain(d) => d,
        }
    }

    /// Where the in-process medical chaincode server listens, if any.
    pub fn medical_chaincode(&self) -> Option<&str> {
        match self {
            Running::Medical(m) => Some(m.chaincode_address()),
            Running::Plain(_) => None,
        }
    }

    /// Stops the devnet (and the chaincode server).
    pub async fn shutdown(self) -> anyhow::Result<()> {
        match self {
            Running::Medical(m) => m.shutdown().await.map_err(anyhow::Error::from),
            Running::Plain(d) => d.shutdown().await.map_err(anyhow::Error::from),
        }
    }
}

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

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    if p.is_absolute() {
        return Ok(p.to_owned());
    }
    Ok(std::env::current_dir()
        .context("cannot read the current directory")?
        .join(p))
}

/// The data directory of `down|status|reset`: `--dir`, else the last `up`'s, else the default.
fn data_dir(ctx: &Context, args: &DevnetDirArgs) -> anyhow::Result<PathBuf> {
    if let Some(d) = &args.dir {
        return absolute(d);
    }
    if let Some(d) = ctx.home.config()?.devnet_dir {
        return Ok(d);
    }
    absolute(&Topology::medical_default().devnet.data_dir)
}

/// Whether process `pid` runs and is a devnet (not a zombie, not a reused pid).
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(p) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: kill with signal 0 only checks that the process exists.
        if unsafe { libc::kill(p, 0) } != 0 {
            return false;
        }
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            let state = stat.rsplit_once(") ").and_then(|(_, r)| r.chars().next());
            if matches!(state, Some('Z') | Some('X')) {
                return false;
            }
        }
        if let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) {
            // `devnet up` or `demo --keep`.
            let cmd = String::from_utf8_lossy(&cmd);
            return cmd.contains("devnet") || cmd.contains("demo");
        }
        true
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        false
    }
}

/// The state of the devnet in `dir`: `Some` when it runs; a stale file is removed.
fn running(dir: &Path) -> anyhow::Result<Option<State>> {
    let path = dir.join(STATE_FILE);
    let Some(state) = read_json_opt::<State>(&path)? else {
        return Ok(None);
    };
    if alive(state.pid) {
        return Ok(Some(state));
    }
    tracing::info!(
        pid = state.pid,
        "removing the stale state file {}",
        path.display()
    );
    let _ = std::fs::remove_file(&path);
    Ok(None)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `medledger devnet up`.
pub fn up(ctx: &Context, args: &DevnetUpArgs) -> anyhow::Result<()> {
    let topology = topology(args, args.dir.as_deref())?;
    let dir = absolute(
        &args
            .dir
            .clone()
            .unwrap_or_else(|| topology.devnet.data_dir.clone()),
    )?;
    if let Some(s) = running(&dir)? {
        return Err(Failure::new(
            Exit::Failure,
            format!("a devnet already runs in {} (pid {})", dir.display(), s.pid),
        )
        .hint("stop it with `medledger devnet down` (or use another --dir)")
        .into());
    }
    if args.detach {
        return detach(ctx, args, &dir);
    }
    let format = ctx.output;
    ctx.block_on(async move {
        let signal = termination();
        let spinner = Spinner::start(format, format!("starting the devnet in {}", dir.display()));
        let running = Running::start(&dir, topology).await?;
        drop(spinner);
        let devnet = running.devnet();
        let state = State::of_this_process(devnet);
        let announced = write_devnet_profiles(&ctx.home, &dir).and_then(|p| {
            ctx.home
                .update_config(|c| c.devnet_dir = Some(dir.clone()))?;
            write_json(&dir.join(STATE_FILE), &state)?;
            Ok(p)
        });
        let profiles = match announced {
            Ok(p) => p,
            Err(e) => {
                // Stop cleanly rather than leave the ledger mid-batch.
                let _ = running.shutdown().await;
                return Err(e);
            }
        };
        let mut r = report(&running);
        for (name, msp, user, role) in &profiles {
            r.row(format!("profile {name}"), format!("{user} ({msp}, {role})"));
        }
        r.print(format)?;
        step(format, "serving; press Ctrl-C (or send SIGTERM) to stop");
        signal.await;
        step(format, "stopping");
        let stopped = running.shutdown().await;
        remove_state_if_ours(&dir);
        stopped.context("the devnet did not stop cleanly")?;
        step(format, "stopped");
        Ok(())
    })
}

fn remove_state_if_ours(dir: &Path) {
    let path = dir.join(STATE_FILE);
    if let Ok(Some(s)) = read_json_opt::<State>(&path)
        && s.pid == std::process::id()
    {
        let _ = std::fs::remove_file(&path);
    }
}

/// `up --detach`: this program again, in the background, in its own process group, logging to
/// `<dir>/devnet.log`; returns once it wrote its state file and its first peer accepts
/// connections.
fn detach(ctx: &Context, args: &DevnetUpArgs, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let log_path = dir.join(LOG_FILE);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open the log {}", log_path.display()))?;
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--home")
        .arg(ctx.home.root())
        .args(["--output", "json", "devnet", "up", "--dir"])
        .arg(dir);
    if let Some(t) = &args.topology {
        cmd.arg("--topology").arg(absolute(t)?);
    }
    if ctx.verbose {
        cmd.arg("--verbose");
    }
    cmd.stdin(std::process::Stdio::null())
        .stdout(log.try_clone().context("cannot share the log file")?)
        .stderr(log);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let spinner = ctx.spinner(format!("starting the devnet in {}", dir.display()));
    let mut child = cmd.spawn().context("cannot start the devnet process")?;
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(args.wait_secs);
    let state = loop {
        if let Some(status) = child
            .try_wait()
            .context("cannot watch the devnet process")?
        {
            return Err(Failure::new(
                Exit::Failure,
                format!(
                    "the devnet process exited ({status}) before serving:\n{}",
                    tail(&log_path, 20)
                ),
            )
            .hint(format!("the whole log is in {}", log_path.display()))
            .into());
        }
        if let Ok(Some(s)) = read_json_opt::<State>(&dir.join(STATE_FILE))
            && s.pid == pid
            && s.peers.iter().all(|p| answers(&p.address))
        {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::new(
                Exit::Unreachable,
                format!(
                    "the devnet did not answer within {} s; stopped it. Last lines of {}:\n{}",
                    args.wait_secs,
                    log_path.display(),
                    tail(&log_path, 20)
                ),
            )
            .hint("pass --wait-secs to wait longer")
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(spinner);
    let profiles = write_devnet_profiles(&ctx.home, dir)?;
    ctx.home
        .update_config(|c| c.devnet_dir = Some(dir.to_owned()))?;
    let mut r = Report::new(format!(
        "Devnet running in the background in {}",
        dir.display()
    ));
    state_rows(&mut r, dir, &state);
    r.row("log", log_path.display().to_string());
    r.row(
        "profiles",
        serde_json::Value::Array(
            profiles
                .iter()
                .map(|(n, msp, user, role)| {
                    serde_json::json!({"profile": n, "msp_id": msp, "user": user, "role": role})
                })
                .collect(),
        ),
    );
    if ctx.output == OutputFormat::Json {
        return r.print(ctx.output);
    }
    let mut r2 = Report::new(format!(
        "Devnet running in the background in {}",
        dir.display()
    ));
    state_rows(&mut r2, dir, &state);
    r2.row("log", log_path.display().to_string());
    r2.print(ctx.output)?;
    outln!();
    let mut t = Table::new(&["profile", "msp_id", "user", "role"]);
    for (n, msp, user, role) in profiles {
        t.row(vec![n.into(), msp.into(), user.into(), role.into()]);
    }
    t.print(ctx.output)?;
    outln!("\nUse one: medledger profile use <profile>; stop: medledger devnet down");
    Ok(())
}

fn state_rows(r: &mut Report, dir: &Path, s: &State) {
    r.row("data_dir", dir.display().to_string());
    r.row("pid", s.pid);
    r.row("channel", s.channel.clone());
    for p in &s.peers {
        r.row(
            format!("peer {}", p.name),
            format!("{} ({})", p.address, p.msp_id),
        );
    }
}

/// Whether something accepts TCP connections at `addr`.
fn answers(addr: &str) -> bool {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| {
            std::net::TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_ok()
        })
}

/// The last `n` lines of a file (for error messages).
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `medledger devnet down`.
pub fn down(ctx: &Context, args: &DevnetDirArgs) -> anyhow::Result<()> {
    let dir = data_dir(ctx, args)?;
    let mut r = Report::new(format!("Devnet in {}", dir.display()));
    r.row("data_dir", dir.display().to_string());
    match running(&dir)? {
        None => {
            r.row("was_running", false);
        }
        Some(s) => {
            let _spin = ctx.spinner(format!("stopping the devnet (pid {})", s.pid));
            stop(&dir, &s, Duration::from_secs(30))?;
            r.row("was_running", true);
            r.row("pid", s.pid);
            r.row("stopped", true);
        }
    }
    r.print(ctx.output)
}

/// SIGTERM, then wait (with a deadline) until the process is gone.
fn stop(dir: &Path, s: &State, wait: Duration) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let pid = libc::pid_t::try_from(s.pid).context("pid out of range")?;
        // SAFETY: sends SIGTERM to the process recorded in the state file, checked alive above.
        if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(Failure::new(
                Exit::Failure,
                format!("cannot stop the devnet (pid {}): {e}", s.pid),
            )
            .into());
        }
    }
    let deadline = Instant::now() + wait;
    while alive(s.pid) {
        if Instant::now() > deadline {
            return Err(Failure::new(
                Exit::Failure,
                format!(
                    "the devnet (pid {}) did not stop within {} s",
                    s.pid,
                    wait.as_secs()
                ),
            )
            .hint(format!(
                "look at {}; `kill -9 {}` ends it",
                dir.join(LOG_FILE).display(),
                s.pid
            ))
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_file(dir.join(STATE_FILE));
    Ok(())
}

/// `medledger devnet status`.
pub fn status(ctx: &Context, args: &DevnetDirArgs) -> anyhow::Result<()> {
    let dir = data_dir(ctx, args)?;
    let mut r = Report::new(format!("Devnet in {}", dir.display()));
    r.row("data_dir", dir.display().to_string());
    r.row("exists", dir.join(TOPOLOGY_FILE).exists());
    match running(&dir)? {
        None => {
            r.row("running", false);
        }
        Some(s) => {
            r.row("running", true);
            r.row("pid", s.pid);
            r.row("channel", s.channel.clone());
            r.row(
                "peers",
                serde_json::Value::Array(
                    s.peers
                        .iter()
                        .map(|p| {
                            serde_json::json!({"name": p.name, "msp_id": p.msp_id, "address": p.address})
                        })
                        .collect(),
                ),
            );
            let height = ctx.block_on(async { crate::height::channel_height(&dir).await });
            match height {
                Ok(h) => r.row("height", h),
                Err(e) => r.row("height_error", format!("{e:#}")),
            };
        }
    }
    r.print(ctx.output)
}

/// `medledger devnet reset`.
pub fn reset(ctx: &Context, args: &DevnetResetArgs) -> anyhow::Result<()> {
    let dir = data_dir(ctx, &args.dir)?;
    if let Some(s) = running(&dir)? {
        if !args.force {
            return Err(Failure::new(
                Exit::Failure,
                format!("the devnet in {} runs (pid {})", dir.display(), s.pid),
            )
            .hint("stop it first (`medledger devnet down`) or pass --force")
            .into());
        }
        let _spin = ctx.spinner(format!("stopping the devnet (pid {})", s.pid));
        stop(&dir, &s, Duration::from_secs(30))?;
    }
    let existed = dir.exists();
    if existed {
        if !dir.join(TOPOLOGY_FILE).exists() && !dir.join("ledger.redb").exists() {
            return Err(Failure::new(
                Exit::Failure,
                format!(
                    "{} does not look like a devnet data directory",
                    dir.display()
                ),
            )
            .hint("nothing deleted; check --dir")
            .into());
        }
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot delete {}", dir.display()))?;
    }
    let mut r = Report::new(format!("Devnet in {} reset", dir.display()));
    r.row("data_dir", dir.display().to_string());
    r.row("deleted", existed);
    r.print(ctx.output)
}

fn report(running: &Running) -> Report {
    let devnet = running.devnet();
    let title = if devnet.resumed() {
        format!("Devnet resumed in {}", devnet.data_dir().display())
    } else {
        format!("Devnet created in {}", devnet.data_dir().display())
    };
    let mut r = Report::new(title);
    let settings = &devnet.topology().devnet;
    r.row("data_dir", devnet.data_dir().display().to_string());
    r.row("resumed", devnet.resumed());
    r.row("pid", std::process::id());
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
                (Some(a), _) if running.medical_chaincode() == Some(a.as_str()) => {
                    format!("served in this process on {a}")
                }
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

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called (not when
/// first polled), so a signal that arrives while the devnet starts is not lost.
pub fn termination() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        async move {
            match (int, term) {
                (Ok(mut i), Ok(mut t)) => {
                    tokio::select! {
                        _ = i.recv() => {}
                        _ = t.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
