//! The `Interop` contract: what the Gateway interop test needs beyond asset-transfer-basic —
//! a chaincode event per write, and private data written from the transient map. Its JavaScript
//! twin is `tests/interop/chaincode-node/lib/interop.js`; both give the same results, errors and
//! events byte for byte.

use fabric_chaincode::contract::{Context, Contract, ContractError};

/// The contract's name (call its functions as `Interop:<function>`).
pub const CONTRACT_NAME: &str = "Interop";
/// The event `SetValue` emits.
pub const VALUE_SET: &str = "ValueSet";
/// The transient field `PutPrivate` reads the value from.
pub const TRANSIENT_VALUE: &str = "value";

/// The bytes as text, invalid UTF-8 replaced by U+FFFD (as Node's `Buffer.toString()` does).
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A failed ledger request with the peer's text as the message, as the Node shim reports it
/// (the Rust shim's own error says which request the peer refused).
fn ledger_error(e: fabric_chaincode::Error) -> ContractError {
    match e {
        fabric_chaincode::Error::Peer { message, .. } => ContractError::new(message),
        other => other.into(),
    }
}

/// Writes `value` under `key` (after reading it, so concurrent writers conflict), emits
/// `ValueSet` with `{"key":…,"value":…}`, and returns the previous value (empty if none).
pub async fn set_value(ctx: Context, key: String, value: String) -> Result<String, ContractError> {
    let stub = ctx.stub();
    let previous = stub.get_state(&key).await.map_err(ledger_error)?;
    stub.put_state(&key, value.clone().into_bytes())
        .await
        .map_err(ledger_error)?;
    let event = serde_json::json!({ "key": key, "value": value });
    stub.set_event(VALUE_SET, event.to_string().into_bytes())?;
    Ok(previous.map(|b| text(&b)).unwrap_or_default())
}

/// Writes the transient field `value` under `key` in `collection`.
pub async fn put_private(
    ctx: Context,
    collection: String,
    key: String,
) -> Result<(), ContractError> {
    let value = match ctx.transient(TRANSIENT_VALUE)? {
        Some(v) if !v.is_empty() => v.clone(),
        _ => {
            return Err(ContractError::new(format!(
                "The transient field \"{TRANSIENT_VALUE}\" is required"
            )));
        }
    };
    ctx.stub()
        .put_private_data(&collection, &key, value)
        .await
        .map_err(ledger_error)
}

/// The value of `key` in `collection`.
pub async fn get_private(
    ctx: Context,
    collection: String,
    key: String,
) -> Result<String, ContractError> {
    match ctx
        .stub()
        .get_private_data(&collection, &key)
        .await
        .map_err(ledger_error)?
    {
        Some(b) if !b.is_empty() => Ok(text(&b)),
        _ => Err(ContractError::new(format!(
            "The private value {key} does not exist in {collection}"
        ))),
    }
}

/// The contract with its three transactions.
pub fn contract() -> Contract {
    Contract::new(CONTRACT_NAME)
        .submit("SetValue", set_value, ["key", "value"])
        .submit("PutPrivate", put_private, ["collection", "key"])
        .evaluate("GetPrivate", get_private, ["collection", "key"])
}
