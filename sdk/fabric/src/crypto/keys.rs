//! Private and public keys: PKCS#8 / SEC1 PEM and DER in, PKCS#8 PEM out, generation, and the
//! signers and verifiers of each back end.

use super::{Backend, KeyAlgorithm, Signer, Verifier};
use crate::{Error, Result};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use std::fmt;
use std::sync::Arc;

/// A private key: ECDSA P-256, ECDSA P-384 or Ed25519, held as its PKCS#8 DER document.
#[derive(Clone)]
pub struct PrivateKey {
    algorithm: KeyAlgorithm,
    pkcs8: Vec<u8>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Reads a PEM private key: `PRIVATE KEY` (PKCS#8, as cryptogen and fabric-ca-client write)
    /// or `EC PRIVATE KEY` (SEC1).
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        let block =
            pem::parse(pem_text).map_err(|e| Error::Key(format!("not a PEM private key: {e}")))?;
        match block.tag() {
            "PRIVATE KEY" => Self::from_pkcs8_der(block.contents()),
            "EC PRIVATE KEY" => Self::from_sec1_der(block.contents()),
            other => Err(Error::Key(format!(
                "PEM block is `{other}`, expected `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1)"
            ))),
        }
    }

    /// Reads a PKCS#8 DER private key of any supported algorithm.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
            return Self::from_p256(&k);
        }
        if let Ok(k) = p384::SecretKey::from_pkcs8_der(der) {
            return Self::from_p384(&k);
        }
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Self::from_ed25519(&k);
        }
        Err(Error::Key(
            "PKCS#8 key is not ECDSA P-256, ECDSA P-384 or Ed25519 (or is corrupt)".into(),
        ))
    }

    /// Reads a SEC1 (`EC PRIVATE KEY`) DER private key.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self> {
        if let Ok(k) = p256::SecretKey::from_sec1_der(der) {
            return Self::from_p256(&k);
        }
        if let Ok(k) = p384::SecretKey::from_sec1_der(der) {
            return Self::from_p384(&k);
        }
        Err(Error::Key(
            "SEC1 key is not ECDSA P-256 or P-384 (or is corrupt)".into(),
        ))
    }

    /// A new random key.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self> {
        let mut rng = rand_core::OsRng;
        match algorithm {
            KeyAlgorithm::EcdsaP256 => Self::from_p256(&p256::SecretKey::random(&mut rng)),
            KeyAlgorithm::EcdsaP384 => Self::from_p384(&p384::SecretKey::random(&mut rng)),
            KeyAlgorithm::Ed25519 => {
                let seed = super::random_bytes::<32>()?;
                Self::from_ed25519(&ed25519_dalek::SigningKey::from_bytes(&seed))
            }
        }
    }

    fn from_p256(k: &p256::SecretKey) -> Result<Self> {
        let doc = k
            .to_pkcs8_der()
            .map_err(|e| Error::Key(format!("P-256 key encoding: {e}")))?;
        Ok(PrivateKey {
            algorithm: KeyAlgorithm::EcdsaP256,
            pkcs8: doc.as_bytes().to_vec(),
        })
    }

    fn from_p384(k: &p384::SecretKey) -> Result<Self> {
        let doc = k
            .to_pkcs8_der()
            .map_err(|e| Error::Key(format!("P-384 key encoding: {e}")))?;
        Ok(PrivateKey {
            algorithm: KeyAlgorithm::EcdsaP384,
            pkcs8: doc.as_bytes().to_vec(),
        })
    }

    fn from_ed25519(k: &ed25519_dalek::SigningKey) -> Result<Self> {
        let doc = k
            .to_pkcs8_der()
            .map_err(|e| Error::Key(format!("Ed25519 key encoding: {e}")))?;
        Ok(PrivateKey {
            algorithm: KeyAlgorithm::Ed25519,
            pkcs8: doc.as_bytes().to_vec(),
        })
    }

    /// The kind of key.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The PKCS#8 DER document.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form cryptogen writes to `priv_sk`.
    pub fn to_pkcs8_pem(&self) -> String {
        super::pem_encode("PRIVATE KEY", &self.pkcs8)
    }

    /// The matching public key.
    pub fn public_key(&self) -> Result<PublicKey> {
        let bytes = match self.algorithm {
            KeyAlgorithm::EcdsaP256 => p256_secret(&self.pkcs8)?
                .public_key()
                .to_sec1_bytes()
                .to_vec(),
            KeyAlgorithm::EcdsaP384 => p384_secret(&self.pkcs8)?
                .public_key()
                .to_sec1_bytes()
                .to_vec(),
            KeyAlgorithm::Ed25519 => ed25519_secret(&self.pkcs8)?
                .verifying_key()
                .to_bytes()
                .to_vec(),
        };
        Ok(PublicKey {
            algorithm: self.algorithm,
            bytes,
        })
    }

    /// A signer with the default back end.
    pub fn signer(&self) -> Result<Arc<dyn Signer>> {
        self.signer_with(Backend::default())
    }

    /// A signer with the given back end.
    pub fn signer_with(&self, backend: Backend) -> Result<Arc<dyn Signer>> {
        match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => super::aws::signer(self),
            #[cfg(not(feature = "aws-lc"))]
            Backend::AwsLc => Err(Error::Key(
                "this build has no aws-lc back end (feature `aws-lc` is off)".into(),
            )),
            Backend::RustCrypto => super::pure::signer(self),
        }
    }
}

