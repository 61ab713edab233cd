//! Private data on the test ledger: hashes on the public read-write set, collection membership,
//! implicit org collections, block-to-live, the init rule.

mod testing_support;

use fabric_chaincode::testing::{TestIdentity, TestLedger};
use fabric_sdk::crypto::sha256;
use fabric_sdk::ledger::key_hash;
use testing_support::{Probe, evaluate, ok_text, submit, user};

const COLLECTIONS: &str = r#"[
  {"name": "secrets", "policy": "OR('Org1MSP.member')", "requiredPeerCount": 0,
   "maxPeerCount": 1, "blockToLive": 0, "memberOnlyRead": true, "memberOnlyWrite": true},
  {"name": "shared", "policy": "OR('Org1MSP.member', 'Org2MSP.member')", "requiredPeerCount": 0,
   "maxPeerCount": 1, "blockToLive": 2, "memberOnlyRead": true, "memberOnlyWrite": false}
]"#;

const SECRET: &[u8] = b"patient 42 has the flu";

fn ledger() -> TestLedger {
    TestLedger::new("probe")
        .with_collections_json(COLLECTIONS)
        .unwrap()
        .with_channel_orgs(["Org1MSP", "Org2MSP"])
}

fn org2() -> TestIdentity {
    TestIdentity::new("Org2MSP").unwrap()
}

