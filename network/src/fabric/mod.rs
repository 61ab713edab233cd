//! The kit for a real Fabric network ([`generate_kit`]): everything Fabric's native release
//! binaries (peer, orderer, osnadmin, configtxgen) need to run the topology's network on one host
//! and deploy its chaincodes as a service, generated from the same topology as the devnet.
//!
//! ```text
//! <kit>/
//!   kit.json                    what was generated: channel, nodes and ports, chaincodes and package ids
//!   topology.toml               the topology it was generated from
//!   crypto/                     MSP and TLS material (cryptogen layout)
//!   configtx.yaml               configtxgen input: organisations, policies, anchor peers, etcdraft, capabilities, profile
//!   core-ccaas.yaml             the peer's chaincode.externalBuilders entry for Fabric's ccaas builder (snippet)
//!   nodes/<node>.env            per orderer/peer: ORDERER_* / CORE_* overrides of the release's orderer.yaml / core.yaml
//!   admins/<MSP>.env            peer CLI / osnadmin environment of each organisation's admin
//!   chaincode/<name>/           <label>.tar.gz (the CCaaS package), package-id, metadata.json, connection.json,
//!                               collections.json, endorsement-policy.txt, definition.sh, server.env,
//!                               Dockerfile, kubernetes.yaml
//!   connections/<MSP>.json      Gateway connection files (the devnet's format) for the SDK and CLI
//!   scripts/                    network-up.sh, chaincode-server.sh, deploy-chaincode.sh, up.sh, network-down.sh
//! ```
//!
//! Running the scripts adds `data/` (ledgers), `logs/` and `run/` (pid files). The modules:
//! [`plan`] (ports), [`configtx`], [`nodes`] (env overrides), [`chaincode`] (package, collections,
//! container, Kubernetes), [`package`] (CCaaS packages, shared with the devnet), [`scripts`].

pub mod chaincode;
pub mod configtx;
pub mod nodes;
pub mod package;
pub mod plan;
pub mod scripts;

pub use chaincode::KitChaincode;
pub use plan::{NetworkPlan, PlannedOrderer, PlannedPeer};

use crate::cryptogen::{self, CryptoSummary};
use crate::error::{Error, Result};
use crate::topology::Topology;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The file that marks a directory as a kit (and says what is in it).
pub const KIT_FILE: &str = "kit.json";

/// The default first port.
pub const DEFAULT_PORT_BASE: u16 = 7050;

/// How to generate a kit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitOptions {
    /// The host every node listens on and is reached at (default `127.0.0.1`).
    pub host: String,
    /// The first port ([`plan`] lays the nodes out from it; default 7050).
    pub port_base: u16,
    /// Address peers dial per chaincode name, replacing the topology's `address` (this changes
    /// the package, hence the package id).
    pub chaincode_addresses: BTreeMap<String, String>,
    /// Replace a kit generated earlier in the output directory (never a directory holding
    /// anything else, nor one whose network is running).
    pub overwrite: bool,
}

impl Default for KitOptions {
    fn default() -> Self {
        KitOptions {
            host: "127.0.0.1".to_owned(),
            port_base: DEFAULT_PORT_BASE,
            chaincode_addresses: BTreeMap::new(),
            overwrite: false,
        }
    }
}

/// A generated kit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kit {
    /// The kit directory (absolute).
    pub dir: PathBuf,
    /// The channel.
    pub channel: String,
    /// Where the nodes listen.
    pub plan: NetworkPlan,
    /// The chaincodes, with their packages.
    pub chaincodes: Vec<KitChaincode>,
    /// The crypto material (paths in the kit).
    pub crypto: CryptoSummary,
    /// Every file written, relative to the kit directory, sorted.
    pub files: Vec<PathBuf>,
}

impl Kit {
    /// The chaincode called `name`.
    pub fn chaincode(&self, name: &str) -> Option<&KitChaincode> {
        self.chaincodes.iter().find(|c| c.name == name)
    }
}

