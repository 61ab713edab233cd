//! Configuration of a chaincode process from command-line flags and environment variables.
//!
//! Both conventions of the reference shims are understood, so a Rust chaincode drops into the
//! deployments written for Go or Node chaincodes:
//!
//! | setting | flag | Go-style env (Fabric samples) | Node-style env |
//! |---|---|---|---|
//! | listen address (server mode) | `--chaincode-address` | `CHAINCODE_SERVER_ADDRESS` | `CORE_CHAINCODE_ADDRESS` |
//! | package id (server mode) | `--chaincode-id` | `CHAINCODE_ID` | `CORE_CHAINCODE_ID` |
//! | server TLS certificate | `--chaincode-tls-cert-file`, `--chaincode-tls-cert-path` | `CHAINCODE_TLS_CERT` | `CORE_CHAINCODE_TLS_CERT_FILE`, `CORE_CHAINCODE_TLS_CERT_PATH` |
//! | server TLS key | `--chaincode-tls-key-file`, `--chaincode-tls-key-path` | `CHAINCODE_TLS_KEY` | `CORE_CHAINCODE_TLS_KEY_FILE`, `CORE_CHAINCODE_TLS_KEY_PATH` |
//! | client CA (mutual TLS) | `--chaincode-tls-client-cacert-file`, `--chaincode-tls-client-cacert-path` | `CHAINCODE_CLIENT_CA_CERT` | `CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE`, `CORE_CHAINCODE_TLS_CLIENT_CACERT_PATH` |
//! | TLS off despite key/cert | – | `CHAINCODE_TLS_DISABLED` | – |
//! | peer address (classic mode) | `--peer.address` | `CORE_PEER_ADDRESS` | `CORE_PEER_ADDRESS` |
//! | chaincode name (classic) | `--chaincode-id-name` | `CORE_CHAINCODE_ID_NAME` | `CORE_CHAINCODE_ID_NAME` |
//! | TLS to the peer (classic) | – | `CORE_PEER_TLS_ENABLED` | `CORE_PEER_TLS_ENABLED` |
//! | peer's TLS CA (classic) | – | `CORE_PEER_TLS_ROOTCERT_FILE` | same |
//! | client key (classic) | – | `CORE_TLS_CLIENT_KEY_FILE`, `CORE_TLS_CLIENT_KEY_PATH` | same |
//! | client certificate (classic) | – | `CORE_TLS_CLIENT_CERT_FILE`, `CORE_TLS_CLIENT_CERT_PATH` | same |
//! | TLS name override (classic) | `--ssl-target-name-override` | – | `CORE_SSL_TARGET_NAME_OVERRIDE` |
//!
//! **Precedence**: a flag beats a Go-style variable, which beats a Node-style variable. An empty
//! variable counts as unset. Flags are written `--name value`, `--name=value`, or with one dash
//! (`-peer.address=…`, as Fabric launches Go chaincode).
//!
//! **Certificates and keys**: every certificate/key setting accepts a path to a PEM file, the PEM
//! text itself, or base64 of the PEM text — and a file may hold PEM or base64 of PEM (the `*-path`
//! and `*_PATH` forms of the Node shim and Fabric's launcher hold base64). Whichever it is, a
//! failure names the setting and what was found.
//!
//! **Mode**: with a listen address the process serves (chaincode as a service); without one but
//! with a peer address it dials the peer (classic mode). A first argument `server` or `start`
//! (the Node shim's subcommands) forces the mode.

use std::fmt;
use std::path::Path;

use base64::Engine;

use crate::tls::{ClientTlsConfig, ServerTlsConfig};
use crate::{Error, Result};

/// What the process should do.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Config {
    /// Chaincode as a service: listen for peers.
    Server(ServerConfig),
    /// Classic mode: dial the peer's `ChaincodeSupport.Register`.
    Classic(ClassicConfig),
}

