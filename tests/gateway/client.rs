//! The fabric-sdk Gateway client end to end against the embedded devnet (started by each test),
//! with chaincodes served by our shim over CCaaS: every call, each failure with its stage error
//! (gRPC code, message, txid, every peer's ErrorDetail, validation code), chaincode and block
//! events with checkpoints, resumption across a devnet restart, mutual TLS, offline signing.

use std::time::Duration;

use bytes::Bytes;
use fabric_chaincode::{Chaincode, Response as CcResponse, Stub};
use fabric_sdk::Error;
use fabric_sdk::gateway::{
    Checkpoint, Checkpointer, Code, Connection, ConnectionProfile, Deadlines, FileCheckpointer,
    Gateway, InMemoryCheckpointer, NO_ARGS, TxValidationCode,
};
use fabric_sdk::identity::SigningIdentity;
use medledger_e2e::serve_in_process;
use medledger_network::Topology;
use medledger_network::devnet::Devnet;
use medledger_network::topology::ChaincodeDef;

const SMC: &str = "SeoulMedicalCenterMSP";
const MJH: &str = "MyongjiHospitalMSP";
const NHIS: &str = "NHISMSP";
const DOCTOR: &str = "Doctor1@seoulmedical.example.com";
const KV_ID: &str = "kv_1.0:3333333333333333333333333333333333333333333333333333333333333333";
const STRICT_ID: &str =
    "strict_1.0:4444444444444444444444444444444444444444444444444444444444444444";
const WAIT: Duration = Duration::from_secs(20);

/// A key-value chaincode: writes with events, reads, counters (MVCC), failures, delays, private
/// data, and echoes qualified (`Contract:Fn`) names.
struct Kv;

impl Chaincode for Kv {
    async fn invoke(&self, stub: Stub) -> CcResponse {
        let f = stub.function().to_owned();
        let params = stub.parameters().to_vec();
        let raw = |i: usize| params.get(i).cloned().unwrap_or_default();
        let arg = |i: usize| String::from_utf8_lossy(&raw(i)).into_owned();
        let r: fabric_chaincode::Result<Bytes> = async {
            match f.as_str() {
                "put" => {
                    stub.put_state(&arg(0), raw(1)).await?;
                    stub.set_event("put", arg(0).into_bytes())?;
                    Ok(raw(1))
                }
                "get" => Ok(stub.get_state(&arg(0)).await?.unwrap_or_default()),
                "incr" => {
                    let old = stub.get_state(&arg(0)).await?.unwrap_or_default();
                    let n: u64 = std::str::from_utf8(&old)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    stub.put_state(&arg(0), (n + 1).to_string().into_bytes())
                        .await?;
                    Ok(Bytes::from((n + 1).to_string()))
                }
                "fail" => Err(fabric_chaincode::Error::InvalidArgument(arg(0))),
                "sleep" => {
                    let ms: u64 = arg(0).parse().unwrap_or(1000);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(Bytes::from_static(b"awake"))
                }
                "putPrivate" => {
                    let value = stub.transient_value("value")?.cloned().unwrap_or_default();
                    stub.put_private_data(&arg(0), &arg(1), value).await?;
                    stub.set_event("putPrivate", arg(1).into_bytes())?;
                    Ok(Bytes::new())
                }
                "getPrivate" => Ok(stub
                    .get_private_data(&arg(0), &arg(1))
                    .await?
                    .unwrap_or_default()),
                other if other.contains(':') => Ok(Bytes::from(other.to_owned())),
                other => Err(fabric_chaincode::Error::InvalidArgument(format!(
                    "unknown function {other}"
                ))),
            }
        }
        .await;
        match r {
            Ok(p) => fabric_chaincode::chaincode::success(p),
            Err(fabric_chaincode::Error::InvalidArgument(m)) => {
                fabric_chaincode::chaincode::error(m)
            }
            Err(e) => fabric_chaincode::chaincode::error(e.to_string()),
        }
    }
}

