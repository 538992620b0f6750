//! CSV exports, read from the replica-safe reader connections: nothing here writes.
//!
//! Times are written in the location's own offset (`2026-12-01T09:00:00+03:30`), which a
//! person reads as the clinic's wall clock and a program reads as an exact instant. Free text
//! typed by people (names, notes) is guarded against spreadsheet formulas.

use super::BOM;
use crate::error::{StoreError, StoreResult};
use crate::model::{AppointmentFilter, Location};
use crate::{Store, rows};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_core::transfer::{APPOINTMENT_COLUMNS, PRACTITIONER_COLUMNS, SERVICE_COLUMNS, guard};
use nobat_core::{ClinicId, LocationId};
use std::collections::HashMap;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Appointments,
    Patients,
    QueueHistory,
    Practitioners,
    Services,
}

impl ExportKind {
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Appointments,
        ExportKind::Patients,
        ExportKind::QueueHistory,
        ExportKind::Practitioners,
        ExportKind::Services,
    ];

    pub fn parse(s: &str) -> Option<ExportKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Appointments => "appointments",
            ExportKind::Patients => "patients",
            ExportKind::QueueHistory => "queue-history",
            ExportKind::Practitioners => "practitioners",
            ExportKind::Services => "services",
        }
    }

    /// Whether the export is bounded by a date range (the others are the clinic's whole list).
    pub fn takes_range(self) -> bool {
        matches!(self, ExportKind::Appointments | ExportKind::QueueHistory)
    }

    /// Whether the file holds patients' personal data (the export is then audited as a
    /// disclosure).
    pub fn personal(self) -> bool {
        matches!(self, ExportKind::Appointments | ExportKind::Patients | ExportKind::QueueHistory)
    }
}

const PATIENT_COLUMNS: &[&str] = &["id", "name", "phone", "email", "language", "created_at"];
const QUEUE_COLUMNS: &[&str] = &[
    "date",
    "location",
    "queue",
    "code",
    "kind",
    "status",
    "arrival",
    "priority",
    "desk",
    "appointment_id",
    "patient_id",
    "issued_at",
    "called_at",
    "served_at",
    "finished_at",
    "wait_min",
    "service_min",
];

/// The days of an export, both included, in each location's own calendar: "December" means
/// the appointments on December's days in Tehran for the Tehran location and in Casablanca
/// for the Casablanca one.
pub type Range = (jiff::civil::Date, jiff::civil::Date);

/// The widest a zone's offset gets from UTC (Kiribati is +14): a margin around a day range
/// read as UTC that surely contains every local day in it.
const ZONE_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_hours(14);

struct Sheet {
    out: csv::Writer<Vec<u8>>,
}

impl Sheet {
    fn new(header: &[&str]) -> StoreResult<Sheet> {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(BOM);
        let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buf);
        out.write_record(header).map_err(csv_error)?;
        Ok(Sheet { out })
    }

    fn row<I, S>(&mut self, cells: I) -> StoreResult<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.out.write_record(cells).map_err(csv_error)
    }

    fn finish(self) -> StoreResult<Vec<u8>> {
        self.out.into_inner().map_err(|e| StoreError::Unavailable(format!("csv: {e}")))
    }
}

fn csv_error(e: csv::Error) -> StoreError {
    StoreError::Unavailable(format!("csv: {e}"))
}

