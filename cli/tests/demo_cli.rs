//! `medledger demo` end to end: the real binary starts its own network in a temporary
//! directory, plays the story and stops; table and JSON output.

use serde_json::Value;
use std::process::Command;

fn demo(args: &[&str]) -> (String, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_medledger"))
        .arg("demo")
        .args(args)
        .env("MEDLEDGER_HOME", home.path())
        .output()
        .expect("run medledger demo");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "demo failed ({:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

#[test]
fn the_demo_plays_the_whole_story_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("net");
    let (stdout, _) = demo(&["--output", "json", "--dir", data.to_str().unwrap()]);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let steps = doc["steps"].as_array().unwrap();
    let functions: Vec<&str> = steps
        .iter()
        .map(|s| s["function"].as_str().unwrap())
        .collect();
    assert_eq!(
        functions,
        [
            "RegisterPatient",
            "GrantConsent",
            "GrantConsent",
            "AddRecord",
            "AddRecord",
            "AccessRecord",
            "IssuePrescription",
            "DispensePrescription",
            "ConfirmDelivery",
            "SubmitClaim",
            "AdjudicateClaim",
            "PayClaim",
            "IssueCertificate",
            "VerifyCertificate",
            "RevokeCertificate",
            "VerifyCertificate",
            "ListAccessLog",
            "ErasePatient",
        ]
    );
    let actors: Vec<&str> = steps.iter().map(|s| s["actor"].as_str().unwrap()).collect();
    assert_eq!(actors[0], "seoulmedical-clerk1");
    assert_eq!(actors[5], "myongji-doctor1");
    assert_eq!(actors[7], "pharmacy-pharmacist1");
    assert_eq!(actors[10], "nhis-claimsofficer1");
    assert_eq!(steps[13]["outcome"], "valid");
    assert_eq!(steps[15]["outcome"], "revoked");
    // Transactions carry a txid and increasing blocks; queries none.
    let blocks: Vec<u64> = steps.iter().filter_map(|s| s["block"].as_u64()).collect();
    assert_eq!(blocks.len(), 15);
    assert!(blocks.windows(2).all(|w| w[0] < w[1]), "{blocks:?}");
    assert!(steps[13]["transaction_id"].is_null());
    // Registering and recording content on the ledger are two-phase PHI writes: the private
    // phase's transaction comes with the step; a patient's own consent is one transaction.
    for i in [0, 3] {
        let private = steps[i]["private_transaction_id"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(private.len(), 64, "step {i}: {}", steps[i]);
    }
    assert!(
        steps[1].get("private_transaction_id").is_none(),
        "{}",
        steps[1]
    );
    assert_eq!(doc["summary"]["steps"], 18);
    assert_eq!(doc["summary"]["transactions"], 15);
    assert_eq!(doc["summary"]["private_phases"], 2);
    assert_eq!(doc["summary"]["blocks"], 15);
    // The network stopped; the directory holds the ledger it wrote, and a second run refuses.
    assert!(data.join("ledger.redb").exists());
    let out = Command::new(env!("CARGO_BIN_EXE_medledger"))
        .args(["demo", "--dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds a devnet"));
}

#[test]
fn the_demo_prints_every_step_and_a_summary() {
    let (stdout, _) = demo(&[]);
    for want in [
        "registers patient P-SMC-000001",
        "consents: MyongjiHospitalMSP, treatment, lab",
        "reads REC-LAB-1 (treatment)",
        "dispenses RX-1",
        "approves CLM-1",
        "revokes CERT-1",
        "MyongjiHospitalMSP read REC-LAB-1 (treatment)",
        "erases P-SMC-000001",
        "Summary",
        "transactions      15",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
    assert_eq!(stdout.matches(" tx ").count(), 15, "{stdout}");
}

/// `--keep`: the network stays up with a profile per user; the medical commands work on it;
/// SIGTERM stops it cleanly and removes the temporary directory.
#[cfg(unix)]
#[test]
fn the_demo_keeps_the_network_for_exploration() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_medledger"))
        .args(["demo", "--keep"])
        .env("MEDLEDGER_HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut printed = Vec::new();
    let dir = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no 'keeps running' line:\n{}", printed.join("\n")));
        if let Some(rest) = line.strip_prefix("The network keeps running in ") {
            break std::path::PathBuf::from(rest.split(" (").next().unwrap());
        }
        printed.push(line);
    };
    assert!(
        printed.iter().any(|l| l.contains("seoulmedical-doctor1")),
        "{printed:?}"
    );
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_medledger"))
            .args(args)
            .env("MEDLEDGER_HOME", home.path())
            .env_remove("MEDLEDGER_PROFILE")
            .output()
            .unwrap()
    };
    let out = run(&[
        "--profile",
        "seoulmedical-auditor1",
        "history",
        "rx",
        "RX-1",
        "--output",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let history: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(history["items"].as_array().unwrap().len(), 3, "{history}");
    let status = run(&["devnet", "status", "--output", "json"]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["running"], true, "{status}");
    // SAFETY: signals the child this test started.
    unsafe {
        libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGTERM);
    }
    let code = child.wait().unwrap();
    assert!(code.success(), "{code:?}");
    reader.join().unwrap();
    assert!(!dir.exists(), "{} should be removed", dir.display());
}
