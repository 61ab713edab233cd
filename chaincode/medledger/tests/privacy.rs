//! Privacy: a run through every function with PHI in the transient inputs (names, birth date,
//! phone, address, medications, free text with a resident registration number, diagnoses,
//! amounts), then a scan of everything that leaves the transient map: every argument, every
//! public key and value written, every metadata write, every event, every response that goes
//! into a block, and the final world state. None may carry PHI. The private collections, on the
//! other hand, must hold it (the scan is not vacuous).

mod common;

use common::*;
use fabric_chaincode::testing::{TestIdentity, TxOutcome};
use fabric_sdk::ledger::StateReader;

/// The private phases of PHI writes: only the caller's PHI collection, endorsed by its
/// organisation alone; no public write, no event.
const PRIVATE_PHASES: &[&str] = &[
    "StorePatientDemographics",
    "StoreRecordContent",
    "StoreConsentForm",
];

/// Their public phases: no transient data, no private write.
const PUBLIC_PHASES: &[&str] = &[
    "RegisterPatient",
    "AddRecord",
    "GrantConsent",
    "RevokeConsent",
];

/// The commitment a private phase answered.
fn commitment(r: &Recorder<'_>) -> String {
    let o = &r.calls.last().expect("a call").3;
    json(o)["commitment"]
        .as_str()
        .expect("a commitment")
        .to_owned()
}

/// Every call made, with its arguments and outcome.
struct Recorder<'w> {
    w: &'w World,
    calls: Vec<(String, Vec<String>, bool, TxOutcome)>,
}

impl<'w> Recorder<'w> {
    async fn submit(&mut self, who: &TestIdentity, f: &str, args: &[&str], t: &[(&str, &[u8])]) {
        let o = self.w.submit(who, f, args, t).await;
        assert_ok(&o);
        if PUBLIC_PHASES.contains(&f) {
            // The public phase of a PHI write: no transient data, no private write.
            assert!(t.is_empty(), "{f} was sent transient data");
            assert_public_only(&o);
        }
        self.calls.push((
            f.to_owned(),
            args.iter().map(|a| a.to_string()).collect(),
            true,
            o,
        ));
    }

    async fn query(&mut self, who: &TestIdentity, f: &str, args: &[&str]) {
        let o = self.w.query(who, f, args).await;
        assert_eq!(o.status(), 200, "{f}: {}", o.message());
        self.calls.push((
            f.to_owned(),
            args.iter().map(|a| a.to_string()).collect(),
            false,
            o,
        ));
    }
}

