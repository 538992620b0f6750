//! What the reports page reads: a period's appointments, its queue waits and its messages per
//! channel. The figures themselves are computed in `nobat_core::reports` (no I/O there).

use crate::error::StoreResult;
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::ClinicId;
use nobat_core::reports::{AppointmentFact, ChannelFigures};

impl Store {
    /// The clinic's appointments starting in `[from, to)`, every status.
    pub async fn report_appointments(
        &self,
        clinic: ClinicId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<AppointmentFact>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT practitioner_id, location_id, start_us, end_us, status FROM appointments \
             WHERE clinic_id = $1 AND start_us >= $2 AND start_us < $3 ORDER BY start_us",
        )
        .bind(clinic.to_string())
        .bind(from.as_microsecond())
        .bind(to.as_microsecond())
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok(AppointmentFact {
                    practitioner: rows::parse(r, "practitioner_id")?,
                    location: rows::parse(r, "location_id")?,
                    start: rows::ts(r, "start_us")?,
                    end: rows::ts(r, "end_us")?,
                    status: rows::parse(r, "status")?,
                })
            })
            .collect()
    }

    /// Seconds each queue ticket issued in `[from, to)` waited until it was first called
    /// (tickets never called are not a wait yet).
    pub async fn report_waits(&self, clinic: ClinicId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<i64>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT created_at_us, called_at_us FROM tickets WHERE clinic_id = $1 AND created_at_us >= $2 \
             AND created_at_us < $3 AND called_at_us IS NOT NULL",
        )
        .bind(clinic.to_string())
        .bind(from.as_microsecond())
        .bind(to.as_microsecond())
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| Ok(((rows::int(r, "called_at_us")? - rows::int(r, "created_at_us")?) / 1_000_000).max(0)))
            .collect()
    }

    /// Messages planned in `[from, to)` per channel, every status, with their cost.
    pub async fn report_messages(
        &self,
        clinic: ClinicId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<ChannelFigures>> {
        let mut out: Vec<ChannelFigures> = Vec::new();
        for c in self.message_stats(clinic, from, to).await? {
            match out.iter_mut().find(|f| f.channel == c.channel) {
                Some(f) => {
                    f.count += c.count;
                    f.cost_micros += c.cost_micros;
                }
                None => out.push(ChannelFigures { channel: c.channel, count: c.count, cost_micros: c.cost_micros }),
            }
        }
        Ok(out)
    }
}
