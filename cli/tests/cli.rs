//! The `medledger` binary as a user runs it.

use std::process::Command;

/// Runs medledger with a home of its own (never the user's ~/.medledger).
fn medledger(args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    medledger_in(home.path(), args)
}

fn medledger_in(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_medledger"))
        .args(args)
        .env("MEDLEDGER_HOME", home)
        .env_remove("MEDLEDGER_PROFILE")
        .output()
        .expect("run medledger")
}

#[test]
fn crypto_then_identity_show_and_refusal_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("crypto");
    let out_s = out_dir.to_str().unwrap();
    let out = medledger(&["network", "crypto", "--out", out_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = medledger(&["network", "crypto", "--out", out_s]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("error:"));
    let msp = out_dir.join(
        "peerOrganizations/seoulmedical.example.com/users/Doctor1@seoulmedical.example.com/msp",
    );
    let show = medledger(&[
        "identity",
        "show",
        "--msp-dir",
        msp.to_str().unwrap(),
        "--msp-id",
        "SeoulMedicalCenterMSP",
        "--output",
        "json",
    ]);
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(v["attr.role"], "doctor");
    assert_eq!(v["attr.license_no"], "MD-104233");
    assert_eq!(v["node_role"], "client");
    assert_eq!(v["valid"], true);
}

#[test]
fn policy_encode_known_answer_and_syntax_error() {
    let out = medledger(&[
        "policy",
        "encode",
        "AND('Org1MSP.peer','Org2MSP.peer')",
        "--output",
        "json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["hex"],
        // rule NOutOf{n=2, [SignedBy 0, SignedBy 1]}, then two ROLE principals (PEER = 3)
        "120c120a080212020800120208011a0d120b0a074f7267314d535010031a0d120b0a074f7267324d53501003"
    );
    let bad = medledger(&["policy", "encode", "AND('Org1MSP.peer',"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("position"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(medledger(&["no-such-command"]).status.code(), Some(2));
    assert_eq!(medledger(&["network", "crypto"]).status.code(), Some(2));
}

/// Starts `medledger devnet up` in `dir`, waits until it serves, stops it with SIGTERM; returns
/// what it printed.
#[cfg(unix)]
fn devnet_up_once(dir: &std::path::Path) -> String {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_medledger"))
        .args(["devnet", "up", "--dir", dir.to_str().unwrap()])
        .env("MEDLEDGER_HOME", dir.with_extension("home"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run medledger");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut out = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        out.push_str(&line);
        out.push('\n');
        if line.contains("serving;") {
            break;
        }
    }
    assert!(out.contains("serving;"), "{out}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    for line in lines {
        out.push_str(&line.unwrap());
        out.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{out}");
    out
}

#[cfg(unix)]
#[test]
fn devnet_up_creates_then_resumes_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let first = devnet_up_once(&data);
    assert!(first.contains("Devnet created in"), "{first}");
    assert!(
        first.contains("peer peer0.seoulmedical.example.com"),
        "{first}"
    );
    assert!(first.contains("stopped"), "{first}");
    for msp in [
        "SeoulMedicalCenterMSP",
        "MyongjiHospitalMSP",
        "NHISMSP",
        "PharmacyMSP",
    ] {
        let path = data.join("connections").join(format!("{msp}.json"));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["msp_id"], msp);
        assert_eq!(v["channel"], "medledger");
        assert!(
            v["gateway_address"]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1:")
        );
        assert!(std::path::Path::new(v["tls_root_cert"].as_str().unwrap()).exists());
    }
    assert!(first.contains("profile seoulmedical-doctor1"), "{first}");
    assert!(
        data.with_extension("home")
            .join("profiles/seoulmedical-doctor1.json")
            .exists()
    );
    assert!(
        !data.join("devnet.pid.json").exists(),
        "removed on a clean stop"
    );
    let second = devnet_up_once(&data);
    assert!(second.contains("Devnet resumed in"), "{second}");
}

#[test]
fn help_is_a_map_of_every_command_with_exit_codes() {
    let out = medledger(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for group in [
        "Medical ledger",
        "Any chaincode",
        "Network operations",
        "Setup",
        "Exit codes:",
    ] {
        assert!(help.contains(group), "{group} missing:\n{help}");
    }
    let listed = help.into_owned();
    let names = [
        "patient",
        "consent",
        "record",
        "rx",
        "claim",
        "cert",
        "history",
        "audit",
        "chaincode",
        "events",
        "devnet",
        "network",
        "demo",
        "profile",
        "identity",
        "policy",
        "completions",
        "man",
    ];
    for n in names {
        assert!(
            listed.contains(&format!("\n  {n} ")),
            "{n} not in the map:\n{listed}"
        );
    }
    // Every subcommand has examples in its help.
    for sub in [
        vec!["devnet", "up"],
        vec!["devnet", "down"],
        vec!["devnet", "status"],
        vec!["devnet", "reset"],
        vec!["profile", "add"],
        vec!["profile", "list"],
        vec!["profile", "use"],
        vec!["profile", "show"],
        vec!["profile", "remove"],
        vec!["identity", "show"],
        vec!["identity", "import"],
        vec!["identity", "list"],
        vec!["chaincode", "evaluate"],
        vec!["chaincode", "submit"],
        vec!["events", "watch"],
        vec!["completions"],
        vec!["man"],
        vec!["policy", "encode"],
        vec!["network", "crypto"],
        vec!["demo"],
        vec!["patient", "register"],
        vec!["patient", "get"],
        vec!["patient", "erase"],
        vec!["consent", "grant"],
        vec!["consent", "revoke"],
        vec!["consent", "list"],
        vec!["consent", "check"],
        vec!["record", "add"],
        vec!["record", "get"],
        vec!["record", "access"],
        vec!["rx", "issue"],
        vec!["rx", "get"],
        vec!["rx", "dispense"],
        vec!["rx", "deliver"],
        vec!["rx", "cancel"],
        vec!["rx", "list"],
        vec!["claim", "submit"],
        vec!["claim", "adjudicate"],
        vec!["claim", "pay"],
        vec!["claim", "get"],
        vec!["claim", "list"],
        vec!["cert", "issue"],
        vec!["cert", "verify"],
        vec!["cert", "revoke"],
        vec!["cert", "get"],
        vec!["history"],
        vec!["audit"],
    ] {
        let mut args = sub.clone();
        args.push("--help");
        let out = medledger(&args);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Example"), "{sub:?} has no example:\n{text}");
    }
}

#[test]
fn every_subcommand_is_in_the_root_map() {
    // The generated bash completion lists every subcommand; each must appear in the help map.
    let out = medledger(&["completions", "bash"]);
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("_medledger()"),
        "a bash completion function"
    );
    assert!(script.contains("devnet,up)"), "nested commands complete");
    let help = String::from_utf8_lossy(&medledger(&["--help"]).stdout).into_owned();
    for line in script.lines() {
        if let Some(rest) = line.trim().strip_prefix("medledger,") {
            let name = rest.trim_end_matches(')').trim();
            if !name.is_empty() && !name.contains(' ') {
                assert!(
                    help.contains(&format!("\n  {name} ")),
                    "{name} missing from the map"
                );
            }
        }
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = medledger(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("medledger"));
    }
    assert_eq!(medledger(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_page_to_stdout_and_one_per_command() {
    let out = medledger(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH medledger"),
        "{page}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = medledger(&[
        "man",
        "--out",
        dir.path().to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for page in [
        "medledger.1",
        "medledger-devnet-up.1",
        "medledger-chaincode-submit.1",
        "medledger-events-watch.1",
    ] {
        assert!(dir.path().join(page).exists(), "{page}");
    }
}

#[test]
fn profiles_offline_and_their_errors() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // No profile yet.
    let out = medledger_in(h, &["chaincode", "evaluate", "--chaincode", "basic", "Get"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile chosen"));
    let out = medledger_in(h, &["--profile", "ghost", "profile", "show"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile named \"ghost\""));

    // A profile whose gateway nothing serves: exit 6, with a hint.
    let crypto = h.join("crypto");
    assert!(
        medledger_in(h, &["network", "crypto", "--out", crypto.to_str().unwrap()])
            .status
            .success()
    );
    let org = crypto.join("peerOrganizations/seoulmedical.example.com");
    let msp = org.join("users/Doctor1@seoulmedical.example.com/msp");
    let tls = org.join("tlsca/tlsca.seoulmedical.example.com-cert.pem");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gateway = format!("127.0.0.1:{port}");
    let out = medledger_in(
        h,
        &[
            "profile",
            "add",
            "offline",
            "--msp-id",
            "SeoulMedicalCenterMSP",
            "--msp-dir",
            msp.to_str().unwrap(),
            "--gateway",
            &gateway,
            "--tls-root-cert",
            tls.to_str().unwrap(),
            "--server-name",
            "peer0.seoulmedical.example.com",
            "--channel",
            "medledger",
            "--chaincode",
            "basic",
            "--use",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = medledger_in(h, &["profile", "list", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "offline");
    assert_eq!(v[0]["current"], true);
    let out = medledger_in(h, &["chaincode", "evaluate", "Get", "k"]);
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&gateway) && err.contains("hint:"), "{err}");

    // A key that is not the certificate's is refused when the profile is added.
    let other_key = org.join("users/Nurse1@seoulmedical.example.com/msp/keystore");
    let key = std::fs::read_dir(&other_key)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cert = std::fs::read_dir(msp.join("signcerts"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let out = medledger_in(
        h,
        &[
            "profile",
            "add",
            "bad",
            "--msp-id",
            "SeoulMedicalCenterMSP",
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--gateway",
            &gateway,
            "--channel",
            "medledger",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match"));

    // A corrupt profile file: exit 7, the file named, what to do.
    std::fs::write(h.join("profiles/offline.json"), "{\"identity\": ").unwrap();
    let out = medledger_in(h, &["profile", "show"]);
    assert_eq!(out.status.code(), Some(7));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("profiles/offline.json is corrupt"), "{err}");
    assert!(
        err.contains("hint: fix the JSON by hand, or delete"),
        "{err}"
    );
    let out = medledger_in(h, &["profile", "remove", "offline"]);
    assert_eq!(out.status.code(), Some(7));
    std::fs::remove_file(h.join("profiles/offline.json")).unwrap();
    let out = medledger_in(h, &["profile", "list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("No profiles"));

    // Usage errors: exit 2.
    assert_eq!(
        medledger_in(h, &["profile", "add", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        medledger_in(h, &["chaincode", "submit"]).status.code(),
        Some(2)
    );
    assert_eq!(
        medledger_in(h, &["profile", "use", "../etc"]).status.code(),
        Some(2)
    );
}

/// `medledger … | head -1`: a reader that stops early ends the command quietly with status 141
/// (what a shell shows for SIGPIPE), never a panic about a broken pipe.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let home = tempfile::tempdir().unwrap();
    let out_dir = home.path().join("crypto");
    // The command generates the consortium's keys before it prints: the pipe is closed by then.
    let args = ["network", "crypto", "--out", out_dir.to_str().unwrap()];
    let mut child = Command::new(env!("CARGO_BIN_EXE_medledger"))
        .args(args)
        .env("MEDLEDGER_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run medledger");
    // Close the reading end before the command prints.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(141), "{args:?}: {stderr}");
    assert!(stderr.is_empty(), "{args:?}: {stderr}");
}
