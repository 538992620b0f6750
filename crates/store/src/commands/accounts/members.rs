//! Clinic memberships: who works for a clinic, and as what.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::tx::WriteTx;
use nobat_core::access::Role;
use nobat_core::{ClinicId, DomainError, PractitionerId, UserId};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct MemberChange {
    pub clinic: ClinicId,
    pub user: UserId,
    /// `None` removes the membership.
    pub role: Option<Role>,
    pub practitioner: Option<PractitionerId>,
    pub actor: AuditActor,
}
pub(crate) async fn change_member(tx: &mut WriteTx<'_>, m: &MemberChange) -> StoreResult<crate::commands::Output> {
    // Lock the clinic's memberships (the clinic row) so two admins cannot each remove one of
    // the last two owners.
    let locked = crate::db::query("UPDATE clinics SET updated_at_us = updated_at_us WHERE id = $1")
        .bind(m.clinic.to_string())
        .execute(&mut *tx.conn)
        .await?;
    if locked == 0 {
        return Err(StoreError::NotFound("clinic"));
    }
    let exists = crate::db::query("SELECT 1 FROM users WHERE id = $1")
        .bind(m.user.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound("user"));
    }
    let before =
        crate::db::query("SELECT role, practitioner_id FROM memberships WHERE clinic_id = $1 AND user_id = $2")
            .bind(m.clinic.to_string())
            .bind(m.user.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .map(|r| -> StoreResult<_> {
                Ok((crate::rows::parse::<Role>(&r, "role")?, crate::rows::opt_text(&r, "practitioner_id")?))
            })
            .transpose()?;
    if let Some(p) = m.practitioner {
        let found = crate::db::query("SELECT 1 FROM practitioners WHERE clinic_id = $1 AND id = $2")
            .bind(m.clinic.to_string())
            .bind(p.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?;
        if found.is_none() {
            return Err(DomainError::invalid("practitioner", "no such practitioner in this clinic").into());
        }
    }
    if before.as_ref().is_some_and(|(r, _)| *r == Role::Owner) && m.role != Some(Role::Owner) {
        let owners = crate::db::query("SELECT COUNT(*) AS n FROM memberships WHERE clinic_id = $1 AND role = 'owner'")
            .bind(m.clinic.to_string())
            .fetch_one(&mut *tx.conn)
            .await?
            .int("n")?;
        if owners <= 1 {
            return Err(
                DomainError::Refused("a clinic needs at least one owner; appoint another owner first".into()).into()
            );
        }
    }
    match m.role {
        Some(role) => {
            crate::db::query(
                "INSERT INTO memberships (clinic_id, user_id, role, practitioner_id, created_at_us) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (clinic_id, user_id) DO UPDATE SET role = excluded.role, practitioner_id = excluded.practitioner_id",
            )
            .bind(m.clinic.to_string())
            .bind(m.user.to_string())
            .bind(role.as_str())
            .bind(m.practitioner.map(|p| p.to_string()))
            .bind(tx.now.as_microsecond())
            .execute(&mut *tx.conn)
            .await?;
            // A token must never carry more than its owner's role: revoke those the new role
            // does not cover.
            let tokens = crate::db::query(
                "SELECT id, role FROM api_tokens WHERE clinic_id = $1 AND user_id = $2 AND revoked_at_us IS NULL",
            )
            .bind(m.clinic.to_string())
            .bind(m.user.to_string())
            .fetch_all(&mut *tx.conn)
            .await?;
            for t in tokens {
                if !role.covers(crate::rows::parse::<Role>(&t, "role")?) {
                    crate::db::query("UPDATE api_tokens SET revoked_at_us = $1 WHERE clinic_id = $2 AND id = $3")
                        .bind(tx.now.as_microsecond())
                        .bind(m.clinic.to_string())
                        .bind(crate::rows::text(&t, "id")?)
                        .execute(&mut *tx.conn)
                        .await?;
                }
            }
        }
        None => {
            let gone = crate::db::query("DELETE FROM memberships WHERE clinic_id = $1 AND user_id = $2")
                .bind(m.clinic.to_string())
                .bind(m.user.to_string())
                .execute(&mut *tx.conn)
                .await?;
            if gone == 0 {
                return Err(StoreError::NotFound("membership"));
            }
            crate::db::query("UPDATE api_tokens SET revoked_at_us = $1 WHERE clinic_id = $2 AND user_id = $3 AND revoked_at_us IS NULL")
                .bind(tx.now.as_microsecond())
                .bind(m.clinic.to_string())
                .bind(m.user.to_string())
                .execute(&mut *tx.conn)
                .await?;
        }
    }
    let before = before.map(|(role, p)| json!({ "user": m.user, "role": role, "practitioner": p }));
    let after = m.role.map(|role| json!({ "user": m.user, "role": role, "practitioner": m.practitioner }));
    let action = match (&before, &after) {
        (None, _) => "add",
        (_, None) => "remove",
        _ => "change",
    };
    tx.audit(
        m.clinic,
        &m.actor,
        Audit::new(action, "membership", &m.user.to_string()).before_opt(before.as_ref()).after_opt(after.as_ref()),
    );
    tx.emit(m.clinic, EventKind::StaffChanged, Subjects { user: Some(m.user), ..Subjects::default() }).await?;
    Ok(crate::commands::Output::Done)
}
