//! Test certificates: X.509 v3, ECDSA P-256 with SHA-256, shaped as cryptogen issues them,
//! with keys and serial numbers derived from labels so that every run gives the same bytes.

use fabric_sdk::crypto::{Backend, PrivateKey, sha256_parts};

use super::der;

pub(super) const OID_COUNTRY: &[u64] = &[2, 5, 4, 6];
pub(super) const OID_STATE: &[u64] = &[2, 5, 4, 8];
pub(super) const OID_LOCALITY: &[u64] = &[2, 5, 4, 7];
pub(super) const OID_ORGANIZATION: &[u64] = &[2, 5, 4, 10];
pub(super) const OID_OU: &[u64] = &[2, 5, 4, 11];
pub(super) const OID_COMMON_NAME: &[u64] = &[2, 5, 4, 3];
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

/// A hash of the labelled parts (each length-prefixed, so no two part lists collide).
pub(super) fn seed(parts: &[&str], counter: u32) -> [u8; 32] {
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
pub(super) fn derive_key(parts: &[&str]) -> fabric_sdk::Result<PrivateKey> {
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
pub(super) fn dn(attrs: &[(&[u64], &str)]) -> Vec<u8> {
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

pub(super) struct Issue<'a> {
    pub(super) serial_seed: &'a [&'a str],
    pub(super) issuer: &'a [u8],
    pub(super) subject: &'a [u8],
    pub(super) subject_key: &'a PrivateKey,
    pub(super) issuer_key: &'a PrivateKey,
    pub(super) issuer_ski: [u8; 32],
    pub(super) is_ca: bool,
    pub(super) attributes_json: Option<&'a [u8]>,
}

/// An X.509 v3 certificate as cryptogen shapes it, signed with ECDSA-SHA256 (RFC 6979, low-S).
pub(super) fn issue(i: &Issue<'_>) -> fabric_sdk::Result<Vec<u8>> {
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
