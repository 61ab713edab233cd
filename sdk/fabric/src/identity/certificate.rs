//! X.509 certificates and the facts Fabric reads from them.

use super::NodeRole;
use super::dn;
use crate::crypto::{KeyAlgorithm, PublicKey};
use crate::{Error, Result};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::fmt;
use x509_parser::extensions::ParsedExtension;

/// The OID of the Fabric CA attribute extension.
pub const FABRIC_CA_ATTRS_OID: &str = "1.2.3.4.5.6.7.8.1";

const OID_OU: &str = "2.5.4.11";
const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_ED25519: &str = "1.3.101.112";

/// A parsed X.509 certificate. Keeps its DER encoding and the facts Fabric uses.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    subject: String,
    issuer: String,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
    ous: Vec<String>,
    not_before: i64,
    not_after: i64,
    is_ca: bool,
    ski: Option<Vec<u8>>,
    aki: Option<Vec<u8>>,
    spki: Vec<u8>,
    tbs: Vec<u8>,
    sig_alg: String,
    signature: Vec<u8>,
    serial: Vec<u8>,
    attrs_ext: Option<Vec<u8>>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

impl Certificate {
    /// Parses a DER certificate. Trailing bytes after the certificate are rejected.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let (rest, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| Error::Certificate(format!("not a DER X.509 certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(Error::Certificate(format!(
                "{} unexpected bytes after the certificate",
                rest.len()
            )));
        }
        let tbs = &cert.tbs_certificate;
        let subject_attrs = dn::attrs_of(tbs.subject());
        let ous = subject_attrs
            .iter()
            .filter(|a| a.oid == OID_OU)
            .filter_map(|a| match &a.value {
                dn::AttrValue::Str(s) => Some(s.clone()),
                dn::AttrValue::Other(_) => None,
            })
            .collect();
        let mut ski = None;
        let mut aki = None;
        let mut is_ca = false;
        let mut attrs_ext = None;
        for ext in tbs.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
                _ => {}
            }
            if ext.oid.to_id_string() == FABRIC_CA_ATTRS_OID {
                attrs_ext = Some(ext.value.to_vec());
            }
        }
        Ok(Certificate {
            der: der.to_vec(),
            subject: dn::format_name(&subject_attrs),
            issuer: dn::go_name_string(tbs.issuer()),
            subject_raw: tbs.subject().as_raw().to_vec(),
            issuer_raw: tbs.issuer().as_raw().to_vec(),
            ous,
            not_before: tbs.validity().not_before.timestamp(),
            not_after: tbs.validity().not_after.timestamp(),
            is_ca,
            ski,
            aki,
            spki: tbs.subject_pki.raw.to_vec(),
            tbs: tbs.as_ref().to_vec(),
            sig_alg: cert.signature_algorithm.algorithm.to_id_string(),
            signature: cert.signature_value.data.to_vec(),
            serial: tbs.raw_serial().to_vec(),
            attrs_ext,
        })
    }

    /// Parses the first `CERTIFICATE` block of PEM text.
    pub fn from_pem(pem_bytes: impl AsRef<[u8]>) -> Result<Self> {
        let block = pem::parse(pem_bytes.as_ref())
            .map_err(|e| Error::Certificate(format!("not a PEM certificate: {e}")))?;
        if block.tag() != "CERTIFICATE" {
            return Err(Error::Certificate(format!(
                "PEM block is `{}`, expected `CERTIFICATE`",
                block.tag()
            )));
        }
        Self::from_der(block.contents())
    }

    /// Parses every `CERTIFICATE` block of PEM text (a bundle). Errors if there is none.
    pub fn all_from_pem(pem_bytes: impl AsRef<[u8]>) -> Result<Vec<Self>> {
        let blocks = pem::parse_many(pem_bytes.as_ref())
            .map_err(|e| Error::Certificate(format!("not PEM: {e}")))?;
        let certs = blocks
            .iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .map(|b| Self::from_der(b.contents()))
            .collect::<Result<Vec<_>>>()?;
        if certs.is_empty() {
            return Err(Error::Certificate("no CERTIFICATE PEM block".into()));
        }
        Ok(certs)
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM exactly as Go's `pem.Encode` writes it: 64-character base64 lines, `\n` line
    /// endings, a trailing newline.
    pub fn to_pem(&self) -> String {
        crate::crypto::pem_encode("CERTIFICATE", &self.der)
    }

    /// The subject DN in Go's `pkix.Name.String()` form (see [`super::dn`]).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer DN in Go's `pkix.Name.String()` form.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The DER encoding of the subject name.
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_raw
    }

    /// The DER encoding of the issuer name.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_raw
    }

    /// Every `OU=` value of the subject, in certificate order.
    pub fn ous(&self) -> &[String] {
        &self.ous
    }

    /// Whether the subject has an `OU=` equal to `ou`.
    pub fn has_ou(&self, ou: &str) -> bool {
        self.ous.iter().any(|o| o == ou)
    }

    /// The roles whose OU identifier (given as `(role, OU value)` pairs) appears in the subject.
    pub fn node_roles(&self, identifiers: &[(NodeRole, &str)]) -> Vec<NodeRole> {
        identifiers
            .iter()
            .filter(|(_, ou)| self.has_ou(ou))
            .map(|(r, _)| *r)
            .collect()
    }

    /// The single role whose OU identifier appears in the subject; `None` if none does, an
    /// error if several do.
    pub fn node_role(&self, identifiers: &[(NodeRole, &str)]) -> Result<Option<NodeRole>> {
        match self.node_roles(identifiers).as_slice() {
            [] => Ok(None),
            [r] => Ok(Some(*r)),
            many => Err(Error::Certificate(format!(
                "subject has several NodeOU roles: {}",
                many.iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Start of the validity period, unix seconds.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// End of the validity period, unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// Whether the certificate is valid at `now` (unix seconds), bounds included.
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// Whether basic constraints say this is a CA.
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// The subject key identifier extension, if any.
    pub fn subject_key_identifier(&self) -> Option<&[u8]> {
        self.ski.as_deref()
    }

    /// The key identifier of the authority key identifier extension, if any.
    pub fn authority_key_identifier(&self) -> Option<&[u8]> {
        self.aki.as_deref()
    }

    /// The raw serial number bytes.
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The subject public key (ECDSA P-256/P-384 or Ed25519).
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_spki_der(&self.spki)
    }

    /// The client identity ID of Fabric's cid library:
    /// `base64("x509::" + subject + "::" + issuer)`.
    pub fn id_string(&self) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(format!("x509::{}::{}", self.subject, self.issuer))
    }

    /// The Fabric CA attributes (extension 1.2.3.4.5.6.7.8.1, raw JSON `{"attrs":{...}}`).
    /// Empty when the extension is absent; an error when it is not that JSON.
    pub fn attributes(&self) -> Result<BTreeMap<String, String>> {
        match &self.attrs_ext {
            None => Ok(BTreeMap::new()),
            Some(raw) => parse_attrs_json(raw),
        }
    }

    /// The value of one Fabric CA attribute, `None` when absent.
    pub fn attribute_value(&self, name: &str) -> Result<Option<String>> {
        Ok(self.attributes()?.remove(name))
    }

    /// Errors unless the attribute `name` is present with exactly `value`.
    pub fn assert_attribute_value(&self, name: &str, value: &str) -> Result<()> {
        match self.attribute_value(name)? {
            Some(v) if v == value => Ok(()),
            Some(v) => Err(Error::Certificate(format!(
                "attribute '{name}' equals '{v}', not '{value}'"
            ))),
            None => Err(Error::Certificate(format!(
                "attribute '{name}' was not found"
            ))),
        }
    }

    /// Verifies this certificate's signature with `issuer`'s public key, using the
    /// certificate's own signature algorithm (ecdsa-with-SHA256/SHA384, Ed25519). No low-S rule
    /// applies to certificate signatures. Returns a reason on failure.
    pub fn verify_signed_by(&self, issuer: &Certificate) -> std::result::Result<(), String> {
        let key = issuer
            .public_key()
            .map_err(|e| format!("issuer key unusable: {e}"))?;
        sigcheck::verify(&key, &self.sig_alg, &self.tbs, &self.signature)
    }
}

/// Parses the Fabric CA attribute JSON `{"attrs":{"name":"value",...}}`.
pub fn parse_attrs_json(raw: &[u8]) -> Result<BTreeMap<String, String>> {
    let v: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
        Error::Certificate(format!("Fabric CA attribute extension is not JSON: {e}"))
    })?;
    let attrs = match v.get("attrs") {
        None | Some(serde_json::Value::Null) => return Ok(BTreeMap::new()),
        Some(serde_json::Value::Object(m)) => m,
        Some(_) => {
            return Err(Error::Certificate(
                "Fabric CA attribute extension: `attrs` is not an object".into(),
            ));
        }
    };
    attrs
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            other => Err(Error::Certificate(format!(
                "Fabric CA attribute '{k}' is not a string: {other}"
            ))),
        })
        .collect()
}

