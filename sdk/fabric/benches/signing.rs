//! Sign and verify, aws-lc-rs against the pure-Rust back end, side by side in one run.
//!
//! `cargo bench -p fabric-sdk --bench signing`

use criterion::{Criterion, criterion_group, criterion_main};
use fabric_sdk::crypto::{Backend, KeyAlgorithm, PrivateKey};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    // A proposal-sized message (the recorded CreateAsset proposal is ~1 KiB).
    let message = vec![0x5au8; 1024];
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519] {
        let key = PrivateKey::generate(alg).expect("key");
        let public = key.public_key().expect("public key");
        let mut group = c.benchmark_group(format!("{alg}"));
        for backend in Backend::available() {
            let signer = key.signer_with(*backend).expect("signer");
            let verifier = public.verifier_with(*backend).expect("verifier");
            let sig = signer.sign(&message).expect("sign");
            group.bench_function(format!("sign/{backend:?}"), |b| {
                b.iter(|| signer.sign(black_box(&message)).expect("sign"))
            });
            group.bench_function(format!("verify/{backend:?}"), |b| {
                b.iter(|| {
                    verifier
                        .verify(black_box(&message), black_box(&sig))
                        .expect("verify")
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
