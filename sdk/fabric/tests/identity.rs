//! Identity module tests against real Fabric v3.1.5 cryptogen material and generated certificates.

use base64::Engine as _;
use fabric_sdk::Error;
use fabric_sdk::identity::msp_dir::ConfigYaml;
use fabric_sdk::identity::{
    Certificate, ClientIdentity, Identity, Msp, MspConfig, MspDir, NodeOuConfig, NodeRole,
    OuIdentifier, SigningIdentity,
};
use fabric_sdk::policy::VerifiedSigner;
use fabric_sdk::protos::common::{Header, SignatureHeader};
use fabric_sdk::protos::protos::{Proposal, SignedProposal};
use proptest::prelude::*;
use prost::Message as _;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, KeyPair, date_time_ymd,
};
use std::path::PathBuf;

const VEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/fabric-v3.1.5"
);
/// A time inside the validity of the cryptogen certificates (the recorded proposal's timestamp).
const T: i64 = 1_795_487_818;

fn org1(sub: &str) -> PathBuf {
    PathBuf::from(VEC)
        .join("crypto/peerOrganizations/org1.example.com")
        .join(sub)
}

fn org1_msp() -> Msp {
    Msp::from_dir(org1("msp"), "Org1MSP").unwrap()
}

/// (creator bytes, proposal bytes, signature) from the recorded CreateAsset submission.
fn recorded_proposal() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let text =
        std::fs::read_to_string(format!("{VEC}/gateway/submit-basic-CreateAsset.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let b64 = v["proposal"]["signed_proposal_b64"].as_str().unwrap();
    let sp_bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let sp = SignedProposal::decode(&sp_bytes[..]).unwrap();
    let proposal = Proposal::decode(&sp.proposal_bytes[..]).unwrap();
    let header = Header::decode(&proposal.header[..]).unwrap();
    let sh = SignatureHeader::decode(&header.signature_header[..]).unwrap();
    (
        sh.creator.to_vec(),
        sp.proposal_bytes.to_vec(),
        sp.signature.to_vec(),
    )
}

const USER1_SUBJECT: &str =
    "CN=User1@org1.example.com,OU=client,L=San Francisco,ST=California,C=US";
const ORG1_CA: &str =
    "CN=ca.org1.example.com,O=org1.example.com,L=San Francisco,ST=California,C=US";

#[test]
fn user1_facts() {
    let si =
        SigningIdentity::from_msp_dir(org1("users/User1@org1.example.com/msp"), "Org1MSP").unwrap();
    let cert = si.identity.certificate();
    assert_eq!(cert.subject(), USER1_SUBJECT);
    assert_eq!(cert.issuer(), ORG1_CA);
    assert_eq!(cert.ous(), ["client".to_string()]);
    assert!(!cert.is_ca());
    assert!(cert.attributes().unwrap().is_empty());
    assert_eq!(cert.attribute_value("hf.EnrollmentID").unwrap(), None);
    assert!(cert.assert_attribute_value("hf.Type", "client").is_err());
    let expected_id = base64::engine::general_purpose::STANDARD
        .encode(format!("x509::{USER1_SUBJECT}::{ORG1_CA}"));
    assert_eq!(cert.id_string(), expected_id);
    assert_eq!(
        cert.node_role(&NodeRole::all().map(|r| (r, r.default_ou())))
            .unwrap(),
        Some(NodeRole::Client)
    );
    // cryptogen leaves carry no SKI, only an AKI equal to the CA's SKI.
    assert_eq!(cert.subject_key_identifier(), None);
    let ca = &MspDir::load(org1("msp")).unwrap().cacerts[0];
    assert!(ca.is_ca());
    assert_eq!(cert.authority_key_identifier(), ca.subject_key_identifier());
    assert_eq!(ca.subject_key_identifier().map(<[u8]>::len), Some(32));
    assert!(cert.not_before() < T && T < cert.not_after());
    // The key matches the certificate: a signature verifies with the certificate's key.
    let sig = si.sign(b"hello").unwrap();
    cert.public_key().unwrap().verify(b"hello", &sig).unwrap();
    let v = org1_msp()
        .verify_signature_at(&si.identity, b"hello", &sig, T)
        .unwrap();
    assert_eq!(v.role(), Some(NodeRole::Client));
    assert!(!v.is_admin());
    assert!(
        org1_msp()
            .verify_signature_at(&si.identity, b"hellO", &sig, T)
            .is_err()
    );
}

#[test]
fn serialized_bytes_equal_go_creator_bytes() {
    let (creator, proposal_bytes, signature) = recorded_proposal();
    let si =
        SigningIdentity::from_msp_dir(org1("users/User1@org1.example.com/msp"), "Org1MSP").unwrap();
    assert_eq!(
        si.serialized(),
        &creator[..],
        "canonical encoding differs from Go's"
    );
    let received = Identity::from_serialized(&creator).unwrap();
    assert_eq!(received.serialized(), &creator[..]);
    assert_eq!(received.msp_id(), "Org1MSP");
    assert_eq!(received.certificate(), si.identity.certificate());
    // The recorded proposal signature verifies for the received identity.
    let v = org1_msp()
        .verify_signature_at(&received, &proposal_bytes, &signature, T)
        .unwrap();
    let signer: VerifiedSigner = v.into();
    assert_eq!(signer.msp_id, "Org1MSP");
    assert_eq!(signer.role, Some(NodeRole::Client));
    assert_eq!(signer.ous, vec!["client".to_string()]);
    assert_eq!(signer.serialized, creator);
    // cid view.
    let cid = ClientIdentity::from_serialized(&creator).unwrap();
    assert_eq!(cid.msp_id(), "Org1MSP");
    assert_eq!(cid.id(), si.identity.certificate().id_string());
    assert!(cid.has_ou_value("client"));
    assert!(!cid.has_ou_value("peer"));
    assert_eq!(cid.attribute_value("hf.Type"), None);
    assert!(cid.assert_attribute_value("hf.Type", "client").is_err());
}

#[test]
fn received_bytes_are_kept_even_when_not_canonical() {
    let (creator, _, _) = recorded_proposal();
    // Same content, CRLF PEM: a different but valid encoding must be kept as received.
    let id = Identity::from_serialized(&creator).unwrap();
    let crlf = id.certificate().to_pem().replace('\n', "\r\n");
    let msg = fabric_sdk::protos::msp::SerializedIdentity {
        mspid: "Org1MSP".into(),
        id_bytes: crlf.into_bytes().into(),
    };
    let bytes = msg.encode_to_vec();
    let id2 = Identity::from_serialized(&bytes).unwrap();
    assert_eq!(id2.serialized(), &bytes[..]);
    assert_ne!(id2.serialized(), &creator[..]);
    assert_eq!(
        Identity::new("Org1MSP", id2.certificate().clone()).serialized(),
        &creator[..]
    );
}

#[test]
fn peer_and_admin_roles() {
    let msp = org1_msp();
    let peer =
        SigningIdentity::from_msp_dir(org1("peers/peer0.org1.example.com/msp"), "Org1MSP").unwrap();
    let v = msp.validate(&peer.identity, T).unwrap();
    assert_eq!(v.role(), Some(NodeRole::Peer));
    assert!(!v.is_admin());
    assert_eq!(v.chain().len(), 2);
    let admin =
        SigningIdentity::from_msp_dir(org1("users/Admin@org1.example.com/msp"), "Org1MSP").unwrap();
    let v = msp.validate(&admin.identity, T).unwrap();
    assert_eq!(v.role(), Some(NodeRole::Admin));
    assert!(v.is_admin());
    assert_eq!(v.to_verified_signer().ous, vec!["admin".to_string()]);
}

#[test]
fn org1_msp_dir_contents() {
    let dir = MspDir::load(org1("msp")).unwrap();
    assert_eq!(dir.cacerts.len(), 1);
    assert_eq!(dir.tlscacerts.len(), 1);
    assert!(dir.signcerts.is_empty() && dir.keystore.is_empty());
    let n = dir.node_ous.as_ref().unwrap();
    assert!(n.enable);
    assert_eq!(n.client.as_ref().unwrap().ou, "client");
    assert_eq!(
        n.orderer.as_ref().unwrap().certificate.as_ref(),
        Some(&dir.cacerts[0])
    );
    let err = dir.signcert().unwrap_err().to_string();
    assert!(
        err.contains("signcerts") && err.contains("org1.example.com/msp"),
        "{err}"
    );
    let err = SigningIdentity::from_msp_dir(org1("msp"), "Org1MSP")
        .unwrap_err()
        .to_string();
    assert!(err.contains("signcerts"), "{err}");
}

fn rejected(r: fabric_sdk::Result<impl std::fmt::Debug>) -> (String, String) {
    match r {
        Err(Error::IdentityRejected { msp_id, reason }) => (msp_id, reason),
        other => panic!("expected IdentityRejected, got {other:?}"),
    }
}

#[test]
fn foreign_ca_and_wrong_msp_rejected() {
    let user =
        SigningIdentity::from_msp_dir(org1("users/User1@org1.example.com/msp"), "Org1MSP").unwrap();
    let org2_dir = PathBuf::from(VEC).join("crypto/peerOrganizations/org2.example.com/msp");
    // Org2's CAs under Org1's MSP ID: the chain does not reach any CA.
    let foreign = Msp::from_dir(&org2_dir, "Org1MSP").unwrap();
    let (msp_id, reason) = rejected(foreign.validate(&user.identity, T));
    assert_eq!(msp_id, "Org1MSP");
    assert!(
        reason.contains("not signed by any CA of MSP Org1MSP"),
        "{reason}"
    );
    let org2 = Msp::from_dir(&org2_dir, "Org2MSP").unwrap();
    let (msp_id, reason) = rejected(org2.validate(&user.identity, T));
    assert_eq!(msp_id, "Org2MSP");
    assert!(
        reason.contains("belongs to MSP Org1MSP, not Org2MSP"),
        "{reason}"
    );
}

#[test]
fn expiry_is_checked() {
    let user =
        SigningIdentity::from_msp_dir(org1("users/User1@org1.example.com/msp"), "Org1MSP").unwrap();
    let msp = org1_msp();
    let not_after = user.identity.certificate().not_after();
    assert!(msp.validate(&user.identity, not_after).is_ok());
    let (_, reason) = rejected(msp.validate(&user.identity, not_after + 1));
    assert!(
        reason.contains("certificate expired at 2036-11-21T02:23:00Z"),
        "{reason}"
    );
    let (_, reason) = rejected(msp.validate(&user.identity, 1_700_000_000));
    assert!(
        reason.contains("not valid before 2026-11-24T02:23:00Z"),
        "{reason}"
    );
}

// ---------- generated certificates ----------

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(cn: &str, alg: &'static rcgen::SignatureAlgorithm) -> Ca {
    let key = KeyPair::generate_for(alg).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "gen.example.com");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.not_before = date_time_ymd(2020, 1, 1);
    p.not_after = date_time_ymd(2040, 1, 1);
    let cert = p.self_signed(&key).unwrap();
    Ca { cert, key }
}

