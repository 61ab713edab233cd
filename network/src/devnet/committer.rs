//! The commit stage: validate an ordered block, store it with its updates in one write
//! transaction, then tell the waiters.
//!
//! The validation itself is pluggable ([`Committer`]): the devnet's validator (creator and
//! endorsement signatures, endorsement policies, MVCC) implements it; [`AcceptAll`] is the
//! trivial one for tests and tools.

use super::envelope::EnvelopeHeaders;
use super::ledger::Ledger;
use super::orderer::{self, BatchConfig, ChainTip, OrdererHandle};
use super::store::{BlockUpdates, CommittedBlock, Snapshot, TxUpdates};
use crate::error::{Error, Result};
use fabric_protos::common::Block;
use fabric_protos::protos::TxValidationCode;
use fabric_sdk::identity::SigningIdentity;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What [`Committer::prepare`] found out about a block ahead of its turn.
pub type Prepared = Box<dyn std::any::Any + Send>;

/// Validates ordered blocks. Called on a blocking thread, once per block, in block order, with
/// a snapshot of the state committed before the block.
///
/// Must return one [`TxUpdates`] per envelope of the block (in order), each with its
/// validation code; the store applies the writes of the VALID ones. An `Err` means the block
/// cannot be processed at all (Fabric's peer would panic): the pipeline stops.
///
/// The checks that do not depend on the state (signatures) may be done ahead in
/// [`Committer::prepare`]: the pipeline prepares a block while the previous one is still being
/// validated and committed, then hands the result to [`Committer::validate_prepared`].
pub trait Committer: Send + Sync + 'static {
    /// Validates `block` against `state`.
    fn validate(&self, block: &Block, state: &Snapshot) -> Result<BlockUpdates>;

    /// The state-independent part of validating `block`, on a blocking thread, possibly while
    /// earlier blocks are still being committed. The default does nothing.
    fn prepare(&self, block: &Block) -> Option<Prepared> {
        let _ = block;
        None
    }

    /// Validates `block` against `state` with what [`Committer::prepare`] returned for it.
    /// The default ignores it and calls [`Committer::validate`].
    fn validate_prepared(
        &self,
        block: &Block,
        prepared: Option<Prepared>,
        state: &Snapshot,
    ) -> Result<BlockUpdates> {
        let _ = prepared;
        self.validate(block, state)
    }
}

impl<F> Committer for F
where
    F: Fn(&Block, &Snapshot) -> Result<BlockUpdates> + Send + Sync + 'static,
{
    fn validate(&self, block: &Block, state: &Snapshot) -> Result<BlockUpdates> {
        self(block, state)
    }
}

/// Marks every transaction VALID and writes nothing, except: an undecodable envelope is
/// BAD_PAYLOAD, and a txid already committed (or seen earlier in the block) is DUPLICATE_TXID.
/// Txids and timestamps come from the channel headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAll;

impl Committer for AcceptAll {
    fn validate(&self, block: &Block, state: &Snapshot) -> Result<BlockUpdates> {
        let data = block
            .data
            .as_ref()
            .map(|d| d.data.as_slice())
            .unwrap_or(&[]);
        let mut seen = HashSet::new();
        let mut txs = Vec::with_capacity(data.len());
        for envelope in data {
            let tx = match EnvelopeHeaders::parse(envelope) {
                Ok(h) => {
                    let tx_id = h.tx_id().to_owned();
                    let duplicate = !tx_id.is_empty()
                        && (!seen.insert(tx_id.clone()) || state.transaction(&tx_id)?.is_some());
                    TxUpdates {
                        timestamp: h.timestamp(),
                        code: if duplicate {
                            TxValidationCode::DuplicateTxid
                        } else {
                            TxValidationCode::Valid
                        },
                        tx_id,
                        ..TxUpdates::default()
                    }
                }
                Err(_) => TxUpdates {
                    code: TxValidationCode::BadPayload,
                    ..TxUpdates::default()
                },
            };
            txs.push(tx);
        }
        Ok(BlockUpdates { txs })
    }
}

/// The running ordering and commit tasks.
#[derive(Debug)]
pub struct Pipeline {
    orderer: OrdererHandle,
    ordering: JoinHandle<()>,
    commit: JoinHandle<Result<()>>,
}

/// How many ordered blocks may wait for the commit stage.
const COMMIT_QUEUE: usize = 16;

