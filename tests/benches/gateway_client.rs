//! Our Gateway client against the official Node client (`@hyperledger/fabric-gateway` 1.11)
//! on one devnet, in the same run: evaluations and submits (endorse, submit, commit status) at
//! each concurrency, with throughput, latency and the client's CPU time per transaction.
//!
//! Three processes besides this one: the devnet (and its chaincode, served by our shim; this
//! binary started again with `GATEWAY_BENCH_DEVNET_DIR`), our client's driver (this binary with
//! `GATEWAY_BENCH_DRIVER`) and the Node client's driver (`tests/interop/gateway-bench.mjs`).
//! Both drivers run the same loop: `concurrency` tasks sharing one connection and one gateway
//! (the Doctor of Seoul Medical Center: same certificate, key, TLS root), a 1 s warm-up, then the
//! measured window; the bench reads each driver's CPU time (user + system, all threads) from
//! `/proc/<pid>/stat` when the window opens and when every task has stopped, so a client's CPU
//! excludes the devnet's and its own start-up. The clients run one after the other, never at
//! the same time. Submits write distinct keys (no MVCC conflicts); evaluations read one key.
//!
//! ```text
//! cargo bench -p medledger-e2e --bench gateway_client
//! BENCH_SECS=5 BENCH_CONCURRENCY=1,16,64,256 BENCH_FILTER=evaluate cargo bench -p medledger-e2e --bench gateway_client
//! ```
//!
//! `BENCH_SECS` (default 3) seconds per row after the warm-up; `BENCH_CONCURRENCY` (default
//! `1,16,64,256`); `BENCH_FILTER=text` keeps the rows whose "<operation> c<concurrency>" contains
//! `text`; `BENCH_CLIENTS=rust` skips the Node client (which needs `npm ci --prefix tests/interop`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fabric_chaincode::{Chaincode, Response as CcResponse, Stub};
use fabric_sdk::gateway::{ConnectionProfile, Contract};
use medledger_e2e::{interop_dir, proc_cpu_time, serve_in_process};
use medledger_network::Topology;
use medledger_network::devnet::Devnet;
use medledger_network::topology::ChaincodeDef;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

const PACKAGE_ID: &str =
    "kvbench_1.0:6666666666666666666666666666666666666666666666666666666666666666";
const DEVNET_DIR: &str = "GATEWAY_BENCH_DEVNET_DIR";
const DRIVER: &str = "GATEWAY_BENCH_DRIVER";
const READY: &str = "GATEWAY-BENCH-DEVNET-READY";
const DEFAULT_CONCURRENCY: [usize; 4] = [1, 16, 64, 256];
const WARMUP_SECS: f64 = 1.0;
const DOCTOR: &str = "Doctor1@seoulmedical.example.com";

struct Kv;

impl Chaincode for Kv {
    async fn invoke(&self, stub: Stub) -> CcResponse {
        let key = stub
            .parameters()
            .first()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .unwrap_or_default();
        let r = match stub.function() {
            "put" => {
                let value = stub.parameters().get(1).cloned().unwrap_or_default();
                stub.put_state(&key, value).await.map(|()| Bytes::new())
            }
            _ => stub.get_state(&key).await.map(Option::unwrap_or_default),
        };
        match r {
            Ok(p) => fabric_chaincode::chaincode::success(p),
            Err(e) => fabric_chaincode::chaincode::error(e.to_string()),
        }
    }
}

/// The child: chaincode server and devnet, until killed.
async fn serve_devnet(dir: String) {
    let address = serve_in_process(Kv, PACKAGE_ID).await;
    let mut t = Topology::medical_default();
    t.block_cutting.batch_timeout = "50ms".into();
    t.block_cutting.max_message_count = 500;
    t.chaincodes = vec![ChaincodeDef::external(
        "kv",
        PACKAGE_ID,
        &address,
        "OR('SeoulMedicalCenterMSP.peer', 'MyongjiHospitalMSP.peer')",
    )];
    let _devnet = Devnet::start(dir, t).await.expect("start the devnet");
    println!("{READY}");
    std::future::pending::<()>().await;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Evaluate,
    Submit,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Evaluate => "evaluate",
            Op::Submit => "submit",
        }
    }
}

