//! A devnet submit signed through PKCS#11: the Seoul Medical Center doctor's private key is
//! imported into a SoftHSM2 token (in a directory of its own) and every signature of the submit
//! (proposal, transaction envelope, commit status request) comes from the token; the devnet
//! verifies them as a Fabric peer does.
//!
//! Needs SoftHSM2 (`apt-get install softhsm2`); without it the test prints why it skipped and
//! passes. One test per binary: SoftHSM reads `SOFTHSM2_CONF` from the environment.

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use fabric_chaincode::{Chaincode, ChaincodeServer, Response as CcResponse, Stub};
use fabric_sdk::crypto::pkcs11::{KeySelector, Pkcs11Config, Pkcs11Signer, TokenSelector};
use fabric_sdk::gateway::{ConnectionProfile, Gateway, TxValidationCode};
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

fn softhsm_module() -> Option<PathBuf> {
    let module = std::env::var_os("SOFTHSM2_MODULE")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/lib/softhsm/libsofthsm2.so",
                "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib64/pkcs11/libsofthsm2.so",
                "/usr/local/lib/softhsm/libsofthsm2.so",
            ]
            .map(PathBuf::from),
        )
        .find(|p| p.is_file())?;
    let util = Command::new("softhsm2-util").arg("--version").output();
    util.is_ok_and(|o| o.status.success()).then_some(module)
}

fn util(conf: &Path, args: &[&str]) {
    let out = Command::new("softhsm2-util")
        .args(args)
        .env("SOFTHSM2_CONF", conf)
        .output()
        .expect("run softhsm2-util");
    assert!(
        out.status.success(),
        "softhsm2-util {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_submit_signed_by_a_softhsm_key() {
    let Some(module) = softhsm_module() else {
        eprintln!(
            "SKIPPED: SoftHSM2 is not installed (no libsofthsm2.so or softhsm2-util; \
             `apt-get install softhsm2`, or set SOFTHSM2_MODULE)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    // SAFETY: the only test of this binary; set before the module is loaded, and nothing else
    // of this process reads or writes the environment concurrently.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };

    let bound = ChaincodeServer::new("127.0.0.1:0", KV_ID)
        .bind()
        .await
        .unwrap();
    let address = bound.local_addr().to_string();
    tokio::spawn(async move {
        let _ = bound.serve_with_shutdown(Kv, std::future::pending()).await;
    });
    let mut topology = Topology::medical_default();
    topology.block_cutting.batch_timeout = "100ms".into();
    topology.chaincodes = vec![ChaincodeDef {
        name: "kv".into(),
        version: "1.0".into(),
        sequence: 1,
        label: None,
        package_id: Some(KV_ID.into()),
        address: Some(address),
        command: None,
        tls: Default::default(),
        endorsement_policy: Some(format!("OR('{SMC}.peer')")),
        collections: None,
        collections_file: None,
        init_required: false,
    }];
    let devnet = Devnet::start(dir.path().join("devnet"), topology)
        .await
        .unwrap();
    let profile_path = devnet
        .connection_profiles()
        .iter()
        .find(|(p, _)| p.msp_id == SMC)
        .map(|(_, path)| path.clone())
        .unwrap();
    let profile = ConnectionProfile::load(profile_path).await.unwrap();

    // Move the doctor's key into the token (as an organisation would with its HSM).
    let msp_dir = &profile.identity(DOCTOR).unwrap().msp_dir;
    let key_file = std::fs::read_dir(msp_dir.join("keystore"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .expect("a key in the keystore");
    util(
        &conf,
        &[
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--pin",
            PIN,
            "--so-pin",
            "13579753",
        ],
    );
    util(
        &conf,
        &[
            "--import",
            key_file.to_str().unwrap(),
            "--token",
            TOKEN,
            "--label",
            "doctor1",
            "--id",
            "0d01",
            "--pin",
            PIN,
        ],
    );
    let signer = Pkcs11Signer::open_async(Pkcs11Config {
        module,
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