/// A chaincode server: where to listen, which package id to register as, TLS.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `host:port` to listen on, e.g. `0.0.0.0:9999`.
    pub address: String,
    /// The installed package id (`label:sha256`) sent in REGISTER.
    pub package_id: String,
    /// TLS (and mutual TLS when it has a client CA); `None` = plain text.
    pub tls: Option<ServerTlsConfig>,
}

/// Classic mode: the chaincode dials its peer.
#[derive(Debug, Clone)]
pub struct ClassicConfig {
    /// The peer's chaincode listen address, `host:port` (e.g. `peer0:7052`).
    pub peer_address: String,
    /// The chaincode id to register with (`CORE_CHAINCODE_ID_NAME`).
    pub chaincode_name: String,
    /// TLS towards the peer; `None` = plain text.
    pub tls: Option<ClientTlsConfig>,
}

/// The settings, each with the flags and variables that set it, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    ServerAddress,
    PackageId,
    TlsCert,
    TlsKey,
    ClientCa,
    TlsDisabled,
    PeerAddress,
    ChaincodeName,
    PeerTlsEnabled,
    PeerRootCert,
    ClientKey,
    ClientCert,
    ServerNameOverride,
}

/// Where a value came from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Flag(&'static str),
    Env(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "--{name}"),
            Source::Env(name) => f.write_str(name),
        }
    }
}

const FLAGS: &[(&str, Setting)] = &[
    ("chaincode-address", Setting::ServerAddress),
    ("chaincode-id", Setting::PackageId),
    ("chaincode-tls-cert-file", Setting::TlsCert),
    ("chaincode-tls-cert-path", Setting::TlsCert),
    ("chaincode-tls-key-file", Setting::TlsKey),
    ("chaincode-tls-key-path", Setting::TlsKey),
    ("chaincode-tls-client-cacert-file", Setting::ClientCa),
    ("chaincode-tls-client-cacert-path", Setting::ClientCa),
    ("peer.address", Setting::PeerAddress),
    ("chaincode-id-name", Setting::ChaincodeName),
    ("ssl-target-name-override", Setting::ServerNameOverride),
];

/// Environment variables per setting, Go-style before Node-style.
const ENV: &[(&str, Setting)] = &[
    ("CHAINCODE_SERVER_ADDRESS", Setting::ServerAddress),
    ("CORE_CHAINCODE_ADDRESS", Setting::ServerAddress),
    ("CHAINCODE_ID", Setting::PackageId),
    ("CORE_CHAINCODE_ID", Setting::PackageId),
    ("CHAINCODE_TLS_CERT", Setting::TlsCert),
    ("CORE_CHAINCODE_TLS_CERT_FILE", Setting::TlsCert),
    ("CORE_CHAINCODE_TLS_CERT_PATH", Setting::TlsCert),
    ("CHAINCODE_TLS_KEY", Setting::TlsKey),
    ("CORE_CHAINCODE_TLS_KEY_FILE", Setting::TlsKey),
    ("CORE_CHAINCODE_TLS_KEY_PATH", Setting::TlsKey),
    ("CHAINCODE_CLIENT_CA_CERT", Setting::ClientCa),
    ("CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE", Setting::ClientCa),
    ("CORE_CHAINCODE_TLS_CLIENT_CACERT_PATH", Setting::ClientCa),
    ("CHAINCODE_TLS_DISABLED", Setting::TlsDisabled),
    ("CORE_PEER_ADDRESS", Setting::PeerAddress),
    ("CORE_CHAINCODE_ID_NAME", Setting::ChaincodeName),
    ("CORE_PEER_TLS_ENABLED", Setting::PeerTlsEnabled),
    ("CORE_PEER_TLS_ROOTCERT_FILE", Setting::PeerRootCert),
    ("CORE_TLS_CLIENT_KEY_FILE", Setting::ClientKey),
    ("CORE_TLS_CLIENT_KEY_PATH", Setting::ClientKey),
    ("CORE_TLS_CLIENT_CERT_FILE", Setting::ClientCert),
    ("CORE_TLS_CLIENT_CERT_PATH", Setting::ClientCert),
    ("CORE_SSL_TARGET_NAME_OVERRIDE", Setting::ServerNameOverride),
];

