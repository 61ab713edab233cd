//! The channel's genesis block, as Fabric's `configtxgen` makes it, and the channel
//! configuration read back from it.
//!
//! Block 0 holds one CONFIG envelope: `Payload{header{ChannelHeader{type CONFIG, version 1,
//! channel, timestamp, tx_id}, SignatureHeader{nonce}}, data: ConfigEnvelope{config:
//! Config{sequence 0, channel_group}}}`, unsigned. The configuration tree has the shape of the
//! recorded v3.1.5 genesis block (`tests/vectors/fabric-v3.1.5/channel-artifacts`):
//!
//! ```text
//! Channel        values: HashingAlgorithm SHA256, BlockDataHashingStructure 4294967295, Capabilities
//!                policies: Readers, Writers, Admins (ImplicitMeta)
//! ├─ Application values: Capabilities            policies: Readers, Writers, Admins, Endorsement, LifecycleEndorsement
//! │  └─ <MSP ID>  values: MSP, AnchorPeers        policies: Readers, Writers, Admins, Endorsement (Signature)
//! └─ Orderer     values: BatchSize, BatchTimeout, Capabilities, ChannelRestrictions, ConsensusType (etcdraft)
//!                policies: Readers, Writers, Admins, BlockValidation
//!    └─ <MSP ID>  values: MSP, Endpoints          policies: Readers, Writers, Admins (Signature)
//! ```
//!
//! Organisation groups are keyed by MSP ID; every `mod_policy` is `Admins`; all versions 0.
//! The MSP values carry the organisation's root CA, TLS root CA and NodeOUs read from its MSP
//! directory (the bytes of the PEM files, as configtxgen stores them).

use super::acl::{ChannelOrg, MspAccessControl};
use super::orderer::build_block;
use crate::cryptogen::{CryptoSummary, OrgCrypto, OrgType};
use crate::error::{Error, Result};
use crate::topology::Topology;
use bytes::Bytes;
use fabric_protos::Timestamp;
use fabric_protos::common::{
    Block, BlockDataHashingStructure, Capability, ChannelHeader, Config, ConfigEnvelope,
    ConfigGroup, ConfigPolicy, ConfigValue, Envelope, HashingAlgorithm, Header, HeaderType,
    ImplicitMetaPolicy, OrdererAddresses, Payload, Policy, SignatureHeader,
    SignaturePolicyEnvelope, policy::PolicyType,
};
use fabric_protos::etcdraft::{ConfigMetadata, Consenter, Options};
use fabric_protos::msp::{
    FabricCryptoConfig, FabricMspConfig, FabricNodeOUs, FabricOuIdentifier, MspConfig,
};
use fabric_protos::orderer::{BatchSize, BatchTimeout, ChannelRestrictions, ConsensusType};
use fabric_protos::protos::{AnchorPeer, AnchorPeers};
use fabric_sdk::identity::{Certificate, ConfigYaml, Msp, NodeOuConfig, OuIdentifier};
use fabric_sdk::policy::{dsl, parse_implicit_meta};
use fabric_sdk::tx::compute_txid;
use prost::Message;
use std::collections::BTreeMap;
use std::path::Path;

/// What the genesis block needs besides the topology and the crypto material.
#[derive(Debug, Clone, PartialEq)]
pub struct GenesisOptions {
    /// `host:port` of the ordering service (the orderer org's `Endpoints` and the raft
    /// consenter).
    pub orderer_address: String,
    /// Anchor peers per MSP ID (`host`, `port`).
    pub anchor_peers: BTreeMap<String, Vec<(String, u16)>>,
    /// The channel header timestamp.
    pub timestamp: Timestamp,
    /// The signature header nonce (the txid is SHA-256 of it, the creator being empty).
    pub nonce: [u8; 24],
}

