//! StoreConsentForm, GrantConsent, RevokeConsent, ListConsents, CheckConsent: each allowed case
//! and each refusal.

mod common;

use common::*;
use fabric_chaincode::testing::TxValidationCode;
use serde_json::json;

fn doc(n: u8) -> String {
    format!(
        r#"{{"document_hash":"{}","salt":"{}"}}"#,
        hash(n, b"signed form"),
        salt(n)
    )
}

#[tokio::test]
async fn the_patient_grants_their_own_consent() {
    let w = World::with_patients().await;
    let o = w
        .grant(
            &w.p.smc_patient,
            "C1",
            P1,
            MJH,
            "treatment",
            r#"["lab","diagnosis","lab"]"#,
        )
        .await;
    // A duplicate scope is refused first.
    assert_denied(&o, 400, "bad input: scopes[2]: ", "duplicate entry");
    let o = w
        .grant(
            &w.p.smc_patient,
            "C1",
            P1,
            MJH,
            "treatment",
            r#"["lab","diagnosis"]"#,
        )
        .await;
    assert_ok(&o);
    let c = json(&o);
    assert_eq!(c["consent_id"], "C1");
    assert_eq!(c["grantee"], MJH);
    assert_eq!(c["purpose"], "treatment");
    assert_eq!(c["scopes"], json!(["diagnosis", "lab"]), "sorted");
    assert_eq!(
        c["period"],
        json!({"start": "2024-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"})
    );
    assert_eq!(c["status"], "active");
    assert_eq!(
        c["recorded_by"],
        json!({"msp_id": SMC, "role": "patient", "id": P1})
    );
    assert!(c.get("document_org").is_none());
    assert_eq!(w.state_of("Consent", &["C1"]), Some(c));
    assert!(
        w.ledger
            .state(
                &fabric_sdk::tx::composite_key::create_composite_key(
                    "ConsentByPatient",
                    &[P1, "C1"]
                )
                .expect("key")
            )
            .is_some()
    );
    assert_eq!(
        event(&o),
        (
            "ConsentGranted".to_owned(),
            json!({"id": "C1", "patient_id": P1, "status": "active", "org": MJH})
        )
    );
    // Without an id, the id comes from the transaction id.
    let o = w
        .grant(
            &w.p.smc_patient,
            "",
            P1,
            NHIS,
            "insurance_claim",
            r#"["encounter"]"#,
        )
        .await;
    assert_ok(&o);
    assert_eq!(json(&o)["consent_id"], format!("CON-{}", &o.txid[..32]));
}

