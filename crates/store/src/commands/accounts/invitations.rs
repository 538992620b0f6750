//! Staff invitations. Adding someone to a clinic does not touch their account: it leaves an
//! invitation, delivered through the outbox (the only place its token exists in clear), that
//! they accept — signed in, or by choosing a password for a new account.

use super::{MemberChange, NewUser};
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::identity::Invitation;
use crate::tx::WriteTx;
use nobat_core::{DomainError, UserId};
use serde_json::json;

/// Records an invitation (replacing any earlier one still pending for the same address in the
/// same clinic) and queues the message that carries its token.
pub(crate) async fn invite(
    tx: &mut WriteTx<'_>,
    inv: &Invitation,
    token: &str,
    actor: &AuditActor,
) -> StoreResult<crate::commands::Output> {
    let clinic = inv.clinic.to_string();
    if let Some(p) = inv.practitioner {
        let found = crate::db::query("SELECT 1 FROM practitioners WHERE clinic_id = $1 AND id = $2")
            .bind(&clinic)
            .bind(p.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?;
        if found.is_none() {
            return Err(DomainError::invalid("practitioner", "no such practitioner in this clinic").into());
        }
    }
    crate::db::query("DELETE FROM invitations WHERE clinic_id = $1 AND email = $2 AND accepted_at_us IS NULL")
        .bind(&clinic)
        .bind(&inv.email)
        .execute(&mut *tx.conn)
        .await?;
    crate::db::query(
        "INSERT INTO invitations (clinic_id, id, email, role, practitioner_id, name, token_hash, created_at_us, expires_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&clinic)
    .bind(&inv.id)
    .bind(&inv.email)
    .bind(inv.role.as_str())
    .bind(inv.practitioner.map(|p| p.to_string()))
    .bind(inv.name.as_deref())
    .bind(&inv.token_hash)
    .bind(tx.now.as_microsecond())
    .bind(inv.expires_at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    // Delivered by the dispatcher like a verification code; this message is the only place the
    // token exists in clear.
    let payload = json!({ "invitation": inv.id, "clinic": inv.clinic, "to": inv.email, "role": inv.role,
                          "token": token, "expires_at": inv.expires_at });
    tx.emit_with_message(inv.clinic, EventKind::StaffInvited, Subjects::default(), payload).await?;
    // Not the address: the trail outlives erasure and names people by account id only.
    let after = json!({ "role": inv.role, "practitioner": inv.practitioner, "expires_at": inv.expires_at });
    tx.audit(inv.clinic, actor, Audit::new("invite", "invitation", &inv.id).after(&after));
    Ok(crate::commands::Output::Done)
}

/// Who accepts an invitation.
#[derive(Debug, Clone)]
pub enum Invitee {
    /// The signed-in holder of the invited address's account.
    Existing(UserId),
    /// A new account for the invited address.
    New(Box<NewUser>),
}

/// Accepts an invitation: the membership it names is made (or changed), and the invitation is
/// spent. Refused when it is unknown, spent or expired, or the account is not the invited one.
pub(crate) async fn accept(
    tx: &mut WriteTx<'_>,
    token_hash: &str,
    invitee: &Invitee,
) -> StoreResult<crate::commands::Output> {
    let row = crate::db::query(
        "SELECT clinic_id, id, email, role, practitioner_id, expires_at_us FROM invitations \
         WHERE token_hash = $1 AND accepted_at_us IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("invitation"))?;
    let clinic = crate::rows::parse(&row, "clinic_id")?;
    let id = crate::rows::text(&row, "id")?;
    let email = crate::rows::text(&row, "email")?;
    if row.int("expires_at_us")? <= tx.now.as_microsecond() {
        return Err(DomainError::Refused("this invitation has expired; ask for a new one".into()).into());
    }
    let user = match invitee {
        Invitee::Existing(user) => {
            let found = crate::db::query("SELECT email FROM users WHERE id = $1")
                .bind(user.to_string())
                .fetch_optional(&mut *tx.conn)
                .await?
                .ok_or(StoreError::NotFound("user"))?;
            if crate::rows::text(&found, "email")? != email {
                return Err(DomainError::Refused("this invitation is for another address".into()).into());
            }
            *user
        }
        Invitee::New(n) => {
            if n.user.email != email {
                return Err(DomainError::Refused("this invitation is for another address".into()).into());
            }
            super::create_user(tx, n).await?;
            n.user.id
        }
    };
    let actor = AuditActor::new(format!("user:{user}"), "the invitee");
    let change = MemberChange {
        clinic,
        user,
        role: Some(crate::rows::parse(&row, "role")?),
        practitioner: crate::rows::opt_parse(&row, "practitioner_id")?,
        actor: actor.clone(),
    };
    super::change_member(tx, &change).await?;
    crate::db::query("UPDATE invitations SET accepted_at_us = $1, accepted_by = $2 WHERE clinic_id = $3 AND id = $4")
        .bind(tx.now.as_microsecond())
        .bind(user.to_string())
        .bind(clinic.to_string())
        .bind(&id)
        .execute(&mut *tx.conn)
        .await?;
    tx.audit(clinic, &actor, Audit::new("accept", "invitation", &id).after(&json!({ "user": user })));
    Ok(crate::commands::Output::Done)
}
