//! Throughput of the fabric-sdk Gateway client against the devnet: evaluations and submits
//! (endorse, submit, commit status) at concurrency 1 to 256, with the client's CPU time per
//! transaction.
//!
//! The devnet (and its chaincode, served by our shim) runs in a child process (this binary,
//! started again with `GATEWAY_BENCH_DEVNET_DIR`), so the client's CPU time (this process,
//! `/proc/self/stat`) and the devnet's (the child's) are measured apart. Every client task
//! shares one connection and one gateway (the Doctor of Seoul Medical Center, from the devnet's
//! connection file). Submits write distinct keys (no MVCC conflicts); evaluations read one key.
//!
//! ```text
//! cargo bench -p medledger-e2e --bench gateway_client
//! BENCH_SECS=5 BENCH_FILTER=submit cargo bench -p medledger-e2e --bench gateway_client
//! ```
//!
//! `BENCH_SECS` (default 3) seconds per row after a 1 s warm-up; `BENCH_FILTER=text` keeps the
//! rows whose "<operation> c<concurrency>" contains `text`; `BENCH_CONCURRENCY=1,16` overrides
//! the concurrency levels.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fabric_chaincode::{Chaincode, ChaincodeServer, Response as CcResponse, Stub};
use fabric_sdk::gateway::{ConnectionProfile, Contract};
use medledger_e2e::proc_cpu_time;
use medledger_network::Topology;
use medledger_network::devnet::Devnet;
use medledger_network::topology::ChaincodeDef;

const PACKAGE_ID: &str =
    "kvbench_1.0:6666666666666666666666666666666666666666666666666666666666666666";
const DEVNET_DIR: &str = "GATEWAY_BENCH_DEVNET_DIR";
const READY: &str = "GATEWAY-BENCH-DEVNET-READY";
const DEFAULT_CONCURRENCY: [usize; 6] = [1, 4, 16, 64, 128, 256];

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
    let bound = ChaincodeServer::new("127.0.0.1:0", PACKAGE_ID)
        .bind()
        .await
        .expect("bind the chaincode server");
    let address = bound.local_addr().to_string();
    tokio::spawn(async move {
        let _ = bound.serve_with_shutdown(Kv, std::future::pending()).await;
    });
    let mut t = Topology::medical_default();
    t.block_cutting.batch_timeout = "50ms".into();
    t.block_cutting.max_message_count = 500;
    t.chaincodes = vec![ChaincodeDef {
        name: "kv".into(),
        version: "1.0".into(),
        sequence: 1,
        label: None,
        package_id: Some(PACKAGE_ID.into()),
        address: Some(address),
        command: None,
        tls: Default::default(),
        endorsement_policy: Some(
            "OR('SeoulMedicalCenterMSP.peer', 'MyongjiHospitalMSP.peer')".into(),
        ),
        collections: None,
        collections_file: None,
        init_required: false,
    }];
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

struct Row {
    op: Op,
    concurrency: usize,
    count: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    client_cpu: Duration,
    devnet_cpu: Duration,
}

impl Row {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }

    fn print(&self) {
        let n = self.count.max(1) as u32;
        println!(
            "| {} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.0} µs | {:.0} µs | {} |",
            self.op.name(),
            self.concurrency,
            self.count as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            (self.client_cpu / n).as_secs_f64() * 1e6,
            (self.devnet_cpu / n).as_secs_f64() * 1e6,
            self.errors,
        );
    }
}

async fn one(contract: &Contract, op: Op, task: usize, i: usize) -> fabric_sdk::Result<()> {
    match op {
        Op::Evaluate => contract.evaluate("get", ["k0"]).await.map(drop),
        Op::Submit => {
            let key = format!("k{task}-{i}");
            contract.submit("put", [key.as_str(), "v"]).await.map(drop)
        }
    }
}

/// Runs `op` from `concurrency` tasks for `secs` (after a warm-up), measuring everything.
async fn run(contract: &Contract, op: Op, concurrency: usize, secs: f64, devnet: u32) -> Row {
    let measure = async |duration: Duration, round: usize| {
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for task in 0..concurrency {
            let contract = contract.clone();
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    match one(&contract, op, task + round * 100_000, i).await {
                        Ok(()) => latencies.push(started.elapsed()),
                        Err(e) => {
                            errors += 1;
                            if errors <= 3 {
                                eprintln!("{} c{concurrency}: {e}", op.name());
                            }
                        }
                    }
                    i += 1;
                }
                (latencies, errors)
            }));
        }
        let client0 = proc_cpu_time(std::process::id()).unwrap_or_default();
        let devnet0 = proc_cpu_time(devnet).unwrap_or_default();
        let started = Instant::now();
        tokio::time::sleep(duration).await;
        stop.store(true, Ordering::Relaxed);
        let mut latencies = Vec::new();
        let mut errors = 0;
        for t in tasks {
            if let Ok((l, e)) = t.await {
                latencies.extend(l);
                errors += e;
            }
        }
        let elapsed = started.elapsed();
        let client_cpu = proc_cpu_time(std::process::id())
            .unwrap_or_default()
            .saturating_sub(client0);
        let devnet_cpu = proc_cpu_time(devnet)
            .unwrap_or_default()
            .saturating_sub(devnet0);
        latencies.sort();
        Row {
            op,
            concurrency,
            count: latencies.len(),
            errors,
            elapsed,
            latencies,
            client_cpu,
            devnet_cpu,
        }
    };
    let _ = measure(Duration::from_secs(1), 1).await;
    measure(Duration::from_secs_f64(secs), 2).await
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
    runtime.block_on(bench());
}

async fn bench() {
    use tokio::io::AsyncBufReadExt as _;
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let filter = std::env::var("BENCH_FILTER").ok();
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| DEFAULT_CONCURRENCY.to_vec());

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
    let mut lines = tokio::io::BufReader::new(stdout).lines();
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

    let profile =
        ConnectionProfile::load(data.join("connections").join("SeoulMedicalCenterMSP.json"))
            .await
            .expect("connection file");
    let gateway = profile
        .connect("Doctor1@seoulmedical.example.com")
        .await
        .expect("connect");
    let contract = gateway.network(&profile.channel).contract("kv");
    contract
        .submit("put", ["k0", "the value"])
        .await
        .expect("seed k0");

    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "\nGateway client against the devnet (child process), {cpus} CPUs, {secs} s per row after a 1 s warm-up\n"
    );
    println!(
        "| operation | concurrency | tx/s | p50 | p99 | client CPU per tx | devnet CPU per tx | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for op in [Op::Evaluate, Op::Submit] {
        for &c in &levels {
            let label = format!("{} c{c}", op.name());
            if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
                continue;
            }
            run(&contract, op, c, secs, devnet_pid).await.print();
        }
    }
    let _ = child.kill().await;
}
