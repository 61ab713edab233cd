//! [`ContractChaincode`]: routes `"Contract:Function"` calls to contracts.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use fabric_protos::protos::Response;

use super::args::{describe_expected, short_type_name, show_argument};
use super::definition::{Contract, Info, Transaction};
use super::metadata;
use super::{Context, ContractError};
use crate::chaincode::{self, Chaincode};
use crate::stub::Stub;
use crate::{Error, Result};

/// The name of the system contract every contract chaincode has (`org.hyperledger.fabric`),
/// with the one transaction `GetMetadata`.
pub const SYSTEM_CONTRACT: &str = "org.hyperledger.fabric";

/// What a chaincode answers when called with no arguments at all, or as init with an empty
/// function name (the Go and Node contract APIs' text).
pub const DEFAULT_INIT_MESSAGE: &str = "Default initiator successful.";

/// One contract, with what the router needs precomputed.
struct Routed {
    contract: Contract,
    /// Per transaction: "name: Type" of each parameter and how it is expected.
    params: BTreeMap<String, Vec<ParamInfo>>,
}

struct ParamInfo {
    name: String,
    type_name: String,
    expected: String,
}

/// A chaincode made of contracts: implements [`Chaincode`] by routing each call to a contract's
/// transaction function.
///
/// The first argument names the function: `"Contract:Function"` calls `Function` of
/// `Contract`; a bare `"Function"` (or `":Function"`) calls the default contract. The split is
/// at the first `:` (as the Node contract API does; so contract names cannot contain `:` but
/// function names can). The other arguments are the function's parameters.
///
/// ```
/// use fabric_chaincode::contract::{Context, Contract, ContractChaincode, ContractError};
///
/// async fn ping(_ctx: Context) -> Result<String, ContractError> {
///     Ok("pong".into())
/// }
///
/// let chaincode = ContractChaincode::builder()
///     .contract(Contract::new("Health").evaluate("Ping", ping, []))
///     .build()
///     .expect("a valid definition");
/// assert_eq!(chaincode.default_contract(), "Health");
/// ```
pub struct ContractChaincode {
    contracts: BTreeMap<String, Routed>,
    default: String,
    metadata: Bytes,
}

impl std::fmt::Debug for ContractChaincode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractChaincode")
            .field("contracts", &self.contracts.keys().collect::<Vec<_>>())
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

/// Collects contracts; [`ContractChaincodeBuilder::build`] checks the definition.
#[derive(Debug, Default)]
pub struct ContractChaincodeBuilder {
    contracts: Vec<Contract>,
    default: Option<String>,
    info: Option<Info>,
}

impl ContractChaincodeBuilder {
    /// Adds a contract. The first one added is the default unless
    /// [`default_contract`](Self::default_contract) names another.
    #[must_use]
    pub fn contract(mut self, contract: Contract) -> Self {
        self.contracts.push(contract);
        self
    }

    /// Names the contract that answers bare function names.
    #[must_use]
    pub fn default_contract(mut self, name: impl Into<String>) -> Self {
        self.default = Some(name.into());
        self
    }

    /// The chaincode's metadata info (default: title `undefined`, version `latest`, as Go's
    /// contract API).
    #[must_use]
    pub fn info(mut self, info: Info) -> Self {
        self.info = Some(info);
        self
    }

    /// Checks the definition and computes the metadata. Fails ([`Error::Config`], listing every
    /// problem) if there is no contract, a contract has no transaction, a name is empty or
    /// repeated, a contract name contains `:` or is the system contract's, or the default
    /// contract does not exist.
    pub fn build(self) -> Result<ContractChaincode> {
        let mut problems = Vec::new();
        if self.contracts.is_empty() {
            problems.push("a contract chaincode needs at least one contract".to_owned());
        }
        let mut names = BTreeSet::new();
        for c in &self.contracts {
            if c.name.trim().is_empty() {
                problems.push("a contract has an empty name".to_owned());
            } else if c.name.contains(':') {
                problems.push(format!(
                    "contract name {:?} contains ':', which separates the contract from the \
                     function",
                    c.name
                ));
            } else if c.name == SYSTEM_CONTRACT {
                problems.push(format!("contract name {SYSTEM_CONTRACT} is reserved"));
            }
            if !names.insert(c.name.as_str()) {
                problems.push(format!("contract {} is added twice", c.name));
            }
            if c.transactions.is_empty() {
                problems.push(format!("contract {} has no transaction", c.name));
            }
            problems.extend(c.problems.iter().cloned());
        }
        let default = match self.default {
            Some(d) => d,
            None => self
                .contracts
                .first()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        };
        if !self.contracts.is_empty() && !names.contains(default.as_str()) {
            problems.push(format!(
                "the default contract {default} is not one of the contracts"
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Config(format!(
                "invalid contract chaincode: {}",
                problems.join("; ")
            )));
        }

        let info = self
            .info
            .unwrap_or_else(|| Info::new("undefined", "latest"));
        let built = metadata::build(&info, &self.contracts, &default);
        let mut contracts = BTreeMap::new();
        for contract in self.contracts {
            let mut params = BTreeMap::new();
            for (tx_name, tx) in &contract.transactions {
                let types = built
                    .param_types
                    .get(&(contract.name.clone(), tx_name.clone()))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let infos = tx
                    .params
                    .iter()
                    .zip(types)
                    .map(|(name, t)| {
                        let type_name = short_type_name(t.type_name);
                        ParamInfo {
                            name: name.clone(),
                            expected: describe_expected(&type_name, built.resolve(&t.schema)),
                            type_name,
                        }
                    })
                    .collect();
                params.insert(tx_name.clone(), infos);
            }
            contracts.insert(contract.name.clone(), Routed { contract, params });
        }
        Ok(ContractChaincode {
            contracts,
            default,
            metadata: Bytes::from(built.json),
        })
    }
}

impl ContractChaincode {
    /// Starts a definition.
    pub fn builder() -> ContractChaincodeBuilder {
        ContractChaincodeBuilder::default()
    }

