//! [`Devnet`]: the whole network in one process — crypto material, ledger with its genesis
//! block, ordering with the validator, one gRPC endpoint per peer serving the Gateway and
//! Deliver, chaincode connections — and the connection files clients use.
//!
//! Data directory layout:
//!
//! ```text
//! <data dir>/ledger.redb             blocks, state, private data (one redb file)
//! <data dir>/crypto/                 the crypto material (cryptogen layout), made on first start
//! <data dir>/topology.toml           the topology of the first start
//! <data dir>/packages/<label>.tar.gz the CCaaS packages whose hashes are the package ids
//! <data dir>/connections/<MSP>.json  per organisation: gateway address, TLS root, identities
//! ```
//!
//! Starting on an existing directory resumes: the crypto material and the ledger are reused,
//! blocks continue at the stored height.

use super::chaincode::{ChaincodeSupport, peer_links};
use super::channel::ChannelContext;
use super::endorser::{EndorserService, TransientStore, peer_node};
use super::gateway::{GatewayService, OrderingEndpoint};
use super::genesis::{GenesisOptions, config_from_block, genesis_block};
use super::validator::Validator;
use super::{
    AccessControl, BatchConfig, DeliverConfig, DeliverService, Ledger, MspAccessControl, Pipeline,
    tls,
};
use crate::cryptogen::{self, CryptoSummary, IdentityKind};
use crate::error::{Error, Result};
use crate::fabric::package::chaincode_package;
use crate::topology::Topology;
use fabric_sdk::identity::SigningIdentity;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// One peer endpoint of a running devnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevnetPeer {
    /// `peer0.org1.example.com` (also the TLS server name).
    pub name: String,
    /// The organisation.
    pub msp_id: String,
    /// Where it listens (Gateway and Deliver).
    pub address: SocketAddr,
    /// The PEM file of the TLS root CA that signed its certificate.
    pub tls_root_cert: PathBuf,
}

/// A client identity in a connection file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionIdentity {
    /// `Doctor1@seoulmedical.example.com`.
    pub name: String,
    /// `client` or `admin`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The medical role, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The MSP directory (signcerts, keystore).
    pub msp_dir: PathBuf,
    /// Client TLS certificate and key (for mutual TLS).
    pub tls_cert: PathBuf,
    /// Client TLS key.
    pub tls_key: PathBuf,
}

/// What a client of one organisation needs to connect (written as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionProfile {
    /// The organisation's MSP ID.
    pub msp_id: String,
    /// The channel.
    pub channel: String,
    /// The chaincodes defined on the channel.
    pub chaincodes: Vec<String>,
    /// The gateway peer: `host:port`.
    pub gateway_address: String,
    /// TLS towards the gateway.
    pub tls: bool,
    /// Mutual TLS required (present an identity's `tls_cert`/`tls_key`).
    pub mutual_tls: bool,
    /// The TLS root CA (PEM file) of the gateway peer's certificate.
    pub tls_root_cert: PathBuf,
    /// The TLS server name to verify (`peer0.<domain>`).
    pub server_name: String,
    /// Every peer of the organisation.
    pub peers: Vec<DevnetPeer>,
    /// The organisation's people.
    pub identities: Vec<ConnectionIdentity>,
}

/// A running devnet.
pub struct Devnet {
    data_dir: PathBuf,
    topology: Topology,
    crypto: CryptoSummary,
    ledger: Ledger,
    channel: Arc<ChannelContext>,
    peers: Vec<DevnetPeer>,
    profiles: Vec<(ConnectionProfile, PathBuf)>,
    package_ids: BTreeMap<String, String>,
    pipeline: Pipeline,
    chaincodes: Arc<ChaincodeSupport>,
    servers: Vec<JoinHandle<std::result::Result<(), tonic::transport::Error>>>,
    stop: watch::Sender<bool>,
    ordering: OrderingEndpoint,
    resumed: bool,
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("data_dir", &self.data_dir)
            .field("peers", &self.peers)
            .finish_non_exhaustive()
    }
}

/// How long shutdown waits for clients to close their connections.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// The topology file kept in the data directory.
pub const TOPOLOGY_FILE: &str = "topology.toml";

/// Package id and package bytes (absent for a given `package_id`) per chaincode name.
pub type PackageIds = BTreeMap<String, (String, Option<Vec<u8>>)>;

