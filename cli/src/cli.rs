//! Every command and flag of `medledger`, defined once (the help, the shell completions and
//! the man pages are generated from these definitions).
//!
//! Exit codes: see `exit.rs` (printed in `medledger --help`).
//!
//! Adding a command group: add a variant to [`Command`] with its `Args`/`Subcommand` types here,
//! a line for it in [`ROOT_HELP`] under its group, a module in `commands/`, and a match arm in
//! `commands::run`. Ledger commands get a connected client from `context::Context::connect`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod medical;
pub use medical::*;

/// The root help: the commands grouped as a map of the product. Every subcommand must be listed
/// here (a test checks it).
pub const ROOT_HELP: &str = "\
{before-help}{about-with-newline}
{usage-heading} {usage}

Start here:
  demo        Play the whole medical story on a fresh network (under 30 s)

Medical ledger (through a profile's gateway; `--profile` picks who acts):
  patient     Patients: register (demographics private), get, erase
  consent     Consent: grant, revoke, list, check
  record      Medical records: add, get, access (logged)
  rx          Prescriptions: issue, get, dispense, deliver, cancel, list
  claim       Insurance claims: submit, adjudicate, pay, get, list
  cert        Certificates: issue, verify (hashes the file), revoke, get
  history     Every committed version of an asset
  audit       A patient's access log
  events      Watch chaincode events (typed for the medical chaincode), with a checkpoint

Any chaincode:
  chaincode   Call any chaincode: evaluate (query) or submit (transaction)

Network operations:
  devnet      Run the embedded devnet: up [--detach], down, status, reset
  network     Real Fabric: crypto material, the CCaaS package, the deployment kit

Setup:
  profile     Profiles: an identity plus a gateway, channel and chaincode
  identity    Identities: show, import, list
  policy      Encode Fabric signature policies
  completions Shell completions (bash, zsh, fish, powershell, elvish)
  man         Man pages
  help        Print this message or the help of the given subcommand(s)

Options:
{options}{after-help}";

#[derive(Debug, Parser)]
#[command(
    name = "medledger",
    version,
    about = "MedLedger: a shared medical ledger on Hyperledger Fabric for hospitals, insurers and pharmacies",
    long_about = "MedLedger: a shared medical ledger on Hyperledger Fabric.\n\n\
        Hospitals (Seoul Medical Center, Myongji Hospital), insurers (NHIS) and pharmacies share one \
        ledger of pseudonyms, hashes, states, consent and an audit trail; patient data stays private.",
    help_template = ROOT_HELP,
    after_help = concat!(
        "Examples:\n  \
        medledger demo                               # the whole story in under 30 s\n  \
        medledger devnet up --detach                 # start a network, one profile per user\n  \
        medledger profile list\n  \
        medledger --profile seoulmedical-doctor1 patient get P-SMC-000001\n  \
        medledger --profile pharmacy-pharmacist1 rx dispense RX-1\n  \
        medledger events watch --start-block 0 --checkpoint events.json\n  \
        medledger devnet down\n\n",
        crate::exit_codes_help!()
    )
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Log what happens (to stderr). MEDLEDGER_LOG=<filter> overrides.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// The profile to use (default: the one chosen with `medledger profile use`).
    #[arg(long, global = true, env = "MEDLEDGER_PROFILE")]
    pub profile: Option<String>,
    /// The configuration directory (profiles, identities). Default: ~/.medledger.
    #[arg(long, global = true, env = "MEDLEDGER_HOME")]
    pub home: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text and tables.
    Table,
    /// One JSON document on stdout, for scripts (events: one JSON object per line).
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play the whole medical story on a fresh embedded network, then stop it.
    ///
    /// Starts the devnet with the medical chaincode (in a temporary directory, or --dir) and
    /// plays the story with the consortium's identities: a patient registered at Seoul Medical
    /// Center, consent to Myongji Hospital and NHIS, a record read by Myongji (logged), a
    /// prescription issued, dispensed and delivered, a claim submitted, approved and paid, a
    /// certificate issued, verified and revoked, the access log, the patient erased. Each step
    /// prints who did it, its transaction id, block and time; a summary follows.
    #[command(after_help = "Examples:\n  medledger demo\n  \
        medledger demo --output json\n  \
        medledger demo --keep            # leave the network running, with a profile per user")]
    Demo(DemoArgs),
    /// Network operations: crypto material, CCaaS packages and the kit for a real Fabric network.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Run the embedded devnet: a Fabric-compatible network in one process.
    #[command(subcommand)]
    Devnet(DevnetCommand),
    /// Identities: show one, import one into the home, list the known ones.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Work with Fabric policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Profiles: an identity plus a gateway, a channel and a default chaincode.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Raw calls to any chaincode through the profile's gateway.
    #[command(subcommand)]
    Chaincode(ChaincodeCommand),
    /// Chaincode events.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Patients: register (demographics only in the transient map), show, erase.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Consent: a patient's permission for an organisation, a purpose and record categories.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Medical records: add (metadata and salted hash; content private), get, access.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Electronic prescriptions: issue, show, dispense, deliver, cancel, list.
    #[command(subcommand)]
    Rx(RxCommand),
    /// Insurance claims: submit, adjudicate, pay, show, list.
    #[command(subcommand)]
    Claim(ClaimCommand),
    /// Medical certificates: issue (salted hash of the document), verify, revoke, show.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Every committed version of an asset, newest first, with its transaction and time.
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-auditor1 history prescription RX-1\n  \
        medledger --profile seoulmedical-doctor1 history patient P-SMC-000001 --output json")]
    History(HistoryArgs),
    /// A patient's access log: who read which record, for what, under which consent.
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-patient1 audit P-SMC-000001\n  \
        medledger --profile nhis-auditor1 audit P-SMC-000001 --output json")]
    Audit(AuditArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  \
        medledger completions bash > /etc/bash_completion.d/medledger\n  \
        medledger completions zsh > \"${fpath[1]}/_medledger\"\n  \
        medledger completions fish > ~/.config/fish/completions/medledger.fish")]
    Completions(CompletionsArgs),
    /// Print the man page, or write one page per command into a directory.
    #[command(after_help = "Examples:\n  \
        medledger man | man -l -\n  \
        medledger man --out ./man        # medledger.1, medledger-devnet-up.1, ...")]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The devnet's data directory (must not hold a devnet yet; default: a temporary
    /// directory, removed when the demo ends).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// After the story, keep the network running (until Ctrl-C) and write a profile per user
    /// into the home, to explore with the medical commands.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Generate MSP and TLS material for every org, peer, orderer and user (cryptogen's job).
    #[command(
        after_help = "Examples:\n  medledger network crypto --out ./crypto\n  \
        medledger network crypto --topology network/topology/medical.toml --out ./crypto --overwrite"
    )]
    Crypto(CryptoArgs),
    /// Make the chaincode-as-a-service package of each chaincode and print its package id.
    ///
    /// The package is what `peer lifecycle chaincode install` takes: metadata.json
    /// ({"type":"ccaas","label":...}) and code.tar.gz holding connection.json (the address peers
    /// dial, dial_timeout, tls_required, and with TLS the PEM certificates the topology names).
    /// Writes <label>.tar.gz and <label>.package-id (label:sha256 of the file, the id the
    /// chaincode server registers with, CHAINCODE_ID). The devnet makes the same package.
    #[command(
        after_help = "Examples:\n  medledger network package --out ./packages\n  \
        medledger network package --chaincode medledger --address medledger-chaincode.fabric.svc.cluster.local:9999 --out ./packages\n  \
        medledger network package --topology network/topology/medical.toml --out ./packages --overwrite --output json"
    )]
    Package(PackageArgs),
    /// Generate the kit for a real Fabric network (Fabric's native binaries) from the topology.
    ///
    /// The kit directory gets: crypto/ (MSP and TLS material), configtx.yaml (organisations,
    /// policies, anchor peers, etcdraft consenters, capabilities, profile MedLedgerChannel),
    /// nodes/*.env (orderer.yaml / core.yaml overrides per node, including the ccaas external
    /// builder), core-ccaas.yaml, chaincode/<name>/ (the CCaaS package and id, collections.json,
    /// endorsement policy, Dockerfile, kubernetes.yaml), connections/<MSP>.json (for the SDK and
    /// CLI) and scripts/ (network-up.sh, chaincode-server.sh, deploy-chaincode.sh, up.sh,
    /// network-down.sh). See docs/real-fabric.md.
    #[command(
        after_help = "Examples:\n  medledger network config --out ./fabric-kit\n  \
        FABRIC_BIN=~/fabric/bin MEDLEDGER_CHAINCODE=target/release/medledger-chaincode ./fabric-kit/scripts/up.sh\n  \
        medledger network config --out ./fabric-kit --port-base 8050 --overwrite\n  \
        medledger network config --topology network/topology/medical.toml --out ./kit --chaincode-address medledger=medledger-chaincode.fabric.svc.cluster.local:9999"
    )]
    Config(KitConfigArgs),
}

