//! [`ContractError`]: what a transaction function returns when it fails.

use std::fmt;

use fabric_protos::protos::Response;

use crate::chaincode::{self, ERROR, ERROR_THRESHOLD};

/// The failure of a transaction function: a status and a message for the client.
///
/// The status is 500 unless the function says otherwise; 400–499 marks the client's fault (the
/// peer then does not endorse and returns no payload, as for any status ≥ 400). A status outside
/// 400–599 is replaced by 500: a failed transaction must never look like a success.
///
/// `?` converts any [`std::error::Error`] (including [`crate::Error`]) into a `ContractError`
/// with status 500 and the error's text as the message, as the Go and Node contract APIs do. For
/// that reason `ContractError` itself does not implement `std::error::Error` (like
/// `anyhow::Error`); it implements [`Display`](fmt::Display) and [`Debug`].
#[derive(Clone, PartialEq, Eq)]
pub struct ContractError {
    status: i32,
    message: String,
}

impl ContractError {
    /// A failure with status 500.
    pub fn new(message: impl Into<String>) -> Self {
        ContractError {
            status: ERROR,
            message: message.into(),
        }
    }

    /// A client error (status 400): the request is wrong, not the chaincode.
    pub fn client(message: impl Into<String>) -> Self {
        ContractError {
            status: ERROR_THRESHOLD,
            message: message.into(),
        }
    }

    /// A failure with a chosen status: 400–499 for client errors, 500–599 for the chaincode's
    /// own. Any other value becomes 500.
    pub fn with_status(status: i32, message: impl Into<String>) -> Self {
        ContractError {
            status: normalize_status(status),
            message: message.into(),
        }
    }

    /// The same error with another status (normalized like [`ContractError::with_status`]).
    #[must_use]
    pub fn status_code(mut self, status: i32) -> Self {
        self.status = normalize_status(status);
        self
    }

    /// The status the peer will see (400–599).
    pub fn status(&self) -> i32 {
        self.status
    }

    /// The message the client will see.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The response sent to the peer.
    pub fn into_response(self) -> Response {
        chaincode::error_with_status(self.status, self.message)
    }
}

fn normalize_status(status: i32) -> i32 {
    if (ERROR_THRESHOLD..600).contains(&status) {
        status
    } else {
        ERROR
    }
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContractError({}: {:?})", self.status, self.message)
    }
}

/// Any error becomes a 500 with its text, so `?` works on stub calls ([`crate::Error`]),
/// `serde_json` errors, parse errors, and the like.
impl<E> From<E> for ContractError
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        ContractError::new(error.to_string())
    }
}
