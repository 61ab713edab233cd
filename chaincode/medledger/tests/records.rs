//! StoreRecordContent, AddRecord, GetRecord, AccessRecord: each allowed case and each refusal.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn add_keeps_metadata_public_and_content_private() {
    let w = World::with_patients().await;
    // Phase 1: the content and its seal, in the author's hospital's collection only.
    let o = w.store_content(&w.p.smc_doctor, "E1", P1).await;
    assert_ok(&o);
    assert_private_only(&o, SMC_PHI);
    assert_eq!(
        json(&o),
        json!({"id": "E1", "collection": SMC_PHI, "commitment": hash(2, RECORD_CONTENT.as_bytes())})
    );
    assert!(w.state_of("Record", &["E1"]).is_none());
    // Phase 2: public, no transient data.
    let o = w.add_record(&w.p.smc_doctor, "E1", P1, "encounter").await;
    assert_ok(&o);
    assert_public_only(&o);
    let r = json(&o);
    assert_eq!(r["record_id"], "E1");
    assert_eq!(r["patient_id"], P1);
    assert_eq!(r["org"], SMC);
    assert_eq!(r["author"]["role"], "doctor");
    assert_eq!(r["category"], "encounter");
    assert_eq!(r["resource_type"], "Encounter");
    assert_eq!(r["content_hash"], hash(2, RECORD_CONTENT.as_bytes()));
    assert_eq!(r["location"], LOCATION);
    assert_eq!(r["content_on_ledger"], true);
    assert_eq!(w.state_of("Record", &["E1"]), Some(r));
    let private = w
        .private_of(SMC_PHI, "RecordContent", &["E1"])
        .expect("content stored");
    assert_eq!(private["content"], RECORD_CONTENT);
    assert_eq!(
        event(&o),
        (
            "RecordAdded".to_owned(),
            json!({"id": "E1", "patient_id": P1})
        )
    );

    // A nurse, metadata only; another hospital adds its own record of the same patient.
    let h = hash(9, b"elsewhere");
    let o = w
        .submit(
            &w.p.smc_nurse,
            "AddRecord",
            &["L1", P1, "lab", "Observation", &h, LOCATION, ""],
            &[],
        )
        .await;
    assert_ok(&o);
    assert_eq!(json(&o)["content_on_ledger"], false);
    assert!(o.private_writes(SMC_PHI).is_empty());
    let o = w.add_record(&w.p.mjh_doctor, "M1", P1, "diagnosis").await;
    assert_ok(&o);
    assert_eq!(json(&o)["org"], MJH);
    assert!(w.private_of(MJH_PHI, "RecordContent", &["M1"]).is_some());
    assert!(w.private_of(SMC_PHI, "RecordContent", &["M1"]).is_none());
    // Without an id, the private phase derives one from its transaction; the public phase
    // takes it.
    let o = w.store_content(&w.p.smc_doctor, "", P1).await;
    assert_ok(&o);
    let id = format!("REC-{}", &o.txid[..32]);
    assert_eq!(json(&o)["id"], id.as_str());
    let h = hash(2, RECORD_CONTENT.as_bytes());
    let o = w
        .submit(
            &w.p.smc_doctor,
            "AddRecord",
            &[&id, P1, "lab", "Encounter", &h, LOCATION, "true"],
            &[],
        )
        .await;
    assert_ok(&o);
    assert_eq!(json(&o)["record_id"], id.as_str());
    // Without an id and without content, AddRecord derives it from its own transaction.
    let o = w
        .submit(
            &w.p.smc_nurse,
            "AddRecord",
            &["", P1, "lab", "Observation", &h, LOCATION, "false"],
            &[],
        )
        .await;
    assert_ok(&o);
    assert_eq!(json(&o)["record_id"], format!("REC-{}", &o.txid[..32]));
}

