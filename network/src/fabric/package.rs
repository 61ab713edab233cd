//! Chaincode-as-a-service packages, as `peer lifecycle chaincode package` makes them for the
//! built-in `ccaas` builder, and their package ids.
//!
//! A package is a gzip'd tar with `metadata.json` (`{"type":"ccaas","label":...}`) and
//! `code.tar.gz` (a gzip'd tar holding `connection.json`). The package id is
//! `<label>:<hex SHA-256 of the package file>`. The archives are written deterministically
//! (fixed modes, owners and times; gzip with stored deflate blocks), so one topology always
//! gives the same package id, and the file can be installed on a real Fabric peer as is. The
//! devnet and the real-Fabric kit make a chaincode's package with the same function
//! ([`chaincode_package`]), so both agree on its package id.

use crate::error::{Error, Result};
use crate::topology::ChaincodeDef;
use fabric_sdk::crypto::sha256;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How long a peer waits for the chaincode server to accept its connection.
pub const DIAL_TIMEOUT: &str = "10s";

/// `connection.json`: where and how a peer dials a chaincode-as-a-service server, with the
/// fields the `ccaas` builder keeps. Booleans are JSON booleans and PEM values JSON strings;
/// the TLS fields are written only when `tls_required` is true, so a plain-text connection is
/// `{"address", "dial_timeout", "tls_required": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// `host:port` the peer dials.
    pub address: String,
    /// A Go duration, e.g. `10s`.
    pub dial_timeout: String,
    /// Dial with TLS.
    pub tls_required: bool,
    /// Present a client certificate (only with TLS).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub client_auth_required: bool,
    /// PEM of the CA that signed the chaincode server's certificate (TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cert: Option<String>,
    /// PEM certificate the peer presents (client auth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// PEM key of `client_cert` (client auth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
}

impl Connection {
    /// A plain-text connection to `address`.
    pub fn plain(address: impl Into<String>) -> Self {
        Connection {
            address: address.into(),
            dial_timeout: DIAL_TIMEOUT.to_owned(),
            tls_required: false,
            client_auth_required: false,
            root_cert: None,
            client_cert: None,
            client_key: None,
        }
    }

    /// The connection to the chaincode `def` served at `address`, with the topology's TLS
    /// settings; the PEM files it names are read now (relative paths from the working
    /// directory). TLS needs `root_cert`; `client_cert` and `client_key` are embedded when both
    /// are given.
    pub fn for_chaincode(def: &ChaincodeDef, address: impl Into<String>) -> Result<Self> {
        let mut c = Connection::plain(address);
        if !def.tls.required {
            return Ok(c);
        }
        let root = def.tls.root_cert.as_ref().ok_or_else(|| Error::Topology {
            origin: "topology".into(),
            key: format!("chaincodes[{}].tls.root_cert", def.name),
            message: "tls.required needs root_cert (the CA of the chaincode server)".into(),
        })?;
        c.tls_required = true;
        c.client_auth_required = def.tls.client_auth;
        c.root_cert = Some(read_pem(root)?);
        if let (Some(cert), Some(key)) = (&def.tls.client_cert, &def.tls.client_key) {
            c.client_cert = Some(read_pem(cert)?);
            c.client_key = Some(read_pem(key)?);
        }
        Ok(c)
    }

    /// The file's bytes (pretty JSON).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

fn read_pem(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    if !text.contains("-----BEGIN ") {
        return Err(Error::Kit(format!(
            "{}: not a PEM file (no -----BEGIN line); give the PEM certificate or key",
            path.display()
        )));
    }
    Ok(text)
}

/// A CCaaS package: its bytes and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcaasPackage {
    /// The package label.
    pub label: String,
    /// The `.tar.gz` bytes.
    pub bytes: Vec<u8>,
    /// `<label>:<sha256 hex>`.
    pub package_id: String,
    /// The `metadata.json` in the package.
    pub metadata_json: Vec<u8>,
    /// The `connection.json` in the package's `code.tar.gz`.
    pub connection_json: Vec<u8>,
}

impl CcaasPackage {
    /// The file name Fabric's tooling uses: `<label>.tar.gz`.
    pub fn file_name(&self) -> String {
        format!("{}.tar.gz", self.label)
    }
}

/// The CCaaS package labelled `label` whose `connection.json` is `connection`.
pub fn ccaas_package(label: &str, connection: &Connection) -> CcaasPackage {
    let connection_json = connection.to_json();
    let code = gzip(&tar(&[("connection.json", &connection_json)]));
    let metadata_json = serde_json::to_vec(&serde_json::json!({"label": label, "type": "ccaas"}))
        .unwrap_or_default();
    let bytes = gzip(&tar(&[
        ("metadata.json", &metadata_json),
        ("code.tar.gz", &code),
    ]));
    let package_id = format!("{label}:{}", hex::encode(sha256(&bytes)));
    CcaasPackage {
        label: label.to_owned(),
        bytes,
        package_id,
        metadata_json,
        connection_json,
    }
}

/// The address a chaincode's package points at: the topology's `address`, else
/// `chaincode-<name>:9999` (a command chaincode, reached by the devnet another way).
pub fn default_address(def: &ChaincodeDef) -> String {
    def.address
        .clone()
        .unwrap_or_else(|| format!("chaincode-{}:9999", def.name))
}

/// The package of a topology chaincode, as the devnet and the kit make it: its label, its
/// `address` (or `address_override`), the topology's TLS settings.
pub fn chaincode_package(
    def: &ChaincodeDef,
    address_override: Option<&str>,
) -> Result<CcaasPackage> {
    let address = address_override.map_or_else(|| default_address(def), str::to_owned);
    let connection = Connection::for_chaincode(def, address)?;
    Ok(ccaas_package(&def.package_label(), &connection))
}

/// A ustar archive of regular files (mode 0644, owner 0, time 0).
fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; 512];
        let name = name.as_bytes();
        let n = name.len().min(99);
        h[..n].copy_from_slice(&name[..n]);
        octal(&mut h[100..108], 0o644);
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], data.len() as u64);
        octal(&mut h[136..148], 0);
        h[148..156].copy_from_slice(b"        ");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
        octal(&mut h[148..155], sum);
        h[155] = b' ';
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

/// Writes `value` as zero-padded octal digits followed by NUL, filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    let bytes = text.as_bytes();
    let start = bytes.len().saturating_sub(digits);
    field[..digits].copy_from_slice(&bytes[start..]);
    field[digits] = 0;
}

/// gzip with stored (uncompressed) deflate blocks.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        out.push(u8::from(last));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_known_answer() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn plain_connection_json_has_the_three_fields_peers_need() {
        let c = Connection::plain("127.0.0.1:9999");
        let v: serde_json::Value = serde_json::from_slice(&c.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"address": "127.0.0.1:9999", "dial_timeout": "10s", "tls_required": false})
        );
    }

    #[test]
    fn deterministic_package_id() {
        let a = ccaas_package("basic_1.0", &Connection::plain("127.0.0.1:9999"));
        let b = ccaas_package("basic_1.0", &Connection::plain("127.0.0.1:9999"));
        assert_eq!(a, b);
        assert!(a.package_id.starts_with("basic_1.0:"));
        assert_eq!(a.package_id.len(), "basic_1.0:".len() + 64);
        let c = ccaas_package("basic_1.0", &Connection::plain("127.0.0.1:9998"));
        assert_ne!(a.package_id, c.package_id);
        assert_eq!(&a.bytes[..2], &[0x1f, 0x8b]);
    }
}
