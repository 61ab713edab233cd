//! The extension point every ledger command builds on: [`Context`] (the global options: home,
//! profile choice, output format) and [`Session`] (the chosen profile turned into a connected
//! Gateway client: identity + signer + gateway connection + channel + default chaincode).
//!
//! A new command (the medical `patient`, `consent`, `rx`, ... commands) is written as:
//!
//! ```ignore
//! pub fn run(ctx: &Context, args: &MyArgs) -> anyhow::Result<()> {
//!     ctx.block_on(async {
//!         let session = ctx.connect().await?;                 // spinner, exit 6 if unreachable
//!         let contract = session.contract(args.chaincode.as_deref(), None)?;
//!         let bytes = contract.evaluate("ReadThing", [&args.id]).await?;  // SDK errors keep
//!         let mut r = Report::new("Thing");                    // their exit codes (exit.rs)
//!         r.row("id", args.id.clone());
//!         r.print(ctx.output)                                  // table or JSON (output.rs)
//!     })
//! }
//! ```
//!
//! Medical commands take a typed client instead: `session.medical(&args.target.chaincode)`
//! (a `medledger_sdk::MedLedgerClient`; its errors carry the chaincode's status and message,
//! mapped to exit codes and hints by `exit.rs`).
//!
//! Errors: return `anyhow` errors; SDK errors are mapped to exit codes by `exit::classify`,
//! and a command that knows better raises `exit::fail(Exit::Denied, "...")` or an
//! `exit::Failure` with a hint. Output: `output::Report` (one object) or `output::Table` (a
//! list); long waits are wrapped in `output::Spinner`.

use crate::cli::{GlobalArgs, OutputFormat};
use crate::exit::{Exit, Failure};
use crate::home::Home;
use crate::output::Spinner;
use crate::profile::{Profile, Profiles};
use anyhow::Context as _;
use fabric_sdk::gateway::{Connection, Contract, Gateway, Network};
use fabric_sdk::identity::SigningIdentity;
use std::future::Future;
use std::time::Duration;

/// The global options, resolved once.
pub struct Context {
    pub home: Home,
    pub output: OutputFormat,
    pub profile: Option<String>,
    pub verbose: bool,
}

impl Context {
    pub fn new(global: &GlobalArgs) -> anyhow::Result<Context> {
        Ok(Context {
            home: Home::resolve(global.home.as_deref())?,
            output: global.output,
            profile: global.profile.clone(),
            verbose: global.verbose,
        })
    }

    pub fn profiles(&self) -> Profiles<'_> {
        Profiles::new(&self.home)
    }

    /// The profile chosen by `--profile`/`MEDLEDGER_PROFILE` or `profile use`.
    pub fn profile(&self) -> anyhow::Result<(String, Profile)> {
        self.profiles().resolve(self.profile.as_deref())
    }

    /// Runs `f` on a multi-threaded tokio runtime.
    pub fn block_on<T>(&self, f: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?
            .block_on(f)
    }

    pub fn spinner(&self, message: impl Into<String>) -> Spinner {
        Spinner::start(self.output, message)
    }

    /// Connects with the chosen profile.
    pub async fn connect(&self) -> anyhow::Result<Session> {
        let (name, profile) = self.profile()?;
        let _spin = self.spinner(format!(
            "connecting to {} as {name}",
            profile.gateway.address
        ));
        Session::connect(name, profile).await
    }
}

/// A profile turned into a connected client.
pub struct Session {
    pub name: String,
    pub profile: Profile,
    /// The signing identity (for commands that need its certificate or sign outside the gateway).
    #[allow(dead_code)]
    pub signer: SigningIdentity,
    pub gateway: Gateway,
}

impl Session {
    /// Loads the identity, dials the gateway (TLS as the profile says), and checks it answers.
    pub async fn connect(name: String, profile: Profile) -> anyhow::Result<Session> {
        let id = profile.identity.clone();
        let signer = tokio::task::spawn_blocking(move || id.load())
            .await
            .context("loading the identity")?
            .with_context(|| format!("profile {name}: the identity is unusable"))?;
        let g = &profile.gateway;
        let mut builder = Connection::builder(&g.address).connect_timeout(Duration::from_secs(5));
        if let Some(root) = &g.tls_root_cert {
            builder = builder.tls_root_cert_file(root);
        }
        if let Some(s) = &g.server_name {
            builder = builder.server_name(s);
        }
        match (&g.client_cert, &g.client_key) {
            (Some(c), Some(k)) => builder = builder.client_cert_files(c, k),
            (None, None) => {}
            _ => {
                return Err(Failure::new(
                    Exit::Config,
                    format!(
                        "profile {name}: a client TLS certificate needs its key and vice versa"
                    ),
                )
                .into());
            }
        }
        let connection = builder.connect().await.map_err(|e| {
            anyhow::Error::from(e).context(format!(
                "cannot reach the gateway {} of profile {name}",
                g.address
            ))
        })?;
        let gateway = Gateway::connect(connection, &signer);
        Ok(Session {
            name,
            profile,
            signer,
            gateway,
        })
    }

    /// The profile's channel.
    pub fn network(&self) -> Network {
        self.gateway.network(&self.profile.channel)
    }

    /// `chaincode` or the profile's default chaincode; `contract` for a named contract.
    pub fn contract(
        &self,
        chaincode: Option<&str>,
        contract: Option<&str>,
    ) -> anyhow::Result<Contract> {
        let cc = self.chaincode(chaincode)?;
        Ok(match contract {
            Some(c) => self.network().contract_with_name(cc, c),
            None => self.network().contract(cc),
        })
    }

    /// A typed client of the medical chaincode `chaincode` on the profile's channel, signing
    /// with the profile's identity over the session's connection.
    pub fn medical(&self, chaincode: &str) -> medledger_sdk::MedLedgerClient {
        medledger_sdk::MedLedgerClient::with_chaincode(
            &self.gateway,
            &self.profile.channel,
            chaincode,
        )
    }

    /// `chaincode` or the profile's default; exit 2 when neither is set.
    pub fn chaincode(&self, chaincode: Option<&str>) -> anyhow::Result<String> {
        chaincode
            .map(str::to_owned)
            .or_else(|| self.profile.chaincode.clone())
            .ok_or_else(|| {
                Failure::new(
                    Exit::Usage,
                    format!("profile {} has no default chaincode", self.name),
                )
                .hint("pass --chaincode NAME")
                .into()
            })
    }
}
