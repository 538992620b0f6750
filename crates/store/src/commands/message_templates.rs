//! A clinic's message settings: its wording of templates (validated when saved: the key must
//! be a message template, the text must parse and use only the placeables the template
//! offers) and its reminder settings. Each change is audited.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::message_templates::TemplateOverride;
use crate::tx::WriteTx;
use nobat_core::reminders::{QuietHours, validate_offsets};
use nobat_core::{ClinicId, DomainError, ServiceId};
use nobat_i18n::{Lang, Messages, OverrideError};
use serde::Serialize;

/// The clinic's own text for `key` in `lang`.
#[derive(Debug, Clone)]
pub struct TemplateChange {
    pub clinic: ClinicId,
    pub key: String,
    pub lang: Lang,
    /// `None`: remove the override (the catalogue's text applies again).
    pub text: Option<String>,
    pub actor: AuditActor,
}

/// A clinic's reminders: offsets (minutes before the start; empty = none) and quiet hours.
#[derive(Debug, Clone)]
pub struct ReminderChange {
    pub clinic: ClinicId,
    pub offsets: Vec<i64>,
    pub quiet: Option<QuietHours>,
    pub actor: AuditActor,
}

/// A service's own reminder offsets; `None` goes back to the clinic's.
#[derive(Debug, Clone)]
pub struct ServiceReminderChange {
    pub clinic: ClinicId,
    pub service: ServiceId,
    pub offsets: Option<Vec<i64>>,
    pub actor: AuditActor,
}

fn refused(e: OverrideError) -> StoreError {
    DomainError::invalid("text", e.to_string()).into()
}

async fn current(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    key: &str,
    lang: Lang,
) -> StoreResult<Option<TemplateOverride>> {
    let row = crate::db::query(
        "SELECT key, lang, text, updated_at_us FROM message_templates WHERE clinic_id = $1 AND key = $2 AND lang = $3",
    )
    .bind(clinic.to_string())
    .bind(key)
    .bind(lang.code())
    .fetch_optional(&mut *tx.conn)
    .await?;
    row.map(|r| {
        Ok(TemplateOverride {
            key: crate::rows::text(&r, "key")?,
            lang: crate::rows::text(&r, "lang")?,
            text: crate::rows::text(&r, "text")?,
            updated_at: crate::rows::ts(&r, "updated_at_us")?,
        })
    })
    .transpose()
}

pub(crate) async fn set_template(tx: &mut WriteTx<'_>, c: &TemplateChange) -> StoreResult<super::Output> {
    if !Messages::template_keys().contains(&c.key) {
        return Err(StoreError::NotFound("message template"));
    }
    let before = current(tx, c.clinic, &c.key, c.lang).await?;
    let entity_id = format!("{}/{}", c.key, c.lang.code());
    match &c.text {
        Some(text) => {
            let messages = Messages::embedded().map_err(|e| StoreError::Corrupt(e.to_string()))?;
            messages.validate_override(&c.key, c.lang, text).map_err(refused)?;
            crate::db::query(
                "INSERT INTO message_templates (clinic_id, key, lang, text, updated_at_us) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (clinic_id, key, lang) DO UPDATE SET text = excluded.text, updated_at_us = excluded.updated_at_us",
            )
            .bind(c.clinic.to_string())
            .bind(c.key.as_str())
            .bind(c.lang.code())
            .bind(text.as_str())
            .bind(tx.now.as_microsecond())
            .execute(&mut *tx.conn)
            .await?;
            let after = TemplateOverride {
                key: c.key.clone(),
                lang: c.lang.code().into(),
                text: text.clone(),
                updated_at: tx.now,
            };
            tx.audit(
                c.clinic,
                &c.actor,
                Audit::new("set_message_template", "message_template", &entity_id)
                    .before_opt(before.as_ref())
                    .after(&after),
            );
            Ok(super::Output::Done)
        }
        None => {
            let gone =
                crate::db::query("DELETE FROM message_templates WHERE clinic_id = $1 AND key = $2 AND lang = $3")
                    .bind(c.clinic.to_string())
                    .bind(c.key.as_str())
                    .bind(c.lang.code())
                    .execute(&mut *tx.conn)
                    .await?;
            if gone > 0 {
                tx.audit(
                    c.clinic,
                    &c.actor,
                    Audit::new("delete_message_template", "message_template", &entity_id).before_opt(before.as_ref()),
                );
            }
            Ok(super::Output::Count(gone))
        }
    }
}

