//! Devnet throughput: committed transactions per second, end-to-end latency and evaluations per
//! second of the embedded devnet on the default topology, driven over the Gateway API.
//!
//! What runs, in this process, on three Tokio runtimes as three processes would have them:
//!
//! - the devnet (multi-threaded runtime, threads `devnet`): `Devnet::start` in a temporary
//!   directory with `Topology::medical_default()` (four organisations, one peer each, TLS on,
//!   free ports, full validation, redb ledger fsync'd per block); its chaincode definition keeps
//!   the default endorsement policy `OutOf(2, SMC.peer, MJH.peer, NHIS.peer)`, so two
//!   organisations endorse every transaction;
//! - the chaincode (current-thread runtime, thread `chaincode`, as the example's `main`): the
//!   asset-transfer contract of `chaincode/shim/examples/asset_transfer` served by our shim as
//!   chaincode-as-a-service on 127.0.0.1 (no TLS), dialled by each endorsing peer;
//! - the clients (multi-threaded runtime, threads `client`): tasks using a small Gateway client
//!   written with `fabric_sdk::tx` (as `tests/devnet_gateway.rs` does) over TLS to Seoul Medical
//!   Center's gateway, signing with the aws-lc signer as Doctor1: per transaction Endorse → sign
//!   → Submit → CommitStatus (signed). Each task transfers its own asset back and forth
//!   (`TransferAsset asset-<w>`, a read-modify-write), so there are no MVCC conflicts; every
//!   commit code is checked, invalid transactions are counted and reported. Evaluations:
//!   `ReadAsset asset-<w>` via Evaluate.
//!
//! ```text
//! cargo bench -p medledger-network --bench devnet_throughput
//! BENCH_QUICK=1 cargo bench -p medledger-network --bench devnet_throughput      # ~1 s points
//! BENCH_CUT=10,10ms cargo bench -p medledger-network --bench devnet_throughput  # block cutting
//! ```
//!
//! Settings (environment): `BENCH_SECS` (measured seconds per point, default 4; 1 with
//! `BENCH_QUICK=1`; points with fewer tasks than the block's transaction count are measured
//! over at least three batch timeouts, since every block then waits for the timeout),
//! `BENCH_CONCURRENCY` (default `1,4,16,64,256`), `BENCH_EVAL` (0 skips the evaluations),
//! `BENCH_LONE` (lone transactions measured, default 3), `BENCH_CUT=<max tx count>,<batch
//! timeout>` (default: the topology's, 10 transactions and 2 s), `BENCH_CONNECTIONS` (HTTP/2
//! connections to the gateway, default 4), `BENCH_SKIP_SWEEP=1`.
//!
//! Prints per concurrency: committed tx/s, p50/p99 latency (proposal built → commit status
//! received) and the p50 of each phase, invalid transactions, blocks and transactions per
//! block, and CPU time per transaction (utime + stime): of the whole process, and split into
//! devnet, chaincode and client threads; then the same for evaluations, and the latency of lone
//! transactions against the batch timeout.

#[path = "../../chaincode/shim/examples/asset_transfer/contract.rs"]
#[allow(dead_code)]
mod contract;

use bytes::Bytes;
use fabric_chaincode::ChaincodeServer;
use fabric_protos::common::Envelope;
use fabric_protos::gateway::gateway_client::GatewayClient;
use fabric_protos::gateway::{
    CommitStatusRequest, EndorseRequest, EvaluateRequest, SignedCommitStatusRequest, SubmitRequest,
};
use fabric_protos::protos::TxValidationCode;
use fabric_sdk::identity::SigningIdentity;
use fabric_sdk::tx::ProposalBuilder;
use medledger_network::Topology;
use medledger_network::devnet::Devnet;
use prost::Message;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

const GATEWAY_MSP: &str = "SeoulMedicalCenterMSP";
const CLIENT: &str = "Doctor1@seoulmedical.example.com";
const CHAINCODE: &str = "basic";
const PACKAGE_ID: &str =
    "basic_1.0:3333333333333333333333333333333333333333333333333333333333333333";

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = Result<T, BoxError>;

fn env_parse<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

