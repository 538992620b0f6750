//! Moving a clinic in and out as CSV: the columns of each file and the rules for one imported
//! row. Pure: the store reads and writes the files and runs the batches; what a row means and
//! whether it is acceptable is decided here, once, for the API and `nobat import` alike.
//!
//! The export's columns are the import's, so a clinic's own export imports into a fresh clinic
//! unchanged (the round trip is tested). Practitioners, services and locations are named, not
//! referenced by id: ids are this instance's, names are what a clinic moving from another
//! system has.

use crate::error::DomainError;
use crate::patient::PatientContact;
use crate::phone::Country;
use crate::service::{Service, ServicePatch};
use crate::status::AppointmentStatus;
use crate::{ClinicId, ServiceId};
use jiff::Timestamp;
use std::borrow::Cow;

/// What a CSV file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportKind {
    Practitioners,
    Services,
    Appointments,
}

impl ImportKind {
    pub const ALL: [ImportKind; 3] = [ImportKind::Practitioners, ImportKind::Services, ImportKind::Appointments];

    pub fn parse(s: &str) -> Option<ImportKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Practitioners => "practitioners",
            ImportKind::Services => "services",
            ImportKind::Appointments => "appointments",
        }
    }

    /// Every column this kind's file has, in the export's order. An import needs only
    /// [`ImportKind::required`]; unknown columns are ignored (a spreadsheet's extra notes).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Practitioners => PRACTITIONER_COLUMNS,
            ImportKind::Services => SERVICE_COLUMNS,
            ImportKind::Appointments => APPOINTMENT_COLUMNS,
        }
    }

    /// The columns an import cannot do without.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            ImportKind::Practitioners => &["name"],
            ImportKind::Services => &["name", "duration_min"],
            ImportKind::Appointments => &["start", "location", "practitioner", "service", "patient_name"],
        }
    }
}

pub const PRACTITIONER_COLUMNS: &[&str] = &["name", "specialties", "languages", "active"];
pub const SERVICE_COLUMNS: &[&str] = &[
    "name",
    "duration_min",
    "buffer_before_min",
    "buffer_after_min",
    "capacity",
    "slot_step_min",
    "min_notice_min",
    "horizon_days",
    "cancel_cutoff_min",
    "reschedule_cutoff_min",
    "active",
];
pub const APPOINTMENT_COLUMNS: &[&str] = &[
    "id",
    "start",
    "end",
    "location",
    "practitioner",
    "service",
    "status",
    "patient_name",
    "patient_phone",
    "patient_email",
    "patient_language",
    "note",
    "cancel_reason",
];

/// One row of a file, read by column name. `get` gives the trimmed cell, `None` when the
/// column is missing or the cell empty.
pub trait Fields {
    fn get(&self, column: &str) -> Option<&str>;
}

/// A cell of free text as it is written into a CSV file. A cell beginning with `=`, `+`, `-`,
/// `@`, a tab or a carriage return is a formula to a spreadsheet, and a patient's name is
/// typed by whoever booked: "=HYPERLINK(…)" must open as text, not run. Such a cell gets a
/// leading `'` (OWASP's advice), which [`unguard`] takes off again on import.
pub fn guard(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text of a cell [`guard`] wrote.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// A practitioner as a row gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PractitionerRow {
    pub name: String,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub active: bool,
}

pub fn practitioner_row(f: &impl Fields) -> Result<PractitionerRow, DomainError> {
    let name = name(f, "name")?;
    Ok(PractitionerRow {
        name,
        specialties: list(f, "specialties"),
        languages: list(f, "languages"),
        active: flag(f, "active")?.unwrap_or(true),
    })
}

/// A service as a row gives it, with the API's defaults for every column left out.
pub fn service_row(f: &impl Fields, id: ServiceId, clinic: ClinicId) -> Result<Service, DomainError> {
    let patch = ServicePatch {
        name: Some(name(f, "name")?),
        duration_min: Some(
            number(f, "duration_min")?
                .ok_or_else(|| DomainError::invalid("duration_min", "give the duration in minutes"))?,
        ),
        buffer_before_min: number(f, "buffer_before_min")?,
        buffer_after_min: number(f, "buffer_after_min")?,
        capacity: number(f, "capacity")?,
        slot_step_min: number(f, "slot_step_min")?,
        min_notice_min: number(f, "min_notice_min")?,
        horizon_days: number(f, "horizon_days")?,
        cancel_cutoff_min: number(f, "cancel_cutoff_min")?,
        reschedule_cutoff_min: number(f, "reschedule_cutoff_min")?,
        active: flag(f, "active")?,
    };
    let service = patch.apply(&Service::with_defaults(id, clinic));
    service.validate()?;
    Ok(service)
}

