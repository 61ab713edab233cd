//! Distinguished names formatted the way Fabric (Go's `pkix.Name.String()`) prints them.
//!
//! Fabric's client identity ID (`x509::<subject>::<issuer>`) embeds the subject and issuer DNs
//! in that form, so it must be reproduced exactly. The rules, for a name parsed from a
//! certificate:
//!
//! - Attributes of the nine well-known types (C, ST, L, STREET, POSTALCODE, O, OU, CN,
//!   SERIALNUMBER) are gathered by type, in the fixed order C, ST, L, STREET, POSTALCODE, O, OU,
//!   CN, SERIALNUMBER; all values of one type form one (multi-valued) RDN whose parts are joined
//!   by `+` in certificate order (CN and SERIALNUMBER keep only their last value). Well-known
//!   attributes whose value is not a string are dropped.
//! - Every other attribute is its own RDN, placed before those, in certificate order, printed as
//!   `<dotted OID>=#<hex of the DER encoding of the value>` (a string value is re-encoded as a
//!   PrintableString when every character allows it, else as a UTF8String).
//! - The RDN sequence is printed in **reverse** order, RDNs joined by `,`.
//! - Values escape `, + " \ < > ;`, a leading space or `#` and a trailing space with `\`.

use x509_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::x509::X509Name;

/// The value of one attribute of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    /// A string type (PrintableString, IA5String, UTF8String, NumericString, T61String,
    /// BMPString), decoded.
    Str(String),
    /// Anything else, as its complete DER encoding (tag, length, contents).
    Other(Vec<u8>),
}

/// One attribute (type and value) of a name, in certificate order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// The attribute type as a dotted OID (`2.5.4.3` for CN).
    pub oid: String,
    /// The value.
    pub value: AttrValue,
}

/// The well-known types in Go's output order, with their short names.
const KNOWN: [(&str, &str); 9] = [
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
];

fn known_name(oid: &str) -> Option<&'static str> {
    KNOWN.iter().find(|(o, _)| *o == oid).map(|(_, n)| *n)
}

/// The attributes of a parsed X.509 name, flattened in certificate order.
pub fn attrs_of(name: &X509Name<'_>) -> Vec<Attr> {
    name.iter_attributes()
        .map(|atv| Attr {
            oid: atv.attr_type().to_id_string(),
            value: value_of(atv.attr_value()),
        })
        .collect()
}

fn value_of(any: &Any<'_>) -> AttrValue {
    if any.class() == Class::Universal && !any.header.is_constructed() {
        let t = any.tag();
        let s = if t == Tag::PrintableString
            || t == Tag::Ia5String
            || t == Tag::Utf8String
            || t == Tag::NumericString
        {
            std::str::from_utf8(any.data).ok().map(str::to_owned)
        } else if t == Tag::T61String {
            // Go reads T61String bytes as they are; keep them if they are UTF-8.
            std::str::from_utf8(any.data).ok().map(str::to_owned)
        } else if t == Tag::BmpString {
            decode_bmp(any.data)
        } else {
            None
        };
        if let Some(s) = s {
            return AttrValue::Str(s);
        }
    }
    AttrValue::Other(der_of(any))
}

