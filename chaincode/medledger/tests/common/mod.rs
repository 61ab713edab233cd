//! The test world: the medical chaincode on a test ledger with the default network's
//! collections, the default network's people as test identities, fixtures, and the assertions
//! every test uses (a denial writes nothing; nothing public carries PHI).

#![allow(dead_code)] // each test binary uses a part of this module

use std::sync::OnceLock;

use fabric_chaincode::PeerFeatures;
use fabric_chaincode::contract::ContractChaincode;
use fabric_chaincode::testing::{TestIdentity, TestLedger, TxOutcome, TxValidationCode};
use medledger_model::{Salt, commit};

/// A transient map: names and values.
pub type Transient<'a> = &'a [(&'a str, &'a [u8])];

/// The chaincode name on the test channel.
pub const CC: &str = "medledger";
/// The collections of the default network (the file the networks deploy).
pub const COLLECTIONS: &str = include_str!("../../config/collections.json");

pub const SMC: &str = "SeoulMedicalCenterMSP";
pub const MJH: &str = "MyongjiHospitalMSP";
pub const NHIS: &str = "NHISMSP";
pub const PHARMACY: &str = "PharmacyMSP";
pub const SMC_PHI: &str = "SeoulMedicalCenterPHI";
pub const MJH_PHI: &str = "MyongjiHospitalPHI";
pub const RX: &str = "Prescriptions";
pub const SMC_NHIS: &str = "SeoulMedicalCenterNHISClaims";
pub const MJH_NHIS: &str = "MyongjiHospitalNHISClaims";

/// The default network's patients.
pub const P1: &str = "P-SMC-000001";
pub const P2: &str = "P-MJH-000001";

/// 2024-01-01T00:00:00Z, the test ledger's clock.
pub const T0: i64 = 1_704_067_200;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// The people of the default network (`network/topology/medical.toml`), and some who should
/// be refused.
pub struct People {
    pub smc_doctor: TestIdentity,
    pub smc_doctor2: TestIdentity,
    pub smc_nurse: TestIdentity,
    pub smc_clerk: TestIdentity,
    pub smc_patient: TestIdentity,
    pub smc_auditor: TestIdentity,
    pub smc_admin: TestIdentity,
    pub smc_unlicensed_doctor: TestIdentity,
    pub mjh_doctor: TestIdentity,
    pub mjh_nurse: TestIdentity,
    pub mjh_clerk: TestIdentity,
    pub mjh_patient: TestIdentity,
    /// A Myongji identity claiming Seoul Medical Center's patient id.
    pub mjh_fake_p1: TestIdentity,
    pub nhis_officer: TestIdentity,
    pub nhis_auditor: TestIdentity,
    pub pharmacist: TestIdentity,
    pub pharmacy_clerk: TestIdentity,
    pub unlicensed_pharmacist: TestIdentity,
    /// A doctor of an organisation outside the consortium.
    pub outsider: TestIdentity,
}

fn person(msp: &str, name: &str, attrs: &[(&str, &str)]) -> TestIdentity {
    let mut b = TestIdentity::builder(msp).name(name);
    for (k, v) in attrs {
        b = b.attribute(*k, *v);
    }
    b.build().expect("test identity")
}

