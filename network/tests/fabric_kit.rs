//! The real-Fabric kit (`medledger_network::fabric`), checked without Fabric binaries: every
//! generated file is parsed back, and what it says is compared with what the devnet builds from
//! the same topology (genesis policies and capabilities, consenters, package ids, chaincode
//! policies and collections).

use fabric_protos::common::{
    Capabilities, ConfigGroup, ImplicitMetaPolicy, SignaturePolicyEnvelope,
};
use fabric_protos::etcdraft::ConfigMetadata;
use fabric_protos::orderer::{BatchSize, ConsensusType};
use fabric_protos::protos::AnchorPeers;
use fabric_sdk::crypto::sha256;
use fabric_sdk::policy::collection::parse_collections_json;
use fabric_sdk::policy::{EndorsementPolicy, dsl, parse_implicit_meta};
use medledger_network::devnet::ChaincodeDefinition;
use medledger_network::devnet::genesis::{GenesisOptions, channel_config};
use medledger_network::devnet::network::package_ids;
use medledger_network::fabric::{self, Kit, KitOptions};
use medledger_network::{Error, KeyType, Topology};
use prost::Message;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const CONTRACT_COLLECTIONS: &str =
    include_str!("../../chaincode/medledger/config/collections.json");
const CONTRACT_POLICY: &str =
    include_str!("../../chaincode/medledger/config/endorsement-policy.txt");

fn kit(topology: &Topology) -> (tempfile::TempDir, Kit) {
    let dir = tempfile::tempdir().unwrap();
    let kit = fabric::generate_kit(topology, dir.path().join("kit"), &KitOptions::default())
        .expect("kit generated");
    (dir, kit)
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

/// The devnet's channel configuration for the same topology, crypto material, orderer address
/// and anchor peers.
fn devnet_config(topology: &Topology, kit: &Kit) -> ConfigGroup {
    let mut options = GenesisOptions::new(kit.plan.address(kit.plan.orderers[0].port)).unwrap();
    for org in &topology.orgs {
        if let Some(p) = kit.plan.peers_of(&org.msp_id).next() {
            options
                .anchor_peers
                .insert(org.msp_id.clone(), vec![(kit.plan.host.clone(), p.port)]);
        }
    }
    channel_config(topology, &kit.crypto, &options)
        .unwrap()
        .channel_group
        .unwrap()
}

/// Each policy of a configtx.yaml `Policies` map, encoded as configtxgen encodes it (the same
/// DSL and ImplicitMeta parsers), against the devnet's group.
fn assert_policies_match(what: &str, policies: &Value, group: &ConfigGroup) {
    let map = policies.as_mapping().unwrap();
    let names: Vec<&str> = map.keys().map(s).collect();
    let mut devnet_names: Vec<&str> = group.policies.keys().map(String::as_str).collect();
    devnet_names.sort_unstable();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, devnet_names, "{what}: policy names");
    for (name, def) in map {
        let name = s(name);
        let rule = s(&def["Rule"]);
        let devnet = group.policies[name].policy.as_ref().unwrap();
        match s(&def["Type"]) {
            "Signature" => {
                let ours = dsl::parse(rule).unwrap_or_else(|e| panic!("{what}/{name}: {e}"));
                let theirs = SignaturePolicyEnvelope::decode(devnet.value.clone()).unwrap();
                assert_eq!(ours, theirs, "{what}/{name}: {rule}");
                assert_eq!(ours.encode_to_vec(), devnet.value.to_vec(), "{what}/{name}");
            }
            "ImplicitMeta" => {
                let ours = parse_implicit_meta(rule).unwrap();
                let theirs = ImplicitMetaPolicy::decode(devnet.value.clone()).unwrap();
                assert_eq!(ours, theirs, "{what}/{name}: {rule}");
            }
            other => panic!("{what}/{name}: unexpected policy type {other}"),
        }
    }
}

fn capability_names(group: &ConfigGroup) -> Vec<String> {
    let caps = Capabilities::decode(group.values["Capabilities"].value.clone()).unwrap();
    caps.capabilities.keys().cloned().collect()
}

fn yaml_capabilities(v: &Value) -> Vec<String> {
    v.as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, on)| on.as_bool() == Some(true))
        .map(|(k, _)| s(k).to_owned())
        .collect()
}

