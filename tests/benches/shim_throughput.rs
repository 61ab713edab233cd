//! Chaincode throughput over loopback gRPC, driven by the peer side of our shim
//! (`peer_side::ChaincodeDialer`), with chaincode servers as separate processes:
//!
//! (a) read-modify-write: asset-transfer `TransferAsset` on a seeded asset, for the Rust example
//!     (release build) and the same contract on the official Node `fabric-shim` 2.5.8;
//! (b) a 20-key write (`Write20` of `examples/bench_chaincode.rs`), Rust only, with Fabric 3.1's
//!     write batching (READY parameters) and without.
//!
//! The peer side answers GET_STATE/PUT_STATE/WRITE_BATCH_STATE from an in-memory map (not the
//! full ledger simulator), so that the chaincode is what is measured. Each transaction carries
//! a real signed proposal (`User1@org1.example.com` of the recorded v3.1.5 network).
//!
//! ```text
//! cargo bench -p medledger-e2e --bench shim_throughput
//! BENCH_SECS=5 cargo bench -p medledger-e2e --bench shim_throughput   # longer rounds
//! ```
//!
//! Each row is measured in `BENCH_ROUNDS` rounds (default 3) of `BENCH_SECS` seconds (default
//! 2) after a warm-up, and the median round (by throughput) is reported. `BENCH_FILTER=text`
//! keeps the rows whose "<name> c<concurrency>" contains `text`; `BENCH_WRAPPER="valgrind
//! --tool=callgrind"` runs the Rust servers under a profiler.
//!
//! Prints tx/s, p50/p99 latency, the chaincode process's CPU time per transaction (utime+stime
//! of `/proc/<pid>/stat`) and its peak RSS (`VmHWM`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fabric_chaincode::PeerFeatures;
use fabric_chaincode::peer_side::{
    ChaincodeConnection, ChaincodeDialer, ChaincodeRequest, ExecuteKind, Reply, RequestHandler,
};
use fabric_sdk::identity::SigningIdentity;
use fabric_sdk::protos::Message;
use fabric_sdk::protos::protos::chaincode_message::Type;
use fabric_sdk::protos::protos::{
    ChaincodeInput, DelState, GetState, PutState, Response, SignedProposal, WriteBatchState,
};
use fabric_sdk::tx::ProposalBuilder;
use futures_util::future::join_all;
use medledger_e2e::{
    ExampleBuild, ServerProcess, cargo_examples, node_chaincode_command, proc_cpu_time,
    rust_chaincode_command, workspace_root,
};

const CHANNEL: &str = "mychannel";
const PACKAGE_ID: &str =
    "bench_1.0:5e2a4bb3f6d0a7c1e9b8d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4";
const CONCURRENCY: [usize; 3] = [1, 16, 64];
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The Rust chaincode server `exe` on `address`; `BENCH_WRAPPER` (e.g. `valgrind
/// --tool=callgrind`) runs it under a profiler.
fn rust_server_command(exe: &std::path::Path, address: &str) -> std::process::Command {
    let cmd = rust_chaincode_command(exe, address, PACKAGE_ID);
    let Ok(wrapper) = std::env::var("BENCH_WRAPPER") else {
        return cmd;
    };
    let mut words = wrapper.split_whitespace();
    let mut wrapped = std::process::Command::new(words.next().unwrap_or("env"));
    wrapped.args(words).arg(cmd.get_program());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            wrapped.env(k, v);
        }
    }
    wrapped
}

/// `BENCH_FILTER=text`: only the rows whose "<name> c<concurrency>" contains `text`.
fn selected(name: &str, concurrency: usize) -> bool {
    std::env::var("BENCH_FILTER")
        .map(|f| format!("{name} c{concurrency}").contains(&f))
        .unwrap_or(true)
}

// ------------------------------------------------------------------------ the peer's ledger

/// The peer side's state: a map, answering as fast as it can.
#[derive(Default)]
struct FastPeer {
    state: Mutex<HashMap<String, Bytes>>,
}

impl FastPeer {
    fn answer(&self, req: &ChaincodeRequest) -> Reply {
        let mut state = self.state.lock().unwrap();
        match req.kind {
            Type::GetState => match req.decode::<GetState>() {
                Ok(get) => Reply::ok(state.get(&get.key).cloned().unwrap_or_default()),
                Err(e) => Reply::error(e.to_string()),
            },
            Type::PutState => match req.decode::<PutState>() {
                Ok(put) => {
                    state.insert(put.key, put.value);
                    Reply::empty()
                }
                Err(e) => Reply::error(e.to_string()),
            },
            Type::DelState => match req.decode::<DelState>() {
                Ok(del) => {
                    state.remove(&del.key);
                    Reply::empty()
                }
                Err(e) => Reply::error(e.to_string()),
            },
            Type::WriteBatchState => match req.decode::<WriteBatchState>() {
                Ok(batch) => {
                    for r in batch.rec {
                        state.insert(r.key, r.value);
                    }
                    Reply::empty()
                }
                Err(e) => Reply::error(e.to_string()),
            },
            other => Reply::error(format!("the bench peer does not serve {other:?}")),
        }
    }
}