impl Pipeline {
    /// Starts ordering and committing on top of `ledger`, which must already hold the genesis
    /// block: blocks continue at its height. `signer` is the orderer's identity (blocks are
    /// unsigned without one). Must be called inside a tokio runtime.
    pub fn start(
        ledger: Ledger,
        batch: BatchConfig,
        signer: Option<SigningIdentity>,
        committer: Arc<dyn Committer>,
    ) -> Result<Self> {
        let info = ledger.store().chain_info()?;
        if info.height == 0 {
            return Err(Error::Ledger(
                "the ledger has no genesis block; commit block 0 first".into(),
            ));
        }
        let tip = ChainTip {
            next_number: info.height,
            previous_hash: info.current_block_hash,
        };
        let (blocks_tx, blocks_rx) = mpsc::channel(COMMIT_QUEUE);
        let (orderer, ordering) = orderer::spawn(batch, tip, signer, blocks_tx);
        let commit = tokio::spawn(commit_loop(ledger, committer, blocks_rx));
        tracing::info!(height = info.height, "ordering and commit pipeline started");
        Ok(Pipeline {
            orderer,
            ordering,
            commit,
        })
    }

    /// A handle to submit envelopes.
    pub fn orderer(&self) -> OrdererHandle {
        self.orderer.clone()
    }

    /// Stops accepting envelopes, cuts and commits what is pending, and waits for both tasks.
    /// Other [`OrdererHandle`] clones must be dropped for ordering to finish.
    pub async fn shutdown(self) -> Result<()> {
        let Pipeline {
            orderer,
            ordering,
            commit,
        } = self;
        drop(orderer);
        ordering.await.map_err(|e| Error::Task(e.to_string()))?;
        commit.await.map_err(|e| Error::Task(e.to_string()))?
    }
}

/// Commits one block: validate and store on a blocking thread, then announce.
pub async fn commit_block(
    ledger: &Ledger,
    committer: Arc<dyn Committer>,
    block: Block,
) -> Result<u64> {
    let (block, prepared) = prepare(committer.clone(), block).await?;
    let committed = store_block(ledger, committer, block, prepared).await?;
    let number = committed.number;
    ledger.announce(committed);
    Ok(number)
}

/// [`Committer::prepare`] on a blocking thread.
async fn prepare(committer: Arc<dyn Committer>, block: Block) -> Result<(Block, Option<Prepared>)> {
    tokio::task::spawn_blocking(move || {
        let prepared = committer.prepare(&block);
        (block, prepared)
    })
    .await
    .map_err(|e| Error::Task(e.to_string()))
}

/// Validates a prepared block against the committed state and stores it (blocking thread).
async fn store_block(
    ledger: &Ledger,
    committer: Arc<dyn Committer>,
    block: Block,
    prepared: Option<Prepared>,
) -> Result<CommittedBlock> {
    let store = ledger.store().clone();
    tokio::task::spawn_blocking(move || {
        let t0 = std::time::Instant::now();
        let snapshot = store.snapshot()?;
        let updates = committer.validate_prepared(&block, prepared, &snapshot)?;
        drop(snapshot);
        let t1 = std::time::Instant::now();
        let committed = store.commit(block, &updates)?;
        tracing::debug!(
            block = committed.number,
            txs = updates.txs.len(),
            validate_us = (t1 - t0).as_micros() as u64,
            store_us = t1.elapsed().as_micros() as u64,
            "block validated and stored"
        );
        Ok(committed)
    })
    .await
    .map_err(|e| Error::Task(e.to_string()))?
}

/// Commits the blocks in order. While block N is validated and stored, block N+1 (when it has
/// arrived) is prepared: its signatures are checked on another thread.
async fn commit_loop(
    ledger: Ledger,
    committer: Arc<dyn Committer>,
    mut rx: mpsc::Receiver<Block>,
) -> Result<()> {
    type Preparing = JoinHandle<(Block, Option<Prepared>)>;
    let spawn_prepare = |block: Block| -> Preparing {
        let committer = committer.clone();
        tokio::task::spawn_blocking(move || {
            let prepared = committer.prepare(&block);
            (block, prepared)
        })
    };
    let mut next: Option<Preparing> = None;
    let mut open = true;
    loop {
        let preparing = match next.take() {
            Some(p) => p,
            None if open => match rx.recv().await {
                Some(block) => spawn_prepare(block),
                None => break,
            },
            None => break,
        };
        let (block, prepared) = preparing.await.map_err(|e| Error::Task(e.to_string()))?;
        let storing = store_block(&ledger, committer.clone(), block, prepared);
        tokio::pin!(storing);
        let stored = loop {
            tokio::select! {
                biased;
                stored = &mut storing => break stored,
                received = rx.recv(), if open && next.is_none() => match received {
                    Some(block) => next = Some(spawn_prepare(block)),
                    None => open = false,
                },
            }
        };
        match stored {
            Ok(committed) => ledger.announce(committed),
            Err(e) => {
                tracing::error!(error = %e, "commit failed; the pipeline stops");
                return Err(e);
            }
        }
    }
    Ok(())
}
