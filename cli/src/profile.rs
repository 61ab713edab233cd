//! Profiles: an identity plus a gateway plus a channel and a default chaincode, stored as
//! `<home>/profiles/<name>.json`. `medledger devnet up` writes one per devnet user, named
//! `<org>-<user>` in lower case: the first label of the organisation's domain and the user's
//! name (`seoulmedical-doctor1`, `nhis-claimsofficer1`, `pharmacy-admin`).

use crate::exit::{Exit, Failure};
use crate::home::{Home, check_name, read_json_opt, write_json};
use anyhow::Context;
use fabric_sdk::gateway::ConnectionProfile;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Who signs: an MSP directory, or a certificate and a key (PEM files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRef {
    pub msp_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msp_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

impl IdentityRef {
    /// Loads the signing identity (certificate and key).
    pub fn load(&self) -> anyhow::Result<fabric_sdk::identity::SigningIdentity> {
        use fabric_sdk::identity::SigningIdentity;
        match (&self.msp_dir, &self.cert, &self.key) {
            (Some(dir), _, _) => SigningIdentity::from_msp_dir(dir, &self.msp_id)
                .with_context(|| format!("cannot load the identity in {}", dir.display())),
            (None, Some(cert), Some(key)) => {
                let c = std::fs::read_to_string(cert)
                    .with_context(|| format!("cannot read certificate {}", cert.display()))?;
                let k = std::fs::read_to_string(key)
                    .with_context(|| format!("cannot read key {}", key.display()))?;
                SigningIdentity::from_pem(&self.msp_id, &c, &k).with_context(|| {
                    format!(
                        "cannot use certificate {} with key {}",
                        cert.display(),
                        key.display()
                    )
                })
            }
            _ => Err(Failure::new(
                Exit::Config,
                "the identity has neither an MSP directory nor a certificate and key",
            )
            .into()),
        }
    }
}

/// Where and how to reach the gateway peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayRef {
    /// `host:port`.
    pub address: String,
    /// PEM file of the TLS root CA; without it the connection is plaintext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_root_cert: Option<PathBuf>,
    /// The TLS server name to verify instead of the address's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Client TLS certificate and key (mutual TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<PathBuf>,
}

/// One profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub identity: IdentityRef,
    pub gateway: GatewayRef,
    pub channel: String,
    /// The chaincode commands use when `--chaincode` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaincode: Option<String>,
    /// The medical role or node type (informative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `devnet:<data dir>` for profiles written by `medledger devnet up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The profiles of a home directory.
pub struct Profiles<'a> {
    home: &'a Home,
}

impl<'a> Profiles<'a> {
    pub fn new(home: &'a Home) -> Self {
        Profiles { home }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.profiles_dir().join(format!("{name}.json"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path(name).exists()
    }

    /// The profile `name`; exit 3 with the known names when there is none.
    pub fn get(&self, name: &str) -> anyhow::Result<Profile> {
        check_name("profile", name)?;
        match read_json_opt(&self.path(name))? {
            Some(p) => Ok(p),
            None => {
                let known = self.names()?;
                let hint = if known.is_empty() {
                    "no profile exists yet: `medledger devnet up` creates one per devnet user, \
                     `medledger profile add` adds one"
                        .to_owned()
                } else {
                    format!("known profiles: {}", known.join(", "))
                };
                Err(
                    Failure::new(Exit::NotFound, format!("no profile named {name:?}"))
                        .hint(hint)
                        .into(),
                )
            }
        }
    }

    pub fn save(&self, name: &str, profile: &Profile) -> anyhow::Result<()> {
        check_name("profile", name)?;
        write_json(&self.path(name), profile)
    }

    pub fn remove(&self, name: &str) -> anyhow::Result<()> {
        self.get(name)?;
        std::fs::remove_file(self.path(name))
            .with_context(|| format!("cannot remove {}", self.path(name).display()))
    }

    /// Every profile name, sorted.
    pub fn names(&self) -> anyhow::Result<Vec<String>> {
        let dir = self.home.profiles_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".json"))
                    .map(str::to_owned)
            })
            .filter(|n| check_name("profile", n).is_ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Every profile, sorted by name (a corrupt file is an error naming it).
    pub fn all(&self) -> anyhow::Result<Vec<(String, Profile)>> {
        self.names()?
            .into_iter()
            .map(|n| self.get(&n).map(|p| (n, p)))
            .collect()
    }

    /// The profile to use: `--profile`/`MEDLEDGER_PROFILE`, else the one `profile use` chose.
    pub fn resolve(&self, explicit: Option<&str>) -> anyhow::Result<(String, Profile)> {
        let name = match explicit {
            Some(n) => n.to_owned(),
            None => self.home.config()?.current_profile.ok_or_else(|| {
                Failure::new(Exit::NotFound, "no profile chosen").hint(
                    "pass --profile NAME (or set MEDLEDGER_PROFILE), or choose one with \
                     `medledger profile use NAME`; `medledger profile list` shows them",
                )
            })?,
        };
        let p = self.get(&name)?;
        Ok((name, p))
    }
}

