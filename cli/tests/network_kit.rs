//! `medledger network package` and `medledger network config` as a user runs them.

use std::path::Path;
use std::process::{Command, Output};

/// `medledger network <args>`.
fn network(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medledger"))
        .arg("network")
        .args(args)
        .output()
        .expect("run medledger")
}

/// `medledger network <args> --output json`, which must succeed: its one JSON document.
fn network_json(args: &[&str]) -> serde_json::Value {
    let out = network(&[args, &["--output", "json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn package_writes_the_package_and_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("packages");
    let v = network_json(&["package", "--out", path(&out)]);
    let p = &v["packages"][0];
    assert_eq!(p["name"], "medledger");
    assert_eq!(p["address"], "127.0.0.1:9999");
    let file = out.join("medledger_1.0.tar.gz");
    let bytes = std::fs::read(&file).unwrap();
    let id = format!(
        "medledger_1.0:{}",
        hex::encode(fabric_sdk::crypto::sha256(&bytes))
    );
    assert_eq!(p["package_id"], id.as_str());
    assert_eq!(
        std::fs::read_to_string(out.join("medledger_1.0.package-id")).unwrap(),
        format!("{id}\n")
    );

    // Existing files are kept unless --overwrite.
    let again = network(&["package", "--out", path(&out)]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists") && stderr(&again).contains("--overwrite"),
        "{}",
        stderr(&again)
    );
    let replaced = network_json(&["package", "--out", path(&out), "--overwrite"]);
    assert_eq!(replaced["packages"][0]["package_id"], id.as_str());

    // Another address is another package.
    let k8s = network_json(&[
        "package",
        "--chaincode",
        "medledger",
        "--address",
        "medledger-chaincode.fabric.svc.cluster.local:9999",
        "--out",
        path(&dir.path().join("k8s")),
    ]);
    assert_ne!(k8s["packages"][0]["package_id"], id.as_str());
}

#[test]
fn package_errors_name_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let unknown = network(&["package", "--chaincode", "nope", "--out", path(&out)]);
    assert_eq!(
        unknown.status.code(),
        Some(3),
        "an unknown chaincode is not found"
    );
    assert!(
        stderr(&unknown).contains("\"nope\"") && stderr(&unknown).contains("medledger"),
        "{}",
        stderr(&unknown)
    );
    let bad_address = network(&["package", "--address", "nowhere", "--out", path(&out)]);
    assert_eq!(
        bad_address.status.code(),
        Some(2),
        "a malformed --address is a usage error"
    );
    assert!(
        stderr(&bad_address).contains("host:port"),
        "{}",
        stderr(&bad_address)
    );
    let missing = dir.path().join("missing.toml");
    let bad_topology = network(&["package", "--topology", path(&missing), "--out", path(&out)]);
    assert_eq!(
        bad_topology.status.code(),
        Some(3),
        "a missing topology file is not found"
    );
    assert!(
        stderr(&bad_topology).contains("cannot use topology file")
            && stderr(&bad_topology).contains("missing.toml"),
        "{}",
        stderr(&bad_topology)
    );
    assert!(!out.exists(), "nothing written on errors");
    assert_eq!(network(&["package"]).status.code(), Some(2));
}

#[test]
fn config_generates_the_kit_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let kit = dir.path().join("kit");
    let v = network_json(&["config", "--out", path(&kit), "--port-base", "17050"]);
    assert_eq!(v["channel"], "medledger");
    assert_eq!(v["profile"], "MedLedgerChannel");
    assert!(
        v["peer0.seoulmedical.example.com"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:17053"),
        "{v}"
    );
    for file in [
        "kit.json",
        "configtx.yaml",
        "core-ccaas.yaml",
        "scripts/up.sh",
        "chaincode/medledger/collections.json",
        "chaincode/medledger/kubernetes.yaml",
        "connections/PharmacyMSP.json",
        "crypto/peerOrganizations/nhis.example.com/msp/config.yaml",
    ] {
        assert!(kit.join(file).is_file(), "{file}");
    }
    // The kit's package is the one `network package` makes for the same topology.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(kit.join("kit.json")).unwrap()).unwrap();
    let packaged = network_json(&["package", "--out", path(&dir.path().join("p"))]);
    assert_eq!(
        summary["chaincodes"][0]["package_id"],
        packaged["packages"][0]["package_id"]
    );
    assert_eq!(
        v["chaincode medledger"],
        summary["chaincodes"][0]["package_id"]
    );

    let again = network(&["config", "--out", path(&kit)]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("not empty") && stderr(&again).contains("overwrite"),
        "{}",
        stderr(&again)
    );
    let table = network(&["config", "--out", path(&kit), "--overwrite"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("Kit for a real Fabric network written to"),
        "{text}"
    );
    assert!(text.contains("scripts/up.sh"), "{text}");
}

#[test]
fn config_errors_name_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let kit = dir.path().join("kit");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "key_algorithm = \"rsa\"\n").unwrap();
    let out = network(&["config", "--topology", path(&bad), "--out", path(&kit)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("bad.toml") && stderr(&out).contains("key_algorithm"),
        "{}",
        stderr(&out)
    );
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let out = network(&["config", "--out", path(&foreign), "--overwrite"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("kit.json"), "{}", stderr(&out));
    let out = network(&["config", "--out", path(&kit), "--port-base", "65530"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("lower port base"), "{}", stderr(&out));
    let out = network(&[
        "config",
        "--out",
        path(&kit),
        "--chaincode-address",
        "other=127.0.0.1:1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no chaincode \"other\""),
        "{}",
        stderr(&out)
    );
    assert!(!kit.exists(), "nothing written on errors");
    assert_eq!(
        network(&["config", "--out", path(&kit), "--port-base", "x"])
            .status
            .code(),
        Some(2)
    );
    let out = network(&[
        "config",
        "--out",
        path(&kit),
        "--chaincode-address",
        "medledger=nowhere",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a malformed address is a usage error"
    );
    assert!(stderr(&out).contains("host:port"), "{}", stderr(&out));
    assert!(!kit.exists(), "nothing written on errors");
}
