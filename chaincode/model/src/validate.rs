//! Field rules: identifiers, code systems, free text. Every check names the field it refuses.
//!
//! Identifiers end up in public keys, events and arguments, so their alphabet is narrow on
//! purpose: ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most
//! 64 characters — no spaces, no Hangul, no `@`: a name or an e-mail address cannot be an id.
//! Nothing shaped like a resident registration number (주민등록번호, `YYMMDD-GNNNNNN`) is
//! accepted as an id either.

use crate::error::ValidationError;

/// Longest identifier.
pub const MAX_ID_LEN: usize = 64;

/// Checks an asset or patient identifier.
pub fn id(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if value.len() > MAX_ID_LEN {
        return Err(ValidationError::new(
            field,
            format!(
                "at most {MAX_ID_LEN} characters, got {}",
                value.chars().count()
            ),
        ));
    }
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) || !value.chars().all(ok_char) {
        return Err(ValidationError::new(
            field,
            "only ASCII letters, digits, '.', '_' and '-', starting with a letter or digit",
        ));
    }
    if looks_like_rrn(value) {
        return Err(ValidationError::new(
            field,
            "looks like a resident registration number; use a pseudonymous id",
        ));
    }
    Ok(())
}

/// Checks an MSP id (letters, digits, `.`, `_`, `-`).
pub fn msp_id(field: &str, value: &str) -> Result<(), ValidationError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_ID_LEN
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            "expected an MSP id (1-64 letters, digits, '.', '_' or '-')",
        ))
    }
}

/// Whether `s` contains something shaped like a Korean resident registration number: six
/// digits (a date `YYMMDD`), an optional `-` or space, then seven digits whose first is 1-8.
/// Matched anywhere in the text, not only as a whole.
pub fn looks_like_rrn(s: &str) -> bool {
    let b = s.as_bytes();
    let digit_run = |from: usize, n: usize| {
        from + n <= b.len() && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    for i in 0..b.len() {
        if i > 0 && b[i - 1].is_ascii_digit() {
            continue; // a run of digits is checked from its start
        }
        if !digit_run(i, 6) {
            continue;
        }
        let month = (b[i + 2] - b'0') * 10 + (b[i + 3] - b'0');
        let day = (b[i + 4] - b'0') * 10 + (b[i + 5] - b'0');
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            continue;
        }
        let mut j = i + 6;
        if j < b.len() && (b[j] == b'-' || b[j] == b' ') {
            j += 1;
        }
        if digit_run(j, 7) && (b'1'..=b'8').contains(&b[j]) {
            return true;
        }
    }
    false
}

/// Checks free text: not empty, at most `max` characters, no control characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    let n = value.chars().count();
    if n > max {
        return Err(ValidationError::new(
            field,
            format!("at most {max} characters, got {n}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A KCD-8 diagnosis code (the Korean ICD-10): a capital letter, two digits, optionally `.`
/// and one or two digits — `J20`, `J20.9`, `K35.80`.
pub fn kcd_code(field: &str, value: &str) -> Result<(), ValidationError> {
    let b = value.as_bytes();
    let ok = (b.len() == 3 || (5..=6).contains(&b.len()))
        && b[0].is_ascii_uppercase()
        && b[1..3].iter().all(u8::is_ascii_digit)
        && (b.len() == 3 || (b[3] == b'.' && b[4..].iter().all(u8::is_ascii_digit)));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "expected a KCD-8 diagnosis code such as J20 or J20.9, got {:?}",
                short(value)
            ),
        ))
    }
}

/// A Korean drug product code (의약품 표준코드 / 보험 EDI 코드): nine digits.
pub fn drug_code(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.len() == 9 && value.bytes().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "expected a 9-digit EDI drug code such as 645301220, got {:?}",
                short(value)
            ),
        ))
    }
}

/// A fee-schedule code (건강보험 행위 수가코드): a capital letter then 4 to 7 capital letters
/// or digits — `AA154`, `B0010`, `HA010`.
pub fn fee_code(field: &str, value: &str) -> Result<(), ValidationError> {
    let b = value.as_bytes();
    let ok = (5..=8).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "expected a fee-schedule code such as AA154 (5-8 capital letters and digits, a letter first), got {:?}",
                short(value)
            ),
        ))
    }
}

/// A claim review reason code (심사 조정 사유): 1 to 8 capital letters and digits.
pub fn reason_code(field: &str, value: &str) -> Result<(), ValidationError> {
    let ok = (1..=8).contains(&value.len())
        && value
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "expected a reason code of 1-8 capital letters and digits, got {:?}",
                short(value)
            ),
        ))
    }
}