struct Settings {
    secs: f64,
    warmup: f64,
    concurrency: Vec<usize>,
    eval: bool,
    lone: usize,
    cut: Option<(u32, String)>,
    connections: usize,
    sweep: bool,
}

impl Settings {
    fn from_env() -> Res<Settings> {
        let quick = env_parse::<u8>("BENCH_QUICK").is_some_and(|q| q > 0);
        let secs = env_parse("BENCH_SECS").unwrap_or(if quick { 1.0 } else { 4.0 });
        let concurrency = match std::env::var("BENCH_CONCURRENCY") {
            Ok(list) => list
                .split(',')
                .map(|c| c.trim().parse::<usize>())
                .collect::<Result<Vec<_>, _>>()?,
            Err(_) => vec![1, 4, 16, 64, 256],
        };
        let cut = match std::env::var("BENCH_CUT") {
            Ok(v) => {
                let (count, timeout) = v
                    .split_once(',')
                    .ok_or("BENCH_CUT is <max tx count>,<batch timeout>, e.g. 10,2s")?;
                Some((count.trim().parse()?, timeout.trim().to_owned()))
            }
            Err(_) => None,
        };
        Ok(Settings {
            secs,
            warmup: (secs / 4.0).clamp(0.3, 1.0),
            concurrency,
            eval: env_parse::<u8>("BENCH_EVAL").is_none_or(|e| e > 0),
            lone: env_parse("BENCH_LONE").unwrap_or(3),
            cut,
            connections: env_parse("BENCH_CONNECTIONS").unwrap_or(4).max(1),
            sweep: env_parse::<u8>("BENCH_SKIP_SWEEP").is_none_or(|s| s == 0),
        })
    }
}

// ------------------------------------------------------------------------------ the client

/// A Gateway client of one organisation's peer, signing as one identity.
#[derive(Clone)]
struct Client {
    gw: GatewayClient<Channel>,
    channel: String,
    me: Arc<SigningIdentity>,
}

/// One transaction's outcome.
struct Outcome {
    code: TxValidationCode,
    block: u64,
    /// Endorse, Submit and CommitStatus durations (nanoseconds).
    phases: [u64; 3],
}

impl Client {
    fn proposal(&self, args: &[&str]) -> Res<(String, fabric_protos::protos::SignedProposal)> {
        let p = ProposalBuilder::new(&self.channel, CHAINCODE, self.me.serialized().to_vec())
            .args(args.iter().map(|a| a.as_bytes().to_vec()))
            .build()?;
        let signed = p.sign(self.me.signer.as_ref())?;
        Ok((p.txid().to_owned(), signed))
    }

    async fn evaluate(&mut self, args: &[&str]) -> Res<Bytes> {
        let (txid, signed) = self.proposal(args)?;
        let r = self
            .gw
            .evaluate(EvaluateRequest {
                transaction_id: txid,
                channel_id: self.channel.clone(),
                proposed_transaction: Some(signed),
                target_organizations: vec![],
            })
            .await?
            .into_inner();
        Ok(r.result.unwrap_or_default().payload)
    }

    /// Endorse, sign, submit, wait for the commit status.
    async fn submit(&mut self, args: &[&str]) -> Res<Outcome> {
        let t0 = Instant::now();
        let (txid, signed) = self.proposal(args)?;
        let prepared = self
            .gw
            .endorse(EndorseRequest {
                transaction_id: txid.clone(),
                channel_id: self.channel.clone(),
                proposed_transaction: Some(signed),
                endorsing_organizations: vec![],
            })
            .await?
            .into_inner()
            .prepared_transaction
            .ok_or("endorse returned no transaction")?;
        let t1 = Instant::now();
        let signature = self.me.sign(&prepared.payload)?;
        self.gw
            .submit(SubmitRequest {
                transaction_id: txid.clone(),
                channel_id: self.channel.clone(),
                prepared_transaction: Some(Envelope {
                    payload: prepared.payload,
                    signature: signature.into(),
                }),
            })
            .await?;
        let t2 = Instant::now();
        let request = CommitStatusRequest {
            transaction_id: txid,
            channel_id: self.channel.clone(),
            identity: Bytes::copy_from_slice(self.me.serialized()),
        }
        .encode_to_vec();
        let signature = self.me.sign(&request)?;
        let status = self
            .gw
            .commit_status(SignedCommitStatusRequest {
                request: request.into(),
                signature: signature.into(),
            })
            .await?
            .into_inner();
        Ok(Outcome {
            code: TxValidationCode::try_from(status.result)?,
            block: status.block_number,
            phases: [t1 - t0, t2 - t1, t2.elapsed()].map(|d| d.as_nanos() as u64),
        })
    }
}

