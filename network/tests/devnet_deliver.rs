//! The Deliver service over a real gRPC connection: seek semantics, waiting for future blocks,
//! status codes, filtered blocks, private data by collection membership, forbidden requesters.

use bytes::Bytes;
use fabric_protos::common::{
    Block, ChannelHeader, Envelope, Header, HeaderType, Payload, SignatureHeader, Status,
};
use fabric_protos::orderer::seek_info::SeekBehavior;
use fabric_protos::orderer::seek_position::Type as Seek;
use fabric_protos::orderer::{
    SeekInfo, SeekNewest, SeekNextCommit, SeekOldest, SeekPosition, SeekSpecified,
};
use fabric_protos::protos::deliver_client::DeliverClient;
use fabric_protos::protos::{DeliverResponse, TxValidationCode, deliver_response};
use fabric_protos::rwset::TxPvtReadWriteSet;
use fabric_sdk::identity::{Msp, SigningIdentity};
use fabric_sdk::policy::dsl;
use medledger_network::devnet::acl::ChannelOrg;
use medledger_network::devnet::committer::commit_block;
use medledger_network::devnet::deliver::filtered_block;
use medledger_network::devnet::envelope::synthetic_envelope;
use medledger_network::devnet::store::{BlockUpdates, CollectionPvtRwset, Snapshot, TxUpdates};
use medledger_network::devnet::{
    AcceptAll, BatchConfig, DeliverConfig, DeliverService, Ledger, MspAccessControl, Pipeline,
    Store, build_block,
};
use prost::Message;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors");
const CH: &str = "mychannel";

fn crypto(rel: &str) -> String {
    format!("{VECTORS}/fabric-v3.1.5/crypto/{rel}")
}

fn user(org: u8) -> SigningIdentity {
    SigningIdentity::from_msp_dir(
        crypto(&format!(
            "peerOrganizations/org{org}.example.com/users/User1@org{org}.example.com/msp"
        )),
        format!("Org{org}MSP"),
    )
    .unwrap()
}

fn org(msp_id: &str, dir: &str, application: bool) -> ChannelOrg {
    let (readers, writers) = if application {
        (
            format!("OR('{msp_id}.admin','{msp_id}.peer','{msp_id}.client')"),
            format!("OR('{msp_id}.admin','{msp_id}.client')"),
        )
    } else {
        (
            format!("OR('{msp_id}.member')"),
            format!("OR('{msp_id}.member')"),
        )
    };
    ChannelOrg {
        msp: Msp::from_dir(crypto(dir), msp_id).unwrap(),
        application,
        readers: dsl::parse(&readers).unwrap(),
        writers: dsl::parse(&writers).unwrap(),
    }
}

fn acl() -> MspAccessControl {
    let mut acl = MspAccessControl::new([
        org("Org1MSP", "peerOrganizations/org1.example.com/msp", true),
        org("Org2MSP", "peerOrganizations/org2.example.com/msp", true),
        org("OrdererMSP", "ordererOrganizations/example.com/msp", false),
    ]);
    let pkg = fabric_sdk::policy::collection::parse_collections_json(
        br#"[{"name":"shared","policy":"OR('Org1MSP.member','Org2MSP.member')"},
             {"name":"org2only","policy":"OR('Org2MSP.member')"}]"#,
    )
    .unwrap();
    acl.add_collections("cc", &pkg);
    acl
}

