//! The same transactions on a Fabric 2.5 peer (one request per write) and a Fabric 3.1 peer
//! (write batching, multiple-key reads) produce byte-identical read-write sets.

mod common;

use common::*;
use fabric_chaincode::PeerFeatures;
use fabric_chaincode::testing::TxOutcome;

async fn scenario(w: &World) -> Vec<TxOutcome> {
    let mut out = Vec::new();
    let stored = w
        .store_demographics(&w.p.smc_clerk, P1, DEMOGRAPHICS, 1)
        .await;
    let h = json(&stored)["commitment"]
        .as_str()
        .expect("a commitment")
        .to_owned();
    out.push(stored);
    out.push(
        w.submit(&w.p.smc_clerk, "RegisterPatient", &[P1, &h], &[])
            .await,
    );
    out.push(
        w.grant(
            &w.p.smc_patient,
            "C-INS",
            P1,
            NHIS,
            "insurance_claim",
            r#"["encounter"]"#,
        )
        .await,
    );
    out.push(w.add_record(&w.p.smc_doctor, "E1", P1, "encounter").await);
    out.push(w.issue(&w.p.smc_doctor, "RX1", P1, "").await);
    out.push(
        w.submit(&w.p.pharmacist, "DispensePrescription", &["RX1"], &[])
            .await,
    );
    out.push(w.submit_claim(&w.p.smc_clerk, "CL1", P1, r#"["E1"]"#).await);
    out.push(w.adjudicate("CL1", "approved", APPROVED).await);
    out.push(w.submit(&w.p.smc_clerk, "ErasePatient", &[P1], &[]).await);
    out
}

#[tokio::test]
async fn read_write_sets_do_not_depend_on_the_peer_version() {
    let v25 = World::new();
    let v31 = World {
        ledger: ledger().with_peer_features(PeerFeatures::FABRIC_3_1),
        ..World::new()
    };
    let a = scenario(&v25).await;
    let b = scenario(&v31).await;
    for (x, y) in a.iter().zip(&b) {
        assert_ok(x);
        assert_ok(y);
        assert_eq!(x.txid, y.txid);
        assert_eq!(
            x.simulation.results, y.simulation.results,
            "read-write set of {}",
            x.txid
        );
        assert_eq!(x.response, y.response);
    }
}