/// The medical consortium with two chaincodes: `kv` (any hospital or NHIS endorses, a
/// `clinical` collection of the hospitals) and `strict` (both hospitals must endorse).
async fn topology() -> Topology {
    let kv = serve_in_process(Kv, KV_ID).await;
    let strict = serve_in_process(Kv, STRICT_ID).await;
    let mut t = Topology::medical_default();
    t.block_cutting.batch_timeout = "100ms".into();
    let mut kv = ChaincodeDef::external(
        "kv",
        KV_ID,
        &kv,
        format!("OR('{SMC}.peer', '{MJH}.peer', '{NHIS}.peer')"),
    );
    kv.collections = Some(format!(
        r#"[{{"name":"clinical","policy":"OR('{SMC}.member','{MJH}.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":0,"memberOnlyRead":true,"memberOnlyWrite":true}}]"#
    ));
    t.chaincodes = vec![
        kv,
        ChaincodeDef::external(
            "strict",
            STRICT_ID,
            &strict,
            format!("AND('{SMC}.peer', '{MJH}.peer')"),
        ),
    ];
    t
}

struct Net {
    devnet: Devnet,
    dir: tempfile::TempDir,
}

async fn start(topology: Topology) -> Net {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path().join("devnet"), topology)
        .await
        .unwrap();
    Net { devnet, dir }
}

impl Net {
    async fn profile(&self, msp: &str) -> ConnectionProfile {
        ConnectionProfile::load(self.devnet.connection_file(msp).unwrap())
            .await
            .unwrap()
    }

    /// The doctor of Seoul Medical Center, through the connection file.
    async fn doctor(&self) -> (ConnectionProfile, Gateway) {
        let profile = self.profile(SMC).await;
        let gateway = profile.connect(DOCTOR).await.unwrap();
        (profile, gateway)
    }
}

fn rpc(e: Error) -> fabric_sdk::gateway::RpcError {
    match e {
        Error::Evaluate(r)
        | Error::Endorse(r)
        | Error::Submit(r)
        | Error::CommitStatus(r)
        | Error::ChaincodeEvents(r)
        | Error::BlockEvents(r) => r,
        other => panic!("not an RPC error: {other:?}"),
    }
}

async fn next<T: std::fmt::Debug>(s: &mut fabric_sdk::gateway::EventStream<T>) -> T {
    tokio::time::timeout(WAIT, s.next())
        .await
        .expect("no event in time")
        .expect("the stream ended")
        .unwrap()
}

