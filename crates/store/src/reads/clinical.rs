//! Reading visit notes (opened with the data key ring), note templates, merges, and the
//! patient's timeline. Recording that someone read them is the caller's job (a
//! `RecordAccess` command), so a read that fails records nothing.

use crate::Store;
use crate::at_rest::DataKeys;
use crate::commands::clinical::SealedBody;
use crate::error::StoreResult;
use crate::rows::{opt_int, parse, text, ts};
use jiff::Timestamp;
use nobat_core::clinical::{NoteStatus, Soap};
use nobat_core::{AppointmentId, ClinicId, NoteId, PatientId, PractitionerId, ServiceId};
use serde::Serialize;

/// One version of a note, opened.
#[derive(Debug, Clone, Serialize)]
pub struct NoteVersion {
    pub version: i64,
    pub soap: Soap,
    /// Why an amendment was made (none for the first version).
    pub reason: Option<String>,
    /// The sections changed from the previous version.
    pub changed: Vec<String>,
    pub author: String,
    pub author_label: String,
    pub signed_by: Option<String>,
    pub signed_by_label: Option<String>,
    pub signed_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A note with all its versions, oldest first (the last is current).
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: NoteId,
    pub clinic: ClinicId,
    pub patient: PatientId,
    pub appointment: AppointmentId,
    pub practitioner: PractitionerId,
    pub status: NoteStatus,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub versions: Vec<NoteVersion>,
}

impl Note {
    pub fn current(&self) -> Option<&NoteVersion> {
        self.versions.last()
    }
}

const NOTE_COLS: &str = "clinic_id, id, patient_id, appointment_id, practitioner_id, status, version, \
                         created_at_us, updated_at_us";

impl Store {
    /// A patient's notes, newest first, every version opened.
    pub async fn notes_of_patient(
        &self,
        keys: &DataKeys,
        clinic: ClinicId,
        patient: PatientId,
    ) -> StoreResult<Vec<Note>> {
        self.notes_where(keys, clinic, "patient_id = $2 ORDER BY created_at_us DESC, id", &[patient.to_string()]).await
    }

    /// One note of a patient.
    pub async fn note(&self, keys: &DataKeys, clinic: ClinicId, patient: PatientId, note: NoteId) -> StoreResult<Note> {
        self.notes_where(keys, clinic, "patient_id = $2 AND id = $3", &[patient.to_string(), note.to_string()])
            .await?
            .pop()
            .ok_or(crate::StoreError::NotFound("note"))
    }

    /// A clinic's notes created in `[from, to)`, oldest first (the CSV export), at most `limit`.
    pub async fn notes_between(
        &self,
        keys: &DataKeys,
        clinic: ClinicId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Note>> {
        let filter = format!(
            "created_at_us >= {} AND created_at_us < {} ORDER BY created_at_us, id LIMIT {}",
            from.as_microsecond(),
            to.as_microsecond(),
            limit.clamp(1, 100_000)
        );
        self.notes_where(keys, clinic, &filter, &[]).await
    }

    async fn notes_where(
        &self,
        keys: &DataKeys,
        clinic: ClinicId,
        filter: &str,
        args: &[String],
    ) -> StoreResult<Vec<Note>> {
        let mut conn = self.reader().await?;
        let mut q =
            crate::db::query(format!("SELECT {NOTE_COLS} FROM clinical_notes WHERE clinic_id = $1 AND {filter}"))
                .bind(clinic.to_string());
        for a in args {
            q = q.bind(a.as_str());
        }
        let mut notes = Vec::new();
        for r in q.fetch_all(&mut conn).await? {
            let id: NoteId = parse(&r, "id")?;
            let versions = crate::db::query(
                "SELECT version, body, changed, author, author_label, signed_by, signed_by_label, signed_at_us, \
                 created_at_us FROM clinical_note_versions WHERE clinic_id = $1 AND note_id = $2 ORDER BY version",
            )
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_all(&mut conn)
            .await?
            .iter()
            .map(|v| {
                let version = v.int("version")?;
                let body: SealedBody = crate::commands::clinical::open(
                    keys,
                    &clinic.to_string(),
                    &id.to_string(),
                    version,
                    &text(v, "body")?,
                )?;
                let changed = text(v, "changed")?;
                Ok(NoteVersion {
                    version,
                    soap: body.soap,
                    reason: body.reason,
                    changed: changed.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                    author: text(v, "author")?,
                    author_label: text(v, "author_label")?,
                    signed_by: v.opt_text("signed_by")?,
                    signed_by_label: v.opt_text("signed_by_label")?,
                    signed_at: opt_int(v, "signed_at_us")?.map(crate::rows::micros).transpose()?,
                    created_at: ts(v, "created_at_us")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
            notes.push(Note {
                id,
                clinic,
                patient: parse(&r, "patient_id")?,
                appointment: parse(&r, "appointment_id")?,
                practitioner: parse(&r, "practitioner_id")?,
                status: NoteStatus::parse(&text(&r, "status")?)
                    .ok_or_else(|| crate::StoreError::Corrupt(format!("note {id}: unknown status")))?,
                version: r.int("version")?,
                created_at: ts(&r, "created_at_us")?,
                updated_at: ts(&r, "updated_at_us")?,
                versions,
            });
        }
        Ok(notes)
    }

    /// The template a service's notes start from, if the clinic set one.
    pub async fn note_template(&self, clinic: ClinicId, service: ServiceId) -> StoreResult<Option<Soap>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT body FROM note_templates WHERE clinic_id = $1 AND service_id = $2")
            .bind(clinic.to_string())
            .bind(service.to_string())
            .fetch_optional(&mut conn)
            .await?;
        row.map(|r| crate::rows::json(&r, "body")).transpose()
    }

    /// The record a duplicate was merged into, if it was.
    pub async fn merged_into(&self, clinic: ClinicId, patient: PatientId) -> StoreResult<Option<PatientId>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT merged_into FROM patients WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.to_string())
            .bind(patient.to_string())
            .fetch_optional(&mut conn)
            .await?
            .ok_or(crate::StoreError::NotFound("patient"))?;
        crate::rows::opt_parse(&row, "merged_into")
    }
}

/// One entry of a patient's timeline, newest first. The `forms` work adds its kinds here
/// (`Form` for a filled intake form, `Message` for a secure message) and pushes them in
/// [`Store::timeline`]; clinical kinds are left out for callers without clinical access.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    Appointment {
        at: Timestamp,
        id: String,
        status: String,
        practitioner: String,
        service: String,
    },
    QueueVisit {
        at: Timestamp,
        id: String,
        queue: String,
        status: String,
        appointment: Option<String>,
    },
    /// Clinical: only for `ClinicalNotes` holders.
    Note {
        at: Timestamp,
        id: String,
        appointment: String,
        status: String,
        version: i64,
    },
}

