//! The `medledger` binary as a user runs it.

use std::process::Command;

fn medledger(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_medledger"))
        .args(args)
        .output()
        .expect("run medledger")
}

#[test]
fn demo_prints_a_txid_and_json_for_scripts() {
    let out = medledger(&["demo", "--output", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let txid = v["txid"].as_str().unwrap();
    assert_eq!(txid.len(), 64);
    assert!(txid.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        v["endorsers"],
        serde_json::json!(["SeoulMedicalCenterMSP", "MyongjiHospitalMSP"])
    );
}

#[test]
fn crypto_then_identity_show_and_refusal_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("crypto");
    let out_s = out_dir.to_str().unwrap();
    let out = medledger(&["network", "crypto", "--out", out_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = medledger(&["network", "crypto", "--out", out_s]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("error:"));
    let msp = out_dir.join(
        "peerOrganizations/seoulmedical.example.com/users/Doctor1@seoulmedical.example.com/msp",
    );
    let show = medledger(&[
        "identity",
        "show",
        "--msp-dir",
        msp.to_str().unwrap(),
        "--msp-id",
        "SeoulMedicalCenterMSP",
        "--output",
        "json",
    ]);
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(v["attr.role"], "doctor");
    assert_eq!(v["attr.license_no"], "MD-104233");
    assert_eq!(v["node_role"], "client");
    assert_eq!(v["valid"], true);
}

#[test]
fn policy_encode_known_answer_and_syntax_error() {
    let out = medledger(&[
        "policy",
        "encode",
        "AND('Org1MSP.peer','Org2MSP.peer')",
        "--output",
        "json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["hex"],
        // rule NOutOf{n=2, [SignedBy 0, SignedBy 1]}, then two ROLE principals (PEER = 3)
        "120c120a080212020800120208011a0d120b0a074f7267314d535010031a0d120b0a074f7267324d53501003"
    );
    let bad = medledger(&["policy", "encode", "AND('Org1MSP.peer',"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("position"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(medledger(&["no-such-command"]).status.code(), Some(2));
    assert_eq!(medledger(&["network", "crypto"]).status.code(), Some(2));
}
