//! GetHistory and ListAccessLog.

mod common;

use common::*;

#[tokio::test]
async fn history_follows_the_asset_read_rules() {
    let w = World::with_patients().await;
    assert_ok(&w.issue(&w.p.smc_doctor, "RX1", P1, "").await);
    w.ledger.set_time(T0 + HOUR, 0);
    assert_ok(
        &w.submit(&w.p.pharmacist, "DispensePrescription", &["RX1"], &[])
            .await,
    );
    w.ledger.set_time(T0 + 2 * HOUR, 0);
    let delivered = w
        .submit(&w.p.smc_patient, "ConfirmDelivery", &["RX1"], &[])
        .await;
    assert_ok(&delivered);

    let o = w
        .query(&w.p.smc_doctor, "GetHistory", &["Prescription", "RX1"])
        .await;
    assert_eq!(o.status(), 200, "{}", o.message());
    let h = json(&o);
    let versions = h.as_array().expect("a list");
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0]["txid"], delivered.txid.as_str());
    assert_eq!(versions[0]["timestamp"], "2024-01-01T02:00:00Z");
    assert_eq!(versions[0]["value"]["status"], "delivered");
    assert_eq!(versions[1]["value"]["status"], "dispensed");
    assert_eq!(versions[2]["value"]["status"], "issued");
    assert_eq!(versions[2]["is_delete"], false);

    // Same readers as GetPrescription.
    for who in [&w.p.smc_patient, &w.p.pharmacist, &w.p.nhis_auditor] {
        assert_eq!(
            w.query(who, "GetHistory", &["Prescription", "RX1"])
                .await
                .status(),
            200
        );
    }
    let o = w
        .query(&w.p.mjh_doctor, "GetHistory", &["Prescription", "RX1"])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: GetHistory: ",
        "may not read Prescription RX1",
    );
    // Patients: any member with a medical role.
    let o = w
        .query(&w.p.nhis_officer, "GetHistory", &["Patient", P1])
        .await;
    assert_eq!(o.status(), 200, "{}", o.message());
    assert_eq!(json(&o)[0]["value"]["status"], "active");
    let o = w
        .query(&w.p.smc_admin, "GetHistory", &["Patient", P1])
        .await;
    assert_denied(&o, 403, "forbidden: GetHistory: ", "with a medical role");

    // Other asset types and their rules.
    assert_ok(
        &w.grant(&w.p.smc_patient, "C1", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    assert_eq!(
        w.query(&w.p.mjh_doctor, "GetHistory", &["Consent", "C1"])
            .await
            .status(),
        200
    );
    let o = w
        .query(&w.p.pharmacist, "GetHistory", &["Consent", "C1"])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: GetHistory: ",
        "may not read Consent C1",
    );
    assert_ok(&w.add_record(&w.p.smc_doctor, "L1", P1, "lab").await);
    assert_eq!(
        w.query(&w.p.smc_nurse, "GetHistory", &["Record", "L1"])
            .await
            .status(),
        200
    );
    let o = w
        .query(&w.p.mjh_doctor, "GetHistory", &["Record", "L1"])
        .await;
    assert_denied(&o, 403, "forbidden: GetHistory: ", "may not read Record L1");

    let o = w
        .query(&w.p.smc_doctor, "GetHistory", &["Invoice", "RX1"])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: asset_type: ",
        "unknown variant `Invoice`",
    );
    let o = w
        .query(&w.p.smc_doctor, "GetHistory", &["Claim", "CL9"])
        .await;
    assert_denied(&o, 404, "not found: ", "claim CL9");
    let o = w
        .query(&w.p.smc_doctor, "GetHistory", &["Certificate", "CERT9"])
        .await;
    assert_denied(&o, 404, "not found: ", "certificate CERT9");
}

#[tokio::test]
async fn access_log_for_the_patient_home_hospital_and_auditors() {
    let w = World::with_patients().await;
    assert_ok(&w.add_record(&w.p.smc_doctor, "L1", P1, "lab").await);
    assert_ok(
        &w.grant(&w.p.smc_patient, "C1", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    let mut txids = Vec::new();
    for i in 0..3 {
        w.ledger.set_time(T0 + i * HOUR, 0);
        let o = w
            .submit(&w.p.mjh_doctor, "AccessRecord", &["L1", "treatment"], &[])
            .await;
        assert_ok(&o);
        txids.push(o.txid.clone());
    }
    for who in [
        &w.p.smc_patient,
        &w.p.smc_clerk,
        &w.p.smc_auditor,
        &w.p.nhis_auditor,
    ] {
        let o = w.query(who, "ListAccessLog", &[P1, "10", ""]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        let v = json(&o);
        let ids: Vec<&str> = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["access_id"].as_str())
            .collect();
        assert_eq!(ids, txids, "oldest first");
        assert_eq!(v["items"][0]["agent"]["msp_id"], MJH);
        assert_eq!(v["bookmark"], "");
    }
    // Pages.
    let o = w
        .query(&w.p.smc_patient, "ListAccessLog", &[P1, "2", ""])
        .await;
    let v = json(&o);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    let bm = v["bookmark"].as_str().unwrap_or_default().to_owned();
    let o = w
        .query(&w.p.smc_patient, "ListAccessLog", &[P1, "2", &bm])
        .await;
    assert_eq!(json(&o)["items"][0]["access_id"], txids[2].as_str());

    for who in [
        &w.p.mjh_doctor,
        &w.p.nhis_officer,
        &w.p.mjh_fake_p1,
        &w.p.smc_admin,
    ] {
        let o = w.query(who, "ListAccessLog", &[P1, "10", ""]).await;
        assert_denied(
            &o,
            403,
            "forbidden: ListAccessLog: ",
            "only the patient, the home hospital's staff or an auditor",
        );
    }
    let o = w
        .query(&w.p.smc_patient, "ListAccessLog", &[P1, "many", ""])
        .await;
    assert_denied(&o, 400, "bad input: page_size: ", "invalid type");
    let o = w
        .query(&w.p.smc_patient, "ListAccessLog", &["P-NOBODY", "10", ""])
        .await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    // Another patient's log cannot be reached with a crafted bookmark.
    let foreign = hex_of("\u{0}AccessLog\u{0}P-MJH-000001\u{0}".as_bytes());
    let o = w
        .query(&w.p.smc_patient, "ListAccessLog", &[P1, "10", &foreign])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: bookmark: ",
        "not a bookmark of this list",
    );
}
