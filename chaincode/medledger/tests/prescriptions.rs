//! IssuePrescription, GetPrescription, DispensePrescription, ConfirmDelivery,
//! CancelPrescription, ListPrescriptions: each allowed case and each refusal, and two
//! concurrent dispenses in one block.

mod common;

use common::*;
use fabric_chaincode::testing::TxValidationCode;
use medledger_model::{PrescriptionContent, PrescriptionInput, Salt, commit_json};
use serde_json::json;

#[tokio::test]
async fn issue_keeps_the_medications_private() {
    let w = World::with_patients().await;
    let o = w.issue(&w.p.smc_doctor, "RX1", P1, "").await;
    assert_ok(&o);
    let rx = json(&o);
    assert_eq!(rx["prescription_id"], "RX1");
    assert_eq!(rx["patient_id"], P1);
    assert_eq!(rx["prescriber_org"], SMC);
    assert_eq!(rx["status"], "issued");
    assert_eq!(rx["issued_at"], "2024-01-01T00:00:00Z");
    assert_eq!(
        rx["expires_at"], "2024-01-04T00:00:00Z",
        "3 days by default"
    );
    // The hash commits to the content including the prescriber's licence from the certificate.
    let input: PrescriptionInput = serde_json::from_str(PRESCRIPTION).expect("input");
    let content = PrescriptionContent {
        medications: input.medications,
        notes: input.notes,
        prescriber_license: "MD-104233".into(),
    };
    let expected = commit_json(&Salt::from_bytes([3; 32]), &content).expect("commit");
    assert_eq!(rx["content_hash"], expected.to_hex());
    assert_eq!(w.state_of("Prescription", &["RX1"]), Some(rx));
    let private = w
        .private_of(RX, "PrescriptionContent", &["RX1"])
        .expect("stored");
    assert_eq!(private["content"]["prescriber_license"], "MD-104233");
    assert_eq!(private["content"]["medications"][0]["code"], "645301220");
    assert!(
        w.ledger
            .state(
                &fabric_sdk::tx::composite_key::create_composite_key(
                    "PrescriptionByPatient",
                    &[P1, "RX1"]
                )
                .expect("key")
            )
            .is_some()
    );
    assert!(
        w.ledger
            .state(
                &fabric_sdk::tx::composite_key::create_composite_key(
                    "PrescriptionByOrg",
                    &[SMC, "RX1"]
                )
                .expect("key")
            )
            .is_some()
    );
    assert_eq!(
        event(&o),
        (
            "PrescriptionIssued".to_owned(),
            json!({"id": "RX1", "patient_id": P1, "status": "issued"})
        )
    );
    let o = w.issue(&w.p.mjh_doctor, "RX2", P1, "7").await;
    assert_ok(&o);
    assert_eq!(json(&o)["expires_at"], "2024-01-08T00:00:00Z");
    let o = w.issue(&w.p.mjh_doctor, "", P1, "null").await;
    assert_eq!(json(&o)["prescription_id"], format!("RX-{}", &o.txid[..32]));
}

