//! The committed ledger with its notifications: the [`Store`] plus a height watch, a stream of
//! committed blocks, and commit-status waiters by txid.

use super::store::{CommittedBlock, Store, TxLocation};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, oneshot, watch};

/// Capacity of the committed-block broadcast; slower receivers see `Lagged` and re-read the store.
const BLOCK_EVENTS: usize = 256;

/// The ledger of the devnet's channel: the store and who is waiting for what. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Ledger {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    height: watch::Sender<u64>,
    blocks: broadcast::Sender<Arc<CommittedBlock>>,
    waiters: Mutex<HashMap<String, Vec<oneshot::Sender<TxLocation>>>>,
}

impl Ledger {
    /// Opens the ledger in `data_dir`. A new ledger gets `genesis()` as block 0 (its
    /// TRANSACTIONS_FILTER marked VALID); an existing one continues at its stored height and
    /// `genesis` is not called.
    pub fn open(
        data_dir: impl AsRef<std::path::Path>,
        genesis: impl FnOnce() -> Result<fabric_protos::common::Block>,
    ) -> Result<Self> {
        let store = Store::open(data_dir)?;
        if store.height()? == 0 {
            let block = genesis()?;
            let count = block.data.as_ref().map_or(0, |d| d.data.len());
            store.commit(
                block,
                &super::store::BlockUpdates::without_writes(
                    count,
                    fabric_protos::protos::TxValidationCode::Valid,
                ),
            )?;
            tracing::info!("ledger created with its genesis block");
        }
        Ledger::new(store)
    }

    /// Wraps an open store.
    pub fn new(store: Store) -> Result<Self> {
        let height = store.height()?;
        Ok(Ledger {
            inner: Arc::new(Inner {
                store,
                height: watch::channel(height).0,
                blocks: broadcast::channel(BLOCK_EVENTS).0,
                waiters: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The store (blocking reads: call from `spawn_blocking` in async code).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The current height as last announced.
    pub fn height(&self) -> u64 {
        *self.inner.height.borrow()
    }

    /// Follows the height: changes after every commit.
    pub fn watch_height(&self) -> watch::Receiver<u64> {
        self.inner.height.subscribe()
    }

    /// Every block committed from now on.
    pub fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<CommittedBlock>> {
        self.inner.blocks.subscribe()
    }

    /// Waits until the height exceeds `number` (block `number` is committed).
    pub async fn wait_for_block(&self, number: u64) -> Result<()> {
        let mut rx = self.watch_height();
        rx.wait_for(|h| *h > number)
            .await
            .map(|_| ())
            .map_err(|_| Error::Stopped("ledger"))
    }

    /// Waits until `tx_id` is committed, and returns where and with which code (the first
    /// occurrence: a later DUPLICATE_TXID does not count).
    pub async fn wait_for_transaction(&self, tx_id: &str) -> Result<TxLocation> {
        let (tx, rx) = oneshot::channel();
        self.lock_waiters()
            .entry(tx_id.to_owned())
            .or_default()
            .push(tx);
        // Registered first, then checked: a commit in between is seen one way or the other.
        // One point read of the txid index: inline (a thread hand-off costs more).
        let found = self.inner.store.transaction(tx_id)?;
        if let Some(loc) = found {
            self.forget_waiter(tx_id);
            return Ok(loc);
        }
        rx.await.map_err(|_| Error::Stopped("ledger"))
    }

    fn lock_waiters(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Vec<oneshot::Sender<TxLocation>>>> {
        self.inner
            .waiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn forget_waiter(&self, tx_id: &str) {
        let mut w = self.lock_waiters();
        if let Some(list) = w.get_mut(tx_id) {
            list.retain(|s| !s.is_closed());
            if list.is_empty() {
                w.remove(tx_id);
            }
        }
    }

    /// Announces a committed block: wakes txid waiters, block subscribers and height watchers.
    pub(crate) fn announce(&self, block: CommittedBlock) {
        let number = block.number;
        {
            let mut w = self.lock_waiters();
            for (i, (tx_id, code)) in block.transactions.iter().enumerate() {
                if let Some(list) = w.remove(tx_id) {
                    let loc = TxLocation {
                        block_num: number,
                        tx_num: i as u64,
                        code: *code,
                    };
                    for s in list {
                        let _ = s.send(loc);
                    }
                }
            }
        }
        let _ = self.inner.blocks.send(Arc::new(block));
        self.inner.height.send_replace(number + 1);
    }
}
