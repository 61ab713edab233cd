//! Crypto-material generation: layout, certificates, keys, attributes, NodeOU config, output
//! directory rules.

use fabric_sdk::crypto::PrivateKey;
use medledger_network::cryptogen::{ATTRIBUTE_EXTENSION_OID, node_ou_config};
use medledger_network::{
    CryptoSummary, Error, GenerateOptions, IdentityCrypto, IdentityKind, KeyType, Role, Topology,
    generate, generate_with,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_X509_COMMON_NAME, OID_X509_COUNTRY_NAME, OID_X509_ORGANIZATION_NAME,
    OID_X509_ORGANIZATIONAL_UNIT, OID_X509_STATE_OR_PROVINCE_NAME,
};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The default consortium generated once for the read-only checks.
fn default_material() -> &'static (tempfile::TempDir, CryptoSummary) {
    static MATERIAL: OnceLock<(tempfile::TempDir, CryptoSummary)> = OnceLock::new();
    MATERIAL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("crypto");
        let summary = generate(&Topology::medical_default(), &out).unwrap();
        (dir, summary)
    })
}

fn walk(root: &Path) -> BTreeSet<PathBuf> {
    fn rec(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                rec(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    rec(root, root, &mut out);
    out
}

/// The files cryptogen writes for a topology, derived independently of the generator.
fn expected_files(t: &Topology) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut org =
        |top: &str, domain: &str, nodes: Vec<String>, node_dir: &str, users: Vec<String>| {
            let base = format!("{top}/{domain}");
            let ca = format!("ca.{domain}-cert.pem");
            let tlsca = format!("tlsca.{domain}-cert.pem");
            let msp = |dir: &str, out: &mut BTreeSet<PathBuf>| {
                out.insert(format!("{dir}/msp/cacerts/{ca}").into());
                out.insert(format!("{dir}/msp/tlscacerts/{tlsca}").into());
                out.insert(format!("{dir}/msp/config.yaml").into());
            };
            out.insert(format!("{base}/ca/{ca}").into());
            out.insert(format!("{base}/ca/priv_sk").into());
            out.insert(format!("{base}/tlsca/{tlsca}").into());
            out.insert(format!("{base}/tlsca/priv_sk").into());
            msp(&base, &mut out);
            for (names, sub, stem, sep) in [
                (nodes, node_dir, "server", "."),
                (users, "users", "client", "@"),
            ] {
                for n in names {
                    let cn = format!("{n}{sep}{domain}");
                    let dir = format!("{base}/{sub}/{cn}");
                    msp(&dir, &mut out);
                    out.insert(format!("{dir}/msp/keystore/priv_sk").into());
                    out.insert(format!("{dir}/msp/signcerts/{cn}-cert.pem").into());
                    out.insert(format!("{dir}/tls/ca.crt").into());
                    out.insert(format!("{dir}/tls/{stem}.crt").into());
                    out.insert(format!("{dir}/tls/{stem}.key").into());
                }
            }
        };
    let o = &t.orderer_org;
    org(
        "ordererOrganizations",
        &o.domain,
        o.orderers.iter().map(|n| n.name.clone()).collect(),
        "orderers",
        o.users.iter().map(|u| u.name.clone()).collect(),
    );
    for p in &t.orgs {
        org(
            "peerOrganizations",
            &p.domain,
            p.peers.iter().map(|n| n.name.clone()).collect(),
            "peers",
            p.users.iter().map(|u| u.name.clone()).collect(),
        );
    }
    out
}

fn read_cert(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.starts_with("-----BEGIN CERTIFICATE-----\n"),
        "{}",
        path.display()
    );
    assert!(
        text.ends_with("-----END CERTIFICATE-----\n"),
        "{}",
        path.display()
    );
    assert!(!text.contains('\r'));
    let block = pem::parse(&text).unwrap();
    assert_eq!(block.tag(), "CERTIFICATE");
    block.into_contents()
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = X509Certificate::from_der(der).unwrap();
    assert!(rest.is_empty());
    cert
}

/// Verifies `cert`'s signature with `issuer`'s public key (aws-lc-rs, independent of rcgen).
fn verify_signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ED25519, UnparsedPublicKey};
    assert_eq!(
        cert.issuer().as_raw(),
        issuer.subject().as_raw(),
        "issuer DN"
    );
    let key = issuer.public_key().subject_public_key.data.as_ref();
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let msg = cert.tbs_certificate.as_ref();
    let sig = cert.signature_value.data.as_ref();
    let result = match oid.as_str() {
        "1.2.840.10045.4.3.2" => {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key).verify(msg, sig)
        }
        "1.3.101.112" => UnparsedPublicKey::new(&ED25519, key).verify(msg, sig),
        other => panic!("unexpected signature algorithm {other}"),
    };
    result.unwrap_or_else(|_| panic!("bad signature on {}", cert.subject()));
}

