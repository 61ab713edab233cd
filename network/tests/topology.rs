//! Topology parsing and validation: the shipped default, error messages naming the key, and
//! random input that must produce errors, never panics.

use medledger_network::{Error, KeyType, OrgKind, Role, Topology, UserType};
use proptest::prelude::*;

const MEDICAL_TOML: &str = include_str!("../topology/medical.toml");

fn err_of(text: &str) -> (String, String) {
    match Topology::from_toml_str(text) {
        Err(Error::Topology { key, message, .. }) => (key, message),
        Err(other) => panic!("unexpected error kind: {other}"),
        Ok(_) => panic!("accepted:\n{text}"),
    }
}

/// The shipped file with one textual replacement, which must occur exactly once.
fn edited(from: &str, to: &str) -> String {
    assert_eq!(
        MEDICAL_TOML.matches(from).count(),
        1,
        "{from:?} must occur once"
    );
    MEDICAL_TOML.replace(from, to)
}

#[test]
fn shipped_file_is_the_default() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/topology");
    let parsed = Topology::from_toml_str_in(MEDICAL_TOML, dir).unwrap();
    assert_eq!(parsed, Topology::medical_default());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/topology/medical.toml");
    assert_eq!(Topology::from_file(path).unwrap(), parsed);
}

#[test]
fn collections_file_is_read_relative_to_the_topology_file() {
    // The shipped file names the contract's collections relative to its own directory; read
    // from anywhere, the topology holds their JSON (and saved elsewhere stays complete).
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/topology/medical.toml");
    let t = Topology::from_file(path).unwrap();
    let cc = t.chaincodes.iter().find(|c| c.name == "medledger").unwrap();
    assert_eq!(cc.collections_file, None);
    let package = cc.collection_package().unwrap().expect("collections");
    assert_eq!(package.config.len(), 5);

    let saved = tempfile::tempdir().unwrap();
    let copy = saved.path().join("topology.toml");
    std::fs::write(&copy, t.to_toml_string().unwrap()).unwrap();
    assert_eq!(Topology::from_file(&copy).unwrap(), t);

    // A missing file names the path it looked for.
    let moved = saved.path().join("moved.toml");
    std::fs::write(&moved, MEDICAL_TOML).unwrap();
    let err = Topology::from_file(&moved).unwrap_err().to_string();
    assert!(
        err.contains(
            &*saved
                .path()
                .join("../../chaincode/medledger/config/collections.json")
                .to_string_lossy()
        ),
        "{err}"
    );
    // Parsed from text alone, the file name is kept for the caller to resolve.
    let text_only = Topology::from_toml_str(MEDICAL_TOML).unwrap();
    let cc = text_only
        .chaincodes
        .iter()
        .find(|c| c.name == "medledger")
        .unwrap();
    assert_eq!(
        cc.collections_file.as_deref(),
        Some(std::path::Path::new(
            "../../chaincode/medledger/config/collections.json"
        ))
    );
}

#[test]
fn default_consortium_content() {
    let t = Topology::medical_default();
    t.validate().unwrap();
    assert_eq!(t.key_algorithm, KeyType::EcdsaP256);
    assert_eq!(t.orderer_org.msp_id, "OrdererMSP");
    let ids: Vec<_> = t.orgs.iter().map(|o| (o.msp_id.as_str(), o.kind)).collect();
    assert_eq!(
        ids,
        [
            ("SeoulMedicalCenterMSP", OrgKind::Hospital),
            ("MyongjiHospitalMSP", OrgKind::Hospital),
            ("NHISMSP", OrgKind::Insurer),
            ("PharmacyMSP", OrgKind::Pharmacy),
        ]
    );
    for org in &t.orgs {
        assert_eq!(org.peers[0].name, "peer0");
        assert!(
            org.users
                .iter()
                .any(|u| u.name == "Admin" && u.user_type == UserType::Admin)
        );
    }
    let users: Vec<_> = t
        .orgs
        .iter()
        .flat_map(|o| o.users.iter().map(move |u| (o, u)))
        .collect();
    for role in Role::ALL {
        assert!(users.iter().any(|(_, u)| u.role == Some(role)), "no {role}");
    }
    for (org, u) in &users {
        match u.role {
            Some(Role::Doctor | Role::Pharmacist) => assert!(u.license_no.is_some()),
            Some(Role::Patient) => {
                let pid = u.patient_id.as_deref().unwrap();
                assert!(pid.starts_with("P-"), "{pid}");
                assert!(pid.chars().filter(char::is_ascii_digit).count() < 13);
            }
            Some(Role::ClaimsOfficer) => assert_eq!(org.msp_id, "NHISMSP"),
            _ => assert!(u.patient_id.is_none()),
        }
    }
}