impl GenesisOptions {
    /// Options with the current time and a random nonce.
    pub fn new(orderer_address: impl Into<String>) -> Result<Self> {
        Ok(GenesisOptions {
            orderer_address: orderer_address.into(),
            anchor_peers: BTreeMap::new(),
            timestamp: fabric_sdk::tx::now_timestamp(),
            nonce: fabric_sdk::crypto::random_bytes().map_err(Error::fabric("genesis nonce"))?,
        })
    }
}

/// The policies every application organisation gets (Fabric's sample `configtx.yaml`).
pub fn application_org_policies(msp_id: &str) -> [(&'static str, String); 4] {
    [
        ("Admins", format!("OR('{msp_id}.admin')")),
        ("Endorsement", format!("OR('{msp_id}.peer')")),
        (
            "Readers",
            format!("OR('{msp_id}.admin', '{msp_id}.peer', '{msp_id}.client')"),
        ),
        (
            "Writers",
            format!("OR('{msp_id}.admin', '{msp_id}.client')"),
        ),
    ]
}

/// The policies of the orderer organisation.
pub fn orderer_org_policies(msp_id: &str) -> [(&'static str, String); 3] {
    [
        ("Admins", format!("OR('{msp_id}.admin')")),
        ("Readers", format!("OR('{msp_id}.member')")),
        ("Writers", format!("OR('{msp_id}.member')")),
    ]
}

const ADMINS: &str = "Admins";

fn value(v: impl Message) -> ConfigValue {
    ConfigValue {
        version: 0,
        value: Bytes::from(v.encode_to_vec()),
        mod_policy: ADMINS.to_owned(),
    }
}

/// A `common.Capabilities` value as Go encodes it: each map entry carries its (empty)
/// `Capability` value explicitly (`12 00`), which prost would leave out.
pub fn encode_capabilities<S: AsRef<str>>(names: &[S]) -> Vec<u8> {
    let mut sorted: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    for name in sorted {
        let mut entry = Vec::with_capacity(name.len() + 4);
        prost::encoding::string::encode(1, &name.to_owned(), &mut entry);
        prost::encoding::message::encode(2, &Capability {}, &mut entry);
        prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut out);
        prost::encoding::encode_varint(entry.len() as u64, &mut out);
        out.extend_from_slice(&entry);
    }
    out
}

fn capabilities(name: &str) -> ConfigValue {
    ConfigValue {
        version: 0,
        value: Bytes::from(encode_capabilities(&[name])),
        mod_policy: ADMINS.to_owned(),
    }
}

fn signature_policy(dsl_text: &str) -> Result<ConfigPolicy> {
    let envelope = dsl::parse(dsl_text).map_err(Error::fabric(format!("policy {dsl_text}")))?;
    Ok(ConfigPolicy {
        version: 0,
        policy: Some(Policy {
            r#type: PolicyType::Signature as i32,
            value: Bytes::from(envelope.encode_to_vec()),
        }),
        mod_policy: ADMINS.to_owned(),
    })
}

fn implicit_meta(rule: &str) -> Result<ConfigPolicy> {
    let meta = parse_implicit_meta(rule).map_err(Error::fabric(format!("policy {rule}")))?;
    Ok(ConfigPolicy {
        version: 0,
        policy: Some(Policy {
            r#type: PolicyType::ImplicitMeta as i32,
            value: Bytes::from(meta.encode_to_vec()),
        }),
        mod_policy: ADMINS.to_owned(),
    })
}

fn group() -> ConfigGroup {
    ConfigGroup {
        mod_policy: ADMINS.to_owned(),
        ..ConfigGroup::default()
    }
}

fn read(path: &Path) -> Result<Bytes> {
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(|e| Error::io(path, e))
}

/// The PEM files of `dir`, sorted by name (an absent directory is empty).
fn pem_files(dir: &Path) -> Result<Vec<Bytes>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.path().is_file() {
            paths.push(entry.path());
        }
    }
    paths.sort();
    paths.iter().map(|p| read(p)).collect()
}

