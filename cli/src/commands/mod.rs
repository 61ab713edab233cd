//! One module per command group; each turns parsed arguments into library calls and a report.
//! Ledger commands connect through `context::Context::connect` (see `context.rs`).

mod chaincode;
mod demo;
mod devnet;
mod events;
mod identity;
mod network;
mod policy;
mod profile;
mod reference;

use crate::cli::{
    ChaincodeCommand, Cli, Command, DevnetCommand, EventsCommand, IdentityCommand, NetworkCommand,
    PolicyCommand, ProfileCommand,
};
use crate::context::Context;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let format = cli.global.output;
    let ctx = Context::new(&cli.global)?;
    match cli.command {
        Command::Demo(args) => demo::run(&args, format),
        Command::Network(NetworkCommand::Crypto(args)) => network::crypto(&args, format),
        Command::Devnet(DevnetCommand::Up(args)) => devnet::up(&ctx, &args),
        Command::Devnet(DevnetCommand::Down(args)) => devnet::down(&ctx, &args),
        Command::Devnet(DevnetCommand::Status(args)) => devnet::status(&ctx, &args),
        Command::Devnet(DevnetCommand::Reset(args)) => devnet::reset(&ctx, &args),
        Command::Identity(IdentityCommand::Show(args)) => identity::show(&ctx, &args),
        Command::Identity(IdentityCommand::Import(args)) => identity::import(&ctx, &args),
        Command::Identity(IdentityCommand::List(args)) => identity::list(&ctx, &args),
        Command::Policy(PolicyCommand::Encode(args)) => policy::encode(&args, format),
        Command::Profile(ProfileCommand::Add(args)) => profile::add(&ctx, &args),
        Command::Profile(ProfileCommand::List) => profile::list(&ctx),
        Command::Profile(ProfileCommand::Use(args)) => profile::use_profile(&ctx, &args),
        Command::Profile(ProfileCommand::Show(args)) => profile::show(&ctx, &args),
        Command::Profile(ProfileCommand::Remove(args)) => profile::remove(&ctx, &args),
        Command::Chaincode(ChaincodeCommand::Evaluate(args)) => chaincode::evaluate(&ctx, &args),
        Command::Chaincode(ChaincodeCommand::Submit(args)) => chaincode::submit(&ctx, &args),
        Command::Events(EventsCommand::Watch(args)) => events::watch(&ctx, &args),
        Command::Completions(args) => reference::completions(&args),
        Command::Man(args) => reference::man(&ctx, &args),
    }
}
