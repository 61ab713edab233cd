//! Every tx decoder fed random, truncated and bit-flipped bytes: errors, never panics.

use base64::Engine;
use fabric_sdk::protos::Message;
use fabric_sdk::protos::common::{Block, Envelope};
use fabric_sdk::protos::protos::SignedProposal;
use fabric_sdk::tx::block::{block_metadata, transactions_filter, verify_block_hashes};
use fabric_sdk::tx::composite_key::{split_composite_key, validate_simple_key};
use fabric_sdk::tx::{ParsedProposal, ParsedTransaction, ResponseSet};
use proptest::prelude::*;

fn recorded() -> (Vec<u8>, Vec<u8>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/fabric-v3.1.5/gateway/submit-basic-CreateAsset.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let b64 = |s: &serde_json::Value| {
        base64::engine::general_purpose::STANDARD
            .decode(s.as_str().unwrap())
            .unwrap()
    };
    (
        b64(&v["proposal"]["signed_proposal_b64"]),
        b64(&v["transaction"]["signed_envelope_b64"]),
    )
}

fn exercise(bytes: &[u8]) {
    if let Ok(sp) = SignedProposal::decode(bytes) {
        let _ = ParsedProposal::parse(&sp);
    }
    if let Ok(env) = Envelope::decode(bytes) {
        let _ = ParsedTransaction::parse(&env);
    }
    if let Ok(block) = Block::decode(bytes) {
        let _ = verify_block_hashes(&block, None);
        let _ = transactions_filter(&block);
        let _ = block_metadata(
            &block,
            fabric_sdk::protos::common::BlockMetadataIndex::Signatures,
        );
    }
    if let Ok(r) = fabric_sdk::protos::protos::ProposalResponse::decode(bytes) {
        let _ = ResponseSet::check(&[r]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&bytes);
    }

    #[test]
    fn truncated_and_flipped_real_messages(cut in 0usize..5000, flip in 0usize..5000, bit in 0u8..8) {
        let (proposal, envelope) = recorded();
        for msg in [proposal, envelope] {
            let cut = cut.min(msg.len());
            exercise(&msg[..cut]);
            let mut flipped = msg.clone();
            let i = flip % flipped.len();
            flipped[i] ^= 1 << bit;
            exercise(&flipped);
        }
    }

    #[test]
    fn composite_key_parsers(s in "\\PC*", raw in proptest::collection::vec(any::<char>(), 0..40)) {
        let _ = split_composite_key(&s);
        let _ = validate_simple_key(&s);
        let k: String = raw.into_iter().collect();
        let _ = split_composite_key(&k);
    }
}