struct Net {
    ledger: Ledger,
    pipeline: Pipeline,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

async fn net() -> Net {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let b = build_block(
        0,
        &[],
        vec![synthetic_envelope(CH, "", b"genesis")],
        0,
        None,
    )
    .unwrap();
    store
        .commit(b, &BlockUpdates::without_writes(1, TxValidationCode::Valid))
        .unwrap();
    let ledger = Ledger::new(store).unwrap();
    let batch = BatchConfig {
        max_message_count: 1,
        batch_timeout: Duration::from_millis(50),
        ..BatchConfig::default()
    };
    let pipeline = Pipeline::start(ledger.clone(), batch, None, Arc::new(AcceptAll)).unwrap();
    let service = DeliverService::new(ledger.clone(), Arc::new(acl()), DeliverConfig::new(CH));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    Net {
        ledger,
        pipeline,
        addr,
        _dir: dir,
    }
}

impl Net {
    async fn submit(&self, txid: &str) {
        self.pipeline
            .orderer()
            .broadcast(synthetic_envelope(CH, txid, b"x"))
            .await
            .unwrap();
        self.ledger.wait_for_transaction(txid).await.unwrap();
    }
}

fn pos(p: Seek) -> Option<SeekPosition> {
    Some(SeekPosition { r#type: Some(p) })
}

fn specified(n: u64) -> Seek {
    Seek::Specified(SeekSpecified { number: n })
}

struct Req {
    channel: String,
    header_type: HeaderType,
    timestamp_offset: i64,
    corrupt_signature: bool,
}

impl Default for Req {
    fn default() -> Self {
        Req {
            channel: CH.into(),
            header_type: HeaderType::DeliverSeekInfo,
            timestamp_offset: 0,
            corrupt_signature: false,
        }
    }
}

fn seek_envelope(signer: &SigningIdentity, seek: SeekInfo, req: &Req) -> Envelope {
    let mut ts = fabric_sdk::tx::now_timestamp();
    ts.seconds += req.timestamp_offset;
    let ch = ChannelHeader {
        r#type: req.header_type as i32,
        timestamp: Some(ts),
        channel_id: req.channel.clone(),
        ..ChannelHeader::default()
    };
    let sh = SignatureHeader {
        creator: Bytes::copy_from_slice(signer.serialized()),
        nonce: Bytes::new(),
    };
    let payload = Payload {
        header: Some(Header {
            channel_header: Bytes::from(ch.encode_to_vec()),
            signature_header: Bytes::from(sh.encode_to_vec()),
        }),
        data: Bytes::from(seek.encode_to_vec()),
    }
    .encode_to_vec();
    let mut signature = signer.sign(&payload).unwrap();
    if req.corrupt_signature {
        let last = signature.len() - 3;
        signature[last] ^= 1;
    }
    Envelope {
        payload: Bytes::from(payload),
        signature: Bytes::from(signature),
    }
}

fn seek(start: Seek, stop: Seek, behavior: SeekBehavior) -> SeekInfo {
    SeekInfo {
        start: pos(start),
        stop: pos(stop),
        behavior: behavior as i32,
        ..SeekInfo::default()
    }
}

#[derive(Clone, Copy)]
enum Rpc {
    Blocks,
    Filtered,
    Private,
}

/// Opens a stream; returns the request sender and the response stream.
async fn open(net: &Net, rpc: Rpc) -> (mpsc::Sender<Envelope>, Streaming<DeliverResponse>) {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", net.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = DeliverClient::new(channel);
    let (tx, rx) = mpsc::channel(4);
    let req = ReceiverStream::new(rx);
    let stream = match rpc {
        Rpc::Blocks => client.deliver(req).await,
        Rpc::Filtered => client.deliver_filtered(req).await,
        Rpc::Private => client.deliver_with_private_data(req).await,
    }
    .unwrap()
    .into_inner();
    (tx, stream)
}

async fn next(s: &mut Streaming<DeliverResponse>) -> Option<deliver_response::Type> {
    tokio::time::timeout(Duration::from_secs(10), s.message())
        .await
        .expect("response in time")
        .unwrap()
        .and_then(|r| r.r#type)
}

fn status(t: Option<deliver_response::Type>) -> Status {
    match t {
        Some(deliver_response::Type::Status(s)) => Status::try_from(s).unwrap(),
        other => panic!("expected a status, got {other:?}"),
    }
}

fn block(t: Option<deliver_response::Type>) -> Block {
    match t {
        Some(deliver_response::Type::Block(b)) => b,
        other => panic!("expected a block, got {other:?}"),
    }
}

#[tokio::test]
async fn oldest_to_newest_then_another_request_on_the_same_stream() {
    let net = net().await;
    net.submit("a").await;
    net.submit("b").await;
    let me = user(1);
    let (tx, mut s) = open(&net, Rpc::Blocks).await;
    tx.send(seek_envelope(
        &me,
        seek(
            Seek::Oldest(SeekOldest {}),
            Seek::Newest(SeekNewest {}),
            SeekBehavior::BlockUntilReady,
        ),
        &Req::default(),
    ))
    .await
    .unwrap();
    for n in 0..3 {
        let b = block(next(&mut s).await);
        assert_eq!(b.header.as_ref().unwrap().number, n);
        let stored = net.ledger.store().block_bytes(n).unwrap().unwrap();
        assert_eq!(b.encode_to_vec(), stored.to_vec(), "block {n} as stored");
    }
    assert_eq!(status(next(&mut s).await), Status::Success);
    // Newest..Newest: exactly one block.
    tx.send(seek_envelope(
        &me,
        seek(
            Seek::Newest(SeekNewest {}),
            Seek::Newest(SeekNewest {}),
            SeekBehavior::BlockUntilReady,
        ),
        &Req::default(),
    ))
    .await
    .unwrap();
    assert_eq!(block(next(&mut s).await).header.unwrap().number, 2);
    assert_eq!(status(next(&mut s).await), Status::Success);
}

#[tokio::test]
async fn waits_for_a_future_block_and_next_commit() {
    let net = net().await;
    let me = user(2);
    let (tx, mut s) = open(&net, Rpc::Blocks).await;
    tx.send(seek_envelope(
        &me,
        seek(
            Seek::NextCommit(SeekNextCommit {}),
            specified(2),
            SeekBehavior::BlockUntilReady,
        ),
        &Req::default(),
    ))
    .await
    .unwrap();
    let waiting = tokio::time::timeout(Duration::from_millis(300), s.message()).await;
    assert!(waiting.is_err(), "nothing before the block is committed");
    net.submit("first").await;
    assert_eq!(block(next(&mut s).await).header.unwrap().number, 1);
    net.submit("second").await;
    assert_eq!(block(next(&mut s).await).header.unwrap().number, 2);
    assert_eq!(status(next(&mut s).await), Status::Success);
}

#[tokio::test]
async fn fail_if_not_ready_is_not_found_and_closes() {
    let net = net().await;
    let me = user(1);
    let (tx, mut s) = open(&net, Rpc::Blocks).await;
    tx.send(seek_envelope(
        &me,
        seek(
            Seek::Oldest(SeekOldest {}),
            specified(5),
            SeekBehavior::FailIfNotReady,
        ),
        &Req::default(),
    ))
    .await
    .unwrap();
    assert_eq!(block(next(&mut s).await).header.unwrap().number, 0);
    assert_eq!(status(next(&mut s).await), Status::NotFound);
    assert!(
        next(&mut s).await.is_none(),
        "stream closed after an error status"
    );
}

#[tokio::test]
async fn bad_requests_not_found_and_forbidden() {
    let net = net().await;
    let me = user(1);
    let good = || {
        seek(
            Seek::Oldest(SeekOldest {}),
            Seek::Oldest(SeekOldest {}),
            SeekBehavior::BlockUntilReady,
        )
    };
    let orderer_admin = SigningIdentity::from_msp_dir(
        crypto("ordererOrganizations/example.com/users/Admin@example.com/msp"),
        "OrdererMSP",
    )
    .unwrap();
    let foreign = SigningIdentity::from_msp_dir(
        format!("{VECTORS}/fabric-v2.5.16/crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp"),
        "Org1MSP",
    )
    .unwrap();
    let cases: Vec<(SigningIdentity, SeekInfo, Req, Status)> = vec![
        (
            user(1),
            seek(specified(3), specified(1), SeekBehavior::BlockUntilReady),
            Req::default(),
            Status::BadRequest,
        ),
        (
            user(1),
            good(),
            Req {
                header_type: HeaderType::EndorserTransaction,
                ..Req::default()
            },
            Status::BadRequest,
        ),
        (
            user(1),
            good(),
            Req {
                timestamp_offset: -3600,
                ..Req::default()
            },
            Status::BadRequest,
        ),
        (
            user(1),
            SeekInfo {
                start: pos(Seek::Oldest(SeekOldest {})),
                ..SeekInfo::default()
            },
            Req::default(),
            Status::BadRequest,
        ),
        (
            user(1),
            seek(
                Seek::Oldest(SeekOldest {}),
                Seek::NextCommit(SeekNextCommit {}),
                SeekBehavior::BlockUntilReady,
            ),
            Req::default(),
            Status::BadRequest,
        ),
        (
            user(1),
            good(),
            Req {
                channel: "otherchannel".into(),
                ..Req::default()
            },
            Status::NotFound,
        ),
        (
            user(1),
            good(),
            Req {
                corrupt_signature: true,
                ..Req::default()
            },
            Status::Forbidden,
        ),
        (orderer_admin, good(), Req::default(), Status::Forbidden),
        (foreign, good(), Req::default(), Status::Forbidden),
    ];
    for (i, (signer, seek, req, want)) in cases.into_iter().enumerate() {
        let (tx, mut s) = open(&net, Rpc::Blocks).await;
        tx.send(seek_envelope(&signer, seek, &req)).await.unwrap();
        assert_eq!(status(next(&mut s).await), want, "case {i}");
        assert!(next(&mut s).await.is_none(), "case {i}: closed");
    }
    // Garbage payload.
    let (tx, mut s) = open(&net, Rpc::Blocks).await;
    tx.send(Envelope {
        payload: Bytes::from_static(b"\xff\xff"),
        signature: Bytes::new(),
    })
    .await
    .unwrap();
    assert_eq!(status(next(&mut s).await), Status::BadRequest);
    drop(me);
}

#[tokio::test]
async fn filtered_blocks_strip_event_payloads() {
    // A real Fabric v3.1.5 block whose transaction set a chaincode event.
    let bytes = std::fs::read(format!("{VECTORS}/fabric-v3.1.5/blocks/000039.block")).unwrap();
    let b = Block::decode(bytes.as_slice()).unwrap();
    let f = filtered_block(CH, &b);
    assert_eq!(f.number, 39);
    assert_eq!(f.channel_id, CH);
    let tx = &f.filtered_transactions[0];
    assert_eq!(
        tx.txid,
        "aa37cdf81fef4c38503cabcacf664f22e1a4b8e797680a879e83895b438fc59c"
    );
    assert_eq!(tx.r#type, HeaderType::EndorserTransaction as i32);
    assert_eq!(tx.tx_validation_code, TxValidationCode::Valid as i32);
    let Some(fabric_protos::protos::filtered_transaction::Data::TransactionActions(actions)) =
        &tx.data
    else {
        panic!("no actions");
    };
    let event = actions.chaincode_actions[0]
        .chaincode_event
        .as_ref()
        .unwrap();
    assert_eq!(
        (event.chaincode_id.as_str(), event.event_name.as_str()),
        ("events", "CreateAsset")
    );
    assert_eq!(event.tx_id, tx.txid);
    assert!(event.payload.is_empty());

    // Over the wire, for our own blocks.
    let net = net().await;
    net.submit("f1").await;
    let (tx, mut s) = open(&net, Rpc::Filtered).await;
    tx.send(seek_envelope(
        &user(1),
        seek(specified(1), specified(1), SeekBehavior::BlockUntilReady),
        &Req::default(),
    ))
    .await
    .unwrap();
    match next(&mut s).await {
        Some(deliver_response::Type::FilteredBlock(fb)) => {
            assert_eq!(fb.number, 1);
            assert_eq!(fb.filtered_transactions[0].txid, "f1");
            assert_eq!(fb.filtered_transactions[0].tx_validation_code, 0);
        }
        other => panic!("expected a filtered block, got {other:?}"),
    }
    assert_eq!(status(next(&mut s).await), Status::Success);
}

#[tokio::test]
async fn private_data_only_for_member_collections() {
    let net = net().await;
    net.submit("plain").await; // block 1
    // Block 2: a transaction with private rwsets in three collections.
    let with_pvt = |block: &Block, _: &Snapshot| -> medledger_network::Result<BlockUpdates> {
        let n = block.data.as_ref().unwrap().data.len();
        let mut txs = Vec::new();
        for _ in 0..n {
            let mut t = TxUpdates {
                tx_id: "pvt".into(),
                ..TxUpdates::default()
            };
            for coll in ["shared", "org2only", "_implicit_org_Org1MSP"] {
                t.private_rwsets.push(CollectionPvtRwset {
                    namespace: "cc".into(),
                    collection: coll.into(),
                    rwset: Bytes::from(format!("rwset of {coll}")),
                    block_to_live: 0,
                });
            }
            txs.push(t);
        }
        Ok(BlockUpdates { txs })
    };
    let info = net.ledger.store().chain_info().unwrap();
    let b = build_block(
        info.height,
        &info.current_block_hash,
        vec![synthetic_envelope(CH, "pvt", b"p")],
        0,
        None,
    )
    .unwrap();
    // The pipeline is idle: commit directly through the same path it uses.
    commit_block(&net.ledger, Arc::new(with_pvt), b)
        .await
        .unwrap();

    for (org_no, want) in [
        (1u8, vec!["_implicit_org_Org1MSP", "shared"]),
        (2u8, vec!["org2only", "shared"]),
    ] {
        let (tx, mut s) = open(&net, Rpc::Private).await;
        tx.send(seek_envelope(
            &user(org_no),
            seek(specified(1), specified(2), SeekBehavior::BlockUntilReady),
            &Req::default(),
        ))
        .await
        .unwrap();
        let mut maps: Vec<std::collections::BTreeMap<u64, TxPvtReadWriteSet>> = Vec::new();
        for n in 1..=2u64 {
            match next(&mut s).await {
                Some(deliver_response::Type::BlockAndPrivateData(bp)) => {
                    let b = bp.block.unwrap();
                    assert_eq!(b.header.as_ref().unwrap().number, n);
                    assert_eq!(
                        b.encode_to_vec(),
                        net.ledger.store().block_bytes(n).unwrap().unwrap().to_vec()
                    );
                    maps.push(bp.private_data_map);
                }
                other => panic!("expected block and private data, got {other:?}"),
            }
        }
        assert!(maps[0].is_empty());
        let colls: Vec<_> = maps[1][&0].ns_pvt_rwset[0]
            .collection_pvt_rwset
            .iter()
            .map(|c| c.collection_name.as_str())
            .collect();
        assert_eq!(colls, want, "Org{org_no}");
        assert_eq!(status(next(&mut s).await), Status::Success);
    }
}

#[tokio::test]
async fn mutual_tls_binds_the_request_to_the_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let b = build_block(
        0,
        &[],
        vec![synthetic_envelope(CH, "", b"genesis")],
        0,
        None,
    )
    .unwrap();
    store
        .commit(b, &BlockUpdates::without_writes(1, TxValidationCode::Valid))
        .unwrap();
    let ledger = Ledger::new(store).unwrap();
    let config = DeliverConfig {
        mutual_tls: true,
        ..DeliverConfig::new(CH)
    };
    let service = DeliverService::new(ledger, Arc::new(acl()), config);
    let read = |rel: &str| std::fs::read(crypto(rel)).unwrap();
    let peer = "peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls";
    let mut roots =
        read("peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem");
    roots.extend(read(
        "peerOrganizations/org2.example.com/tlsca/tlsca.org2.example.com-cert.pem",
    ));
    let tls = medledger_network::devnet::tls::server_tls_from_pem(
        &read(&format!("{peer}/server.crt")),
        &read(&format!("{peer}/server.key")),
        Some(&roots),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .tls_config(tls)
            .unwrap()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let user_tls = "peerOrganizations/org1.example.com/users/User1@org1.example.com/tls";
    let client_cert = read(&format!("{user_tls}/client.crt"));
    let client_tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(read(&format!(
            "{peer}/ca.crt"
        ))))
        .identity(tonic::transport::Identity::from_pem(
            &client_cert,
            read(&format!("{user_tls}/client.key")),
        ))
        .domain_name("localhost");
    let channel = tonic::transport::Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(client_tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let cert_hash = fabric_sdk::crypto::sha256(
        fabric_sdk::identity::Certificate::from_pem(&client_cert)
            .unwrap()
            .der(),
    );
    let me = user(1);
    for (hash, want_block) in [
        (Some(cert_hash), true),
        (None, false),
        (Some([0u8; 32]), false),
    ] {
        let mut client = DeliverClient::new(channel.clone());
        let (tx, rx) = mpsc::channel(1);
        let mut s = client
            .deliver(ReceiverStream::new(rx))
            .await
            .unwrap()
            .into_inner();
        let mut env = seek_envelope(
            &me,
            seek(specified(0), specified(0), SeekBehavior::BlockUntilReady),
            &Req::default(),
        );
        // Re-sign with the TLS binding in the channel header.
        let mut payload = Payload::decode(env.payload.clone()).unwrap();
        let header = payload.header.as_mut().unwrap();
        let mut ch = ChannelHeader::decode(header.channel_header.clone()).unwrap();
        ch.tls_cert_hash = hash.map(|h| Bytes::copy_from_slice(&h)).unwrap_or_default();
        header.channel_header = Bytes::from(ch.encode_to_vec());
        env.payload = Bytes::from(payload.encode_to_vec());
        env.signature = Bytes::from(me.sign(&env.payload).unwrap());
        tx.send(env).await.unwrap();
        if want_block {
            assert_eq!(block(next(&mut s).await).header.unwrap().number, 0);
            assert_eq!(status(next(&mut s).await), Status::Success);
        } else {
            assert_eq!(status(next(&mut s).await), Status::Forbidden);
        }
    }
}

/// A signed envelope of `signer` on `channel` (ENDORSER_TRANSACTION header).
fn signed_tx(signer: &SigningIdentity, channel: &str) -> Vec<u8> {
    let ch = ChannelHeader {
        r#type: HeaderType::EndorserTransaction as i32,
        timestamp: Some(fabric_sdk::tx::now_timestamp()),
        channel_id: channel.into(),
        tx_id: "t".into(),
        ..ChannelHeader::default()
    };
    let sh = SignatureHeader {
        creator: Bytes::copy_from_slice(signer.serialized()),
        nonce: Bytes::from_static(b"n"),
    };
    let payload = Payload {
        header: Some(Header {
            channel_header: Bytes::from(ch.encode_to_vec()),
            signature_header: Bytes::from(sh.encode_to_vec()),
        }),
        data: Bytes::from_static(b"tx"),
    }
    .encode_to_vec();
    let signature = signer.sign(&payload).unwrap();
    Envelope {
        payload: Bytes::from(payload),
        signature: Bytes::from(signature),
    }
    .encode_to_vec()
}

#[test]
fn broadcast_checks_like_the_orderer() {
    use medledger_network::Error;
    use medledger_network::devnet::check_broadcast;
    let acl = acl();
    let now = fabric_sdk::identity::msp::unix_now();
    let status_of = |r: medledger_network::Result<_>| match r {
        Ok(_) => Status::Success,
        Err(Error::Broadcast { status, .. }) => status,
        Err(e) => panic!("{e}"),
    };
    let ok = signed_tx(&user(1), CH);
    assert_eq!(
        status_of(check_broadcast(&acl, CH, &ok, 1 << 20, now)),
        Status::Success
    );
    let orderer_admin = SigningIdentity::from_msp_dir(
        crypto("ordererOrganizations/example.com/users/Admin@example.com/msp"),
        "OrdererMSP",
    )
    .unwrap();
    let by_orderer = signed_tx(&orderer_admin, CH);
    assert_eq!(
        status_of(check_broadcast(&acl, CH, &by_orderer, 1 << 20, now)),
        Status::Success
    );
    assert_eq!(
        status_of(check_broadcast(&acl, "other", &ok, 1 << 20, now)),
        Status::NotFound
    );
    assert_eq!(
        status_of(check_broadcast(&acl, CH, &ok, 10, now)),
        Status::RequestEntityTooLarge
    );
    assert_eq!(
        status_of(check_broadcast(&acl, CH, b"\xff\xff", 1 << 20, now)),
        Status::BadRequest
    );
    let mut tampered = Envelope::decode(ok.as_slice()).unwrap();
    tampered.signature = Bytes::from_static(b"bad");
    let tampered = tampered.encode_to_vec();
    assert_eq!(
        status_of(check_broadcast(&acl, CH, &tampered, 1 << 20, now)),
        Status::Forbidden
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Arbitrary envelope bytes and blocks: errors or empty fields, never a panic.
        #[test]
        fn random_envelopes_and_blocks_never_panic(
            data in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..4),
            filter in proptest::collection::vec(any::<u8>(), 0..6),
        ) {
            for d in &data {
                let _ = medledger_network::devnet::envelope::EnvelopeHeaders::parse(d);
            }
            let mut b = build_block(3, &[1; 32], data.iter().map(|d| Bytes::from(d.clone())).collect(), 0, None).unwrap();
            b.metadata.as_mut().unwrap().metadata[2] = Bytes::from(filter);
            let f = filtered_block(CH, &b);
            prop_assert_eq!(f.filtered_transactions.len(), data.len());
        }
    }
}
