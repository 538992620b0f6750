//! A clinic's SMS budget as it stands this month, and counts and cost of its messages per
//! channel and status over a period (the reports page reads these).

use crate::commands::DEFAULT_SMS_BUDGET;
use crate::error::StoreResult;
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::ClinicId;
use serde::Serialize;

/// The month's SMS budget of a clinic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmsBudget {
    /// Messages per calendar month (UTC); `None` when the clinic set none (the default).
    pub set: Option<i64>,
    pub effective: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// SMS planned this month (what the budget counts).
    pub used: i64,
    /// What this month's SMS cost, in millionths of the operator's currency (priced ones).
    pub cost_micros: i64,
}

/// Messages of one channel in one status over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageCount {
    pub channel: String,
    pub status: String,
    pub count: i64,
    pub segments: i64,
    pub cost_micros: i64,
}

impl Store {
    pub async fn sms_budget(&self, clinic: ClinicId, now: Timestamp) -> StoreResult<SmsBudget> {
        let d = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let since = d.first_of_month().to_zoned(jiff::tz::TimeZone::UTC).map_or(0, |z| z.timestamp().as_microsecond());
        let mut conn = self.reader().await?;
        let set = crate::db::query("SELECT sms_monthly_budget FROM clinics WHERE id = $1")
            .bind(clinic.to_string())
            .fetch_optional(&mut conn)
            .await?
            .map(|r| rows::opt_int(&r, "sms_monthly_budget"))
            .transpose()?
            .flatten();
        let r = crate::db::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost FROM messages \
             WHERE clinic_id = $1 AND channel = 'sms' AND created_at_us >= $2",
        )
        .bind(clinic.to_string())
        .bind(since)
        .fetch_one(&mut conn)
        .await?;
        Ok(SmsBudget {
            set,
            effective: set.unwrap_or(DEFAULT_SMS_BUDGET),
            month: format!("{:04}-{:02}", d.year(), d.month()),
            used: r.int("n")?,
            cost_micros: r.int("cost")?,
        })
    }

    /// Counts per channel and status of the messages planned in `[from, to)`, with their SMS
    /// segments and cost (what was sent or attempted; a message never handed to a provider has
    /// no cost).
    pub async fn message_stats(
        &self,
        clinic: ClinicId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<MessageCount>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT channel, status, COUNT(*) AS n, CAST(COALESCE(SUM(segments), 0) AS BIGINT) AS segs, \
               CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost FROM messages \
             WHERE clinic_id = $1 AND created_at_us >= $2 AND created_at_us < $3 \
             GROUP BY channel, status ORDER BY channel, status",
        )
        .bind(clinic.to_string())
        .bind(from.as_microsecond())
        .bind(to.as_microsecond())
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok(MessageCount {
                    channel: rows::text(r, "channel")?,
                    status: rows::text(r, "status")?,
                    count: r.int("n")?,
                    segments: r.int("segs")?,
                    cost_micros: r.int("cost")?,
                })
            })
            .collect()
    }
}
