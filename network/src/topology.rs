//! The network topology: who is in the network, as read from a TOML file.
//!
//! This part covers the organisations (the input of crypto-material generation): the orderer
//! organisation, the peer organisations (hospitals, insurers, pharmacies), their nodes and their
//! people with their medical roles and attributes, and the key algorithm.
//!
//! ```toml
//! key_algorithm = "ecdsa-p256"        # or "ed25519" (needs Fabric v3 channel capability V3_0)
//!
//! [orderer_org]
//! name = "Orderer"
//! msp_id = "OrdererMSP"
//! domain = "medledger.example.com"
//! orderers = [{ name = "orderer" }]
//! users = [{ name = "Admin", type = "admin" }]
//!
//! [[orgs]]
//! name = "SeoulMedicalCenter"
//! msp_id = "SeoulMedicalCenterMSP"
//! domain = "seoulmedical.example.com"
//! kind = "hospital"
//! peers = [{ name = "peer0" }]
//!
//! [[orgs.users]]
//! name = "Doctor1"
//! role = "doctor"
//! license_no = "MD-104233"
//! attributes = { department = "internal_medicine" }
//! ```
//!
//! The channel, chaincode definitions, block cutting and devnet settings are described in
//! [`ChannelConfig`], [`ChaincodeDef`], [`BlockCutting`] and [`DevnetSettings`]; every one of
//! these sections is optional and has Fabric's defaults.
//!
//! Every table rejects unknown keys, and [`Topology::from_toml_str`] validates the result; errors
//! name the offending key, e.g. `orgs[2].users[0].role: unknown role "docter" (expected one of
//! doctor, nurse, ...)`.

mod devnet;
mod medical;

pub use medical::MEDLEDGER_COLLECTIONS;
mod validate;

pub use devnet::{
    BlockCutting, Capabilities, ChaincodeDef, ChaincodeTls, ChannelConfig, ChannelPolicies,
    DevnetSettings, PeerCompat, parse_go_duration,
};

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The whole network topology (organisation part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Algorithm of every key generated for the network. Defaults to ECDSA P-256.
    #[serde(default)]
    pub key_algorithm: KeyType,
    /// The organisation running the ordering service.
    pub orderer_org: OrdererOrg,
    /// The peer organisations (hospitals, insurers, pharmacies), in a stable order.
    pub orgs: Vec<PeerOrg>,
    /// The application channel (name, capabilities, policies).
    #[serde(default)]
    pub channel: ChannelConfig,
    /// Chaincode definitions on the channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chaincodes: Vec<ChaincodeDef>,
    /// Block cutting of the ordering service.
    #[serde(default)]
    pub block_cutting: BlockCutting,
    /// How the embedded devnet runs.
    #[serde(default)]
    pub devnet: DevnetSettings,
}

/// Key algorithm for generated keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum KeyType {
    /// ECDSA on NIST P-256 with SHA-256 (Fabric's default; works with every Fabric version).
    #[default]
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    /// Ed25519 (Fabric v3 only; channels need the V3_0 capability).
    #[serde(rename = "ed25519")]
    Ed25519,
}

impl KeyType {
    /// The SDK's algorithm for this key type.
    pub fn sdk_algorithm(self) -> fabric_sdk::crypto::KeyAlgorithm {
        match self {
            KeyType::EcdsaP256 => fabric_sdk::crypto::KeyAlgorithm::EcdsaP256,
            KeyType::Ed25519 => fabric_sdk::crypto::KeyAlgorithm::Ed25519,
        }
    }
}

/// Certificate subject location (`C`, `ST`, `L`). Defaults to `C=KR, ST=Seoul, L=Seoul`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Two-letter ISO 3166 country code (`C`).
    #[serde(default = "default_country")]
    pub country: String,
    /// State or province (`ST`).
    #[serde(default = "default_seoul")]
    pub province: String,
    /// Locality or city (`L`).
    #[serde(default = "default_seoul")]
    pub locality: String,
}

fn default_country() -> String {
    "KR".to_owned()
}

fn default_seoul() -> String {
    "Seoul".to_owned()
}

impl Default for Location {
    fn default() -> Self {
        Location {
            country: default_country(),
            province: default_seoul(),
            locality: default_seoul(),
        }
    }
}