impl TimelineEntry {
    pub fn at(&self) -> Timestamp {
        match self {
            TimelineEntry::Appointment { at, .. }
            | TimelineEntry::QueueVisit { at, .. }
            | TimelineEntry::Note { at, .. } => *at,
        }
    }

    /// Whether the entry is clinical content (kept from reception).
    pub fn clinical(&self) -> bool {
        matches!(self, TimelineEntry::Note { .. })
    }
}

impl Store {
    /// A patient's timeline: appointments, queue visits and (with `clinical`) notes, newest
    /// first, at most 500 of each kind.
    pub async fn timeline(
        &self,
        clinic: ClinicId,
        patient: PatientId,
        clinical: bool,
    ) -> StoreResult<Vec<TimelineEntry>> {
        let mut conn = self.reader().await?;
        let mut out = Vec::new();
        for r in crate::db::query(
            "SELECT id, status, practitioner_id, service_id, start_us FROM appointments \
             WHERE clinic_id = $1 AND patient_id = $2 ORDER BY start_us DESC LIMIT 500",
        )
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_all(&mut conn)
        .await?
        {
            out.push(TimelineEntry::Appointment {
                at: ts(&r, "start_us")?,
                id: text(&r, "id")?,
                status: text(&r, "status")?,
                practitioner: text(&r, "practitioner_id")?,
                service: text(&r, "service_id")?,
            });
        }
        for r in crate::db::query(
            "SELECT id, queue_id, status, appointment_id, created_at_us FROM tickets \
             WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at_us DESC LIMIT 500",
        )
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_all(&mut conn)
        .await?
        {
            out.push(TimelineEntry::QueueVisit {
                at: ts(&r, "created_at_us")?,
                id: text(&r, "id")?,
                queue: text(&r, "queue_id")?,
                status: text(&r, "status")?,
                appointment: r.opt_text("appointment_id")?,
            });
        }
        if clinical {
            for r in crate::db::query(
                "SELECT id, appointment_id, status, version, created_at_us FROM clinical_notes \
                 WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at_us DESC LIMIT 500",
            )
            .bind(clinic.to_string())
            .bind(patient.to_string())
            .fetch_all(&mut conn)
            .await?
            {
                out.push(TimelineEntry::Note {
                    at: ts(&r, "created_at_us")?,
                    id: text(&r, "id")?,
                    appointment: text(&r, "appointment_id")?,
                    status: text(&r, "status")?,
                    version: r.int("version")?,
                });
            }
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.at()));
        Ok(out)
    }
}