async fn put_private(
    ledger: &TestLedger,
    who: &TestIdentity,
    collection: &str,
    key: &str,
) -> fabric_chaincode::testing::TxOutcome {
    ledger
        .tx(who)
        .function("PutPrivate")
        .args([collection, key])
        .transient("value", SECRET)
        .submit(&Probe)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_private_write_leaves_only_hashes_on_the_public_ledger() {
    let ledger = ledger();
    let o = put_private(&ledger, &user(), "secrets", "p42").await;
    assert!(o.is_valid(), "{o:?}");
    // The endorsing peer keeps the value aside ...
    assert_eq!(
        o.private_writes("secrets"),
        [("p42".to_owned(), Some(SECRET.into()))].into()
    );
    // ... and the transaction carries hashes only: no public write, neither the key nor the
    // value in the bytes, the hashes in the collection's hashed set.
    assert!(o.writes().is_empty());
    let public = &o.simulation.results;
    assert!(!public.windows(SECRET.len()).any(|w| w == SECRET));
    assert!(!public.windows(3).any(|w| w == b"p42"));
    let collection = &o.rwset.namespaces[0].collections[0];
    assert_eq!(collection.collection, "secrets");
    let write = &collection.hashed.hashed_writes[0];
    assert_eq!(write.key_hash, key_hash("p42"));
    assert_eq!(&write.value_hash[..], sha256(SECRET));
    assert_eq!(collection.pvt_rwset_hash.len(), 32);
    // Committed: the value in the private store, its hash on the channel.
    assert_eq!(
        ledger.private_data("secrets", "p42").as_deref(),
        Some(SECRET)
    );
    assert_eq!(
        ledger.private_data_hash("secrets", "p42").as_deref(),
        Some(&sha256(SECRET)[..])
    );
    assert_eq!(ledger.state("p42"), None);
    // The transient value never reached the ledger's public side.
    assert!(ledger.keys().is_empty());
}

#[tokio::test]
async fn collection_membership_is_enforced() {
    let ledger = ledger();
    put_private(&ledger, &user(), "secrets", "p42").await;
    // A member reads the value.
    let o = evaluate(&ledger, &user(), &["GetPrivate", "secrets", "p42"]).await;
    assert_eq!(ok_text(&o), String::from_utf8_lossy(SECRET));
    // A non-member may not read it (memberOnlyRead) ...
    let o = evaluate(&ledger, &org2(), &["GetPrivate", "secrets", "p42"]).await;
    assert_eq!(o.status(), 500);
    assert!(
        o.message().ends_with(
            "tx creator does not have read access permission on privatedata in \
             chaincodeName:probe collectionName: secrets"
        ),
        "{}",
        o.message()
    );
    // ... nor write it (memberOnlyWrite) ...
    let o = put_private(&ledger, &org2(), "secrets", "p43").await;
    assert_eq!(o.status(), 500);
    assert!(
        o.message().contains("does not have write access"),
        "{}",
        o.message()
    );
    // ... but every peer of the channel has the hash.
    let o = evaluate(&ledger, &org2(), &["GetPrivateHash", "secrets", "p42"]).await;
    assert_eq!(ok_text(&o), hex::encode(sha256(SECRET)));
    // An unknown collection.
    let o = evaluate(&ledger, &user(), &["GetPrivate", "nope", "p42"]).await;
    assert!(
        o.message()
            .contains("collection testchannel/probe/nope could not be found"),
        "{}",
        o.message()
    );
}

#[tokio::test]
async fn implicit_org_collections() {
    let ledger = ledger();
    // Anyone may write an org's implicit collection at the peer (the endorsement policy is
    // what protects it on a network).
    let o = put_private(&ledger, &org2(), "_implicit_org_Org1MSP", "k").await;
    assert!(o.is_valid(), "{o:?}");
    assert_eq!(
        ledger.private_data("_implicit_org_Org1MSP", "k").as_deref(),
        Some(SECRET)
    );
    // Only the channel's orgs have one.
    let o = put_private(&ledger, &user(), "_implicit_org_Org3MSP", "k").await;
    assert_eq!(o.status(), 500);
    assert!(
        o.message().contains(
            "collection [_implicit_org_Org3MSP] not defined in the collection config for \
             chaincode [probe]"
        ),
        "{}",
        o.message()
    );
}

#[tokio::test]
async fn deletes_and_block_to_live() {
    let ledger = ledger();
    put_private(&ledger, &user(), "secrets", "gone").await;
    submit(&ledger, &user(), &["DelPrivate", "secrets", "gone"]).await;
    assert_eq!(ledger.private_data("secrets", "gone"), None);
    assert_eq!(ledger.private_data_hash("secrets", "gone"), None);

    // A purge removes the value and the hash (capability V2_5).
    put_private(&ledger, &user(), "secrets", "purged").await;
    let o = submit(&ledger, &user(), &["PurgePrivate", "secrets", "purged"]).await;
    assert!(o.rwset.namespaces[0].collections[0].hashed.hashed_writes[0].is_purge);
    assert_eq!(ledger.private_data("secrets", "purged"), None);
    assert_eq!(ledger.private_data_hash("secrets", "purged"), None);

    // `shared` keeps data for 2 blocks after the one that wrote it.
    let o = put_private(&ledger, &org2(), "shared", "k").await;
    let written = o.block.unwrap();
    ledger.put_state("tick", "1").unwrap();
    ledger.put_state("tick", "2").unwrap();
    assert_eq!(ledger.height(), written + 3);
    assert!(ledger.private_data("shared", "k").is_some());
    ledger.put_state("tick", "3").unwrap();
    assert_eq!(ledger.private_data("shared", "k"), None);
    assert_eq!(ledger.private_data_hash("shared", "k"), None);
}

#[tokio::test]
async fn no_private_data_in_init() {
    let ledger = ledger().with_init_required("1.0");
    let o = ledger
        .tx(&user())
        .function("PutPrivate")
        .args(["secrets", "k"])
        .transient("value", SECRET)
        .init(true)
        .submit(&Probe)
        .await
        .unwrap();
    assert_eq!(o.status(), 500);
    assert!(
        o.message()
            .contains("private data APIs are not allowed in chaincode Init()"),
        "{}",
        o.message()
    );
}

#[tokio::test]
async fn seeded_private_data_is_readable_by_members() {
    let ledger = ledger();
    ledger.put_private_data("secrets", "seeded", "s").unwrap();
    let o = evaluate(&ledger, &user(), &["GetPrivate", "secrets", "seeded"]).await;
    assert_eq!(ok_text(&o), "s");
    assert_eq!(
        ledger.private_data_hash("secrets", "seeded").as_deref(),
        Some(&sha256(b"s")[..])
    );
}