/// The `MSP` value of an organisation, read from its MSP directory the way configtxgen does.
pub fn msp_value(msp_dir: &Path, msp_id: &str) -> Result<MspConfig> {
    let yaml_path = msp_dir.join("config.yaml");
    let yaml = match std::fs::read_to_string(&yaml_path) {
        Ok(t) => ConfigYaml::parse(&t).map_err(Error::fabric(yaml_path.display().to_string()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ConfigYaml::default(),
        Err(e) => return Err(Error::io(&yaml_path, e)),
    };
    let ou = |o: &Option<fabric_sdk::identity::msp_dir::OuIdentifierYaml>| -> Result<Option<FabricOuIdentifier>> {
        let Some(o) = o else { return Ok(None) };
        let certificate = match &o.certificate {
            Some(rel) => read(&msp_dir.join(rel))?,
            None => Bytes::new(),
        };
        Ok(Some(FabricOuIdentifier {
            certificate,
            organizational_unit_identifier: o.organizational_unit_identifier.clone(),
        }))
    };
    let fabric_node_ous = match &yaml.node_ous {
        Some(n) => Some(FabricNodeOUs {
            enable: n.enable,
            client_ou_identifier: ou(&n.client)?,
            peer_ou_identifier: ou(&n.peer)?,
            admin_ou_identifier: ou(&n.admin)?,
            orderer_ou_identifier: ou(&n.orderer)?,
        }),
        None => None,
    };
    let config = FabricMspConfig {
        name: msp_id.to_owned(),
        root_certs: pem_files(&msp_dir.join("cacerts"))?,
        intermediate_certs: pem_files(&msp_dir.join("intermediatecerts"))?,
        admins: pem_files(&msp_dir.join("admincerts"))?,
        revocation_list: pem_files(&msp_dir.join("crls"))?,
        signing_identity: None,
        organizational_unit_identifiers: yaml
            .organizational_unit_identifiers
            .iter()
            .map(|o| ou(&Some(o.clone())))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect(),
        crypto_config: Some(FabricCryptoConfig {
            signature_hash_family: "SHA2".to_owned(),
            identity_identifier_hash_function: "SHA256".to_owned(),
        }),
        tls_root_certs: pem_files(&msp_dir.join("tlscacerts"))?,
        tls_intermediate_certs: pem_files(&msp_dir.join("tlsintermediatecerts"))?,
        fabric_node_ous,
    };
    if config.root_certs.is_empty() {
        return Err(Error::Genesis(format!(
            "MSP {msp_id}: no root CA certificate in {}",
            msp_dir.join("cacerts").display()
        )));
    }
    Ok(MspConfig {
        r#type: 0,
        config: Bytes::from(config.encode_to_vec()),
    })
}

fn org_crypto<'a>(crypto: &'a CryptoSummary, msp_id: &str) -> Result<&'a OrgCrypto> {
    crypto
        .org(msp_id)
        .ok_or_else(|| Error::Genesis(format!("no crypto material for MSP {msp_id}")))
}