fn intermediate(cn: &str, parent: &Ca) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.not_before = date_time_ymd(2020, 1, 1);
    p.not_after = date_time_ymd(2040, 1, 1);
    let cert = p.signed_by(&key, &parent.cert, &parent.key).unwrap();
    Ca { cert, key }
}

fn leaf_params(cn: &str, ous: &[&str]) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    // rcgen keeps one value per DnType, so a second OU uses the OU OID as a custom type.
    assert!(ous.len() <= 2);
    if let Some(ou) = ous.first() {
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, *ou);
    }
    if let Some(ou) = ous.get(1) {
        p.distinguished_name
            .push(DnType::CustomDnType(vec![2, 5, 4, 11]), *ou);
    }
    p.not_before = date_time_ymd(2021, 1, 1);
    p.not_after = date_time_ymd(2031, 1, 1);
    p
}

fn leaf(params: CertificateParams, issuer: &Ca) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer.cert, &issuer.key).unwrap();
    (Certificate::from_der(cert.der()).unwrap(), key)
}

fn gen_msp(roots: &[&Ca], inters: &[&Ca], node_ous: Option<NodeOuConfig>) -> Msp {
    Msp::new(MspConfig {
        msp_id: "GenMSP".into(),
        root_certs: roots
            .iter()
            .map(|c| Certificate::from_der(c.cert.der()).unwrap())
            .collect(),
        intermediate_certs: inters
            .iter()
            .map(|c| Certificate::from_der(c.cert.der()).unwrap())
            .collect(),
        node_ous,
        ..MspConfig::default()
    })
    .unwrap()
}

