//! One module per command group; each turns parsed arguments into library calls and a report.
//! Ledger commands connect through `context::Context::connect` (see `context.rs`).

mod chaincode;
mod demo;
mod devnet;
mod events;
mod identity;
mod medical;
mod network;
mod policy;
mod profile;
mod reference;

use crate::cli::{
    CertCommand, ChaincodeCommand, ClaimCommand, Cli, Command, ConsentCommand, DevnetCommand,
    EventsCommand, IdentityCommand, PatientCommand, PolicyCommand, ProfileCommand, RecordCommand,
    RxCommand,
};
use crate::context::Context;
use medical::{audit, certificates, claims, consents, patients, prescriptions, records};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let format = cli.global.output;
    let ctx = Context::new(&cli.global)?;
    match cli.command {
        Command::Demo(args) => demo::run(&ctx, &args),
        Command::Network(command) => network::run(command, format),
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
        Command::Patient(PatientCommand::Register(a)) => patients::register(&ctx, &a),
        Command::Patient(PatientCommand::Get(a)) => patients::get(&ctx, &a),
        Command::Patient(PatientCommand::Erase(a)) => patients::erase(&ctx, &a),
        Command::Consent(ConsentCommand::Grant(a)) => consents::grant(&ctx, &a),
        Command::Consent(ConsentCommand::Revoke(a)) => consents::revoke(&ctx, &a),
        Command::Consent(ConsentCommand::List(a)) => consents::list(&ctx, &a),
        Command::Consent(ConsentCommand::Check(a)) => consents::check(&ctx, &a),
        Command::Record(RecordCommand::Add(a)) => records::add(&ctx, &a),
        Command::Record(RecordCommand::Get(a)) => records::get(&ctx, &a),
        Command::Record(RecordCommand::Access(a)) => records::access(&ctx, &a),
        Command::Rx(RxCommand::Issue(a)) => prescriptions::issue(&ctx, &a),
        Command::Rx(RxCommand::Get(a)) => prescriptions::get(&ctx, &a),
        Command::Rx(RxCommand::List(a)) => prescriptions::list(&ctx, &a),
        Command::Rx(c) => prescriptions::transition(&ctx, &c),
        Command::Claim(ClaimCommand::Submit(a)) => claims::submit(&ctx, &a),
        Command::Claim(ClaimCommand::Adjudicate(a)) => claims::adjudicate(&ctx, &a),
        Command::Claim(ClaimCommand::Pay(a)) => claims::pay(&ctx, &a),
        Command::Claim(ClaimCommand::Get(a)) => claims::get(&ctx, &a),
        Command::Claim(ClaimCommand::List(a)) => claims::list(&ctx, &a),
        Command::Cert(CertCommand::Issue(a)) => certificates::issue(&ctx, &a),
        Command::Cert(CertCommand::Verify(a)) => certificates::verify(&ctx, &a),
        Command::Cert(CertCommand::Revoke(a)) => certificates::revoke(&ctx, &a),
        Command::Cert(CertCommand::Get(a)) => certificates::get(&ctx, &a),
        Command::History(a) => audit::history(&ctx, &a),
        Command::Audit(a) => audit::audit(&ctx, &a),
        Command::Completions(args) => reference::completions(&args),
        Command::Man(args) => reference::man(&ctx, &args),
    }
}
