//! The story, step by step, with the consortium's identities (the same calls as the SDK's
//! end-to-end test `sdk/medledger/tests/devnet_story.rs`). Each step checks what came back: a
//! wrong answer stops the demo with an error.

use super::record::{Actor, Recorder};
use crate::commands::medical::now;
use anyhow::{Context as _, ensure};
use medledger_model::{
    Address, AdministrativeGender, CertificateKind, ClaimDetails, ClaimItem, ClaimOutcome,
    ClaimResponse, ClaimStatus, ConsentPurpose, Date, FhirResourceType, HumanName, Krw, Medication,
    PatientDemographics, Period, PrescriptionInput, PrescriptionStatus, RecordCategory,
    RevocationReason, Route, Timestamp, VerificationResult,
};
use medledger_sdk::devnet::MedicalDevnet;
use medledger_sdk::{ConsentGrant, MedLedgerClient, NewRecord, RecordDocument, SaltedDocument};
use std::time::Instant;

/// The patient: the pseudonym in Patient1@seoulmedical's certificate.
pub const PATIENT: &str = "P-SMC-000001";
const SMC: &str = "SeoulMedicalCenterMSP";
const MJH: &str = "MyongjiHospitalMSP";
const NHIS: &str = "NHISMSP";
const PHARMACY: &str = "PharmacyMSP";

const SMC_CLERK: Actor = Actor::new("Clerk1@seoulmedical.example.com", SMC);
const SMC_DOCTOR: Actor = Actor::new("Doctor1@seoulmedical.example.com", SMC);
const SMC_PATIENT: Actor = Actor::new("Patient1@seoulmedical.example.com", SMC);
const MJH_DOCTOR: Actor = Actor::new("Doctor1@myongji.example.com", MJH);
const PHARMACIST: Actor = Actor::new("Pharmacist1@pharmacy.example.com", PHARMACY);
const PHARMACY_CLERK: Actor = Actor::new("Clerk1@pharmacy.example.com", PHARMACY);
const NHIS_OFFICER: Actor = Actor::new("ClaimsOfficer1@nhis.example.com", NHIS);

/// A lab result kept on the ledger (in SMC's private collection).
const LAB: &str = r#"{"resourceType":"Observation","status":"final","code":{"text":"CRP"},"valueQuantity":{"value":12.1,"unit":"mg/L"}}"#;
/// The certificate document (its salted hash goes to the ledger).
const CERTIFICATE: &str = "Diagnosis certificate No. 2026-0001: acute bronchitis (J20.9)";

async fn client(net: &MedicalDevnet, who: &Actor<'_>) -> anyhow::Result<MedLedgerClient> {
    net.client(who.user)
        .await
        .with_context(|| format!("cannot connect as {}", who.user))
}

/// From an hour ago, for a year.
fn this_year() -> anyhow::Result<Period> {
    let start = now()?.unix() - 3600;
    let at = |s| Timestamp::from_unix("period", s).map_err(|e| anyhow::anyhow!("{e}"));
    Ok(Period {
        start: at(start)?,
        end: Some(at(start + 365 * 86_400)?),
    })
}

/// A fictional patient.
fn demographics() -> anyhow::Result<PatientDemographics> {
    Ok(PatientDemographics {
        name: HumanName {
            family: "김".into(),
            given: vec!["민준".into()],
        },
        birth_date: Date::parse("birth_date", "1980-03-14").map_err(|e| anyhow::anyhow!("{e}"))?,
        gender: AdministrativeGender::Male,
        telecom: Some("010-0000-0000".into()),
        address: Some(Address {
            line: vec!["서울특별시 중구 을지로 245".into()],
            city: "Seoul".into(),
            postal_code: "04564".into(),
        }),
    })
}

