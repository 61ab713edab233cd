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
    write_value(&mut out, &value, &mut String::from("$"))?;
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

fn write_value(out: &mut Vec<u8>, value: &Value, path: &mut String) -> Result<(), ModelError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(ModelError::NotCanonical {
                    path: path.clone(),
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
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                write_value(out, item, path)?;
                path.truncate(len);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, key)?;
                out.push(b':');
                let len = path.len();
                path.push('.');
                path.push_str(key);
                write_value(out, item, path)?;
                path.truncate(len);
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