/// Flags of the Node shim that have no meaning here; accepted (with a warning) so that command
/// lines written for it still work.
fn ignored_flag(name: &str) -> bool {
    name == "module-path" || name.starts_with("grpc.")
}

/// One resolved value and where it came from.
#[derive(Debug, Clone)]
struct Value {
    text: String,
    source: Source,
}

/// The forced mode from a leading `server` / `start` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ForcedMode {
    Server,
    Classic,
}

struct Inputs {
    flags: Vec<(Setting, Value)>,
    env: Vec<(Setting, Value)>,
    mode: Option<ForcedMode>,
}

impl Inputs {
    /// The value of a setting: the last flag that sets it, else the first variable in
    /// precedence order. Two different flags of one setting (`--x-file` and `--x-path`) conflict.
    fn get(&self, setting: Setting) -> Result<Option<Value>> {
        let mut flags = self.flags.iter().filter(|(s, _)| *s == setting);
        if let Some(first) = flags.next() {
            let mut chosen = &first.1;
            for (_, v) in flags {
                if let (Source::Flag(a), Source::Flag(b)) = (chosen.source, v.source)
                    && a != b
                {
                    return Err(Error::Config(format!(
                        "--{a} and --{b} both set the same thing; give only one of them"
                    )));
                }
                chosen = v;
            }
            return Ok(Some(chosen.clone()));
        }
        Ok(self
            .env
            .iter()
            .find(|(s, _)| *s == setting)
            .map(|(_, v)| v.clone()))
    }
}

impl Config {
    /// Reads the process's command line (`std::env::args`, after the program name) and
    /// environment.
    ///
    /// This reads certificate files: call it before starting to serve, or from a blocking task.
    pub fn from_env() -> Result<Config> {
        Config::parse(std::env::args().skip(1), |name| std::env::var(name).ok())
    }

    /// Reads the given arguments (without the program name) and environment (`env(name)` returns
    /// a variable's value). See the [module documentation](self) for names and precedence.
    pub fn parse<I, S, E>(args: I, env: E) -> Result<Config>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        E: Fn(&str) -> Option<String>,
    {
        let inputs = gather(args, &env)?;
        let mode = match inputs.mode {
            Some(mode) => mode,
            None => {
                if inputs.get(Setting::ServerAddress)?.is_some() {
                    ForcedMode::Server
                } else if inputs.get(Setting::PeerAddress)?.is_some() {
                    ForcedMode::Classic
                } else {
                    return Err(Error::Config(
                        "no address to serve on or dial: set CHAINCODE_SERVER_ADDRESS (or \
                         --chaincode-address, CORE_CHAINCODE_ADDRESS) to serve peers as a \
                         chaincode server, e.g. 0.0.0.0:9999; or set CORE_PEER_ADDRESS (or \
                         --peer.address) to dial a peer in classic mode"
                            .into(),
                    ));
                }
            }
        };
        match mode {
            ForcedMode::Server => server_config(&inputs).map(Config::Server),
            ForcedMode::Classic => classic_config(&inputs).map(Config::Classic),
        }
    }
}

