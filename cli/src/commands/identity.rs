//! `medledger identity show|import|list`.
//!
//! Imported identities live in `<home>/identities/<name>/`: `identity.json` (MSP ID, where it
//! came from) and a copy of the MSP directory (`msp/`) or of the certificate and key
//! (`cert.pem`, `key.pem`, the key readable by its owner only). `medledger profile add
//! --identity <name>` points a profile at the copy.

use crate::cli::{IdentityImportArgs, IdentityListArgs, IdentityShowArgs};
use crate::context::Context;
use crate::exit::{Exit, Failure};
use crate::home::{check_name, read_json_opt, write_json};
use crate::output::{Report, Table};
use crate::profile::IdentityRef;
use anyhow::Context as _;
use fabric_sdk::gateway::ConnectionProfile;
use fabric_sdk::identity::{Msp, SigningIdentity, msp::format_unix_time, msp::unix_now};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize, Deserialize)]
struct Imported {
    msp_id: String,
    /// `msp_dir` or `pem`.
    kind: String,
    imported_from: String,
    imported_at: i64,
}

/// The imported identity `name`, as a profile's identity, and its directory.
pub fn imported(ctx: &Context, name: &str) -> anyhow::Result<(IdentityRef, PathBuf)> {
    check_name("identity", name)?;
    let dir = ctx.home.identities_dir().join(name);
    let meta: Imported = read_json_opt(&dir.join("identity.json"))?.ok_or_else(|| {
        Failure::new(
            Exit::NotFound,
            format!("no imported identity named {name:?}"),
        )
        .hint(
            "`medledger identity list` shows the known ones; `medledger identity import` adds one",
        )
    })?;
    let r = if meta.kind == "pem" {
        IdentityRef {
            msp_id: meta.msp_id,
            msp_dir: None,
            cert: Some(dir.join("cert.pem")),
            key: Some(dir.join("key.pem")),
        }
    } else {
        IdentityRef {
            msp_id: meta.msp_id,
            msp_dir: Some(dir.join("msp")),
            cert: None,
            key: None,
        }
    };
    Ok((r, dir))
}

