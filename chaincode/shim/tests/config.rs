//! Configuration from flags and environment: both conventions, precedence, every form of
//! certificate value, and errors that name the setting.

mod common;

use std::collections::HashMap;
use std::io::Write;

use base64::Engine;
use common::Pki;
use fabric_chaincode::config::{ClassicConfig, Config, ServerConfig};

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse(args: &[&str], vars: &HashMap<String, String>) -> fabric_chaincode::Result<Config> {
    Config::parse(args.iter().copied(), |name| vars.get(name).cloned())
}

fn server(args: &[&str], vars: &[(&str, &str)]) -> ServerConfig {
    match parse(args, &env(vars)).unwrap() {
        Config::Server(s) => s,
        other => panic!("expected server mode, got {other:?}"),
    }
}

fn classic(args: &[&str], vars: &[(&str, &str)]) -> ClassicConfig {
    match parse(args, &env(vars)).unwrap() {
        Config::Classic(c) => c,
        other => panic!("expected classic mode, got {other:?}"),
    }
}

fn error(args: &[&str], vars: &[(&str, &str)]) -> String {
    match parse(args, &env(vars)) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => {
            assert!(
                matches!(e, fabric_chaincode::Error::Config(_)),
                "expected Error::Config, got {e:?}"
            );
            e.to_string()
        }
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn file(dir: &tempfile::TempDir, name: &str, contents: &str) -> String {
    let path = dir.path().join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(contents.as_bytes()).unwrap();
    path.to_string_lossy().into_owned()
}

fn with<'a>(base: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = base.to_vec();
    v.extend_from_slice(extra);
    v
}

const ID: &str = "mycc_1.0:4f2a";

#[test]
fn go_style_environment() {
    let s = server(
        &[],
        &[
            ("CHAINCODE_SERVER_ADDRESS", "0.0.0.0:9999"),
            ("CHAINCODE_ID", ID),
        ],
    );
    assert_eq!(s.address, "0.0.0.0:9999");
    assert_eq!(s.package_id, ID);
    assert!(s.tls.is_none());
}

#[test]
fn node_style_flags_and_environment() {
    let s = server(
        &[
            "server",
            "--chaincode-address",
            "127.0.0.1:7777",
            "--chaincode-id=x:1",
        ],
        &[],
    );
    assert_eq!(
        (s.address.as_str(), s.package_id.as_str()),
        ("127.0.0.1:7777", "x:1")
    );
    let s = server(
        &[],
        &[
            ("CORE_CHAINCODE_ADDRESS", "127.0.0.1:8888"),
            ("CORE_CHAINCODE_ID", ID),
        ],
    );
    assert_eq!(s.address, "127.0.0.1:8888");
    // The Node shim's grpc and module options are accepted and ignored.
    let s = server(
        &[
            "--chaincode-address",
            "127.0.0.1:1",
            "--chaincode-id",
            ID,
            "--grpc.keepalive_time_ms",
            "110000",
            "--module-path",
            "/x",
        ],
        &[],
    );
    assert_eq!(s.address, "127.0.0.1:1");
}

#[test]
fn precedence_is_flag_then_go_then_node() {
    let all = [
        ("CHAINCODE_SERVER_ADDRESS", "10.0.0.2:2"),
        ("CORE_CHAINCODE_ADDRESS", "10.0.0.3:3"),
        ("CHAINCODE_ID", "go:id"),
        ("CORE_CHAINCODE_ID", "node:id"),
    ];
    let s = server(&["--chaincode-address", "10.0.0.1:1"], &all);
    assert_eq!(s.address, "10.0.0.1:1");
    assert_eq!(s.package_id, "go:id");
    let s = server(&[], &all);
    assert_eq!(s.address, "10.0.0.2:2");
    let s = server(&[], &all[1..]);
    assert_eq!(s.address, "10.0.0.3:3");
    assert_eq!(s.package_id, "go:id");
    // An empty variable counts as unset.
    let s = server(
        &[],
        &[
            ("CHAINCODE_SERVER_ADDRESS", ""),
            ("CORE_CHAINCODE_ADDRESS", "10.0.0.3:3"),
            ("CHAINCODE_ID", ID),
        ],
    );
    assert_eq!(s.address, "10.0.0.3:3");
}