/// The people, made once per test binary.
pub fn people() -> &'static People {
    static PEOPLE: OnceLock<People> = OnceLock::new();
    PEOPLE.get_or_init(|| People {
        smc_doctor: person(
            SMC,
            "Doctor1@seoulmedical.example.com",
            &[("role", "doctor"), ("license_no", "MD-104233")],
        ),
        smc_doctor2: person(
            SMC,
            "Doctor2@seoulmedical.example.com",
            &[("role", "doctor"), ("license_no", "MD-104234")],
        ),
        smc_nurse: person(SMC, "Nurse1@seoulmedical.example.com", &[("role", "nurse")]),
        smc_clerk: person(SMC, "Clerk1@seoulmedical.example.com", &[("role", "clerk")]),
        smc_patient: person(
            SMC,
            "Patient1@seoulmedical.example.com",
            &[("role", "patient"), ("patient_id", P1)],
        ),
        smc_auditor: person(
            SMC,
            "Auditor1@seoulmedical.example.com",
            &[("role", "auditor")],
        ),
        smc_admin: person(SMC, "Admin@seoulmedical.example.com", &[]),
        smc_unlicensed_doctor: person(
            SMC,
            "Doctor9@seoulmedical.example.com",
            &[("role", "doctor")],
        ),
        mjh_doctor: person(
            MJH,
            "Doctor1@myongji.example.com",
            &[("role", "doctor"), ("license_no", "MD-118472")],
        ),
        mjh_nurse: person(MJH, "Nurse1@myongji.example.com", &[("role", "nurse")]),
        mjh_clerk: person(MJH, "Clerk1@myongji.example.com", &[("role", "clerk")]),
        mjh_patient: person(
            MJH,
            "Patient1@myongji.example.com",
            &[("role", "patient"), ("patient_id", P2)],
        ),
        mjh_fake_p1: person(
            MJH,
            "Patient9@myongji.example.com",
            &[("role", "patient"), ("patient_id", P1)],
        ),
        nhis_officer: person(
            NHIS,
            "ClaimsOfficer1@nhis.example.com",
            &[("role", "claims_officer")],
        ),
        nhis_auditor: person(NHIS, "Auditor1@nhis.example.com", &[("role", "auditor")]),
        pharmacist: person(
            PHARMACY,
            "Pharmacist1@pharmacy.example.com",
            &[("role", "pharmacist"), ("license_no", "PH-208841")],
        ),
        pharmacy_clerk: person(
            PHARMACY,
            "Clerk1@pharmacy.example.com",
            &[("role", "clerk")],
        ),
        unlicensed_pharmacist: person(
            PHARMACY,
            "Pharmacist9@pharmacy.example.com",
            &[("role", "pharmacist")],
        ),
        outsider: person(
            "OtherHospitalMSP",
            "Doctor1@other.example.com",
            &[("role", "doctor"), ("license_no", "MD-000001")],
        ),
    })
}

/// The chaincode, built once per test binary.
pub fn chaincode() -> &'static ContractChaincode {
    static CHAINCODE: OnceLock<ContractChaincode> = OnceLock::new();
    CHAINCODE
        .get_or_init(|| medledger_chaincode::chaincode().expect("the medical chaincode builds"))
}

/// A fresh ledger with the default network's collections. The peer is a v2.5 peer (one request
/// per write), so that a write made before a failure would show in the read-write set.
pub fn ledger() -> TestLedger {
    TestLedger::new(CC)
        .with_channel("medledger")
        .with_channel_orgs([SMC, MJH, NHIS, PHARMACY])
        .with_peer_features(PeerFeatures::default())
        .with_collections_json(COLLECTIONS)
        .expect("the collections parse")
        .with_time(T0, 0)
}

// ------------------------------------------------------------------------------- fixtures

pub fn salt(n: u8) -> String {
    hex_of(&[n; 32])
}

pub fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub const DEMOGRAPHICS: &str = r#"{"name":{"family":"홍","given":["길동"]},"birth_date":"1984-03-15","gender":"male","telecom":"010-1234-5678","address":{"line":["세종대로 110"],"city":"서울","postal_code":"04524"}}"#;
pub const DEMOGRAPHICS2: &str =
    r#"{"name":{"family":"김","given":["영희"]},"birth_date":"1990-07-01","gender":"female"}"#;
