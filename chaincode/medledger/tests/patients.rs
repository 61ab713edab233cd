//! StorePatientDemographics, RegisterPatient, GetPatient, ErasePatient: each allowed case and
//! each refusal.

mod common;

use common::*;
use medledger_model::{PatientDemographics, Salt, commit_json};

#[tokio::test]
async fn registration_stores_demographics_privately_then_the_pseudonym_publicly() {
    let w = World::new();
    let d: PatientDemographics = serde_json::from_str(DEMOGRAPHICS).expect("demographics");
    let expected = commit_json(&Salt::from_bytes([1; 32]), &d).expect("commit");

    // Phase 1: the home hospital's collection only — no public write, no event.
    let o = w
        .store_demographics(&w.p.smc_clerk, P1, DEMOGRAPHICS, 1)
        .await;
    assert_ok(&o);
    assert_eq!(
        json(&o),
        serde_json::json!({"id": P1, "collection": SMC_PHI, "commitment": expected.to_hex()})
    );
    assert_private_only(&o, SMC_PHI);
    assert!(w.state_of("Patient", &[P1]).is_none());
    let private = w
        .private_of(SMC_PHI, "Demographics", &[P1])
        .expect("demographics stored");
    assert_eq!(private["demographics"]["name"]["family"], "홍");
    assert_eq!(private["salt"], salt(1));
    assert!(w.private_of(MJH_PHI, "Demographics", &[P1]).is_none());

    // Phase 2: no transient data; the commitment is checked against the stored seal's hash.
    let o = w
        .submit(
            &w.p.smc_clerk,
            "RegisterPatient",
            &[P1, &expected.to_hex()],
            &[],
        )
        .await;
    assert_ok(&o);
    let patient = json(&o);
    assert_eq!(patient["patient_id"], P1);
    assert_eq!(patient["home_org"], SMC);
    assert_eq!(patient["status"], "active");
    assert_eq!(patient["registered_at"], "2024-01-01T00:00:00Z");
    assert_eq!(patient["registered_by"]["role"], "clerk");
    assert_eq!(patient["demographics_hash"], expected.to_hex());
    assert_eq!(w.state_of("Patient", &[P1]), Some(patient.clone()));
    assert_public_only(&o);
    assert_eq!(
        event(&o),
        (
            "PatientRegistered".to_owned(),
            serde_json::json!({"id": P1, "patient_id": P1, "status": "active"})
        )
    );
    // GetPatient still shows the demographics to the home hospital.
    let o = w.query(&w.p.smc_clerk, "GetPatient", &[P1]).await;
    assert_eq!(json(&o)["demographics"]["birth_date"], "1984-03-15");
}

#[tokio::test]
async fn doctors_of_a_hospital_register_too() {
    let w = World::new();
    w.register(&w.p.mjh_doctor, P2, DEMOGRAPHICS2).await;
    assert!(w.private_of(MJH_PHI, "Demographics", &[P2]).is_some());
    assert_eq!(
        w.state_of("Patient", &[P2]).expect("patient")["home_org"],
        MJH
    );
}

#[tokio::test]
async fn storing_again_before_the_registration_replaces_the_demographics() {
    let w = World::new();
    assert_ok(
        &w.store_demographics(&w.p.smc_clerk, P1, DEMOGRAPHICS, 1)
            .await,
    );
    let o = w
        .store_demographics(&w.p.smc_clerk, P1, DEMOGRAPHICS2, 2)
        .await;
    assert_ok(&o);
    let second = json(&o)["commitment"]
        .as_str()
        .expect("commitment")
        .to_owned();
    // The first commitment no longer matches; the second does.
    let first = {
        let d: PatientDemographics = serde_json::from_str(DEMOGRAPHICS).expect("demographics");
        commit_json(&Salt::from_bytes([1; 32]), &d)
            .expect("commit")
            .to_hex()
    };
    let o = w
        .submit(&w.p.smc_clerk, "RegisterPatient", &[P1, &first], &[])
        .await;
    assert_denied(&o, 400, "bad input: demographics_hash: ", "does not match");
    assert_ok(
        &w.submit(&w.p.smc_clerk, "RegisterPatient", &[P1, &second], &[])
            .await,
    );
}

