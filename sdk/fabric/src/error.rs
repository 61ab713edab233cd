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

    // ----- the Gateway client (feature `gateway`) -----
    /// A connection to a gateway peer could not be set up: TLS material, address, dialing, a
    /// connection file.
    #[cfg(feature = "gateway")]
    #[error("gateway connection: {0}")]
    Connection(String),
    /// Evaluate failed (chaincode error, no peer available, deadline, ...).
    #[cfg(feature = "gateway")]
    #[error("evaluate failed: {0}")]
    Evaluate(crate::gateway::RpcError),
    /// Endorse failed: the details name each peer that refused and why (for a chaincode error,
    /// see [`RpcError::chaincode_message`](crate::gateway::RpcError::chaincode_message)).
    #[cfg(feature = "gateway")]
    #[error("endorse failed: {0}")]
    Endorse(crate::gateway::RpcError),
    /// Submit failed: the orderer (through the gateway) did not accept the transaction.
    #[cfg(feature = "gateway")]
    #[error("submit failed: {0}")]
    Submit(crate::gateway::RpcError),
    /// The commit status could not be obtained (deadline, access denied, ...). The transaction
    /// may still commit.
    #[cfg(feature = "gateway")]
    #[error("commit status failed: {0}")]
    CommitStatus(crate::gateway::RpcError),
    /// The transaction was ordered but is invalid (its validation code says why).
    #[cfg(feature = "gateway")]
    #[error("{0}")]
    Commit(crate::gateway::CommitError),
    /// A chaincode events stream could not be opened or ended with an error.
    #[cfg(feature = "gateway")]
    #[error("chaincode events: {0}")]
    ChaincodeEvents(crate::gateway::RpcError),
    /// A block events (Deliver) stream could not be opened or ended with an error.
    #[cfg(feature = "gateway")]
    #[error("block events: {0}")]
    BlockEvents(crate::gateway::RpcError),
    /// A request was sent unsigned: the gateway has no signer. Sign its `digest()` elsewhere and
    /// rebuild it with the matching `Gateway::new_signed_*` method.
    #[cfg(feature = "gateway")]
    #[error(
        "the {0} is not signed and the gateway has no signer: sign its digest() and use \
         Gateway::new_signed_{0}(bytes, signature)"
    )]
    NotSigned(&'static str),
    /// A checkpoint could not be read or written.
    #[cfg(feature = "gateway")]
    #[error("checkpoint: {0}")]
    Checkpoint(String),
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
