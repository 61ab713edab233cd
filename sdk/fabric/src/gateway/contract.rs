//! [`Contract`]: a chaincode (and optionally one of its named contracts) on a network, with
//! `evaluate`, `submit`, `submit_async` and [`Contract::new_proposal`] for everything else.

use std::sync::Arc;

use bytes::Bytes;

use super::proposal::ProposalBuilder;
use super::transaction::SubmittedTransaction;
use super::{Deadlines, Network};
use crate::Result;

/// No arguments: `contract.evaluate("GetAllAssets", NO_ARGS)`.
pub const NO_ARGS: [&str; 0] = [];

/// A chaincode on a network. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Contract {
    network: Network,
    chaincode: Arc<str>,
    contract: Option<Arc<str>>,
    deadlines: Deadlines,
}

impl Contract {
    pub(crate) fn new(network: Network, chaincode: String, contract: Option<String>) -> Self {
        let deadlines = network.gateway().deadlines();
        Contract {
            network,
            chaincode: chaincode.into(),
            contract: contract.filter(|c| !c.is_empty()).map(Into::into),
            deadlines,
        }
    }

    /// The same contract with other deadlines for every call made through it.
    pub fn with_deadlines(&self, deadlines: Deadlines) -> Contract {
        Contract {
            deadlines,
            ..self.clone()
        }
    }

    /// The deadlines of calls made through this contract.
    pub fn deadlines(&self) -> Deadlines {
        self.deadlines
    }

    /// The chaincode name.
    pub fn chaincode_name(&self) -> &str {
        &self.chaincode
    }

    /// The contract name, when one was given.
    pub fn contract_name(&self) -> Option<&str> {
        self.contract.as_deref()
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The name sent as the first argument: `contract:function`, or `function` for the
    /// default contract.
    pub fn qualified_name(&self, function: &str) -> String {
        match &self.contract {
            Some(c) => format!("{c}:{function}"),
            None => function.to_owned(),
        }
    }

    /// Starts a proposal for `function`: arguments, transient data, endorsing organisations.
    pub fn new_proposal(&self, function: &str) -> ProposalBuilder {
        ProposalBuilder::new(self.clone(), self.qualified_name(function))
    }

    /// Evaluates `function` on one peer (a query: nothing is ordered) and returns its result.
    pub async fn evaluate<A>(&self, function: &str, args: A) -> Result<Bytes>
    where
        A: IntoIterator,
        A::Item: AsRef<[u8]>,
    {
        self.new_proposal(function)
            .args(args)
            .build()?
            .evaluate()
            .await
    }

    /// Endorses, submits and waits for the commit of `function`; returns its result, or
    /// [`Error::Commit`](crate::Error::Commit) when the transaction is invalid.
    pub async fn submit<A>(&self, function: &str, args: A) -> Result<Bytes>
    where
        A: IntoIterator,
        A::Item: AsRef<[u8]>,
    {
        self.new_proposal(function).args(args).submit().await
    }

    /// Endorses and submits `function` without waiting for the commit: the result is
    /// available at once, the commit status through the returned handle.
    pub async fn submit_async<A>(&self, function: &str, args: A) -> Result<SubmittedTransaction>
    where
        A: IntoIterator,
        A::Item: AsRef<[u8]>,
    {
        self.new_proposal(function).args(args).submit_async().await
    }
}
