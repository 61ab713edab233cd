//! The encoding of every kind of argument and transient entry, read back as the chaincode
//! reads it (`medledger_chaincode::args::Arg`, canonical JSON in the transient map).

use medledger_chaincode::args::Arg;
use medledger_model::{
    Address, AdministrativeGender, AssetType, CertificateKind, Claim, ClaimDetails, ClaimItem,
    ClaimOutcome, ClaimResponse, ConsentDocument, ConsentPurpose, Date, HumanName, Krw, Medication,
    Patient, PatientDemographics, Period, PrescriptionInput, RecordCategory, Route, Salt,
    StoredPhi, Timestamp, canonical, commit, commit_json,
};

use super::*;
use crate::call::CallKind;
use crate::documents::{RecordDocument, SaltedDocument};
use crate::error::Error;

fn demographics() -> PatientDemographics {
    PatientDemographics {
        name: HumanName {
            family: "김".into(),
            given: vec!["민준".into()],
        },
        birth_date: Date::parse("birth_date", "1980-03-14").unwrap(),
        gender: AdministrativeGender::Male,
        telecom: Some("010-1234-5678".into()),
        address: Some(Address {
            line: vec!["서울특별시 중구 을지로 245".into()],
            city: "Seoul".into(),
            postal_code: "04564".into(),
        }),
    }
}

fn salt_of<T>(call: &crate::Call<T>) -> Salt {
    let text = std::str::from_utf8(call.transient_value("salt").unwrap()).unwrap();
    Salt::from_hex("salt", text).unwrap()
}

fn keys<T>(call: &crate::Call<T>) -> Vec<&str> {
    call.transient_keys().collect()
}

#[test]
fn register_patient_sends_demographics_only_in_the_private_phase() {
    let d = demographics();
    let call = store_patient_demographics("P-SMC-000001", &d).unwrap();
    assert_eq!(
        (call.function(), call.kind()),
        ("StorePatientDemographics", CallKind::Submit)
    );
    assert!(call.is_private_phase());
    assert_eq!(call.arguments(), ["P-SMC-000001"]);
    assert_eq!(keys(&call), ["patient", "salt"]);
    assert_eq!(
        call.transient_value("patient").unwrap(),
        canonical::to_canonical_vec(&d).unwrap()
    );
    let salt = salt_of(&call);
    // a fresh salt per call
    assert_ne!(
        salt_of(&store_patient_demographics("P-SMC-000001", &d).unwrap()),
        salt
    );
    // nothing private in the arguments or the Debug form
    let shown = format!("{call:?}");
    assert!(
        !shown.contains("민준") && !shown.contains("010-1234") && !shown.contains(&salt.to_hex()),
        "{shown}"
    );
    // The private phase's answer must carry the commitment computed here.
    let hash = commit_json(&salt, &d).unwrap();
    let mut stored = StoredPhi {
        id: "P-SMC-000001".into(),
        collection: "SeoulMedicalCenterPHI".into(),
        commitment: hash.clone(),
    };
    call.verify(&stored).unwrap();
    stored.commitment = commit(&salt, b"something else");
    assert!(matches!(
        call.verify(&stored),
        Err(Error::Integrity {
            field: "commitment",
            ..
        })
    ));

    // The public phase: the id and the commitment, no transient data, planned by the gateway.
    let call = register_patient("P-SMC-000001", &hash);
    assert_eq!(call.function(), "RegisterPatient");
    assert!(!call.is_private_phase());
    assert_eq!(call.arguments(), ["P-SMC-000001", hash.to_hex().as_str()]);
    assert_eq!(keys(&call), Vec::<&str>::new());
    let mut patient = Patient {
        patient_id: "P-SMC-000001".into(),
        home_org: "SeoulMedicalCenterMSP".into(),
        status: medledger_model::PatientStatus::Active,
        demographics_hash: hash,
        registered_at: Timestamp::parse("t", "2026-01-01T00:00:00Z").unwrap(),
        registered_by: actor(),
        erased_at: None,
    };
    call.verify(&patient).unwrap();
    patient.demographics_hash = commit(&salt, b"something else");
    assert!(matches!(
        call.verify(&patient),
        Err(Error::Integrity {
            field: "demographics_hash",
            ..
        })
    ));
}