#[test]
fn serialises_back_to_the_same_topology() {
    let t = Topology::medical_default();
    let text = t.to_toml_string().unwrap();
    assert_eq!(Topology::from_toml_str(&text).unwrap(), t);
}

#[test]
fn unknown_role_names_the_key_and_the_choices() {
    let (key, message) = err_of(&edited("role = \"claims_officer\"", "role = \"docter\""));
    assert_eq!(key, "orgs[2].users[1].role");
    assert!(
        message.starts_with(
            "unknown role \"docter\" (expected one of doctor, nurse, pharmacist, clerk, claims_officer, patient, auditor)"
        ),
        "{message}"
    );
    let full = Topology::from_toml_str(&edited("role = \"claims_officer\"", "role = \"docter\""))
        .unwrap_err()
        .to_string();
    assert!(
        full.contains("orgs[2].users[1].role: unknown role \"docter\""),
        "{full}"
    );
}

#[test]
fn unknown_fields_are_rejected_with_their_place() {
    let (key, message) = err_of(&edited(
        "license_no = \"PH-208841\"",
        "license_no = \"PH-208841\"\nlicence = \"x\"",
    ));
    assert!(key.starts_with("orgs[3].users[1]"), "{key}");
    assert!(message.contains("unknown field `licence`"), "{message}");

    let (key, message) = err_of(&format!("channels = \"medical\"\n{MEDICAL_TOML}"));
    assert!(
        message.contains("unknown field `channels`"),
        "{key}: {message}"
    );
    let (key, message) = err_of(&edited(
        "mutual_tls = false",
        "mutual_tls = false\nmtls = true",
    ));
    assert!(key.starts_with("devnet"), "{key}");
    assert!(message.contains("unknown field `mtls`"), "{message}");
    let (key, message) = err_of(&edited("sequence = 1", "sequence = 1\nsequense = 2"));
    assert!(key.starts_with("chaincodes[0]"), "{key}");
    assert!(message.contains("unknown field `sequense`"), "{message}");
}

