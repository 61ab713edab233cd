//! A [`Signer`] whose private key stays in a PKCS#11 token (an HSM, a smart card, SoftHSM).
//!
//! The token signs with `CKM_ECDSA` over the SHA-256 digest the gateway hands to
//! [`Signer::sign_digest`] (Fabric's hash whatever the curve); the token's raw `r || s` is
//! converted to DER and normalised to low-S, which Fabric requires.
//!
//! PKCS#11 calls block. [`Signer`] is synchronous (like the Go client's `identity.Sign`), and
//! a local software token answers quickly, but a network HSM can take milliseconds: when called
//! on a multi-threaded tokio runtime, [`Pkcs11Signer`] signs inside
//! `tokio::task::block_in_place` so the runtime moves its other tasks to another worker while
//! the token works. Opening the signer (load, log in, find the key) blocks too: call
//! [`Pkcs11Signer::open`] before starting the runtime or inside `spawn_blocking`, or use
//! `Pkcs11Signer::open_async` (with the `gateway` feature).

use super::{EcdsaSignature, KeyAlgorithm, PublicKey, Signer};
use crate::identity::{Certificate, Identity, SigningIdentity};
use crate::{Error, Result};
use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// DER of the named-curve OIDs in `CKA_EC_PARAMS`.
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// Which token to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSelector {
    /// The token with this label (`softhsm2-util --init-token --label …`).
    Label(String),
    /// The token in this slot.
    Slot(u64),
}

/// Which key of the token signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySelector {
    /// `CKA_LABEL`.
    Label(String),
    /// `CKA_ID` (bytes; tools often show it in hex).
    Id(Vec<u8>),
}

/// Where the key is: the module, the token, the user PIN and the key.
#[derive(Clone)]
pub struct Pkcs11Config {
    /// The PKCS#11 module (shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    pub token: TokenSelector,
    /// The user PIN.
    pub pin: String,
    pub key: KeySelector,
}

impl fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token", &self.token)
            .field("pin", &"<hidden>")
            .field("key", &self.key)
            .finish()
    }
}

/// Signs with an EC private key held in a PKCS#11 token. See the module documentation.
pub struct Pkcs11Signer {
    session: Mutex<Session>,
    key: ObjectHandle,
    algorithm: KeyAlgorithm,
    public_key: PublicKey,
    certificate: Option<Certificate>,
    description: String,
}

impl fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("key", &self.description)
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

fn ck(what: &str, config: &Pkcs11Config) -> impl Fn(CkError) -> Error {
    let context = format!("PKCS#11 module {}: {what}", config.module.display());
    move |e| Error::Key(format!("{context}: {e}"))
}

/// One initialised context per module for the whole process: `C_Initialize` may be called once,
/// and dropping a context calls `C_Finalize`, which would close every other signer's sessions.
fn context_for(config: &Pkcs11Config) -> Result<Pkcs11> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut contexts = CONTEXTS
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| Error::Key("PKCS#11 context table poisoned by a panic".into()))?;
    if let Some(context) = contexts.get(&config.module) {
        return Ok(context.clone());
    }
    let context = Pkcs11::new(&config.module).map_err(|e| {
        Error::Key(format!(
            "cannot load the PKCS#11 module {}: {e} (check the path and that the library is installed)",
            config.module.display()
        ))
    })?;
    match context.initialize(CInitializeArgs::OsThreads) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(ck("C_Initialize", config)(e)),
    }
    contexts.insert(config.module.clone(), context.clone());
    Ok(context)
}

fn find_slot(context: &Pkcs11, config: &Pkcs11Config) -> Result<Slot> {
    let slots = context
        .get_slots_with_token()
        .map_err(ck("listing slots", config))?;
    let mut labels = Vec::new();
    for slot in slots {
        match &config.token {
            TokenSelector::Slot(id) if slot.id() == *id => return Ok(slot),
            TokenSelector::Slot(_) => labels.push(format!("slot {}", slot.id())),
            TokenSelector::Label(label) => {
                let info = context
                    .get_token_info(slot)
                    .map_err(ck("reading token info", config))?;
                if info.label().trim_end() == label {
                    return Ok(slot);
                }
                labels.push(format!("{:?}", info.label().trim_end()));
            }
        }
    }
    Err(Error::Key(format!(
        "PKCS#11 module {}: no token {:?} (tokens present: {}); initialise it or fix the token label/slot",
        config.module.display(),
        config.token,
        if labels.is_empty() {
            "none".to_string()
        } else {
            labels.join(", ")
        }
    )))
}

fn key_attribute(key: &KeySelector) -> Attribute {
    match key {
        KeySelector::Label(label) => Attribute::Label(label.as_bytes().to_vec()),
        KeySelector::Id(id) => Attribute::Id(id.clone()),
    }
}