fn actor() -> medledger_model::Actor {
    medledger_model::Actor {
        msp_id: "SeoulMedicalCenterMSP".into(),
        role: medledger_model::Role::Clerk,
        id: "x509::CN=Clerk1".into(),
    }
}

#[test]
fn consent_arguments_read_back_as_the_chaincode_reads_them() {
    let period = Period {
        start: Timestamp::parse("start", "2026-01-01T00:00:00Z").unwrap(),
        end: Some(Timestamp::parse("end", "2027-01-01T00:00:00Z").unwrap()),
    };
    let form = SaltedDocument::new(b"signed consent form, scanned").unwrap();
    let grant = ConsentGrant {
        consent_id: None,
        patient_id: "P-SMC-000001".into(),
        grantee: "MyongjiHospitalMSP".into(),
        purpose: ConsentPurpose::Treatment,
        scopes: vec![RecordCategory::Lab, RecordCategory::Imaging],
        period,
        document: Some(form.consent_document()),
    };
    let call = grant_consent(&grant).unwrap();
    let a = call.arguments();
    assert_eq!(a[0], "", "an empty id lets the chaincode derive one");
    assert_eq!(&a[1..3], ["P-SMC-000001", "MyongjiHospitalMSP"]);
    assert_eq!(
        Arg::<ConsentPurpose>::from_text(&a[3])
            .parse("purpose")
            .unwrap(),
        ConsentPurpose::Treatment
    );
    assert_eq!(
        Arg::<Vec<RecordCategory>>::from_text(&a[4])
            .parse("scopes")
            .unwrap(),
        grant.scopes
    );
    assert_eq!(
        Arg::<Period>::from_text(&a[5]).parse("period").unwrap(),
        period
    );
    // The public call names the form's hash, and carries no transient data.
    assert_eq!(a[6], form.hash.to_hex());
    assert_eq!(keys(&call), Vec::<&str>::new());
    assert!(!call.is_private_phase());
    // The form itself goes in the private phase.
    let store = store_consent_form(
        None,
        "P-SMC-000001",
        medledger_model::ConsentForm::Grant,
        grant.document.as_ref().unwrap(),
    )
    .unwrap();
    assert!(store.is_private_phase());
    assert_eq!(store.arguments(), ["", "P-SMC-000001", "grant"]);
    let doc: ConsentDocument =
        serde_json::from_slice(store.transient_value("consent_document").unwrap()).unwrap();
    assert_eq!((doc.document_hash, doc.salt), (form.hash, form.salt));

    let patient_grant = ConsentGrant {
        document: None,
        ..grant
    };
    let call = grant_consent(&patient_grant).unwrap();
    assert_eq!(keys(&call), Vec::<&str>::new());
    assert_eq!(call.arguments()[6], "");

    let check = check_consent("P-1", "NHISMSP", ConsentPurpose::InsuranceClaim, None);
    assert_eq!(check.arguments(), ["P-1", "NHISMSP", "insurance_claim", ""]);
    assert_eq!(
        Arg::<Option<RecordCategory>>::from_text(&check.arguments()[3])
            .parse("category")
            .unwrap(),
        None
    );
    let check = check_consent(
        "P-1",
        "MyongjiHospitalMSP",
        ConsentPurpose::Treatment,
        Some(RecordCategory::Lab),
    );
    assert_eq!(check.arguments()[3], "lab");
    assert_eq!(
        revoke_consent("CON-1", None).unwrap().arguments(),
        ["CON-1", ""]
    );
}