#[tokio::test]
async fn issue_refusals() {
    let w = World::with_patients().await;
    for who in [
        &w.p.smc_nurse,
        &w.p.smc_clerk,
        &w.p.pharmacist,
        &w.p.smc_patient,
        &w.p.outsider,
    ] {
        let o = w.issue(who, "RX1", P1, "").await;
        assert_denied(
            &o,
            403,
            "forbidden: IssuePrescription: ",
            "only a doctor of a hospital may call it",
        );
    }
    let o = w.issue(&w.p.smc_unlicensed_doctor, "RX1", P1, "").await;
    assert_denied(
        &o,
        403,
        "forbidden: IssuePrescription: ",
        "a licence is required (certificate attribute license_no)",
    );

    let doctor = &w.p.smc_doctor;
    for (days, rule) in [
        ("0", "expected 1 to 90 days, got 0"),
        ("91", "got 91"),
        ("three", "invalid type"),
        ("-1", "invalid value"),
    ] {
        let o = w.issue(doctor, "RX1", P1, days).await;
        assert_denied(&o, 400, "bad input: validity_days: ", rule);
    }
    let s = salt(3);
    let bad_code = PRESCRIPTION.replace("645301220", "6453");
    let bad_route = PRESCRIPTION.replace("\"oral\"", "\"by mouth\"");
    let float_dose = PRESCRIPTION.replace("\"frequency\":3", "\"frequency\":1.5");
    let no_meds = r#"{"medications":[]}"#;
    for (body, prefix, rule) in [
        (
            bad_code.as_str(),
            "bad input: prescription.medications[0].code: ",
            "9-digit EDI drug code",
        ),
        (
            bad_route.as_str(),
            "bad input: prescription.medications[0].route: ",
            "unknown variant `by mouth`",
        ),
        (
            float_dose.as_str(),
            "bad input: prescription.medications[0].frequency: ",
            "invalid type: floating point",
        ),
        (
            no_meds,
            "bad input: prescription.medications: ",
            "1 to 20 medications",
        ),
    ] {
        let o = w
            .submit(
                doctor,
                "IssuePrescription",
                &["RX1", P1, ""],
                &[("prescription", body.as_bytes()), ("salt", s.as_bytes())],
            )
            .await;
        assert_denied(&o, 400, prefix, rule);
    }
    let o = w
        .submit(
            doctor,
            "IssuePrescription",
            &["RX1", P1, ""],
            &[("salt", s.as_bytes())],
        )
        .await;
    assert_denied(
        &o,
        400,
        "bad input: prescription: ",
        "required in the transient map",
    );
    let o = w.issue(doctor, "RX1", "P-NOBODY", "").await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    assert_ok(&w.issue(doctor, "RX1", P1, "").await);
    let o = w.issue(doctor, "RX1", P1, "").await;
    assert_denied(&o, 409, "conflict: ", "prescription RX1 already exists");
}

#[tokio::test]
async fn dispense_once_before_expiry_then_deliver() {
    let w = World::with_patients().await;
    assert_ok(&w.issue(&w.p.smc_doctor, "RX1", P1, "").await);
    w.ledger.set_time(T0 + 2 * DAY, 0);
    for who in [&w.p.smc_doctor, &w.p.pharmacy_clerk, &w.p.smc_patient] {
        let o = w.submit(who, "DispensePrescription", &["RX1"], &[]).await;
        assert_denied(
            &o,
            403,
            "forbidden: DispensePrescription: ",
            "only a pharmacist of a pharmacy may call it",
        );
    }
    let o = w
        .submit(
            &w.p.unlicensed_pharmacist,
            "DispensePrescription",
            &["RX1"],
            &[],
        )
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: DispensePrescription: ",
        "a licence is required",
    );
    let o = w
        .submit(&w.p.pharmacist, "DispensePrescription", &["RX9"], &[])
        .await;
    assert_denied(&o, 404, "not found: ", "prescription RX9");
    let o = w
        .submit(&w.p.pharmacist, "DispensePrescription", &["RX 1"], &[])
        .await;
    assert_denied(&o, 400, "bad input: prescription_id: ", "only ASCII");

    let o = w
        .submit(&w.p.pharmacist, "DispensePrescription", &["RX1"], &[])
        .await;
    assert_ok(&o);
    let rx = json(&o);
    assert_eq!(rx["status"], "dispensed");
    assert_eq!(rx["dispense"]["pharmacy_org"], PHARMACY);
    assert_eq!(rx["dispense"]["dispensed_at"], "2024-01-03T00:00:00Z");
    assert_eq!(
        event(&o),
        (
            "PrescriptionDispensed".to_owned(),
            json!({"id": "RX1", "patient_id": P1, "status": "dispensed", "org": PHARMACY})
        )
    );
    let idx = |attrs: &[&str]| {
        w.ledger
            .state(
                &fabric_sdk::tx::composite_key::create_composite_key("PrescriptionByOrg", attrs)
                    .expect("key"),
            )
            .is_some()
    };
    // Indexes hold no status: the prescriber's entry stays, the pharmacy's is added.
    assert!(idx(&[SMC, "RX1"]));
    assert!(idx(&[PHARMACY, "RX1"]));
    assert!(!idx(&[SMC, "issued", "RX1"]));
    assert!(!idx(&[SMC, "dispensed", "RX1"]));

    let o = w
        .submit(&w.p.pharmacist, "DispensePrescription", &["RX1"], &[])
        .await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "prescription RX1 was already dispensed; it can be dispensed only once",
    );

    // Delivery: the patient or the dispensing pharmacy.
    let o = w
        .submit(&w.p.smc_doctor, "ConfirmDelivery", &["RX1"], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: ConfirmDelivery: ",
        "only a patient, a pharmacist or a clerk may call it",
    );
    let o = w
        .submit(&w.p.mjh_patient, "ConfirmDelivery", &["RX1"], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: ConfirmDelivery: ",
        "only the patient or a pharmacist or clerk of the dispensing pharmacy",
    );
    let o = w
        .submit(&w.p.smc_patient, "ConfirmDelivery", &["RX1"], &[])
        .await;
    assert_ok(&o);
    assert_eq!(json(&o)["status"], "delivered");
    assert_eq!(event(&o).0, "PrescriptionDelivered");
    assert!(idx(&[PHARMACY, "RX1"]));
    assert_eq!(
        w.state_of("Prescription", &["RX1"])
            .map(|rx| rx["status"].clone()),
        Some(json!("delivered"))
    );
    let o = w
        .submit(&w.p.pharmacy_clerk, "ConfirmDelivery", &["RX1"], &[])
        .await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "prescription RX1 is delivered; only a dispensed prescription can be delivered",
    );
    let o = w
        .submit(&w.p.pharmacist, "DispensePrescription", &["RX1"], &[])
        .await;
    assert_denied(&o, 409, "conflict: ", "already dispensed");
}

