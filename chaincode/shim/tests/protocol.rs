//! The shim protocol over real gRPC on 127.0.0.1: a scripted peer (the crate's own peer side, or a
//! bare stream for the out-of-order cases) against a chaincode server.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use fabric_chaincode::PeerFeatures;
use fabric_chaincode::peer_side::{ChaincodeDialer, ChaincodeRequest, ExecuteKind, Reply};
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeId, ChaincodeMessage, GetState, GetStateByRange, GetStateMultiple, QueryMetadata,
    WriteBatchState,
};
use prost::Message;

fn msg(kind: Type, txid: &str, payload: impl Into<Bytes>) -> ChaincodeMessage {
    ChaincodeMessage {
        r#type: kind as i32,
        payload: payload.into(),
        txid: txid.to_owned(),
        channel_id: if txid.is_empty() {
            String::new()
        } else {
            CHANNEL.to_owned()
        },
        ..Default::default()
    }
}

/// Runs one transaction `txid` with `args` on a fresh connection to a new `TestCc` server,
/// answering its requests from `ledger`; the final message.
async fn transaction_on(ledger: &Ledger, txid: &str, args: &[&str]) -> ChaincodeMessage {
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    conn.execute(
        CHANNEL,
        txid,
        ExecuteKind::Transaction,
        &input(args),
        None,
        &ledger.handler(),
    )
    .await
    .unwrap()
}

