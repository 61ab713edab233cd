//! The output directory: checks, a staging directory inside it, and the final switch.
//!
//! Everything is written into `<out>/.cryptogen-staging-*` first; only when the whole tree is
//! complete are its top-level entries renamed into `<out>`. A failed run leaves `<out>` as it was.
//! The staging directory lives inside `<out>` so the renames stay on one file system even when
//! `<out>` is a mount point.

use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level entries a generation run writes.
pub(crate) const TOP_LEVEL: [&str; 2] = ["ordererOrganizations", "peerOrganizations"];
const STAGING_PREFIX: &str = ".cryptogen-staging-";
const OLD_PREFIX: &str = ".cryptogen-old-";

fn is_ours(name: &str) -> bool {
    TOP_LEVEL.contains(&name) || name.starts_with(STAGING_PREFIX) || name.starts_with(OLD_PREFIX)
}

fn entries(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
        ));
    }
    out.sort();
    Ok(out)
}

/// A staging directory being filled, and the files written into it.
pub(crate) struct Staging {
    out_dir: PathBuf,
    dir: PathBuf,
    created_out_dir: bool,
    files: BTreeSet<PathBuf>,
}

impl Staging {
    /// Checks `out_dir` (absent, empty, or — with `overwrite` — holding only a previous run's
    /// output) and creates the staging directory in it.
    pub(crate) fn begin(out_dir: &Path, overwrite: bool) -> Result<Self> {
        let created_out_dir = match fs::symlink_metadata(out_dir) {
            Ok(_) => {
                let meta = fs::metadata(out_dir).map_err(|e| Error::io(out_dir, e))?;
                if !meta.is_dir() {
                    return Err(Error::OutputDir {
                        path: out_dir.to_owned(),
                        reason: "exists and is not a directory".to_owned(),
                    });
                }
                let existing = entries(out_dir)?;
                if !existing.is_empty() {
                    if !overwrite {
                        return Err(Error::OutputNotEmpty {
                            path: out_dir.to_owned(),
                        });
                    }
                    if let Some((name, _)) = existing.iter().find(|(n, _)| !is_ours(n)) {
                        return Err(Error::OutputDir {
                            path: out_dir.to_owned(),
                            reason: format!(
                                "holds {name:?}, which is not crypto material; refusing to overwrite it"
                            ),
                        });
                    }
                }
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
                true
            }
            Err(e) => return Err(Error::io(out_dir, e)),
        };
        let dir = out_dir.join(format!("{STAGING_PREFIX}{}", unique_suffix()));
        if let Err(e) = fs::create_dir(&dir) {
            if created_out_dir {
                let _ = fs::remove_dir(out_dir);
            }
            return Err(Error::io(&dir, e));
        }
        Ok(Staging {
            out_dir: out_dir.to_owned(),
            dir,
            created_out_dir,
            files: BTreeSet::new(),
        })
    }

    /// Writes `data` to `rel` (relative to the output root). `secret` files get mode 0600 on unix.
    pub(crate) fn write(&mut self, rel: &Path, data: &[u8], secret: bool) -> Result<()> {
        let mode = if secret { 0o600 } else { 0o644 };
        crate::files::write_new(&self.dir.join(rel), data, mode, true)?;
        self.files.insert(rel.to_owned());
        Ok(())
    }

    /// Moves the finished tree into place (replacing a previous run's output) and returns the
    /// sorted list of files written, relative to the output directory.
    pub(crate) fn commit(self) -> Result<Vec<PathBuf>> {
        let old = self
            .out_dir
            .join(format!("{OLD_PREFIX}{}", unique_suffix()));
        let mut moved_aside = false;
        for (name, path) in entries(&self.out_dir)? {
            if path == self.dir {
                continue;
            }
            if !moved_aside {
                fs::create_dir(&old).map_err(|e| Error::io(&old, e))?;
                moved_aside = true;
            }
            fs::rename(&path, old.join(&name)).map_err(|e| Error::io(&path, e))?;
        }
        for name in TOP_LEVEL {
            let from = self.dir.join(name);
            if from.exists() {
                let to = self.out_dir.join(name);
                fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
            }
        }
        fs::remove_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        if moved_aside {
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        Ok(self.files.iter().cloned().collect())
    }

    /// Removes the staging directory after a failure (and the output directory if we made it).
    pub(crate) fn abort(self) {
        let _ = fs::remove_dir_all(&self.dir);
        if self.created_out_dir {
            let _ = fs::remove_dir(&self.out_dir);
        }
    }
}

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}
