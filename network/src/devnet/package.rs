//! Chaincode-as-a-service packages, as `peer lifecycle chaincode package` makes them for the
//! built-in `ccaas` builder, and their package ids.
//!
//! A package is a gzip'd tar with `metadata.json` (`{"type":"ccaas","label":...}`) and
//! `code.tar.gz` (a gzip'd tar holding `connection.json`). The package id is
//! `<label>:<hex SHA-256 of the package file>`. The archives are written deterministically
//! (fixed modes, owners and times; gzip with stored deflate blocks), so one topology always
//! gives the same package id, and the file can be installed on a real Fabric peer as is.

use fabric_sdk::crypto::sha256;

/// A CCaaS package: its bytes and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcaasPackage {
    /// The package label.
    pub label: String,
    /// The `.tar.gz` bytes.
    pub bytes: Vec<u8>,
    /// `<label>:<sha256 hex>`.
    pub package_id: String,
}

/// The CCaaS package of a chaincode served at `address`, labelled `label`.
/// `connection.json` carries `address`, `dial_timeout` `"10s"` and `tls_required`.
pub fn ccaas_package(label: &str, address: &str, tls_required: bool) -> CcaasPackage {
    let connection = serde_json::json!({
        "address": address,
        "dial_timeout": "10s",
        "tls_required": tls_required,
    });
    let connection = serde_json::to_vec_pretty(&connection).unwrap_or_default();
    let code = gzip(&tar(&[("connection.json", &connection)]));
    let metadata = serde_json::to_vec(&serde_json::json!({"label": label, "type": "ccaas"}))
        .unwrap_or_default();
    let bytes = gzip(&tar(&[
        ("metadata.json", &metadata),
        ("code.tar.gz", &code),
    ]));
    let package_id = format!("{label}:{}", hex::encode(sha256(&bytes)));
    CcaasPackage {
        label: label.to_owned(),
        bytes,
        package_id,
    }
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
    fn deterministic_package_id() {
        let a = ccaas_package("basic_1.0", "127.0.0.1:9999", false);
        let b = ccaas_package("basic_1.0", "127.0.0.1:9999", false);
        assert_eq!(a, b);
        assert!(a.package_id.starts_with("basic_1.0:"));
        assert_eq!(a.package_id.len(), "basic_1.0:".len() + 64);
        let c = ccaas_package("basic_1.0", "127.0.0.1:9998", false);
        assert_ne!(a.package_id, c.package_id);
        assert_eq!(&a.bytes[..2], &[0x1f, 0x8b]);
    }
}
