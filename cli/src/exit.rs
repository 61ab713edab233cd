//! Exit codes, defined once, and the mapping from an error to its code and to the lines a person
//! reads on stderr.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the operation failed for another reason (the message says what and what to do) |
//! | 2 | the command line is wrong (usage error, printed by clap) |
//! | 3 | something named does not exist: profile, identity, file, chaincode, key, asset (404) |
//! | 4 | denied: the chaincode (401/403), an access-control policy or the MSP refused the identity |
//! | 5 | the transaction failed: chaincode error, endorsement refused or the commit was invalid |
//! | 6 | the network is unreachable: the gateway cannot be dialled, is down, or did not answer in time |
//! | 7 | the configuration is unusable: a corrupt profile or config file in the home directory |
//!
//! Commands raise a [`Failure`] (wrapped in `anyhow`) to choose a code themselves; errors of the
//! Fabric SDK are classified by [`classify`] from their gRPC code, the chaincode's status and the
//! validation code. New commands (the medical ones) reuse both.

use fabric_sdk::gateway::RpcError;
use std::fmt;
use tonic::Code;

/// Every exit code `medledger` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 2,
    NotFound = 3,
    Denied = 4,
    TransactionFailed = 5,
    Unreachable = 6,
    Config = 7,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The exit-code table, one literal for `medledger --help` (via `concat!`) and docs/cli.md.
#[macro_export]
macro_rules! exit_codes_help {
    () => {
        "Exit codes:\n  \
        0  success\n  \
        1  the operation failed (the message says what and what to do)\n  \
        2  the command line is wrong (usage error)\n  \
        3  not found: profile, identity, file, chaincode, key (chaincode status 404)\n  \
        4  denied: by the chaincode (401/403), an access policy or the MSP\n  \
        5  transaction failed: chaincode error, endorsement refused, commit invalid\n  \
        6  network unreachable: gateway down, not dialable, or too slow\n  \
        7  configuration unusable: corrupt profile or config file in the home"
    };
}

/// The exit-code table as printed in `medledger --help`.
#[cfg_attr(not(test), allow(dead_code))]
pub const EXIT_CODES_HELP: &str = exit_codes_help!();

/// An error with a chosen exit code and an optional hint (what to do about it).
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Shorthand: `Err(fail(Exit::NotFound, "..."))`.
pub fn fail(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    Failure::new(exit, message).into()
}

/// The exit code for an error: the first [`Failure`], SDK error or I/O error in its chain decides.
pub fn classify(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.exit;
        }
        if let Some(e) = cause.downcast_ref::<fabric_sdk::Error>() {
            return classify_sdk(e);
        }
        if let Some(e) = cause.downcast_ref::<medledger_sdk::Error>() {
            return classify_medical(e);
        }
        if let Some(e) = cause.downcast_ref::<std::io::Error>()
            && e.kind() == std::io::ErrorKind::NotFound
        {
            return Exit::NotFound;
        }
    }
    Exit::Failure
}

fn classify_sdk(e: &fabric_sdk::Error) -> Exit {
    use fabric_sdk::Error as E;
    match e {
        E::Connection(_) => Exit::Unreachable,
        E::Evaluate(r) | E::Endorse(r) | E::Submit(r) | E::CommitStatus(r) => classify_rpc(r),
        E::ChaincodeEvents(r) | E::BlockEvents(r) => match classify_rpc(r) {
            Exit::TransactionFailed => Exit::Failure,
            other => other,
        },
        E::Commit(_) => Exit::TransactionFailed,
        E::IdentityRejected { .. } => Exit::Denied,
        E::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => Exit::NotFound,
        _ => Exit::Failure,
    }
}

/// A medical SDK error: the chaincode's status decides (403 → 4, 404 → 3, 400/409/500 → 5),
/// an invalid commit is 5, anything else is classified like the fabric-sdk error inside.
fn classify_medical(e: &medledger_sdk::Error) -> Exit {
    use medledger_sdk::Error as M;
    match e {
        M::Refused { status, .. } => status_exit(*status),
        M::Commit { .. } => Exit::TransactionFailed,
        M::Fabric { source, .. } => classify_sdk(source),
        _ => Exit::Failure,
    }
}

