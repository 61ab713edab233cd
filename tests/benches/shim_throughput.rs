//! Chaincode throughput over loopback gRPC, driven by the peer side of our shim
//! (`peer_side::ChaincodeDialer`), with chaincode servers as separate processes:
//!
//! (a) read-modify-write: asset-transfer `TransferAsset` on a seeded asset, for the Rust example
//!     (release build) and the same contract on the official Node `fabric-shim` 2.5.8;
//! (b) a 20-key write (`Write20` of `examples/bench_chaincode.rs`), Rust only, with Fabric 3.1's
//!     write batching (READY parameters) and without;
//! (c) the kernel's floor: the three round trips of a TransferAsset at concurrency 1, same
//!     sizes, over loopback TCP between this process and a copy of it that only reads and
//!     writes (blocking calls, no gRPC, no runtime).
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
//! keeps the rows whose "<name> c<concurrency>" contains `text`, `BENCH_CONCURRENCY=1,16` the
//! rows of these concurrencies; `BENCH_WRAPPER="valgrind --tool=callgrind"` runs the Rust
//! servers under a profiler; `BENCH_BASELINE=<dir>` adds the server `<dir>/asset_transfer`
//! (built from another commit) to the TransferAsset rows, taking turns with the others at each
//! concurrency, so that two builds are compared in one run.
//!
//! Prints tx/s, p50/p99 latency, the chaincode process's CPU time per transaction (utime+stime
//! of `/proc/<pid>/stat`) and its user/system split, its write system calls and context
//! switches per transaction (`/proc/<pid>/io`, `/proc/<pid>/task/*/status`), and its peak RSS
//! (`VmHWM`).

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

/// `BENCH_FILTER=text`: only the rows whose "<name> c<concurrency>" contains `text`;
/// `BENCH_CONCURRENCY=1,16`: only these concurrencies.
fn selected(name: &str, concurrency: usize) -> bool {
    let name_ok = std::env::var("BENCH_FILTER")
        .map(|f| format!("{name} c{concurrency}").contains(&f))
        .unwrap_or(true);
    let concurrency_ok = std::env::var("BENCH_CONCURRENCY")
        .map(|list| list.split(',').any(|c| c.trim().parse() == Ok(concurrency)))
        .unwrap_or(true);
    name_ok && concurrency_ok
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
    /// The chaincode process's kernel counters during the measurement.
    counters: Option<Counters>,
}

/// Load-independent counters of a process: its user and system CPU time (`utime`/`stime` of
/// `/proc/<pid>/stat`, in clock ticks), its write system calls (`syscw` of `/proc/<pid>/io`:
/// write, writev…; `syscr` is left out since it does not count `recvfrom`, which Tokio reads
/// sockets with) and its context switches summed over its threads (`/proc/<pid>/task/*/status`):
/// voluntary ones are the times it went to sleep waiting (so, wake-ups), involuntary ones
/// preemptions.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    user_ticks: u64,
    system_ticks: u64,
    writes: u64,
    voluntary: u64,
    involuntary: u64,
}

impl Counters {
    fn read(pid: u32) -> Option<Counters> {
        let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
        let field = |text: &str, name: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(':')?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces) start after the last ')';
        // utime and stime are fields 14 and 15 of the line, 12 and 13 of the rest.
        let rest: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
        let mut counters = Counters {
            user_ticks: rest.get(11)?.parse().ok()?,
            system_ticks: rest.get(12)?.parse().ok()?,
            writes: field(&io, "syscw")?,
            ..Counters::default()
        };
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let Ok(status) = std::fs::read_to_string(task.ok()?.path().join("status")) else {
                continue; // the thread ended meanwhile
            };
            counters.voluntary += field(&status, "voluntary_ctxt_switches").unwrap_or(0);
            counters.involuntary += field(&status, "nonvoluntary_ctxt_switches").unwrap_or(0);
        }
        Some(counters)
    }

    fn since(self, before: Counters) -> Counters {
        Counters {
            user_ticks: self.user_ticks.saturating_sub(before.user_ticks),
            system_ticks: self.system_ticks.saturating_sub(before.system_ticks),
            writes: self.writes.saturating_sub(before.writes),
            voluntary: self.voluntary.saturating_sub(before.voluntary),
            involuntary: self.involuntary.saturating_sub(before.involuntary),
        }
    }
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
        let counters_before = Counters::read(server.pid());
        let cpu_before = server.cpu_time();
        let peer_cpu_before = proc_cpu_time(std::process::id());
        let start = Instant::now();
        let per_worker = run(start + duration, true).await;
        let elapsed = start.elapsed();
        let cpu_after = server.cpu_time();
        let peer_cpu_after = proc_cpu_time(std::process::id());
        let counters_after = Counters::read(server.pid());
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
            counters: counters_before.zip(counters_after).map(|(b, a)| a.since(b)),
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
    let counts = m
        .counters
        .map(|c| {
            let per_tx = |n: u64| n as f64 / m.txs as f64;
            let ticks = |n: u64| {
                let total = c.user_ticks + c.system_ticks;
                // The tick counts split the (exact) CPU time per transaction.
                let cpu = m.cpu.map(|d| d.as_secs_f64() * 1e6).unwrap_or(0.0);
                if total == 0 {
                    0.0
                } else {
                    cpu / m.txs as f64 * n as f64 / total as f64
                }
            };
            format!(
                "{:.1} / {:.1} µs | {:.2} | {:.2} / {:.2}",
                ticks(c.user_ticks),
                ticks(c.system_ticks),
                per_tx(c.writes),
                per_tx(c.voluntary),
                per_tx(c.involuntary)
            )
        })
        .unwrap_or_else(|| "n/a | n/a | n/a".into());
    format!(
        "| {name} | {concurrency} | {:.0} | {} | {} | {} | {} | {counts} |",
        m.tps(),
        micros(m.percentile(0.50)),
        micros(m.percentile(0.99)),
        per_tx(m.cpu_per_tx()),
        per_tx(m.peer_cpu_per_tx()),
    )
}

