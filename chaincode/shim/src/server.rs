//! The gRPC service a peer dials in chaincode-as-a-service mode: `protos.Chaincode/Connect`.

use std::sync::Arc;

use fabric_protos::protos::ChaincodeMessage;
use fabric_protos::protos::chaincode_server;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, warn};

use crate::chaincode::Chaincode;
use crate::handler::{OUTBOUND_QUEUE, serve_stream};

/// Fabric's gRPC message size limit (100 MiB) for both directions.
pub const MAX_MESSAGE_SIZE: usize = 100 * 1024 * 1024;

/// The `protos.Chaincode` service: every `Connect` stream is one peer, served by
/// [`serve_stream`](crate::handler::serve_stream).
pub struct ConnectService<C> {
    chaincode: Arc<C>,
    package_id: Arc<str>,
}

impl<C: Chaincode> ConnectService<C> {
    /// A service that registers as `package_id` (`label:sha256`, the installed package id).
    pub fn new(chaincode: Arc<C>, package_id: impl Into<Arc<str>>) -> Self {
        ConnectService {
            chaincode,
            package_id: package_id.into(),
        }
    }

    /// The tonic service with Fabric's 100 MiB message limits.
    pub fn into_server(self) -> chaincode_server::ChaincodeServer<Self> {
        chaincode_server::ChaincodeServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE)
    }
}

#[tonic::async_trait]
impl<C: Chaincode> chaincode_server::Chaincode for ConnectService<C> {
    type ConnectStream = futures_util::stream::Map<
        ReceiverStream<ChaincodeMessage>,
        fn(ChaincodeMessage) -> Result<ChaincodeMessage, Status>,
    >;

    async fn connect(
        &self,
        request: Request<Streaming<ChaincodeMessage>>,
    ) -> Result<Response<Self::ConnectStream>, Status> {
        let remote = request.remote_addr();
        info!(?remote, "peer connected");
        let inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
        let chaincode = Arc::clone(&self.chaincode);
        let package_id = Arc::clone(&self.package_id);
        tokio::spawn(async move {
            match serve_stream(chaincode, &package_id, inbound, tx).await {
                Ok(()) => info!(?remote, "peer stream ended"),
                Err(e) => warn!(?remote, "peer stream ended: {e}"),
            }
        });
        use futures_util::StreamExt;
        let ok: fn(ChaincodeMessage) -> Result<ChaincodeMessage, Status> = Ok;
        Ok(Response::new(ReceiverStream::new(rx).map(ok)))
    }
}
