//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in `medledger-network`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A topology could not be parsed or breaks a rule. `key` is the path of the offending key in
    /// the document, e.g. `orgs[2].users[0].role`.
    #[error("{origin}: {key}: {message}")]
    Topology {
        /// Where the topology came from: a file path, or `topology` for a string.
        origin: String,
        /// Path of the offending key, e.g. `orgs[2].users[0].role` (`<document>` for syntax errors).
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// Reading or writing a file or directory failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The output directory already holds files and overwriting was not asked for.
    #[error(
        "output directory {} is not empty; refusing to overwrite it (set overwrite to replace it)",
        path.display()
    )]
    OutputNotEmpty {
        /// The output directory.
        path: PathBuf,
    },
    /// The output directory cannot be used (not a directory, holds foreign files, ...).
    #[error("output directory {}: {reason}", path.display())]
    OutputDir {
        /// The output directory.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A private key could not be generated or converted.
    #[error("key for {identity}: {source}")]
    Key {
        /// The identity (certificate common name) the key is for.
        identity: String,
        /// The underlying error.
        #[source]
        source: fabric_sdk::Error,
    },
    /// A certificate could not be built or signed.
    #[error("certificate for {identity}: {source}")]
    Certificate {
        /// The identity (certificate common name) the certificate is for.
        identity: String,
        /// The underlying error.
        #[source]
        source: rcgen::Error,
    },
    /// A certificate could not be built for another reason (bad name, attribute encoding, ...).
    #[error("certificate for {identity}: {reason}")]
    CertificateData {
        /// The identity (certificate common name) the certificate is for.
        identity: String,
        /// What is wrong.
        reason: String,
    },
    /// The devnet's database (redb) failed.
    #[error("ledger store ({context}): {source}")]
    Store {
        /// What the store was doing, e.g. `commit block 7`.
        context: String,
        /// The underlying error.
        #[source]
        source: Box<redb::Error>,
    },
    /// Stored data could not be decoded (a damaged or foreign database file).
    #[error("ledger store: corrupt {what}: {reason}")]
    Corrupt {
        /// What was being read.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A block or its updates cannot be committed (wrong number, broken hash chain, ...).
    #[error("ledger: {0}")]
    Ledger(String),
    /// A protobuf message could not be decoded.
    #[error("decode {what}: {source}")]
    Decode {
        /// The message type.
        what: &'static str,
        /// The underlying error.
        #[source]
        source: prost::DecodeError,
    },
    /// A Fabric primitive (signing, identity, policy) failed.
    #[error("{context}: {source}")]
    Fabric {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: fabric_sdk::Error,
    },
    /// The genesis block could not be built from the topology and crypto material.
    #[error("genesis block: {0}")]
    Genesis(String),
    /// The real-Fabric kit cannot be made (a missing or unusable input, a topology it cannot
    /// express).
    #[error("Fabric kit: {0}")]
    Kit(String),
    /// The ordering service refused an envelope; `status` is the `common.Status` a Broadcast
    /// response carries (BAD_REQUEST, REQUEST_ENTITY_TOO_LARGE, SERVICE_UNAVAILABLE, ...).
    #[error("broadcast rejected ({status:?}): {reason}")]
    Broadcast {
        /// The Fabric status.
        status: fabric_protos::common::Status,
        /// Why.
        reason: String,
    },
    /// A requester is not allowed to do what it asked (policy not satisfied, bad signature,
    /// unknown or invalid identity).
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// The ordering service or the commit pipeline has stopped.
    #[error("{0} has stopped")]
    Stopped(&'static str),
    /// A background task failed (panicked or was cancelled).
    #[error("background task: {0}")]
    Task(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A redb error with what the store was doing.
    pub(crate) fn store(context: impl Into<String>) -> impl FnOnce(redb::Error) -> Error {
        let context = context.into();
        move |e| Error::Store {
            context,
            source: Box::new(e),
        }
    }

    /// A protobuf decoding error for `what`.
    pub(crate) fn decode(what: &'static str) -> impl FnOnce(prost::DecodeError) -> Error {
        move |source| Error::Decode { what, source }
    }

    /// A Fabric SDK error with context.
    pub(crate) fn fabric(context: impl Into<String>) -> impl FnOnce(fabric_sdk::Error) -> Error {
        let context = context.into();
        move |source| Error::Fabric { context, source }
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
