//! The interface a chaincode implements, and the responses it returns.

use std::future::Future;

use bytes::Bytes;
use fabric_protos::protos::Response;

use crate::stub::Stub;

/// Status of a successful response.
pub const OK: i32 = 200;
/// Statuses from here to 499 tell the peer not to endorse (a client error).
pub const ERROR_THRESHOLD: i32 = 400;
/// Status of a failed response.
pub const ERROR: i32 = 500;

/// A chaincode: what the peer calls for every transaction.
///
/// This is the low-level interface (Go's `shim.Chaincode`). Most chaincodes use the contract API
/// ([`crate::contract`]), which implements it with typed functions.
pub trait Chaincode: Send + Sync + 'static {
    /// Called for an INIT message (a chaincode definition with init required, and a client
    /// that asked for init). By default the same as [`Chaincode::invoke`].
    fn init(&self, stub: Stub) -> impl Future<Output = Response> + Send {
        self.invoke(stub)
    }

    /// Called for every TRANSACTION message.
    fn invoke(&self, stub: Stub) -> impl Future<Output = Response> + Send;
}

/// A 200 response with a payload.
pub fn success(payload: impl Into<Bytes>) -> Response {
    Response {
        status: OK,
        message: String::new(),
        payload: payload.into(),
    }
}

/// A 500 response with a message.
pub fn error(message: impl Into<String>) -> Response {
    error_with_status(ERROR, message)
}

/// An error response with a chosen status (400–499: the client's fault; 500+: the chaincode's).
pub fn error_with_status(status: i32, message: impl Into<String>) -> Response {
    Response {
        status,
        message: message.into(),
        payload: Bytes::new(),
    }
}
