//! The real-Fabric kit with the Gateway client.
//!
//! - Always: the kit's connection files load with `fabric_sdk::gateway::ConnectionProfile` and
//!   name identities and TLS files that exist.
//! - Live, when `FABRIC_BIN` points at Fabric's release binaries (peer, orderer, osnadmin,
//!   configtxgen; with the release's `config/` and `builders/ccaas/` next to `bin/`): the kit's
//!   scripts start the network on 127.0.0.1 (free ports), start the medledger chaincode server,
//!   deploy it through the lifecycle, and the Gateway client submits `StorePatientDemographics`
//!   (PHI in the transient map, endorsed by the home hospital alone), then `RegisterPatient`
//!   (no PHI, planned by the Gateway) and evaluates `GetPatient`. Without `FABRIC_BIN` the live
//!   test says it is skipped and passes.

use fabric_sdk::gateway::ConnectionProfile;
use medledger_network::Topology;
use medledger_network::fabric::{self, Kit, KitOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

const TOOLS: [&str; 4] = ["peer", "orderer", "osnadmin", "configtxgen"];

/// `FABRIC_BIN`, when it holds every tool the scripts need.
fn fabric_bin() -> Result<PathBuf, String> {
    let Some(dir) = std::env::var_os("FABRIC_BIN") else {
        return Err("FABRIC_BIN is not set".into());
    };
    let dir = PathBuf::from(dir);
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| !dir.join(t).is_file())
        .collect();
    if missing.is_empty() {
        Ok(dir)
    } else {
        Err(format!(
            "FABRIC_BIN={} lacks {}",
            dir.display(),
            missing.join(", ")
        ))
    }
}

/// `count` consecutive ports on 127.0.0.1 that are free now, below Linux's ephemeral range
/// (32768 and up), so the nodes' own outgoing connections cannot take one before the node
/// listens on it. Each call of this process starts its search elsewhere.
fn free_port_range(count: u16) -> u16 {
    static CALLS: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = (std::process::id() as u16).wrapping_add(call.wrapping_mul(10_007));
    for attempt in 0..200u16 {
        let base = 20_000 + (seed.wrapping_add(attempt.wrapping_mul(397)) % 12_000);
        let free =
            (base..base + count).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no {count} consecutive free ports on 127.0.0.1");
}

fn generate(dir: &Path, options: &KitOptions) -> Kit {
    fabric::generate_kit(&Topology::medical_default(), dir.join("kit"), options)
        .expect("kit generated")
}

#[tokio::test]
async fn connection_files_load_with_the_gateway_client() {
    let dir = tempfile::tempdir().unwrap();
    let kit = generate(dir.path(), &KitOptions::default());
    for org in &Topology::medical_default().orgs {
        let path = kit.dir.join(format!("connections/{}.json", org.msp_id));
        let profile = ConnectionProfile::load(&path).await.unwrap();
        assert_eq!(profile.msp_id, org.msp_id);
        assert_eq!(profile.channel, "medledger");
        assert_eq!(profile.chaincodes, ["medledger"]);
        let peer = kit.plan.peers_of(&org.msp_id).next().unwrap();
        assert_eq!(profile.gateway_address, kit.plan.address(peer.port));
        assert!(profile.tls && !profile.mutual_tls);
        assert!(profile.tls_root_cert.as_ref().unwrap().is_file());
        assert_eq!(profile.identities.len(), org.users.len());
        for user in &org.users {
            let name = format!("{}@{}", user.name, org.domain);
            let id = profile.identity(&name).unwrap();
            assert!(id.msp_dir.join("signcerts").is_dir());
            profile.signing_identity(&name).await.unwrap();
        }
        profile.connection_builder(None).unwrap();
    }
}

/// Stops the kit's network (and removes its data) when dropped, also after a failure.
struct RunningKit {
    dir: PathBuf,
}

impl Drop for RunningKit {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(self.dir.join("scripts/network-down.sh"))
            .env("KIT_TIMEOUT", "20")
            .status();
    }
}

