//! The network configuration files under `config/` are what the code generates from the
//! consortium directory, parse as Fabric's collection JSON and policy language, and agree with
//! the contract's collection names; and the contract's metadata lists every function.
//!
//! `MEDLEDGER_UPDATE_CONFIG=1 cargo test -p medledger-chaincode --test config` rewrites the
//! generated files.

mod common;

use std::path::PathBuf;

use fabric_protos::protos::collection_config::Payload;
use fabric_sdk::policy::collection::{collection_member_orgs, parse_collections_json};
use fabric_sdk::policy::dsl;
use medledger_chaincode::Consortium;

fn config_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("config")
        .join(name)
}

/// Compares a committed file with what the code generates (or rewrites it on request).
fn check_generated(name: &str, generated: &str) {
    let path = config_path(name);
    if std::env::var_os("MEDLEDGER_UPDATE_CONFIG").is_some() {
        std::fs::write(&path, generated).expect("write the config file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed, generated,
        "{name} is out of date: run MEDLEDGER_UPDATE_CONFIG=1 cargo test -p medledger-chaincode --test config"
    );
}

#[test]
fn collections_json_is_generated_from_the_consortium() {
    let c = Consortium::default_network().expect("the default directory");
    check_generated("collections.json", &c.collections_json());
}

#[test]
fn endorsement_policy_is_generated_from_the_consortium() {
    let c = Consortium::default_network().expect("the default directory");
    check_generated(
        "endorsement-policy.txt",
        &format!("{}\n", c.endorsement_policy()),
    );
}

#[test]
fn collections_are_what_the_contract_expects() {
    let package = parse_collections_json(common::COLLECTIONS.as_bytes()).expect("Fabric's JSON");
    let c = Consortium::default_network().expect("the default directory");
    let mut seen = Vec::new();
    for config in &package.config {
        let Some(Payload::StaticCollectionConfig(s)) = &config.payload else {
            panic!("a static collection");
        };
        assert!(s.member_only_read && s.member_only_write, "{}", s.name);
        assert!(
            s.endorsement_policy.is_some(),
            "{} has its own endorsement policy",
            s.name
        );
        let mut members = collection_member_orgs(s);
        members.sort();
        seen.push((s.name.clone(), members, s.block_to_live));
    }
    let expect = |name: &str, orgs: &[&str], btl: u64| {
        let mut orgs: Vec<String> = orgs.iter().map(|s| s.to_string()).collect();
        orgs.sort();
        (name.to_owned(), orgs, btl)
    };
    assert_eq!(
        seen,
        [
            expect(common::SMC_PHI, &[common::SMC], 0),
            expect(common::MJH_PHI, &[common::MJH], 0),
            expect(
                common::RX,
                &[common::SMC, common::MJH, common::PHARMACY],
                1_051_200
            ),
            expect(common::SMC_NHIS, &[common::SMC, common::NHIS], 2_628_000),
            expect(common::MJH_NHIS, &[common::MJH, common::NHIS], 2_628_000),
        ]
    );
    // The names the contract derives are the ones deployed.
    assert_eq!(
        c.phi_collection(common::SMC).as_deref(),
        Some(common::SMC_PHI)
    );
    assert_eq!(
        c.claims_collection(common::MJH, common::NHIS).as_deref(),
        Some(common::MJH_NHIS)
    );
}

#[test]
fn endorsement_policy_parses() {
    let text = std::fs::read_to_string(config_path("endorsement-policy.txt")).expect("the file");
    let envelope = dsl::parse(text.trim()).expect("the policy language");
    let mut orgs = fabric_sdk::policy::collection::signature_policy_member_orgs(&envelope);
    orgs.sort();
    assert_eq!(orgs, [common::MJH, common::NHIS, common::SMC]);
}

#[tokio::test]
async fn metadata_lists_every_function() {
    let w = common::World::new();
    let o = w
        .query(&w.p.smc_doctor, "org.hyperledger.fabric:GetMetadata", &[])
        .await;
    assert_eq!(o.status(), 200, "{}", o.message());
    let meta = common::json(&o);
    let txs = meta["contracts"]["MedLedger"]["transactions"]
        .as_array()
        .expect("transactions");
    let names: Vec<&str> = txs.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, medledger_chaincode::contract::function_names());
    // Typed parameters keep their schema: the purpose of AccessRecord is an enum.
    let access = txs
        .iter()
        .find(|t| t["name"] == "AccessRecord")
        .expect("AccessRecord");
    let purpose = &access["parameters"][1];
    assert_eq!(purpose["name"], "purpose");
    let schema = meta["components"]["schemas"]["ConsentPurpose"].to_string();
    assert!(schema.contains("insurance_claim"), "{schema}");
    assert_eq!(meta["contracts"]["MedLedger"]["default"], true);
}

#[tokio::test]
async fn argument_count_and_encoding_are_400() {
    let w = common::World::new();
    let o = w.submit(&w.p.smc_clerk, "RegisterPatient", &[], &[]).await;
    common::assert_denied(
        &o,
        400,
        "bad input: arguments: ",
        "RegisterPatient takes 2 arguments (patient_id, demographics_hash), got 0",
    );
    let o = w
        .ledger
        .tx(&w.p.smc_clerk)
        .function("GetPatient")
        .arg([0xff, 0xfe])
        .evaluate(w.cc)
        .await
        .expect("runs");
    common::assert_denied(&o, 400, "bad input: patient_id: ", "not valid UTF-8");
}

mod canonical {
    use fabric_chaincode::contract::json::to_sorted_vec;
    use medledger_model::canonical::to_canonical_vec;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(".*", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The model's canonical JSON (what the contract writes and clients hash) is byte for
        /// byte the shim's sorted JSON (what `ctx.put_json` and the Fabric samples write).
        #[test]
        fn canonical_json_is_the_shims_sorted_json(v in value()) {
            let ours = to_canonical_vec(&v).expect("no floats here");
            let shim = to_sorted_vec(&v).expect("encodes");
            prop_assert_eq!(ours, shim);
        }
    }
}
