//! `serve_stream` over in-memory channels (no network): the one-request-per-transaction rule seen
//! message by message, and a property test feeding random messages after a valid handshake.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use fabric_chaincode::chaincode::success;
use fabric_chaincode::handler::serve_stream;
use fabric_chaincode::{Chaincode, Response, Stub};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeMessage, GetState};
use proptest::prelude::*;
use prost::Message;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

type Inbound = mpsc::Sender<Result<ChaincodeMessage, Status>>;

struct Stream {
    to_shim: Inbound,
    from_shim: mpsc::Receiver<ChaincodeMessage>,
    handler: JoinHandle<fabric_chaincode::Result<()>>,
}

fn start<C: Chaincode>(chaincode: C) -> Stream {
    let (to_shim, inbound) = mpsc::channel(256);
    let (outbound, from_shim) = mpsc::channel(1024);
    let handler = tokio::spawn(async move {
        serve_stream(
            Arc::new(chaincode),
            PACKAGE_ID,
            ReceiverStream::new(inbound),
            outbound,
        )
        .await
    });
    Stream {
        to_shim,
        from_shim,
        handler,
    }
}

fn message(kind: i32, txid: &str, channel: &str, payload: impl Into<Bytes>) -> ChaincodeMessage {
    ChaincodeMessage {
        r#type: kind,
        payload: payload.into(),
        txid: txid.to_owned(),
        channel_id: channel.to_owned(),
        ..Default::default()
    }
}

async fn handshake(s: &mut Stream) {
    let register = s.from_shim.recv().await.expect("REGISTER");
    assert_eq!(register.r#type, Type::Register as i32);
    for kind in [Type::Registered, Type::Ready] {
        s.to_shim
            .send(Ok(message(kind as i32, "", "", Bytes::new())))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn joined_reads_go_out_one_at_a_time() {
    let mut s = start(TestCc);
    handshake(&mut s).await;
    let tx = message(
        Type::Transaction as i32,
        "join",
        CHANNEL,
        input(&["join2", "a", "b"]).encode_to_vec(),
    );
    s.to_shim.send(Ok(tx)).await.unwrap();
    let mut values = Vec::new();
    for _ in 0..2 {
        let request = within("GET_STATE", s.from_shim.recv()).await.unwrap();
        assert_eq!(request.r#type, Type::GetState as i32);
        assert_eq!(
            (request.txid.as_str(), request.channel_id.as_str()),
            ("join", CHANNEL)
        );
        // Nothing else may be sent for this transaction until the reply.
        let early = tokio::time::timeout(Duration::from_millis(200), s.from_shim.recv()).await;
        assert!(
            early.is_err(),
            "a second request went out before the reply: {early:?}"
        );
        let key = GetState::decode(request.payload).unwrap().key;
        values.push(key.clone());
        let reply = message(Type::Response as i32, "join", CHANNEL, key.to_uppercase());
        s.to_shim.send(Ok(reply)).await.unwrap();
    }
    values.sort();
    assert_eq!(values, ["a", "b"]);
    let done = within("COMPLETED", s.from_shim.recv()).await.unwrap();
    assert_eq!(response_of(&done).payload.as_ref(), b"AB");
    drop(s.to_shim);
    within("handler end", s.handler).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_stream_error_from_the_peer_ends_the_handler_with_an_error() {
    let mut s = start(TestCc);
    handshake(&mut s).await;
    s.to_shim
        .send(Err(Status::unavailable("peer went away")))
        .await
        .unwrap();
    let result = within("handler end", s.handler).await.unwrap();
    let err = result.unwrap_err().to_string();
    assert!(err.contains("peer went away"), "{err}");
}

/// Reads one key and answers with it; never panics.
struct ReadOne;

impl Chaincode for ReadOne {
    async fn invoke(&self, stub: Stub) -> Response {
        let key = String::from_utf8_lossy(stub.args().get(1).map(|a| a.as_ref()).unwrap_or(b"k"))
            .into_owned();
        let key = if key.is_empty() { "k".to_owned() } else { key };
        match stub.get_state(&key).await {
            Ok(v) => success(v.unwrap_or_default()),
            Err(e) => fabric_chaincode::chaincode::error(e.to_string()),
        }
    }
}

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

#[derive(Debug, Clone)]
enum Fuzz {
    Message(Box<ChaincodeMessage>),
    StreamError,
}

fn fuzz_item() -> impl Strategy<Value = Fuzz> {
    let kind = prop_oneof![
        0i32..=30,
        Just(Type::Transaction as i32),
        Just(Type::Response as i32),
        any::<i32>()
    ];
    let txid = prop_oneof![
        Just(String::new()),
        Just("t1".to_owned()),
        Just("t2".to_owned()),
        "[a-z0-9]{0,8}"
    ];
    let channel = prop_oneof![Just(String::new()), Just(CHANNEL.to_owned()), "[a-z]{0,5}"];
    let payload = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..48),
        Just(input(&["get", "k"]).encode_to_vec()),
        Just(Vec::new()),
    ];
    prop_oneof![
        20 => (kind, txid, channel, payload).prop_map(|(kind, txid, channel, payload)| {
            Fuzz::Message(Box::new(message(kind, &txid, &channel, payload)))
        }),
        1 => Just(Fuzz::StreamError),
    ]
}

async fn fuzz_case(items: Vec<Fuzz>) {
    let mut s = start(ReadOne);
    handshake(&mut s).await;
    for item in items {
        let item = match item {
            Fuzz::Message(m) => {
                // Never the probe's txid.
                assert_ne!(m.txid, "probe");
                Ok(*m)
            }
            Fuzz::StreamError => Err(Status::internal("fuzzed stream error")),
        };
        if s.to_shim.send(item).await.is_err() {
            break; // the handler has ended
        }
    }
    // If the stream lives, a normal transaction still works; if it ended, it ended cleanly.
    let probe = message(
        Type::Transaction as i32,
        "probe",
        CHANNEL,
        input(&["get", "probe-key"]).encode_to_vec(),
    );
    let alive = s.to_shim.send(Ok(probe)).await.is_ok();
    loop {
        let Some(out) = s.from_shim.recv().await else {
            // Every sender is gone: the handler and its transactions have finished.
            break;
        };
        if out.txid != "probe" {
            continue;
        }
        if out.r#type == Type::GetState as i32 {
            let reply = message(Type::Response as i32, "probe", CHANNEL, "probe-value");
            if s.to_shim.send(Ok(reply)).await.is_err() {
                break;
            }
            continue;
        }
        if out.r#type == Type::Completed as i32 {
            let response = response_of(&out);
            assert_eq!(response.payload.as_ref(), b"probe-value", "{response:?}");
            break;
        }
        if out.r#type == Type::Error as i32 {
            // The probe reached a handler that was ending (e.g. right after a violation).
            break;
        }
    }
    drop(s.to_shim);
    // The handler returned (Ok or a protocol error); it did not panic.
    let joined = s.handler.await;
    assert!(joined.is_ok(), "the stream handler panicked: {joined:?}");
    let _ = alive;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_messages_never_panic_the_shim(items in proptest::collection::vec(fuzz_item(), 1..24)) {
        count_panics();
        let before = PANICS.load(Ordering::SeqCst);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(20), fuzz_case(items))
                .await
                .expect("the fuzz case finished in time");
        });
        drop(rt);
        prop_assert_eq!(PANICS.load(Ordering::SeqCst), before, "a panic happened");
    }
}