fn ski(cert: &X509Certificate<'_>) -> Vec<u8> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        })
        .expect("SKI")
}

fn aki(cert: &X509Certificate<'_>) -> Vec<u8> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(k) => {
                k.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
        .expect("AKI")
}

fn attr(cert: &X509Certificate<'_>, oid: &Oid<'static>) -> Vec<String> {
    cert.subject()
        .iter_by_oid(oid)
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

const OU: &Oid<'static> = &OID_X509_ORGANIZATIONAL_UNIT;
const CN: &Oid<'static> = &OID_X509_COMMON_NAME;
const C: &Oid<'static> = &OID_X509_COUNTRY_NAME;
const ST: &Oid<'static> = &OID_X509_STATE_OR_PROVINCE_NAME;
const O: &Oid<'static> = &OID_X509_ORGANIZATION_NAME;

/// Checks the key file loads with the SDK and matches the certificate's public key; mode 0600.
fn check_key_matches(key_path: &Path, cert: &X509Certificate<'_>) {
    let text = std::fs::read_to_string(key_path).unwrap();
    assert!(
        text.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{}",
        key_path.display()
    );
    let key = PrivateKey::from_pem(&text).unwrap();
    let public = key.public_key().unwrap();
    assert_eq!(
        public.as_bytes(),
        cert.public_key().subject_public_key.data.as_ref(),
        "key {} does not match its certificate",
        key_path.display()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", key_path.display());
    }
}

#[test]
fn tree_matches_expected_file_list() {
    let (_dir, summary) = default_material();
    let expected = expected_files(&Topology::medical_default());
    let actual = walk(&summary.out_dir);
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
    let listed: BTreeSet<PathBuf> = summary.files.iter().cloned().collect();
    assert_eq!(listed, actual);
    assert!(
        summary.files.windows(2).all(|w| w[0] < w[1]),
        "files are sorted"
    );
    // No staging leftovers.
    let top: Vec<_> = std::fs::read_dir(&summary.out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(top, ["ordererOrganizations", "peerOrganizations"]);
}

/// The shared Fabric v3.1.5 cryptogen vector, if present next to the repository.
fn vector_dir() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        manifest.join("../../shared/vectors/fabric-v3.1.5/crypto"),
        manifest.join("../shared/vectors/fabric-v3.1.5/crypto"),
        PathBuf::from("/work/shared/vectors/fabric-v3.1.5/crypto"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

/// Per-identity layout equals real cryptogen's, names normalised (`org1.example.com` → `D`).
#[test]
fn layout_matches_fabric_cryptogen_vector() {
    let Some(vector) = vector_dir() else {
        eprintln!("skipped: Fabric cryptogen vector not found");
        return;
    };
    let norm = |root: &Path, org: &str, domain: &str| -> BTreeSet<String> {
        walk(&root.join(org).join(domain))
            .into_iter()
            .map(|p| p.to_string_lossy().replace(domain, "D"))
            .collect()
    };
    let (_dir, summary) = default_material();
    let ours = norm(
        &summary.out_dir,
        "peerOrganizations",
        "seoulmedical.example.com",
    );
    let theirs = norm(&vector, "peerOrganizations", "org1.example.com");
    // Same shape for the org, the CAs, the peer and the admin; their User1 is our client users.
    let strip_users = |s: &BTreeSet<String>| -> BTreeSet<String> {
        s.iter()
            .filter(|p| !p.starts_with("users/") || p.starts_with("users/Admin@"))
            .cloned()
            .collect()
    };
    assert_eq!(strip_users(&ours), strip_users(&theirs));
    let client_shape = |s: &BTreeSet<String>, user: &str| -> BTreeSet<String> {
        s.iter()
            .filter_map(|p| p.strip_prefix(&format!("users/{user}@D/")))
            .map(|p| p.replace(user, "U"))
            .collect()
    };
    assert_eq!(
        client_shape(&ours, "Doctor1"),
        client_shape(&theirs, "User1")
    );
    let ours = norm(
        &summary.out_dir,
        "ordererOrganizations",
        "medledger.example.com",
    );
    let theirs = norm(&vector, "ordererOrganizations", "example.com");
    assert_eq!(ours, theirs);
    // Same config.yaml form.
    let cfg =
        std::fs::read_to_string(vector.join("peerOrganizations/org1.example.com/msp/config.yaml"))
            .unwrap();
    assert_eq!(cfg, node_ou_config("ca.org1.example.com-cert.pem"));
}

#[test]
fn cas_are_self_signed_roots_with_fabric_ski() {
    let (_dir, summary) = default_material();
    assert_eq!(summary.orgs.len(), 5);
    for org in &summary.orgs {
        for (path, cn) in [
            (&org.ca_cert, format!("ca.{}", org.domain)),
            (&org.tlsca_cert, format!("tlsca.{}", org.domain)),
        ] {
            let der = read_cert(path);
            let cert = parse(&der);
            verify_signed_by(&cert, &cert);
            assert_eq!(attr(&cert, CN), [cn]);
            assert_eq!(attr(&cert, O), [org.domain.as_str()]);
            assert_eq!(attr(&cert, C), ["KR"]);
            assert_eq!(attr(&cert, ST), ["Seoul"]);
            let bc = cert.basic_constraints().unwrap().unwrap();
            assert!(bc.critical && bc.value.ca);
            let ku = cert.key_usage().unwrap().unwrap();
            assert!(ku.critical);
            assert!(
                ku.value.key_cert_sign() && ku.value.crl_sign() && ku.value.digital_signature()
            );
            let point = cert.public_key().subject_public_key.data.as_ref();
            assert_eq!(ski(&cert), fabric_sdk::crypto::sha256(point).to_vec());
            // Ten years, starting in the past.
            let v = cert.validity();
            let now = x509_parser::time::ASN1Time::now();
            assert!(v.not_before < now);
            let days = (v.not_after.timestamp() - v.not_before.timestamp()) / 86_400;
            assert_eq!(days, 3650);
            check_key_matches(
                &org.dir
                    .join(if path == &org.ca_cert { "ca" } else { "tlsca" })
                    .join("priv_sk"),
                &cert,
            );
        }
    }
}

fn expected_ou(id: &IdentityCrypto) -> &'static str {
    id.kind.as_str()
}

#[test]
fn every_identity_chains_to_its_org_cas_with_right_subject_and_keys() {
    let (_dir, summary) = default_material();
    assert_eq!(summary.identities.len(), 5 + 1 + 6 + 5 + 3 + 3);
    for id in &summary.identities {
        let org = summary.org(&id.msp_id).unwrap();
        let ca_der = read_cert(&org.ca_cert);
        let ca = parse(&ca_der);
        let tlsca_der = read_cert(&org.tlsca_cert);
        let tlsca = parse(&tlsca_der);

        // Enrollment certificate.
        let der = read_cert(&id.cert);
        let cert = parse(&der);
        verify_signed_by(&cert, &ca);
        assert_eq!(aki(&cert), ski(&ca));
        assert_eq!(attr(&cert, OU), [expected_ou(id)], "{}", id.name);
        assert_eq!(attr(&cert, CN), [id.name.as_str()]);
        assert_eq!(attr(&cert, C), ["KR"]);
        assert!(attr(&cert, O).is_empty());
        assert!(!cert.basic_constraints().unwrap().unwrap().value.ca);
        assert!(cert.key_usage().unwrap().unwrap().value.digital_signature());
        assert!(cert.validity().is_valid());
        check_key_matches(&id.key, &cert);
        assert_eq!(
            id.cert,
            id.msp_dir
                .join("signcerts")
                .join(format!("{}-cert.pem", id.name))
        );
        assert_eq!(
            std::fs::read(
                id.msp_dir
                    .join("cacerts")
                    .join(format!("ca.{}-cert.pem", org.domain))
            )
            .unwrap(),
            std::fs::read(&org.ca_cert).unwrap()
        );

        // TLS certificate.
        let tls_der = read_cert(&id.tls_cert);
        let tls = parse(&tls_der);
        verify_signed_by(&tls, &tlsca);
        assert_eq!(aki(&tls), ski(&tlsca));
        assert_eq!(attr(&tls, CN), [id.name.as_str()]);
        assert!(attr(&tls, OU).is_empty());
        let eku = tls.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth);
        check_key_matches(&id.tls_key, &tls);
        assert_eq!(
            std::fs::read(&id.tls_ca_cert).unwrap(),
            std::fs::read(&org.tlsca_cert).unwrap()
        );
        let sans: BTreeSet<String> = tls
            .subject_alternative_name()
            .unwrap()
            .map(|s| {
                s.value
                    .general_names
                    .iter()
                    .map(|g| match g {
                        GeneralName::DNSName(d) => d.to_string(),
                        GeneralName::IPAddress(ip) => {
                            let ip: [u8; 4] = (*ip).try_into().unwrap();
                            std::net::Ipv4Addr::from(ip).to_string()
                        }
                        other => panic!("unexpected SAN {other:?}"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if id.kind.is_node() {
            assert_eq!(id.tls_cert.file_name().unwrap(), "server.crt");
            let expected: BTreeSet<String> = [
                id.name.as_str(),
                id.short_name.as_str(),
                "localhost",
                "127.0.0.1",
            ]
            .map(String::from)
            .into();
            assert_eq!(sans, expected, "{}", id.name);
        } else {
            assert_eq!(id.tls_cert.file_name().unwrap(), "client.crt");
            assert!(sans.is_empty());
        }
    }
}

fn attributes_of(cert: &X509Certificate<'_>) -> Option<serde_json::Value> {
    let oid = x509_parser::der_parser::oid::Oid::from(&ATTRIBUTE_EXTENSION_OID).unwrap();
    let ext = cert.extensions().iter().find(|e| e.oid == oid)?;
    assert!(!ext.critical);
    // Raw JSON directly inside the OCTET STRING.
    assert_eq!(ext.value.first(), Some(&b'{'));
    Some(serde_json::from_slice(ext.value).unwrap())
}

#[test]
fn people_carry_fabric_ca_attributes() {
    let (_dir, summary) = default_material();
    let topology = Topology::medical_default();
    let mut roles_seen = BTreeSet::new();
    for id in &summary.identities {
        let der = read_cert(&id.cert);
        let cert = parse(&der);
        let attrs = attributes_of(&cert);
        if id.kind.is_node() {
            assert!(attrs.is_none(), "{}", id.name);
            continue;
        }
        let attrs = attrs.unwrap();
        let a = attrs["attrs"].as_object().unwrap();
        assert_eq!(a["hf.EnrollmentID"], id.name.as_str());
        assert_eq!(a["hf.Type"], expected_ou(id));
        assert_eq!(a["hf.Affiliation"], "");
        let user = topology
            .orgs
            .iter()
            .filter(|o| o.msp_id == id.msp_id)
            .flat_map(|o| o.users.iter())
            .chain(
                topology
                    .orderer_org
                    .users
                    .iter()
                    .filter(|_| id.msp_id == "OrdererMSP"),
            )
            .find(|u| u.name == id.short_name)
            .unwrap();
        assert_eq!(
            a.get("role").and_then(|v| v.as_str()),
            user.role.map(|r| r.as_str())
        );
        assert_eq!(
            a.get("license_no").and_then(|v| v.as_str()),
            user.license_no.as_deref()
        );
        assert_eq!(
            a.get("patient_id").and_then(|v| v.as_str()),
            user.patient_id.as_deref()
        );
        for (k, v) in &user.attributes {
            assert_eq!(a[k.as_str()], v.as_str());
        }
        if let Some(role) = id.role {
            roles_seen.insert(role);
        }
    }
    assert_eq!(roles_seen, Role::ALL.into_iter().collect());

    let doctor = summary
        .identity("Doctor1@seoulmedical.example.com")
        .unwrap();
    let der = read_cert(&doctor.cert);
    let a = attributes_of(&parse(&der)).unwrap();
    assert_eq!(a["attrs"]["role"], "doctor");
    assert_eq!(a["attrs"]["license_no"], "MD-104233");
    let patient = summary
        .identity("Patient1@seoulmedical.example.com")
        .unwrap();
    let der = read_cert(&patient.cert);
    let a = attributes_of(&parse(&der)).unwrap();
    assert_eq!(a["attrs"]["role"], "patient");
    assert_eq!(a["attrs"]["patient_id"], "P-SMC-000001");
    let officer = summary.identity("ClaimsOfficer1@nhis.example.com").unwrap();
    assert_eq!(officer.role, Some(Role::ClaimsOfficer));
    assert_eq!(officer.msp_id, "NHISMSP");
}

#[test]
fn config_yaml_is_node_ou_form_everywhere() {
    let (_dir, summary) = default_material();
    let msp_dirs = summary
        .orgs
        .iter()
        .map(|o| &o.msp_dir)
        .chain(summary.identities.iter().map(|i| &i.msp_dir));
    let mut n = 0;
    for msp in msp_dirs {
        let text = std::fs::read_to_string(msp.join("config.yaml")).unwrap();
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        let node_ous = &v["NodeOUs"];
        assert_eq!(node_ous["Enable"], serde_yaml_ng::Value::Bool(true));
        for (key, ou) in [
            ("ClientOUIdentifier", "client"),
            ("PeerOUIdentifier", "peer"),
            ("AdminOUIdentifier", "admin"),
            ("OrdererOUIdentifier", "orderer"),
        ] {
            assert_eq!(
                node_ous[key]["OrganizationalUnitIdentifier"].as_str(),
                Some(ou)
            );
            let cert = node_ous[key]["Certificate"].as_str().unwrap();
            assert!(cert.starts_with("cacerts/ca."), "{cert}");
            assert!(msp.join(cert).is_file(), "{}", msp.join(cert).display());
        }
        assert!(!msp.join("admincerts").exists());
        n += 1;
    }
    assert_eq!(n, 5 + summary.identities.len());
}

#[test]
fn summary_display_lists_identities() {
    let (_dir, summary) = default_material();
    let text = summary.to_string();
    for id in &summary.identities {
        assert!(text.contains(&id.name), "{text}");
    }
    assert!(text.contains("role=claims_officer"));
    assert!(
        summary
            .identities_of("PharmacyMSP")
            .any(|i| i.role == Some(Role::Pharmacist))
    );
    assert_eq!(
        summary
            .identities_of("OrdererMSP")
            .filter(|i| i.kind == IdentityKind::Orderer)
            .count(),
        1
    );
}

fn small_topology(alg: KeyType) -> Topology {
    let mut t = Topology::medical_default();
    t.key_algorithm = alg;
    t.orgs.truncate(1);
    // The default chaincode's policy names the other organisations; Ed25519 needs V3_0.
    t.chaincodes.clear();
    if alg == KeyType::Ed25519 {
        t.channel.capabilities.channel = "V3_0".to_owned();
    }
    t
}

#[test]
fn refuses_to_overwrite_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crypto");
    let t = small_topology(KeyType::EcdsaP256);
    let first = generate(&t, &out).unwrap();
    let ca_before = std::fs::read(&first.orgs[1].ca_cert).unwrap();

    let err = generate(&t, &out).unwrap_err();
    assert!(matches!(err, Error::OutputNotEmpty { .. }), "{err}");
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(
        std::fs::read(&first.orgs[1].ca_cert).unwrap(),
        ca_before,
        "untouched"
    );

    let second = generate_with(&t, &out, &GenerateOptions { overwrite: true }).unwrap();
    assert_ne!(
        std::fs::read(&second.orgs[1].ca_cert).unwrap(),
        ca_before,
        "replaced"
    );
    assert_eq!(walk(&out), expected_files(&t));

    // A directory with foreign content is never wiped.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let err = generate_with(&t, &out, &GenerateOptions { overwrite: true }).unwrap_err();
    assert!(matches!(err, Error::OutputDir { .. }), "{err}");
    assert!(err.to_string().contains("notes.txt"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );

    // A file in the way.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    assert!(matches!(
        generate(&t, &file).unwrap_err(),
        Error::OutputDir { .. }
    ));

    // An existing empty directory is fine.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    generate(&t, &empty).unwrap();
}

#[test]
fn invalid_topology_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crypto");
    let mut t = small_topology(KeyType::EcdsaP256);
    t.orgs[0].users[1].role = Some(Role::Patient);
    let err = generate(&t, &out).unwrap_err();
    assert!(
        err.to_string().contains("orgs[0].users[1].patient_id"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn ed25519_material_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let t = small_topology(KeyType::Ed25519);
    let summary = generate(&t, dir.path()).unwrap();
    assert_eq!(walk(dir.path()), expected_files(&t));
    for id in &summary.identities {
        let org = summary.org(&id.msp_id).unwrap();
        let ca_der = read_cert(&org.ca_cert);
        let der = read_cert(&id.cert);
        let cert = parse(&der);
        assert_eq!(
            cert.signature_algorithm.algorithm.to_id_string(),
            "1.3.101.112"
        );
        verify_signed_by(&cert, &parse(&ca_der));
        check_key_matches(&id.key, &cert);
        let key = PrivateKey::from_pem(&std::fs::read_to_string(&id.key).unwrap()).unwrap();
        assert_eq!(key.algorithm(), fabric_sdk::crypto::KeyAlgorithm::Ed25519);
    }
}
