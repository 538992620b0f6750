//! Users, sessions, tokens and memberships, as the web layer needs them to decide who is
//! calling and what they may do.

use crate::db::Row;
use crate::error::{StoreError, StoreResult};
use crate::identity::{ApiToken, Invitation, LoginKey, LoginLock, MemberView, Membership, Session, User};
use crate::rows::{int, opt_int, opt_parse, opt_text, parse, text, ts};
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::{ClinicId, UserId};

const USER_COLS: &str = "u.id, u.email, u.name, u.password_hash, u.is_operator, u.totp_secret, u.totp_pending, \
     u.totp_last_step, u.failed_logins, u.locked_until_us, u.disabled, u.created_at_us";

fn user(row: &Row) -> StoreResult<User> {
    Ok(User {
        id: parse(row, "id")?,
        email: text(row, "email")?,
        name: text(row, "name")?,
        password_hash: text(row, "password_hash")?,
        is_operator: int(row, "is_operator")? != 0,
        totp_secret: opt_text(row, "totp_secret")?,
        totp_pending: opt_text(row, "totp_pending")?,
        totp_last_step: opt_int(row, "totp_last_step")?,
        failed_logins: int(row, "failed_logins")?,
        locked_until: opt_int(row, "locked_until_us")?.map(rows::micros).transpose()?,
        disabled: int(row, "disabled")? != 0,
        created_at: ts(row, "created_at_us")?,
    })
}

fn token(row: &Row) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: parse(row, "token_id")?,
        clinic: parse(row, "clinic_id")?,
        user: parse(row, "user_id")?,
        name: text(row, "token_name")?,
        role: parse(row, "role")?,
        token_hash: text(row, "token_hash")?,
        created_at: ts(row, "token_created_at_us")?,
        last_used_at: opt_int(row, "last_used_at_us")?.map(rows::micros).transpose()?,
        revoked_at: opt_int(row, "revoked_at_us")?.map(rows::micros).transpose()?,
        // Tokens from before expiry existed were given one by the migration; NULL cannot occur
        // but reads as already expired.
        expires_at: opt_int(row, "token_expires_at_us")?
            .map(rows::micros)
            .transpose()?
            .unwrap_or(Timestamp::UNIX_EPOCH),
    })
}

const TOKEN_COLS: &str = "t.clinic_id, t.id AS token_id, t.user_id, t.name AS token_name, t.role, t.token_hash, \
     t.created_at_us AS token_created_at_us, t.last_used_at_us, t.revoked_at_us, t.expires_at_us AS token_expires_at_us";

fn member_view(row: &Row) -> StoreResult<MemberView> {
    Ok(MemberView {
        membership: Membership {
            clinic: parse(row, "clinic_id")?,
            user: parse(row, "user_id")?,
            role: parse(row, "role")?,
            practitioner: opt_parse(row, "practitioner_id")?,
            created_at: ts(row, "member_since_us")?,
        },
        clinic_slug: text(row, "slug")?,
        clinic_name: text(row, "clinic_name")?,
        email: text(row, "email")?,
        name: text(row, "user_name")?,
        totp_enabled: opt_text(row, "totp_secret")?.is_some(),
    })
}

const MEMBER_SQL: &str = "SELECT m.clinic_id, m.user_id, m.role, m.practitioner_id, m.created_at_us AS member_since_us, \
     c.slug, c.name AS clinic_name, u.email, u.name AS user_name, u.totp_secret \
     FROM memberships m JOIN clinics c ON c.id = m.clinic_id JOIN users u ON u.id = m.user_id";

impl Store {
    /// Whether any account exists yet (the first-run check).
    pub async fn has_users(&self) -> StoreResult<bool> {
        let mut conn = self.reader().await?;
        Ok(crate::db::query("SELECT 1 AS one FROM users LIMIT 1").fetch_optional(&mut conn).await?.is_some())
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.email = $1");
        crate::db::query(sql).bind(email).fetch_optional(&mut conn).await?.map(|r| user(&r)).transpose()
    }