impl RequestHandler for FastPeer {
    fn handle(&self, request: ChaincodeRequest) -> impl Future<Output = Reply> + Send {
        std::future::ready(self.answer(&request))
    }
}

// ---------------------------------------------------------------------------- measuring

/// One measured configuration.
struct Measured {
    txs: usize,
    elapsed: Duration,
    /// Latencies in nanoseconds, sorted.
    latencies: Vec<u64>,
    /// Chaincode process CPU time during the measurement.
    cpu: Option<Duration>,
    /// This process's (the peer side's) CPU time during the measurement.
    peer_cpu: Option<Duration>,
}

impl Measured {
    fn tps(&self) -> f64 {
        self.txs as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len());
        Duration::from_nanos(self.latencies[i - 1])
    }

    fn cpu_per_tx(&self) -> Option<Duration> {
        self.cpu.map(|c| c / self.txs as u32)
    }

    fn peer_cpu_per_tx(&self) -> Option<Duration> {
        self.peer_cpu.map(|c| c / self.txs as u32)
    }
}

/// What one worker sends: the i-th transaction's encoded `ChaincodeInput`.
type Inputs = Vec<Vec<Bytes>>;

/// Runs `concurrency` workers for `warmup` (not measured) then `duration` on `conn`. Worker `w`
/// cycles through `inputs[w]`.
async fn measure(
    conn: &ChaincodeConnection,
    server: &ServerProcess,
    peer: &FastPeer,
    proposal: &SignedProposal,
    inputs: &Inputs,
    warmup: Duration,
    duration: Duration,
) -> Measured {
    let concurrency = inputs.len();
    let counter = std::sync::atomic::AtomicU64::new(0);
    let run = |until: Instant, keep: bool| {
        let counter = &counter;
        join_all((0..concurrency).map(move |w| async move {
            let mut latencies = Vec::new();
            let mut i = 0usize;
            while Instant::now() < until {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let txid = format!("bench-{n:016x}");
                let input = inputs[w][i % inputs[w].len()].clone();
                i += 1;
                let start = Instant::now();
                let done = conn
                    .execute_encoded(
                        CHANNEL,
                        &txid,
                        ExecuteKind::Transaction,
                        input,
                        Some(proposal.clone()),
                        peer,
                    )
                    .await
                    .unwrap_or_else(|e| panic!("transaction {txid}: {e}"));
                let took = start.elapsed();
                let response = Response::decode(done.payload).unwrap();
                assert_eq!(response.status, 200, "{txid}: {}", response.message);
                if keep {
                    latencies.push(took.as_nanos() as u64);
                }
            }
            latencies
        }))
    };
    run(Instant::now() + warmup, false).await;
    // Several rounds, and the median one by throughput: the machines are shared and noisy.
    let mut rounds = Vec::new();
    for _ in 0..rounds_per_row() {
        let cpu_before = server.cpu_time();
        let peer_cpu_before = proc_cpu_time(std::process::id());
        let start = Instant::now();
        let per_worker = run(start + duration, true).await;
        let elapsed = start.elapsed();
        let cpu_after = server.cpu_time();
        let peer_cpu_after = proc_cpu_time(std::process::id());
        let mut latencies: Vec<u64> = per_worker.into_iter().flatten().collect();
        latencies.sort_unstable();
        rounds.push(Measured {
            txs: latencies.len(),
            elapsed,
            latencies,
            cpu: cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b)),
            peer_cpu: peer_cpu_before
                .zip(peer_cpu_after)
                .map(|(b, a)| a.saturating_sub(b)),
        });
    }
    let all: Vec<String> = rounds.iter().map(|m| format!("{:.0}", m.tps())).collect();
    eprintln!(
        "  rounds (tx/s): {}; {} transactions in all, warm-up included",
        all.join(", "),
        counter.load(std::sync::atomic::Ordering::Relaxed)
    );
    rounds.sort_by(|a, b| a.tps().total_cmp(&b.tps()));
    rounds.swap_remove(rounds.len() / 2)
}

