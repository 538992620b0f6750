//! What messages say and when reminders go, per clinic: template overrides
//! (`message_templates`) and reminder settings (`reminder_settings`,
//! `service_reminder_settings`), with the reads the API and the dispatcher need.
//!
//! The dispatcher renders every message with the clinic's [`Overrides`]; [`OverridesCache`]
//! keeps them compiled and rebuilds a clinic's only when its rows changed (a cheap fingerprint
//! query per message, so a change made through another process is seen at once).

use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::reminders::{QuietHours, ReminderPolicy, validate_offsets};
use nobat_core::{ClinicId, DayMinutes, ServiceId};
use nobat_i18n::{Lang, Messages, Overrides};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A clinic's saved wording of one template in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateOverride {
    pub key: String,
    pub lang: String,
    pub text: String,
    pub updated_at: Timestamp,
}

/// A clinic's reminder settings, and its services' own offsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReminderSettings {
    /// Minutes before the start, longest first.
    pub offsets: Vec<i64>,
    /// `None`: no quiet hours.
    pub quiet: Option<QuietHours>,
    /// Services with offsets of their own.
    pub services: Vec<(ServiceId, Vec<i64>)>,
}

fn offsets_from(text: &str) -> StoreResult<Vec<i64>> {
    let raw: Vec<i64> =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("reminder offsets: {e}")))?;
    validate_offsets(&raw).map_err(|e| StoreError::Corrupt(format!("reminder offsets: {e}")))
}

fn quiet_from(start: Option<i64>, end: Option<i64>) -> StoreResult<Option<QuietHours>> {
    match (start, end) {
        (Some(s), Some(e)) => {
            let minute = |m: i64| {
                u16::try_from(m)
                    .map_err(|_| StoreError::Corrupt(format!("quiet hours minute {m}")))
                    .and_then(|m| DayMinutes::new(m).map_err(|e| StoreError::Corrupt(format!("quiet hours: {e}"))))
            };
            let q = QuietHours::new(minute(s)?, minute(e)?)
                .map_err(|e| StoreError::Corrupt(format!("quiet hours: {e}")))?;
            Ok(Some(q))
        }
        _ => Ok(None),
    }
}

/// The clinic's settings (defaults when it never set any), without the services.
pub(crate) async fn clinic_policy(conn: &mut Conn, clinic: ClinicId) -> StoreResult<ReminderPolicy> {
    let row =
        crate::db::query("SELECT offsets, quiet_start_min, quiet_end_min FROM reminder_settings WHERE clinic_id = $1")
            .bind(clinic.to_string())
            .fetch_optional(conn)
            .await?;
    match row {
        None => Ok(ReminderPolicy::default()),
        Some(r) => Ok(ReminderPolicy {
            offsets: offsets_from(&rows::text(&r, "offsets")?)?,
            quiet: quiet_from(rows::opt_int(&r, "quiet_start_min")?, rows::opt_int(&r, "quiet_end_min")?)?,
        }),
    }
}

/// The policy for an appointment of `service`: the service's offsets if it has its own, the
/// clinic's otherwise; the clinic's quiet hours either way.
pub(crate) async fn policy_for(conn: &mut Conn, clinic: ClinicId, service: ServiceId) -> StoreResult<ReminderPolicy> {
    let mut policy = clinic_policy(conn, clinic).await?;
    let own =
        crate::db::query("SELECT offsets FROM service_reminder_settings WHERE clinic_id = $1 AND service_id = $2")
            .bind(clinic.to_string())
            .bind(service.to_string())
            .fetch_optional(conn)
            .await?;
    if let Some(r) = own {
        policy.offsets = offsets_from(&rows::text(&r, "offsets")?)?;
    }
    Ok(policy)
}

