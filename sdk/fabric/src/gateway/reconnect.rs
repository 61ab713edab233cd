//! What chaincode and block event listeners share: the stream handed to the application
//! ([`EventStream`], fed by a background task) and the reconnection policy (which failures are
//! worth retrying, and how long to wait).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;
use tonic::Code;

use crate::Result;

/// Events buffered between the listening task and the application.
pub(crate) const BUFFER: usize = 64;

/// First wait before reconnecting; doubled after each failed attempt up to [`MAX_BACKOFF`].
pub(crate) const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// Longest wait between reconnection attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Failures that a new connection may cure (the peer restarting, a network break). Requests the
/// peer refuses (bad request, access denied, unknown channel) are not retried.
pub(crate) fn is_transient(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::Unknown
            | Code::Internal
            | Code::Cancelled
            | Code::Aborted
            | Code::DeadlineExceeded
            | Code::ResourceExhausted
    )
}

/// The next wait after `current`.
pub(crate) fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

/// Events from a listener: a [`futures_util::Stream`] of `Result<T>`, also readable with
/// [`EventStream::next`]. An `Err` item ends the stream. Dropping it stops listening (the
/// gRPC stream is cancelled).
#[derive(Debug)]
pub struct EventStream<T> {
    rx: mpsc::Receiver<Result<T>>,
    task: tokio::task::JoinHandle<()>,
}

impl<T> EventStream<T> {
    pub(crate) fn new(rx: mpsc::Receiver<Result<T>>, task: tokio::task::JoinHandle<()>) -> Self {
        EventStream { rx, task }
    }

    /// The next event; `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<Result<T>> {
        self.rx.recv().await
    }
}

impl<T> futures_util::Stream for EventStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

impl<T> Drop for EventStream<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}
