//! Shared by the devnet tests: a medical devnet in a temporary directory, the people of the
//! default consortium, and valid inputs.

#![allow(dead_code)]

use medledger_model::{
    Address, AdministrativeGender, ClaimDetails, ClaimItem, ConsentPurpose, Date, HumanName, Krw,
    Medication, PatientDemographics, Period, PrescriptionInput, RecordCategory, Route, Timestamp,
};
use medledger_sdk::devnet::MedicalDevnet;
use medledger_sdk::gateway::TxValidationCode;
use medledger_sdk::{ConsentGrant, MedLedgerClient};

pub const SMC: &str = "SeoulMedicalCenterMSP";
pub const MJH: &str = "MyongjiHospitalMSP";
pub const NHIS: &str = "NHISMSP";
pub const PHARMACY: &str = "PharmacyMSP";

pub const SMC_DOCTOR: &str = "Doctor1@seoulmedical.example.com";
pub const SMC_NURSE: &str = "Nurse1@seoulmedical.example.com";
pub const SMC_CLERK: &str = "Clerk1@seoulmedical.example.com";
pub const SMC_PATIENT: &str = "Patient1@seoulmedical.example.com";
pub const SMC_AUDITOR: &str = "Auditor1@seoulmedical.example.com";
pub const MJH_DOCTOR: &str = "Doctor1@myongji.example.com";
pub const NHIS_OFFICER: &str = "ClaimsOfficer1@nhis.example.com";
pub const NHIS_AUDITOR: &str = "Auditor1@nhis.example.com";
pub const PHARMACIST: &str = "Pharmacist1@pharmacy.example.com";
pub const PHARMACY_CLERK: &str = "Clerk1@pharmacy.example.com";

/// The pseudonym in Patient1@seoulmedical's certificate.
pub const PATIENT_ID: &str = "P-SMC-000001";

pub struct Net {
    pub net: MedicalDevnet,
    _dir: tempfile::TempDir,
}

/// The default consortium's devnet (TLS, four organisations) with 50 ms blocks.
pub async fn start() -> Net {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut topology = MedicalDevnet::topology();
    topology.block_cutting.batch_timeout = "50ms".into();
    let net = MedicalDevnet::start_with(dir.path().join("devnet"), topology)
        .await
        .expect("the medical devnet starts");
    Net { net, _dir: dir }
}

impl Net {
    pub async fn client(&self, user: &str) -> MedLedgerClient {
        self.net
            .client(user)
            .await
            .unwrap_or_else(|e| panic!("client of {user}: {e}"))
    }

    pub fn height(&self) -> u64 {
        self.net.devnet().ledger().height()
    }

    /// A committed transaction's validation code and the organisations (MSP ids, sorted) whose
    /// peers endorsed it, read from the block the devnet stored.
    pub fn endorsed_by(&self, txid: &str) -> (TxValidationCode, Vec<String>) {
        use fabric_sdk::protos::Message;
        let store = self.net.devnet().ledger().store();
        let at = store
            .transaction(txid)
            .expect("the ledger reads")
            .unwrap_or_else(|| panic!("transaction {txid} is not on the ledger"));
        let block = store
            .block(at.block_num)
            .expect("the ledger reads")
            .expect("the block is stored");
        let data = block.data.expect("block data");
        let bytes = &data.data[usize::try_from(at.tx_num).expect("index fits")];
        let envelope =
            fabric_sdk::protos::common::Envelope::decode(bytes.as_ref()).expect("an envelope");
        let tx = fabric_sdk::tx::ParsedTransaction::parse(&envelope).expect("a transaction");
        let mut orgs: Vec<String> = tx
            .endorsements
            .iter()
            .map(|e| {
                fabric_sdk::protos::msp::SerializedIdentity::decode(e.endorser.as_ref())
                    .expect("an endorser identity")
                    .mspid
            })
            .collect();
        orgs.sort();
        (at.code, orgs)
    }

    pub async fn stop(self) {
        self.net.shutdown().await.expect("the devnet stops cleanly");
    }
}

pub fn now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    Timestamp::from_unix("now", i64::try_from(secs).expect("secs fit")).expect("a valid time")
}

/// From an hour ago, for a year.
pub fn this_year() -> Period {
    let start = now().unix() - 3600;
    Period {
        start: Timestamp::from_unix("start", start).unwrap(),
        end: Some(Timestamp::from_unix("end", start + 365 * 86_400).unwrap()),
    }
}

/// The patient's consent to `grantee` for `purpose` over one category, for [`this_year`],
/// without a signed form (`consent_id` `None`: derived by the chaincode).
pub fn consent(
    consent_id: Option<&str>,
    grantee: &str,
    purpose: ConsentPurpose,
    scope: RecordCategory,
) -> ConsentGrant {
    ConsentGrant {
        consent_id: consent_id.map(str::to_owned),
        patient_id: PATIENT_ID.into(),
        grantee: grantee.into(),
        purpose,
        scopes: vec![scope],
        period: this_year(),
        document: None,
    }
}

pub fn demographics() -> PatientDemographics {
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

pub fn amoxicillin() -> PrescriptionInput {
    PrescriptionInput {
        medications: vec![Medication {
            code: "642102570".into(),
            name: "Amoxicillin 500mg".into(),
            dose: "1 capsule".into(),
            frequency: 3,
            days: 5,
            route: Route::Oral,
        }],
        notes: Some("after meals".into()),
    }
}

pub fn consultation_claim() -> ClaimDetails {
    ClaimDetails {
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
    }
}
