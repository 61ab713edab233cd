//! Parity of our Gateway client (`fabric_sdk::gateway`, offline-signing API) with the official
//! Node client `@hyperledger/fabric-gateway` 1.11, for the same identity and inputs (channel,
//! chaincode with a contract name, function, string and byte arguments, transient data,
//! endorsing organisations, event start block):
//!
//! - the proposals are equal field by field (ProposedTransaction wrapper, headers, creator,
//!   chaincode spec, arguments, transient map) except nonce, timestamp and the txid derived
//!   from the nonce; the chaincode events requests are equal; the block events requests are equal
//!   except timestamp and the open-ended stop block (Node: 2^53 - 1, ours and Go's: 2^64 - 1);
//! - our decoder and `@hyperledger/fabric-protos` read every message identically;
//! - each side's signed messages are accepted by the other: every message our client signs
//!   (proposal, prepared transaction, commit status request, chaincode events request, the three
//!   block events requests) is decoded and verified (signature, low-S) by Node's crypto; Node's
//!   signed proposal and events requests are verified by our code and then used through our
//!   client against the devnet (endorsed, submitted, committed; events delivered).

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use fabric_chaincode::{Chaincode, Response as CcResponse, Stub};
use fabric_sdk::crypto::{KeyAlgorithm, Signer, require_fabric_ecdsa};
use fabric_sdk::gateway::{ConnectionProfile, Gateway, TxValidationCode};
use fabric_sdk::identity::{Identity, SigningIdentity};
use fabric_sdk::protos::common::{ChannelHeader, Envelope, Header, Payload, SignatureHeader};
use fabric_sdk::protos::gateway::{
    ChaincodeEventsRequest, ProposedTransaction, SignedChaincodeEventsRequest,
};
use fabric_sdk::protos::msp::SerializedIdentity;
use fabric_sdk::protos::orderer::{SeekInfo, SeekPosition, seek_position::Type as Seek};
use fabric_sdk::protos::protos::{
    ChaincodeHeaderExtension, ChaincodeId, ChaincodeInvocationSpec, ChaincodeProposalPayload,
    Proposal,
};
use fabric_sdk::protos::{Message, Timestamp};
use fabric_sdk::tx::ParsedProposal;
use medledger_e2e::{run_node, serve_in_process};
use medledger_network::Topology;
use medledger_network::devnet::Devnet;
use medledger_network::topology::ChaincodeDef;
use serde_json::{Value, json};

const SMC: &str = "SeoulMedicalCenterMSP";
const DOCTOR: &str = "Doctor1@seoulmedical.example.com";
const CC_ID: &str = "records_1.0:6666666666666666666666666666666666666666666666666666666666666666";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const WAIT: Duration = Duration::from_secs(20);

/// `Records:put(key, value)` stores the value and emits `put`; anything else fails.
struct Records;

impl Chaincode for Records {
    async fn invoke(&self, stub: Stub) -> CcResponse {
        let params = stub.parameters().to_vec();
        if stub.function() != "Records:put" || params.len() != 2 {
            return fabric_chaincode::chaincode::error(format!(
                "expected Records:put(key, value), got {}",
                stub.function()
            ));
        }
        let key = String::from_utf8_lossy(&params[0]).into_owned();
        let r: fabric_chaincode::Result<()> = async {
            stub.put_state(&key, params[1].clone()).await?;
            stub.set_event("put", key.clone().into_bytes())?;
            Ok(())
        }
        .await;
        match r {
            Ok(()) => fabric_chaincode::chaincode::success(Bytes::from(key)),
            Err(e) => fabric_chaincode::chaincode::error(e.to_string()),
        }
    }
}

