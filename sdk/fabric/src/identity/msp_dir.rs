//! MSP directories (as cryptogen and fabric-ca-client write them), `config.yaml` NodeOUs, and
//! signing identities.

use super::{Certificate, Identity, NodeRole};
use crate::crypto::{PrivateKey, Signer};
use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One OU identifier of `config.yaml`, as written (certificate path not yet resolved).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OuIdentifierYaml {
    /// Path of a CA certificate, relative to the MSP directory.
    #[serde(rename = "Certificate", default)]
    pub certificate: Option<String>,
    /// The OU value.
    #[serde(rename = "OrganizationalUnitIdentifier", default)]
    pub organizational_unit_identifier: String,
}

/// The `NodeOUs` section of `config.yaml`, as written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct NodeOusYaml {
    /// Whether NodeOU classification is on.
    #[serde(rename = "Enable", default)]
    pub enable: bool,
    /// The client OU.
    #[serde(rename = "ClientOUIdentifier", default)]
    pub client: Option<OuIdentifierYaml>,
    /// The peer OU.
    #[serde(rename = "PeerOUIdentifier", default)]
    pub peer: Option<OuIdentifierYaml>,
    /// The admin OU.
    #[serde(rename = "AdminOUIdentifier", default)]
    pub admin: Option<OuIdentifierYaml>,
    /// The orderer OU.
    #[serde(rename = "OrdererOUIdentifier", default)]
    pub orderer: Option<OuIdentifierYaml>,
}

/// An MSP `config.yaml`, as written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ConfigYaml {
    /// NodeOU classification.
    #[serde(rename = "NodeOUs", default)]
    pub node_ous: Option<NodeOusYaml>,
    /// OUs an identity must carry (at least one), when the list is not empty.
    #[serde(rename = "OrganizationalUnitIdentifiers", default)]
    pub organizational_unit_identifiers: Vec<OuIdentifierYaml>,
}

impl ConfigYaml {
    /// Parses `config.yaml` text.
    pub fn parse(text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(ConfigYaml::default());
        }
        serde_yaml_ng::from_str(text).map_err(|e| Error::Malformed {
            what: "MSP config.yaml",
            reason: e.to_string(),
        })
    }
}

/// An OU identifier with its optional CA certificate loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuIdentifier {
    /// The OU value (`client`, `peer`, ...).
    pub ou: String,
    /// When set, identities with this OU must chain through this CA.
    pub certificate: Option<Certificate>,
}

impl OuIdentifier {
    /// An OU identifier without a CA restriction.
    pub fn new(ou: impl Into<String>) -> Self {
        OuIdentifier {
            ou: ou.into(),
            certificate: None,
        }
    }
}

/// NodeOU configuration with certificates loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeOuConfig {
    /// Whether NodeOU classification is on.
    pub enable: bool,
    /// The client OU.
    pub client: Option<OuIdentifier>,
    /// The peer OU.
    pub peer: Option<OuIdentifier>,
    /// The admin OU.
    pub admin: Option<OuIdentifier>,
    /// The orderer OU.
    pub orderer: Option<OuIdentifier>,
}

impl NodeOuConfig {
    /// Enabled NodeOUs with the default OU values `client`, `peer`, `admin`, `orderer` and no CA
    /// restriction.
    pub fn enabled_default() -> Self {
        NodeOuConfig {
            enable: true,
            client: Some(OuIdentifier::new("client")),
            peer: Some(OuIdentifier::new("peer")),
            admin: Some(OuIdentifier::new("admin")),
            orderer: Some(OuIdentifier::new("orderer")),
        }
    }

    /// The configured identifiers, by role.
    pub fn identifiers(&self) -> Vec<(NodeRole, &OuIdentifier)> {
        [
            (NodeRole::Client, &self.client),
            (NodeRole::Peer, &self.peer),
            (NodeRole::Admin, &self.admin),
            (NodeRole::Orderer, &self.orderer),
        ]
        .into_iter()
        .filter_map(|(r, o)| o.as_ref().map(|o| (r, o)))
        .collect()
    }
}

/// The contents of an MSP directory.
#[derive(Debug, Clone)]
pub struct MspDir {
    /// The directory.
    pub path: PathBuf,
    /// Root CA certificates (`cacerts/`, required).
    pub cacerts: Vec<Certificate>,
    /// Intermediate CA certificates (`intermediatecerts/`).
    pub intermediatecerts: Vec<Certificate>,
    /// This identity's certificate(s) (`signcerts/`), empty for a verifying-only MSP.
    pub signcerts: Vec<Certificate>,
    /// Legacy admin certificates (`admincerts/`).
    pub admincerts: Vec<Certificate>,
    /// TLS root CAs (`tlscacerts/`).
    pub tlscacerts: Vec<Certificate>,
    /// TLS intermediate CAs (`tlsintermediatecerts/`).
    pub tlsintermediatecerts: Vec<Certificate>,
    /// Certificate revocation lists, DER (`crls/`).
    pub crls: Vec<Vec<u8>>,
    /// Key files found in `keystore/` (not read until needed).
    pub keystore: Vec<PathBuf>,
    /// NodeOUs from `config.yaml`, certificates loaded; `None` without config or section.
    pub node_ous: Option<NodeOuConfig>,
    /// `OrganizationalUnitIdentifiers` from `config.yaml`, certificates loaded.
    pub ou_identifiers: Vec<OuIdentifier>,
}

