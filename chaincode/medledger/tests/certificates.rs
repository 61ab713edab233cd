//! IssueCertificate, VerifyCertificate, RevokeCertificate, GetCertificate.

mod common;

use common::*;
use serde_json::json;

const DOC: &[u8] = b"%PDF-1.7 diagnosis certificate no. 2024-0001";

async fn issued() -> World {
    let w = World::with_patients().await;
    let h = hash(6, DOC);
    let o = w
        .submit(
            &w.p.smc_doctor,
            "IssueCertificate",
            &["CERT1", P1, "diagnosis", &h, "2024-07-01T00:00:00Z"],
            &[],
        )
        .await;
    assert_ok(&o);
    w
}

async fn verify(
    w: &World,
    who: &fabric_chaincode::testing::TestIdentity,
    id: &str,
    h: &str,
) -> String {
    let o = w.query(who, "VerifyCertificate", &[id, h]).await;
    assert_eq!(o.status(), 200, "{}", o.message());
    let v = json(&o);
    assert_eq!(
        v.as_object().map(|m| m.len()),
        Some(2),
        "nothing else revealed: {v}"
    );
    assert_eq!(v["certificate_id"], id);
    v["result"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn issue_records_the_document_hash() {
    let w = World::with_patients().await;
    let h = hash(6, DOC);
    let o = w
        .submit(
            &w.p.smc_doctor,
            "IssueCertificate",
            &["CERT1", P1, "diagnosis", &h, ""],
            &[],
        )
        .await;
    assert_ok(&o);
    let c = json(&o);
    assert_eq!(c["certificate_id"], "CERT1");
    assert_eq!(c["kind"], "diagnosis");
    assert_eq!(c["issuer_org"], SMC);
    assert_eq!(c["issuer"]["role"], "doctor");
    assert_eq!(c["document_hash"], h);
    assert_eq!(c["status"], "valid");
    assert!(c.get("valid_until").is_none());
    assert_eq!(w.state_of("Certificate", &["CERT1"]), Some(c));
    assert_eq!(
        event(&o),
        (
            "CertificateIssued".to_owned(),
            json!({"id": "CERT1", "patient_id": P1, "status": "valid"})
        )
    );
}

#[tokio::test]
async fn issue_refusals() {
    let w = World::with_patients().await;
    let h = hash(6, DOC);
    for who in [
        &w.p.smc_nurse,
        &w.p.smc_clerk,
        &w.p.pharmacist,
        &w.p.outsider,
    ] {
        let o = w
            .submit(
                who,
                "IssueCertificate",
                &["CERT1", P1, "diagnosis", &h, ""],
                &[],
            )
            .await;
        assert_denied(
            &o,
            403,
            "forbidden: IssueCertificate: ",
            "only a doctor of a hospital may call it",
        );
    }
    let o = w
        .submit(
            &w.p.smc_unlicensed_doctor,
            "IssueCertificate",
            &["CERT1", P1, "diagnosis", &h, ""],
            &[],
        )
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: IssueCertificate: ",
        "a licence is required",
    );
    let d = &w.p.smc_doctor;
    for (args, prefix, rule) in [
        (
            ["CERT1", P1, "birth", h.as_str(), ""],
            "bad input: kind: ",
            "unknown variant `birth`",
        ),
        (
            ["CERT1", P1, "diagnosis", "00", ""],
            "bad input: document_hash: ",
            "64 hex digits",
        ),
        (
            ["CERT1", P1, "diagnosis", h.as_str(), "2023-12-31T00:00:00Z"],
            "bad input: valid_until: ",
            "must be after the issue time (2024-01-01T00:00:00Z)",
        ),
        (
            ["CERT1", P1, "diagnosis", h.as_str(), "next year"],
            "bad input: valid_until: ",
            "YYYY-MM-DDTHH:MM:SSZ",
        ),
    ] {
        let o = w.submit(d, "IssueCertificate", &args, &[]).await;
        assert_denied(&o, 400, prefix, rule);
    }
    let o = w
        .submit(
            d,
            "IssueCertificate",
            &["CERT1", "P-NOBODY", "diagnosis", &h, ""],
            &[],
        )
        .await;
    assert_denied(&o, 404, "not found: ", "patient P-NOBODY");
    assert_ok(
        &w.submit(
            d,
            "IssueCertificate",
            &["CERT1", P1, "opinion", &h, ""],
            &[],
        )
        .await,
    );
    let o = w
        .submit(
            d,
            "IssueCertificate",
            &["CERT1", P1, "opinion", &h, ""],
            &[],
        )
        .await;
    assert_denied(&o, 409, "conflict: ", "certificate CERT1 already exists");
}

#[tokio::test]
async fn any_member_verifies_and_learns_one_word() {
    let w = issued().await;
    let good = hash(6, DOC);
    let forged = hash(6, b"%PDF-1.7 forged");
    for who in [
        &w.p.nhis_officer,
        &w.p.pharmacy_clerk,
        &w.p.mjh_patient,
        &w.p.smc_admin,
    ] {
        assert_eq!(verify(&w, who, "CERT1", &good).await, "valid");
    }
    assert_eq!(
        verify(&w, &w.p.nhis_officer, "CERT1", &forged).await,
        "hash_mismatch"
    );
    assert_eq!(
        verify(&w, &w.p.nhis_officer, "CERT9", &good).await,
        "unknown"
    );
    w.ledger.set_time(T0 + 200 * DAY, 0);
    assert_eq!(
        verify(&w, &w.p.nhis_officer, "CERT1", &good).await,
        "expired"
    );
    w.ledger.set_time(T0, 0);
    assert_ok(
        &w.submit(
            &w.p.smc_clerk,
            "RevokeCertificate",
            &["CERT1", "issued_in_error"],
            &[],
        )
        .await,
    );
    assert_eq!(
        verify(&w, &w.p.nhis_officer, "CERT1", &good).await,
        "revoked"
    );
    // A wrong hash does not learn that the certificate was revoked.
    assert_eq!(
        verify(&w, &w.p.nhis_officer, "CERT1", &forged).await,
        "hash_mismatch"
    );

    let o = w
        .query(&w.p.outsider, "VerifyCertificate", &["CERT1", &good])
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: VerifyCertificate: ",
        "only members of the consortium",
    );
    let o = w
        .query(&w.p.nhis_officer, "VerifyCertificate", &["CERT1", "nothex"])
        .await;
    assert_denied(&o, 400, "bad input: document_hash: ", "64 hex digits");
}