pub(super) fn p256_secret(pkcs8: &[u8]) -> Result<p256::SecretKey> {
    p256::SecretKey::from_pkcs8_der(pkcs8).map_err(|e| Error::Key(format!("P-256 key: {e}")))
}

pub(super) fn p384_secret(pkcs8: &[u8]) -> Result<p384::SecretKey> {
    p384::SecretKey::from_pkcs8_der(pkcs8).map_err(|e| Error::Key(format!("P-384 key: {e}")))
}

pub(super) fn ed25519_secret(pkcs8: &[u8]) -> Result<ed25519_dalek::SigningKey> {
    ed25519_dalek::SigningKey::from_pkcs8_der(pkcs8)
        .map_err(|e| Error::Key(format!("Ed25519 key: {e}")))
}

/// A public key: the SEC1 uncompressed point (ECDSA) or the 32 raw bytes (Ed25519).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    bytes: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey({}, {})",
            self.algorithm,
            hex::encode(&self.bytes)
        )
    }
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo (as found in an X.509 certificate).
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        if let Ok(k) = p256::PublicKey::from_public_key_der(der) {
            return Ok(PublicKey {
                algorithm: KeyAlgorithm::EcdsaP256,
                bytes: k.to_sec1_bytes().to_vec(),
            });
        }
        if let Ok(k) = p384::PublicKey::from_public_key_der(der) {
            return Ok(PublicKey {
                algorithm: KeyAlgorithm::EcdsaP384,
                bytes: k.to_sec1_bytes().to_vec(),
            });
        }
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey {
                algorithm: KeyAlgorithm::Ed25519,
                bytes: k.to_bytes().to_vec(),
            });
        }
        Err(Error::Key(
            "public key is not ECDSA P-256, ECDSA P-384 or Ed25519 (or is corrupt)".into(),
        ))
    }

    /// From raw bytes: a SEC1 point for ECDSA, 32 bytes for Ed25519. Checks the point is valid.
    pub fn from_raw(algorithm: KeyAlgorithm, bytes: &[u8]) -> Result<Self> {
        let bytes = match algorithm {
            KeyAlgorithm::EcdsaP256 => p256::PublicKey::from_sec1_bytes(bytes)
                .map_err(|_| Error::Key("not a P-256 point".into()))?
                .to_sec1_bytes()
                .to_vec(),
            KeyAlgorithm::EcdsaP384 => p384::PublicKey::from_sec1_bytes(bytes)
                .map_err(|_| Error::Key("not a P-384 point".into()))?
                .to_sec1_bytes()
                .to_vec(),
            KeyAlgorithm::Ed25519 => {
                let arr: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| Error::Key("an Ed25519 public key has 32 bytes".into()))?;
                ed25519_dalek::VerifyingKey::from_bytes(&arr)
                    .map_err(|_| Error::Key("not an Ed25519 public key".into()))?;
                arr.to_vec()
            }
        };
        Ok(PublicKey { algorithm, bytes })
    }

    /// The kind of key.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The SEC1 uncompressed point (ECDSA) or the 32 raw bytes (Ed25519).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Fabric's subject key identifier: SHA-256 of the raw public key bytes (for ECDSA, the
    /// uncompressed point `04 || X || Y`). fabric-ca-client names key files `<hex SKI>_sk`.
    pub fn ski(&self) -> [u8; 32] {
        super::sha256(&self.bytes)
    }

    /// A verifier with the default back end.
    pub fn verifier(&self) -> Result<Arc<dyn Verifier>> {
        self.verifier_with(Backend::default())
    }

    /// A verifier with the given back end.
    pub fn verifier_with(&self, backend: Backend) -> Result<Arc<dyn Verifier>> {
        match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => super::aws::verifier(self),
            #[cfg(not(feature = "aws-lc"))]
            Backend::AwsLc => Err(Error::Key(
                "this build has no aws-lc back end (feature `aws-lc` is off)".into(),
            )),
            Backend::RustCrypto => super::pure::verifier(self),
        }
    }

    /// Verifies once with the default back end (see [`Verifier::verify`] for the rules).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        self.verifier()?.verify(message, signature)
    }
}
