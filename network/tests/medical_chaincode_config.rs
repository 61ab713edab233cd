//! The default consortium's `medledger` chaincode entry agrees with the medical contract's
//! network configuration (`chaincode/medledger/config/`): the same endorsement policy, and
//! collections that name only organisations of the channel; the entry carries them (compiled in
//! from `chaincode/medledger/config/collections.json`; `medical.toml` names the same file).

use medledger_network::Topology;

const COLLECTIONS: &str = include_str!("../../chaincode/medledger/config/collections.json");
const ENDORSEMENT_POLICY: &str =
    include_str!("../../chaincode/medledger/config/endorsement-policy.txt");

fn medledger_entry(t: &Topology) -> usize {
    t.chaincodes
        .iter()
        .position(|c| c.name == "medledger")
        .expect("the default topology defines the medledger chaincode")
}

#[test]
fn endorsement_policy_is_the_contracts() {
    let t = Topology::medical_default();
    let cc = &t.chaincodes[medledger_entry(&t)];
    assert_eq!(
        cc.endorsement_policy.as_deref(),
        Some(ENDORSEMENT_POLICY.trim())
    );
}

#[test]
fn the_default_entry_carries_the_contracts_collections() {
    let t = Topology::medical_default();
    let cc = &t.chaincodes[medledger_entry(&t)];
    assert_eq!(cc.collections.as_deref(), Some(COLLECTIONS));
    assert_eq!(
        medledger_network::topology::MEDLEDGER_COLLECTIONS,
        COLLECTIONS
    );
}

#[test]
fn collections_fit_the_default_channel() -> medledger_network::Result<()> {
    let mut t = Topology::medical_default();
    let i = medledger_entry(&t);
    t.chaincodes[i].collections = Some(COLLECTIONS.to_owned());
    t.validate()?;
    let package = t.chaincodes[i]
        .collection_package()?
        .expect("collections are set");
    assert_eq!(package.config.len(), 5);

    // The file form, as the devnet and the real-Fabric kit would use it.
    let mut t = Topology::medical_default();
    t.chaincodes[i].collections = None;
    t.chaincodes[i].collections_file = Some(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../chaincode/medledger/config/collections.json"),
    );
    t.validate()?;
    assert_eq!(t.chaincodes[i].collection_package()?, Some(package));
    Ok(())
}
