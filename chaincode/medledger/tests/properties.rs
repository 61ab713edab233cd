//! Property tests over random call sequences, each checked against a model of the rules:
//!
//! - a prescription is dispensed at most once, never after expiry (also with two dispenses
//!   in one block);
//! - a claim is paid only when approved or partially approved;
//! - an access succeeds exactly when a consent in force allows it, so never after its
//!   revocation;
//! - erasure leaves none of the patient's private data in the home hospital's collections.

mod common;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use common::*;
use fabric_chaincode::testing::{TestIdentity, TxOutcome, TxValidationCode};
use fabric_sdk::ledger::StateReader;
use proptest::prelude::*;

fn run<F: std::future::Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f);
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    }
}

fn history_statuses(w: &World, object_type: &str, id: &str) -> Vec<String> {
    let key = fabric_sdk::tx::composite_key::create_composite_key(object_type, &[id]).expect("key");
    w.ledger
        .history(&key)
        .iter()
        .rev()
        .map(|h| {
            let v: serde_json::Value = serde_json::from_slice(&h.value).expect("json");
            v["status"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

// ------------------------------------------------------------------------- prescriptions

#[derive(Debug, Clone)]
enum RxOp {
    Issue { rx: u8, days: u8 },
    Dispense { rx: u8 },
    DispenseTwiceInOneBlock { rx: u8 },
    Deliver { rx: u8 },
    Cancel { rx: u8 },
    Advance { hours: u16 },
}

fn rx_op() -> impl Strategy<Value = RxOp> {
    prop_oneof![
        (0..3u8, 1..4u8).prop_map(|(rx, days)| RxOp::Issue { rx, days }),
        (0..3u8).prop_map(|rx| RxOp::Dispense { rx }),
        (0..3u8).prop_map(|rx| RxOp::DispenseTwiceInOneBlock { rx }),
        (0..3u8).prop_map(|rx| RxOp::Deliver { rx }),
        (0..3u8).prop_map(|rx| RxOp::Cancel { rx }),
        (1..40u16).prop_map(|hours| RxOp::Advance { hours }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum RxState {
    Issued,
    Dispensed,
    Delivered,
    Cancelled,
}

async fn prescriptions_case(ops: Vec<RxOp>) {
    let w = World::with_patients().await;
    let mut now = T0;
    let mut model: BTreeMap<u8, (RxState, i64)> = BTreeMap::new();
    let mut dispenses: BTreeMap<u8, u32> = BTreeMap::new();
    let id = |rx: u8| format!("RX{rx}");
    for op in ops {
        match op {
            RxOp::Issue { rx, days } => {
                let o = w
                    .issue(&w.p.smc_doctor, &id(rx), P1, &days.to_string())
                    .await;
                match model.entry(rx) {
                    Entry::Occupied(_) => assert_eq!(o.status(), 409, "{}", o.message()),
                    Entry::Vacant(e) => {
                        assert_ok(&o);
                        e.insert((RxState::Issued, now + i64::from(days) * DAY));
                    }
                }
            }
            RxOp::Dispense { rx } => {
                let o = w
                    .submit(&w.p.pharmacist, "DispensePrescription", &[&id(rx)], &[])
                    .await;
                let allowed = matches!(model.get(&rx), Some((RxState::Issued, exp)) if now < *exp);
                if allowed {
                    assert_ok(&o);
                    let v = json(&o);
                    assert!(v["dispense"]["dispensed_at"].as_str() < v["expires_at"].as_str());
                    model.entry(rx).and_modify(|e| e.0 = RxState::Dispensed);
                    *dispenses.entry(rx).or_default() += 1;
                } else {
                    assert!(
                        matches!(o.status(), 404 | 409),
                        "{}: {}",
                        o.status(),
                        o.message()
                    );
                    assert_nothing_written(&o);
                }
            }
            RxOp::DispenseTwiceInOneBlock { rx } => {
                let sim = || {
                    w.ledger
                        .tx(&w.p.pharmacist)
                        .function("DispensePrescription")
                        .arg(id(rx))
                        .simulate(w.cc)
                };
                let a = sim().await.expect("runs");
                let b = sim().await.expect("runs");
                let allowed = matches!(model.get(&rx), Some((RxState::Issued, exp)) if now < *exp);
                if allowed {
                    assert_eq!((a.status(), b.status()), (200, 200));
                    assert_eq!(
                        w.ledger.commit_block([&a, &b]).expect("commits"),
                        [TxValidationCode::Valid, TxValidationCode::MvccReadConflict]
                    );
                    model.entry(rx).and_modify(|e| e.0 = RxState::Dispensed);
                    *dispenses.entry(rx).or_default() += 1;
                } else {
                    assert!(a.status() >= 400 && b.status() >= 400);
                }
            }
            RxOp::Deliver { rx } => {
                let o = w
                    .submit(&w.p.smc_patient, "ConfirmDelivery", &[&id(rx)], &[])
                    .await;
                if matches!(model.get(&rx), Some((RxState::Dispensed, _))) {
                    assert_ok(&o);
                    model.entry(rx).and_modify(|e| e.0 = RxState::Delivered);
                } else {
                    assert!(o.status() >= 400, "{}", o.message());
                }
            }
            RxOp::Cancel { rx } => {
                let o = w
                    .submit(&w.p.smc_doctor, "CancelPrescription", &[&id(rx)], &[])
                    .await;
                if matches!(model.get(&rx), Some((RxState::Issued, _))) {
                    assert_ok(&o);
                    model.entry(rx).and_modify(|e| e.0 = RxState::Cancelled);
                } else {
                    assert!(o.status() >= 400, "{}", o.message());
                }
            }
            RxOp::Advance { hours } => {
                now += i64::from(hours) * HOUR;
                w.ledger.set_time(now, 0);
            }
        }
    }
    for (rx, (state, _)) in &model {
        let statuses = history_statuses(&w, "Prescription", &id(*rx));
        let dispensed = statuses.iter().filter(|s| *s == "dispensed").count();
        assert!(dispensed <= 1, "{statuses:?}");
        assert!(dispenses.get(rx).copied().unwrap_or(0) <= 1);
        let last = statuses.last().map(String::as_str);
        let expected = match state {
            RxState::Issued => "issued",
            RxState::Dispensed => "dispensed",
            RxState::Delivered => "delivered",
            RxState::Cancelled => "cancelled",
        };
        assert_eq!(last, Some(expected));
    }
}

// ------------------------------------------------------------------------- claims

#[derive(Debug, Clone)]
enum ClaimOp {
    Submit { claim: u8 },
    Adjudicate { claim: u8, outcome: u8 },
    Pay { claim: u8 },
}

fn claim_op() -> impl Strategy<Value = ClaimOp> {
    prop_oneof![
        (0..3u8).prop_map(|claim| ClaimOp::Submit { claim }),
        (0..3u8, 0..3u8).prop_map(|(claim, outcome)| ClaimOp::Adjudicate { claim, outcome }),
        (0..3u8).prop_map(|claim| ClaimOp::Pay { claim }),
    ]
}

async fn claims_case(ops: Vec<ClaimOp>) {
    let w = World::ready_for_claims().await;
    for e in 0..3 {
        assert_ok(
            &w.add_record(&w.p.smc_doctor, &format!("ENC{e}"), P1, "encounter")
                .await,
        );
    }
    let mut model: BTreeMap<u8, &'static str> = BTreeMap::new();
    let id = |c: u8| format!("CL{c}");
    for op in ops {
        match op {
            ClaimOp::Submit { claim } => {
                let o = w
                    .submit_claim(
                        &w.p.smc_clerk,
                        &id(claim),
                        P1,
                        &format!(r#"["ENC{claim}"]"#),
                    )
                    .await;
                if let Entry::Vacant(e) = model.entry(claim) {
                    assert_ok(&o);
                    e.insert("submitted");
                } else {
                    assert_eq!(o.status(), 409, "{}", o.message());
                }
            }
            ClaimOp::Adjudicate { claim, outcome } => {
                let (word, body) = [
                    ("approved", APPROVED),
                    ("partially_approved", PARTIAL),
                    ("rejected", REJECTED),
                ][usize::from(outcome)];
                let o = w.adjudicate(&id(claim), word, body).await;
                if model.get(&claim) == Some(&"submitted") {
                    assert_ok(&o);
                    model.insert(claim, word);
                } else {
                    assert!(matches!(o.status(), 404 | 409), "{}", o.message());
                    assert_nothing_written(&o);
                }
            }
            ClaimOp::Pay { claim } => {
                let o = w.pay(&id(claim)).await;
                if matches!(model.get(&claim), Some(&"approved" | &"partially_approved")) {
                    assert_ok(&o);
                    model.insert(claim, "paid");
                } else {
                    assert!(matches!(o.status(), 404 | 409), "{}", o.message());
                    assert_nothing_written(&o);
                }
            }
        }
    }
    for (claim, status) in &model {
        let statuses = history_statuses(&w, "Claim", &id(*claim));
        assert_eq!(statuses.last().map(String::as_str), Some(*status));
        for pair in statuses.windows(2) {
            if pair[1] == "paid" {
                assert!(
                    pair[0] == "approved" || pair[0] == "partially_approved",
                    "paid after {statuses:?}"
                );
            }
        }
    }
}

// ------------------------------------------------------------------------- consent

#[derive(Debug, Clone)]
enum ConsentOp {
    Grant { k: u8, lab: bool, days: u16 },
    Revoke { k: u8 },
    Access { lab: bool },
    Advance { days: u16 },
}

fn consent_op() -> impl Strategy<Value = ConsentOp> {
    prop_oneof![
        (0..3u8, any::<bool>(), 1..60u16).prop_map(|(k, lab, days)| ConsentOp::Grant {
            k,
            lab,
            days
        }),
        (0..3u8).prop_map(|k| ConsentOp::Revoke { k }),
        any::<bool>().prop_map(|lab| ConsentOp::Access { lab }),
        any::<bool>().prop_map(|lab| ConsentOp::Access { lab }),
        (1..20u16).prop_map(|days| ConsentOp::Advance { days }),
    ]
}

struct ModelConsent {
    lab: bool,
    end: i64,
    active: bool,
}

async fn consent_case(ops: Vec<ConsentOp>) {
    let w = World::with_patients().await;
    assert_ok(&w.add_record(&w.p.smc_doctor, "LAB", P1, "lab").await);
    assert_ok(&w.add_record(&w.p.smc_doctor, "IMG", P1, "imaging").await);
    let mut now = T0;
    let mut model: BTreeMap<u8, ModelConsent> = BTreeMap::new();
    for op in ops {
        match op {
            ConsentOp::Grant { k, lab, days } => {
                let end = now + i64::from(days) * DAY;
                let period = format!(r#"{{"start":"{}","end":"{}"}}"#, ts(T0), ts(end));
                let scopes = if lab { r#"["lab"]"# } else { r#"["imaging"]"# };
                let o = w
                    .submit(
                        &w.p.smc_patient,
                        "GrantConsent",
                        &[&format!("C{k}"), P1, MJH, "treatment", scopes, &period, ""],
                        &[],
                    )
                    .await;
                match model.entry(k) {
                    Entry::Occupied(_) => assert_eq!(o.status(), 409, "{}", o.message()),
                    Entry::Vacant(e) => {
                        assert_ok(&o);
                        e.insert(ModelConsent {
                            lab,
                            end,
                            active: true,
                        });
                    }
                }
            }
            ConsentOp::Revoke { k } => {
                let o = w
                    .submit(
                        &w.p.smc_patient,
                        "RevokeConsent",
                        &[&format!("C{k}"), ""],
                        &[],
                    )
                    .await;
                match model.get_mut(&k) {
                    Some(c) if c.active => {
                        assert_ok(&o);
                        c.active = false;
                    }
                    _ => assert!(matches!(o.status(), 404 | 409), "{}", o.message()),
                }
            }
            ConsentOp::Access { lab } => {
                let record = if lab { "LAB" } else { "IMG" };
                let o = w
                    .submit(&w.p.mjh_doctor, "AccessRecord", &[record, "treatment"], &[])
                    .await;
                let allowed = model
                    .values()
                    .any(|c| c.active && c.lab == lab && now < c.end);
                if allowed {
                    assert_ok(&o);
                } else {
                    assert_denied(&o, 403, "forbidden: AccessRecord: ", "no consent in force");
                }
            }
            ConsentOp::Advance { days } => {
                now += i64::from(days) * DAY;
                w.ledger.set_time(now, 0);
            }
        }
    }
}

fn ts(seconds: i64) -> String {
    medledger_model::Timestamp::from_unix("t", seconds)
        .expect("a time")
        .to_string()
}

// ------------------------------------------------------------------------- erasure

#[derive(Debug, Clone)]
enum PhiOp {
    Record { content: bool },
    Prescription { smc: bool, dispense: bool },
    PaperConsent { revoke: bool },
    Claim { decide: bool, pay: bool },
}

fn phi_op() -> impl Strategy<Value = PhiOp> {
    prop_oneof![
        any::<bool>().prop_map(|content| PhiOp::Record { content }),
        (any::<bool>(), any::<bool>())
            .prop_map(|(smc, dispense)| PhiOp::Prescription { smc, dispense }),
        any::<bool>().prop_map(|revoke| PhiOp::PaperConsent { revoke }),
        (any::<bool>(), any::<bool>()).prop_map(|(decide, pay)| PhiOp::Claim { decide, pay }),
    ]
}

/// Private keys written, by collection.
fn collect_private(into: &mut BTreeMap<String, Vec<String>>, o: &TxOutcome) {
    for coll in [SMC_PHI, MJH_PHI, RX, SMC_NHIS, MJH_NHIS] {
        for (k, v) in o.private_writes(coll) {
            if v.is_some() {
                into.entry(coll.to_owned()).or_default().push(k);
            }
        }
    }
}

/// An encounter record of P1 at Seoul Medical Center, with or without content on the ledger
/// (its private phase's writes go to `written`).
async fn record(
    w: &World,
    n: usize,
    content: bool,
    written: &mut BTreeMap<String, Vec<String>>,
) -> TxOutcome {
    let id = format!("R{n}");
    if content {
        let o = w.store_content(&w.p.smc_doctor, &id, P1).await;
        assert_ok(&o);
        collect_private(written, &o);
        w.add_record(&w.p.smc_doctor, &id, P1, "encounter").await
    } else {
        let h = hash(1, b"doc");
        w.submit(
            &w.p.smc_nurse,
            "AddRecord",
            &[&id, P1, "encounter", "Encounter", &h, LOCATION, ""],
            &[],
        )
        .await
    }
}

async fn erasure_case(ops: Vec<PhiOp>) {
    let w = World::with_patients().await;
    let mut written = BTreeMap::new();
    // The registration's private phase: the demographics and their seal.
    let reg =
        fabric_sdk::tx::composite_key::create_composite_key("Demographics", &[P1]).expect("key");
    let seal =
        fabric_sdk::tx::composite_key::create_composite_key("PhiSeal", &["Demographics", P1])
            .expect("key");
    written.insert(SMC_PHI.to_owned(), vec![reg, seal]);
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
    for (n, op) in ops.into_iter().enumerate() {
        match op {
            PhiOp::Record { content } => {
                let o = record(&w, n, content, &mut written).await;
                assert_ok(&o);
                collect_private(&mut written, &o);
            }
            PhiOp::Prescription { smc, dispense } => {
                let doctor: &TestIdentity = if smc {
                    &w.p.smc_doctor
                } else {
                    &w.p.mjh_doctor
                };
                let o = w.issue(doctor, &format!("RX{n}"), P1, "").await;
                assert_ok(&o);
                collect_private(&mut written, &o);
                if dispense {
                    assert_ok(
                        &w.submit(
                            &w.p.pharmacist,
                            "DispensePrescription",
                            &[&format!("RX{n}")],
                            &[],
                        )
                        .await,
                    );
                }
            }
            PhiOp::PaperConsent { revoke } => {
                let id = format!("CP{n}");
                let (o, h) = w.store_form(&w.p.smc_clerk, &id, P1, "grant", 6).await;
                assert_ok(&o);
                collect_private(&mut written, &o);
                let o = w
                    .submit(
                        &w.p.smc_clerk,
                        "GrantConsent",
                        &[&id, P1, MJH, "treatment", r#"["lab"]"#, PERIOD_2024, &h],
                        &[],
                    )
                    .await;
                assert_ok(&o);
                if revoke {
                    let (o, h) = w.store_form(&w.p.smc_clerk, &id, P1, "revocation", 7).await;
                    assert_ok(&o);
                    collect_private(&mut written, &o);
                    let o = w
                        .submit(&w.p.smc_clerk, "RevokeConsent", &[&id, &h], &[])
                        .await;
                    assert_ok(&o);
                }
            }
            PhiOp::Claim { decide, pay } => {
                let o = record(&w, n, false, &mut written).await;
                assert_ok(&o);
                let o = w
                    .submit_claim(
                        &w.p.smc_clerk,
                        &format!("CL{n}"),
                        P1,
                        &format!(r#"["R{n}"]"#),
                    )
                    .await;
                assert_ok(&o);
                collect_private(&mut written, &o);
                if decide {
                    let o = w.adjudicate(&format!("CL{n}"), "approved", APPROVED).await;
                    assert_ok(&o);
                    collect_private(&mut written, &o);
                    if pay {
                        let o = w.pay(&format!("CL{n}")).await;
                        assert_ok(&o);
                        collect_private(&mut written, &o);
                    }
                }
            }
        }
    }
    let o = w.submit(&w.p.smc_clerk, "ErasePatient", &[P1], &[]).await;
    assert_ok(&o);
    let receipt = json(&o);
    let mut purged_total = 0;
    for (coll, keys) in &written {
        for k in keys {
            assert!(
                w.ledger.private_data(coll, k).is_none(),
                "{coll} {k:?} survived"
            );
            assert!(
                w.ledger.private_data_hash(coll, k).is_none(),
                "hash of {coll} {k:?} survived"
            );
        }
        assert_eq!(
            receipt["purged"][coll].as_u64(),
            Some(keys.len() as u64),
            "receipt for {coll}: {receipt}"
        );
        purged_total += keys.len();
    }
    assert!(purged_total >= 1);
    // Nothing is left in the home hospital's collections (P1 was their only patient), nor in
    // the prescriptions collection (only P1's prescriptions were written).
    let snapshot = w.ledger.snapshot();
    for coll in [SMC_PHI, SMC_NHIS, RX] {
        let left = snapshot
            .get_private_data_range(CC, coll, "", "", usize::MAX)
            .expect("reads");
        assert!(
            left.is_empty(),
            "{coll} still holds {:?}",
            left.iter().map(|(k, _)| k).collect::<Vec<_>>()
        );
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_prescription_is_dispensed_at_most_once_and_never_after_expiry(ops in proptest::collection::vec(rx_op(), 1..20)) {
        run(prescriptions_case(ops));
    }

    #[test]
    fn a_claim_is_paid_only_when_approved(ops in proptest::collection::vec(claim_op(), 1..16)) {
        run(claims_case(ops));
    }

    #[test]
    fn access_succeeds_exactly_when_a_consent_in_force_allows_it(ops in proptest::collection::vec(consent_op(), 1..20)) {
        run(consent_case(ops));
    }

    #[test]
    fn erasure_leaves_no_private_data(ops in proptest::collection::vec(phi_op(), 0..8)) {
        run(erasure_case(ops));
    }
}
