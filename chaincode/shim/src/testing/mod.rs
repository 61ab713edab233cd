//! The test ledger: unit-test chaincode with Fabric's ledger semantics and no network (feature
//! `testing`; enable it in your `[dev-dependencies]`).
//!
//! A [`TestLedger`] is one channel's committed state in memory. A transaction is a real signed
//! proposal from a [`TestIdentity`] (a generated X.509 certificate with NodeOU, OUs and Fabric CA
//! attributes), run through the real [`Stub`](crate::Stub) and transaction handler, with every
//! ledger request answered by `fabric_sdk::ledger::TxSimulator` — the simulator proven byte for
//! byte against recorded Fabric networks. So what a test sees is what a peer does:
//!
//! - no read-your-writes within a transaction; an empty value is a delete;
//! - composite keys, range queries in batches of 100 (`QUERY_STATE_NEXT`), pagination with
//!   bookmarks (read-only transactions only), history newest first;
//! - private data: writes leave only hashes in the public read-write set, membership
//!   (`memberOnlyRead`/`memberOnlyWrite`) is enforced, implicit org collections;
//! - key-level endorsement metadata; one event per transaction (the last set);
//! - transaction timestamp, creator and transient data from the proposal;
//! - blocks validated with MVCC and phantom-read checks ([`TestLedger::commit_block`]).
//!
//! ```
//! use fabric_chaincode::testing::{TestIdentity, TestLedger};
//! use fabric_chaincode::{Chaincode, Response, Stub, chaincode};
//! use fabric_protos::protos::TxValidationCode;
//!
//! /// `Set key value` and `Get key`.
//! struct Kv;
//!
//! impl Chaincode for Kv {
//!     async fn invoke(&self, stub: Stub) -> Response {
//!         let args = stub.string_args().unwrap_or_default();
//!         let result = match args.as_slice() {
//!             [f, k, v] if f == "Set" => stub.put_state(k, v.clone().into_bytes()).await.map(|_| Vec::new()),
//!             [f, k] if f == "Get" => stub.get_state(k).await.map(|v| v.unwrap_or_default().to_vec()),
//!             _ => return chaincode::error("unknown function"),
//!         };
//!         match result {
//!             Ok(payload) => chaincode::success(payload),
//!             Err(e) => chaincode::error(e.to_string()),
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let ledger = TestLedger::new("kv");
//! let alice = TestIdentity::new("Org1MSP")?;
//!
//! let set = ledger.tx(&alice).function("Set").args(["color", "blue"]).submit(&Kv).await?;
//! assert!(set.is_valid());
//! assert_eq!(ledger.state("color").as_deref(), Some(&b"blue"[..]));
//!
//! // Two transactions endorsed on the same state, ordered in one block: the second one read a
//! // key the first one changed.
//! let a = ledger.tx(&alice).function("Get").arg("color").simulate(&Kv).await?;
//! let b = ledger.tx(&alice).function("Set").args(["color", "red"]).simulate(&Kv).await?;
//! let c = ledger.tx(&alice).function("Set").args(["color", "green"]).simulate(&Kv).await?;
//! assert_eq!(
//!     ledger.commit_block([&b, &a, &c])?,
//!     [TxValidationCode::Valid, TxValidationCode::MvccReadConflict, TxValidationCode::Valid],
//! );
//! assert_eq!(ledger.history("color").len(), 3);
//! # Ok::<(), fabric_chaincode::Error>(())
//! # }).unwrap();
//! ```
//!
//! (`Set` writes without reading, so `c` is valid and its write wins.)
//!
//! The guide, with the whole API and a complete contract test, is `chaincode/shim/docs/testing.md`.

mod cert;
mod der;
mod identity;
mod ledger;
mod peer;
mod state;
mod tx;

pub use identity::{TestIdentity, TestIdentityBuilder};
pub use ledger::{DEFAULT_CHANNEL, DEFAULT_TIME, TestLedger};
pub use tx::{TxBuilder, TxOutcome};

pub use fabric_protos::protos::TxValidationCode;
pub use fabric_sdk::ledger::{
    HistoryEntry, Metadata, Simulation, TxRwSet, Version, VersionedValue,
};

/// `docs/testing.md`, compiled and run as a doctest so its examples stay true.
#[cfg(doctest)]
#[doc = include_str!("../../docs/testing.md")]
pub struct TestingGuide;