/// The package ids of the topology's chaincodes (given, or of the CCaaS package the devnet
/// makes, the same the real-Fabric kit makes), with the packages made.
pub fn package_ids(topology: &Topology) -> Result<PackageIds> {
    let mut out = BTreeMap::new();
    for cc in &topology.chaincodes {
        if let Some(id) = &cc.package_id {
            out.insert(cc.name.clone(), (id.clone(), None));
            continue;
        }
        let p = chaincode_package(cc, None)?;
        out.insert(cc.name.clone(), (p.package_id, Some(p.bytes)));
    }
    Ok(out)
}

fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    std::fs::write(path, data).map_err(|e| Error::io(path, e))
}

impl Devnet {
    /// Starts the devnet of `topology` in `data_dir` (created, or resumed when it already
    /// holds a devnet). Must run inside a tokio runtime.
    pub async fn start(data_dir: impl AsRef<Path>, topology: Topology) -> Result<Devnet> {
        let data_dir = data_dir.as_ref().to_owned();
        topology.validate()?;
        let setup = {
            let data_dir = data_dir.clone();
            let topology = topology.clone();
            tokio::task::spawn_blocking(move || prepare(&data_dir, &topology))
                .await
                .map_err(|e| Error::Task(e.to_string()))??
        };
        let Prepared {
            crypto,
            ledger,
            config,
            package_ids,
            resumed,
        } = setup;
        let ids: BTreeMap<String, String> = package_ids.clone();
        let channel = Arc::new(ChannelContext::from_topology(&topology, &config, &ids)?);
        let mut acl = MspAccessControl::from_config(&config)?;
        for cc in channel.chaincodes().values() {
            acl.add_collections(&cc.name, &cc.collections);
        }
        let acl: Arc<dyn AccessControl> = Arc::new(acl);
        let settings = &topology.devnet;

        // Bind every peer's listener first: the addresses go into error details and files.
        let peer_ids: Vec<_> = crypto
            .identities
            .iter()
            .filter(|i| i.kind == IdentityKind::Peer)
            .cloned()
            .collect();
        let mut listeners = Vec::new();
        for (i, _) in peer_ids.iter().enumerate() {
            let port = if settings.port_base == 0 {
                0
            } else {
                settings
                    .port_base
                    .checked_add(1 + i as u16)
                    .ok_or_else(|| Error::Ledger("port_base leaves no room for the peers".into()))?
            };
            let addr = format!("{}:{port}", settings.listen_host);
            let l = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|e| Error::io(PathBuf::from(&addr), e))?;
            listeners.push(l);
        }
        let links = peer_links(&crypto)?;
        let chaincodes = Arc::new(ChaincodeSupport::from_topology(&topology, &ids)?);
        let transient = Arc::new(TransientStore::new());
        let mut endorsers = Vec::new();
        let mut peers = Vec::new();
        for ((id, listener), link) in peer_ids.iter().zip(&listeners).zip(links) {
            let address = listener
                .local_addr()
                .map_err(|e| Error::io(PathBuf::from(&id.name), e))?;
            let node = peer_node(id, address.to_string(), link)?;
            endorsers.push(EndorserService::new(
                Arc::new(node),
                channel.clone(),
                ledger.clone(),
                chaincodes.clone(),
                transient.clone(),
            ));
            let org = crypto.org(&id.msp_id);
            peers.push(DevnetPeer {
                name: id.name.clone(),
                msp_id: id.msp_id.clone(),
                address,
                tls_root_cert: org.map_or_else(|| id.tls_ca_cert.clone(), |o| o.tlsca_cert.clone()),
            });
        }

        // Ordering and commit.
        let orderer_id = crypto
            .identities
            .iter()
            .find(|i| i.kind == IdentityKind::Orderer)
            .ok_or_else(|| Error::Genesis("the topology has no orderer".into()))?;
        let orderer_signer = SigningIdentity::from_msp_dir(&orderer_id.msp_dir, &orderer_id.msp_id)
            .map_err(Error::fabric("orderer identity"))?;
        let validator = Validator::new(channel.clone(), transient.clone());
        let pipeline = Pipeline::start(
            ledger.clone(),
            BatchConfig::from_topology(&topology.block_cutting),
            Some(orderer_signer),
            Arc::new(validator),
        )?;
        let ordering = OrderingEndpoint {
            address: orderer_address(&topology),
            msp_id: topology.orderer_org.msp_id.clone(),
            handle: Arc::new(std::sync::Mutex::new(Some(pipeline.orderer()))),
            absolute_max_bytes: topology.block_cutting.absolute_max_bytes,
        };

