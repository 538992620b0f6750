//! Reads for the standard interfaces (issue 16): FHIR's patient search and slot states, the
//! iCalendar feeds and the SEQUENCE of an appointment's event.

use crate::error::StoreResult;
use crate::model::{Hold, Patient};
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::{AppointmentId, ClinicId, PatientId, PractitionerId};

/// What a FHIR Patient search asks for; every criterion given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientSearch {
    pub ids: Vec<PatientId>,
    pub name: Option<NameSearch>,
    /// E.164, as phones are stored.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Keyset paging: the last id of the previous page.
    pub after: Option<PatientId>,
    pub limit: u32,
}

/// FHIR string search on the name: by default a word of it starts with the value (any case);
/// `:contains` anywhere in it; `:exact` the whole name as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSearch {
    pub mode: NameMatch,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    Starts,
    Contains,
    Exact,
}

/// A live (not revoked) calendar feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFeed {
    pub clinic: ClinicId,
    pub id: String,
    /// `None`: the whole clinic's appointments.
    pub practitioner: Option<PractitionerId>,
}

impl Store {
    /// The iCalendar SEQUENCE of an appointment's event (0 until its first change).
    pub async fn appointment_sequence(&self, clinic: ClinicId, id: AppointmentId) -> StoreResult<u32> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT ics_sequence FROM appointments WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut conn)
            .await?
            .ok_or(crate::error::StoreError::NotFound("appointment"))?;
        Ok(u32::try_from(rows::int(&row, "ics_sequence")?).unwrap_or(u32::MAX))
    }

    /// The live feed a token's hash opens, if any (revoked feeds open nothing).
    pub async fn calendar_feed(&self, token_hash: &str) -> StoreResult<Option<CalendarFeed>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT clinic_id, id, practitioner_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at_us IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&mut conn)
        .await?;
        row.map(|r| {
            Ok(CalendarFeed {
                clinic: rows::parse(&r, "clinic_id")?,
                id: rows::text(&r, "id")?,
                practitioner: rows::opt_parse(&r, "practitioner_id")?,
            })
        })
        .transpose()
    }

    /// A page of a clinic's patients in id order, after `after` (keyset paging).
    pub async fn patients_page(
        &self,
        clinic: ClinicId,
        after: Option<PatientId>,
        limit: u32,
    ) -> StoreResult<Vec<Patient>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {} FROM patients WHERE clinic_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
            rows::PATIENT_COLS
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(after.map(|a| a.to_string()))
            .bind(i64::from(limit.clamp(1, super::appointments::MAX_PAGE)))
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(rows::patient).collect()
    }

    /// A FHIR Patient search: the clinic's patients matching every criterion given, in id
    /// order after `after` (keyset paging). Erased records (nothing left in them) never match.
    pub async fn search_patients(&self, clinic: ClinicId, q: &PatientSearch) -> StoreResult<Vec<Patient>> {
        let mut conn = self.reader().await?;
        let mut sql = format!(
            "SELECT {} FROM patients WHERE clinic_id = $1 AND erased_at_us IS NULL AND ($2 IS NULL OR id > $2)",
            rows::PATIENT_COLS
        );
        let mut binds: Vec<String> = Vec::new();
        let next = |binds: &mut Vec<String>, v: String| {
            binds.push(v);
            format!("${}", binds.len() + 3)
        };
        if !q.ids.is_empty() {
            let list: Vec<String> = q.ids.iter().map(|id| next(&mut binds, id.to_string())).collect();
            sql.push_str(&format!(" AND id IN ({})", list.join(", ")));
        }
        if let Some(phone) = &q.phone {
            sql.push_str(&format!(" AND phone = {}", next(&mut binds, phone.clone())));
        }
        if let Some(email) = &q.email {
            sql.push_str(&format!(" AND LOWER(email) = {}", next(&mut binds, email.to_lowercase())));
        }
        if let Some(name) = &q.name {
            // LOWER on both sides: PostgreSQL lowers every script, SQLite ASCII only (Persian
            // and Arabic have no case; a Cyrillic capital typed in lower case matches on
            // PostgreSQL only). LIKE's wildcards in the value are escaped.
            let v = name.value.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            match name.mode {
                NameMatch::Exact => {
                    sql.push_str(&format!(" AND name = {}", next(&mut binds, name.value.clone())));
                }
                NameMatch::Contains => {
                    sql.push_str(&format!(" AND LOWER(name) LIKE {} ESCAPE '\\'", next(&mut binds, format!("%{v}%"))));
                }
                NameMatch::Starts => {
                    let a = next(&mut binds, format!("{v}%"));
                    let b = next(&mut binds, format!("% {v}%"));
                    sql.push_str(&format!(
                        " AND (LOWER(name) LIKE {a} ESCAPE '\\' OR LOWER(name) LIKE {b} ESCAPE '\\')"
                    ));
                }
            }
        }
        sql.push_str(" ORDER BY id LIMIT $3");
        let mut query = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(q.after.map(|a| a.to_string()))
            .bind(i64::from(q.limit.clamp(1, super::appointments::MAX_PAGE)));
        for b in binds {
            query = query.bind(b);
        }
        let found = query.fetch_all(&mut conn).await?;
        found.iter().map(rows::patient).collect()
    }

    /// The unexpired holds on a practitioner's time starting at `start` (FHIR shows their slot
    /// as `busy-tentative`).
    pub async fn holds_starting(
        &self,
        clinic: ClinicId,
        practitioner: PractitionerId,
        start: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Vec<Hold>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {} FROM holds WHERE clinic_id = $1 AND practitioner_id = $2 AND start_us = $3 AND expires_at_us > $4",
            rows::HOLD_COLS
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(practitioner.to_string())
            .bind(start.as_microsecond())
            .bind(now.as_microsecond())
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(rows::hold).collect()
    }
}
