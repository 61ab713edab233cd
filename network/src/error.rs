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
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
