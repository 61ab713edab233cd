//! `configtx.yaml`: what `configtxgen` needs to make the channel's genesis block, from the same
//! topology and with the same policies as the devnet's genesis block
//! ([`crate::devnet::genesis`]).
//!
//! - **Organisations**, each named by its MSP ID (configtxgen keys the organisation's config
//!   group by `Name`, and the devnet keys it by MSP ID), with its MSP directory, its signature
//!   policies ([`application_org_policies`], [`orderer_org_policies`]: Readers, Writers, Admins,
//!   and Endorsement for peer organisations), its anchor peers (its first peer), and for the
//!   orderer organisation its orderer endpoints.
//! - **Capabilities** from the topology (channel `V2_0`, or `V3_0` for Ed25519 keys; orderer
//!   `V2_0`; application `V2_5`).
//! - **The profile** [`PROFILE`] for the topology's channel: the channel's ImplicitMeta policies
//!   (`Readers`, `Writers`, `Admins`), the application section (plus `Endorsement` and
//!   `LifecycleEndorsement`), and the orderer section: etcdraft with every orderer as a
//!   consenter (its TLS certificate as client and server certificate), the raft options the
//!   devnet uses, the block cutting of the topology, `BlockValidation` = `ANY Writers`. There
//!   is no system channel: the block is given to each orderer with `osnadmin channel join`.
//!
//! Paths are relative to the kit directory; configtxgen resolves them against the directory of
//! the configtx.yaml it reads (`-configPath`).

use super::plan::{NetworkPlan, node_crypto};
use crate::cryptogen::CryptoSummary;
use crate::devnet::genesis::{application_org_policies, orderer_org_policies};
use crate::error::{Error, Result};
use crate::topology::Topology;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The configtxgen profile of the channel.
pub const PROFILE: &str = "MedLedgerChannel";

/// The raft options, as the devnet's genesis block has them.
const TICK_INTERVAL: &str = "500ms";
const ELECTION_TICK: u32 = 10;
const HEARTBEAT_TICK: u32 = 1;
const MAX_INFLIGHT_BLOCKS: u32 = 5;
const SNAPSHOT_INTERVAL_SIZE: u32 = 16 * 1024 * 1024;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ConfigTx {
    organizations: Vec<Organization>,
    capabilities: CapabilityLevels,
    profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Organization {
    name: String,
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "MSPDir")]
    msp_dir: String,
    policies: BTreeMap<String, PolicyDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    anchor_peers: Vec<HostPort>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    orderer_endpoints: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDef {
    #[serde(rename = "Type")]
    kind: &'static str,
    rule: String,
}

impl PolicyDef {
    fn signature(rule: String) -> Self {
        PolicyDef {
            kind: "Signature",
            rule,
        }
    }

