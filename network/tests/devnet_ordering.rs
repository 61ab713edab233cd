//! Ordering and the commit pipeline: cutting by count, size and timeout, signed blocks with
//! a verifiable hash chain, commit status waiters, block notifications.

use bytes::Bytes;
use fabric_protos::common::{
    Block, BlockMetadataIndex, OrdererBlockMetadata, SignatureHeader, Status,
};
use fabric_protos::protos::TxValidationCode;
use fabric_sdk::identity::{Identity, SigningIdentity};
use fabric_sdk::tx::block::{block_metadata, block_signature_message, verify_block_hashes};
use medledger_network::Error;
use medledger_network::devnet::envelope::synthetic_envelope;
use medledger_network::devnet::store::BlockUpdates;
use medledger_network::devnet::{AcceptAll, BatchConfig, Ledger, Pipeline, Store, build_block};
use prost::Message;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ORDERER_MSP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/fabric-v3.1.5/crypto/ordererOrganizations/example.com/orderers/orderer.example.com/msp"
);

fn orderer() -> SigningIdentity {
    SigningIdentity::from_msp_dir(ORDERER_MSP, "OrdererMSP").unwrap()
}

/// A ledger holding a (synthetic) block 0.
fn ledger(dir: &std::path::Path) -> Ledger {
    let store = Store::open(dir).unwrap();
    if store.height().unwrap() == 0 {
        let b = build_block(
            0,
            &[],
            vec![synthetic_envelope("ch", "", b"config")],
            0,
            None,
        )
        .unwrap();
        store
            .commit(b, &BlockUpdates::without_writes(1, TxValidationCode::Valid))
            .unwrap();
    }
    Ledger::new(store).unwrap()
}

fn config(max: u32, timeout_ms: u64) -> BatchConfig {
    BatchConfig {
        max_message_count: max,
        batch_timeout: Duration::from_millis(timeout_ms),
        ..BatchConfig::default()
    }
}

fn tx_count(b: &Block) -> usize {
    b.data.as_ref().map_or(0, |d| d.data.len())
}

#[test]
fn built_blocks_are_signed_like_fabric() {
    let signer = orderer();
    let envs = vec![
        synthetic_envelope("ch", "t1", b"x"),
        synthetic_envelope("ch", "t2", b"y"),
    ];
    let b = build_block(3, &[9; 32], envs.clone(), 0, Some(&signer)).unwrap();
    verify_block_hashes(&b, None).unwrap();
    assert_eq!(
        b.data.as_ref().unwrap().data,
        envs,
        "envelope bytes kept as given"
    );
    let md = b.metadata.as_ref().unwrap();
    assert_eq!(md.metadata.len(), 5);
    assert!(md.metadata[BlockMetadataIndex::LastConfig as usize].is_empty());
    assert!(md.metadata[BlockMetadataIndex::TransactionsFilter as usize].is_empty());
    let sigs = block_metadata(&b, BlockMetadataIndex::Signatures).unwrap();
    let obm = OrdererBlockMetadata::decode(sigs.value.clone()).unwrap();
    assert_eq!(obm.last_config.unwrap().index, 0);
    assert_eq!(sigs.signatures.len(), 1);
    let s = &sigs.signatures[0];
    let sh = SignatureHeader::decode(s.signature_header.clone()).unwrap();
    assert_eq!(sh.nonce.len(), 24);
    let id = Identity::from_serialized(&sh.creator).unwrap();
    assert_eq!(id.msp_id(), "OrdererMSP");
    let msg = block_signature_message(&sigs.value, &s.signature_header, b.header.as_ref().unwrap());
    id.certificate()
        .public_key()
        .unwrap()
        .verify(&msg, &s.signature)
        .unwrap();
    // Unsigned variant: value only.
    let b = build_block(0, &[], vec![], 0, None).unwrap();
    assert!(
        block_metadata(&b, BlockMetadataIndex::Signatures)
            .unwrap()
            .signatures
            .is_empty()
    );
}

#[tokio::test]
async fn cuts_by_count_and_chains_signed_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    let p = Pipeline::start(
        ledger.clone(),
        config(3, 10_000),
        Some(orderer()),
        Arc::new(AcceptAll),
    )
    .unwrap();
    let o = p.orderer();
    for i in 0..6 {
        o.broadcast(synthetic_envelope("ch", &format!("tx{i}"), b"data"))
            .await
            .unwrap();
    }
    tokio::time::timeout(Duration::from_secs(5), ledger.wait_for_block(2))
        .await
        .unwrap()
        .unwrap();
    let store = ledger.store();
    let b1 = store.block(1).unwrap().unwrap();
    let b2 = store.block(2).unwrap().unwrap();
    assert_eq!((tx_count(&b1), tx_count(&b2)), (3, 3));
    let b0 = store.block(0).unwrap().unwrap();
    verify_block_hashes(&b1, b0.header.as_ref()).unwrap();
    verify_block_hashes(&b2, b1.header.as_ref()).unwrap();
    assert_eq!(
        block_metadata(&b2, BlockMetadataIndex::Signatures)
            .unwrap()
            .signatures
            .len(),
        1
    );
    let loc = ledger.wait_for_transaction("tx4").await.unwrap();
    assert_eq!(
        (loc.block_num, loc.tx_num, loc.code),
        (2, 1, TxValidationCode::Valid)
    );
    drop(o);
    p.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_lone_transaction_waits_for_the_timeout_only() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    let p = Pipeline::start(ledger.clone(), config(10, 300), None, Arc::new(AcceptAll)).unwrap();
    let waiter = {
        let ledger = ledger.clone();
        tokio::spawn(async move { ledger.wait_for_transaction("lone").await })
    };
    let start = Instant::now();
    p.orderer()
        .broadcast(synthetic_envelope("ch", "lone", b"x"))
        .await
        .unwrap();
    let loc = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let waited = start.elapsed();
    assert_eq!(loc.block_num, 1);
    assert!(
        waited >= Duration::from_millis(250),
        "cut too early: {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "cut too late: {waited:?}");
    // The timer restarts with the next batch.
    let start = Instant::now();
    p.orderer()
        .broadcast(synthetic_envelope("ch", "second", b"x"))
        .await
        .unwrap();
    ledger.wait_for_transaction("second").await.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(250));
    p.shutdown().await.unwrap();
}

