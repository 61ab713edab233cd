//! Keys, signing and verification with Fabric's rules.
//!
//! - ECDSA (P-256, P-384) always signs the **SHA-256** digest of the message (Fabric's SHA2 hash
//!   family, whatever the curve), produces DER `SEQUENCE { r, s }` and always **low-S**
//!   (`s <= n/2`); verification rejects high-S signatures like a Fabric peer does.
//! - Ed25519 signs the raw message (its [`HashAlgorithm`] is `None`).
//!
//! Two back ends: [`Backend::AwsLc`] (default feature `aws-lc`, the hot path) and
//! [`Backend::RustCrypto`] (the pure-Rust p256/p384/ed25519-dalek crates, always compiled, the only
//! one with `--no-default-features --features pure-rust`). Both produce signatures the other (and
//! Fabric) accepts.
//!
//! The [`Signer`] trait is public so an HSM, KMS or PKCS#11 signer can plug in: it receives a
//! digest (or, for Ed25519, the message) and returns the signature bytes. The `pkcs11` feature
//! provides one for PKCS#11 tokens: [`pkcs11::Pkcs11Signer`].

#[cfg(feature = "aws-lc")]
mod aws;
mod der;
mod keys;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
mod pure;

pub use der::{EcdsaSignature, is_low_s, normalize_low_s, require_fabric_ecdsa};
pub use keys::{PrivateKey, PublicKey};

use crate::Result;
use std::fmt;
use std::sync::Arc;

/// The kind of key behind an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
}

impl KeyAlgorithm {
    /// The input a signer of this kind expects: a SHA-256 digest (ECDSA) or the message (Ed25519).
    pub fn hash_algorithm(self) -> HashAlgorithm {
        match self {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => HashAlgorithm::Sha256,
            KeyAlgorithm::Ed25519 => HashAlgorithm::None,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
            KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
            KeyAlgorithm::Ed25519 => "Ed25519",
        })
    }
}

/// What is handed to [`Signer::sign_digest`]: the SHA-256 digest of the message, or the message
/// itself (`None`, for Ed25519), as the official Gateway clients do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    None,
}

impl HashAlgorithm {
    /// The bytes a signer of this kind signs for `message`.
    pub fn digest<'a>(self, message: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        match self {
            HashAlgorithm::Sha256 => std::borrow::Cow::Owned(sha256(message).to_vec()),
            HashAlgorithm::None => std::borrow::Cow::Borrowed(message),
        }
    }
}

/// Which implementation signs and verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// aws-lc-rs (C, constant-time, fastest). The default when the `aws-lc` feature is on.
    #[cfg_attr(feature = "aws-lc", default)]
    AwsLc,
    /// The pure-Rust RustCrypto crates. The default without the `aws-lc` feature.
    #[cfg_attr(not(feature = "aws-lc"), default)]
    RustCrypto,
}

impl Backend {
    /// Every back end compiled into this build.
    pub fn available() -> &'static [Backend] {
        #[cfg(feature = "aws-lc")]
        {
            &[Backend::AwsLc, Backend::RustCrypto]
        }
        #[cfg(not(feature = "aws-lc"))]
        {
            &[Backend::RustCrypto]
        }
    }
}

/// Produces signatures for one identity. Implement it to plug in an HSM or a KMS.
pub trait Signer: Send + Sync + fmt::Debug {
    /// The kind of key.
    fn key_algorithm(&self) -> KeyAlgorithm;

    /// What [`Signer::sign_digest`] expects as input.
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.key_algorithm().hash_algorithm()
    }

    /// Signs a digest produced by [`Signer::hash_algorithm`] (for `None`, the message itself).
    /// ECDSA signers must return low-S DER signatures.
    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>>;

    /// Signs a message: hashes it as [`Signer::hash_algorithm`] says, then signs.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let digest = self.hash_algorithm().digest(message);
        self.sign_digest(&digest)
    }
}

impl<S: Signer + ?Sized> Signer for Arc<S> {
    fn key_algorithm(&self) -> KeyAlgorithm {
        (**self).key_algorithm()
    }
    fn hash_algorithm(&self) -> HashAlgorithm {
        (**self).hash_algorithm()
    }
    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        (**self).sign_digest(digest)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        (**self).sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn key_algorithm(&self) -> KeyAlgorithm {
        (**self).key_algorithm()
    }
    fn hash_algorithm(&self) -> HashAlgorithm {
        (**self).hash_algorithm()
    }
    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        (**self).sign_digest(digest)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        (**self).sign(message)
    }
}

/// A public key parsed once for repeated verification (the validator's hot path).
pub trait Verifier: Send + Sync + fmt::Debug {
    /// The kind of key.
    fn key_algorithm(&self) -> KeyAlgorithm;

    /// Verifies `signature` over `message` with Fabric's rules: SHA-256 for ECDSA (any curve),
    /// DER with positive r and s, **low-S required**; raw message for Ed25519.
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()>;
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha256_parts(&[data])
}

/// SHA-256 over the concatenation of `parts`, without building the concatenation.
pub fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    #[cfg(feature = "aws-lc")]
    {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for p in parts {
            ctx.update(p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }
    #[cfg(not(feature = "aws-lc"))]
    {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }
}

/// PEM in the exact form of Go's `pem.Encode` (64-character lines, LF, trailing newline, no
/// headers): the one PEM encoding of MedLedger. Fabric hashes serialized identities (which embed
/// the certificate PEM) into txids, so every writer of certificates and keys uses this.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 32);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Fills a buffer with cryptographically secure random bytes (nonces).
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out)
        .map_err(|e| crate::Error::Key(format!("the system random source failed: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::pem_encode;

    #[test]
    fn pem_encode_has_go_layout() {
        let der: Vec<u8> = (0..100u8).collect();
        let p = pem_encode("CERTIFICATE", &der);
        let lines: Vec<&str> = p.split('\n').collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 64);
        assert_eq!(lines[3].len(), 136 - 128);
        assert_eq!(lines[4], "-----END CERTIFICATE-----");
        assert_eq!(lines[5], "");
        assert!(!p.contains('\r'));
    }
}
