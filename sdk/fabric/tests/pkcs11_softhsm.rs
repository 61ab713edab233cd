//! The PKCS#11 signer against a real token: SoftHSM2, in a token directory of its own.
//!
//! Needs SoftHSM2 (`apt-get install softhsm2`); without it the test prints why it skipped and
//! passes. The module is taken from `SOFTHSM2_MODULE` or the Debian/Fedora paths.
//! One test per binary: SoftHSM reads `SOFTHSM2_CONF` from the environment when initialised.
#![cfg(feature = "pkcs11")]

use fabric_sdk::crypto::pkcs11::{KeySelector, Pkcs11Config, Pkcs11Signer, TokenSelector};
use fabric_sdk::crypto::{KeyAlgorithm, PrivateKey, Signer, is_low_s};
use fabric_sdk::identity::{Certificate, Identity};
use std::path::Path;

#[path = "support/softhsm.rs"]
mod softhsm;
use softhsm::SoftHsm;

const TOKEN: &str = "medledger-test";
const PIN: &str = "4321";

fn self_signed(key: &PrivateKey) -> Certificate {
    let pair = rcgen::KeyPair::from_pem(&key.to_pkcs8_pem()).unwrap();
    let params = rcgen::CertificateParams::new(vec!["user1.org1.example.com".into()]).unwrap();
    Certificate::from_pem(params.self_signed(&pair).unwrap().pem()).unwrap()
}

fn config(module: &Path, key: KeySelector, pin: &str) -> Pkcs11Config {
    Pkcs11Config {
        module: module.to_path_buf(),
        token: TokenSelector::Label(TOKEN.into()),
        pin: pin.into(),
        key,
    }
}

#[test]
fn signs_through_softhsm_with_low_s_signatures_our_verifier_accepts() {
    let Some(hsm) = SoftHsm::start(TOKEN, PIN) else {
        return;
    };
    let module = hsm.module.clone();
    let dir = tempfile::tempdir().unwrap();
    // The identity's key, imported as a CA-issued key would be (private and public objects).
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let pem_path = dir.path().join("key.pem");
    std::fs::write(&pem_path, key.to_pkcs8_pem()).unwrap();
    hsm.import(&pem_path, "user1", "a1b2");

    // A wrong PIN is refused with a clear message (before any successful login: PKCS#11 logins
    // are per application and token).
    let err = Pkcs11Signer::open(&config(&module, KeySelector::Label("user1".into()), "0000"))
        .unwrap_err();
    assert!(err.to_string().contains("wrong PIN"), "{err}");

    let signer =
        Pkcs11Signer::open(&config(&module, KeySelector::Label("user1".into()), PIN)).unwrap();
    let expected = key.public_key().unwrap();
    assert_eq!(signer.public_key(), &expected);
    assert_eq!(signer.key_algorithm(), KeyAlgorithm::EcdsaP256);

    // A raw PKCS#11 signature is high-S half the time: every one must come out low-S and verify.
    for i in 0..64u32 {
        let message = format!("proposal bytes {i}");
        let signature = signer.sign(message.as_bytes()).unwrap();
        assert!(is_low_s(KeyAlgorithm::EcdsaP256, &signature).unwrap());
        expected.verify(message.as_bytes(), &signature).unwrap();
    }

    // The same key found by CKA_ID.
    let by_id =
        Pkcs11Signer::open(&config(&module, KeySelector::Id(vec![0xa1, 0xb2]), PIN)).unwrap();
    let signature = by_id.sign(b"by id").unwrap();
    expected.verify(b"by id", &signature).unwrap();

    // Missing key and token: errors that say what is missing.
    let err =
        Pkcs11Signer::open(&config(&module, KeySelector::Label("nobody".into()), PIN)).unwrap_err();
    assert!(err.to_string().contains("no private key"), "{err}");
    let mut wrong_token = config(&module, KeySelector::Label("user1".into()), PIN);
    wrong_token.token = TokenSelector::Label("absent".into());
    let err = Pkcs11Signer::open(&wrong_token).unwrap_err();
    assert!(
        err.to_string().contains(TOKEN),
        "lists the tokens present: {err}"
    );

    // Matched to its certificate; refused for another key's certificate.
    let other = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let err = by_id
        .signing_identity(Identity::new("Org1MSP", self_signed(&other)))
        .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    let identity = signer
        .signing_identity(Identity::new("Org1MSP", self_signed(&key)))
        .unwrap();

    expected
        .verify(b"identity", &identity.sign(b"identity").unwrap())
        .unwrap();
    #[cfg(feature = "gateway")]
    signs_from_async_tasks(&identity, &expected);
}

/// From async code on a multi-threaded runtime (the gateway's case): signs in block_in_place.
#[cfg(feature = "gateway")]
fn signs_from_async_tasks(
    identity: &fabric_sdk::identity::SigningIdentity,
    expected: &fabric_sdk::crypto::PublicKey,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let signatures = runtime.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let identity = identity.clone();
                tokio::spawn(async move { (i, identity.sign(format!("m{i}").as_bytes())) })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    });
    for (i, signature) in signatures {
        expected
            .verify(format!("m{i}").as_bytes(), &signature.unwrap())
            .unwrap();
    }
}
