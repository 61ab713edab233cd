//! [`ConnectionProfile`]: the per-organisation connection file the MedLedger devnet writes
//! (`<data dir>/connections/<MSP ID>.json`): the gateway peer's address, TLS root and server
//! name, whether mutual TLS is required, and the organisation's identities (MSP directories
//! and TLS client certificates).
//!
//! ```no_run
//! # async fn f() -> fabric_sdk::Result<()> {
//! use fabric_sdk::gateway::ConnectionProfile;
//! let profile = ConnectionProfile::load(".medledger/devnet/connections/SeoulMedicalCenterMSP.json").await?;
//! let gateway = profile.connect("Doctor1@seoulmedical.example.com").await?;
//! let contract = gateway.network(&profile.channel).contract("medledger");
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Connection, ConnectionBuilder, Gateway};
use crate::identity::SigningIdentity;
use crate::{Error, Result};

/// One peer of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProfilePeer {
    /// `peer0.<domain>`, also its TLS server name.
    pub name: String,
    /// The organisation.
    pub msp_id: String,
    /// `host:port`.
    pub address: String,
    /// PEM file of the TLS root CA of its certificate.
    pub tls_root_cert: PathBuf,
}

/// One identity of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProfileIdentity {
    /// `Doctor1@seoulmedical.example.com`.
    pub name: String,
    /// `client` or `admin`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The medical role, if any.
    #[serde(default)]
    pub role: Option<String>,
    /// The MSP directory (signcerts, keystore).
    pub msp_dir: PathBuf,
    /// Client TLS certificate (mutual TLS).
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// Client TLS key.
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
}

/// A devnet connection file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConnectionProfile {
    /// The organisation's MSP ID.
    pub msp_id: String,
    /// The channel.
    pub channel: String,
    /// The chaincodes defined on the channel.
    #[serde(default)]
    pub chaincodes: Vec<String>,
    /// The gateway peer, `host:port`.
    pub gateway_address: String,
    /// Whether the peer speaks TLS.
    #[serde(default)]
    pub tls: bool,
    /// Whether the peer requires a client certificate.
    #[serde(default)]
    pub mutual_tls: bool,
    /// PEM file of the TLS root CA of the gateway peer's certificate.
    #[serde(default)]
    pub tls_root_cert: Option<PathBuf>,
    /// The TLS server name to verify.
    #[serde(default)]
    pub server_name: Option<String>,
    /// Every peer of the organisation.
    #[serde(default)]
    pub peers: Vec<ProfilePeer>,
    /// The organisation's identities.
    #[serde(default)]
    pub identities: Vec<ProfileIdentity>,
}

impl ConnectionProfile {
    /// Parses the JSON of a connection file.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text)
            .map_err(|e| Error::Connection(format!("not a MedLedger connection file: {e}")))
    }

    /// Reads a connection file.
    pub async fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = tokio::fs::read_to_string(path)
            .await
            .map_err(Error::io(path))?;
        Self::from_json(&text).map_err(|e| Error::Connection(format!("{}: {e}", path.display())))
    }

    /// The identity called `name`.
    pub fn identity(&self, name: &str) -> Result<&ProfileIdentity> {
        self.identities
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.identities.iter().map(|i| i.name.as_str()).collect();
                Error::Connection(format!(
                    "no identity {name:?} in the connection file of {}; it has: {}",
                    self.msp_id,
                    known.join(", ")
                ))
            })
    }

    /// The connection to the gateway peer; with mutual TLS, presenting `tls_identity`'s TLS
    /// client certificate (required then).
    pub fn connection_builder(&self, tls_identity: Option<&str>) -> Result<ConnectionBuilder> {
        let mut builder = Connection::builder(&self.gateway_address);
        if !self.tls {
            return Ok(builder);
        }
        let root = self.tls_root_cert.as_ref().ok_or_else(|| {
            Error::Connection(format!(
                "the connection file of {} says TLS but names no tls_root_cert",
                self.msp_id
            ))
        })?;
        builder = builder.tls_root_cert_file(root);
        if let Some(name) = self.server_name.as_ref().filter(|n| !n.is_empty()) {
            builder = builder.server_name(name);
        }
        if self.mutual_tls {
            let name = tls_identity.ok_or_else(|| {
                Error::Connection(format!(
                    "the gateway of {} requires mutual TLS: name the identity whose TLS \
                     certificate to present",
                    self.msp_id
                ))
            })?;
            let id = self.identity(name)?;
            let (Some(cert), Some(key)) = (&id.tls_cert, &id.tls_key) else {
                return Err(Error::Connection(format!(
                    "identity {name} has no TLS client certificate in the connection file"
                )));
            };
            builder = builder.client_cert_files(cert, key);
        }
        Ok(builder)
    }

    /// Loads the signing identity `name` from its MSP directory (off the async runtime).
    pub async fn signing_identity(&self, name: &str) -> Result<SigningIdentity> {
        let dir = self.identity(name)?.msp_dir.clone();
        let msp_id = self.msp_id.clone();
        tokio::task::spawn_blocking(move || SigningIdentity::from_msp_dir(dir, msp_id))
            .await
            .map_err(|e| Error::Connection(format!("loading identity {name}: {e}")))?
    }

    /// Connects as `identity`: dials the gateway peer (presenting the identity's TLS
    /// certificate under mutual TLS) and returns a gateway with its signer.
    pub async fn connect(&self, identity: &str) -> Result<Gateway> {
        let me = self.signing_identity(identity).await?;
        let connection = self.connection_builder(Some(identity))?.connect().await?;
        Ok(Gateway::connect(connection, &me))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
      "msp_id": "Org1MSP",
      "channel": "medledger",
      "chaincodes": ["basic"],
      "gateway_address": "127.0.0.1:7051",
      "tls": true,
      "mutual_tls": true,
      "tls_root_cert": "/crypto/tlsca.pem",
      "server_name": "peer0.org1.example.com",
      "peers": [{"name": "peer0.org1.example.com", "msp_id": "Org1MSP", "address": "127.0.0.1:7051", "tls_root_cert": "/crypto/tlsca.pem"}],
      "identities": [{"name": "User1@org1.example.com", "type": "client", "role": "doctor",
                      "msp_dir": "/crypto/users/User1/msp", "tls_cert": "/crypto/users/User1/tls/client.crt",
                      "tls_key": "/crypto/users/User1/tls/client.key"}]
    }"#;

    #[test]
    fn parses_the_devnet_file() {
        let p = ConnectionProfile::from_json(FILE).unwrap();
        assert_eq!(p.msp_id, "Org1MSP");
        assert!(p.tls && p.mutual_tls);
        assert_eq!(p.identities[0].kind, "client");
        assert_eq!(
            p.identity("User1@org1.example.com")
                .unwrap()
                .role
                .as_deref(),
            Some("doctor")
        );
        let e = p.identity("Nobody").unwrap_err().to_string();
        assert!(e.contains("User1@org1.example.com"), "{e}");
        assert!(
            p.connection_builder(None).is_err(),
            "mutual TLS needs an identity"
        );
        assert!(p.connection_builder(Some("User1@org1.example.com")).is_ok());
        assert!(ConnectionProfile::from_json("{}").is_err());
    }
}