pub const PRESCRIPTION: &str = r#"{"medications":[{"code":"645301220","name":"타이레놀정500mg","dose":"1 tablet","frequency":3,"days":3,"route":"oral"}],"notes":"식후 30분 복용; 주민번호 840315-1234567 확인"}"#;
pub const CLAIM: &str = r#"{"diagnosis_codes":["J20.9"],"items":[{"code":"AA154","quantity":1,"unit_price":17610,"amount":17610},{"code":"B0010","quantity":2,"unit_price":1515,"amount":3030}],"total":20640}"#;
pub const CLAIM_TOTAL: u64 = 20_640;
pub const APPROVED: &str =
    r#"{"outcome":"approved","insurer_amount":14448,"patient_share":6192,"reason_codes":[]}"#;
pub const PARTIAL: &str = r#"{"outcome":"partially_approved","insurer_amount":10000,"patient_share":5000,"reason_codes":["B1"]}"#;
pub const REJECTED: &str =
    r#"{"outcome":"rejected","insurer_amount":0,"patient_share":0,"reason_codes":["A7"]}"#;
pub const RECORD_CONTENT: &str = r#"{"resourceType":"Encounter","id":"enc-1","status":"finished","subject":{"display":"홍길동"},"reasonCode":[{"text":"기침과 발열"}]}"#;
pub const PERIOD_2024: &str = r#"{"start":"2024-01-01T00:00:00Z","end":"2025-01-01T00:00:00Z"}"#;
pub const LOCATION: &str = "https://emr.seoulmedical.example/fhir/Encounter/enc-1";

/// The salted hash of some content under `salt(n)`.
pub fn hash(n: u8, content: &[u8]) -> String {
    commit(&Salt::from_bytes([n; 32]), content).to_hex()
}

/// Values that must never appear on the public ledger, in events or in arguments.
pub const PHI_MARKERS: &[&str] = &[
    "홍",
    "길동",
    "김",
    "영희",
    "1984-03-15",
    "1990-07-01",
    "010-1234-5678",
    "세종대로",
    "서울",
    "04524",
    "타이레놀",
    "식후",
    "645301220",
    "J20.9",
    "17610",
    "14448",
    "6192",
    "기침",
    "female",
];

/// JSON keys of private types that must never appear in public values or events.
pub const PHI_KEYS: &[&str] = &[
    "\"name\"",
    "\"family\"",
    "\"given\"",
    "\"birth_date\"",
    "\"gender\"",
    "\"telecom\"",
    "\"address\"",
    "\"medications\"",
    "\"notes\"",
    "\"items\"",
    "\"diagnosis_codes\"",
    "\"insurer_amount\"",
    "\"patient_share\"",
    "\"total\"",
    "\"payment_reference\"",
    "\"content\"",
    "\"salt\"",
    "\"reason_codes\"",
    "\"prescriber_license\"",
];

/// Fails if `text` (public data) carries PHI: a marker, a private JSON key, or something shaped
/// like a resident registration number.
pub fn assert_no_phi(what: &str, text: &str) {
    for m in PHI_MARKERS {
        assert!(!text.contains(m), "{what} carries PHI {m:?}: {text:?}");
    }
    for k in PHI_KEYS {
        assert!(
            !text.contains(k),
            "{what} carries the private field {k}: {text:?}"
        );
    }
    assert!(
        !medledger_model::validate::looks_like_rrn(text),
        "{what} carries a resident registration number: {text:?}"
    );
}

// ------------------------------------------------------------------------------- assertions

/// Asserts a submit committed as valid with status 200.
#[track_caller]
pub fn assert_ok(o: &TxOutcome) {
    assert_eq!(
        (o.status(), o.message()),
        (200, ""),
        "expected success: {}",
        o.message()
    );
    if o.block.is_some() {
        assert_eq!(
            o.code,
            Some(TxValidationCode::Valid),
            "committed as {:?}",
            o.code
        );
    }
}

