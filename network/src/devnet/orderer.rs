//! Ordering: envelopes in, signed blocks out.
//!
//! One ordering task (tokio), fed by an mpsc channel, cuts batches the way Fabric's block
//! cutter does:
//! - a batch is cut when it holds `max_message_count` envelopes;
//! - an envelope that would push the batch past `preferred_max_bytes` cuts the pending batch
//!   first; an envelope larger than `preferred_max_bytes` goes alone into its own block;
//! - `batch_timeout` after the first envelope of a batch arrived, the batch is cut whatever its
//!   size (a lone transaction waits no longer than the timeout);
//! - envelopes larger than `absolute_max_bytes` are refused (REQUEST_ENTITY_TOO_LARGE).
//!
//! Each batch becomes a `common.Block` ([`build_block`]): header `{number, previous_hash =
//! SHA-256(previous header DER), data_hash = SHA-256(envelope bytes concatenated)}`, the
//! envelopes' original bytes as data, and metadata as Fabric v2.5/v3 orderers write it:
//! SIGNATURES = `Metadata{value: OrdererBlockMetadata{last_config}, signatures: [orderer's]}`,
//! LAST_CONFIG left empty (deprecated; the index lives in SIGNATURES), TRANSACTIONS_FILTER
//! left for the committer, ORDERER and COMMIT_HASH empty.
//!
//! The blocks go to the commit stage ([`super::committer`]) through a bounded channel.

use crate::error::{Error, Result};
use bytes::Bytes;
use fabric_protos::common::{
    Block, BlockData, BlockHeader, BlockMetadata, BlockMetadataIndex, LastConfig, Metadata,
    MetadataSignature, OrdererBlockMetadata, SignatureHeader, Status,
};
use fabric_sdk::crypto::random_bytes;
use fabric_sdk::identity::SigningIdentity;
use fabric_sdk::tx::block::{block_data_hash, block_header_hash, block_signature_message};
use prost::Message;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Block cutting parameters (the orderer's `BatchSize` and `BatchTimeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Envelopes per block at most.
    pub max_message_count: u32,
    /// Envelopes larger than this are refused.
    pub absolute_max_bytes: u32,
    /// A block's envelopes stay under this size when possible.
    pub preferred_max_bytes: u32,
    /// How long the first envelope of a batch waits for more.
    pub batch_timeout: Duration,
}

impl Default for BatchConfig {
    /// Fabric's sample `configtx.yaml`: 10 messages, 99 MB absolute, 512 KB preferred, 2 s.
    fn default() -> Self {
        BatchConfig {
            max_message_count: 10,
            absolute_max_bytes: 99 * 1024 * 1024,
            preferred_max_bytes: 512 * 1024,
            batch_timeout: Duration::from_secs(2),
        }
    }
}

impl BatchConfig {
    /// The batch configuration of a topology's `[block_cutting]` section (validated topologies
    /// always have a valid timeout; an invalid one falls back to 2 s).
    pub fn from_topology(b: &crate::topology::BlockCutting) -> Self {
        BatchConfig {
            max_message_count: b.max_message_count,
            absolute_max_bytes: b.absolute_max_bytes,
            preferred_max_bytes: b.preferred_max_bytes,
            batch_timeout: b.batch_timeout().unwrap_or(Duration::from_secs(2)),
        }
    }
}

/// Builds block `number` over `envelopes` (kept byte for byte), chained to `previous_hash`,
/// with the SIGNATURES metadata signed by `signer` (the orderer) when given.
pub fn build_block(
    number: u64,
    previous_hash: &[u8],
    envelopes: Vec<Bytes>,
    last_config: u64,
    signer: Option<&SigningIdentity>,
) -> Result<Block> {
    let header = BlockHeader {
        number,
        previous_hash: Bytes::copy_from_slice(previous_hash),
        data_hash: Bytes::copy_from_slice(&block_data_hash(&envelopes)),
    };
    let value = OrdererBlockMetadata {
        last_config: Some(LastConfig { index: last_config }),
        consenter_metadata: Bytes::new(),
    }
    .encode_to_vec();
    let mut signatures = Vec::new();
    if let Some(signer) = signer {
        let nonce: [u8; 24] = random_bytes().map_err(Error::fabric("block signature nonce"))?;
        let signature_header = SignatureHeader {
            creator: Bytes::copy_from_slice(signer.serialized()),
            nonce: Bytes::copy_from_slice(&nonce),
        }
        .encode_to_vec();
        let message = block_signature_message(&value, &signature_header, &header);
        let signature = signer
            .sign(&message)
            .map_err(Error::fabric(format!("sign block {number}")))?;
        signatures.push(MetadataSignature {
            signature_header: Bytes::from(signature_header),
            signature: Bytes::from(signature),
            identifier_header: Bytes::new(),
        });
    }
    let mut metadata = vec![Bytes::new(); 5];
    metadata[BlockMetadataIndex::Signatures as usize] = Bytes::from(
        Metadata {
            value: Bytes::from(value),
            signatures,
        }
        .encode_to_vec(),
    );
    Ok(Block {
        header: Some(header),
        data: Some(BlockData { data: envelopes }),
        metadata: Some(BlockMetadata { metadata }),
    })
}

/// Submits envelopes to the ordering task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OrdererHandle {
    tx: mpsc::Sender<Bytes>,
    absolute_max_bytes: u32,
}

