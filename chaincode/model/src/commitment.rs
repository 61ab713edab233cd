//! Salted SHA-256 commitments: what the public ledger keeps instead of private data.
//!
//! `commitment = SHA-256(salt ‖ content)`, written as 64 lower-case hex digits, with a 32-byte
//! salt (64 hex digits). The salt is kept next to the private data (in a collection, or with
//! the document the patient holds); without it the commitment reveals nothing, not even for
//! short, guessable contents such as a birth date. When the private data is purged, the salt
//! goes with it and the commitment becomes meaningless.
//!
//! What is hashed:
//! - documents (records, certificates, consent forms): their bytes as given;
//! - structured private data (demographics, prescription details, claims, decisions): the
//!   canonical JSON ([`crate::canonical`]) of the validated value, so that a client computes the
//!   same bytes whatever whitespace or key order it sent.
//!
//! The same helpers run in the chaincode and in clients (hash before sending, verify after
//! reading).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::canonical::to_canonical_vec;
use crate::error::{ModelError, ValidationError};

/// Length of a salt in bytes.
pub const SALT_LEN: usize = 32;

/// A 32-byte salt, written as 64 lower-case hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Salt([u8; SALT_LEN]);

impl Salt {
    /// A salt from bytes (clients draw them from a secure generator; see `random`).
    pub fn from_bytes(bytes: [u8; SALT_LEN]) -> Self {
        Salt(bytes)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(field: &str, text: &str) -> Result<Self, ValidationError> {
        let bytes = decode_hex32(field, text, "salt")?;
        Ok(Salt(bytes))
    }

    /// A fresh salt from the operating system's secure generator. For clients only: a
    /// chaincode must never draw randomness (every endorser would get another value).
    #[cfg(feature = "random")]
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; SALT_LEN];
        getrandom::fill(&mut bytes)?;
        Ok(Salt(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; SALT_LEN] {
        &self.0
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Salt {
    // A salt is a secret of the private data it protects: never printed whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Salt({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

impl Serialize for Salt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Salt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Salt::from_hex("salt", &text).map_err(|e| serde::de::Error::custom(e.reason))
    }
}

/// A SHA-256 commitment (or a plain document hash): 64 lower-case hex digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Commitment([u8; 32]);

impl Commitment {
    /// Parses 64 hex digits (either case; always written lower-case).
    pub fn from_hex(field: &str, text: &str) -> Result<Self, ValidationError> {
        decode_hex32(field, text, "SHA-256 hash").map(Commitment)
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Whether this commitment is `SHA-256(salt ‖ content)`.
    pub fn verify(&self, salt: &Salt, content: &[u8]) -> bool {
        commit(salt, content) == *self
    }

    /// Whether this commitment is the commitment of `value`'s canonical JSON under `salt`.
    pub fn verify_json<T: Serialize + ?Sized>(
        &self,
        salt: &Salt,
        value: &T,
    ) -> Result<bool, ModelError> {
        Ok(commit_json(salt, value)? == *self)
    }
}

impl fmt::Debug for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Commitment({})", self.to_hex())
    }
}

impl fmt::Display for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FromStr for Commitment {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Commitment::from_hex("hash", s)
    }
}

impl Serialize for Commitment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Commitment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Commitment::from_hex("hash", &text).map_err(|e| serde::de::Error::custom(e.reason))
    }
}

/// `SHA-256(salt ‖ content)`.
pub fn commit(salt: &Salt, content: &[u8]) -> Commitment {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(content);
    Commitment(h.finalize().into())
}

/// The commitment of a value's canonical JSON.
pub fn commit_json<T: Serialize + ?Sized>(
    salt: &Salt,
    value: &T,
) -> Result<Commitment, ModelError> {
    Ok(commit(salt, &to_canonical_vec(value)?))
}

/// The plain SHA-256 of some bytes (no salt), as a [`Commitment`].
pub fn sha256(content: &[u8]) -> Commitment {
    Commitment(Sha256::digest(content).into())
}

fn decode_hex32(field: &str, text: &str, what: &str) -> Result<[u8; 32], ValidationError> {
    let expected = || format!("expected a {what} of 64 hex digits");
    if text.len() != 64 {
        return Err(ValidationError::new(
            field,
            format!("{}, got {} characters", expected(), text.chars().count()),
        ));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| ValidationError::new(field, format!("{} (0-9, a-f)", expected())))?;
    Ok(out)
}

#[cfg(feature = "schema")]
mod schema {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{Commitment, Salt};

    impl JsonSchema for Salt {
        fn schema_name() -> Cow<'static, str> {
            "Salt".into()
        }
        fn inline_schema() -> bool {
            true
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({"type": "string", "pattern": "^[0-9a-fA-F]{64}$",
                "description": "32 random bytes as 64 hex digits"})
        }
    }

    impl JsonSchema for Commitment {
        fn schema_name() -> Cow<'static, str> {
            "Sha256".into()
        }
        fn inline_schema() -> bool {
            true
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({"type": "string", "pattern": "^[0-9a-fA-F]{64}$",
                "description": "SHA-256, 64 hex digits (salted: SHA-256(salt || content))"})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        // SHA-256 of 32 zero bytes followed by "abc".
        let salt = Salt::from_bytes([0; 32]);
        let c = commit(&salt, b"abc");
        let mut h = Sha256::new();
        h.update([0u8; 32]);
        h.update(b"abc");
        assert_eq!(c.as_bytes(), &<[u8; 32]>::from(h.finalize()));
        assert!(c.verify(&salt, b"abc"));
        assert!(!c.verify(&salt, b"abd"));
        assert!(!c.verify(&Salt::from_bytes([1; 32]), b"abc"));
        // The empty-content commitment of the zero salt is SHA-256 of 32 zero bytes.
        assert_eq!(
            commit(&salt, b"").to_hex(),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
        assert_eq!(
            sha256(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn json_commitments_ignore_key_order_and_whitespace() {
        let salt = Salt::from_bytes([7; 32]);
        let a: serde_json::Value = serde_json::from_str(r#"{"b": 1, "a": [1, 2]}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"a":[1,2],"b":1}"#).unwrap();
        assert_eq!(
            commit_json(&salt, &a).unwrap(),
            commit_json(&salt, &b).unwrap()
        );
        assert!(
            commit_json(&salt, &a)
                .unwrap()
                .verify_json(&salt, &b)
                .unwrap()
        );
    }

    #[test]
    fn hex_forms_are_checked_and_name_the_field() {
        let e = Salt::from_hex("salt", "abc").unwrap_err();
        assert_eq!(e.field, "salt");
        assert!(e.reason.contains("64 hex digits"), "{e}");
        let e = Commitment::from_hex("content_hash", &"g".repeat(64)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "content_hash: expected a SHA-256 hash of 64 hex digits (0-9, a-f)"
        );
        let upper = "AB".repeat(32);
        assert_eq!(
            Commitment::from_hex("h", &upper).unwrap().to_hex(),
            upper.to_lowercase()
        );
    }

    #[test]
    fn serde_round_trip_and_debug_hides_the_salt() {
        let salt = Salt::from_bytes([0xab; 32]);
        let json = serde_json::to_string(&salt).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<Salt>(&json).unwrap(), salt);
        assert_eq!(format!("{salt:?}"), "Salt(abab…)");
        assert!(serde_json::from_str::<Salt>("\"00\"").is_err());
    }
}
