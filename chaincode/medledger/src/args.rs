//! [`Arg`]: a typed argument that fails with a 400 naming the field.
//!
//! The contract API parses non-string parameters itself and answers a malformed one with a 500
//! (what the Go and Node contract APIs do). The medical contract promises a 400 that names the
//! field, so its non-string parameters are `Arg<T>`: the router hands over the text, the
//! function parses it with [`Arg::parse`]. The contract metadata still shows `T`'s schema.
//!
//! The text is read like the contract API reads arguments: JSON (`3`, `["a","b"]`,
//! `{"start":"…"}`, `"treatment"`), and a bare word for a string-like value (`treatment`).
//! An empty argument is JSON `null` (so `Arg<Option<T>>` is optional).

use std::borrow::Cow;
use std::marker::PhantomData;

use fabric_chaincode::contract::JsonSchema;
use schemars::{Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::MedError;

/// A transaction argument of type `T`, parsed on demand.
#[derive(Debug, Clone)]
pub struct Arg<T> {
    raw: String,
    _type: PhantomData<fn() -> T>,
}

impl<T> Arg<T> {
    /// An argument from its text (tests, callers inside the crate).
    pub fn from_text(raw: impl Into<String>) -> Self {
        Arg {
            raw: raw.into(),
            _type: PhantomData,
        }
    }

    /// The argument as sent.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

impl<T: DeserializeOwned> Arg<T> {
    /// Parses the argument; a failure is a 400 naming `field` (and the path inside it).
    pub fn parse(&self, field: &str) -> Result<T, MedError> {
        let text = self.raw.trim();
        let text = if text.is_empty() { "null" } else { text };
        if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
            // Not JSON: a bare word for a string-like value (`treatment` for "treatment").
            return T::deserialize(serde_json::Value::String(text.to_owned()))
                .map_err(|e| MedError::bad_input(field, e.to_string()));
        }
        parse_json::<T>(text)
            .map_err(|(suffix, reason)| MedError::bad_input(format!("{field}{suffix}"), reason))
    }
}

/// Parses JSON; on failure the path inside the argument (`.start`, `[1]`, or empty) and the
/// reason.
fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let result: Result<T, serde_path_to_error::Error<serde_json::Error>> =
        serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(v) => de
            .end()
            .map(|()| v)
            .map_err(|e| (String::new(), e.to_string())),
        Err(e) => {
            let path = e.path().to_string();
            let reason = e.into_inner().to_string();
            let suffix = if path == "." || path.is_empty() {
                String::new()
            } else if path.starts_with('[') {
                path
            } else {
                format!(".{path}")
            };
            Err((suffix, reason))
        }
    }
}

impl<'de, T> Deserialize<'de> for Arg<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The contract API gives a string-asking parameter the argument's text as is.
        String::deserialize(d).map(Arg::from_text)
    }
}

impl<T: JsonSchema> JsonSchema for Arg<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medledger_model::{ConsentPurpose, Period, RecordCategory};

    #[test]
    fn numbers_lists_structs_and_bare_words() -> Result<(), MedError> {
        assert_eq!(Arg::<u32>::from_text("3").parse("validity_days")?, 3);
        assert_eq!(
            Arg::<Option<u32>>::from_text("").parse("validity_days")?,
            None
        );
        assert_eq!(
            Arg::<ConsentPurpose>::from_text("insurance_claim").parse("purpose")?,
            ConsentPurpose::InsuranceClaim
        );
        assert_eq!(
            Arg::<ConsentPurpose>::from_text("\"research\"").parse("purpose")?,
            ConsentPurpose::Research
        );
        assert_eq!(
            Arg::<Vec<RecordCategory>>::from_text(r#"["lab","imaging"]"#).parse("scopes")?,
            [RecordCategory::Lab, RecordCategory::Imaging]
        );
        let p = Arg::<Period>::from_text(r#"{"start":"2024-01-01T00:00:00Z"}"#).parse("period")?;
        assert_eq!(p.end, None);
        Ok(())
    }

    #[test]
    fn failures_are_400_naming_the_field_and_the_path() {
        let e = Arg::<u32>::from_text("three")
            .parse("validity_days")
            .unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(
            e.to_string().starts_with("bad input: validity_days: "),
            "{e}"
        );

        let e = Arg::<Vec<RecordCategory>>::from_text(r#"["lab","xray"]"#)
            .parse("scopes")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bad input: scopes[1]: unknown variant `xray`"),
            "{e}"
        );

        let e = Arg::<Period>::from_text(r#"{"start":"yesterday"}"#)
            .parse("period")
            .unwrap_err();
        assert!(
            e.to_string().starts_with("bad input: period.start: "),
            "{e}"
        );

        let e = Arg::<ConsentPurpose>::from_text("marketing")
            .parse("purpose")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bad input: purpose: unknown variant `marketing`"),
            "{e}"
        );

        let e = Arg::<u32>::from_text("3 4").parse("n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bad input: n: invalid type: string \"3 4\", expected u32"),
            "{e}"
        );
    }
}
