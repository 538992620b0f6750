//! Accounts: users and their passwords (here), sign-in lockout ([`lockout`]), sessions
//! ([`sessions`]), second factors ([`totp`]), API tokens ([`tokens`]), clinic memberships
//! ([`members`]) and invitations ([`invitations`]), and erasing an account ([`erase`]).
//! Account events go to the instance audit chain; membership changes to the clinic's.

mod erase;
mod invitations;
mod lockout;
mod members;
mod sessions;
mod tokens;
mod totp;

pub use invitations::Invitee;
pub use lockout::{ACCOUNT_CEILING, ACCOUNT_WIDE, account_lockout, lockout};
pub use members::MemberChange;
pub use totp::TotpChange;

pub(crate) use erase::erase_account;
pub(crate) use invitations::{accept as accept_invitation, invite};
pub(crate) use lockout::{login_failed, login_succeeded};
pub(crate) use members::change_member;
pub(crate) use sessions::{create_session, end_session, touch_session};
pub(crate) use tokens::{create_token, revoke_token, touch_token};
pub(crate) use totp::change_totp;

use crate::audit::Audit;
use crate::audit::{AuditActor, INSTANCE_CHAIN};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::identity::{ClinicSecurity, User};
use crate::tx::WriteTx;
use nobat_core::{ClinicId, DomainError, UserId};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub user: User,
    pub actor: AuditActor,
}

pub(super) fn user_actor(user: &User) -> AuditActor {
    // Not their email or name: the trail is chained and outlives an account's erasure.
    AuditActor::new(format!("user:{}", user.id), "the account holder")
}

pub(crate) async fn create_user(tx: &mut WriteTx<'_>, n: &NewUser) -> StoreResult<crate::commands::Output> {
    let u = &n.user;
    let taken =
        crate::db::query("SELECT 1 FROM users WHERE email = $1").bind(&u.email).fetch_optional(&mut *tx.conn).await?;
    if taken.is_some() {
        return Err(StoreError::AlreadyExists(format!("an account with email `{}` already exists", u.email)));
    }
    let now = tx.now.as_microsecond();
    crate::db::query(
        "INSERT INTO users (id, email, name, password_hash, is_operator, failed_logins, disabled, created_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $6)",
    )
    .bind(u.id.to_string())
    .bind(&u.email)
    .bind(&u.name)
    .bind(&u.password_hash)
    .bind(i64::from(u.is_operator))
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    tx.audit_in(INSTANCE_CHAIN, &n.actor, Audit::new("create", "user", &u.id.to_string()).after(u));
    Ok(crate::commands::Output::User(Box::new(User { created_at: tx.now, ..u.clone() })))
}

pub(crate) async fn set_password(
    tx: &mut WriteTx<'_>,
    user: UserId,
    hash: &str,
    actor: &AuditActor,
) -> StoreResult<crate::commands::Output> {
    let done = crate::db::query("UPDATE users SET password_hash = $1, updated_at_us = $2 WHERE id = $3")
        .bind(hash)
        .bind(tx.now.as_microsecond())
        .bind(user.to_string())
        .execute(&mut *tx.conn)
        .await?;
    if done == 0 {
        return Err(StoreError::NotFound("user"));
    }
    // Every other sign-in ends with the old password.
    crate::db::query("DELETE FROM sessions WHERE user_id = $1").bind(user.to_string()).execute(&mut *tx.conn).await?;
    // And every API token minted while the old password was good.
    tokens::revoke_all_of(tx, user, actor, "the password was changed").await?;
    tx.audit_in(INSTANCE_CHAIN, actor, Audit::new("set_password", "user", &user.to_string()));
    Ok(crate::commands::Output::Done)
}
pub(crate) async fn set_security(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    s: &ClinicSecurity,
    actor: &AuditActor,
) -> StoreResult<crate::commands::Output> {
    if s.retention_days.is_some_and(|d| !(30..=36_500).contains(&d)) {
        return Err(
            DomainError::invalid("retention_days", "keep data between 30 days and 100 years, or send null").into()
        );
    }
    let before =
        crate::db::query("SELECT require_staff_2fa, verify_guest_contact, retention_days FROM clinics WHERE id = $1")
            .bind(clinic.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or(StoreError::NotFound("clinic"))?;
    let before = crate::rows::clinic_security(&before)?;
    crate::db::query(
        "UPDATE clinics SET require_staff_2fa = $1, verify_guest_contact = $2, retention_days = $3, updated_at_us = $4 WHERE id = $5",
    )
    .bind(i64::from(s.require_staff_2fa))
    .bind(i64::from(s.verify_guest_contact))
    .bind(s.retention_days.map(i64::from))
    .bind(tx.now.as_microsecond())
    .bind(clinic.to_string())
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(clinic, EventKind::ClinicChanged, Subjects::default()).await?;
    tx.audit(clinic, actor, Audit::new("update", "clinic_security", &clinic.to_string()).before(&before).after(s));
    Ok(crate::commands::Output::Done)
}
