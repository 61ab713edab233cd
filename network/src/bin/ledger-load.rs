//! Load generator for the devnet's ordering and commit path, used by the crash test.
//!
//! `medledger-ledger-load <data dir> [max blocks]` opens (or creates) the ledger in the data
//! directory, prints `start height <n>`, then submits synthetic transactions without pause
//! through the orderer (blocks of up to 5, 20 ms timeout) and prints `committed <txid>` for
//! each transaction of each block once the block's write transaction is durable. It runs until
//! killed, or until `max blocks` blocks were committed.

use bytes::Bytes;
use medledger_network::devnet::envelope::synthetic_envelope;
use medledger_network::devnet::{AcceptAll, BatchConfig, Ledger, Pipeline, build_block};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

const CHANNEL: &str = "load";

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: medledger-ledger-load <data dir> [max blocks]");
        return std::process::ExitCode::from(2);
    };
    let max_blocks: Option<u64> = match args.next().map(|a| a.parse()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            eprintln!("max blocks must be a number");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&dir, max_blocks)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ledger-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(dir: &str, max_blocks: Option<u64>) -> medledger_network::Result<()> {
    let ledger = Ledger::open(dir, || {
        build_block(
            0,
            &[],
            vec![synthetic_envelope(CHANNEL, "", b"genesis")],
            0,
            None,
        )
    })?;
    let start = ledger.height();
    let mut blocks = ledger.subscribe_blocks();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "start height {start}");
        let _ = out.flush();
    }
    let batch = BatchConfig {
        max_message_count: 5,
        batch_timeout: Duration::from_millis(20),
        ..BatchConfig::default()
    };
    let pipeline = Pipeline::start(ledger.clone(), batch, None, Arc::new(AcceptAll))?;
    let orderer = pipeline.orderer();
    // Txids unique across restarts: the start height is part of them.
    let producer = tokio::spawn(async move {
        let mut i: u64 = 0;
        loop {
            let txid = format!("load-{start}-{i}");
            let env: Bytes = synthetic_envelope(CHANNEL, &txid, &i.to_be_bytes());
            if orderer.broadcast(env).await.is_err() {
                break;
            }
            i += 1;
            if i.is_multiple_of(50) {
                tokio::task::yield_now().await;
            }
        }
    });
    let mut committed = 0u64;
    loop {
        let block = match blocks.recv().await {
            Ok(b) => b,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        };
        let mut out = std::io::stdout().lock();
        for (txid, _) in &block.transactions {
            let _ = writeln!(out, "committed {txid}");
        }
        let _ = out.flush();
        committed += 1;
        if max_blocks.is_some_and(|m| committed >= m) {
            break;
        }
    }
    producer.abort();
    drop(pipeline);
    Ok(())
}