#[tokio::test]
async fn a_clerk_records_a_paper_consent_with_its_hash() {
    let w = World::with_patients().await;
    // Phase 1: the form's salted hash goes to the clerk's hospital's PHI collection only.
    let (o, h) = w.store_form(&w.p.smc_clerk, "C1", P1, "grant", 7).await;
    assert_ok(&o);
    assert_private_only(&o, SMC_PHI);
    assert_eq!(
        json(&o),
        json!({"id": "C1", "collection": SMC_PHI, "commitment": h})
    );
    assert!(w.state_of("Consent", &["C1"]).is_none());
    let stored = w
        .private_of(SMC_PHI, "ConsentDocument", &["C1", "grant"])
        .expect("stored");
    assert_eq!(stored["document_hash"], hash(7, b"form"));
    // Phase 2: public, naming the form's commitment.
    let args = ["C1", P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024, &h];
    let o = w.submit(&w.p.smc_clerk, "GrantConsent", &args, &[]).await;
    assert_ok(&o);
    assert_public_only(&o);
    assert_eq!(json(&o)["document_org"], SMC);
    assert_eq!(json(&o)["recorded_by"]["role"], "clerk");
    // Another hospital's clerk (here the grantee's) records it in its own collection; an
    // empty id is derived by the private phase and taken by the public one.
    let (o, h) = w.store_form(&w.p.mjh_clerk, "", P1, "grant", 8).await;
    assert_ok(&o);
    let id = format!("CON-{}", &o.txid[..32]);
    assert_eq!(json(&o)["id"], id.as_str());
    let args = [
        id.as_str(),
        P1,
        MJH,
        "research",
        r#"["lab"]"#,
        PERIOD_2024,
        &h,
    ];
    let o = w.submit(&w.p.mjh_clerk, "GrantConsent", &args, &[]).await;
    assert_ok(&o);
    assert_eq!(json(&o)["document_org"], MJH);
    assert!(
        w.private_of(MJH_PHI, "ConsentDocument", &[&id, "grant"])
            .is_some()
    );
    // A clerk without the form's commitment is refused, whatever the consent's state.
    let args = ["C1", P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024, ""];
    let o = w.submit(&w.p.smc_clerk, "GrantConsent", &args, &[]).await;
    assert_denied(&o, 400, "bad input: document_hash: ", "StoreConsentForm");
    // A form not stored, stored with another hash, malformed, or sent as PHI.
    let other = hash(9, b"other form");
    let args = [
        "C3",
        P1,
        MJH,
        "treatment",
        r#"["lab"]"#,
        PERIOD_2024,
        &other,
    ];
    let o = w.submit(&w.p.smc_clerk, "GrantConsent", &args, &[]).await;
    assert_denied(
        &o,
        404,
        "not found: grant form of consent C3 in SeoulMedicalCenterPHI",
        "StoreConsentForm",
    );
    assert_ok(&w.store_form(&w.p.smc_clerk, "C3", P1, "grant", 3).await.0);
    let o = w.submit(&w.p.smc_clerk, "GrantConsent", &args, &[]).await;
    assert_denied(&o, 400, "bad input: document_hash: ", "does not match");
    let args = ["C3", P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024, "xyz"];
    let o = w.submit(&w.p.smc_clerk, "GrantConsent", &args, &[]).await;
    assert_denied(&o, 400, "bad input: document_hash: ", "64 hex digits");
    let d = doc(3);
    let args = ["C3", P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024, ""];
    let o = w
        .submit(
            &w.p.smc_clerk,
            "GrantConsent",
            &args,
            &[("consent_document", d.as_bytes())],
        )
        .await;
    assert_denied(&o, 400, "bad input: consent_document: ", "StoreConsentForm");
}

