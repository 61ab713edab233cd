//! The official Node client, `@hyperledger/fabric-gateway` 1.11, against our devnet: evaluate,
//! submit, submit async with its commit status, explicit and planned endorsing organisations,
//! transient data into a private data collection, chaincode events (live, from a block, resumed
//! from a checkpoint in the middle of a block), block events (full, filtered, with private data,
//! resumed from a block checkpoint), and the failures an application meets — a chaincode error on
//! evaluate and on endorse, an unknown organisation, an endorsement policy failure and an MVCC
//! conflict — with the classes, codes, messages and `ErrorDetail`s a Fabric v3.1 peer gives
//! (`tests/vectors/fabric-v3.1.5/gateway/errors.json`).
//!
//! The same client script (`tests/interop/gateway-client.mjs`, which only reports what it sees)
//! runs twice at once against one devnet (in process, ephemeral ports, a temporary directory):
//! once with the chaincode served by our Rust shim (`tests/examples/interop_chaincode`), once
//! with its twin on the official Node `fabric-shim` 2.5.8 in server mode
//! (`tests/interop/chaincode-node`). Both are asset-transfer-basic plus an `Interop` contract
//! (events, private data); every expectation below holds for both, byte for byte.

use std::time::{Duration, Instant};

use medledger_e2e::{
    ExampleBuild, ServerProcess, cargo_examples, interop_dir_with_packages, node_chaincode_command,
    rust_chaincode_command,
};
use medledger_network::Topology;
use medledger_network::devnet::Devnet;
use medledger_network::topology::ChaincodeDef;
use serde_json::{Value, json};

const SMC: &str = "SeoulMedicalCenterMSP";
const MJH: &str = "MyongjiHospitalMSP";
const NHIS: &str = "NHISMSP";
const RUST_CC: &str = "interop-rust";
const NODE_CC: &str = "interop-node";
const RUST_ID: &str =
    "interop-rust_1.0:5d0f5b8e1f3c4a2b9e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817";
const NODE_ID: &str =
    "interop-node_1.0:a41c2e9b7d5f3a1c8e6b4d2f0a9c7e5b3d1f8a6c4e2b0d9f7a5c3e1b8d6f4a2c";
/// Readable by the two hospitals only.
const COLLECTION: &str = "hospitals";
/// The private value (test data, no PHI); it must never appear in a block.
const SECRET: &str = "interop-private-value-4711";
const EVENT: &str = "ValueSet";
/// Bounds a chaincode server's start (Node takes about a second).
const START_DEADLINE: Duration = Duration::from_secs(30);
/// Bounds one client run (it takes a few seconds; the script has its own watchdog too).
const CLIENT_DEADLINE: Duration = Duration::from_secs(90);

fn topology(rust_address: &str, node_address: &str) -> Topology {
    let mut topology = Topology::medical_default();
    // Short blocks keep the run quick; long enough for two transactions submitted together
    // to share a block.
    topology.block_cutting.batch_timeout = "250ms".into();
    let def = |name: &str, package_id: &str, address: &str| ChaincodeDef {
        collections: Some(format!(
            r#"[{{"name":"{COLLECTION}","policy":"OR('{SMC}.member','{MJH}.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":0,"memberOnlyRead":true,"memberOnlyWrite":true}}]"#
        )),
        ..ChaincodeDef::external(
            name,
            package_id,
            address,
            format!("OutOf(2, '{SMC}.peer', '{MJH}.peer', '{NHIS}.peer')"),
        )
    };
    topology.chaincodes = vec![
        def(RUST_CC, RUST_ID, rust_address),
        def(NODE_CC, NODE_ID, node_address),
    ];
    topology
}

