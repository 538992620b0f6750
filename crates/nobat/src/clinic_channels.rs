//! The channel to send with for one clinic: its own credentials when it set them (stored
//! sealed, opened here with the instance keys), the instance's otherwise. What the dispatcher
//! calls per message.

use nobat_core::ClinicId;
use nobat_notify::{Channel, ChannelKind, Registry};
use nobat_store::Store;
use nobat_web::auth::keys::Keys;
use nobat_web::auth::vault;
use std::sync::Arc;

/// `Ok(None)`: no channel of that kind for this clinic (none configured, or its own
/// credentials no longer validate). An error: its credentials exist but do not open (the
/// instance secret changed) — not silently replaced by the instance's account.
pub async fn resolve(
    store: &Store,
    keys: &Keys,
    registry: &Registry,
    clinic: ClinicId,
    kind: ChannelKind,
) -> anyhow::Result<Option<Arc<dyn Channel>>> {
    let Some(stored) = store.channel_credential(clinic, kind.as_str()).await? else {
        return Ok(registry.resolve(kind, None));
    };
    let aad = vault::credentials_aad(&clinic.to_string(), kind.as_str());
    let bytes = vault::open(keys, &aad, &stored.sealed).ok_or_else(|| {
        anyhow::anyhow!("the clinic's {} credentials do not open with this instance secret", kind.as_str())
    })?;
    let creds: serde_json::Value = serde_json::from_slice(&bytes)?;
    Ok(registry.resolve(kind, Some(&creds)))
}