#[test]
fn tls_from_files_inline_pem_and_base64() {
    let pki = Pki::new("cc");
    let cert = pki.server();
    let dir = tempfile::tempdir().unwrap();
    let cert_file = file(&dir, "cert.pem", &cert.cert_pem);
    let key_file = file(&dir, "key.pem", &cert.key_pem);
    let ca_file = file(&dir, "ca.pem", &pki.ca_pem);
    let cert_b64_file = file(&dir, "cert.b64", &b64(&cert.cert_pem));
    let key_b64_file = file(&dir, "key.b64", &b64(&cert.key_pem));
    let ca_b64_file = file(&dir, "ca.b64", &b64(&pki.ca_pem));
    let base = [
        ("CHAINCODE_SERVER_ADDRESS", "0.0.0.0:9999"),
        ("CHAINCODE_ID", ID),
    ];

    // Go samples: file paths.
    let s = server(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", &cert_file),
                ("CHAINCODE_TLS_KEY", &key_file),
            ],
        ),
    );
    let tls = s.tls.expect("TLS on");
    assert!(!tls.requires_client_certificate());
    let s = server(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", &cert_file),
                ("CHAINCODE_TLS_KEY", &key_file),
                ("CHAINCODE_CLIENT_CA_CERT", &ca_file),
            ],
        ),
    );
    assert!(s.tls.unwrap().requires_client_certificate());

    // The PEM text itself, and base64 of it.
    let s = server(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", &cert.cert_pem),
                ("CHAINCODE_TLS_KEY", &b64(&cert.key_pem)),
            ],
        ),
    );
    assert!(s.tls.is_some());

    // Node flags: *-file = PEM file, *-path = file of base64; either file form is accepted.
    let s = server(
        &[
            "--chaincode-tls-cert-path",
            &cert_b64_file,
            "--chaincode-tls-key-path",
            &key_b64_file,
            "--chaincode-tls-client-cacert-path",
            &ca_b64_file,
        ],
        &base,
    );
    assert!(s.tls.unwrap().requires_client_certificate());
    let s = server(
        &[
            "--chaincode-tls-cert-file",
            &cert_b64_file,
            "--chaincode-tls-key-path",
            &key_file,
        ],
        &base,
    );
    assert!(s.tls.is_some());
    // Node env.
    let s = server(
        &[],
        &with(
            &base,
            &[
                ("CORE_CHAINCODE_TLS_CERT_FILE", &cert_file),
                ("CORE_CHAINCODE_TLS_KEY_PATH", &key_b64_file),
            ],
        ),
    );
    assert!(s.tls.is_some());
    // An inline PEM value after a flag (it starts with dashes but is a value).
    let s = server(
        &[
            "--chaincode-tls-cert-file",
            &cert.cert_pem,
            "--chaincode-tls-key-file",
            &key_file,
        ],
        &base,
    );
    assert!(s.tls.is_some());

    // CHAINCODE_TLS_DISABLED=true wins over key and cert.
    let s = server(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", &cert_file),
                ("CHAINCODE_TLS_KEY", &key_file),
                ("CHAINCODE_TLS_DISABLED", "true"),
            ],
        ),
    );
    assert!(s.tls.is_none());
}