fn find_one(
    session: &Session,
    class: ObjectClass,
    selector: &Attribute,
    config: &Pkcs11Config,
) -> Result<Option<ObjectHandle>> {
    let found = session
        .find_objects(&[Attribute::Class(class), selector.clone()])
        .map_err(ck("finding objects", config))?;
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        more => Err(Error::Key(format!(
            "PKCS#11 token {:?}: {} objects of class {class} match {:?}; select the key by a unique label or id",
            config.token,
            more.len(),
            config.key
        ))),
    }
}

fn attribute(
    session: &Session,
    object: ObjectHandle,
    which: AttributeType,
    config: &Pkcs11Config,
) -> Result<Option<Attribute>> {
    let mut attrs = session
        .get_attributes(object, &[which])
        .map_err(ck("reading attributes", config))?;
    Ok(attrs.pop())
}

/// `CKA_EC_POINT` is a DER OCTET STRING around the SEC1 point (PKCS#11 v2.40); some tokens
/// return the bare point.
fn ec_point(raw: &[u8], size: usize) -> Option<&[u8]> {
    let point_len = 1 + 2 * size;
    if raw.len() == point_len && raw[0] == 0x04 {
        return Some(raw);
    }
    match raw {
        [0x04, len, rest @ ..] if usize::from(*len) == rest.len() && rest.len() < 0x80 => {
            Some(rest)
        }
        [0x04, 0x81, len, rest @ ..] if usize::from(*len) == rest.len() => Some(rest),
        _ => None,
    }
}

fn field_size(algorithm: KeyAlgorithm) -> Result<usize> {
    match algorithm {
        KeyAlgorithm::EcdsaP256 => Ok(32),
        KeyAlgorithm::EcdsaP384 => Ok(48),
        KeyAlgorithm::Ed25519 => Err(Error::Key(
            "the PKCS#11 signer supports ECDSA P-256 and P-384 keys".into(),
        )),
    }
}

/// Converts a PKCS#11 ECDSA signature (`r || s`, each the curve's size) to low-S DER.
pub fn raw_ecdsa_to_der(algorithm: KeyAlgorithm, raw: &[u8]) -> Result<Vec<u8>> {
    let size = field_size(algorithm)?;
    if raw.len() != 2 * size {
        return Err(Error::Sign(format!(
            "the token returned a {}-byte ECDSA signature, expected {} (r || s)",
            raw.len(),
            2 * size
        )));
    }
    let strip = |b: &[u8]| {
        let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        b[start..].to_vec()
    };
    let (r, s) = raw.split_at(size);
    let mut signature = EcdsaSignature {
        r: strip(r),
        s: strip(s),
    };
    if signature.r.is_empty() || signature.s.is_empty() {
        return Err(Error::Sign("the token returned a zero r or s".into()));
    }
    signature.normalize(algorithm)?;
    Ok(signature.to_der())
}

