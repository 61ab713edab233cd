//! Helpers for MedLedger's cross-process tests: paths, running the Node interop scripts,
//! building examples with the running cargo, and chaincode servers as child processes (free
//! 127.0.0.1 port, readiness polled with a deadline, killed and reaped on drop, CPU time and
//! peak RSS from `/proc`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `tests/interop`, where the Node scripts and their `node_modules` live.
pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// [`interop_dir`], after checking the official Fabric Node packages are installed there.
/// Panics with an actionable message when they are not (these are tests).
pub fn interop_dir_with_packages() -> PathBuf {
    let dir = interop_dir();
    assert!(
        dir.join("node_modules/@hyperledger/fabric-gateway")
            .is_dir(),
        "the official Fabric Node packages are not installed: run ./scripts/test-all.sh \
         (or `npm ci --prefix tests/interop`)"
    );
    dir
}

/// Runs `node <script>` in `tests/interop` with `input` as JSON on stdin; returns its JSON stdout.
/// Panics with an actionable message when Node or the npm packages are missing (these are tests).
pub fn run_node(script: &str, input: &serde_json::Value) -> serde_json::Value {
    let dir = interop_dir_with_packages();
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start `node`: install Node.js >= 18");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write to node");
    let out = child.wait_with_output().expect("node did not finish");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node {script} failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("node {script} printed non-JSON ({e}): {stdout}"))
}

// ------------------------------------------------------------------ chaincode server processes

/// The workspace root (the directory of the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `tests/interop/chaincode-node`: the asset-transfer contract (and the `Interop` contract of the
/// Gateway interop test) for the official Node `fabric-shim`, with its `node_modules` (installed
/// by `./scripts/test-all.sh`).
pub fn node_chaincode_dir() -> PathBuf {
    interop_dir().join("chaincode-node")
}

/// The target directory this binary was built in (`<target>/<profile>/deps/<binary>`), so a
/// nested build shares its artifacts whatever `--target-dir`/`CARGO_TARGET_DIR` said.
fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let mut dir = exe.parent()?;
    if dir.file_name()? == "deps" {
        dir = dir.parent()?;
    }
    Some(dir.parent()?.to_path_buf())
}

/// How [`cargo_examples`] selects what it builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExampleBuild {
    /// `--workspace`: features unified over the workspace, as `cargo test --workspace` builds
    /// them, so after that command the build is a no-op (used by tests).
    Workspace,
    /// `-p <package>`: only what the package needs, as a deployed chaincode is built (benches).
    Package(&'static str),
}

/// The cargo that runs this test (`$CARGO`), in the workspace root, without the variables cargo
/// set for this test process.
fn cargo_command() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root());
    // What cargo set for this test process describes this package; passed on, it would mark
    // build scripts that watch such variables (ring's watches CARGO_MANIFEST_DIR) as dirty, and
    // both builds would redo each other's work.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo = name == "OUT_DIR"
            || name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo {
            cmd.env_remove(name.as_ref());
        }
    }
    cmd
}

/// Runs `cargo build --message-format=json-render-diagnostics <args>` with the cargo that runs
/// this test, in the same target directory; the `compiler-artifact` messages. Panics with
/// cargo's output, naming `what`, when the build fails.
fn cargo_build(args: &[&str], what: &str) -> Vec<serde_json::Value> {
    let mut cmd = cargo_command();
    cmd.args(["build", "--message-format=json-render-diagnostics"])
        .args(args);
    if let Some(dir) = target_dir() {
        cmd.arg("--target-dir").arg(dir);
    }
    let out = cmd
        .stderr(Stdio::piped())
        .output()
        .expect("cannot run cargo");
    assert!(
        out.status.success(),
        "cargo build of {what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact")
        .collect()
}

