//! The data key ring that seals clinical content (visit notes, form answers, messages,
//! attachments; see `nobat_store::at_rest`): from `data_keys` in the configuration, or
//! generated once into `data_dir/data.keys` with mode 0600. Never logged.
//!
//! Kept apart from `secret.key` on purpose: the database and its backups alone reveal no
//! clinical text, and the ring can be rotated (`nobat keys rotate`) without signing everyone
//! out. Losing the ring loses every sealed note: back it up, separately from the database.

use anyhow::{Context, bail};
use nobat_store::at_rest::DataKeys;
use nobat_store::{Command, Output, Store};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

pub const FILE: &str = "data.keys";

/// The ring: the configured one, else the data directory's (created on first start).
pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<DataKeys> {
    if let Some(text) = configured {
        return DataKeys::parse(text).map_err(|e| anyhow::anyhow!("data_keys: {e}"));
    }
    let (path, text) = crate::secrets::read_or_create(
        data_dir,
        FILE,
        || DataKeys::generate().to_text(),
        |path| tracing::info!(path = %path.display(), "generated the data key ring (back it up, apart from the database)"),
    )?;
    DataKeys::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Replaces the ring file: written beside it with mode 0600, synced, then renamed over it, so
/// a crash leaves the old ring or the new one, never half of one.
fn save(data_dir: &Path, ring: &DataKeys) -> anyhow::Result<()> {
    let path = data_dir.join(FILE);
    let tmp = data_dir.join(format!("{FILE}.new"));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(ring.to_text().as_bytes()).and_then(|()| f.sync_all())?;
    std::fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    if let Ok(dir) = std::fs::File::open(data_dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// What `nobat keys rotate` should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// Add a key, make it current, re-seal everything under it.
    Add,
    /// Re-seal what is left (an interrupted rotation, or after a key was added by hand).
    Resume,
    /// Re-seal what is left, then drop every key but the current one, only if nothing is
    /// stale any more.
    Retire,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub current: u32,
    pub resealed: u64,
    pub stale_left: u64,
    /// Key ids dropped (`Retire`).
    pub retired: Vec<u32>,
    /// When the ring comes from the configuration, the new ring text the operator must put
    /// there (the command cannot edit a configuration file).
    pub configured_ring: Option<String>,
}

/// Runs a rotation against `store` (stop the servers first: a running server keeps the ring
/// it started with and could not open values sealed under a key it does not have).
pub async fn rotate(
    store: &Store,
    configured: Option<&str>,
    data_dir: &Path,
    what: Rotation,
    batch: u32,
) -> anyhow::Result<Report> {
    let mut ring = load(configured, data_dir)?;
    if what == Rotation::Add {
        if configured.is_some() {
            bail!(
                "data_keys is set in the configuration, which this command cannot change: add a key to it \
                 yourself (`ID:BASE64URL` of 32 random bytes, a higher id than the others), restart every \
                 process with it, then run `nobat keys rotate --resume`"
            );
        }
        ring.rotate();
        // The new key is on disk before anything is sealed with it.
        save(data_dir, &ring)?;
    }
    let keys = Arc::new(ring.clone());
    let mut resealed = 0u64;
    loop {
        match store.execute(Command::Reseal { keys: keys.clone(), batch: batch.max(1) }).await? {
            Output::Count(0) => break,
            Output::Count(n) => resealed += n,
            other => bail!("unexpected answer to a re-seal: {other:?}"),
        }
    }
    let stale_left = store.stale_sealed_values(ring.current_id()).await?;
    let mut report =
        Report { current: ring.current_id(), resealed, stale_left, retired: Vec::new(), configured_ring: None };
    if what == Rotation::Retire {
        if stale_left > 0 {
            bail!("{stale_left} value(s) are still sealed under an old key; nothing was retired");
        }
        let before = ring.ids();
        ring.retire_old();
        report.retired = before.into_iter().filter(|id| *id != ring.current_id()).collect();
        if configured.is_some() {
            report.configured_ring = Some(ring.to_text());
        } else {
            save(data_dir, &ring)?;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generated_once_with_owner_only_permissions_and_reused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let first = load(None, dir.path())?;
        let second = load(None, dir.path())?;
        let sealed = first.seal_str("a", "x");
        assert_eq!(second.open_str("a", &sealed).as_deref(), Some("x"), "the same ring on the next start");
        let mode = std::fs::metadata(dir.path().join(FILE))?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(dir.path().join(FILE), std::fs::Permissions::from_mode(0o644))?;
        assert!(load(None, dir.path()).is_err(), "a world-readable ring is refused");
        Ok(())
    }

    #[test]
    fn a_configured_ring_wins_and_is_checked() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        assert!(load(Some("1:short"), dir.path()).is_err());
        let text = DataKeys::generate().to_text();
        let ring = load(Some(&text), dir.path())?;
        assert_eq!(ring.current_id(), 1);
        assert!(!dir.path().join(FILE).exists(), "no file when the configuration has the ring");
        Ok(())
    }
}
