//! The whole medical story on the devnet through medledger-sdk, with identities of every
//! organisation and role: register, consent, record, cross-hospital access, prescribe,
//! dispense, deliver, claim, adjudicate, pay, certify, verify, revoke, audit, erase — and the
//! chaincode events of all of it, read again from a file checkpoint.

mod common;

use common::*;
use fabric_sdk::gateway::{Checkpointer, FileCheckpointer, TxValidationCode};
use medledger_model::{
    AssetType, CertificateKind, ClaimOutcome, ClaimResponse, ClaimStatus, ConsentPurpose,
    FhirResourceType, Krw, PatientStatus, PrescriptionStatus, RecordCategory, RevocationReason,
    VerificationResult,
};
use medledger_sdk::{ConsentGrant, MedicalEvent, NewRecord, RecordDocument, SaltedDocument};

const LAB: &str = r#"{"resourceType":"Observation","status":"final","code":{"text":"CRP"},"valueQuantity":{"value":12.1,"unit":"mg/L"}}"#;

/// A two-phase PHI write: the private phase endorsed by Seoul Medical Center alone, the public
/// one by two organisations (the chaincode policy), both valid.
fn assert_phases(net: &Net, private: &Option<String>, public: &str) {
    let private = private.as_deref().expect("a private phase");
    assert_eq!(
        net.endorsed_by(private),
        (TxValidationCode::Valid, vec![SMC.to_owned()])
    );
    let (code, orgs) = net.endorsed_by(public);
    assert_eq!(code, TxValidationCode::Valid);
    assert_eq!(orgs.len(), 2, "{orgs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_runs_end_to_end() {
    let net = start().await;
    let smc_clerk = net.client(SMC_CLERK).await;
    let smc_doctor = net.client(SMC_DOCTOR).await;
    let patient = net.client(SMC_PATIENT).await;
    let mjh_doctor = net.client(MJH_DOCTOR).await;
    let pharmacist = net.client(PHARMACIST).await;
    let pharmacy_clerk = net.client(PHARMACY_CLERK).await;
    let officer = net.client(NHIS_OFFICER).await;
    let nhis_auditor = net.client(NHIS_AUDITOR).await;
    let smc_auditor = net.client(SMC_AUDITOR).await;

    // Register: demographics in the transient map → SMC's PHI collection.
    let registered = smc_clerk
        .register_patient(PATIENT_ID, &demographics())
        .await
        .unwrap();
    assert_eq!(registered.value.home_org, SMC);
    assert!(registered.block_number >= 1 && !registered.transaction_id.is_empty());
    // Two phases: the demographics in a transaction endorsed by SMC alone (the collection's
    // only member), then the public record under the chaincode policy (two organisations).
    assert_phases(
        &net,
        &registered.private_transaction_id,
        &registered.transaction_id,
    );
    let view = smc_clerk.get_patient(PATIENT_ID).await.unwrap();
    assert_eq!(view.demographics, Some(demographics()));
    // Another hospital sees the pseudonym and status, not the demographics.
    let view = mjh_doctor.get_patient(PATIENT_ID).await.unwrap();
    assert_eq!(
        (view.patient.status, view.demographics),
        (PatientStatus::Active, None)
    );

    // Consent: the patient to Myongji (treatment, labs) and to NHIS (claims); a clerk records a
    // paper form for the pharmacy.
    let to_mjh = patient
        .grant_consent(&consent(
            Some("CON-MJH-1"),
            MJH,
            ConsentPurpose::Treatment,
            RecordCategory::Lab,
        ))
        .await
        .unwrap();
    assert_eq!(to_mjh.value.grantee, MJH);
    patient
        .grant_consent(&consent(
            Some("CON-NHIS-1"),
            NHIS,
            ConsentPurpose::InsuranceClaim,
            RecordCategory::Encounter,
        ))
        .await
        .unwrap();
    let form = SaltedDocument::new(b"scanned consent form 2026-0042").unwrap();
    let paper = smc_clerk
        .grant_consent(&ConsentGrant {
            document: Some(form.consent_document()),
            ..consent(
                None,
                PHARMACY,
                ConsentPurpose::Treatment,
                RecordCategory::Medication,
            )
        })
        .await
        .unwrap();
    assert!(paper.value.consent_id.starts_with("CON-"), "derived id");
    assert_eq!(paper.value.document_org.as_deref(), Some(SMC));
    assert_phases(&net, &paper.private_transaction_id, &paper.transaction_id);
    assert_eq!(
        to_mjh.private_transaction_id, None,
        "no form, one transaction"
    );
    assert_eq!(patient.list_consents(PATIENT_ID).await.unwrap().len(), 3);

    // Records at SMC: a lab result kept on the ledger, an encounter kept off it.
    let lab = RecordDocument::on_ledger(LAB).unwrap();
    let record = smc_doctor
        .add_record(&NewRecord {
            record_id: Some("REC-LAB-1".into()),
            patient_id: PATIENT_ID.into(),
            category: RecordCategory::Lab,
            resource_type: FhirResourceType::Observation,
            location: "https://ehr.seoulmedical.example.com/fhir/Observation/REC-LAB-1".into(),
            document: lab.clone(),
        })
        .await
        .unwrap();
    assert!(record.value.content_on_ledger);
    assert_eq!(record.value.content_hash, lab.salted.hash);
    assert_phases(&net, &record.private_transaction_id, &record.transaction_id);
    let encounter = RecordDocument::off_ledger(b"{\"resourceType\":\"Encounter\"}").unwrap();
    smc_doctor
        .add_record(&NewRecord {
            record_id: Some("REC-ENC-1".into()),
            patient_id: PATIENT_ID.into(),
            category: RecordCategory::Encounter,
            resource_type: FhirResourceType::Encounter,
            location: "urn:smc:encounter:2026-0001".into(),
            document: encounter,
        })
        .await
        .unwrap();
    let own = smc_doctor.get_record("REC-LAB-1").await.unwrap();
    assert_eq!(own.content.map(|c| c.content), Some(LAB.to_owned()));

    // Myongji accesses it: consent checked, access logged, location and hash returned.
    let access = mjh_doctor
        .access_record("REC-LAB-1", ConsentPurpose::Treatment)
        .await
        .unwrap();
    assert_eq!(access.value.org, SMC);
    assert!(
        access
            .value
            .content_hash
            .verify(&lab.salted.salt, LAB.as_bytes())
    );
    assert!(
        mjh_doctor
            .check_consent(
                PATIENT_ID,
                MJH,
                ConsentPurpose::Treatment,
                Some(RecordCategory::Lab)
            )
            .await
            .unwrap()
            .granted
    );

    // Prescription: SMC doctor → pharmacy dispenses → delivery confirmed.
    let rx = smc_doctor
        .issue_prescription(Some("RX-1"), PATIENT_ID, None, &amoxicillin())
        .await
        .unwrap();
    assert_eq!(rx.value.status, PrescriptionStatus::Issued);
    let seen = pharmacist.get_prescription("RX-1").await.unwrap();
    assert_eq!(
        seen.content.map(|c| c.medications),
        Some(amoxicillin().medications)
    );
    let dispensed = pharmacist.dispense_prescription("RX-1").await.unwrap();
    assert_eq!(dispensed.value.status, PrescriptionStatus::Dispensed);
    assert_eq!(
        dispensed
            .value
            .dispense
            .as_ref()
            .map(|d| d.pharmacy_org.as_str()),
        Some(PHARMACY)
    );
    assert!(dispensed.block_number > rx.block_number);
    let delivered = pharmacy_clerk.confirm_delivery("RX-1").await.unwrap();
    assert_eq!(delivered.value.status, PrescriptionStatus::Delivered);
    let page = patient
        .list_prescriptions(Some(PATIENT_ID), None, 10, "")
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);

    // Claim: SMC clerk submits, NHIS adjudicates (approved) and pays.
    let details = consultation_claim();
    let claim = smc_clerk
        .submit_claim(
            Some("CLM-1"),
            PATIENT_ID,
            NHIS,
            &["REC-ENC-1".to_owned()],
            &details,
        )
        .await
        .unwrap();
    assert_eq!(claim.value.status, ClaimStatus::Submitted);
    let decision = ClaimResponse {
        outcome: ClaimOutcome::Approved,
        insurer_amount: Krw(16_527),
        patient_share: Krw(7_083),
        reason_codes: vec![],
    };
    let decided = officer.adjudicate_claim("CLM-1", &decision).await.unwrap();
    assert_eq!(decided.value.status, ClaimStatus::Approved);
    let paid = officer.pay_claim("CLM-1", "PAY-2026-000042").await.unwrap();
    assert_eq!(paid.value.status, ClaimStatus::Paid);
    let claim_view = smc_clerk.get_claim("CLM-1").await.unwrap();
    assert_eq!(claim_view.details, Some(details));
    assert_eq!(claim_view.response, Some(decision));
    assert_eq!(
        claim_view.payment.map(|p| p.payment_reference),
        Some("PAY-2026-000042".to_owned())
    );
    let claims = nhis_auditor
        .list_claims(None, Some(NHIS), Some(ClaimStatus::Paid), 10, "")
        .await
        .unwrap();
    assert_eq!(claims.items.len(), 1);

    // Certificate: issued, verified by another organisation, revoked.
    let certificate = "Diagnosis certificate (진단서) No. 2026-0001: acute bronchitis"
        .as_bytes()
        .to_vec();
    let sealed = SaltedDocument::new(&certificate).unwrap();
    smc_doctor
        .issue_certificate(
            Some("CERT-1"),
            PATIENT_ID,
            CertificateKind::Diagnosis,
            &sealed,
            None,
        )
        .await
        .unwrap();
    // NHIS checks a document it was handed, with the salt that came with it.
    let verify = async |document: &[u8]| {
        officer
            .verify_certificate("CERT-1", document, &sealed.salt)
            .await
            .unwrap()
            .result
    };
    assert_eq!(verify(&certificate).await, VerificationResult::Valid);
    assert_eq!(
        verify(b"forged certificate").await,
        VerificationResult::HashMismatch
    );
    let revoked = smc_doctor
        .revoke_certificate("CERT-1", RevocationReason::IssuedInError)
        .await
        .unwrap();
    assert_eq!(
        revoked.value.revocation_reason,
        Some(RevocationReason::IssuedInError)
    );
    assert_eq!(verify(&certificate).await, VerificationResult::Revoked);

    // Audit: the access log, and the prescription's history.
    let log = patient.list_access_log(PATIENT_ID, 10, "").await.unwrap();
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].agent.msp_id, MJH);
    assert_eq!(log.items[0].access_id, access.value.access_id);
    assert_eq!(
        smc_auditor
            .list_access_log(PATIENT_ID, 10, "")
            .await
            .unwrap(),
        log
    );
    let history = smc_auditor
        .get_history(AssetType::Prescription, "RX-1")
        .await
        .unwrap();
    let txids: Vec<&str> = history.iter().map(|h| h.txid.as_str()).collect();
    assert_eq!(
        txids,
        [
            delivered.transaction_id.as_str(),
            dispensed.transaction_id.as_str(),
            rx.transaction_id.as_str()
        ]
    );

    // Erasure: private data gone everywhere SMC wrote it.
    let receipt = smc_clerk.erase_patient(PATIENT_ID).await.unwrap();
    assert!(
        receipt.value.purged.values().sum::<u32>() >= 4,
        "{:?}",
        receipt.value.purged
    );
    let view = smc_clerk.get_patient(PATIENT_ID).await.unwrap();
    assert_eq!(
        (view.patient.status, view.demographics),
        (PatientStatus::Erased, None)
    );
    assert_eq!(
        smc_doctor.get_record("REC-LAB-1").await.unwrap().content,
        None
    );
    assert_eq!(smc_clerk.get_claim("CLM-1").await.unwrap().details, None);
    assert_eq!(
        pharmacist.get_prescription("RX-1").await.unwrap().content,
        None
    );

    // Events: every change once, in ledger order, and resumed from a file checkpoint.
    let mut events = patient.events().start_block(0).open().await.unwrap();
    let mut all = Vec::new();
    while all.len() < 16 {
        let e = tokio::time::timeout(std::time::Duration::from_secs(30), events.next())
            .await
            .expect("events arrive")
            .expect("the stream goes on")
            .unwrap();
        all.push(e);
    }
    drop(events);
    let names: Vec<&str> = all.iter().map(|e| e.event.name()).collect();
    assert_eq!(
        names,
        [
            "PatientRegistered",
            "ConsentGranted",
            "ConsentGranted",
            "ConsentGranted",
            "RecordAdded",
            "RecordAdded",
            "RecordAccessed",
            "PrescriptionIssued",
            "PrescriptionDispensed",
            "PrescriptionDelivered",
            "ClaimSubmitted",
            "ClaimAdjudicated",
            "ClaimPaid",
            "CertificateIssued",
            "CertificateRevoked",
            "PatientErased",
        ]
    );
    assert_eq!(all[0].transaction_id, registered.transaction_id);
    assert_eq!(all[0].block_number, registered.block_number);
    assert_eq!(all[15].transaction_id, receipt.transaction_id);
    let MedicalEvent::PrescriptionDispensed(p) = &all[8].event else {
        panic!("{:?}", all[8]);
    };
    assert_eq!((p.id.as_str(), p.org.as_deref()), ("RX-1", Some(PHARMACY)));

    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("checkpoint.json");
    let checkpointer = FileCheckpointer::open(&path).await.unwrap();
    let mut events = patient
        .events()
        .start_block(0)
        .checkpointer(&checkpointer)
        .open()
        .await
        .unwrap();
    for want in &all[..7] {
        let e = events.next().await.unwrap().unwrap();
        assert_eq!(&e, want);
        e.save(&checkpointer).await.unwrap();
    }
    drop(events);
    let reopened = FileCheckpointer::open(&path).await.unwrap();
    assert_eq!(reopened.checkpoint(), Some(all[6].checkpoint()));
    let mut events = patient
        .events()
        .start_block(0)
        .checkpointer(&reopened)
        .open()
        .await
        .unwrap();
    for want in &all[7..16] {
        assert_eq!(
            &events.next().await.unwrap().unwrap(),
            want,
            "no loss, no duplicate"
        );
    }
    drop(events);
    net.stop().await;
}
