//! Composite keys: `U+0000 ‖ objectType ‖ U+0000 ‖ attr1 ‖ U+0000 ‖ … ‖ attrN ‖ U+0000`.
//!
//! Object type and attributes must not contain U+0000 or U+10FFFF (Rust strings are always
//! valid UTF-8). A partial-key query ranges from the partial key to the partial key ‖ U+10FFFF.

use crate::{Error, Result};

/// The namespace prefix of every composite key.
pub const COMPOSITE_KEY_NAMESPACE: char = '\u{0000}';
/// The separator between components.
pub const MIN_UNICODE_RUNE: char = '\u{0000}';
/// The largest code point, used as the exclusive end of partial-key ranges.
pub const MAX_UNICODE_RUNE: char = '\u{10FFFF}';

fn check_component(what: &str, s: &str) -> Result<()> {
    if s.contains(MIN_UNICODE_RUNE) || s.contains(MAX_UNICODE_RUNE) {
        return Err(Error::CompositeKey(format!(
            "{what} {s:?} contains U+0000 or U+10FFFF, which composite keys reserve"
        )));
    }
    Ok(())
}

/// Builds a composite key from an object type and attributes.
pub fn create_composite_key<S: AsRef<str>>(object_type: &str, attributes: &[S]) -> Result<String> {
    check_component("object type", object_type)?;
    let mut key = String::with_capacity(
        2 + object_type.len()
            + attributes
                .iter()
                .map(|a| a.as_ref().len() + 1)
                .sum::<usize>(),
    );
    key.push(COMPOSITE_KEY_NAMESPACE);
    key.push_str(object_type);
    key.push(MIN_UNICODE_RUNE);
    for a in attributes {
        check_component("attribute", a.as_ref())?;
        key.push_str(a.as_ref());
        key.push(MIN_UNICODE_RUNE);
    }
    Ok(key)
}

/// Splits a composite key into its object type and attributes.
pub fn split_composite_key(key: &str) -> Result<(String, Vec<String>)> {
    let rest = key.strip_prefix(COMPOSITE_KEY_NAMESPACE).ok_or_else(|| {
        Error::CompositeKey(format!(
            "{key:?} is not a composite key (it does not start with U+0000)"
        ))
    })?;
    let body = rest.strip_suffix(MIN_UNICODE_RUNE).ok_or_else(|| {
        Error::CompositeKey(format!(
            "{key:?} is not a composite key (it does not end with U+0000)"
        ))
    })?;
    let mut parts = body.split(MIN_UNICODE_RUNE).map(str::to_owned);
    let object_type = parts.next().unwrap_or_default();
    Ok((object_type, parts.collect()))
}

/// Whether a key is a composite key (starts with U+0000).
pub fn is_composite_key(key: &str) -> bool {
    key.starts_with(COMPOSITE_KEY_NAMESPACE)
}

/// Checks a simple (non-composite) key as Fabric's shim does: it must not start with U+0000.
pub fn validate_simple_key(key: &str) -> Result<()> {
    if is_composite_key(key) {
        return Err(Error::CompositeKey(format!(
            "simple key {key:?} must not start with U+0000 (reserved for composite keys)"
        )));
    }
    Ok(())
}

/// The `[start, end)` range of every key that starts with the partial composite key.
pub fn partial_key_range<S: AsRef<str>>(
    object_type: &str,
    attributes: &[S],
) -> Result<(String, String)> {
    let start = create_composite_key(object_type, attributes)?;
    let mut end = start.clone();
    end.push(MAX_UNICODE_RUNE);
    Ok((start, end))
}

/// The `[start, end)` range of every composite key of the namespace.
pub fn all_composite_keys_range() -> (String, String) {
    (
        COMPOSITE_KEY_NAMESPACE.to_string(),
        format!("{COMPOSITE_KEY_NAMESPACE}{MAX_UNICODE_RUNE}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_split_round_trip() {
        let k = create_composite_key("color~name", &["blue", "asset7"]).unwrap();
        assert_eq!(k, "\u{0}color~name\u{0}blue\u{0}asset7\u{0}");
        let (t, a) = split_composite_key(&k).unwrap();
        assert_eq!(t, "color~name");
        assert_eq!(a, vec!["blue", "asset7"]);
    }

    #[test]
    fn no_attributes_and_empty_attribute() {
        let k = create_composite_key::<&str>("t", &[]).unwrap();
        assert_eq!(split_composite_key(&k).unwrap(), ("t".to_string(), vec![]));
        let k = create_composite_key("t", &[""]).unwrap();
        assert_eq!(
            split_composite_key(&k).unwrap(),
            ("t".to_string(), vec![String::new()])
        );
    }

    #[test]
    fn rejects_reserved_code_points_and_plain_keys() {
        assert!(create_composite_key("a\u{0}b", &["x"]).is_err());
        assert!(create_composite_key("a", &["x\u{10FFFF}"]).is_err());
        assert!(split_composite_key("plain").is_err());
        assert!(split_composite_key("\u{0}unterminated").is_err());
        assert!(validate_simple_key("\u{0}x").is_err());
        assert!(validate_simple_key("asset1").is_ok());
    }

    #[test]
    fn partial_range_matches_fabric_layout() {
        let (s, e) = partial_key_range("color~name", &["blue"]).unwrap();
        assert_eq!(s, "\u{0}color~name\u{0}blue\u{0}");
        assert_eq!(e.as_bytes(), b"\x00color~name\x00blue\x00\xF4\x8F\xBF\xBF");
    }
}
