//! The channel, chaincode, block-cutting and devnet sections of a topology.
//!
//! ```toml
//! [channel]
//! name = "medledger"                       # default
//! capabilities = { channel = "V2_0", orderer = "V2_0", application = "V2_5" }
//! [channel.policies]                       # ImplicitMeta rules, Fabric's configtx defaults
//! readers = "ANY Readers"
//! writers = "ANY Writers"
//! admins = "MAJORITY Admins"
//! endorsement = "MAJORITY Endorsement"
//! lifecycle_endorsement = "MAJORITY Endorsement"
//!
//! [[chaincodes]]
//! name = "medledger"
//! version = "1.0"
//! sequence = 1
//! label = "medledger_1.0"                  # or package_id = "medledger_1.0:<sha256 hex>"
//! address = "127.0.0.1:9999"               # CCaaS server the peers dial ...
//! # command = ["target/release/medledger-chaincode"]   # ... or a binary the devnet starts
//! tls = { required = true, root_cert = "ccaas/ca.crt" }
//! endorsement_policy = "OutOf(2, 'SeoulMedicalCenterMSP.peer', 'MyongjiHospitalMSP.peer')"
//! collections_file = "collections.json"    # relative to this file; or collections = '[{"name": ...}]' (Fabric's JSON)
//! init_required = false
//!
//! [block_cutting]
//! max_message_count = 10
//! batch_timeout = "2s"
//! absolute_max_bytes = 103809024
//! preferred_max_bytes = 524288
//!
//! [devnet]
//! data_dir = ".medledger/devnet"
//! listen_host = "127.0.0.1"
//! port_base = 0                            # 0: free ports; N: orderer N, peers N+1, N+2, ...
//! tls = true
//! mutual_tls = false
//! peer_compat = "3.1"                      # "3.1": advertise write batching and GetMultipleStates; "2.5": don't
//! ```

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The application channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// Channel name (lower-case letters, digits, `.` and `-`, starting with a letter).
    #[serde(default = "default_channel_name")]
    pub name: String,
    /// Capability levels.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Channel-wide ImplicitMeta policies.
    #[serde(default)]
    pub policies: ChannelPolicies,
}

fn default_channel_name() -> String {
    "medledger".to_owned()
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            name: default_channel_name(),
            capabilities: Capabilities::default(),
            policies: ChannelPolicies::default(),
        }
    }
}

/// Capability levels of the channel (`V2_0`, `V2_5`, `V3_0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Channel capability: `V2_0`, or `V3_0` (required for Ed25519 keys).
    #[serde(default = "v2_0")]
    pub channel: String,
    /// Orderer capability: `V2_0`.
    #[serde(default = "v2_0")]
    pub orderer: String,
    /// Application capability: `V2_0` or `V2_5` (purge of private data needs `V2_5`).
    #[serde(default = "v2_5")]
    pub application: String,
}

fn v2_0() -> String {
    "V2_0".to_owned()
}

fn v2_5() -> String {
    "V2_5".to_owned()
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            channel: v2_0(),
            orderer: v2_0(),
            application: v2_5(),
        }
    }
}

/// The channel's ImplicitMeta policies (`<ANY|ALL|MAJORITY> <SubPolicy>`), used for
/// `/Channel/*`, `/Channel/Application/*` and `/Channel/Orderer/*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelPolicies {
    /// `Readers` (default `ANY Readers`).
    #[serde(default = "any_readers")]
    pub readers: String,
    /// `Writers` (default `ANY Writers`).
    #[serde(default = "any_writers")]
    pub writers: String,
    /// `Admins` (default `MAJORITY Admins`).
    #[serde(default = "majority_admins")]
    pub admins: String,
    /// `/Channel/Application/Endorsement`, the default chaincode endorsement policy
    /// (default `MAJORITY Endorsement`).
    #[serde(default = "majority_endorsement")]
    pub endorsement: String,
    /// `/Channel/Application/LifecycleEndorsement` (default `MAJORITY Endorsement`).
    #[serde(default = "majority_endorsement")]
    pub lifecycle_endorsement: String,
}