        // One endpoint per peer: Gateway + Deliver.
        let (stop, stop_rx) = watch::channel(false);
        let mut servers = Vec::new();
        for ((endorser, listener), id) in endorsers.iter().zip(listeners).zip(&peer_ids) {
            let gateway = GatewayService::new(
                endorser.clone(),
                endorsers.clone(),
                ledger.clone(),
                ordering.clone(),
            )
            .with_shutdown(stop_rx.clone());
            let mut deliver_config = DeliverConfig::new(channel.id());
            deliver_config.mutual_tls = settings.tls && settings.mutual_tls;
            let deliver = DeliverService::new(ledger.clone(), acl.clone(), deliver_config);
            let mut builder = tonic::transport::Server::builder();
            if settings.tls {
                builder = builder
                    .tls_config(tls::server_tls(id, &crypto, settings.mutual_tls)?)
                    .map_err(|e| Error::Ledger(format!("TLS for {}: {e}", id.name)))?;
            }
            let router = builder
                .add_service(gateway.into_server())
                .add_service(deliver);
            let mut rx = stop_rx.clone();
            let incoming = tokio_stream::StreamExt::map(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                nodelay,
            );
            servers.push(tokio::spawn(router.serve_with_incoming_shutdown(
                incoming,
                async move {
                    let _ = rx.wait_for(|s| *s).await;
                },
            )));
        }

        let mut devnet = Devnet {
            data_dir,
            topology,
            crypto,
            ledger,
            channel,
            peers,
            profiles: Vec::new(),
            package_ids: ids,
            pipeline,
            chaincodes,
            servers,
            stop,
            ordering,
            resumed,
        };
        devnet.write_profiles()?;
        tracing::info!(
            peers = devnet.peers.len(),
            height = devnet.ledger.height(),
            resumed,
            "devnet started"
        );
        Ok(devnet)
    }

    fn write_profiles(&mut self) -> Result<()> {
        let settings = &self.topology.devnet;
        let mut profiles = Vec::new();
        for org in &self.topology.orgs {
            let peers: Vec<DevnetPeer> = self
                .peers
                .iter()
                .filter(|p| p.msp_id == org.msp_id)
                .cloned()
                .collect();
            let Some(first) = peers.first() else { continue };
            let identities = self
                .crypto
                .identities_of(&org.msp_id)
                .filter(|i| !i.kind.is_node())
                .map(|i| ConnectionIdentity {
                    name: i.name.clone(),
                    kind: i.kind.as_str().to_owned(),
                    role: i.role.map(|r| r.to_string()),
                    msp_dir: i.msp_dir.clone(),
                    tls_cert: i.tls_cert.clone(),
                    tls_key: i.tls_key.clone(),
                })
                .collect();
            let profile = ConnectionProfile {
                msp_id: org.msp_id.clone(),
                channel: self.channel.id().to_owned(),
                chaincodes: self.channel.chaincodes().keys().cloned().collect(),
                gateway_address: first.address.to_string(),
                tls: settings.tls,
                mutual_tls: settings.tls && settings.mutual_tls,
                tls_root_cert: first.tls_root_cert.clone(),
                server_name: first.name.clone(),
                peers: peers.clone(),
                identities,
            };
            let path = self
                .data_dir
                .join("connections")
                .join(format!("{}.json", org.msp_id));
            let json = serde_json::to_vec_pretty(&profile)
                .map_err(|e| Error::Ledger(format!("connection file: {e}")))?;
            write_file(&path, &json)?;
            profiles.push((profile, path));
        }
        self.profiles = profiles;
        Ok(())
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Whether this start resumed an existing devnet.
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// The topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The crypto material.
    pub fn crypto(&self) -> &CryptoSummary {
        &self.crypto
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The channel as the peers see it.
    pub fn channel(&self) -> &Arc<ChannelContext> {
        &self.channel
    }

    /// The peer endpoints, in topology order.
    pub fn peers(&self) -> &[DevnetPeer] {
        &self.peers
    }

    /// The first peer endpoint of `msp_id`.
    pub fn peer_of(&self, msp_id: &str) -> Option<&DevnetPeer> {
        self.peers.iter().find(|p| p.msp_id == msp_id)
    }

    /// The connection profiles with the files they were written to.
    pub fn connection_profiles(&self) -> &[(ConnectionProfile, PathBuf)] {
        &self.profiles
    }

    /// The connection file written for `msp_id` (`<data dir>/connections/<MSP>.json`).
    pub fn connection_file(&self, msp_id: &str) -> Option<&Path> {
        self.profiles
            .iter()
            .find(|(p, _)| p.msp_id == msp_id)
            .map(|(_, path)| path.as_path())
    }

    /// Chaincode name → package id.
    pub fn package_ids(&self) -> &BTreeMap<String, String> {
        &self.package_ids
    }

    /// The (nominal) ordering service address written in the channel configuration.
    pub fn orderer_address(&self) -> String {
        orderer_address(&self.topology)
    }

    /// Stops serving, commits what is being ordered, closes the chaincode connections (and
    /// stops started chaincode processes).
    pub async fn shutdown(self) -> Result<()> {
        let Devnet {
            pipeline,
            chaincodes,
            servers,
            stop,
            ordering,
            ..
        } = self;
        stop.send_replace(true);
        ordering.close();
        for mut s in servers {
            // Graceful first; clients holding streams open (chaincode events, deliver) are cut
            // after the grace period.
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut s).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => tracing::warn!(error = %e, "peer endpoint ended with an error"),
                Ok(Err(e)) => tracing::warn!(error = %e, "peer endpoint task failed"),
                Err(_) => {
                    s.abort();
                    let _ = s.await;
                }
            }
        }
        let result = pipeline.shutdown().await;
        chaincodes.shutdown().await;
        tracing::info!("devnet stopped");
        result
    }
}