/// The rows a clinic's overrides are built from.
pub(crate) async fn template_rows(conn: &mut Conn, clinic: ClinicId) -> StoreResult<Vec<TemplateOverride>> {
    let found = crate::db::query(
        "SELECT key, lang, text, updated_at_us FROM message_templates WHERE clinic_id = $1 ORDER BY key, lang",
    )
    .bind(clinic.to_string())
    .fetch_all(conn)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok(TemplateOverride {
                key: rows::text(r, "key")?,
                lang: rows::text(r, "lang")?,
                text: rows::text(r, "text")?,
                updated_at: rows::ts(r, "updated_at_us")?,
            })
        })
        .collect()
}

impl Store {
    /// A clinic's template overrides, every language.
    pub async fn message_templates(&self, clinic: ClinicId) -> StoreResult<Vec<TemplateOverride>> {
        let mut conn = self.reader().await?;
        template_rows(&mut conn, clinic).await
    }

    /// A clinic's reminder settings (the defaults when it never set any) and its services' own.
    pub async fn reminder_settings(&self, clinic: ClinicId) -> StoreResult<ReminderSettings> {
        let mut conn = self.reader().await?;
        let policy = clinic_policy(&mut conn, clinic).await?;
        let found = crate::db::query(
            "SELECT service_id, offsets FROM service_reminder_settings WHERE clinic_id = $1 ORDER BY service_id",
        )
        .bind(clinic.to_string())
        .fetch_all(&mut conn)
        .await?;
        let services = found
            .iter()
            .map(|r| Ok((rows::parse(r, "service_id")?, offsets_from(&rows::text(r, "offsets")?)?)))
            .collect::<StoreResult<_>>()?;
        Ok(ReminderSettings { offsets: policy.offsets, quiet: policy.quiet, services })
    }

    /// The policy a booking of `service` gets now.
    pub async fn reminder_policy(&self, clinic: ClinicId, service: ServiceId) -> StoreResult<ReminderPolicy> {
        let mut conn = self.reader().await?;
        policy_for(&mut conn, clinic, service).await
    }
}

/// Which rows a cached [`Overrides`] was built from: any insert, change or delete changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    count: i64,
    newest: i64,
    sum: i64,
}

/// A clinic's compiled overrides, rebuilt only when its rows change. One per process (the
/// dispatcher's); cheap to share.
#[derive(Default)]
pub struct OverridesCache {
    map: Mutex<HashMap<ClinicId, (Fingerprint, Arc<Overrides>)>>,
}

impl OverridesCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The clinic's overrides, compiled against `messages`. A stored text that no longer
    /// validates (a template lost a placeable in an upgrade) is left out and logged: the
    /// catalogue text is sent instead of an error marker.
    pub async fn get(&self, store: &Store, messages: &Messages, clinic: ClinicId) -> StoreResult<Arc<Overrides>> {
        let mut conn = store.reader().await?;
        let row = crate::db::query(
            "SELECT COUNT(*) AS n, COALESCE(MAX(updated_at_us), 0) AS newest, \
             CAST(COALESCE(SUM(updated_at_us % 1000003), 0) AS BIGINT) AS s FROM message_templates WHERE clinic_id = $1",
        )
        .bind(clinic.to_string())
        .fetch_one(&mut conn)
        .await?;
        let print = Fingerprint {
            count: rows::int(&row, "n")?,
            newest: rows::int(&row, "newest")?,
            sum: rows::int(&row, "s")?,
        };
        if let Ok(map) = self.map.lock()
            && let Some((p, o)) = map.get(&clinic)
            && *p == print
        {
            return Ok(o.clone());
        }
        let mut overrides = Overrides::default();
        for t in template_rows(&mut conn, clinic).await? {
            let Some(lang) = Lang::from_tag(&t.lang) else { continue };
            if let Err(e) = overrides.insert(messages, &t.key, lang, &t.text) {
                tracing::warn!(%clinic, key = %t.key, lang = %t.lang, error = %e, "a clinic's template no longer validates; the catalogue text is used");
            }
        }
        let overrides = Arc::new(overrides);
        if let Ok(mut map) = self.map.lock() {
            map.insert(clinic, (print, overrides.clone()));
        }
        Ok(overrides)
    }
}
