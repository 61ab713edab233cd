//! The one error type of `fabric-sdk`. Every variant says what was being done and what was wrong,
//! so a caller can print it to a person as is.

use std::path::PathBuf;

/// Everything that can go wrong in `fabric-sdk`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes that should hold a protobuf message do not.
    #[error("cannot decode {what}: {source}")]
    Decode {
        what: &'static str,
        #[source]
        source: prost::DecodeError,
    },
    /// A message decoded but breaks a rule Fabric enforces (missing field, wrong type, ...).
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    /// A private or public key could not be read, generated or used.
    #[error("key: {0}")]
    Key(String),
    /// A signature could not be produced.
    #[error("signing failed: {0}")]
    Sign(String),
    /// A signature did not verify, or is malformed, or is high-S.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
    /// An X.509 certificate could not be read or lacks what Fabric requires.
    #[error("certificate: {0}")]
    Certificate(String),
    /// An identity is not valid for an MSP (unknown CA, expired, NodeOU rules, ...).
    #[error("identity rejected by MSP {msp_id}: {reason}")]
    IdentityRejected { msp_id: String, reason: String },
    /// An MSP directory is missing something or holds something unreadable.
    #[error("MSP directory {}: {reason}", path.display())]
    MspDir { path: PathBuf, reason: String },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A policy string does not parse. `position` is a 0-based character offset.
    #[error("policy syntax error at position {position}: expected {expected}, found {found}")]
    PolicySyntax {
        position: usize,
        expected: String,
        found: String,
    },
    /// A policy or collection definition is well-formed but not usable.
    #[error("policy: {0}")]
    Policy(String),
    /// A proposal, proposal response, transaction or block breaks Fabric's rules.
    #[error("transaction: {0}")]
    Transaction(String),
    /// A composite key is malformed.
    #[error("composite key: {0}")]
    CompositeKey(String),
    /// Ledger state could not be read or written (a [`StateReader`](crate::ledger::StateReader)
    /// failed, or a read-write set is not usable). The text says what and which key.
    #[error("ledger state: {0}")]
    State(String),
}

impl Error {
    /// Shorthand for [`Error::Decode`], for use with `map_err`.
    pub fn decode(what: &'static str) -> impl FnOnce(prost::DecodeError) -> Error {
        move |source| Error::Decode { what, source }
    }

    /// Shorthand for [`Error::Io`], for use with `map_err`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
