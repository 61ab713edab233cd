//! A devnet submit signed through PKCS#11: the Seoul Medical Center doctor's private key is
//! imported into a SoftHSM2 token (in a directory of its own) and every signature of the submit
//! (proposal, transaction envelope, commit status request) comes from the token; the devnet
//! verifies them as a Fabric peer does.
//!
//! Needs SoftHSM2 (`apt-get install softhsm2`); without it the test prints why it skipped and
//! passes. One test per binary: SoftHSM reads `SOFTHSM2_CONF` from the environment.

#[path = "../../sdk/fabric/tests/support/softhsm.rs"]
mod softhsm;
use softhsm::SoftHsm;

use bytes::Bytes;
use fabric_chaincode::{Chaincode, Response as CcResponse, Stub};
use fabric_sdk::crypto::pkcs11::{KeySelector, Pkcs11Config, Pkcs11Signer, TokenSelector};
use fabric_sdk::gateway::{ConnectionProfile, Gateway, TxValidationCode};
use medledger_e2e::serve_in_process;
use medledger_network::Topology;
use medledger_network::devnet::Devnet;
use medledger_network::topology::ChaincodeDef;

const SMC: &str = "SeoulMedicalCenterMSP";
const DOCTOR: &str = "Doctor1@seoulmedical.example.com";
const KV_ID: &str = "kv_1.0:5555555555555555555555555555555555555555555555555555555555555555";
const TOKEN: &str = "smc-doctors";
const PIN: &str = "2468";

struct Kv;

impl Chaincode for Kv {
    async fn invoke(&self, stub: Stub) -> CcResponse {
        let params = stub.parameters().to_vec();
        let key = String::from_utf8_lossy(params.first().map_or(&[][..], |p| &p[..])).into_owned();
        let r: fabric_chaincode::Result<Bytes> = match stub.function() {
            "put" => {
                let value = params.get(1).cloned().unwrap_or_default();
                stub.put_state(&key, value.clone()).await.map(|_| value)
            }
            "get" => stub.get_state(&key).await.map(Option::unwrap_or_default),
            other => Err(fabric_chaincode::Error::InvalidArgument(format!(
                "unknown function {other}"
            ))),
        };
        match r {
            Ok(p) => fabric_chaincode::chaincode::success(p),
            Err(e) => fabric_chaincode::chaincode::error(e.to_string()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_submit_signed_by_a_softhsm_key() {
    let Some(hsm) = SoftHsm::start(TOKEN, PIN) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    let address = serve_in_process(Kv, KV_ID).await;
    let mut topology = Topology::medical_default();
    topology.block_cutting.batch_timeout = "100ms".into();
    topology.chaincodes = vec![ChaincodeDef::external(
        "kv",
        KV_ID,
        &address,
        format!("OR('{SMC}.peer')"),
    )];
    let devnet = Devnet::start(dir.path().join("devnet"), topology)
        .await
        .unwrap();
    let profile = ConnectionProfile::load(devnet.connection_file(SMC).unwrap())
        .await
        .unwrap();

    // Move the doctor's key into the token (as an organisation would with its HSM).
    let msp_dir = &profile.identity(DOCTOR).unwrap().msp_dir;
    let key_file = std::fs::read_dir(msp_dir.join("keystore"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .expect("a key in the keystore");
    hsm.import(&key_file, "doctor1", "0d01");
    let signer = Pkcs11Signer::open_async(Pkcs11Config {
        module: hsm.module.clone(),
        token: TokenSelector::Label(TOKEN.into()),
        pin: PIN.into(),
        key: KeySelector::Label("doctor1".into()),
    })
    .await
    .unwrap();
    let identity = profile.signing_identity(DOCTOR).await.unwrap().identity;
    let doctor = signer.signing_identity(identity).unwrap();

    let connection = profile
        .connection_builder(Some(DOCTOR))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let gateway = Gateway::connect(connection, &doctor);
    let kv = gateway.network(&profile.channel).contract("kv");

    // Concurrent submits: each signs three times through the one token session.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let kv = kv.clone();
        tasks.push(tokio::spawn(async move {
            let value = format!("v{i}");
            let submitted = kv
                .submit_async("put", [format!("k{i}"), value.clone()])
                .await
                .unwrap();
            assert_eq!(&submitted.result()[..], value.as_bytes());
            submitted.status().await.unwrap()
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert_eq!(status.code, TxValidationCode::Valid, "{status:?}");
    }
    for i in 0..8 {
        let value = kv.evaluate("get", [format!("k{i}")]).await.unwrap();
        assert_eq!(&value[..], format!("v{i}").as_bytes());
    }
    devnet.shutdown().await.unwrap();
}