#[test]
fn tls_errors_name_the_setting() {
    let pki = Pki::new("cc");
    let cert = pki.server();
    let other = Pki::new("other").server();
    let dir = tempfile::tempdir().unwrap();
    let cert_file = file(&dir, "cert.pem", &cert.cert_pem);
    let key_file = file(&dir, "key.pem", &cert.key_pem);
    let other_key = file(&dir, "other.pem", &other.key_pem);
    let junk = file(&dir, "junk.txt", "hello, not a certificate");
    let base = [
        ("CHAINCODE_SERVER_ADDRESS", "0.0.0.0:9999"),
        ("CHAINCODE_ID", ID),
    ];

    let e = error(&[], &with(&base, &[("CHAINCODE_TLS_CERT", &cert_file)]));
    assert!(
        e.contains("CHAINCODE_TLS_CERT") && e.contains("no key"),
        "{e}"
    );
    let e = error(&[], &with(&base, &[("CHAINCODE_TLS_KEY", &key_file)]));
    assert!(
        e.contains("CHAINCODE_TLS_KEY") && e.contains("no certificate"),
        "{e}"
    );
    let e = error(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", "/no/such/cert.pem"),
                ("CHAINCODE_TLS_KEY", &key_file),
            ],
        ),
    );
    assert!(
        e.contains("CHAINCODE_TLS_CERT")
            && e.contains("/no/such/cert.pem")
            && e.contains("not an existing file"),
        "{e}"
    );
    // A key value that is not a file is not echoed: it may be the secret itself.
    let e = error(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", &cert_file),
                ("CHAINCODE_TLS_KEY", "s3cr3t-not-a-key"),
            ],
        ),
    );
    assert!(
        e.contains("CHAINCODE_TLS_KEY") && !e.contains("s3cr3t"),
        "{e}"
    );
    let e = error(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", &junk),
                ("CHAINCODE_TLS_KEY", &key_file),
            ],
        ),
    );
    assert!(
        e.contains("CHAINCODE_TLS_CERT") && e.contains("junk.txt") && e.contains("neither PEM"),
        "{e}"
    );
    let e = error(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", &key_file),
                ("CHAINCODE_TLS_KEY", &key_file),
            ],
        ),
    );
    assert!(
        e.contains("CHAINCODE_TLS_CERT") && e.contains("CERTIFICATE"),
        "{e}"
    );
    let e = error(
        &[],
        &with(
            &base,
            &[
                ("CHAINCODE_TLS_CERT", &cert_file),
                ("CHAINCODE_TLS_KEY", &other_key),
            ],
        ),
    );
    assert!(
        e.contains("CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY do not make a usable pair"),
        "{e}"
    );
    let e = error(
        &[],
        &with(&base, &[("CHAINCODE_CLIENT_CA_CERT", &cert_file)]),
    );
    assert!(
        e.contains("CHAINCODE_CLIENT_CA_CERT") && e.contains("TLS is off"),
        "{e}"
    );
    let e = error(&[], &with(&base, &[("CHAINCODE_TLS_DISABLED", "false")]));
    assert!(e.contains("CHAINCODE_TLS_DISABLED=false"), "{e}");
    let e = error(&[], &with(&base, &[("CHAINCODE_TLS_DISABLED", "maybe")]));
    assert!(
        e.contains("CHAINCODE_TLS_DISABLED=\"maybe\"") && e.contains("true or false"),
        "{e}"
    );
    let e = error(
        &[
            "--chaincode-tls-cert-file",
            &cert_file,
            "--chaincode-tls-cert-path",
            &cert_file,
        ],
        &base,
    );
    assert!(
        e.contains("--chaincode-tls-cert-file and --chaincode-tls-cert-path"),
        "{e}"
    );
}