/// Plays the story; every step is recorded (and printed) as it commits.
pub async fn play(net: &MedicalDevnet, rec: &mut Recorder) -> anyhow::Result<()> {
    let smc_clerk = client(net, &SMC_CLERK).await?;
    let smc_doctor = client(net, &SMC_DOCTOR).await?;
    let patient = client(net, &SMC_PATIENT).await?;
    let mjh_doctor = client(net, &MJH_DOCTOR).await?;
    let pharmacist = client(net, &PHARMACIST).await?;
    let pharmacy_clerk = client(net, &PHARMACY_CLERK).await?;
    let officer = client(net, &NHIS_OFFICER).await?;

    // Register at Seoul Medical Center: demographics only in the transient map.
    let c = smc_clerk
        .register_patient(PATIENT, &demographics()?)
        .await?;
    rec.committed(
        &SMC_CLERK,
        "RegisterPatient",
        format!("registers patient {PATIENT}"),
        &c,
        format!("{} at {}", c.value.status, c.value.home_org),
    );

    // Consent to Myongji (treatment, labs) and NHIS (claims, encounters).
    for (consent_id, grantee, purpose, scope) in [
        (
            "CON-MJH-1",
            MJH,
            ConsentPurpose::Treatment,
            RecordCategory::Lab,
        ),
        (
            "CON-NHIS-1",
            NHIS,
            ConsentPurpose::InsuranceClaim,
            RecordCategory::Encounter,
        ),
    ] {
        let c = patient
            .grant_consent(&ConsentGrant {
                consent_id: Some(consent_id.into()),
                patient_id: PATIENT.into(),
                grantee: grantee.into(),
                purpose,
                scopes: vec![scope],
                period: this_year()?,
                document: None,
            })
            .await?;
        rec.committed(
            &SMC_PATIENT,
            "GrantConsent",
            format!("consents: {grantee}, {purpose}, {scope}"),
            &c,
            format!("{} {}", c.value.consent_id, c.value.status),
        );
    }

    // Records at SMC: a lab result on the ledger, an encounter kept off it.
    let lab = RecordDocument::on_ledger(LAB)?;
    let c = smc_doctor
        .add_record(&NewRecord {
            record_id: Some("REC-LAB-1".into()),
            patient_id: PATIENT.into(),
            category: RecordCategory::Lab,
            resource_type: FhirResourceType::Observation,
            location: "https://ehr.seoulmedical.example.com/fhir/Observation/REC-LAB-1".into(),
            document: lab.clone(),
        })
        .await?;
    rec.committed(
        &SMC_DOCTOR,
        "AddRecord",
        "adds lab record REC-LAB-1",
        &c,
        "content private",
    );
    let encounter = RecordDocument::off_ledger(br#"{"resourceType":"Encounter"}"#)?;
    let c = smc_doctor
        .add_record(&NewRecord {
            record_id: Some("REC-ENC-1".into()),
            patient_id: PATIENT.into(),
            category: RecordCategory::Encounter,
            resource_type: FhirResourceType::Encounter,
            location: "urn:smc:encounter:2026-0001".into(),
            document: encounter,
        })
        .await?;
    rec.committed(
        &SMC_DOCTOR,
        "AddRecord",
        "adds encounter REC-ENC-1",
        &c,
        "hash only",
    );

    // Myongji reads the lab record: consent checked, access logged.
    let c = mjh_doctor
        .access_record("REC-LAB-1", ConsentPurpose::Treatment)
        .await?;
    ensure!(
        c.value
            .content_hash
            .verify(&lab.salted.salt, LAB.as_bytes()),
        "the record's hash does not match its document"
    );
    rec.committed(
        &MJH_DOCTOR,
        "AccessRecord",
        "reads REC-LAB-1 (treatment)",
        &c,
        "logged, hash checks",
    );

    // Prescription: issued at SMC, dispensed by the pharmacy, delivered.
    let rx = PrescriptionInput {
        medications: vec![Medication {
            code: "642102570".into(),
            name: "Amoxicillin 500mg".into(),
            dose: "1 capsule".into(),
            frequency: 3,
            days: 5,
            route: Route::Oral,
        }],
        notes: Some("after meals".into()),
    };
    let c = smc_doctor
        .issue_prescription(Some("RX-1"), PATIENT, None, &rx)
        .await?;
    rec.committed(
        &SMC_DOCTOR,
        "IssuePrescription",
        "issues prescription RX-1",
        &c,
        c.value.status.to_string(),
    );
    let c = pharmacist.dispense_prescription("RX-1").await?;
    ensure!(
        c.value.status == PrescriptionStatus::Dispensed,
        "RX-1 is {}",
        c.value.status
    );
    rec.committed(
        &PHARMACIST,
        "DispensePrescription",
        "dispenses RX-1",
        &c,
        c.value.status.to_string(),
    );
    let c = pharmacy_clerk.confirm_delivery("RX-1").await?;
    rec.committed(
        &PHARMACY_CLERK,
        "ConfirmDelivery",
        "confirms delivery of RX-1",
        &c,
        c.value.status.to_string(),
    );

    // Claim: SMC submits, NHIS approves and pays.
    let details = ClaimDetails {
        diagnosis_codes: vec!["J20.9".into()],
        items: vec![
            ClaimItem {
                code: "AA157".into(),
                quantity: 1,
                unit_price: Krw(17_610),
                amount: Krw(17_610),
            },
            ClaimItem {
                code: "B1010".into(),
                quantity: 2,
                unit_price: Krw(3_000),
                amount: Krw(6_000),
            },
        ],
        total: Krw(23_610),
    };
    let c = smc_clerk
        .submit_claim(
            Some("CLM-1"),
            PATIENT,
            NHIS,
            &["REC-ENC-1".to_owned()],
            &details,
        )
        .await?;
    rec.committed(
        &SMC_CLERK,
        "SubmitClaim",
        "submits claim CLM-1 to NHIS",
        &c,
        c.value.status.to_string(),
    );
    let decision = ClaimResponse {
        outcome: ClaimOutcome::Approved,
        insurer_amount: Krw(16_527),
        patient_share: Krw(7_083),
        reason_codes: vec![],
    };
    let c = officer.adjudicate_claim("CLM-1", &decision).await?;
    ensure!(
        c.value.status == ClaimStatus::Approved,
        "CLM-1 is {}",
        c.value.status
    );
    rec.committed(
        &NHIS_OFFICER,
        "AdjudicateClaim",
        "approves CLM-1",
        &c,
        c.value.status.to_string(),
    );
    let c = officer.pay_claim("CLM-1", "PAY-2026-000042").await?;
    rec.committed(
        &NHIS_OFFICER,
        "PayClaim",
        "pays CLM-1",
        &c,
        c.value.status.to_string(),
    );

    // Certificate: issued, verified by NHIS, revoked, verified again.
    let sealed = SaltedDocument::new(CERTIFICATE.as_bytes())?;
    let c = smc_doctor
        .issue_certificate(
            Some("CERT-1"),
            PATIENT,
            CertificateKind::Diagnosis,
            &sealed,
            None,
        )
        .await?;
    rec.committed(
        &SMC_DOCTOR,
        "IssueCertificate",
        "issues certificate CERT-1",
        &c,
        c.value.status.to_string(),
    );
    let verify = async |want: VerificationResult, rec: &mut Recorder| -> anyhow::Result<()> {
        let t = Instant::now();
        let v = officer
            .verify_certificate("CERT-1", CERTIFICATE.as_bytes(), &sealed.salt)
            .await?;
        ensure!(
            v.result == want,
            "CERT-1 verified {} (expected {want})",
            v.result
        );
        rec.query(
            &NHIS_OFFICER,
            "VerifyCertificate",
            "verifies CERT-1 (hashes the document)",
            t.elapsed(),
            v.result.to_string(),
        );
        Ok(())
    };
    verify(VerificationResult::Valid, rec).await?;
    let c = smc_doctor
        .revoke_certificate("CERT-1", RevocationReason::IssuedInError)
        .await?;
    rec.committed(
        &SMC_DOCTOR,
        "RevokeCertificate",
        "revokes CERT-1",
        &c,
        c.value.status.to_string(),
    );
    verify(VerificationResult::Revoked, rec).await?;

    // The access log, as the patient sees it.
    let t = Instant::now();
    let log = patient.list_access_log(PATIENT, 10, "").await?;
    let readers: Vec<String> = log
        .items
        .iter()
        .map(|e| format!("{} read {} ({})", e.agent.msp_id, e.record_id, e.purpose))
        .collect();
    ensure!(
        log.items.len() == 1,
        "{} accesses logged (expected 1)",
        log.items.len()
    );
    rec.query(
        &SMC_PATIENT,
        "ListAccessLog",
        format!("reads the access log of {PATIENT}"),
        t.elapsed(),
        readers.join("; "),
    );

    // Erasure: the private data goes, the public trail stays.
    let c = smc_clerk.erase_patient(PATIENT).await?;
    let purged: u32 = c.value.purged.values().sum();
    rec.committed(
        &SMC_CLERK,
        "ErasePatient",
        format!("erases {PATIENT}"),
        &c,
        format!("{purged} private entries purged"),
    );
    Ok(())
}
