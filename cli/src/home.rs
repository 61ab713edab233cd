//! The configuration directory (`--home`, `MEDLEDGER_HOME`, default `~/.medledger`):
//!
//! ```text
//! <home>/config.json                    {"current_profile": "...", "devnet_dir": "..."}
//! <home>/profiles/<name>.json           one profile per file (see profile.rs)
//! <home>/identities/<name>/identity.json  an imported identity, with its msp/ or cert.pem + key.pem
//! ```
//!
//! Every file is written atomically (temporary file in the same directory, fsync, rename); a file
//! that does not parse is reported with its path and what to do (exit code 7).

use crate::exit::{Exit, Failure};
use anyhow::Context;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `config.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Config {
    /// The profile `medledger profile use` chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_profile: Option<String>,
    /// The data directory of the last `medledger devnet up` (the default of `devnet
    /// down|status|reset` and of `identity list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devnet_dir: Option<PathBuf>,
}

/// The configuration directory.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// `--home`/`MEDLEDGER_HOME` if given, else `$HOME/.medledger`.
    pub fn resolve(explicit: Option<&Path>) -> anyhow::Result<Home> {
        if let Some(p) = explicit {
            return Ok(Home { root: p.into() });
        }
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .ok_or_else(|| {
                Failure::new(
                    Exit::Config,
                    "cannot find the home directory for ~/.medledger",
                )
                .hint("pass --home DIR or set MEDLEDGER_HOME")
            })?;
        Ok(Home {
            root: PathBuf::from(home).join(".medledger"),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config_file(&self) -> PathBuf {
        self.root.join("config.json")
    }

    pub fn profiles_dir(&self) -> PathBuf {
        self.root.join("profiles")
    }

    pub fn identities_dir(&self) -> PathBuf {
        self.root.join("identities")
    }

    /// `config.json`, or the defaults when it does not exist yet.
    pub fn config(&self) -> anyhow::Result<Config> {
        Ok(read_json_opt(&self.config_file())?.unwrap_or_default())
    }

    /// Changes `config.json` with `f` and writes it back atomically.
    pub fn update_config(&self, f: impl FnOnce(&mut Config)) -> anyhow::Result<Config> {
        let mut c = self.config()?;
        f(&mut c);
        write_json(&self.config_file(), &c)?;
        Ok(c)
    }
}

/// Reads a JSON file; `Ok(None)` when it does not exist; a clear exit-7 error naming the file
/// when it does not parse.
pub fn read_json_opt<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Option<T>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Failure::new(Exit::Config, format!("{} is corrupt: {e}", path.display()))
            .hint(format!(
                "fix the JSON by hand, or delete {} and create it again (`medledger profile add`, \
             `medledger profile use`, or `medledger devnet up` for the devnet's profiles)",
                path.display()
            ))
            .into()
    })
}

/// Writes `value` as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    write_atomic(path, &text)
}

/// Temporary file in the same directory, fsync, rename over `path`, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A name usable as a file name and typeable: letters, digits, `-`, `_`, `.`, not starting with `.`.
pub fn check_name(kind: &str, name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Failure::new(
            Exit::Usage,
            format!(
                "{kind} name {name:?} is not usable: use 1-64 letters, digits, '-', '_' or '.'"
            ),
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_config_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::resolve(Some(dir.path())).unwrap();
        assert!(home.config().unwrap().current_profile.is_none());
        home.update_config(|c| c.current_profile = Some("a".into()))
            .unwrap();
        assert_eq!(home.config().unwrap().current_profile.as_deref(), Some("a"));
        std::fs::write(home.config_file(), "{not json").unwrap();
        let e = home.config().unwrap_err();
        assert_eq!(crate::exit::classify(&e), Exit::Config);
        assert!(e.to_string().contains("config.json"), "{e}");
    }
}