fn any_readers() -> String {
    "ANY Readers".to_owned()
}
fn any_writers() -> String {
    "ANY Writers".to_owned()
}
fn majority_admins() -> String {
    "MAJORITY Admins".to_owned()
}
fn majority_endorsement() -> String {
    "MAJORITY Endorsement".to_owned()
}

impl Default for ChannelPolicies {
    fn default() -> Self {
        ChannelPolicies {
            readers: any_readers(),
            writers: any_writers(),
            admins: majority_admins(),
            endorsement: majority_endorsement(),
            lifecycle_endorsement: majority_endorsement(),
        }
    }
}

/// A chaincode definition committed on the channel (what `peer lifecycle chaincode commit`
/// records), and how the devnet reaches the chaincode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaincodeDef {
    /// Chaincode name (the namespace), e.g. `medledger`.
    pub name: String,
    /// Definition version, e.g. `1.0`.
    pub version: String,
    /// Definition sequence (≥ 1).
    #[serde(default = "one")]
    pub sequence: u64,
    /// Package label; the package id is `<label>:<sha256>` of a package the devnet makes.
    /// Defaults to `<name>_<version>` when neither this nor `package_id` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Exact package id (`<label>:<64 hex>`) the chaincode registers with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    /// `host:port` of a chaincode-as-a-service server the peers dial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A chaincode server binary (and arguments) the devnet starts and then dials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// TLS to the chaincode server (connection.json's settings).
    #[serde(default, skip_serializing_if = "ChaincodeTls::is_off")]
    pub tls: ChaincodeTls,
    /// Endorsement policy in the policy language; absent = the channel's
    /// `/Channel/Application/Endorsement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement_policy: Option<String>,
    /// Private data collections, as Fabric's collections JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections: Option<String>,
    /// A file holding Fabric's collections JSON. [`Topology::from_file`](super::Topology::from_file)
    /// reads it relative to the topology file's directory into `collections`; otherwise a
    /// relative path is taken from the working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections_file: Option<PathBuf>,
    /// Whether `Init` must be invoked first (`--init-required`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init_required: bool,
}

fn one() -> u64 {
    1
}

impl ChaincodeDef {
    /// Version `1.0`, sequence 1 of `name`, served by a chaincode server already listening on
    /// `address` that registers as `package_id`, with `endorsement_policy`; no collections.
    pub fn external(
        name: &str,
        package_id: &str,
        address: &str,
        endorsement_policy: impl Into<String>,
    ) -> ChaincodeDef {
        ChaincodeDef {
            name: name.to_owned(),
            version: "1.0".to_owned(),
            sequence: 1,
            label: None,
            package_id: Some(package_id.to_owned()),
            address: Some(address.to_owned()),
            command: None,
            tls: ChaincodeTls::default(),
            endorsement_policy: Some(endorsement_policy.into()),
            collections: None,
            collections_file: None,
            init_required: false,
        }
    }

    /// The collection configuration package of the chaincode, from `collections` or
    /// `collections_file` (read now; a relative path is taken from the working directory), or
    /// `None` when it has no collections.
    pub fn collection_package(
        &self,
    ) -> crate::Result<Option<fabric_protos::protos::CollectionConfigPackage>> {
        let json = match (&self.collections, &self.collections_file) {
            (Some(json), _) => json.as_bytes().to_vec(),
            (None, Some(path)) => std::fs::read(path).map_err(|e| crate::Error::io(path, e))?,
            (None, None) => return Ok(None),
        };
        fabric_sdk::policy::collection::parse_collections_json(&json)
            .map(Some)
            .map_err(|e| crate::Error::Topology {
                origin: "topology".to_owned(),
                key: format!("chaincodes[{}].collections", self.name),
                message: e.to_string(),
            })
    }

    /// The package label: `label`, the label part of `package_id`, or `<name>_<version>`.
    pub fn package_label(&self) -> String {
        if let Some(l) = &self.label {
            return l.clone();
        }
        if let Some(id) = &self.package_id
            && let Some((label, _)) = id.split_once(':')
        {
            return label.to_owned();
        }
        format!("{}_{}", self.name, self.version)
    }
}