/// The channel configuration tree (`Config`) for `topology`.
pub fn channel_config(
    topology: &Topology,
    crypto: &CryptoSummary,
    options: &GenesisOptions,
) -> Result<Config> {
    let ch = &topology.channel;
    let p = &ch.policies;

    // Application.
    let mut application = group();
    for org in &topology.orgs {
        let oc = org_crypto(crypto, &org.msp_id)?;
        let mut g = group();
        for (name, rule) in application_org_policies(&org.msp_id) {
            g.policies.insert(name.to_owned(), signature_policy(&rule)?);
        }
        g.values.insert(
            "MSP".to_owned(),
            value(msp_value(&oc.msp_dir, &org.msp_id)?),
        );
        let anchors = options
            .anchor_peers
            .get(&org.msp_id)
            .map(|list| {
                list.iter()
                    .map(|(host, port)| AnchorPeer {
                        host: host.clone(),
                        port: i32::from(*port),
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if !anchors.is_empty() {
            g.values.insert(
                "AnchorPeers".to_owned(),
                value(AnchorPeers {
                    anchor_peers: anchors,
                }),
            );
        }
        application.groups.insert(org.msp_id.clone(), g);
    }
    for (name, rule) in [
        ("Readers", &p.readers),
        ("Writers", &p.writers),
        ("Admins", &p.admins),
        ("Endorsement", &p.endorsement),
        ("LifecycleEndorsement", &p.lifecycle_endorsement),
    ] {
        application
            .policies
            .insert(name.to_owned(), implicit_meta(rule)?);
    }
    application.values.insert(
        "Capabilities".to_owned(),
        capabilities(&ch.capabilities.application),
    );

    // Orderer.
    let oo = &topology.orderer_org;
    let oc = org_crypto(crypto, &oo.msp_id)?;
    if oc.org_type != OrgType::Orderer {
        return Err(Error::Genesis(format!(
            "{} is not an orderer organisation",
            oo.msp_id
        )));
    }
    let mut orderer_org = group();
    for (name, rule) in orderer_org_policies(&oo.msp_id) {
        orderer_org
            .policies
            .insert(name.to_owned(), signature_policy(&rule)?);
    }
    orderer_org
        .values
        .insert("MSP".to_owned(), value(msp_value(&oc.msp_dir, &oo.msp_id)?));
    orderer_org.values.insert(
        "Endpoints".to_owned(),
        value(OrdererAddresses {
            addresses: vec![options.orderer_address.clone()],
        }),
    );
    let mut orderer = group();
    orderer.groups.insert(oo.msp_id.clone(), orderer_org);
    for (name, rule) in [
        ("Readers", &p.readers),
        ("Writers", &p.writers),
        ("Admins", &p.admins),
        ("BlockValidation", &"ANY Writers".to_owned()),
    ] {
        orderer
            .policies
            .insert(name.to_owned(), implicit_meta(rule)?);
    }
    let b = &topology.block_cutting;
    orderer.values.insert(
        "BatchSize".to_owned(),
        value(BatchSize {
            max_message_count: b.max_message_count,
            absolute_max_bytes: b.absolute_max_bytes,
            preferred_max_bytes: b.preferred_max_bytes,
        }),
    );
    orderer.values.insert(
        "BatchTimeout".to_owned(),
        value(BatchTimeout {
            timeout: b.batch_timeout.clone(),
        }),
    );
    orderer.values.insert(
        "Capabilities".to_owned(),
        capabilities(&ch.capabilities.orderer),
    );
    orderer.values.insert(
        "ChannelRestrictions".to_owned(),
        ConfigValue {
            version: 0,
            value: Bytes::from(ChannelRestrictions::default().encode_to_vec()),
            mod_policy: ADMINS.to_owned(),
        },
    );
    let node = crypto
        .identities
        .iter()
        .find(|i| i.msp_id == oo.msp_id && i.kind == crate::cryptogen::IdentityKind::Orderer)
        .ok_or_else(|| Error::Genesis(format!("no orderer node in {}", oo.msp_id)))?;
    let tls_cert = read(&node.tls_cert)?;
    let (host, port) = options
        .orderer_address
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u32>().ok()?)))
        .ok_or_else(|| {
            Error::Genesis(format!(
                "orderer address {:?} is not host:port",
                options.orderer_address
            ))
        })?;
    let raft = ConfigMetadata {
        consenters: vec![Consenter {
            host,
            port,
            client_tls_cert: tls_cert.clone(),
            server_tls_cert: tls_cert,
        }],
        options: Some(Options {
            tick_interval: "500ms".to_owned(),
            election_tick: 10,
            heartbeat_tick: 1,
            max_inflight_blocks: 5,
            snapshot_interval_size: 16 * 1024 * 1024,
        }),
    };
    orderer.values.insert(
        "ConsensusType".to_owned(),
        value(ConsensusType {
            r#type: "etcdraft".to_owned(),
            metadata: Bytes::from(raft.encode_to_vec()),
            state: 0,
        }),
    );

    // Channel.
    let mut channel = group();
    channel.groups.insert("Application".to_owned(), application);
    channel.groups.insert("Orderer".to_owned(), orderer);
    for (name, rule) in [
        ("Readers", &p.readers),
        ("Writers", &p.writers),
        ("Admins", &p.admins),
    ] {
        channel
            .policies
            .insert(name.to_owned(), implicit_meta(rule)?);
    }
    channel.values.insert(
        "HashingAlgorithm".to_owned(),
        value(HashingAlgorithm {
            name: "SHA256".to_owned(),
        }),
    );
    channel.values.insert(
        "BlockDataHashingStructure".to_owned(),
        value(BlockDataHashingStructure { width: u32::MAX }),
    );
    channel.values.insert(
        "Capabilities".to_owned(),
        capabilities(&ch.capabilities.channel),
    );
    Ok(Config {
        sequence: 0,
        channel_group: Some(channel),
    })
}

/// The genesis block (block 0) of the topology's channel.
pub fn genesis_block(
    topology: &Topology,
    crypto: &CryptoSummary,
    options: &GenesisOptions,
) -> Result<Block> {
    let config = channel_config(topology, crypto, options)?;
    let creator: &[u8] = &[];
    let channel_header = ChannelHeader {
        r#type: HeaderType::Config as i32,
        version: 1,
        timestamp: Some(options.timestamp),
        channel_id: topology.channel.name.clone(),
        tx_id: compute_txid(&options.nonce, creator),
        epoch: 0,
        extension: Bytes::new(),
        tls_cert_hash: Bytes::new(),
    };
    let signature_header = SignatureHeader {
        creator: Bytes::new(),
        nonce: Bytes::copy_from_slice(&options.nonce),
    };
    let payload = Payload {
        header: Some(Header {
            channel_header: Bytes::from(channel_header.encode_to_vec()),
            signature_header: Bytes::from(signature_header.encode_to_vec()),
        }),
        data: Bytes::from(
            ConfigEnvelope {
                config: Some(config),
                last_update: None,
            }
            .encode_to_vec(),
        ),
    };
    let envelope = Envelope {
        payload: Bytes::from(payload.encode_to_vec()),
        signature: Bytes::new(),
    };
    build_block(0, &[], vec![Bytes::from(envelope.encode_to_vec())], 0, None)
}

/// Reads the channel configuration back from a config block (block 0).
pub fn config_from_block(block: &Block) -> Result<Config> {
    let data = block
        .data
        .as_ref()
        .and_then(|d| d.data.first())
        .ok_or_else(|| Error::Genesis("config block has no envelope".into()))?;
    let headers = super::envelope::EnvelopeHeaders::parse(data)?;
    if headers.channel_header.r#type != HeaderType::Config as i32 {
        return Err(Error::Genesis(format!(
            "block envelope has header type {}, not CONFIG",
            headers.channel_header.r#type
        )));
    }
    let envelope = ConfigEnvelope::decode(headers.payload.data.clone())
        .map_err(Error::decode("common.ConfigEnvelope"))?;
    envelope
        .config
        .ok_or_else(|| Error::Genesis("config envelope has no config".into()))
}