/// Where and how the clients connect.
#[derive(Clone)]
struct Target {
    address: String,
    server_name: String,
    ca_pem: Vec<u8>,
    channel: String,
}

async fn connect(target: Target, me: Arc<SigningIdentity>, n: usize) -> Res<Vec<Client>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&target.ca_pem))
            .domain_name(target.server_name.clone());
        let ch = Endpoint::from_shared(format!("https://{}", target.address))?
            .tls_config(tls)?
            .connect()
            .await?;
        out.push(Client {
            gw: GatewayClient::new(ch),
            channel: target.channel.clone(),
            me: me.clone(),
        });
    }
    Ok(out)
}

// ----------------------------------------------------------------------------- measuring

/// Thread names: the runtimes' threads are named so that their CPU time can be told apart.
const CLIENT_THREADS: &str = "client";
const CHAINCODE_THREAD: &str = "chaincode";
const DEVNET_THREADS: &str = "devnet";

/// CPU time (utime + stime) of the process, and of the client and chaincode threads.
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    total: Duration,
    client: Duration,
    chaincode: Duration,
}

impl Cpu {
    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            total: self.total.saturating_sub(before.total),
            client: self.client.saturating_sub(before.client),
            chaincode: self.chaincode.saturating_sub(before.chaincode),
        }
    }
}

/// `(comm, utime + stime)` of a `/proc/.../stat` file.
fn stat_cpu(path: &std::path::Path) -> Option<(String, Duration)> {
    let stat = std::fs::read_to_string(path).ok()?;
    let comm = stat.get(stat.find('(')? + 1..stat.rfind(')')?)?.to_owned();
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // _SC_CLK_TCK is 100 on Linux.
    Some((comm, Duration::from_millis(ticks * 10)))
}

/// The process's CPU time (threads that have exited included), and the client and chaincode
/// threads' (which live as long as the bench).
fn cpu_sample() -> Option<Cpu> {
    let (_, total) = stat_cpu(std::path::Path::new("/proc/self/stat"))?;
    let mut cpu = Cpu {
        total,
        ..Cpu::default()
    };
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        if let Some((comm, t)) = stat_cpu(&task.path().join("stat")) {
            match comm.as_str() {
                CLIENT_THREADS => cpu.client += t,
                CHAINCODE_THREAD => cpu.chaincode += t,
                _ => {}
            }
        }
    }
    Some(cpu)
}

#[derive(Default)]
struct Point {
    done: usize,
    elapsed: Duration,
    /// Sorted, nanoseconds.
    latencies: Vec<u64>,
    /// Endorse, Submit, CommitStatus: sorted, nanoseconds.
    phases: [Vec<u64>; 3],
    invalid: usize,
    errors: usize,
    first_error: Option<String>,
    blocks: usize,
    cpu: Option<Cpu>,
}

impl Point {
    fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }
    /// CPU per operation: the whole process, then devnet / chaincode / client threads.
    fn cpu_per_op(&self) -> String {
        match self.cpu {
            // The kernel counts CPU time in 10 ms ticks: too few to divide below 0.2 s.
            Some(c) if self.done > 0 && c.total >= Duration::from_millis(200) => {
                let us = |d: Duration| d.as_secs_f64() * 1e6 / self.done as f64;
                let devnet = c.total.saturating_sub(c.client + c.chaincode);
                format!(
                    "{:.0} µs ({:.0} / {:.0} / {:.0})",
                    us(c.total),
                    us(devnet),
                    us(c.chaincode),
                    us(c.client)
                )
            }
            _ => "n/a".into(),
        }
    }

    /// Operations per second, with a decimal below 10.
    fn rate_text(&self) -> String {
        let r = self.rate();
        if r < 10.0 {
            format!("{r:.1}")
        } else {
            format!("{r:.0}")
        }
    }
}