/// The address the kit's package of `def` dials: the option, else the topology's `address`.
fn chaincode_address(def: &crate::topology::ChaincodeDef, options: &KitOptions) -> Result<String> {
    if let Some(a) = options.chaincode_addresses.get(&def.name) {
        return Ok(a.clone());
    }
    def.address.clone().ok_or_else(|| {
        Error::Kit(format!(
            "chaincode {}: the topology gives no `address` for peers to dial (it runs as a \
             command on the devnet); give one with --chaincode-address host:port",
            def.name
        ))
    })
}

/// The chaincodes of `topology` as the kit deploys them (packages made, collections checked),
/// without writing anything.
pub fn kit_chaincodes(topology: &Topology, options: &KitOptions) -> Result<Vec<KitChaincode>> {
    topology.validate()?;
    for name in options.chaincode_addresses.keys() {
        if !topology.chaincodes.iter().any(|c| &c.name == name) {
            return Err(Error::Kit(format!(
                "no chaincode {name:?} in the topology (it has: {})",
                topology
                    .chaincodes
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    for (name, address) in &options.chaincode_addresses {
        let ok = address
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p != 0));
        if !ok {
            return Err(Error::Kit(format!(
                "chaincode {name}: address {address:?} is not host:port"
            )));
        }
    }
    topology
        .chaincodes
        .iter()
        .map(|def| chaincode::kit_chaincode(topology, def, &chaincode_address(def, options)?))
        .collect()
}

/// Generates the kit of `topology` into `out_dir` (absent or empty, or with
/// [`KitOptions::overwrite`] a kit generated earlier).
///
/// Everything is written into a staging directory inside `out_dir` first and moved into place
/// when complete, so a failure leaves `out_dir` as it was.
pub fn generate_kit(
    topology: &Topology,
    out_dir: impl AsRef<Path>,
    options: &KitOptions,
) -> Result<Kit> {
    let chaincodes = kit_chaincodes(topology, options)?;
    let plan = NetworkPlan::new(topology, &options.host, options.port_base)?;
    let out_dir = out_dir.as_ref();
    let created = prepare_out_dir(out_dir, options.overwrite)?;
    let root = fs::canonicalize(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let staging = root.join(format!(".kit-staging-{}", unique_suffix()));
    let result = write_kit(topology, &plan, &chaincodes, &staging, &root);
    let files = match result {
        Ok(files) => files,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            if created {
                let _ = fs::remove_dir(&root);
            }
            return Err(e);
        }
    };
    commit(&root, &staging)?;
    let crypto = cryptogen::load(topology, root.join("crypto"))?;
    Ok(Kit {
        dir: root,
        channel: topology.channel.name.clone(),
        plan,
        chaincodes,
        crypto,
        files,
    })
}

/// Checks the output directory; creates it when absent (returns whether it did).
fn prepare_out_dir(out_dir: &Path, overwrite: bool) -> Result<bool> {
    match fs::metadata(out_dir) {
        Ok(meta) if !meta.is_dir() => Err(Error::OutputDir {
            path: out_dir.to_owned(),
            reason: "exists and is not a directory".to_owned(),
        }),
        Ok(_) => {
            let mut entries = fs::read_dir(out_dir).map_err(|e| Error::io(out_dir, e))?;
            if entries.next().is_none() {
                return Ok(false);
            }
            if !overwrite {
                return Err(Error::OutputNotEmpty {
                    path: out_dir.to_owned(),
                });
            }
            if !out_dir.join(KIT_FILE).is_file() {
                return Err(Error::OutputDir {
                    path: out_dir.to_owned(),
                    reason: format!(
                        "holds no {KIT_FILE}, so it is not a kit made by `medledger network \
                         config`; refusing to overwrite it"
                    ),
                });
            }
            let run = out_dir.join("run");
            if let Ok(pids) = fs::read_dir(&run) {
                let running = pids
                    .filter_map(|e| e.ok())
                    .any(|e| e.path().extension().is_some_and(|x| x == "pid"));
                if running {
                    return Err(Error::OutputDir {
                        path: out_dir.to_owned(),
                        reason: "its network may be running (run/*.pid): stop it with \
                                 scripts/network-down.sh first (or remove run/ if it crashed)"
                            .to_owned(),
                    });
                }
            }
            Ok(false)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
            Ok(true)
        }
        Err(e) => Err(Error::io(out_dir, e)),
    }
}

/// Replaces the output directory's entries with the staging directory's.
fn commit(root: &Path, staging: &Path) -> Result<()> {
    let old = root.join(format!(".kit-old-{}", unique_suffix()));
    let mut moved = false;
    for entry in fs::read_dir(root).map_err(|e| Error::io(root, e))? {
        let entry = entry.map_err(|e| Error::io(root, e))?;
        let path = entry.path();
        if path == staging {
            continue;
        }
        if !moved {
            fs::create_dir(&old).map_err(|e| Error::io(&old, e))?;
            moved = true;
        }
        fs::rename(&path, old.join(entry.file_name())).map_err(|e| Error::io(&path, e))?;
    }
    for entry in fs::read_dir(staging).map_err(|e| Error::io(staging, e))? {
        let entry = entry.map_err(|e| Error::io(staging, e))?;
        let to = root.join(entry.file_name());
        fs::rename(entry.path(), &to).map_err(|e| Error::io(&to, e))?;
    }
    fs::remove_dir(staging).map_err(|e| Error::io(staging, e))?;
    if moved {
        fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Files being written into the staging directory.
struct Writer<'a> {
    dir: &'a Path,
    files: Vec<PathBuf>,
}

impl Writer<'_> {
    fn put(&mut self, rel: &str, data: &[u8], executable: bool) -> Result<()> {
        let mode = if executable { 0o755 } else { 0o644 };
        crate::files::write_new(&self.dir.join(rel), data, mode, false)?;
        self.files.push(PathBuf::from(rel));
        Ok(())
    }
}

fn write_kit(
    topology: &Topology,
    plan: &NetworkPlan,
    chaincodes: &[KitChaincode],
    staging: &Path,
    root: &Path,
) -> Result<Vec<PathBuf>> {
    fs::create_dir(staging).map_err(|e| Error::io(staging, e))?;
    let crypto = cryptogen::generate(topology, staging.join("crypto"))?;
    let mut w = Writer {
        dir: staging,
        files: crypto
            .files
            .iter()
            .map(|f| Path::new("crypto").join(f))
            .collect(),
    };
    let topology_text = topology.to_toml_string()?;
    w.put("topology.toml", topology_text.as_bytes(), false)?;
    w.put(
        "configtx.yaml",
        configtx::configtx_yaml(topology, &crypto, plan, staging)?.as_bytes(),
        false,
    )?;
    w.put(
        "core-ccaas.yaml",
        nodes::core_ccaas_snippet().as_bytes(),
        false,
    )?;
    for (rel, text) in nodes::env_files(topology, &crypto, plan, staging)? {
        w.put(&rel, text.as_bytes(), false)?;
    }

    let mut cc_entries = Vec::new();
    for cc in chaincodes {
        let dir = format!("chaincode/{}", cc.name);
        let package_file = format!("{dir}/{}", cc.package.file_name());
        w.put(&package_file, &cc.package.bytes, false)?;
        w.put(
            &format!("{dir}/package-id"),
            format!("{}\n", cc.package_id).as_bytes(),
            false,
        )?;
        w.put(
            &format!("{dir}/metadata.json"),
            &cc.package.metadata_json,
            false,
        )?;
        w.put(
            &format!("{dir}/connection.json"),
            &cc.package.connection_json,
            false,
        )?;
        let collections_file = match &cc.collections_json {
            Some(json) => {
                let rel = format!("{dir}/collections.json");
                w.put(&rel, json.as_bytes(), false)?;
                Some(rel)
            }
            None => None,
        };
        if let Some(policy) = &cc.endorsement_policy {
            w.put(
                &format!("{dir}/endorsement-policy.txt"),
                format!("{policy}\n").as_bytes(),
                false,
            )?;
        }
        w.put(
            &format!("{dir}/definition.sh"),
            scripts::definition_sh(cc, &package_file, collections_file.as_deref()).as_bytes(),
            false,
        )?;
        w.put(
            &format!("{dir}/server.env"),
            chaincode::server_env(cc).as_bytes(),
            false,
        )?;
        w.put(
            &format!("{dir}/Dockerfile"),
            chaincode::dockerfile(cc).as_bytes(),
            false,
        )?;
        w.put(
            &format!("{dir}/kubernetes.yaml"),
            chaincode::kubernetes_manifest(cc)?.as_bytes(),
            false,
        )?;
        cc_entries.push(serde_json::json!({
            "name": cc.name,
            "version": cc.version,
            "sequence": cc.sequence,
            "label": cc.label,
            "package_id": cc.package_id,
            "package_file": package_file,
            "address": cc.address,
            "tls": cc.tls,
            "endorsement_policy": cc.endorsement_policy,
            "collections_file": collections_file,
            "init_required": cc.init_required,
        }));
    }

    for (org, json) in connection_files(topology, &crypto, plan, chaincodes, staging, root)? {
        w.put(&format!("connections/{org}.json"), &json, false)?;
    }

    w.put(
        "scripts/settings.sh",
        scripts::settings_sh(topology, &crypto, plan, chaincodes, staging)?.as_bytes(),
        false,
    )?;
    for (name, text) in scripts::FIXED_SCRIPTS {
        let executable = name != "common.sh";
        w.put(&format!("scripts/{name}"), text.as_bytes(), executable)?;
    }

    let summary = serde_json::json!({
        "generator": "medledger network config",
        "channel": topology.channel.name,
        "profile": configtx::PROFILE,
        "key_algorithm": topology.key_algorithm,
        "capabilities": topology.channel.capabilities,
        "host": plan.host,
        "orderers": plan.orderers,
        "peers": plan.peers,
        "chaincodes": cc_entries,
    });
    let text =
        serde_json::to_vec_pretty(&summary).map_err(|e| Error::Kit(format!("{KIT_FILE}: {e}")))?;
    w.put(KIT_FILE, &text, false)?;
    let mut files = w.files;
    files.sort();
    Ok(files)
}

/// `connections/<MSP>.json` for every organisation with a peer: the devnet's connection file
/// format (`fabric_sdk::gateway::ConnectionProfile`), with absolute paths in the final kit.
fn connection_files(
    topology: &Topology,
    crypto: &CryptoSummary,
    plan: &NetworkPlan,
    chaincodes: &[KitChaincode],
    staging: &Path,
    root: &Path,
) -> Result<Vec<(String, Vec<u8>)>> {
    let abs = |p: &Path| -> Result<PathBuf> {
        let rel = configtx::relative(staging, p)?;
        Ok(root.join(rel))
    };
    let mut out = Vec::new();
    for org in &topology.orgs {
        let mut peers = Vec::new();
        for p in plan.peers_of(&org.msp_id) {
            let node = plan::node_crypto(crypto, &p.name)?;
            peers.push(serde_json::json!({
                "name": p.name,
                "msp_id": p.msp_id,
                "address": plan.address(p.port),
                "tls_root_cert": abs(&node.tls_ca_cert)?,
            }));
        }
        let Some(first) = plan.peers_of(&org.msp_id).next() else {
            continue;
        };
        let first_node = plan::node_crypto(crypto, &first.name)?;
        let mut identities = Vec::new();
        for i in crypto
            .identities_of(&org.msp_id)
            .filter(|i| !i.kind.is_node())
        {
            let mut id = serde_json::json!({
                "name": i.name,
                "type": i.kind.as_str(),
                "msp_dir": abs(&i.msp_dir)?,
                "tls_cert": abs(&i.tls_cert)?,
                "tls_key": abs(&i.tls_key)?,
            });
            if let Some(role) = i.role {
                id["role"] = serde_json::Value::String(role.to_string());
            }
            identities.push(id);
        }
        let profile = serde_json::json!({
            "msp_id": org.msp_id,
            "channel": topology.channel.name,
            "chaincodes": chaincodes.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            "gateway_address": plan.address(first.port),
            "tls": true,
            "mutual_tls": false,
            "tls_root_cert": abs(&first_node.tls_ca_cert)?,
            "server_name": first.name,
            "peers": peers,
            "identities": identities,
        });
        let json = serde_json::to_vec_pretty(&profile)
            .map_err(|e| Error::Kit(format!("connection file of {}: {e}", org.msp_id)))?;
        out.push((org.msp_id.clone(), json));
    }
    Ok(out)
}
