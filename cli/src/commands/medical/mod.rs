//! The medical commands: each parses its flags into the SDK's inputs, calls one
//! `medledger_sdk::MedLedgerClient` method with the profile's identity, and prints the answer
//! (table or JSON). Refusals of the chaincode keep their status and message; `exit.rs` maps
//! them to exit codes and hints.

pub mod audit;
pub mod certificates;
pub mod claims;
pub mod consents;
pub mod patients;
pub mod prescriptions;
pub mod records;

use crate::cli::{OutputFormat, Target};
use crate::context::{Context, Session};
use crate::exit::{Exit, Failure};
use crate::output::{Report, Table, outln, text};
use anyhow::Context as _;
use medledger_model::{Page, Timestamp};
use medledger_sdk::{Committed, MedLedgerClient};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// The profile's session and its medical client (keep the session alive while calling).
pub async fn connect(ctx: &Context, target: &Target) -> anyhow::Result<(Session, MedLedgerClient)> {
    let session = ctx.connect().await?;
    let client = session.medical(&target.chaincode);
    Ok((session, client))
}

/// One transaction: connects with the profile, shows `doing` on a spinner while `call`
/// submits it, then prints the committed answer under `title` with `extra` rows.
pub fn transact<T: Serialize>(
    ctx: &Context,
    target: &Target,
    doing: impl Into<String>,
    title: &str,
    extra: Vec<(&str, Value)>,
    call: impl AsyncFnOnce(&MedLedgerClient) -> medledger_sdk::Result<Committed<T>>,
) -> anyhow::Result<()> {
    ctx.block_on(async {
        let (_s, client) = connect(ctx, target).await?;
        let spin = ctx.spinner(doing);
        let c = call(&client).await?;
        drop(spin);
        print_committed(ctx, title, &c, extra)
    })
}

/// One query: connects with the profile and prints `call`'s answer under `title`.
pub fn query<T: Serialize>(
    ctx: &Context,
    target: &Target,
    title: &str,
    call: impl AsyncFnOnce(&MedLedgerClient) -> medledger_sdk::Result<T>,
) -> anyhow::Result<()> {
    ctx.block_on(async {
        let (_s, client) = connect(ctx, target).await?;
        let v = call(&client).await?;
        print_value(ctx, title, &v)
    })
}

/// One paged list: connects with the profile and prints `call`'s page with `columns` and its
/// bookmark.
pub fn query_page<T: Serialize>(
    ctx: &Context,
    target: &Target,
    columns: &[(&'static str, &str)],
    call: impl AsyncFnOnce(&MedLedgerClient) -> medledger_sdk::Result<Page<T>>,
) -> anyhow::Result<()> {
    ctx.block_on(async {
        let (_s, client) = connect(ctx, target).await?;
        let page = call(&client).await?;
        print_list(ctx, &page.items, columns, Some(&page.bookmark))
    })
}

/// Prints a committed transaction's answer with its transaction id, block and time, plus
/// `extra` rows (e.g. a salt to keep).
pub fn print_committed<T: Serialize>(
    ctx: &Context,
    title: &str,
    c: &Committed<T>,
    extra: Vec<(&str, Value)>,
) -> anyhow::Result<()> {
    let value = serde_json::to_value(&c.value).context("cannot show the answer")?;
    let elapsed_ms = u64::try_from(c.elapsed.as_millis()).unwrap_or(u64::MAX);
    match ctx.output {
        OutputFormat::Json => {
            let mut m = serde_json::Map::new();
            m.insert("result".into(), value);
            m.insert("transaction_id".into(), c.transaction_id.clone().into());
            if let Some(private) = &c.private_transaction_id {
                m.insert("private_transaction_id".into(), private.clone().into());
            }
            m.insert("block".into(), c.block_number.into());
            m.insert("elapsed_ms".into(), elapsed_ms.into());
            for (k, v) in extra {
                m.insert(k.into(), v);
            }
            outln!("{}", serde_json::to_string_pretty(&Value::Object(m))?);
            Ok(())
        }
        OutputFormat::Table => {
            let mut r = Report::new(title);
            flatten("", &value, &mut r);
            r.row("transaction", c.transaction_id.clone());
            if let Some(private) = &c.private_transaction_id {
                r.row("private phase", private.clone());
            }
            r.row("block", c.block_number);
            r.row("time", format!("{elapsed_ms} ms"));
            for (k, v) in extra {
                r.row(k, v);
            }
            r.print(ctx.output)
        }
    }
}

/// Prints a query's answer: JSON as it is, a table as flattened key/value rows.
pub fn print_value<T: Serialize>(ctx: &Context, title: &str, v: &T) -> anyhow::Result<()> {
    let value = serde_json::to_value(v).context("cannot show the answer")?;
    match ctx.output {
        OutputFormat::Json => {
            outln!("{}", serde_json::to_string_pretty(&value)?);
            Ok(())
        }
        OutputFormat::Table => {
            let mut r = Report::new(title);
            flatten("", &value, &mut r);
            r.print(ctx.output)
        }
    }
}

/// Prints a list: a table with `columns` (name, JSON path `a.b`), or JSON `{"items": [...],
/// "bookmark"}` (the items whole).
pub fn print_list<T: Serialize>(
    ctx: &Context,
    items: &[T],
    columns: &[(&'static str, &str)],
    bookmark: Option<&str>,
) -> anyhow::Result<()> {
    let values: Vec<Value> = items
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .context("cannot show the answer")?;
    match ctx.output {
        OutputFormat::Json => {
            let doc = match bookmark {
                Some(b) => serde_json::json!({ "items": values, "bookmark": b }),
                None => serde_json::json!({ "items": values }),
            };
            outln!("{}", serde_json::to_string_pretty(&doc)?);
        }
        OutputFormat::Table => {
            let names: Vec<&'static str> = columns.iter().map(|(n, _)| *n).collect();
            let mut t = Table::new(&names);
            for v in &values {
                t.row(
                    columns
                        .iter()
                        .map(|(_, path)| at(v, path).cloned().unwrap_or(Value::Null))
                        .collect(),
                );
            }
            if t.is_empty() {
                outln!("(none)");
            } else {
                t.print(ctx.output)?;
            }
            if let Some(b) = bookmark.filter(|b| !b.is_empty()) {
                outln!("next page: --bookmark {b}");
            }
        }
    }
    Ok(())
}

/// The value at a dotted path.
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// Nested objects as `a.b` rows; lists of objects as `a[0].b` rows; null values skipped.
fn flatten(prefix: &str, v: &Value, r: &mut Report) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(&key(k), v, r);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), item, r);
            }
        }
        Value::Null => {}
        // An actor's identity (its certificate's subject and issuer, base64): JSON output only.
        Value::String(_) if prefix.ends_with(".id") => {}
        other => {
            r.row(prefix.to_owned(), text(other));
        }
    }
}