const HEADER: &str = "| chaincode | concurrency | tx/s | p50 | p99 | chaincode CPU per tx | \
                      peer side CPU per tx | chaincode user / system CPU per tx | \
                      chaincode writes per tx | chaincode context switches per tx \
                      (voluntary / involuntary) |\n\
                      |---|---|---|---|---|---|---|---|---|---|";

fn main() {
    if std::env::var_os(FLOOR_RESPONDER_ENV).is_some() {
        floor_responder();
        return;
    }
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
    // `BENCH_BASELINE=<dir>`: also `<dir>/asset_transfer` (e.g. built from another commit),
    // measured in the same run as "Rust asset-transfer (baseline)".
    let mut baseline = match std::env::var_os("BENCH_BASELINE") {
        Some(dir) => {
            let exe = std::path::PathBuf::from(dir).join("asset_transfer");
            Some(
                ServerProcess::start(
                    "Rust asset-transfer (baseline)",
                    |addr| rust_server_command(&exe, addr),
                    START_DEADLINE,
                )
                .await,
            )
        }
        None => None,
    };
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
    // The servers take turns at each concurrency, so that they are compared in the same
    // conditions (this machine is shared).
    let transfer = proposal(&me, "basic", &["TransferAsset", "asset-0", "Alice"]);
    let mut servers_a = vec![("Rust asset-transfer (release)", &rust)];
    if let Some(baseline) = &baseline {
        servers_a.push(("Rust asset-transfer (baseline)", baseline));
    }
    servers_a.push(("Node fabric-shim 2.5.8", &node));
    let mut conns = Vec::new();
    for (_, server) in &servers_a {
        conns.push(connect(server, PeerFeatures::default()).await);
    }
    let mut rows_a = Vec::new();
    let mut tps_at_16 = [0f64; 2];
    for concurrency in CONCURRENCY {
        for (i, ((name, server), conn)) in servers_a.iter().zip(&conns).enumerate() {
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
            let m = measure(conn, server, &peer, &transfer, &inputs, warmup, duration).await;
            eprintln!("{}", row(name, concurrency, &m));
            if concurrency == 16 && i == 0 {
                tps_at_16[0] = m.tps();
            }
            if concurrency == 16 && name.starts_with("Node") {
                tps_at_16[1] = m.tps();
            }
            rows_a.push((i, row(name, concurrency, &m)));
        }
    }
    for conn in conns {
        conn.close().await;
    }
    rows_a.sort_by_key(|(i, _)| *i);
    let mut table_a: Vec<String> = rows_a.into_iter().map(|(_, r)| r).collect();
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
    // (c) The kernel's share: the same three round trips without gRPC or a runtime.
    const FLOOR: &str = "TCP floor: 3 blocking round trips, same sizes";
    if selected(FLOOR, 1) {
        let m = tokio::task::spawn_blocking(move || floor_measure(warmup, duration))
            .await
            .unwrap();
        println!("\n(c) loopback TCP alone, concurrency 1\n\n{HEADER}");
        println!("{}", row(FLOOR, 1, &m));
    }
    if tps_at_16.iter().all(|t| *t > 0.0) {
        println!(
            "\nRust/Node tx/s at concurrency 16 (TransferAsset): {:.1}x",
            tps_at_16[0] / tps_at_16[1]
        );
    }
    println!("\npeak RSS (VmHWM):");
    println!("- Rust asset-transfer: {}", rss(&rust));
    if let Some(baseline) = &baseline {
        println!("- Rust asset-transfer (baseline): {}", rss(baseline));
    }
    println!("- Rust bench chaincode: {}", rss(&rust_bench));
    println!(
        "- Rust bench chaincode, multi-thread runtime: {}",
        rss(&rust_bench_mt)
    );
    println!("- Node asset-transfer: {}", rss(&node));
    // SIGTERM: the servers shut down gracefully (and profilers get to write their output).
    for server in [&mut rust, &mut rust_bench, &mut rust_bench_mt]
        .into_iter()
        .chain(baseline.as_mut())
    {
        server.terminate(Duration::from_secs(30)).await;
    }
}