const NOW: i64 = 1_700_000_000;

#[test]
fn both_client_and_peer_ous_rejected() {
    let root = ca("root", &rcgen::PKCS_ECDSA_P256_SHA256);
    let msp = gen_msp(&[&root], &[], Some(NodeOuConfig::enabled_default()));
    let (cert, _) = leaf(leaf_params("both", &["client", "peer"]), &root);
    assert_eq!(cert.ous(), ["client".to_string(), "peer".to_string()]);
    assert!(
        cert.node_role(&NodeRole::all().map(|r| (r, r.default_ou())))
            .is_err()
    );
    let (_, reason) = rejected(msp.validate(&Identity::new("GenMSP", cert.clone()), NOW));
    assert!(reason.contains("has both client and peer OUs"), "{reason}");
    // Without NodeOUs the same certificate is a plain member.
    let plain = gen_msp(&[&root], &[], None);
    let v = plain.validate(&Identity::new("GenMSP", cert), NOW).unwrap();
    assert_eq!(v.role(), None);

    let (none, _) = leaf(leaf_params("none", &["department1"]), &root);
    let (_, reason) = rejected(msp.validate(&Identity::new("GenMSP", none), NOW));
    assert!(reason.contains("none of the NodeOU role OUs"), "{reason}");

    let (ok, _) = leaf(leaf_params("orderer", &["orderer"]), &root);
    let v = msp.validate(&Identity::new("GenMSP", ok), NOW).unwrap();
    assert_eq!(v.role(), Some(NodeRole::Orderer));
}