#[tokio::test]
async fn register_refuses_other_roles_and_organisations() {
    let w = World::new();
    let h = hash(1, b"anything");
    for (function, args) in [
        ("StorePatientDemographics", vec![P1]),
        ("RegisterPatient", vec![P1, h.as_str()]),
    ] {
        let s = salt(1);
        let t: &[(&str, &[u8])] = if function == "RegisterPatient" {
            &[]
        } else {
            &[("patient", DEMOGRAPHICS.as_bytes()), ("salt", s.as_bytes())]
        };
        let rule = format!("{function}: only a clerk or a doctor of a hospital may call it");
        for (who, caller) in [
            (&w.p.smc_nurse, "(caller: nurse of SeoulMedicalCenterMSP)"),
            (
                &w.p.smc_patient,
                "(caller: patient of SeoulMedicalCenterMSP)",
            ),
            (&w.p.pharmacy_clerk, "(caller: clerk of PharmacyMSP)"),
            (&w.p.nhis_officer, "(caller: claims_officer of NHISMSP)"),
            (
                &w.p.smc_admin,
                "(caller: no role, of SeoulMedicalCenterMSP)",
            ),
            (&w.p.outsider, "(caller: doctor of OtherHospitalMSP)"),
        ] {
            let o = w.submit(who, function, &args, t).await;
            assert_denied(&o, 403, "forbidden: ", &rule);
            assert!(o.message().ends_with(caller), "{}", o.message());
        }
    }
}

#[tokio::test]
async fn register_refuses_a_missing_or_different_commitment_and_any_phi() {
    let w = World::new();
    let clerk = &w.p.smc_clerk;
    let h = hash(1, b"anything");
    // Nothing stored yet.
    let o = w.submit(clerk, "RegisterPatient", &[P1, &h], &[]).await;
    assert_denied(
        &o,
        404,
        "not found: demographics of patient P-SMC-000001 in SeoulMedicalCenterPHI",
        "StorePatientDemographics",
    );
    assert_ok(&w.store_demographics(clerk, P1, DEMOGRAPHICS, 1).await);
    // Stored, but the commitment differs.
    let o = w.submit(clerk, "RegisterPatient", &[P1, &h], &[]).await;
    assert_denied(&o, 400, "bad input: demographics_hash: ", "does not match");
    // Stored by Seoul Medical Center: Myongji's clerk finds nothing in its own collection.
    let good = json(&w.store_demographics(clerk, P1, DEMOGRAPHICS, 1).await)["commitment"]
        .as_str()
        .expect("commitment")
        .to_owned();
    let o = w
        .submit(&w.p.mjh_clerk, "RegisterPatient", &[P1, &good], &[])
        .await;
    assert_denied(&o, 404, "not found: ", "in MyongjiHospitalPHI");
    // Malformed commitment, wrong argument count.
    let o = w.submit(clerk, "RegisterPatient", &[P1, "abc"], &[]).await;
    assert_denied(&o, 400, "bad input: demographics_hash: ", "64 hex digits");
    let o = w.submit(clerk, "RegisterPatient", &[P1], &[]).await;
    assert_denied(&o, 400, "bad input: arguments: ", "takes 2 arguments");
    // PHI in the public phase is refused (an old client would hand it to a non-member).
    let s = salt(1);
    let o = w
        .submit(
            clerk,
            "RegisterPatient",
            &[P1, &good],
            &[("patient", DEMOGRAPHICS.as_bytes()), ("salt", s.as_bytes())],
        )
        .await;
    assert_denied(&o, 400, "bad input: patient: ", "StorePatientDemographics");
    assert_ok(&w.submit(clerk, "RegisterPatient", &[P1, &good], &[]).await);
}