/// `BENCH_ROUNDS` (default 3): measured rounds per row, the median reported.
fn rounds_per_row() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(3)
}

fn encode_input(args: &[&str]) -> Bytes {
    ChaincodeInput {
        args: args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect(),
        ..Default::default()
    }
    .encode_to_vec()
    .into()
}

fn proposal(me: &SigningIdentity, chaincode: &str, args: &[&str]) -> SignedProposal {
    ProposalBuilder::new(CHANNEL, chaincode, me.serialized().to_vec())
        .args(args.iter().map(|a| a.as_bytes().to_vec()))
        .build()
        .unwrap()
        .sign(me.signer.as_ref())
        .unwrap()
}

async fn connect(server: &ServerProcess, features: PeerFeatures) -> ChaincodeConnection {
    ChaincodeDialer::new(server.address())
        .features(features)
        .expect_package_id(PACKAGE_ID)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", server.address()))
}

// ------------------------------------------------------------------------------ reporting

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn row(name: &str, concurrency: usize, m: &Measured) -> String {
    let per_tx = |c: Option<Duration>| {
        c.map(|c| format!("{:.1} µs", c.as_secs_f64() * 1e6))
            .unwrap_or_else(|| "n/a".into())
    };
    format!(
        "| {name} | {concurrency} | {:.0} | {} | {} | {} | {} |",
        m.tps(),
        micros(m.percentile(0.50)),
        micros(m.percentile(0.99)),
        per_tx(m.cpu_per_tx()),
        per_tx(m.peer_cpu_per_tx()),
    )
}

const HEADER: &str = "| chaincode | concurrency | tx/s | p50 | p99 | chaincode CPU per tx | \
                      peer side CPU per tx |\n|---|---|---|---|---|---|---|";

fn main() {
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let duration = Duration::from_secs_f64(secs);
    let warmup = Duration::from_secs_f64((secs / 5.0).max(0.3));
    eprintln!("building the chaincode examples (release)…");
    let exes = cargo_examples(
        ExampleBuild::Package("fabric-chaincode"),
        &["asset_transfer", "bench_chaincode"],
        true,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(&exes[0], &exes[1], warmup, duration));
}