#[tokio::test]
async fn revoke_by_the_issuing_hospital_with_a_reason() {
    let w = issued().await;
    let o = w
        .submit(
            &w.p.mjh_doctor,
            "RevokeCertificate",
            &["CERT1", "fraud"],
            &[],
        )
        .await;
    assert_denied(
        &o,
        403,
        "forbidden: RevokeCertificate: ",
        "only the issuing hospital (SeoulMedicalCenterMSP) may revoke it",
    );
    for who in [&w.p.smc_nurse, &w.p.smc_patient, &w.p.nhis_officer] {
        let o = w
            .submit(who, "RevokeCertificate", &["CERT1", "fraud"], &[])
            .await;
        assert_denied(
            &o,
            403,
            "forbidden: RevokeCertificate: ",
            "only a doctor or a clerk of a hospital may call it",
        );
    }
    let o = w
        .submit(
            &w.p.smc_doctor,
            "RevokeCertificate",
            &["CERT1", "because"],
            &[],
        )
        .await;
    assert_denied(&o, 400, "bad input: reason: ", "unknown variant `because`");
    let o = w
        .submit(
            &w.p.smc_doctor,
            "RevokeCertificate",
            &["CERT9", "fraud"],
            &[],
        )
        .await;
    assert_denied(&o, 404, "not found: ", "certificate CERT9");
    let o = w
        .submit(
            &w.p.smc_doctor,
            "RevokeCertificate",
            &["CERT1", "superseded"],
            &[],
        )
        .await;
    assert_ok(&o);
    let c = json(&o);
    assert_eq!(c["status"], "revoked");
    assert_eq!(c["revocation_reason"], "superseded");
    assert_eq!(c["revoked_at"], "2024-01-01T00:00:00Z");
    assert_eq!(
        event(&o),
        (
            "CertificateRevoked".to_owned(),
            json!({"id": "CERT1", "patient_id": P1, "status": "revoked"})
        )
    );
    let o = w
        .submit(
            &w.p.smc_doctor,
            "RevokeCertificate",
            &["CERT1", "fraud"],
            &[],
        )
        .await;
    assert_denied(
        &o,
        409,
        "conflict: ",
        "certificate CERT1 is already revoked",
    );
}

#[tokio::test]
async fn get_for_the_issuer_the_patient_and_auditors() {
    let w = issued().await;
    for who in [
        &w.p.smc_doctor,
        &w.p.smc_clerk,
        &w.p.smc_patient,
        &w.p.nhis_auditor,
    ] {
        let o = w.query(who, "GetCertificate", &["CERT1"]).await;
        assert_eq!(o.status(), 200, "{}", o.message());
        assert_eq!(json(&o)["valid_until"], "2024-07-01T00:00:00Z");
    }
    for who in [&w.p.mjh_doctor, &w.p.nhis_officer, &w.p.mjh_fake_p1] {
        let o = w.query(who, "GetCertificate", &["CERT1"]).await;
        assert_denied(
            &o,
            403,
            "forbidden: GetCertificate: ",
            "others use VerifyCertificate",
        );
    }
    let o = w.query(&w.p.smc_doctor, "GetCertificate", &["CERT9"]).await;
    assert_denied(&o, 404, "not found: ", "certificate CERT9");
}
