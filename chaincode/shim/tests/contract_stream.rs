//! The asset-transfer contract behind the real stream handler, with the READY parameters the
//! recorded Fabric v3.1.5 peers sent (write batching on): reads go out as the Node chaincode's
//! did, the writes leave in one WRITE_BATCH_STATE whose records carry the recorded PUT_STATE and
//! DEL_STATE bytes, and COMPLETED carries the recorded Response bytes. A panicking function
//! becomes a 500 without ending the stream.

#[path = "../examples/asset_transfer/contract.rs"]
#[allow(dead_code)]
mod asset_transfer;
mod contract_support;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use contract_support::{RecordedTx, load_transcript};
use fabric_chaincode::contract::{Context, Contract, ContractChaincode, ContractError};
use fabric_chaincode::handler::serve_stream;
use fabric_chaincode::{Chaincode, PeerFeatures};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::write_record;
use fabric_protos::protos::{
    ChaincodeInput, ChaincodeMessage, DelState, PutState, Response, WriteBatchState,
};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

struct Peer {
    to_cc: mpsc::Sender<Result<ChaincodeMessage, tonic::Status>>,
    from_cc: mpsc::Receiver<ChaincodeMessage>,
}

impl Peer {
    async fn start<C: Chaincode>(chaincode: C) -> Peer {
        let (to_cc, inbound) = mpsc::channel(64);
        let (outbound, mut from_cc) = mpsc::channel(64);
        tokio::spawn(async move {
            let _ = serve_stream(
                Arc::new(chaincode),
                "basic_1.0:test",
                ReceiverStream::new(inbound),
                outbound,
            )
            .await;
        });
        let register = from_cc.recv().await.expect("REGISTER");
        assert_eq!(register.r#type, Type::Register as i32);
        let peer = Peer { to_cc, from_cc };
        peer.send(ChaincodeMessage {
            r#type: Type::Registered as i32,
            ..Default::default()
        })
        .await;
        // What the recorded v3.1.5 peers sent: write batching and GetMultipleKeys, 1000 each.
        peer.send(ChaincodeMessage {
            r#type: Type::Ready as i32,
            payload: Bytes::from(PeerFeatures::FABRIC_3_1.to_params().encode_to_vec()),
            ..Default::default()
        })
        .await;
        peer
    }

    async fn send(&self, msg: ChaincodeMessage) {
        self.to_cc.send(Ok(msg)).await.expect("the shim is running");
    }

    async fn recv(&mut self) -> ChaincodeMessage {
        tokio::time::timeout(Duration::from_secs(10), self.from_cc.recv())
            .await
            .expect("the shim answers in time")
            .expect("the stream is open")
    }
}

/// What the recording says a write was.
fn recorded_write(req: &ChaincodeMessage) -> Option<(i32, String, Bytes)> {
    match Type::try_from(req.r#type).ok()? {
        Type::PutState => {
            let p = PutState::decode(req.payload.clone()).ok()?;
            Some((write_record::Type::PutState as i32, p.key, p.value))
        }
        Type::DelState => {
            let d = DelState::decode(req.payload.clone()).ok()?;
            Some((write_record::Type::DelState as i32, d.key, Bytes::new()))
        }
        _ => None,
    }
}

async fn drive(peer: &mut Peer, tx: &RecordedTx) {
    let mut reads: VecDeque<_> = tx
        .exchanges
        .iter()
        .filter(|(req, _)| recorded_write(req).is_none())
        .cloned()
        .collect();
    let writes: Vec<_> = tx
        .exchanges
        .iter()
        .filter_map(|(req, _)| recorded_write(req))
        .collect();
    peer.send(tx.input.clone()).await;
    loop {
        let msg = peer.recv().await;
        assert_eq!(
            (&msg.txid, &msg.channel_id),
            (&tx.input.txid, &tx.input.channel_id)
        );
        match Type::try_from(msg.r#type) {
            Ok(Type::Completed) => {
                assert_eq!(msg.payload, tx.completed.payload, "{}", tx.op);
                assert!(reads.is_empty(), "{}: reads not made: {reads:?}", tx.op);
                return;
            }
            Ok(Type::WriteBatchState) => {
                let batch = WriteBatchState::decode(msg.payload.clone()).expect("WriteBatchState");
                let ours: Vec<_> = batch
                    .rec
                    .into_iter()
                    .map(|r| (r.r#type, r.key, r.value))
                    .collect();
                assert_eq!(ours, writes, "{}", tx.op);
                peer.send(ChaincodeMessage {
                    r#type: Type::Response as i32,
                    txid: msg.txid,
                    channel_id: msg.channel_id,
                    ..Default::default()
                })
                .await;
            }
            _ => {
                let (recorded, reply) = reads.pop_front().expect("a recorded read");
                assert_eq!(
                    (msg.r#type, &msg.payload),
                    (recorded.r#type, &recorded.payload),
                    "{}",
                    tx.op
                );
                peer.send(reply).await;
            }
        }
    }
}

#[tokio::test]
async fn recorded_transactions_through_the_stream_handler_with_write_batching() {
    let chaincode = asset_transfer::chaincode().expect("valid chaincode");
    let mut peer = Peer::start(chaincode).await;
    let txs = load_transcript("basic");
    let mut driven = 0;
    for tx in txs
        .iter()
        .filter(|t| t.conn == "peer0.org1#1" && !t.op.starts_with("basic.bulk"))
    {
        drive(&mut peer, tx).await;
        driven += 1;
    }
    // InitLedger .. ReadAsset of the deleted asset, and GetAllAssets (two result batches).
    assert_eq!(driven, 10);
}

#[tokio::test]
async fn a_panicking_function_is_a_500_and_the_stream_goes_on() {
    async fn boom(_ctx: Context) -> Result<(), ContractError> {
        panic!("boom")
    }
    async fn fine(_ctx: Context) -> Result<String, ContractError> {
        Ok("fine".into())
    }
    let chaincode = ContractChaincode::builder()
        .contract(
            Contract::new("C")
                .submit("Boom", boom, [])
                .evaluate("Fine", fine, []),
        )
        .build()
        .expect("valid chaincode");
    let mut peer = Peer::start(chaincode).await;
    for (txid, function, want) in [
        ("t1", "Boom", (500, "chaincode panicked: boom", "")),
        ("t2", "Fine", (200, "", "fine")),
    ] {
        peer.send(ChaincodeMessage {
            r#type: Type::Transaction as i32,
            txid: txid.into(),
            channel_id: "ch".into(),
            payload: Bytes::from(
                ChaincodeInput {
                    args: vec![Bytes::from(function)],
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            ..Default::default()
        })
        .await;
        let msg = peer.recv().await;
        assert_eq!(msg.r#type, Type::Completed as i32);
        let r = Response::decode(msg.payload).expect("Response");
        assert_eq!(
            (r.status, r.message.as_str(), &r.payload[..]),
            (want.0, want.1, want.2.as_bytes())
        );
    }
}
