//! The contract API: typed transaction functions grouped in contracts, as the Go
//! (`fabric-contract-api-go`) and Node (`fabric-contract-api`) contract APIs offer.
//!
//! ```
//! use fabric_chaincode::contract::{Context, Contract, ContractChaincode, ContractError};
//!
//! async fn put(ctx: Context, key: String, value: u64) -> Result<(), ContractError> {
//!     ctx.put_json(&key, &value).await
//! }
//!
//! async fn get(ctx: Context, key: String) -> Result<u64, ContractError> {
//!     ctx.get_json(&key)
//!         .await?
//!         .ok_or_else(|| ContractError::new(format!("The key {key} does not exist")))
//! }
//!
//! let chaincode = ContractChaincode::builder()
//!     .contract(
//!         Contract::new("Counter")
//!             .submit("Put", put, ["key", "value"])
//!             .evaluate("Get", get, ["key"]),
//!     )
//!     .build()?;
//! # Ok::<(), fabric_chaincode::Error>(())
//! ```
//!
//! - Routing: the first argument is `"Contract:Function"` (split at the first `:`), or a bare
//!   `"Function"` of the default contract. [`ContractChaincode`] implements
//!   [`Chaincode`](crate::Chaincode), so it plugs into [`ConnectService`](crate::ConnectService).
//! - Arguments: a string parameter takes the argument as is; every other parameter type is
//!   parsed from the argument as JSON (details in [`args`]). A wrong argument count or an
//!   argument that does not parse fails the transaction (status 500, as in Go and Node) with a
//!   message naming the function, the parameter and the expected type.
//! - Results: `()` → empty payload, a string → its bytes, anything else → JSON (details in
//!   [`payload`]); an error → its status (500 unless the function chose 400–499) and message.
//! - Hooks per contract: [`Contract::before`], [`Contract::after`], [`Contract::unknown`].
//! - Metadata: the system contract `org.hyperledger.fabric` answers `GetMetadata` with JSON
//!   metadata in the format of the Go and Node contract APIs ([`metadata`]).
//!
//! See `chaincode/shim/docs/contract.md` for a guide with the asset-transfer example.

pub mod args;
mod context;
mod definition;
mod error;
mod handler;
pub mod json;
pub mod metadata;
pub mod payload;
mod router;
mod sorted;

pub use context::Context;
pub use definition::{Contract, Info, Kind};
pub use error::ContractError;
pub use handler::{Handler, TxFunction, TxResult};
pub use router::{
    ContractChaincode, ContractChaincodeBuilder, DEFAULT_INIT_MESSAGE, SYSTEM_CONTRACT,
};

/// Re-exported so that contracts can derive `JsonSchema` without naming the crate themselves.
pub use schemars::{self, JsonSchema};
