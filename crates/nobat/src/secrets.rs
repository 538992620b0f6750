//! The instance's master secret: from `secret_key` in the configuration, or generated once
//! into `data_dir/secret.key` with mode 0600. Never logged. Losing it signs every session out,
//! voids manage links and API tokens, and makes TOTP secrets unreadable (staff re-enrol), so
//! it belongs in backups of the data directory.

use anyhow::{Context, bail};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const FILE: &str = "secret.key";

/// The master secret bytes.
pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(key) = configured {
        return nobat_web::auth::keys::parse_master(key).map_err(|e| anyhow::anyhow!("secret_key: {e}"));
    }
    let (path, text) = read_or_create(
        data_dir,
        FILE,
        nobat_web::auth::keys::new_master,
        |path| tracing::info!(path = %path.display(), "generated the instance secret (back it up with the data directory)"),
    )?;
    nobat_web::auth::keys::parse_master(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads `data_dir/file`, first creating it with `generate()`'s text (mode 0600, synced;
/// `created` hears about it) when it does not exist. A file other users can read is refused:
/// it holds a secret. Creation is `create_new`, so two processes starting at once on one data
/// directory never overwrite each other's secret.
pub fn read_or_create(
    data_dir: &Path,
    file: &str,
    generate: impl FnOnce() -> String,
    created: impl FnOnce(&Path),
) -> anyhow::Result<(PathBuf, String)> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let path = data_dir.join(file);
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
        Ok(mut f) => {
            f.write_all(generate().as_bytes())
                .and_then(|()| f.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            created(&path);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    }
    let meta = std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        bail!("{} is readable by other users; run `chmod 600 {}`", path.display(), path.display());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok((path, text))
}

/// Makes sure every process on the database runs with the same secret: the first start stores
/// the secret's fingerprint, a later one with a different secret refuses to start. Without
/// this, processes behind one load balancer that each generated their own secret would sign
/// people out and void manage links on every other request.
pub async fn check_fingerprint(database_url: &str, master: &[u8]) -> anyhow::Result<()> {
    use nobat_store::settings;
    let ours = nobat_web::auth::keys::fingerprint(master);
    let known = settings::claim(database_url, settings::SECRET_FINGERPRINT, &ours)
        .await
        .context("reading the instance secret's fingerprint")?;
    if known != ours {
        bail!(
            "the instance secret differs from the one this database was first used with \
             (instance_settings.{key}): every process on one database must use the same secret. \
             Set the same `secret_key` everywhere, or copy `{FILE}` from the data directory of the \
             first server. To replace the secret on purpose (every session, API token, manage link \
             and TOTP enrolment made with the old one stops working), stop every process and run \
             DELETE FROM instance_settings WHERE key = '{key}'",
            key = settings::SECRET_FINGERPRINT
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_with_owner_only_permissions_and_reused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let first = load(None, dir.path())?;
        let second = load(None, dir.path())?;
        assert_eq!(first, second);
        assert!(first.len() >= 32);
        let mode = std::fs::metadata(dir.path().join(FILE))?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(dir.path().join(FILE), std::fs::Permissions::from_mode(0o644))?;
        assert!(load(None, dir.path()).is_err(), "a world-readable secret is refused");
        Ok(())
    }

    #[test]
    fn a_configured_secret_wins_and_is_checked() {
        let dir = std::env::temp_dir();
        assert!(load(Some("short"), &dir).is_err());
        let key = nobat_web::auth::keys::new_master();
        assert!(load(Some(&key), &dir).is_ok_and(|k| k.len() == 48));
    }
}
