//! MSP identities: X.509 certificates, MSP directories, serialized identities and validation.
//!
//! | module | what it offers |
//! |---|---|
//! | [`certificate`] | [`Certificate`]: DNs, OUs, NodeOU roles, Fabric CA attributes, validity, cid ID |
//! | [`dn`] | distinguished names in Go's `pkix.Name.String()` form |
//! | [`serialized`] | [`Identity`]: `msp.SerializedIdentity`, canonical or exactly as received |
//! | [`msp_dir`] | [`MspDir`], `config.yaml` NodeOUs, [`SigningIdentity`] |
//! | [`msp`] | [`Msp`]: validation of identities, [`ValidatedIdentity`], signature checks |
//! | [`client_identity`] | [`ClientIdentity`]: Fabric's `cid` library |

pub mod certificate;
pub mod client_identity;
pub mod dn;
pub mod msp;
pub mod msp_dir;
pub mod serialized;

pub use certificate::{Certificate, FABRIC_CA_ATTRS_OID};
pub use client_identity::ClientIdentity;
pub use msp::{Msp, MspConfig, ValidatedIdentity};
pub use msp_dir::{ConfigYaml, MspDir, NodeOuConfig, OuIdentifier, SigningIdentity};
pub use serialized::Identity;

use std::fmt;

/// The NodeOU role carried by an identity's certificate (an `OU=` in its subject).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeRole {
    Client,
    Peer,
    Admin,
    Orderer,
}

impl NodeRole {
    /// The default OU identifier of the role (`client`, `peer`, `admin`, `orderer`).
    pub fn default_ou(self) -> &'static str {
        match self {
            NodeRole::Client => "client",
            NodeRole::Peer => "peer",
            NodeRole::Admin => "admin",
            NodeRole::Orderer => "orderer",
        }
    }

    /// Every role, in the order client, peer, admin, orderer.
    pub fn all() -> [NodeRole; 4] {
        [
            NodeRole::Client,
            NodeRole::Peer,
            NodeRole::Admin,
            NodeRole::Orderer,
        ]
    }
}

impl fmt::Display for NodeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.default_ou())
    }
}
