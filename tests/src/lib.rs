//! Helpers for MedLedger's cross-process tests: paths, and running the Node interop scripts.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `tests/interop`, where the Node scripts and their `node_modules` live.
pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// Runs `node <script>` in `tests/interop` with `input` as JSON on stdin; returns its JSON stdout.
/// Panics with an actionable message when Node or the npm packages are missing (these are tests).
pub fn run_node(script: &str, input: &serde_json::Value) -> serde_json::Value {
    let dir = interop_dir();
    assert!(
        dir.join("node_modules/@hyperledger/fabric-gateway")
            .is_dir(),
        "the official Fabric Node packages are not installed: run ./scripts/test-all.sh \
         (or `npm ci --prefix tests/interop`)"
    );
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start `node`: install Node.js >= 18");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write to node");
    let out = child.wait_with_output().expect("node did not finish");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node {script} failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("node {script} printed non-JSON ({e}): {stdout}"))
}
