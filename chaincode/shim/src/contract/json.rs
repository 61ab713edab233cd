//! Canonical JSON for ledger values and responses.
//!
//! Every endorser must produce the same bytes, so JSON written by a contract has to be
//! deterministic. Two encodings are used:
//!
//! - **Return values** ([`crate::contract`] transaction results) are `serde_json` output: no
//!   whitespace, struct fields in declaration order, map entries in the map's iteration order
//!   (use `BTreeMap`, never `HashMap`), strings escaped as JavaScript's `JSON.stringify` escapes
//!   them (only `"`, `\` and control characters; everything else as UTF-8).
//! - **Sorted JSON** ([`to_sorted_vec`]): the same, but the keys of every object, at every depth,
//!   in ascending order of their UTF-16 code units — exactly what the Fabric samples write with
//!   `json-stringify-deterministic` + `sort-keys-recursive`, and what Go's `json.Marshal`
//!   produces for maps. Integers are written exactly; other numbers as JavaScript writes them
//!   (`1e+21`, `1.5`, `0.000001`); NaN and infinities cannot occur in a `serde_json::Value`.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::{Number, Value};

/// Serializes `value` as sorted JSON (see the [module docs](self)).
pub fn to_sorted_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = Vec::new();
    write_sorted(&value, &mut out);
    Ok(out)
}

/// Serializes `value` as a sorted JSON string.
pub fn to_sorted_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let bytes = to_sorted_vec(value)?;
    // The writer only emits UTF-8 (serde_json strings and ASCII punctuation).
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes a JSON value with every object's keys sorted by UTF-16 code units.
pub fn write_sorted(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(number_text(n).as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| utf16_cmp(a.0, b.0));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_sorted(item, out);
            }
            out.push(b'}');
        }
    }
}

/// Orders strings as JavaScript's default `Array.prototype.sort` does: by UTF-16 code units.
pub fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // serde_json escapes exactly the characters JSON.stringify escapes; serializing a str
    // cannot fail.
    match serde_json::to_vec(s) {
        Ok(bytes) => out.extend_from_slice(&bytes),
        Err(_) => out.extend_from_slice(b"\"\""),
    }
}

fn number_text(n: &Number) -> String {
    if let Some(u) = n.as_u64() {
        u.to_string()
    } else if let Some(i) = n.as_i64() {
        i.to_string()
    } else {
        js_number(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Formats a number as JavaScript's `Number.prototype.toString()` (and so `JSON.stringify`,
/// except that `JSON.stringify` writes `null` for NaN and the infinities, as this does).
pub fn js_number(x: f64) -> String {
    if !x.is_finite() {
        return "null".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    // Shortest round-trip digits, as ECMAScript requires: Rust's `{:e}` gives "d.ddde±x".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i64;
    // The value is 0.digits × 10^n.
    let n = exponent + 1;
    let mut s = String::new();
    if x < 0.0 {
        s.push('-');
    }
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        s.push_str(int);
        s.push('.');
        s.push_str(frac);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        s.push_str(first);
        if !rest.is_empty() {
            s.push('.');
            s.push_str(rest);
        }
        s.push('e');
        s.push(if n - 1 < 0 { '-' } else { '+' });
        s.push_str(&(n - 1).abs().to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_numbers() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (7.0, "7"),
            (-7.5, "-7.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (2.5e25, "2.5e+25"),
            (18446744073709551616.0, "18446744073709552000"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
        ];
        for (x, want) in cases {
            assert_eq!(js_number(x), want, "{x}");
        }
    }

    proptest::proptest! {
        /// The JavaScript text of any finite number reads back as the same number.
        #[test]
        fn js_numbers_round_trip(bits in proptest::prelude::any::<u64>()) {
            let x = f64::from_bits(bits);
            if x.is_finite() {
                let text = js_number(x);
                let back: f64 = text.parse().unwrap_or(f64::NAN);
                proptest::prop_assert!(back == x, "{x:e} -> {text}");
            }
        }
    }

    #[test]
    fn sorted_keys_at_every_depth() {
        let v = serde_json::json!({"b": [{"z": 1, "a": 2}], "A": "x", "a": null, "é": 1.5});
        assert_eq!(
            to_sorted_string(&v).unwrap(),
            r#"{"A":"x","a":null,"b":[{"a":2,"z":1}],"é":1.5}"#
        );
    }

    #[test]
    fn utf16_order_differs_from_utf8_order() {
        // In UTF-8, U+1F600 (F0 ..) sorts after U+FF61 (EF ..); in UTF-16 its high surrogate
        // 0xD83D sorts before 0xFF61, so JavaScript puts the emoji first.
        let v = serde_json::json!({"\u{FF61}": 1, "\u{1F600}": 2});
        assert_eq!(
            to_sorted_string(&v).unwrap(),
            "{\"\u{1F600}\":2,\"\u{FF61}\":1}"
        );
    }

    #[test]
    fn escapes_like_json_stringify() {
        let v = serde_json::json!({"k": "a\"b\\c\n\u{1}\u{7f}é"});
        assert_eq!(
            to_sorted_string(&v).unwrap(),
            "{\"k\":\"a\\\"b\\\\c\\n\\u0001\u{7f}é\"}"
        );
    }
}
