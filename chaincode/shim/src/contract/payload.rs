//! Encoding a transaction function's return value as the response payload.
//!
//! The rules of the Node contract API (`JSONSerializer.toBuffer`) and Go's `JSONSerializer`:
//!
//! | the function returns | the payload is |
//! |---|---|
//! | `()` or `None` | empty |
//! | a string (`String`, `&str`, a newtype around one, a unit enum variant, a `char`) | its UTF-8 bytes, no quotes |
//! | bytes (`serde_bytes::ByteBuf`, ...) | the bytes |
//! | `Some(x)` | the payload of `x` |
//! | anything else | compact JSON from `serde_json` (see [`super::json`] for determinism) |
//!
//! The dispatch follows the value's `Serialize` implementation: only the outermost value is
//! looked at; a string inside a struct is of course quoted.

use std::fmt;

use bytes::Bytes;
use serde::Serialize;
use serde::ser::{self, Impossible};

/// Encodes a return value as a payload.
pub(crate) fn encode_return<T: Serialize + ?Sized>(value: &T) -> Result<Bytes, String> {
    match value.serialize(TopLevel) {
        Ok(bytes) => Ok(bytes),
        Err(TopError::Json) => serde_json::to_vec(value)
            .map(Bytes::from)
            .map_err(|e| e.to_string()),
        Err(TopError::Custom(message)) => Err(message),
    }
}

#[derive(Debug)]
enum TopError {
    /// Not a special case: encode as JSON.
    Json,
    /// The value's `Serialize` implementation failed.
    Custom(String),
}

impl fmt::Display for TopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopError::Json => f.write_str("encode as JSON"),
            TopError::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TopError {}

impl ser::Error for TopError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TopError::Custom(msg.to_string())
    }
}

/// Looks at the outermost value only.
struct TopLevel;

macro_rules! as_json {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method(self, _v: $ty) -> Result<Bytes, TopError> {
                Err(TopError::Json)
            }
        )*
    };
}

impl ser::Serializer for TopLevel {
    type Ok = Bytes;
    type Error = TopError;
    type SerializeSeq = Impossible<Bytes, TopError>;
    type SerializeTuple = Impossible<Bytes, TopError>;
    type SerializeTupleStruct = Impossible<Bytes, TopError>;
    type SerializeTupleVariant = Impossible<Bytes, TopError>;
    type SerializeMap = Impossible<Bytes, TopError>;
    type SerializeStruct = Impossible<Bytes, TopError>;
    type SerializeStructVariant = Impossible<Bytes, TopError>;

    as_json!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
    );

    fn serialize_char(self, v: char) -> Result<Bytes, TopError> {
        Ok(Bytes::from(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Bytes, TopError> {
        Ok(Bytes::copy_from_slice(v.as_bytes()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Bytes, TopError> {
        Ok(Bytes::copy_from_slice(v))
    }

    fn serialize_none(self) -> Result<Bytes, TopError> {
        Ok(Bytes::new())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Bytes, TopError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Bytes, TopError> {
        Ok(Bytes::new())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Bytes, TopError> {
        Err(TopError::Json)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Bytes, TopError> {
        Ok(Bytes::from_static(variant.as_bytes()))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Bytes, TopError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Bytes, TopError> {
        Err(TopError::Json)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, TopError> {
        Err(TopError::Json)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, TopError> {
        Err(TopError::Json)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, TopError> {
        Err(TopError::Json)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, TopError> {
        Err(TopError::Json)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, TopError> {
        Err(TopError::Json)
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, TopError> {
        Err(TopError::Json)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, TopError> {
        Err(TopError::Json)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    struct Asset {
        #[serde(rename = "ID")]
        id: String,
        size: u64,
    }

    #[derive(Serialize)]
    struct Name(String);

    #[derive(Serialize)]
    enum Color {
        Red,
        Custom(u8),
    }

    fn enc<T: Serialize>(v: T) -> Vec<u8> {
        encode_return(&v).unwrap().to_vec()
    }

    #[test]
    fn encodings() {
        assert_eq!(enc(()), b"");
        assert_eq!(enc(None::<u8>), b"");
        assert_eq!(enc("Alice".to_owned()), b"Alice");
        assert_eq!(enc("x"), b"x");
        assert_eq!(enc(Some("y".to_owned())), b"y");
        assert_eq!(enc(Name("n".into())), b"n");
        assert_eq!(enc(true), b"true");
        assert_eq!(enc(7u64), b"7");
        assert_eq!(enc(-1.5f64), b"-1.5");
        assert_eq!(enc(Color::Red), b"Red");
        assert_eq!(enc(Color::Custom(3)), br#"{"Custom":3}"#);
        assert_eq!(
            enc(Asset {
                id: "a".into(),
                size: 5
            }),
            br#"{"ID":"a","size":5}"#
        );
        assert_eq!(enc(vec!["a", "b"]), br#"["a","b"]"#);
        assert_eq!(
            enc(BTreeMap::from([("b", 1), ("a", 2)])),
            br#"{"a":2,"b":1}"#
        );
        assert_eq!(enc(serde_json::json!({"k": [1]})), br#"{"k":[1]}"#);
    }
}