    /// The contract that answers bare function names.
    pub fn default_contract(&self) -> &str {
        &self.default
    }

    /// The names of the contracts (sorted; without the system contract).
    pub fn contract_names(&self) -> impl Iterator<Item = &str> {
        self.contracts.keys().map(String::as_str)
    }

    /// The metadata JSON that `org.hyperledger.fabric:GetMetadata` returns.
    pub fn metadata(&self) -> &Bytes {
        &self.metadata
    }

    /// Routes one call (what [`Chaincode::invoke`] and [`Chaincode::init`] do).
    pub async fn call(&self, stub: Stub) -> Response {
        match self.route(stub).await {
            Ok(payload) => chaincode::success(payload),
            Err(e) => e.into_response(),
        }
    }

    async fn route(&self, stub: Stub) -> std::result::Result<Bytes, ContractError> {
        let Some(first) = stub.args().first() else {
            return Ok(Bytes::from_static(DEFAULT_INIT_MESSAGE.as_bytes()));
        };
        let Ok(full) = std::str::from_utf8(first) else {
            return Err(ContractError::new(
                "the function name (the first argument) is not valid UTF-8",
            ));
        };
        if full.is_empty() && stub.is_init() {
            return Ok(Bytes::from_static(DEFAULT_INIT_MESSAGE.as_bytes()));
        }
        let (contract_name, function) = match full.split_once(':') {
            Some((c, f)) if !c.trim().is_empty() => (c, f),
            Some((_, f)) => (self.default.as_str(), f),
            None => (self.default.as_str(), full),
        };
        if contract_name == SYSTEM_CONTRACT {
            return if function == "GetMetadata" {
                Ok(self.metadata.clone())
            } else {
                Err(not_found(function, contract_name))
            };
        }
        let Some(routed) = self.contracts.get(contract_name) else {
            return Err(ContractError::new(format!(
                "Contract not found with name {contract_name}"
            )));
        };
        if function.is_empty() {
            return Err(ContractError::new("Blank function name passed"));
        }
        let contract = &routed.contract;
        let ctx = Context::new(stub.clone(), contract_name, function);
        if let Some(before) = &contract.before {
            before(ctx.clone()).await?;
        }
        let payload = match contract.transactions.get(function) {
            Some(tx) => {
                let params = routed
                    .params
                    .get(function)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                run(ctx.clone(), tx, params, stub.parameters()).await?
            }
            None => match &contract.unknown {
                Some(handler) => match (handler.call)(ctx.clone(), &[]) {
                    Ok(fut) => fut.await?,
                    Err(e) => return Err(ContractError::new(e.error.to_string())),
                },
                None => return Err(not_found(function, contract_name)),
            },
        };
        if let Some(after) = &contract.after {
            after(ctx, payload.clone()).await?;
        }
        Ok(payload)
    }
}

fn not_found(function: &str, contract: &str) -> ContractError {
    ContractError::new(format!(
        "Function {function} not found in contract {contract}"
    ))
}

async fn run(
    ctx: Context,
    tx: &Transaction,
    params: &[ParamInfo],
    args: &[Bytes],
) -> std::result::Result<Bytes, ContractError> {
    let function = ctx.function_name().to_owned();
    if args.len() != params.len() {
        let signature: Vec<String> = params
            .iter()
            .map(|p| format!("{}: {}", p.name, p.type_name))
            .collect();
        return Err(ContractError::new(format!(
            "Expected {} parameters, but {} have been supplied: {}:{function}({})",
            params.len(),
            args.len(),
            ctx.contract_name(),
            signature.join(", ")
        )));
    }
    let fut = (tx.function.call)(ctx, args).map_err(|e| {
        let (name, expected) = params
            .get(e.index)
            .map(|p| (p.name.as_str(), p.expected.as_str()))
            .unwrap_or(("?", "?"));
        let got = args
            .get(e.index)
            .map(|a| show_argument(a))
            .unwrap_or_default();
        ContractError::new(format!(
            "error managing parameter {name} ({} of {}) of {function}: expected {expected}, \
             got {got}: {}",
            e.index + 1,
            params.len(),
            e.error
        ))
    })?;
    fut.await
}

impl Chaincode for ContractChaincode {
    async fn invoke(&self, stub: Stub) -> Response {
        self.call(stub).await
    }
}
