//! `medledger` against a real devnet it starts itself (`devnet up --detach` in a temporary
//! directory with a temporary MEDLEDGER_HOME): profiles, identities, raw chaincode calls and
//! their failures, events with a checkpoint, status/down/reset. The chaincode is served by this
//! test over CCaaS on an ephemeral port.

#![cfg(unix)]

use fabric_chaincode::chaincode::{error_with_status, success};
use fabric_chaincode::{Chaincode, ChaincodeServer, Response, Stub};
use medledger_network::topology::{ChaincodeDef, Topology};
use serde_json::Value;

mod common;
use common::{Down, Env};
use std::process::Command;

const KV_ID: &str = "kv_1.0:3333333333333333333333333333333333333333333333333333333333333333";

/// `put k v` (event `Put`, payload k), `putt k` (value from the transient field `value`),
/// `get k` (404 when missing), `deny` (403), `fail` (500).
struct Kv;

impl Kv {
    async fn call(stub: &Stub) -> fabric_chaincode::Result<Response> {
        let (f, args) = stub.function_and_parameters()?;
        let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
        Ok(match f.as_str() {
            "put" => {
                stub.put_state(&arg(0), arg(1).into_bytes()).await?;
                stub.set_event("Put", arg(0).into_bytes())?;
                success(arg(1).into_bytes())
            }
            "putt" => {
                let v = stub.transient_value("value")?.cloned().unwrap_or_default();
                stub.put_state(&arg(0), v).await?;
                success("")
            }
            "get" => match stub.get_state(&arg(0)).await? {
                Some(v) => success(v),
                None => error_with_status(404, format!("key {} does not exist", arg(0))),
            },
            "deny" => error_with_status(403, "only auditors may do this"),
            "fail" => error_with_status(500, "the ledger is not in the expected state"),
            other => error_with_status(400, format!("unknown function {other}")),
        })
    }
}

impl Chaincode for Kv {
    async fn invoke(&self, stub: Stub) -> Response {
        match Kv::call(&stub).await {
            Ok(r) => r,
            Err(e) => error_with_status(500, e.to_string()),
        }
    }
}

fn topology(address: &str, adjust: impl FnOnce(&mut Topology)) -> Topology {
    let mut t = Topology::medical_default();
    t.block_cutting.batch_timeout = "50ms".into();
    t.chaincodes = vec![ChaincodeDef {
        name: "kv".into(),
        version: "1.0".into(),
        sequence: 1,
        label: None,
        package_id: Some(KV_ID.into()),
        address: Some(address.into()),
        command: None,
        tls: Default::default(),
        endorsement_policy: Some(
            "OR('SeoulMedicalCenterMSP.peer', 'MyongjiHospitalMSP.peer')".into(),
        ),
        collections: None,
        collections_file: None,
        init_required: false,
    }];
    adjust(&mut t);
    t
}

/// Serves `Kv` over CCaaS on an ephemeral port; returns its address.
fn serve_kv(runtime: &tokio::runtime::Runtime) -> String {
    runtime.block_on(async {
        let bound = ChaincodeServer::new("127.0.0.1:0", KV_ID)
            .bind()
            .await
            .unwrap();
        let addr = bound.local_addr().to_string();
        tokio::spawn(async move {
            let _ = bound.serve_with_shutdown(Kv, std::future::pending()).await;
        });
        addr
    })
}

