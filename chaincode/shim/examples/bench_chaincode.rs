//! A chaincode for benchmarks (`tests/benches/shim_throughput.rs`), served like any other:
//!
//! ```text
//! CHAINCODE_SERVER_ADDRESS=127.0.0.1:9999 CHAINCODE_ID=bench_1.0:<hash> \
//!     cargo run --release -p fabric-chaincode --example bench_chaincode
//! ```
//!
//! - `Rmw key`: reads a decimal counter (absent = 0), writes it back plus one, returns the new
//!   value: the smallest read-modify-write, so that what is measured is the shim.
//! - `Write20 prefix`: writes 20 keys `<prefix>00` … `<prefix>19` (96-byte values) without
//!   reading: with Fabric 3.1's write batching they leave in one `WRITE_BATCH_STATE`.
//!
//! `BENCH_RUNTIME=multi_thread` serves on Tokio's multi-threaded runtime (one worker per core)
//! instead of the current-thread runtime, to compare the two.

use std::process::ExitCode;

use fabric_chaincode::contract::{Context, Contract, ContractChaincode, ContractError, Info};

/// The value `Write20` writes (96 bytes).
const VALUE: &[u8] = b"{\"kind\":\"bench\",\"payload\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\"}";

async fn rmw(ctx: Context, key: String) -> Result<u64, ContractError> {
    let current = match ctx.stub().get_state(&key).await? {
        Some(v) => std::str::from_utf8(&v)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| ContractError::new(format!("{key} does not hold a counter")))?,
        None => 0,
    };
    let next = current + 1;
    ctx.stub().put_state(&key, next.to_string()).await?;
    Ok(next)
}

async fn write20(ctx: Context, prefix: String) -> Result<(), ContractError> {
    for i in 0..20 {
        ctx.stub()
            .put_state(&format!("{prefix}{i:02}"), VALUE)
            .await?;
    }
    Ok(())
}

fn chaincode() -> fabric_chaincode::Result<ContractChaincode> {
    ContractChaincode::builder()
        .info(Info::new("bench", "1.0.0"))
        .contract(Contract::new("Bench").submit("Rmw", rmw, ["key"]).submit(
            "Write20",
            write20,
            ["prefix"],
        ))
        .build()
}

fn main() -> ExitCode {
    let multi_thread = std::env::var("BENCH_RUNTIME").is_ok_and(|r| r == "multi_thread");
    let runtime = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve()),
        Err(e) => {
            eprintln!("bench-chaincode: cannot start the Tokio runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    // A level, not EnvFilter directives (see examples/asset_transfer/main.rs).
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::WARN);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
    let result = match chaincode() {
        Ok(cc) => fabric_chaincode::run(cc).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-chaincode: {e}");
            ExitCode::FAILURE
        }
    }
}