#[tokio::test]
async fn store_demographics_refuses_bad_input_naming_the_field() {
    let w = World::new();
    let s = salt(1);
    let good: &[(&str, &[u8])] = &[("patient", DEMOGRAPHICS.as_bytes()), ("salt", s.as_bytes())];
    let clerk = &w.p.smc_clerk;

    let o = w
        .submit(clerk, "StorePatientDemographics", &["840315-1234567"], good)
        .await;
    assert_denied(
        &o,
        400,
        "bad input: patient_id: ",
        "resident registration number",
    );
    let o = w
        .submit(clerk, "StorePatientDemographics", &["홍길동"], good)
        .await;
    assert_denied(&o, 400, "bad input: patient_id: ", "only ASCII letters");
    let o = w
        .submit(clerk, "StorePatientDemographics", &[""], good)
        .await;
    assert_denied(&o, 400, "bad input: patient_id: ", "must not be empty");

    let o = w
        .submit(
            clerk,
            "StorePatientDemographics",
            &[P1],
            &[("salt", s.as_bytes())],
        )
        .await;
    assert_denied(
        &o,
        400,
        "bad input: patient: ",
        "required in the transient map",
    );
    let o = w
        .submit(
            clerk,
            "StorePatientDemographics",
            &[P1],
            &[("patient", DEMOGRAPHICS.as_bytes())],
        )
        .await;
    assert_denied(
        &o,
        400,
        "bad input: salt: ",
        "required in the transient map",
    );
    let o = w
        .submit(
            clerk,
            "StorePatientDemographics",
            &[P1],
            &[("patient", DEMOGRAPHICS.as_bytes()), ("salt", b"abc")],
        )
        .await;
    assert_denied(&o, 400, "bad input: salt: ", "64 hex digits");

    let bad_date = DEMOGRAPHICS.replace("1984-03-15", "1984-02-30");
    let o = w
        .submit(
            clerk,
            "StorePatientDemographics",
            &[P1],
            &[("patient", bad_date.as_bytes()), ("salt", s.as_bytes())],
        )
        .await;
    assert_denied(&o, 400, "bad input: patient.birth_date: ", "YYYY-MM-DD");
    let with_rrn = DEMOGRAPHICS.replace("\"gender\"", "\"rrn\":\"840315-1234567\",\"gender\"");
    let o = w
        .submit(
            clerk,
            "StorePatientDemographics",
            &[P1],
            &[("patient", with_rrn.as_bytes()), ("salt", s.as_bytes())],
        )
        .await;
    assert_denied(&o, 400, "bad input: patient.rrn: ", "unknown field `rrn`");
    let no_given = DEMOGRAPHICS.replace("[\"길동\"]", "[]");
    let o = w
        .submit(
            clerk,
            "StorePatientDemographics",
            &[P1],
            &[("patient", no_given.as_bytes()), ("salt", s.as_bytes())],
        )
        .await;
    assert_denied(
        &o,
        400,
        "bad input: patient.name.given: ",
        "1 to 5 given names",
    );
    let bad_phone = DEMOGRAPHICS.replace("010-1234-5678", "call me");
    let o = w
        .submit(
            clerk,
            "StorePatientDemographics",
            &[P1],
            &[("patient", bad_phone.as_bytes()), ("salt", s.as_bytes())],
        )
        .await;
    assert_denied(&o, 400, "bad input: patient.telecom: ", "phone number");
}

#[tokio::test]
async fn register_twice_is_a_conflict() {
    let w = World::with_patients().await;
    // Neither phase accepts a registered id (nothing is stored over the home's data).
    let o = w
        .store_demographics(&w.p.mjh_clerk, P1, DEMOGRAPHICS2, 9)
        .await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "patient P-SMC-000001 is already registered",
    );
    let h = w.state_of("Patient", &[P1]).expect("patient")["demographics_hash"]
        .as_str()
        .expect("hash")
        .to_owned();
    let o = w
        .submit(&w.p.smc_clerk, "RegisterPatient", &[P1, &h], &[])
        .await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "patient P-SMC-000001 is already registered",
    );
}

