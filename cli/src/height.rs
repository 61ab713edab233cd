//! The channel height of a running devnet, asked of a peer: a signed Deliver request for the
//! newest filtered block (`newest..newest`, fail if not ready), as one of the devnet's
//! identities.

use anyhow::Context;
use bytes::Bytes;
use fabric_protos::Message;
use fabric_protos::common::{
    ChannelHeader, Envelope, Header, HeaderType, Payload, SignatureHeader,
};
use fabric_protos::orderer::seek_info::{SeekBehavior, SeekContentType, SeekErrorResponse};
use fabric_protos::orderer::seek_position::Type as Seek;
use fabric_protos::orderer::{SeekInfo, SeekNewest, SeekPosition};
use fabric_protos::protos::deliver_client::DeliverClient;
use fabric_protos::protos::deliver_response::Type as Response;
use fabric_sdk::gateway::ConnectionProfile;
use std::path::Path;
use std::time::Duration;

/// The height (number of blocks) of the devnet's channel in `data_dir`.
pub async fn channel_height(data_dir: &Path) -> anyhow::Result<u64> {
    let dir = data_dir.join("connections");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let file = files
        .first()
        .with_context(|| format!("no connection file in {}", dir.display()))?;
    let conn = ConnectionProfile::load(file).await?;
    let who = conn
        .identities
        .first()
        .with_context(|| format!("no identity in {}", file.display()))?
        .name
        .clone();
    let me = conn.signing_identity(&who).await?;
    let connection = conn
        .connection_builder(Some(&who))?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await?;
    let channel_header = ChannelHeader {
        r#type: HeaderType::DeliverSeekInfo as i32,
        timestamp: Some(fabric_sdk::tx::now_timestamp()),
        channel_id: conn.channel.clone(),
        tls_cert_hash: connection
            .tls_cert_hash()
            .map(|h| Bytes::copy_from_slice(&h))
            .unwrap_or_default(),
        ..Default::default()
    };
    let newest = || SeekPosition {
        r#type: Some(Seek::Newest(SeekNewest {})),
    };
    let seek = SeekInfo {
        start: Some(newest()),
        stop: Some(newest()),
        behavior: SeekBehavior::FailIfNotReady as i32,
        error_response: SeekErrorResponse::Strict as i32,
        content_type: SeekContentType::Block as i32,
    };
    let payload: Bytes = Payload {
        header: Some(Header {
            channel_header: channel_header.encode_to_vec().into(),
            signature_header: SignatureHeader {
                creator: me.serialized().to_vec().into(),
                nonce: Bytes::new(),
            }
            .encode_to_vec()
            .into(),
        }),
        data: seek.encode_to_vec().into(),
    }
    .encode_to_vec()
    .into();
    let signature = me.sign(&payload)?;
    let envelope = Envelope {
        payload,
        signature: signature.into(),
    };
    let mut client = DeliverClient::new(connection.channel().clone());
    let request = futures_util::stream::iter([envelope]);
    let mut stream = tokio::time::timeout(Duration::from_secs(5), client.deliver_filtered(request))
        .await
        .context("the peer did not answer the Deliver request in time")?
        .context("Deliver refused")?
        .into_inner();
    while let Some(m) = tokio::time::timeout(Duration::from_secs(5), stream.message())
        .await
        .context("the peer did not send the newest block in time")?
        .context("Deliver failed")?
    {
        match m.r#type {
            Some(Response::FilteredBlock(b)) => return Ok(b.number + 1),
            Some(Response::Status(s)) => anyhow::bail!("Deliver answered status {s}"),
            _ => {}
        }
    }
    anyhow::bail!("the Deliver stream ended without a block")
}