fn gather<I, S, E>(args: I, env: &E) -> Result<Inputs>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
    E: Fn(&str) -> Option<String>,
{
    let mut flags = Vec::new();
    let mut mode = None;
    let mut args = args.into_iter().map(Into::into).peekable();
    let mut first = true;
    while let Some(arg) = args.next() {
        let is_first = std::mem::replace(&mut first, false);
        let body = if looks_like_flag(&arg) {
            arg.strip_prefix("--")
                .or_else(|| arg.strip_prefix('-'))
                .filter(|b| !b.is_empty())
        } else {
            None
        };
        let Some(body) = body else {
            match (is_first, arg.as_str()) {
                (true, "server") => mode = Some(ForcedMode::Server),
                (true, "start") => mode = Some(ForcedMode::Classic),
                _ => {
                    return Err(Error::Config(format!(
                        "unexpected argument {arg:?}; this chaincode takes only flags ({}), \
                         optionally after `server` or `start`",
                        known_flags()
                    )));
                }
            }
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let spec = FLAGS.iter().find(|(n, _)| *n == name);
        let value = match inline {
            Some(v) => v,
            None => match args.next_if(|next| !looks_like_flag(next)) {
                Some(v) => v,
                None => {
                    return Err(Error::Config(format!(
                        "flag --{name} needs a value: --{name} VALUE or --{name}=VALUE"
                    )));
                }
            },
        };
        match spec {
            Some((flag, setting)) => flags.push((
                *setting,
                Value {
                    text: value,
                    source: Source::Flag(flag),
                },
            )),
            None if ignored_flag(name) => {
                tracing::warn!("flag --{name} is for the Node shim and has no effect here");
            }
            None => {
                return Err(Error::Config(format!(
                    "unknown flag --{name}; known flags: {}",
                    known_flags()
                )));
            }
        }
    }
    let mut vars = Vec::new();
    for (name, setting) in ENV {
        if let Some(text) = env(name).filter(|v| !v.trim().is_empty()) {
            vars.push((
                *setting,
                Value {
                    text,
                    source: Source::Env(name),
                },
            ));
        }
    }
    Ok(Inputs {
        flags,
        env: vars,
        mode,
    })
}

/// A flag, as opposed to a value such as inline PEM text ("-----BEGIN …").
fn looks_like_flag(arg: &str) -> bool {
    arg.starts_with('-') && !arg.starts_with("-----")
}

fn known_flags() -> String {
    FLAGS
        .iter()
        .map(|(n, _)| format!("--{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn server_config(inputs: &Inputs) -> Result<ServerConfig> {
    let address = inputs.get(Setting::ServerAddress)?.ok_or_else(|| {
        Error::Config(
            "server mode needs a listen address: set CHAINCODE_SERVER_ADDRESS (or \
             --chaincode-address, CORE_CHAINCODE_ADDRESS), e.g. 0.0.0.0:9999"
                .into(),
        )
    })?;
    check_host_port(&address)?;
    let package_id = inputs.get(Setting::PackageId)?.ok_or_else(|| {
        Error::Config(
            "server mode needs the package id: set CHAINCODE_ID (or --chaincode-id, \
             CORE_CHAINCODE_ID) to the id `peer lifecycle chaincode install` printed \
             (label:sha256)"
                .into(),
        )
    })?;
    let package_id = package_id.text.trim().to_owned();
    if !package_id.contains(':') {
        tracing::warn!(
            %package_id,
            "the package id has no ':'; a peer only accepts the installed package id \
             (label:sha256)"
        );
    }

    let cert = inputs.get(Setting::TlsCert)?;
    let key = inputs.get(Setting::TlsKey)?;
    let ca = inputs.get(Setting::ClientCa)?;
    let disabled = match inputs.get(Setting::TlsDisabled)? {
        Some(v) => Some((parse_bool(&v)?, v)),
        None => None,
    };
    let tls = match (cert, key, disabled) {
        (_, _, Some((true, v))) => {
            tracing::info!("TLS is off ({}=true)", v.source);
            None
        }
        (None, None, Some((false, v))) => {
            return Err(Error::Config(format!(
                "{}=false asks for TLS but no certificate and key are set: set \
                 CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY (or --chaincode-tls-cert-file and \
                 --chaincode-tls-key-file)",
                v.source
            )));
        }
        (None, None, _) => {
            if let Some(ca) = ca {
                return Err(Error::Config(format!(
                    "{} sets a client CA for mutual TLS, but TLS is off: also set the server \
                     certificate and key (CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY)",
                    ca.source
                )));
            }
            None
        }
        (Some(cert), None, _) => {
            return Err(Error::Config(format!(
                "{} sets a TLS certificate but no key is set: set CHAINCODE_TLS_KEY (or \
                 --chaincode-tls-key-file)",
                cert.source
            )));
        }
        (None, Some(key), _) => {
            return Err(Error::Config(format!(
                "{} sets a TLS key but no certificate is set: set CHAINCODE_TLS_CERT (or \
                 --chaincode-tls-cert-file)",
                key.source
            )));
        }
        (Some(cert), Some(key), _) => {
            let cert_pem = load_pem(&cert, false)?;
            let key_pem = load_pem(&key, true)?;
            let ca_pem = match &ca {
                Some(ca) => Some(load_pem(ca, false)?),
                None => None,
            };
            let cert_label = cert.source.to_string();
            let key_label = key.source.to_string();
            let ca_label = ca.as_ref().map(|c| c.source.to_string());
            let client_ca = match (&ca_pem, &ca_label) {
                (Some(pem), Some(label)) => Some((pem.as_slice(), label.as_str())),
                _ => None,
            };
            Some(
                ServerTlsConfig::build(&cert_pem, &cert_label, &key_pem, &key_label, client_ca)
                    .map_err(Error::Config)?,
            )
        }
    };
    Ok(ServerConfig {
        address: address.text.trim().to_owned(),
        package_id,
        tls,
    })
}

fn classic_config(inputs: &Inputs) -> Result<ClassicConfig> {
    let address = inputs.get(Setting::PeerAddress)?.ok_or_else(|| {
        Error::Config(
            "classic mode needs the peer address: pass --peer.address HOST:PORT or set \
             CORE_PEER_ADDRESS"
                .into(),
        )
    })?;
    check_host_port(&address)?;
    let name = inputs.get(Setting::ChaincodeName)?.ok_or_else(|| {
        Error::Config(
            "classic mode needs the chaincode id: set CORE_CHAINCODE_ID_NAME (or \
             --chaincode-id-name)"
                .into(),
        )
    })?;
    let enabled = match inputs.get(Setting::PeerTlsEnabled)? {
        Some(v) => parse_bool(&v)?,
        None => false,
    };
    let tls = if enabled {
        let root = inputs.get(Setting::PeerRootCert)?.ok_or_else(|| {
            Error::Config(
                "CORE_PEER_TLS_ENABLED is true but CORE_PEER_TLS_ROOTCERT_FILE is not set: set \
                 it to the PEM file of the CA that signed the peer's TLS certificate"
                    .into(),
            )
        })?;
        let root_pem = load_pem(&root, false)?;
        let root_label = root.source.to_string();
        let key = inputs.get(Setting::ClientKey)?;
        let cert = inputs.get(Setting::ClientCert)?;
        let config = match (cert, key) {
            (Some(cert), Some(key)) => {
                let cert_pem = load_pem(&cert, false)?;
                let key_pem = load_pem(&key, true)?;
                let cert_label = cert.source.to_string();
                let key_label = key.source.to_string();
                ClientTlsConfig::build(
                    &root_pem,
                    &root_label,
                    Some((&cert_pem, &cert_label, &key_pem, &key_label)),
                )
            }
            (None, None) => ClientTlsConfig::build(&root_pem, &root_label, None),
            (Some(cert), None) => {
                return Err(Error::Config(format!(
                    "{} sets the client certificate but no client key is set: set \
                     CORE_TLS_CLIENT_KEY_PATH (base64 file) or CORE_TLS_CLIENT_KEY_FILE (PEM file)",
                    cert.source
                )));
            }
            (None, Some(key)) => {
                return Err(Error::Config(format!(
                    "{} sets the client key but no client certificate is set: set \
                     CORE_TLS_CLIENT_CERT_PATH (base64 file) or CORE_TLS_CLIENT_CERT_FILE (PEM \
                     file)",
                    key.source
                )));
            }
        }
        .map_err(Error::Config)?;
        let config = match inputs.get(Setting::ServerNameOverride)? {
            Some(name) => config.with_server_name(name.text.trim()),
            None => config,
        };
        Some(config)
    } else {
        None
    };
    Ok(ClassicConfig {
        peer_address: address.text.trim().to_owned(),
        chaincode_name: name.text.trim().to_owned(),
        tls,
    })
}

fn check_host_port(value: &Value) -> Result<()> {
    let text = value.text.trim();
    let ok = match text.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok(),
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{}={text:?} is not host:port; write it like 0.0.0.0:9999 or peer0.org1.example.com:7052",
            value.source
        )))
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(value: &Value) -> Result<bool> {
    match value.text.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        other => Err(Error::Config(format!(
            "{}={other:?} is not a boolean; use true or false",
            value.source
        ))),
    }
}

