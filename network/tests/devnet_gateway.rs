//! End to end on the devnet: a small Gateway client (written here with fabric_sdk::tx) against
//! `Devnet::start`, with the official asset-transfer-basic contract (the Rust port in
//! `chaincode/shim/examples/asset_transfer`) and a small key-value chaincode served by our shim
//! over CCaaS on ephemeral ports. Every failure is checked against the gRPC code, message and
//! `gateway.ErrorDetail`s a Fabric v3.1 peer gives (see
//! `tests/vectors/fabric-v3.1.5/gateway/errors.json`), every commit against its validation code.

#[path = "../../chaincode/shim/examples/asset_transfer/contract.rs"]
#[allow(dead_code)]
mod contract;

use bytes::Bytes;
use fabric_chaincode::{Chaincode, ChaincodeServer, Response as CcResponse, Stub};
use fabric_protos::common::{Envelope, Payload};
use fabric_protos::gateway::gateway_client::GatewayClient;
use fabric_protos::gateway::{
    ChaincodeEventsRequest, CommitStatusRequest, EndorseRequest, ErrorDetail, EvaluateRequest,
    SignedChaincodeEventsRequest, SignedCommitStatusRequest, SubmitRequest,
};
use fabric_protos::google::rpc::Status as RpcStatus;
use fabric_protos::orderer::seek_position::Type as Seek;
use fabric_protos::orderer::{SeekNextCommit, SeekPosition};
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeActionPayload, ProposalResponsePayload, SignedProposal, Transaction,
    TxValidationCode,
};
use fabric_sdk::identity::SigningIdentity;
use fabric_sdk::policy::{KeyEndorsementPolicy, RoleType};
use fabric_sdk::tx::ProposalBuilder;
use fabric_sdk::tx::block::transactions_filter;
use medledger_network::Topology;
use medledger_network::devnet::Devnet;
use medledger_network::topology::ChaincodeDef;
use prost::Message;
use std::time::Duration;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

const SMC: &str = "SeoulMedicalCenterMSP";
const MJH: &str = "MyongjiHospitalMSP";
const NHIS: &str = "NHISMSP";
const BASIC_ID: &str = "basic_1.0:1111111111111111111111111111111111111111111111111111111111111111";
const KV_ID: &str = "kv_1.0:2222222222222222222222222222222222222222222222222222222222222222";

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A chaincode for events, key-level endorsement, private data and chaincode-to-chaincode calls.
struct Kv;

impl Chaincode for Kv {
    async fn invoke(&self, stub: Stub) -> CcResponse {
        let (f, args) = match stub.function_and_parameters() {
            Ok(x) => x,
            Err(e) => return fabric_chaincode::chaincode::error(e.to_string()),
        };
        let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
        let r: fabric_chaincode::Result<Bytes> = async {
            match f.as_str() {
                "put" => {
                    stub.put_state(&arg(0), arg(1).into_bytes()).await?;
                    stub.set_event("put", arg(0).into_bytes())?;
                    Ok(Bytes::new())
                }
                "get" => Ok(stub.get_state(&arg(0)).await?.unwrap_or_default()),
                "localMsp" => Ok(std::env::var("CORE_PEER_LOCALMSPID")
                    .unwrap_or_default()
                    .into_bytes()
                    .into()),
                "counter" => {
                    // Non-deterministic on purpose: every execution writes another value.
                    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    stub.put_state("counter", n.to_string().into_bytes())
                        .await?;
                    Ok(Bytes::new())
                }
                "lock" => {
                    let mut p = KeyEndorsementPolicy::new();
                    p.add_orgs(RoleType::Peer, &[arg(1)])?;
                    stub.set_state_validation_parameter(&arg(0), p.to_bytes()?)
                        .await?;
                    Ok(Bytes::new())
                }
                "putPrivate" => {
                    let value = stub.transient_value("value")?.cloned().unwrap_or_default();
                    stub.put_private_data(&arg(0), &arg(1), value).await?;
                    Ok(Bytes::new())
                }
                "getPrivate" => Ok(stub
                    .get_private_data(&arg(0), &arg(1))
                    .await?
                    .unwrap_or_default()),
                "call" => {
                    let rest: Vec<String> = args.iter().skip(1).cloned().collect();
                    let resp = stub.invoke_chaincode(&arg(0), &rest, "").await?;
                    Ok(resp.payload)
                }
                other => Err(fabric_chaincode::Error::InvalidArgument(format!(
                    "unknown function {other}"
                ))),
            }
        }
        .await;
        match r {
            Ok(p) => fabric_chaincode::chaincode::success(p),
            Err(e) => fabric_chaincode::chaincode::error(e.to_string()),
        }
    }
}

struct Net {
    devnet: Devnet,
    dir: tempfile::TempDir,
    channel: String,
}

async fn serve<C: Chaincode>(package_id: &str, chaincode: C) -> String {
    let bound = ChaincodeServer::new("127.0.0.1:0", package_id)
        .bind()
        .await
        .unwrap();
    let addr = bound.local_addr().to_string();
    tokio::spawn(async move {
        let _ = bound
            .serve_with_shutdown(chaincode, std::future::pending())
            .await;
    });
    addr
}

async fn start() -> Net {
    start_with(None, |_| {}).await
}

/// A devnet with the test chaincodes, in `dir` (a new temporary directory when `None`), with
/// the topology adjusted by `adjust`.
async fn start_with(dir: Option<tempfile::TempDir>, adjust: impl FnOnce(&mut Topology)) -> Net {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let basic = serve(BASIC_ID, contract::chaincode().unwrap()).await;
    let kv = serve(KV_ID, Kv).await;
    let mut topology = Topology::medical_default();
    topology.block_cutting.batch_timeout = "50ms".into();
    let def = |name: &str, id: &str, address: String, policy: &str| ChaincodeDef {
        name: name.into(),
        version: "1.0".into(),
        sequence: 1,
        label: None,
        package_id: Some(id.into()),
        address: Some(address),
        command: None,
        tls: Default::default(),
        endorsement_policy: Some(policy.into()),
        collections: None,
        collections_file: None,
        init_required: false,
    };
    let mut kv_def = def(
        "kv",
        KV_ID,
        kv,
        &format!("OR('{SMC}.peer', '{MJH}.peer', '{NHIS}.peer')"),
    );
    kv_def.collections = Some(format!(
        r#"[{{"name":"clinical","policy":"OR('{SMC}.member','{MJH}.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":0,"memberOnlyRead":true,"memberOnlyWrite":true}},
            {{"name":"claims","policy":"OR('{SMC}.member','{MJH}.member','{NHIS}.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":0,"memberOnlyRead":true,"memberOnlyWrite":false,"endorsementPolicy":{{"signaturePolicy":"OR('{NHIS}.peer')"}}}}]"#
    ));
    topology.chaincodes = vec![
        def(
            "basic",
            BASIC_ID,
            basic,
            &format!("AND('{SMC}.peer', '{MJH}.peer')"),
        ),
        kv_def,
    ];
    adjust(&mut topology);
    let dir = match dir {
        Some(d) => d,
        None => tempfile::tempdir().unwrap(),
    };
    let channel = topology.channel.name.clone();
    let devnet = Devnet::start(dir.path().join("devnet"), topology)
        .await
        .unwrap();
    Net {
        devnet,
        dir,
        channel,
    }
}

