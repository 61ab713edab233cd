//! Writing generated files: one place for "a new file, these bytes, this mode".

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::Path;

/// Creates `path` (and its parent directories) with `data`, refusing to replace an existing
/// file. `mode` is the unix permission (e.g. `0o600` for keys, `0o755` for scripts; ignored
/// elsewhere); with `sync` the data reaches the disk before this returns.
pub(crate) fn write_new(path: &Path, data: &[u8], mode: u32, sync: bool) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(data).map_err(|e| Error::io(path, e))?;
    if sync {
        file.sync_all().map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}