fn is_default_location(l: &Location) -> bool {
    *l == Location::default()
}

/// The orderer organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdererOrg {
    /// Short name, e.g. `Orderer`.
    pub name: String,
    /// MSP ID, e.g. `OrdererMSP`.
    pub msp_id: String,
    /// DNS domain; nodes are `<node>.<domain>`, users `<user>@<domain>`.
    pub domain: String,
    /// Certificate subject location.
    #[serde(default, skip_serializing_if = "is_default_location")]
    pub location: Location,
    /// Orderer nodes (at least one).
    pub orderers: Vec<Node>,
    /// People of the organisation (at least one of type `admin`).
    pub users: Vec<User>,
}

/// A peer organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerOrg {
    /// Short name, e.g. `SeoulMedicalCenter`.
    pub name: String,
    /// MSP ID, e.g. `SeoulMedicalCenterMSP`.
    pub msp_id: String,
    /// DNS domain; peers are `<peer>.<domain>`, users `<user>@<domain>`.
    pub domain: String,
    /// What the organisation is.
    pub kind: OrgKind,
    /// Certificate subject location.
    #[serde(default, skip_serializing_if = "is_default_location")]
    pub location: Location,
    /// Peer nodes (may be empty, e.g. for a pharmacy chain without its own peer).
    #[serde(default)]
    pub peers: Vec<Node>,
    /// People of the organisation (at least one of type `admin`).
    pub users: Vec<User>,
}

/// The kind of a peer organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A hospital: registers patients, records, prescriptions, certificates; submits claims.
    Hospital,
    /// An insurer (NHIS or private): endorses and adjudicates claims.
    Insurer,
    /// Pharmacies: dispense prescriptions.
    Pharmacy,
}

/// A peer or orderer node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Host label, e.g. `peer0`; the node's host name is `<name>.<domain>`.
    pub name: String,
    /// Extra subject alternative names (DNS names or IP addresses) for the node's TLS certificate,
    /// besides `<name>.<domain>`, `<name>`, `localhost` and `127.0.0.1`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sans: Vec<String>,
}

impl Node {
    /// A node with no extra SANs.
    pub fn new(name: impl Into<String>) -> Self {
        Node {
            name: name.into(),
            sans: Vec::new(),
        }
    }
}

/// A person (client identity) of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// User name; the identity is `<name>@<domain>`, e.g. `Doctor1@seoulmedical.example.com`.
    pub name: String,
    /// NodeOU type: `client` (default) or `admin`.
    #[serde(rename = "type", default)]
    pub user_type: UserType,
    /// Medical role (certificate attribute `role`); required for `client` users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Licence number (attribute `license_no`); required for doctors and pharmacists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_no: Option<String>,
    /// Pseudonymous patient id issued by the home hospital (attribute `patient_id`), required for
    /// patients and only for them. Never a resident registration number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
    /// Further certificate attributes (name → value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

impl User {
    /// An admin user without a medical role.
    pub fn admin(name: impl Into<String>) -> Self {
        User {
            name: name.into(),
            user_type: UserType::Admin,
            role: None,
            license_no: None,
            patient_id: None,
            attributes: BTreeMap::new(),
        }
    }

    /// A client user with a medical role.
    pub fn client(name: impl Into<String>, role: Role) -> Self {
        User {
            name: name.into(),
            user_type: UserType::Client,
            role: Some(role),
            license_no: None,
            patient_id: None,
            attributes: BTreeMap::new(),
        }
    }

    /// Sets the licence number.
    pub fn with_license(mut self, license_no: impl Into<String>) -> Self {
        self.license_no = Some(license_no.into());
        self
    }

    /// Sets the patient id.
    pub fn with_patient_id(mut self, patient_id: impl Into<String>) -> Self {
        self.patient_id = Some(patient_id.into());
        self
    }

    /// Adds an extra attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }
}

/// NodeOU type of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserType {
    /// `OU=client`.
    #[default]
    Client,
    /// `OU=admin`.
    Admin,
}

impl UserType {
    /// The OU value (`client` or `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Client => "client",
            UserType::Admin => "admin",
        }
    }
}