/// `Doctor1@seoulmedical.example.com` → `seoulmedical-doctor1`.
pub fn devnet_profile_name(user: &str) -> String {
    let (who, domain) = user.split_once('@').unwrap_or((user, ""));
    let org = domain.split('.').next().unwrap_or("");
    let raw = if org.is_empty() {
        who.to_owned()
    } else {
        format!("{org}-{who}")
    };
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Writes a profile for every identity of every connection file of the devnet in `data_dir`;
/// returns `(profile name, MSP ID, user, role)` sorted by name. Profiles of an earlier devnet
/// with the same names are replaced (the addresses may have changed).
pub fn write_devnet_profiles(
    home: &Home,
    data_dir: &Path,
) -> anyhow::Result<Vec<(String, String, String, String)>> {
    let dir = data_dir.join("connections");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| {
            format!(
                "cannot read the devnet's connection files in {}",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let store = Profiles::new(home);
    let source = format!("devnet:{}", data_dir.display());
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let conn = ConnectionProfile::from_json(&text)
            .with_context(|| format!("cannot use connection file {}", file.display()))?;
        for id in &conn.identities {
            let name = devnet_profile_name(&id.name);
            let role = id.role.clone().unwrap_or_else(|| id.kind.clone());
            let (client_cert, client_key) = if conn.mutual_tls {
                (id.tls_cert.clone(), id.tls_key.clone())
            } else {
                (None, None)
            };
            let profile = Profile {
                identity: IdentityRef {
                    msp_id: conn.msp_id.clone(),
                    msp_dir: Some(id.msp_dir.clone()),
                    cert: None,
                    key: None,
                },
                gateway: GatewayRef {
                    address: conn.gateway_address.clone(),
                    tls_root_cert: if conn.tls {
                        conn.tls_root_cert.clone()
                    } else {
                        None
                    },
                    server_name: conn.server_name.clone().filter(|s| !s.is_empty()),
                    client_cert,
                    client_key,
                },
                channel: conn.channel.clone(),
                chaincode: conn.chaincodes.first().cloned(),
                role: Some(role.clone()),
                source: Some(source.clone()),
            };
            store.save(&name, &profile)?;
            out.push((name, conn.msp_id.clone(), id.name.clone(), role));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devnet_names_are_short_and_typeable() {
        assert_eq!(
            devnet_profile_name("Doctor1@seoulmedical.example.com"),
            "seoulmedical-doctor1"
        );
        assert_eq!(
            devnet_profile_name("ClaimsOfficer1@nhis.example.com"),
            "nhis-claimsofficer1"
        );
        assert_eq!(devnet_profile_name("Admin"), "admin");
    }
}