#[tokio::test]
async fn cuts_by_size_and_refuses_oversized_envelopes() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    let cfg = BatchConfig {
        max_message_count: 100,
        preferred_max_bytes: 1000,
        absolute_max_bytes: 5000,
        batch_timeout: Duration::from_secs(30),
    };
    let p = Pipeline::start(ledger.clone(), cfg, None, Arc::new(AcceptAll)).unwrap();
    let o = p.orderer();
    // ~440-byte envelopes (400 data bytes plus headers whose size varies by a few bytes with
    // the timestamp): two fit under 1000 bytes, the third cuts, whatever the clock says.
    for i in 0..4 {
        o.broadcast(synthetic_envelope("ch", &format!("s{i}"), &[7; 400]))
            .await
            .unwrap();
    }
    // An envelope over the preferred size goes alone, after cutting what is pending.
    o.broadcast(synthetic_envelope("ch", "big", &[1; 2000]))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), ledger.wait_for_block(3))
        .await
        .unwrap()
        .unwrap();
    let counts: Vec<_> = (1..=3)
        .map(|n| tx_count(&ledger.store().block(n).unwrap().unwrap()))
        .collect();
    assert_eq!(counts, [2, 2, 1]);
    let e = o
        .broadcast(synthetic_envelope("ch", "huge", &[1; 6000]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Broadcast {
                status: Status::RequestEntityTooLarge,
                ..
            }
        ),
        "{e}"
    );
    let e = o
        .broadcast(Bytes::from_static(b"\xff\xff not an envelope"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Broadcast {
                status: Status::BadRequest,
                ..
            }
        ),
        "{e}"
    );
    drop(o);
    p.shutdown().await.unwrap();
}

#[tokio::test]
async fn pending_envelopes_are_committed_on_shutdown_and_restart_continues() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ledger = ledger(dir.path());
        let p = Pipeline::start(
            ledger.clone(),
            config(10, 60_000),
            None,
            Arc::new(AcceptAll),
        )
        .unwrap();
        let mut blocks = ledger.subscribe_blocks();
        p.orderer()
            .broadcast(synthetic_envelope("ch", "pending", b"x"))
            .await
            .unwrap();
        p.shutdown().await.unwrap();
        let b = blocks.recv().await.unwrap();
        assert_eq!(b.number, 1);
        assert_eq!(
            b.transactions,
            [("pending".to_owned(), TxValidationCode::Valid)]
        );
        assert_eq!(ledger.height(), 2);
    }
    let ledger = ledger(dir.path());
    assert_eq!(ledger.height(), 2);
    let p = Pipeline::start(ledger.clone(), config(1, 1000), None, Arc::new(AcceptAll)).unwrap();
    p.orderer()
        .broadcast(synthetic_envelope("ch", "pending", b"again"))
        .await
        .unwrap();
    p.orderer()
        .broadcast(synthetic_envelope("ch", "next", b"x"))
        .await
        .unwrap();
    let loc = ledger.wait_for_transaction("next").await.unwrap();
    assert_eq!(loc.block_num, 3);
    let dup = ledger.store().block(2).unwrap().unwrap();
    assert_eq!(
        fabric_sdk::tx::block::transactions_filter(&dup),
        &[TxValidationCode::DuplicateTxid as u8]
    );
    let b1 = ledger.store().block(1).unwrap().unwrap();
    verify_block_hashes(&dup, b1.header.as_ref()).unwrap();
    p.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failing_committer_stops_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    let failing = |_: &Block,
                   _: &medledger_network::devnet::store::Snapshot|
     -> medledger_network::Result<BlockUpdates> {
        Err(Error::Ledger("validator exploded".into()))
    };
    let p = Pipeline::start(ledger.clone(), config(1, 100), None, Arc::new(failing)).unwrap();
    let o = p.orderer();
    o.broadcast(synthetic_envelope("ch", "t", b"x"))
        .await
        .unwrap();
    drop(o);
    let e = p.shutdown().await.unwrap_err();
    assert!(e.to_string().contains("validator exploded"), "{e}");
    assert_eq!(ledger.store().height().unwrap(), 1);
}