    pub async fn user(&self, id: UserId) -> StoreResult<User> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1");
        let row = crate::db::query(sql).bind(id.to_string()).fetch_optional(&mut conn).await?;
        user(&row.ok_or(StoreError::NotFound("user"))?)
    }

    /// A live session by the hash of its secret, with its user.
    pub async fn session(&self, id_hash: &str, now: jiff::Timestamp) -> StoreResult<Option<(Session, User)>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT s.id_hash, s.csrf_token, s.created_at_us AS s_created, s.last_seen_us, s.expires_at_us, {USER_COLS} \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at_us > $2"
        );
        let Some(row) =
            crate::db::query(sql).bind(id_hash).bind(now.as_microsecond()).fetch_optional(&mut conn).await?
        else {
            return Ok(None);
        };
        let u = user(&row)?;
        let s = Session {
            id_hash: text(&row, "id_hash")?,
            user: u.id,
            csrf_token: text(&row, "csrf_token")?,
            created_at: ts(&row, "s_created")?,
            last_seen: ts(&row, "last_seen_us")?,
            expires_at: ts(&row, "expires_at_us")?,
        };
        Ok(Some((s, u)))
    }

    /// A live API token (neither revoked nor expired at `now`) by the hash of its secret, with
    /// its user.
    pub async fn token(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(ApiToken, User)>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {TOKEN_COLS}, {USER_COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at_us IS NULL AND t.expires_at_us > $2"
        );
        let Some(row) =
            crate::db::query(sql).bind(token_hash).bind(now.as_microsecond()).fetch_optional(&mut conn).await?
        else {
            return Ok(None);
        };
        Ok(Some((token(&row)?, user(&row)?)))
    }

    /// Whose API token this is, if it exists in this clinic.
    pub async fn token_holder(&self, clinic: ClinicId, id: nobat_core::TokenId) -> StoreResult<Option<UserId>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT user_id FROM api_tokens WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut conn)
            .await?;
        row.map(|r| parse(&r, "user_id")).transpose()
    }

    /// A user's API tokens (revoked ones too, newest first).
    pub async fn tokens_of(&self, user_id: UserId) -> StoreResult<Vec<ApiToken>> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at_us DESC");
        crate::db::query(sql).bind(user_id.to_string()).fetch_all(&mut conn).await?.iter().map(token).collect()
    }

    pub async fn membership(&self, clinic: ClinicId, user_id: UserId) -> StoreResult<Option<Membership>> {
        let mut conn = self.reader().await?;
        let sql = format!("{MEMBER_SQL} WHERE m.clinic_id = $1 AND m.user_id = $2");
        let row =
            crate::db::query(sql).bind(clinic.to_string()).bind(user_id.to_string()).fetch_optional(&mut conn).await?;
        Ok(row.map(|r| member_view(&r)).transpose()?.map(|v| v.membership))
    }

    /// Every clinic a user works for, with their role there.
    pub async fn memberships_of(&self, user_id: UserId) -> StoreResult<Vec<MemberView>> {
        let mut conn = self.reader().await?;
        let sql = format!("{MEMBER_SQL} WHERE m.user_id = $1 ORDER BY c.name");
        crate::db::query(sql).bind(user_id.to_string()).fetch_all(&mut conn).await?.iter().map(member_view).collect()
    }

    /// A clinic's staff.
    pub async fn members(&self, clinic: ClinicId) -> StoreResult<Vec<MemberView>> {
        let mut conn = self.reader().await?;
        let sql = format!("{MEMBER_SQL} WHERE m.clinic_id = $1 ORDER BY u.name, u.id");
        crate::db::query(sql).bind(clinic.to_string()).fetch_all(&mut conn).await?.iter().map(member_view).collect()
    }

    /// Recovery codes a user has not used yet.
    pub async fn recovery_codes_left(&self, user_id: UserId) -> StoreResult<u64> {
        let mut conn = self.reader().await?;
        let row =
            crate::db::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at_us IS NULL")
                .bind(user_id.to_string())
                .fetch_one(&mut conn)
                .await?;
        Ok(u64::try_from(int(&row, "n")?).unwrap_or(0))
    }

    /// The locks that apply to a sign-in attempt for `key` (see [`LoginLock::refused_until`]).
    pub async fn login_lock(&self, key: &LoginKey) -> StoreResult<LoginLock> {
        let mut conn = self.reader().await?;
        let rows = crate::db::query(
            "SELECT network, failures, locked_until_us FROM login_failures WHERE account_key = $1 AND network IN ($2, $3)",
        )
        .bind(&key.account)
        .bind(&key.network)
        .bind(crate::commands::ACCOUNT_WIDE)
        .fetch_all(&mut conn)
        .await?;
        let mut lock = LoginLock::default();
        for r in &rows {
            let until = opt_int(r, "locked_until_us")?.map(rows::micros).transpose()?;
            if text(r, "network")? == crate::commands::ACCOUNT_WIDE {
                lock.account_until = until;
            } else {
                lock.network_failures = int(r, "failures")?;
                lock.network_until = until;
            }
        }
        Ok(lock)
    }

    /// A pending (not yet accepted) invitation by the hash of its token.
    pub async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<Invitation>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT clinic_id, id, email, role, practitioner_id, name, token_hash, created_at_us, expires_at_us, \
             accepted_at_us FROM invitations WHERE token_hash = $1 AND accepted_at_us IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&mut conn)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Invitation {
            id: text(&r, "id")?,
            clinic: parse(&r, "clinic_id")?,
            email: text(&r, "email")?,
            role: parse(&r, "role")?,
            practitioner: opt_parse(&r, "practitioner_id")?,
            name: opt_text(&r, "name")?,
            token_hash: text(&r, "token_hash")?,
            created_at: ts(&r, "created_at_us")?,
            expires_at: ts(&r, "expires_at_us")?,
            accepted_at: opt_int(&r, "accepted_at_us")?.map(rows::micros).transpose()?,
        }))
    }
}
