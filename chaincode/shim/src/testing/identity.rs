//! Test identities: real X.509 certificates (ECDSA P-256, issued by a per-MSP test CA) with a
//! NodeOU role, extra OUs and Fabric CA attributes, so that `stub.client_identity()` and the
//! contract API's `ctx.client_identity()` see exactly what they would see on a network.
//!
//! Everything is derived from the MSP id and the identity's fields: the same identity gives the
//! same keys, certificates and signatures on every run (RFC 6979 signatures), so transaction ids
//! are reproducible.

use std::collections::BTreeMap;

use fabric_sdk::crypto::{Backend, PrivateKey, sha256_parts};
use fabric_sdk::identity::{Certificate, ClientIdentity, Identity, NodeRole, SigningIdentity};

use super::der;
use crate::{Error, Result};

const OID_COUNTRY: &[u64] = &[2, 5, 4, 6];
const OID_STATE: &[u64] = &[2, 5, 4, 8];
const OID_LOCALITY: &[u64] = &[2, 5, 4, 7];
const OID_ORGANIZATION: &[u64] = &[2, 5, 4, 10];
const OID_OU: &[u64] = &[2, 5, 4, 11];
const OID_COMMON_NAME: &[u64] = &[2, 5, 4, 3];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const OID_EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_SKI: &[u64] = &[2, 5, 29, 14];
const OID_AKI: &[u64] = &[2, 5, 29, 35];
/// Fabric CA's attribute extension (value: raw JSON `{"attrs":{...}}`).
const OID_FABRIC_ATTRS: &[u64] = &[1, 2, 3, 4, 5, 6, 7, 8, 1];

/// Valid from 2020-01-01 to the last instant UTCTime can express, so tests never expire.
const NOT_BEFORE: &str = "200101000000Z";
const NOT_AFTER: &str = "491231235959Z";

/// A client of an organisation, with a certificate issued by that organisation's test CA.
///
/// ```
/// use fabric_chaincode::testing::TestIdentity;
///
/// let doctor = TestIdentity::builder("HospitalMSP")
///     .name("doctor1")
///     .ou("cardiology")
///     .attribute("role", "doctor")
///     .build()?;
/// assert_eq!(doctor.msp_id(), "HospitalMSP");
/// let seen = doctor.client_identity()?; // what the chaincode sees
/// assert_eq!(seen.attribute_value("role"), Some("doctor"));
/// assert!(seen.has_ou_value("client") && seen.has_ou_value("cardiology"));
/// # Ok::<(), fabric_chaincode::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TestIdentity {
    name: String,
    signing: SigningIdentity,
    ca: Certificate,
}

/// Builds a [`TestIdentity`]: [`TestIdentity::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct TestIdentityBuilder {
    msp_id: String,
    name: Option<String>,
    role: NodeRole,
    ous: Vec<String>,
    attributes: BTreeMap<String, String>,
}

impl TestIdentity {
    /// A client of `msp_id` named `User1@<org>.example.com` (`Org1MSP` → `org1.example.com`),
    /// with the NodeOU `OU=client` and no attributes.
    pub fn new(msp_id: impl Into<String>) -> Result<TestIdentity> {
        Self::builder(msp_id).build()
    }

    /// A builder for an identity of `msp_id`.
    pub fn builder(msp_id: impl Into<String>) -> TestIdentityBuilder {
        TestIdentityBuilder {
            msp_id: msp_id.into(),
            name: None,
            role: NodeRole::Client,
            ous: Vec::new(),
            attributes: BTreeMap::new(),
        }
    }

    /// The MSP id.
    pub fn msp_id(&self) -> &str {
        self.signing.identity.msp_id()
    }

    /// The certificate's common name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The serialized identity (`msp.SerializedIdentity`): a proposal's creator.
    pub fn serialized(&self) -> &[u8] {
        self.signing.serialized()
    }

    /// The enrollment certificate.
    pub fn certificate(&self) -> &Certificate {
        self.signing.identity.certificate()
    }

    /// The certificate of the organisation's test CA (the MSP's root certificate).
    pub fn ca_certificate(&self) -> &Certificate {
        &self.ca
    }

    /// The identity with its signer (signs proposals).
    pub fn signing_identity(&self) -> &SigningIdentity {
        &self.signing
    }

    /// The identity as a chaincode sees it (`cid`): MSP id, ID string, attributes, OUs.
    pub fn client_identity(&self) -> Result<ClientIdentity> {
        ClientIdentity::from_serialized(self.serialized()).map_err(Error::from)
    }
}

impl TestIdentityBuilder {
    /// The certificate's common name (default `User1@<org>.example.com`).
    pub fn name(mut self, common_name: impl Into<String>) -> Self {
        self.name = Some(common_name.into());
        self
    }

    /// The NodeOU role (default client): the first `OU` of the subject.
    pub fn role(mut self, role: NodeRole) -> Self {
        self.role = role;
        self
    }

