//! Users, memberships, sessions, API tokens and second factors. Account events go to the
//! instance audit chain; membership changes to the clinic's.

use crate::audit::{AuditActor, INSTANCE_CHAIN};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::identity::{ApiToken, ClinicSecurity, Session, User};
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::access::Role;
use nobat_core::{ClinicId, DomainError, PractitionerId, TokenId, UserId};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub user: User,
    pub actor: AuditActor,
}

#[derive(Debug, Clone)]
pub struct MemberChange {
    pub clinic: ClinicId,
    pub user: UserId,
    /// `None` removes the membership.
    pub role: Option<Role>,
    pub practitioner: Option<PractitionerId>,
    pub actor: AuditActor,
}

/// What changes on a user's second factor.
#[derive(Debug, Clone)]
pub enum TotpChange {
    /// A new secret waits for its first code.
    Enrol {
        secret: String,
    },
    /// The pending secret is confirmed; these recovery code hashes replace any earlier ones.
    Enable {
        secret: String,
        step: i64,
        recovery: Vec<String>,
    },
    Disable,
    /// A code of this time step was used: later uses of the same step are replays.
    UseStep(i64),
    /// A recovery code (its hash) was used.
    UseRecovery(String),
}

/// How many failed logins in a row are free before the account locks, and the longest lock.
const FREE_FAILURES: i64 = 5;
const MAX_LOCK: SignedDuration = SignedDuration::from_hours(1);

/// The lock after `failures` failed logins in a row: none for the first few, then doubling
/// from 30 seconds up to an hour.
pub fn lockout(failures: i64) -> Option<SignedDuration> {
    let over = failures - FREE_FAILURES;
    if over < 0 {
        return None;
    }
    let secs = 30i64.saturating_mul(1i64 << over.min(20));
    Some(SignedDuration::from_secs(secs).min(MAX_LOCK))
}

fn user_actor(user: &User) -> AuditActor {
    // Not their email or name: the trail is chained and outlives an account's erasure.
    AuditActor::new(format!("user:{}", user.id), "the account holder")
}

pub(crate) async fn create_user(tx: &mut WriteTx<'_>, n: &NewUser) -> StoreResult<super::Output> {
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
    tx.audit_in(INSTANCE_CHAIN, &n.actor, "create", "user", &u.id.to_string(), None::<&()>, Some(u), None);
    Ok(super::Output::User(Box::new(User { created_at: tx.now, ..u.clone() })))
}

pub(crate) async fn set_password(
    tx: &mut WriteTx<'_>,
    user: UserId,
    hash: &str,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
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
    tx.audit_in(INSTANCE_CHAIN, actor, "set_password", "user", &user.to_string(), None::<&()>, None::<&()>, None);
    Ok(super::Output::Done)
}

pub(crate) async fn change_member(tx: &mut WriteTx<'_>, m: &MemberChange) -> StoreResult<super::Output> {
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
    tx.audit(m.clinic, &m.actor, action, "membership", &m.user.to_string(), before.as_ref(), after.as_ref(), None);
    tx.emit(m.clinic, EventKind::StaffChanged, Subjects { user: Some(m.user), ..Subjects::default() }).await?;
    Ok(super::Output::Done)
}

pub(crate) async fn create_session(tx: &mut WriteTx<'_>, s: &Session, user: &User) -> StoreResult<super::Output> {
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
    crate::db::query("UPDATE users SET failed_logins = 0, locked_until_us = NULL WHERE id = $1")
        .bind(s.user.to_string())
        .execute(&mut *tx.conn)
        .await?;
    tx.audit_in(
        INSTANCE_CHAIN,
        &user_actor(user),
        "login",
        "user",
        &user.id.to_string(),
        None::<&()>,
        None::<&()>,
        None,
    );
    Ok(super::Output::Done)
}

pub(crate) async fn end_session(tx: &mut WriteTx<'_>, id_hash: &str) -> StoreResult<super::Output> {
    crate::db::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&mut *tx.conn).await?;
    Ok(super::Output::Done)
}

/// Slides a session's expiry forward (called at most every few minutes per session).
pub(crate) async fn touch_session(
    tx: &mut WriteTx<'_>,
    id_hash: &str,
    expires_at: Timestamp,
) -> StoreResult<super::Output> {
    crate::db::query("UPDATE sessions SET last_seen_us = $1, expires_at_us = $2 WHERE id_hash = $3")
        .bind(tx.now.as_microsecond())
        .bind(expires_at.as_microsecond())
        .bind(id_hash)
        .execute(&mut *tx.conn)
        .await?;
    Ok(super::Output::Done)
}