/// Certificate (and CRL) signature checks, without Fabric's low-S rule.
pub(crate) mod sigcheck {
    use super::*;

    /// Verifies `signature` over `tbs` with `key` under the X.509 algorithm `alg_oid`.
    pub(crate) fn verify(
        key: &PublicKey,
        alg_oid: &str,
        tbs: &[u8],
        signature: &[u8],
    ) -> std::result::Result<(), String> {
        let hash = match alg_oid {
            OID_ECDSA_SHA256 => Hash::Sha256,
            OID_ECDSA_SHA384 => Hash::Sha384,
            OID_ED25519 => Hash::None,
            other => return Err(format!("unsupported signature algorithm {other}")),
        };
        let ok = match (key.algorithm(), hash) {
            (KeyAlgorithm::Ed25519, Hash::None) => backend::ed25519(key.as_bytes(), tbs, signature),
            (KeyAlgorithm::Ed25519, _) | (_, Hash::None) => {
                return Err(format!(
                    "signature algorithm {alg_oid} does not match the issuer's {} key",
                    key.algorithm()
                ));
            }
            (alg, h) => backend::ecdsa(alg, h, key.as_bytes(), tbs, signature),
        };
        if ok {
            Ok(())
        } else {
            Err("signature does not verify with the issuer's key".into())
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub(crate) enum Hash {
        Sha256,
        Sha384,
        None,
    }

    #[cfg(feature = "aws-lc")]
    mod backend {
        use super::Hash;
        use crate::crypto::KeyAlgorithm;
        use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

        pub(crate) fn ecdsa(
            alg: KeyAlgorithm,
            h: Hash,
            key: &[u8],
            msg: &[u8],
            sig: &[u8],
        ) -> bool {
            let a: &'static dyn VerificationAlgorithm = match (alg, h) {
                (KeyAlgorithm::EcdsaP256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
                (KeyAlgorithm::EcdsaP256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
                (KeyAlgorithm::EcdsaP384, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
                (KeyAlgorithm::EcdsaP384, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
                _ => return false,
            };
            UnparsedPublicKey::new(a, key).verify(msg, sig).is_ok()
        }

        pub(crate) fn ed25519(key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
            UnparsedPublicKey::new(&signature::ED25519, key)
                .verify(msg, sig)
                .is_ok()
        }
    }

    #[cfg(not(feature = "aws-lc"))]
    mod backend {
        use super::Hash;
        use crate::crypto::KeyAlgorithm;
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        use sha2::Digest;

        pub(crate) fn ecdsa(
            alg: KeyAlgorithm,
            h: Hash,
            key: &[u8],
            msg: &[u8],
            sig: &[u8],
        ) -> bool {
            let digest = match h {
                Hash::Sha256 => sha2::Sha256::digest(msg).to_vec(),
                Hash::Sha384 => sha2::Sha384::digest(msg).to_vec(),
                Hash::None => return false,
            };
            match alg {
                KeyAlgorithm::EcdsaP256 => {
                    let (Ok(k), Ok(s)) = (
                        p256::ecdsa::VerifyingKey::from_sec1_bytes(key),
                        p256::ecdsa::Signature::from_der(sig),
                    ) else {
                        return false;
                    };
                    k.verify_prehash(&digest, &s).is_ok()
                }
                KeyAlgorithm::EcdsaP384 => {
                    let (Ok(k), Ok(s)) = (
                        p384::ecdsa::VerifyingKey::from_sec1_bytes(key),
                        p384::ecdsa::Signature::from_der(sig),
                    ) else {
                        return false;
                    };
                    k.verify_prehash(&digest, &s).is_ok()
                }
                KeyAlgorithm::Ed25519 => false,
            }
        }

        pub(crate) fn ed25519(key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
            use ed25519_dalek::Verifier as _;
            let (Ok(k), Ok(s)) = (
                <[u8; 32]>::try_from(key),
                ed25519_dalek::Signature::from_slice(sig),
            ) else {
                return false;
            };
            ed25519_dalek::VerifyingKey::from_bytes(&k).is_ok_and(|k| k.verify(msg, &s).is_ok())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs_json() {
        let m = parse_attrs_json(br#"{"attrs":{"hf.Type":"client","role":"auditor"}}"#).unwrap();
        assert_eq!(m.get("role").map(String::as_str), Some("auditor"));
        assert_eq!(m.len(), 2);
        assert!(parse_attrs_json(b"{\"attrs\":{}}").unwrap().is_empty());
        assert!(parse_attrs_json(b"{}").unwrap().is_empty());
        assert!(parse_attrs_json(b"not json").is_err());
        assert!(parse_attrs_json(br#"{"attrs":{"n":1}}"#).is_err());
        assert!(parse_attrs_json(br#"{"attrs":[1]}"#).is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Certificate::from_der(b"").is_err());
        assert!(Certificate::from_der(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
        assert!(
            Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .is_err()
        );
        assert!(Certificate::from_pem("hello").is_err());
    }
}