/// Disables Nagle's algorithm on an accepted connection, as Go (and so a Fabric peer) does for
/// every TCP connection: with it, small HTTP/2 frames written back to back wait for the
/// client's delayed ACK (40 ms on Linux).
fn nodelay(
    stream: std::io::Result<tokio::net::TcpStream>,
) -> std::io::Result<tokio::net::TcpStream> {
    if let Ok(s) = &stream
        && let Err(e) = s.set_nodelay(true)
    {
        tracing::debug!(error = %e, "TCP_NODELAY");
    }
    stream
}

/// `host:port` of the ordering service in the channel configuration.
fn orderer_address(topology: &Topology) -> String {
    let port = if topology.devnet.port_base == 0 {
        7050
    } else {
        topology.devnet.port_base
    };
    format!("{}:{port}", topology.devnet.listen_host)
}

struct Prepared {
    crypto: CryptoSummary,
    ledger: Ledger,
    config: fabric_protos::common::Config,
    package_ids: BTreeMap<String, String>,
    resumed: bool,
}

/// Crypto material, topology file, packages, ledger with genesis (blocking).
fn prepare(data_dir: &Path, topology: &Topology) -> Result<Prepared> {
    std::fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let crypto_dir = data_dir.join("crypto");
    let has_crypto = crypto_dir
        .read_dir()
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    let resumed = has_crypto;
    let crypto = if has_crypto {
        cryptogen::load(topology, &crypto_dir)?
    } else {
        cryptogen::generate(topology, &crypto_dir)?
    };
    let topology_file = data_dir.join(TOPOLOGY_FILE);
    if !topology_file.exists() {
        let text = toml::to_string_pretty(topology)
            .map_err(|e| Error::Ledger(format!("topology file: {e}")))?;
        write_file(&topology_file, text.as_bytes())?;
    }
    let mut ids = BTreeMap::new();
    let labels: BTreeMap<&str, String> = topology
        .chaincodes
        .iter()
        .map(|c| (c.name.as_str(), c.package_label()))
        .collect();
    for (name, (id, bytes)) in package_ids(topology)? {
        if let (Some(bytes), Some(label)) = (bytes, labels.get(name.as_str())) {
            write_file(
                &data_dir.join("packages").join(format!("{label}.tar.gz")),
                &bytes,
            )?;
        }
        ids.insert(name, id);
    }
    let options = GenesisOptions::new(orderer_address(topology))?;
    let ledger = Ledger::open(data_dir, || genesis_block(topology, &crypto, &options))?;
    let block0 = ledger
        .store()
        .block(0)?
        .ok_or_else(|| Error::Ledger("the ledger has no block 0".into()))?;
    let config = config_from_block(&block0)?;
    Ok(Prepared {
        crypto,
        ledger,
        config,
        package_ids: ids,
        resumed,
    })
}
