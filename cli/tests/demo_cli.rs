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
    assert_eq!(doc["summary"]["steps"], 18);
    assert_eq!(doc["summary"]["transactions"], 15);
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