/// A location URI of a document: `https://…` or `urn:…`, printable ASCII, at most 512
/// characters, without a query string or fragment (which is where names and ids of people
/// tend to creep into URLs; the location is public).
pub fn location_uri(field: &str, value: &str) -> Result<(), ValidationError> {
    let scheme_ok = value.starts_with("https://") || value.starts_with("urn:");
    if !scheme_ok {
        return Err(ValidationError::new(
            field,
            "expected an https:// URL or a urn: URI",
        ));
    }
    if value.len() > 512 {
        return Err(ValidationError::new(field, "at most 512 characters"));
    }
    if !value.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(ValidationError::new(
            field,
            "printable ASCII only (percent-encode anything else)",
        ));
    }
    if value.contains(['?', '#']) {
        return Err(ValidationError::new(
            field,
            "must not carry a query string or fragment (the location is public)",
        ));
    }
    if looks_like_rrn(value) {
        return Err(ValidationError::new(
            field,
            "contains something shaped like a resident registration number",
        ));
    }
    Ok(())
}

/// Checks that a list is not empty, has at most `max` entries and no duplicates.
pub fn list<T: PartialEq>(field: &str, items: &[T], max: usize) -> Result<(), ValidationError> {
    if items.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if items.len() > max {
        return Err(ValidationError::new(
            field,
            format!("at most {max} entries, got {}", items.len()),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            return Err(ValidationError::new(
                format!("{field}[{i}]"),
                "duplicate entry",
            ));
        }
    }
    Ok(())
}

fn short(value: &str) -> String {
    value.chars().take(24).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["P-SMC-000001", "RX-1", "a", "CLM.2024_01", &"x".repeat(64)] {
            assert!(id("id", ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("-x", "letter or digit"),
            ("홍길동", "ASCII"),
            ("a b", "ASCII"),
            ("kim@example.com", "ASCII"),
            ("P-840315-1234567", "resident registration"),
            ("8403151234567", "resident registration"),
            (&"x".repeat(65), "at most 64"),
        ] {
            let e = id("patient_id", bad).unwrap_err();
            assert_eq!(e.field, "patient_id");
            assert!(e.reason.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn rrn_shapes() {
        assert!(looks_like_rrn("840315-1234567"));
        assert!(looks_like_rrn("note: 840315 2234567 x"));
        assert!(looks_like_rrn("0103154234567"));
        // Not a date, a 9 as gender digit, too short, part of a longer number.
        assert!(!looks_like_rrn("841315-1234567"));
        assert!(!looks_like_rrn("840315-9234567"));
        assert!(!looks_like_rrn("840315-123456"));
        assert!(!looks_like_rrn("P-SMC-000001"));
        assert!(!looks_like_rrn("645301220"));
    }

    #[test]
    fn codes() {
        assert!(kcd_code("c", "J20").is_ok());
        assert!(kcd_code("c", "J20.9").is_ok());
        assert!(kcd_code("c", "K35.80").is_ok());
        for bad in ["j20", "J2", "J20.", "J20.123", "J209"] {
            assert!(kcd_code("c", bad).is_err(), "{bad}");
        }
        assert!(drug_code("c", "645301220").is_ok());
        assert!(drug_code("c", "64530122").is_err());
        assert!(fee_code("c", "AA154").is_ok());
        assert!(fee_code("c", "aa154").is_err());
        assert!(fee_code("c", "1A154").is_err());
        assert!(reason_code("c", "B1").is_ok());
        assert!(reason_code("c", "").is_err());
    }

    #[test]
    fn locations_and_text() {
        assert!(location_uri("l", "https://emr.smc.example/fhir/DocumentReference/77").is_ok());
        assert!(location_uri("l", "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427").is_ok());
        assert!(location_uri("l", "http://x").is_err());
        assert!(location_uri("l", "https://x/doc?name=kim").is_err());
        assert!(location_uri("l", "https://x/홍길동").is_err());
        assert!(text("notes", "after meals", 10).is_err());
        assert!(text("notes", "ok", 10).is_ok());
        assert!(text("notes", "a\u{7}", 10).is_err());
        assert!(text("notes", "  ", 10).is_err());
    }

    #[test]
    fn lists() {
        assert!(list("scopes", &[1, 2], 3).is_ok());
        assert_eq!(list("scopes", &[1, 1], 3).unwrap_err().field, "scopes[1]");
        assert!(list::<u8>("scopes", &[], 3).is_err());
        assert!(list("scopes", &[1, 2, 3, 4], 3).is_err());
    }
}
