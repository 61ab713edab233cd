//! The demo's steps as they happen: printed one line each (table output) and kept for the JSON
//! document and the summary.

use crate::cli::OutputFormat;
use crate::output::outln;
use medledger_sdk::Committed;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;

/// One step of the story.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub step: usize,
    /// The devnet profile of who did it (`seoulmedical-clerk1`).
    pub actor: String,
    pub msp_id: String,
    /// What was done (ids and codes only, never PHI).
    pub action: String,
    /// The chaincode function.
    pub function: &'static str,
    /// For transactions: the transaction id and its block; absent for queries.
    pub transaction_id: Option<String>,
    pub block: Option<u64>,
    /// For a two-phase PHI write: the private phase's transaction (`Store…`, endorsed by the
    /// caller's organisation alone), committed before `transaction_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_transaction_id: Option<String>,
    pub elapsed_ms: u64,
    /// What came back (status, verdict, counts).
    pub outcome: String,
}

pub struct Recorder {
    format: OutputFormat,
    steps: Vec<Step>,
}

/// Who acts: the devnet user and its organisation.
pub struct Actor<'a> {
    pub user: &'a str,
    pub msp_id: &'a str,
}

impl<'a> Actor<'a> {
    pub const fn new(user: &'a str, msp_id: &'a str) -> Self {
        Actor { user, msp_id }
    }
}

impl Recorder {
    pub fn new(format: OutputFormat) -> Self {
        Recorder {
            format,
            steps: Vec::new(),
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Records a committed transaction.
    pub fn committed<T>(
        &mut self,
        who: &Actor<'_>,
        function: &'static str,
        action: impl Into<String>,
        c: &Committed<T>,
        outcome: impl Into<String>,
    ) {
        self.push(
            who,
            function,
            action.into(),
            Some((
                c.transaction_id.clone(),
                c.block_number,
                c.private_transaction_id.clone(),
            )),
            c.elapsed,
            outcome.into(),
        );
    }

    /// Records a query (evaluated on one peer, nothing ordered).
    pub fn query(
        &mut self,
        who: &Actor<'_>,
        function: &'static str,
        action: impl Into<String>,
        elapsed: Duration,
        outcome: impl Into<String>,
    ) {
        self.push(who, function, action.into(), None, elapsed, outcome.into());
    }

    fn push(
        &mut self,
        who: &Actor<'_>,
        function: &'static str,
        action: String,
        // The transaction id, its block and the private phase's transaction id, if any.
        tx: Option<(String, u64, Option<String>)>,
        elapsed: Duration,
        outcome: String,
    ) {
        let step = Step {
            step: self.steps.len() + 1,
            actor: crate::profile::devnet_profile_name(who.user),
            msp_id: who.msp_id.to_owned(),
            action,
            function,
            transaction_id: tx.as_ref().map(|(t, _, _)| t.clone()),
            block: tx.as_ref().map(|(_, b, _)| *b),
            private_transaction_id: tx.and_then(|(_, _, p)| p),
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            outcome,
        };
        if self.format == OutputFormat::Table {
            let ledger = match (&step.transaction_id, step.block) {
                (Some(t), Some(b)) => format!("tx {} block {b:>2}", &t[..t.len().min(10)]),
                _ => "query (not ordered)".to_owned(),
            };
            // A two-phase PHI write: the private phase's id, shortened.
            let private = step
                .private_transaction_id
                .as_ref()
                .map(|t| format!(" (PHI stored first by {})", &t[..t.len().min(10)]))
                .unwrap_or_default();
            outln!(
                "{:>2}. {:<22} {:<46} {:<27} {:>5} ms  {}{private}",
                step.step,
                step.actor,
                step.action,
                ledger,
                step.elapsed_ms,
                step.outcome
            );
        }
        self.steps.push(step);
    }

    /// Steps, transactions, blocks and times.
    pub fn summary(&self, network_ms: u128, total_ms: u128) -> serde_json::Value {
        let transactions = self.steps.iter().filter(|s| s.block.is_some()).count();
        let private = self
            .steps
            .iter()
            .filter(|s| s.private_transaction_id.is_some())
            .count();
        let blocks: BTreeSet<u64> = self.steps.iter().filter_map(|s| s.block).collect();
        let story_ms: u64 = self.steps.iter().map(|s| s.elapsed_ms).sum();
        serde_json::json!({
            "steps": self.steps.len(),
            "transactions": transactions,
            "queries": self.steps.len() - transactions,
            "private_phases": private,
            "blocks": blocks.len(),
            "first_block": blocks.first(),
            "last_block": blocks.last(),
            "network_start_ms": u64::try_from(network_ms).unwrap_or(u64::MAX),
            "story_ms": story_ms,
            "total_ms": u64::try_from(total_ms).unwrap_or(u64::MAX),
        })
    }
}