fn dir_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::MspDir {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Regular files of `dir` in name order; empty if `dir` does not exist.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(Error::io(dir))? {
        let entry = entry.map_err(Error::io(dir))?;
        let p = entry.path();
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if p.is_file() && !hidden {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

fn load_certs(root: &Path, sub: &str) -> Result<Vec<Certificate>> {
    let mut out = Vec::new();
    for f in files_in(&root.join(sub))? {
        let bytes = std::fs::read(&f).map_err(Error::io(&f))?;
        let certs = Certificate::all_from_pem(&bytes)
            .map_err(|e| dir_err(root, format!("{sub}/{}: {e}", display_name(&f))))?;
        out.extend(certs);
    }
    Ok(out)
}

fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn load_crls(root: &Path) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for f in files_in(&root.join("crls"))? {
        let bytes = std::fs::read(&f).map_err(Error::io(&f))?;
        let blocks = pem::parse_many(&bytes)
            .map_err(|e| dir_err(root, format!("crls/{}: not PEM: {e}", display_name(&f))))?;
        for b in blocks.iter().filter(|b| b.tag() == "X509 CRL") {
            x509_parser::parse_x509_crl(b.contents()).map_err(|e| {
                dir_err(
                    root,
                    format!("crls/{}: not an X.509 CRL: {e}", display_name(&f)),
                )
            })?;
            out.push(b.contents().to_vec());
        }
    }
    Ok(out)
}

fn resolve_ou(root: &Path, y: &OuIdentifierYaml) -> Result<OuIdentifier> {
    let certificate = match &y.certificate {
        None => None,
        Some(rel) if rel.is_empty() => None,
        Some(rel) => {
            let p = root.join(rel);
            let bytes = std::fs::read(&p).map_err(|e| {
                dir_err(
                    root,
                    format!("config.yaml names certificate {rel}, which cannot be read: {e}"),
                )
            })?;
            Some(
                Certificate::from_pem(&bytes)
                    .map_err(|e| dir_err(root, format!("config.yaml certificate {rel}: {e}")))?,
            )
        }
    };
    Ok(OuIdentifier {
        ou: y.organizational_unit_identifier.clone(),
        certificate,
    })
}

impl MspDir {
    /// Loads an MSP directory. `cacerts/` must hold at least one certificate; every other
    /// part is optional.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let root = path.as_ref();
        if !root.is_dir() {
            return Err(dir_err(root, "is not a directory"));
        }
        let cacerts = load_certs(root, "cacerts")?;
        if cacerts.is_empty() {
            return Err(dir_err(root, "cacerts/ is missing or holds no certificate"));
        }
        let config_path = root.join("config.yaml");
        let config = if config_path.is_file() {
            let text = std::fs::read_to_string(&config_path).map_err(Error::io(&config_path))?;
            ConfigYaml::parse(&text).map_err(|e| dir_err(root, format!("config.yaml: {e}")))?
        } else {
            ConfigYaml::default()
        };
        let node_ous = match &config.node_ous {
            None => None,
            Some(n) => {
                let r = |o: &Option<OuIdentifierYaml>| -> Result<Option<OuIdentifier>> {
                    o.as_ref().map(|y| resolve_ou(root, y)).transpose()
                };
                Some(NodeOuConfig {
                    enable: n.enable,
                    client: r(&n.client)?,
                    peer: r(&n.peer)?,
                    admin: r(&n.admin)?,
                    orderer: r(&n.orderer)?,
                })
            }
        };
        let ou_identifiers = config
            .organizational_unit_identifiers
            .iter()
            .map(|y| resolve_ou(root, y))
            .collect::<Result<Vec<_>>>()?;
        Ok(MspDir {
            path: root.to_path_buf(),
            cacerts,
            intermediatecerts: load_certs(root, "intermediatecerts")?,
            signcerts: load_certs(root, "signcerts")?,
            admincerts: load_certs(root, "admincerts")?,
            tlscacerts: load_certs(root, "tlscacerts")?,
            tlsintermediatecerts: load_certs(root, "tlsintermediatecerts")?,
            crls: load_crls(root)?,
            keystore: files_in(&root.join("keystore"))?,
            node_ous,
            ou_identifiers,
        })
    }

    /// The signing certificate: the first certificate of `signcerts/`.
    pub fn signcert(&self) -> Result<&Certificate> {
        self.signcerts
            .first()
            .ok_or_else(|| dir_err(&self.path, "signcerts/ is missing or holds no certificate"))
    }

    /// The private key of `cert` from `keystore/`: the file `<hex SKI>_sk` if present, else
    /// the key file whose public key matches the certificate (cryptogen's `priv_sk`, or any
    /// single key file).
    pub fn private_key_for(&self, cert: &Certificate) -> Result<PrivateKey> {
        if self.keystore.is_empty() {
            return Err(dir_err(
                &self.path,
                "keystore/ is missing or holds no key file",
            ));
        }
        let public = cert.public_key()?;
        let ski_name = format!("{}_sk", hex::encode(public.ski()));
        let mut candidates: Vec<&PathBuf> = self.keystore.iter().collect();
        candidates.sort_by_key(|p| display_name(p) != ski_name);
        let mut problems = Vec::new();
        for f in candidates {
            let text = match std::fs::read_to_string(f) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(format!("{}: {e}", display_name(f)));
                    continue;
                }
            };
            match PrivateKey::from_pem(&text) {
                Ok(k) => match k.public_key() {
                    Ok(p) if p == public => return Ok(k),
                    Ok(_) => problems.push(format!("{}: key does not match", display_name(f))),
                    Err(e) => problems.push(format!("{}: {e}", display_name(f))),
                },
                Err(e) => problems.push(format!("{}: {e}", display_name(f))),
            }
        }
        Err(dir_err(
            &self.path,
            format!(
                "no key in keystore/ matches the certificate {} ({})",
                cert.subject(),
                problems.join("; ")
            ),
        ))
    }
}