    /// Adds an `OU` to the subject after the role (Fabric CA writes the affiliation this way).
    pub fn ou(mut self, ou: impl Into<String>) -> Self {
        self.ous.push(ou.into());
        self
    }

    /// Adds a Fabric CA attribute (read with `client_identity().attribute_value(name)`).
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    /// Issues the certificate.
    pub fn build(self) -> Result<TestIdentity> {
        let domain = org_domain(&self.msp_id);
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| format!("User1@{domain}"));
        let context = format!("test identity {}/{name}", self.msp_id);
        let fail = |e: &dyn std::fmt::Display| Error::testing(&context, e);

        let ca_cn = format!("ca.{domain}");
        let ca_name = dn(&[
            (OID_COUNTRY, "US"),
            (OID_STATE, "California"),
            (OID_LOCALITY, "San Francisco"),
            (OID_ORGANIZATION, &domain),
            (OID_COMMON_NAME, &ca_cn),
        ]);
        let ca_key = derive_key(&["ca", &self.msp_id]).map_err(|e| fail(&e))?;
        let ca_ski = ca_key.public_key().map_err(|e| fail(&e))?.ski();
        let ca_der = issue(&Issue {
            serial_seed: &["ca", &self.msp_id],
            issuer: &ca_name,
            subject: &ca_name,
            subject_key: &ca_key,
            issuer_key: &ca_key,
            issuer_ski: ca_ski,
            is_ca: true,
            attributes_json: None,
        })
        .map_err(|e| fail(&e))?;
        let ca = Certificate::from_der(&ca_der).map_err(|e| fail(&e))?;

        let mut subject: Vec<(&[u64], &str)> = vec![
            (OID_COUNTRY, "US"),
            (OID_STATE, "California"),
            (OID_LOCALITY, "San Francisco"),
            (OID_OU, self.role.default_ou()),
        ];
        subject.extend(self.ous.iter().map(|ou| (OID_OU, ou.as_str())));
        subject.push((OID_COMMON_NAME, &name));
        let attributes_json = if self.attributes.is_empty() {
            None
        } else {
            let json = serde_json::json!({ "attrs": self.attributes });
            Some(serde_json::to_vec(&json).map_err(|e| fail(&e))?)
        };
        let role = self.role.default_ou();
        let key = derive_key(&["identity", &self.msp_id, role, &name]).map_err(|e| fail(&e))?;
        let mut serial_seed = vec!["identity", &self.msp_id, role, &name];
        serial_seed.extend(self.ous.iter().map(String::as_str));
        let attrs_text = attributes_json
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        serial_seed.push(&attrs_text);
        let der = issue(&Issue {
            serial_seed: &serial_seed,
            issuer: &ca_name,
            subject: &dn(&subject),
            subject_key: &key,
            issuer_key: &ca_key,
            issuer_ski: ca_ski,
            is_ca: false,
            attributes_json: attributes_json.as_deref(),
        })
        .map_err(|e| fail(&e))?;
        let cert = Certificate::from_der(&der).map_err(|e| fail(&e))?;
        let signer = key.signer_with(Backend::RustCrypto).map_err(|e| fail(&e))?;
        let signing = SigningIdentity::with_signer(Identity::new(self.msp_id, cert), signer);
        Ok(TestIdentity { name, signing, ca })
    }
}

/// `Org1MSP` → `org1.example.com`: the MSP id without a trailing `MSP`, lower case, letters,
/// digits and `-` only.
fn org_domain(msp_id: &str) -> String {
    let base = msp_id.strip_suffix("MSP").unwrap_or(msp_id);
    let label: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let label = if label.is_empty() {
        "org".into()
    } else {
        label
    };
    format!("{label}.example.com")
}

/// A hash of the labelled parts (each length-prefixed, so no two part lists collide).
fn seed(parts: &[&str], counter: u32) -> [u8; 32] {
    let mut input = Vec::new();
    input.extend_from_slice(b"fabric-chaincode testing\0");
    for p in parts {
        input.extend_from_slice(&(p.len() as u64).to_be_bytes());
        input.extend_from_slice(p.as_bytes());
    }
    input.extend_from_slice(&counter.to_be_bytes());
    sha256_parts(&[&input])
}

/// A P-256 key derived from `parts` (a hash that is not a valid scalar, about one in 2^32,
/// moves to the next counter).
fn derive_key(parts: &[&str]) -> fabric_sdk::Result<PrivateKey> {
    let mut last = None;
    for counter in 0..8 {
        let scalar = seed(parts, counter);
        // SEC1 ECPrivateKey { version 1, privateKey, [0] prime256v1 }
        let sec1 = der::sequence(&[
            &der::unsigned_integer(&[1]),
            &der::octet_string(&scalar),
            &der::explicit(0, &der::oid(OID_P256)),
        ]);
        match PrivateKey::from_sec1_der(&sec1) {
            Ok(k) => return Ok(k),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| fabric_sdk::Error::Key("no key derived".into())))
}