#[test]
fn fabric_ca_attributes() {
    let root = ca("root", &rcgen::PKCS_ECDSA_P256_SHA256);
    let mut p = leaf_params("user1", &["client"]);
    let json = br#"{"attrs":{"hf.Affiliation":"org1.department1","hf.EnrollmentID":"user1","hf.Type":"client","role":"auditor"}}"#;
    p.custom_extensions.push(CustomExtension::from_oid_content(
        &[1, 2, 3, 4, 5, 6, 7, 8, 1],
        json.to_vec(),
    ));
    let (cert, _) = leaf(p, &root);
    let attrs = cert.attributes().unwrap();
    assert_eq!(attrs.len(), 4);
    assert_eq!(
        cert.attribute_value("role").unwrap().as_deref(),
        Some("auditor")
    );
    assert_eq!(cert.attribute_value("missing").unwrap(), None);
    cert.assert_attribute_value("hf.EnrollmentID", "user1")
        .unwrap();
    let err = cert
        .assert_attribute_value("role", "admin")
        .unwrap_err()
        .to_string();
    assert!(err.contains("auditor"), "{err}");
    let cid = ClientIdentity::new(Identity::new("GenMSP", cert)).unwrap();
    assert_eq!(cid.attribute_value("hf.Type"), Some("client"));
    cid.assert_attribute_value("hf.Affiliation", "org1.department1")
        .unwrap();
    assert!(cid.assert_attribute_value("nope", "x").is_err());

    // A malformed extension is an error, not a panic or an empty map.
    let mut p = leaf_params("bad", &["client"]);
    p.custom_extensions.push(CustomExtension::from_oid_content(
        &[1, 2, 3, 4, 5, 6, 7, 8, 1],
        b"{not json".to_vec(),
    ));
    let (bad, _) = leaf(p, &root);
    assert!(bad.attributes().is_err());
    assert!(ClientIdentity::new(Identity::new("GenMSP", bad)).is_err());
}

#[test]
fn dn_escapes_in_real_certificates() {
    let root = ca("Root, \"Quoted\" <CA>", &rcgen::PKCS_ECDSA_P256_SHA256);
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, " Doe+John;x\\y ");
    p.distinguished_name
        .push(DnType::OrganizationalUnitName, "#client");
    p.distinguished_name.push(DnType::CountryName, "US");
    p.distinguished_name.push(
        DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 25]),
        "com",
    );
    p.not_before = date_time_ymd(2021, 1, 1);
    p.not_after = date_time_ymd(2031, 1, 1);
    let (cert, _) = leaf(p, &root);
    assert_eq!(
        cert.subject(),
        // The custom attribute is re-encoded as Go would (PrintableString) and printed last.
        "CN=\\ Doe\\+John\\;x\\\\y\\ ,OU=\\#client,C=US,0.9.2342.19200300.100.1.25=#1303636f6d"
    );
    assert_eq!(
        cert.issuer(),
        "CN=Root\\, \\\"Quoted\\\" \\<CA\\>,O=gen.example.com"
    );
}

