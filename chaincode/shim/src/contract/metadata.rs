//! The metadata `org.hyperledger.fabric:GetMetadata` returns.
//!
//! The shape of the Go and Node contract APIs' metadata (validated by Fabric's
//! `contract-schema.json`):
//!
//! ```json
//! {
//!   "$schema": "https://hyperledger.github.io/fabric-chaincode-node/main/api/contract-schema.json",
//!   "components": {"schemas": {"Asset": {"$id": "Asset", "type": "object", "properties": {...}, "required": [...]}}},
//!   "contracts": {
//!     "AssetTransfer": {
//!       "default": true,
//!       "info": {"title": "AssetTransfer", "version": "latest"},
//!       "name": "AssetTransfer",
//!       "transactions": [
//!         {"name": "ReadAsset", "parameters": [{"name": "id", "schema": {"type": "string"}}],
//!          "returns": {"type": "string"}, "tag": ["evaluate", "EVALUATE"]}
//!       ]
//!     },
//!     "org.hyperledger.fabric": {...GetMetadata...}
//!   },
//!   "info": {"title": "undefined", "version": "latest"}
//! }
//! ```
//!
//! Schemas come from `schemars` (JSON Schema draft 7 keywords, references as
//! `#/components/schemas/<Name>`). The output is deterministic: transactions sorted by name,
//! parameters in declaration order, every object's keys sorted ([`super::json::to_sorted_vec`]).

use std::collections::BTreeMap;

use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::definition::{Contract, Info, Kind};
use super::handler::ParamType;
use super::json;
use super::router::SYSTEM_CONTRACT;

/// The `$schema` of the metadata (the Node contract API's value).
pub const METADATA_SCHEMA: &str =
    "https://hyperledger.github.io/fabric-chaincode-node/main/api/contract-schema.json";

/// Where component schemas live, for `$ref`.
const COMPONENTS_PATH: &str = "/components/schemas";

/// The schema generator used for parameter and return types.
fn generator() -> SchemaGenerator {
    SchemaSettings::draft07()
        .with(|s| {
            s.definitions_path = COMPONENTS_PATH.into();
            s.meta_schema = None;
        })
        .into_generator()
}

/// The parameter types of each (contract, transaction).
pub(crate) type ParamTypes = BTreeMap<(String, String), Vec<ParamType>>;

/// The metadata JSON, and what the router needs from it.
pub(crate) struct Built {
    pub(crate) json: Vec<u8>,
    /// The parameter types of every transaction.
    pub(crate) param_types: ParamTypes,
    /// The component schemas, by name.
    pub(crate) components: Map<String, Value>,
}

impl Built {
    /// A schema with a `$ref` to a component replaced by the component.
    pub(crate) fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .and_then(|name| self.components.get(name))
            .unwrap_or(schema)
    }
}

/// Builds the metadata JSON and collects the parameter types on the way.
pub(crate) fn build(info: &Info, contracts: &[Contract], default: &str) -> Built {
    let mut generator = generator();
    let mut param_types = ParamTypes::new();
    let mut contracts_json = Map::new();
    for contract in contracts {
        let mut transactions = Vec::new();
        for (name, tx) in &contract.transactions {
            let types = (tx.function.params)(&mut generator);
            let mut entry = Map::new();
            entry.insert("name".into(), json!(name));
            entry.insert("tag".into(), tag(tx.kind));
            if !types.is_empty() {
                let params: Vec<Value> = tx
                    .params
                    .iter()
                    .zip(&types)
                    .map(|(p, t)| json!({"name": p, "schema": t.schema}))
                    .collect();
                entry.insert("parameters".into(), Value::Array(params));
            }
            if let Some(returns) = (tx.function.returns)(&mut generator) {
                entry.insert("returns".into(), returns);
            }
            transactions.push(Value::Object(entry));
            param_types.insert((contract.name.clone(), name.clone()), types);
        }
        let info = contract
            .info
            .clone()
            .unwrap_or_else(|| Info::new(contract.name.clone(), "latest"));
        contracts_json.insert(
            contract.name.clone(),
            json!({
                "name": contract.name,
                "info": info,
                "default": contract.name == default,
                "transactions": transactions,
            }),
        );
    }
    contracts_json.insert(
        SYSTEM_CONTRACT.into(),
        json!({
            "name": SYSTEM_CONTRACT,
            "info": Info::new(SYSTEM_CONTRACT, "latest"),
            "default": false,
            "transactions": [{
                "name": "GetMetadata",
                "tag": tag(Kind::Evaluate),
                "returns": {"type": "string"},
            }],
        }),
    );
    let mut schemas = generator.take_definitions(true);
    for (name, schema) in schemas.iter_mut() {
        if let Value::Object(object) = schema {
            object.insert("$id".into(), json!(name));
        }
    }
    let metadata = json!({
        "$schema": METADATA_SCHEMA,
        "info": info,
        "contracts": contracts_json,
        "components": {"schemas": schemas},
    });
    // Serializing a serde_json::Value cannot fail.
    let json = json::to_sorted_vec(&metadata).unwrap_or_default();
    Built {
        json,
        param_types,
        components: schemas,
    }
}

fn tag(kind: Kind) -> Value {
    match kind {
        Kind::Submit => json!(["submit", "SUBMIT"]),
        Kind::Evaluate => json!(["evaluate", "EVALUATE"]),
    }
}
