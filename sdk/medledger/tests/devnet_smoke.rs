//! The medical devnet helper: the devnet starts with the medical chaincode served in-process
//! and its collections deployed; a hospital clerk registers a patient through the SDK.

use medledger_model::{AdministrativeGender, Date, HumanName, PatientDemographics};
use medledger_sdk::devnet::MedicalDevnet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_registered_through_the_medical_devnet() {
    let dir = tempfile::tempdir().unwrap();
    let mut topology = MedicalDevnet::topology();
    topology.block_cutting.batch_timeout = "50ms".into();
    let net = MedicalDevnet::start_with(dir.path().join("devnet"), topology)
        .await
        .unwrap();
    let clerk = net.client("Clerk1@seoulmedical.example.com").await.unwrap();
    let demographics = PatientDemographics {
        name: HumanName {
            family: "Kim".into(),
            given: vec!["Minjun".into()],
        },
        birth_date: Date::parse("birth_date", "1980-03-14").unwrap(),
        gender: AdministrativeGender::Male,
        telecom: None,
        address: None,
    };
    let registered = clerk
        .register_patient("P-SMOKE-1", &demographics)
        .await
        .unwrap();
    assert_eq!(registered.value.home_org, "SeoulMedicalCenterMSP");
    assert!(registered.block_number > 0);
    // The demographics reached the home hospital's collection: its clerk reads them back.
    let view = clerk.get_patient("P-SMOKE-1").await.unwrap();
    assert_eq!(
        serde_json::to_value(&view).unwrap()["demographics"]["name"]["family"],
        "Kim",
        "{view:?}"
    );
    // A connection file per organisation, as the CLI uses them.
    assert!(net.connection_file("PharmacyMSP").unwrap().exists());
    net.shutdown().await.unwrap();
}
