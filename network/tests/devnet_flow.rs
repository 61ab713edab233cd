//! The pieces together, as `medledger devnet up` will wire them: medical topology → crypto →
//! ledger with its genesis block → access control from the channel config → signed ordering →
//! commit status → Deliver over TLS (HEADER_WITH_SIG too) → restart.

use bytes::Bytes;
use fabric_protos::common::{
    BlockMetadataIndex, ChannelHeader, Envelope, Header, HeaderType, Payload, SignatureHeader,
    Status,
};
use fabric_protos::orderer::seek_info::{SeekBehavior, SeekContentType};
use fabric_protos::orderer::seek_position::Type as Seek;
use fabric_protos::orderer::{SeekInfo, SeekPosition, SeekSpecified};
use fabric_protos::protos::deliver_client::DeliverClient;
use fabric_protos::protos::{TxValidationCode, deliver_response};
use fabric_sdk::identity::SigningIdentity;
use fabric_sdk::tx::block::{block_metadata, verify_block_hashes};
use medledger_network::devnet::genesis::{GenesisOptions, config_from_block, genesis_block};
use medledger_network::devnet::{
    AcceptAll, AccessControl, BatchConfig, DeliverConfig, DeliverService, Ledger, MspAccessControl,
    Pipeline, check_broadcast, tls,
};
use medledger_network::{IdentityKind, Topology, generate};
use prost::Message;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::wrappers::ReceiverStream;

fn envelope(
    signer: &SigningIdentity,
    channel: &str,
    kind: HeaderType,
    tx_id: &str,
    data: Vec<u8>,
) -> Envelope {
    let ch = ChannelHeader {
        r#type: kind as i32,
        timestamp: Some(fabric_sdk::tx::now_timestamp()),
        channel_id: channel.into(),
        tx_id: tx_id.into(),
        ..ChannelHeader::default()
    };
    let sh = SignatureHeader {
        creator: Bytes::copy_from_slice(signer.serialized()),
        nonce: Bytes::from_static(b"nonce"),
    };
    let payload = Payload {
        header: Some(Header {
            channel_header: Bytes::from(ch.encode_to_vec()),
            signature_header: Bytes::from(sh.encode_to_vec()),
        }),
        data: Bytes::from(data),
    }
    .encode_to_vec();
    let signature = signer.sign(&payload).unwrap();
    Envelope {
        payload: Bytes::from(payload),
        signature: Bytes::from(signature),
    }
}

