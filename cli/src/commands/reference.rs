//! `medledger completions` and `medledger man`: generated from the clap definitions.

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::context::Context;
use crate::output::{Report, write_all_stdout};
use anyhow::Context as _;
use clap::CommandFactory;

/// `medledger completions <shell>`.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "medledger", &mut script);
    write_all_stdout(&script);
    Ok(())
}

/// `medledger man [--out DIR]`.
pub fn man(ctx: &Context, args: &ManArgs) -> anyhow::Result<()> {
    let cmd = Cli::command();
    match &args.out {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .context("cannot render the man page")?;
            write_all_stdout(&page);
            Ok(())
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
            let mut pages: Vec<String> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| n.ends_with(".1"))
                .collect();
            pages.sort();
            let mut r = Report::new(format!("Man pages written to {}", dir.display()));
            r.row("dir", dir.display().to_string());
            r.row("pages", pages.len());
            r.row("files", pages);
            r.print(ctx.output)
        }
    }
}