const PEM_MARKER: &str = "-----BEGIN";

/// The PEM text a certificate/key setting designates: a file holding PEM or base64 of PEM, the
/// PEM text itself, or base64 of it. `secret` keeps the value out of error messages.
fn load_pem(value: &Value, secret: bool) -> Result<Vec<u8>> {
    let fail = |detail: String| {
        Error::Config(format!(
            "{}: {detail}; set it to the path of a PEM file, the PEM text, or base64 of the PEM \
             text",
            value.source
        ))
    };
    let text = value.text.trim();
    if text.starts_with(PEM_MARKER) {
        return Ok(text.as_bytes().to_vec());
    }
    let path = Path::new(text);
    if !text.contains('\n') && path.is_file() {
        let bytes = std::fs::read(path)
            .map_err(|e| fail(format!("cannot read file {}: {e}", path.display())))?;
        if contains_pem(&bytes) {
            return Ok(bytes);
        }
        return match decode_base64_pem(&bytes) {
            Some(pem) => Ok(pem),
            None => Err(fail(format!(
                "file {} holds neither PEM text (\"-----BEGIN …\") nor base64 of PEM text",
                path.display()
            ))),
        };
    }
    if let Some(pem) = decode_base64_pem(text.as_bytes()) {
        return Ok(pem);
    }
    let shown = if secret {
        "(value not shown: it may be a secret)".to_owned()
    } else {
        let mut shown: String = text.chars().take(120).collect();
        if shown.len() < text.len() {
            shown.push('…');
        }
        format!("{shown:?}")
    };
    Err(fail(format!(
        "the value {shown} is not an existing file, not PEM text and not base64 of PEM text"
    )))
}