async fn bench(
    asset_exe: &std::path::Path,
    bench_exe: &std::path::Path,
    warmup: Duration,
    duration: Duration,
) {
    let me = SigningIdentity::from_msp_dir(
        workspace_root().join(
            "tests/vectors/fabric-v3.1.5/crypto/peerOrganizations/org1.example.com/users/\
             User1@org1.example.com/msp",
        ),
        "Org1MSP",
    )
    .unwrap();
    let mut rust = ServerProcess::start(
        "Rust asset-transfer",
        |addr| rust_server_command(asset_exe, addr),
        START_DEADLINE,
    )
    .await;
    let node = ServerProcess::start(
        "Node asset-transfer",
        |addr| node_chaincode_command(addr, PACKAGE_ID),
        START_DEADLINE,
    )
    .await;
    let mut rust_bench = ServerProcess::start(
        "Rust bench chaincode",
        |addr| rust_server_command(bench_exe, addr),
        START_DEADLINE,
    )
    .await;
    let mut rust_bench_mt = ServerProcess::start(
        "Rust bench chaincode, multi-thread runtime",
        |addr| {
            let mut cmd = rust_server_command(bench_exe, addr);
            cmd.env("BENCH_RUNTIME", "multi_thread");
            cmd
        },
        START_DEADLINE,
    )
    .await;
    let cpus = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Cpus_allowed_list:")
                    .map(|v| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "?".into());
    println!(
        "{} rounds of {duration:?} per row (median reported) after {warmup:?} of warm-up; peer \
         side: one connection, a current-thread runtime; CPUs allowed (all processes): {cpus} \
         (online: {})",
        rounds_per_row(),
        std::fs::read_to_string("/sys/devices/system/cpu/online")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "?".into())
    );

    // (a) TransferAsset: worker w moves asset-w between two owners of the same name length.
    let transfer = proposal(&me, "basic", &["TransferAsset", "asset-0", "Alice"]);
    let mut table_a = Vec::new();
    let mut tps_at_16 = [0f64; 2];
    for (name, server) in [
        ("Rust asset-transfer (release)", &rust),
        ("Node fabric-shim 2.5.8", &node),
    ] {
        let conn = connect(server, PeerFeatures::default()).await;
        for concurrency in CONCURRENCY {
            if !selected(name, concurrency) {
                continue;
            }
            let peer = FastPeer::default();
            let inputs: Inputs = (0..concurrency)
                .map(|w| {
                    let id = format!("asset-{w}");
                    let stored = format!(
                        r#"{{"AppraisedValue":300,"Color":"blue","ID":"{id}","Owner":"Alice","Size":5,"docType":"asset"}}"#
                    );
                    peer.state
                        .lock()
                        .unwrap()
                        .insert(id.clone(), Bytes::from(stored));
                    vec![
                        encode_input(&["TransferAsset", &id, "Bobby"]),
                        encode_input(&["TransferAsset", &id, "Alice"]),
                    ]
                })
                .collect();
            let m = measure(&conn, server, &peer, &transfer, &inputs, warmup, duration).await;
            eprintln!("{}", row(name, concurrency, &m));
            if concurrency == 16 {
                tps_at_16[usize::from(name.starts_with("Node"))] = m.tps();
            }
            table_a.push(row(name, concurrency, &m));
        }
        conn.close().await;
    }
    // The RMW of bench_chaincode: the same exchange without JSON, i.e. the shim alone, on
    // both Tokio runtimes.
    let rmw = proposal(&me, "bench", &["Rmw", "counter-0"]);
    for (name, server) in [
        ("Rust `Rmw`, current-thread runtime", &rust_bench),
        ("Rust `Rmw`, multi-thread runtime", &rust_bench_mt),
    ] {
        let conn = connect(server, PeerFeatures::default()).await;
        for concurrency in CONCURRENCY {
            if !selected(name, concurrency) {
                continue;
            }
            let peer = FastPeer::default();
            let inputs: Inputs = (0..concurrency)
                .map(|w| vec![encode_input(&["Rmw", &format!("counter-{w}")])])
                .collect();
            let m = measure(&conn, server, &peer, &rmw, &inputs, warmup, duration).await;
            eprintln!("{}", row(name, concurrency, &m));
            table_a.push(row(name, concurrency, &m));
        }
        conn.close().await;
    }

    // (b) Write20 with and without write batching.
    let write20 = proposal(&me, "bench", &["Write20", "w0-"]);
    let mut table_b = Vec::new();
    for (name, features) in [
        (
            "Rust Write20, batching on (Fabric 3.1 READY)",
            PeerFeatures::FABRIC_3_1,
        ),
        (
            "Rust Write20, batching off (Fabric 2.5 READY)",
            PeerFeatures::default(),
        ),
    ] {
        let conn = connect(&rust_bench, features).await;
        for concurrency in CONCURRENCY {
            if !selected(name, concurrency) {
                continue;
            }
            let peer = FastPeer::default();
            let inputs: Inputs = (0..concurrency)
                .map(|w| vec![encode_input(&["Write20", &format!("w{w}-")])])
                .collect();
            let m = measure(
                &conn,
                &rust_bench,
                &peer,
                &write20,
                &inputs,
                warmup,
                duration,
            )
            .await;
            eprintln!("{}", row(name, concurrency, &m));
            table_b.push(row(name, concurrency, &m));
        }
        conn.close().await;
    }

    let rss = |s: &ServerProcess| {
        let mib = |field| {
            medledger_e2e::proc_status_kib(s.pid(), field)
                .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
                .unwrap_or_else(|| "n/a".into())
        };
        format!(
            "{} = {} kB (now {}: {} anonymous, {} file)",
            mib("VmHWM"),
            medledger_e2e::proc_status_kib(s.pid(), "VmHWM").map_or(0, |k| k * 1024 / 1000),
            mib("VmRSS"),
            mib("RssAnon"),
            mib("RssFile")
        )
    };
    println!("\n(a) read-modify-write\n\n{HEADER}");
    for r in &table_a {
        println!("{r}");
    }
    println!("\n(b) 20-key write\n\n{HEADER}");
    for r in &table_b {
        println!("{r}");
    }
    if tps_at_16.iter().all(|t| *t > 0.0) {
        println!(
            "\nRust/Node tx/s at concurrency 16 (TransferAsset): {:.1}x",
            tps_at_16[0] / tps_at_16[1]
        );
    }
    println!("\npeak RSS (VmHWM):");
    println!("- Rust asset-transfer: {}", rss(&rust));
    println!("- Rust bench chaincode: {}", rss(&rust_bench));
    println!(
        "- Rust bench chaincode, multi-thread runtime: {}",
        rss(&rust_bench_mt)
    );
    println!("- Node asset-transfer: {}", rss(&node));
    // SIGTERM: the servers shut down gracefully (and profilers get to write their output).
    for server in [&mut rust, &mut rust_bench, &mut rust_bench_mt] {
        server.terminate(Duration::from_secs(30)).await;
    }
}