#[test]
fn record_content_and_hash_are_computed_here() {
    let fhir = r#"{"resourceType":"Observation","status":"final"}"#;
    let doc = RecordDocument::on_ledger(fhir).unwrap();
    let record = NewRecord {
        record_id: Some("REC-1".into()),
        patient_id: "P-1".into(),
        category: RecordCategory::Lab,
        resource_type: medledger_model::FhirResourceType::Observation,
        location: "https://ehr.seoulmedical.example.com/fhir/Observation/1".into(),
        document: doc.clone(),
    };
    let call = add_record(&record);
    let a = call.arguments();
    assert_eq!(a.len(), 7);
    assert_eq!(
        (a[0].as_str(), a[2].as_str(), a[3].as_str(), a[6].as_str()),
        ("REC-1", "lab", "Observation", "true")
    );
    assert_eq!(a[4], commit(&doc.salted.salt, fhir.as_bytes()).to_hex());
    assert_eq!(
        keys(&call),
        Vec::<&str>::new(),
        "the public phase carries no PHI"
    );
    let store = store_record_content(&record).unwrap();
    assert!(store.is_private_phase());
    assert_eq!(store.arguments(), ["REC-1", "P-1", a[4].as_str()]);
    assert_eq!(keys(&store), ["record_content", "salt"]);
    assert_eq!(
        store.transient_value("record_content").unwrap(),
        fhir.as_bytes()
    );
    assert_eq!(salt_of(&store), doc.salted.salt);

    let off = NewRecord {
        document: RecordDocument::off_ledger(b"%PDF-1.7 ...").unwrap(),
        ..record
    };
    let call = add_record(&off);
    assert_eq!(
        keys(&call),
        Vec::<&str>::new(),
        "off-ledger: only the hash is sent"
    );
    assert_eq!(call.arguments()[6], "false");
    assert!(store_record_content(&off).is_none());
    assert!(
        off.document
            .salted
            .hash
            .verify(&off.document.salted.salt, b"%PDF-1.7 ...")
    );
    assert_eq!(
        access_record("REC-1", ConsentPurpose::Treatment).arguments(),
        ["REC-1", "treatment"]
    );
}

#[test]
fn prescription_arguments_and_content() {
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
    let call = issue_prescription(None, "P-1", None, &rx).unwrap();
    assert_eq!(call.arguments(), ["", "P-1", ""]);
    assert_eq!(
        Arg::<Option<u32>>::from_text(&call.arguments()[2])
            .parse("validity_days")
            .unwrap(),
        None
    );
    let call = issue_prescription(Some("RX-1"), "P-1", Some(7), &rx).unwrap();
    assert_eq!(call.arguments(), ["RX-1", "P-1", "7"]);
    assert_eq!(keys(&call), ["prescription", "salt"]);
    let sent: PrescriptionInput =
        serde_json::from_slice(call.transient_value("prescription").unwrap()).unwrap();
    assert_eq!(sent, rx);
    assert!(!format!("{call:?}").contains("Amoxicillin"));

    for (call, f) in [
        (dispense_prescription("RX-1"), "DispensePrescription"),
        (confirm_delivery("RX-1"), "ConfirmDelivery"),
        (cancel_prescription("RX-1"), "CancelPrescription"),
    ] {
        assert_eq!(
            (call.function(), call.arguments()),
            (f, &["RX-1".to_owned()][..])
        );
        assert_eq!(call.kind(), CallKind::Submit);
    }
    let list = list_prescriptions(
        None,
        Some(medledger_model::PrescriptionStatus::Issued),
        20,
        "",
    );
    assert_eq!(list.arguments(), ["", "issued", "20", ""]);
    assert_eq!(list.kind(), CallKind::Evaluate);
    assert_eq!(get_prescription("RX-1").kind(), CallKind::Evaluate);
}

