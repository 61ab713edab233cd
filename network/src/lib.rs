//! MedLedger network tooling for Hyperledger Fabric.
//!
//! - [`topology`]: the network topology (organisations, nodes, people and their medical roles),
//!   read from TOML; [`Topology::medical_default`] is the default consortium.
//! - [`cryptogen`]: crypto-material generation in Fabric's `cryptogen` layout
//!   ([`generate`], [`generate_with`]).
//! - [`devnet`]: the embedded Fabric-compatible network (ledger store, ordering, block delivery).
//! - [`fabric`]: the kit for a real Fabric network (configtx.yaml, node settings, CCaaS
//!   packages, scripts for Fabric's native binaries) from the same topology.
//! - [`Error`]: the crate's single error type.

pub mod cryptogen;
pub mod devnet;
mod error;
pub mod fabric;
mod files;
pub mod topology;

pub use cryptogen::{
    CryptoSummary, GenerateOptions, IdentityCrypto, IdentityKind, OrgCrypto, OrgType, generate,
    generate_with,
};
pub use error::{Error, Result};
pub use topology::{
    KeyType, Location, Node, OrdererOrg, OrgKind, PeerOrg, Role, Topology, User, UserType,
};