/// Builds examples with the cargo that runs this test (`$CARGO`), in the same target directory,
/// and returns their executables in the order asked. `release` adds `--release`. Panics with
/// cargo's output when the build fails.
pub fn cargo_examples(selection: ExampleBuild, examples: &[&str], release: bool) -> Vec<PathBuf> {
    let mut args = match selection {
        ExampleBuild::Workspace => vec!["--workspace"],
        ExampleBuild::Package(p) => vec!["-p", p],
    };
    for e in examples {
        args.extend(["--example", *e]);
    }
    if release {
        args.push("--release");
    }
    let mut found = vec![None; examples.len()];
    for msg in cargo_build(&args, &format!("the examples {examples:?}")) {
        let is_example = msg["target"]["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "example"));
        let (Some(name), Some(exe)) = (msg["target"]["name"].as_str(), msg["executable"].as_str())
        else {
            continue;
        };
        if let Some(i) = examples.iter().position(|e| *e == name)
            && is_example
        {
            found[i] = Some(PathBuf::from(exe));
        }
    }
    found
        .into_iter()
        .zip(examples)
        .map(|(exe, name)| exe.unwrap_or_else(|| panic!("cargo built no executable for {name}")))
        .collect()
}

/// Builds binary `bin` of `package` (debug) with the cargo that runs this test, in the same
/// target directory, and returns its executable. Panics with cargo's output when the build fails.
pub fn cargo_binary(package: &str, bin: &str) -> PathBuf {
    cargo_build(
        &["-p", package, "--bin", bin],
        &format!("{package} --bin {bin}"),
    )
    .into_iter()
    .filter(|msg| msg["target"]["name"] == bin)
    .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
    .unwrap_or_else(|| panic!("cargo built no executable for {bin}"))
}

/// Serves `chaincode` in this process, registering as `package_id`, on a free 127.0.0.1 port
/// until the runtime ends; its address (for [`ChaincodeDef::external`]).
///
/// [`ChaincodeDef::external`]: medledger_network::topology::ChaincodeDef::external
pub async fn serve_in_process(
    chaincode: impl fabric_chaincode::Chaincode,
    package_id: &str,
) -> String {
    let bound = fabric_chaincode::ChaincodeServer::new("127.0.0.1:0", package_id)
        .bind()
        .await
        .expect("bind a chaincode server on 127.0.0.1:0");
    let address = bound.local_addr().to_string();
    tokio::spawn(async move {
        let _ = bound
            .serve_with_shutdown(chaincode, std::future::pending())
            .await;
    });
    address
}

/// A free port on 127.0.0.1 (bound, then released for a child process to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// A chaincode server running as a child process, listening on 127.0.0.1. Killed and reaped
/// when dropped (also when a test panics, which then prints the child's output).
#[derive(Debug)]
pub struct ServerProcess {
    label: String,
    child: std::process::Child,
    address: String,
    log: tempfile::NamedTempFile,
}

impl ServerProcess {
    /// Starts `command(address)` for a free 127.0.0.1 port and waits (polling, at most
    /// `deadline`) until the port accepts connections. If the child exits first (e.g. the port
    /// was taken meanwhile) another port is tried, twice at most.
    pub async fn start(
        label: &str,
        command: impl Fn(&str) -> Command,
        deadline: std::time::Duration,
    ) -> ServerProcess {
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let address = format!("127.0.0.1:{}", free_port());
            let log = tempfile::NamedTempFile::new().expect("temp file");
            let child = command(&address)
                .stdin(Stdio::null())
                .stdout(log.reopen().expect("log file"))
                .stderr(log.reopen().expect("log file"))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start the {label} chaincode server: {e}"));
            let mut server = ServerProcess {
                label: label.to_owned(),
                child,
                address,
                log,
            };
            match server.wait_listening(deadline).await {
                Ok(()) => return server,
                Err(ListenFailure::Exited) => last_log = server.output(),
                Err(ListenFailure::Timeout) => panic!(
                    "the {label} chaincode server did not listen on {} within {deadline:?}; its \
                     output:\n{}",
                    server.address,
                    server.output()
                ),
            }
        }
        panic!("the {label} chaincode server exited three times before listening:\n{last_log}")
    }

    async fn wait_listening(&mut self, deadline: std::time::Duration) -> Result<(), ListenFailure> {
        let start = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(2);
        loop {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return Err(ListenFailure::Exited);
            }
            if tokio::net::TcpStream::connect(&self.address).await.is_ok() {
                return Ok(());
            }
            if start.elapsed() > deadline {
                return Err(ListenFailure::Timeout);
            }
            // Poll again soon: readiness is decided by the port, never by the pause.
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(50));
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the child has exited (reaping it if so).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Polls (at most `deadline`) until the child exits; true if it did.
    pub async fn wait_exit(&mut self, deadline: std::time::Duration) -> bool {
        let start = std::time::Instant::now();
        while start.elapsed() < deadline {
            if self.has_exited() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        self.has_exited()
    }

    /// Sends SIGTERM (with the `kill` command) and waits, at most `grace`, for the child to
    /// exit; true if it did. (Dropping the process kills it with SIGKILL.)
    pub async fn terminate(&mut self, grace: std::time::Duration) -> bool {
        if self.has_exited() {
            return true;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        self.wait_exit(grace).await
    }

    /// Everything the child wrote to stdout and stderr so far.
    pub fn output(&self) -> String {
        std::fs::read(self.log.path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// CPU time the child has used (user + system, all threads), from `/proc/<pid>/stat`.
    pub fn cpu_time(&self) -> Option<std::time::Duration> {
        proc_cpu_time(self.pid())
    }

    /// The child's peak resident set size in KiB (`VmHWM` of `/proc/<pid>/status`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmHWM")
    }
}

enum ListenFailure {
    Exited,
    Timeout,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- output of the {} chaincode server ({}):\n{}",
                self.label,
                self.address,
                self.output()
            );
        }
    }
}

