//! The medical functions on the devnet, against the devnet's read-modify-write rate, in one
//! run: committed tx/s and latency of IssuePrescription, DispensePrescription, SubmitClaim and
//! AdjudicateClaim (submits through medledger-sdk) and VerifyCertificate (evaluate), and of
//! asset-transfer `TransferAsset` on the same devnet (the reference read-modify-write).
//!
//! ```text
//! cargo bench -p medledger-sdk --bench devnet_functions
//! BENCH_SECS=10 BENCH_CONCURRENCY=128 cargo bench -p medledger-sdk --bench devnet_functions
//! ```
//!
//! What runs, in this process on one multi-threaded Tokio runtime: the devnet of the default
//! topology ([`MedicalDevnet`]: four organisations, one peer each, TLS, redb ledger fsync'd
//! per block, 10 transactions or 2 s per block), the medical chaincode and the asset-transfer
//! contract of `chaincode/shim/examples/asset_transfer` each served in-process over CCaaS
//! under the same endorsement policy `OutOf(2, SMC, MJH, NHIS)`, and the clients: per role
//! `BENCH_CONNECTIONS` gateway connections (default 4) shared by `BENCH_CONCURRENCY` tasks
//! (default 64), each submitting (endorse → submit → commit status) one transaction after
//! the other for `BENCH_SECS` seconds (default 3). Every phase runs on fresh assets, so no
//! MVCC conflicts: TransferAsset moves each task's own asset; issued prescriptions are then
//! dispensed; encounters recorded in an unmeasured step are claimed, the claims adjudicated.
//! The read-modify-write rate is measured first and last; the ratio uses their mean.

#[path = "../../../chaincode/shim/examples/asset_transfer/contract.rs"]
#[allow(dead_code)]
mod contract;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fabric_chaincode::ChaincodeServer;
use fabric_sdk::gateway::Contract;
use medledger_model::{
    CertificateKind, ClaimDetails, ClaimItem, ClaimOutcome, ClaimResponse, ConsentPurpose,
    FhirResourceType, HumanName, Krw, Medication, PatientDemographics, Period, PrescriptionInput,
    RecordCategory, Route, Timestamp,
};
use medledger_network::topology::ChaincodeDef;
use medledger_sdk::devnet::MedicalDevnet;
use medledger_sdk::{ConsentGrant, MedLedgerClient, NewRecord, RecordDocument, SaltedDocument};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const BASIC_ID: &str = "basic_1.0:4444444444444444444444444444444444444444444444444444444444444444";
const PATIENT_ID: &str = "P-SMC-000001";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

/// A phase's figures.
struct Stats {
    name: &'static str,
    ok: usize,
    failed: usize,
    first_error: Option<String>,
    window: Duration,
    latencies: Vec<Duration>,
    cpu: Option<Duration>,
}

impl Stats {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }

    fn cpu_per_call(&self) -> String {
        match self.cpu {
            Some(cpu) if self.ok > 0 => {
                format!("{:.0} µs", cpu.as_secs_f64() * 1e6 / self.ok as f64)
            }
            _ => "?".to_owned(),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// This process's CPU time (user + system), from `/proc/self/stat` (10 ms ticks).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Runs `concurrency` tasks calling `call(task, i)` for `secs` seconds or until `call` says
/// the work ran out (`Ok(false)`). Counted: the calls that completed inside the window (from
/// the start to the deadline or the moment the work ran out), so the partial block cut by the
/// batch timeout once the tasks stop does not count.
async fn phase<F, Fut>(name: &'static str, concurrency: usize, secs: f64, call: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<bool, String>> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let cpu_before = process_cpu();
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let call = Arc::clone(&call);
            tokio::spawn(async move {
                let mut done = Vec::new(); // (completed at, latency)
                let mut failed = 0;
                let mut first_error = None;
                let mut ran_out = None;
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match call(task, i).await {
                        Ok(true) => done.push((Instant::now(), t.elapsed())),
                        Ok(false) => {
                            ran_out = Some(t);
                            break;
                        }
                        Err(e) => {
                            failed += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                    i += 1;
                }
                (done, failed, first_error, ran_out, process_cpu())
            })
        })
        .collect();
    let mut results = Vec::new();
    let mut stats = Stats {
        name,
        ok: 0,
        failed: 0,
        first_error: None,
        window: Duration::ZERO,
        latencies: Vec::new(),
        cpu: None,
    };
    let mut end = deadline;
    let mut cpu_at_end = None;
    for t in tasks {
        match t.await {
            Ok((done, failed, error, ran_out, cpu)) => {
                if let Some(r) = ran_out {
                    end = end.min(r);
                }
                stats.failed += failed;
                if stats.first_error.is_none() {
                    stats.first_error = error;
                }
                // the CPU time when the first task finished: close to the window's end
                cpu_at_end = cpu_at_end.or(cpu);
                results.push(done);
            }
            Err(e) => {
                stats.failed += 1;
                stats.first_error.get_or_insert(e.to_string());
            }
        }
    }
    for (at, latency) in results.into_iter().flatten() {
        if at <= end {
            stats.ok += 1;
            stats.latencies.push(latency);
        }
    }
    stats.window = end.saturating_duration_since(started);
    stats.cpu = cpu_at_end.zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
    stats.latencies.sort_unstable();
    eprintln!(
        "{name}: {} ok in a {:.2} s window, {} failed{}",
        stats.ok,
        stats.window.as_secs_f64(),
        stats.failed,
        stats
            .first_error
            .as_deref()
            .map(|e| format!(" (first error: {e})"))
            .unwrap_or_default()
    );
    stats
}

/// `n` clients of `user`, one gateway connection each.
async fn clients(
    net: &MedicalDevnet,
    user: &str,
    n: usize,
) -> Result<Vec<MedLedgerClient>, BoxError> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(net.client(user).await?);
    }
    Ok(out)
}