fn status_exit(status: i32) -> Exit {
    match status {
        401 | 403 => Exit::Denied,
        404 => Exit::NotFound,
        _ => Exit::TransactionFailed,
    }
}

/// What to do about a chaincode refusal of the medical contract (its message names the rule
/// or the field; this says what to change).
pub fn refusal_hint(status: i32, message: &str) -> String {
    match status {
        400 => "fix the value the message names (the field path is before the colon); `medledger <command> --help` shows each flag's format"
            .into(),
        401 | 403 if message.contains("consent") => {
            "the patient has not given this organisation a consent in force for this purpose and category: the patient (or a clerk of the home hospital, with the signed form) grants it with `medledger consent grant`; `medledger consent check` shows what is in force"
                .into()
        }
        401 | 403 => "the rule above names who may do this: use a profile with that role and organisation (`medledger profile list` shows each profile's organisation and role; `--profile NAME` picks one)"
            .into(),
        404 => "check the id: it does not exist on this channel (list commands: `medledger rx list`, `claim list`, `consent list`)"
            .into(),
        409 => "the asset's current state does not allow this: see it with the matching `get` command, and its changes with `medledger history`"
            .into(),
        _ => "the chaincode failed: run again with --verbose, and see the peer's log".into(),
    }
}

fn classify_rpc(r: &RpcError) -> Exit {
    if let Some(status) = r.chaincode_status() {
        return status_exit(status);
    }
    let all = std::iter::once(r.message.as_str())
        .chain(r.details.iter().map(|d| d.message.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    match r.code {
        Code::Unavailable | Code::DeadlineExceeded => Exit::Unreachable,
        Code::PermissionDenied | Code::Unauthenticated => Exit::Denied,
        Code::NotFound => Exit::NotFound,
        _ if all.contains("access denied") || all.contains("policy") && all.contains("denied") => {
            Exit::Denied
        }
        _ if all.contains("chaincode")
            && (all.contains("not found") || all.contains("no peers available")) =>
        {
            Exit::NotFound
        }
        _ => Exit::TransactionFailed,
    }
}

/// The fabric-sdk error to describe for a medical SDK error that is not a chaincode refusal.
fn medical_source(e: &medledger_sdk::Error) -> Option<&fabric_sdk::Error> {
    match e {
        medledger_sdk::Error::Refused { .. } => None,
        other => other.fabric_error(),
    }
}

/// The Gateway failure an error's chain holds, for `render` and `to_json`.
enum GatewayFailure<'a> {
    /// The medical chaincode refused (status, message, transaction id).
    Refused(i32, &'a str, &'a str),
    Fabric(&'a fabric_sdk::Error),
}

/// The first SDK error in the chain as a Gateway failure (none for other SDK errors), and the
/// hint of the first [`Failure`] before it.
fn gateway_failure(err: &anyhow::Error) -> (Option<String>, Option<GatewayFailure<'_>>) {
    let mut hint = None;
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            hint = hint.or(f.hint.clone());
        }
        if let Some(e) = cause.downcast_ref::<medledger_sdk::Error>() {
            let failure = match e {
                medledger_sdk::Error::Refused {
                    status,
                    message,
                    transaction_id,
                    ..
                } => Some(GatewayFailure::Refused(*status, message, transaction_id)),
                other => medical_source(other).map(GatewayFailure::Fabric),
            };
            return (hint, failure);
        }
        if let Some(e) = cause.downcast_ref::<fabric_sdk::Error>() {
            return (hint, Some(GatewayFailure::Fabric(e)));
        }
    }
    (hint, None)
}