#[tokio::test]
async fn store_form_refusals() {
    let w = World::with_patients().await;
    let clerk = &w.p.smc_clerk;
    let (o, _) = w.store_form(&w.p.smc_doctor, "C1", P1, "grant", 1).await;
    assert_denied(
        &o,
        403,
        "forbidden: StoreConsentForm: ",
        "only a patient or a clerk may call it",
    );
    let (o, _) = w.store_form(&w.p.mjh_patient, "C1", P1, "grant", 1).await;
    assert_denied(&o, 403, "forbidden: StoreConsentForm: ", "only the patient");
    let (o, _) = w.store_form(clerk, "C1", P1, "approval", 1).await;
    assert_denied(
        &o,
        400,
        "bad input: form: ",
        "expected `grant` or `revocation`",
    );
    let (o, _) = w.store_form(clerk, "", P1, "revocation", 1).await;
    assert_denied(&o, 400, "bad input: consent_id: ", "must not be empty");
    let o = w
        .submit(clerk, "StoreConsentForm", &["C1", P1, "grant"], &[])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: consent_document: ",
        "required in the transient map",
    );
    let bad = r#"{"document_hash":"xyz","salt":"00"}"#;
    let o = w
        .submit(
            clerk,
            "StoreConsentForm",
            &["C1", P1, "grant"],
            &[("consent_document", bad.as_bytes())],
        )
        .await;
    assert_denied(
        &o,
        400,
        "bad input: consent_document.document_hash: ",
        "64 hex digits",
    );
    let (o, _) = w.store_form(clerk, "C1", "P-NOBODY", "grant", 1).await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    let (o, _) = w.store_form(clerk, "C9", P1, "revocation", 1).await;
    assert_denied(&o, 404, "not found: ", "consent C9");
    assert_ok(
        &w.grant(&w.p.smc_patient, "C1", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    let (o, _) = w.store_form(clerk, "C1", P1, "grant", 1).await;
    assert_denied(&o, 409, "conflict: ", "consent C1 already exists");
    let (o, _) = w.store_form(clerk, "C1", P2, "revocation", 1).await;
    assert_denied(
        &o,
        400,
        "bad input: patient_id: ",
        "not a consent of patient",
    );
    assert_ok(
        &w.submit(&w.p.smc_patient, "RevokeConsent", &["C1", ""], &[])
            .await,
    );
    let (o, _) = w.store_form(clerk, "C1", P1, "revocation", 1).await;
    assert_denied(&o, 409, "conflict: ", "consent C1 is already revoked");
    assert_ok(&w.submit(clerk, "ErasePatient", &[P1], &[]).await);
    let (o, _) = w.store_form(clerk, "C2", P1, "grant", 1).await;
    assert_denied(&o, 409, "conflict: ", "is erased");
}

#[tokio::test]
async fn grant_refusals() {
    let w = World::with_patients().await;
    let args = ["C1", P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024, ""];
    let o = w.submit(&w.p.smc_doctor, "GrantConsent", &args, &[]).await;
    assert_denied(
        &o,
        403,
        "forbidden: GrantConsent: ",
        "only a patient or a clerk may call it",
    );
    let h = hash(1, b"signed form");
    let with_form = ["C1", P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024, &h];
    let o = w
        .submit(&w.p.pharmacy_clerk, "GrantConsent", &with_form, &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: GrantConsent: ",
        "a hospital clerk recording a signed form",
    );
    let (o, _) = w
        .store_form(&w.p.pharmacy_clerk, "C1", P1, "grant", 1)
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: StoreConsentForm: ",
        "a hospital clerk recording a signed form",
    );
    // A patient identity issued by another hospital, or another patient, cannot consent for P1.
    for who in [&w.p.mjh_fake_p1, &w.p.mjh_patient] {
        let o = w.submit(who, "GrantConsent", &args, &[]).await;
        assert_denied(
            &o,
            403,
            "forbidden: GrantConsent: ",
            "only the patient (an identity of the home hospital with a matching patient_id)",
        );
    }
}