#[derive(Debug, Args)]
pub struct CryptoArgs {
    /// Topology file (TOML). Default: the medical consortium.
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Output directory (gets peerOrganizations/ and ordererOrganizations/).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace material already in the output directory.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Topology file (TOML). Default: the medical consortium.
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Output directory for <label>.tar.gz and <label>.package-id.
    #[arg(long)]
    pub out: PathBuf,
    /// Only this chaincode (default: every chaincode of the topology).
    #[arg(long)]
    pub chaincode: Option<String>,
    /// The host:port peers dial, instead of the topology's `address` (needs --chaincode when the
    /// topology has several chaincodes). Changes the package id.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
    pub address: Option<String>,
    /// Replace package files already in the output directory.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct KitConfigArgs {
    /// Topology file (TOML). Default: the medical consortium.
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// The kit directory (absent or empty; with --overwrite, a kit generated earlier).
    #[arg(long)]
    pub out: PathBuf,
    /// Host the nodes listen on and are reached at.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// First port: orderers then peers take three consecutive ports each.
    #[arg(long, default_value_t = 7050)]
    pub port_base: u16,
    /// Address peers dial for a chaincode, as NAME=HOST:PORT (or HOST:PORT when the topology has
    /// one chaincode), instead of the topology's `address`. Repeatable. Changes the package id.
    #[arg(long, value_name = "[NAME=]HOST:PORT", value_parser = parse_chaincode_address)]
    pub chaincode_address: Vec<String>,
    /// Replace a kit generated earlier in the output directory (stop its network first).
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Subcommand)]
pub enum DevnetCommand {
    /// Start the devnet (or resume it) and serve until Ctrl-C or SIGTERM, or in the background.
    ///
    /// On first start the data directory gets the crypto material, the channel's genesis block
    /// and the CCaaS chaincode packages; later starts reuse them and continue the ledger. Every
    /// peer serves the Fabric Gateway and Deliver APIs over TLS; a connection file per
    /// organisation (connections/<MSP>.json) says where and with which identities to connect.
    /// A profile is written for every user (`<org>-<user>`, e.g. `seoulmedical-doctor1`).
    /// With --detach the devnet runs in the background (log: <dir>/devnet.log, state:
    /// <dir>/devnet.pid.json) and the command returns once the network answers.
    #[command(after_help = "Examples:\n  medledger devnet up\n  \
        medledger devnet up --detach\n  \
        medledger devnet up --dir ./devnet --topology network/topology/medical.toml\n  \
        medledger devnet up --output json")]
    Up(DevnetUpArgs),
    /// Stop the devnet running in the background (SIGTERM, then wait for it to exit).
    #[command(
        after_help = "Examples:\n  medledger devnet down\n  medledger devnet down --dir ./devnet"
    )]
    Down(DevnetDirArgs),
    /// Whether the devnet runs: pid, peers and addresses, channel height.
    #[command(
        after_help = "Examples:\n  medledger devnet status\n  medledger devnet status --output json"
    )]
    Status(DevnetDirArgs),
    /// Delete the devnet's data directory (ledger, crypto material, connection files).
    #[command(after_help = "Examples:\n  medledger devnet reset\n  \
        medledger devnet reset --force      # stop it first if it runs")]
    Reset(DevnetResetArgs),
}