/// Counts a failed login and locks the account for a while after too many in a row.
pub(crate) async fn login_failed(tx: &mut WriteTx<'_>, user: UserId) -> StoreResult<super::Output> {
    let row = crate::db::query(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins, email",
    )
    .bind(user.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("user"))?;
    let failures = row.int("failed_logins")?;
    if let Some(lock) = lockout(failures) {
        let until = tx.now.checked_add(lock).unwrap_or(tx.now);
        crate::db::query("UPDATE users SET locked_until_us = $1 WHERE id = $2")
            .bind(until.as_microsecond())
            .bind(user.to_string())
            .execute(&mut *tx.conn)
            .await?;
        let actor = AuditActor::system();
        tx.audit_in(
            INSTANCE_CHAIN,
            &actor,
            "lock",
            "user",
            &user.to_string(),
            None::<&()>,
            Some(&json!({ "failed_logins": failures, "locked_until": until })),
            None,
        );
    }
    Ok(super::Output::Count(u64::try_from(failures).unwrap_or(0)))
}

pub(crate) async fn change_totp(tx: &mut WriteTx<'_>, user: UserId, change: &TotpChange) -> StoreResult<super::Output> {
    let uid = user.to_string();
    let now = tx.now.as_microsecond();
    let actor = AuditActor::new(format!("user:{user}"), "the account holder");
    let changed = match change {
        TotpChange::Enrol { secret } => {
            crate::db::query("UPDATE users SET totp_pending = $1, updated_at_us = $2 WHERE id = $3")
                .bind(secret.as_str())
                .bind(now)
                .bind(&uid)
                .execute(&mut *tx.conn)
                .await?
        }
        TotpChange::Enable { secret, step, recovery } => {
            let n = crate::db::query(
                "UPDATE users SET totp_secret = $1, totp_pending = NULL, totp_last_step = $2, updated_at_us = $3 WHERE id = $4",
            )
            .bind(secret.as_str())
            .bind(*step)
            .bind(now)
            .bind(&uid)
            .execute(&mut *tx.conn)
            .await?;
            crate::db::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(&uid).execute(&mut *tx.conn).await?;
            for code in recovery {
                crate::db::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(&uid)
                    .bind(code.as_str())
                    .execute(&mut *tx.conn)
                    .await?;
            }
            tx.audit_in(INSTANCE_CHAIN, &actor, "enable_2fa", "user", &uid, None::<&()>, None::<&()>, None);
            n
        }
        TotpChange::Disable => {
            let n = crate::db::query(
                "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL, updated_at_us = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(&uid)
            .execute(&mut *tx.conn)
            .await?;
            crate::db::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(&uid).execute(&mut *tx.conn).await?;
            tx.audit_in(INSTANCE_CHAIN, &actor, "disable_2fa", "user", &uid, None::<&()>, None::<&()>, None);
            n
        }
        TotpChange::UseStep(step) => {
            // Compare-and-set: of two requests with the same code, one wins.
            let n = crate::db::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(*step)
            .bind(&uid)
            .execute(&mut *tx.conn)
            .await?;
            if n == 0 {
                return Err(DomainError::Refused("this code was already used; wait for the next one".into()).into());
            }
            n
        }
        TotpChange::UseRecovery(hash) => {
            let n = crate::db::query(
                "UPDATE recovery_codes SET used_at_us = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at_us IS NULL",
            )
            .bind(now)
            .bind(&uid)
            .bind(hash.as_str())
            .execute(&mut *tx.conn)
            .await?;
            if n == 0 {
                return Err(DomainError::Refused("this recovery code is not valid or was already used".into()).into());
            }
            tx.audit_in(INSTANCE_CHAIN, &actor, "use_recovery_code", "user", &uid, None::<&()>, None::<&()>, None);
            n
        }
    };
    if changed == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(super::Output::Done)
}

pub(crate) async fn create_token(tx: &mut WriteTx<'_>, t: &ApiToken, actor: &AuditActor) -> StoreResult<super::Output> {
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
    Ok(super::Output::Done)
}

pub(crate) async fn revoke_token(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: TokenId,
    user: Option<UserId>,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
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
    Ok(super::Output::Done)
}

pub(crate) async fn touch_token(tx: &mut WriteTx<'_>, clinic: ClinicId, id: TokenId) -> StoreResult<super::Output> {
    crate::db::query("UPDATE api_tokens SET last_used_at_us = $1 WHERE clinic_id = $2 AND id = $3")
        .bind(tx.now.as_microsecond())
        .bind(clinic.to_string())
        .bind(id.to_string())
        .execute(&mut *tx.conn)
        .await?;
    Ok(super::Output::Done)
}

/// Erases an account at its holder's request: every patient record linked to it is
/// anonymised (as a clinic's erasure does), its memberships, sessions, tokens and second
/// factor go, and the account row keeps only its id. Refused while the holder is some clinic's
/// only owner.
pub(crate) async fn erase_account(
    tx: &mut WriteTx<'_>,
    user: UserId,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let uid = user.to_string();
    // Lock the clinics they own (as `change_member` does) so two owners erasing themselves at
    // once cannot both see the other and leave a clinic with none.
    crate::db::query(
        "UPDATE clinics SET updated_at_us = updated_at_us WHERE id IN \
         (SELECT clinic_id FROM memberships WHERE user_id = $1 AND role = 'owner')",
    )
    .bind(&uid)
    .execute(&mut *tx.conn)
    .await?;
    let sole = crate::db::query(
        "SELECT m.clinic_id FROM memberships m WHERE m.user_id = $1 AND m.role = 'owner' \
         AND (SELECT COUNT(*) FROM memberships o WHERE o.clinic_id = m.clinic_id AND o.role = 'owner') = 1",
    )
    .bind(&uid)
    .fetch_optional(&mut *tx.conn)
    .await?;
    if sole.is_some() {
        return Err(DomainError::Refused("you are a clinic's only owner; appoint another owner first".into()).into());
    }
    let records = crate::db::query("SELECT clinic_id, id FROM patients WHERE user_id = $1 AND erased_at_us IS NULL")
        .bind(&uid)
        .fetch_all(&mut *tx.conn)
        .await?;
    for r in &records {
        let (clinic, patient) = (crate::rows::parse(r, "clinic_id")?, crate::rows::parse(r, "id")?);
        super::privacy::erase_patient(tx, clinic, patient, actor, "the patient erased their account").await?;
    }
    let now = tx.now.as_microsecond();
    for sql in [
        "DELETE FROM memberships WHERE user_id = $1",
        "DELETE FROM sessions WHERE user_id = $1",
        "DELETE FROM recovery_codes WHERE user_id = $1",
    ] {
        crate::db::query(sql).bind(&uid).execute(&mut *tx.conn).await?;
    }
    crate::db::query("UPDATE api_tokens SET revoked_at_us = $1 WHERE user_id = $2 AND revoked_at_us IS NULL")
        .bind(now)
        .bind(&uid)
        .execute(&mut *tx.conn)
        .await?;
    let done = crate::db::query(
        "UPDATE users SET email = $1, name = 'erased', password_hash = '!', totp_secret = NULL, totp_pending = NULL, \
         disabled = 1, updated_at_us = $2 WHERE id = $3",
    )
    .bind(format!("erased-{uid}@invalid"))
    .bind(now)
    .bind(&uid)
    .execute(&mut *tx.conn)
    .await?;
    if done == 0 {
        return Err(StoreError::NotFound("user"));
    }
    // The account's own entries (its creation held the email and name) lose their bodies.
    crate::audit::redact_subject(tx.conn, INSTANCE_CHAIN, &uid, now).await?;
    tx.redactions.push((INSTANCE_CHAIN.to_owned(), uid.clone()));
    tx.audit_in(
        INSTANCE_CHAIN,
        actor,
        "erase",
        "user",
        &uid,
        None::<&()>,
        Some(&json!({ "patient_records_erased": records.len() })),
        None,
    );
    // The erase entry itself holds nothing personal: keep it readable.
    if let Some(last) = tx.audits.last_mut() {
        last.subject = None;
    }
    Ok(super::Output::Count(records.len() as u64))
}

pub(crate) async fn set_security(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    s: &ClinicSecurity,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
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
    tx.audit(clinic, actor, "update", "clinic_security", &clinic.to_string(), Some(&before), Some(s), None);
    Ok(super::Output::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_starts_after_five_failures_and_doubles_to_an_hour() {
        assert_eq!(lockout(4), None);
        assert_eq!(lockout(5), Some(SignedDuration::from_secs(30)));
        assert_eq!(lockout(6), Some(SignedDuration::from_secs(60)));
        assert_eq!(lockout(12), Some(SignedDuration::from_hours(1)));
        assert_eq!(lockout(10_000), Some(SignedDuration::from_hours(1)));
    }
}