#[test]
fn wrong_values_name_their_key() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "kind = \"insurer\"",
            "kind = \"bank\"",
            "orgs[2].kind",
            "unknown variant",
        ),
        (
            "key_algorithm = \"ecdsa-p256\"",
            "key_algorithm = \"rsa\"",
            "key_algorithm",
            "unknown variant",
        ),
        (
            "license_no = \"MD-104233\"\n",
            "",
            "orgs[0].users[1].license_no",
            "needs a license_no",
        ),
        (
            "patient_id = \"P-SMC-000001\"",
            "patient_id = \"900101-1234567\"",
            "orgs[0].users[4].patient_id",
            "resident registration number",
        ),
        (
            "patient_id = \"P-MJH-000001\"\n",
            "",
            "orgs[1].users[4].patient_id",
            "needs a patient_id",
        ),
        (
            "msp_id = \"NHISMSP\"",
            "msp_id = \"PharmacyMSP\"",
            "orgs[3].msp_id",
            "duplicate MSP id",
        ),
        (
            "domain = \"myongji.example.com\"",
            "domain = \"Myongji.example.com\"",
            "orgs[1].domain",
            "invalid domain",
        ),
        (
            "name = \"Auditor1\"\nrole = \"auditor\"\n\n# --- Myongji",
            "name = \"nurse1\"\nrole = \"auditor\"\n\n# --- Myongji",
            "orgs[0].users[5].name",
            "duplicate user name",
        ),
        (
            "name = \"ClaimsOfficer1\"",
            "name = \"../ClaimsOfficer1\"",
            "orgs[2].users[1].name",
            "invalid user name",
        ),
        (
            "attributes = { department = \"orthopedics\" }",
            "attributes = { role = \"doctor\" }",
            "orgs[1].users[1].attributes.role",
            "reserved",
        ),
        (
            "attributes = { department = \"orthopedics\" }",
            "attributes = { \"hf.Type\" = \"peer\" }",
            "orgs[1].users[1].attributes.hf.Type",
            "reserved",
        ),
        (
            "name = \"Auditor1\"\nrole = \"auditor\"\n\n# --- Myongji",
            "name = \"Auditor1\"\n\n# --- Myongji",
            "orgs[0].users[5].role",
            "needs a role",
        ),
        (
            "orderers = [{ name = \"orderer\" }]",
            "orderers = []",
            "orderer_org.orderers",
            "at least one",
        ),
        (
            "orderers = [{ name = \"orderer\" }]",
            "orderers = [{ name = \"orderer\", sans = [\"bad host\"] }]",
            "orderer_org.orderers[0].sans[0]",
            "invalid subject alternative name",
        ),
        (
            "users = [{ name = \"Admin\", type = \"admin\" }]",
            "users = [{ name = \"Admin\", type = \"root\" }]",
            "orderer_org.users[0].type",
            "unknown variant",
        ),
        (
            "users = [{ name = \"Admin\", type = \"admin\" }]",
            "users = [{ name = \"Admin\" , role = \"auditor\"}]",
            "orderer_org.users",
            "no user of type \"admin\"",
        ),
        (
            "role = \"nurse\"\n\n",
            "role = \"nurse\"\npatient_id = \"P-1\"\n\n",
            "orgs[1].users[2].patient_id",
            "only a user with role \"patient\"",
        ),
        (
            "peers = [{ name = \"peer0\" }]\n\n[[orgs.users]]\nname = \"Admin\"\ntype = \"admin\"\n\n[[orgs.users]]\nname = \"ClaimsOfficer1\"",
            "peers = [{ name = \"Peer0\" }]\n\n[[orgs.users]]\nname = \"Admin\"\ntype = \"admin\"\n\n[[orgs.users]]\nname = \"ClaimsOfficer1\"",
            "orgs[2].peers[0].name",
            "invalid node name",
        ),
        (
            "name = \"Orderer\"",
            "name = 7",
            "orderer_org.name",
            "invalid type",
        ),
    ];
    for (from, to, want_key, want_msg) in cases {
        let (key, message) = err_of(&edited(from, to));
        assert_eq!(&key, want_key, "{from:?} -> {to:?}: {message}");
        assert!(
            message.contains(want_msg),
            "{from:?} -> {to:?}: {key}: {message}"
        );
    }
}

#[test]
fn channel_chaincode_and_devnet_sections() {
    let t = Topology::medical_default();
    assert_eq!(t.channel.name, "medledger");
    assert_eq!(t.channel.capabilities.application, "V2_5");
    assert_eq!(t.channel.policies.endorsement, "MAJORITY Endorsement");
    let cc = &t.chaincodes[0];
    assert_eq!(
        (cc.name.as_str(), cc.sequence, cc.package_label().as_str()),
        ("medledger", 1, "medledger_1.0")
    );
    assert_eq!(
        t.block_cutting.batch_timeout(),
        Some(std::time::Duration::from_secs(2))
    );
    assert_eq!(t.block_cutting.max_message_count, 10);
    assert!(t.devnet.tls && !t.devnet.mutual_tls);
    assert_eq!(
        t.devnet.peer_compat,
        medledger_network::topology::PeerCompat::V3_1
    );
    // Every new section is optional: the organisations alone still parse, with defaults.
    let orgs_only = MEDICAL_TOML.split("# --- Channel").next().unwrap();
    let t2 = Topology::from_toml_str(orgs_only).unwrap();
    assert_eq!(t2.channel, t.channel);
    assert!(t2.chaincodes.is_empty());
    assert_eq!(t2.block_cutting, t.block_cutting);
    assert_eq!(t2.devnet, t.devnet);
    // Collections inline instead of the file, checked with Fabric's JSON rules.
    let text = edited(
        "collections_file = \"../../chaincode/medledger/config/collections.json\"",
        "collections = '[{\"name\":\"rx\",\"policy\":\"OR(\\u0027SeoulMedicalCenterMSP.member\\u0027,\\u0027PharmacyMSP.member\\u0027)\",\"blockToLive\":100}]'",
    );
    let t3 = Topology::from_toml_str(&text).unwrap();
    assert!(
        t3.chaincodes[0]
            .collections
            .as_deref()
            .unwrap()
            .contains("blockToLive")
    );
}