/// `medledger identity show`.
pub fn show(ctx: &Context, args: &IdentityShowArgs) -> anyhow::Result<()> {
    let id = match (&args.name, &args.msp_dir, &args.msp_id) {
        (Some(n), _, _) => imported(ctx, n)?.0,
        (None, Some(dir), Some(msp_id)) => IdentityRef {
            msp_id: msp_id.clone(),
            msp_dir: Some(dir.clone()),
            cert: None,
            key: None,
        },
        _ => {
            return Err(
                Failure::new(Exit::Usage, "give --name, or --msp-dir with --msp-id").into(),
            );
        }
    };
    let signing = id.load()?;
    let cert = signing.identity.certificate();
    let mut report = Report::new(format!("Identity {}", cert.subject()));
    report.row("msp_id", id.msp_id.clone());
    report.row("subject", cert.subject());
    report.row("issuer", cert.issuer());
    report.row("id", cert.id_string());
    report.row("key", cert.public_key()?.algorithm().to_string());
    report.row("not_before", format_unix_time(cert.not_before()));
    report.row("not_after", format_unix_time(cert.not_after()));
    if let Some(dir) = &id.msp_dir {
        let msp = Msp::from_dir(dir, &id.msp_id)
            .with_context(|| format!("cannot read the MSP in {}", dir.display()))?;
        match msp.validate(&signing.identity, unix_now()) {
            Ok(v) => {
                report.row("valid", true);
                report.row(
                    "node_role",
                    v.role()
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| "-".into()),
                );
                report.row("admin", v.is_admin());
            }
            Err(e) => {
                report.row("valid", false);
                report.row("invalid_because", e.to_string());
            }
        }
    }
    let attrs = cert
        .attributes()
        .context("the Fabric CA attribute extension is unreadable")?;
    for (k, v) in attrs {
        report.row(format!("attr.{k}"), v);
    }
    report.print(ctx.output)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let ty = entry.file_type()?;
        if ty.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if ty.is_file() || ty.is_symlink() {
            std::fs::copy(entry.path(), &target).with_context(|| {
                format!(
                    "cannot copy {} to {}",
                    entry.path().display(),
                    target.display()
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn owner_only(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", path.display()))
}

#[cfg(not(unix))]
fn owner_only(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// `medledger identity import`.
pub fn import(ctx: &Context, args: &IdentityImportArgs) -> anyhow::Result<()> {
    check_name("identity", &args.name)?;
    let source = IdentityRef {
        msp_id: args.msp_id.clone(),
        msp_dir: args.msp_dir.clone(),
        cert: args.cert.clone(),
        key: args.key.clone(),
    };
    // Check it loads (certificate and matching key) before copying anything.
    let signing = source.load()?;
    let dir = ctx.home.identities_dir().join(&args.name);
    if dir.exists() {
        if !args.overwrite {
            return Err(Failure::new(
                Exit::Failure,
                format!("an identity named {:?} is already imported", args.name),
            )
            .hint("pass --overwrite to replace it, or choose another name")
            .into());
        }
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot replace {}", dir.display()))?;
    }
    let staging = ctx
        .home
        .identities_dir()
        .join(format!(".{}.importing", args.name));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create {}", staging.display()))?;
    let (kind, from) = match (&args.msp_dir, &args.cert, &args.key) {
        (Some(msp), _, _) => {
            copy_dir(msp, &staging.join("msp"))?;
            let keystore = staging.join("msp").join("keystore");
            if let Ok(entries) = std::fs::read_dir(&keystore) {
                for e in entries.flatten() {
                    owner_only(&e.path())?;
                }
            }
            ("msp_dir", msp.display().to_string())
        }
        (None, Some(cert), Some(key)) => {
            std::fs::copy(cert, staging.join("cert.pem"))
                .with_context(|| format!("cannot copy {}", cert.display()))?;
            std::fs::copy(key, staging.join("key.pem"))
                .with_context(|| format!("cannot copy {}", key.display()))?;
            owner_only(&staging.join("key.pem"))?;
            ("pem", format!("{} + {}", cert.display(), key.display()))
        }
        _ => return Err(Failure::new(Exit::Usage, "give --msp-dir, or --cert and --key").into()),
    };
    write_json(
        &staging.join("identity.json"),
        &Imported {
            msp_id: args.msp_id.clone(),
            kind: kind.into(),
            imported_from: from.clone(),
            imported_at: unix_now(),
        },
    )?;
    std::fs::rename(&staging, &dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cert = signing.identity.certificate();
    let mut r = Report::new(format!("Identity {} imported", args.name));
    r.row("name", args.name.clone());
    r.row("msp_id", args.msp_id.clone());
    r.row("subject", cert.subject());
    r.row("not_after", format_unix_time(cert.not_after()));
    r.row("stored_in", dir.display().to_string());
    r.row("from", from);
    r.print(ctx.output)
}

/// Role of a signing identity: the Fabric CA `role` attribute, else the NodeOU (MSP dirs).
fn role_of(signing: &SigningIdentity, msp_dir: Option<&Path>, msp_id: &str) -> Option<String> {
    let cert = signing.identity.certificate();
    if let Ok(attrs) = cert.attributes()
        && let Some((_, v)) = attrs.iter().find(|(k, _)| k.as_str() == "role")
    {
        return Some(v.clone());
    }
    let msp = Msp::from_dir(msp_dir?, msp_id).ok()?;
    let v = msp.validate(&signing.identity, unix_now()).ok()?;
    if v.is_admin() {
        return Some("admin".into());
    }
    v.role().map(|r| r.to_string())
}

/// `medledger identity list`.
pub fn list(ctx: &Context, args: &IdentityListArgs) -> anyhow::Result<()> {
    let mut t = Table::new(&["name", "source", "msp_id", "role", "subject", "expires"]);
    let add = |t: &mut Table, name: String, source: &str, id: &IdentityRef| match id.load() {
        Ok(s) => {
            let cert = s.identity.certificate();
            t.row(vec![
                name.into(),
                source.into(),
                id.msp_id.clone().into(),
                role_of(&s, id.msp_dir.as_deref(), &id.msp_id).into(),
                cert.subject().into(),
                format_unix_time(cert.not_after()).into(),
            ]);
        }
        Err(e) => {
            t.row(vec![
                name.into(),
                source.into(),
                id.msp_id.clone().into(),
                serde_json::Value::Null,
                format!("unusable: {e:#}").into(),
                serde_json::Value::Null,
            ]);
        }
    };
    let dir = ctx.home.identities_dir();
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    for n in names {
        match imported(ctx, &n) {
            Ok((id, _)) => add(&mut t, n, "imported", &id),
            // A damaged entry is listed as such rather than hiding the others.
            Err(e) => {
                t.row(vec![
                    n.into(),
                    "imported".into(),
                    serde_json::Value::Null,
                    serde_json::Value::Null,
                    format!("unusable: {e:#}").into(),
                    serde_json::Value::Null,
                ]);
            }
        }
    }
    let devnet = match &args.devnet_dir {
        Some(d) => Some(d.clone()),
        None => ctx.home.config()?.devnet_dir,
    };
    if let Some(devnet) = devnet {
        let conns = devnet.join("connections");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&conns)
            .map(|e| {
                e.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            let conn = ConnectionProfile::from_json(&text)
                .with_context(|| format!("cannot use connection file {}", f.display()))?;
            for i in &conn.identities {
                let id = IdentityRef {
                    msp_id: conn.msp_id.clone(),
                    msp_dir: Some(i.msp_dir.clone()),
                    cert: None,
                    key: None,
                };
                add(&mut t, i.name.clone(), "devnet", &id);
            }
        }
    }
    t.print(ctx.output)
}