#[derive(Debug, Args)]
pub struct DevnetUpArgs {
    /// Data directory (ledger, crypto material, connection files). Default: the topology's
    /// `[devnet] data_dir` (.medledger/devnet).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Topology file (TOML). Default: the one saved in the data directory, else the medical
    /// consortium.
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Run in the background and return once the network answers.
    #[arg(long)]
    pub detach: bool,
    /// With --detach: how long to wait for the network to answer, in seconds.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

#[derive(Debug, Args)]
pub struct DevnetDirArgs {
    /// Data directory. Default: the one of the last `medledger devnet up`, else
    /// .medledger/devnet.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DevnetResetArgs {
    #[command(flatten)]
    pub dir: DevnetDirArgs,
    /// Stop the devnet first if it runs (else reset refuses).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Show an identity: MSP, role, Fabric CA attributes, ID string, validity.
    #[command(
        after_help = "Examples:\n  medledger identity show --msp-dir ./crypto/peerOrganizations/seoulmedical.example.com/users/Admin@seoulmedical.example.com/msp --msp-id SeoulMedicalCenterMSP\n  \
        medledger identity show --name smc-admin"
    )]
    Show(IdentityShowArgs),
    /// Copy an identity (MSP directory, or certificate and key) into the home under a name.
    ///
    /// The copy lives in <home>/identities/<name>/; `medledger profile add --identity <name>`
    /// uses it. The key must match the certificate.
    #[command(after_help = "Examples:\n  \
        medledger identity import alice --msp-id Org1MSP --msp-dir ./users/User1@org1.example.com/msp\n  \
        medledger identity import bob --msp-id Org1MSP --cert bob-cert.pem --key bob-key.pem")]
    Import(IdentityImportArgs),
    /// List the known identities: imported ones and the current devnet's users.
    #[command(
        after_help = "Examples:\n  medledger identity list\n  medledger identity list --output json"
    )]
    List(IdentityListArgs),
}