#[tokio::test]
async fn an_expired_prescription_is_not_dispensed() {
    let w = World::with_patients().await;
    assert_ok(&w.issue(&w.p.smc_doctor, "RX1", P1, "").await);
    assert_ok(&w.issue(&w.p.smc_doctor, "RX2", P1, "1").await);
    // One second before expiry: fine. At the expiry instant: refused.
    w.ledger.set_time(T0 + DAY - 1, 0);
    assert_ok(
        &w.submit(&w.p.pharmacist, "DispensePrescription", &["RX2"], &[])
            .await,
    );
    w.ledger.set_time(T0 + 3 * DAY, 0);
    let o = w
        .submit(&w.p.pharmacist, "DispensePrescription", &["RX1"], &[])
        .await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "prescription RX1 expired at 2024-01-04T00:00:00Z",
    );
    // The expiry is judged by the transaction's timestamp, not the ledger clock.
    let o = w
        .ledger
        .tx(&w.p.pharmacist)
        .function("DispensePrescription")
        .arg("RX1")
        .timestamp(T0 + 3 * DAY - 1, 0)
        .submit(w.cc)
        .await
        .expect("runs");
    assert_ok(&o);
}

#[tokio::test]
async fn two_concurrent_dispenses_one_commits() {
    let w = World::with_patients().await;
    assert_ok(&w.issue(&w.p.smc_doctor, "RX1", P1, "").await);
    let a = w
        .ledger
        .tx(&w.p.pharmacist)
        .function("DispensePrescription")
        .arg("RX1")
        .simulate(w.cc)
        .await
        .expect("runs");
    let b = w
        .ledger
        .tx(&w.p.pharmacist)
        .function("DispensePrescription")
        .arg("RX1")
        .simulate(w.cc)
        .await
        .expect("runs");
    assert_eq!(
        (a.status(), b.status()),
        (200, 200),
        "both endorse on the same state"
    );
    assert_eq!(
        w.ledger.commit_block([&a, &b]).expect("commits"),
        [TxValidationCode::Valid, TxValidationCode::MvccReadConflict]
    );
    let key =
        fabric_sdk::tx::composite_key::create_composite_key("Prescription", &["RX1"]).expect("key");
    let history = w.ledger.history(&key);
    assert_eq!(history.len(), 2, "issued, then dispensed once");
    assert_eq!(history[0].tx_id, a.txid);
}