/// Nothing more arrives within `d`.
async fn quiet<T: std::fmt::Debug>(s: &mut fabric_sdk::gateway::EventStream<T>, d: Duration) {
    if let Ok(item) = tokio::time::timeout(d, s.next()).await {
        panic!("unexpected item: {item:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluate_submit_and_every_failure() {
    let net = start(topology().await).await;
    let (profile, gateway) = net.doctor().await;
    let network = gateway.network(&profile.channel);
    let kv = network.contract("kv");

    // Submit and evaluate, string and byte arguments.
    let result = kv.submit("put", ["k1", "v1"]).await.unwrap();
    assert_eq!(&result[..], b"v1");
    assert_eq!(&kv.evaluate("get", ["k1"]).await.unwrap()[..], b"v1");
    let bytes: &[u8] = &[0xff, 0x00, 0x7f];
    kv.new_proposal("put")
        .arg("bin")
        .arg(bytes)
        .submit()
        .await
        .unwrap();
    assert_eq!(&kv.evaluate("get", ["bin"]).await.unwrap()[..], bytes);
    assert!(kv.evaluate("get", ["missing"]).await.unwrap().is_empty());

    // A named contract: "Assets:whoami" reaches the chaincode.
    let assets = network.contract_with_name("kv", "Assets");
    assert_eq!(assets.qualified_name("whoami"), "Assets:whoami");
    assert_eq!(
        &assets.evaluate("whoami", NO_ARGS).await.unwrap()[..],
        b"Assets:whoami"
    );

    // submit_async: result now, commit status later.
    let submitted = kv.submit_async("put", ["k2", "v2"]).await.unwrap();
    assert_eq!(&submitted.result()[..], b"v2");
    let status = submitted.status().await.unwrap();
    assert!(status.successful());
    assert_eq!(status.code, TxValidationCode::Valid);
    assert_eq!(status.transaction_id, submitted.transaction_id());
    assert!(status.block_number > 0);
    // The same commit, asked for by transaction id.
    let again = network
        .commit(submitted.transaction_id())
        .unwrap()
        .status()
        .await
        .unwrap();
    assert_eq!(again, status);

    // Transient data and endorsing organisations: private data of the hospitals.
    kv.new_proposal("putPrivate")
        .args(["clinical", "rx1"])
        .transient("value", "amoxicillin")
        .endorsing_organizations([SMC, MJH])
        .submit()
        .await
        .unwrap();
    assert_eq!(
        &kv.evaluate("getPrivate", ["clinical", "rx1"])
            .await
            .unwrap()[..],
        b"amoxicillin"
    );

    // The same connection shared by another identity's gateway.
    let nurse = profile
        .signing_identity("Nurse1@seoulmedical.example.com")
        .await
        .unwrap();
    let nurse_gw = Gateway::connect(gateway.connection().clone(), &nurse);
    assert_eq!(
        &nurse_gw
            .network(&profile.channel)
            .contract("kv")
            .evaluate("get", ["k1"])
            .await
            .unwrap()[..],
        b"v1"
    );

    // A connection and identity from MSP directories (TLS roots from the user's tlscacerts/),
    // dialed lazily.
    let id = profile.identity(DOCTOR).unwrap().msp_dir.clone();
    let from_msp = Connection::builder(&profile.gateway_address)
        .tls_roots_from_msp_dir(&id)
        .server_name(profile.server_name.clone().unwrap())
        .connect_lazy()
        .unwrap();
    let me = SigningIdentity::from_msp_dir(&id, SMC).unwrap();
    let msp_gw = Gateway::connect(from_msp, &me);
    assert_eq!(
        &msp_gw
            .network(&profile.channel)
            .contract("kv")
            .evaluate("get", ["k1"])
            .await
            .unwrap()[..],
        b"v1"
    );
    // The wrong server name is refused by TLS verification.
    let wrong = Connection::builder(&profile.gateway_address)
        .tls_roots_from_msp_dir(&id)
        .server_name("peer0.nhis.example.com")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(wrong, Error::Connection(_)), "{wrong}");

    // Chaincode error on evaluate: UNKNOWN, the chaincode's message easy to reach.
    let e = rpc(kv.evaluate("fail", ["no such patient"]).await.unwrap_err());
    assert_eq!(e.code, Code::Unknown, "{e}");
    assert_eq!(e.chaincode_message(), Some("no such patient"));
    assert_eq!(e.chaincode_status(), Some(500));
    assert_eq!(e.details.len(), 1);
    assert_eq!(e.details[0].msp_id, SMC);
    assert_eq!(e.details[0].address, profile.gateway_address);
    assert_eq!(e.transaction_id.len(), 64);

    // Chaincode error on submit: an Endorse error with the peer's detail.
    let err = kv
        .submit("fail", ["prescription expired"])
        .await
        .unwrap_err();
    let message = err.to_string();
    let Error::Endorse(e) = err else {
        panic!("{message}")
    };
    assert_eq!(e.code, Code::Aborted);
    assert_eq!(
        e.message,
        "failed to endorse transaction, see attached details for more info"
    );
    assert_eq!(e.details.len(), 1);
    assert_eq!(e.details[0].msp_id, SMC);
    assert_eq!(
        e.details[0].message,
        "chaincode response 500, prescription expired"
    );
    assert_eq!(e.chaincode_message(), Some("prescription expired"));
    assert!(message.starts_with("endorse failed: Aborted"), "{message}");
    assert!(message.contains(&e.transaction_id), "{message}");

    // Endorsement policy failure: AND(SMC, MJH) endorsed by SMC alone commits invalid.
    let strict = network.contract("strict");
    let err = strict
        .new_proposal("put")
        .args(["s1", "x"])
        .endorsing_organizations([SMC])
        .submit()
        .await
        .unwrap_err();
    let Error::Commit(c) = &err else {
        panic!("{err}")
    };
    assert_eq!(c.code, TxValidationCode::EndorsementPolicyFailure);
    assert_eq!(c.code_name(), "ENDORSEMENT_POLICY_FAILURE");
    assert!(
        err.to_string().contains("(ENDORSEMENT_POLICY_FAILURE)"),
        "{err}"
    );
    // Left to choose, the gateway finds both hospitals.
    strict.submit("put", ["s1", "y"]).await.unwrap();

    // MVCC: two increments endorsed on the same state, submitted together.
    kv.submit("put", ["counter", "0"]).await.unwrap();
    let t1 = kv
        .new_proposal("incr")
        .arg("counter")
        .endorse()
        .await
        .unwrap();
    let t2 = kv
        .new_proposal("incr")
        .arg("counter")
        .endorse()
        .await
        .unwrap();
    assert_eq!(&t1.result()[..], b"1");
    let c1 = t1.submit().await.unwrap();
    let c2 = t2.submit().await.unwrap();
    assert!(c1.status().await.unwrap().successful());
    let s2 = c2.status().await.unwrap();
    assert!(!s2.successful());
    assert_eq!(s2.code, TxValidationCode::MvccReadConflict);
    match s2.check() {
        Err(Error::Commit(c)) => {
            assert_eq!(c.code_name(), "MVCC_READ_CONFLICT");
            assert_eq!(c.transaction_id, t2.transaction_id());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(&kv.evaluate("get", ["counter"]).await.unwrap()[..], b"1");

    // Unknown chaincode.
    let nosuch = network.contract("nosuchcc");
    let e = rpc(nosuch.evaluate("get", ["k"]).await.unwrap_err());
    assert_eq!(e.code, Code::FailedPrecondition);
    assert_eq!(
        e.message,
        format!(
            "no peers available to evaluate chaincode nosuchcc in channel {}",
            profile.channel
        )
    );
    let err = nosuch.submit("put", ["k", "v"]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Endorse(e) if e.code == Code::FailedPrecondition),
        "{err}"
    );

    // Unknown channel: every stage says so.
    let elsewhere = gateway.network("nochannel");
    let e = rpc(elsewhere
        .contract("kv")
        .evaluate("get", ["k"])
        .await
        .unwrap_err());
    assert_eq!(e.code, Code::FailedPrecondition);
    assert!(e.message.contains("nochannel"), "{e}");
    let err = elsewhere
        .contract("kv")
        .submit("put", ["k", "v"])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Endorse(e) if e.code == Code::FailedPrecondition),
        "{err}"
    );
    let err = elsewhere
        .commit(submitted.transaction_id())
        .unwrap()
        .status()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::CommitStatus(e) if e.message == "channel 'nochannel' not found"),
        "{err}"
    );
    let mut events = elsewhere.chaincode_events("kv").events().await.unwrap();
    let err = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&err, Error::ChaincodeEvents(e) if e.code == Code::NotFound),
        "{err}"
    );
    assert!(events.next().await.is_none(), "an error ends the stream");
    let mut blocks = elsewhere.block_events().events().await.unwrap();
    let err = tokio::time::timeout(WAIT, blocks.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&err, Error::BlockEvents(e) if e.code == Code::NotFound),
        "{err}"
    );

    // Deadlines: per contract, per call; the chaincode sleeps 2 s.
    let hasty = kv.with_deadlines(Deadlines {
        evaluate: Duration::from_millis(300),
        ..Deadlines::default()
    });
    let started = std::time::Instant::now();
    let e = rpc(hasty.evaluate("sleep", ["2000"]).await.unwrap_err());
    assert_eq!(e.code, Code::DeadlineExceeded, "{e}");
    assert!(e.is_deadline_exceeded());
    assert!(started.elapsed() < Duration::from_millis(1500));
    let proposal = kv.new_proposal("sleep").arg("2000").build().unwrap();
    let err = proposal
        .endorse_with_timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Endorse(e) if e.code == Code::DeadlineExceeded),
        "{err}"
    );
    // A transaction that never commits.
    let never = "0".repeat(64);
    let err = network
        .commit(&never)
        .unwrap()
        .status_with_timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::CommitStatus(e) if e.code == Code::DeadlineExceeded && e.transaction_id == never),
        "{err}"
    );

    // A forged transaction signature: the orderer refuses it at Submit.
    let me = profile.signing_identity(DOCTOR).await.unwrap();
    let offline = Gateway::builder(gateway.connection().clone(), me.identity.clone()).build();
    let proposal = offline
        .network(&profile.channel)
        .contract("kv")
        .new_proposal("put")
        .args(["forged", "1"])
        .build()
        .unwrap();
    let signature = me.signer.sign_digest(&proposal.digest()).unwrap();
    let tx = offline
        .new_signed_proposal(&proposal.bytes(), signature)
        .unwrap()
        .endorse()
        .await
        .unwrap();
    let forger = profile
        .signing_identity("Nurse1@seoulmedical.example.com")
        .await
        .unwrap();
    let signature = forger.signer.sign_digest(&tx.digest()).unwrap();
    let err = offline
        .new_signed_transaction(&tx.bytes(), signature)
        .unwrap()
        .submit()
        .await
        .unwrap_err();
    let Error::Submit(e) = &err else {
        panic!("{err}")
    };
    assert_eq!(e.code, Code::Aborted);
    assert!(e.message.contains("status=FORBIDDEN"), "{e}");

    net.devnet.shutdown().await.unwrap();
    drop(net.dir);
}