#[test]
fn claim_amounts_travel_only_in_the_transient_map() {
    let details = ClaimDetails {
        diagnosis_codes: vec!["J20.9".into()],
        items: vec![ClaimItem {
            code: "AA157".into(),
            quantity: 1,
            unit_price: Krw(17_610),
            amount: Krw(17_610),
        }],
        total: Krw(17_610),
    };
    let encounters = vec!["REC-ENC-1".to_owned(), "REC-ENC-2".to_owned()];
    let call = submit_claim(Some("CLM-1"), "P-1", "NHISMSP", &encounters, &details).unwrap();
    let a = call.arguments();
    assert_eq!(&a[..3], ["CLM-1", "P-1", "NHISMSP"]);
    assert_eq!(
        Arg::<Vec<String>>::from_text(&a[3])
            .parse("encounter_ids")
            .unwrap(),
        encounters
    );
    assert!(!a.iter().any(|x| x.contains("17610") || x.contains("J20")));
    assert_eq!(keys(&call), ["claim", "salt"]);
    let salt = salt_of(&call);
    let claim: Claim = serde_json::from_value(serde_json::json!({
        "claim_id": "CLM-1", "patient_id": "P-1", "provider": "SeoulMedicalCenterMSP",
        "insurer": "NHISMSP", "encounter_ids": encounters, "status": "submitted",
        "content_hash": commit_json(&salt, &details).unwrap(),
        "submitted_by": actor(), "submitted_at": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    call.verify(&claim).unwrap();

    let decision = ClaimResponse {
        outcome: ClaimOutcome::Approved,
        insurer_amount: Krw(12_327),
        patient_share: Krw(5_283),
        reason_codes: vec![],
    };
    let call = adjudicate_claim("CLM-1", &decision).unwrap();
    assert_eq!(call.arguments(), ["CLM-1", "approved"]);
    assert_eq!(keys(&call), ["decision", "salt"]);
    assert!(matches!(
        call.verify(&claim),
        Ok(()) // no decision hash yet on this claim: nothing to compare
    ));
    let mut decided = claim.clone();
    decided.decision_hash = Some(commit(&salt_of(&call), b"other"));
    assert!(matches!(
        call.verify(&decided),
        Err(Error::Integrity {
            field: "decision_hash",
            ..
        })
    ));

    let call = pay_claim("CLM-1", "PAY-2026-0001").unwrap();
    assert_eq!(call.arguments(), ["CLM-1"]);
    assert_eq!(
        call.transient_value("payment").unwrap(),
        br#"{"payment_reference":"PAY-2026-0001"}"#
    );
    assert_eq!(
        list_claims(Some("SeoulMedicalCenterMSP"), None, None, 10, "ab").arguments(),
        ["SeoulMedicalCenterMSP", "", "", "10", "ab"]
    );
}

#[test]
fn certificates_send_hashes_never_documents_or_salts() {
    let doc = b"Diagnosis certificate No. 2026-0001";
    let salted = SaltedDocument::new(doc).unwrap();
    let until = Timestamp::parse("valid_until", "2027-01-01T00:00:00Z").unwrap();
    let call = issue_certificate(
        None,
        "P-1",
        CertificateKind::Diagnosis,
        &salted,
        Some(until),
    )
    .unwrap();
    let a = call.arguments();
    assert_eq!(
        &a[..4],
        ["", "P-1", "diagnosis", salted.hash.to_hex().as_str()]
    );
    assert_eq!(
        Arg::<Option<Timestamp>>::from_text(&a[4])
            .parse("valid_until")
            .unwrap(),
        Some(until)
    );
    assert!(!a.iter().any(|x| x.contains(&salted.salt.to_hex())));
    assert_eq!(keys(&call), Vec::<&str>::new());

    let verify = verify_certificate("CERT-1", doc, &salted.salt);
    assert_eq!(
        verify.arguments(),
        ["CERT-1", salted.hash.to_hex().as_str()]
    );
    assert_eq!(verify.kind(), CallKind::Evaluate);
    assert_eq!(
        revoke_certificate("CERT-1", medledger_model::RevocationReason::IssuedInError).arguments(),
        ["CERT-1", "issued_in_error"]
    );
    assert_eq!(
        get_history(AssetType::Prescription, "RX-1").arguments(),
        ["Prescription", "RX-1"]
    );
    assert_eq!(
        list_access_log("P-1", 50, "").arguments(),
        ["P-1", "50", ""]
    );
}