/// Opens a bare stream and completes the handshake by hand; returns it after READY.
async fn raw_ready(
    server: &TestServer,
    ready_payload: Bytes,
) -> fabric_chaincode::peer_side::RawStream {
    let mut raw = within("open", ChaincodeDialer::new(server.address()).open_stream())
        .await
        .expect("open stream");
    let register = within("REGISTER", raw.recv()).await.unwrap().unwrap();
    assert_eq!(register.r#type, Type::Register as i32);
    raw.send(msg(Type::Registered, "", Bytes::new()))
        .await
        .unwrap();
    raw.send(msg(Type::Ready, "", ready_payload)).await.unwrap();
    raw
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_bytes_and_completed_echo_txid_and_channel() {
    let server = TestServer::start(TestCc, None).await;
    let mut raw = ChaincodeDialer::new(server.address())
        .open_stream()
        .await
        .unwrap();
    let register = within("REGISTER", raw.recv()).await.unwrap().unwrap();
    // REGISTER is the chaincode's first message: payload = ChaincodeID{name = package id} and
    // nothing else set, exactly as the Go and Node shims encode it.
    let mut expected_payload = vec![0x12, PACKAGE_ID.len() as u8];
    expected_payload.extend_from_slice(PACKAGE_ID.as_bytes());
    assert_eq!(register.payload.as_ref(), expected_payload.as_slice());
    assert_eq!(
        ChaincodeId::decode(register.payload.clone()).unwrap().name,
        PACKAGE_ID
    );
    let mut expected = vec![
        0x08,
        Type::Register as u8,
        0x1a,
        expected_payload.len() as u8,
    ];
    expected.extend_from_slice(&expected_payload);
    assert_eq!(register.encode_to_vec(), expected, "REGISTER message bytes");

    raw.send(msg(Type::Registered, "", Bytes::new()))
        .await
        .unwrap();
    raw.send(msg(Type::Ready, "", Bytes::new())).await.unwrap();
    let tx = msg(
        Type::Transaction,
        "tx1",
        input(&["echo", "a", "b"]).encode_to_vec(),
    );
    raw.send(tx).await.unwrap();
    let completed = within("COMPLETED", raw.recv()).await.unwrap().unwrap();
    let response = response_of(&completed);
    assert_eq!(response.status, 200);
    assert_eq!(response.payload.as_ref(), b"a,b");
    let expected = ChaincodeMessage {
        r#type: Type::Completed as i32,
        payload: Bytes::from(response.encode_to_vec()),
        txid: "tx1".into(),
        channel_id: CHANNEL.into(),
        ..Default::default()
    };
    assert_eq!(completed.encode_to_vec(), expected.encode_to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialer_reports_the_package_id_and_refuses_an_unexpected_one() {
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .expect_package_id(PACKAGE_ID)
        .connect()
        .await
        .unwrap();
    assert_eq!(conn.package_id(), PACKAGE_ID);
    let err = ChaincodeDialer::new(server.address())
        .expect_package_id("other_1.0:ff")
        .connect()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("other_1.0:ff"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_transactions_interleave_on_one_stream() {
    const N: usize = 40;
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    // Every GET_STATE is held until all N transactions have sent theirs: only a shim that runs
    // them concurrently on the one stream gets through.
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let handler = {
        let barrier = Arc::clone(&barrier);
        move |req: ChaincodeRequest| {
            let barrier = Arc::clone(&barrier);
            async move {
                let key = GetState::decode(req.payload).unwrap().key;
                barrier.wait().await;
                Reply::ok(format!("value-of-{key}"))
            }
        }
    };
    let runs = (0..N).map(|i| {
        let conn = conn.clone();
        let handler = handler.clone();
        async move {
            let txid = format!("tx{i}");
            let key = format!("key{i}");
            let done = conn
                .execute(
                    CHANNEL,
                    &txid,
                    ExecuteKind::Transaction,
                    &input(&["get", &key]),
                    None,
                    &handler,
                )
                .await
                .unwrap();
            assert_eq!(done.txid, txid);
            assert_eq!(
                response_of(&done).payload,
                Bytes::from(format!("value-of-{key}"))
            );
        }
    });
    within(
        "interleaved transactions",
        futures_util::future::join_all(runs),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_outstanding_per_transaction() {
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let handler = {
        let (in_flight, max_in_flight) = (Arc::clone(&in_flight), Arc::clone(&max_in_flight));
        move |req: ChaincodeRequest| {
            let (in_flight, max_in_flight) = (Arc::clone(&in_flight), Arc::clone(&max_in_flight));
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                max_in_flight.fetch_max(now, Ordering::SeqCst);
                // Time for a shim that broke the rule to send its second request; the peer side
                // fails the execution if one arrives while this one is unanswered.
                tokio::time::sleep(Duration::from_millis(100)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let key = GetState::decode(req.payload).unwrap().key;
                Reply::ok(key.to_uppercase())
            }
        }
    };
    // The chaincode does tokio::join!(get_state(a), get_state(b)).
    let done = conn
        .execute(
            CHANNEL,
            "join",
            ExecuteKind::Transaction,
            &input(&["join2", "a", "b"]),
            None,
            &handler,
        )
        .await
        .unwrap();
    assert_eq!(response_of(&done).payload.as_ref(), b"AB");
    assert_eq!(max_in_flight.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_request_is_answered_before_the_next_is_sent() {
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    let ledger = Ledger::new();
    let handler = |req: ChaincodeRequest| {
        let ledger = ledger.clone();
        async move {
            let key = GetState::decode(req.payload.clone()).unwrap().key;
            if key == "slow" {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return Reply::ok("late");
            }
            ledger.answer(&req);
            Reply::ok(format!("{key}-value"))
        }
    };
    let done = conn
        .execute(
            CHANNEL,
            "abandon",
            ExecuteKind::Transaction,
            &input(&["abandon", "fast"]),
            None,
            &handler,
        )
        .await
        .unwrap();
    // The second read waited for the reply to the first: the peer side saw no overlap (it
    // would have failed the execution) and the value is the second read's.
    assert_eq!(response_of(&done).payload.as_ref(), b"fast-value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_batch_and_get_multiple_when_advertised() {
    let server = TestServer::start(TestCc, None).await;
    let features = PeerFeatures {
        write_batch: Some(10),
        get_multiple: Some(7),
    };
    let conn = ChaincodeDialer::new(server.address())
        .features(features)
        .connect()
        .await
        .unwrap();
    let ledger = Ledger::new();
    let done = conn
        .execute(
            CHANNEL,
            "put25",
            ExecuteKind::Transaction,
            &input(&["putmany", "25"]),
            None,
            &ledger.handler(),
        )
        .await
        .unwrap();
    assert_eq!(response_of(&done).status, 200);
    // Every write reached the ledger before COMPLETED, in chunks of the advertised size.
    assert_eq!(ledger.len(), 25);
    let batches: Vec<usize> = ledger
        .seen()
        .iter()
        .map(|s| {
            assert_eq!(s.kind, Type::WriteBatchState);
            WriteBatchState::decode(s.payload.clone())
                .unwrap()
                .rec
                .len()
        })
        .collect();
    assert_eq!(batches, vec![10, 10, 5]);

    let ledger2 = ledger.clone();
    let done = conn
        .execute(
            CHANNEL,
            "get25",
            ExecuteKind::Transaction,
            &input(&["getmany", "25"]),
            None,
            &ledger2.handler(),
        )
        .await
        .unwrap();
    assert_eq!(response_of(&done).payload.as_ref(), b"25");
    let chunks: Vec<usize> = ledger
        .seen()
        .iter()
        .filter(|s| s.txid == "get25")
        .map(|s| {
            assert_eq!(s.kind, Type::GetStateMultiple);
            GetStateMultiple::decode(s.payload.clone())
                .unwrap()
                .keys
                .len()
        })
        .collect();
    assert_eq!(chunks, vec![7, 7, 7, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_per_write_when_not_advertised() {
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    let ledger = Ledger::new();
    let done = conn
        .execute(
            CHANNEL,
            "put5",
            ExecuteKind::Transaction,
            &input(&["putmany", "5"]),
            None,
            &ledger.handler(),
        )
        .await
        .unwrap();
    assert_eq!(response_of(&done).status, 200);
    assert_eq!(ledger.seen_kinds(), vec![Type::PutState; 5]);
    let done = conn
        .execute(
            CHANNEL,
            "get5",
            ExecuteKind::Transaction,
            &input(&["getmany", "5"]),
            None,
            &ledger.handler(),
        )
        .await
        .unwrap();
    assert_eq!(response_of(&done).payload.as_ref(), b"5");
    assert_eq!(ledger.seen_kinds()[5..], vec![Type::GetState; 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_is_echoed_in_every_state() {
    let server = TestServer::start(TestCc, None).await;
    // Before the handshake completes.
    let mut raw = ChaincodeDialer::new(server.address())
        .open_stream()
        .await
        .unwrap();
    let _register = within("REGISTER", raw.recv()).await.unwrap().unwrap();
    let keepalive = msg(Type::Keepalive, "", Bytes::new());
    raw.send(keepalive.clone()).await.unwrap();
    let echo = within("echo", raw.recv()).await.unwrap().unwrap();
    assert_eq!(echo.encode_to_vec(), keepalive.encode_to_vec());
    // On an established connection, between transactions.
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    within("keepalive", conn.keepalive()).await.unwrap();
    let done = conn
        .execute(
            CHANNEL,
            "after-keepalive",
            ExecuteKind::Transaction,
            &input(&["echo", "x"]),
            None,
            &Ledger::new().handler(),
        )
        .await
        .unwrap();
    assert_eq!(response_of(&done).payload.as_ref(), b"x");
    within("keepalive", conn.keepalive()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iterator_fetches_batches_with_query_state_next() {
    let ledger = Ledger::with_keys(250);
    let done = transaction_on(&ledger, "range", &["range", "", ""]).await;
    let payload = String::from_utf8(response_of(&done).payload.to_vec()).unwrap();
    let (count, keys) = payload.split_once(':').unwrap();
    assert_eq!(count, "250");
    let keys: Vec<&str> = keys.split(',').collect();
    assert_eq!(keys.first(), Some(&"k0000"));
    assert_eq!(keys.last(), Some(&"k0249"));
    assert_eq!(
        ledger.seen_kinds(),
        vec![
            Type::GetStateByRange,
            Type::QueryStateNext,
            Type::QueryStateNext
        ]
    );
    // An empty start key goes out as "\u{1}" (no composite keys), the end key as "".
    let range = GetStateByRange::decode(ledger.seen()[0].payload.clone()).unwrap();
    assert_eq!(range.start_key, "\u{1}");
    assert_eq!(range.end_key, "");
    assert!(range.metadata.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iterator_closed_early_sends_query_state_close() {
    let ledger = Ledger::with_keys(250);
    let done = transaction_on(&ledger, "first", &["first", "", ""]).await;
    assert_eq!(response_of(&done).payload.as_ref(), b"k0000");
    // The peer still holds the iterator (more results were pending): the shim closes it.
    assert_eq!(
        ledger.seen_kinds(),
        vec![Type::GetStateByRange, Type::QueryStateClose]
    );
    // A range read to its end needs no close: the peer closed it with the last batch.
    let small = Ledger::with_keys(3);
    transaction_on(&small, "small", &["range", "", ""]).await;
    assert_eq!(small.seen_kinds(), vec![Type::GetStateByRange]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_metadata_round_trip() {
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    let ledger = Ledger::with_keys(10);
    let page = |txid: &'static str, bookmark: &'static str| {
        let conn = conn.clone();
        let ledger = ledger.clone();
        async move {
            let done = conn
                .execute(
                    CHANNEL,
                    txid,
                    ExecuteKind::Transaction,
                    &input(&["page", "4", bookmark]),
                    None,
                    &ledger.handler(),
                )
                .await
                .unwrap();
            String::from_utf8(response_of(&done).payload.to_vec()).unwrap()
        }
    };
    assert_eq!(page("p1", "").await, "4|k0004|k0000,k0001,k0002,k0003");
    assert_eq!(page("p2", "k0004").await, "4|k0008|k0004,k0005,k0006,k0007");
    assert_eq!(page("p3", "k0008").await, "2||k0008,k0009");
    let first = ledger
        .seen()
        .into_iter()
        .find(|s| s.txid == "p2" && s.kind == Type::GetStateByRange)
        .unwrap();
    let range = GetStateByRange::decode(first.payload).unwrap();
    let meta = QueryMetadata::decode(range.metadata).unwrap();
    assert_eq!((meta.page_size, meta.bookmark.as_str()), (4, "k0004"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_its_transaction_only() {
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    let ledger = Ledger::new();
    let handler = ledger.handler();
    let (boom, echo) = (input(&["panic"]), input(&["echo", "ok"]));
    let (panicked, fine) = tokio::join!(
        conn.execute(
            CHANNEL,
            "boom",
            ExecuteKind::Transaction,
            &boom,
            None,
            &handler
        ),
        conn.execute(
            CHANNEL,
            "fine",
            ExecuteKind::Transaction,
            &echo,
            None,
            &handler
        ),
    );
    let panicked = response_of(&panicked.unwrap());
    assert_eq!(panicked.status, 500);
    assert!(
        panicked.message.contains("deliberate panic in boom"),
        "{}",
        panicked.message
    );
    assert_eq!(response_of(&fine.unwrap()).payload.as_ref(), b"ok");
    let after = conn
        .execute(
            CHANNEL,
            "after",
            ExecuteKind::Init,
            &input(&["echo", "still here"]),
            None,
            &handler,
        )
        .await
        .unwrap();
    assert_eq!(response_of(&after).payload.as_ref(), b"still here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_message_type_gets_error_and_the_stream_lives() {
    let server = TestServer::start(TestCc, None).await;
    let mut raw = raw_ready(&server, Bytes::new()).await;
    let mut odd = msg(Type::Transaction, "odd", Bytes::from_static(b"??"));
    odd.r#type = 99;
    raw.send(odd).await.unwrap();
    let error = within("ERROR", raw.recv()).await.unwrap().unwrap();
    assert_eq!(error.r#type, Type::Error as i32);
    assert_eq!(
        (error.txid.as_str(), error.channel_id.as_str()),
        ("odd", CHANNEL)
    );
    assert!(String::from_utf8_lossy(&error.payload).contains("unknown message type 99"));
    raw.send(msg(
        Type::Transaction,
        "next",
        input(&["echo", "alive"]).encode_to_vec(),
    ))
    .await
    .unwrap();
    let done = within("COMPLETED", raw.recv()).await.unwrap().unwrap();
    assert_eq!(response_of(&done).payload.as_ref(), b"alive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_before_registered_ends_the_stream_with_error() {
    let server = TestServer::start(TestCc, None).await;
    let mut raw = ChaincodeDialer::new(server.address())
        .open_stream()
        .await
        .unwrap();
    let _register = within("REGISTER", raw.recv()).await.unwrap().unwrap();
    raw.send(msg(
        Type::Transaction,
        "early",
        input(&["echo"]).encode_to_vec(),
    ))
    .await
    .unwrap();
    let error = within("ERROR", raw.recv()).await.unwrap().unwrap();
    assert_eq!(error.r#type, Type::Error as i32);
    assert_eq!(error.txid, "early");
    assert!(String::from_utf8_lossy(&error.payload).contains("not allowed in state Created"));
    // The chaincode has ended the stream.
    let end = within("end of stream", raw.recv()).await;
    assert!(matches!(end, Ok(None) | Err(_)), "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_transaction_payload_is_a_400() {
    let server = TestServer::start(TestCc, None).await;
    let mut raw = raw_ready(&server, Bytes::new()).await;
    raw.send(msg(
        Type::Transaction,
        "junk",
        Bytes::from_static(b"\xff\xff\xff\xff"),
    ))
    .await
    .unwrap();
    let done = within("COMPLETED", raw.recv()).await.unwrap().unwrap();
    let response = response_of(&done);
    assert_eq!(response.status, 400);
    assert!(
        response.message.contains("ChaincodeInput"),
        "{}",
        response.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_carries_the_event_without_ids() {
    let server = TestServer::start(TestCc, None).await;
    let conn = ChaincodeDialer::new(server.address())
        .connect()
        .await
        .unwrap();
    let done = conn
        .execute(
            CHANNEL,
            "evt",
            ExecuteKind::Transaction,
            &input(&["event", "payload"]),
            None,
            &Ledger::new().handler(),
        )
        .await
        .unwrap();
    let event = done.chaincode_event.clone().expect("event");
    assert_eq!(event.event_name, "done");
    assert_eq!(event.payload.as_ref(), b"payload");
    assert!(event.chaincode_id.is_empty() && event.tx_id.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_running_transactions_finish_and_refuses_new_ones() {
    let server = TestServer::start(TestCc, None).await;
    let address = server.address();
    let conn = ChaincodeDialer::new(address.clone())
        .connect()
        .await
        .unwrap();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let released = std::sync::Mutex::new(Some(released));
    let (asked, mut asked_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let handler = move |_req: ChaincodeRequest| {
        let wait = released.lock().unwrap().take();
        let _ = asked.send(());
        async move {
            if let Some(wait) = wait {
                let _ = wait.await;
            }
            Reply::ok("late value")
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
    within("the long transaction's request", asked_rx.recv()).await;
    let stopping = tokio::spawn(server.shutdown());
    // New connections are refused once the server drains.
    let mut refused = false;
    for _ in 0..400 {
        if ChaincodeDialer::new(address.clone())
            .dial_timeout(Duration::from_millis(500))
            .connect()
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        refused,
        "the server kept accepting connections while shutting down"
    );
    // A new transaction on the open stream is refused with ERROR.
    let refused_tx = conn
        .execute(
            CHANNEL,
            "late-comer",
            ExecuteKind::Transaction,
            &input(&["echo", "x"]),
            None,
            &Ledger::new().handler(),
        )
        .await
        .unwrap();
    assert_eq!(refused_tx.r#type, Type::Error as i32);
    assert!(String::from_utf8_lossy(&refused_tx.payload).contains("shutting down"));
    // The running one completes, then the server stops.
    release.send(()).unwrap();
    let done = within("the long transaction", running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response_of(&done).payload.as_ref(), b"late value");
    within("server stop", stopping).await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frequent_client_pings_are_answered_without_goaway() {
    // A Fabric peer pings every 60 s; grpc-go servers would send GOAWAY (too_many_pings) to a
    // client pinging more often than their policy allows. This server never does.
    let server = TestServer::start(TestCc, None).await;
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (_client, mut connection) = within("h2 handshake", h2::client::handshake(tcp))
        .await
        .unwrap();
    let mut ping_pong = connection.ping_pong().expect("ping handle");
    let driver = tokio::spawn(connection);
    for _ in 0..20 {
        within("PONG", ping_pong.ping(h2::Ping::opaque()))
            .await
            .expect("the server answers every PING");
    }
    assert!(!driver.is_finished(), "the server closed the connection");
}
