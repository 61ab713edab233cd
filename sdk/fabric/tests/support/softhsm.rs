//! A SoftHSM2 token in a directory of its own, for the PKCS#11 tests (shared by
//! `sdk/fabric/tests/pkcs11_softhsm.rs` and `tests/gateway/pkcs11.rs` through `#[path]`).
//!
//! SoftHSM reads `SOFTHSM2_CONF` from the environment when the module is initialised, so a test
//! binary using it holds one test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// An initialised token: its module, label and user PIN; the directory lives as long as this.
pub struct SoftHsm {
    pub module: PathBuf,
    pub token: String,
    pub pin: String,
    conf: PathBuf,
    _dir: tempfile::TempDir,
}

impl SoftHsm {
    /// A fresh token `token` with user PIN `pin`, or `None` (with the reason printed) when
    /// SoftHSM2 is not installed. The module is taken from `SOFTHSM2_MODULE` or the
    /// Debian/Fedora paths.
    pub fn start(token: &str, pin: &str) -> Option<SoftHsm> {
        let Some(module) = module() else {
            eprintln!(
                "SKIPPED: SoftHSM2 is not installed (no libsofthsm2.so or softhsm2-util; \
                 `apt-get install softhsm2`, or set SOFTHSM2_MODULE)"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        // SAFETY: called by the only test of its binary, before the module is loaded and before
        // any other thread reads or writes the environment.
        unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
        let hsm = SoftHsm {
            module,
            token: token.into(),
            pin: pin.into(),
            conf,
            _dir: dir,
        };
        hsm.util(&[
            "--init-token",
            "--free",
            "--label",
            token,
            "--pin",
            pin,
            "--so-pin",
            "87654321",
        ]);
        Some(hsm)
    }

    /// Imports the PKCS#8 PEM key in `pem_file` as `label` with CKA_ID `id_hex` (private and
    /// public objects), as an organisation moves a CA-issued key into its HSM.
    pub fn import(&self, pem_file: &Path, label: &str, id_hex: &str) {
        let pem = pem_file.to_str().expect("a UTF-8 path");
        self.util(&[
            "--import",
            pem,
            "--token",
            &self.token,
            "--label",
            label,
            "--id",
            id_hex,
            "--pin",
            &self.pin,
        ]);
    }

    fn util(&self, args: &[&str]) {
        let out = Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .expect("run softhsm2-util");
        assert!(
            out.status.success(),
            "softhsm2-util {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn module() -> Option<PathBuf> {
    let module = std::env::var_os("SOFTHSM2_MODULE")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/lib/softhsm/libsofthsm2.so",
                "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib64/pkcs11/libsofthsm2.so",
                "/usr/local/lib/softhsm/libsofthsm2.so",
            ]
            .map(PathBuf::from),
        )
        .find(|p| p.is_file())?;
    let util = Command::new("softhsm2-util").arg("--version").output();
    util.is_ok_and(|o| o.status.success()).then_some(module)
}
