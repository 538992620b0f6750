//! Instance-wide settings (`instance_settings`): values of the installation, shared by every
//! process on the database and owned by no clinic.

use crate::engine::{self, Engine};
use crate::error::StoreResult;

/// The keyed fingerprint of the instance secret (never the secret itself).
pub const SECRET_FINGERPRINT: &str = "secret_fingerprint";

/// Stores `value` under `key` unless the key has a value already; returns the value the
/// database keeps (ours if we were first, or the one stored before). Several processes starting
/// at once agree: the first insert wins, the others read it.
pub async fn claim(url: &str, key: &str, value: &str) -> StoreResult<String> {
    let engine = Engine::from_url(url)?;
    let mut conn = engine::connect_writer(engine, url, &crate::SessionLimits::default()).await?;
    let result = async {
        crate::db::query(
            "INSERT INTO instance_settings (key, value, updated_at_us) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .bind(jiff::Timestamp::now().as_microsecond())
        .execute(&mut conn)
        .await?;
        let row = crate::db::query("SELECT value FROM instance_settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut conn)
            .await?;
        row.text("value")
    }
    .await;
    conn.close().await;
    result
}
