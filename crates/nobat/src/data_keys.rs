//! The data key ring (clinical content at rest, see `nobat_store::at_rest`): read from
//! `data_dir/data.keys`, generated there with mode 0600 on a first start. Like `secret.key` it
//! belongs in backups of the data directory, kept apart from database backups: a stolen
//! database file alone opens nothing.
//!
//! Minimal loader for the forms and messages work; the configuration key and the rotation
//! command are the `records` branch's (this file is replaced by theirs at merge).

use anyhow::{Context, bail};
use nobat_store::at_rest::DataKeys;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub const FILE: &str = "data.keys";

pub fn load(data_dir: &Path) -> anyhow::Result<DataKeys> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let path = data_dir.join(FILE);
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
        Ok(mut f) => {
            f.write_all(DataKeys::generate().to_text().as_bytes())
                .and_then(|()| f.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    }
    let meta = std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        bail!("{} is readable by other users; run `chmod 600 {}`", path.display(), path.display());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    DataKeys::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
