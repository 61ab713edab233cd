//! Validated identities by their serialized bytes: what Fabric's MSP cache (`msp/cache`) does
//! for every peer and orderer.
//!
//! Validating an identity means parsing its PEM certificate, building its chain to one of the
//! MSP's CAs and verifying each certificate's signature, revocation and NodeOU checks. With
//! [`Validity::IgnoringExpiry`](super::channel::Validity) — Fabric's MSP validates at the
//! certificate's `NotBefore` + 1 s, so expiry is checked elsewhere — the outcome depends only on
//! the serialized bytes and the MSP configuration, which is static on the devnet. So, as
//! Fabric's `cachedMSP` keeps `DeserializeIdentity` and `Validate` results, the devnet keeps the
//! successful validations (and the parsed public key) by serialized identity. **Signatures are
//! still verified every time**: the cache only spares re-validating a certificate already found
//! valid.
//!
//! Failed validations are not kept (neither does Fabric), and the cache is bounded: when it holds
//! [`CAPACITY`] identities it starts over.

use fabric_sdk::crypto::Verifier;
use fabric_sdk::identity::ValidatedIdentity;
use fabric_sdk::policy::VerifiedSigner;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Identities kept at most (Fabric keeps 100 per MSP and cache kind in an LRU).
pub const CAPACITY: usize = 4096;

/// An identity found valid for its MSP, ready to verify its signatures.
#[derive(Debug)]
pub struct KnownIdentity {
    validated: ValidatedIdentity,
    signer: VerifiedSigner,
    verifier: Arc<dyn Verifier>,
}

impl KnownIdentity {
    /// Keeps a validated identity with the verifier of its public key.
    pub fn new(validated: ValidatedIdentity) -> Result<Self, String> {
        let verifier = validated
            .identity()
            .certificate()
            .public_key()
            .and_then(|k| k.verifier())
            .map_err(|e| e.to_string())?;
        Ok(KnownIdentity {
            signer: validated.to_verified_signer(),
            validated,
            verifier,
        })
    }

    /// The validation result.
    pub fn validated(&self) -> &ValidatedIdentity {
        &self.validated
    }

    /// What policy evaluation needs about this identity as a signer.
    pub fn signer(&self) -> &VerifiedSigner {
        &self.signer
    }

    /// The MSP ID.
    pub fn msp_id(&self) -> &str {
        &self.signer.msp_id
    }

    /// When the certificate expires (unix seconds).
    pub fn not_after(&self) -> i64 {
        self.validated.identity().certificate().not_after()
    }

    /// Verifies `signature` over `data` under Fabric's rules (low-S ECDSA over SHA-256, raw
    /// Ed25519).
    pub fn verify(&self, data: &[u8], signature: &[u8]) -> Result<(), String> {
        self.verifier
            .verify(data, signature)
            .map_err(|e| e.to_string())
    }
}

/// Validated identities by serialized bytes (shared by every peer of the devnet: they all have
/// the same channel configuration).
#[derive(Default)]
pub struct IdentityCache {
    entries: Mutex<HashMap<Vec<u8>, Arc<KnownIdentity>>>,
}

impl std::fmt::Debug for IdentityCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityCache")
            .field("len", &self.len())
            .finish()
    }
}

impl IdentityCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Arc<KnownIdentity>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The identity of `serialized`: from the cache, else validated by `validate` (outside the
    /// lock) and kept when valid.
    pub fn get_or_validate(
        &self,
        serialized: &[u8],
        validate: impl FnOnce() -> Result<ValidatedIdentity, String>,
    ) -> Result<Arc<KnownIdentity>, String> {
        if let Some(k) = self.lock().get(serialized) {
            return Ok(k.clone());
        }
        let known = Arc::new(KnownIdentity::new(validate()?)?);
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(serialized.to_vec(), known.clone());
        Ok(known)
    }

    /// Number of identities kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