/// Medical role of a person (certificate attribute `role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Physician (licence required).
    Doctor,
    /// Nurse.
    Nurse,
    /// Pharmacist (licence required).
    Pharmacist,
    /// Administrative clerk (registration, claims submission).
    Clerk,
    /// Insurer's claims officer.
    ClaimsOfficer,
    /// Patient (patient id required).
    Patient,
    /// Auditor (read-only oversight).
    Auditor,
}

impl Role {
    /// Every role, in documentation order.
    pub const ALL: [Role; 7] = [
        Role::Doctor,
        Role::Nurse,
        Role::Pharmacist,
        Role::Clerk,
        Role::ClaimsOfficer,
        Role::Patient,
        Role::Auditor,
    ];

    /// The attribute value, e.g. `claims_officer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Doctor => "doctor",
            Role::Nurse => "nurse",
            Role::Pharmacist => "pharmacist",
            Role::Clerk => "clerk",
            Role::ClaimsOfficer => "claims_officer",
            Role::Patient => "patient",
            Role::Auditor => "auditor",
        }
    }

    /// Whether a `license_no` is required.
    pub fn requires_license(self) -> bool {
        matches!(self, Role::Doctor | Role::Pharmacist)
    }

    fn expected_list() -> String {
        Role::ALL
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a known role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown role {:?} (expected one of {})",
            self.0,
            Role::expected_list()
        )
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Role;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a role, one of {}", Role::expected_list())
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Role, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Joins the lines of a multi-line message with `; `.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

impl Topology {
    /// Parses and validates a topology from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        Self::parse(text, "topology")
    }

    /// Reads, parses and validates a topology file. Files it names are read relative to the
    /// file's directory: every chaincode's `collections_file` is read now and its JSON kept in
    /// `collections` (so a topology saved elsewhere, e.g. in a devnet's data directory, stays
    /// complete).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let base = path.parent().unwrap_or_else(|| Path::new(""));
        Self::parse_in(&text, &path.display().to_string(), base)
    }

    /// Parses and validates topology text whose relative file names are taken from `base_dir`
    /// (as [`Topology::from_file`] does with the file's directory).
    pub fn from_toml_str_in(text: &str, base_dir: impl AsRef<Path>) -> Result<Self> {
        Self::parse_in(text, "topology", base_dir.as_ref())
    }

    fn parse_in(text: &str, origin: &str, base_dir: &Path) -> Result<Self> {
        let mut topology = Self::parse(text, origin)?;
        topology.inline_collection_files(base_dir)?;
        topology.validate_as(origin)?;
        Ok(topology)
    }

    /// Reads every chaincode's `collections_file` (a relative path is taken from `base_dir`)
    /// into its `collections`.
    pub fn inline_collection_files(&mut self, base_dir: &Path) -> Result<()> {
        for cc in &mut self.chaincodes {
            if cc.collections.is_some() {
                continue;
            }
            if let Some(file) = cc.collections_file.take() {
                let path = if file.is_relative() {
                    base_dir.join(&file)
                } else {
                    file
                };
                let json = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                cc.collections = Some(json);
            }
        }
        Ok(())
    }

    fn parse(text: &str, origin: &str) -> Result<Self> {
        let de = toml::Deserializer::new(text);
        let topology: Topology = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let key = if path.is_empty() || path == "." {
                "<document>".to_owned()
            } else {
                path
            };
            let mut message = one_line(inner.message());
            if let Some(span) = inner.span() {
                let line = text
                    .get(..span.start)
                    .map_or(1, |t| t.matches('\n').count() + 1);
                message.push_str(&format!(" (line {line})"));
            }
            Error::Topology {
                origin: origin.to_owned(),
                key,
                message,
            }
        })?;
        topology.validate_as(origin)?;
        Ok(topology)
    }

    /// Serialises the topology to TOML.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| Error::Topology {
            origin: "topology".to_owned(),
            key: "<document>".to_owned(),
            message: e.to_string(),
        })
    }

    /// Checks every rule a topology must follow (names, uniqueness, roles and their attributes).
    pub fn validate(&self) -> Result<()> {
        self.validate_as("topology")
    }

    fn validate_as(&self, origin: &str) -> Result<()> {
        validate::validate(self).map_err(|(key, message)| Error::Topology {
            origin: origin.to_owned(),
            key,
            message,
        })
    }
}