/// Asserts a refusal: the status, a message starting with `prefix` and containing `rule`, and
/// nothing written — no public write, metadata write, private write or hash, no event, and
/// nothing committed.
#[track_caller]
pub fn assert_denied(o: &TxOutcome, status: i32, prefix: &str, rule: &str) {
    assert_eq!(o.status(), status, "status of {:?}", o.message());
    assert!(
        o.message().starts_with(prefix) && o.message().contains(rule),
        "message {:?} should start with {prefix:?} and contain {rule:?}",
        o.message()
    );
    assert_nothing_written(o);
}

/// Asserts that a transaction wrote nothing at all.
#[track_caller]
pub fn assert_nothing_written(o: &TxOutcome) {
    for ns in &o.rwset.namespaces {
        assert!(ns.kv.writes.is_empty(), "public writes: {:?}", ns.kv.writes);
        assert!(
            ns.kv.metadata_writes.is_empty(),
            "metadata writes: {:?}",
            ns.kv.metadata_writes
        );
    }
    assert_public_only(o);
    assert!(o.event.is_none(), "an event: {:?}", o.event);
    assert_eq!(o.code, None, "committed");
    assert!(o.payload().is_empty(), "a payload: {}", o.payload_str());
}

/// Asserts a private-phase transaction: writes to `collection` only — no public or metadata
/// write, no other collection, no event (so the collection's policy alone applies).
#[track_caller]
pub fn assert_private_only(o: &TxOutcome, collection: &str) {
    let mut wrote = false;
    for ns in &o.rwset.namespaces {
        assert!(ns.kv.writes.is_empty(), "public writes: {:?}", ns.kv.writes);
        assert!(ns.kv.metadata_writes.is_empty(), "metadata writes");
        for c in &ns.collections {
            if !c.hashed.hashed_writes.is_empty() || !c.hashed.metadata_writes.is_empty() {
                assert_eq!(c.collection, collection, "writes to another collection");
                wrote = true;
            }
        }
    }
    assert!(wrote, "no private write to {collection}");
    assert!(o.event.is_none(), "an event: {:?}", o.event);
}

/// Asserts a public-phase transaction: no private write and no transient data.
#[track_caller]
pub fn assert_public_only(o: &TxOutcome) {
    for ns in &o.rwset.namespaces {
        for c in &ns.collections {
            assert!(
                c.hashed.hashed_writes.is_empty() && c.hashed.metadata_writes.is_empty(),
                "private writes to {}",
                c.collection
            );
        }
    }
    let private = o
        .simulation
        .private
        .as_ref()
        .map(|p| p.ns_pvt_rwset.len())
        .unwrap_or(0);
    assert_eq!(private, 0, "a private write set");
}

// ------------------------------------------------------------------------------- the world

/// A ledger, the chaincode and the people.
pub struct World {
    pub ledger: TestLedger,
    pub cc: &'static ContractChaincode,
    pub p: &'static People,
}

impl World {
    pub fn new() -> World {
        World {
            ledger: ledger(),
            cc: chaincode(),
            p: people(),
        }
    }

    /// Submits `function(args)` as `who` with a transient map.
    pub async fn submit(
        &self,
        who: &TestIdentity,
        function: &str,
        args: &[&str],
        transient: &[(&str, &[u8])],
    ) -> TxOutcome {
        let mut tx = self
            .ledger
            .tx(who)
            .function(function)
            .args(args.iter().copied());
        for (k, v) in transient {
            tx = tx.transient(*k, v);
        }
        tx.submit(self.cc)
            .await
            .expect("the test ledger runs the transaction")
    }

    /// Evaluates `function(args)` as `who`.
    pub async fn query(&self, who: &TestIdentity, function: &str, args: &[&str]) -> TxOutcome {
        self.ledger
            .tx(who)
            .function(function)
            .args(args.iter().copied())
            .evaluate(self.cc)
            .await
            .expect("the test ledger runs the query")
    }

