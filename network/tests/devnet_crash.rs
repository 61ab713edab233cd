//! Durability: the load generator is killed with SIGKILL at a random moment under load,
//! restarted, killed again; every txid it printed as committed must be in the store, the hash
//! chain must verify from block 0 to the height, no block may be half written, and each restart
//! must continue at the stored height.

use fabric_protos::common::Block;
use fabric_sdk::tx::block::{block_header_hash, verify_block_hashes};
use medledger_network::devnet::Store;
use medledger_network::devnet::envelope::EnvelopeHeaders;
use prost::Message;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_medledger-ledger-load");

/// Runs the load generator until `kill_after` has passed since its first commit, kills it with
/// SIGKILL, and returns (start height, committed txids) from its complete output lines.
fn run_and_kill(dir: &std::path::Path, kill_after: Duration) -> (u64, Vec<String>) {
    let mut child = Command::new(BIN)
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut first_commit = None;
    loop {
        let now = Instant::now();
        assert!(now < deadline, "the load generator made no progress");
        if first_commit.is_some_and(|t: Instant| now >= t + kill_after) {
            break;
        }
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(line) => {
                if first_commit.is_none() && line.starts_with("committed ") {
                    first_commit = Some(Instant::now());
                }
                lines.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("load generator exited: {lines:?}"),
        }
    }
    child.kill().unwrap(); // SIGKILL on unix
    child.wait().unwrap();
    // Lines already written before the kill; `lines()` drops a final partial line only if it
    // has no newline, and a partial line cannot parse as a complete txid we then check.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        lines.push(line);
    }
    reader.join().unwrap();
    let start = lines
        .first()
        .and_then(|l| l.strip_prefix("start height "))
        .and_then(|n| n.parse().ok())
        .expect("start line");
    let txids = lines
        .iter()
        .filter_map(|l| l.strip_prefix("committed "))
        .map(str::to_owned)
        .collect();
    (start, txids)
}

/// Checks the whole store; returns its height.
fn verify_store(dir: &std::path::Path, printed: &[String]) -> u64 {
    let store = Store::open(dir).unwrap();
    let info = store.chain_info().unwrap();
    let mut previous: Option<Block> = None;
    let mut txs_in_blocks = 0usize;
    for n in 0..info.height {
        let bytes = store
            .block_bytes(n)
            .unwrap()
            .unwrap_or_else(|| panic!("block {n} missing"));
        let block = Block::decode(bytes).unwrap();
        assert_eq!(block.header.as_ref().unwrap().number, n);
        verify_block_hashes(&block, previous.as_ref().and_then(|p| p.header.as_ref())).unwrap();
        let data = &block.data.as_ref().unwrap().data;
        let filter = fabric_sdk::tx::block::transactions_filter(&block);
        assert_eq!(
            filter.len(),
            data.len(),
            "block {n}: filter written with the block"
        );
        for (i, env) in data.iter().enumerate() {
            let txid = EnvelopeHeaders::parse(env).unwrap().tx_id().to_owned();
            if !txid.is_empty() {
                let loc = store
                    .transaction(&txid)
                    .unwrap()
                    .unwrap_or_else(|| panic!("{txid} not indexed"));
                assert_eq!((loc.block_num, loc.tx_num), (n, i as u64));
                txs_in_blocks += 1;
            }
        }
        previous = Some(block);
    }
    assert!(
        store.block_bytes(info.height).unwrap().is_none(),
        "nothing beyond the height"
    );
    if let Some(last) = previous {
        assert_eq!(
            info.current_block_hash.as_ref(),
            &block_header_hash(last.header.as_ref().unwrap())
        );
    }
    for txid in printed {
        assert!(
            store.transaction(txid).unwrap().is_some(),
            "printed as committed but lost: {txid}"
        );
    }
    assert!(txs_in_blocks >= printed.len());
    info.height
}

#[test]
fn killed_under_load_loses_nothing_it_reported() {
    let dir = tempfile::tempdir().unwrap();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut printed = Vec::new();
    let mut height = 1; // a new ledger starts with its genesis block
    for round in 0..3u32 {
        // A pseudo-random moment between 100 and 700 ms into the load.
        let ms = 100 + u64::from(seed.wrapping_mul(2654435761).wrapping_add(round * 7919) % 600);
        let (start, txids) = run_and_kill(dir.path(), Duration::from_millis(ms));
        assert_eq!(
            start, height,
            "round {round} (seed {seed}): resumes at the stored height"
        );
        assert!(!txids.is_empty(), "round {round}: something was committed");
        printed.extend(txids);
        height = verify_store(dir.path(), &printed);
        assert!(height > start, "round {round}: the chain grew");
        eprintln!(
            "round {round}: killed after {ms} ms, height {height}, {} txids reported",
            printed.len()
        );
    }
}