#[derive(Debug, Args)]
pub struct IdentityImportArgs {
    /// The name to import it under.
    pub name: String,
    /// The MSP ID the identity belongs to.
    #[arg(long)]
    pub msp_id: String,
    /// The identity's MSP directory (signcerts/, keystore/, cacerts/, config.yaml).
    #[arg(long, conflicts_with_all = ["cert", "key"], required_unless_present = "cert")]
    pub msp_dir: Option<PathBuf>,
    /// The identity's certificate (PEM).
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// The certificate's private key (PEM, PKCS#8).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Replace an identity already imported under this name.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct IdentityListArgs {
    /// The devnet whose users to list. Default: the one of the last `medledger devnet up`.
    #[arg(long)]
    pub devnet_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IdentityShowArgs {
    /// The identity's MSP directory (signcerts/, keystore/, cacerts/, config.yaml).
    #[arg(long, requires = "msp_id", required_unless_present = "name")]
    pub msp_dir: Option<PathBuf>,
    /// The MSP ID the identity belongs to.
    #[arg(long)]
    pub msp_id: Option<String>,
    /// An imported identity (`medledger identity import`) instead of --msp-dir.
    #[arg(long, conflicts_with_all = ["msp_dir", "msp_id"])]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Encode a signature policy (AND/OR/OutOf over 'MSP.role') as Fabric does.
    #[command(
        after_help = "Example:\n  medledger policy encode \"OutOf(2, 'SeoulMedicalCenterMSP.peer', 'MyongjiHospitalMSP.peer', 'NHISMSP.peer')\""
    )]
    Encode(PolicyEncodeArgs),
}

