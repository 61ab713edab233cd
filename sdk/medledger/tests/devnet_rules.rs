//! Refusals through the real network (403 naming the rule, 400 naming the field, refused
//! after consent is revoked; none writes a block), two concurrent dispenses of one
//! prescription: exactly one commits, the other is MVCC_READ_CONFLICT, and the private phase
//! of a PHI write: valid only with the collection member's endorsement.

mod common;

use common::*;
use fabric_sdk::gateway::TxValidationCode;
use medledger_model::{ConsentPurpose, FhirResourceType, PrescriptionStatus, RecordCategory};
use medledger_sdk::{Error, NewRecord, RecordDocument, calls};

fn refusal(result: Result<impl std::fmt::Debug, Error>) -> (i32, String) {
    match result {
        Err(Error::Refused {
            status, message, ..
        }) => (status, message),
        other => panic!("expected a chaincode refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_name_the_rule_or_the_field_and_write_nothing() {
    let net = start().await;
    let clerk = net.client(SMC_CLERK).await;
    let doctor = net.client(SMC_DOCTOR).await;
    let nurse = net.client(SMC_NURSE).await;
    let patient = net.client(SMC_PATIENT).await;
    let mjh_doctor = net.client(MJH_DOCTOR).await;
    clerk
        .register_patient(PATIENT_ID, &demographics())
        .await
        .unwrap();
    let consent = patient
        .grant_consent(&consent(
            Some("CON-1"),
            MJH,
            ConsentPurpose::Treatment,
            RecordCategory::Lab,
        ))
        .await
        .unwrap();
    doctor
        .add_record(&NewRecord {
            record_id: Some("REC-1".into()),
            patient_id: PATIENT_ID.into(),
            category: RecordCategory::Lab,
            resource_type: FhirResourceType::Observation,
            location: "https://ehr.seoulmedical.example.com/fhir/Observation/1".into(),
            document: RecordDocument::off_ledger(b"lab result").unwrap(),
        })
        .await
        .unwrap();
    mjh_doctor
        .access_record("REC-1", ConsentPurpose::Treatment)
        .await
        .unwrap();

    let height = net.height();
    // A nurse may not prescribe.
    let (status, message) = refusal(
        nurse
            .issue_prescription(Some("RX-N"), PATIENT_ID, None, &amoxicillin())
            .await,
    );
    assert_eq!(status, 403, "{message}");
    assert!(
        message.starts_with("forbidden: IssuePrescription: ") && message.contains("nurse"),
        "{message}"
    );
    // Bad input names the field.
    let mut bad = amoxicillin();
    bad.medications[0].code = "12345".into();
    let (status, message) = refusal(
        doctor
            .issue_prescription(Some("RX-B"), PATIENT_ID, None, &bad)
            .await,
    );
    assert_eq!(status, 400, "{message}");
    assert!(
        message.starts_with("bad input: prescription.medications[0].code: "),
        "{message}"
    );
    let (status, message) = refusal(
        doctor
            .issue_prescription(Some("RX-B"), PATIENT_ID, Some(365), &amoxicillin())
            .await,
    );
    assert_eq!(
        (status, message.starts_with("bad input: validity_days: ")),
        (400, true),
        "{message}"
    );
    // A two-phase write refused in its private phase commits neither phase.
    let (status, message) = refusal(
        nurse
            .register_patient("P-SMC-000002", &demographics())
            .await,
    );
    assert_eq!(status, 403, "{message}");
    assert!(
        message.starts_with("forbidden: StorePatientDemographics: "),
        "{message}"
    );
    // Unknown ids are 404.
    let (status, message) = refusal(doctor.get_prescription("RX-NONE").await);
    assert_eq!(
        (status, message.as_str()),
        (404, "not found: prescription RX-NONE")
    );
    assert_eq!(net.height(), height, "refusals write nothing");

    // After the patient revokes the consent, Myongji is refused.
    let revoked = patient
        .revoke_consent(&consent.value.consent_id, None)
        .await
        .unwrap();
    let height = net.height();
    assert!(revoked.block_number < height);
    let (status, message) = refusal(
        mjh_doctor
            .access_record("REC-1", ConsentPurpose::Treatment)
            .await,
    );
    assert_eq!(status, 403, "{message}");
    assert!(
        message.starts_with("forbidden: AccessRecord: "),
        "{message}"
    );
    assert!(
        !mjh_doctor
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
    assert_eq!(net.height(), height, "refusals write nothing");
    assert_eq!(
        patient
            .list_access_log(PATIENT_ID, 10, "")
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    net.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_concurrent_dispenses_exactly_one_commits() {
    let net = start().await;
    let clerk = net.client(SMC_CLERK).await;
    let doctor = net.client(SMC_DOCTOR).await;
    let pharmacist = net.client(PHARMACIST).await;
    clerk
        .register_patient(PATIENT_ID, &demographics())
        .await
        .unwrap();
    doctor
        .issue_prescription(Some("RX-2"), PATIENT_ID, None, &amoxicillin())
        .await
        .unwrap();

    // Both endorsed on the same state before either is submitted.
    let first = pharmacist
        .endorse(calls::dispense_prescription("RX-2"))
        .await
        .unwrap();
    let second = pharmacist
        .endorse(calls::dispense_prescription("RX-2"))
        .await
        .unwrap();
    assert_ne!(first.transaction_id(), second.transaction_id());
    assert_eq!(first.value().status, PrescriptionStatus::Dispensed);
    assert_eq!(second.value().status, PrescriptionStatus::Dispensed);
    let (a, b) = tokio::join!(first.submit(), second.submit());

    let (won, lost) = match (a, b) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        other => panic!("expected exactly one commit, got {other:?}"),
    };
    assert_eq!(won.value.status, PrescriptionStatus::Dispensed);
    assert_eq!(
        lost.validation_code(),
        Some(TxValidationCode::MvccReadConflict)
    );
    let Error::Commit {
        code,
        block_number,
        source,
        ..
    } = &lost
    else {
        panic!("{lost:?}");
    };
    assert_eq!(*code as i32, 11);
    assert!(*block_number >= won.block_number);
    assert!(
        matches!(source.as_ref(), fabric_sdk::Error::Commit(c) if c.code_name() == "MVCC_READ_CONFLICT")
    );

    // The ledger holds one dispense; a third one is refused by the chaincode (409).
    let view = pharmacist.get_prescription("RX-2").await.unwrap();
    assert_eq!(view.prescription.status, PrescriptionStatus::Dispensed);
    let history = pharmacist
        .get_history(medledger_model::AssetType::Prescription, "RX-2")
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].txid, won.transaction_id);
    match pharmacist.dispense_prescription("RX-2").await {
        Err(e) => assert_eq!(e.status(), Some(409), "{e}"),
        Ok(c) => panic!("dispensed twice: {c:?}"),
    }
    net.stop().await;
}

/// The private phase of a PHI write needs the collection's member: endorsed by NHIS alone (a
/// non-member, which then saw the transient data) it commits invalid under the collection's
/// policy `OR('SeoulMedicalCenterMSP.peer')`, stores nothing, and the public phase that names
/// its commitment is refused. Endorsed by the member alone, the same call commits valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_private_phase_needs_the_collection_member() {
    let net = start().await;
    let clerk = net.client(SMC_CLERK).await;

    let call = calls::store_patient_demographics(PATIENT_ID, &demographics())
        .unwrap()
        .with_endorsing_organizations([NHIS]);
    let err = clerk.submit(call).await.unwrap_err();
    assert_eq!(
        err.validation_code(),
        Some(TxValidationCode::EndorsementPolicyFailure),
        "{err}"
    );
    let Error::Commit { transaction_id, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        net.endorsed_by(transaction_id),
        (
            TxValidationCode::EndorsementPolicyFailure,
            vec![NHIS.to_owned()]
        )
    );

    // Nothing was stored: the public phase finds no demographics.
    let stored = clerk
        .endorse(calls::store_patient_demographics(PATIENT_ID, &demographics()).unwrap())
        .await
        .unwrap();
    let commitment = stored.value().commitment.clone();
    let (status, message) = refusal(
        clerk
            .submit(calls::register_patient(PATIENT_ID, &commitment))
            .await,
    );
    assert_eq!(status, 404, "{message}");
    assert!(message.contains("StorePatientDemographics"), "{message}");

    // Endorsed by the client's own choice (its organisation alone), it commits.
    let stored = stored.submit().await.unwrap();
    assert_eq!(
        net.endorsed_by(&stored.transaction_id),
        (TxValidationCode::Valid, vec![SMC.to_owned()])
    );
    let registered = clerk
        .submit(calls::register_patient(PATIENT_ID, &commitment))
        .await
        .unwrap();
    let (code, orgs) = net.endorsed_by(&registered.transaction_id);
    assert_eq!(code, TxValidationCode::Valid);
    assert_eq!(
        orgs.len(),
        2,
        "the chaincode policy: two of SMC, MJH, NHIS: {orgs:?}"
    );
    net.stop().await;
}
