//! Every command and flag of `medledger`, defined once.
//!
//! Exit codes: 0 success; 1 the operation failed (the message says why and what to do);
//! 2 the command line is wrong (usage error, printed by clap).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "medledger",
    version,
    about = "MedLedger: a shared medical ledger on Hyperledger Fabric for hospitals, insurers and pharmacies",
    long_about = "MedLedger: a shared medical ledger on Hyperledger Fabric.\n\n\
        Hospitals (Seoul Medical Center, Myongji Hospital), insurers (NHIS) and pharmacies share one \
        ledger of pseudonyms, hashes, states, consent and an audit trail; patient data stays private.",
    after_help = "Examples:\n  medledger demo\n  medledger network crypto --out ./crypto\n  \
        medledger identity show --msp-dir ./crypto/peerOrganizations/seoulmedical.example.com/users/Admin@seoulmedical.example.com/msp --msp-id SeoulMedicalCenterMSP\n  \
        medledger policy encode \"AND('SeoulMedicalCenterMSP.peer', 'NHISMSP.peer')\""
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text and tables.
    Table,
    /// One JSON document on stdout, for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MedLedger demo end to end on the embedded network.
    ///
    /// Today (foundation stage) it generates the default consortium's crypto material, builds and
    /// signs a prescription proposal as a Seoul Medical Center doctor (PHI only in the transient
    /// map), checks it as a peer would, endorses it with two hospitals' peers, verifies the
    /// endorsement policy and prints the transaction id.
    #[command(
        after_help = "Examples:\n  medledger demo\n  medledger demo --dir ./demo-crypto --output json"
    )]
    Demo(DemoArgs),
    /// Network operations: crypto material, CCaaS packages and the kit for a real Fabric network.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Run the embedded devnet: a Fabric-compatible network in this process.
    #[command(subcommand)]
    Devnet(DevnetCommand),
    /// Inspect identities (MSP directories).
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Work with Fabric policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the crypto material (default: a temporary directory, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
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
    #[arg(long, value_name = "HOST:PORT")]
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
    #[arg(long, value_name = "[NAME=]HOST:PORT")]
    pub chaincode_address: Vec<String>,
    /// Replace a kit generated earlier in the output directory (stop its network first).
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Subcommand)]
pub enum DevnetCommand {
    /// Start the devnet (or resume it) and serve until Ctrl-C or SIGTERM.
    ///
    /// On first start the data directory gets the crypto material, the channel's genesis block
    /// and the CCaaS chaincode packages; later starts reuse them and continue the ledger. Every
    /// peer serves the Fabric Gateway and Deliver APIs over TLS; a connection file per
    /// organisation (connections/<MSP>.json) says where and with which identities to connect.
    #[command(after_help = "Examples:\n  medledger devnet up\n  \
        medledger devnet up --dir ./devnet --topology network/topology/medical.toml\n  \
        medledger devnet up --output json")]
    Up(DevnetUpArgs),
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
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Show an identity: MSP, role, Fabric CA attributes, ID string, validity.
    #[command(
        after_help = "Example:\n  medledger identity show --msp-dir ./crypto/peerOrganizations/seoulmedical.example.com/users/Admin@seoulmedical.example.com/msp --msp-id SeoulMedicalCenterMSP"
    )]
    Show(IdentityShowArgs),
}

#[derive(Debug, Args)]
pub struct IdentityShowArgs {
    /// The identity's MSP directory (signcerts/, keystore/, cacerts/, config.yaml).
    #[arg(long)]
    pub msp_dir: PathBuf,
    /// The MSP ID the identity belongs to.
    #[arg(long)]
    pub msp_id: String,
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