/// A shared list of ids produced by one phase and consumed by the next.
#[derive(Clone, Default)]
struct Pool(Arc<Mutex<Vec<String>>>);

impl Pool {
    fn push(&self, id: String) {
        if let Ok(mut v) = self.0.lock() {
            v.push(id);
        }
    }
    fn pop(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut v| v.pop())
    }
    fn len(&self) -> usize {
        self.0.lock().map(|v| v.len()).unwrap_or(0)
    }
}

fn prescription() -> PrescriptionInput {
    PrescriptionInput {
        medications: vec![Medication {
            code: "642102570".into(),
            name: "Amoxicillin 500mg".into(),
            dose: "1 capsule".into(),
            frequency: 3,
            days: 5,
            route: Route::Oral,
        }],
        notes: None,
    }
}

fn claim() -> ClaimDetails {
    ClaimDetails {
        diagnosis_codes: vec!["J20.9".into()],
        items: vec![ClaimItem {
            code: "AA157".into(),
            quantity: 1,
            unit_price: Krw(17_610),
            amount: Krw(17_610),
        }],
        total: Krw(17_610),
    }
}

fn now() -> Result<Timestamp, BoxError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    Ok(Timestamp::from_unix("now", i64::try_from(secs)?)?)
}

async fn run() -> Result<(), BoxError> {
    let secs: f64 = env_or("BENCH_SECS", 3.0);
    let concurrency: usize = env_or("BENCH_CONCURRENCY", 64).max(1);
    let connections: usize = env_or("BENCH_CONNECTIONS", 4).max(1);
    // BENCH_ONLY=rmw,prescriptions,claims,verify: run only these groups (for profiling).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let secs_of = |group: &str| {
        if only.trim().is_empty() || only.split(',').any(|g| g.trim() == group) {
            secs
        } else {
            0.0
        }
    };

    // The asset-transfer contract, beside the medical one, under the same policy.
    let bound = ChaincodeServer::new("127.0.0.1:0", BASIC_ID).bind().await?;
    let basic_address = bound.local_addr().to_string();
    let basic = contract::chaincode()?;
    tokio::spawn(bound.serve_with_shutdown(basic, std::future::pending()));
    let mut topology = MedicalDevnet::topology();
    let policy = topology
        .chaincodes
        .iter()
        .find(|c| c.name == "medledger")
        .and_then(|c| c.endorsement_policy.clone())
        .ok_or("the default topology has no medledger chaincode")?;
    topology.chaincodes.push(ChaincodeDef::external(
        "basic",
        BASIC_ID,
        &basic_address,
        policy.clone(),
    ));
    let cut = topology.block_cutting.clone();
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    let net = MedicalDevnet::start_with(dir.path().join("devnet"), topology).await?;
    eprintln!("devnet started in {:?}", t.elapsed());

    let doctors = clients(&net, "Doctor1@seoulmedical.example.com", connections).await?;
    let clerks = clients(&net, "Clerk1@seoulmedical.example.com", connections).await?;
    let pharmacists = clients(&net, "Pharmacist1@pharmacy.example.com", connections).await?;
    let officers = clients(&net, "ClaimsOfficer1@nhis.example.com", connections).await?;
    let verifiers = clients(&net, "Doctor1@myongji.example.com", connections).await?;
    let patient = net.client("Patient1@seoulmedical.example.com").await?;
    let rmw: Vec<Contract> = doctors
        .iter()
        .map(|c| c.network().contract("basic"))
        .collect();

    // The patient, with an insurance-claim consent for NHIS; one certificate to verify.
    clerks[0]
        .register_patient(
            PATIENT_ID,
            &PatientDemographics {
                name: HumanName {
                    family: "Kim".into(),
                    given: vec!["Minjun".into()],
                },
                birth_date: medledger_model::Date::parse("birth_date", "1980-03-14")?,
                gender: medledger_model::AdministrativeGender::Male,
                telecom: None,
                address: None,
            },
        )
        .await?;
    let start = now()?.unix() - 3600;
    patient
        .grant_consent(&ConsentGrant {
            consent_id: Some("CON-BENCH".into()),
            patient_id: PATIENT_ID.into(),
            grantee: "NHISMSP".into(),
            purpose: ConsentPurpose::InsuranceClaim,
            scopes: vec![RecordCategory::Encounter],
            period: Period {
                start: Timestamp::from_unix("start", start)?,
                end: None,
            },
            document: None,
        })
        .await?;
    let certificate = b"Diagnosis certificate No. BENCH-1".to_vec();
    let sealed = SaltedDocument::new(&certificate)?;
    doctors[0]
        .issue_certificate(
            Some("CERT-BENCH"),
            PATIENT_ID,
            CertificateKind::Diagnosis,
            &sealed,
            None,
        )
        .await?;

    // Seed one asset per task.
    let seeds: Vec<_> = (0..concurrency)
        .map(|w| {
            let c = rmw[w % rmw.len()].clone();
            tokio::spawn(async move {
                let id = format!("asset-{w}");
                c.submit("CreateAsset", [id.as_str(), "blue", "5", "Alice", "300"])
                    .await
            })
        })
        .collect();
    for s in seeds {
        s.await??;
    }

    let transfer = |rmw: Vec<Contract>| {
        move |w: usize, i: u64| {
            let c = rmw[w % rmw.len()].clone();
            async move {
                let owner = if i.is_multiple_of(2) { "Bob" } else { "Alice" };
                c.submit("TransferAsset", [format!("asset-{w}").as_str(), owner])
                    .await
                    .map(|_| true)
                    .map_err(|e| e.to_string())
            }
        }
    };
    let rmw_first = phase(
        "TransferAsset (RMW)",
        concurrency,
        secs_of("rmw"),
        transfer(rmw.clone()),
    )
    .await;

    let issued = Pool::default();
    let issue = {
        let (doctors, issued) = (doctors.clone(), issued.clone());
        phase(
            "IssuePrescription",
            concurrency,
            secs_of("prescriptions"),
            move |w, i| {
                let (c, issued) = (doctors[w % doctors.len()].clone(), issued.clone());
                async move {
                    let id = format!("RX-B-{w}-{i}");
                    c.issue_prescription(Some(&id), PATIENT_ID, None, &prescription())
                        .await
                        .map_err(|e| e.to_string())?;
                    issued.push(id);
                    Ok(true)
                }
            },
        )
        .await
    };

    let dispense = {
        let (pharmacists, issued) = (pharmacists.clone(), issued.clone());
        phase(
            "DispensePrescription",
            concurrency,
            secs_of("prescriptions"),
            move |w, _| {
                let (c, issued) = (pharmacists[w % pharmacists.len()].clone(), issued.clone());
                async move {
                    let Some(id) = issued.pop() else {
                        return Ok(false);
                    };
                    c.dispense_prescription(&id)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(true)
                }
            },
        )
        .await
    };

    // Encounters to claim (not measured as a benchmark figure, but reported).
    let encounters = Pool::default();
    let records = {
        let (doctors, encounters) = (doctors.clone(), encounters.clone());
        phase(
            "AddRecord (encounters, setup)",
            concurrency,
            secs_of("claims"),
            move |w, i| {
                let (c, encounters) = (doctors[w % doctors.len()].clone(), encounters.clone());
                async move {
                    let id = format!("ENC-{w}-{i}");
                    let document =
                        RecordDocument::off_ledger(id.as_bytes()).map_err(|e| e.to_string())?;
                    c.add_record(&NewRecord {
                        record_id: Some(id.clone()),
                        patient_id: PATIENT_ID.into(),
                        category: RecordCategory::Encounter,
                        resource_type: FhirResourceType::Encounter,
                        location: format!("urn:smc:encounter:{id}"),
                        document,
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                    encounters.push(id);
                    Ok(true)
                }
            },
        )
        .await
    };

    let claims = Pool::default();
    let submit = {
        let (clerks, encounters, claims) = (clerks.clone(), encounters.clone(), claims.clone());
        phase(
            "SubmitClaim",
            concurrency,
            secs_of("claims"),
            move |w, _| {
                let (c, encounters, claims) = (
                    clerks[w % clerks.len()].clone(),
                    encounters.clone(),
                    claims.clone(),
                );
                async move {
                    let Some(encounter) = encounters.pop() else {
                        return Ok(false);
                    };
                    let id = format!("CLM-{encounter}");
                    c.submit_claim(Some(&id), PATIENT_ID, "NHISMSP", &[encounter], &claim())
                        .await
                        .map_err(|e| e.to_string())?;
                    claims.push(id);
                    Ok(true)
                }
            },
        )
        .await
    };

    let adjudicate = {
        let (officers, claims) = (officers.clone(), claims.clone());
        phase(
            "AdjudicateClaim",
            concurrency,
            secs_of("claims"),
            move |w, _| {
                let (c, claims) = (officers[w % officers.len()].clone(), claims.clone());
                async move {
                    let Some(id) = claims.pop() else {
                        return Ok(false);
                    };
                    let decision = ClaimResponse {
                        outcome: ClaimOutcome::Approved,
                        insurer_amount: Krw(12_327),
                        patient_share: Krw(5_283),
                        reason_codes: vec![],
                    };
                    c.adjudicate_claim(&id, &decision)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(true)
                }
            },
        )
        .await
    };

    let verify = {
        let (verifiers, certificate, salt) =
            (verifiers.clone(), certificate.clone(), sealed.salt.clone());
        phase(
            "VerifyCertificate (evaluate)",
            concurrency,
            secs_of("verify"),
            move |w, _| {
                let c = verifiers[w % verifiers.len()].clone();
                let (certificate, salt) = (certificate.clone(), salt.clone());
                async move {
                    let v = c
                        .verify_certificate("CERT-BENCH", &certificate, &salt)
                        .await
                        .map_err(|e| e.to_string())?;
                    if v.result != medledger_model::VerificationResult::Valid {
                        return Err(format!("verification says {}", v.result));
                    }
                    Ok(true)
                }
            },
        )
        .await
    };

    let rmw_last = phase(
        "TransferAsset (RMW, again)",
        concurrency,
        secs_of("rmw"),
        transfer(rmw.clone()),
    )
    .await;
    let reference = (rmw_first.rate() + rmw_last.rate()) / 2.0;
    // CPU per call of the read-modify-write (mean of both runs): on a CPU-bound machine the
    // rates' ratio is the inverse ratio of the CPU each call costs, less noisy than the rates
    // when other processes share the CPUs.
    let reference_cpu = match (rmw_first.cpu, rmw_last.cpu) {
        (Some(a), Some(b)) if rmw_first.ok + rmw_last.ok > 0 => {
            Some((a + b).as_secs_f64() / (rmw_first.ok + rmw_last.ok) as f64)
        }
        _ => None,
    };

    println!(
        "\ndevnet: default topology (4 organisations, one peer each, TLS), endorsement policy \
         {policy}, block cutting {} tx / {}; {} CPU(s); concurrency {concurrency}, {connections} \
         connection(s) per role, {secs} s per phase; leftover pools: {} prescriptions, {} \
         encounters, {} claims\n",
        cut.max_message_count,
        cut.batch_timeout,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        issued.len(),
        encounters.len(),
        claims.len(),
    );
    println!(
        "| operation | tx/s | p50 | p99 | CPU per call | ok | failed | tx/s vs RMW | CPU: RMW / this |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for s in [
        &rmw_first,
        &issue,
        &dispense,
        &records,
        &submit,
        &adjudicate,
        &verify,
        &rmw_last,
    ] {
        let submit = !(s.name.starts_with("TransferAsset") || s.name.starts_with("Verify"));
        let ratio = if submit {
            format!("{:.0} %", 100.0 * s.rate() / reference)
        } else {
            "—".to_owned()
        };
        let cpu_ratio = match (reference_cpu, s.cpu) {
            (Some(r), Some(c)) if submit && s.ok > 0 => {
                format!("{:.0} %", 100.0 * r / (c.as_secs_f64() / s.ok as f64))
            }
            _ => "—".to_owned(),
        };
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
            s.name,
            s.rate(),
            ms(s.percentile(0.5)),
            ms(s.percentile(0.99)),
            s.cpu_per_call(),
            s.ok,
            s.failed,
            ratio,
            cpu_ratio
        );
    }
    println!("\nread-modify-write reference (mean of first and last): {reference:.0} tx/s");
    net.shutdown().await?;
    Ok(())
}
