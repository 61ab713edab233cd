//! The asset-transfer-basic contract, in Rust.
//!
//! A function-by-function port of Fabric's `asset-transfer-basic` **JavaScript** chaincode
//! (fabric-samples `asset-transfer-basic/chaincode-javascript/lib/assetTransfer.js`): the same
//! transaction names and parameters, the same ledger values byte for byte (JSON with sorted keys,
//! as `json-stringify-deterministic` + `sort-keys-recursive` write them), the same results and
//! the same error messages. `tests/contract_asset_transfer.rs` replays the requests and replies
//! recorded from the JavaScript chaincode on a Fabric v3.1.5 network against this contract.
//!
//! Where the JavaScript sample does something odd, this port does it too, on purpose:
//! `UpdateAsset` stores size and value as strings (the JavaScript never converts them), and
//! `UpdateAsset`/`DeleteAsset` return `{"type":"Buffer","data":[]}` (the JavaScript returns the
//! awaited `putState`/`deleteState`, an empty Node `Buffer`, which Node's serializer writes as
//! JSON). One deliberate difference: `CreateAsset` takes `size` and `appraisedValue` as JSON
//! integers (`u64`), where the JavaScript applies `Number()` to any text (and stores `null` for
//! `abc` or rounds values above 2^53); every integer up to 2^53 gives the same bytes.

use fabric_chaincode::contract::{
    Context, Contract, ContractChaincode, ContractError, Info, JsonSchema, json,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The contract's name (the JavaScript class name); it is the default contract.
pub const CONTRACT_NAME: &str = "AssetTransfer";

/// An asset. Fields are in the order the JavaScript `CreateAsset` builds its object, which is
/// the order of its JSON result; the ledger value has its keys sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Asset {
    /// The asset id (also its key).
    #[serde(rename = "ID")]
    pub id: String,
    /// The color.
    #[serde(rename = "Color")]
    pub color: String,
    /// The size.
    #[serde(rename = "Size")]
    pub size: u64,
    /// The owner's name.
    #[serde(rename = "Owner")]
    pub owner: String,
    /// The appraised value.
    #[serde(rename = "AppraisedValue")]
    pub appraised_value: u64,
    /// `"asset"` for the assets `InitLedger` writes; absent otherwise.
    #[serde(rename = "docType", default, skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<String>,
}

/// The asset `UpdateAsset` writes: the JavaScript stores the arguments as they come, so size
/// and value are strings.
#[derive(Debug, Serialize)]
struct UpdatedAsset<'a> {
    #[serde(rename = "ID")]
    id: &'a str,
    #[serde(rename = "Color")]
    color: &'a str,
    #[serde(rename = "Size")]
    size: &'a str,
    #[serde(rename = "Owner")]
    owner: &'a str,
    #[serde(rename = "AppraisedValue")]
    appraised_value: &'a str,
}

/// What the JavaScript `UpdateAsset` and `DeleteAsset` return: the payload of the peer's reply
/// to `PUT_STATE`/`DEL_STATE` (always empty) as a Node `Buffer`, which Node's JSON serializer
/// writes as `{"type":"Buffer","data":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct NodeBuffer {
    /// Always `"Buffer"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The bytes, as numbers.
    pub data: Vec<u8>,
}

impl NodeBuffer {
    fn empty() -> Self {
        NodeBuffer {
            kind: "Buffer".to_owned(),
            data: Vec::new(),
        }
    }
}

/// The bytes as text, invalid UTF-8 replaced by U+FFFD (as Node's `Buffer.toString()` does).
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn does_not_exist(id: &str) -> ContractError {
    ContractError::new(format!("The asset {id} does not exist"))
}

/// Writes the six sample assets.
pub async fn init_ledger(ctx: Context) -> Result<(), ContractError> {
    let assets = [
        ("asset1", "blue", 5, "Tomoko", 300),
        ("asset2", "red", 5, "Brad", 400),
        ("asset3", "green", 10, "Jin Soo", 500),
        ("asset4", "yellow", 10, "Max", 600),
        ("asset5", "black", 15, "Adriana", 700),
        ("asset6", "white", 15, "Michel", 800),
    ];
    for (id, color, size, owner, appraised_value) in assets {
        let asset = Asset {
            id: id.to_owned(),
            color: color.to_owned(),
            size,
            owner: owner.to_owned(),
            appraised_value,
            doc_type: Some("asset".to_owned()),
        };
        ctx.put_json(id, &asset).await?;
    }
    Ok(())
}

