//! Checkpoints: where an event listener resumes after a restart.
//!
//! Semantics of the official clients: after processing a whole block, the checkpoint is
//! `(block + 1, no transaction)`; after processing one chaincode event, it is
//! `(event block, event transaction id)` — resuming then skips that block's events up to and
//! including the transaction.
//!
//! [`InMemoryCheckpointer`] keeps it for the life of the process; [`FileCheckpointer`] keeps it
//! in a JSON file `{"blockNumber":N,"transactionId":"…"}` (the official clients' format),
//! replaced atomically on every update (temporary file, fsync, rename, directory fsync), so a
//! crash leaves either the old or the new checkpoint, never a torn one.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::ChaincodeEvent;
use crate::{Error, Result};

/// A position in the ledger to resume from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// The next block to read (or the block of `transaction_id`).
    pub block_number: u64,
    /// The last transaction processed in `block_number`, if any.
    pub transaction_id: Option<String>,
}

impl Checkpoint {
    /// After every event of `block_number`: resume at the next block.
    pub fn after_block(block_number: u64) -> Self {
        Checkpoint {
            block_number: block_number.saturating_add(1),
            transaction_id: None,
        }
    }

    /// After the transaction `transaction_id` of `block_number`.
    pub fn after_transaction(block_number: u64, transaction_id: impl Into<String>) -> Self {
        let transaction_id = transaction_id.into();
        Checkpoint {
            block_number,
            transaction_id: (!transaction_id.is_empty()).then_some(transaction_id),
        }
    }

    /// The JSON of the official clients' file checkpointer.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "blockNumber": self.block_number,
            "transactionId": self.transaction_id.as_deref().unwrap_or(""),
        })
        .to_string()
    }

    /// Reads the file checkpointer JSON (`blockNumber` as a number or a decimal string, as the
    /// Node client writes it; `transactionId` optional).
    pub fn from_json(text: &str) -> Result<Self> {
        let bad = |reason: String| Error::Checkpoint(format!("not a checkpoint: {reason}"));
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let block_number = match value.get("blockNumber") {
            Some(serde_json::Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| bad(format!("blockNumber {n} is not a block number")))?,
            Some(serde_json::Value::String(s)) => s
                .parse()
                .map_err(|_| bad(format!("blockNumber {s:?} is not a block number")))?,
            _ => return Err(bad("no blockNumber".into())),
        };
        let transaction_id = match value.get("transactionId") {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => return Err(bad(format!("transactionId {other} is not a string"))),
        };
        Ok(Checkpoint::after_transaction(block_number, transaction_id))
    }
}

/// Stores a listener's position. Implement it to keep checkpoints in a database.
pub trait Checkpointer: Send + Sync {
    /// The stored position; `None` before the first checkpoint.
    fn checkpoint(&self) -> Option<Checkpoint>;

    /// Stores `checkpoint`.
    fn save(&self, checkpoint: Checkpoint) -> impl Future<Output = Result<()>> + Send;

    /// The next block to read, if a checkpoint is stored.
    fn block_number(&self) -> Option<u64> {
        self.checkpoint().map(|c| c.block_number)
    }

    /// The last transaction processed in [`Checkpointer::block_number`], if any.
    fn transaction_id(&self) -> Option<String> {
        self.checkpoint().and_then(|c| c.transaction_id)
    }

    /// Every event of `block_number` has been processed.
    fn checkpoint_block(&self, block_number: u64) -> impl Future<Output = Result<()>> + Send {
        self.save(Checkpoint::after_block(block_number))
    }

    /// The transaction `transaction_id` of `block_number` has been processed.
    fn checkpoint_transaction(
        &self,
        block_number: u64,
        transaction_id: &str,
    ) -> impl Future<Output = Result<()>> + Send {
        self.save(Checkpoint::after_transaction(block_number, transaction_id))
    }

    /// `event` has been processed.
    fn checkpoint_chaincode_event(
        &self,
        event: &ChaincodeEvent,
    ) -> impl Future<Output = Result<()>> + Send {
        self.checkpoint_transaction(event.block_number, &event.transaction_id)
    }
}

/// A checkpoint kept in memory.
#[derive(Debug, Default)]
pub struct InMemoryCheckpointer {
    state: Mutex<Option<Checkpoint>>,
}

impl InMemoryCheckpointer {
    /// No checkpoint yet.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Checkpointer for InMemoryCheckpointer {
    fn checkpoint(&self) -> Option<Checkpoint> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn save(&self, checkpoint: Checkpoint) -> impl Future<Output = Result<()>> + Send {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(checkpoint);
        std::future::ready(Ok(()))
    }
}

/// A checkpoint kept in a JSON file, replaced atomically on every save.
#[derive(Debug)]
pub struct FileCheckpointer {
    path: PathBuf,
    state: Mutex<Option<Checkpoint>>,
    /// Serializes writers so the file always ends with the last save.
    writer: tokio::sync::Mutex<()>,
}