#[tokio::test]
async fn nothing_public_carries_phi() {
    let w = World::new();
    let p = w.p;
    let mut r = Recorder {
        w: &w,
        calls: Vec::new(),
    };
    let s1 = salt(1);
    let s3 = salt(3);
    let s4 = salt(4);
    let s5 = salt(5);
    r.submit(
        &p.smc_clerk,
        "StorePatientDemographics",
        &[P1],
        &[
            ("patient", DEMOGRAPHICS.as_bytes()),
            ("salt", s1.as_bytes()),
        ],
    )
    .await;
    let h = commitment(&r);
    r.submit(&p.smc_clerk, "RegisterPatient", &[P1, &h], &[])
        .await;
    r.submit(
        &p.mjh_doctor,
        "StorePatientDemographics",
        &[P2],
        &[
            ("patient", DEMOGRAPHICS2.as_bytes()),
            ("salt", s1.as_bytes()),
        ],
    )
    .await;
    let h = commitment(&r);
    r.submit(&p.mjh_doctor, "RegisterPatient", &[P2, &h], &[])
        .await;
    r.query(&p.smc_clerk, "GetPatient", &[P1]).await;

    r.submit(
        &p.smc_patient,
        "GrantConsent",
        &[
            "C1",
            P1,
            MJH,
            "treatment",
            r#"["encounter","lab"]"#,
            PERIOD_2024,
            "",
        ],
        &[],
    )
    .await;
    let doc = format!(
        r#"{{"document_hash":"{}","salt":"{}"}}"#,
        hash(6, "동의서 홍길동 840315-1234567".as_bytes()),
        salt(6)
    );
    r.submit(
        &p.smc_clerk,
        "StoreConsentForm",
        &["C2", P1, "grant"],
        &[("consent_document", doc.as_bytes())],
    )
    .await;
    let h = commitment(&r);
    r.submit(
        &p.smc_clerk,
        "GrantConsent",
        &[
            "C2",
            P1,
            NHIS,
            "insurance_claim",
            r#"["encounter"]"#,
            PERIOD_2024,
            &h,
        ],
        &[],
    )
    .await;
    r.submit(
        &p.mjh_clerk,
        "StoreConsentForm",
        &["C3", P1, "grant"],
        &[("consent_document", doc.as_bytes())],
    )
    .await;
    let h = commitment(&r);
    r.submit(
        &p.mjh_clerk,
        "GrantConsent",
        &["C3", P1, MJH, "research", r#"["lab"]"#, PERIOD_2024, &h],
        &[],
    )
    .await;
    r.submit(
        &p.smc_clerk,
        "StoreConsentForm",
        &["C3", P1, "revocation"],
        &[("consent_document", doc.as_bytes())],
    )
    .await;
    let h = commitment(&r);
    r.submit(&p.smc_clerk, "RevokeConsent", &["C3", &h], &[])
        .await;
    r.query(&p.smc_patient, "ListConsents", &[P1]).await;
    r.query(
        &p.mjh_doctor,
        "CheckConsent",
        &[P1, MJH, "treatment", "lab"],
    )
    .await;

    let h = hash(2, RECORD_CONTENT.as_bytes());
    let s2 = salt(2);
    r.submit(
        &p.smc_doctor,
        "StoreRecordContent",
        &["E1", P1, &h],
        &[
            ("record_content", RECORD_CONTENT.as_bytes()),
            ("salt", s2.as_bytes()),
        ],
    )
    .await;
    r.submit(
        &p.smc_doctor,
        "AddRecord",
        &["E1", P1, "encounter", "Encounter", &h, LOCATION, "true"],
        &[],
    )
    .await;
    r.query(&p.smc_nurse, "GetRecord", &["E1"]).await;
    r.submit(&p.mjh_doctor, "AccessRecord", &["E1", "treatment"], &[])
        .await;

    for id in ["RX1", "RX2"] {
        r.submit(
            &p.smc_doctor,
            "IssuePrescription",
            &[id, P1, ""],
            &[
                ("prescription", PRESCRIPTION.as_bytes()),
                ("salt", s3.as_bytes()),
            ],
        )
        .await;
    }
    r.query(&p.pharmacist, "GetPrescription", &["RX1"]).await;
    r.submit(&p.pharmacist, "DispensePrescription", &["RX1"], &[])
        .await;
    r.submit(&p.pharmacy_clerk, "ConfirmDelivery", &["RX1"], &[])
        .await;
    r.submit(&p.smc_doctor, "CancelPrescription", &["RX2"], &[])
        .await;
    r.query(&p.smc_patient, "ListPrescriptions", &[P1, "", "10", ""])
        .await;

    r.submit(
        &p.smc_clerk,
        "SubmitClaim",
        &["CL1", P1, NHIS, r#"["E1"]"#],
        &[("claim", CLAIM.as_bytes()), ("salt", s4.as_bytes())],
    )
    .await;
    r.submit(
        &p.nhis_officer,
        "AdjudicateClaim",
        &["CL1", "approved"],
        &[("decision", APPROVED.as_bytes()), ("salt", s5.as_bytes())],
    )
    .await;
    r.submit(
        &p.nhis_officer,
        "PayClaim",
        &["CL1"],
        &[("payment", br#"{"payment_reference":"PAY-2024-0001"}"#)],
    )
    .await;
    r.query(&p.smc_clerk, "GetClaim", &["CL1"]).await;
    r.query(&p.nhis_officer, "ListClaims", &["", NHIS, "", "10", ""])
        .await;

    let ch = hash(7, "진단서: 홍길동, J20.9".as_bytes());
    r.submit(
        &p.smc_doctor,
        "IssueCertificate",
        &["CERT1", P1, "diagnosis", &ch, ""],
        &[],
    )
    .await;
    r.query(&p.nhis_officer, "VerifyCertificate", &["CERT1", &ch])
        .await;
    r.query(&p.smc_patient, "GetCertificate", &["CERT1"]).await;
    r.submit(
        &p.smc_doctor,
        "RevokeCertificate",
        &["CERT1", "superseded"],
        &[],
    )
    .await;

    r.query(&p.smc_auditor, "GetHistory", &["Prescription", "RX1"])
        .await;
    r.query(&p.smc_patient, "ListAccessLog", &[P1, "10", ""])
        .await;

    // The PHI did reach the collections, so the scan below is not vacuous.
    let demographics = w
        .private_of(SMC_PHI, "Demographics", &[P1])
        .expect("stored")
        .to_string();
    assert!(demographics.contains("홍") && demographics.contains("1984-03-15"));
    let rx = w
        .private_of(RX, "PrescriptionContent", &["RX1"])
        .expect("stored")
        .to_string();
    assert!(
        rx.contains("840315-1234567"),
        "free text with an RRN reached the collection"
    );

    r.submit(&p.smc_clerk, "ErasePatient", &[P1], &[]).await;

    let functions: std::collections::BTreeSet<&str> =
        r.calls.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        functions.into_iter().collect::<Vec<_>>(),
        medledger_chaincode::contract::function_names(),
        "every function is exercised"
    );

    for (f, args, submitted, o) in &r.calls {
        for a in args {
            assert_no_phi(&format!("argument of {f}"), a);
        }
        if !submitted {
            continue;
        }
        // A submitted transaction's response payload is in the block.
        assert_no_phi(&format!("response of {f}"), &o.payload_str());
        for ns in &o.rwset.namespaces {
            for wr in &ns.kv.writes {
                assert_no_phi(&format!("key written by {f}"), &wr.key);
                assert_no_phi(
                    &format!("value written by {f}"),
                    &String::from_utf8_lossy(&wr.value),
                );
            }
            for m in &ns.kv.metadata_writes {
                assert_no_phi(&format!("metadata key written by {f}"), &m.key);
            }
        }
        if PRIVATE_PHASES.contains(&f.as_str()) {
            // A private phase: no public write, no event (events are public).
            for ns in &o.rwset.namespaces {
                assert!(ns.kv.writes.is_empty(), "{f} wrote public state");
                assert!(ns.kv.metadata_writes.is_empty(), "{f} wrote metadata");
            }
            assert!(o.event.is_none(), "{f} emitted an event");
            assert!(!o.private_writes(SMC_PHI).is_empty() || !o.private_writes(MJH_PHI).is_empty());
            continue;
        }
        let e = o.event.as_ref().expect("every state change emits an event");
        assert_no_phi(&format!("event name of {f}"), &e.event_name);
        assert_no_phi(
            &format!("event of {f}"),
            &String::from_utf8_lossy(&e.payload),
        );
        let expected_name_ok = e.event_name.chars().next().is_some_and(char::is_uppercase)
            && [
                "Registered",
                "Erased",
                "Granted",
                "Revoked",
                "Added",
                "Accessed",
                "Issued",
                "Dispensed",
                "Delivered",
                "Cancelled",
                "Submitted",
                "Adjudicated",
                "Paid",
            ]
            .iter()
            .any(|a| e.event_name.ends_with(a));
        assert!(expected_name_ok, "{f} emitted {}", e.event_name);
        let payload: serde_json::Value = serde_json::from_slice(&e.payload).expect("JSON");
        for key in payload.as_object().expect("an object").keys() {
            assert!(
                ["id", "patient_id", "status", "org"].contains(&key.as_str()),
                "{f}: event field {key}"
            );
        }
    }

    // The whole public state at the end.
    let all = w
        .ledger
        .snapshot()
        .get_state_range(CC, "", "", usize::MAX)
        .expect("reads");
    assert!(all.len() > 20);
    for (k, v) in &all {
        assert_no_phi("a key of the world state", k);
        assert_no_phi(
            "a value of the world state",
            &String::from_utf8_lossy(&v.value),
        );
    }
}

#[test]
fn the_scanner_finds_what_it_looks_for() {
    for leak in [
        r#"{"patient_id":"P1","name":"x"}"#,
        "note 840315-1234567",
        "홍길동",
        r#"{"total":1}"#,
    ] {
        let caught = std::panic::catch_unwind(|| assert_no_phi("test", leak));
        assert!(caught.is_err(), "{leak} should be caught");
    }
    assert_no_phi("test", r#"{"patient_id":"P-SMC-000001","status":"active"}"#);
}
