//! Canonical JSON: the one byte form of a value that every endorser, client and verifier
//! computes alike.
//!
//! - no whitespace;
//! - the keys of every object, at every depth, sorted by UTF-16 code units (what
//!   `json-stringify-deterministic` and Go's `json.Marshal` of maps do; for the ASCII keys of
//!   this model it is plain byte order);
//! - strings escaped as `JSON.stringify` escapes them (`"`, `\` and control characters only;
//!   everything else as UTF-8);
//! - integers only: a float anywhere is an error (money is integer KRW, times are strings).
//!
//! The order of a serde_json `Map` is not relied upon (another crate in a build may turn on
//! `preserve_order`): keys are sorted here.

use serde::Serialize;
use serde_json::Value;

use crate::error::ModelError;

/// The canonical JSON bytes of a value.
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ModelError> {
    let value = serde_json::to_value(value)?;
    let mut out = Vec::with_capacity(128);
    write_value(&mut out, &value, &Path::Root)?;
    Ok(out)
}

/// The canonical JSON text of a value.
pub fn to_canonical_string<T: Serialize + ?Sized>(value: &T) -> Result<String, ModelError> {
    let bytes = to_canonical_vec(value)?;
    // Only UTF-8 is ever written (serde_json strings and ASCII punctuation).
    String::from_utf8(bytes).map_err(|e| ModelError::NotCanonical {
        path: "$".to_owned(),
        reason: format!("not UTF-8: {e}"),
    })
}

/// Where a value sits in the document, spelled out (`$.items[0].price`) only for an error.
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Field(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Whether object keys in `BTreeMap` order (UTF-8 byte order) are also in the UTF-16 code unit
/// order canonical JSON sorts by: the two differ only for characters above U+FFFF against
/// U+E000–U+FFFF, so keys without either are in order already.
fn needs_utf16_sort(map: &serde_json::Map<String, Value>) -> bool {
    map.keys().any(|k| k.chars().any(|c| c >= '\u{e000}'))
}

fn write_value(out: &mut Vec<u8>, value: &Value, path: &Path<'_>) -> Result<(), ModelError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                // serde_json prints integers exactly, without exponent or fraction.
                out.extend_from_slice(n.to_string().as_bytes());
            } else {
                return Err(ModelError::NotCanonical {
                    path: path.to_string(),
                    reason: format!(
                        "{n} is not an integer (no floats: use integer KRW, counts, or strings)"
                    ),
                });
            }
        }
        Value::String(s) => write_string(out, s)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, &Path::Index(path, i))?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if needs_utf16_sort(map) {
                entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            } else {
                // serde_json's map keeps keys sorted (BTreeMap) unless a crate in the build
                // turns on `preserve_order`: sort then (already-sorted input is one pass).
                entries.sort_by_key(|(k, _)| *k);
            }
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, key)?;
                out.push(b':');
                write_value(out, item, &Path::Field(path, key))?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(out: &mut Vec<u8>, s: &str) -> Result<(), ModelError> {
    serde_json::to_writer(&mut *out, s)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth_and_no_whitespace() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": true, "x": null}], "c": "é\"\n"}});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            r#"{"a":{"c":"é\"\n","z":[3,{"x":null,"y":true}]},"b":1}"#
        );
    }

    #[test]
    fn floats_are_refused_with_their_path() {
        let v = json!({"items": [{"price": 1.5}]});
        let e = to_canonical_vec(&v).unwrap_err().to_string();
        assert!(e.contains("$.items[0].price"), "{e}");
        assert!(e.contains("not an integer"), "{e}");
    }

    #[test]
    fn large_integers_are_exact() {
        let v = json!({"n": u64::MAX, "m": i64::MIN});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            format!("{{\"m\":{},\"n\":{}}}", i64::MIN, u64::MAX)
        );
    }

    #[test]
    fn utf16_order_differs_from_byte_order_above_the_bmp() {
        // U+FF21 (one UTF-16 unit 0xFF21) sorts after U+1F600 (surrogates 0xD83D...) in UTF-16.
        let v = json!({"\u{FF21}": 1, "\u{1F600}": 2});
        assert_eq!(
            to_canonical_string(&v).unwrap(),
            "{\"\u{1F600}\":2,\"\u{FF21}\":1}"
        );
    }
}