#[tokio::test]
async fn cancel_by_the_prescriber_before_dispensing() {
    let w = World::with_patients().await;
    assert_ok(&w.issue(&w.p.smc_doctor, "RX1", P1, "").await);
    assert_ok(&w.issue(&w.p.smc_doctor, "RX2", P1, "").await);
    let o = w
        .submit(&w.p.smc_doctor2, "CancelPrescription", &["RX1"], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: CancelPrescription: ",
        "only the prescribing doctor may cancel a prescription",
    );
    let o = w
        .submit(&w.p.mjh_doctor, "CancelPrescription", &["RX1"], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: CancelPrescription: ",
        "only the prescribing doctor",
    );
    let o = w
        .submit(&w.p.pharmacist, "CancelPrescription", &["RX1"], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: CancelPrescription: ",
        "only a doctor of a hospital may call it",
    );
    let o = w
        .submit(&w.p.smc_doctor, "CancelPrescription", &["RX1"], &[])
        .await;
    assert_ok(&o);
    assert_eq!(json(&o)["status"], "cancelled");
    assert_eq!(
        event(&o),
        (
            "PrescriptionCancelled".to_owned(),
            json!({"id": "RX1", "patient_id": P1, "status": "cancelled"})
        )
    );
    let o = w
        .submit(&w.p.pharmacist, "DispensePrescription", &["RX1"], &[])
        .await;
    assert_denied(&o, 409, "conflict: ", "prescription RX1 was cancelled");
    assert_ok(
        &w.submit(&w.p.pharmacist, "DispensePrescription", &["RX2"], &[])
            .await,
    );
    let o = w
        .submit(&w.p.smc_doctor, "CancelPrescription", &["RX2"], &[])
        .await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "prescription RX2 is dispensed; only an issued prescription can be cancelled",
    );
}

