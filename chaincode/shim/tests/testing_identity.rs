//! Test identities and proposals: real certificates an MSP accepts, client identity attributes
//! and OUs as the chaincode sees them, genuine txids, signatures, timestamps and transient data.

mod testing_support;

use fabric_chaincode::testing::{DEFAULT_TIME, TestIdentity, TestLedger};
use fabric_sdk::identity::{Msp, NodeOuConfig, NodeRole};
use fabric_sdk::tx::ParsedProposal;
use fabric_sdk::tx::proposal::compute_txid;
use serde_json::json;
use testing_support::{Probe, ok_json, user};

fn doctor() -> TestIdentity {
    TestIdentity::builder("HospitalMSP")
        .name("doctor1")
        .ou("hospital")
        .ou("cardiology")
        .attribute("role", "doctor")
        .attribute("hf.EnrollmentID", "doctor1")
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_chaincode_sees_the_client_identity() {
    let ledger = TestLedger::new("probe");
    let me = doctor();
    let o = ledger
        .tx(&me)
        .function("Whoami")
        .transient("b", "2")
        .transient("a", "1")
        .evaluate(&Probe)
        .await
        .unwrap();
    let seen = ok_json(&o);
    assert_eq!(seen["msp"], "HospitalMSP");
    assert_eq!(
        seen["attrs"],
        json!({"hf.EnrollmentID": "doctor1", "role": "doctor"})
    );
    assert_eq!(seen["client"], true);
    assert_eq!(
        seen["subject"],
        "CN=doctor1,OU=client+OU=hospital+OU=cardiology,L=San Francisco,ST=California,C=US",
        "Go's pkix.Name.String()"
    );
    assert_eq!(seen["id"], me.client_identity().unwrap().id());
    assert_eq!(seen["txid"], o.txid.as_str());
    assert_eq!(seen["channel"], "testchannel");
    assert_eq!(seen["seconds"], DEFAULT_TIME.seconds);
    assert_eq!(seen["transient"], json!(["a", "b"]));
    assert_eq!(seen["init"], false);
    // What the cid library reports.
    let cid = me.client_identity().unwrap();
    assert!(cid.has_ou_value("cardiology") && cid.has_ou_value("hospital"));
    assert!(cid.assert_attribute_value("role", "doctor").is_ok());
    assert!(cid.assert_attribute_value("role", "nurse").is_err());
    // Without attributes the certificate has no attribute extension.
    assert!(user().client_identity().unwrap().attributes().is_empty());
}

#[test]
fn certificates_validate_against_their_msp() {
    for (identity, role) in [
        (doctor(), NodeRole::Client),
        (
            TestIdentity::builder("HospitalMSP")
                .name("Admin@hospital.example.com")
                .role(NodeRole::Admin)
                .build()
                .unwrap(),
            NodeRole::Admin,
        ),
    ] {
        let ca_pem = identity.ca_certificate().to_pem();
        let msp = Msp::from_pem(
            "HospitalMSP",
            &[&ca_pem],
            &[],
            Some(NodeOuConfig::enabled_default()),
        )
        .unwrap();
        let validated = msp
            .validate(&identity.signing_identity().identity, 1_900_000_000)
            .unwrap();
        assert_eq!(validated.role(), Some(role));
    }
    // Another org's CA does not vouch for it.
    let other = TestIdentity::new("ClinicMSP").unwrap();
    let msp = Msp::from_pem(
        "HospitalMSP",
        &[&other.ca_certificate().to_pem()],
        &[],
        None,
    )
    .unwrap();
    assert!(
        msp.validate(&doctor().signing_identity().identity, 1_900_000_000)
            .is_err()
    );
}

#[tokio::test]
async fn proposals_are_genuine_and_reproducible() {
    let run = || async {
        let ledger = TestLedger::new("probe");
        let mut txids = Vec::new();
        for v in ["1", "2"] {
            let o = ledger
                .tx(&user())
                .function("Put")
                .args(["k", v])
                .submit(&Probe)
                .await
                .unwrap();
            let parsed = ParsedProposal::parse(&o.signed_proposal).unwrap();
            // txid = SHA-256(nonce ‖ creator), the creator is the identity, the signature
            // verifies with its certificate.
            assert_eq!(parsed.txid(), o.txid);
            assert_eq!(
                compute_txid(&parsed.signature_header.nonce, parsed.creator()),
                o.txid
            );
            assert_eq!(&parsed.creator()[..], user().serialized());
            let verifier = user()
                .certificate()
                .public_key()
                .unwrap()
                .verifier()
                .unwrap();
            parsed.verify_signature(verifier.as_ref()).unwrap();
            assert_eq!(parsed.channel(), "testchannel");
            assert_eq!(parsed.chaincode_name(), "probe");
            txids.push(o.txid);
        }
        assert_ne!(txids[0], txids[1]);
        txids
    };
    assert_eq!(
        run().await,
        run().await,
        "the same test gives the same txids"
    );
}

#[tokio::test]
async fn timestamps_are_injected() {
    let ledger = TestLedger::new("probe").with_time(1_800_000_000, 5);
    let whoami = |seconds: Option<i64>| {
        let ledger = &ledger;
        async move {
            let mut tx = ledger.tx(&user()).function("Whoami");
            if let Some(s) = seconds {
                tx = tx.timestamp(s, 7);
            }
            let seen = ok_json(&tx.evaluate(&Probe).await.unwrap());
            (
                seen["seconds"].as_i64().unwrap(),
                seen["nanos"].as_i64().unwrap(),
            )
        }
    };
    assert_eq!(whoami(None).await, (1_800_000_000, 5));
    assert_eq!(whoami(Some(42)).await, (42, 7));
    ledger.set_time(1_900_000_000, 0);
    assert_eq!(whoami(None).await, (1_900_000_000, 0));
}