/// TLS settings towards a chaincode server (connection.json: `tls_required`,
/// `client_auth_required`, `root_cert`, `client_cert`, `client_key`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaincodeTls {
    /// Dial with TLS.
    #[serde(default)]
    pub required: bool,
    /// PEM file of the CA that signed the chaincode server's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cert: Option<PathBuf>,
    /// Present a client certificate (the chaincode server requires mutual TLS).
    #[serde(default)]
    pub client_auth: bool,
    /// Client certificate PEM file (default: the peer's TLS certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    /// Client key PEM file (default: the peer's TLS key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<PathBuf>,
}

impl ChaincodeTls {
    fn is_off(&self) -> bool {
        *self == ChaincodeTls::default()
    }
}

/// Block cutting (the orderer's `BatchSize` and `BatchTimeout`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockCutting {
    /// Transactions per block at most (default 10).
    #[serde(default = "ten")]
    pub max_message_count: u32,
    /// How long the first transaction of a block waits for more, as a Go duration such as
    /// `2s` or `500ms` (default `2s`).
    #[serde(default = "two_seconds")]
    pub batch_timeout: String,
    /// Transactions larger than this are refused (default 103809024 = 99 MiB).
    #[serde(default = "absolute_max")]
    pub absolute_max_bytes: u32,
    /// Preferred block size (default 524288 = 512 KiB).
    #[serde(default = "preferred_max")]
    pub preferred_max_bytes: u32,
}

fn ten() -> u32 {
    10
}
fn two_seconds() -> String {
    "2s".to_owned()
}
fn absolute_max() -> u32 {
    99 * 1024 * 1024
}
fn preferred_max() -> u32 {
    512 * 1024
}

impl Default for BlockCutting {
    fn default() -> Self {
        BlockCutting {
            max_message_count: ten(),
            batch_timeout: two_seconds(),
            absolute_max_bytes: absolute_max(),
            preferred_max_bytes: preferred_max(),
        }
    }
}

impl BlockCutting {
    /// `batch_timeout` as a duration (`None` if it is not a valid Go duration).
    pub fn batch_timeout(&self) -> Option<Duration> {
        parse_go_duration(&self.batch_timeout)
    }
}

/// Parses the Go duration forms used in Fabric configuration: a sequence of
/// `<number><unit>` with units `ns`, `us`, `ms`, `s`, `m`, `h` (e.g. `2s`, `1m30s`, `500ms`).
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ns" => Duration::from_nanos(n),
            "us" | "µs" => Duration::from_micros(n),
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            _ => return None,
        };
        total = total.checked_add(d)?;
    }
    Some(total)
}

/// Which Fabric peer the devnet imitates towards chaincodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PeerCompat {
    /// Fabric v3.1: READY advertises write batching and GetMultipleStates (1000 each).
    #[default]
    #[serde(rename = "3.1")]
    V3_1,
    /// Fabric v2.5: READY is empty; no batching.
    #[serde(rename = "2.5")]
    V2_5,
}

/// How the embedded devnet runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevnetSettings {
    /// Where the ledger and crypto material live (default `.medledger/devnet`).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Address the services listen on (default `127.0.0.1`).
    #[serde(default = "localhost")]
    pub listen_host: String,
    /// 0: every service picks a free port; N: orderer on N, peers on N+1, N+2, ... in
    /// topology order.
    #[serde(default)]
    pub port_base: u16,
    /// Serve TLS with the generated certificates (default on).
    #[serde(default = "yes")]
    pub tls: bool,
    /// Require client certificates (default off).
    #[serde(default)]
    pub mutual_tls: bool,
    /// Fabric version imitated towards chaincodes (`3.1` or `2.5`).
    #[serde(default)]
    pub peer_compat: PeerCompat,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(".medledger/devnet")
}
fn localhost() -> String {
    "127.0.0.1".to_owned()
}
fn yes() -> bool {
    true
}

impl Default for DevnetSettings {
    fn default() -> Self {
        DevnetSettings {
            data_dir: default_data_dir(),
            listen_host: localhost(),
            port_base: 0,
            tls: true,
            mutual_tls: false,
            peer_compat: PeerCompat::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_go_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1h"), Some(Duration::from_secs(3600)));
        for bad in ["", "2", "s", "2x", "-1s", "1.5s", "99999999999999999999s"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }
}
