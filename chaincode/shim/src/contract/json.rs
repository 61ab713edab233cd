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
use std::io::Write as _;

use serde::Serialize;
use serde_json::{Number, Value};

/// Serializes `value` as sorted JSON (see the [module docs](self)).
pub fn to_sorted_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(128);
    // Straight from `Serialize` when it can; otherwise through a `serde_json::Value`, which
    // defines the result (both give the same bytes, see `super::sorted`).
    if super::sorted::write(value, &mut out).is_ok() {
        return Ok(out);
    }
    out.clear();
    let value = serde_json::to_value(value)?;
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
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_escaped(s, out),
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
                write_escaped(key, out);
                out.push(b':');
                write_sorted(item, out);
            }
            out.push(b'}');
        }
    }
}

/// Orders strings as JavaScript's default `Array.prototype.sort` does: by UTF-16 code units.
pub fn utf16_cmp(a: &str, b: &str) -> Ordering {
    // Without characters outside the BMP (4-byte UTF-8 sequences, surrogate pairs in UTF-16)
    // UTF-16 order is code point order, which is UTF-8 byte order.
    let supplementary = |s: &str| s.bytes().any(|b| b >= 0xF0);
    if !supplementary(a) && !supplementary(b) {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// [`utf16_cmp`] of two UTF-8 strings given as bytes.
pub(super) fn utf16_cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let supplementary = |s: &[u8]| s.iter().any(|b| *b >= 0xF0);
    if !supplementary(a) && !supplementary(b) {
        return a.cmp(b);
    }
    match (std::str::from_utf8(a), std::str::from_utf8(b)) {
        (Ok(a), Ok(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        _ => a.cmp(b),
    }
}

/// [`write_escaped`] of text known to be UTF-8, given as bytes.
pub(super) fn write_escaped_utf8(s: &[u8], out: &mut Vec<u8>) {
    if !needs_escape(s) {
        write_quoted(s, out);
    } else {
        write_escaped(std::str::from_utf8(s).unwrap_or_default(), out);
    }
}

/// `"`, `\` and control characters are the only ones JSON.stringify (and serde_json) escape.
fn needs_escape(s: &[u8]) -> bool {
    s.iter().any(|b| *b < 0x20 || *b == b'"' || *b == b'\\')
}

fn write_quoted(s: &[u8], out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s);
    out.push(b'"');
}

/// Writes `s` as a JSON string, escaped as `JSON.stringify` does.
pub(super) fn write_escaped(s: &str, out: &mut Vec<u8>) {
    // Most strings need no escape at all.
    if !needs_escape(s.as_bytes()) {
        write_quoted(s.as_bytes(), out);
        return;
    }
    // serde_json escapes exactly the characters JSON.stringify escapes; writing a str to a Vec
    // cannot fail.
    let mark = out.len();
    if serde_json::to_writer(&mut *out, s).is_err() {
        out.truncate(mark);
        out.extend_from_slice(b"\"\"");
    }
}

fn write_number(n: &Number, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = if let Some(u) = n.as_u64() {
        write!(out, "{u}")
    } else if let Some(i) = n.as_i64() {
        write!(out, "{i}")
    } else {
        out.write_all(js_number(n.as_f64().unwrap_or(f64::NAN)).as_bytes())
    };
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

    proptest::proptest! {
        /// The byte-order shortcut agrees with a plain comparison of UTF-16 code units.
        #[test]
        fn utf16_order(a in "\\PC{0,6}", b in "\\PC{0,6}") {
            proptest::prop_assert_eq!(utf16_cmp(&a, &b), a.encode_utf16().cmp(b.encode_utf16()));
        }
    }

    /// The `Value` route, which defines the result of [`to_sorted_vec`].
    fn reference<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
        let value = serde_json::to_value(value).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        write_sorted(&value, &mut out);
        Ok(out)
    }

    /// The direct route gives the `Value` route's bytes (`direct` = it must not give up).
    fn same<T: Serialize + ?Sized + std::fmt::Debug>(value: &T, direct: bool) {
        let mut out = Vec::new();
        let wrote = super::super::sorted::write(value, &mut out).is_ok();
        assert_eq!(wrote, direct, "{value:?}: direct route taken");
        let got = to_sorted_vec(value).map_err(|e| e.to_string());
        assert_eq!(got, reference(value), "{value:?}");
        if wrote {
            assert_eq!(Ok(out), reference(value), "{value:?}");
        }
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[a-c\"\\\n\u{1}\u{7f}é\u{ff61}\u{1f600}]{0,4}".prop_map(Value::String),
            "\\PC{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(
                    "[aAbé\u{ff61}\u{1f600}_]{0,3}|\\PC{0,4}",
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Any JSON value: the direct route writes exactly what the `Value` route writes.
        #[test]
        fn direct_route_matches_value_route(v in arb_json()) {
            let mut out = Vec::new();
            proptest::prop_assert!(super::super::sorted::write(&v, &mut out).is_ok());
            proptest::prop_assert_eq!(Ok(out), reference(&v));
        }
    }

    #[test]
    fn direct_route_covers_serde_shapes() {
        use std::collections::BTreeMap;

        #[derive(Debug, Serialize)]
        struct Unit;
        #[derive(Debug, Serialize)]
        struct Newtype(String);
        #[derive(Debug, Serialize)]
        struct Tuple(u8, &'static str);
        #[derive(Debug, Serialize)]
        enum Kind {
            Plain,
            Wrapped(u32),
            Pair(i8, bool),
            Shaped { z: f32, a: Option<char> },
        }
        #[derive(Debug, Serialize)]
        struct Inner {
            zeta: u16,
            #[serde(rename = "Alpha")]
            alpha: Vec<u8>,
        }
        #[derive(Debug, Serialize)]
        struct Outer {
            #[serde(rename = "ID")]
            id: String,
            size: u64,
            ratio: f64,
            #[serde(with = "serde_bytes_like")]
            raw: Vec<u8>,
            missing: Option<u8>,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<u8>,
            unit: Unit,
            newtype: Newtype,
            tuple: Tuple,
            kinds: Vec<Kind>,
            inner: Inner,
            big: i128,
            small: i128,
            map: BTreeMap<u32, &'static str>,
            flags: BTreeMap<bool, u8>,
            #[serde(flatten)]
            extra: BTreeMap<String, u8>,
        }
        mod serde_bytes_like {
            pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(v)
            }
        }
        let outer = Outer {
            id: "a\"1".into(),
            size: u64::MAX,
            ratio: 1e21,
            raw: vec![0, 255],
            missing: None,
            skipped: None,
            unit: Unit,
            newtype: Newtype("n".into()),
            tuple: Tuple(7, "t"),
            kinds: vec![
                Kind::Plain,
                Kind::Wrapped(3),
                Kind::Pair(-1, true),
                Kind::Shaped {
                    z: 0.1,
                    a: Some('\u{1f600}'),
                },
                Kind::Shaped {
                    z: f32::NAN,
                    a: None,
                },
            ],
            inner: Inner {
                zeta: 1,
                alpha: vec![],
            },
            big: i128::from(u64::MAX),
            small: i128::from(i64::MIN),
            map: BTreeMap::from([(10, "ten"), (2, "two")]),
            flags: BTreeMap::from([(true, 1), (false, 0)]),
            // Same key as a field: the later entry wins, as in a map insert.
            extra: BTreeMap::from([("size".to_owned(), 9), ("Zed".to_owned(), 1)]),
        };
        same(&outer, true);
        same(&(1u8, "x", [1.5f64, -0.0]), true);
        same(&BTreeMap::from([('b', 1), ('a', 2)]), true);
        // What the direct route leaves to the `Value` route: same result either way.
        same(&u128::MAX, false);
        same(&i128::MIN, false);
        same(&BTreeMap::from([(vec![1u8], 1)]), false);
        same(&BTreeMap::from([(Some(1u8), 1)]), false);
        #[derive(Debug)]
        struct FloatKeys;
        impl Serialize for FloatKeys {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(&1.5f64, &1)?;
                m.end()
            }
        }
        same(&FloatKeys, false);
        #[derive(Debug)]
        struct Failing;
        impl Serialize for Failing {
            fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        same(&vec![Failing], false);
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