#[derive(Debug, Args)]
pub struct PolicyEncodeArgs {
    /// The policy, e.g. "AND('Org1MSP.peer', 'Org2MSP.peer')".
    pub policy: String,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a profile: an identity (imported, an MSP directory, or certificate and key) and a
    /// gateway (address, TLS root, server name, client TLS), a channel and a default chaincode.
    #[command(after_help = "Examples:\n  \
        medledger profile add org1-user1 --identity alice --gateway localhost:7051 \\\n      \
        --tls-root-cert ./tlsca.org1.example.com-cert.pem --server-name peer0.org1.example.com \\\n      \
        --channel mychannel --chaincode basic\n  \
        medledger profile add ops --msp-id Org1MSP --msp-dir ./users/Admin@org1.example.com/msp \\\n      \
        --gateway peer0.org1.example.com:7051 --tls-root-cert ./tlsca.pem --channel mychannel")]
    Add(Box<ProfileAddArgs>),
    /// List the profiles (the current one is marked).
    #[command(
        after_help = "Examples:\n  medledger profile list\n  medledger profile list --output json"
    )]
    List,
    /// Make a profile the current one (used when --profile is not given).
    #[command(after_help = "Example:\n  medledger profile use seoulmedical-doctor1")]
    Use(ProfileNameArgs),
    /// Show a profile (default: the current one).
    #[command(
        after_help = "Examples:\n  medledger profile show\n  medledger profile show nhis-claimsofficer1 --output json"
    )]
    Show(ProfileShowArgs),
    /// Remove a profile.
    #[command(after_help = "Example:\n  medledger profile remove org1-user1")]
    Remove(ProfileNameArgs),
}

