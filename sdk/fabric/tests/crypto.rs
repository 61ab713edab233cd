//! Signing and verification across back ends, Fabric's low-S rule, and key formats.

use fabric_sdk::crypto::{
    Backend, EcdsaSignature, HashAlgorithm, KeyAlgorithm, PrivateKey, PublicKey, is_low_s,
    normalize_low_s, sha256,
};
use proptest::prelude::*;
use std::path::PathBuf;

const ALL: [KeyAlgorithm; 3] = [
    KeyAlgorithm::EcdsaP256,
    KeyAlgorithm::EcdsaP384,
    KeyAlgorithm::Ed25519,
];

#[test]
fn every_backend_verifies_every_other_backends_signatures() {
    for alg in ALL {
        let key = PrivateKey::generate(alg).unwrap();
        let public = key.public_key().unwrap();
        for signer_backend in Backend::available() {
            let signer = key.signer_with(*signer_backend).unwrap();
            assert_eq!(signer.key_algorithm(), alg);
            for _ in 0..20 {
                let sig = signer.sign(b"medledger").unwrap();
                if alg != KeyAlgorithm::Ed25519 {
                    assert!(
                        is_low_s(alg, &sig).unwrap(),
                        "{alg} {signer_backend:?} produced high-S"
                    );
                }
                for verifier_backend in Backend::available() {
                    let v = public.verifier_with(*verifier_backend).unwrap();
                    v.verify(b"medledger", &sig).unwrap();
                    assert!(v.verify(b"medledgeR", &sig).is_err());
                }
            }
        }
    }
}

#[test]
fn sign_digest_is_what_offline_signing_uses() {
    for alg in ALL {
        let key = PrivateKey::generate(alg).unwrap();
        let signer = key.signer().unwrap();
        let msg = b"proposal bytes";
        let input = signer.hash_algorithm().digest(msg);
        match alg {
            KeyAlgorithm::Ed25519 => assert_eq!(signer.hash_algorithm(), HashAlgorithm::None),
            _ => assert_eq!(input.as_ref(), sha256(msg).as_slice()),
        }
        let sig = signer.sign_digest(&input).unwrap();
        key.public_key().unwrap().verify(msg, &sig).unwrap();
    }
}

#[test]
fn high_s_signatures_are_rejected_like_fabric_does() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384] {
        let key = PrivateKey::generate(alg).unwrap();
        let low = key.signer().unwrap().sign(b"tx").unwrap();
        // Build the high-S twin: s' = n - s. Normalizing it must give back the low-S signature.
        let mut sig = EcdsaSignature::from_der(&low).unwrap();
        sig.s = high_twin(alg, &sig.s);
        let high = sig.to_der();
        assert!(!is_low_s(alg, &high).unwrap());
        for b in Backend::available() {
            let err = key
                .public_key()
                .unwrap()
                .verifier_with(*b)
                .unwrap()
                .verify(b"tx", &high)
                .unwrap_err();
            assert!(err.to_string().contains("high-S"), "{err}");
        }
        assert_eq!(normalize_low_s(alg, high).unwrap(), low);
    }
}

/// n - s, computed from the curve order.
fn high_twin(alg: KeyAlgorithm, s: &[u8]) -> Vec<u8> {
    let n = match alg {
        KeyAlgorithm::EcdsaP256 => hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551").unwrap(),
        _ => hex::decode("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973").unwrap(),
    };
    let mut s_full = vec![0u8; n.len() - s.len()];
    s_full.extend_from_slice(s);
    let mut out = vec![0u8; n.len()];
    let mut borrow = 0i16;
    for i in (0..n.len()).rev() {
        let mut d = n[i] as i16 - s_full[i] as i16 - borrow;
        borrow = if d < 0 {
            d += 256;
            1
        } else {
            0
        };
        out[i] = d as u8;
    }
    let first = out.iter().position(|&b| b != 0).unwrap();
    out[first..].to_vec()
}

#[test]
fn pem_round_trip_and_ski() {
    for alg in ALL {
        let key = PrivateKey::generate(alg).unwrap();
        let pem = key.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(back.algorithm(), alg);
        assert_eq!(back.public_key().unwrap(), key.public_key().unwrap());
        let public = key.public_key().unwrap();
        assert_eq!(public.ski(), sha256(public.as_bytes()));
        assert_eq!(PublicKey::from_raw(alg, public.as_bytes()).unwrap(), public);
    }
}

#[test]
fn loads_real_cryptogen_keys_and_signs_for_their_certificates() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/fabric-v3.1.5/crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp");
    let key =
        PrivateKey::from_pem(&std::fs::read_to_string(root.join("keystore/priv_sk")).unwrap())
            .unwrap();
    assert_eq!(key.algorithm(), KeyAlgorithm::EcdsaP256);
    let cert_pem = std::fs::read(root.join("signcerts/User1@org1.example.com-cert.pem")).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&cert_pem).unwrap();
    let cert = pem.parse_x509().unwrap();
    let cert_key = PublicKey::from_spki_der(cert.public_key().raw).unwrap();
    assert_eq!(cert_key, key.public_key().unwrap());
    let sig = key.signer().unwrap().sign(b"hello fabric").unwrap();
    cert_key.verify(b"hello fabric", &sig).unwrap();
}

#[test]
fn bad_keys_and_signatures_give_errors() {
    assert!(PrivateKey::from_pem("not pem").is_err());
    assert!(
        PrivateKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .is_err()
    );
    assert!(PrivateKey::from_pkcs8_der(&[0x30, 0x00]).is_err());
    assert!(PublicKey::from_spki_der(b"junk").is_err());
    assert!(PublicKey::from_raw(KeyAlgorithm::Ed25519, &[1, 2, 3]).is_err());
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    assert!(key.signer().unwrap().sign_digest(b"too short").is_err());
    let public = key.public_key().unwrap();
    assert!(public.verify(b"m", b"").is_err());
    assert!(public.verify(b"m", &[0x30, 0x02, 0x02, 0x00]).is_err());
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = EcdsaSignature::from_der(&bytes);
        let _ = PrivateKey::from_pkcs8_der(&bytes);
        let _ = PrivateKey::from_sec1_der(&bytes);
        let _ = PublicKey::from_spki_der(&bytes);
        let _ = PublicKey::from_raw(KeyAlgorithm::EcdsaP256, &bytes);
        let _ = PrivateKey::from_pem(&String::from_utf8_lossy(&bytes));
        let key = PublicKey::from_raw(KeyAlgorithm::EcdsaP256, &hex::decode(
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5").unwrap()).unwrap();
        for b in Backend::available() {
            let _ = key.verifier_with(*b).unwrap().verify(b"m", &bytes);
        }
    }
}