#[test]
fn the_cli_against_a_devnet() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let address = serve_kv(&runtime);
    let env = Env::new();
    let devnet = env.devnet.to_str().unwrap();

    // up --detach: returns once the network answers, prints the profiles it made.
    let up = env.devnet_up(&topology(&address, |_| {}));
    let _down = Down(&env);
    assert!(up.contains("seoulmedical-doctor1"), "{up}");
    assert!(up.contains("nhis-claimsofficer1"), "{up}");
    assert!(env.devnet.join("devnet.log").exists());
    let (code, err) = env.fails(&["devnet", "up", "--detach", "--dir", devnet]);
    assert_eq!(code, 1);
    assert!(err.contains("already runs"), "{err}");

    // Profiles.
    let list = env.json(&["profile", "list"]);
    let doctor = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "seoulmedical-doctor1")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(doctor["msp_id"], "SeoulMedicalCenterMSP");
    assert_eq!(doctor["role"], "doctor");
    assert_eq!(doctor["chaincode"], "kv");
    assert_eq!(doctor["current"], false);
    let (code, err) = env.fails(&["chaincode", "evaluate", "get", "k"]);
    assert_eq!(code, 3, "no profile chosen: {err}");
    assert!(err.contains("profile use"), "{err}");
    env.ok(&["profile", "use", "seoulmedical-doctor1"]);
    let show = env.json(&["profile", "show"]);
    assert_eq!(show["name"], "seoulmedical-doctor1");
    assert_eq!(show["current"], true);
    assert_eq!(show["channel"], "medledger");

    // Raw calls: submit, evaluate, transient data, chosen endorsers.
    let put = env.json(&["chaincode", "submit", "put", "k1", "v1"]);
    assert_eq!(put["validation_code"], "VALID");
    assert_eq!(put["result"], "v1");
    assert_eq!(put["transaction_id"].as_str().unwrap().len(), 64);
    let first_block = put["block"].as_u64().unwrap();
    assert!(first_block >= 1);
    let get = env.json(&["chaincode", "evaluate", "get", "k1"]);
    assert_eq!(get["result"], "v1");
    assert_eq!(get["result_encoding"], "utf8");
    let secret = env.root.join("secret.bin");
    std::fs::write(&secret, [0xff, 0x00, 0x01]).unwrap();
    let transient = format!("value=@{}", secret.display());
    let putt = env.json(&[
        "chaincode",
        "submit",
        "--chaincode",
        "kv",
        "putt",
        "k2",
        "--transient",
        &transient,
        "--endorsing-org",
        "MyongjiHospitalMSP",
    ]);
    assert_eq!(putt["validation_code"], "VALID");
    let got = env.json(&[
        "--profile",
        "nhis-admin",
        "chaincode",
        "evaluate",
        "get",
        "k2",
    ]);
    assert_eq!(got["result"], "/wAB", "binary results are base64");
    assert_eq!(got["result_encoding"], "base64");

    // Chaincode failures: message, peers, exit codes.
    let (code, err) = env.fails(&["chaincode", "evaluate", "get", "missing"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("chaincode said (status 404): key missing does not exist"),
        "{err}"
    );
    let (code, err) = env.fails(&["chaincode", "submit", "deny"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("only auditors may do this"), "{err}");
    let (code, err) = env.fails(&["chaincode", "submit", "fail"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("grpc code: Aborted"), "{err}");
    assert!(
        err.contains("peer 127.0.0.1:"),
        "every peer's detail: {err}"
    );
    assert!(
        err.contains("the ledger is not in the expected state"),
        "{err}"
    );
    // The same failure as one JSON document on stdout for scripts.
    let out = env.run(&["chaincode", "submit", "fail", "--output", "json"]);
    assert_eq!(out.status.code(), Some(5));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["exit_code"], 5);
    assert_eq!(v["error"]["grpc_code"], "Aborted");
    assert_eq!(v["error"]["chaincode_status"], 500);
    assert_eq!(
        v["error"]["chaincode_message"],
        "the ledger is not in the expected state"
    );
    assert!(!v["error"]["peers"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["error"]["transaction_id"].as_str().unwrap().len(), 64);
    let (code, err) = env.fails(&["chaincode", "evaluate", "--chaincode", "nosuch", "get", "k"]);
    assert_eq!(code, 3, "{err}");
    // Endorsed by an organisation the policy does not name: the commit is invalid.
    let (code, err) = env.fails(&[
        "chaincode",
        "submit",
        "put",
        "k9",
        "v9",
        "--endorsing-org",
        "NHISMSP",
    ]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("validation code: ENDORSEMENT_POLICY_FAILURE (10)"),
        "{err}"
    );
    assert!(
        err.contains("hint: not enough organisations endorsed"),
        "{err}"
    );
    let (code, _) = env.fails(&["chaincode", "submit", "put", "--transient", "novalue"]);
    assert_eq!(code, 2);

    // Events: from block 0 with a checkpoint, then resumed with no loss and no duplicate.
    let cp = env.root.join("events.json");
    let cp_s = cp.to_str().unwrap();
    let first = env.ok(&[
        "events",
        "watch",
        "--start-block",
        "0",
        "--checkpoint",
        cp_s,
        "--limit",
        "1",
        "--output",
        "json",
    ]);
    let e1: Value = serde_json::from_str(first.trim()).unwrap();
    assert_eq!(e1["name"], "Put");
    assert_eq!(e1["payload"], "k1");
    assert_eq!(e1["block"], first_block);
    assert_eq!(e1["transaction_id"], put["transaction_id"]);
    let put3 = env.json(&["chaincode", "submit", "put", "k3", "v3"]);
    let second = env.ok(&[
        "events",
        "watch",
        "--checkpoint",
        cp_s,
        "--limit",
        "1",
        "--output",
        "json",
    ]);
    let e2: Value = serde_json::from_str(second.trim()).unwrap();
    assert_eq!(e2["payload"], "k3", "resumed after k1: {second}");
    assert_eq!(e2["transaction_id"], put3["transaction_id"]);
    let table = env.ok(&["events", "watch", "--start-block", "0", "--limit", "2"]);
    assert_eq!(table.lines().count(), 2, "{table}");
    assert!(table.contains("payload=k3"), "{table}");

    // Identities: import one, list it with the devnet's users, use it in a new profile.
    let msp = env
        .devnet
        .join("crypto/peerOrganizations/myongji.example.com/users/Doctor1@myongji.example.com/msp");
    env.ok(&[
        "identity",
        "import",
        "mjh-doc",
        "--msp-id",
        "MyongjiHospitalMSP",
        "--msp-dir",
        msp.to_str().unwrap(),
    ]);
    let (code, err) = env.fails(&[
        "identity",
        "import",
        "mjh-doc",
        "--msp-id",
        "MyongjiHospitalMSP",
        "--msp-dir",
        msp.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let ids = env.json(&["identity", "list"]);
    let ids = ids.as_array().unwrap();
    let imported = ids.iter().find(|i| i["name"] == "mjh-doc").unwrap();
    assert_eq!(imported["source"], "imported");
    assert_eq!(imported["role"], "doctor");
    assert!(imported["expires"].as_str().unwrap().ends_with('Z'));
    let nurse = ids
        .iter()
        .find(|i| i["name"] == "Nurse1@seoulmedical.example.com")
        .unwrap();
    assert_eq!(nurse["source"], "devnet");
    assert_eq!(nurse["role"], "nurse");
    let mjh = env.json(&["profile", "show", "myongji-admin"]);
    env.ok(&[
        "profile",
        "add",
        "mine",
        "--identity",
        "mjh-doc",
        "--gateway",
        mjh["gateway"].as_str().unwrap(),
        "--tls-root-cert",
        mjh["tls_root_cert"].as_str().unwrap(),
        "--server-name",
        mjh["server_name"].as_str().unwrap(),
        "--channel",
        "medledger",
        "--chaincode",
        "kv",
        "--use",
    ]);
    assert_eq!(
        env.json(&["chaincode", "evaluate", "get", "k3"])["result"],
        "v3"
    );
    let shown = env.json(&["identity", "show", "--name", "mjh-doc"]);
    assert_eq!(shown["attr.role"], "doctor");

    // Status, reset refusal, down, then the gateway is unreachable.
    let status = env.json(&["devnet", "status", "--dir", devnet]);
    assert_eq!(status["running"], true);
    assert!(
        status["height"].as_u64().unwrap() > first_block + 1,
        "{status}"
    );
    assert_eq!(status["peers"].as_array().unwrap().len(), 4);
    let (code, err) = env.fails(&["devnet", "reset"]);
    assert_eq!(code, 1);
    assert!(err.contains("--force"), "{err}");
    let down = env.json(&["devnet", "down"]);
    assert_eq!(down["was_running"], true);
    assert_eq!(env.json(&["devnet", "status"])["running"], false);
    let (code, err) = env.fails(&["chaincode", "evaluate", "get", "k3"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(env.json(&["devnet", "down"])["was_running"], false);
    assert_eq!(env.json(&["devnet", "reset"])["deleted"], true);
    assert!(!env.devnet.exists());
}

#[test]
fn stale_state_file_is_noticed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let devnet = dir.path().join("devnet");
    std::fs::create_dir_all(&devnet).unwrap();
    std::fs::write(devnet.join("topology.toml"), "").unwrap();
    // A pid that is not a devnet: this test's own child that has exited.
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    std::fs::write(
        devnet.join("devnet.pid.json"),
        format!(r#"{{"pid":{pid},"started_at":0,"channel":"medledger","peers":[]}}"#),
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_medledger"))
            .args(args)
            .env("MEDLEDGER_HOME", dir.path().join("home"))
            .output()
            .unwrap()
    };
    let d = devnet.to_str().unwrap();
    let out = run(&["devnet", "status", "--dir", d, "--output", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["running"], false);
    assert!(
        !devnet.join("devnet.pid.json").exists(),
        "stale file removed"
    );
    let out = run(&["devnet", "reset", "--dir", d, "--output", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!devnet.exists());
}

#[test]
fn mutual_tls_profiles_verbose_logs_and_ctrl_c() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let address = serve_kv(&runtime);
    let env = Env::new();
    env.devnet_up(&topology(&address, |t| t.devnet.mutual_tls = true));
    let _down = Down(&env);

    // Devnet profiles carry the user's TLS client certificate under mutual TLS.
    let p = env.json(&["profile", "show", "pharmacy-pharmacist1"]);
    assert!(
        p["client_cert"].as_str().unwrap().ends_with("client.crt"),
        "{p}"
    );
    let put = env.json(&[
        "--profile",
        "seoulmedical-doctor1",
        "chaincode",
        "submit",
        "put",
        "m1",
        "x",
    ]);
    assert_eq!(put["validation_code"], "VALID");
    let got = env.json(&[
        "--profile",
        "pharmacy-pharmacist1",
        "chaincode",
        "evaluate",
        "get",
        "m1",
    ]);
    assert_eq!(got["result"], "x");
    let status = env.json(&["devnet", "status"]);
    assert!(
        status["height"].as_u64().unwrap() >= 2,
        "Deliver under mutual TLS: {status}"
    );

    // A profile without the client certificate is refused by the peer: unreachable, exit 6.
    let mut p: Value = serde_json::from_str(
        &std::fs::read_to_string(env.home.join("profiles/seoulmedical-doctor1.json")).unwrap(),
    )
    .unwrap();
    p["gateway"].as_object_mut().unwrap().remove("client_cert");
    p["gateway"].as_object_mut().unwrap().remove("client_key");
    std::fs::write(env.home.join("profiles/no-client-cert.json"), p.to_string()).unwrap();
    let (code, err) = env.fails(&[
        "--profile",
        "no-client-cert",
        "chaincode",
        "evaluate",
        "get",
        "m1",
    ]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("mutual TLS"), "{err}");

    // --verbose: tracing logs on stderr; stdout stays one JSON document.
    let out = env.run(&[
        "--verbose",
        "--profile",
        "seoulmedical-doctor1",
        "chaincode",
        "evaluate",
        "get",
        "m1",
        "--output",
        "json",
    ]);
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(logs.contains("DEBUG") || logs.contains("INFO"), "{logs}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"], "x");

    // events watch runs until Ctrl-C (SIGINT) and exits 0 after printing what it saw.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_medledger"))
        .args([
            "--profile",
            "seoulmedical-doctor1",
            "events",
            "watch",
            "--start-block",
            "0",
            "--output",
            "json",
        ])
        .env("MEDLEDGER_HOME", &env.home)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["payload"], "m1");
    let kill = Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = watch.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
