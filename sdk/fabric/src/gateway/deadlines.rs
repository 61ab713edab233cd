//! Per-stage deadlines of Gateway calls.

use std::future::Future;
use std::time::{Duration, Instant};

use tonic::Code;

use super::RpcError;

/// How long each stage of a transaction may take. The defaults are those of the Fabric
/// samples: evaluate 5 s, endorse 15 s, submit 5 s, commit status 60 s.
///
/// A deadline bounds the call on the client and is sent to the peer (`grpc-timeout`), which
/// then stops working on it too. A call that runs out of time fails with `DEADLINE_EXCEEDED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Evaluate (a query on one peer).
    pub evaluate: Duration,
    /// Endorse (simulation on enough peers to satisfy the endorsement policy).
    pub endorse: Duration,
    /// Submit (hand the signed transaction to the ordering service).
    pub submit: Duration,
    /// Commit status (wait for the transaction to be committed).
    pub commit_status: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            evaluate: Duration::from_secs(5),
            endorse: Duration::from_secs(15),
            submit: Duration::from_secs(5),
            commit_status: Duration::from_secs(60),
        }
    }
}

/// A request carrying its deadline to the server.
pub(crate) fn request<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.set_timeout(timeout);
    r
}

/// Runs one unary call under `timeout`; a call that fails because the deadline passed is
/// reported as `DEADLINE_EXCEEDED`.
pub(crate) async fn unary<T, F>(
    what: &str,
    transaction_id: &str,
    timeout: Duration,
    call: F,
) -> std::result::Result<T, RpcError>
where
    F: Future<Output = std::result::Result<tonic::Response<T>, tonic::Status>>,
{
    let started = Instant::now();
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Err(RpcError::deadline(what, timeout, transaction_id)),
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => {
            let e = RpcError::from_status(&status, transaction_id);
            // tonic's own grpc-timeout fires a hair before ours ("Timeout expired"), and a
            // tonic server answers CANCELLED: both are this deadline.
            let expired = started.elapsed() >= timeout
                && matches!(
                    e.code,
                    Code::Cancelled | Code::Unavailable | Code::Unknown | Code::DeadlineExceeded
                );
            if expired {
                return Err(RpcError::deadline(what, timeout, transaction_id));
            }
            Err(e)
        }
    }
}