impl Net {
    fn identity(&self, name: &str) -> SigningIdentity {
        let id = self.devnet.crypto().identity(name).unwrap();
        SigningIdentity::from_msp_dir(&id.msp_dir, &id.msp_id).unwrap()
    }

    fn doctor(&self) -> SigningIdentity {
        self.identity("Doctor1@seoulmedical.example.com")
    }

    async fn client(&self, msp: &str) -> Client {
        self.try_client(msp, None).await.unwrap()
    }

    /// A client of `msp`'s gateway, presenting `tls_user`'s TLS certificate when given.
    async fn try_client(
        &self,
        msp: &str,
        tls_user: Option<&str>,
    ) -> Result<Client, tonic::transport::Error> {
        let peer = self.devnet.peer_of(msp).unwrap();
        let ca = std::fs::read(&peer.tls_root_cert).unwrap();
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca))
            .domain_name(peer.name.clone());
        if let Some(user) = tls_user {
            let id = self.devnet.crypto().identity(user).unwrap();
            tls = tls.identity(tonic::transport::Identity::from_pem(
                std::fs::read(&id.tls_cert).unwrap(),
                std::fs::read(&id.tls_key).unwrap(),
            ));
        }
        let ch = Endpoint::from_shared(format!("https://{}", peer.address))
            .unwrap()
            .tls_config(tls)?
            .connect()
            .await?;
        Ok(Client {
            gw: GatewayClient::new(ch),
            channel: self.channel.clone(),
            address: peer.address.to_string(),
        })
    }
}

struct Client {
    gw: GatewayClient<Channel>,
    channel: String,
    address: String,
}

struct Proposal {
    txid: String,
    signed: SignedProposal,
}

fn proposal(
    channel: &str,
    who: &SigningIdentity,
    cc: &str,
    args: &[&str],
    transient: &[(&str, &str)],
) -> Proposal {
    let mut b = ProposalBuilder::new(channel, cc, who.serialized().to_vec());
    for a in args {
        b = b.arg(a.to_string());
    }
    for (k, v) in transient {
        b = b.transient(*k, v.as_bytes().to_vec());
    }
    let p = b.build().unwrap();
    Proposal {
        txid: p.txid().to_owned(),
        signed: p.sign(who.signer.as_ref()).unwrap(),
    }
}

fn details(status: &tonic::Status) -> Vec<ErrorDetail> {
    let s = RpcStatus::decode(status.details()).unwrap_or_default();
    s.details
        .iter()
        .map(|a| {
            assert_eq!(a.type_url, "type.googleapis.com/gateway.ErrorDetail");
            ErrorDetail::decode(a.value.as_slice()).unwrap()
        })
        .collect()
}

impl Client {
    async fn evaluate(&mut self, p: &Proposal) -> Result<Bytes, tonic::Status> {
        let r = self
            .gw
            .evaluate(EvaluateRequest {
                transaction_id: p.txid.clone(),
                channel_id: self.channel.clone(),
                proposed_transaction: Some(p.signed.clone()),
                target_organizations: vec![],
            })
            .await?
            .into_inner();
        Ok(r.result.unwrap().payload)
    }

    async fn endorse(&mut self, p: &Proposal, orgs: &[&str]) -> Result<Envelope, tonic::Status> {
        let r = self
            .gw
            .endorse(EndorseRequest {
                transaction_id: p.txid.clone(),
                channel_id: self.channel.clone(),
                proposed_transaction: Some(p.signed.clone()),
                endorsing_organizations: orgs.iter().map(|s| s.to_string()).collect(),
            })
            .await?
            .into_inner();
        Ok(r.prepared_transaction.unwrap())
    }

    async fn submit(&mut self, txid: &str, env: Envelope) -> Result<(), tonic::Status> {
        self.gw
            .submit(SubmitRequest {
                transaction_id: txid.into(),
                channel_id: self.channel.clone(),
                prepared_transaction: Some(env),
            })
            .await?;
        Ok(())
    }

    async fn status(
        &mut self,
        who: &SigningIdentity,
        txid: &str,
    ) -> Result<(TxValidationCode, u64), tonic::Status> {
        let request = CommitStatusRequest {
            transaction_id: txid.into(),
            channel_id: self.channel.clone(),
            identity: Bytes::copy_from_slice(who.serialized()),
        }
        .encode_to_vec();
        let signature = who.sign(&request).unwrap();
        let r = tokio::time::timeout(
            Duration::from_secs(20),
            self.gw.commit_status(SignedCommitStatusRequest {
                request: request.into(),
                signature: signature.into(),
            }),
        )
        .await
        .expect("commit status timed out")?
        .into_inner();
        Ok((
            TxValidationCode::try_from(r.result).unwrap(),
            r.block_number,
        ))
    }

    /// Endorse, sign, submit, wait: the commit code and the transaction result.
    async fn submit_tx(
        &mut self,
        who: &SigningIdentity,
        p: &Proposal,
        orgs: &[&str],
    ) -> Result<(TxValidationCode, Bytes), tonic::Status> {
        let env = self.endorse(p, orgs).await?;
        let result = result_of(&env);
        let env = sign(who, env);
        self.submit(&p.txid, env).await?;
        let (code, _) = self.status(who, &p.txid).await?;
        Ok((code, result))
    }
}

fn sign(who: &SigningIdentity, env: Envelope) -> Envelope {
    let signature = who.sign(&env.payload).unwrap();
    Envelope {
        payload: env.payload,
        signature: signature.into(),
    }
}

fn result_of(env: &Envelope) -> Bytes {
    let payload = Payload::decode(env.payload.clone()).unwrap();
    let tx = Transaction::decode(payload.data).unwrap();
    let cap = ChaincodeActionPayload::decode(tx.actions[0].payload.clone()).unwrap();
    let prp =
        ProposalResponsePayload::decode(cap.action.unwrap().proposal_response_payload).unwrap();
    let action = ChaincodeAction::decode(prp.extension).unwrap();
    action.response.unwrap().payload
}