/// Chaincode events (next commit, start block, checkpoint in the middle of a block), block
/// events of each kind, and the whole offline-signing flow, on a devnet that requires mutual
/// TLS (so Deliver requests must carry the TLS certificate hash).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_checkpoints_offline_signing_and_mutual_tls() {
    let mut t = topology().await;
    t.devnet.mutual_tls = true;
    t.block_cutting.batch_timeout = "300ms".into();
    let net = start(t).await;
    let profile = net.profile(SMC).await;
    assert!(profile.mutual_tls);

    // Without a client certificate the peer refuses the connection.
    let root = profile.tls_root_cert.clone().unwrap();
    let bare = Connection::builder(&profile.gateway_address)
        .tls_root_cert_file(&root)
        .server_name(profile.server_name.clone().unwrap())
        .connect_timeout(Duration::from_secs(3))
        .connect()
        .await;
    if let Ok(c) = bare {
        let me = profile.signing_identity(DOCTOR).await.unwrap();
        let gw = Gateway::connect(c, &me);
        assert!(
            gw.network(&profile.channel)
                .contract("kv")
                .evaluate("get", ["k"])
                .await
                .is_err()
        );
    }

    let gateway = profile.connect(DOCTOR).await.unwrap();
    assert!(gateway.connection().tls_cert_hash().is_some());
    let network = gateway.network(&profile.channel);
    let kv = network.contract("kv");

    // From the next commit.
    let mut live = network.chaincode_events("kv").events().await.unwrap();
    let mut filtered = network.filtered_block_events().events().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let s1 = kv.submit_async("put", ["e1", "1"]).await.unwrap();
    let st1 = s1.status().await.unwrap();
    let e1 = next(&mut live).await;
    assert_eq!(e1.transaction_id, s1.transaction_id());
    assert_eq!(e1.block_number, st1.block_number);
    assert_eq!(e1.chaincode_name, "kv");
    assert_eq!(e1.event_name, "put");
    assert_eq!(&e1.payload[..], b"e1");
    let fb = next(&mut filtered).await;
    assert_eq!(fb.number, st1.block_number);
    assert_eq!(fb.filtered_transactions[0].txid, s1.transaction_id());
    assert_eq!(
        fb.filtered_transactions[0].tx_validation_code,
        TxValidationCode::Valid as i32
    );

    // Three transactions in one block: endorse all, then submit together.
    let mut txs = Vec::new();
    for k in ["e2", "e3", "e4"] {
        txs.push(
            kv.new_proposal("put")
                .args([k, "x"])
                .endorse()
                .await
                .unwrap(),
        );
    }
    // Submitted at once, so that one block cut takes the three.
    let commits: Vec<_> = futures_util::future::join_all(txs.iter().map(|tx| tx.submit()))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut statuses = Vec::new();
    for c in &commits {
        statuses.push(c.status().await.unwrap());
    }
    let block = statuses[0].block_number;
    assert!(
        statuses.iter().all(|s| s.block_number == block),
        "expected one block: {statuses:?}"
    );
    // Events come in block order (which need not be the submission order).
    let mut in_block = Vec::new();
    for _ in &txs {
        let e = next(&mut live).await;
        assert_eq!(e.block_number, block);
        in_block.push(e.transaction_id);
    }
    let mut submitted: Vec<String> = txs.iter().map(|t| t.transaction_id().to_owned()).collect();
    let mut sorted = in_block.clone();
    submitted.sort();
    sorted.sort();
    assert_eq!(sorted, submitted);

    // From a start block: every event since.
    let mut from_start = network
        .chaincode_events("kv")
        .start_block(st1.block_number)
        .events()
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(next(&mut from_start).await.transaction_id);
    }
    let mut expected = vec![s1.transaction_id().to_owned()];
    expected.extend(in_block.iter().cloned());
    assert_eq!(seen, expected);
    drop(from_start);

    // From a checkpoint after the first event of the three-event block: the other two only.
    let checkpointer = InMemoryCheckpointer::new();
    checkpointer
        .checkpoint_transaction(block, &in_block[0])
        .await
        .unwrap();
    let mut resumed = network
        .chaincode_events("kv")
        .start_block(0)
        .checkpointer(&checkpointer)
        .events()
        .await
        .unwrap();
    for txid in &in_block[1..] {
        let e = next(&mut resumed).await;
        assert_eq!(&e.transaction_id, txid);
        checkpointer.checkpoint_chaincode_event(&e).await.unwrap();
    }
    quiet(&mut resumed, Duration::from_millis(500)).await;
    assert_eq!(
        checkpointer.checkpoint(),
        Some(Checkpoint::after_transaction(block, in_block[2].clone()))
    );
    drop(resumed);

    // Full blocks and blocks with private data from a start block.
    let mut full = network
        .block_events()
        .start_block(block)
        .events()
        .await
        .unwrap();
    let b = next(&mut full).await;
    assert_eq!(b.header.as_ref().unwrap().number, block);
    assert_eq!(b.data.as_ref().unwrap().data.len(), 3);
    drop(full);
    let mut pvt = network
        .block_and_private_data_events()
        .events()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sp = kv
        .new_proposal("putPrivate")
        .args(["clinical", "rx9"])
        .transient("value", "secret")
        .submit_async()
        .await
        .unwrap();
    let sps = sp.status().await.unwrap();
    assert!(sps.successful());
    let bp = next(&mut pvt).await;
    assert_eq!(
        bp.block.as_ref().unwrap().header.as_ref().unwrap().number,
        sps.block_number
    );
    let rwset = bp.private_data_map.get(&0).expect("private data of tx 0");
    assert_eq!(rwset.ns_pvt_rwset[0].namespace, "kv");
    assert_eq!(
        rwset.ns_pvt_rwset[0].collection_pvt_rwset[0].collection_name,
        "clinical"
    );
    drop(pvt);
    drop(live);
    drop(filtered);

    // Offline signing, end to end: a gateway without a signer, signatures made "elsewhere".
    let me = profile.signing_identity(DOCTOR).await.unwrap();
    let offline = Gateway::builder(gateway.connection().clone(), me.identity.clone()).build();
    let sign = |digest: Vec<u8>| Bytes::from(me.signer.sign_digest(&digest).unwrap());
    let onet = offline.network(&profile.channel);
    let okv = onet.contract("kv");

    let unsigned_events = onet.chaincode_events("kv").build().unwrap();
    let events_request = offline
        .new_signed_chaincode_events_request(
            &unsigned_events.bytes(),
            sign(unsigned_events.digest()),
        )
        .unwrap();
    let mut offline_events = events_request.events().await.unwrap();
    let unsigned_blocks = onet.filtered_block_events().build().unwrap();
    let mut offline_blocks = offline
        .new_signed_filtered_block_events_request(
            &unsigned_blocks.bytes(),
            sign(unsigned_blocks.digest()),
        )
        .unwrap()
        .events()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let unsigned = okv
        .new_proposal("put")
        .args(["off", "line"])
        .build()
        .unwrap();
    assert!(matches!(
        unsigned.endorse().await.unwrap_err(),
        Error::NotSigned("proposal")
    ));
    let proposal = offline
        .new_signed_proposal(&unsigned.bytes(), sign(unsigned.digest()))
        .unwrap();
    let unsigned_tx = proposal.endorse().await.unwrap();
    assert!(!unsigned_tx.is_signed());
    assert_eq!(&unsigned_tx.result()[..], b"line");
    let tx = offline
        .new_signed_transaction(&unsigned_tx.bytes(), sign(unsigned_tx.digest()))
        .unwrap();
    let unsigned_commit = tx.submit().await.unwrap();
    assert!(matches!(
        unsigned_commit.status().await.unwrap_err(),
        Error::NotSigned("commit")
    ));
    let commit = offline
        .new_signed_commit(&unsigned_commit.bytes(), sign(unsigned_commit.digest()))
        .unwrap();
    let status = commit.status().await.unwrap();
    assert!(status.successful());
    assert_eq!(status.transaction_id, proposal.transaction_id());
    let e = next(&mut offline_events).await;
    assert_eq!(e.transaction_id, proposal.transaction_id());
    let fb = next(&mut offline_blocks).await;
    assert_eq!(fb.number, status.block_number);
    // Evaluate offline too.
    let q = okv.new_proposal("get").arg("off").build().unwrap();
    let q = offline
        .new_signed_proposal(&q.bytes(), sign(q.digest()))
        .unwrap();
    assert_eq!(&q.evaluate().await.unwrap()[..], b"line");

    net.devnet.shutdown().await.unwrap();
}