/// Reads a file named on the command line (a missing one exits 3).
pub fn read_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

/// Reads and parses a JSON file named on the command line; a bad one is a usage error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let bytes = read_file(path, what)?;
    // The file holds PHI: say where it is wrong and which field, never a value from it (serde's
    // messages about wrong values quote them).
    serde_json::from_slice(&bytes).map_err(|e| {
        let text = e.to_string();
        let what_is_wrong =
            if text.starts_with("missing field") || text.starts_with("unknown field") {
                text.split(" at line").next().unwrap_or_default().to_owned()
            } else if e.is_syntax() || e.is_eof() {
                "it is not well-formed JSON".to_owned()
            } else {
                "a value has the wrong type or format".to_owned()
            };
        Failure::new(
            Exit::Usage,
            format!(
                "the {what} {} is not valid at line {} column {}: {what_is_wrong}",
                path.display(),
                e.line(),
                e.column()
            ),
        )
        .hint(format!("see `--help` for the {what}'s JSON shape"))
        .into()
    })
}

/// A time given on the command line, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn parse_time(flag: &str, text: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse(flag, text).map_err(|e| {
        Failure::new(Exit::Usage, format!("--{flag}: {}", e.reason))
            .hint("times are UTC, e.g. 2026-12-31T23:59:59Z")
            .into()
    })
}

/// Now, to the second.
pub fn now() -> anyhow::Result<Timestamp> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_secs();
    let secs = i64::try_from(secs).context("the clock is out of range")?;
    Timestamp::from_unix("now", secs).map_err(|e| anyhow::anyhow!("{e}"))
}

/// A usage error about a flag's value.
pub fn bad_flag(flag: &str, reason: impl std::fmt::Display) -> anyhow::Error {
    Failure::new(Exit::Usage, format!("--{flag}: {reason}"))
        .hint(format!("see `--help` for the format of --{flag}"))
        .into()
}

/// `key=value,key=value` pairs of a structured flag, in order.
pub fn pairs<'a>(flag: &str, text: &'a str) -> anyhow::Result<Vec<(&'a str, &'a str)>> {
    // The values may be private (medication names): errors name the position, not the text.
    text.split(',')
        .enumerate()
        .map(|(i, kv)| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| bad_flag(flag, format!("part {} is not key=value", i + 1)))
        })
        .collect()
}
