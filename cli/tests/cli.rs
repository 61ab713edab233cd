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

/// Starts `medledger devnet up` in `dir`, waits until it serves, stops it with SIGTERM; returns
/// what it printed.
#[cfg(unix)]
fn devnet_up_once(dir: &std::path::Path) -> String {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_medledger"))
        .args(["devnet", "up", "--dir", dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run medledger");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut out = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        out.push_str(&line);
        out.push('\n');
        if line.contains("serving;") {
            break;
        }
    }
    assert!(out.contains("serving;"), "{out}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    for line in lines {
        out.push_str(&line.unwrap());
        out.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{out}");
    out
}

#[cfg(unix)]
#[test]
fn devnet_up_creates_then_resumes_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let first = devnet_up_once(&data);
    assert!(first.contains("Devnet created in"), "{first}");
    assert!(
        first.contains("peer peer0.seoulmedical.example.com"),
        "{first}"
    );
    assert!(first.contains("stopped"), "{first}");
    for msp in [
        "SeoulMedicalCenterMSP",
        "MyongjiHospitalMSP",
        "NHISMSP",
        "PharmacyMSP",
    ] {
        let path = data.join("connections").join(format!("{msp}.json"));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["msp_id"], msp);
        assert_eq!(v["channel"], "medledger");
        assert!(
            v["gateway_address"]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1:")
        );
        assert!(std::path::Path::new(v["tls_root_cert"].as_str().unwrap()).exists());
    }
    let second = devnet_up_once(&data);
    assert!(second.contains("Devnet resumed in"), "{second}");
}
