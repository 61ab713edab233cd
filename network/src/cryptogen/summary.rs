//! What a generation run wrote.

use crate::topology::{KeyType, OrgKind, Role};
use std::fmt;
use std::path::{Path, PathBuf};

/// Everything [`generate`](super::generate) wrote: organisations, identities and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoSummary {
    /// The output directory.
    pub out_dir: PathBuf,
    /// Algorithm of every key.
    pub key_algorithm: KeyType,
    /// Organisations, orderer organisation first, then peer organisations in topology order.
    pub orgs: Vec<OrgCrypto>,
    /// Identities (nodes, then users, per organisation, in topology order).
    pub identities: Vec<IdentityCrypto>,
    /// Every file written, relative to `out_dir`, sorted.
    pub files: Vec<PathBuf>,
}

/// Whether an organisation runs orderers or peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgType {
    /// The ordering service organisation (`ordererOrganizations/`).
    Orderer,
    /// A peer organisation of the given kind (`peerOrganizations/`).
    Peer(OrgKind),
}

/// Crypto material of one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgCrypto {
    /// Short name from the topology.
    pub name: String,
    /// MSP ID.
    pub msp_id: String,
    /// DNS domain.
    pub domain: String,
    /// Orderer or peer organisation.
    pub org_type: OrgType,
    /// The organisation directory, e.g. `<out>/peerOrganizations/<domain>`.
    pub dir: PathBuf,
    /// The organisation MSP (cacerts, tlscacerts, config.yaml), for channel configuration.
    pub msp_dir: PathBuf,
    /// The signing CA certificate (`ca/ca.<domain>-cert.pem`).
    pub ca_cert: PathBuf,
    /// The signing CA private key (`ca/priv_sk`).
    pub ca_key: PathBuf,
    /// The TLS CA certificate (`tlsca/tlsca.<domain>-cert.pem`).
    pub tlsca_cert: PathBuf,
    /// The TLS CA private key (`tlsca/priv_sk`).
    pub tlsca_key: PathBuf,
}

/// The NodeOU of an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityKind {
    /// A peer node (`OU=peer`).
    Peer,
    /// An orderer node (`OU=orderer`).
    Orderer,
    /// An administrator (`OU=admin`).
    Admin,
    /// A client (`OU=client`).
    Client,
}

impl IdentityKind {
    /// The OU value.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Peer => "peer",
            IdentityKind::Orderer => "orderer",
            IdentityKind::Admin => "admin",
            IdentityKind::Client => "client",
        }
    }

    /// Whether this is a node (peer or orderer) rather than a person.
    pub fn is_node(self) -> bool {
        matches!(self, IdentityKind::Peer | IdentityKind::Orderer)
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Crypto material of one identity (a node or a person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCrypto {
    /// Organisation short name.
    pub org: String,
    /// MSP ID of the organisation.
    pub msp_id: String,
    /// Full name, also the certificate CN: `peer0.<domain>` or `Doctor1@<domain>`.
    pub name: String,
    /// Topology name: `peer0` or `Doctor1`.
    pub short_name: String,
    /// NodeOU.
    pub kind: IdentityKind,
    /// Medical role, for people that have one.
    pub role: Option<Role>,
    /// The local MSP directory (`msp/`).
    pub msp_dir: PathBuf,
    /// The TLS directory (`tls/`).
    pub tls_dir: PathBuf,
    /// The enrollment certificate (`msp/signcerts/<name>-cert.pem`).
    pub cert: PathBuf,
    /// The enrollment private key (`msp/keystore/priv_sk`).
    pub key: PathBuf,
    /// The TLS certificate (`tls/server.crt` for nodes, `tls/client.crt` for people).
    pub tls_cert: PathBuf,
    /// The TLS private key (`tls/server.key` or `tls/client.key`).
    pub tls_key: PathBuf,
    /// The TLS CA certificate (`tls/ca.crt`).
    pub tls_ca_cert: PathBuf,
}

impl CryptoSummary {
    /// The identity with this full name (e.g. `Doctor1@seoulmedical.example.com`).
    pub fn identity(&self, name: &str) -> Option<&IdentityCrypto> {
        self.identities.iter().find(|i| i.name == name)
    }

    /// The identities of one MSP.
    pub fn identities_of<'a>(
        &'a self,
        msp_id: &'a str,
    ) -> impl Iterator<Item = &'a IdentityCrypto> + 'a {
        self.identities.iter().filter(move |i| i.msp_id == msp_id)
    }

    /// The first person of `msp_id` with the medical `role`.
    pub fn person(&self, msp_id: &str, role: Role) -> Option<&IdentityCrypto> {
        self.identities
            .iter()
            .find(|i| i.msp_id == msp_id && i.role == Some(role))
    }

    /// The first peer of `msp_id`.
    pub fn peer(&self, msp_id: &str) -> Option<&IdentityCrypto> {
        self.identities
            .iter()
            .find(|i| i.msp_id == msp_id && i.kind == IdentityKind::Peer)
    }

    /// The organisation with this MSP ID.
    pub fn org(&self, msp_id: &str) -> Option<&OrgCrypto> {
        self.orgs.iter().find(|o| o.msp_id == msp_id)
    }

    /// `path` relative to the output directory, for display.
    fn rel<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.out_dir).unwrap_or(path)
    }
}

impl fmt::Display for CryptoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "crypto material in {} ({:?} keys, {} organisations, {} identities, {} files)",
            self.out_dir.display(),
            self.key_algorithm,
            self.orgs.len(),
            self.identities.len(),
            self.files.len()
        )?;
        for org in &self.orgs {
            writeln!(
                f,
                "{} ({}): {}",
                org.msp_id,
                org.name,
                self.rel(&org.msp_dir).display()
            )?;
            for id in self.identities.iter().filter(|i| i.msp_id == org.msp_id) {
                let role = id.role.map_or(String::new(), |r| format!(" role={r}"));
                writeln!(
                    f,
                    "  {:<8} {}{}  msp={}  tls={}",
                    id.kind.as_str(),
                    id.name,
                    role,
                    self.rel(&id.msp_dir).display(),
                    self.rel(&id.tls_dir).display()
                )?;
            }
        }
        Ok(())
    }
}