impl Pkcs11Signer {
    /// Loads the module, opens a session on the token, logs in with the PIN and finds the EC
    /// private key and its public key (a public-key object with the same label/id, or else a
    /// certificate object). Blocks: see the module documentation.
    pub fn open(config: &Pkcs11Config) -> Result<Self> {
        let context = context_for(config)?;
        let slot = find_slot(&context, config)?;
        let session = context
            .open_ro_session(slot)
            .map_err(ck("opening a session", config))?;
        let pin = AuthPin::new(config.pin.clone());
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                return Err(Error::Key(format!(
                    "PKCS#11 token {:?}: wrong PIN (the token may lock after a few more tries)",
                    config.token
                )));
            }
            Err(e) => return Err(ck("logging in", config)(e)),
        }
        let selector = key_attribute(&config.key);
        let key =
            find_one(&session, ObjectClass::PRIVATE_KEY, &selector, config)?.ok_or_else(|| {
                Error::Key(format!(
                    "PKCS#11 token {:?}: no private key with {:?}",
                    config.token, config.key
                ))
            })?;
        let algorithm = match attribute(&session, key, AttributeType::EcParams, config)? {
            Some(Attribute::EcParams(p)) if p == P256_PARAMS => KeyAlgorithm::EcdsaP256,
            Some(Attribute::EcParams(p)) if p == P384_PARAMS => KeyAlgorithm::EcdsaP384,
            _ => {
                return Err(Error::Key(format!(
                    "PKCS#11 key {:?}: not an EC key on P-256 or P-384 (Fabric signs with ECDSA)",
                    config.key
                )));
            }
        };
        // Prefer the key's own CKA_ID to find its public half and certificate.
        let id_selector = match attribute(&session, key, AttributeType::Id, config)? {
            Some(Attribute::Id(id)) if !id.is_empty() => Attribute::Id(id),
            _ => selector.clone(),
        };
        let certificate = match find_one(&session, ObjectClass::CERTIFICATE, &id_selector, config)?
        {
            Some(cert) => match attribute(&session, cert, AttributeType::Value, config)? {
                Some(Attribute::Value(der)) => Some(Certificate::from_der(&der)?),
                _ => None,
            },
            None => None,
        };
        let public_key = match find_one(&session, ObjectClass::PUBLIC_KEY, &id_selector, config)? {
            Some(public) => match attribute(&session, public, AttributeType::EcPoint, config)? {
                Some(Attribute::EcPoint(raw)) => {
                    let point = ec_point(&raw, field_size(algorithm)?).ok_or_else(|| {
                        Error::Key(format!(
                            "PKCS#11 key {:?}: unreadable CKA_EC_POINT",
                            config.key
                        ))
                    })?;
                    PublicKey::from_raw(algorithm, point)?
                }
                _ => {
                    return Err(Error::Key(format!(
                        "PKCS#11 key {:?}: the public key has no CKA_EC_POINT",
                        config.key
                    )));
                }
            },
            None => match &certificate {
                Some(cert) => cert.public_key()?,
                None => {
                    return Err(Error::Key(format!(
                        "PKCS#11 token {:?}: neither a public key nor a certificate with the id of key {:?}; import one (the identity must be matched to the key)",
                        config.token, config.key
                    )));
                }
            },
        };
        if public_key.algorithm() != algorithm {
            return Err(Error::Key(format!(
                "PKCS#11 key {:?}: its public key is {}, the private key {algorithm}",
                config.key,
                public_key.algorithm()
            )));
        }
        Ok(Pkcs11Signer {
            session: Mutex::new(session),
            key,
            algorithm,
            public_key,
            certificate,
            description: format!("{:?} in token {:?}", config.key, config.token),
        })
    }

    /// [`Pkcs11Signer::open`] on tokio's blocking pool.
    #[cfg(feature = "gateway")]
    pub async fn open_async(config: Pkcs11Config) -> Result<Self> {
        tokio::task::spawn_blocking(move || Self::open(&config))
            .await
            .map_err(|e| Error::Key(format!("opening the PKCS#11 signer: {e}")))?
    }

    /// The key's public key (to match it with a certificate).
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The certificate stored on the token with the key's id, if any.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    /// Pairs this key with an identity after checking that the identity's certificate holds this
    /// key's public key.
    pub fn signing_identity(self, identity: Identity) -> Result<SigningIdentity> {
        let cert_key = identity.certificate().public_key()?;
        if cert_key != self.public_key {
            return Err(Error::Key(format!(
                "the PKCS#11 key {} does not match the certificate {}",
                self.description,
                identity.certificate().subject()
            )));
        }
        Ok(SigningIdentity::with_signer(identity, Arc::new(self)))
    }

    fn sign_blocking(&self, digest: &[u8]) -> Result<Vec<u8>> {
        let session = self
            .session
            .lock()
            .map_err(|_| Error::Sign("PKCS#11 session poisoned by a panic".into()))?;
        let raw = session
            .sign(&Mechanism::Ecdsa, self.key, digest)
            .map_err(|e| Error::Sign(format!("PKCS#11 C_Sign with {}: {e}", self.description)))?;
        drop(session);
        raw_ecdsa_to_der(self.algorithm, &raw)
    }
}

impl Signer for Pkcs11Signer {
    fn key_algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        #[cfg(feature = "gateway")]
        if let Ok(handle) = tokio::runtime::Handle::try_current()
            && handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        {
            return tokio::task::block_in_place(|| self.sign_blocking(digest));
        }
        self.sign_blocking(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_signature_becomes_low_s_der() {
        // n of P-256; s = n - 1 is high, so it must come out as 1.
        let n = hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
            .unwrap();
        let mut high = n.clone();
        *high.last_mut().unwrap() -= 1;
        let mut raw = vec![0u8; 31];
        raw.push(7);
        raw.extend_from_slice(&high);
        let der = raw_ecdsa_to_der(KeyAlgorithm::EcdsaP256, &raw).unwrap();
        assert_eq!(der, vec![0x30, 0x06, 0x02, 0x01, 0x07, 0x02, 0x01, 0x01]);
        assert!(super::super::is_low_s(KeyAlgorithm::EcdsaP256, &der).unwrap());
    }

    #[test]
    fn raw_signature_of_wrong_length_is_refused() {
        let err = raw_ecdsa_to_der(KeyAlgorithm::EcdsaP256, &[1u8; 63]).unwrap_err();
        assert!(err.to_string().contains("63-byte"), "{err}");
    }

    #[test]
    fn ec_point_accepts_der_and_bare_points() {
        let mut point = vec![0x04];
        point.extend_from_slice(&[9u8; 64]);
        let mut der = vec![0x04, 65];
        der.extend_from_slice(&point);
        assert_eq!(ec_point(&der, 32), Some(&point[..]));
        assert_eq!(ec_point(&point, 32), Some(&point[..]));
        assert_eq!(ec_point(&[0x04, 3, 1], 32), None);
    }
}
