//! API tokens: one clinic, one role, never above the holder's role.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::identity::ApiToken;
use crate::tx::WriteTx;
use nobat_core::access::Role;
use nobat_core::{ClinicId, DomainError, TokenId, UserId};

pub(crate) async fn create_token(
    tx: &mut WriteTx<'_>,
    t: &ApiToken,
    actor: &AuditActor,
) -> StoreResult<crate::commands::Output> {
    // Checked again here, under the clinic lock a role change takes: a demotion racing the
    // request cannot leave a token above its holder's role.
    crate::db::query("UPDATE clinics SET updated_at_us = updated_at_us WHERE id = $1")
        .bind(t.clinic.to_string())
        .execute(&mut *tx.conn)
        .await?;
    let role = crate::db::query("SELECT role FROM memberships WHERE clinic_id = $1 AND user_id = $2")
        .bind(t.clinic.to_string())
        .bind(t.user.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .map(|r| crate::rows::parse::<Role>(&r, "role"))
        .transpose()?;
    if !role.is_some_and(|r| r.covers(t.role)) {
        return Err(DomainError::Refused("your role no longer allows a token with this role".into()).into());
    }
    crate::db::query(
        "INSERT INTO api_tokens (clinic_id, id, user_id, name, role, token_hash, created_at_us, expires_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(t.clinic.to_string())
    .bind(t.id.to_string())
    .bind(t.user.to_string())
    .bind(&t.name)
    .bind(t.role.as_str())
    .bind(&t.token_hash)
    .bind(tx.now.as_microsecond())
    .bind(t.expires_at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    tx.audit(t.clinic, actor, Audit::new("create", "api_token", &t.id.to_string()).after(t));
    Ok(crate::commands::Output::Done)
}

pub(crate) async fn revoke_token(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: TokenId,
    user: Option<UserId>,
    actor: &AuditActor,
) -> StoreResult<crate::commands::Output> {
    let done = crate::db::query(
        "UPDATE api_tokens SET revoked_at_us = $1 WHERE clinic_id = $2 AND id = $3 AND revoked_at_us IS NULL \
         AND ($4 IS NULL OR user_id = $4)",
    )
    .bind(tx.now.as_microsecond())
    .bind(clinic.to_string())
    .bind(id.to_string())
    .bind(user.map(|u| u.to_string()))
    .execute(&mut *tx.conn)
    .await?;
    if done == 0 {
        return Err(StoreError::NotFound("token"));
    }
    tx.audit(clinic, actor, Audit::new("revoke", "api_token", &id.to_string()));
    Ok(crate::commands::Output::Done)
}

pub(crate) async fn touch_token(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: TokenId,
) -> StoreResult<crate::commands::Output> {
    crate::db::query("UPDATE api_tokens SET last_used_at_us = $1 WHERE clinic_id = $2 AND id = $3")
        .bind(tx.now.as_microsecond())
        .bind(clinic.to_string())
        .bind(id.to_string())
        .execute(&mut *tx.conn)
        .await?;
    Ok(crate::commands::Output::Done)
}

/// Revokes every live token of a user, in every clinic, as part of a change to how they sign
/// in (new password, second factor turned off): a token minted with the old credentials must
/// not outlive them. Recorded in each clinic's trail and in the instance trail.
pub(crate) async fn revoke_all_of(
    tx: &mut WriteTx<'_>,
    user: UserId,
    actor: &AuditActor,
    reason: &str,
) -> StoreResult<u64> {
    let live = crate::db::query("SELECT clinic_id, id FROM api_tokens WHERE user_id = $1 AND revoked_at_us IS NULL")
        .bind(user.to_string())
        .fetch_all(&mut *tx.conn)
        .await?;
    if live.is_empty() {
        return Ok(0);
    }
    crate::db::query("UPDATE api_tokens SET revoked_at_us = $1 WHERE user_id = $2 AND revoked_at_us IS NULL")
        .bind(tx.now.as_microsecond())
        .bind(user.to_string())
        .execute(&mut *tx.conn)
        .await?;
    for row in &live {
        let clinic: ClinicId = crate::rows::parse(row, "clinic_id")?;
        let id = crate::rows::text(row, "id")?;
        tx.audit(clinic, actor, Audit::new("revoke", "api_token", &id).note(Some(reason)));
    }
    let n = live.len() as u64;
    let after = serde_json::json!({ "tokens_revoked": n });
    tx.audit_in(
        crate::audit::INSTANCE_CHAIN,
        actor,
        Audit::new("revoke_tokens", "user", &user.to_string()).after(&after).note(Some(reason)),
    );
    Ok(n)
}