#[tokio::test]
async fn get_shows_content_to_the_prescriber_pharmacists_and_the_patient() {
    let w = World::with_patients().await;
    assert_ok(&w.issue(&w.p.smc_doctor, "RX1", P1, "").await);
    for who in [
        &w.p.smc_doctor,
        &w.p.smc_nurse,
        &w.p.pharmacist,
        &w.p.smc_patient,
    ] {
        let o = w.query(who, "GetPrescription", &["RX1"]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        assert_eq!(json(&o)["content"]["medications"][0]["days"], 3);
    }
    for who in [&w.p.pharmacy_clerk, &w.p.smc_auditor, &w.p.nhis_auditor] {
        let o = w.query(who, "GetPrescription", &["RX1"]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        assert!(json(&o).get("content").is_none());
    }
    for who in [&w.p.mjh_doctor, &w.p.nhis_officer, &w.p.mjh_fake_p1] {
        let o = w.query(who, "GetPrescription", &["RX1"]).await;
        assert_denied(
            &o,
            403,
            "forbidden: GetPrescription: ",
            "only the patient, the prescribing hospital, pharmacies and auditors",
        );
    }
    let o = w.query(&w.p.pharmacist, "GetPrescription", &["RX9"]).await;
    assert_denied(&o, 404, "not found: ", "prescription RX9");
    let o = w
        .query(&w.p.pharmacist, "GetPrescription", &["840315-1234567"])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: prescription_id: ",
        "resident registration number",
    );
}

#[tokio::test]
async fn list_by_patient_and_by_status_with_pages() {
    let w = World::with_patients().await;
    for i in 0..5 {
        assert_ok(&w.issue(&w.p.smc_doctor, &format!("RX{i}"), P1, "").await);
    }
    assert_ok(&w.issue(&w.p.mjh_doctor, "RXM", P1, "").await);
    assert_ok(
        &w.submit(&w.p.pharmacist, "DispensePrescription", &["RX1"], &[])
            .await,
    );
    let ids = |o: &fabric_chaincode::testing::TxOutcome| page_ids(o, "prescription_id");
    // By patient, all statuses, two pages of 4.
    let (first, bm) = ids(&w
        .query(&w.p.smc_patient, "ListPrescriptions", &[P1, "", "4", ""])
        .await);
    assert_eq!(first.len(), 4);
    assert!(!bm.is_empty());
    let (second, bm2) = ids(&w
        .query(&w.p.smc_patient, "ListPrescriptions", &[P1, "", "4", &bm])
        .await);
    assert_eq!(second.len(), 2);
    assert!(bm2.is_empty());
    let mut all: Vec<String> = first.into_iter().chain(second).collect();
    all.sort();
    assert_eq!(all, ["RX0", "RX1", "RX2", "RX3", "RX4", "RXM"]);
    // By patient and status.
    let (d, _) = ids(&w
        .query(
            &w.p.smc_clerk,
            "ListPrescriptions",
            &[P1, "dispensed", "10", ""],
        )
        .await);
    assert_eq!(d, ["RX1"]);
    // By status, for the caller's organisation.
    let (smc, _) = ids(&w
        .query(
            &w.p.smc_doctor,
            "ListPrescriptions",
            &["", "issued", "10", ""],
        )
        .await);
    assert_eq!(smc, ["RX0", "RX2", "RX3", "RX4"]);
    // Pages of one status skip the others (RX1 is dispensed) and stay full until the end.
    let (p1, bm) = ids(&w
        .query(
            &w.p.smc_doctor,
            "ListPrescriptions",
            &["", "issued", "2", ""],
        )
        .await);
    assert_eq!(p1, ["RX0", "RX2"]);
    assert!(!bm.is_empty());
    let (p2, bm) = ids(&w
        .query(
            &w.p.smc_doctor,
            "ListPrescriptions",
            &["", "issued", "2", &bm],
        )
        .await);
    assert_eq!(p2, ["RX3", "RX4"]);
    assert!(bm.is_empty());
    let (mjh, _) = ids(&w
        .query(
            &w.p.mjh_nurse,
            "ListPrescriptions",
            &["", "issued", "10", ""],
        )
        .await);
    assert_eq!(mjh, ["RXM"]);
    let (ph, _) = ids(&w
        .query(
            &w.p.pharmacist,
            "ListPrescriptions",
            &["", "dispensed", "10", ""],
        )
        .await);
    assert_eq!(ph, ["RX1"]);

    let o = w
        .query(&w.p.smc_doctor, "ListPrescriptions", &["", "", "10", ""])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: status: ",
        "required when patient_id is empty",
    );
    let o = w
        .query(&w.p.smc_doctor, "ListPrescriptions", &[P1, "", "0", ""])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: page_size: ",
        "expected 1 to 100, got 0",
    );
    let o = w
        .query(
            &w.p.smc_doctor,
            "ListPrescriptions",
            &[P1, "sold", "10", ""],
        )
        .await;
    assert_denied(&o, 400, "bad input: status: ", "unknown variant `sold`");
    let o = w
        .query(&w.p.smc_doctor, "ListPrescriptions", &[P1, "", "10", "zz"])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: bookmark: ",
        "not a bookmark of this list",
    );
    // A bookmark of another list does not page through someone else's keys.
    let foreign = hex_of("\u{0}PrescriptionByPatient\u{0}A".as_bytes());
    let o = w
        .query(
            &w.p.smc_doctor,
            "ListPrescriptions",
            &[P1, "", "10", &foreign],
        )
        .await;
    assert_denied(
        &o,
        400,
        "bad input: bookmark: ",
        "not a bookmark of this list",
    );
    for who in [&w.p.mjh_doctor, &w.p.pharmacist, &w.p.mjh_fake_p1] {
        let o = w.query(who, "ListPrescriptions", &[P1, "", "10", ""]).await;
        assert_denied(
            &o,
            403,
            "forbidden: ListPrescriptions: ",
            "only the patient, the home hospital's staff or an auditor",
        );
    }
    let o = w
        .query(
            &w.p.nhis_officer,
            "ListPrescriptions",
            &["", "issued", "10", ""],
        )
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: ListPrescriptions: ",
        "only staff of a hospital or pharmacy",
    );
}