#[tokio::test]
async fn add_refusals() {
    let w = World::with_patients().await;
    let h = hash(2, RECORD_CONTENT.as_bytes());
    for (who, caller) in [
        (&w.p.smc_clerk, "clerk of SeoulMedicalCenterMSP"),
        (&w.p.smc_patient, "patient of SeoulMedicalCenterMSP"),
        (&w.p.pharmacist, "pharmacist of PharmacyMSP"),
        (&w.p.nhis_officer, "claims_officer of NHISMSP"),
    ] {
        let o = w.store_content(who, "E1", P1).await;
        assert_denied(
            &o,
            403,
            "forbidden: StoreRecordContent: ",
            "only a doctor or a nurse of a hospital may call it",
        );
        assert!(o.message().contains(caller), "{}", o.message());
        let o = w
            .submit(
                who,
                "AddRecord",
                &["E1", P1, "lab", "Encounter", &h, LOCATION, ""],
                &[],
            )
            .await;
        assert_denied(
            &o,
            403,
            "forbidden: AddRecord: ",
            "only a doctor or a nurse of a hospital may call it",
        );
    }
    let doctor = &w.p.smc_doctor;
    let s = salt(2);
    let content: &[(&str, &[u8])] = &[
        ("record_content", RECORD_CONTENT.as_bytes()),
        ("salt", s.as_bytes()),
    ];
    let other = hash(3, b"other");
    let no_salt: &[(&str, &[u8])] = &[("record_content", RECORD_CONTENT.as_bytes())];
    let binary: &[(&str, &[u8])] = &[("record_content", &[0xff, 0x00]), ("salt", s.as_bytes())];
    // The private phase checks the content.
    let store_cases: Vec<([&str; 3], Transient, &str, &str)> = vec![
        (
            ["E1", P1, "abc"],
            content,
            "bad input: content_hash: ",
            "64 hex digits",
        ),
        (
            ["E1", "P 1", &h],
            content,
            "bad input: patient_id: ",
            "only ASCII",
        ),
        (
            ["E1", P1, &other],
            content,
            "bad input: content_hash: ",
            "does not match the record content",
        ),
        (
            ["E1", P1, &h],
            no_salt,
            "bad input: salt: ",
            "required in the transient map",
        ),
        (
            ["E1", P1, &h],
            binary,
            "bad input: record_content: ",
            "UTF-8",
        ),
        (
            ["E1", P1, &h],
            &[],
            "bad input: record_content: ",
            "required in the transient map",
        ),
    ];
    for (args, transient, prefix, rule) in store_cases {
        let o = w
            .submit(doctor, "StoreRecordContent", &args, transient)
            .await;
        assert_denied(&o, 400, prefix, rule);
    }
    // The public phase checks the metadata, and the stored content by its seal.
    let public_cases: Vec<([&str; 7], Transient, &str, &str)> = vec![
        (
            ["E1", P1, "xray", "Encounter", &h, LOCATION, ""],
            &[],
            "bad input: category: ",
            "unknown variant `xray`",
        ),
        (
            ["E1", P1, "lab", "Patient", &h, LOCATION, ""],
            &[],
            "bad input: resource_type: ",
            "unknown variant `Patient`",
        ),
        (
            ["E1", P1, "lab", "Encounter", "abc", LOCATION, ""],
            &[],
            "bad input: content_hash: ",
            "64 hex digits",
        ),
        (
            ["E1", P1, "lab", "Encounter", &h, "http://emr.example/1", ""],
            &[],
            "bad input: location: ",
            "https:// URL or a urn: URI",
        ),
        (
            [
                "E1",
                P1,
                "lab",
                "Encounter",
                &h,
                "https://emr.example/doc?patient=홍길동",
                "",
            ],
            &[],
            "bad input: location: ",
            "printable ASCII",
        ),
        (
            [
                "E1",
                P1,
                "lab",
                "Encounter",
                &h,
                "https://emr.example/doc?id=1",
                "",
            ],
            &[],
            "bad input: location: ",
            "query string",
        ),
        (
            ["E1", "P 1", "lab", "Encounter", &h, LOCATION, ""],
            &[],
            "bad input: patient_id: ",
            "only ASCII",
        ),
        (
            ["E1", P1, "lab", "Encounter", &h, LOCATION, "maybe"],
            &[],
            "bad input: content_on_ledger: ",
            "",
        ),
        (
            ["E1", P1, "lab", "Encounter", &h, LOCATION, "true"],
            content,
            "bad input: record_content: ",
            "StoreRecordContent",
        ),
    ];
    for (args, transient, prefix, rule) in public_cases {
        let o = w.submit(doctor, "AddRecord", &args, transient).await;
        assert_denied(&o, 400, prefix, rule);
    }
    let add = |id: &'static str, hash: String| {
        let w = &w;
        async move {
            w.submit(
                doctor,
                "AddRecord",
                &[id, P1, "lab", "Encounter", &hash, LOCATION, "true"],
                &[],
            )
            .await
        }
    };
    // Content on the ledger, but nothing stored, or stored with another commitment.
    let o = add("E1", h.clone()).await;
    assert_denied(
        &o,
        404,
        "not found: content of record E1 in SeoulMedicalCenterPHI",
        "StoreRecordContent",
    );
    assert_ok(&w.store_content(doctor, "E1", P1).await);
    let o = add("E1", other.clone()).await;
    assert_denied(&o, 400, "bad input: content_hash: ", "does not match");
    // Stored by Seoul Medical Center: a Myongji doctor's AddRecord finds nothing in Myongji's.
    let o = w
        .submit(
            &w.p.mjh_doctor,
            "AddRecord",
            &["E1", P1, "lab", "Encounter", &h, LOCATION, "true"],
            &[],
        )
        .await;
    assert_denied(&o, 404, "not found: ", "in MyongjiHospitalPHI");

    let o = w.add_record(doctor, "E1", "P-NOBODY", "lab").await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    assert_ok(&w.add_record(doctor, "E1", P1, "lab").await);
    // Both phases refuse a used id.
    let o = w.store_content(doctor, "E1", P1).await;
    assert_denied(&o, 409, "conflict: ", "record E1 already exists");
    let o = add("E1", h.clone()).await;
    assert_denied(&o, 409, "conflict: ", "record E1 already exists");
}