fn logs(dir: &Path) -> String {
    let mut out = String::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("logs")) {
        for e in entries.flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(25).collect();
            out.push_str(&format!("--- {} (last lines)\n", e.path().display()));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}

/// Whether `FABRIC_BIN`'s peer is Fabric v3 (`peer version` says `v3.…`; a development build
/// says `latest`: set `FABRIC_BIN_V3=1` for it).
fn fabric_is_v3(bin: &Path) -> bool {
    if std::env::var_os("FABRIC_BIN_V3").is_some_and(|v| v == "1") {
        return true;
    }
    Command::new(bin.join("peer"))
        .arg("version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim().starts_with("Version: v3") || l.trim().starts_with("Version: 3"))
        })
        .unwrap_or(false)
}

#[tokio::test]
async fn live_network_deploys_the_chaincode_and_serves_the_gateway_client() {
    match fabric_bin() {
        Ok(bin) => live_run(&bin, Topology::medical_default()).await,
        Err(why) => eprintln!(
            "skipping the live real-Fabric kit test: {why}. Set FABRIC_BIN to the bin/ \
             directory of a Fabric v2.5 or v3.x release (peer, orderer, osnadmin, \
             configtxgen, with config/ and builders/ccaas/ next to it) to run it."
        ),
    }
}

/// The same with Ed25519 keys everywhere and the channel capability V3_0 (Fabric v3 only).
#[tokio::test]
async fn live_ed25519_network_on_fabric_v3() {
    let bin = match fabric_bin() {
        Ok(bin) => bin,
        Err(why) => {
            eprintln!("skipping the live Ed25519 kit test: {why} (it needs Fabric v3 binaries)");
            return;
        }
    };
    if !fabric_is_v3(&bin) {
        eprintln!(
            "skipping the live Ed25519 kit test: `peer version` in {} is not v3 (Ed25519 needs \
             Fabric v3; set FABRIC_BIN_V3=1 for a v3 development build)",
            bin.display()
        );
        return;
    }
    let mut topology = Topology::medical_default();
    topology.key_algorithm = medledger_network::KeyType::Ed25519;
    topology.channel.capabilities.channel = "V3_0".into();
    live_run(&bin, topology).await;
}