#[test]
fn chains_and_algorithms() {
    // P-384 root signing with ecdsa-with-SHA384, a P-256 intermediate, then a leaf.
    let root = ca("root384", &rcgen::PKCS_ECDSA_P384_SHA384);
    let inter = intermediate("inter", &root);
    let (cert, _) = leaf(leaf_params("u", &["client"]), &inter);
    let id = Identity::new("GenMSP", cert);
    let msp = gen_msp(&[&root], &[&inter], Some(NodeOuConfig::enabled_default()));
    let v = msp.validate(&id, NOW).unwrap();
    assert_eq!(v.chain().len(), 3);
    // Without the intermediate the chain is broken.
    let (_, reason) = rejected(gen_msp(&[&root], &[], None).validate(&id, NOW));
    assert!(reason.contains("not signed by any CA"), "{reason}");

    // Ed25519 CA and leaf.
    let ed_root = ca("ed", &rcgen::PKCS_ED25519);
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let c = leaf_params("ed-user", &["client"])
        .signed_by(&key, &ed_root.cert, &ed_root.key)
        .unwrap();
    let si = SigningIdentity::from_pem("GenMSP", &c.pem(), &key.serialize_pem()).unwrap();
    let sig = si.sign(b"m").unwrap();
    gen_msp(&[&ed_root], &[], None)
        .verify_signature_at(&si.identity, b"m", &sig, NOW)
        .unwrap();

    // A certificate naming the right issuer but signed by another key.
    // Same subject name as `root`, different key.
    let impostor = ca("root384", &rcgen::PKCS_ECDSA_P384_SHA384);
    let (forged, _) = leaf(leaf_params("forged", &["client"]), &impostor);
    let msp = gen_msp(&[&root], &[], None);
    let (_, reason) = rejected(msp.validate(&Identity::new("GenMSP", forged), NOW));
    assert!(reason.contains("not signed by any CA"), "{reason}");

    // A CA certificate cannot be an identity.
    let (_, reason) = rejected(msp.validate(
        &Identity::new("GenMSP", Certificate::from_der(root.cert.der()).unwrap()),
        NOW,
    ));
    assert!(reason.contains("CA certificate"), "{reason}");
}

#[test]
fn node_ou_certificate_restriction_and_admincerts() {
    let root_a = ca("a", &rcgen::PKCS_ECDSA_P256_SHA256);
    let root_b = ca("b", &rcgen::PKCS_ECDSA_P256_SHA256);
    let cert_b = Certificate::from_der(root_b.cert.der()).unwrap();
    let mut node_ous = NodeOuConfig::enabled_default();
    node_ous.client = Some(OuIdentifier {
        ou: "client".into(),
        certificate: Some(cert_b.clone()),
    });
    let msp = gen_msp(&[&root_a, &root_b], &[], Some(node_ous));
    let (via_a, _) = leaf(leaf_params("a-user", &["client"]), &root_a);
    let (_, reason) = rejected(msp.validate(&Identity::new("GenMSP", via_a.clone()), NOW));
    assert!(reason.contains("does not chain through its CA"), "{reason}");
    let (via_b, _) = leaf(leaf_params("b-user", &["client"]), &root_b);
    assert_eq!(
        msp.validate(&Identity::new("GenMSP", via_b), NOW)
            .unwrap()
            .role(),
        Some(NodeRole::Client)
    );

    // Legacy admincerts.
    let msp = Msp::new(MspConfig {
        msp_id: "GenMSP".into(),
        root_certs: vec![Certificate::from_der(root_a.cert.der()).unwrap()],
        admin_certs: vec![via_a.clone()],
        ..MspConfig::default()
    })
    .unwrap();
    let v = msp.validate(&Identity::new("GenMSP", via_a), NOW).unwrap();
    assert!(v.is_admin());
    assert_eq!(v.role(), None);
}

