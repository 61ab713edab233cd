//! `medledger profile add|list|use|show|remove`.

use crate::cli::{ProfileAddArgs, ProfileNameArgs, ProfileShowArgs};
use crate::context::Context;
use crate::exit::{Exit, Failure};
use crate::output::{Report, Table, outln};
use crate::profile::{GatewayRef, IdentityRef, Profile};
use std::path::{Path, PathBuf};

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

/// `medledger profile add`.
pub fn add(ctx: &Context, args: &ProfileAddArgs) -> anyhow::Result<()> {
    let store = ctx.profiles();
    if store.exists(&args.name) && !args.overwrite {
        return Err(Failure::new(
            Exit::Failure,
            format!("a profile named {:?} exists", args.name),
        )
        .hint("pass --overwrite to replace it, or choose another name")
        .into());
    }
    let identity = match &args.identity {
        Some(name) => super::identity::imported(ctx, name)?.0,
        None => IdentityRef {
            msp_id: args.msp_id.clone().unwrap_or_default(),
            msp_dir: args.msp_dir.as_deref().map(absolute),
            cert: args.cert.as_deref().map(absolute),
            key: args.key.as_deref().map(absolute),
        },
    };
    if identity.msp_dir.is_none() && identity.cert.is_none() {
        return Err(Failure::new(
            Exit::Usage,
            "the profile needs an identity: --identity NAME, or --msp-id with --msp-dir or --cert and --key",
        )
        .into());
    }
    // Refuse an identity that cannot sign now rather than at the first call.
    identity.load()?;
    for f in [&args.tls_root_cert, &args.client_cert, &args.client_key]
        .into_iter()
        .flatten()
    {
        if !f.is_file() {
            return Err(Failure::new(Exit::NotFound, format!("no file {}", f.display())).into());
        }
    }
    let profile = Profile {
        identity,
        gateway: GatewayRef {
            address: args.gateway.clone(),
            tls_root_cert: args.tls_root_cert.as_deref().map(absolute),
            server_name: args.server_name.clone(),
            client_cert: args.client_cert.as_deref().map(absolute),
            client_key: args.client_key.as_deref().map(absolute),
        },
        channel: args.channel.clone(),
        chaincode: args.chaincode.clone(),
        role: None,
        source: None,
    };
    store.save(&args.name, &profile)?;
    if args.make_current {
        ctx.home
            .update_config(|c| c.current_profile = Some(args.name.clone()))?;
    }
    show_profile(ctx, &args.name, &profile)
}

/// `medledger profile list`.
pub fn list(ctx: &Context) -> anyhow::Result<()> {
    let current = ctx.home.config()?.current_profile;
    let mut t = Table::new(&[
        "current",
        "name",
        "msp_id",
        "role",
        "gateway",
        "channel",
        "chaincode",
    ]);
    for (name, p) in ctx.profiles().all()? {
        t.row(vec![
            (current.as_deref() == Some(name.as_str())).into(),
            name.into(),
            p.identity.msp_id.into(),
            p.role.into(),
            p.gateway.address.into(),
            p.channel.into(),
            p.chaincode.into(),
        ]);
    }
    if t.is_empty() && ctx.output == crate::cli::OutputFormat::Table {
        outln!(
            "No profiles in {}. `medledger devnet up` creates one per devnet user; \
             `medledger profile add` adds one.",
            ctx.home.root().display()
        );
        return Ok(());
    }
    t.print(ctx.output)
}

/// `medledger profile use`.
pub fn use_profile(ctx: &Context, args: &ProfileNameArgs) -> anyhow::Result<()> {
    let p = ctx.profiles().get(&args.name)?;
    ctx.home
        .update_config(|c| c.current_profile = Some(args.name.clone()))?;
    let mut r = Report::new(format!("Current profile: {}", args.name));
    r.row("current", args.name.clone());
    r.row("msp_id", p.identity.msp_id);
    r.row("gateway", p.gateway.address);
    r.print(ctx.output)
}

/// `medledger profile show`.
pub fn show(ctx: &Context, args: &ProfileShowArgs) -> anyhow::Result<()> {
    let (name, p) = match &args.name {
        Some(n) => (n.clone(), ctx.profiles().get(n)?),
        None => ctx.profile()?,
    };
    show_profile(ctx, &name, &p)
}

fn show_profile(ctx: &Context, name: &str, p: &Profile) -> anyhow::Result<()> {
    let current = ctx.home.config()?.current_profile;
    let path = |o: &Option<PathBuf>| -> serde_json::Value {
        o.as_ref().map(|p| p.display().to_string()).into()
    };
    let mut r = Report::new(format!("Profile {name}"));
    r.row("name", name);
    r.row("current", current.as_deref() == Some(name));
    r.row("msp_id", p.identity.msp_id.clone());
    r.row("msp_dir", path(&p.identity.msp_dir));
    r.row("cert", path(&p.identity.cert));
    r.row("key", path(&p.identity.key));
    r.row("role", p.role.clone());
    r.row("gateway", p.gateway.address.clone());
    r.row("tls_root_cert", path(&p.gateway.tls_root_cert));
    r.row("server_name", p.gateway.server_name.clone());
    r.row("client_cert", path(&p.gateway.client_cert));
    r.row("channel", p.channel.clone());
    r.row("chaincode", p.chaincode.clone());
    r.row("source", p.source.clone());
    r.print(ctx.output)
}

/// `medledger profile remove`.
pub fn remove(ctx: &Context, args: &ProfileNameArgs) -> anyhow::Result<()> {
    ctx.profiles().remove(&args.name)?;
    let was_current = ctx.home.config()?.current_profile.as_deref() == Some(args.name.as_str());
    if was_current {
        ctx.home.update_config(|c| c.current_profile = None)?;
    }
    let mut r = Report::new(format!("Profile {} removed", args.name));
    r.row("removed", args.name.clone());
    r.row("was_current", was_current);
    r.print(ctx.output)
}
