//! The medical commands (`patient`, `consent`, `record`, `rx`, `claim`, `cert`, `history`,
//! `audit`, typed `events watch`) against a devnet started with `devnet up --detach` in a
//! temporary directory (the medical chaincode served by the devnet process itself), with a
//! temporary MEDLEDGER_HOME and the profiles `devnet up` wrote. One devnet for the whole file.

#![cfg(unix)]

use medledger_network::topology::Topology;
use serde_json::Value;

mod common;
use common::{Down, Env};

const P: &str = "P-SMC-000001";
const LAB: &str = r#"{"resourceType":"Observation","status":"final","code":{"text":"CRP"}}"#;

fn committed_block(v: &Value) -> u64 {
    assert_eq!(v["transaction_id"].as_str().map(str::len), Some(64), "{v}");
    v["block"]
        .as_u64()
        .unwrap_or_else(|| panic!("no block: {v}"))
}

#[test]
fn the_medical_commands_against_a_devnet() {
    let env = Env::new();
    // The default consortium, with short blocks so the test does not wait 2 s per commit.
    let mut t = Topology::medical_default();
    t.block_cutting.batch_timeout = "50ms".into();
    env.devnet_up(&t);
    let _down = Down(&env);

    // patient register (flags) / get: the home hospital sees the demographics, another not.
    let reg = env.json_as(
        "seoulmedical-clerk1",
        &[
            "patient",
            "register",
            P,
            "--family",
            "김",
            "--given",
            "민준",
            "--birth-date",
            "1980-03-14",
            "--gender",
            "male",
            "--telecom",
            "010-0000-0000",
        ],
    );
    assert_eq!(reg["result"]["home_org"], "SeoulMedicalCenterMSP");
    assert!(committed_block(&reg) >= 1);
    // Two phases: the demographics went first in their own transaction.
    let private = reg["private_transaction_id"].as_str().unwrap_or_default();
    assert_eq!(private.len(), 64, "{reg}");
    assert_ne!(reg["transaction_id"].as_str(), Some(private));
    let own = env.json_as("seoulmedical-doctor1", &["patient", "get", P]);
    assert_eq!(own["demographics"]["name"]["family"], "김");
    let other = env.json_as("myongji-doctor1", &["patient", "get", P]);
    assert_eq!(other["patient"]["status"], "active");
    assert!(other.get("demographics").is_none(), "{other}");
    // From a file; the table output names the fields.
    let demo_file = env.file(
        "p2.json",
        br#"{"name":{"family":"Lee","given":["Ana"]},"birth_date":"1990-01-02","gender":"female"}"#,
    );
    let table = env.ok_as(
        "seoulmedical-clerk1",
        &[
            "patient",
            "register",
            "P-SMC-000002",
            "--demographics-file",
            &demo_file,
        ],
    );
    assert!(
        table.contains("Patient registered") && table.contains("transaction"),
        "{table}"
    );
    // A malformed file is a usage error that names the place, never the private value.
    let bad = env.file(
        "bad.json",
        br#"{"name":{"family":"Lee","given":[]},"birth_date":"1990-01-02","gender":"Secretish"}"#,
    );
    let (code, err) = env.fails_as(
        "seoulmedical-clerk1",
        &[
            "patient",
            "register",
            "P-SMC-000003",
            "--demographics-file",
            &bad,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 1 column") && !err.contains("Secretish"),
        "{err}"
    );
    // Bad input: the chaincode's 400 names the field; exit 5 (transaction failed).
    let (code, err) = env.fails_as(
        "seoulmedical-clerk1",
        &[
            "patient",
            "register",
            "900101-1234567",
            "--family",
            "X",
            "--birth-date",
            "1990-01-01",
            "--gender",
            "male",
        ],
    );
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("(400)") && err.contains("bad input: patient_id"),
        "{err}"
    );

    // consent grant / list / check / revoke.
    env.json_as(
        "seoulmedical-patient1",
        &[
            "consent",
            "grant",
            P,
            "--id",
            "CON-MJH-1",
            "--to",
            "MyongjiHospitalMSP",
            "--purpose",
            "treatment",
            "--scope",
            "lab",
            "--days",
            "30",
        ],
    );
    env.json_as(
        "seoulmedical-patient1",
        &[
            "consent",
            "grant",
            P,
            "--id",
            "CON-NHIS-1",
            "--to",
            "NHISMSP",
            "--purpose",
            "insurance_claim",
            "--scope",
            "encounter",
        ],
    );
    let form = env.file("form.pdf", b"signed form");
    let paper = env.json_as(
        "seoulmedical-clerk1",
        &[
            "consent",
            "grant",
            P,
            "--to",
            "PharmacyMSP",
            "--purpose",
            "treatment",
            "--scope",
            "medication",
            "--form",
            &form,
        ],
    );
    let paper_id = paper["result"]["consent_id"].as_str().unwrap().to_owned();
    assert!(paper_id.starts_with("CON-"), "{paper}");
    assert_eq!(paper["form_salt"].as_str().map(str::len), Some(64));
    let list = env.json_as("seoulmedical-patient1", &["consent", "list", P]);
    assert_eq!(list["items"].as_array().unwrap().len(), 3, "{list}");
    let list = env.ok_as("seoulmedical-patient1", &["consent", "list", P]);
    assert!(
        list.contains("CON-MJH-1") && list.contains("GRANTEE"),
        "{list}"
    );
    let check = env.json_as(
        "myongji-doctor1",
        &[
            "consent",
            "check",
            P,
            "--org",
            "MyongjiHospitalMSP",
            "--purpose",
            "treatment",
            "--category",
            "lab",
        ],
    );
    assert_eq!(check["granted"], true);
    env.json_as(
        "seoulmedical-clerk1",
        &["consent", "revoke", &paper_id, "--form", &form],
    );
    let check = env.json_as(
        "pharmacy-pharmacist1",
        &[
            "consent",
            "check",
            P,
            "--org",
            "PharmacyMSP",
            "--purpose",
            "treatment",
        ],
    );
    assert_eq!(check["granted"], false);

    // record add / get / access (logged); without consent: 403 naming the consent, exit 4.
    let lab = env.file("lab.json", LAB.as_bytes());
    env.json_as(
        "seoulmedical-doctor1",
        &[
            "record",
            "add",
            P,
            "--id",
            "REC-LAB-1",
            "--category",
            "lab",
            "--resource-type",
            "Observation",
            "--content",
            &lab,
            "--location",
            "https://ehr.seoulmedical.example.com/fhir/Observation/REC-LAB-1",
        ],
    );
    let visit = env.file("visit.json", br#"{"resourceType":"Encounter"}"#);
    let enc = env.json_as(
        "seoulmedical-nurse1",
        &[
            "record",
            "add",
            P,
            "--id",
            "REC-ENC-1",
            "--category",
            "encounter",
            "--resource-type",
            "Encounter",
            "--document",
            &visit,
            "--location",
            "urn:smc:encounter:1",
        ],
    );
    assert_eq!(enc["result"]["content_on_ledger"], false);
    let got = env.json_as("seoulmedical-doctor1", &["record", "get", "REC-LAB-1"]);
    assert_eq!(got["content"]["content"], LAB);
    let access = env.json_as(
        "myongji-doctor1",
        &["record", "access", "REC-LAB-1", "--purpose", "treatment"],
    );
    assert_eq!(access["result"]["org"], "SeoulMedicalCenterMSP");
    let (code, err) = env.fails_as(
        "pharmacy-pharmacist1",
        &["record", "access", "REC-LAB-1", "--purpose", "treatment"],
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("(403)") && err.contains("consent"), "{err}");
    assert!(
        err.contains("hint:") && err.contains("consent grant"),
        "{err}"
    );

    // rx: a nurse cannot prescribe (403, the rule, exit 4); bad code (400 naming the field).
    let med = "code=642102570,name=Amoxicillin 500mg,dose=1 capsule,frequency=3,days=5";
    let (code, err) = env.fails_as(
        "seoulmedical-nurse1",
        &["rx", "issue", P, "--medication", med],
    );
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("forbidden: IssuePrescription")
            && err.contains("caller: nurse of SeoulMedicalCenterMSP"),
        "{err}"
    );
    let (code, err) = env.fails_as(
        "seoulmedical-doctor1",
        &[
            "rx",
            "issue",
            P,
            "--medication",
            "code=12,name=X,dose=1,frequency=1,days=1",
        ],
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("prescription.medications[0].code"), "{err}");
    let (code, err) = env.fails_as(
        "seoulmedical-doctor1",
        &["rx", "issue", P, "--medication", "code=642102570,name=X"],
    );
    assert_eq!(code, 2, "a malformed flag is a usage error: {err}");
    assert!(
        err.contains("--medication") && err.contains("dose"),
        "{err}"
    );
    let issued = env.json_as(
        "seoulmedical-doctor1",
        &[
            "rx",
            "issue",
            P,
            "--id",
            "RX-1",
            "--medication",
            med,
            "--notes",
            "after meals",
        ],
    );
    assert_eq!(issued["result"]["status"], "issued");
    let seen = env.json_as("pharmacy-pharmacist1", &["rx", "get", "RX-1"]);
    assert_eq!(seen["content"]["medications"][0]["code"], "642102570");
    let dispensed = env.json_as("pharmacy-pharmacist1", &["rx", "dispense", "RX-1"]);
    assert_eq!(dispensed["result"]["status"], "dispensed");
    assert!(committed_block(&dispensed) > committed_block(&issued));
    let (code, err) = env.fails_as("pharmacy-pharmacist1", &["rx", "dispense", "RX-1"]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("(409)") && err.contains("already dispensed"),
        "{err}"
    );
    env.json_as("pharmacy-clerk1", &["rx", "deliver", "RX-1"]);
    let (code, err) = env.fails_as("pharmacy-pharmacist1", &["rx", "get", "RX-404"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not found: prescription RX-404"), "{err}");
    env.json_as(
        "seoulmedical-doctor1",
        &["rx", "issue", P, "--id", "RX-2", "--medication", med],
    );
    let cancelled = env.json_as("seoulmedical-doctor1", &["rx", "cancel", "RX-2"]);
    assert_eq!(cancelled["result"]["status"], "cancelled");
    let page = env.json_as("seoulmedical-patient1", &["rx", "list", "--patient", P]);
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "{page}");
    let table = env.ok_as(
        "pharmacy-pharmacist1",
        &["rx", "list", "--status", "delivered"],
    );
    assert!(table.contains("RX-1") && !table.contains("RX-2"), "{table}");

    // claim submit / adjudicate / pay / get / list.
    let sub = env.json_as(
        "seoulmedical-clerk1",
        &[
            "claim",
            "submit",
            P,
            "--id",
            "CLM-1",
            "--insurer",
            "NHISMSP",
            "--encounter",
            "REC-ENC-1",
            "--diagnosis",
            "J20.9",
            "--item",
            "code=AA157,quantity=1,unit_price=17610",
            "--item",
            "code=B1010,quantity=2,unit_price=3000",
        ],
    );
    assert_eq!(sub["result"]["status"], "submitted");
    let (code, err) = env.fails_as(
        "seoulmedical-clerk1",
        &["claim", "pay", "CLM-1", "--reference", "PAY-1"],
    );
    assert_eq!(code, 4, "a clerk cannot pay: {err}");
    env.json_as(
        "nhis-claimsofficer1",
        &[
            "claim",
            "adjudicate",
            "CLM-1",
            "--outcome",
            "approved",
            "--insurer-amount",
            "16527",
            "--patient-share",
            "7083",
        ],
    );
    let paid = env.json_as(
        "nhis-claimsofficer1",
        &["claim", "pay", "CLM-1", "--reference", "PAY-2026-000042"],
    );
    assert_eq!(paid["result"]["status"], "paid");
    let view = env.json_as("seoulmedical-clerk1", &["claim", "get", "CLM-1"]);
    assert_eq!(view["details"]["total"], 23610);
    assert_eq!(view["payment"]["payment_reference"], "PAY-2026-000042");
    let claims = env.json_as(
        "nhis-claimsofficer1",
        &["claim", "list", "--insurer", "NHISMSP", "--status", "paid"],
    );
    assert_eq!(claims["items"][0]["claim_id"], "CLM-1");

    // cert issue / verify --file (right and modified) / revoke / get.
    let doc = env.file("cert.txt", "Diagnosis certificate No. 1".as_bytes());
    let cert = env.json_as(
        "seoulmedical-doctor1",
        &[
            "cert",
            "issue",
            P,
            "--id",
            "CERT-1",
            "--kind",
            "diagnosis",
            "--file",
            &doc,
        ],
    );
    let salt = cert["salt"].as_str().unwrap().to_owned();
    let ok = env.json_as(
        "nhis-claimsofficer1",
        &["cert", "verify", "CERT-1", "--file", &doc, "--salt", &salt],
    );
    assert_eq!(ok["result"], "valid");
    let hash = cert["result"]["document_hash"].as_str().unwrap().to_owned();
    let ok = env.json_as(
        "seoulmedical-patient1",
        &["cert", "verify", "CERT-1", "--hash", &hash],
    );
    assert_eq!(ok["result"], "valid");
    let forged = env.file("forged.txt", "Diagnosis certificate No. 2".as_bytes());
    let (code, err) = env.fails_as(
        "nhis-claimsofficer1",
        &[
            "cert", "verify", "CERT-1", "--file", &forged, "--salt", &salt,
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("hash_mismatch"), "{err}");
    env.json_as(
        "seoulmedical-doctor1",
        &["cert", "revoke", "CERT-1", "--reason", "issued_in_error"],
    );
    let (_, err) = env.fails_as(
        "nhis-claimsofficer1",
        &["cert", "verify", "CERT-1", "--file", &doc, "--salt", &salt],
    );
    assert!(err.contains("revoked"), "{err}");
    let got = env.json_as("seoulmedical-doctor1", &["cert", "get", "CERT-1"]);
    assert_eq!(got["status"], "revoked");

    // history / audit.
    let history = env.json_as("seoulmedical-auditor1", &["history", "rx", "RX-1"]);
    let statuses: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["value"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["delivered", "dispensed", "issued"]);
    let log = env.json_as("seoulmedical-patient1", &["audit", P]);
    assert_eq!(log["items"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log["items"][0]["agent"]["msp_id"], "MyongjiHospitalMSP");
    let log = env.ok_as("seoulmedical-patient1", &["audit", P]);
    assert!(
        log.contains("REC-LAB-1") && log.contains("MyongjiHospitalMSP"),
        "{log}"
    );

    // events watch: typed medical events, from block 0.
    let out = env.ok_as(
        "seoulmedical-patient1",
        &[
            "events",
            "watch",
            "--start-block",
            "0",
            "--limit",
            "3",
            "--output",
            "json",
        ],
    );
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 3, "{out}");
    assert_eq!(events[0]["name"], "PatientRegistered");
    assert_eq!(events[0]["id"], P);
    assert_eq!(events[0]["status"], "active");
    assert!(
        events[0].get("payload").is_none(),
        "typed, not raw: {}",
        events[0]
    );
    let out = env.ok_as(
        "seoulmedical-patient1",
        &["events", "watch", "--start-block", "0", "--limit", "4"],
    );
    assert!(
        out.contains("ConsentGranted id=CON-MJH-1 org=MyongjiHospitalMSP"),
        "{out}"
    );

    // patient erase: the demographics are gone, the patient is erased.
    let erased = env.json_as("seoulmedical-clerk1", &["patient", "erase", P]);
    assert_eq!(erased["result"]["patient_id"], P);
    let view = env.json_as("seoulmedical-clerk1", &["patient", "get", P]);
    assert_eq!(view["patient"]["status"], "erased");
    assert!(view.get("demographics").is_none(), "{view}");
}