/// A port base whose peer ports (base+1 ..= base+8) are free now.
fn free_port_base() -> u16 {
    for _ in 0..200 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let Some(base) = port.checked_sub(1).filter(|b| (1024..65000).contains(b)) else {
            continue;
        };
        if (1..=8).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range");
}

const CHILD_DIR: &str = "MEDLEDGER_GATEWAY_TEST_DEVNET_DIR";
const CHILD_TOPOLOGY: &str = "MEDLEDGER_GATEWAY_TEST_TOPOLOGY";
const READY: &str = "MEDLEDGER-DEVNET-READY";

/// Run by `listeners_resume_across_a_peer_restart` as a child process (this test binary, this
/// test only): the devnet of the given data directory and topology, until killed. Does nothing
/// in a normal test run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started as a child process by listeners_resume_across_a_peer_restart"]
async fn devnet_child_process() {
    let (Ok(dir), Ok(topology)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_TOPOLOGY)) else {
        return;
    };
    let topology = Topology::from_file(topology).unwrap();
    let devnet = Devnet::start(dir, topology).await.unwrap();
    println!("{READY} resumed={}", devnet.resumed());
    std::future::pending::<()>().await;
}

/// The devnet in a child process: killed with SIGKILL, like a peer that crashes.
struct DevnetProcess(tokio::process::Child);

