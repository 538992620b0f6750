//! API tokens: one clinic, one role, never above the holder's role.

use crate::audit::AuditActor;
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
        "INSERT INTO api_tokens (clinic_id, id, user_id, name, role, token_hash, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.clinic.to_string())
    .bind(t.id.to_string())
    .bind(t.user.to_string())
    .bind(&t.name)
    .bind(t.role.as_str())
    .bind(&t.token_hash)
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    tx.audit(t.clinic, actor, "create", "api_token", &t.id.to_string(), None::<&()>, Some(t), None);
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
    tx.audit(clinic, actor, "revoke", "api_token", &id.to_string(), None::<&()>, None::<&()>, None);
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