/// Generates the kit of `topology` on free ports, runs `up.sh`, submits and evaluates with the
/// Gateway client, stops the network.
async fn live_run(bin: &Path, topology: Topology) {
    // One live network at a time: two five-node Fabric networks starting at once on a 2-core
    // machine miss the scripts' readiness deadlines.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let chaincode = medledger_e2e::cargo_binary("medledger-chaincode", "medledger-chaincode");
    let dir = tempfile::tempdir().unwrap();
    // 15 node ports and the chaincode server's.
    let base = free_port_range(16);
    let mut options = KitOptions {
        port_base: base,
        ..KitOptions::default()
    };
    options
        .chaincode_addresses
        .insert("medledger".into(), format!("127.0.0.1:{}", base + 15));
    let kit =
        fabric::generate_kit(&topology, dir.path().join("kit"), &options).expect("kit generated");
    let running = RunningKit {
        dir: kit.dir.clone(),
    };
    let started = std::time::Instant::now();
    let out = Command::new("bash")
        .arg(kit.dir.join("scripts/up.sh"))
        .env("FABRIC_BIN", bin)
        .env("MEDLEDGER_CHAINCODE", &chaincode)
        .env("KIT_TIMEOUT", "120")
        .output()
        .expect("run up.sh");
    assert!(
        out.status.success(),
        "up.sh failed:\n{}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        logs(&kit.dir)
    );
    eprintln!("up.sh took {:.1?}", started.elapsed());
    let text = String::from_utf8_lossy(&out.stdout);
    let package_id = &kit.chaincode("medledger").unwrap().package_id;
    assert!(text.contains(package_id.as_str()), "{text}");

    let profile = ConnectionProfile::load(kit.dir.join("connections/SeoulMedicalCenterMSP.json"))
        .await
        .unwrap();
    let gateway = profile
        .connect("Clerk1@seoulmedical.example.com")
        .await
        .unwrap();
    let contract = gateway.network(&profile.channel).contract("medledger");
    let salt = hex::encode([7u8; 32]);
    let demographics =
        r#"{"name":{"family":"Kit","given":["Test"]},"birth_date":"1980-01-01","gender":"female"}"#;
    // The private phase: the demographics into Seoul Medical Center's PHI collection, endorsed
    // by its own peer alone (the collection's policy is the only one that applies).
    let stored = contract
        .new_proposal("StorePatientDemographics")
        .arg("P-SMC-KIT-0001")
        .transient("patient", demographics)
        .transient("salt", &salt)
        .endorsing_organizations(["SeoulMedicalCenterMSP"])
        .submit()
        .await
        .unwrap_or_else(|e| panic!("StorePatientDemographics: {e}\n{}", logs(&kit.dir)));
    let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    let commitment = stored["commitment"]
        .as_str()
        .expect("a commitment")
        .to_owned();
    // The public phase, no transient data: the Gateway plans two organisations. Right after
    // the deployment, gossip may not yet have told this organisation's Gateway which peers of
    // the other organisations have the chaincode: retry that one condition, with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut retries = 0;
    let registered = loop {
        let attempt = contract
            .new_proposal("RegisterPatient")
            .args(["P-SMC-KIT-0001", commitment.as_str()])
            .submit()
            .await;
        match attempt {
            Ok(r) => {
                eprintln!("RegisterPatient committed after {retries} retries");
                break r;
            }
            Err(e)
                if e.to_string().contains("failed to find any endorsing peers")
                    && std::time::Instant::now() < deadline =>
            {
                retries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(e) => panic!("RegisterPatient: {e}\n{}", logs(&kit.dir)),
        }
    };
    let v: serde_json::Value = serde_json::from_slice(&registered).unwrap();
    assert_eq!(v["patient_id"], "P-SMC-KIT-0001", "{v}");
    assert_eq!(v["home_org"], "SeoulMedicalCenterMSP", "{v}");
    let view = contract
        .evaluate("GetPatient", ["P-SMC-KIT-0001"])
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&view).unwrap();
    assert_eq!(v["patient"]["patient_id"], "P-SMC-KIT-0001", "{v}");
    // The demographics come from the home hospital's private collection on its peer.
    assert_eq!(v["demographics"]["birth_date"], "1980-01-01", "{v}");
    // Queries read to their end (a range, a page) and a consent check (one point read): the
    // shim sends no QUERY_STATE_CLOSE after the peer's last batch.
    let evaluate = |function: &'static str, args: &'static [&'static str]| {
        let contract = &contract;
        async move {
            let bytes = contract
                .evaluate(function, args.iter().copied())
                .await
                .unwrap_or_else(|e| panic!("{function}: {e}"));
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        }
    };
    assert_eq!(
        evaluate("ListConsents", &["P-SMC-KIT-0001"]).await,
        serde_json::json!([])
    );
    let page = evaluate("ListClaims", &["SeoulMedicalCenterMSP", "", "", "10", ""]).await;
    assert_eq!(page["items"], serde_json::json!([]), "{page}");
    assert_eq!(page["bookmark"], "", "{page}");
    let check = evaluate(
        "CheckConsent",
        &["P-SMC-KIT-0001", "NHISMSP", "insurance_claim", ""],
    )
    .await;
    assert_eq!(check["granted"], false, "{check}");
    drop(running);
    assert!(
        !kit.dir.join("run").read_dir().unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "pid")),
        "network-down.sh stopped everything"
    );
}