/// Creates an asset; fails if the id is taken. Returns the asset.
pub async fn create_asset(
    ctx: Context,
    id: String,
    color: String,
    size: u64,
    owner: String,
    appraised_value: u64,
) -> Result<Asset, ContractError> {
    if asset_exists(ctx.clone(), id.clone()).await? {
        return Err(ContractError::new(format!("The asset {id} already exists")));
    }
    let asset = Asset {
        id,
        color,
        size,
        owner,
        appraised_value,
        doc_type: None,
    };
    ctx.put_json(&asset.id, &asset).await?;
    Ok(asset)
}

/// The stored asset, as stored.
pub async fn read_asset(ctx: Context, id: String) -> Result<String, ContractError> {
    match ctx.stub().get_state(&id).await? {
        Some(bytes) => Ok(text(&bytes)),
        None => Err(does_not_exist(&id)),
    }
}

/// Replaces an existing asset (size and value are stored as the strings given).
pub async fn update_asset(
    ctx: Context,
    id: String,
    color: String,
    size: String,
    owner: String,
    appraised_value: String,
) -> Result<NodeBuffer, ContractError> {
    if !asset_exists(ctx.clone(), id.clone()).await? {
        return Err(does_not_exist(&id));
    }
    let asset = UpdatedAsset {
        id: &id,
        color: &color,
        size: &size,
        owner: &owner,
        appraised_value: &appraised_value,
    };
    ctx.put_json(&id, &asset).await?;
    Ok(NodeBuffer::empty())
}

/// Deletes an existing asset.
pub async fn delete_asset(ctx: Context, id: String) -> Result<NodeBuffer, ContractError> {
    if !asset_exists(ctx.clone(), id.clone()).await? {
        return Err(does_not_exist(&id));
    }
    ctx.stub().del_state(&id).await?;
    Ok(NodeBuffer::empty())
}

/// Whether the asset exists.
pub async fn asset_exists(ctx: Context, id: String) -> Result<bool, ContractError> {
    ctx.exists(&id).await
}

/// Gives an asset a new owner; returns the previous owner.
pub async fn transfer_asset(
    ctx: Context,
    id: String,
    new_owner: String,
) -> Result<String, ContractError> {
    let stored = read_asset(ctx.clone(), id.clone()).await?;
    let mut asset: Value = serde_json::from_str(&stored)
        .map_err(|e| ContractError::new(format!("The asset {id} is not valid JSON: {e}")))?;
    let Some(fields) = asset.as_object_mut() else {
        return Err(ContractError::new(format!(
            "The asset {id} is not a JSON object"
        )));
    };
    let old_owner = fields.insert("Owner".to_owned(), Value::String(new_owner));
    ctx.put_json(&id, &asset).await?;
    // The JavaScript returns the old `Owner` value as is: a string as its text, a missing one
    // as an empty payload, anything else as JSON.
    Ok(match old_owner {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(owner)) => owner,
        Some(other) => json::to_sorted_string(&other)?,
    })
}

/// Every value in the namespace (parsed as JSON where possible, else as a string), as a JSON
/// array.
pub async fn get_all_assets(ctx: Context) -> Result<String, ContractError> {
    let mut results = ctx.stub().get_state_by_range("", "").await?;
    let mut records = Vec::new();
    // Like the JavaScript, the iterator is not closed explicitly: the peer closes every
    // iterator when the transaction ends.
    while let Some(kv) = results.next().await? {
        let text = text(&kv.value);
        let record = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
        records.push(record);
    }
    Ok(json::to_sorted_string(&records)?)
}

/// The contract with its eight transactions.
pub fn contract() -> Contract {
    Contract::new(CONTRACT_NAME)
        .submit("InitLedger", init_ledger, [])
        .submit(
            "CreateAsset",
            create_asset,
            ["id", "color", "size", "owner", "appraisedValue"],
        )
        .evaluate("ReadAsset", read_asset, ["id"])
        .submit(
            "UpdateAsset",
            update_asset,
            ["id", "color", "size", "owner", "appraisedValue"],
        )
        .submit("DeleteAsset", delete_asset, ["id"])
        .evaluate("AssetExists", asset_exists, ["id"])
        .submit("TransferAsset", transfer_asset, ["id", "newOwner"])
        .evaluate("GetAllAssets", get_all_assets, [])
}

/// The chaincode: the contract, as the default.
pub fn chaincode() -> fabric_chaincode::Result<ContractChaincode> {
    ContractChaincode::builder()
        .info(Info::new("asset-transfer-basic", "1.0.0"))
        .contract(contract())
        .build()
}
