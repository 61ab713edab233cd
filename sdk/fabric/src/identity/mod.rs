//! MSP identities: X.509 certificates, MSP directories, serialized identities and validation.
//!
//! (Being built: see issue 2.)

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
}

impl fmt::Display for NodeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.default_ou())
    }
}
