//! Classic mode: the chaincode dials its peer's `protos.ChaincodeSupport/Register` and serves the
//! same protocol over that stream (the way Fabric runs chaincode it launches itself, configured by
//! `--peer.address`, `CORE_CHAINCODE_ID_NAME`, `CORE_PEER_TLS_*` and `CORE_TLS_CLIENT_*`; see
//! [`crate::config`]).
//!
//! The stream lives as long as the peer keeps it; when it ends, [`run`] returns (the peer starts
//! the chaincode again when it needs it, as with the Go and Node shims).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fabric_protos::protos::ChaincodeMessage;
use fabric_protos::protos::chaincode_support_client::ChaincodeSupportClient;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, stream};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::{info, warn};

use crate::Result;
use crate::chaincode::Chaincode;
use crate::config::ClassicConfig;
use crate::handler::{OUTBOUND_QUEUE, Phase, Shutdown, serve_stream_until};
use crate::server::{DEFAULT_SHUTDOWN_GRACE, MAX_MESSAGE_SIZE, termination_signal};
use crate::transport;

/// How long dialing the peer may take (Go's shim: 10 s).
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Dials the peer and serves until the peer ends the stream, or until SIGTERM / Ctrl-C (then
/// running transactions get [`DEFAULT_SHUTDOWN_GRACE`] to finish).
pub async fn run<C: Chaincode>(chaincode: C, config: ClassicConfig) -> Result<()> {
    let signal = termination_signal();
    run_with_shutdown(chaincode, config, signal).await
}

/// As [`run`], stopping gracefully when `signal` completes.
pub async fn run_with_shutdown<C, F>(chaincode: C, config: ClassicConfig, signal: F) -> Result<()>
where
    C: Chaincode,
    F: Future<Output = ()> + Send,
{
    let address = config.peer_address.as_str();
    let channel = transport::dial(address, config.tls.as_ref(), DIAL_TIMEOUT).await?;
    let client = ChaincodeSupportClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
    let inbound = register_stream(client, rx);
    let (phase_tx, phase_rx) = watch::channel(Phase::Running);
    info!(
        peer = %address,
        chaincode = %config.chaincode_name,
        tls = config.tls.is_some(),
        "registering with the peer (classic mode)"
    );
    let serving = serve_stream_until(
        Arc::new(chaincode),
        &config.chaincode_name,
        inbound,
        tx,
        Shutdown::new(phase_rx),
    );
    tokio::pin!(serving);
    tokio::select! {
        result = &mut serving => return finish(result),
        () = signal => {}
    }
    phase_tx.send_replace(Phase::Draining);
    info!("shutting down: running transactions have {DEFAULT_SHUTDOWN_GRACE:?} to finish");
    match tokio::time::timeout(DEFAULT_SHUTDOWN_GRACE, &mut serving).await {
        Ok(result) => finish(result),
        Err(_) => {
            warn!("grace period over; leaving the stream with transactions still running");
            Ok(())
        }
    }
}

fn finish(result: Result<()>) -> Result<()> {
    match &result {
        Ok(()) => info!("the peer ended the stream"),
        Err(e) => warn!("the stream to the peer ended: {e}"),
    }
    result
}

/// The peer's messages. The `Register` call starts when the stream is first polled, after the
/// handler has queued REGISTER: a Fabric peer sends its response headers only once it has read
/// REGISTER, so waiting for the call before sending would deadlock.
fn register_stream(
    mut client: ChaincodeSupportClient<tonic::transport::Channel>,
    rx: mpsc::Receiver<ChaincodeMessage>,
) -> BoxStream<'static, std::result::Result<ChaincodeMessage, Status>> {
    let open = async move { client.register(ReceiverStream::new(rx)).await };
    stream::once(open)
        .flat_map(|opened| match opened {
            Ok(response) => response.into_inner().left_stream(),
            Err(status) => stream::once(async move { Err(status) }).right_stream(),
        })
        .boxed()
}