#[tokio::test]
async fn get_shows_demographics_only_to_the_patient_and_the_home_hospital() {
    let w = World::with_patients().await;
    for who in [
        &w.p.smc_clerk,
        &w.p.smc_doctor,
        &w.p.smc_nurse,
        &w.p.smc_patient,
    ] {
        let o = w.query(who, "GetPatient", &[P1]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        let v = json(&o);
        assert_eq!(v["patient"]["patient_id"], P1);
        assert_eq!(v["demographics"]["birth_date"], "1984-03-15");
    }
    // Everyone else with a medical role sees the pseudonymous record only.
    for who in [
        &w.p.mjh_doctor,
        &w.p.nhis_officer,
        &w.p.pharmacist,
        &w.p.smc_auditor,
        &w.p.mjh_fake_p1,
        &w.p.mjh_patient,
    ] {
        let o = w.query(who, "GetPatient", &[P1]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        let v = json(&o);
        assert_eq!(v["patient"]["status"], "active");
        assert!(v.get("demographics").is_none(), "{v}");
    }
}

#[tokio::test]
async fn get_refusals() {
    let w = World::with_patients().await;
    let o = w.query(&w.p.smc_admin, "GetPatient", &[P1]).await;
    assert_denied(&o, 403, "forbidden: GetPatient: ", "with a medical role");
    let o = w.query(&w.p.outsider, "GetPatient", &[P1]).await;
    assert_denied(
        &o,
        403,
        "forbidden: GetPatient: ",
        "members of the consortium",
    );
    let o = w.query(&w.p.smc_clerk, "GetPatient", &["P-NOBODY"]).await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    let o = w.query(&w.p.smc_clerk, "GetPatient", &["a b"]).await;
    assert_denied(&o, 400, "bad input: patient_id: ", "only ASCII");
}

#[tokio::test]
async fn erase_purges_every_collection_the_home_hospital_writes() {
    let w = World::ready_for_claims().await;
    assert_ok(&w.issue(&w.p.smc_doctor, "RX1", P1, "").await);
    assert_ok(&w.submit_claim(&w.p.smc_clerk, "CL1", P1, r#"["E1"]"#).await);
    assert_ok(&w.adjudicate("CL1", "approved", APPROVED).await);
    assert_ok(&w.pay("CL1").await);
    // A paper consent recorded by the home hospital's clerk.
    let (o, h) = w
        .store_form(&w.p.smc_clerk, "C-PAPER", P1, "grant", 6)
        .await;
    assert_ok(&o);
    let o = w
        .submit(
            &w.p.smc_clerk,
            "GrantConsent",
            &[
                "C-PAPER",
                P1,
                MJH,
                "treatment",
                r#"["lab"]"#,
                PERIOD_2024,
                &h,
            ],
            &[],
        )
        .await;
    assert_ok(&o);

    let o = w.submit(&w.p.smc_clerk, "ErasePatient", &[P1], &[]).await;
    assert_ok(&o);
    let receipt = json(&o);
    assert_eq!(receipt["patient_id"], P1);
    assert_eq!(receipt["org"], SMC);
    assert_eq!(receipt["txid"], o.txid.as_str());
    assert_eq!(
        receipt["purged"],
        // Each PHI value with its seal: demographics, E1's content, the paper form.
        serde_json::json!({SMC_PHI: 6, RX: 1, SMC_NHIS: 3})
    );
    assert_eq!(w.state_of("ErasureReceipt", &[P1]), Some(receipt));
    assert_eq!(
        w.state_of("Patient", &[P1]).expect("patient")["status"],
        "erased"
    );
    for (coll, t, id) in [
        (SMC_PHI, "Demographics", vec![P1]),
        (SMC_PHI, "RecordContent", vec!["E1"]),
        (SMC_PHI, "ConsentDocument", vec!["C-PAPER", "grant"]),
        (SMC_PHI, "PhiSeal", vec!["Demographics", P1]),
        (SMC_PHI, "PhiSeal", vec!["RecordContent", "E1"]),
        (
            SMC_PHI,
            "PhiSeal",
            vec!["ConsentDocument", "C-PAPER", "grant"],
        ),
        (RX, "PrescriptionContent", vec!["RX1"]),
        (SMC_NHIS, "ClaimDetails", vec!["CL1"]),
        (SMC_NHIS, "ClaimResponse", vec!["CL1"]),
        (SMC_NHIS, "ClaimPayment", vec!["CL1"]),
    ] {
        assert!(
            w.private_of(coll, t, &id).is_none(),
            "{coll} {t} {id:?} survived"
        );
        let key = fabric_sdk::tx::composite_key::create_composite_key(t, &id).expect("key");
        assert!(
            w.ledger.private_data_hash(coll, &key).is_none(),
            "the hash of {t} survived"
        );
    }
    assert_eq!(
        event(&o),
        (
            "PatientErased".to_owned(),
            serde_json::json!({"id": P1, "patient_id": P1, "status": "erased"})
        )
    );
    // Nothing new is accepted for an erased patient; the public record stays readable.
    let o = w.add_record(&w.p.smc_doctor, "E2", P1, "lab").await;
    assert_denied(&o, 409, "conflict: ", "patient P-SMC-000001 is erased");
    let o = w.query(&w.p.smc_clerk, "GetPatient", &[P1]).await;
    assert!(json(&o).get("demographics").is_none());
}

#[tokio::test]
async fn erase_refusals() {
    let w = World::with_patients().await;
    let o = w.submit(&w.p.smc_doctor, "ErasePatient", &[P1], &[]).await;
    assert_denied(
        &o,
        403,
        "forbidden: ErasePatient: ",
        "only a clerk of a hospital",
    );
    let o = w.submit(&w.p.smc_patient, "ErasePatient", &[P1], &[]).await;
    assert_denied(
        &o,
        403,
        "forbidden: ErasePatient: ",
        "only a clerk of a hospital",
    );
    let o = w.submit(&w.p.mjh_clerk, "ErasePatient", &[P1], &[]).await;
    assert_denied(
        &o,
        403,
        "forbidden: ErasePatient: ",
        "only the patient's home hospital (SeoulMedicalCenterMSP) may erase them",
    );
    let o = w
        .submit(&w.p.smc_clerk, "ErasePatient", &["P-NOBODY"], &[])
        .await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    let o = w.submit(&w.p.smc_clerk, "ErasePatient", &["-x"], &[]).await;
    assert_denied(
        &o,
        400,
        "bad input: patient_id: ",
        "starting with a letter or digit",
    );
    assert_ok(&w.submit(&w.p.smc_clerk, "ErasePatient", &[P1], &[]).await);
    let o = w.submit(&w.p.smc_clerk, "ErasePatient", &[P1], &[]).await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "patient P-SMC-000001 is already erased",
    );
}