#[derive(Serialize)]
struct Settings<'a> {
    offsets: &'a [i64],
    quiet_hours: Option<(String, String)>,
}

pub(crate) async fn set_reminders(tx: &mut WriteTx<'_>, c: &ReminderChange) -> StoreResult<super::Output> {
    let offsets = validate_offsets(&c.offsets)?;
    let before = crate::message_templates::clinic_policy(&mut *tx.conn, c.clinic).await?;
    let quiet = c.quiet.map(|q| (i64::from(q.start.get()), i64::from(q.end.get())));
    crate::db::query(
        "INSERT INTO reminder_settings (clinic_id, offsets, quiet_start_min, quiet_end_min, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (clinic_id) DO UPDATE SET offsets = excluded.offsets, \
         quiet_start_min = excluded.quiet_start_min, quiet_end_min = excluded.quiet_end_min, updated_at_us = excluded.updated_at_us",
    )
    .bind(c.clinic.to_string())
    .bind(serde_json::to_string(&offsets).unwrap_or_else(|_| "[]".into()))
    .bind(quiet.map(|q| q.0))
    .bind(quiet.map(|q| q.1))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    let show = |o: &[i64], q: Option<QuietHours>| {
        serde_json::to_value(Settings { offsets: o, quiet_hours: q.map(|q| (q.start.to_string(), q.end.to_string())) })
            .unwrap_or_default()
    };
    tx.audit(
        c.clinic,
        &c.actor,
        Audit::new("set_reminder_settings", "clinic", &c.clinic.to_string())
            .before(&show(&before.offsets, before.quiet))
            .after(&show(&offsets, c.quiet)),
    );
    Ok(super::Output::Done)
}

pub(crate) async fn set_service_reminders(
    tx: &mut WriteTx<'_>,
    c: &ServiceReminderChange,
) -> StoreResult<super::Output> {
    let exists = crate::db::query("SELECT 1 AS one FROM services WHERE clinic_id = $1 AND id = $2")
        .bind(c.clinic.to_string())
        .bind(c.service.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound("service"));
    }
    let before =
        crate::db::query("SELECT offsets FROM service_reminder_settings WHERE clinic_id = $1 AND service_id = $2")
            .bind(c.clinic.to_string())
            .bind(c.service.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .map(|r| crate::rows::text(&r, "offsets"))
            .transpose()?;
    let after = match &c.offsets {
        Some(o) => {
            let o = validate_offsets(o)?;
            let text = serde_json::to_string(&o).unwrap_or_else(|_| "[]".into());
            crate::db::query(
                "INSERT INTO service_reminder_settings (clinic_id, service_id, offsets, updated_at_us) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (clinic_id, service_id) DO UPDATE SET offsets = excluded.offsets, updated_at_us = excluded.updated_at_us",
            )
            .bind(c.clinic.to_string())
            .bind(c.service.to_string())
            .bind(text.as_str())
            .bind(tx.now.as_microsecond())
            .execute(&mut *tx.conn)
            .await?;
            Some(text)
        }
        None => {
            crate::db::query("DELETE FROM service_reminder_settings WHERE clinic_id = $1 AND service_id = $2")
                .bind(c.clinic.to_string())
                .bind(c.service.to_string())
                .execute(&mut *tx.conn)
                .await?;
            None
        }
    };
    if before.is_none() && after.is_none() {
        // Nothing was set and nothing is: no change to record.
        return Ok(super::Output::Done);
    }
    tx.audit(
        c.clinic,
        &c.actor,
        Audit::new("set_service_reminders", "service", &c.service.to_string())
            .before_opt(before.as_ref())
            .after_opt(after.as_ref()),
    );
    Ok(super::Output::Done)
}