async fn one(
    contract: &Contract,
    op: Op,
    round: usize,
    task: usize,
    i: usize,
) -> fabric_sdk::Result<()> {
    match op {
        Op::Evaluate => contract.evaluate("get", ["k0"]).await.map(drop),
        Op::Submit => {
            let key = format!("rust-{round}-{task}-{i}");
            contract.submit("put", [key.as_str(), "v"]).await.map(drop)
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// Our client's driver: the same protocol as `tests/interop/gateway-bench.mjs` (rows on stdin,
/// `START` and `END {..}` on stdout).
async fn drive_rust(profile_path: String) {
    let profile = ConnectionProfile::load(&profile_path)
        .await
        .expect("connection file");
    let gateway = profile.connect(DOCTOR).await.expect("connect");
    let contract = gateway.network(&profile.channel).contract("kv");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut round = 0;
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(row) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        round += 1;
        let op = if row["op"] == "submit" {
            Op::Submit
        } else {
            Op::Evaluate
        };
        let concurrency = row["concurrency"].as_u64().unwrap_or(1) as usize;
        let stop = Arc::new(AtomicBool::new(false));
        let measuring = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..concurrency)
            .map(|task| {
                let (contract, stop, measuring, errors) = (
                    contract.clone(),
                    stop.clone(),
                    measuring.clone(),
                    errors.clone(),
                );
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        let r = one(&contract, op, round, task, i).await;
                        if measuring.load(Ordering::Relaxed) {
                            match r {
                                Ok(()) => latencies.push(started.elapsed()),
                                Err(e) => {
                                    if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                                        eprintln!("{} c{concurrency}: {e}", op.name());
                                    }
                                }
                            }
                        }
                        i += 1;
                    }
                    latencies
                })
            })
            .collect();
        let warmup = row["warmupSecs"].as_f64().unwrap_or(WARMUP_SECS);
        tokio::time::sleep(Duration::from_secs_f64(warmup)).await;
        measuring.store(true, Ordering::Relaxed);
        let started = Instant::now();
        println!("START");
        tokio::time::sleep(Duration::from_secs_f64(row["secs"].as_f64().unwrap_or(3.0))).await;
        stop.store(true, Ordering::Relaxed);
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await.unwrap_or_default());
        }
        let elapsed = started.elapsed();
        latencies.sort();
        println!(
            "END {}",
            json!({
                "count": latencies.len(),
                "errors": errors.load(Ordering::Relaxed),
                "elapsedSecs": elapsed.as_secs_f64(),
                "p50Ms": percentile(&latencies, 0.5),
                "p99Ms": percentile(&latencies, 0.99),
            })
        );
    }
}

/// One client driver process, measured from outside.
struct Driver {
    name: &'static str,
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    pid: u32,
}

/// What one row measured for one client.
struct Measured {
    tps: f64,
    cpu_per_tx: Duration,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    devnet_cpu_per_tx: Duration,
}

impl Driver {
    fn spawn(name: &'static str, mut command: tokio::process::Command) -> Driver {
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start the {name} driver: {e}"));
        let pid = child.id().unwrap_or_default();
        let stdin = child.stdin.take().expect("piped stdin");
        let lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        Driver {
            name,
            child,
            stdin,
            lines,
            pid,
        }
    }

    async fn line(&mut self, deadline: Duration) -> String {
        match tokio::time::timeout(deadline, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            other => panic!("the {} driver stopped answering: {other:?}", self.name),
        }
    }

