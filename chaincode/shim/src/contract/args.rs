//! Decoding transaction arguments into typed parameters.
//!
//! The rules of the Go and Node contract APIs: a string parameter receives the argument as is
//! (no quotes); every other type is parsed from the argument as JSON.
//!
//! The dispatch happens in a serde [`Deserializer`] over the raw argument, so it follows the
//! parameter's `Deserialize` implementation rather than a list of known types:
//!
//! | the parameter asks for | it gets |
//! |---|---|
//! | a string (`String`, `Box<str>`, `Cow<str>`, a newtype around one, ...) | the argument as UTF-8 text |
//! | bytes (`serde_bytes::ByteBuf`, ...) | the argument's bytes |
//! | a `char` | the argument, which must be one character |
//! | an `Option<T>` | `None` for the argument `null`, else `Some` of `T` decoded by these rules |
//! | an enum | JSON (`"Red"`, `{"Custom":5}`), or a bare unit-variant name (`Red`) |
//! | anything else (numbers, `bool`, structs, sequences, maps, `serde_json::Value`) | the argument parsed as one JSON value |

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::de::SliceRead;

/// Decodes one argument into `T`.
pub(crate) fn decode_arg<T: DeserializeOwned>(raw: &[u8]) -> Result<T, serde_json::Error> {
    T::deserialize(ArgDeserializer { raw })
}

/// A deserializer over one raw argument.
struct ArgDeserializer<'a> {
    raw: &'a [u8],
}

impl<'de> ArgDeserializer<'de> {
    fn json<V>(
        self,
        f: impl FnOnce(&mut serde_json::Deserializer<SliceRead<'de>>) -> Result<V, serde_json::Error>,
    ) -> Result<V, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(self.raw);
        let value = f(&mut de)?;
        de.end()?;
        Ok(value)
    }

    fn text(&self) -> Result<&'de str, serde_json::Error> {
        std::str::from_utf8(self.raw)
            .map_err(|e| de::Error::custom(format!("the argument is not valid UTF-8 ({e})")))
    }

    fn trimmed(&self) -> &'de [u8] {
        self.raw.trim_ascii()
    }
}

macro_rules! forward_to_json {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
                self.json(|d| d.$method(visitor))
            }
        )*
    };
}