/// An existing appointment brought over from another system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRow {
    /// What makes a second import of the same row a duplicate: the `id` column (the other
    /// system's id, or ours in an export), else the row's start, practitioner and patient.
    pub key: String,
    pub location: String,
    pub practitioner: String,
    pub service: String,
    pub start: Timestamp,
    /// `None`: the service's duration.
    pub end: Option<Timestamp>,
    pub status: AppointmentStatus,
    pub patient: PatientContact,
    pub note: Option<String>,
    pub cancel_reason: Option<String>,
}

/// Reads one appointment row. Times must carry their offset (`2026-12-01T09:00:00+03:30`):
/// a wall-clock time alone is ambiguous once a year in every zone with summer time, and the
/// export writes them that way. Phones are read in the clinic's `country`.
pub fn appointment_row(f: &impl Fields, country: Option<Country>) -> Result<AppointmentRow, DomainError> {
    let start = instant(f, "start")?.ok_or_else(|| DomainError::invalid("start", "give the start time"))?;
    let end = instant(f, "end")?;
    if let Some(end) = end
        && end <= start
    {
        return Err(DomainError::invalid("end", "the appointment must end after it starts"));
    }
    let status = match f.get("status") {
        None => AppointmentStatus::Booked,
        Some(s) => s.parse::<AppointmentStatus>()?,
    };
    let patient = PatientContact::parse_in(
        f.get("patient_name").map(unguard).unwrap_or(""),
        f.get("patient_phone"),
        f.get("patient_email"),
        f.get("patient_language"),
        country,
    )
    .map_err(rename_patient_field)?;
    let location = name(f, "location")?;
    let practitioner = name(f, "practitioner")?;
    let service = name(f, "service")?;
    let key = match f.get("id") {
        Some(id) => format!("id:{id}"),
        None => format!("row:{}|{}|{}|{}", start, practitioner, patient.name, patient.contact_key()),
    };
    Ok(AppointmentRow {
        key,
        location,
        practitioner,
        service,
        start,
        end,
        status,
        patient,
        note: text(f, "note", 2000)?,
        cancel_reason: text(f, "cancel_reason", 500)?,
    })
}

/// `PatientContact` names fields as the booking API does (`patient.phone`); a CSV reader
/// looks for the column (`patient_phone`).
fn rename_patient_field(e: DomainError) -> DomainError {
    match e {
        DomainError::Invalid { field, message, reason } => {
            DomainError::Invalid { field: field.replace("patient.", "patient_"), message, reason }
        }
        other => other,
    }
}

fn name(f: &impl Fields, column: &str) -> Result<String, DomainError> {
    let v = f.get(column).map(unguard).unwrap_or("");
    if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
        return Err(DomainError::invalid(column, "give a name of 1 to 200 characters"));
    }
    Ok(v.to_owned())
}

