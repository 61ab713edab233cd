//! Chaincode connections: how each devnet peer reaches each chaincode, as a Fabric peer with the
//! built-in `ccaas` builder does.
//!
//! Per (peer, chaincode) there is one connection, made lazily at the first invocation:
//!
//! - **`address`**: the peer dials the chaincode-as-a-service server (TLS when the topology
//!   says so: the server's root CA, and with `client_auth` a client certificate — the topology's
//!   or the peer's own TLS certificate), opens `protos.Chaincode/Connect`, waits for REGISTER
//!   with the chaincode's package id, answers REGISTERED and READY.
//! - **`command`**: the devnet starts the program once per peer with `CHAINCODE_SERVER_ADDRESS`
//!   (a free loopback port), `CHAINCODE_ID` (the package id) and `CORE_PEER_LOCALMSPID` (the
//!   peer's organisation), then dials it the same way (retrying until it listens).
//!
//! READY advertises write batching and `GET_STATE_MULTIPLE` (1000 each) when the topology's
//! `peer_compat` is `3.1`, nothing when it is `2.5`. No KEEPALIVE is ever sent (Fabric's default
//! `chaincode.keepalive` is 0, and the Node shim exits on one). When a stream has ended, the next
//! invocation reconnects (restarting a command chaincode whose process has exited).

use crate::cryptogen::CryptoSummary;
use crate::error::{Error, Result};
use crate::topology::{ChaincodeDef, PeerCompat, Topology};
use fabric_chaincode::peer_side::{ChaincodeConnection, ChaincodeDialer};
use fabric_chaincode::{ClientTlsConfig, PeerFeatures};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};

/// How long a started chaincode command has to listen and register.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a chaincode is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChaincodeTarget {
    /// A chaincode-as-a-service server at `host:port`.
    Address(String),
    /// A program (and arguments) the devnet starts per peer.
    Command(Vec<String>),
}

/// TLS towards a chaincode server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaincodeTlsPem {
    /// PEM of the CA that signed the server's certificate.
    pub root_cert: Vec<u8>,
    /// Present a client certificate.
    pub client_auth: bool,
    /// Explicit client certificate and key (PEM); `None`: the peer's TLS certificate.
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

/// One chaincode as the peers reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaincodeEndpoint {
    /// Chaincode name.
    pub name: String,
    /// The package id it must register with.
    pub package_id: String,
    /// Where it is.
    pub target: ChaincodeTarget,
    /// TLS, if required.
    pub tls: Option<ChaincodeTlsPem>,
}

impl ChaincodeEndpoint {
    /// The endpoint of a topology chaincode (TLS files are read now).
    pub fn from_topology(def: &ChaincodeDef, package_id: impl Into<String>) -> Result<Self> {
        let target = match (&def.address, &def.command) {
            (Some(a), _) => ChaincodeTarget::Address(a.clone()),
            (None, Some(c)) if !c.is_empty() => ChaincodeTarget::Command(c.clone()),
            _ => {
                return Err(Error::Topology {
                    origin: "topology".into(),
                    key: format!("chaincodes[{}]", def.name),
                    message: "set `address` (a chaincode server) or `command` (a program to start)"
                        .into(),
                });
            }
        };
        let read = |p: &PathBuf| std::fs::read(p).map_err(|e| Error::io(p, e));
        let tls = if def.tls.required {
            let root = def.tls.root_cert.as_ref().ok_or_else(|| Error::Topology {
                origin: "topology".into(),
                key: format!("chaincodes[{}].tls.root_cert", def.name),
                message: "tls.required needs root_cert (the CA of the chaincode server)".into(),
            })?;
            let client = match (&def.tls.client_cert, &def.tls.client_key) {
                (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
                _ => None,
            };
            Some(ChaincodeTlsPem {
                root_cert: read(root)?,
                client_auth: def.tls.client_auth,
                client,
            })
        } else {
            None
        };
        Ok(ChaincodeEndpoint {
            name: def.name.clone(),
            package_id: package_id.into(),
            target,
            tls,
        })
    }
}

/// A peer as its chaincode connections need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerLink {
    /// The peer's name (`peer0.org1.example.com`).
    pub peer: String,
    /// Its organisation.
    pub msp_id: String,
    /// Its TLS certificate and key (PEM), the default client certificate towards chaincodes.
    pub tls_identity: Option<(Vec<u8>, Vec<u8>)>,
}