// --- describers: the same JSON shape as gateway-parity.mjs, from our decoder
fn b64(b: &[u8]) -> String {
    B64.encode(b)
}
fn number(n: u64) -> Value {
    // google-protobuf reads uint64 as a JavaScript number: beyond 2^53 it is a float.
    if n > (1 << 53) {
        json!(n as f64)
    } else {
        json!(n)
    }
}
fn identity(bytes: &[u8]) -> Value {
    let id = SerializedIdentity::decode(bytes).unwrap();
    json!({"mspid": id.mspid, "idBytesB64": b64(&id.id_bytes)})
}
fn timestamp(ts: Option<Timestamp>) -> Value {
    ts.map_or(
        Value::Null,
        |t| json!({"seconds": t.seconds, "nanos": t.nanos}),
    )
}
fn chaincode_id(id: Option<ChaincodeId>) -> Value {
    id.map_or(
        Value::Null,
        |id| json!({"name": id.name, "version": id.version, "path": id.path}),
    )
}
fn channel_header(bytes: &[u8]) -> Value {
    let ch = ChannelHeader::decode(bytes).unwrap();
    let mut out = json!({
        "type": ch.r#type, "version": ch.version, "timestamp": timestamp(ch.timestamp),
        "channelId": ch.channel_id, "txId": ch.tx_id, "epoch": ch.epoch,
        "tlsCertHashHex": hex::encode(&ch.tls_cert_hash), "extensionB64": b64(&ch.extension),
    });
    if ch.r#type == 3 {
        let ext = ChaincodeHeaderExtension::decode(ch.extension).unwrap();
        out["extension"] = json!({"chaincodeId": chaincode_id(ext.chaincode_id)});
    }
    out
}
fn signature_header(bytes: &[u8]) -> Value {
    let sh = SignatureHeader::decode(bytes).unwrap();
    json!({"creator": identity(&sh.creator), "nonceHex": hex::encode(&sh.nonce)})
}
fn map_b64<'a>(m: impl IntoIterator<Item = (&'a String, &'a Bytes)>) -> Value {
    m.into_iter()
        .map(|(k, v)| (k.clone(), json!(b64(v))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}
fn describe_proposed(bytes: &[u8]) -> Value {
    let pt = ProposedTransaction::decode(bytes).unwrap();
    let sp = pt.proposal.unwrap();
    let proposal = Proposal::decode(sp.proposal_bytes).unwrap();
    let header = Header::decode(proposal.header).unwrap();
    let cpp = ChaincodeProposalPayload::decode(proposal.payload).unwrap();
    let spec = ChaincodeInvocationSpec::decode(cpp.input)
        .unwrap()
        .chaincode_spec
        .unwrap();
    let input = spec.input.unwrap_or_default();
    json!({
        "transactionId": pt.transaction_id,
        "endorsingOrganizations": pt.endorsing_organizations,
        "proposal": {
            "header": {
                "channelHeader": channel_header(&header.channel_header),
                "signatureHeader": signature_header(&header.signature_header),
            },
            "payload": {
                "input": {"chaincodeSpec": {
                    "type": spec.r#type,
                    "chaincodeId": chaincode_id(spec.chaincode_id),
                    "input": {
                        "argsB64": input.args.iter().map(|a| b64(a)).collect::<Vec<_>>(),
                        "decorations": map_b64(&input.decorations),
                        "isInit": input.is_init,
                    },
                    "timeout": spec.timeout,
                }},
                "transientMap": map_b64(&cpp.transient_map),
            },
            "extensionB64": b64(&proposal.extension),
        },
    })
}
fn seek_position(p: Option<SeekPosition>) -> Value {
    match p.and_then(|p| p.r#type) {
        None => Value::Null,
        Some(Seek::Specified(s)) => json!({"specified": number(s.number)}),
        Some(Seek::NextCommit(_)) => json!({"nextCommit": true}),
        Some(Seek::Newest(_)) => json!({"newest": true}),
        Some(Seek::Oldest(_)) => json!({"oldest": true}),
    }
}
fn describe_chaincode_events(bytes: &[u8]) -> Value {
    let signed = SignedChaincodeEventsRequest::decode(bytes).unwrap();
    let r = ChaincodeEventsRequest::decode(signed.request).unwrap();
    json!({
        "channelId": r.channel_id, "chaincodeId": r.chaincode_id, "identity": identity(&r.identity),
        "startPosition": seek_position(r.start_position), "afterTransactionId": r.after_transaction_id,
    })
}
fn describe_block_events(bytes: &[u8]) -> Value {
    let env = Envelope::decode(bytes).unwrap();
    let payload = Payload::decode(env.payload).unwrap();
    let header = payload.header.unwrap();
    let seek = SeekInfo::decode(payload.data).unwrap();
    json!({
        "channelHeader": channel_header(&header.channel_header),
        "signatureHeader": signature_header(&header.signature_header),
        "seekInfo": {
            "start": seek_position(seek.start), "stop": seek_position(seek.stop),
            "behavior": seek.behavior, "errorResponse": seek.error_response,
            "contentType": seek.content_type,
        },
    })
}

/// Sets the listed JSON pointers to "<masked>" (after checking they exist).
fn masked(mut v: Value, pointers: &[&str]) -> Value {
    for p in pointers {
        let shown = v.to_string();
        *v.pointer_mut(p)
            .unwrap_or_else(|| panic!("{p} missing in {shown}")) = json!("<masked>");
    }
    v
}

fn sign(me: &SigningIdentity, digest: Vec<u8>) -> Vec<u8> {
    me.signer.sign_digest(&digest).unwrap()
}

fn node_bytes(report: &Value, name: &str) -> Vec<u8> {
    B64.decode(report["node"][name].as_str().unwrap()).unwrap()
}

/// The next item of an events stream (`stream.next()`), within [`WAIT`].
async fn next_within<T, E: std::fmt::Debug>(
    next: impl std::future::Future<Output = Option<Result<T, E>>>,
) -> T {
    tokio::time::timeout(WAIT, next)
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_gateway_client_and_node_client_build_the_same_messages_and_accept_each_others() {
    let address = serve_in_process(Records, CC_ID).await;
    let mut topology = Topology::medical_default();
    topology.block_cutting.batch_timeout = "100ms".into();
    topology.chaincodes = vec![ChaincodeDef::external(
        "records",
        CC_ID,
        &address,
        format!("OR('{SMC}.peer')"),
    )];
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(dir.path().join("devnet"), topology)
        .await
        .unwrap();
    let profile = ConnectionProfile::load(devnet.connection_file(SMC).unwrap())
        .await
        .unwrap();
    let doctor = profile.signing_identity(DOCTOR).await.unwrap();
    let msp_dir = &profile.identity(DOCTOR).unwrap().msp_dir;
    let cert_pem = doctor.identity.certificate().to_pem();
    let key_pem = std::fs::read_dir(msp_dir.join("keystore"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .next()
        .unwrap();

    // Our client without a signer: every message comes out unsigned and is signed offline.
    let connection = profile
        .connection_builder(Some(DOCTOR))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let gateway = Gateway::builder(connection, doctor.identity.clone()).build();
    let network = gateway.network(&profile.channel);
    let contract = network.contract_with_name("records", "Records");
    let value: &[u8] = &[0x00, 0xff, 0x10, 0x80];
    let transient = br#"{"note":"test data, no PHI"}"#;

    let unsigned = contract
        .new_proposal("put")
        .arg("rec-1")
        .arg(value)
        .transient("record", transient)
        .endorsing_organizations([SMC])
        .build()
        .unwrap();
    assert!(!unsigned.is_signed());
    let proposal = gateway
        .new_signed_proposal(&unsigned.bytes(), sign(&doctor, unsigned.digest()))
        .unwrap();
    let unsigned = proposal.endorse().await.unwrap();
    let transaction = gateway
        .new_signed_transaction(&unsigned.bytes(), sign(&doctor, unsigned.digest()))
        .unwrap();
    let unsigned = transaction.submit().await.unwrap();
    let commit = gateway
        .new_signed_commit(&unsigned.bytes(), sign(&doctor, unsigned.digest()))
        .unwrap();
    let status = commit.status().await.unwrap();
    assert_eq!(status.code, TxValidationCode::Valid);
    let block = status.block_number;

    let unsigned = network
        .chaincode_events("records")
        .start_block(block)
        .build()
        .unwrap();
    let cc_events = gateway
        .new_signed_chaincode_events_request(&unsigned.bytes(), sign(&doctor, unsigned.digest()))
        .unwrap();
    let unsigned = network.block_events().start_block(block).build().unwrap();
    let block_events = gateway
        .new_signed_block_events_request(&unsigned.bytes(), sign(&doctor, unsigned.digest()))
        .unwrap();
    let unsigned = network
        .filtered_block_events()
        .start_block(block)
        .build()
        .unwrap();
    let filtered_events = gateway
        .new_signed_filtered_block_events_request(
            &unsigned.bytes(),
            sign(&doctor, unsigned.digest()),
        )
        .unwrap();
    let unsigned = network
        .block_and_private_data_events()
        .start_block(block)
        .build()
        .unwrap();
    let private_events = gateway
        .new_signed_block_and_private_data_events_request(
            &unsigned.bytes(),
            sign(&doctor, unsigned.digest()),
        )
        .unwrap();

    let ours = json!({
        "proposedB64": b64(&proposal.bytes()),
        "preparedB64": b64(&transaction.bytes()),
        "commitB64": b64(&commit.bytes()),
        "chaincodeEventsB64": b64(&cc_events.bytes()),
        "blockEventsB64": b64(&block_events.bytes()),
        "filteredBlockEventsB64": b64(&filtered_events.bytes()),
        "privateBlockEventsB64": b64(&private_events.bytes()),
    });
    let input = json!({
        "mspId": SMC, "certPem": cert_pem, "keyPem": key_pem,
        "channel": profile.channel, "chaincode": "records", "contractName": "Records",
        "function": "put", "argsB64": [b64(b"rec-1"), b64(value)],
        "transientB64": {"record": b64(transient)}, "endorsingOrgs": [SMC],
        "startBlock": block, "rust": ours,
    });
    let report = tokio::task::spawn_blocking(move || run_node("gateway-parity.mjs", &input))
        .await
        .unwrap();
    assert_eq!(report["ok"], json!(true), "{report}");

    // Node's decoder and ours read every message identically.
    let node_proposed = node_bytes(&report, "proposedB64");
    assert_eq!(
        describe_proposed(&proposal.bytes()),
        report["rust"]["proposed"]
    );
    assert_eq!(
        describe_proposed(&node_proposed),
        report["node"]["proposed"]
    );
    for (name, bytes) in [
        ("blockEvents", block_events.bytes()),
        ("filteredBlockEvents", filtered_events.bytes()),
        ("privateBlockEvents", private_events.bytes()),
    ] {
        assert_eq!(
            describe_block_events(&bytes),
            report["rust"][name],
            "{name}"
        );
        let node = node_bytes(&report, &format!("{name}B64"));
        assert_eq!(describe_block_events(&node), report["node"][name], "{name}");
    }
    assert_eq!(
        describe_chaincode_events(&cc_events.bytes()),
        report["rust"]["chaincodeEvents"]
    );
    let node_cc_events = node_bytes(&report, "chaincodeEventsB64");
    assert_eq!(
        describe_chaincode_events(&node_cc_events),
        report["node"]["chaincodeEvents"]
    );

    // The proposals are equal field by field except nonce, timestamp and the txid.
    let varying = [
        "/transactionId",
        "/proposal/header/channelHeader/txId",
        "/proposal/header/channelHeader/timestamp",
        "/proposal/header/signatureHeader/nonceHex",
    ];
    let ours_described = describe_proposed(&proposal.bytes());
    let node_described = describe_proposed(&node_proposed);
    assert_eq!(
        masked(ours_described.clone(), &varying),
        masked(node_described.clone(), &varying),
    );
    // What was masked is well formed on both sides, and differs (fresh nonces).
    for d in [&ours_described, &node_described] {
        let p = &d["proposal"]["header"];
        assert_eq!(p["signatureHeader"]["nonceHex"].as_str().unwrap().len(), 48);
        assert_eq!(p["channelHeader"]["txId"], d["transactionId"]);
        assert!(p["channelHeader"]["timestamp"]["seconds"].as_i64().unwrap() > 1_700_000_000);
    }
    assert_ne!(
        ours_described["transactionId"],
        node_described["transactionId"]
    );
    // And the values are the inputs (so equal does not mean equally empty).
    let spec = &ours_described["proposal"]["payload"]["input"]["chaincodeSpec"];
    assert_eq!(spec["chaincodeId"]["name"], json!("records"));
    assert_eq!(
        spec["input"]["argsB64"],
        json!([b64(b"Records:put"), b64(b"rec-1"), b64(value)])
    );
    assert_eq!(
        ours_described["proposal"]["payload"]["transientMap"],
        json!({"record": b64(transient)})
    );
    assert_eq!(ours_described["endorsingOrganizations"], json!([SMC]));

    // Chaincode events requests: equal (no nonce or timestamp in them).
    assert_eq!(
        report["rust"]["chaincodeEvents"],
        report["node"]["chaincodeEvents"]
    );
    assert_eq!(
        report["rust"]["chaincodeEvents"]["startPosition"],
        json!({"specified": block})
    );
    // Block events requests: equal except the timestamp and the open-ended stop block.
    for name in ["blockEvents", "filteredBlockEvents", "privateBlockEvents"] {
        let varying = ["/channelHeader/timestamp", "/seekInfo/stop"];
        assert_eq!(
            masked(report["rust"][name].clone(), &varying),
            masked(report["node"][name].clone(), &varying),
            "{name}"
        );
        assert_eq!(
            report["rust"][name]["seekInfo"]["start"],
            json!({"specified": block})
        );
        assert_eq!(
            report["rust"][name]["seekInfo"]["stop"],
            json!({"specified": u64::MAX as f64})
        );
        assert_eq!(
            report["node"][name]["seekInfo"]["stop"],
            json!({"specified": (1u64 << 53) - 1})
        );
    }
    // What Node read from our transaction and commit status request.
    let prepared = &report["rust"]["prepared"];
    assert_eq!(prepared["transactionId"], json!(proposal.transaction_id()));
    assert_eq!(prepared["endorsements"], json!([SMC]));
    assert_eq!(prepared["transientKeys"], json!([]));
    assert_eq!(
        report["rust"]["commit"]["transactionId"],
        json!(proposal.transaction_id())
    );
    assert_eq!(report["rust"]["commit"]["identity"]["mspid"], json!(SMC));

    // Node's signed proposal: parsed and verified by our code...
    let node_signature = node_bytes(&report, "proposalSignatureB64");
    let node_pt = ProposedTransaction::decode(node_proposed.as_slice()).unwrap();
    let signed = node_pt.proposal.clone().unwrap();
    let parsed = ParsedProposal::parse(&signed).expect("our parser reads Node's proposal");
    assert_eq!(parsed.txid(), report["node"]["txid"].as_str().unwrap());
    assert_eq!(parsed.creator().as_ref(), doctor.serialized());
    let creator = Identity::from_serialized(parsed.creator()).unwrap();
    require_fabric_ecdsa(KeyAlgorithm::EcdsaP256, &signed.signature).unwrap();
    creator
        .certificate()
        .public_key()
        .unwrap()
        .verify(&signed.proposal_bytes, &signed.signature)
        .expect("Node's signature verifies with our verifier");
    // ...and accepted by our client and the devnet: endorsed, submitted and committed.
    let node_proposal = gateway
        .new_signed_proposal(&node_proposed, node_signature)
        .unwrap();
    assert_eq!(node_proposal.endorsing_organizations(), [SMC]);
    let unsigned = node_proposal.endorse().await.unwrap();
    assert_eq!(&unsigned.result()[..], b"rec-1");
    let transaction = gateway
        .new_signed_transaction(&unsigned.bytes(), sign(&doctor, unsigned.digest()))
        .unwrap();
    let unsigned = transaction.submit().await.unwrap();
    let commit = gateway
        .new_signed_commit(&unsigned.bytes(), sign(&doctor, unsigned.digest()))
        .unwrap();
    assert_eq!(commit.status().await.unwrap().code, TxValidationCode::Valid);

    // Node's signed events requests: verified by our code, then served through our client.
    let doctor_key = doctor.identity.certificate().public_key().unwrap();
    let signed_cc = SignedChaincodeEventsRequest::decode(node_cc_events.as_slice()).unwrap();
    doctor_key
        .verify(&signed_cc.request, &signed_cc.signature)
        .unwrap();
    let cc_signature = node_bytes(&report, "chaincodeEventsSignatureB64");
    let mut events = gateway
        .new_signed_chaincode_events_request(&node_cc_events, cc_signature)
        .unwrap()
        .events()
        .await
        .unwrap();
    let event = next_within(events.next()).await;
    assert_eq!(event.transaction_id, proposal.transaction_id());
    assert_eq!(event.block_number, block);
    assert_eq!(&event.payload[..], b"rec-1");

    let signature = |name: &str| node_bytes(&report, &format!("{name}SignatureB64"));
    let node_block = node_bytes(&report, "blockEventsB64");
    let env = Envelope::decode(node_block.as_slice()).unwrap();
    doctor_key.verify(&env.payload, &env.signature).unwrap();
    let mut blocks = gateway
        .new_signed_block_events_request(&node_block, signature("blockEvents"))
        .unwrap()
        .events()
        .await
        .unwrap();
    let first = next_within(blocks.next()).await;
    assert_eq!(first.header.unwrap().number, block);
    let mut filtered = gateway
        .new_signed_filtered_block_events_request(
            &node_bytes(&report, "filteredBlockEventsB64"),
            signature("filteredBlockEvents"),
        )
        .unwrap()
        .events()
        .await
        .unwrap();
    let first = next_within(filtered.next()).await;
    assert_eq!(first.number, block);
    assert_eq!(
        first.filtered_transactions[0].txid,
        proposal.transaction_id()
    );
    let mut private = gateway
        .new_signed_block_and_private_data_events_request(
            &node_bytes(&report, "privateBlockEventsB64"),
            signature("privateBlockEvents"),
        )
        .unwrap()
        .events()
        .await
        .unwrap();
    let first = next_within(private.next()).await;
    assert_eq!(first.block.unwrap().header.unwrap().number, block);

    drop((events, blocks, filtered, private));
    devnet.shutdown().await.unwrap();
}