impl DevnetProcess {
    async fn start(dir: &std::path::Path, topology: &std::path::Path) -> (Self, bool) {
        use tokio::io::AsyncBufReadExt as _;
        let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "devnet_child_process",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_DIR, dir)
            .env(CHILD_TOPOLOGY, topology)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let resumed = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.strip_prefix(READY) {
                    return rest.contains("resumed=true");
                }
            }
            panic!("the devnet process ended before it was ready");
        })
        .await
        .expect("the devnet process did not start in time");
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        (DevnetProcess(child), resumed)
    }

    async fn kill(mut self) {
        self.0.kill().await.unwrap();
    }
}

/// The peer crashes (kill -9) and restarts on the same data directory and ports: the shared
/// connection dials again, a live chaincode listener and a live block listener resume with no
/// event lost or repeated, and a listener restarted from its file checkpoint skips what it
/// processed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_resume_across_a_peer_restart() {
    let mut t = topology().await;
    t.devnet.port_base = free_port_base();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let topology_file = dir.path().join("topology.toml");
    std::fs::write(&topology_file, t.to_toml_string().unwrap()).unwrap();
    let (devnet, resumed) = DevnetProcess::start(&data, &topology_file).await;
    assert!(!resumed);
    let profile = ConnectionProfile::load(data.join("connections").join(format!("{SMC}.json")))
        .await
        .unwrap();
    let gateway = profile.connect(DOCTOR).await.unwrap();
    let network = gateway.network(&profile.channel);
    let kv = network.contract("kv");

    let checkpoint_file = dir.path().join("checkpoint.json");
    let file = FileCheckpointer::open(&checkpoint_file).await.unwrap();
    let first = kv.submit_async("put", ["r0", "0"]).await.unwrap();
    let first_block = first.status().await.unwrap().block_number;

    // A live chaincode listener and a live filtered-block listener.
    let mut live = network
        .chaincode_events("kv")
        .start_block(first_block)
        .checkpointer(&file)
        .events()
        .await
        .unwrap();
    let mut blocks = network
        .filtered_block_events()
        .start_block(first_block)
        .events()
        .await
        .unwrap();
    let mut expected = vec![first.transaction_id().to_owned()];
    let mut last_block = first_block;
    for k in ["r1", "r2"] {
        let s = kv.submit_async("put", [k, "1"]).await.unwrap();
        last_block = s.status().await.unwrap().block_number;
        expected.push(s.transaction_id().to_owned());
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        let e = next(&mut live).await;
        file.checkpoint_chaincode_event(&e).await.unwrap();
        seen.push(e.transaction_id);
    }
    assert_eq!(seen, expected);
    let mut next_block = first_block;
    while next_block <= last_block {
        assert_eq!(next(&mut blocks).await.number, next_block);
        next_block += 1;
    }

    // The peer crashes.
    devnet.kill().await;
    let while_down = kv.evaluate("get", ["r1"]).await.unwrap_err();
    assert!(
        matches!(&while_down, Error::Evaluate(e) if e.code == Code::Unavailable),
        "{while_down}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    // It comes back on the same ports, with its ledger.
    let (devnet, resumed) = DevnetProcess::start(&data, &topology_file).await;
    assert!(resumed);

    // The same connection dials again.
    let s3 = kv.submit_async("put", ["r3", "3"]).await.unwrap();
    assert!(s3.status().await.unwrap().successful());
    expected.push(s3.transaction_id().to_owned());
    let s4 = kv.submit_async("put", ["r4", "4"]).await.unwrap();
    last_block = s4.status().await.unwrap().block_number;
    expected.push(s4.transaction_id().to_owned());

    // The live listener resumed after its last event: exactly r3 and r4.
    for txid in &expected[3..] {
        let e = next(&mut live).await;
        assert_eq!(&e.transaction_id, txid);
        file.checkpoint_chaincode_event(&e).await.unwrap();
    }
    quiet(&mut live, Duration::from_millis(500)).await;
    // The block listener: every block after the last one it delivered, in order.
    while next_block <= last_block {
        assert_eq!(next(&mut blocks).await.number, next_block);
        next_block += 1;
    }
    quiet(&mut blocks, Duration::from_millis(300)).await;
    drop(live);
    drop(blocks);

    // A listener restarted from the file (as a new process would): only what follows r4.
    let file = FileCheckpointer::open(&checkpoint_file).await.unwrap();
    assert_eq!(file.transaction_id().as_deref(), Some(s4.transaction_id()));
    let mut restarted = network
        .chaincode_events("kv")
        .checkpointer(&file)
        .events()
        .await
        .unwrap();
    let s5 = kv.submit_async("put", ["r5", "5"]).await.unwrap();
    s5.status().await.unwrap();
    assert_eq!(
        next(&mut restarted).await.transaction_id,
        s5.transaction_id()
    );
    quiet(&mut restarted, Duration::from_millis(300)).await;

    devnet.kill().await;
}