/// Runs the client script for `chaincode`; its JSON report.
async fn run_client(devnet: &Devnet, chaincode: &str) -> Value {
    let dir = interop_dir_with_packages();
    let connection = |msp: &str| {
        devnet
            .connection_file(msp)
            .unwrap_or_else(|| panic!("no connection file for {msp}"))
    };
    let input = json!({
        "chaincode": chaincode,
        "collection": COLLECTION,
        "secret": SECRET,
        "timeoutMs": (CLIENT_DEADLINE - Duration::from_secs(5)).as_millis() as u64,
        "orgs": {
            "a": {"connection": connection(SMC), "identity": "Doctor1@seoulmedical.example.com"},
            "b": {"connection": connection(MJH), "identity": "Doctor1@myongji.example.com"},
            "c": {"connection": connection(NHIS), "identity": "ClaimsOfficer1@nhis.example.com"},
        },
    });
    let mut child = tokio::process::Command::new("node")
        .arg("gateway-client.mjs")
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("cannot start `node`: install Node.js >= 18");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin of node");
        stdin
            .write_all(input.to_string().as_bytes())
            .await
            .expect("write the input to node");
    }
    let out = tokio::time::timeout(CLIENT_DEADLINE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!("the client for {chaincode} did not finish in {CLIENT_DEADLINE:?}")
        })
        .expect("wait for node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the client for {chaincode} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("the client for {chaincode} printed non-JSON ({e}): {stdout}\nstderr: {stderr}")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_node_gateway_client_against_the_devnet() {
    let exe = tokio::task::spawn_blocking(|| {
        cargo_examples(ExampleBuild::Workspace, &["interop_chaincode"], false)
    })
    .await
    .expect("build the Rust chaincode")
    .remove(0);
    let started = Instant::now();
    let rust = ServerProcess::start(
        "Rust interop",
        |address| rust_chaincode_command(&exe, address, RUST_ID),
        START_DEADLINE,
    )
    .await;
    let node = ServerProcess::start(
        "Node interop",
        |address| node_chaincode_command(address, NODE_ID),
        START_DEADLINE,
    )
    .await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let devnet = Devnet::start(
        dir.path().join("devnet"),
        topology(rust.address(), node.address()),
    )
    .await
    .expect("the devnet starts");

    let (rust_report, node_report) =
        tokio::join!(run_client(&devnet, RUST_CC), run_client(&devnet, NODE_CC));
    // (A failing check prints the report; the chaincode servers print their output as they
    // are dropped.)
    for report in [&rust_report, &node_report] {
        let chaincode = report["chaincode"].as_str().unwrap_or_default();
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_report(&devnet, chaincode, report)
        }));
        if let Err(panic) = checked {
            eprintln!(
                "---- report of the client for {chaincode}:\n{}",
                serde_json::to_string_pretty(report).unwrap_or_default()
            );
            std::panic::resume_unwind(panic);
        }
    }
    // Transient data stays off the ledger: no committed block holds the private value.
    let store = devnet.ledger().store();
    for n in 0..devnet.ledger().height() {
        let block = store.block(n).expect("read a block").expect("the block");
        let bytes = fabric_sdk::protos::Message::encode_to_vec(&block);
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "block {n} holds the private value"
        );
    }
    devnet.shutdown().await.expect("the devnet stops");
    eprintln!(
        "interop_gateway: both clients checked in {:.1?} (after the chaincode build)",
        started.elapsed()
    );
    drop((rust, node));
}

// ------------------------------------------------------------------------------ the checks

/// A step's observation; fails on an error the script did not expect.
fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    let s = &report["steps"][name];
    assert!(!s.is_null(), "step {name} missing from the report");
    assert!(
        s.get("unexpected").is_none(),
        "step {name} failed: {}",
        s["unexpected"]
    );
    s
}

fn is_txid(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not a block number: {v}"))
}

/// The ledger's (block, index, code) of a transaction.
fn location(devnet: &Devnet, txid: &Value) -> (u64, u64, i32) {
    let txid = txid.as_str().expect("a txid");
    let loc = devnet
        .ledger()
        .store()
        .transaction(txid)
        .expect("read the transaction index")
        .unwrap_or_else(|| panic!("transaction {txid} is not in the ledger"));
    (loc.block_num, loc.tx_num, loc.code as i32)
}

/// A commit status as the client reports it: code, success, and the ledger agrees.
fn assert_status(devnet: &Devnet, status: &Value, code: i32) {
    assert!(is_txid(&status["txid"]), "{status}");
    assert_eq!(status["code"], json!(code), "{status}");
    assert_eq!(status["successful"], json!(code == 0), "{status}");
    let (block, _, ledger_code) = location(devnet, &status["txid"]);
    assert_eq!(u64_of(&status["block"]), block, "{status}");
    assert_eq!(ledger_code, code, "{status}");
}

/// A gateway error as @hyperledger/fabric-gateway throws it.
fn assert_error(observed: &Value, name: &str, code: i64, message: &str, details: Value) {
    let e = &observed["error"];
    assert!(
        !e.is_null(),
        "expected {name}, the call succeeded: {observed}"
    );
    assert_eq!(e["name"], json!(name), "{e}");
    assert_eq!(e["code"], json!(code), "{e}");
    assert_eq!(e["message"], json!(message), "{e}");
    assert_eq!(e["details"], details, "{e}");
}

