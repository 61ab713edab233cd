//! [`MedicalDevnet`] (feature `devnet`): the embedded devnet of `medledger-network` with the
//! medical chaincode served in this process over chaincode-as-a-service on an ephemeral port —
//! one call for tests, benchmarks and `medledger demo` / `medledger devnet up`.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use medledger_sdk::devnet::MedicalDevnet;
//! let mut topology = MedicalDevnet::topology();
//! topology.block_cutting.batch_timeout = "100ms".into();   // quicker blocks for a test
//! let net = MedicalDevnet::start_with("/tmp/medledger-devnet", topology).await?;
//! let doctor = net.client("Doctor1@seoulmedical.example.com").await?;
//! let patient = doctor.get_patient("P-SMC-000001").await;
//! net.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! The topology is the default consortium (`Topology::medical_default()`: four organisations,
//! TLS, the `medledger` chaincode under `OutOf(2, SMC, MJH, NHIS)` with the collections of
//! `chaincode/medledger/config/collections.json`); only the chaincode's address, package id
//! and TLS settings are replaced by those of the in-process server (plaintext on 127.0.0.1). A data directory that already holds a
//! devnet is resumed.

use std::path::{Path, PathBuf};

use fabric_chaincode::ChaincodeServer;
use medledger_network::devnet::Devnet;
use medledger_network::topology::Topology;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::{CHAINCODE_NAME, MedLedgerClient};

/// The package id the in-process chaincode server registers with (label `medledger_1.0`).
pub const PACKAGE_ID: &str =
    "medledger_1.0:ebc9e2b14c83eec4fe930998ea06b127698a2ecf1e60b8754dd5527eb6c33b63";

/// What can go wrong starting or stopping the medical devnet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevnetError {
    /// The topology defines no `medledger` chaincode.
    #[error(
        "the topology defines no `{CHAINCODE_NAME}` chaincode: add its entry (see network/topology/medical.toml)"
    )]
    NoChaincode,
    /// The chaincode could not be built or served.
    #[error("medical chaincode server: {0}")]
    Chaincode(#[from] fabric_chaincode::Error),
    /// The devnet failed.
    #[error("devnet: {0}")]
    Network(#[from] medledger_network::Error),
    /// No such user in the devnet's crypto material.
    #[error(
        "no identity {0:?} in the devnet (users are `<Name>@<org domain>`, e.g. Doctor1@seoulmedical.example.com)"
    )]
    UnknownUser(String),
    /// No connection file for the user's organisation.
    #[error("the devnet wrote no connection file for {0}")]
    NoConnectionFile(String),
    /// The chaincode server task failed.
    #[error("medical chaincode server task: {0}")]
    Task(String),
}

/// A running devnet with the medical chaincode served in-process.
#[derive(Debug)]
pub struct MedicalDevnet {
    devnet: Devnet,
    chaincode_address: String,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), fabric_chaincode::Error>>,
}

impl MedicalDevnet {
    /// The default consortium's topology (`Topology::medical_default()`), to adjust before
    /// [`MedicalDevnet::start_with`] (batch timeout, mutual TLS, port base…).
    pub fn topology() -> Topology {
        Topology::medical_default()
    }

    /// Starts (or resumes) the default consortium's devnet in `data_dir`.
    pub async fn start(data_dir: impl AsRef<Path>) -> Result<Self, DevnetError> {
        Self::start_with(data_dir, Self::topology()).await
    }

    /// Starts (or resumes) the devnet of `topology` in `data_dir`, serving its `medledger`
    /// chaincode in-process (the default consortium's directory and collections) on
    /// 127.0.0.1 with an ephemeral port. Must run inside a multi-threaded tokio runtime.
    pub async fn start_with(
        data_dir: impl AsRef<Path>,
        mut topology: Topology,
    ) -> Result<Self, DevnetError> {
        let entry = topology
            .chaincodes
            .iter_mut()
            .find(|c| c.name == CHAINCODE_NAME)
            .ok_or(DevnetError::NoChaincode)?;
        let chaincode = medledger_chaincode::chaincode()?;
        let bound = ChaincodeServer::new("127.0.0.1:0", PACKAGE_ID)
            .bind()
            .await?;
        let chaincode_address = bound.local_addr().to_string();
        entry.address = Some(chaincode_address.clone());
        entry.label = None;
        entry.package_id = Some(PACKAGE_ID.to_owned());
        entry.command = None;
        entry.tls = Default::default();

        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(bound.serve_with_shutdown(chaincode, async move {
            let _ = stopped.await;
        }));
        match Devnet::start(data_dir, topology).await {
            Ok(devnet) => {
                tracing::info!(chaincode = %chaincode_address, dir = %devnet.data_dir().display(), "medical devnet started");
                Ok(MedicalDevnet {
                    devnet,
                    chaincode_address,
                    stop,
                    server,
                })
            }
            Err(e) => {
                let _ = stop.send(());
                let _ = server.await;
                Err(e.into())
            }
        }
    }

    /// The devnet (ledger, peers, crypto material, topology).
    pub fn devnet(&self) -> &Devnet {
        &self.devnet
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.devnet.data_dir()
    }

    /// Where the in-process chaincode server listens.
    pub fn chaincode_address(&self) -> &str {
        &self.chaincode_address
    }

    /// The channel name.
    pub fn channel(&self) -> &str {
        &self.devnet.topology().channel.name
    }

    /// The connection file of an organisation (`<data dir>/connections/<MSP>.json`).
    pub fn connection_file(&self, msp_id: &str) -> Option<&Path> {
        self.devnet
            .connection_profiles()
            .iter()
            .find(|(p, _)| p.msp_id == msp_id)
            .map(|(_, path)| path.as_path())
    }

    /// The MSP id and connection file of a user (`Doctor1@seoulmedical.example.com`).
    pub fn connection_file_of(&self, user: &str) -> Result<(String, PathBuf), DevnetError> {
        let identity = self
            .devnet
            .crypto()
            .identity(user)
            .ok_or_else(|| DevnetError::UnknownUser(user.to_owned()))?;
        let path = self
            .connection_file(&identity.msp_id)
            .ok_or_else(|| DevnetError::NoConnectionFile(identity.msp_id.clone()))?;
        Ok((identity.msp_id.clone(), path.to_owned()))
    }

    /// A client signing as `user`, connected to the gateway peer of the user's organisation.
    pub async fn client(&self, user: &str) -> Result<MedLedgerClient, crate::Error> {
        let (_, path) = self
            .connection_file_of(user)
            .map_err(|e| crate::Error::Fabric {
                function: "connect",
                source: Box::new(fabric_sdk::Error::Connection(e.to_string())),
            })?;
        MedLedgerClient::from_connection_file(path, user).await
    }

    /// Stops the devnet (committing what is being ordered), then the chaincode server.
    pub async fn shutdown(self) -> Result<(), DevnetError> {
        let MedicalDevnet {
            devnet,
            stop,
            server,
            ..
        } = self;
        let result = devnet.shutdown().await;
        let _ = stop.send(());
        let served = server.await.map_err(|e| DevnetError::Task(e.to_string()))?;
        result?;
        served?;
        Ok(())
    }
}