#[derive(Debug, Args)]
pub struct ProfileAddArgs {
    /// The profile's name (letters, digits, '-', '_', '.').
    pub name: String,
    /// An identity imported with `medledger identity import`.
    #[arg(long, conflicts_with_all = ["msp_dir", "cert", "key", "msp_id"], required_unless_present = "msp_id")]
    pub identity: Option<String>,
    /// The MSP ID of the identity (with --msp-dir, or --cert and --key).
    #[arg(long)]
    pub msp_id: Option<String>,
    /// The identity's MSP directory.
    #[arg(long, conflicts_with_all = ["cert", "key"], requires = "msp_id")]
    pub msp_dir: Option<PathBuf>,
    /// The identity's certificate (PEM).
    #[arg(long, requires_all = ["key", "msp_id"])]
    pub cert: Option<PathBuf>,
    /// The identity's private key (PEM).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// The gateway peer, host:port.
    #[arg(long)]
    pub gateway: String,
    /// The TLS root CA of the gateway peer (PEM); without it the connection is plaintext.
    #[arg(long)]
    pub tls_root_cert: Option<PathBuf>,
    /// The TLS server name to verify (when the address's host is not in the certificate).
    #[arg(long)]
    pub server_name: Option<String>,
    /// Client TLS certificate for mutual TLS (PEM).
    #[arg(long, requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// Client TLS key for mutual TLS (PEM).
    #[arg(long, requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// The channel.
    #[arg(long)]
    pub channel: String,
    /// The default chaincode of commands that take --chaincode.
    #[arg(long)]
    pub chaincode: Option<String>,
    /// Make it the current profile.
    #[arg(long = "use")]
    pub make_current: bool,
    /// Replace a profile of the same name.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct ProfileNameArgs {
    /// The profile's name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ProfileShowArgs {
    /// The profile's name (default: --profile, else the current one).
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ChaincodeCommand {
    /// Run a function on one peer without ordering it (a query); prints its result.
    #[command(after_help = "Examples:\n  \
        medledger chaincode evaluate --chaincode basic ReadAsset asset1\n  \
        medledger chaincode evaluate --chaincode basic GetAllAssets --output json\n  \
        medledger --profile nhis-admin chaincode evaluate --chaincode kv --contract Store get k1")]
    Evaluate(ChaincodeCallArgs),
    /// Endorse, order and commit a transaction; prints its result, txid, block and validation code.
    #[command(after_help = "Examples:\n  \
        medledger chaincode submit --chaincode basic CreateAsset asset7 red 5 Ann 300\n  \
        medledger chaincode submit --chaincode kv PutPrivate k1 --transient value=@secret.json\n  \
        medledger chaincode submit --chaincode basic TransferAsset asset7 Bob \\\n      \
        --endorsing-org SeoulMedicalCenterMSP --endorsing-org MyongjiHospitalMSP")]
    Submit(ChaincodeCallArgs),
}

#[derive(Debug, Args)]
pub struct ChaincodeCallArgs {
    /// The chaincode (default: the profile's chaincode).
    #[arg(long)]
    pub chaincode: Option<String>,
    /// A named contract of the chaincode (the function is sent as CONTRACT:FUNCTION).
    #[arg(long)]
    pub contract: Option<String>,
    /// The function.
    pub function: String,
    /// Its arguments (strings; put `--` before arguments that start with '-').
    pub args: Vec<String>,
    /// Transient (private) data: key=value, or key=@file to read the value from a file.
    /// Never written to the ledger.
    #[arg(long, value_name = "KEY=VALUE|KEY=@FILE")]
    pub transient: Vec<String>,
    /// An organisation that must endorse (repeatable; default: the gateway chooses).
    #[arg(long = "endorsing-org", value_name = "MSP")]
    pub endorsing_orgs: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print chaincode events (txid, block, name, payload) as they commit, until Ctrl-C.
    ///
    /// Events of the medical chaincode (`medledger`) print typed: the asset's id, patient,
    /// status and the other organisation (never PHI); other chaincodes' payloads print raw.
    ///
    /// With --checkpoint FILE the position is saved after every event and a later run resumes
    /// just after the last event printed: nothing lost, nothing twice. Without a checkpoint or
    /// --start-block, events start at the next commit.
    #[command(after_help = "Examples:\n  \
        medledger events watch --start-block 0 --limit 5             # the medical chaincode\n  \
        medledger events watch --chaincode basic\n  \
        medledger events watch --chaincode basic --start-block 0 --checkpoint basic-events.json\n  \
        medledger events watch --chaincode basic --checkpoint basic-events.json --limit 10 --output json")]
    Watch(EventsWatchArgs),
}

#[derive(Debug, Args)]
pub struct EventsWatchArgs {
    /// The chaincode (default: the profile's chaincode).
    #[arg(long)]
    pub chaincode: Option<String>,
    /// Start at this block (used only when the checkpoint file holds no position yet).
    #[arg(long)]
    pub start_block: Option<u64>,
    /// A checkpoint file: resume from it, and save the position after every event.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Stop after this many events.
    #[arg(long)]
    pub limit: Option<u64>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into this directory (default: the root page to stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Checks a `HOST:PORT` argument (a name or IP address, a port from 1 to 65535).
fn parse_host_port(text: &str) -> Result<String, String> {
    let valid = text.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && !host.contains(char::is_whitespace)
            && port.parse::<u16>().is_ok_and(|p| p > 0)
    });
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not host:port (e.g. medledger-chaincode:9999)"
        ))
    }
}

/// Checks a `[NAME=]HOST:PORT` argument.
fn parse_chaincode_address(text: &str) -> Result<String, String> {
    let address = text.split_once('=').map_or(text, |(_, address)| address);
    parse_host_port(address).map(|_| text.to_owned())
}