    /// Phase 1 of a registration: `StorePatientDemographics` as `who` under `salt(n)`.
    pub async fn store_demographics(
        &self,
        who: &TestIdentity,
        patient_id: &str,
        demographics: &str,
        n: u8,
    ) -> TxOutcome {
        let s = salt(n);
        self.submit(
            who,
            "StorePatientDemographics",
            &[patient_id],
            &[("patient", demographics.as_bytes()), ("salt", s.as_bytes())],
        )
        .await
    }

    /// Registers a patient at a hospital (as its clerk): both phases.
    pub async fn register(&self, clerk: &TestIdentity, patient_id: &str, demographics: &str) {
        let o = self
            .store_demographics(clerk, patient_id, demographics, 1)
            .await;
        assert_ok(&o);
        let commitment = json(&o)["commitment"]
            .as_str()
            .expect("a commitment")
            .to_owned();
        let o = self
            .submit(clerk, "RegisterPatient", &[patient_id, &commitment], &[])
            .await;
        assert_ok(&o);
    }

    /// Phase 1 of a consent recorded with a signed form: `StoreConsentForm` as `who`, the form
    /// `b"form"` under `salt(n)`. Answers the outcome and the form's commitment.
    pub async fn store_form(
        &self,
        who: &TestIdentity,
        consent_id: &str,
        patient_id: &str,
        form: &str,
        n: u8,
    ) -> (TxOutcome, String) {
        let h = hash(n, b"form");
        let doc = format!(r#"{{"document_hash":"{h}","salt":"{}"}}"#, salt(n));
        let o = self
            .submit(
                who,
                "StoreConsentForm",
                &[consent_id, patient_id, form],
                &[("consent_document", doc.as_bytes())],
            )
            .await;
        (o, h)
    }

    /// P1 at Seoul Medical Center and P2 at Myongji Hospital.
    pub async fn with_patients() -> World {
        let w = World::new();
        w.register(&w.p.smc_clerk, P1, DEMOGRAPHICS).await;
        w.register(&w.p.mjh_clerk, P2, DEMOGRAPHICS2).await;
        w
    }

    /// A consent of `patient` (granted by the patient identity) for `grantee`.
    pub async fn grant(
        &self,
        patient: &TestIdentity,
        consent_id: &str,
        patient_id: &str,
        grantee: &str,
        purpose: &str,
        scopes: &str,
    ) -> TxOutcome {
        self.submit(
            patient,
            "GrantConsent",
            &[
                consent_id,
                patient_id,
                grantee,
                purpose,
                scopes,
                PERIOD_2024,
                "",
            ],
            &[],
        )
        .await
    }

    /// Phase 1 of a record kept on the ledger: `StoreRecordContent` of `RECORD_CONTENT` under
    /// `salt(2)`.
    pub async fn store_content(
        &self,
        author: &TestIdentity,
        record_id: &str,
        patient_id: &str,
    ) -> TxOutcome {
        let h = hash(2, RECORD_CONTENT.as_bytes());
        let s = salt(2);
        self.submit(
            author,
            "StoreRecordContent",
            &[record_id, patient_id, &h],
            &[
                ("record_content", RECORD_CONTENT.as_bytes()),
                ("salt", s.as_bytes()),
            ],
        )
        .await
    }

    /// A record of `patient_id` at the author's hospital, with its content on the ledger: both
    /// phases. Answers the first refusal, or the public phase's outcome.
    pub async fn add_record(
        &self,
        author: &TestIdentity,
        record_id: &str,
        patient_id: &str,
        category: &str,
    ) -> TxOutcome {
        let o = self.store_content(author, record_id, patient_id).await;
        if o.status() != 200 {
            return o;
        }
        // A derived id is fixed by the private phase.
        let id = json(&o)["id"].as_str().expect("an id").to_owned();
        let h = hash(2, RECORD_CONTENT.as_bytes());
        self.submit(
            author,
            "AddRecord",
            &[&id, patient_id, category, "Encounter", &h, LOCATION, "true"],
            &[],
        )
        .await
    }

    /// A prescription by a doctor.
    pub async fn issue(
        &self,
        doctor: &TestIdentity,
        rx: &str,
        patient_id: &str,
        days: &str,
    ) -> TxOutcome {
        let s = salt(3);
        self.submit(
            doctor,
            "IssuePrescription",
            &[rx, patient_id, days],
            &[
                ("prescription", PRESCRIPTION.as_bytes()),
                ("salt", s.as_bytes()),
            ],
        )
        .await
    }

    /// A claim by a clerk for encounters.
    pub async fn submit_claim(
        &self,
        clerk: &TestIdentity,
        claim_id: &str,
        patient_id: &str,
        encounters: &str,
    ) -> TxOutcome {
        let s = salt(4);
        self.submit(
            clerk,
            "SubmitClaim",
            &[claim_id, patient_id, NHIS, encounters],
            &[("claim", CLAIM.as_bytes()), ("salt", s.as_bytes())],
        )
        .await
    }

    /// An adjudication by the NHIS claims officer.
    pub async fn adjudicate(&self, claim_id: &str, outcome: &str, decision: &str) -> TxOutcome {
        let s = salt(5);
        self.submit(
            &self.p.nhis_officer,
            "AdjudicateClaim",
            &[claim_id, outcome],
            &[("decision", decision.as_bytes()), ("salt", s.as_bytes())],
        )
        .await
    }

    /// A payment by the NHIS claims officer.
    pub async fn pay(&self, claim_id: &str) -> TxOutcome {
        self.submit(
            &self.p.nhis_officer,
            "PayClaim",
            &[claim_id],
            &[("payment", br#"{"payment_reference":"PAY-2024-0001"}"#)],
        )
        .await
    }

    /// P1 registered, with an insurance_claim consent for NHIS and an encounter record E1 at
    /// Seoul Medical Center.
    pub async fn ready_for_claims() -> World {
        let w = World::with_patients().await;
        assert_ok(
            &w.grant(
                &w.p.smc_patient,
                "C-INS",
                P1,
                NHIS,
                "insurance_claim",
                r#"["encounter"]"#,
            )
            .await,
        );
        assert_ok(&w.add_record(&w.p.smc_doctor, "E1", P1, "encounter").await);
        w
    }

    /// The public value of a composite key.
    pub fn state_of(&self, object_type: &str, attrs: &[&str]) -> Option<serde_json::Value> {
        let key = fabric_sdk::tx::composite_key::create_composite_key(object_type, attrs).ok()?;
        let bytes = self.ledger.state(&key)?;
        serde_json::from_slice(&bytes).ok()
    }

    /// A private value of a composite key.
    pub fn private_of(
        &self,
        collection: &str,
        object_type: &str,
        attrs: &[&str],
    ) -> Option<serde_json::Value> {
        let key = fabric_sdk::tx::composite_key::create_composite_key(object_type, attrs).ok()?;
        let bytes = self.ledger.private_data(collection, &key)?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// The ids (field `id_field` of each item) and the bookmark of a page a list function answered.
#[track_caller]
pub fn page_ids(o: &TxOutcome, id_field: &str) -> (Vec<String>, String) {
    assert_eq!(o.status(), 200, "{}", o.message());
    let v = json(o);
    let ids = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item[id_field].as_str().unwrap_or_default().to_owned())
        .collect();
    (ids, v["bookmark"].as_str().unwrap_or_default().to_owned())
}

/// The JSON payload of an outcome.
#[track_caller]
pub fn json(o: &TxOutcome) -> serde_json::Value {
    serde_json::from_slice(o.payload())
        .unwrap_or_else(|e| panic!("payload {:?}: {e}", o.payload_str()))
}

/// The event's name and JSON payload.
#[track_caller]
pub fn event(o: &TxOutcome) -> (String, serde_json::Value) {
    let e = o.event.as_ref().expect("an event");
    let payload = serde_json::from_slice(&e.payload).expect("a JSON event payload");
    (e.event_name.clone(), payload)
}