#[tokio::test]
async fn medical_devnet_core_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut topology = Topology::medical_default();
    topology.block_cutting.batch_timeout = "100ms".into();
    let crypto = generate(&topology, dir.path().join("crypto")).unwrap();
    let channel = topology.channel.name.clone();
    let data_dir = dir.path().join("ledger");
    let options = GenesisOptions::new("127.0.0.1:7050").unwrap();

    let orderer_node = crypto
        .identities
        .iter()
        .find(|i| i.kind == IdentityKind::Orderer)
        .unwrap();
    let orderer = SigningIdentity::from_msp_dir(&orderer_node.msp_dir, "OrdererMSP").unwrap();
    let doctor_id = crypto.identity("Doctor1@seoulmedical.example.com").unwrap();
    let doctor =
        SigningIdentity::from_msp_dir(&doctor_id.msp_dir, "SeoulMedicalCenterMSP").unwrap();
    let peer = crypto.peer("SeoulMedicalCenterMSP").unwrap().clone();

    for round in 0..2u64 {
        let ledger =
            Ledger::open(&data_dir, || genesis_block(&topology, &crypto, &options)).unwrap();
        assert_eq!(ledger.height(), 1 + round, "round {round}");
        let block0 = ledger.store().block(0).unwrap().unwrap();
        let config = config_from_block(&block0).unwrap();
        let mut acl = MspAccessControl::from_config(&config).unwrap();
        for cc in &topology.chaincodes {
            if let Some(pkg) = cc.collection_package().unwrap() {
                acl.add_collections(&cc.name, &pkg);
            }
        }
        let acl: Arc<dyn AccessControl> = Arc::new(acl);
        let pipeline = Pipeline::start(
            ledger.clone(),
            BatchConfig::from_topology(&topology.block_cutting),
            Some(orderer.clone()),
            Arc::new(AcceptAll),
        )
        .unwrap();

        // Submit as the doctor (a Writer), after the orderer's checks.
        let txid = format!("rx-{round}");
        let env = envelope(
            &doctor,
            &channel,
            HeaderType::EndorserTransaction,
            &txid,
            b"tx".to_vec(),
        )
        .encode_to_vec();
        let now = fabric_sdk::identity::msp::unix_now();
        check_broadcast(
            acl.as_ref(),
            &channel,
            &env,
            topology.block_cutting.absolute_max_bytes,
            now,
        )
        .unwrap();
        pipeline
            .orderer()
            .broadcast(Bytes::from(env))
            .await
            .unwrap();
        let loc = tokio::time::timeout(Duration::from_secs(10), ledger.wait_for_transaction(&txid))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (loc.block_num, loc.code),
            (1 + round, TxValidationCode::Valid)
        );
        let block = ledger.store().block(loc.block_num).unwrap().unwrap();
        let previous = ledger.store().block(loc.block_num - 1).unwrap().unwrap();
        verify_block_hashes(&block, previous.header.as_ref()).unwrap();
        assert_eq!(
            block_metadata(&block, BlockMetadataIndex::Signatures)
                .unwrap()
                .signatures
                .len(),
            1
        );

        // Deliver over TLS, headers only.
        let service =
            DeliverService::new(ledger.clone(), acl.clone(), DeliverConfig::new(&channel));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .tls_config(tls::server_tls(&peer, &crypto, false).unwrap())
                .unwrap()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        let ca = std::fs::read(&peer.tls_ca_cert).unwrap();
        let ch = tonic::transport::Endpoint::from_shared(format!("https://{addr}"))
            .unwrap()
            .tls_config(
                tonic::transport::ClientTlsConfig::new()
                    .ca_certificate(tonic::transport::Certificate::from_pem(ca))
                    .domain_name("localhost"),
            )
            .unwrap()
            .connect()
            .await
            .unwrap();
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let mut stream = DeliverClient::new(ch)
            .deliver(ReceiverStream::new(rx))
            .await
            .unwrap()
            .into_inner();
        let at = |n| {
            Some(SeekPosition {
                r#type: Some(Seek::Specified(SeekSpecified { number: n })),
            })
        };
        let seek = SeekInfo {
            start: at(0),
            stop: at(loc.block_num),
            behavior: SeekBehavior::BlockUntilReady as i32,
            content_type: SeekContentType::HeaderWithSig as i32,
            ..SeekInfo::default()
        };
        tx.send(envelope(
            &doctor,
            &channel,
            HeaderType::DeliverSeekInfo,
            "",
            seek.encode_to_vec(),
        ))
        .await
        .unwrap();
        for n in 0..=loc.block_num {
            match stream.message().await.unwrap().and_then(|r| r.r#type) {
                Some(deliver_response::Type::Block(b)) => {
                    assert_eq!(b.header.as_ref().unwrap().number, n);
                    assert!(b.data.is_none(), "HEADER_WITH_SIG drops the data");
                    assert!(b.metadata.is_some());
                }
                other => panic!("block {n}: {other:?}"),
            }
        }
        match stream.message().await.unwrap().and_then(|r| r.r#type) {
            Some(deliver_response::Type::Status(s)) => assert_eq!(s, Status::Success as i32),
            other => panic!("{other:?}"),
        }
        drop((tx, stream));
        server.abort();
        let _ = server.await;
        pipeline.shutdown().await.unwrap();
    }
}