// ------------------------------------------------------------------------------ the TCP floor

/// What the kernel alone costs for the messages of one TransferAsset at concurrency 1: three
/// round trips over loopback TCP (TCP_NODELAY) of about the same sizes, peer → chaincode then
/// chaincode → peer: TRANSACTION / GET_STATE, RESPONSE / PUT_STATE, RESPONSE / COMPLETED (gRPC
/// and HTTP/2 framing included; 1 664 bytes in all, as measured with `nstat` on the real
/// exchange). The "chaincode" here is a process of this binary that only reads and writes with
/// blocking calls: no gRPC, no runtime, no epoll.
const FLOOR_EXCHANGE: [(usize, usize); 3] = [(1100, 80), (180, 200), (24, 80)];

/// Set in the environment of the floor's responder process.
const FLOOR_RESPONDER_ENV: &str = "SHIM_BENCH_TCP_FLOOR_RESPONDER";

/// The responder process: listens on 127.0.0.1, prints its port, serves one connection.
fn floor_responder() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_nodelay(true).unwrap();
    let mut inbound = vec![0u8; 4096];
    let outbound = vec![7u8; 4096];
    loop {
        for (into, out) in FLOOR_EXCHANGE {
            if conn.read_exact(&mut inbound[..into]).is_err() {
                return; // the driver is done
            }
            write_all_vectored(&mut conn, &outbound[..out]);
        }
    }
}

/// `write_all` through `writev`, as Tokio writes (`std`'s `write` is a `send`, which
/// `/proc/<pid>/io` does not count).
fn write_all_vectored(conn: &mut std::net::TcpStream, mut bytes: &[u8]) {
    use std::io::Write;
    while !bytes.is_empty() {
        let n = conn
            .write_vectored(&[std::io::IoSlice::new(bytes)])
            .unwrap();
        bytes = &bytes[n..];
    }
}

/// Drives the responder like the peer side drives a chaincode at concurrency 1.
fn floor_measure(warmup: Duration, duration: Duration) -> Measured {
    use std::io::{BufRead, Read, Write};
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .env(FLOOR_RESPONDER_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().unwrap();
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_nodelay(true).unwrap();
    let outbound = vec![9u8; 4096];
    let mut inbound = vec![0u8; 4096];
    let mut run = |until: Instant| {
        let mut latencies = Vec::new();
        while Instant::now() < until {
            let start = Instant::now();
            for (out, into) in FLOOR_EXCHANGE {
                conn.write_all(&outbound[..out]).unwrap();
                conn.read_exact(&mut inbound[..into]).unwrap();
            }
            latencies.push(start.elapsed().as_nanos() as u64);
        }
        latencies
    };
    run(Instant::now() + warmup);
    let mut rounds = Vec::new();
    for _ in 0..rounds_per_row() {
        let counters_before = Counters::read(pid);
        let cpu_before = proc_cpu_time(pid);
        let start = Instant::now();
        let mut latencies = run(start + duration);
        let elapsed = start.elapsed();
        let cpu_after = proc_cpu_time(pid);
        let counters_after = Counters::read(pid);
        latencies.sort_unstable();
        rounds.push(Measured {
            txs: latencies.len(),
            elapsed,
            latencies,
            cpu: cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b)),
            peer_cpu: None,
            counters: counters_before.zip(counters_after).map(|(b, a)| a.since(b)),
        });
    }
    drop(conn);
    let _ = child.wait();
    rounds.sort_by(|a, b| a.tps().total_cmp(&b.tps()));
    rounds.swap_remove(rounds.len() / 2)
}
