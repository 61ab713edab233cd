//! # fabric-sdk
//!
//! Hyperledger Fabric primitives shared by every MedLedger component, and the Gateway client.
//!
//! | module | what it offers |
//! |---|---|
//! | [`crypto`] | keys (ECDSA P-256/P-384, Ed25519), signers and verifiers with Fabric's low-S rule, SHA-256 |
//! | [`identity`] | MSP directories, X.509 certificate facts (NodeOU role, Fabric CA attributes, cid ID), MSP validation |
//! | [`policy`] | the policy language, SignaturePolicyEnvelope encoding, evaluation, key-level policies, collections |
//! | [`ledger`] | Fabric ledger semantics: transaction simulation (shim requests → read-write sets), in-memory state, MVCC validation |
//! | [`tx`] | proposals, txids, proposal hashes, proposal-response checks, envelopes, block hashes, composite keys |
//! | `gateway` | (feature `gateway`, default) the Fabric Gateway client: connection, evaluate, submit, commit status, chaincode and block events, checkpoints, offline signing |
//!
//! Messages that Fabric signs or hashes are always handled as their original bytes: nothing in
//! this crate re-encodes a decoded message in order to sign or hash it.

pub mod address;
pub mod crypto;
pub mod error;
#[cfg(feature = "gateway")]
pub mod gateway;
pub mod identity;
pub mod ledger;
pub mod policy;
pub mod tx;

pub use error::{Error, Result};
pub use fabric_protos as protos;
