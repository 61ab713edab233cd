//! Keys and X.509 certificates as Fabric's cryptogen makes them.

use crate::error::{Error, Result};
use crate::topology::{KeyType, Location};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, PrintableString, SanType,
    SerialNumber,
};
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

/// OID of the Fabric CA attribute extension (value: raw JSON `{"attrs":{...}}`).
pub const ATTRIBUTE_EXTENSION_OID: [u64; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 1];

/// Validity period shared by every certificate of one generation run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Validity {
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl Validity {
    /// Starts five minutes ago (clock skew between machines) and lasts ten years, like cryptogen.
    pub(crate) fn from_now() -> Self {
        let now = OffsetDateTime::now_utc();
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let not_before = now - Duration::minutes(5);
        Validity {
            not_before,
            not_after: not_before + Duration::days(3650),
        }
    }
}

/// A freshly generated key in the forms we need.
pub(crate) struct Key {
    /// PKCS#8 PEM (`PRIVATE KEY`), what goes into `priv_sk` / `*.key`.
    pub(crate) pem: String,
    /// The key for rcgen.
    pub(crate) pair: KeyPair,
    /// Fabric's SKI: SHA-256 of the raw public key.
    pub(crate) ski: Vec<u8>,
}

pub(crate) fn new_key(alg: KeyType, identity: &str) -> Result<Key> {
    let key_err = |source| Error::Key {
        identity: identity.to_owned(),
        source,
    };
    let private = fabric_sdk::crypto::PrivateKey::generate(alg.sdk_algorithm()).map_err(key_err)?;
    let ski = private.public_key().map_err(key_err)?.ski().to_vec();
    let pem = private.to_pkcs8_pem();
    let pair = KeyPair::from_pem(&pem).map_err(|source| Error::Certificate {
        identity: identity.to_owned(),
        source,
    })?;
    Ok(Key { pem, pair, ski })
}

/// A certificate authority of one organisation (the signing CA or the TLS CA).
pub(crate) struct Ca {
    /// The CA's common name, e.g. `ca.hospital.example.com`.
    pub(crate) name: String,
    pub(crate) cert: rcgen::Certificate,
    pub(crate) key: Key,
    /// The certificate, PEM.
    pub(crate) cert_pem: String,
}

impl Ca {
    /// File name of the certificate, `<cn>-cert.pem`.
    pub(crate) fn file_name(&self) -> String {
        format!("{}-cert.pem", self.name)
    }
}

/// What kind of end-entity certificate to issue.
pub(crate) enum Leaf<'a> {
    /// An enrollment (signing) certificate with a NodeOU and optional Fabric CA attributes JSON.
    Signing {
        ou: &'a str,
        attributes_json: Option<Vec<u8>>,
    },
    /// A TLS certificate; server certificates carry SANs, client certificates none.
    Tls { sans: &'a [String] },
}

/// An issued end-entity certificate and its key.
pub(crate) struct Issued {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
}

fn dn_value(s: &str) -> DnValue {
    match PrintableString::try_from(s) {
        Ok(p) => DnValue::PrintableString(p),
        Err(_) => DnValue::Utf8String(s.to_owned()),
    }
}

fn subject(
    location: &Location,
    org: Option<&str>,
    ou: Option<&str>,
    cn: &str,
) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, dn_value(&location.country));
    dn.push(DnType::StateOrProvinceName, dn_value(&location.province));
    dn.push(DnType::LocalityName, dn_value(&location.locality));
    if let Some(org) = org {
        dn.push(DnType::OrganizationName, dn_value(org));
    }
    if let Some(ou) = ou {
        dn.push(DnType::OrganizationalUnitName, dn_value(ou));
    }
    dn.push(DnType::CommonName, dn_value(cn));
    dn
}

fn serial(identity: &str) -> Result<SerialNumber> {
    let mut bytes = fabric_sdk::crypto::random_bytes::<16>().map_err(|source| Error::Key {
        identity: identity.to_owned(),
        source,
    })?;
    // Positive and exactly 16 bytes long.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

fn base_params(validity: Validity, identity: &str, ski: &[u8]) -> Result<CertificateParams> {
    let mut params = CertificateParams::default();
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.serial_number = Some(serial(identity)?);
    params.key_identifier_method = KeyIdMethod::PreSpecified(ski.to_vec());
    Ok(params)
}

/// A self-signed root CA: `C, ST, L, O=<domain>, CN=<name>`, CA:true, SKI, certSign/crlSign.
pub(crate) fn new_ca(
    alg: KeyType,
    validity: Validity,
    location: &Location,
    domain: &str,
    name: &str,
) -> Result<Ca> {
    let key = new_key(alg, name)?;
    let mut params = base_params(validity, name, &key.ski)?;
    params.distinguished_name = subject(location, Some(domain), None, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params
        .self_signed(&key.pair)
        .map_err(|source| Error::Certificate {
            identity: name.to_owned(),
            source,
        })?;
    let cert_pem = fabric_sdk::crypto::pem_encode("CERTIFICATE", cert.der());
    Ok(Ca {
        name: name.to_owned(),
        cert,
        key,
        cert_pem,
    })
}

/// Issues an end-entity certificate for `cn` under `ca`, with a new key.
pub(crate) fn issue(
    ca: &Ca,
    alg: KeyType,
    validity: Validity,
    location: &Location,
    cn: &str,
    leaf: Leaf<'_>,
) -> Result<Issued> {
    let key = new_key(alg, cn)?;
    let mut params = base_params(validity, cn, &key.ski)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    match leaf {
        Leaf::Signing {
            ou,
            attributes_json,
        } => {
            params.distinguished_name = subject(location, None, Some(ou), cn);
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            if let Some(json) = attributes_json {
                params
                    .custom_extensions
                    .push(CustomExtension::from_oid_content(
                        &ATTRIBUTE_EXTENSION_OID,
                        json,
                    ));
            }
        }
        Leaf::Tls { sans } => {
            params.distinguished_name = subject(location, None, None, cn);
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
            params.subject_alt_names = sans
                .iter()
                .map(|s| san(s, cn))
                .collect::<Result<Vec<_>>>()?;
        }
    }
    let cert = params
        .signed_by(&key.pair, &ca.cert, &ca.key.pair)
        .map_err(|source| Error::Certificate {
            identity: cn.to_owned(),
            source,
        })?;
    Ok(Issued {
        cert_pem: fabric_sdk::crypto::pem_encode("CERTIFICATE", cert.der()),
        key_pem: key.pem,
    })
}

fn san(s: &str, cn: &str) -> Result<SanType> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    rcgen::Ia5String::try_from(s)
        .map(SanType::DnsName)
        .map_err(|e| Error::CertificateData {
            identity: cn.to_owned(),
            reason: format!("subject alternative name {s:?}: {e}"),
        })
}