fn contains_pem(bytes: &[u8]) -> bool {
    bytes
        .windows(PEM_MARKER.len())
        .any(|w| w == PEM_MARKER.as_bytes())
}

/// Decodes base64 (whitespace ignored, padding optional); `Some` only if the result is PEM.
fn decode_base64_pem(bytes: &[u8]) -> Option<Vec<u8>> {
    let compact: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.is_empty() {
        return None;
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|engine| engine.decode(&compact).ok())
        .filter(|decoded| contains_pem(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        Value {
            text: text.to_owned(),
            source: Source::Env("X"),
        }
    }

    #[test]
    fn go_booleans() {
        for t in ["1", "t", "TRUE", "True", "true"] {
            assert!(parse_bool(&value(t)).unwrap());
        }
        for f in ["0", "f", "FALSE", "false"] {
            assert!(!parse_bool(&value(f)).unwrap());
        }
        let err = parse_bool(&value("yes")).unwrap_err().to_string();
        assert!(err.contains("X=\"yes\""), "{err}");
    }

    #[test]
    fn base64_of_pem_only() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("-----BEGIN X-----\n");
        assert!(decode_base64_pem(b64.as_bytes()).is_some());
        let not_pem = base64::engine::general_purpose::STANDARD.encode("hello");
        assert!(decode_base64_pem(not_pem.as_bytes()).is_none());
        assert!(decode_base64_pem(b"/no/such/file.pem").is_none());
    }
}