/// The lines printed on stderr for a failed command: the error with its causes, then for a
/// Gateway failure the gRPC code, the chaincode's message, every peer's detail and the
/// validation code, then a hint.
pub fn render(err: &anyhow::Error) -> String {
    let mut out = format!("error: {}", headline(err));
    let (mut hint, failure) = gateway_failure(err);
    match failure {
        Some(GatewayFailure::Refused(status, message, transaction_id)) => {
            // The headline holds the function, the status and the chaincode's message.
            if !transaction_id.is_empty() {
                out.push_str(&format!("\n  transaction: {transaction_id}"));
            }
            hint = hint.or_else(|| Some(refusal_hint(status, message)));
        }
        Some(GatewayFailure::Fabric(f)) => render_fabric(f, &mut out, &mut hint),
        None => {}
    }
    if let Some(h) = hint {
        out.push_str(&format!("\nhint: {h}"));
    }
    out
}

fn render_fabric(e: &fabric_sdk::Error, out: &mut String, hint: &mut Option<String>) {
    use fabric_sdk::Error as E;
    match e {
        E::Evaluate(r)
        | E::Endorse(r)
        | E::Submit(r)
        | E::CommitStatus(r)
        | E::ChaincodeEvents(r)
        | E::BlockEvents(r) => {
            out.push_str(&format!("\n  grpc code: {:?} ({})", r.code, r.code as i32));
            if !r.transaction_id.is_empty() {
                out.push_str(&format!("\n  transaction: {}", r.transaction_id));
            }
            if let Some(m) = r.chaincode_message() {
                let status = r
                    .chaincode_status()
                    .map(|s| format!(" (status {s})"))
                    .unwrap_or_default();
                out.push_str(&format!("\n  chaincode said{status}: {m}"));
            }
            for d in &r.details {
                out.push_str(&format!(
                    "\n  peer {} ({}): {}",
                    d.address, d.msp_id, d.message
                ));
            }
            if hint.is_none() {
                *hint = rpc_hint(r).map(str::to_owned);
            }
        }
        E::Commit(c) => {
            out.push_str(&format!(
                "\n  validation code: {} ({})\n  transaction: {}\n  block: {}",
                c.code_name(),
                c.code as i32,
                c.transaction_id,
                c.block_number
            ));
            if hint.is_none() {
                *hint = commit_hint(c.code_name()).map(str::to_owned);
            }
        }
        E::Connection(_) if hint.is_none() => {
            *hint = Some(
                "is the network running (`medledger devnet status`) and is the profile's \
                 gateway address right (`medledger profile show`)?"
                    .into(),
            );
        }
        _ => {}
    }
}

/// The chain of messages joined by ": ", with a Gateway failure shortened to its stage, code and
/// message (its peers' details follow on their own lines).
fn headline(err: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<medledger_sdk::Error>() {
            parts.push(match medical_source(e) {
                Some(f) if !matches!(e, medledger_sdk::Error::Commit { .. }) => fabric_headline(f),
                _ => e.to_string(),
            });
            break;
        }
        if let Some(e) = cause.downcast_ref::<fabric_sdk::Error>() {
            parts.push(fabric_headline(e));
            break;
        }
        parts.push(cause.to_string());
    }
    parts.join(": ")
}

fn fabric_headline(e: &fabric_sdk::Error) -> String {
    use fabric_sdk::Error as E;
    let short = |stage: &str, r: &RpcError| format!("{stage}: {:?}: {}", r.code, r.message);
    match e {
        E::Evaluate(r) => short("evaluate failed", r),
        E::Endorse(r) => short("endorse failed", r),
        E::Submit(r) => short("submit failed", r),
        E::CommitStatus(r) => short("commit status failed", r),
        E::ChaincodeEvents(r) => short("chaincode events", r),
        E::BlockEvents(r) => short("block events", r),
        other => other.to_string(),
    }
}

