//! [`Context`]: what a transaction function receives first.

use std::sync::Arc;

use bytes::Bytes;
use fabric_protos::Timestamp;
use fabric_sdk::identity::ClientIdentity;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ContractError;
use super::args::short_type_name;
use super::json;
use crate::stub::Stub;

/// The transaction context: the stub, the caller, and typed ledger helpers.
///
/// Cheap to clone (reference-counted); the before hook, the transaction function, the after hook
/// and the unknown-function handler of one transaction all see the same transaction.
#[derive(Clone, Debug)]
pub struct Context {
    stub: Stub,
    contract: Arc<str>,
    function: Arc<str>,
}

impl Context {
    /// A context for one call of `contract:function` (the router makes these; tests may too).
    pub fn new(stub: Stub, contract: impl Into<Arc<str>>, function: impl Into<Arc<str>>) -> Self {
        Context {
            stub,
            contract: contract.into(),
            function: function.into(),
        }
    }

    /// The full stub API.
    pub fn stub(&self) -> &Stub {
        &self.stub
    }

    /// The name of the contract being called.
    pub fn contract_name(&self) -> &str {
        &self.contract
    }

    /// The name of the transaction function being called (without the contract prefix).
    pub fn function_name(&self) -> &str {
        &self.function
    }

    /// The transaction id.
    pub fn txid(&self) -> &str {
        self.stub.txid()
    }

    /// The channel.
    pub fn channel_id(&self) -> &str {
        self.stub.channel_id()
    }

    /// The client that signed the proposal: MSP id, ID string, attributes, OUs, certificate.
    pub fn client_identity(&self) -> Result<&ClientIdentity, ContractError> {
        Ok(self.stub.client_identity()?)
    }

    /// The client's MSP id.
    pub fn client_msp_id(&self) -> Result<&str, ContractError> {
        Ok(self.client_identity()?.msp_id())
    }

    /// The client's ID as Go's `cid.GetID` returns it:
    /// `base64("x509::" + subject DN + "::" + issuer DN)`.
    pub fn client_id(&self) -> Result<String, ContractError> {
        Ok(self.client_identity()?.id())
    }

    /// The client's timestamp from the proposal. Use it instead of a clock: every endorser sees
    /// the same value.
    pub fn tx_timestamp(&self) -> Result<Timestamp, ContractError> {
        Ok(self.stub.tx_timestamp()?)
    }

    /// One value of the proposal's transient map.
    pub fn transient(&self, name: &str) -> Result<Option<&Bytes>, ContractError> {
        Ok(self.stub.transient_value(name)?)
    }

    /// Whether a key has a (non-empty) committed value.
    pub async fn exists(&self, key: &str) -> Result<bool, ContractError> {
        Ok(self.stub.get_state(key).await?.is_some())
    }

    /// Reads a key and parses its value as JSON; `None` if the key does not exist.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, ContractError> {
        let Some(bytes) = self.stub.get_state(key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            ContractError::new(format!(
                "the value of key {key:?} is not a valid {}: {e}",
                short_type_name(std::any::type_name::<T>())
            ))
        })
    }

    /// Writes a value as sorted JSON ([`json::to_sorted_vec`]: every object's keys in order, as
    /// the Fabric samples write ledger values).
    pub async fn put_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ContractError> {
        let bytes = json::to_sorted_vec(value)
            .map_err(|e| ContractError::new(format!("cannot encode the value of {key:?}: {e}")))?;
        Ok(self.stub.put_state(key, bytes).await?)
    }
}
