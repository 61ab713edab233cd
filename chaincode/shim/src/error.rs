//! The one error type of `fabric-chaincode`. Every variant says what was being done and what was
//! wrong, so a chaincode can return it to the client as is.

/// Everything that can go wrong in the shim.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer answered a request with an ERROR message (for example a private-data read the
    /// creator may not do, or a rich query on a LevelDB peer).
    #[error("peer refused {request}: {message}")]
    Peer {
        /// The request type, e.g. `GET_STATE`.
        request: &'static str,
        /// The peer's text.
        message: String,
    },
    /// The peer's reply could not be decoded.
    #[error("cannot decode {what}: {source}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's complaint.
        #[source]
        source: prost::DecodeError,
    },
    /// The peer did something the shim protocol does not allow.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The stream to the peer ended while a request was waiting for its reply.
    #[error("the connection to the peer closed while {0} was waiting for its reply")]
    StreamClosed(&'static str),
    /// An argument the chaincode passed to the stub is not acceptable (empty key, empty
    /// collection, bad composite key, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The transaction carries no signed proposal, so proposal facts (creator, transient data,
    /// timestamp, binding) are not available.
    #[error(
        "the transaction has no signed proposal; creator, transient data and timestamp are unavailable"
    )]
    NoProposal,
    /// The signed proposal could not be parsed.
    #[error("signed proposal: {0}")]
    Proposal(String),
    /// A Fabric primitive (identity, composite key, ...) failed.
    #[error(transparent)]
    Fabric(#[from] fabric_sdk::Error),
    /// Chaincode configuration (flags, environment, files) is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// TLS set-up failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// A network or file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// gRPC transport failure.
    #[error("gRPC transport: {0}")]
    Transport(String),
    /// Something did not happen in time (a handshake, a transaction, a shutdown).
    #[error("timed out after {after:?}: {what}")]
    Timeout {
        /// What was being waited for.
        what: String,
        /// How long it was waited for.
        after: std::time::Duration,
    },
    /// A value could not be converted to or from JSON.
    #[error("JSON {context}: {source}")]
    Json {
        /// What was being converted.
        context: String,
        /// The JSON error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// The test ledger (`fabric_chaincode::testing`) could not do what a test asked: issue an
    /// identity, build a proposal, commit a block.
    #[error("test ledger, {context}: {reason}")]
    Testing {
        /// What was being done (e.g. `test identity Org1MSP/User1`, `commit_block`).
        context: String,
        /// What went wrong.
        reason: String,
    },
}

impl Error {
    /// Shorthand for [`Error::Decode`], for use with `map_err`.
    pub fn decode(what: &'static str) -> impl FnOnce(prost::DecodeError) -> Error {
        move |source| Error::Decode { what, source }
    }

    /// Shorthand for [`Error::Io`], for use with `map_err`.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        Error::Transport(format!(
            "{} (gRPC status {:?})",
            status.message(),
            status.code()
        ))
    }
}

#[cfg(feature = "testing")]
impl Error {
    /// Shorthand for [`Error::Testing`].
    pub(crate) fn testing(context: impl Into<String>, reason: impl std::fmt::Display) -> Error {
        Error::Testing {
            context: context.into(),
            reason: reason.to_string(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
