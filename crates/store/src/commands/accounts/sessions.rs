//! Sessions: created at sign-in, slid forward while used, ended at sign-out.

use crate::audit::Audit;
use crate::audit::INSTANCE_CHAIN;
use crate::error::StoreResult;
use crate::identity::{LoginKey, Session, User};
use crate::tx::WriteTx;
use jiff::Timestamp;

pub(crate) async fn create_session(
    tx: &mut WriteTx<'_>,
    s: &Session,
    user: &User,
    key: Option<&LoginKey>,
) -> StoreResult<crate::commands::Output> {
    crate::db::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at_us, last_seen_us, expires_at_us) VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(&s.id_hash)
    .bind(s.user.to_string())
    .bind(&s.csrf_token)
    .bind(tx.now.as_microsecond())
    .bind(s.expires_at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    if let Some(key) = key {
        super::login_succeeded(tx, key).await?;
    }
    tx.audit_in(INSTANCE_CHAIN, &super::user_actor(user), Audit::new("login", "user", &user.id.to_string()));
    Ok(crate::commands::Output::Done)
}

pub(crate) async fn end_session(tx: &mut WriteTx<'_>, id_hash: &str) -> StoreResult<crate::commands::Output> {
    crate::db::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&mut *tx.conn).await?;
    Ok(crate::commands::Output::Done)
}

/// Slides a session's expiry forward (called at most every few minutes per session).
pub(crate) async fn touch_session(
    tx: &mut WriteTx<'_>,
    id_hash: &str,
    expires_at: Timestamp,
) -> StoreResult<crate::commands::Output> {
    crate::db::query("UPDATE sessions SET last_seen_us = $1, expires_at_us = $2 WHERE id_hash = $3")
        .bind(tx.now.as_microsecond())
        .bind(expires_at.as_microsecond())
        .bind(id_hash)
        .execute(&mut *tx.conn)
        .await?;
    Ok(crate::commands::Output::Done)
}