fn decode_value<M: Message + Default>(
    group: &ConfigGroup,
    key: &str,
    what: &'static str,
) -> Result<Option<M>> {
    match group.values.get(key) {
        Some(v) => Ok(Some(
            M::decode(v.value.clone()).map_err(Error::decode(what))?,
        )),
        None => Ok(None),
    }
}

/// The fabric-sdk MSP of an organisation group's `MSP` value.
pub fn msp_from_group(msp_id: &str, group: &ConfigGroup) -> Result<Msp> {
    let msp: MspConfig = decode_value(group, "MSP", "msp.MSPConfig")?
        .ok_or_else(|| Error::Genesis(format!("organisation {msp_id} has no MSP value")))?;
    let fabric =
        FabricMspConfig::decode(msp.config).map_err(Error::decode("msp.FabricMSPConfig"))?;
    let certs = |list: &[Bytes]| -> Result<Vec<Certificate>> {
        let mut out = Vec::new();
        for pem in list {
            out.extend(
                Certificate::all_from_pem(pem)
                    .map_err(Error::fabric(format!("MSP {msp_id} certificate")))?,
            );
        }
        Ok(out)
    };
    let ou = |o: &Option<FabricOuIdentifier>| -> Result<Option<OuIdentifier>> {
        let Some(o) = o else { return Ok(None) };
        let certificate = if o.certificate.is_empty() {
            None
        } else {
            Some(
                Certificate::from_pem(&o.certificate)
                    .map_err(Error::fabric(format!("MSP {msp_id} NodeOU certificate")))?,
            )
        };
        Ok(Some(OuIdentifier {
            ou: o.organizational_unit_identifier.clone(),
            certificate,
        }))
    };
    let node_ous = match &fabric.fabric_node_ous {
        Some(n) => Some(NodeOuConfig {
            enable: n.enable,
            client: ou(&n.client_ou_identifier)?,
            peer: ou(&n.peer_ou_identifier)?,
            admin: ou(&n.admin_ou_identifier)?,
            orderer: ou(&n.orderer_ou_identifier)?,
        }),
        None => None,
    };
    let ou_identifiers = fabric
        .organizational_unit_identifiers
        .iter()
        .map(|o| ou(&Some(o.clone())))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    Msp::new(fabric_sdk::identity::MspConfig {
        msp_id: fabric.name.clone(),
        root_certs: certs(&fabric.root_certs)?,
        intermediate_certs: certs(&fabric.intermediate_certs)?,
        admin_certs: certs(&fabric.admins)?,
        crls: Vec::new(),
        node_ous,
        ou_identifiers,
    })
    .map_err(Error::fabric(format!("MSP {msp_id}")))
}