/// The `p` quantile of sorted nanoseconds.
fn percentile(sorted: &[u64], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    Duration::from_nanos(sorted[i - 1])
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Transfer,
    Read,
}

/// `concurrency` tasks run `op` back to back: `warmup` unmeasured, then `secs` measured. Only
/// operations that finish inside the measured window count; the tasks then finish what is in
/// flight.
async fn run_point(
    runtime: &tokio::runtime::Handle,
    clients: &[Client],
    op: Op,
    concurrency: usize,
    warmup: Duration,
    secs: Duration,
) -> Point {
    let t0 = Instant::now();
    let measure_from = t0 + warmup;
    let until = measure_from + secs;
    let cpu_start = Arc::new(std::sync::Mutex::new(None));
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let mut client = clients[w % clients.len()].clone();
            let cpu_start = cpu_start.clone();
            runtime.spawn(async move {
                let id = format!("asset-{w}");
                let mut p = Point::default();
                let mut blocks = std::collections::BTreeSet::new();
                let mut i = 0u64;
                loop {
                    let start = Instant::now();
                    if start >= until {
                        break;
                    }
                    if start >= measure_from {
                        let mut c = cpu_start.lock().unwrap_or_else(|e| e.into_inner());
                        if c.is_none() {
                            *c = Some(cpu_sample());
                        }
                    }
                    let owner = if i.is_multiple_of(2) {
                        "Bobby"
                    } else {
                        "Alice"
                    };
                    i += 1;
                    let r = match op {
                        Op::Transfer => client
                            .submit(&["TransferAsset", &id, owner])
                            .await
                            .map(Some),
                        Op::Read => client.evaluate(&["ReadAsset", &id]).await.map(|_| None),
                    };
                    let end = Instant::now();
                    let counted = start >= measure_from && end <= until;
                    match r {
                        Ok(outcome) => {
                            if let Some(o) = &outcome
                                && o.code != TxValidationCode::Valid
                            {
                                p.invalid += 1;
                                if p.first_error.is_none() {
                                    p.first_error = Some(format!("{} is {:?}", id, o.code));
                                }
                            }
                            if counted {
                                p.done += 1;
                                p.latencies.push((end - start).as_nanos() as u64);
                                if let Some(o) = outcome {
                                    blocks.insert(o.block);
                                    for (all, t) in p.phases.iter_mut().zip(o.phases) {
                                        all.push(t);
                                    }
                                }
                            }
                        }
                        Err(e) => {
                            p.errors += 1;
                            if p.first_error.is_none() {
                                p.first_error = Some(e.to_string());
                            }
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                p.blocks = blocks.len();
                (p, blocks)
            })
        })
        .collect();
    let mut all = Point::default();
    let mut blocks = std::collections::BTreeSet::new();
    let mut cpu_end = None;
    // The window's CPU: sampled when it closes (stragglers finish after).
    let sampler = tokio::spawn(async move {
        tokio::time::sleep_until(until.into()).await;
        cpu_sample()
    });
    for t in tasks {
        if let Ok((p, b)) = t.await {
            all.done += p.done;
            all.latencies.extend(p.latencies);
            for (all, mine) in all.phases.iter_mut().zip(p.phases) {
                all.extend(mine);
            }
            all.invalid += p.invalid;
            all.errors += p.errors;
            all.first_error = all.first_error.or(p.first_error);
            blocks.extend(b);
        }
    }
    if let Ok(c) = sampler.await {
        cpu_end = c;
    }
    let start_cpu = cpu_start
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .flatten();
    all.cpu = start_cpu.zip(cpu_end).map(|(a, b)| b.since(a));
    all.blocks = blocks.len();
    all.elapsed = secs;
    all.latencies.sort_unstable();
    for p in &mut all.phases {
        p.sort_unstable();
    }
    all
}

// ---------------------------------------------------------------------------------- main

fn main() -> Res<()> {
    let settings = Settings::from_env()?;
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
    }
    // Three runtimes, as three processes would have: the devnet (multi-threaded, as a peer),
    // the chaincode server (current-thread, as the example's main), the clients.
    let devnet = tokio::runtime::Builder::new_multi_thread()
        .thread_name(DEVNET_THREADS)
        .enable_all()
        .build()?;
    let clients = tokio::runtime::Builder::new_multi_thread()
        .thread_name(CLIENT_THREADS)
        .thread_keep_alive(Duration::from_secs(3600))
        .enable_all()
        .build()?;
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(CHAINCODE_THREAD.into())
        .spawn(move || serve_chaincode(address_tx))?;
    let cc_address = address_rx.recv()??;
    devnet.block_on(bench(settings, clients.handle().clone(), cc_address))
}