impl<'de> Deserializer<'de> for ArgDeserializer<'de> {
    type Error = serde_json::Error;

    forward_to_json!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_ignored_any,
    );

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_str(self.text()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_str(self.text()?)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_str(self.text()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let text = self.text()?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(de::Error::custom(
                "expected exactly one character as the argument",
            )),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_bytes(self.raw)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_bytes(self.raw)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.trimmed() == b"null" {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json(|d| d.deserialize_unit_struct(name, visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json(|d| d.deserialize_tuple(len, visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json(|d| d.deserialize_tuple_struct(name, len, visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.json(|d| d.deserialize_struct(name, fields, visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.trimmed().first() {
            Some(b'"' | b'{') => self.json(|d| d.deserialize_enum(name, variants, visitor)),
            _ => {
                let text = self.text()?;
                let variant = de::value::BorrowedStrDeserializer::<serde_json::Error>::new(text);
                visitor.visit_enum(variant)
            }
        }
    }
}

/// A type name without module paths: `alloc::vec::Vec<my::Asset>` → `Vec<Asset>`.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    let mut chars = full.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == ':' && chars.peek().map(|&(_, n)| n) == Some(':') {
            chars.next();
            out.truncate(segment_start);
            continue;
        }
        out.push(c);
        if !(c.is_alphanumeric() || c == '_') {
            segment_start = out.len();
        }
    }
    out
}

/// How a parameter is expected, for error messages: `u64 (a JSON integer)`.
pub(crate) fn describe_expected(type_name: &str, schema: &serde_json::Value) -> String {
    let kind = match schema.get("type") {
        Some(serde_json::Value::String(t)) if t == "string" => "text".to_owned(),
        Some(serde_json::Value::String(t)) => format!("a JSON {t}"),
        Some(serde_json::Value::Array(types)) => {
            let names: Vec<&str> = types.iter().filter_map(|t| t.as_str()).collect();
            format!("a JSON {}", names.join(" or "))
        }
        _ => "JSON".to_owned(),
    };
    format!("{type_name} ({kind})")
}

/// The argument as shown in an error message: lossy UTF-8, at most 64 characters, quoted.
pub(crate) fn show_argument(raw: &[u8]) -> String {
    const MAX: usize = 64;
    let text = String::from_utf8_lossy(raw);
    let mut shown: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        shown.push('…');
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Id(String);

    #[derive(Debug, Deserialize, PartialEq)]
    enum Color {
        Red,
        Custom(u8),
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Point {
        x: i32,
        y: i32,
    }

    #[test]
    fn strings_are_raw() {
        assert_eq!(decode_arg::<String>(b"hello").unwrap(), "hello");
        assert_eq!(decode_arg::<String>(b"\"q\"").unwrap(), "\"q\"");
        assert_eq!(decode_arg::<String>(b"").unwrap(), "");
        assert_eq!(decode_arg::<Id>(b"a b").unwrap(), Id("a b".into()));
        assert_eq!(decode_arg::<Box<str>>(b"x").unwrap(), "x".into());
        assert!(decode_arg::<String>(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn other_types_are_json() {
        assert_eq!(decode_arg::<u64>(b"7").unwrap(), 7);
        assert_eq!(decode_arg::<u64>(b" 7 ").unwrap(), 7);
        assert!(decode_arg::<u64>(b"-1").is_err());
        assert!(decode_arg::<u64>(b"7x").is_err());
        assert!(decode_arg::<u64>(b"").is_err());
        assert!(decode_arg::<u8>(b"256").is_err());
        assert_eq!(decode_arg::<f64>(b"1.5").unwrap(), 1.5);
        assert!(decode_arg::<bool>(b"true").unwrap());
        assert_eq!(
            decode_arg::<Point>(br#"{"x":1,"y":-2}"#).unwrap(),
            Point { x: 1, y: -2 }
        );
        assert!(decode_arg::<Point>(br#"{"x":1}"#).is_err());
        assert_eq!(
            decode_arg::<Vec<String>>(br#"["a","b"]"#).unwrap(),
            vec!["a", "b"]
        );
        assert_eq!(
            decode_arg::<BTreeMap<String, u8>>(br#"{"a":1}"#).unwrap(),
            BTreeMap::from([("a".to_owned(), 1)])
        );
        assert_eq!(
            decode_arg::<serde_json::Value>(b"[1]").unwrap(),
            serde_json::json!([1])
        );
    }

    #[test]
    fn options_enums_chars_bytes() {
        assert_eq!(decode_arg::<Option<u8>>(b"null").unwrap(), None);
        assert_eq!(decode_arg::<Option<u8>>(b"3").unwrap(), Some(3));
        assert_eq!(
            decode_arg::<Option<String>>(b"abc").unwrap(),
            Some("abc".into())
        );
        assert_eq!(decode_arg::<Color>(b"Red").unwrap(), Color::Red);
        assert_eq!(decode_arg::<Color>(b"\"Red\"").unwrap(), Color::Red);
        assert_eq!(
            decode_arg::<Color>(br#"{"Custom":5}"#).unwrap(),
            Color::Custom(5)
        );
        assert!(decode_arg::<Color>(b"Blue").is_err());
        assert_eq!(decode_arg::<char>("é".as_bytes()).unwrap(), 'é');
        assert!(decode_arg::<char>(b"ab").is_err());
    }

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("u64"), "u64");
        assert_eq!(short_type_name("alloc::string::String"), "String");
        assert_eq!(
            short_type_name("alloc::vec::Vec<my_crate::model::Asset>"),
            "Vec<Asset>"
        );
        assert_eq!(
            short_type_name("core::option::Option<(u8, alloc::string::String)>"),
            "Option<(u8, String)>"
        );
    }
}