/// The MSP IDs of a prepared transaction's endorsements, in order.
fn endorser_msps(env: &Envelope) -> Vec<String> {
    let payload = Payload::decode(env.payload.clone()).unwrap();
    let tx = Transaction::decode(payload.data).unwrap();
    let cap = ChaincodeActionPayload::decode(tx.actions[0].payload.clone()).unwrap();
    cap.action
        .unwrap()
        .endorsements
        .iter()
        .map(|e| {
            fabric_protos::msp::SerializedIdentity::decode(e.endorser.clone())
                .unwrap()
                .mspid
        })
        .collect()
}

fn assert_status(s: &tonic::Status, code: Code, message: &str) {
    assert_eq!(s.code(), code, "{s:?}");
    assert_eq!(s.message(), message, "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_end_to_end() {
    let net = start().await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;

    // Submit InitLedger (AND(SMC.peer, MJH.peer): the gateway picks both organisations).
    let p = proposal(&ch, &doctor, "basic", &["InitLedger"], &[]);
    let (code, _) = smc.submit_tx(&doctor, &p, &[]).await.unwrap();
    assert_eq!(code, TxValidationCode::Valid);

    // Evaluate.
    let p = proposal(&ch, &doctor, "basic", &["ReadAsset", "asset1"], &[]);
    let asset = smc.evaluate(&p).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&asset).unwrap();
    assert_eq!(json["ID"], "asset1");

    // Create, then read back on another organisation's gateway.
    let p = proposal(
        &ch,
        &doctor,
        "basic",
        &["CreateAsset", "asset100", "teal", "7", "Tomoko", "900"],
        &[],
    );
    let (code, _) = smc.submit_tx(&doctor, &p, &[]).await.unwrap();
    assert_eq!(code, TxValidationCode::Valid);
    let mut nhis = net.client(NHIS).await;
    let p = proposal(&ch, &doctor, "basic", &["ReadAsset", "asset100"], &[]);
    let json: serde_json::Value =
        serde_json::from_slice(&nhis.evaluate(&p).await.unwrap()).unwrap();
    assert_eq!(json["Owner"], "Tomoko");

    // From NHIS's gateway (not in AND(SMC, MJH)): NHIS endorses first, then the layout
    // {SMC, MJH} is used without it, as Fabric's discovery plans.
    let p = proposal(
        &ch,
        &doctor,
        "basic",
        &["CreateAsset", "asset101", "teal", "7", "Tomoko", "900"],
        &[],
    );
    let env = nhis.endorse(&p, &[]).await.unwrap();
    assert_eq!(endorser_msps(&env), [SMC, MJH]);
    nhis.submit(&p.txid, sign(&doctor, env)).await.unwrap();
    assert_eq!(
        nhis.status(&doctor, &p.txid).await.unwrap().0,
        TxValidationCode::Valid
    );

    // Chaincode error on Evaluate: UNKNOWN with the chaincode message (errors.json
    // "evaluate-chaincode-error").
    let p = proposal(&ch, &doctor, "basic", &["ReadAsset", "no-such-asset"], &[]);
    let e = smc.evaluate(&p).await.unwrap_err();
    assert_status(
        &e,
        Code::Unknown,
        "evaluate call to endorser returned error: chaincode response 500, The asset no-such-asset does not exist",
    );
    let d = details(&e);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].msp_id, SMC);
    assert_eq!(d[0].address, smc.address);
    assert_eq!(
        d[0].message,
        "chaincode response 500, The asset no-such-asset does not exist"
    );

    // Chaincode error on Endorse: ABORTED (errors.json "endorse-chaincode-error").
    let p = proposal(
        &ch,
        &doctor,
        "basic",
        &["CreateAsset", "asset1", "blue", "5", "Tom", "300"],
        &[],
    );
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_status(
        &e,
        Code::Aborted,
        "failed to endorse transaction, see attached details for more info",
    );
    let d = details(&e);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].msp_id, SMC);
    assert_eq!(
        d[0].message,
        "chaincode response 500, The asset asset1 already exists"
    );

    // Unknown chaincode (errors.json "evaluate-unknown-chaincode", "endorse-unknown-chaincode").
    let p = proposal(&ch, &doctor, "nosuchcc", &["Foo"], &[]);
    assert_status(
        &smc.evaluate(&p).await.unwrap_err(),
        Code::FailedPrecondition,
        &format!("no peers available to evaluate chaincode nosuchcc in channel {ch}"),
    );
    assert_status(
        &smc.endorse(&p, &[]).await.unwrap_err(),
        Code::FailedPrecondition,
        &format!(
            "no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode nosuchcc in channel {ch}"
        ),
    );
    // Unknown endorsing organisation (errors.json "endorse-unknown-org").
    let p = proposal(&ch, &doctor, "basic", &["ReadAsset", "asset1"], &[]);
    assert_status(
        &smc.endorse(&p, &["NoSuchMSP"]).await.unwrap_err(),
        Code::Unavailable,
        "failed to find any endorsing peers for org(s): NoSuchMSP",
    );

    // Endorsement policy failure: one organisation under AND(SMC, MJH) — endorse and submit
    // succeed, the commit is ENDORSEMENT_POLICY_FAILURE (errors.json
    // "commit-endorsement-policy-failure").
    let p = proposal(
        &ch,
        &doctor,
        "basic",
        &["CreateAsset", "asset12", "red", "1", "Ann", "10"],
        &[],
    );
    let (code, _) = smc.submit_tx(&doctor, &p, &[SMC]).await.unwrap();
    assert_eq!(code, TxValidationCode::EndorsementPolicyFailure);

    // MVCC: two endorsements of UpdateAsset on the same state, submitted together.
    let p1 = proposal(
        &ch,
        &doctor,
        "basic",
        &["UpdateAsset", "asset2", "red", "5", "Brad", "401"],
        &[],
    );
    let p2 = proposal(
        &ch,
        &doctor,
        "basic",
        &["UpdateAsset", "asset2", "red", "5", "Brad", "402"],
        &[],
    );
    let e1 = sign(&doctor, smc.endorse(&p1, &[]).await.unwrap());
    let e2 = sign(&doctor, smc.endorse(&p2, &[]).await.unwrap());
    smc.submit(&p1.txid, e1).await.unwrap();
    smc.submit(&p2.txid, e2).await.unwrap();
    assert_eq!(
        smc.status(&doctor, &p1.txid).await.unwrap().0,
        TxValidationCode::Valid
    );
    assert_eq!(
        smc.status(&doctor, &p2.txid).await.unwrap().0,
        TxValidationCode::MvccReadConflict
    );

    // A forged proposal signature: the creator's signature does not verify.
    let mut p = proposal(&ch, &doctor, "basic", &["ReadAsset", "asset1"], &[]);
    let other = net.identity("Nurse1@seoulmedical.example.com");
    p.signed.signature = other.sign(&p.signed.proposal_bytes).unwrap().into();
    let denied =
        format!("error validating proposal: access denied: channel [{ch}] creator org [{SMC}]");
    assert_status(
        &smc.evaluate(&p).await.unwrap_err(),
        Code::FailedPrecondition,
        &format!("evaluate call to endorser returned error: {denied}"),
    );
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_status(
        &e,
        Code::Aborted,
        "failed to endorse transaction, see attached details for more info",
    );
    assert_eq!(details(&e)[0].message, denied);

    // A forged envelope signature at Submit: the orderer refuses it.
    let p = proposal(&ch, &doctor, "basic", &["ReadAsset", "asset1"], &[]);
    let env = smc.endorse(&p, &[]).await.unwrap();
    let forged = sign(&other, env.clone());
    let e = smc.submit(&p.txid, forged).await.unwrap_err();
    assert_status(
        &e,
        Code::Aborted,
        "received unsuccessful response from orderer: status=FORBIDDEN, info=implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied: permission denied",
    );

    // A client role Writers does not admit: a peer identity (Writers = OR(admin, client)).
    let peer_id = net.identity("peer0.seoulmedical.example.com");
    let p = proposal(&ch, &peer_id, "basic", &["ReadAsset", "asset1"], &[]);
    let acl = "failed evaluating policy on signed data during check policy [/Channel/Application/Writers]: [implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied]";
    assert_status(
        &smc.evaluate(&p).await.unwrap_err(),
        Code::FailedPrecondition,
        &format!("evaluate call to endorser returned error: {acl}"),
    );
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
    assert_eq!(details(&e)[0].message, acl);

    // A tampered envelope, re-signed by its creator: the proposal hash no longer matches.
    let p = proposal(
        &ch,
        &doctor,
        "basic",
        &["CreateAsset", "asset13", "red", "1", "Ann", "10"],
        &[],
    );
    let env = smc.endorse(&p, &[]).await.unwrap();
    let tampered = tamper_proposal_payload(env);
    smc.submit(&p.txid, sign(&doctor, tampered)).await.unwrap();
    assert_eq!(
        smc.status(&doctor, &p.txid).await.unwrap().0,
        TxValidationCode::InvalidEndorserTransaction
    );

    // A replayed txid: Endorse refuses it, a replayed envelope commits as DUPLICATE_TXID.
    let p = proposal(
        &ch,
        &doctor,
        "basic",
        &["CreateAsset", "asset14", "red", "1", "Ann", "10"],
        &[],
    );
    let env = sign(&doctor, smc.endorse(&p, &[]).await.unwrap());
    smc.submit(&p.txid, env.clone()).await.unwrap();
    let (code, first_block) = smc.status(&doctor, &p.txid).await.unwrap();
    assert_eq!(code, TxValidationCode::Valid);
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
    assert_eq!(
        details(&e)[0].message,
        format!(
            "duplicate transaction found [{}]. Creator [{}]",
            p.txid,
            hex::encode(doctor.serialized())
        )
    );
    let height = net.devnet.ledger().height();
    smc.submit(&p.txid, env).await.unwrap();
    net.devnet.ledger().wait_for_block(height).await.unwrap();
    let block = net.devnet.ledger().store().block(height).unwrap().unwrap();
    assert_eq!(
        transactions_filter(&block),
        &[TxValidationCode::DuplicateTxid as u8]
    );
    // CommitStatus still reports the first occurrence.
    assert_eq!(
        smc.status(&doctor, &p.txid).await.unwrap(),
        (TxValidationCode::Valid, first_block)
    );

    net.devnet.shutdown().await.unwrap();
    drop(net.dir);
}