/// The Rust chaincode `exe` served as a CCaaS server on `address`, configured as the Fabric
/// samples do (`CHAINCODE_SERVER_ADDRESS`, `CHAINCODE_ID`).
pub fn rust_chaincode_command(exe: &std::path::Path, address: &str, package_id: &str) -> Command {
    let mut cmd = Command::new(exe);
    cmd.env("CHAINCODE_SERVER_ADDRESS", address)
        .env("CHAINCODE_ID", package_id)
        .env("RUST_LOG", "warn");
    cmd
}

/// The Node chaincode of [`node_chaincode_dir`] served by the official
/// `fabric-chaincode-node server` on `address`. Panics if its packages are not installed.
pub fn node_chaincode_command(address: &str, package_id: &str) -> Command {
    let dir = node_chaincode_dir();
    let bin = dir.join("node_modules/.bin/fabric-chaincode-node");
    assert!(
        bin.exists(),
        "the Node chaincode's packages are not installed: run ./scripts/test-all.sh (or `npm ci \
         --prefix tests/interop/chaincode-node`)"
    );
    let mut cmd = Command::new(bin);
    cmd.args([
        "server",
        "--chaincode-address",
        address,
        "--chaincode-id",
        package_id,
    ])
    .env("CORE_CHAINCODE_LOGGING_LEVEL", "WARNING")
    .current_dir(dir);
    cmd
}

/// User + system CPU time of process `pid` (all its threads), from `/proc/<pid>/stat`.
pub fn proc_cpu_time(pid: u32) -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line; `rest` starts at field 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(std::time::Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second() as f64,
    ))
}

/// `sysconf(_SC_CLK_TCK)`, asked of `getconf` once (100 on Linux).
fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .filter(|t| *t > 0)
            .unwrap_or(100)
    })
}

/// A `kB` field of `/proc/<pid>/status` (`VmHWM`, `VmRSS`, …) in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().trim_end_matches("kB").trim().parse().ok()
    })
}