#[tokio::test]
async fn grant_refuses_bad_input_naming_the_field() {
    let w = World::with_patients().await;
    let p = &w.p.smc_patient;
    let cases: &[([&str; 6], &str, &str)] = &[
        (
            [
                "C1",
                P1,
                "NoSuchMSP",
                "treatment",
                r#"["lab"]"#,
                PERIOD_2024,
            ],
            "bad input: grantee: ",
            "not an organisation of the consortium",
        ),
        (
            ["C1", P1, MJH, "insurance_claim", r#"["lab"]"#, PERIOD_2024],
            "bad input: grantee: ",
            "cannot receive a consent for insurance_claim",
        ),
        (
            ["C1", P1, PHARMACY, "research", r#"["lab"]"#, PERIOD_2024],
            "bad input: grantee: ",
            "cannot receive a consent for research",
        ),
        (
            ["C1", P1, MJH, "marketing", r#"["lab"]"#, PERIOD_2024],
            "bad input: purpose: ",
            "unknown variant `marketing`",
        ),
        (
            ["C1", P1, MJH, "treatment", "[]", PERIOD_2024],
            "bad input: scopes: ",
            "must not be empty",
        ),
        (
            ["C1", P1, MJH, "treatment", r#"["lab","xray"]"#, PERIOD_2024],
            "bad input: scopes[1]: ",
            "unknown variant `xray`",
        ),
        (
            ["C1", P1, MJH, "treatment", "lab", PERIOD_2024],
            "bad input: scopes: ",
            "invalid type",
        ),
        (
            [
                "C1",
                P1,
                MJH,
                "treatment",
                r#"["lab"]"#,
                r#"{"start":"2024-02-01T00:00:00Z","end":"2024-01-01T00:00:00Z"}"#,
            ],
            "bad input: period.end: ",
            "must be after start",
        ),
        (
            [
                "C1",
                P1,
                MJH,
                "treatment",
                r#"["lab"]"#,
                r#"{"start":"2024-02-01"}"#,
            ],
            "bad input: period.start: ",
            "YYYY-MM-DDTHH:MM:SSZ",
        ),
        (
            ["C 1", P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024],
            "bad input: consent_id: ",
            "only ASCII",
        ),
    ];
    for (args, prefix, rule) in cases {
        let mut args = args.to_vec();
        args.push("");
        let o = w.submit(p, "GrantConsent", &args, &[]).await;
        assert_denied(&o, 400, prefix, rule);
    }
}

#[tokio::test]
async fn grant_state_refusals() {
    let w = World::with_patients().await;
    let o = w
        .grant(
            &w.p.smc_patient,
            "C1",
            "P-NOBODY",
            MJH,
            "treatment",
            r#"["lab"]"#,
        )
        .await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    assert_ok(
        &w.grant(&w.p.smc_patient, "C1", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    let o = w
        .grant(&w.p.smc_patient, "C1", P1, MJH, "treatment", r#"["lab"]"#)
        .await;
    assert_denied(&o, 409, "conflict: ", "consent C1 already exists");
    assert_ok(&w.submit(&w.p.smc_clerk, "ErasePatient", &[P1], &[]).await);
    let o = w
        .grant(&w.p.smc_patient, "C2", P1, MJH, "treatment", r#"["lab"]"#)
        .await;
    assert_denied(&o, 409, "conflict: ", "is erased");
}

#[tokio::test]
async fn revoke_by_the_patient_or_a_clerk_with_the_form() {
    let w = World::with_patients().await;
    assert_ok(
        &w.grant(&w.p.smc_patient, "C1", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    assert_ok(
        &w.grant(&w.p.smc_patient, "C2", P1, MJH, "research", r#"["lab"]"#)
            .await,
    );

    let o = w
        .submit(&w.p.smc_doctor, "RevokeConsent", &["C1", ""], &[])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: RevokeConsent: ",
        "only a patient or a clerk may call it",
    );
    let o = w
        .submit(&w.p.mjh_patient, "RevokeConsent", &["C1", ""], &[])
        .await;
    assert_denied(&o, 403, "forbidden: RevokeConsent: ", "only the patient");
    let o = w
        .submit(&w.p.smc_clerk, "RevokeConsent", &["C1", ""], &[])
        .await;
    assert_denied(&o, 400, "bad input: document_hash: ", "StoreConsentForm");
    let o = w
        .submit(&w.p.smc_patient, "RevokeConsent", &["C9", ""], &[])
        .await;
    assert_denied(&o, 404, "not found: ", "consent C9");
    let o = w
        .submit(&w.p.smc_patient, "RevokeConsent", &["", ""], &[])
        .await;
    assert_denied(&o, 400, "bad input: consent_id: ", "must not be empty");

    let o = w
        .submit(&w.p.smc_patient, "RevokeConsent", &["C1", ""], &[])
        .await;
    assert_ok(&o);
    let c = json(&o);
    assert_eq!(c["status"], "revoked");
    assert_eq!(c["revoked_at"], "2024-01-01T00:00:00Z");
    assert_eq!(c["revoked_by"]["id"], P1);
    assert_eq!(w.state_of("Consent", &["C1"]), Some(c));
    assert_eq!(
        event(&o),
        (
            "ConsentRevoked".to_owned(),
            json!({"id": "C1", "patient_id": P1, "status": "revoked", "org": MJH})
        )
    );
    let o = w
        .submit(&w.p.smc_patient, "RevokeConsent", &["C1", ""], &[])
        .await;
    assert_denied(&o, 409, "conflict: ", "consent C1 is already revoked");

    let (o, h) = w
        .store_form(&w.p.smc_clerk, "C2", "", "revocation", 8)
        .await;
    assert_ok(&o);
    assert_private_only(&o, SMC_PHI);
    assert_eq!(
        w.state_of("Consent", &["C2"]).expect("consent")["status"],
        "active"
    );
    let o = w
        .submit(&w.p.smc_clerk, "RevokeConsent", &["C2", &h], &[])
        .await;
    assert_ok(&o);
    assert_public_only(&o);
    assert_eq!(json(&o)["revocation_document_org"], SMC);
    assert!(
        w.private_of(SMC_PHI, "ConsentDocument", &["C2", "revocation"])
            .is_some()
    );
}

#[tokio::test]
async fn list_shows_each_reader_what_it_may_see() {
    let w = World::with_patients().await;
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
    let ids = |o: &fabric_chaincode::testing::TxOutcome| -> Vec<String> {
        assert_eq!(o.status(), 200, "{}", o.message());
        json(o)
            .as_array()
            .expect("a list")
            .iter()
            .map(|c| c["consent_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    for who in [
        &w.p.smc_patient,
        &w.p.smc_clerk,
        &w.p.smc_nurse,
        &w.p.nhis_auditor,
    ] {
        assert_eq!(
            ids(&w.query(who, "ListConsents", &[P1]).await),
            ["C1", "C2"]
        );
    }
    assert_eq!(
        ids(&w.query(&w.p.mjh_doctor, "ListConsents", &[P1]).await),
        ["C1"]
    );
    assert_eq!(
        ids(&w.query(&w.p.nhis_officer, "ListConsents", &[P1]).await),
        ["C2"]
    );
    assert!(ids(&w.query(&w.p.pharmacist, "ListConsents", &[P1]).await).is_empty());
    let o = w.query(&w.p.smc_admin, "ListConsents", &[P1]).await;
    assert_denied(&o, 403, "forbidden: ListConsents: ", "with a medical role");
    let o = w.query(&w.p.smc_clerk, "ListConsents", &["P-NOBODY"]).await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    let o = w.query(&w.p.smc_clerk, "ListConsents", &["P 1"]).await;
    assert_denied(&o, 400, "bad input: patient_id: ", "only ASCII");
}

#[tokio::test]
async fn check_answers_for_now_and_for_the_scope() {
    let w = World::with_patients().await;
    assert_ok(
        &w.grant(&w.p.smc_patient, "C1", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    let check = |category: &'static str| {
        let w = &w;
        async move {
            let o = w
                .query(
                    &w.p.mjh_doctor,
                    "CheckConsent",
                    &[P1, MJH, "treatment", category],
                )
                .await;
            assert_eq!(o.status(), 200, "{}", o.message());
            json(&o)
        }
    };
    assert_eq!(
        check("lab").await,
        json!({"granted": true, "consent_id": "C1"})
    );
    assert_eq!(
        check("").await,
        json!({"granted": true, "consent_id": "C1"})
    );
    assert_eq!(check("imaging").await, json!({"granted": false}));
    // Outside the period.
    w.ledger.set_time(T0 + 400 * DAY, 0);
    assert_eq!(check("lab").await, json!({"granted": false}));
    w.ledger.set_time(T0, 0);
    // The patient, home staff and auditors may ask too; others may not.
    for who in [&w.p.smc_patient, &w.p.smc_clerk, &w.p.nhis_auditor] {
        let o = w
            .query(who, "CheckConsent", &[P1, MJH, "treatment", "lab"])
            .await;
        assert_eq!(json(&o)["granted"], true);
    }
    let o = w
        .query(
            &w.p.pharmacist,
            "CheckConsent",
            &[P1, MJH, "treatment", "lab"],
        )
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: CheckConsent: ",
        "only the grantee organisation",
    );
    let o = w
        .query(
            &w.p.mjh_doctor,
            "CheckConsent",
            &[P1, MJH, "treatment", "xray"],
        )
        .await;
    assert_denied(&o, 400, "bad input: category: ", "unknown variant `xray`");
    let o = w
        .query(&w.p.mjh_doctor, "CheckConsent", &[P1, MJH, "care", "lab"])
        .await;
    assert_denied(&o, 400, "bad input: purpose: ", "unknown variant `care`");
    // Revoked: no longer granted.
    assert_ok(
        &w.submit(&w.p.smc_patient, "RevokeConsent", &["C1", ""], &[])
            .await,
    );
    assert_eq!(check("lab").await, json!({"granted": false}));
    // Erased: nothing is granted any more.
    assert_ok(
        &w.grant(&w.p.smc_patient, "C2", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    assert_eq!(
        check("lab").await,
        json!({"granted": true, "consent_id": "C2"})
    );
    assert_ok(&w.submit(&w.p.smc_clerk, "ErasePatient", &[P1], &[]).await);
    assert_eq!(check("lab").await, json!({"granted": false}));
}

#[tokio::test]
async fn a_grant_takes_effect_from_the_next_block() {
    let w = World::with_patients().await;
    assert_ok(&w.add_record(&w.p.smc_doctor, "L1", P1, "lab").await);
    // Granted and used on the same committed state: the access does not see the grant.
    let grant = w
        .ledger
        .tx(&w.p.smc_patient)
        .function("GrantConsent")
        .args(["C1", P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024, ""])
        .simulate(w.cc)
        .await
        .expect("runs");
    let access = w
        .ledger
        .tx(&w.p.mjh_doctor)
        .function("AccessRecord")
        .args(["L1", "treatment"])
        .simulate(w.cc)
        .await
        .expect("runs");
    assert_denied(
        &access,
        403,
        "forbidden: AccessRecord: ",
        "no consent in force",
    );
    assert_eq!(
        w.ledger.commit_block([&grant]).expect("commits"),
        [TxValidationCode::Valid]
    );
    assert_ok(
        &w.submit(&w.p.mjh_doctor, "AccessRecord", &["L1", "treatment"], &[])
            .await,
    );

    // An access endorsed before a revocation, ordered after it in the same block, is invalid.
    let access = w
        .ledger
        .tx(&w.p.mjh_doctor)
        .function("AccessRecord")
        .args(["L1", "treatment"])
        .simulate(w.cc)
        .await
        .expect("runs");
    assert_eq!(access.status(), 200);
    let revoke = w
        .ledger
        .tx(&w.p.smc_patient)
        .function("RevokeConsent")
        .args(["C1", ""])
        .simulate(w.cc)
        .await
        .expect("runs");
    assert_eq!(
        w.ledger.commit_block([&revoke, &access]).expect("commits"),
        [TxValidationCode::Valid, TxValidationCode::MvccReadConflict]
    );
}

#[tokio::test]
async fn a_check_reads_the_active_consents_of_the_grantee_and_purpose_only() {
    let w = World::with_patients().await;
    for id in ["C1", "C2"] {
        assert_ok(
            &w.grant(
                &w.p.smc_patient,
                id,
                P1,
                NHIS,
                "insurance_claim",
                r#"["encounter"]"#,
            )
            .await,
        );
    }
    assert_ok(
        &w.grant(&w.p.smc_patient, "C3", P1, MJH, "treatment", r#"["lab"]"#)
            .await,
    );
    let active = |grantee: &str, purpose: &str| -> Vec<String> {
        w.state_of("ActiveConsents", &[P1, grantee, purpose])
            .map(|v| {
                v.as_array()
                    .expect("a list")
                    .iter()
                    .map(|c| c["consent_id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(active(NHIS, "insurance_claim"), ["C1", "C2"]);
    assert_eq!(active(MJH, "treatment"), ["C3"]);
    let check = || async {
        let o = w
            .query(
                &w.p.nhis_officer,
                "CheckConsent",
                &[P1, NHIS, "insurance_claim", ""],
            )
            .await;
        assert_eq!(o.status(), 200, "{}", o.message());
        json(&o)["consent_id"].as_str().map(str::to_owned)
    };
    assert_eq!(check().await.as_deref(), Some("C1"));

    // Revoking one leaves the other in force; revoking both leaves no key behind.
    assert_ok(
        &w.submit(&w.p.smc_patient, "RevokeConsent", &["C1", ""], &[])
            .await,
    );
    assert_eq!(active(NHIS, "insurance_claim"), ["C2"]);
    assert_eq!(check().await.as_deref(), Some("C2"));
    assert_ok(
        &w.submit(&w.p.smc_patient, "RevokeConsent", &["C2", ""], &[])
            .await,
    );
    assert!(
        w.state_of("ActiveConsents", &[P1, NHIS, "insurance_claim"])
            .is_none()
    );
    assert_eq!(check().await, None);
    assert_eq!(
        active(MJH, "treatment"),
        ["C3"],
        "other grantees keep theirs"
    );
}