impl OrdererHandle {
    /// Hands one envelope (its original bytes) to ordering, like a Broadcast that got SUCCESS:
    /// it will be in a block unless the devnet stops first. Refuses empty or undecodable
    /// envelopes (BAD_REQUEST), envelopes over `absolute_max_bytes`
    /// (REQUEST_ENTITY_TOO_LARGE), and anything once ordering has stopped
    /// (SERVICE_UNAVAILABLE). Signature and ACL checks are the caller's (the gateway's).
    pub async fn broadcast(&self, envelope: Bytes) -> Result<()> {
        let reject = |status, reason: String| Error::Broadcast { status, reason };
        if envelope.len() > self.absolute_max_bytes as usize {
            return Err(reject(
                Status::RequestEntityTooLarge,
                format!(
                    "envelope of {} bytes is larger than the absolute maximum of {} bytes",
                    envelope.len(),
                    self.absolute_max_bytes
                ),
            ));
        }
        if let Err(e) = super::envelope::EnvelopeHeaders::parse(&envelope) {
            return Err(reject(Status::BadRequest, e.to_string()));
        }
        self.tx.send(envelope).await.map_err(|_| {
            reject(
                Status::ServiceUnavailable,
                "the ordering service has stopped".into(),
            )
        })
    }
}

/// Where the ordering task starts: the next block number and the hash of the last header.
#[derive(Debug, Clone)]
pub(crate) struct ChainTip {
    pub next_number: u64,
    pub previous_hash: Bytes,
}

/// Spawns the ordering task. Blocks go to `out`; the task ends when every handle is dropped
/// (after cutting what is pending) or when `out` closes.
pub(crate) fn spawn(
    config: BatchConfig,
    tip: ChainTip,
    signer: Option<SigningIdentity>,
    out: mpsc::Sender<Block>,
) -> (OrdererHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(1024);
    let handle = OrdererHandle {
        tx,
        absolute_max_bytes: config.absolute_max_bytes,
    };
    let task = tokio::spawn(run(config, tip, signer, rx, out));
    (handle, task)
}

/// The pending batch.
#[derive(Default)]
struct Batch {
    envelopes: Vec<Bytes>,
    bytes: usize,
    deadline: Option<Instant>,
}

impl Batch {
    fn take(&mut self) -> Vec<Bytes> {
        self.bytes = 0;
        self.deadline = None;
        std::mem::take(&mut self.envelopes)
    }
}

struct Cutter {
    config: BatchConfig,
    tip: ChainTip,
    signer: Option<SigningIdentity>,
    out: mpsc::Sender<Block>,
}

impl Cutter {
    /// Builds and sends one block; false when the commit stage is gone.
    async fn emit(&mut self, envelopes: Vec<Bytes>) -> bool {
        if envelopes.is_empty() {
            return true;
        }
        let number = self.tip.next_number;
        let block = match build_block(
            number,
            &self.tip.previous_hash,
            envelopes,
            0,
            self.signer.as_ref(),
        ) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(block = number, error = %e, "cannot build block; ordering stops");
                return false;
            }
        };
        let Some(header) = block.header.as_ref() else {
            return false;
        };
        let hash = block_header_hash(header);
        let count = block.data.as_ref().map_or(0, |d| d.data.len());
        if self.out.send(block).await.is_err() {
            return false;
        }
        tracing::debug!(block = number, envelopes = count, "block cut");
        self.tip = ChainTip {
            next_number: number + 1,
            previous_hash: Bytes::copy_from_slice(&hash),
        };
        true
    }

    /// Adds one envelope, cutting blocks as Fabric's block cutter does.
    async fn add(&mut self, batch: &mut Batch, envelope: Bytes) -> bool {
        let size = envelope.len();
        let preferred = self.config.preferred_max_bytes as usize;
        if size > preferred {
            // Oversized: the pending batch, then this envelope alone.
            let pending = batch.take();
            return self.emit(pending).await && self.emit(vec![envelope]).await;
        }
        if batch.bytes + size > preferred {
            let pending = batch.take();
            if !self.emit(pending).await {
                return false;
            }
        }
        if batch.envelopes.is_empty() {
            batch.deadline = Some(Instant::now() + self.config.batch_timeout);
        }
        batch.bytes += size;
        batch.envelopes.push(envelope);
        if batch.envelopes.len() >= self.config.max_message_count.max(1) as usize {
            let full = batch.take();
            return self.emit(full).await;
        }
        true
    }
}

async fn run(
    config: BatchConfig,
    tip: ChainTip,
    signer: Option<SigningIdentity>,
    mut rx: mpsc::Receiver<Bytes>,
    out: mpsc::Sender<Block>,
) {
    let mut cutter = Cutter {
        config,
        tip,
        signer,
        out,
    };
    let mut batch = Batch::default();
    loop {
        let deadline = batch.deadline;
        tokio::select! {
            received = rx.recv() => match received {
                Some(envelope) => {
                    if !cutter.add(&mut batch, envelope).await {
                        break;
                    }
                }
                None => {
                    let pending = batch.take();
                    cutter.emit(pending).await;
                    break;
                }
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                let pending = batch.take();
                if !cutter.emit(pending).await {
                    break;
                }
            }
        }
    }
    tracing::debug!("ordering task stopped");
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