/// An identity that can sign: its [`Identity`] and a [`Signer`] for its key.
#[derive(Debug, Clone)]
pub struct SigningIdentity {
    /// The identity (certificate and canonical serialized bytes).
    pub identity: Identity,
    /// Signs with the identity's private key.
    pub signer: Arc<dyn Signer>,
}

impl SigningIdentity {
    /// Loads the signing identity of an MSP directory: `signcerts/` and the matching key of
    /// `keystore/`.
    pub fn from_msp_dir(path: impl AsRef<Path>, msp_id: impl Into<String>) -> Result<Self> {
        let dir = MspDir::load(path)?;
        let cert = dir.signcert()?.clone();
        let key = dir.private_key_for(&cert)?;
        Self::from_parts(msp_id, cert, &key)
    }

    /// From a PEM certificate and a PEM private key; errors if the key is not the
    /// certificate's.
    pub fn from_pem(msp_id: impl Into<String>, cert_pem: &str, key_pem: &str) -> Result<Self> {
        let cert = Certificate::from_pem(cert_pem)?;
        let key = PrivateKey::from_pem(key_pem)?;
        Self::from_parts(msp_id, cert, &key)
    }

    /// From a certificate and its private key; errors if they do not match.
    pub fn from_parts(
        msp_id: impl Into<String>,
        cert: Certificate,
        key: &PrivateKey,
    ) -> Result<Self> {
        if key.public_key()? != cert.public_key()? {
            return Err(Error::Key(format!(
                "the private key does not match the certificate {}",
                cert.subject()
            )));
        }
        Ok(SigningIdentity {
            identity: Identity::new(msp_id, cert),
            signer: key.signer()?,
        })
    }

    /// From an identity and an external signer (HSM, KMS). The caller vouches that the signer
    /// holds the certificate's key.
    pub fn with_signer(identity: Identity, signer: Arc<dyn Signer>) -> Self {
        SigningIdentity { identity, signer }
    }

    /// Signs `message` (SHA-256 + low-S ECDSA, or Ed25519 over the message).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.signer.sign(message)
    }

    /// The canonical serialized identity (the `creator` bytes).
    pub fn serialized(&self) -> &[u8] {
        self.identity.serialized()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_yaml_parses() {
        let c = ConfigYaml::parse(
            "NodeOUs:\n  Enable: true\n  ClientOUIdentifier:\n    Certificate: cacerts/ca.pem\n    OrganizationalUnitIdentifier: client\n  PeerOUIdentifier:\n    OrganizationalUnitIdentifier: peer\nOrganizationalUnitIdentifiers:\n  - Certificate: cacerts/ca.pem\n    OrganizationalUnitIdentifier: COP\n",
        )
        .unwrap();
        let n = c.node_ous.unwrap();
        assert!(n.enable);
        assert_eq!(
            n.client.unwrap().certificate.as_deref(),
            Some("cacerts/ca.pem")
        );
        assert_eq!(n.peer.unwrap().organizational_unit_identifier, "peer");
        assert!(n.admin.is_none());
        assert_eq!(c.organizational_unit_identifiers.len(), 1);
        assert_eq!(ConfigYaml::parse("").unwrap(), ConfigYaml::default());
        assert!(ConfigYaml::parse("NodeOUs: [1, 2").is_err());
        assert!(ConfigYaml::parse("NodeOUs:\n  Enable: maybe\n").is_err());
    }

    #[test]
    fn missing_dir_names_the_path() {
        let err = MspDir::load("/nonexistent/msp").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/msp"), "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let err = MspDir::load(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("cacerts"), "{err}");
    }
}