#[test]
fn keystore_selection() {
    let root = ca("root", &rcgen::PKCS_ECDSA_P256_SHA256);
    let key = KeyPair::generate().unwrap();
    let c = leaf_params("u", &["client"])
        .signed_by(&key, &root.cert, &root.key)
        .unwrap();
    let cert = Certificate::from_der(c.der()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for sub in ["cacerts", "signcerts", "keystore"] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    std::fs::write(d.join("cacerts/ca.pem"), root.cert.pem()).unwrap();
    std::fs::write(d.join("signcerts/cert.pem"), c.pem()).unwrap();
    // A decoy key first, then the real one under fabric-ca-client's `<hex SKI>_sk` name.
    std::fs::write(
        d.join("keystore/0000_sk"),
        KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    let ski = hex::encode(cert.public_key().unwrap().ski());
    std::fs::write(d.join(format!("keystore/{ski}_sk")), key.serialize_pem()).unwrap();
    let si = SigningIdentity::from_msp_dir(d, "GenMSP").unwrap();
    let sig = si.sign(b"x").unwrap();
    cert.public_key().unwrap().verify(b"x", &sig).unwrap();

    // Any file name works when the key matches.
    std::fs::rename(d.join(format!("keystore/{ski}_sk")), d.join("keystore/zz")).unwrap();
    assert!(SigningIdentity::from_msp_dir(d, "GenMSP").is_ok());
    // Only a non-matching key: error naming the directory.
    std::fs::remove_file(d.join("keystore/zz")).unwrap();
    let err = SigningIdentity::from_msp_dir(d, "GenMSP")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no key in keystore/ matches"), "{err}");
    assert!(err.contains(&d.display().to_string()), "{err}");
    // from_pem with a mismatched key.
    let other = KeyPair::generate().unwrap();
    assert!(SigningIdentity::from_pem("GenMSP", &c.pem(), &other.serialize_pem()).is_err());
}

#[test]
fn config_yaml_bad_certificate_path_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir(d.join("cacerts")).unwrap();
    std::fs::copy(
        org1("msp/cacerts/ca.org1.example.com-cert.pem"),
        d.join("cacerts/ca.pem"),
    )
    .unwrap();
    std::fs::write(
        d.join("config.yaml"),
        "NodeOUs:\n  Enable: true\n  ClientOUIdentifier:\n    Certificate: cacerts/missing.pem\n    OrganizationalUnitIdentifier: client\n",
    )
    .unwrap();
    let err = MspDir::load(d).unwrap_err().to_string();
    assert!(err.contains("cacerts/missing.pem"), "{err}");
    std::fs::write(d.join("config.yaml"), "NodeOUs: [").unwrap();
    let err = MspDir::load(d).unwrap_err().to_string();
    assert!(err.contains("config.yaml"), "{err}");
}

fn user1_der() -> Vec<u8> {
    let pem = std::fs::read(org1(
        "users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem",
    ))
    .unwrap();
    Certificate::from_pem(&pem).unwrap().der().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Certificate::from_der(&bytes);
        let _ = Certificate::from_pem(&bytes);
        let _ = Identity::from_serialized(&bytes);
        let _ = ConfigYaml::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn truncated_or_flipped_inputs_are_errors(cut in 0usize..2000, flip in 0usize..2000, bit in 0u8..8) {
        let der = user1_der();
        let cut = cut % der.len();
        prop_assert!(Certificate::from_der(&der[..cut]).is_err());
        let mut flipped = der.clone();
        let i = flip % der.len();
        flipped[i] ^= 1 << bit;
        let _ = Certificate::from_der(&flipped);
        let (creator, _, _) = recorded_proposal();
        let c = cut % creator.len();
        prop_assert!(Identity::from_serialized(&creator[..c]).is_err());
        let mut fc = creator.clone();
        fc[flip % creator.len()] ^= 1 << bit;
        if let Ok(id) = Identity::from_serialized(&fc) {
            prop_assert_eq!(id.serialized(), &fc[..]);
        }
    }

    #[test]
    fn yaml_fragments_never_panic(s in "(NodeOUs|Enable|ClientOUIdentifier|Certificate|OrganizationalUnitIdentifier|OrganizationalUnitIdentifiers|:|-|\n|  |true|x|\\[|\\]|\\{|\\}|'|\")*") {
        let _ = ConfigYaml::parse(&s);
    }
}