#[test]
fn devnet_section_errors_name_their_key() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "name = \"medledger\"\ncapabilities",
            "name = \"MedLedger\"\ncapabilities",
            "channel.name",
            "invalid channel name",
        ),
        (
            "application = \"V2_5\"",
            "application = \"V9_9\"",
            "channel.capabilities.application",
            "unsupported capability",
        ),
        (
            "readers = \"ANY Readers\"",
            "readers = \"SOME Readers\"",
            "channel.policies.readers",
            "ANY, ALL or MAJORITY",
        ),
        (
            "admins = \"MAJORITY Admins\"",
            "admins = \"MAJORITY Bosses\"",
            "channel.policies.admins",
            "unknown sub-policy",
        ),
        (
            "key_algorithm = \"ecdsa-p256\"",
            "key_algorithm = \"ed25519\"",
            "channel.capabilities.channel",
            "V3_0",
        ),
        (
            "name = \"medledger\"\nversion",
            "name = \"med ledger\"\nversion",
            "chaincodes[0].name",
            "invalid chaincode name",
        ),
        (
            "version = \"1.0\"",
            "version = \"\"",
            "chaincodes[0].version",
            "invalid version",
        ),
        (
            "sequence = 1",
            "sequence = 0",
            "chaincodes[0].sequence",
            "at least 1",
        ),
        (
            "label = \"medledger_1.0\"",
            "label = \"medledger_1.0\"\npackage_id = \"x:y\"",
            "chaincodes[0].package_id",
            "not both",
        ),
        (
            "label = \"medledger_1.0\"",
            "package_id = \"medledger_1.0:abc\"",
            "chaincodes[0].package_id",
            "invalid package id",
        ),
        (
            "address = \"127.0.0.1:9999\"",
            "command = [\"cc\"]\naddress = \"127.0.0.1:9999\"",
            "chaincodes[0].address",
            "exactly one",
        ),
        (
            "address = \"127.0.0.1:9999\"",
            "address = \"nowhere\"",
            "chaincodes[0].address",
            "host:port",
        ),
        (
            "address = \"127.0.0.1:9999\"",
            "command = []",
            "chaincodes[0].command",
            "program is missing",
        ),
        (
            "address = \"127.0.0.1:9999\"",
            "address = \"127.0.0.1:9999\"\ntls = { required = true }",
            "chaincodes[0].tls.root_cert",
            "CA certificate",
        ),
        (
            "'NHISMSP.peer')\"",
            "'NHISMSP.peer'\"",
            "chaincodes[0].endorsement_policy",
            "policy",
        ),
        (
            "'NHISMSP.peer')\"",
            "'BankMSP.peer')\"",
            "chaincodes[0].endorsement_policy",
            "not an organisation of the channel",
        ),
        (
            "collections_file = \"../../chaincode/medledger/config/collections.json\"",
            "collections = '[{\"name\":\"c\"}]'",
            "chaincodes[0].collections",
            "policy",
        ),
        (
            "max_message_count = 10",
            "max_message_count = 0",
            "block_cutting.max_message_count",
            "at least 1",
        ),
        (
            "batch_timeout = \"2s\"",
            "batch_timeout = \"2 seconds\"",
            "block_cutting.batch_timeout",
            "invalid duration",
        ),
        (
            "preferred_max_bytes = 524288",
            "preferred_max_bytes = 999999999",
            "block_cutting.preferred_max_bytes",
            "absolute_max_bytes",
        ),
        (
            "listen_host = \"127.0.0.1\"",
            "listen_host = \"local host\"",
            "devnet.listen_host",
            "invalid host",
        ),
        (
            "mutual_tls = false",
            "mutual_tls = true",
            "devnet.port_base",
            "",
        ),
        (
            "tls = true\nmutual_tls = false",
            "tls = false\nmutual_tls = true",
            "devnet.mutual_tls",
            "needs tls",
        ),
        (
            "\nport_base = 0",
            "\nport_base = 65534",
            "devnet.port_base",
            "too high",
        ),
        (
            "\npeer_compat = \"3.1\"",
            "\npeer_compat = \"3.0\"",
            "devnet.peer_compat",
            "unknown variant",
        ),
    ];
    for (from, to, want_key, want_msg) in cases {
        let text = edited(from, to);
        if *want_key == "devnet.port_base" && want_msg.is_empty() {
            // mutual TLS with TLS on is valid.
            Topology::from_toml_str(&text).unwrap();
            continue;
        }
        let (key, message) = err_of(&text);
        assert_eq!(&key, want_key, "{from:?} -> {to:?}: {message}");
        assert!(
            message.contains(want_msg),
            "{from:?} -> {to:?}: {key}: {message}"
        );
    }
    // Duplicate chaincode names.
    let dup = format!(
        "{MEDICAL_TOML}\n[[chaincodes]]\nname = \"medledger\"\nversion = \"2\"\naddress = \"127.0.0.1:1\"\n"
    );
    let (key, message) = err_of(&dup);
    assert_eq!(key, "chaincodes[1].name", "{message}");
}