/// A distinguished name, one attribute per RDN, in the order given.
fn dn(attrs: &[(&[u64], &str)]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = attrs
        .iter()
        .map(|(oid, value)| {
            let value = if *oid == OID_COUNTRY {
                der::tlv(0x13, value.as_bytes())
            } else {
                der::directory_string(value)
            };
            der::set(&[&der::sequence(&[&der::oid(oid), &value])])
        })
        .collect();
    let refs: Vec<&[u8]> = rdns.iter().map(Vec::as_slice).collect();
    der::sequence(&refs)
}

fn extension(oid: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        der::sequence(&[
            &der::oid(oid),
            &der::boolean(true),
            &der::octet_string(value),
        ])
    } else {
        der::sequence(&[&der::oid(oid), &der::octet_string(value)])
    }
}

struct Issue<'a> {
    serial_seed: &'a [&'a str],
    issuer: &'a [u8],
    subject: &'a [u8],
    subject_key: &'a PrivateKey,
    issuer_key: &'a PrivateKey,
    issuer_ski: [u8; 32],
    is_ca: bool,
    attributes_json: Option<&'a [u8]>,
}

/// An X.509 v3 certificate as cryptogen shapes it, signed with ECDSA-SHA256 (RFC 6979, low-S).
fn issue(i: &Issue<'_>) -> fabric_sdk::Result<Vec<u8>> {
    let public = i.subject_key.public_key()?;
    let mut serial = seed(i.serial_seed, 0);
    serial[0] = (serial[0] & 0x7f) | 0x40;
    let algorithm = der::sequence(&[&der::oid(OID_ECDSA_SHA256)]);
    let spki = der::sequence(&[
        &der::sequence(&[&der::oid(OID_EC_PUBLIC_KEY), &der::oid(OID_P256)]),
        &der::bit_string(public.as_bytes()),
    ]);
    // keyUsage: CA digitalSignature|keyEncipherment|keyCertSign|cRLSign, leaf digitalSignature.
    let key_usage = if i.is_ca {
        der::tlv(0x03, &[0x01, 0xa6])
    } else {
        der::tlv(0x03, &[0x07, 0x80])
    };
    let basic = if i.is_ca {
        der::sequence(&[&der::boolean(true)])
    } else {
        der::sequence(&[])
    };
    let mut extensions = vec![
        extension(OID_KEY_USAGE, true, &key_usage),
        extension(OID_BASIC_CONSTRAINTS, true, &basic),
        extension(OID_SKI, false, &der::octet_string(&public.ski())),
    ];
    if !i.is_ca {
        let aki = der::sequence(&[&der::tlv(0x80, &i.issuer_ski)]);
        extensions.push(extension(OID_AKI, false, &aki));
    }
    if let Some(json) = i.attributes_json {
        extensions.push(extension(OID_FABRIC_ATTRS, false, json));
    }
    let ext_refs: Vec<&[u8]> = extensions.iter().map(Vec::as_slice).collect();
    let tbs = der::sequence(&[
        &der::explicit(0, &der::unsigned_integer(&[2])),
        &der::unsigned_integer(&serial[..16]),
        &algorithm,
        i.issuer,
        &der::sequence(&[&der::utc_time(NOT_BEFORE), &der::utc_time(NOT_AFTER)]),
        i.subject,
        &spki,
        &der::explicit(3, &der::sequence(&ext_refs)),
    ]);
    let signature = i.issuer_key.signer_with(Backend::RustCrypto)?.sign(&tbs)?;
    Ok(der::sequence(&[
        &tbs,
        &algorithm,
        &der::bit_string(&signature),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_from_msp_ids() {
        assert_eq!(org_domain("Org1MSP"), "org1.example.com");
        assert_eq!(
            org_domain("Seoul Medical_CenterMSP"),
            "seoulmedicalcenter.example.com"
        );
        assert_eq!(org_domain("MSP"), "org.example.com");
    }

    #[test]
    fn identities_are_deterministic_and_signed_by_their_ca() {
        let a = TestIdentity::new("Org1MSP").unwrap();
        let b = TestIdentity::new("Org1MSP").unwrap();
        assert_eq!(a.serialized(), b.serialized());
        assert_eq!(a.certificate().issuer(), a.ca_certificate().subject());
        a.certificate()
            .verify_signed_by(a.ca_certificate())
            .unwrap();
        a.ca_certificate()
            .verify_signed_by(a.ca_certificate())
            .unwrap();
        assert!(a.ca_certificate().is_ca());
        assert!(!a.certificate().is_ca());
        assert_eq!(
            a.certificate().authority_key_identifier(),
            a.ca_certificate().subject_key_identifier()
        );
        let other = TestIdentity::new("Org2MSP").unwrap();
        assert_ne!(a.serialized(), other.serialized());
    }
}