/// The error as one JSON document for `--output json` (printed on stdout, the text stays on
/// stderr): `{"error": {"message", "exit_code", "hint", and for Gateway failures "grpc_code",
/// "transaction_id", "chaincode_status", "chaincode_message", "peers": [{address, msp_id,
/// message}], or for an invalid commit "validation_code", "block"}}`. A refusal of the medical
/// chaincode has "chaincode_status", "chaincode_message" and "transaction_id".
pub fn to_json(err: &anyhow::Error) -> serde_json::Value {
    use serde_json::{Value, json};
    let mut m = serde_json::Map::new();
    m.insert("message".into(), headline(err).into());
    m.insert("exit_code".into(), classify(err).code().into());
    let (mut hint, failure) = gateway_failure(err);
    match failure {
        Some(GatewayFailure::Refused(status, message, transaction_id)) => {
            m.insert("chaincode_status".into(), status.into());
            m.insert("chaincode_message".into(), message.into());
            m.insert("transaction_id".into(), transaction_id.into());
            hint = hint.or_else(|| Some(refusal_hint(status, message)));
        }
        Some(GatewayFailure::Fabric(f)) => fabric_json(f, &mut m, &mut hint),
        None => {}
    }
    m.insert("hint".into(), hint.into());
    json!({ "error": Value::Object(m) })
}

fn fabric_json(
    e: &fabric_sdk::Error,
    m: &mut serde_json::Map<String, serde_json::Value>,
    hint: &mut Option<String>,
) {
    use fabric_sdk::Error as E;
    use serde_json::{Value, json};
    match e {
        E::Evaluate(r)
        | E::Endorse(r)
        | E::Submit(r)
        | E::CommitStatus(r)
        | E::ChaincodeEvents(r)
        | E::BlockEvents(r) => {
            m.insert("grpc_code".into(), format!("{:?}", r.code).into());
            if !r.transaction_id.is_empty() {
                m.insert("transaction_id".into(), r.transaction_id.clone().into());
            }
            m.insert("chaincode_status".into(), r.chaincode_status().into());
            m.insert(
                "chaincode_message".into(),
                r.chaincode_message().map(str::to_owned).into(),
            );
            m.insert(
                "peers".into(),
                Value::Array(
                    r.details
                        .iter()
                        .map(|d| json!({"address": d.address, "msp_id": d.msp_id, "message": d.message}))
                        .collect(),
                ),
            );
            if hint.is_none() {
                *hint = rpc_hint(r).map(str::to_owned);
            }
        }
        E::Commit(c) => {
            m.insert("validation_code".into(), c.code_name().into());
            m.insert("transaction_id".into(), c.transaction_id.clone().into());
            m.insert("block".into(), c.block_number.into());
            if hint.is_none() {
                *hint = commit_hint(c.code_name()).map(str::to_owned);
            }
        }
        _ => {}
    }
}

fn rpc_hint(r: &RpcError) -> Option<&'static str> {
    match classify_rpc(r) {
        Exit::Unreachable => Some(
            "the gateway did not answer: check `medledger devnet status` (or that the peer is up) \
             and the profile's gateway address; a peer that requires mutual TLS closes \
             connections without a client certificate (profile add --client-cert/--client-key)",
        ),
        Exit::Denied => Some(
            "the identity is not allowed to do this: use a profile with the right organisation \
             or role (`medledger profile list`)",
        ),
        Exit::NotFound if r.chaincode_status().is_none() => {
            Some("check the chaincode name (`--chaincode`) and the channel of the profile")
        }
        _ => None,
    }
}

fn commit_hint(code: &str) -> Option<&'static str> {
    match code {
        "ENDORSEMENT_POLICY_FAILURE" => Some(
            "not enough organisations endorsed: name the ones the policy needs with \
             --endorsing-org, or let the gateway choose",
        ),
        "MVCC_READ_CONFLICT" | "PHANTOM_READ_CONFLICT" => {
            Some("another transaction changed the same keys first: retry")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_choose_their_code_through_context() {
        let e = anyhow::Error::from(Failure::new(Exit::NotFound, "no profile x"))
            .context("cannot connect");
        assert_eq!(classify(&e), Exit::NotFound);
        assert_eq!(classify(&anyhow::anyhow!("plain")), Exit::Failure);
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(classify(&anyhow::Error::from(io)), Exit::NotFound);
    }

    #[test]
    fn the_documented_table_is_this_one() {
        let doc = include_str!("../../docs/cli.md");
        assert!(
            doc.contains(EXIT_CODES_HELP),
            "docs/cli.md must contain the exit-code table of exit.rs verbatim"
        );
    }
}
