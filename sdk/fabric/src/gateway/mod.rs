//! The Fabric Gateway client (feature `gateway`, on by default): evaluate, submit and watch
//! transactions through a Fabric peer's Gateway service (Fabric v2.4+), the same API shape as
//! the official clients.
//!
//! [`Connection`] (a TLS gRPC channel, shared) → [`Gateway`] (identity, signer, hash, deadlines)
//! → [`Network`] (channel) → [`Contract`] (chaincode) → `evaluate` / `submit` / `submit_async`
//! or [`Contract::new_proposal`] (arguments, transient data, endorsing organisations).
//!
//! ```no_run
//! # async fn f() -> fabric_sdk::Result<()> {
//! use fabric_sdk::gateway::{Connection, Gateway, NO_ARGS};
//! use fabric_sdk::identity::SigningIdentity;
//!
//! let me = SigningIdentity::from_msp_dir("crypto/.../users/Doctor1@seoulmedical.example.com/msp", "SeoulMedicalCenterMSP")?;
//! let connection = Connection::builder("localhost:7051")
//!     .tls_root_cert_file("crypto/.../tlsca/tlsca.seoulmedical.example.com-cert.pem")
//!     .server_name("peer0.seoulmedical.example.com")
//!     .connect()
//!     .await?;
//! let gateway = Gateway::connect(connection, &me);
//! let contract = gateway.network("medledger").contract("basic");
//! contract.submit("CreateAsset", ["asset7", "red", "5", "Ann", "300"]).await?;
//! let all = contract.evaluate("GetAllAssets", NO_ARGS).await?;
//! # Ok(()) }
//! ```
//!
//! | module | what it offers |
//! |---|---|
//! | [`connection`] | [`Connection`], [`ConnectionBuilder`]: rustls TLS (roots from PEM or an MSP's `tlscacerts`, mutual TLS, server-name override), ALPN h2, keepalive, 100 MiB messages |
//! | [`profile`] | [`ConnectionProfile`]: the devnet's per-organisation connection file |
//! | [`client`] | [`Gateway`], [`GatewayBuilder`], offline-signing rebuilders `new_signed_*` |
//! | [`network`], [`contract`] | [`Network`], [`Contract`] |
//! | [`proposal`], [`transaction`], [`commit`] | [`Proposal`], [`Transaction`], [`SubmittedTransaction`], [`Commit`], [`Status`] |
//! | [`deadlines`] | [`Deadlines`]: per-stage defaults, overridable per contract and per call |
//! | [`error`] | [`RpcError`] (code, message, txid, every peer's `ErrorDetail`), [`CommitError`] |
//! | [`chaincode_events`] | [`ChaincodeEvents`] from the next commit, a block or a checkpoint, reconnecting |
//! | [`block_events`] | [`BlockEvents`]: blocks, filtered blocks, blocks with private data (peer Deliver) |
//! | [`checkpoint`] | [`Checkpointer`], [`InMemoryCheckpointer`], [`FileCheckpointer`] |
//!
//! **Errors.** Each stage fails with its own variant of the crate's [`Error`](crate::Error):
//! `Evaluate`, `Endorse`, `Submit`, `CommitStatus` (each an [`RpcError`]), and `Commit` (a
//! [`CommitError`] naming the validation code, e.g. `MVCC_READ_CONFLICT`).
//!
//! **Offline signing.** A gateway built without a signer produces unsigned requests. Each
//! (proposal, transaction, commit, chaincode events request, block events request) offers
//! `bytes()` and `digest()`; sign the digest elsewhere and rebuild the request with the
//! matching `Gateway::new_signed_*(bytes, signature)`.
//!
//! **Signers.** Any [`Signer`](crate::crypto::Signer) plugs in ([`GatewayBuilder::signer`]):
//! the built-in aws-lc-rs or pure-Rust keys, or an HSM/KMS implementation of the trait.

pub mod block_events;
pub mod chaincode_events;
pub mod checkpoint;
pub mod client;
pub mod commit;
pub mod connection;
pub mod contract;
pub mod deadlines;
pub mod error;
pub mod network;
pub mod profile;
pub mod proposal;
mod reconnect;
pub mod transaction;
mod transport;

pub use block_events::{
    BlockEvents, BlockEventsBuilder, BlockEventsRequest, BlockItem, DeliverKind,
};
pub use chaincode_events::{
    ChaincodeEvent, ChaincodeEvents, ChaincodeEventsBuilder, ChaincodeEventsRequest,
};
pub use checkpoint::{Checkpoint, Checkpointer, FileCheckpointer, InMemoryCheckpointer};
pub use client::{Gateway, GatewayBuilder};
pub use commit::{Commit, Status};
pub use connection::{Connection, ConnectionBuilder, MAX_MESSAGE_SIZE};
pub use contract::{Contract, NO_ARGS};
pub use deadlines::Deadlines;
pub use error::{CommitError, RpcError};
pub use network::Network;
pub use profile::{ConnectionProfile, ProfileIdentity, ProfilePeer};
pub use proposal::{Proposal, ProposalBuilder};
pub use reconnect::EventStream;
pub use transaction::{SubmittedTransaction, Transaction};

/// A peer's error in a failed Gateway call.
pub use fabric_protos::gateway::ErrorDetail;
/// Transaction validation codes carried by [`Status`] and [`CommitError`].
pub use fabric_protos::protos::TxValidationCode;
/// The gRPC status codes carried by [`RpcError`].
pub use tonic::Code;