#[test]
fn syntax_errors_report_a_line() {
    let (key, message) = err_of("key_algorithm = \"ecdsa-p256\"\n[orderer_org\n");
    assert_eq!(key, "<document>");
    assert!(message.contains("(line 2)"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");
    let (key, message) = err_of("");
    assert!(message.contains("missing field"), "{key}: {message}");
}

#[test]
fn file_errors_name_the_file() {
    let err = Topology::from_file("/nonexistent/medical.toml").unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/medical.toml"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        edited("role = \"nurse\"\n\n", "role = \"surgeon\"\n\n"),
    )
    .unwrap();
    let err = Topology::from_file(&path).unwrap_err().to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(
        err.contains("orgs[1].users[2].role: unknown role \"surgeon\""),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary text: an error or a topology, never a panic.
    #[test]
    fn random_text_never_panics(text in "\\PC{0,400}") {
        let _ = Topology::from_toml_str(&text);
    }

    /// TOML-ish text built from the grammar's pieces.
    #[test]
    fn random_tomlish_never_panics(parts in proptest::collection::vec(
        prop_oneof![
            Just("[orderer_org]\n".to_owned()),
            Just("[[orgs]]\n".to_owned()),
            Just("[[orgs.users]]\n".to_owned()),
            Just("[orgs.location]\n".to_owned()),
            "[a-z_]{1,12} = \"[ -~]{0,16}\"\n",
            "[a-z_]{1,12} = [0-9]{1,4}\n",
            "[a-z_]{1,12} = \\[\\{ name = \"[a-z0-9]{0,6}\" \\}\\]\n",
            Just("role = \"doctor\"\n".to_owned()),
            Just("type = \"admin\"\n".to_owned()),
        ],
        0..24,
    )) {
        let _ = Topology::from_toml_str(&parts.concat());
    }

    /// The shipped file with a random byte range deleted or replaced: an error or a valid
    /// topology, never a panic; the error always names a key.
    #[test]
    fn mutated_default_never_panics(start in 0usize..4000, len in 0usize..40, insert in "[ -~\\n]{0,8}") {
        let bytes = MEDICAL_TOML.as_bytes();
        let start = start.min(bytes.len());
        let end = (start + len).min(bytes.len());
        let mut text = bytes[..start].to_vec();
        text.extend_from_slice(insert.as_bytes());
        text.extend_from_slice(&bytes[end..]);
        if let Ok(text) = String::from_utf8(text) {
            match Topology::from_toml_str(&text) {
                Ok(t) => prop_assert!(t.validate().is_ok()),
                Err(Error::Topology { key, .. }) => prop_assert!(!key.is_empty()),
                Err(other) => prop_assert!(false, "unexpected error kind {other}"),
            }
        }
    }
}
