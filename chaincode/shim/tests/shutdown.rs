//! SIGTERM on a real chaincode server process: it stops taking transactions, lets the running one
//! finish, and exits 0. The process is this test binary run again in "child" mode, configured by
//! the environment like a deployed chaincode.

#![cfg(unix)]

mod common;

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use fabric_chaincode::ChaincodeServer;
use fabric_chaincode::config::Config;
use fabric_chaincode::peer_side::{ChaincodeDialer, ChaincodeRequest, ExecuteKind, Reply};
use fabric_protos::protos::chaincode_message::Type;
use tokio::sync::mpsc;

const CHILD: &str = "FABRIC_CHAINCODE_TEST_CHILD";

/// In child mode: a chaincode server configured from the environment, serving until SIGTERM.
/// Otherwise does nothing.
#[test]
fn child_server() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .init();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let config = match Config::parse(Vec::<String>::new(), |n| std::env::var(n).ok())? {
            Config::Server(c) => c,
            other => panic!("expected server mode: {other:?}"),
        };
        let bound = ChaincodeServer::from_config(config)
            .shutdown_grace(Duration::from_secs(15))
            .bind()
            .await?;
        println!("LISTENING {}", bound.local_addr());
        bound.serve(TestCc).await
    });
    println!("CHILD RESULT {result:?}");
    result.unwrap();
}

/// The first line of the child's output containing `needle`.
async fn wait_for(lines: &mut mpsc::UnboundedReceiver<String>, needle: &str) -> String {
    within(needle, async {
        loop {
            let line = lines.recv().await.expect("the child's output ended");
            if line.contains(needle) {
                return line;
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_exits_cleanly() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_server", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:0")
        .env("CHAINCODE_ID", PACKAGE_ID)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the child server");
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, mut lines) = mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            eprintln!("child: {line}");
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let listening = wait_for(&mut lines, "LISTENING ").await;
    let address = listening
        .split("LISTENING ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    let conn = ChaincodeDialer::new(address.clone())
        .connect()
        .await
        .unwrap();

    // A transaction is running (waiting for the peer's reply) when SIGTERM arrives.
    let (asked_tx, mut asked) = mpsc::unbounded_channel::<()>();
    let (release_tx, release) = tokio::sync::watch::channel(false);
    let handler = move |_req: ChaincodeRequest| {
        let _ = asked_tx.send(());
        let mut release = release.clone();
        async move {
            let _ = release.wait_for(|r| *r).await;
            Reply::ok("value after SIGTERM")
        }
    };
    let running = {
        let conn = conn.clone();
        tokio::spawn(async move {
            conn.execute(
                CHANNEL,
                "long",
                ExecuteKind::Transaction,
                &input(&["get", "k"]),
                None,
                &handler,
            )
            .await
        })
    };
    within("the running transaction's request", asked.recv()).await;
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for(&mut lines, "shutting down").await;

    // Draining: a new transaction is refused, new connections are not accepted.
    let refused = conn
        .execute(
            CHANNEL,
            "too-late",
            ExecuteKind::Transaction,
            &input(&["echo", "x"]),
            None,
            &Ledger::new().handler(),
        )
        .await
        .unwrap();
    assert_eq!(refused.r#type, Type::Error as i32);
    assert!(String::from_utf8_lossy(&refused.payload).contains("shutting down"));

    // The running transaction finishes, then the process exits 0.
    release_tx.send_replace(true);
    let done = within("the running transaction", running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response_of(&done).payload.as_ref(), b"value after SIGTERM");
    wait_for(&mut lines, "chaincode server stopped").await;
    let exit = within(
        "the child's exit",
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(exit.success(), "child exited with {exit:?}");
    assert!(
        ChaincodeDialer::new(address)
            .dial_timeout(Duration::from_secs(2))
            .connect()
            .await
            .is_err(),
        "the stopped server still accepts connections"
    );
}
