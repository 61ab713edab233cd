//! What the CLI tests that run `medledger` against a devnet share: a scratch directory
//! (`MEDLEDGER_HOME`, the devnet's data), the command runner and the devnet stopper.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use medledger_network::topology::Topology;
use serde_json::Value;

/// A scratch directory: `home` is `MEDLEDGER_HOME`, `devnet` the devnet's data directory.
pub struct Env {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub devnet: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        Env {
            home: root.join("home"),
            devnet: root.join("devnet"),
            root,
            _dir: dir,
        }
    }

    /// Runs `medledger <args>` in the scratch directory, with no profile or chaincode name
    /// from the caller's environment.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_medledger"))
            .args(args)
            .env("MEDLEDGER_HOME", &self.home)
            .env_remove("MEDLEDGER_PROFILE")
            .env_remove("MEDLEDGER_CHAINCODE")
            .current_dir(&self.root)
            .output()
            .expect("run medledger")
    }

    /// Runs a command that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "medledger {args:?} failed ({:?}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command that must succeed with `--output json`; its JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--output", "json"]);
        let text = self.ok(&a);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
    }

    /// Runs a command that must fail; returns (exit code, stderr).
    pub fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "medledger {args:?} should fail:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// [`Env::ok`] as `--profile <profile>`.
    pub fn ok_as(&self, profile: &str, args: &[&str]) -> String {
        self.ok(&with_profile(profile, args))
    }

    /// [`Env::json`] as `--profile <profile>`.
    pub fn json_as(&self, profile: &str, args: &[&str]) -> Value {
        self.json(&with_profile(profile, args))
    }

    /// [`Env::fails`] as `--profile <profile>`.
    pub fn fails_as(&self, profile: &str, args: &[&str]) -> (i32, String) {
        self.fails(&with_profile(profile, args))
    }

    /// Writes `topology` to `topology.toml` and runs `devnet up --detach` with it, which must
    /// succeed; returns what it printed.
    pub fn devnet_up(&self, topology: &Topology) -> String {
        let topo = self.root.join("topology.toml");
        std::fs::write(&topo, topology.to_toml_string().unwrap()).unwrap();
        self.ok(&[
            "devnet",
            "up",
            "--detach",
            "--dir",
            self.devnet.to_str().unwrap(),
            "--topology",
            topo.to_str().unwrap(),
        ])
    }

    /// Writes `content` to `name` in the scratch directory; its path.
    pub fn file(&self, name: &str, content: &[u8]) -> String {
        let path = self.root.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

fn with_profile<'a>(profile: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["--profile", profile];
    a.extend(args);
    a
}

/// Stops the devnet even when an assertion failed.
pub struct Down<'a>(pub &'a Env);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .run(&["devnet", "down", "--dir", self.0.devnet.to_str().unwrap()]);
    }
}