fn text(f: &impl Fields, column: &str, max: usize) -> Result<Option<String>, DomainError> {
    match f.get(column).map(unguard) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(DomainError::invalid(column, format!("at most {max} characters"))),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// A `;`-separated list (`cardiology; paediatrics`).
fn list(f: &impl Fields, column: &str) -> Vec<String> {
    f.get(column)
        .map(|v| unguard(v).split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn flag(f: &impl Fields, column: &str) -> Result<Option<bool>, DomainError> {
    match f.get(column).map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("true" | "yes" | "1") => Ok(Some(true)),
        Some("false" | "no" | "0") => Ok(Some(false)),
        Some(_) => Err(DomainError::invalid(column, "write true or false")),
    }
}

fn number(f: &impl Fields, column: &str) -> Result<Option<u32>, DomainError> {
    f.get(column)
        .map(|v| v.parse::<u32>().map_err(|_| DomainError::invalid(column, "write a whole number of 0 or more")))
        .transpose()
}

fn instant(f: &impl Fields, column: &str) -> Result<Option<Timestamp>, DomainError> {
    f.get(column)
        .map(|v| {
            v.parse::<Timestamp>().map_err(|_| {
                DomainError::invalid(column, "write the time as 2026-12-01T09:00:00+03:30 (with its offset)")
            })
        })
        .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Row(HashMap<&'static str, &'static str>);
    impl Fields for Row {
        fn get(&self, column: &str) -> Option<&str> {
            self.0.get(column).map(|v| v.trim()).filter(|v| !v.is_empty())
        }
    }
    fn row(cells: &[(&'static str, &'static str)]) -> Row {
        Row(cells.iter().copied().collect())
    }
    fn field(e: DomainError) -> String {
        match e {
            DomainError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn formulas_are_guarded_and_unguarded() {
        for evil in ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tx"] {
            let g = guard(evil);
            assert!(g.starts_with('\''), "{evil}");
            assert_eq!(unguard(&g), evil);
        }
        assert_eq!(guard("Sara"), "Sara");
        // A name that truly begins with an apostrophe stays as it is.
        assert_eq!(unguard("'Ali"), "'Ali");
    }

    #[test]
    fn an_appointment_row_reads_its_offset_status_and_phone_in_the_clinic_country() {
        let r = row(&[
            ("id", "A-1"),
            ("start", "2026-12-01T09:00:00+03:30"),
            ("location", "Tehran"),
            ("practitioner", "Dr Rahimi"),
            ("service", "Consultation"),
            ("status", "fulfilled"),
            ("patient_name", "'=Sara"),
            ("patient_phone", "0912 345 6789"),
            ("patient_language", "fa-IR"),
        ]);
        let a = appointment_row(&r, Some(Country::parse("country", "IR").unwrap())).unwrap();
        assert_eq!(a.start.to_string(), "2026-12-01T05:30:00Z");
        assert_eq!(a.status, AppointmentStatus::Fulfilled);
        assert_eq!(a.patient.phone.as_deref(), Some("+989123456789"));
        assert_eq!(a.patient.language.as_deref(), Some("fa"));
        assert_eq!(a.patient.name, "=Sara");
        assert_eq!(a.key, "id:A-1");
        assert_eq!(a.end, None);
    }

    #[test]
    fn bad_appointment_rows_name_their_column() {
        let base = [
            ("start", "2026-12-01T09:00:00+01:00"),
            ("location", "Casa"),
            ("practitioner", "Dr A"),
            ("service", "Consult"),
            ("patient_name", "Amina"),
            ("patient_email", "amina@example.ma"),
        ];
        assert!(appointment_row(&row(&base), None).is_ok());
        let with = |k: &'static str, v: &'static str| {
            let mut cells: Vec<_> = base.iter().copied().filter(|(c, _)| *c != k).collect();
            cells.push((k, v));
            appointment_row(&row(&cells), None).unwrap_err()
        };
        assert_eq!(field(with("start", "2026-12-01 09:00")), "start");
        assert_eq!(field(with("start", "")), "start");
        assert_eq!(field(with("end", "2026-12-01T08:00:00+01:00")), "end");
        assert_eq!(field(with("status", "done")), "status");
        assert_eq!(field(with("patient_email", "not-an-email")), "patient_email");
        assert_eq!(field(with("patient_language", "de")), "patient_language");
        assert_eq!(field(with("practitioner", " ")), "practitioner");
    }

    #[test]
    fn a_service_row_takes_the_api_defaults() {
        let s = service_row(&row(&[("name", "Consult"), ("duration_min", "20")]), ServiceId::new(), ClinicId::new())
            .unwrap();
        assert_eq!((s.duration_min, s.capacity, s.slot_step_min, s.horizon_days), (20, 1, 20, 90));
        let e =
            service_row(&row(&[("name", "Consult"), ("duration_min", "twenty")]), ServiceId::new(), ClinicId::new());
        assert_eq!(field(e.unwrap_err()), "duration_min");
        let e = service_row(
            &row(&[("name", "Consult"), ("duration_min", "20"), ("capacity", "0")]),
            ServiceId::new(),
            ClinicId::new(),
        );
        assert_eq!(field(e.unwrap_err()), "capacity");
    }

    #[test]
    fn a_practitioner_row_reads_lists_and_flags() {
        let p =
            practitioner_row(&row(&[("name", "Dr B"), ("specialties", "cardiology; ; paediatrics"), ("active", "no")]))
                .unwrap();
        assert_eq!(p.specialties, vec!["cardiology", "paediatrics"]);
        assert!(!p.active);
        assert_eq!(field(practitioner_row(&row(&[("name", "Dr B"), ("active", "maybe")])).unwrap_err()), "active");
    }
}
