//! ECDSA signature DER encoding and Fabric's low-S rule, without a big-integer library.

use super::KeyAlgorithm;
use crate::{Error, Result};

/// Group order n of P-256, big-endian.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// Group order n of P-384, big-endian.
const P384_ORDER: [u8; 48] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC7, 0x63, 0x4D, 0x81, 0xF4, 0x37, 0x2D, 0xDF,
    0x58, 0x1A, 0x0D, 0xB2, 0x48, 0xB0, 0xA7, 0x7A, 0xEC, 0xEC, 0x19, 0x6A, 0xCC, 0xC5, 0x29, 0x73,
];

fn order(alg: KeyAlgorithm) -> Result<&'static [u8]> {
    match alg {
        KeyAlgorithm::EcdsaP256 => Ok(&P256_ORDER),
        KeyAlgorithm::EcdsaP384 => Ok(&P384_ORDER),
        KeyAlgorithm::Ed25519 => Err(Error::InvalidSignature(
            "Ed25519 signatures have no ECDSA low-S form".into(),
        )),
    }
}

/// An ECDSA signature as two big-endian unsigned integers with no leading zero bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcdsaSignature {
    pub r: Vec<u8>,
    pub s: Vec<u8>,
}

impl EcdsaSignature {
    /// Parses DER `SEQUENCE { INTEGER r, INTEGER s }`. Rejects trailing bytes, non-minimal or
    /// negative integers and zero values, like Fabric's verifier ("invalid signature, R/S must be
    /// larger than zero").
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let bad =
            |why: &str| Error::InvalidSignature(format!("malformed ECDSA DER signature: {why}"));
        let (tag, body, rest) = read_tlv(der).ok_or_else(|| bad("truncated"))?;
        if tag != 0x30 {
            return Err(bad("not a SEQUENCE"));
        }
        if !rest.is_empty() {
            return Err(bad("trailing bytes after the SEQUENCE"));
        }
        let (r, body) = read_uint(body).ok_or_else(|| bad("bad INTEGER r"))?;
        let (s, body) = read_uint(body).ok_or_else(|| bad("bad INTEGER s"))?;
        if !body.is_empty() {
            return Err(bad("trailing bytes inside the SEQUENCE"));
        }
        if r.is_empty() || s.is_empty() {
            return Err(Error::InvalidSignature(
                "ECDSA signature r and s must be larger than zero".into(),
            ));
        }
        Ok(EcdsaSignature {
            r: r.to_vec(),
            s: s.to_vec(),
        })
    }

    /// DER encoding with minimal INTEGERs.
    pub fn to_der(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.r.len() + self.s.len() + 6);
        write_uint(&mut body, &self.r);
        write_uint(&mut body, &self.s);
        let mut out = Vec::with_capacity(body.len() + 3);
        out.push(0x30);
        write_len(&mut out, body.len());
        out.extend_from_slice(&body);
        out
    }

    /// Whether `s <= n/2` for the curve of `alg`.
    pub fn is_low_s(&self, alg: KeyAlgorithm) -> Result<bool> {
        let n = order(alg)?;
        let mut buf = [0u8; 48];
        let half = half_into(n, &mut buf);
        Ok(cmp_be(&self.s, half) != std::cmp::Ordering::Greater)
    }

    /// Replaces `s` by `n - s` when `s > n/2`.
    pub fn normalize(&mut self, alg: KeyAlgorithm) -> Result<()> {
        if !self.is_low_s(alg)? {
            let n = order(alg)?;
            self.s = strip(&sub_be(n, &self.s)).to_vec();
        }
        Ok(())
    }
}

/// Fabric's checks before ECDSA verification: well-formed DER with positive r and s, and low-S
/// ("Invalid S. Must be smaller than half the order").
pub fn require_fabric_ecdsa(alg: KeyAlgorithm, der: &[u8]) -> Result<()> {
    if !EcdsaSignature::from_der(der)?.is_low_s(alg)? {
        return Err(Error::InvalidSignature(
            "high-S ECDSA signature: S must be smaller than half the order (Fabric rejects it)"
                .into(),
        ));
    }
    Ok(())
}

/// Whether a DER ECDSA signature is low-S for the curve of `alg`.
pub fn is_low_s(alg: KeyAlgorithm, der: &[u8]) -> Result<bool> {
    EcdsaSignature::from_der(der)?.is_low_s(alg)
}

