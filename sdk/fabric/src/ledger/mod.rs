//! Fabric ledger semantics, sans I/O: what a peer does with a transaction's ledger requests,
//! the read-write sets it builds, and how it validates and commits them.
//!
//! | module | what it offers |
//! |---|---|
//! | [`state`] | [`Version`], [`VersionedValue`], private values and hashes, history, the [`StateReader`] trait a state database implements |
//! | [`memory`] | [`MemoryState`]: a complete in-memory state (public, private, hashes, history, block-to-live) |
//! | [`simulator`] | [`TxSimulator`]: answers a chaincode's shim requests like a Fabric peer and builds the read-write sets ([`Simulation`]) |
//! | [`rwset`] | decoded read-write sets ([`TxRwSet`], [`TxPvtRwSet`]) |
//! | [`updates`] | [`BlockTx`], [`UpdateBatch`]: a block's writes resolved for commit |
//! | [`mvcc`] | [`validate_block`]: MVCC and phantom-read validation with Fabric's codes |
//!
//! Typical flow (a devnet peer or the chaincode test ledger):
//!
//! ```
//! use fabric_sdk::ledger::{MemoryState, SimulatorConfig, TxSimulator, validate_block};
//! use fabric_sdk::protos::protos::{PutState, chaincode_message::Type};
//! use fabric_sdk::protos::Message;
//!
//! let mut state = MemoryState::new();
//! let mut sim = TxSimulator::new(&state, SimulatorConfig::new("mycc", "tx1", "Org1MSP"));
//! let put = PutState { key: "k".into(), value: "v".into(), collection: String::new() };
//! sim.handle(Type::PutState, &put.encode_to_vec()).unwrap();
//! let simulation = sim.finish();
//! let tx = simulation.to_block_tx(0, "tx1").unwrap();
//! let validation = validate_block(&state, 0, &[tx]).unwrap();
//! state.commit(&validation.batch).unwrap();
//! ```
//!
//! The rules implemented and the known differences from Fabric are listed in
//! `docs/ledger-semantics.md`.

#![warn(missing_docs)]

pub mod memory;
mod merkle;
pub mod mvcc;
pub mod rwset;
pub mod simulator;
pub mod state;
pub mod updates;

pub use memory::MemoryState;
pub use merkle::MAX_DEGREE_QUERY_READS_HASHING;
pub use mvcc::{BlockValidation, validate_block, validate_tx};
pub use rwset::{
    CollHashedRwSet, CollPvtRwSet, NsPvtRwSet, NsRwSet, TxPvtRwSet, TxRwSet, key_hash,
};
pub use simulator::{
    ChaincodeDefinitionInfo, DEFAULT_TOTAL_QUERY_LIMIT, INITIALIZED_KEY, KeyRef,
    LIFECYCLE_NAMESPACE, MAX_RESULT_LIMIT, Simulation, SimulatorConfig, TxSimulator, iterator_id,
};
pub use state::{
    HashedValue, HistoryEntry, KeyValue, Metadata, PrivateValue, StateReader, Version,
    VersionedValue, in_range, key_after,
};
pub use updates::{BlockTx, HistoryRecord, MissingPrivateData, UpdateBatch, prepare_block};