    async fn row(&mut self, op: Op, concurrency: usize, secs: f64, devnet: u32) -> Measured {
        let row = json!({"op": op.name(), "concurrency": concurrency, "secs": secs, "warmupSecs": WARMUP_SECS});
        self.stdin
            .write_all(format!("{row}\n").as_bytes())
            .await
            .expect("write to the driver");
        let deadline = Duration::from_secs_f64(secs + WARMUP_SECS + 120.0);
        let mut line = self.line(deadline).await;
        while line != "START" {
            line = self.line(deadline).await;
        }
        let cpu0 = proc_cpu_time(self.pid).unwrap_or_default();
        let devnet0 = proc_cpu_time(devnet).unwrap_or_default();
        let mut line = self.line(deadline).await;
        while !line.starts_with("END ") {
            line = self.line(deadline).await;
        }
        let cpu = proc_cpu_time(self.pid)
            .unwrap_or_default()
            .saturating_sub(cpu0);
        let devnet_cpu = proc_cpu_time(devnet)
            .unwrap_or_default()
            .saturating_sub(devnet0);
        let end: Value = serde_json::from_str(&line[4..]).expect("END json");
        let count = end["count"].as_u64().unwrap_or(0).max(1);
        Measured {
            tps: end["count"].as_f64().unwrap_or(0.0) / end["elapsedSecs"].as_f64().unwrap_or(1.0),
            cpu_per_tx: cpu / count as u32,
            p50_ms: end["p50Ms"].as_f64().unwrap_or(0.0),
            p99_ms: end["p99Ms"].as_f64().unwrap_or(0.0),
            errors: end["errors"].as_u64().unwrap_or(0),
            devnet_cpu_per_tx: devnet_cpu / count as u32,
        }
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Ok(dir) = std::env::var(DEVNET_DIR) {
        runtime.block_on(serve_devnet(dir));
        return;
    }
    if let Ok(profile) = std::env::var(DRIVER) {
        runtime.block_on(drive_rust(profile));
        return;
    }
    runtime.block_on(bench());
}

fn first_file(dir: std::path::PathBuf) -> std::path::PathBuf {
    std::fs::read_dir(&dir)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
        .map(|e| e.path())
        .unwrap_or_else(|| panic!("no file in {}", dir.display()))
}

async fn bench() {
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let filter = std::env::var("BENCH_FILTER").ok();
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| DEFAULT_CONCURRENCY.to_vec());
    let node_wanted = std::env::var("BENCH_CLIENTS").map_or(true, |c| c.contains("node"));
    let node_ready = interop_dir()
        .join("node_modules/@hyperledger/fabric-gateway")
        .is_dir();

    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("devnet");
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("own path"))
        .env(DEVNET_DIR, &data)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the devnet process");
    let devnet_pid = child.id().unwrap_or_default();
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains(READY) {
                return;
            }
        }
        panic!("the devnet process ended before it was ready");
    })
    .await
    .expect("the devnet did not start in time");

    let profile_path = data.join("connections").join("SeoulMedicalCenterMSP.json");
    let profile = ConnectionProfile::load(&profile_path)
        .await
        .expect("connection file");
    let gateway = profile.connect(DOCTOR).await.expect("connect");
    gateway
        .network(&profile.channel)
        .contract("kv")
        .submit("put", ["k0", "the value"])
        .await
        .expect("seed k0");
    drop(gateway);

    let mut rust = {
        let mut command = tokio::process::Command::new(std::env::current_exe().expect("own path"));
        command.env(DRIVER, &profile_path).env("RUST_LOG", "warn");
        Driver::spawn("Rust", command)
    };
    let mut node = if node_wanted && node_ready {
        assert!(
            !profile.mutual_tls,
            "the Node driver does not do mutual TLS"
        );
        let identity = profile.identity(DOCTOR).expect("the doctor's identity");
        let config = json!({
            "address": profile.gateway_address,
            "tlsRootCertPath": profile.tls_root_cert.as_ref().expect("a TLS devnet"),
            "serverName": profile.server_name,
            "mspId": profile.msp_id,
            "certPath": first_file(identity.msp_dir.join("signcerts")),
            "keyPath": first_file(identity.msp_dir.join("keystore")),
            "channel": profile.channel,
            "chaincode": "kv",
        });
        let mut command = tokio::process::Command::new("node");
        command
            .arg("gateway-bench.mjs")
            .arg(config.to_string())
            .current_dir(interop_dir());
        Some(Driver::spawn("Node", command))
    } else {
        println!(
            "(Node client skipped: {})",
            if node_wanted {
                "run `npm ci --prefix tests/interop` first"
            } else {
                "BENCH_CLIENTS has no `node`"
            }
        );
        None
    };

    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "\nOur Gateway client (Rust) vs the official Node client, one devnet (child process, TLS), \
         {cpus} CPUs, {secs} s per row after a {WARMUP_SECS} s warm-up; CPU = the client process's \
         user + system time per completed transaction\n"
    );
    println!(
        "| operation | concurrency | Rust tx/s | Node tx/s | throughput Rust/Node | Rust CPU/tx | Node CPU/tx | CPU Rust/Node | Rust p50 / p99 | Node p50 / p99 | devnet CPU/tx (Rust run / Node run) | errors (Rust/Node) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for op in [Op::Evaluate, Op::Submit] {
        for &c in &levels {
            let label = format!("{} c{c}", op.name());
            if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
                continue;
            }
            let r = rust.row(op, c, secs, devnet_pid).await;
            let n = match node.as_mut() {
                Some(node) => Some(node.row(op, c, secs, devnet_pid).await),
                None => None,
            };
            let us = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6);
            let (n_tps, ratio, n_cpu, cpu_ratio, n_lat, n_dev, n_err) = match &n {
                Some(n) => (
                    format!("{:.0}", n.tps),
                    format!("{:.2}x", r.tps / n.tps.max(1e-9)),
                    us(n.cpu_per_tx),
                    format!(
                        "{:.2}",
                        r.cpu_per_tx.as_secs_f64() / n.cpu_per_tx.as_secs_f64().max(1e-12)
                    ),
                    format!("{:.1} / {:.1} ms", n.p50_ms, n.p99_ms),
                    us(n.devnet_cpu_per_tx),
                    n.errors.to_string(),
                ),
                None => Default::default(),
            };
            println!(
                "| {} | {c} | {:.0} | {n_tps} | {ratio} | {} | {n_cpu} | {cpu_ratio} | {:.1} / {:.1} ms | {n_lat} | {} / {n_dev} | {} / {n_err} |",
                op.name(),
                r.tps,
                us(r.cpu_per_tx),
                r.p50_ms,
                r.p99_ms,
                us(r.devnet_cpu_per_tx),
                r.errors,
            );
        }
    }
    drop(rust.stdin);
    let _ = rust.child.wait().await;
    if let Some(node) = node {
        drop(node.stdin);
        let mut child = node.child;
        let _ = child.wait().await;
    }
    let _ = child.kill().await;
}
