//! The aws-lc-rs back end (the default hot path).

use super::{KeyAlgorithm, PrivateKey, PublicKey, Signer, Verifier, der};
use crate::{Error, Result};
use aws_lc_rs::signature::{self as sig, ParsedPublicKey};
use std::sync::Arc;

enum Key {
    P256(sig::EcdsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
}

pub(super) struct AwsSigner(Key);

impl std::fmt::Debug for AwsSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AwsSigner({})", self.key_algorithm())
    }
}

pub(super) fn signer(key: &PrivateKey) -> Result<Arc<dyn Signer>> {
    let rejected =
        |e: aws_lc_rs::error::KeyRejected| Error::Key(format!("aws-lc rejected the key: {e}"));
    match key.algorithm() {
        KeyAlgorithm::EcdsaP256 => Ok(Arc::new(AwsSigner(Key::P256(
            sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, key.pkcs8_der())
                .map_err(rejected)?,
        )))),
        // aws-lc signs P-384 only over SHA-384 digests; Fabric wants SHA-256 for every curve.
        KeyAlgorithm::EcdsaP384 => super::pure::signer(key),
        KeyAlgorithm::Ed25519 => {
            let seed = super::keys::ed25519_secret(key.pkcs8_der())?.to_bytes();
            Ok(Arc::new(AwsSigner(Key::Ed25519(
                sig::Ed25519KeyPair::from_seed_unchecked(&seed).map_err(rejected)?,
            ))))
        }
    }
}

impl Signer for AwsSigner {
    fn key_algorithm(&self) -> KeyAlgorithm {
        match self.0 {
            Key::P256(_) => KeyAlgorithm::EcdsaP256,
            Key::Ed25519(_) => KeyAlgorithm::Ed25519,
        }
    }

    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        match &self.0 {
            Key::P256(k) => {
                let d =
                    aws_lc_rs::digest::Digest::import_less_safe(digest, &aws_lc_rs::digest::SHA256)
                        .map_err(|_| {
                            Error::Sign(format!(
                                "an ECDSA signer takes a 32-byte SHA-256 digest, got {} bytes",
                                digest.len()
                            ))
                        })?;
                let s = k
                    .sign_digest(&d)
                    .map_err(|_| Error::Sign("aws-lc ECDSA signing failed".into()))?;
                der::normalize_low_s(KeyAlgorithm::EcdsaP256, s.as_ref().to_vec())
            }
            Key::Ed25519(k) => Ok(k.sign(digest).as_ref().to_vec()),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        match &self.0 {
            Key::P256(k) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let s = k
                    .sign(&rng, message)
                    .map_err(|_| Error::Sign("aws-lc ECDSA signing failed".into()))?;
                der::normalize_low_s(KeyAlgorithm::EcdsaP256, s.as_ref().to_vec())
            }
            Key::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }
}

pub(super) struct AwsVerifier {
    algorithm: KeyAlgorithm,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for AwsVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AwsVerifier({})", self.algorithm)
    }
}

pub(super) fn verifier(key: &PublicKey) -> Result<Arc<dyn Verifier>> {
    let alg: &'static dyn sig::VerificationAlgorithm = match key.algorithm() {
        KeyAlgorithm::EcdsaP256 => &sig::ECDSA_P256_SHA256_ASN1,
        KeyAlgorithm::EcdsaP384 => &sig::ECDSA_P384_SHA256_ASN1,
        KeyAlgorithm::Ed25519 => &sig::ED25519,
    };
    let parsed = ParsedPublicKey::new(alg, key.as_bytes()).map_err(|e| {
        Error::Key(format!(
            "aws-lc rejected the {} public key: {e}",
            key.algorithm()
        ))
    })?;
    Ok(Arc::new(AwsVerifier {
        algorithm: key.algorithm(),
        key: parsed,
    }))
}

impl Verifier for AwsVerifier {
    fn key_algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        if self.algorithm != KeyAlgorithm::Ed25519 {
            der::require_fabric_ecdsa(self.algorithm, signature)?;
        }
        self.key.verify_sig(message, signature).map_err(|_| {
            Error::InvalidSignature("signature does not match the message and key".into())
        })
    }
}
