//! One module per command group; each turns parsed arguments into library calls and a report.

mod demo;
mod devnet;
mod identity;
mod network;
mod policy;

use crate::cli::{Cli, Command, DevnetCommand, IdentityCommand, PolicyCommand};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let format = cli.global.output;
    match cli.command {
        Command::Demo(args) => demo::run(&args, format),
        Command::Network(command) => network::run(command, format),
        Command::Devnet(DevnetCommand::Up(args)) => devnet::up(&args, format),
        Command::Identity(IdentityCommand::Show(args)) => identity::show(&args, format),
        Command::Policy(PolicyCommand::Encode(args)) => policy::encode(&args, format),
    }
}