#[tokio::test]
async fn get_is_for_the_record_hospital_and_the_patient() {
    let w = World::with_patients().await;
    assert_ok(&w.add_record(&w.p.smc_doctor, "E1", P1, "encounter").await);
    assert_ok(&w.add_record(&w.p.mjh_doctor, "M1", P1, "diagnosis").await);
    for who in [
        &w.p.smc_doctor,
        &w.p.smc_nurse,
        &w.p.smc_clerk,
        &w.p.smc_auditor,
        &w.p.smc_patient,
    ] {
        let o = w.query(who, "GetRecord", &["E1"]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        let v = json(&o);
        assert_eq!(v["record"]["record_id"], "E1");
        assert_eq!(v["content"]["content"], RECORD_CONTENT);
        assert_eq!(v["content"]["salt"], salt(2));
    }
    // The patient reads Myongji's record, but its content stays in Myongji's collection.
    let o = w.query(&w.p.smc_patient, "GetRecord", &["M1"]).await;
    assert_eq!(o.status(), 200, "{}", o.message());
    assert!(json(&o).get("content").is_none());

    for who in [
        &w.p.mjh_doctor,
        &w.p.nhis_auditor,
        &w.p.mjh_fake_p1,
        &w.p.pharmacist,
    ] {
        let o = w.query(who, "GetRecord", &["E1"]).await;
        assert_denied(
            &o,
            403,
            "forbidden: GetRecord: ",
            "other organisations use AccessRecord",
        );
    }
    let o = w.query(&w.p.smc_doctor, "GetRecord", &["NOPE"]).await;
    assert_denied(&o, 404, "not found: ", "record NOPE");
    let o = w.query(&w.p.smc_doctor, "GetRecord", &[""]).await;
    assert_denied(&o, 400, "bad input: record_id: ", "must not be empty");
}

#[tokio::test]
async fn access_checks_consent_and_logs() {
    let w = World::with_patients().await;
    assert_ok(&w.add_record(&w.p.smc_doctor, "L1", P1, "lab").await);
    assert_ok(&w.add_record(&w.p.smc_doctor, "I1", P1, "imaging").await);
    assert_ok(&w.add_record(&w.p.smc_doctor, "E1", P1, "encounter").await);

    let o = w
        .submit(&w.p.mjh_doctor, "AccessRecord", &["L1", "treatment"], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: AccessRecord: ",
        "no consent in force lets MyongjiHospitalMSP read lab records of patient P-SMC-000001 for treatment",
    );
    assert_ok(
        &w.grant(&w.p.smc_patient, "C1", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    assert_ok(
        &w.grant(
            &w.p.smc_patient,
            "C2",
            P1,
            NHIS,
            "insurance_claim",
            r#"["encounter"]"#,
        )
        .await,
    );

    let o = w
        .submit(&w.p.mjh_doctor, "AccessRecord", &["L1", "treatment"], &[])
        .await;
    assert_ok(&o);
    let loc = json(&o);
    assert_eq!(
        loc,
        json!({"record_id": "L1", "org": SMC, "category": "lab", "resource_type": "Encounter",
               "location": LOCATION, "content_hash": hash(2, RECORD_CONTENT.as_bytes()),
               "access_id": o.txid})
    );
    let log = w
        .state_of("AccessLog", &[P1, "2024-01-01T00:00:00Z", &o.txid])
        .expect("access logged");
    assert_eq!(log["agent"]["msp_id"], MJH);
    assert_eq!(log["agent"]["role"], "doctor");
    assert_eq!(log["purpose"], "treatment");
    assert_eq!(log["consent_id"], "C1");
    assert_eq!(log["record_org"], SMC);
    assert_eq!(
        event(&o),
        (
            "RecordAccessed".to_owned(),
            json!({"id": "L1", "patient_id": P1, "org": MJH})
        )
    );

    // The consent covers lab records only.
    let o = w
        .submit(&w.p.mjh_doctor, "AccessRecord", &["I1", "treatment"], &[])
        .await;
    assert_denied(&o, 403, "forbidden: AccessRecord: ", "read imaging records");
    // The insurer reviews the encounter under its insurance_claim consent.
    assert_ok(
        &w.submit(
            &w.p.nhis_officer,
            "AccessRecord",
            &["E1", "insurance_claim"],
            &[],
        )
        .await,
    );
    // The purpose decides the roles.
    let o = w
        .submit(&w.p.nhis_officer, "AccessRecord", &["L1", "treatment"], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: AccessRecord: ",
        "for treatment, only doctor or nurse or pharmacist",
    );
    let o = w
        .submit(
            &w.p.mjh_doctor,
            "AccessRecord",
            &["E1", "insurance_claim"],
            &[],
        )
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: AccessRecord: ",
        "for insurance_claim, only claims_officer",
    );
    let o = w
        .submit(&w.p.outsider, "AccessRecord", &["L1", "treatment"], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: AccessRecord: ",
        "of a member organisation",
    );
    // The record's own hospital needs no consent (and is logged too).
    let o = w
        .submit(&w.p.smc_nurse, "AccessRecord", &["I1", "treatment"], &[])
        .await;
    assert_ok(&o);
    let log = w
        .state_of("AccessLog", &[P1, "2024-01-01T00:00:00Z", &o.txid])
        .expect("logged");
    assert!(log.get("consent_id").is_none());

    let o = w
        .submit(&w.p.mjh_doctor, "AccessRecord", &["NOPE", "treatment"], &[])
        .await;
    assert_denied(&o, 404, "not found: ", "record NOPE");
    let o = w
        .submit(&w.p.mjh_doctor, "AccessRecord", &["L1", "curiosity"], &[])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: purpose: ",
        "unknown variant `curiosity`",
    );

    // Revoked: refused again.
    assert_ok(
        &w.submit(&w.p.smc_patient, "RevokeConsent", &["C1", ""], &[])
            .await,
    );
    let o = w
        .submit(&w.p.mjh_doctor, "AccessRecord", &["L1", "treatment"], &[])
        .await;
    assert_denied(&o, 403, "forbidden: AccessRecord: ", "no consent in force");
    // Erased: refused as a state conflict.
    assert_ok(&w.submit(&w.p.smc_clerk, "ErasePatient", &[P1], &[]).await);
    let o = w
        .submit(&w.p.smc_nurse, "AccessRecord", &["L1", "treatment"], &[])
        .await;
    assert_denied(&o, 409, "conflict: ", "is erased");
}