/// Serves the asset-transfer contract with our shim (CCaaS, a free port) on a current-thread
/// runtime, forever; sends the address (or why not) first.
fn serve_chaincode(address: std::sync::mpsc::Sender<Result<String, String>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = address.send(Err(e.to_string()));
            return;
        }
    };
    runtime.block_on(async move {
        let bound = match ChaincodeServer::new("127.0.0.1:0", PACKAGE_ID).bind().await {
            Ok(b) => b,
            Err(e) => {
                let _ = address.send(Err(e.to_string()));
                return;
            }
        };
        let chaincode = match contract::chaincode() {
            Ok(c) => c,
            Err(e) => {
                let _ = address.send(Err(e.to_string()));
                return;
            }
        };
        let _ = address.send(Ok(bound.local_addr().to_string()));
        let _ = bound
            .serve_with_shutdown(chaincode, std::future::pending())
            .await;
    });
}

async fn bench(settings: Settings, rt: tokio::runtime::Handle, cc_address: String) -> Res<()> {
    // The default topology, its chaincode definition pointed at the server.
    let mut topology = Topology::medical_default();
    let def = topology
        .chaincodes
        .first_mut()
        .ok_or("the default topology has no chaincode")?;
    def.name = CHAINCODE.into();
    def.label = None;
    def.package_id = Some(PACKAGE_ID.into());
    def.address = Some(cc_address);
    let policy = def.endorsement_policy.clone().unwrap_or_default();
    if let Some((count, timeout)) = &settings.cut {
        topology.block_cutting.max_message_count = *count;
        topology.block_cutting.batch_timeout = timeout.clone();
    }
    let cut = topology.block_cutting.clone();
    let timeout = cut
        .batch_timeout()
        .ok_or_else(|| format!("invalid batch timeout {}", cut.batch_timeout))?;
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    let devnet = Devnet::start(dir.path().join("devnet"), topology).await?;
    eprintln!("devnet started in {:?}", t.elapsed());

    let crypto = devnet
        .crypto()
        .identity(CLIENT)
        .ok_or("no client identity")?;
    let me = Arc::new(SigningIdentity::from_msp_dir(
        &crypto.msp_dir,
        &crypto.msp_id,
    )?);
    let peer = devnet
        .peer_of(GATEWAY_MSP)
        .ok_or("no gateway peer for the client's organisation")?;
    let target = Target {
        address: peer.address.to_string(),
        server_name: peer.name.clone(),
        ca_pem: std::fs::read(&peer.tls_root_cert)?,
        channel: devnet.channel().id().to_owned(),
    };
    let clients = rt
        .spawn(connect(target, me, settings.connections))
        .await??;
    let max_c = settings.concurrency.iter().copied().max().unwrap_or(1);

    println!(
        "devnet: default topology (4 organisations, one peer each, TLS), endorsement policy \
         {policy}, block cutting {} tx / {} / {} KiB preferred; {} gateway connection(s) to \
         {GATEWAY_MSP}; {} CPU(s) online; {:.1} s measured per point after {:.1} s warm-up",
        cut.max_message_count,
        cut.batch_timeout,
        cut.preferred_max_bytes / 1024,
        clients.len(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        settings.secs,
        settings.warmup,
    );

    // Seed one asset per client task (concurrently: blocks fill by count).
    let t = Instant::now();
    let seeds: Vec<_> = (0..max_c)
        .map(|w| {
            let mut c = clients[w % clients.len()].clone();
            rt.spawn(async move {
                let id = format!("asset-{w}");
                c.submit(&["CreateAsset", &id, "blue", "5", "Alice", "300"])
                    .await
                    .map(|o| o.code)
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for s in seeds {
        let code = s.await??;
        if code != TxValidationCode::Valid {
            return Err(format!("seeding: CreateAsset is {code:?}").into());
        }
    }
    eprintln!("{max_c} assets created in {:?}", t.elapsed());

    let warmup = Duration::from_secs_f64(settings.warmup);
    let secs = Duration::from_secs_f64(settings.secs);
    if settings.sweep {
        println!(
            "\n| concurrency | committed tx/s | p50 | p99 | p50 endorse / submit / commit wait | \
             invalid | blocks (tx/block) | CPU per tx: process (devnet / chaincode / client) |\n|---|---|---|---|---|---|---|---|"
        );
        for &c in &settings.concurrency {
            // Fewer tasks than a block holds: every block waits for the batch timeout.
            let secs = if c < cut.max_message_count as usize {
                secs.max(timeout * 3)
            } else {
                secs
            };
            let p = run_point(&rt, &clients, Op::Transfer, c, warmup, secs).await;
            println!(
                "| {c} | {} | {} | {} | {} / {} / {} | {} | {} ({:.1}) | {} |",
                p.rate_text(),
                ms(p.percentile(0.5)),
                ms(p.percentile(0.99)),
                ms(percentile(&p.phases[0], 0.5)),
                ms(percentile(&p.phases[1], 0.5)),
                ms(percentile(&p.phases[2], 0.5)),
                p.invalid,
                p.blocks,
                p.done as f64 / p.blocks.max(1) as f64,
                p.cpu_per_op(),
            );
            if p.errors > 0 || p.invalid > 0 {
                println!(
                    "  ({} errors, {} invalid; first: {})",
                    p.errors,
                    p.invalid,
                    p.first_error.unwrap_or_default()
                );
            }
        }
    }
    if settings.eval {
        println!(
            "\n| concurrency | evaluations/s | p50 | p99 | CPU per evaluation: process (devnet / chaincode / client) |\n\
             |---|---|---|---|---|"
        );
        for &c in &settings.concurrency {
            let p = run_point(&rt, &clients, Op::Read, c, warmup, secs).await;
            println!(
                "| {c} | {} | {} | {} | {} |",
                p.rate_text(),
                ms(p.percentile(0.5)),
                ms(p.percentile(0.99)),
                p.cpu_per_op(),
            );
            if p.errors > 0 {
                println!(
                    "  ({} errors; first: {})",
                    p.errors,
                    p.first_error.unwrap_or_default()
                );
            }
        }
    }
    if settings.lone > 0 {
        // Idle first: nothing pending in the orderer.
        tokio::time::sleep(timeout + Duration::from_millis(200)).await;
        let mut client = clients[0].clone();
        let lone = settings.lone;
        let lat = rt
            .spawn(async move {
                let mut lat = Vec::new();
                for i in 0..lone {
                    let owner = if i.is_multiple_of(2) {
                        "Bobby"
                    } else {
                        "Alice"
                    };
                    let start = Instant::now();
                    let o = client.submit(&["TransferAsset", "asset-0", owner]).await?;
                    let took = start.elapsed();
                    if o.code != TxValidationCode::Valid {
                        return Err(format!("lone transaction is {:?}", o.code).into());
                    }
                    lat.push((took, o.phases));
                    // Idle again before the next one.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Res::Ok(lat)
            })
            .await??;
        let phases: Vec<String> = lat
            .iter()
            .map(|(_, p)| {
                let [e, s, c] = p.map(Duration::from_nanos);
                format!("{} / {} / {}", ms(e), ms(s), ms(c))
            })
            .collect();
        let mut lat: Vec<Duration> = lat.into_iter().map(|(l, _)| l).collect();
        lat.sort();
        let over: Vec<String> = lat.iter().map(|l| ms(l.saturating_sub(timeout))).collect();
        println!(
            "\nlone transaction ({} runs): median {} (min {}, max {}); batch timeout {}; over \
             the timeout: {} (endorse / submit / commit wait: {})",
            lat.len(),
            ms(lat[lat.len() / 2]),
            ms(lat[0]),
            ms(lat[lat.len() - 1]),
            cut.batch_timeout,
            over.join(", "),
            phases.join("; ")
        );
    }
    let height = devnet.ledger().height();
    devnet.shutdown().await?;
    eprintln!("ledger height at the end: {height}");
    Ok(())
}