fn decode_bmp(data: &[u8]) -> Option<String> {
    if data.len() & 1 == 1 {
        return None;
    }
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// Re-assembles the DER encoding of a parsed value (identifier octets, length, contents).
fn der_of(any: &Any<'_>) -> Vec<u8> {
    let class_bits: u8 = match any.class() {
        Class::Universal => 0x00,
        Class::Application => 0x40,
        Class::ContextSpecific => 0x80,
        Class::Private => 0xc0,
    };
    let cons: u8 = if any.header.is_constructed() { 0x20 } else { 0 };
    let tag = any.tag().0;
    let mut out = Vec::with_capacity(any.data.len() + 8);
    if tag < 31 {
        out.push(class_bits | cons | tag as u8);
    } else {
        out.push(class_bits | cons | 0x1f);
        let mut groups = Vec::new();
        let mut t = tag;
        loop {
            groups.push((t & 0x7f) as u8);
            t >>= 7;
            if t == 0 {
                break;
            }
        }
        for (i, g) in groups.iter().enumerate().rev() {
            out.push(if i == 0 { *g } else { g | 0x80 });
        }
    }
    push_len(&mut out, any.data.len());
    out.extend_from_slice(any.data);
    out
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = &bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Go's ASN.1 PrintableString character set (without `*` and `&`).
fn go_printable(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            ' ' | '\'' | '(' | ')' | '+' | ',' | '-' | '.' | '/' | ':' | '=' | '?'
        )
}

/// The DER encoding Go's `asn1.Marshal` gives a string: PrintableString when possible, else
/// UTF8String.
fn marshal_string(s: &str) -> Vec<u8> {
    let tag = if s.chars().all(go_printable) {
        0x13
    } else {
        0x0c
    };
    let mut out = vec![tag];
    push_len(&mut out, s.len());
    out.extend_from_slice(s.as_bytes());
    out
}

/// Escapes one attribute value: `, + " \ < > ;` anywhere, a leading space or `#`, a trailing
/// space.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let last = value.len().saturating_sub(1);
    for (k, c) in value.char_indices() {
        let escape = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => k == 0 || k == last,
            '#' => k == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Formats a name's attributes (in certificate order) as Go's `pkix.Name.String()` does.
pub fn format_name(attrs: &[Attr]) -> String {
    // Each RDN is a list of (type label, rendered value) parts.
    let mut rdns: Vec<Vec<String>> = Vec::new();
    // Non-standard attributes first (they end up last once reversed).
    for a in attrs {
        if known_name(&a.oid).is_none() {
            let der = match &a.value {
                AttrValue::Str(s) => marshal_string(s),
                AttrValue::Other(d) => d.clone(),
            };
            rdns.push(vec![format!("{}=#{}", a.oid, hex::encode(der))]);
        }
    }
    for (oid, label) in KNOWN {
        let values: Vec<&str> = attrs
            .iter()
            .filter(|a| a.oid == oid)
            .filter_map(|a| match &a.value {
                AttrValue::Str(s) => Some(s.as_str()),
                AttrValue::Other(_) => None,
            })
            .collect();
        let values: Vec<&str> = match label {
            // Single-valued fields in Go: the last value wins.
            "CN" | "SERIALNUMBER" => values.last().into_iter().copied().collect(),
            _ => values,
        };
        let values: Vec<&str> = values
            .into_iter()
            .filter(|v| !(matches!(label, "CN" | "SERIALNUMBER") && v.is_empty()))
            .collect();
        if !values.is_empty() {
            rdns.push(
                values
                    .iter()
                    .map(|v| format!("{label}={}", escape_value(v)))
                    .collect(),
            );
        }
    }
    rdns.iter()
        .rev()
        .map(|parts| parts.join("+"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Formats a parsed X.509 name as Go's `pkix.Name.String()` does.
pub fn go_name_string(name: &X509Name<'_>) -> String {
    format_name(&attrs_of(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(oid: &str, v: &str) -> Attr {
        Attr {
            oid: oid.into(),
            value: AttrValue::Str(v.into()),
        }
    }

    #[test]
    fn reverse_order_and_grouping() {
        let attrs = [
            s("2.5.4.6", "US"),
            s("2.5.4.8", "California"),
            s("2.5.4.7", "San Francisco"),
            s("2.5.4.11", "client"),
            s("2.5.4.3", "User1@org1.example.com"),
        ];
        assert_eq!(
            format_name(&attrs),
            "CN=User1@org1.example.com,OU=client,L=San Francisco,ST=California,C=US"
        );
        // Fabric CA style: several OUs form one multi-valued RDN, O before L in Go's order.
        let attrs = [
            s("2.5.4.3", "user1"),
            s("2.5.4.11", "client"),
            s("2.5.4.11", "org1"),
            s("2.5.4.11", "department1"),
            s("2.5.4.10", "Hyperledger"),
            s("2.5.4.7", "Raleigh"),
        ];
        assert_eq!(
            format_name(&attrs),
            "CN=user1,OU=client+OU=org1+OU=department1,O=Hyperledger,L=Raleigh"
        );
    }

    #[test]
    fn unknown_types_as_hex_der_at_the_end() {
        let attrs = [
            s("2.5.4.3", "x"),
            s("1.2.840.113549.1.9.1", "a@b.c"),
            s("0.9.2342.19200300.100.1.25", "com"),
            Attr {
                oid: "1.2.3".into(),
                value: AttrValue::Other(vec![0x02, 0x01, 0x05]),
            },
        ];
        // '@' is not PrintableString in Go, so UTF8String (0x0c); "com" is PrintableString.
        assert_eq!(
            format_name(&attrs),
            "CN=x,1.2.3=#020105,0.9.2342.19200300.100.1.25=#1303636f6d,\
             1.2.840.113549.1.9.1=#0c056140622e63"
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(
            escape_value("a,b+c\"d\\e<f>g;h"),
            "a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h"
        );
        assert_eq!(escape_value(" lead"), "\\ lead");
        assert_eq!(escape_value("trail "), "trail\\ ");
        assert_eq!(escape_value("#x#"), "\\#x#");
        assert_eq!(escape_value("in side"), "in side");
        assert_eq!(escape_value(" "), "\\ ");
        assert_eq!(escape_value(""), "");
        assert_eq!(format_name(&[s("2.5.4.3", "Doe, John")]), "CN=Doe\\, John");
    }

    #[test]
    fn long_lengths() {
        let v = "a".repeat(200);
        let der = marshal_string(&v);
        assert_eq!(&der[..3], &[0x13, 0x81, 200]);
    }
}