/// One connection slot per (peer, chaincode).
type SlotMap = HashMap<(String, String), Arc<tokio::sync::Mutex<Slot>>>;

#[derive(Default)]
struct Slot {
    conn: Option<ChaincodeConnection>,
    child: Option<Child>,
}

/// The chaincode connections of every peer.
pub struct ChaincodeSupport {
    endpoints: BTreeMap<String, ChaincodeEndpoint>,
    features: PeerFeatures,
    startup_timeout: Duration,
    execute_timeout: Duration,
    slots: Mutex<SlotMap>,
}

impl std::fmt::Debug for ChaincodeSupport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChaincodeSupport")
            .field("endpoints", &self.endpoints)
            .field("features", &self.features)
            .finish_non_exhaustive()
    }
}

/// What READY advertises for a `peer_compat` setting.
pub fn features_for(compat: PeerCompat) -> PeerFeatures {
    match compat {
        PeerCompat::V3_1 => PeerFeatures::FABRIC_3_1,
        PeerCompat::V2_5 => PeerFeatures::default(),
    }
}

impl ChaincodeSupport {
    /// Connections to these chaincodes, advertising `features` in READY.
    pub fn new(endpoints: Vec<ChaincodeEndpoint>, features: PeerFeatures) -> Self {
        ChaincodeSupport {
            endpoints: endpoints.into_iter().map(|e| (e.name.clone(), e)).collect(),
            features,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            execute_timeout: fabric_chaincode::peer_side::DEFAULT_EXECUTE_TIMEOUT,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The chaincodes of a topology with their package ids (by name).
    pub fn from_topology(
        topology: &Topology,
        package_ids: &BTreeMap<String, String>,
    ) -> Result<Self> {
        let mut endpoints = Vec::new();
        for def in &topology.chaincodes {
            let id = package_ids
                .get(&def.name)
                .cloned()
                .unwrap_or_else(|| def.package_label());
            endpoints.push(ChaincodeEndpoint::from_topology(def, id)?);
        }
        Ok(Self::new(
            endpoints,
            features_for(topology.devnet.peer_compat),
        ))
    }

    /// Changes the execute timeout (Fabric's `chaincode.executetimeout`, 30 s).
    pub fn with_execute_timeout(mut self, timeout: Duration) -> Self {
        self.execute_timeout = timeout;
        self
    }

    /// Changes how long a started command has to come up.
    pub fn with_startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// The endpoint of chaincode `name`.
    pub fn endpoint(&self, name: &str) -> Option<&ChaincodeEndpoint> {
        self.endpoints.get(name)
    }

    fn slot(&self, peer: &str, chaincode: &str) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slots
            .entry((peer.to_owned(), chaincode.to_owned()))
            .or_default()
            .clone()
    }

    /// The live connection of `peer` to `chaincode`, made (or remade, if its stream has ended)
    /// now. The error text is what the peer reports ("could not launch chaincode ...").
    pub async fn connection(
        &self,
        peer: &PeerLink,
        chaincode: &str,
    ) -> std::result::Result<ChaincodeConnection, String> {
        let endpoint = self
            .endpoints
            .get(chaincode)
            .ok_or_else(|| format!("chaincode {chaincode} is not installed on {}", peer.peer))?;
        let slot = self.slot(&peer.peer, chaincode);
        let mut slot = slot.lock().await;
        if let Some(conn) = &slot.conn
            && !conn.is_closed()
        {
            return Ok(conn.clone());
        }
        slot.conn = None;
        let launch_error = |reason: String| {
            format!(
                "could not launch chaincode {}: {reason}",
                endpoint.package_id
            )
        };
        let tls = self
            .client_tls(endpoint, peer)
            .map_err(|e| launch_error(e.to_string()))?;
        let conn = match &endpoint.target {
            ChaincodeTarget::Address(address) => self
                .dialer(address, endpoint, tls)
                .connect()
                .await
                .map_err(|e| launch_error(e.to_string()))?,
            ChaincodeTarget::Command(argv) => {
                if let Some(child) = slot.child.as_mut()
                    && matches!(child.try_wait(), Ok(None))
                {
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                }
                slot.child = None;
                let (child, address) = spawn_command(argv, endpoint, peer)
                    .await
                    .map_err(launch_error)?;
                slot.child = Some(child);
                let dialer = self.dialer(&address, endpoint, tls);
                let deadline = tokio::time::Instant::now() + self.startup_timeout;
                loop {
                    match dialer.connect().await {
                        Ok(conn) => break conn,
                        Err(e) => {
                            let exited = slot
                                .child
                                .as_mut()
                                .is_some_and(|c| !matches!(c.try_wait(), Ok(None)));
                            if exited {
                                return Err(launch_error(format!(
                                    "the chaincode process exited before registering ({e})"
                                )));
                            }
                            if tokio::time::Instant::now() >= deadline {
                                return Err(launch_error(format!(
                                    "the chaincode did not register within {:?} ({e})",
                                    self.startup_timeout
                                )));
                            }
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }
        };
        tracing::info!(peer = %peer.peer, chaincode, package_id = %conn.package_id(), "chaincode connected");
        slot.conn = Some(conn.clone());
        Ok(conn)
    }

    fn dialer(
        &self,
        address: &str,
        endpoint: &ChaincodeEndpoint,
        tls: Option<ClientTlsConfig>,
    ) -> ChaincodeDialer {
        let mut d = ChaincodeDialer::new(address)
            .features(self.features)
            .expect_package_id(endpoint.package_id.clone())
            .execute_timeout(self.execute_timeout);
        if let Some(tls) = tls {
            d = d.tls(tls);
        }
        d
    }

    fn client_tls(
        &self,
        endpoint: &ChaincodeEndpoint,
        peer: &PeerLink,
    ) -> fabric_chaincode::Result<Option<ClientTlsConfig>> {
        let Some(tls) = &endpoint.tls else {
            return Ok(None);
        };
        if !tls.client_auth {
            return ClientTlsConfig::from_root_pem(&tls.root_cert).map(Some);
        }
        let identity = tls.client.as_ref().or(peer.tls_identity.as_ref());
        match identity {
            Some((cert, key)) => {
                ClientTlsConfig::with_identity_pem(&tls.root_cert, cert, key).map(Some)
            }
            None => ClientTlsConfig::from_root_pem(&tls.root_cert).map(Some),
        }
    }

    /// Closes every connection and stops every started chaincode process.
    pub async fn shutdown(&self) {
        let slots: Vec<_> = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .drain()
            .map(|(_, s)| s)
            .collect();
        for slot in slots {
            let mut slot = slot.lock().await;
            if let Some(conn) = slot.conn.take() {
                conn.close().await;
            }
            if let Some(mut child) = slot.child.take() {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
    }
}

/// Starts a chaincode program on a free loopback port; returns the child and its address.
async fn spawn_command(
    argv: &[String],
    endpoint: &ChaincodeEndpoint,
    peer: &PeerLink,
) -> std::result::Result<(Child, String), String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "the chaincode command is empty".to_owned())?;
    let port = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port for the chaincode: {e}"))?
        .port();
    let address = format!("127.0.0.1:{port}");
    let child = Command::new(program)
        .args(args)
        .env("CHAINCODE_SERVER_ADDRESS", &address)
        .env("CHAINCODE_ID", &endpoint.package_id)
        .env("CORE_PEER_LOCALMSPID", &peer.msp_id)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    tracing::info!(chaincode = %endpoint.name, peer = %peer.peer, %address, "chaincode process started");
    Ok((child, address))
}

/// The peers' links from the crypto material: names, MSP IDs and TLS identities.
pub fn peer_links(crypto: &CryptoSummary) -> Result<Vec<PeerLink>> {
    let mut out = Vec::new();
    for id in crypto
        .identities
        .iter()
        .filter(|i| i.kind == crate::cryptogen::IdentityKind::Peer)
    {
        let cert = std::fs::read(&id.tls_cert).map_err(|e| Error::io(&id.tls_cert, e))?;
        let key = std::fs::read(&id.tls_key).map_err(|e| Error::io(&id.tls_key, e))?;
        out.push(PeerLink {
            peer: id.name.clone(),
            msp_id: id.msp_id.clone(),
            tls_identity: Some((cert, key)),
        });
    }
    Ok(out)
}
