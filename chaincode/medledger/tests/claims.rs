//! SubmitClaim, AdjudicateClaim, PayClaim, GetClaim, ListClaims: each allowed case and each
//! refusal, the key-level endorsement policy, and one claim per encounter and insurer.

mod common;

use common::*;
use fabric_chaincode::testing::TxValidationCode;
use fabric_sdk::policy::statebased::KeyEndorsementPolicy;
use medledger_model::{ClaimDetails, Salt, commit_json};
use serde_json::json;

fn claim_key(id: &str) -> String {
    fabric_sdk::tx::composite_key::create_composite_key("Claim", &[id]).expect("key")
}

#[tokio::test]
async fn submit_with_consent_sets_the_key_level_policy() {
    let w = World::ready_for_claims().await;
    let o = w.submit_claim(&w.p.smc_clerk, "CL1", P1, r#"["E1"]"#).await;
    assert_ok(&o);
    let c = json(&o);
    assert_eq!(c["claim_id"], "CL1");
    assert_eq!(c["provider"], SMC);
    assert_eq!(c["insurer"], NHIS);
    assert_eq!(c["encounter_ids"], json!(["E1"]));
    assert_eq!(c["status"], "submitted");
    let details: ClaimDetails = serde_json::from_str(CLAIM).expect("details");
    let expected = commit_json(&Salt::from_bytes([4; 32]), &details).expect("commit");
    assert_eq!(c["content_hash"], expected.to_hex());
    assert_eq!(w.state_of("Claim", &["CL1"]), Some(c));
    // Every later change needs the provider's and the insurer's peers.
    let meta = w.ledger.metadata(&claim_key("CL1"));
    let policy = meta
        .get("VALIDATION_PARAMETER")
        .expect("a key-level policy");
    let policy = KeyEndorsementPolicy::from_bytes(policy).expect("a policy");
    assert_eq!(policy.list_orgs(), [NHIS, SMC]);
    assert_eq!(
        policy.role_of(SMC),
        Some(fabric_sdk::protos::common::msp_role::MspRoleType::Peer)
    );
    let private = w
        .private_of(SMC_NHIS, "ClaimDetails", &["CL1"])
        .expect("details stored");
    assert_eq!(private["details"]["total"], CLAIM_TOTAL);
    assert_eq!(
        event(&o),
        (
            "ClaimSubmitted".to_owned(),
            json!({"id": "CL1", "patient_id": P1, "status": "submitted", "org": NHIS})
        )
    );
}

#[tokio::test]
async fn submit_refusals() {
    let w = World::ready_for_claims().await;
    for who in [
        &w.p.smc_doctor,
        &w.p.smc_patient,
        &w.p.nhis_officer,
        &w.p.pharmacy_clerk,
    ] {
        let o = w.submit_claim(who, "CL1", P1, r#"["E1"]"#).await;
        assert_denied(
            &o,
            403,
            "forbidden: SubmitClaim: ",
            "only a clerk of a hospital may call it",
        );
    }
    // No consent for this insurer: Myongji's patient never consented.
    assert_ok(&w.add_record(&w.p.mjh_doctor, "ME1", P2, "encounter").await);
    let o = w
        .submit_claim(&w.p.mjh_clerk, "CL2", P2, r#"["ME1"]"#)
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: SubmitClaim: ",
        "no insurance_claim consent of patient P-MJH-000001 for NHISMSP is in force",
    );

    let clerk = &w.p.smc_clerk;
    let s = salt(4);
    let t: &[(&str, &[u8])] = &[("claim", CLAIM.as_bytes()), ("salt", s.as_bytes())];
    let cases: &[([&str; 4], &str, &str)] = &[
        (
            ["CL1", P1, MJH, r#"["E1"]"#],
            "bad input: insurer: ",
            "MyongjiHospitalMSP is not an insurer",
        ),
        (
            ["CL1", P1, NHIS, "[]"],
            "bad input: encounter_ids: ",
            "must not be empty",
        ),
        (
            ["CL1", P1, NHIS, r#"["E1","E1"]"#],
            "bad input: encounter_ids[1]: ",
            "duplicate entry",
        ),
        (
            ["CL1", P1, NHIS, r#"["E 1"]"#],
            "bad input: encounter_ids[0]: ",
            "only ASCII",
        ),
        (
            ["CL1", P1, NHIS, "E1"],
            "bad input: encounter_ids: ",
            "invalid type",
        ),
    ];
    for (args, prefix, rule) in cases {
        let o = w.submit(clerk, "SubmitClaim", args, t).await;
        assert_denied(&o, 400, prefix, rule);
    }
    let wrong_total = CLAIM.replace("\"total\":20640", "\"total\":20000");
    let float = CLAIM.replace("\"unit_price\":17610", "\"unit_price\":17610.5");
    let bad_dx = CLAIM.replace("J20.9", "flu");
    for (body, prefix, rule) in [
        (
            wrong_total.as_str(),
            "bad input: claim.total: ",
            "must equal the sum of the items' amounts (20640)",
        ),
        (
            float.as_str(),
            "bad input: claim.items[0].unit_price: ",
            "invalid type: floating point",
        ),
        (
            bad_dx.as_str(),
            "bad input: claim.diagnosis_codes[0]: ",
            "KCD-8 diagnosis code",
        ),
    ] {
        let o = w
            .submit(
                clerk,
                "SubmitClaim",
                &["CL1", P1, NHIS, r#"["E1"]"#],
                &[("claim", body.as_bytes()), ("salt", s.as_bytes())],
            )
            .await;
        assert_denied(&o, 400, prefix, rule);
    }
    // Encounters must be this patient's encounter records, held by the provider.
    assert_ok(&w.add_record(&w.p.smc_doctor, "L1", P1, "lab").await);
    assert_ok(&w.add_record(&w.p.mjh_doctor, "ME2", P1, "encounter").await);
    assert_ok(&w.add_record(&w.p.smc_doctor, "E9", P2, "encounter").await);
    for (enc, rule) in [
        ("L1", "record L1 is a lab record, not an encounter"),
        (
            "ME2",
            "record ME2 is held by MyongjiHospitalMSP, not by the provider",
        ),
        ("E9", "record E9 is not a record of patient P-SMC-000001"),
    ] {
        let o = w
            .submit_claim(clerk, "CL1", P1, &format!(r#"["{enc}"]"#))
            .await;
        assert_denied(&o, 400, "bad input: encounter_ids[0]: ", rule);
    }
    let o = w.submit_claim(clerk, "CL1", P1, r#"["E404"]"#).await;
    assert_denied(&o, 404, "not found: ", "record E404");
    let o = w.submit_claim(clerk, "CL1", "P-NOBODY", r#"["E1"]"#).await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");

    // One claim per encounter and insurer.
    assert_ok(&w.submit_claim(clerk, "CL1", P1, r#"["E1"]"#).await);
    let o = w.submit_claim(clerk, "CL1", P1, r#"["E1"]"#).await;
    assert_denied(&o, 409, "conflict: ", "claim CL1 already exists");
    let o = w.submit_claim(clerk, "CL2", P1, r#"["E1"]"#).await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "encounter E1 is already claimed at NHISMSP (claim CL1)",
    );

    // After the consent is revoked, no new claim.
    assert_ok(&w.add_record(&w.p.smc_doctor, "E2", P1, "encounter").await);
    assert_ok(
        &w.submit(&w.p.smc_patient, "RevokeConsent", &["C-INS", ""], &[])
            .await,
    );
    let o = w.submit_claim(clerk, "CL3", P1, r#"["E2"]"#).await;
    assert_denied(
        &o,
        403,
        "forbidden: SubmitClaim: ",
        "no insurance_claim consent",
    );
}

#[tokio::test]
async fn two_claims_for_one_encounter_in_one_block() {
    let w = World::ready_for_claims().await;
    let s = salt(4);
    let tx = |id: &'static str| {
        w.ledger
            .tx(&w.p.smc_clerk)
            .function("SubmitClaim")
            .args([id, P1, NHIS, r#"["E1"]"#])
            .transient("claim", CLAIM)
            .transient("salt", &s)
            .simulate(w.cc)
    };
    let a = tx("CLA").await.expect("runs");
    let b = tx("CLB").await.expect("runs");
    assert_eq!((a.status(), b.status()), (200, 200));
    assert_eq!(
        w.ledger.commit_block([&a, &b]).expect("commits"),
        [TxValidationCode::Valid, TxValidationCode::MvccReadConflict]
    );
}

#[tokio::test]
async fn adjudicate_then_pay() {
    let w = World::ready_for_claims().await;
    assert_ok(&w.submit_claim(&w.p.smc_clerk, "CL1", P1, r#"["E1"]"#).await);

    let s = salt(5);
    for who in [&w.p.smc_clerk, &w.p.nhis_auditor, &w.p.smc_doctor] {
        let o = w
            .submit(
                who,
                "AdjudicateClaim",
                &["CL1", "approved"],
                &[("decision", APPROVED.as_bytes()), ("salt", s.as_bytes())],
            )
            .await;
        assert_denied(
            &o,
            403,
            "forbidden: AdjudicateClaim: ",
            "only a claims_officer of an insurer may call it",
        );
    }
    let o = w.adjudicate("CL1", "rejected", APPROVED).await;
    assert_denied(
        &o,
        400,
        "bad input: decision.outcome: ",
        "must equal the outcome argument (rejected)",
    );
    let o = w.adjudicate("CL1", "maybe", APPROVED).await;
    assert_denied(&o, 400, "bad input: outcome: ", "unknown variant `maybe`");
    let short = APPROVED.replace("14448", "14000");
    let o = w.adjudicate("CL1", "approved", &short).await;
    assert_denied(
        &o,
        400,
        "bad input: decision.insurer_amount: ",
        "must equal the claimed total (20640)",
    );
    let no_reason = PARTIAL.replace("[\"B1\"]", "[]");
    let o = w.adjudicate("CL1", "partially_approved", &no_reason).await;
    assert_denied(
        &o,
        400,
        "bad input: decision.reason_codes: ",
        "at least one reason code",
    );
    let o = w
        .submit(
            &w.p.nhis_officer,
            "AdjudicateClaim",
            &["CL1", "approved"],
            &[("salt", s.as_bytes())],
        )
        .await;
    assert_denied(
        &o,
        400,
        "bad input: decision: ",
        "required in the transient map",
    );
    let o = w.adjudicate("CL9", "approved", APPROVED).await;
    assert_denied(&o, 404, "not found: ", "claim CL9");

    // Not paid before a decision.
    let o = w.pay("CL1").await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "claim CL1 is submitted; only an approved or partially approved claim can be paid",
    );

    let o = w.adjudicate("CL1", "partially_approved", PARTIAL).await;
    assert_ok(&o);
    let c = json(&o);
    assert_eq!(c["status"], "partially_approved");
    assert_eq!(c["decided_at"], "2024-01-01T00:00:00Z");
    assert!(c["decision_hash"].is_string());
    assert_eq!(
        event(&o),
        (
            "ClaimAdjudicated".to_owned(),
            json!({"id": "CL1", "patient_id": P1, "status": "partially_approved", "org": NHIS})
        )
    );
    let decision = w
        .private_of(SMC_NHIS, "ClaimResponse", &["CL1"])
        .expect("stored");
    assert_eq!(decision["response"]["insurer_amount"], 10_000);
    let o = w.adjudicate("CL1", "approved", APPROVED).await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "claim CL1 is partially_approved; only a submitted claim can be adjudicated",
    );

    for who in [&w.p.smc_clerk, &w.p.nhis_auditor] {
        let o = w
            .submit(
                who,
                "PayClaim",
                &["CL1"],
                &[("payment", br#"{"payment_reference":"PAY-1"}"#)],
            )
            .await;
        assert_denied(
            &o,
            403,
            "forbidden: PayClaim: ",
            "only a claims_officer of an insurer may call it",
        );
    }
    let o = w
        .submit(
            &w.p.nhis_officer,
            "PayClaim",
            &["CL1"],
            &[("payment", br#"{"payment_reference":"PAY 1"}"#)],
        )
        .await;
    assert_denied(
        &o,
        400,
        "bad input: payment.payment_reference: ",
        "only ASCII",
    );
    let o = w.submit(&w.p.nhis_officer, "PayClaim", &["CL1"], &[]).await;
    assert_denied(
        &o,
        400,
        "bad input: payment: ",
        "required in the transient map",
    );
    let o = w.pay("CL1").await;
    assert_ok(&o);
    assert_eq!(json(&o)["status"], "paid");
    assert_eq!(event(&o).0, "ClaimPaid");
    assert_eq!(
        w.private_of(SMC_NHIS, "ClaimPayment", &["CL1"])
            .expect("stored"),
        json!({"payment_reference": "PAY-2024-0001"})
    );
    let o = w.pay("CL1").await;
    assert_denied(&o, 409, "conflict: ", "claim CL1 is paid");
}

#[tokio::test]
async fn a_rejected_claim_is_never_paid() {
    let w = World::ready_for_claims().await;
    assert_ok(&w.submit_claim(&w.p.smc_clerk, "CL1", P1, r#"["E1"]"#).await);
    let paid_something = REJECTED.replace("\"insurer_amount\":0", "\"insurer_amount\":1");
    let o = w.adjudicate("CL1", "rejected", &paid_something).await;
    assert_denied(
        &o,
        400,
        "bad input: decision.insurer_amount: ",
        "must be 0 when rejected",
    );
    assert_ok(&w.adjudicate("CL1", "rejected", REJECTED).await);
    let o = w.pay("CL1").await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "claim CL1 is rejected; only an approved or partially approved claim can be paid",
    );
}

#[tokio::test]
async fn get_and_list_for_provider_insurer_and_patient() {
    let w = World::ready_for_claims().await;
    assert_ok(&w.add_record(&w.p.smc_doctor, "E2", P1, "encounter").await);
    assert_ok(&w.add_record(&w.p.smc_doctor, "E3", P1, "encounter").await);
    assert_ok(&w.submit_claim(&w.p.smc_clerk, "CL1", P1, r#"["E1"]"#).await);
    assert_ok(&w.submit_claim(&w.p.smc_clerk, "CL2", P1, r#"["E2"]"#).await);
    assert_ok(&w.submit_claim(&w.p.smc_clerk, "CL3", P1, r#"["E3"]"#).await);
    assert_ok(&w.adjudicate("CL2", "approved", APPROVED).await);

    for who in [&w.p.smc_clerk, &w.p.nhis_officer, &w.p.smc_patient] {
        let o = w.query(who, "GetClaim", &["CL2"]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        let v = json(&o);
        assert_eq!(v["claim"]["status"], "approved");
        assert_eq!(v["details"]["total"], CLAIM_TOTAL);
        assert_eq!(v["response"]["patient_share"], 6192);
    }
    for who in [&w.p.smc_auditor, &w.p.nhis_auditor] {
        let o = w.query(who, "GetClaim", &["CL2"]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        assert!(
            json(&o).get("details").is_none(),
            "auditors see the public record only"
        );
    }
    for who in [
        &w.p.smc_doctor,
        &w.p.mjh_clerk,
        &w.p.pharmacist,
        &w.p.mjh_fake_p1,
    ] {
        let o = w.query(who, "GetClaim", &["CL2"]).await;
        assert_denied(
            &o,
            403,
            "forbidden: GetClaim: ",
            "only the provider, the insurer, the patient or an auditor",
        );
    }
    let o = w.query(&w.p.smc_clerk, "GetClaim", &["CL9"]).await;
    assert_denied(&o, 404, "not found: ", "claim CL9");

    let list = |who: &'static fabric_chaincode::testing::TestIdentity, args: [&'static str; 5]| {
        let w = &w;
        async move {
            let o = w.query(who, "ListClaims", &args).await;
            page_ids(&o, "claim_id")
        }
    };
    let p = people();
    assert_eq!(
        list(&p.smc_clerk, [SMC, "", "", "10", ""]).await.0,
        ["CL1", "CL2", "CL3"]
    );
    assert_eq!(
        list(&p.smc_clerk, [SMC, "", "submitted", "10", ""]).await.0,
        ["CL1", "CL3"]
    );
    assert_eq!(
        list(&p.nhis_officer, ["", NHIS, "approved", "10", ""])
            .await
            .0,
        ["CL2"]
    );
    assert_eq!(
        list(&p.nhis_auditor, [SMC, NHIS, "submitted", "10", ""])
            .await
            .0,
        ["CL1", "CL3"]
    );
    let (page, bm) = list(&p.nhis_officer, ["", NHIS, "submitted", "1", ""]).await;
    assert_eq!(page, ["CL1"]);
    let o = w
        .query(
            &p.nhis_officer,
            "ListClaims",
            &["", NHIS, "submitted", "1", &bm],
        )
        .await;
    // The second page skips CL2 (approved) and, CL3 being the index's last entry, ends the list.
    assert_eq!(json(&o)["items"][0]["claim_id"], "CL3");
    assert_eq!(json(&o)["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(json(&o)["bookmark"], "");

    let o = w
        .query(&p.mjh_clerk, "ListClaims", &[SMC, "", "", "10", ""])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: ListClaims: ",
        "only the claims it provides or insures",
    );
    let o = w
        .query(&p.smc_doctor, "ListClaims", &[SMC, "", "", "10", ""])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: ListClaims: ",
        "only a clerk, a claims_officer or an auditor may call it",
    );
    let o = w
        .query(&p.smc_clerk, "ListClaims", &["", "", "", "10", ""])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: provider: ",
        "give a provider, an insurer or both",
    );
    let o = w
        .query(&p.smc_clerk, "ListClaims", &[SMC, "", "lost", "10", ""])
        .await;
    assert_denied(&o, 400, "bad input: status: ", "unknown variant `lost`");
    let o = w
        .query(&p.smc_clerk, "ListClaims", &[SMC, "", "", "101", ""])
        .await;
    assert_denied(
        &o,
        400,
        "bad input: page_size: ",
        "expected 1 to 100, got 101",
    );
}

#[tokio::test]
async fn an_insurers_claims_are_listed_across_hospitals_page_by_page() {
    let w = World::ready_for_claims().await;
    assert_ok(
        &w.grant(
            &w.p.mjh_patient,
            "C-INS-2",
            P2,
            NHIS,
            "insurance_claim",
            r#"["encounter"]"#,
        )
        .await,
    );
    assert_ok(&w.add_record(&w.p.mjh_doctor, "E2", P2, "encounter").await);
    assert_ok(&w.add_record(&w.p.mjh_doctor, "E3", P2, "encounter").await);
    assert_ok(
        &w.submit_claim(&w.p.smc_clerk, "CL-S1", P1, r#"["E1"]"#)
            .await,
    );
    assert_ok(
        &w.submit_claim(&w.p.mjh_clerk, "CL-M2", P2, r#"["E3"]"#)
            .await,
    );
    assert_ok(
        &w.submit_claim(&w.p.mjh_clerk, "CL-M1", P2, r#"["E2"]"#)
            .await,
    );

    let page = |size: &'static str, bookmark: String| {
        let w = &w;
        async move {
            let o = w
                .query(
                    &w.p.nhis_officer,
                    "ListClaims",
                    &["", NHIS, "", size, &bookmark],
                )
                .await;
            page_ids(&o, "claim_id")
        }
    };
    // By hospital (Myongji before Seoul), then claim id.
    let (all, end) = page("10", String::new()).await;
    assert_eq!(all, ["CL-M1", "CL-M2", "CL-S1"]);
    assert_eq!(end, "");
    // Pages of two: the first ends with Myongji's claims, the second starts at Seoul's.
    let (first, bookmark) = page("2", String::new()).await;
    assert_eq!(first, ["CL-M1", "CL-M2"]);
    assert!(!bookmark.is_empty(), "more claims follow");
    let (second, end) = page("2", bookmark).await;
    assert_eq!(second, ["CL-S1"]);
    assert_eq!(end, "");
    // Pages of one walk across the hospitals without losing or repeating a claim.
    let mut seen = Vec::new();
    let mut bookmark = String::new();
    loop {
        let (ids, next) = page("1", bookmark).await;
        seen.extend(ids);
        if next.is_empty() {
            break;
        }
        bookmark = next;
    }
    assert_eq!(seen, ["CL-M1", "CL-M2", "CL-S1"]);
    // A bookmark of another list is refused.
    let o = w
        .query(
            &w.p.nhis_officer,
            "ListClaims",
            &[
                "",
                NHIS,
                "",
                "1",
                &hex::encode("\u{0}ClaimByPair\u{0}X\u{0}"),
            ],
        )
        .await;
    assert_denied(&o, 400, "bad input: ", "bookmark");
}