    fn implicit_meta(rule: &str) -> Self {
        PolicyDef {
            kind: "ImplicitMeta",
            rule: rule.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct HostPort {
    host: String,
    port: u16,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CapabilityLevels {
    channel: BTreeMap<String, bool>,
    orderer: BTreeMap<String, bool>,
    application: BTreeMap<String, bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Profile {
    policies: BTreeMap<String, PolicyDef>,
    capabilities: BTreeMap<String, bool>,
    orderer: OrdererSection,
    application: ApplicationSection,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct OrdererSection {
    orderer_type: &'static str,
    batch_timeout: String,
    batch_size: BatchSize,
    etcd_raft: EtcdRaft,
    organizations: Vec<Organization>,
    policies: BTreeMap<String, PolicyDef>,
    capabilities: BTreeMap<String, bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct BatchSize {
    max_message_count: u32,
    absolute_max_bytes: ByteSize,
    preferred_max_bytes: ByteSize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct EtcdRaft {
    consenters: Vec<Consenter>,
    options: RaftOptions,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Consenter {
    host: String,
    port: u16,
    #[serde(rename = "ClientTLSCert")]
    client_tls_cert: String,
    #[serde(rename = "ServerTLSCert")]
    server_tls_cert: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RaftOptions {
    tick_interval: &'static str,
    election_tick: u32,
    heartbeat_tick: u32,
    max_inflight_blocks: u32,
    snapshot_interval_size: ByteSize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ApplicationSection {
    organizations: Vec<Organization>,
    policies: BTreeMap<String, PolicyDef>,
    capabilities: BTreeMap<String, bool>,
}

/// A byte count as configtxgen reads it: `99 MB`, `512 KB`, or a plain number of bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ByteSize {
    /// With a unit (`99 MB`).
    Text(String),
    /// Bytes.
    Bytes(u32),
}

/// `n` bytes in configtxgen's notation.
pub fn byte_size(n: u32) -> ByteSize {
    const MB: u32 = 1024 * 1024;
    if n >= MB && n.is_multiple_of(MB) {
        ByteSize::Text(format!("{} MB", n / MB))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        ByteSize::Text(format!("{} KB", n / 1024))
    } else {
        ByteSize::Bytes(n)
    }
}

fn level(name: &str) -> BTreeMap<String, bool> {
    BTreeMap::from([(name.to_owned(), true)])
}

fn signature_policies<const N: usize>(
    policies: [(&'static str, String); N],
) -> BTreeMap<String, PolicyDef> {
    policies
        .into_iter()
        .map(|(name, rule)| (name.to_owned(), PolicyDef::signature(rule)))
        .collect()
}

/// `path` relative to the kit directory, with `/` separators.
pub(crate) fn relative(kit: &Path, path: &Path) -> Result<String> {
    let rel = path.strip_prefix(kit).map_err(|_| {
        Error::Kit(format!(
            "{} is not inside the kit directory {}",
            path.display(),
            kit.display()
        ))
    })?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

/// The text of `configtx.yaml` for `topology`, its crypto material (under `kit`) and `plan`.
pub fn configtx_yaml(
    topology: &Topology,
    crypto: &CryptoSummary,
    plan: &NetworkPlan,
    kit: &Path,
) -> Result<String> {
    let ch = &topology.channel;
    let p = &ch.policies;
    let oo = &topology.orderer_org;
    let oo_crypto = crypto
        .org(&oo.msp_id)
        .ok_or_else(|| Error::Kit(format!("no crypto material for {}", oo.msp_id)))?;
    let orderer_org = Organization {
        name: oo.msp_id.clone(),
        id: oo.msp_id.clone(),
        msp_dir: relative(kit, &oo_crypto.msp_dir)?,
        policies: signature_policies(orderer_org_policies(&oo.msp_id)),
        anchor_peers: Vec::new(),
        orderer_endpoints: plan.orderers.iter().map(|o| plan.address(o.port)).collect(),
    };
    let mut orgs = Vec::new();
    for org in &topology.orgs {
        let oc = crypto
            .org(&org.msp_id)
            .ok_or_else(|| Error::Kit(format!("no crypto material for {}", org.msp_id)))?;
        orgs.push(Organization {
            name: org.msp_id.clone(),
            id: org.msp_id.clone(),
            msp_dir: relative(kit, &oc.msp_dir)?,
            policies: signature_policies(application_org_policies(&org.msp_id)),
            anchor_peers: plan
                .peers_of(&org.msp_id)
                .take(1)
                .map(|peer| HostPort {
                    host: plan.host.clone(),
                    port: peer.port,
                })
                .collect(),
            orderer_endpoints: Vec::new(),
        });
    }
    let mut consenters = Vec::new();
    for o in &plan.orderers {
        let node = node_crypto(crypto, &o.name)?;
        let cert = relative(kit, &node.tls_cert)?;
        consenters.push(Consenter {
            host: plan.host.clone(),
            port: o.port,
            client_tls_cert: cert.clone(),
            server_tls_cert: cert,
        });
    }
    let meta = |pairs: &[(&str, &String)]| -> BTreeMap<String, PolicyDef> {
        pairs
            .iter()
            .map(|(name, rule)| ((*name).to_owned(), PolicyDef::implicit_meta(rule)))
            .collect()
    };
    let any_writers = "ANY Writers".to_owned();
    let b = &topology.block_cutting;
    let profile = Profile {
        policies: meta(&[
            ("Readers", &p.readers),
            ("Writers", &p.writers),
            ("Admins", &p.admins),
        ]),
        capabilities: level(&ch.capabilities.channel),
        orderer: OrdererSection {
            orderer_type: "etcdraft",
            batch_timeout: b.batch_timeout.clone(),
            batch_size: BatchSize {
                max_message_count: b.max_message_count,
                absolute_max_bytes: byte_size(b.absolute_max_bytes),
                preferred_max_bytes: byte_size(b.preferred_max_bytes),
            },
            etcd_raft: EtcdRaft {
                consenters,
                options: RaftOptions {
                    tick_interval: TICK_INTERVAL,
                    election_tick: ELECTION_TICK,
                    heartbeat_tick: HEARTBEAT_TICK,
                    max_inflight_blocks: MAX_INFLIGHT_BLOCKS,
                    snapshot_interval_size: byte_size(SNAPSHOT_INTERVAL_SIZE),
                },
            },
            organizations: vec![orderer_org.clone()],
            policies: meta(&[
                ("Readers", &p.readers),
                ("Writers", &p.writers),
                ("Admins", &p.admins),
                ("BlockValidation", &any_writers),
            ]),
            capabilities: level(&ch.capabilities.orderer),
        },
        application: ApplicationSection {
            organizations: orgs.clone(),
            policies: meta(&[
                ("Readers", &p.readers),
                ("Writers", &p.writers),
                ("Admins", &p.admins),
                ("Endorsement", &p.endorsement),
                ("LifecycleEndorsement", &p.lifecycle_endorsement),
            ]),
            capabilities: level(&ch.capabilities.application),
        },
    };
    let mut organizations = vec![orderer_org];
    organizations.extend(orgs);
    let doc = ConfigTx {
        organizations,
        capabilities: CapabilityLevels {
            channel: level(&ch.capabilities.channel),
            orderer: level(&ch.capabilities.orderer),
            application: level(&ch.capabilities.application),
        },
        profiles: BTreeMap::from([(PROFILE.to_owned(), profile)]),
    };
    let body =
        serde_yaml_ng::to_string(&doc).map_err(|e| Error::Kit(format!("configtx.yaml: {e}")))?;
    Ok(format!(
        "# configtxgen input for channel {channel}, generated by `medledger network config` from the\n\
         # topology (the same organisations, policies and capabilities as the devnet's genesis block).\n\
         # Make the genesis block:\n\
         #   configtxgen -configPath <kit dir> -profile {PROFILE} -channelID {channel} -outputBlock {channel}.block\n\
         # Paths are relative to this file's directory.\n{body}",
        channel = ch.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_as_configtxgen_reads_them() {
        assert_eq!(byte_size(99 * 1024 * 1024), ByteSize::Text("99 MB".into()));
        assert_eq!(byte_size(512 * 1024), ByteSize::Text("512 KB".into()));
        assert_eq!(byte_size(1536), ByteSize::Bytes(1536));
    }
}
