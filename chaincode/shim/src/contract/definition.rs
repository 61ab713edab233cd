//! [`Contract`]: a named group of transaction functions with hooks.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use serde::Serialize;

use super::handler::{Handler, TxFunction};
use super::{Context, ContractError};

/// Whether a transaction is meant to be submitted (endorsed and ordered: it writes) or only
/// evaluated (a query). Fabric does not enforce this; clients and tools read it from the
/// metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Tagged `["submit", "SUBMIT"]` in the metadata, as Go's contract API tags it.
    Submit,
    /// Tagged `["evaluate", "EVALUATE"]`.
    Evaluate,
}

/// Title, version and description of a contract or chaincode (the metadata's `info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Info {
    /// A short title.
    pub title: String,
    /// A version (`latest` if not given, as Go's contract API does).
    pub version: String,
    /// A longer description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Info {
    /// Info with a title and a version.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Info {
            title: title.into(),
            version: version.into(),
            description: None,
        }
    }

    /// The same info with a description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

pub(crate) type BeforeFn =
    dyn Fn(Context) -> BoxFuture<'static, Result<(), ContractError>> + Send + Sync;
pub(crate) type AfterFn =
    dyn Fn(Context, Bytes) -> BoxFuture<'static, Result<(), ContractError>> + Send + Sync;

/// One registered transaction function.
#[derive(Clone)]
pub(crate) struct Transaction {
    pub(crate) kind: Kind,
    pub(crate) function: TxFunction,
    pub(crate) params: Vec<String>,
}

/// A contract: named transaction functions, each marked submit or evaluate, with optional hooks.
///
/// ```
/// use fabric_chaincode::contract::{Context, Contract, ContractError};
///
/// async fn greet(_ctx: Context, name: String) -> Result<String, ContractError> {
///     Ok(format!("Hello, {name}"))
/// }
///
/// let contract = Contract::new("Greeter").evaluate("Greet", greet, ["name"]);
/// ```
///
/// A call reaches the contract as `"Greeter:Greet"` (or `"Greet"` if it is the default
/// contract). Then: the before hook, the function (or the unknown-function handler), the after
/// hook; the first error ends the transaction with that error.
#[derive(Clone)]
pub struct Contract {
    pub(crate) name: String,
    pub(crate) info: Option<Info>,
    pub(crate) transactions: BTreeMap<String, Transaction>,
    pub(crate) before: Option<Arc<BeforeFn>>,
    pub(crate) after: Option<Arc<AfterFn>>,
    pub(crate) unknown: Option<TxFunction>,
    /// Definition mistakes, reported by [`ContractChaincode::builder`]'s `build`.
    ///
    /// [`ContractChaincode::builder`]: super::ContractChaincode::builder
    pub(crate) problems: Vec<String>,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("name", &self.name)
            .field(
                "transactions",
                &self.transactions.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Contract {
    /// An empty contract called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Contract {
            name: name.into(),
            info: None,
            transactions: BTreeMap::new(),
            before: None,
            after: None,
            unknown: None,
            problems: Vec::new(),
        }
    }

    /// The contract's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The contract's metadata info (default: the name as title, version `latest`).
    #[must_use]
    pub fn info(mut self, info: Info) -> Self {
        self.info = Some(info);
        self
    }

    /// Registers a transaction that writes (clients submit it). `params` names the parameters
    /// after the context, in order; their count must equal the function's (checked when the
    /// program is compiled).
    #[must_use]
    pub fn submit<H, Args, const N: usize>(self, name: &str, handler: H, params: [&str; N]) -> Self
    where
        H: Handler<Args>,
    {
        const {
            assert!(
                N == H::ARITY,
                "the parameter names must match the function's parameters"
            )
        };
        self.add(Kind::Submit, name, handler.into_function(), &params)
    }

    /// Registers a query (clients evaluate it). `params` as for [`Contract::submit`].
    #[must_use]
    pub fn evaluate<H, Args, const N: usize>(
        self,
        name: &str,
        handler: H,
        params: [&str; N],
    ) -> Self
    where
        H: Handler<Args>,
    {
        const {
            assert!(
                N == H::ARITY,
                "the parameter names must match the function's parameters"
            )
        };
        self.add(Kind::Evaluate, name, handler.into_function(), &params)
    }

    fn add(mut self, kind: Kind, name: &str, function: TxFunction, params: &[&str]) -> Self {
        if name.is_empty() {
            self.problems.push(format!(
                "contract {}: a transaction has an empty name",
                self.name
            ));
        }
        for (i, p) in params.iter().enumerate() {
            if p.is_empty() {
                self.problems.push(format!(
                    "contract {}, transaction {name}: parameter {} has an empty name",
                    self.name,
                    i + 1
                ));
            } else if params[..i].contains(p) {
                self.problems.push(format!(
                    "contract {}, transaction {name}: parameter name {p} is used twice",
                    self.name
                ));
            }
        }
        let tx = Transaction {
            kind,
            function,
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        };
        if self.transactions.insert(name.to_owned(), tx).is_some() {
            self.problems.push(format!(
                "contract {}: transaction {name} is registered twice",
                self.name
            ));
        }
        self
    }

    /// Runs before every transaction function of this contract (also before the unknown-function
    /// handler, as in Go's contract API). An error rejects the transaction.
    #[must_use]
    pub fn before<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn(Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<ContractError> + 'static,
    {
        self.before = Some(Arc::new(move |ctx| {
            let fut = hook(ctx);
            Box::pin(async move { fut.await.map_err(Into::into) })
        }));
        self
    }

    /// Runs after a transaction function (or the unknown-function handler) succeeded, with the
    /// response payload it produced. An error fails the transaction instead.
    #[must_use]
    pub fn after<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn(Context, Bytes) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<ContractError> + 'static,
    {
        self.after = Some(Arc::new(move |ctx, payload| {
            let fut = hook(ctx, payload);
            Box::pin(async move { fut.await.map_err(Into::into) })
        }));
        self
    }

    /// Answers calls of functions this contract does not have (default: the error
    /// `Function X not found in contract Y`). The handler takes only the context; the
    /// arguments are in `ctx.stub().parameters()`. Its result is encoded like a transaction
    /// function's.
    #[must_use]
    pub fn unknown<H: Handler<()>>(mut self, handler: H) -> Self {
        self.unknown = Some(handler.into_function());
        self
    }
}