fn byte_count(v: &Value) -> u32 {
    if let Some(n) = v.as_u64() {
        return n as u32;
    }
    let text = s(v);
    let (n, unit) = text.split_once(' ').unwrap();
    let n: u32 = n.parse().unwrap();
    match unit {
        "KB" => n * 1024,
        "MB" => n * 1024 * 1024,
        other => panic!("unit {other}"),
    }
}

#[test]
fn configtx_matches_the_devnet_genesis() {
    let topology = Topology::medical_default();
    let (_dir, kit) = kit(&topology);
    let doc = yaml(&kit.dir.join("configtx.yaml"));
    let devnet = devnet_config(&topology, &kit);

    // Organisations: named by MSP ID, MSP directories in the kit.
    let orgs = doc["Organizations"].as_sequence().unwrap();
    let ids: Vec<&str> = orgs.iter().map(|o| s(&o["ID"])).collect();
    assert_eq!(
        ids,
        [
            "OrdererMSP",
            "SeoulMedicalCenterMSP",
            "MyongjiHospitalMSP",
            "NHISMSP",
            "PharmacyMSP"
        ]
    );
    for o in orgs {
        assert_eq!(o["Name"], o["ID"], "configtxgen keys the group by Name");
        let msp = kit.dir.join(s(&o["MSPDir"]));
        assert!(msp.join("cacerts").is_dir(), "{}", msp.display());
        assert!(msp.join("config.yaml").is_file());
    }

    let profile = &doc["Profiles"][fabric::configtx::PROFILE];
    assert_policies_match("Channel", &profile["Policies"], &devnet);
    assert_eq!(
        yaml_capabilities(&profile["Capabilities"]),
        capability_names(&devnet)
    );

    // Application: the organisations with their policies and anchor peers.
    let app = &profile["Application"];
    let devnet_app = &devnet.groups["Application"];
    assert_policies_match("Application", &app["Policies"], devnet_app);
    assert_eq!(
        yaml_capabilities(&app["Capabilities"]),
        capability_names(devnet_app)
    );
    assert_eq!(yaml_capabilities(&app["Capabilities"]), ["V2_5"]);
    let app_orgs = app["Organizations"].as_sequence().unwrap();
    assert_eq!(app_orgs.len(), topology.orgs.len());
    for o in app_orgs {
        let id = s(&o["ID"]);
        let group = &devnet_app.groups[id];
        assert_policies_match(id, &o["Policies"], group);
        let anchors = AnchorPeers::decode(group.values["AnchorPeers"].value.clone()).unwrap();
        let yaml_anchors: Vec<(String, i32)> = o["AnchorPeers"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| (s(&a["Host"]).to_owned(), a["Port"].as_i64().unwrap() as i32))
            .collect();
        let devnet_anchors: Vec<(String, i32)> = anchors
            .anchor_peers
            .iter()
            .map(|a| (a.host.clone(), a.port))
            .collect();
        assert_eq!(yaml_anchors, devnet_anchors, "{id}");
        // The anchor is where that organisation's peer listens.
        let peer = kit.plan.peers_of(id).next().unwrap();
        let env =
            std::fs::read_to_string(kit.dir.join(format!("nodes/{}.env", peer.name))).unwrap();
        let listen = format!(
            "CORE_PEER_LISTENADDRESS=\"{}:{}\"",
            yaml_anchors[0].0, yaml_anchors[0].1
        );
        assert!(env.contains(&listen), "{env}");
    }

    // Orderer: etcdraft, consenters with the orderers' TLS certificates, block cutting.
    let ord = &profile["Orderer"];
    let devnet_ord = &devnet.groups["Orderer"];
    assert_eq!(s(&ord["OrdererType"]), "etcdraft");
    assert_policies_match("Orderer", &ord["Policies"], devnet_ord);
    assert_eq!(
        yaml_capabilities(&ord["Capabilities"]),
        capability_names(devnet_ord)
    );
    let oo = &ord["Organizations"][0];
    assert_policies_match(
        "OrdererMSP",
        &oo["Policies"],
        &devnet_ord.groups["OrdererMSP"],
    );
    assert_eq!(
        oo["OrdererEndpoints"][0].as_str(),
        Some(kit.plan.address(kit.plan.orderers[0].port).as_str())
    );
    let consensus =
        ConsensusType::decode(devnet_ord.values["ConsensusType"].value.clone()).unwrap();
    assert_eq!(consensus.r#type, "etcdraft");
    let raft = ConfigMetadata::decode(consensus.metadata).unwrap();
    let consenters = ord["EtcdRaft"]["Consenters"].as_sequence().unwrap();
    assert_eq!(consenters.len(), raft.consenters.len());
    for (c, theirs) in consenters.iter().zip(&raft.consenters) {
        assert_eq!(s(&c["Host"]), theirs.host);
        assert_eq!(c["Port"].as_u64(), Some(u64::from(theirs.port)));
        let client = std::fs::read(kit.dir.join(s(&c["ClientTLSCert"]))).unwrap();
        let server = std::fs::read(kit.dir.join(s(&c["ServerTLSCert"]))).unwrap();
        assert_eq!(client, theirs.client_tls_cert.to_vec());
        assert_eq!(server, theirs.server_tls_cert.to_vec());
    }
    let opts = raft.options.unwrap();
    let yaml_opts = &ord["EtcdRaft"]["Options"];
    assert_eq!(s(&yaml_opts["TickInterval"]), opts.tick_interval);
    assert_eq!(
        yaml_opts["ElectionTick"].as_u64(),
        Some(u64::from(opts.election_tick))
    );
    assert_eq!(
        byte_count(&yaml_opts["SnapshotIntervalSize"]),
        opts.snapshot_interval_size
    );
    let batch = BatchSize::decode(devnet_ord.values["BatchSize"].value.clone()).unwrap();
    let yaml_batch = &ord["BatchSize"];
    assert_eq!(
        yaml_batch["MaxMessageCount"].as_u64(),
        Some(u64::from(batch.max_message_count))
    );
    assert_eq!(
        byte_count(&yaml_batch["AbsoluteMaxBytes"]),
        batch.absolute_max_bytes
    );
    assert_eq!(
        byte_count(&yaml_batch["PreferredMaxBytes"]),
        batch.preferred_max_bytes
    );
    assert_eq!(
        s(&ord["BatchTimeout"]),
        topology.block_cutting.batch_timeout
    );
}

#[test]
fn ed25519_topology_gets_the_v3_channel_capability() {
    let mut topology = Topology::medical_default();
    topology.key_algorithm = KeyType::Ed25519;
    topology.channel.capabilities.channel = "V3_0".into();
    let (_dir, kit) = kit(&topology);
    let doc = yaml(&kit.dir.join("configtx.yaml"));
    let profile = &doc["Profiles"][fabric::configtx::PROFILE];
    assert_eq!(yaml_capabilities(&profile["Capabilities"]), ["V3_0"]);
    assert_eq!(
        yaml_capabilities(&profile["Application"]["Capabilities"]),
        ["V2_5"]
    );
    let key = std::fs::read_to_string(
        kit.dir
            .join("crypto/peerOrganizations/seoulmedical.example.com/peers/peer0.seoulmedical.example.com/msp/keystore/priv_sk"),
    )
    .unwrap();
    let der = pem::parse(&key).unwrap();
    // PKCS#8 with the Ed25519 OID 1.3.101.112.
    assert!(
        der.contents()
            .windows(5)
            .any(|w| w == [0x06, 0x03, 0x2b, 0x65, 0x70])
    );

    // Without V3_0 the topology itself is refused, so no kit can say otherwise.
    let mut bad = Topology::medical_default();
    bad.key_algorithm = KeyType::Ed25519;
    let dir = tempfile::tempdir().unwrap();
    let e = fabric::generate_kit(&bad, dir.path().join("kit"), &KitOptions::default()).unwrap_err();
    assert!(e.to_string().contains("V3_0"), "{e}");
    assert!(!dir.path().join("kit").exists(), "nothing is left behind");
}

/// Extracts a `.tar.gz` with the system's tar (as an operator would inspect it).
fn untar(archive: &Path, into: &Path) -> Vec<String> {
    std::fs::create_dir_all(into).unwrap();
    let out = Command::new("tar")
        .arg("-xzvf")
        .arg(archive)
        .arg("-C")
        .arg(into)
        .output()
        .expect("run tar");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let mut names: Vec<String> = listing
        .lines()
        .map(|l| l.trim().trim_start_matches("x ").to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    names.sort();
    names
}

#[test]
fn ccaas_package_layout_and_id_are_the_devnets() {
    let topology = Topology::medical_default();
    let (dir, kit) = kit(&topology);
    let cc = kit.chaincode("medledger").unwrap();
    let cc_dir = kit.dir.join("chaincode/medledger");
    let file = cc_dir.join("medledger_1.0.tar.gz");
    let bytes = std::fs::read(&file).unwrap();
    let id = format!("medledger_1.0:{}", hex::encode(sha256(&bytes)));
    assert_eq!(cc.package_id, id);
    assert_eq!(
        std::fs::read_to_string(cc_dir.join("package-id")).unwrap(),
        format!("{id}\n")
    );
    let devnet = package_ids(&topology).unwrap();
    assert_eq!(
        devnet["medledger"].0, id,
        "the devnet computes the same package id"
    );
    assert_eq!(devnet["medledger"].1.as_deref(), Some(bytes.as_slice()));

    let outer = dir.path().join("outer");
    assert_eq!(untar(&file, &outer), ["code.tar.gz", "metadata.json"]);
    let metadata: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outer.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(
        metadata,
        serde_json::json!({"type": "ccaas", "label": "medledger_1.0"})
    );
    let inner = dir.path().join("inner");
    assert_eq!(
        untar(&outer.join("code.tar.gz"), &inner),
        ["connection.json"]
    );
    let connection = std::fs::read(inner.join("connection.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&connection).unwrap();
    assert_eq!(v["address"], "127.0.0.1:9999");
    assert_eq!(v["dial_timeout"], "10s");
    assert_eq!(v["tls_required"], serde_json::Value::Bool(false));
    assert_eq!(
        connection,
        std::fs::read(cc_dir.join("connection.json")).unwrap()
    );
    let dialer = fabric_chaincode::peer_side::ChaincodeDialer::from_connection_json(&connection)
        .expect("a peer reads it");
    assert_eq!(dialer.address(), "127.0.0.1:9999");
}

#[test]
fn chaincode_policy_and_collections_are_the_contracts_and_the_devnets() {
    let topology = Topology::medical_default();
    let (_dir, kit) = kit(&topology);
    let cc_dir = kit.dir.join("chaincode/medledger");

    let collections = std::fs::read_to_string(cc_dir.join("collections.json")).unwrap();
    assert_eq!(
        collections, CONTRACT_COLLECTIONS,
        "one source: the contract's file"
    );
    let package = parse_collections_json(collections.as_bytes()).unwrap();
    assert_eq!(package.config.len(), 5);

    let policy = std::fs::read_to_string(cc_dir.join("endorsement-policy.txt")).unwrap();
    assert_eq!(policy.trim(), CONTRACT_POLICY.trim());
    let def = topology
        .chaincodes
        .iter()
        .find(|c| c.name == "medledger")
        .unwrap();
    let devnet = ChaincodeDefinition::from_topology(def, "x").unwrap();
    let EndorsementPolicy::Signature(devnet_envelope) = devnet.endorsement_policy else {
        panic!("the devnet's medledger policy is a signature policy")
    };
    assert_eq!(dsl::parse(policy.trim()).unwrap(), devnet_envelope);

    // The devnet with the contract's collections sees the same package.
    let mut with_collections = def.clone();
    with_collections.collections = Some(CONTRACT_COLLECTIONS.to_owned());
    let devnet = ChaincodeDefinition::from_topology(&with_collections, "x").unwrap();
    assert_eq!(devnet.collections, package);

    // definition.sh, as the deploy script reads it.
    let out = Command::new("bash")
        .arg("-c")
        .arg("source \"$1\"; printf '%s\\n' \"$CC_NAME\" \"$CC_SEQUENCE\" \"$CC_PACKAGE_ID\" \"$CC_POLICY\" \"$CC_COLLECTIONS\" \"$CC_LISTEN\"")
        .arg("bash")
        .arg(cc_dir.join("definition.sh"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        lines,
        [
            "medledger".to_owned(),
            "1".to_owned(),
            kit.chaincode("medledger").unwrap().package_id.clone(),
            CONTRACT_POLICY.trim().to_owned(),
            "chaincode/medledger/collections.json".to_owned(),
            "127.0.0.1:9999".to_owned(),
        ]
    );
}

#[test]
fn scripts_and_env_files_are_valid_bash_and_say_what_the_plan_says() {
    let topology = Topology::medical_default();
    let (_dir, kit) = kit(&topology);
    let mut checked = 0;
    for f in &kit.files {
        let name = f.to_string_lossy();
        if name.ends_with(".sh") || name.ends_with(".env") {
            let out = Command::new("bash")
                .arg("-n")
                .arg(kit.dir.join(f))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    // 6 fixed scripts + settings.sh + definition.sh + server.env + 5 node env files + 5 admin env files
    assert_eq!(checked, 19);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(kit.dir.join("scripts/up.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "scripts are executable");
    }

    // settings.sh as common.sh sees it.
    let out = Command::new("bash")
        .arg("-c")
        .arg("source \"$1/scripts/settings.sh\"; echo \"$CHANNEL ${#PEERS[@]} ${PEERS[1]} ${PEER_ADDRESSES[1]} ${ORGS[*]} ${ORDERER_ADMIN_ADDRESSES[0]}\"")
        .arg("bash")
        .arg(&kit.dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!(
            "medledger 4 peer0.myongji.example.com 127.0.0.1:{} SeoulMedicalCenterMSP MyongjiHospitalMSP NHISMSP PharmacyMSP 127.0.0.1:{}",
            kit.plan.peers[1].port, kit.plan.orderers[0].admin_port
        )
    );

    // A peer's overrides: the ccaas builder entry parses as the peer parses it (YAML).
    let peer = &kit.plan.peers[0];
    let out = Command::new("bash")
        .arg("-c")
        .arg("KIT=\"$1\" FABRIC_CCAAS_BUILDER=/opt/fabric/builders/ccaas; source \"$1/nodes/$2.env\"; printf '%s\\n%s\\n%s\\n' \"$CORE_CHAINCODE_EXTERNALBUILDERS\" \"$CORE_PEER_MSPCONFIGPATH\" \"$CORE_PEER_TLS_ENABLED\"")
        .arg("bash")
        .arg(&kit.dir)
        .arg(&peer.name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let builders: Value = serde_yaml_ng::from_str(lines[0]).unwrap();
    assert_eq!(s(&builders[0]["name"]), "ccaas_builder");
    assert_eq!(s(&builders[0]["path"]), "/opt/fabric/builders/ccaas");
    assert_eq!(
        s(&builders[0]["propagateEnvironment"][0]),
        "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"
    );
    assert!(
        Path::new(lines[1]).join("signcerts").is_dir(),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "true");

    // The core.yaml snippet says the same.
    let snippet = yaml(&kit.dir.join("core-ccaas.yaml"));
    let b = &snippet["chaincode"]["externalBuilders"][0];
    assert_eq!(s(&b["name"]), "ccaas_builder");
    assert_eq!(
        s(&b["propagateEnvironment"][0]),
        "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"
    );
}

#[test]
fn kubernetes_manifest_and_dockerfile_run_the_packaged_server() {
    let topology = Topology::medical_default();
    let (_dir, kit) = kit(&topology);
    let cc = kit.chaincode("medledger").unwrap();
    let text =
        std::fs::read_to_string(kit.dir.join("chaincode/medledger/kubernetes.yaml")).unwrap();
    let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let kinds: Vec<&str> = docs.iter().map(|d| s(&d["kind"])).collect();
    assert_eq!(kinds, ["Service", "Deployment"]);
    assert_eq!(docs[0]["spec"]["ports"][0]["port"].as_u64(), Some(9999));
    let container = &docs[1]["spec"]["template"]["spec"]["containers"][0];
    let env: BTreeMap<&str, &str> = container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| (s(&e["name"]), s(&e["value"])))
        .collect();
    assert_eq!(env["CHAINCODE_ID"], cc.package_id);
    assert_eq!(env["CHAINCODE_SERVER_ADDRESS"], "0.0.0.0:9999");
    assert_eq!(
        docs[1]["spec"]["selector"]["matchLabels"],
        docs[0]["spec"]["selector"]
    );
    let dockerfile =
        std::fs::read_to_string(kit.dir.join("chaincode/medledger/Dockerfile")).unwrap();
    assert!(dockerfile.contains("cargo build --release --locked -p medledger-chaincode"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/medledger-chaincode\"]"));
}

#[test]
fn tls_chaincode_embeds_pem_and_matches_the_devnet() {
    let dir = tempfile::tempdir().unwrap();
    // Any CA and client pair will do: take them from a crypto tree.
    let crypto =
        medledger_network::generate(&Topology::medical_default(), dir.path().join("c")).unwrap();
    let peer = crypto.peer("SeoulMedicalCenterMSP").unwrap();
    let mut topology = Topology::medical_default();
    let cc = topology
        .chaincodes
        .iter_mut()
        .find(|c| c.name == "medledger")
        .unwrap();
    cc.tls.required = true;
    cc.tls.client_auth = true;
    cc.tls.root_cert = Some(peer.tls_ca_cert.clone());
    cc.tls.client_cert = Some(peer.tls_cert.clone());
    cc.tls.client_key = Some(peer.tls_key.clone());
    let kit =
        fabric::generate_kit(&topology, dir.path().join("kit"), &KitOptions::default()).unwrap();
    let c = kit.chaincode("medledger").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&c.package.connection_json).unwrap();
    assert_eq!(v["tls_required"], serde_json::Value::Bool(true));
    assert_eq!(v["client_auth_required"], serde_json::Value::Bool(true));
    assert_eq!(
        v["root_cert"].as_str().unwrap(),
        std::fs::read_to_string(&peer.tls_ca_cert).unwrap()
    );
    assert_eq!(
        v["client_key"].as_str().unwrap(),
        std::fs::read_to_string(&peer.tls_key).unwrap()
    );
    fabric_chaincode::peer_side::ChaincodeDialer::from_connection_json(&c.package.connection_json)
        .expect("a peer reads it");
    assert_eq!(package_ids(&topology).unwrap()["medledger"].0, c.package_id);
    let server_env =
        std::fs::read_to_string(kit.dir.join("chaincode/medledger/server.env")).unwrap();
    assert!(server_env.contains("CHAINCODE_TLS_CERT"), "{server_env}");

    // Client auth without a client certificate cannot work on a real peer.
    let mut no_client = topology.clone();
    let cc = no_client
        .chaincodes
        .iter_mut()
        .find(|c| c.name == "medledger")
        .unwrap();
    cc.tls.client_cert = None;
    cc.tls.client_key = None;
    let e = fabric::kit_chaincodes(&no_client, &KitOptions::default()).unwrap_err();
    assert!(e.to_string().contains("client_cert"), "{e}");
}

#[test]
fn chaincode_address_option_changes_the_package_and_is_checked() {
    let topology = Topology::medical_default();
    let mut options = KitOptions::default();
    options.chaincode_addresses.insert(
        "medledger".into(),
        "medledger-chaincode.fabric.svc.cluster.local:7052".into(),
    );
    let ccs = fabric::kit_chaincodes(&topology, &options).unwrap();
    let default = fabric::kit_chaincodes(&topology, &KitOptions::default()).unwrap();
    assert_ne!(ccs[0].package_id, default[0].package_id);
    assert_eq!(
        ccs[0].address,
        "medledger-chaincode.fabric.svc.cluster.local:7052"
    );
    assert_eq!(
        fabric::chaincode::service_name(&ccs[0]),
        "medledger-chaincode"
    );
    let manifest = fabric::chaincode::kubernetes_manifest(&ccs[0]).unwrap();
    assert!(manifest.contains("containerPort: 7052"), "{manifest}");

    options.chaincode_addresses.clear();
    options
        .chaincode_addresses
        .insert("nope".into(), "a:1".into());
    let e = fabric::kit_chaincodes(&topology, &options)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no chaincode \"nope\"") && e.contains("medledger"),
        "{e}"
    );
    options.chaincode_addresses.clear();
    options
        .chaincode_addresses
        .insert("medledger".into(), "no-port".into());
    let e = fabric::kit_chaincodes(&topology, &options)
        .unwrap_err()
        .to_string();
    assert!(e.contains("host:port"), "{e}");
}

#[test]
fn output_directory_rules() {
    let topology = Topology::medical_default();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kit");
    let first = fabric::generate_kit(&topology, &out, &KitOptions::default()).unwrap();
    let e = fabric::generate_kit(&topology, &out, &KitOptions::default()).unwrap_err();
    assert!(matches!(e, Error::OutputNotEmpty { .. }), "{e}");

    let overwrite = KitOptions {
        overwrite: true,
        ..KitOptions::default()
    };
    std::fs::create_dir_all(out.join("run")).unwrap();
    std::fs::write(out.join("run/peer0.pid"), "1").unwrap();
    let e = fabric::generate_kit(&topology, &out, &overwrite).unwrap_err();
    assert!(e.to_string().contains("network-down.sh"), "{e}");
    std::fs::remove_dir_all(out.join("run")).unwrap();

    let second = fabric::generate_kit(&topology, &out, &overwrite).unwrap();
    assert_eq!(
        first.chaincodes[0].package_id, second.chaincodes[0].package_id,
        "the package does not depend on the crypto material"
    );
    assert_eq!(first.files, second.files);
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "no staging leftovers: {left:?}");

    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let e = fabric::generate_kit(&topology, &foreign, &overwrite).unwrap_err();
    assert!(e.to_string().contains("kit.json"), "{e}");
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );
}