/// Changes the chaincode arguments inside the transaction (not the endorsed payload).
fn tamper_proposal_payload(env: Envelope) -> Envelope {
    let mut payload = Payload::decode(env.payload).unwrap();
    let mut tx = Transaction::decode(payload.data.clone()).unwrap();
    let mut cap = ChaincodeActionPayload::decode(tx.actions[0].payload.clone()).unwrap();
    let mut cpp = cap.chaincode_proposal_payload.to_vec();
    if let Some(pos) = cpp.windows(4).position(|w| w == b"Ann\x12") {
        cpp[pos] = b'B';
    } else {
        let last = cpp.len() - 1;
        cpp[last] ^= 1;
    }
    cap.chaincode_proposal_payload = cpp.into();
    tx.actions[0].payload = cap.encode_to_vec().into();
    payload.data = tx.encode_to_vec().into();
    Envelope {
        payload: payload.encode_to_vec().into(),
        signature: Bytes::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_key_level_private_data_and_cc2cc() {
    let net = start().await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;

    // Chaincode events from the next commit, VALID transactions only.
    let request = ChaincodeEventsRequest {
        channel_id: ch.clone(),
        chaincode_id: "kv".into(),
        identity: Bytes::copy_from_slice(doctor.serialized()),
        start_position: Some(SeekPosition {
            r#type: Some(Seek::NextCommit(SeekNextCommit {})),
        }),
        after_transaction_id: String::new(),
    }
    .encode_to_vec();
    let signature = doctor.sign(&request).unwrap();
    let mut events = smc
        .gw
        .chaincode_events(SignedChaincodeEventsRequest {
            request: request.into(),
            signature: signature.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let p = proposal(&ch, &doctor, "kv", &["put", "k1", "v1"], &[]);
    let (code, _) = smc.submit_tx(&doctor, &p, &[]).await.unwrap();
    assert_eq!(code, TxValidationCode::Valid);
    let got = tokio::time::timeout(Duration::from_secs(10), events.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got.events.len(), 1);
    assert_eq!(got.events[0].event_name, "put");
    assert_eq!(got.events[0].tx_id, p.txid);
    assert_eq!(got.events[0].chaincode_id, "kv");
    assert_eq!(&got.events[0].payload[..], b"k1");

    // Key-level endorsement: k1 may then only be written with NHIS's endorsement.
    let p = proposal(&ch, &doctor, "kv", &["lock", "k1", NHIS], &[]);
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    let p = proposal(&ch, &doctor, "kv", &["put", "k1", "v2"], &[]);
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[SMC]).await.unwrap().0,
        TxValidationCode::EndorsementPolicyFailure
    );
    // The gateway, left to choose, finds NHIS for the key-level policy.
    let p = proposal(&ch, &doctor, "kv", &["put", "k1", "v3"], &[]);
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    let p = proposal(&ch, &doctor, "kv", &["get", "k1"], &[]);
    assert_eq!(&smc.evaluate(&p).await.unwrap()[..], b"v3");

    // Private data: written from the transient map, readable by members only.
    let p = proposal(
        &ch,
        &doctor,
        "kv",
        &["putPrivate", "clinical", "rx1"],
        &[("value", "secret")],
    );
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    let p = proposal(&ch, &doctor, "kv", &["getPrivate", "clinical", "rx1"], &[]);
    assert_eq!(&smc.evaluate(&p).await.unwrap()[..], b"secret");
    let officer = net.identity("ClaimsOfficer1@nhis.example.com");
    let p = proposal(&ch, &officer, "kv", &["getPrivate", "clinical", "rx1"], &[]);
    let mut nhis = net.client(NHIS).await;
    let e = nhis.evaluate(&p).await.unwrap_err();
    assert_eq!(e.code(), Code::Unknown, "{e:?}");
    assert!(
        e.message().contains("tx creator does not have read access permission on privatedata in chaincodeName:kv collectionName: clinical"),
        "{e:?}"
    );

    // Chaincode-to-chaincode: kv calls basic's GetAllAssets on the same simulator.
    let p = proposal(&ch, &doctor, "basic", &["InitLedger"], &[]);
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    let p = proposal(
        &ch,
        &doctor,
        "kv",
        &["call", "basic", "ReadAsset", "asset3"],
        &[],
    );
    let json: serde_json::Value = serde_json::from_slice(&smc.evaluate(&p).await.unwrap()).unwrap();
    assert_eq!(json["ID"], "asset3");

    net.devnet.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_foreign_certificates() {
    let net = start().await;
    let ch = net.channel.clone();
    let mut smc = net.client(SMC).await;

    // A certificate from another CA with the same MSP ID.
    let other_dir = tempfile::tempdir().unwrap();
    let other =
        medledger_network::generate(&Topology::medical_default(), other_dir.path()).unwrap();
    let foreign_id = other.identity("Doctor1@seoulmedical.example.com").unwrap();
    let foreign = SigningIdentity::from_msp_dir(&foreign_id.msp_dir, SMC).unwrap();
    let p = proposal(&ch, &foreign, "basic", &["ReadAsset", "asset1"], &[]);
    let denied =
        format!("error validating proposal: access denied: channel [{ch}] creator org [{SMC}]");
    assert_status(
        &smc.evaluate(&p).await.unwrap_err(),
        Code::FailedPrecondition,
        &format!("evaluate call to endorser returned error: {denied}"),
    );
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
    assert_eq!(details(&e)[0].message, denied);

    // An expired certificate issued by the organisation's own CA.
    let expired = expired_identity(&net);
    let p = proposal(&ch, &expired, "basic", &["ReadAsset", "asset1"], &[]);
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_status(
        &e,
        Code::Aborted,
        "failed to endorse transaction, see attached details for more info",
    );
    assert_eq!(details(&e)[0].message, "proposal client identity expired");
    let e = smc.evaluate(&p).await.unwrap_err();
    assert_status(
        &e,
        Code::Unavailable,
        "failed to evaluate transaction, see attached details for more info",
    );
    let d = details(&e);
    assert_eq!(d[0].message, "proposal client identity expired");
    assert!(
        d[1..]
            .iter()
            .all(|d| d.message
                == "rpc error: code = Unknown desc = proposal client identity expired")
    );

    net.devnet.shutdown().await.unwrap();
}

/// A client certificate of Seoul Medical Center's CA that expired a minute ago.
fn expired_identity(net: &Net) -> SigningIdentity {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, KeyPair,
        PrintableString,
    };
    let org = net.devnet.crypto().org(SMC).unwrap();
    let ca_key = KeyPair::from_pem(&std::fs::read_to_string(&org.ca_key).unwrap()).unwrap();
    let pv = |s: &str| DnValue::PrintableString(PrintableString::try_from(s).unwrap());
    let mut ca_params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, pv("KR"));
    dn.push(DnType::StateOrProvinceName, pv("Seoul"));
    dn.push(DnType::LocalityName, pv("Seoul"));
    dn.push(DnType::OrganizationName, pv(&org.domain));
    dn.push(DnType::CommonName, pv(&format!("ca.{}", org.domain)));
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, pv("KR"));
    dn.push(DnType::StateOrProvinceName, pv("Seoul"));
    dn.push(DnType::LocalityName, pv("Seoul"));
    dn.push(DnType::OrganizationalUnitName, pv("client"));
    dn.push(
        DnType::CommonName,
        DnValue::Utf8String("Expired@seoulmedical.example.com".into()),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    let now = time::OffsetDateTime::now_utc();
    // Valid for one minute, two minutes ago (after the CA's own start: the MSP checks the chain
    // at the leaf's start, as Fabric does).
    params.not_before = now - time::Duration::seconds(120);
    params.not_after = now - time::Duration::seconds(60);
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    SigningIdentity::from_pem(SMC, &cert.pem(), &key.serialize_pem()).unwrap()
}

fn events_request(
    who: &SigningIdentity,
    channel: &str,
    chaincode: &str,
    start: Option<Seek>,
    after: &str,
) -> SignedChaincodeEventsRequest {
    let request = ChaincodeEventsRequest {
        channel_id: channel.into(),
        chaincode_id: chaincode.into(),
        identity: Bytes::copy_from_slice(who.serialized()),
        start_position: start.map(|t| SeekPosition { r#type: Some(t) }),
        after_transaction_id: after.into(),
    }
    .encode_to_vec();
    let signature = who.sign(&request).unwrap();
    SignedChaincodeEventsRequest {
        request: request.into(),
        signature: signature.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_checks_events_replay_and_mismatched_endorsements() {
    use fabric_protos::orderer::{SeekOldest, SeekSpecified};
    let net = start().await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;

    // Two events in two blocks.
    let mut txids = Vec::new();
    for k in ["a", "b"] {
        let p = proposal(&ch, &doctor, "kv", &["put", k, "1"], &[]);
        assert_eq!(
            smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
            TxValidationCode::Valid
        );
        txids.push(p.txid);
    }
    let (_, first_block) = smc.status(&doctor, &txids[0]).await.unwrap();
    // From a specified block: both events; after the first txid: only the second.
    let mut s = smc
        .gw
        .chaincode_events(events_request(
            &doctor,
            &ch,
            "kv",
            Some(Seek::Specified(SeekSpecified {
                number: first_block,
            })),
            "",
        ))
        .await
        .unwrap()
        .into_inner();
    for txid in &txids {
        let r = tokio::time::timeout(Duration::from_secs(10), s.message())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(&r.events[0].tx_id, txid);
    }
    let mut s = smc
        .gw
        .chaincode_events(events_request(&doctor, &ch, "kv", None, &txids[0]))
        .await
        .unwrap()
        .into_inner();
    let r = tokio::time::timeout(Duration::from_secs(10), s.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].tx_id, txids[1]);
    let e = smc
        .gw
        .chaincode_events(events_request(
            &doctor,
            &ch,
            "kv",
            Some(Seek::Oldest(SeekOldest {})),
            "",
        ))
        .await
        .unwrap_err();
    assert_status(
        &e,
        Code::InvalidArgument,
        "invalid start position type: *orderer.SeekPosition_Oldest",
    );

    // Readers: the orderer's admin is not an application reader.
    let orderer_admin = net.identity("Admin@medledger.example.com");
    let e = smc.status(&orderer_admin, &txids[0]).await.unwrap_err();
    assert_status(
        &e,
        Code::PermissionDenied,
        "failed evaluating policy on signed data during check policy [/Channel/Application/Readers]: [implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Readers' sub-policies to be satisfied]",
    );
    // A commit status request with a bad signature: denied as well.
    let request = CommitStatusRequest {
        transaction_id: txids[0].clone(),
        channel_id: ch.clone(),
        identity: Bytes::copy_from_slice(doctor.serialized()),
    }
    .encode_to_vec();
    let e = smc
        .gw
        .commit_status(SignedCommitStatusRequest {
            request: request.into(),
            signature: Bytes::from_static(b"not a signature"),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // Submit of an unsigned envelope.
    let p = proposal(&ch, &doctor, "kv", &["put", "c", "1"], &[]);
    let env = smc.endorse(&p, &[]).await.unwrap();
    assert_status(
        &smc.submit(&p.txid, env).await.unwrap_err(),
        Code::InvalidArgument,
        "prepared transaction must be signed",
    );

    // A non-deterministic chaincode endorsed by two organisations: payloads differ.
    let p = proposal(&ch, &doctor, "kv", &["counter"], &[]);
    let e = smc.endorse(&p, &[SMC, MJH]).await.unwrap_err();
    assert_status(
        &e,
        Code::Aborted,
        "failed to collect enough transaction endorsements, see attached details for more info",
    );
    let d = details(&e);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].msp_id, MJH);
    assert_eq!(d[0].message, "ProposalResponsePayloads do not match");

    net.devnet.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_with_its_state_after_a_restart() {
    let net = start().await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;
    let p = proposal(&ch, &doctor, "kv", &["put", "durable", "yes"], &[]);
    let (code, _) = smc.submit_tx(&doctor, &p, &[]).await.unwrap();
    assert_eq!(code, TxValidationCode::Valid);
    let height = net.devnet.ledger().height();
    let Net { devnet, dir, .. } = net;
    drop(smc);
    devnet.shutdown().await.unwrap();

    let net = start_with(Some(dir), |_| {}).await;
    assert!(net.devnet.resumed());
    assert_eq!(net.devnet.ledger().height(), height);
    let mut nhis = net.client(NHIS).await;
    assert_eq!(
        nhis.status(&doctor, &p.txid).await.unwrap().0,
        TxValidationCode::Valid
    );
    let p = proposal(&ch, &doctor, "kv", &["get", "durable"], &[]);
    assert_eq!(&nhis.evaluate(&p).await.unwrap()[..], b"yes");
    // The committed transaction is still found, and new ones continue the chain.
    let (code, _) = nhis
        .submit_tx(
            &doctor,
            &proposal(&ch, &doctor, "kv", &["put", "after", "1"], &[]),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(code, TxValidationCode::Valid);
    net.devnet.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_and_fabric_2_5_peers() {
    let net = start_with(None, |t| {
        t.devnet.mutual_tls = true;
        t.devnet.peer_compat = medledger_network::topology::PeerCompat::V2_5;
    })
    .await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    // Without a client certificate the TLS handshake (or the first call) fails.
    let refused = match net.try_client(SMC, None).await {
        Err(_) => true,
        Ok(mut c) => c
            .evaluate(&proposal(&ch, &doctor, "kv", &["get", "x"], &[]))
            .await
            .is_err(),
    };
    assert!(refused);
    // With the doctor's TLS certificate it works; the chaincodes get an empty READY (2.5) and
    // so never batch writes.
    let mut smc = net
        .try_client(SMC, Some("Doctor1@seoulmedical.example.com"))
        .await
        .unwrap();
    let p = proposal(&ch, &doctor, "basic", &["InitLedger"], &[]);
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    let p = proposal(&ch, &doctor, "basic", &["GetAllAssets"], &[]);
    let all: serde_json::Value = serde_json::from_slice(&smc.evaluate(&p).await.unwrap()).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 6);
    net.devnet.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chaincode_command_that_cannot_start() {
    let net = start_with(None, |t| {
        let cc = &mut t.chaincodes[1];
        cc.address = None;
        cc.command = Some(vec!["/nonexistent/medledger-test-chaincode".into()]);
    })
    .await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;
    let p = proposal(&ch, &doctor, "kv", &["get", "x"], &[]);
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
    let d = details(&e);
    assert!(
        d[0].message.starts_with(&format!(
            "error in simulation: failed to execute transaction {}: could not launch chaincode {KV_ID}: cannot start /nonexistent/medledger-test-chaincode",
            p.txid
        )),
        "{d:?}"
    );
    net.devnet.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliver_on_a_devnet_peer() {
    use fabric_protos::common::{ChannelHeader, Header, HeaderType, SignatureHeader};
    use fabric_protos::orderer::seek_info::SeekBehavior;
    use fabric_protos::orderer::{SeekInfo, SeekSpecified};
    use fabric_protos::protos::deliver_client::DeliverClient;
    use fabric_protos::protos::{deliver_response, filtered_transaction};

    let net = start().await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;
    let p = proposal(&ch, &doctor, "kv", &["put", "d", "1"], &[]);
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    let (_, block) = smc.status(&doctor, &p.txid).await.unwrap();

    let at = |n| {
        Some(SeekPosition {
            r#type: Some(Seek::Specified(SeekSpecified { number: n })),
        })
    };
    let seek = SeekInfo {
        start: at(block),
        stop: at(block),
        behavior: SeekBehavior::BlockUntilReady as i32,
        ..SeekInfo::default()
    };
    let ch_header = ChannelHeader {
        r#type: HeaderType::DeliverSeekInfo as i32,
        timestamp: Some(fabric_sdk::tx::now_timestamp()),
        channel_id: ch.clone(),
        ..ChannelHeader::default()
    };
    let payload = Payload {
        header: Some(Header {
            channel_header: ch_header.encode_to_vec().into(),
            signature_header: SignatureHeader {
                creator: Bytes::copy_from_slice(doctor.serialized()),
                nonce: Bytes::from_static(b"n"),
            }
            .encode_to_vec()
            .into(),
        }),
        data: seek.encode_to_vec().into(),
    }
    .encode_to_vec();
    let envelope = Envelope {
        signature: doctor.sign(&payload).unwrap().into(),
        payload: payload.into(),
    };
    let peer = net.devnet.peer_of(SMC).unwrap();
    let channel = Endpoint::from_shared(format!("https://{}", peer.address))
        .unwrap()
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(
                    std::fs::read(&peer.tls_root_cert).unwrap(),
                ))
                .domain_name(peer.name.clone()),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut stream = DeliverClient::new(channel)
        .deliver_filtered(tokio_stream::iter([envelope]))
        .await
        .unwrap()
        .into_inner();
    match stream.message().await.unwrap().and_then(|r| r.r#type) {
        Some(deliver_response::Type::FilteredBlock(fb)) => {
            assert_eq!(fb.number, block);
            let tx = &fb.filtered_transactions[0];
            assert_eq!(tx.txid, p.txid);
            assert_eq!(tx.tx_validation_code, TxValidationCode::Valid as i32);
            let Some(filtered_transaction::Data::TransactionActions(a)) = &tx.data else {
                panic!("no actions: {tx:?}");
            };
            let event = a.chaincode_actions[0].chaincode_event.as_ref().unwrap();
            assert_eq!(event.event_name, "put");
            assert!(event.payload.is_empty(), "filtered events carry no payload");
        }
        other => panic!("{other:?}"),
    }
    net.devnet.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collection_endorsement_policy() {
    let net = start().await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;
    // The collection's own policy (NHIS) replaces the chaincode's (any of three) for its keys.
    let p = proposal(
        &ch,
        &doctor,
        "kv",
        &["putPrivate", "claims", "c1"],
        &[("value", "claim")],
    );
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[SMC]).await.unwrap().0,
        TxValidationCode::EndorsementPolicyFailure
    );
    // Left to choose, the gateway adds NHIS (a member of the collection: transient data allowed).
    let p = proposal(
        &ch,
        &doctor,
        "kv",
        &["putPrivate", "claims", "c2"],
        &[("value", "claim")],
    );
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    let officer = net.identity("ClaimsOfficer1@nhis.example.com");
    let mut nhis = net.client(NHIS).await;
    let p = proposal(&ch, &officer, "kv", &["getPrivate", "claims", "c2"], &[]);
    assert_eq!(&nhis.evaluate(&p).await.unwrap()[..], b"claim");
    // The failed transaction wrote nothing.
    let p = proposal(&ch, &officer, "kv", &["getPrivate", "claims", "c1"], &[]);
    assert!(nhis.evaluate(&p).await.unwrap().is_empty());
    net.devnet.shutdown().await.unwrap();
}

/// Run by the devnet as a chaincode `command` (this test binary, this test only): serves the
/// key-value chaincode where the devnet says. Does nothing in a normal test run.
#[tokio::test]
#[ignore = "started by the devnet in a_chaincode_command_started_per_peer"]
async fn serve_kv_as_a_chaincode_command() {
    let (Ok(address), Ok(id)) = (
        std::env::var("CHAINCODE_SERVER_ADDRESS"),
        std::env::var("CHAINCODE_ID"),
    ) else {
        return;
    };
    ChaincodeServer::new(address, id)
        .serve_with_shutdown(Kv, std::future::pending())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chaincode_command_started_per_peer() {
    let exe = std::env::current_exe().unwrap();
    let net = start_with(None, |t| {
        let cc = &mut t.chaincodes[1];
        cc.address = None;
        cc.command = Some(vec![
            exe.display().to_string(),
            "serve_kv_as_a_chaincode_command".into(),
            "--exact".into(),
            "--ignored".into(),
        ]);
    })
    .await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;
    let p = proposal(&ch, &doctor, "kv", &["put", "cmd", "1"], &[]);
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    // One process per peer, told its peer's organisation.
    let p = proposal(&ch, &doctor, "kv", &["localMsp"], &[]);
    assert_eq!(&smc.evaluate(&p).await.unwrap()[..], SMC.as_bytes());
    let mut nhis = net.client(NHIS).await;
    let p = proposal(&ch, &doctor, "kv", &["localMsp"], &[]);
    assert_eq!(&nhis.evaluate(&p).await.unwrap()[..], NHIS.as_bytes());
    net.devnet.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_required_and_stale_timestamps() {
    let net = start_with(None, |t| t.chaincodes[0].init_required = true).await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;

    // Before Init: refused by the peer's CheckInvocation.
    let p = proposal(&ch, &doctor, "basic", &["GetAllAssets"], &[]);
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
    assert_eq!(
        details(&e)[0].message,
        format!(
            "error in simulation: failed to execute transaction {}: invalid invocation: chaincode 'basic' has not been initialized for this version, must call as init first",
            p.txid
        )
    );
    // Init, then again: already initialized.
    let init = |who: &SigningIdentity| {
        let b = ProposalBuilder::new(&ch, "basic", who.serialized().to_vec())
            .arg("InitLedger")
            .init(true)
            .build()
            .unwrap();
        Proposal {
            txid: b.txid().to_owned(),
            signed: b.sign(who.signer.as_ref()).unwrap(),
        }
    };
    let p = init(&doctor);
    assert_eq!(
        smc.submit_tx(&doctor, &p, &[]).await.unwrap().0,
        TxValidationCode::Valid
    );
    let p = init(&doctor);
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert!(
        details(&e)[0].message.ends_with(
            "invalid invocation: chaincode 'basic' is already initialized but called as init"
        ),
        "{e:?}"
    );
    let p = proposal(&ch, &doctor, "basic", &["ReadAsset", "asset1"], &[]);
    assert!(smc.evaluate(&p).await.is_ok());

    // A proposal timestamped 20 minutes ago: outside the peer's 15-minute window.
    let mut ts = fabric_sdk::tx::now_timestamp();
    ts.seconds -= 20 * 60;
    let b = ProposalBuilder::new(&ch, "basic", doctor.serialized().to_vec())
        .arg("ReadAsset")
        .arg("asset1")
        .timestamp(ts)
        .build()
        .unwrap();
    let p = Proposal {
        txid: b.txid().to_owned(),
        signed: b.sign(doctor.signer.as_ref()).unwrap(),
    };
    let e = smc.endorse(&p, &[]).await.unwrap_err();
    assert_eq!(e.code(), Code::Aborted);
    let m = &details(&e)[0].message;
    assert!(
        m.starts_with("request unauthorized due to incorrect timestamp ")
            && m.ends_with(", peer.authentication.timewindow 15m0s"),
        "{m}"
    );
    net.devnet.shutdown().await.unwrap();
}

/// Re-signs a payload (as the doctor) after `edit` changed its channel header.
fn with_channel_header(
    who: &SigningIdentity,
    env: &Envelope,
    edit: impl FnOnce(&mut fabric_protos::common::ChannelHeader),
) -> Envelope {
    use fabric_protos::common::ChannelHeader;
    let mut payload = Payload::decode(env.payload.clone()).unwrap();
    let header = payload.header.as_mut().unwrap();
    let mut ch = ChannelHeader::decode(header.channel_header.clone()).unwrap();
    edit(&mut ch);
    header.channel_header = ch.encode_to_vec().into();
    sign(
        who,
        Envelope {
            payload: payload.encode_to_vec().into(),
            signature: Bytes::new(),
        },
    )
}

/// The validator on hand-made blocks: one transaction per Fabric code it can give.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_codes_of_malformed_transactions() {
    use fabric_protos::common::HeaderType;
    use medledger_network::devnet::{Committer, TransientStore, Validator, build_block};
    let net = start().await;
    let ch = net.channel.clone();
    let doctor = net.doctor();
    let mut smc = net.client(SMC).await;
    let p = proposal(&ch, &doctor, "kv", &["put", "v", "1"], &[]);
    let good = sign(&doctor, smc.endorse(&p, &[]).await.unwrap());
    let enc = |e: &Envelope| Bytes::from(e.encode_to_vec());

    let garbage = Bytes::from_static(b"\xff\xff\xff not protobuf");
    let bad_payload = enc(&Envelope {
        payload: Bytes::from_static(b"\xff\xff"),
        signature: good.signature.clone(),
    });
    let no_header = {
        let mut payload = Payload::decode(good.payload.clone()).unwrap();
        payload.header = None;
        enc(&sign(
            &doctor,
            Envelope {
                payload: payload.encode_to_vec().into(),
                signature: Bytes::new(),
            },
        ))
    };
    let forged = enc(&sign(
        &net.identity("Nurse1@seoulmedical.example.com"),
        good.clone(),
    ));
    let epoch = enc(&with_channel_header(&doctor, &good, |c| c.epoch = 1));
    let txid = enc(&with_channel_header(&doctor, &good, |c| {
        c.tx_id = "0".repeat(64)
    }));
    let config = enc(&with_channel_header(&doctor, &good, |c| {
        c.r#type = HeaderType::Config as i32
    }));
    let message = enc(&with_channel_header(&doctor, &good, |c| {
        c.r#type = HeaderType::Message as i32
    }));
    let unendorsed = {
        let mut payload = Payload::decode(good.payload.clone()).unwrap();
        let mut tx = Transaction::decode(payload.data.clone()).unwrap();
        let mut cap = ChaincodeActionPayload::decode(tx.actions[0].payload.clone()).unwrap();
        cap.action.as_mut().unwrap().endorsements.clear();
        tx.actions[0].payload = cap.encode_to_vec().into();
        payload.data = tx.encode_to_vec().into();
        enc(&sign(
            &doctor,
            Envelope {
                payload: payload.encode_to_vec().into(),
                signature: Bytes::new(),
            },
        ))
    };
    let forged_endorsement = {
        let mut payload = Payload::decode(good.payload.clone()).unwrap();
        let mut tx = Transaction::decode(payload.data.clone()).unwrap();
        let mut cap = ChaincodeActionPayload::decode(tx.actions[0].payload.clone()).unwrap();
        for e in &mut cap.action.as_mut().unwrap().endorsements {
            let mut sig = e.signature.to_vec();
            *sig.last_mut().unwrap() ^= 1;
            e.signature = sig.into();
        }
        tx.actions[0].payload = cap.encode_to_vec().into();
        payload.data = tx.encode_to_vec().into();
        enc(&sign(
            &doctor,
            Envelope {
                payload: payload.encode_to_vec().into(),
                signature: Bytes::new(),
            },
        ))
    };
    let envelopes = vec![
        garbage,
        bad_payload,
        no_header,
        forged,
        epoch,
        txid,
        config,
        message,
        unendorsed,
        forged_endorsement,
        enc(&good),
        enc(&good),
    ];
    let ledger = net.devnet.ledger();
    let tip = ledger.store().chain_info().unwrap();
    let block = build_block(tip.height, &tip.current_block_hash, envelopes, 0, None).unwrap();
    let validator = Validator::new(
        net.devnet.channel().clone(),
        std::sync::Arc::new(TransientStore::new()),
    );
    let snapshot = ledger.store().snapshot().unwrap();
    let updates = validator.validate(&block, &snapshot).unwrap();
    let codes: Vec<TxValidationCode> = updates.txs.iter().map(|t| t.code).collect();
    assert_eq!(
        codes,
        [
            TxValidationCode::InvalidOtherReason,
            TxValidationCode::BadPayload,
            TxValidationCode::BadCommonHeader,
            TxValidationCode::BadCreatorSignature,
            TxValidationCode::BadCommonHeader,
            TxValidationCode::BadProposalTxid,
            TxValidationCode::InvalidConfigTransaction,
            TxValidationCode::BadCommonHeader,
            TxValidationCode::EndorsementPolicyFailure,
            TxValidationCode::EndorsementPolicyFailure,
            TxValidationCode::Valid,
            TxValidationCode::DuplicateTxid,
        ]
    );
    // Only the valid one writes.
    assert!(updates.txs[10].public.iter().any(|w| w.key == "v"));
    assert!(updates.txs[11].public.is_empty());
    // With the signatures checked ahead, as the commit pipeline does (here on several threads):
    // the same outcome.
    let prepared = validator.prepare(&block);
    assert!(prepared.is_some());
    let again = validator
        .validate_prepared(&block, prepared, &snapshot)
        .unwrap();
    assert_eq!(again, updates);
    net.devnet.shutdown().await.unwrap();
}