fn local(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn zones(locations: &[Location]) -> HashMap<LocationId, (String, TimeZone)> {
    locations
        .iter()
        .map(|l| (l.id, (l.name.clone(), nobat_core::zones::get(&l.time_zone).unwrap_or(TimeZone::UTC))))
        .collect()
}

impl Store {
    /// One export as a complete CSV file. `range` bounds appointments (by start) and queue
    /// history (by the queue's day) and is required for them.
    pub async fn export_csv(&self, clinic: ClinicId, kind: ExportKind, range: Option<Range>) -> StoreResult<Vec<u8>> {
        match kind {
            ExportKind::Practitioners => self.export_practitioners(clinic).await,
            ExportKind::Services => self.export_services(clinic).await,
            ExportKind::Patients => self.export_patients(clinic).await,
            ExportKind::Appointments => {
                let range = range.ok_or_else(|| nobat_core::DomainError::invalid("from", "give a date range"))?;
                self.export_appointments(clinic, range).await
            }
            ExportKind::QueueHistory => {
                let range = range.ok_or_else(|| nobat_core::DomainError::invalid("from", "give a date range"))?;
                self.export_queue_history(clinic, range).await
            }
        }
    }

    async fn export_practitioners(&self, clinic: ClinicId) -> StoreResult<Vec<u8>> {
        let mut sheet = Sheet::new(PRACTITIONER_COLUMNS)?;
        for p in self.practitioners(clinic).await? {
            sheet.row([
                guard(&p.name).into_owned(),
                guard(&p.specialties.join("; ")).into_owned(),
                p.languages.join("; "),
                p.active.to_string(),
            ])?;
        }
        sheet.finish()
    }

    async fn export_services(&self, clinic: ClinicId) -> StoreResult<Vec<u8>> {
        let mut sheet = Sheet::new(SERVICE_COLUMNS)?;
        for s in self.services(clinic).await? {
            sheet.row([
                guard(&s.name).into_owned(),
                s.duration_min.to_string(),
                s.buffer_before_min.to_string(),
                s.buffer_after_min.to_string(),
                s.capacity.to_string(),
                s.slot_step_min.to_string(),
                s.min_notice_min.to_string(),
                s.horizon_days.to_string(),
                s.cancel_cutoff_min.to_string(),
                s.reschedule_cutoff_min.to_string(),
                s.active.to_string(),
            ])?;
        }
        sheet.finish()
    }

    async fn export_patients(&self, clinic: ClinicId) -> StoreResult<Vec<u8>> {
        let mut sheet = Sheet::new(PATIENT_COLUMNS)?;
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT id, name, phone, email, language, created_at_us FROM patients WHERE clinic_id = $1 ORDER BY created_at_us, id",
        )
        .bind(clinic.to_string())
        .fetch_all(&mut conn)
        .await?;
        for r in &found {
            sheet.row([
                rows::text(r, "id")?,
                guard(&rows::text(r, "name")?).into_owned(),
                rows::opt_text(r, "phone")?.unwrap_or_default(),
                guard(&rows::opt_text(r, "email")?.unwrap_or_default()).into_owned(),
                rows::opt_text(r, "language")?.unwrap_or_default(),
                rows::ts(r, "created_at_us")?.to_string(),
            ])?;
        }
        sheet.finish()
    }

    async fn export_appointments(&self, clinic: ClinicId, (first, last): Range) -> StoreResult<Vec<u8>> {
        let utc = |d: jiff::civil::Date| d.to_zoned(TimeZone::UTC).map(|z| z.timestamp());
        let bad = |_| nobat_core::DomainError::invalid("to", "out of range");
        let from = utc(first).map_err(bad)?.saturating_sub(ZONE_MARGIN).map_err(bad)?;
        let to = utc(last.tomorrow().map_err(bad)?).map_err(bad)?.saturating_add(ZONE_MARGIN).map_err(bad)?;
        let locations = zones(&self.locations(clinic).await?);
        let practitioners: HashMap<_, _> =
            self.practitioners(clinic).await?.into_iter().map(|p| (p.id, p.name)).collect();
        let services: HashMap<_, _> = self.services(clinic).await?.into_iter().map(|s| (s.id, s.name)).collect();
        let mut patients = HashMap::new();
        let mut sheet = Sheet::new(APPOINTMENT_COLUMNS)?;
        let mut filter =
            AppointmentFilter { from: Some(from), to: Some(to), limit: 500, ..AppointmentFilter::default() };
        loop {
            let page = self.appointments(clinic, &filter).await?;
            for a in &page {
                let (location, tz) =
                    locations.get(&a.location).cloned().unwrap_or_else(|| (String::new(), TimeZone::UTC));
                let day = a.start.to_zoned(tz.clone()).date();
                if day < first || day > last {
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(slot) = patients.entry(a.patient) {
                    slot.insert(self.patient(clinic, a.patient).await?);
                }
                let patient = &patients[&a.patient];
                sheet.row([
                    a.id.to_string(),
                    local(a.start, &tz),
                    local(a.end, &tz),
                    guard(&location).into_owned(),
                    guard(practitioners.get(&a.practitioner).map_or("", String::as_str)).into_owned(),
                    guard(services.get(&a.service).map_or("", String::as_str)).into_owned(),
                    a.status.as_str().to_owned(),
                    guard(&patient.name).into_owned(),
                    patient.phone.clone().unwrap_or_default(),
                    guard(patient.email.as_deref().unwrap_or("")).into_owned(),
                    patient.language.clone().unwrap_or_default(),
                    guard(a.note.as_deref().unwrap_or("")).into_owned(),
                    guard(a.cancel_reason.as_deref().unwrap_or("")).into_owned(),
                ])?;
            }
            match page.last() {
                Some(last) if page.len() as u32 >= filter.limit => filter.after = Some((last.start, last.id)),
                _ => break,
            }
        }
        sheet.finish()
    }

    async fn export_queue_history(&self, clinic: ClinicId, (first, last): Range) -> StoreResult<Vec<u8>> {
        let locations = zones(&self.locations(clinic).await?);
        let mut sheet = Sheet::new(QUEUE_COLUMNS)?;
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT q.date, q.location_id, q.name AS queue, t.code, t.kind, t.status, t.arrival, t.priority, t.desk, \
                    t.appointment_id, t.patient_id, t.created_at_us, t.called_at_us, t.served_at_us, t.finished_at_us \
               FROM tickets t JOIN queues q ON q.clinic_id = t.clinic_id AND q.id = t.queue_id \
              WHERE t.clinic_id = $1 AND q.date >= $2 AND q.date <= $3 \
              ORDER BY q.date, q.name, t.number",
        )
        .bind(clinic.to_string())
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(&mut conn)
        .await?;
        let minutes = |a: Option<Timestamp>, b: Option<Timestamp>| match (a, b) {
            (Some(a), Some(b)) => ((b.as_second() - a.as_second()) / 60).to_string(),
            _ => String::new(),
        };
        for r in &found {
            let location: LocationId = rows::parse(r, "location_id")?;
            let (name, tz) = locations.get(&location).cloned().unwrap_or_else(|| (String::new(), TimeZone::UTC));
            let issued = rows::ts(r, "created_at_us")?;
            let called = rows::opt_int(r, "called_at_us")?.map(rows::micros).transpose()?;
            let served = rows::opt_int(r, "served_at_us")?.map(rows::micros).transpose()?;
            let finished = rows::opt_int(r, "finished_at_us")?.map(rows::micros).transpose()?;
            let at = |t: Option<Timestamp>| t.map(|t| local(t, &tz)).unwrap_or_default();
            sheet.row([
                rows::text(r, "date")?,
                guard(&name).into_owned(),
                guard(&rows::text(r, "queue")?).into_owned(),
                rows::text(r, "code")?,
                rows::text(r, "kind")?,
                rows::text(r, "status")?,
                rows::opt_text(r, "arrival")?.unwrap_or_default(),
                rows::int(r, "priority")?.to_string(),
                guard(&rows::opt_text(r, "desk")?.unwrap_or_default()).into_owned(),
                rows::opt_text(r, "appointment_id")?.unwrap_or_default(),
                rows::text(r, "patient_id")?,
                local(issued, &tz),
                at(called),
                at(served),
                at(finished),
                minutes(Some(issued), called),
                minutes(served, finished),
            ])?;
        }
        sheet.finish()
    }
}