fn assert_commit_error(devnet: &Devnet, observed: &Value, code: i32, name: &str) {
    let e = &observed["error"];
    assert!(is_txid(&e["transactionId"]), "{observed}");
    let txid = e["transactionId"].as_str().unwrap_or_default();
    assert_eq!(e["name"], json!("CommitError"), "{e}");
    assert_eq!(e["code"], json!(code), "{e}");
    assert_eq!(
        e["message"],
        json!(format!(
            "Transaction {txid} failed to commit with status code {code} ({name})"
        )),
        "{e}"
    );
    assert_eq!(location(devnet, &e["transactionId"]).2, code);
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

fn check_report(devnet: &Devnet, cc: &str, r: &Value) {
    assert!(r.get("watchdog").is_none(), "{}", r["watchdog"]);
    let a_address = r["orgs"]["a"]["address"].clone();
    let c_address = r["orgs"]["c"]["address"].clone();
    assert_eq!(
        a_address,
        json!(devnet.peer_of(SMC).expect("SMC peer").address.to_string())
    );

    // submitTransaction: results as the asset-transfer sample returns them.
    let s = step(r, "submitTransaction");
    assert_eq!(s["init"], "");
    assert_eq!(
        s["created"],
        r#"{"ID":"asset101","Color":"teal","Size":7,"Owner":"Tomoko","AppraisedValue":900}"#
    );

    // evaluateTransaction: the stored JSON (sorted keys), on this and another organisation.
    let s = step(r, "evaluateTransaction");
    assert_eq!(
        s["own"],
        r#"{"AppraisedValue":300,"Color":"blue","ID":"asset1","Owner":"Tomoko","Size":5,"docType":"asset"}"#
    );
    assert_eq!(
        s["otherOrg"],
        r#"{"AppraisedValue":900,"Color":"teal","ID":"asset101","Owner":"Tomoko","Size":7}"#
    );

    // submitAsync: the result before the commit, then the commit status.
    let s = step(r, "submitAsync");
    assert_eq!(s["result"], "Tomoko");
    assert_eq!(s["txid"], s["status"]["txid"]);
    assert_status(devnet, &s["status"], 0);
    assert_eq!(s["ownerAfter"], "Min-jun");

    // Endorsing organisations: exactly the ones asked for; planned ones satisfy OutOf(2, …).
    let s = step(r, "endorsingOrganizations");
    assert_eq!(sorted(&s["explicit"]["endorsers"]), [MJH, NHIS]);
    assert_status(devnet, &s["explicit"]["status"], 0);
    let planned = sorted(&s["planned"]["endorsers"]);
    assert_eq!(planned.len(), 2, "{planned:?}");
    assert!(planned.iter().any(|m| m == NHIS), "{planned:?}");
    assert!(
        planned
            .iter()
            .all(|m| [SMC, MJH, NHIS].contains(&m.as_str()))
    );
    assert_status(devnet, &s["planned"]["status"], 0);

    // Chaincode errors (errors.json "evaluate-chaincode-error", "endorse-chaincode-error",
    // "endorse-unknown-org").
    let s = step(r, "chaincodeErrors");
    let cc_error = "chaincode response 500, The asset no-such-asset does not exist";
    assert_error(
        &s["evaluate"],
        "GatewayError",
        2,
        &format!("2 UNKNOWN: evaluate call to endorser returned error: {cc_error}"),
        json!([{"address": a_address, "mspId": SMC, "message": cc_error}]),
    );
    assert_error(
        &s["submit"],
        "EndorseError",
        10,
        "10 ABORTED: failed to endorse transaction, see attached details for more info",
        json!([{"address": a_address, "mspId": SMC,
                "message": "chaincode response 500, The asset asset1 already exists"}]),
    );
    assert!(is_txid(&s["submit"]["error"]["transactionId"]));
    assert_error(
        &s["unknownOrg"],
        "EndorseError",
        14,
        "14 UNAVAILABLE: failed to find any endorsing peers for org(s): NoSuchMSP",
        json!([]),
    );
    assert_error(
        &s["missingTransient"],
        "EndorseError",
        10,
        "10 ABORTED: failed to endorse transaction, see attached details for more info",
        json!([{"address": a_address, "mspId": SMC,
                "message": "chaincode response 500, The transient field \"value\" is required"}]),
    );

    // Endorsement policy failure: endorsed and submitted, committed invalid (errors.json
    // "commit-endorsement-policy-failure"); nothing was written.
    let s = step(r, "endorsementPolicyFailure");
    assert_commit_error(devnet, &s["error"], 10, "ENDORSEMENT_POLICY_FAILURE");
    let missing = "chaincode response 500, The asset asset104 does not exist";
    assert_error(
        &s["readAfter"],
        "GatewayError",
        2,
        &format!("2 UNKNOWN: evaluate call to endorser returned error: {missing}"),
        json!([{"address": a_address, "mspId": SMC, "message": missing}]),
    );

    // MVCC: two transfers endorsed on the same state; the one ordered second loses.
    let s = step(r, "mvccSameBlock");
    assert_status(devnet, &s["first"], 0);
    assert_status(devnet, &s["second"], 11);
    assert!(u64_of(&s["second"]["block"]) >= u64_of(&s["first"]["block"]));
    assert_eq!(s["owner"], "Ann");
    // contract.submit() throws CommitError with MVCC_READ_CONFLICT.
    let s = step(r, "mvccCommitError");
    assert_commit_error(devnet, &s["error"], 11, "MVCC_READ_CONFLICT");
    assert_status(devnet, &s["winner"], 0);
    let loser = location(devnet, &s["error"]["error"]["transactionId"]);
    assert!(loser.0 > u64_of(&s["winner"]["block"]), "{s}");
    assert_eq!(s["owner"], "Winner");

    // Offline signing; a commit status request and a transaction whose signature is not the
    // creator's: CommitStatusError (Readers ACL) and SubmitError (the orderer's Writers check).
    let s = step(r, "offlineSigning");
    assert_status(devnet, &s["status"], 0);
    assert_eq!(s["txid"], s["status"]["txid"]);
    assert_error(
        &s["commitStatus"],
        "CommitStatusError",
        7,
        "7 PERMISSION_DENIED: failed evaluating policy on signed data during check policy \
         [/Channel/Application/Readers]: [implicit policy evaluation failed - 0 sub-policies were \
         satisfied, but this policy requires 1 of the 'Readers' sub-policies to be satisfied]",
        json!([]),
    );
    assert_eq!(s["commitStatus"]["error"]["transactionId"], s["txid"]);
    assert_error(
        &s["submit"],
        "SubmitError",
        10,
        "10 ABORTED: received unsuccessful response from orderer: status=FORBIDDEN, \
         info=implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy \
         requires 1 of the 'Writers' sub-policies to be satisfied: permission denied",
        json!([]),
    );
    assert_eq!(s["submit"]["error"]["transactionId"], s["forgedTxid"]);
    let forged = s["forgedTxid"].as_str().unwrap_or_default();
    assert!(
        devnet
            .ledger()
            .store()
            .transaction(forged)
            .expect("read the transaction index")
            .is_none(),
        "the refused transaction reached the ledger"
    );

    // Chaincode events: the transactions behind them.
    let s = step(r, "chaincodeEventsSubmitted");
    assert_eq!(s["first"]["result"], "");
    assert_status(devnet, &s["first"], 0);
    assert_commit_error(devnet, &s["rejected"], 10, "ENDORSEMENT_POLICY_FAILURE");
    let rejected = s["rejected"]["error"]["transactionId"].clone();
    let pair = s["pairs"]
        .as_array()
        .and_then(|p| p.last())
        .expect("a pair was submitted");
    assert_eq!(
        pair[0]["block"], pair[1]["block"],
        "two transactions submitted together did not share a block in three tries: {}",
        s["pairs"]
    );
    // The invalid write did not happen.
    assert_eq!(s["last"]["result"], "v1");
    assert_status(devnet, &s["last"], 0);

    // The events every reader must see: the VALID SetValue transactions in ledger order.
    let s = step(r, "chaincodeEventsReplayed");
    let mut valid: Vec<(u64, u64, Value)> = Vec::new();
    for v in s["valueSets"].as_array().expect("value sets") {
        let (block, index, code) = location(devnet, &v["txid"]);
        assert_eq!(v["code"], json!(code));
        if code != 0 {
            continue;
        }
        let payload = json!({"key": v["key"], "value": v["value"]}).to_string();
        valid.push((
            block,
            index,
            json!({"block": block, "txid": v["txid"], "chaincode": cc, "name": EVENT, "payload": payload}),
        ));
    }
    valid.sort_by_key(|(block, index, _)| (*block, *index));
    let expected: Vec<Value> = valid.into_iter().map(|(_, _, e)| e).collect();
    assert!(expected.len() >= 4, "{expected:?}");
    assert!(
        expected.iter().all(|e| e["txid"] != rejected),
        "an invalid transaction's event"
    );
    for name in ["replay", "before", "resumed"] {
        assert!(s[name].get("timedOut").is_none(), "{name}: {}", s[name]);
        assert!(s[name].get("error").is_none(), "{name}: {}", s[name]);
    }
    assert_eq!(s["replay"]["items"], json!(expected), "events from a block");
    // Read up to the first event of the pair's block, then resumed from the checkpoint: every
    // event once, the second one of that block first.
    let before = s["before"]["items"].as_array().expect("events");
    let resumed = s["resumed"]["items"].as_array().expect("events");
    let last_before = before.last().expect("events before the checkpoint");
    assert_eq!(s["checkpoint"]["block"], s["pairBlock"]);
    assert_eq!(s["checkpoint"]["txid"], last_before["txid"]);
    assert_eq!(resumed[0]["block"], s["pairBlock"], "resumed mid-block");
    let both: Vec<Value> = before.iter().chain(resumed).cloned().collect();
    assert_eq!(json!(both), json!(expected), "checkpoint resumption");

    // Private data from the transient map: endorsed by members only, readable by members.
    let s = step(r, "privateData");
    assert_eq!(sorted(&s["endorsers"]), [MJH, SMC]);
    assert_eq!(s["preparedHasSecret"], false);
    assert_status(devnet, &s["status"], 0);
    assert_eq!(s["txid"], s["status"]["txid"]);
    assert_eq!(s["member"], SECRET);
    let denied = format!(
        "chaincode response 500, GET_STATE failed: transaction ID: {}: tx creator does not have \
         read access permission on privatedata in chaincodeName:{cc} collectionName: {COLLECTION}",
        s["nonMemberTxid"].as_str().unwrap_or_default()
    );
    assert_error(
        &s["nonMember"],
        "GatewayError",
        2,
        &format!("2 UNKNOWN: evaluate call to endorser returned error: {denied}"),
        json!([{"address": c_address, "mspId": NHIS, "message": denied}]),
    );
    assert_eq!(s["block"]["number"], s["status"]["block"]);
    assert!(
        s["block"]["txids"]
            .as_array()
            .is_some_and(|t| t.contains(&s["txid"]))
    );
    assert_eq!(s["blockHasSecret"], false);
    let ours: Vec<&Value> = s["privateData"]
        .as_array()
        .expect("private data")
        .iter()
        .filter(|p| p["txid"] == s["txid"])
        .collect();
    assert_eq!(
        ours,
        [
            &json!({"txid": s["txid"], "namespace": cc, "collection": COLLECTION,
                 "writes": [{"key": "note1", "value": SECRET}]})
        ]
    );

    // Block events.
    let s = step(r, "blockEvents");
    let mvcc = step(r, "mvccSameBlock");
    let first = &s["first"];
    assert_eq!(first["number"], mvcc["first"]["block"]);
    let txids = first["txids"].as_array().expect("txids");
    let codes = first["codes"].as_array().expect("codes");
    assert_eq!(txids.len(), codes.len());
    for (txid, code) in txids.iter().zip(codes) {
        assert_eq!(
            *code,
            json!(location(devnet, txid).2),
            "TRANSACTIONS_FILTER of {txid}"
        );
    }
    assert!(txids.contains(&mvcc["first"]["txid"]));
    assert_eq!(u64_of(&s["checkpoint"]), u64_of(&first["number"]) + 1);
    assert_eq!(
        u64_of(&s["resumed"]["number"]),
        u64_of(&first["number"]) + 1
    );
    let f = &s["filtered"];
    let replayed = step(r, "chaincodeEventsReplayed");
    assert_eq!(f["number"], replayed["pairBlock"]);
    assert_eq!(f["channel"], json!(devnet.channel().id()));
    let in_pair: Vec<&Value> = expected
        .iter()
        .filter(|e| e["block"] == replayed["pairBlock"])
        .collect();
    assert_eq!(in_pair.len(), 2);
    for e in in_pair {
        let tx = f["transactions"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["txid"] == e["txid"]))
            .unwrap_or_else(|| panic!("{} not in the filtered block {f}", e["txid"]));
        assert_eq!(tx["code"], 0);
        // Filtered blocks carry the event without its payload.
        assert_eq!(
            tx["events"],
            json!([{"chaincode": cc, "txid": e["txid"], "name": EVENT, "payloadLength": 0}])
        );
    }

    // The live stream (from the next commit) saw every event of the run, once, in order.
    let s = step(r, "chaincodeEventsLive");
    assert!(s.get("timedOut").is_none(), "{s}");
    assert_eq!(s["events"], json!(expected), "live chaincode events");
}
