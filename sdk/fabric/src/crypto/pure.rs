//! The pure-Rust back end: RustCrypto p256, p384 and ed25519-dalek.

use super::keys::{ed25519_secret, p256_secret, p384_secret};
use super::{KeyAlgorithm, PrivateKey, PublicKey, Signer, Verifier, der};
use crate::{Error, Result};
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use std::sync::Arc;

enum SignKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

pub(super) struct PureSigner(SignKey);

impl std::fmt::Debug for PureSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PureSigner({})", self.key_algorithm())
    }
}

pub(super) fn signer(key: &PrivateKey) -> Result<Arc<dyn Signer>> {
    Ok(Arc::new(PureSigner(match key.algorithm() {
        KeyAlgorithm::EcdsaP256 => SignKey::P256(p256_secret(key.pkcs8_der())?.into()),
        KeyAlgorithm::EcdsaP384 => SignKey::P384(p384_secret(key.pkcs8_der())?.into()),
        KeyAlgorithm::Ed25519 => SignKey::Ed25519(ed25519_secret(key.pkcs8_der())?),
    })))
}

fn check_digest(digest: &[u8]) -> Result<()> {
    if digest.len() != 32 {
        return Err(Error::Sign(format!(
            "an ECDSA signer takes a 32-byte SHA-256 digest, got {} bytes",
            digest.len()
        )));
    }
    Ok(())
}

impl Signer for PureSigner {
    fn key_algorithm(&self) -> KeyAlgorithm {
        match self.0 {
            SignKey::P256(_) => KeyAlgorithm::EcdsaP256,
            SignKey::P384(_) => KeyAlgorithm::EcdsaP384,
            SignKey::Ed25519(_) => KeyAlgorithm::Ed25519,
        }
    }

    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        match &self.0 {
            SignKey::P256(k) => {
                check_digest(digest)?;
                let sig: p256::ecdsa::Signature = k
                    .sign_prehash(digest)
                    .map_err(|e| Error::Sign(e.to_string()))?;
                let sig = sig.normalize_s().unwrap_or(sig);
                Ok(sig.to_der().as_bytes().to_vec())
            }
            SignKey::P384(k) => {
                check_digest(digest)?;
                let sig: p384::ecdsa::Signature = k
                    .sign_prehash(digest)
                    .map_err(|e| Error::Sign(e.to_string()))?;
                let sig = sig.normalize_s().unwrap_or(sig);
                Ok(sig.to_der().as_bytes().to_vec())
            }
            SignKey::Ed25519(k) => {
                use ed25519_dalek::Signer as _;
                Ok(k.sign(digest).to_bytes().to_vec())
            }
        }
    }
}

enum VerifyKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

pub(super) struct PureVerifier(VerifyKey);

impl std::fmt::Debug for PureVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PureVerifier({})", self.key_algorithm())
    }
}

pub(super) fn verifier(key: &PublicKey) -> Result<Arc<dyn Verifier>> {
    let bad = |_| Error::Key(format!("not a valid {} public key", key.algorithm()));
    Ok(Arc::new(PureVerifier(match key.algorithm() {
        KeyAlgorithm::EcdsaP256 => VerifyKey::P256(
            p256::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes()).map_err(bad)?,
        ),
        KeyAlgorithm::EcdsaP384 => VerifyKey::P384(
            p384::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes()).map_err(bad)?,
        ),
        KeyAlgorithm::Ed25519 => {
            let arr: [u8; 32] = key
                .as_bytes()
                .try_into()
                .map_err(|_| Error::Key("an Ed25519 public key has 32 bytes".into()))?;
            VerifyKey::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(&arr)
                    .map_err(|_| Error::Key("not a valid Ed25519 public key".into()))?,
            )
        }
    })))
}

impl Verifier for PureVerifier {
    fn key_algorithm(&self) -> KeyAlgorithm {
        match self.0 {
            VerifyKey::P256(_) => KeyAlgorithm::EcdsaP256,
            VerifyKey::P384(_) => KeyAlgorithm::EcdsaP384,
            VerifyKey::Ed25519(_) => KeyAlgorithm::Ed25519,
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let failed =
            || Error::InvalidSignature("signature does not match the message and key".into());
        match &self.0 {
            VerifyKey::P256(k) => {
                der::require_fabric_ecdsa(KeyAlgorithm::EcdsaP256, signature)?;
                let digest = super::sha256(message);
                let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| failed())?;
                k.verify_prehash(&digest, &sig).map_err(|_| failed())
            }
            VerifyKey::P384(k) => {
                der::require_fabric_ecdsa(KeyAlgorithm::EcdsaP384, signature)?;
                let digest = super::sha256(message);
                let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| failed())?;
                k.verify_prehash(&digest, &sig).map_err(|_| failed())
            }
            VerifyKey::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| {
                    Error::InvalidSignature(format!(
                        "an Ed25519 signature has 64 bytes, got {}",
                        signature.len()
                    ))
                })?;
                k.verify_strict(message, &sig).map_err(|_| failed())
            }
        }
    }
}
