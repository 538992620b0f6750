//! Erasing an account at its holder's request.

use crate::audit::Audit;
use crate::audit::{AuditActor, INSTANCE_CHAIN};
use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use nobat_core::{DomainError, UserId};
use serde_json::json;

/// Erases an account at its holder's request: every patient record linked to it is
/// anonymised (as a clinic's erasure does), its memberships, sessions, tokens and second
/// factor go, and the account row keeps only its id. Refused while the holder is some clinic's
/// only owner.
pub(crate) async fn erase_account(
    tx: &mut WriteTx<'_>,
    user: UserId,
    actor: &AuditActor,
) -> StoreResult<crate::commands::Output> {
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
        crate::commands::privacy::erase_patient(tx, clinic, patient, actor, "the patient erased their account").await?;
    }
    let now = tx.now.as_microsecond();
    // Invitations to the account's address (and the messages carrying them) name it.
    let email = crate::db::query("SELECT email FROM users WHERE id = $1")
        .bind(&uid)
        .fetch_optional(&mut *tx.conn)
        .await?
        .map(|r| r.text("email"))
        .transpose()?;
    if let Some(email) = email {
        crate::db::query("DELETE FROM invitations WHERE email = $1").bind(&email).execute(&mut *tx.conn).await?;
        let to = serde_json::to_string(&email).unwrap_or_default();
        crate::db::query(
            "UPDATE outbox SET payload = $1 WHERE topic = 'staff.invitation' AND payload LIKE $2 ESCAPE '\\'",
        )
        .bind(crate::commands::privacy::REDACTED)
        .bind(format!("%\"to\":{}%", crate::commands::privacy::like_escape(&to)))
        .execute(&mut *tx.conn)
        .await?;
    }
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
        Audit::new("erase", "user", &uid).after(&json!({ "patient_records_erased": records.len() })),
    );
    // The erase entry itself holds nothing personal: keep it readable.
    if let Some(last) = tx.audits.last_mut() {
        last.subject = None;
    }
    Ok(crate::commands::Output::Count(records.len() as u64))
}