impl FileCheckpointer {
    /// Opens `path`: reads the stored checkpoint, or none when the file does not exist. Fails
    /// when the file exists but does not hold a checkpoint.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let p = path.clone();
        let state = tokio::task::spawn_blocking(move || read_checkpoint(&p))
            .await
            .map_err(|e| Error::Checkpoint(format!("reading {}: {e}", path.display())))??;
        Ok(FileCheckpointer {
            path,
            state: Mutex::new(state),
            writer: tokio::sync::Mutex::new(()),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Checkpointer for FileCheckpointer {
    fn checkpoint(&self) -> Option<Checkpoint> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    async fn save(&self, checkpoint: Checkpoint) -> Result<()> {
        let _writing = self.writer.lock().await;
        let path = self.path.clone();
        let json = checkpoint.to_json();
        tokio::task::spawn_blocking(move || write_atomically(&path, json.as_bytes()))
            .await
            .map_err(|e| Error::Checkpoint(format!("writing {}: {e}", self.path.display())))??;
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(checkpoint);
        Ok(())
    }
}

fn read_checkpoint(path: &Path) -> Result<Option<Checkpoint>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Checkpoint::from_json(&text)
            .map(Some)
            .map_err(|e| Error::Checkpoint(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path)(e)),
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `data`: a temporary file in the same directory, fsync, rename over
/// `path`, fsync of the directory.
pub(crate) fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Checkpoint(format!("{} is not a file path", path.display())))?
        .to_string_lossy()
        .into_owned();
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> Result<()> {
        let mut file = std::fs::File::create(&temp).map_err(Error::io(&temp))?;
        file.write_all(data).map_err(Error::io(&temp))?;
        file.sync_all().map_err(Error::io(&temp))?;
        std::fs::rename(&temp, path).map_err(Error::io(path))?;
        // The rename itself is durable once the directory is.
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_node_format() {
        let c = Checkpoint::after_transaction(12, "abc");
        assert_eq!(c.to_json(), r#"{"blockNumber":12,"transactionId":"abc"}"#);
        assert_eq!(Checkpoint::from_json(&c.to_json()).unwrap(), c);
        let b = Checkpoint::after_block(12);
        assert_eq!(b.to_json(), r#"{"blockNumber":13,"transactionId":""}"#);
        assert_eq!(Checkpoint::from_json(&b.to_json()).unwrap(), b);
        // Node writes the block number as a string and may omit the transaction.
        assert_eq!(
            Checkpoint::from_json(r#"{"blockNumber":"7"}"#).unwrap(),
            Checkpoint::after_block(6)
        );
        for bad in [
            "",
            "{}",
            "[1]",
            r#"{"blockNumber":-1}"#,
            r#"{"blockNumber":"x"}"#,
        ] {
            assert!(Checkpoint::from_json(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn in_memory() {
        let c = InMemoryCheckpointer::new();
        assert_eq!(c.checkpoint(), None);
        c.checkpoint_transaction(3, "t").await.unwrap();
        assert_eq!(c.block_number(), Some(3));
        assert_eq!(c.transaction_id().as_deref(), Some("t"));
        c.checkpoint_block(3).await.unwrap();
        assert_eq!(c.block_number(), Some(4));
        assert_eq!(c.transaction_id(), None);
    }

    #[tokio::test]
    async fn file_checkpointer_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.json");
        let c = FileCheckpointer::open(&path).await.unwrap();
        assert_eq!(c.checkpoint(), None);
        c.checkpoint_transaction(5, "tx5").await.unwrap();
        drop(c);
        let c = FileCheckpointer::open(&path).await.unwrap();
        assert_eq!(
            c.checkpoint(),
            Some(Checkpoint::after_transaction(5, "tx5"))
        );
        // Only the checkpoint file remains: no temporary files left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["events.json"]);
        // A damaged file is an error, not a silent restart from scratch.
        std::fs::write(&path, b"{\"blockNumber\":").unwrap();
        assert!(FileCheckpointer::open(&path).await.is_err());
    }

    /// Readers racing many writers only ever see a whole checkpoint, and the file ends with the
    /// last save.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn file_checkpointer_is_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let c = std::sync::Arc::new(FileCheckpointer::open(&path).await.unwrap());
        c.checkpoint_block(0).await.unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let path = path.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut reads = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let text = std::fs::read_to_string(&path).unwrap();
                    Checkpoint::from_json(&text)
                        .unwrap_or_else(|e| panic!("torn checkpoint {text:?}: {e}"));
                    reads += 1;
                }
                reads
            })
        };
        let mut writers = Vec::new();
        for w in 0..4u64 {
            let c = c.clone();
            writers.push(tokio::spawn(async move {
                for i in 0..50u64 {
                    let txid = format!("{w}-{i}-{}", "x".repeat((i * 37 % 200) as usize));
                    c.checkpoint_transaction(w * 1000 + i, &txid).await.unwrap();
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        c.checkpoint_transaction(99_999, "last").await.unwrap();
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        let reopened = FileCheckpointer::open(&path).await.unwrap();
        assert_eq!(
            reopened.checkpoint(),
            Some(Checkpoint::after_transaction(99_999, "last"))
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