#[test]
fn command_line_and_address_errors() {
    let e = error(&[], &[]);
    assert!(
        e.contains("CHAINCODE_SERVER_ADDRESS") && e.contains("CORE_PEER_ADDRESS"),
        "{e}"
    );
    let e = error(&["--chaincode-adress", "x:1"], &[]);
    assert!(
        e.contains("unknown flag --chaincode-adress") && e.contains("--chaincode-address"),
        "{e}"
    );
    let e = error(&["--chaincode-address"], &[]);
    assert!(e.contains("--chaincode-address needs a value"), "{e}");
    let e = error(&["positional"], &[]);
    assert!(e.contains("unexpected argument \"positional\""), "{e}");
    let e = error(
        &[],
        &[("CHAINCODE_SERVER_ADDRESS", "9999"), ("CHAINCODE_ID", ID)],
    );
    assert!(
        e.contains("CHAINCODE_SERVER_ADDRESS=\"9999\" is not host:port"),
        "{e}"
    );
    let e = error(&[], &[("CHAINCODE_SERVER_ADDRESS", "0.0.0.0:9999")]);
    assert!(e.contains("CHAINCODE_ID"), "{e}");
    let e = error(&["server"], &[("CORE_PEER_ADDRESS", "peer:7052")]);
    assert!(e.contains("listen address"), "{e}");
}

#[test]
fn classic_mode_from_the_peers_launch_environment() {
    let c = classic(
        &["-peer.address=peer0.org1.example.com:7052"],
        &[("CORE_CHAINCODE_ID_NAME", "mycc:1.0")],
    );
    assert_eq!(c.peer_address, "peer0.org1.example.com:7052");
    assert_eq!(c.chaincode_name, "mycc:1.0");
    assert!(c.tls.is_none());
    let c = classic(
        &[
            "start",
            "--peer.address",
            "peer:7052",
            "--chaincode-id-name",
            "cc:2",
        ],
        &[],
    );
    assert_eq!(c.chaincode_name, "cc:2");
    // A server address wins over a peer address.
    let s = server(
        &[],
        &[
            ("CORE_PEER_ADDRESS", "peer:7052"),
            ("CHAINCODE_SERVER_ADDRESS", "0.0.0.0:1"),
            ("CHAINCODE_ID", ID),
        ],
    );
    assert_eq!(s.address, "0.0.0.0:1");

    // TLS as Fabric's launcher writes it: root CA PEM file, client key and cert base64 files.
    let pki = Pki::new("peer");
    let client = Pki::new("cc-clients").client("mycc");
    let dir = tempfile::tempdir().unwrap();
    let root = file(&dir, "peer.crt", &pki.ca_pem);
    let key_b64 = file(&dir, "client.key", &b64(&client.key_pem));
    let cert_b64 = file(&dir, "client.crt", &b64(&client.cert_pem));
    let vars = [
        ("CORE_PEER_ADDRESS", "peer:7052"),
        ("CORE_CHAINCODE_ID_NAME", "mycc:1.0"),
        ("CORE_PEER_TLS_ENABLED", "true"),
        ("CORE_PEER_TLS_ROOTCERT_FILE", root.as_str()),
        ("CORE_TLS_CLIENT_KEY_PATH", key_b64.as_str()),
        ("CORE_TLS_CLIENT_CERT_PATH", cert_b64.as_str()),
    ];
    let c = classic(&[], &vars);
    assert!(c.tls.unwrap().has_client_certificate());

    let e = error(&[], &vars[..3]);
    assert!(e.contains("CORE_PEER_TLS_ROOTCERT_FILE"), "{e}");
    let e = error(&[], &vars[..5]);
    assert!(
        e.contains("CORE_TLS_CLIENT_KEY_PATH") && e.contains("no client certificate"),
        "{e}"
    );
    let e = error(&[], &[("CORE_PEER_ADDRESS", "peer:7052")]);
    assert!(e.contains("CORE_CHAINCODE_ID_NAME"), "{e}");
    let e = error(
        &[],
        &[
            ("CORE_PEER_ADDRESS", "peer:7052"),
            ("CORE_CHAINCODE_ID_NAME", "x"),
            ("CORE_PEER_TLS_ENABLED", "yes"),
        ],
    );
    assert!(e.contains("CORE_PEER_TLS_ENABLED=\"yes\""), "{e}");
}