pub(crate) fn signature_policy_of(
    group: &ConfigGroup,
    name: &str,
    msp_id: &str,
) -> Result<SignaturePolicyEnvelope> {
    let policy = group
        .policies
        .get(name)
        .and_then(|p| p.policy.as_ref())
        .ok_or_else(|| Error::Genesis(format!("organisation {msp_id} has no {name} policy")))?;
    if policy.r#type != PolicyType::Signature as i32 {
        return Err(Error::Genesis(format!(
            "organisation {msp_id}: {name} is not a signature policy"
        )));
    }
    SignaturePolicyEnvelope::decode(policy.value.clone())
        .map_err(Error::decode("common.SignaturePolicyEnvelope"))
}

/// The implicit-meta policy `name` of a group, if it is one.
pub fn implicit_meta_of(group: &ConfigGroup, name: &str) -> Option<ImplicitMetaPolicy> {
    let policy = group.policies.get(name)?.policy.as_ref()?;
    (policy.r#type == PolicyType::ImplicitMeta as i32)
        .then(|| ImplicitMetaPolicy::decode(policy.value.clone()).ok())
        .flatten()
}

impl MspAccessControl {
    /// Access control from a channel configuration: every organisation of the Application and
    /// Orderer groups with its MSP and its `Readers`/`Writers` signature policies.
    pub fn from_config(config: &Config) -> Result<Self> {
        let root = config
            .channel_group
            .as_ref()
            .ok_or_else(|| Error::Genesis("config has no channel group".into()))?;
        let mut orgs = Vec::new();
        for (section, application) in [("Application", true), ("Orderer", false)] {
            let Some(g) = root.groups.get(section) else {
                continue;
            };
            for (msp_id, org) in &g.groups {
                orgs.push(ChannelOrg {
                    msp: msp_from_group(msp_id, org)?,
                    application,
                    readers: signature_policy_of(org, "Readers", msp_id)?,
                    writers: signature_policy_of(org, "Writers", msp_id)?,
                });
            }
        }
        Ok(MspAccessControl::new(orgs))
    }
}