/// Returns the low-S form of a DER ECDSA signature (unchanged bytes when already low-S).
pub fn normalize_low_s(alg: KeyAlgorithm, der: Vec<u8>) -> Result<Vec<u8>> {
    let mut sig = EcdsaSignature::from_der(&der)?;
    if sig.is_low_s(alg)? {
        return Ok(der);
    }
    sig.normalize(alg)?;
    Ok(sig.to_der())
}

fn read_len(input: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first < 0x80 {
        return Some((first as usize, rest));
    }
    let n = (first & 0x7F) as usize;
    if n == 0 || n > 2 || rest.len() < n {
        return None;
    }
    let mut len = 0usize;
    for &b in &rest[..n] {
        len = (len << 8) | b as usize;
    }
    // DER: long form only when needed, no leading zero length bytes.
    if len < 0x80 || (n == 2 && len < 0x100) {
        return None;
    }
    Some((len, &rest[n..]))
}

fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (len, rest) = read_len(rest)?;
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// Reads a non-negative minimal DER INTEGER; returns its magnitude without leading zeros.
fn read_uint(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, v, rest) = read_tlv(input)?;
    if tag != 0x02 || v.is_empty() {
        return None;
    }
    if v[0] & 0x80 != 0 {
        return None; // negative
    }
    if v.len() > 1 && v[0] == 0 && v[1] & 0x80 == 0 {
        return None; // not minimal
    }
    Some((strip(v), rest))
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

fn write_uint(out: &mut Vec<u8>, v: &[u8]) {
    let v = strip(v);
    let pad = v.is_empty() || v[0] & 0x80 != 0;
    out.push(0x02);
    write_len(out, v.len() + pad as usize);
    if pad {
        out.push(0);
    }
    out.extend_from_slice(v);
}

fn strip(v: &[u8]) -> &[u8] {
    let i = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[i..]
}

fn cmp_be(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// n >> 1, written into `buf` (no allocation on the verification path).
fn half_into<'a>(n: &[u8], buf: &'a mut [u8; 48]) -> &'a [u8] {
    let out = &mut buf[..n.len()];
    let mut carry = 0u8;
    for (o, &b) in out.iter_mut().zip(n) {
        *o = (b >> 1) | (carry << 7);
        carry = b & 1;
    }
    out
}

/// a - b for a >= b, big-endian, result as long as `a`.
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut borrow = 0i16;
    for i in 0..a.len() {
        let ai = a.len() - 1 - i;
        let bv = if i < b.len() {
            b[b.len() - 1 - i] as i16
        } else {
            0
        };
        let mut d = a[ai] as i16 - bv - borrow;
        borrow = if d < 0 {
            d += 256;
            1
        } else {
            0
        };
        out[ai] = d as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_order_of_p256_is_known() {
        assert_eq!(
            hex::encode(half_into(&P256_ORDER, &mut [0u8; 48])),
            "7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8"
        );
    }

    #[test]
    fn high_s_is_normalized_to_n_minus_s() {
        // s = n - 1 is the highest possible s; its low-S twin is 1.
        let mut s = P256_ORDER.to_vec();
        *s.last_mut().unwrap() -= 1;
        let sig = EcdsaSignature { r: vec![0x42], s };
        let der = sig.to_der();
        assert!(!is_low_s(KeyAlgorithm::EcdsaP256, &der).unwrap());
        let low = normalize_low_s(KeyAlgorithm::EcdsaP256, der).unwrap();
        assert_eq!(low, vec![0x30, 0x06, 0x02, 0x01, 0x42, 0x02, 0x01, 0x01]);
        assert!(is_low_s(KeyAlgorithm::EcdsaP256, &low).unwrap());
    }

    #[test]
    fn der_round_trips_and_pads_high_bit() {
        let sig = EcdsaSignature {
            r: vec![0x80, 0x01],
            s: vec![0x7F],
        };
        let der = sig.to_der();
        assert_eq!(
            der,
            vec![0x30, 0x08, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x01, 0x7F]
        );
        assert_eq!(EcdsaSignature::from_der(&der).unwrap(), sig);
    }

    #[test]
    fn rejects_malformed_der() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x03, 0x02, 0x01, 0x01],
            &[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01], // r = 0
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01], // negative
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01], // non-minimal
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00], // trailing
        ] {
            assert!(EcdsaSignature::from_der(bad).is_err(), "{bad:02x?}");
        }
    }
}
