//! CSV transfers. One batch of an import, in one transaction: each row is either added, found already
//! imported (its key is in `import_keys`), or refused with a reason — never half-written.
//!
//! Rows were read and checked by the core (`nobat_core::transfer`) before they got here; what
//! is decided here is what needs the database: names resolved to this clinic's practitioners,
//! services and locations, and, for appointments, the practitioner's time. An imported
//! appointment is not held to the weekly hours (the other system's calendar was whatever it
//! was) but it is held to the one invariant nothing may break: no more occupying appointments
//! at once than the service's capacity. It takes the practitioner's lock like a booking does,
//! so an import running beside live bookings cannot double-book either.
//!
//! No `appointment.booked` event is written: a clinic moving 5,000 appointments must not send
//! 5,000 confirmations. Reminders for future booked ones are scheduled like any booking's.

use super::booking::find_or_create_patient;
use super::slot_lock::{Must, insert_appointment, lock_practitioner};
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::model::{Appointment, Practitioner};
use crate::rows;
use crate::tx::WriteTx;
use nobat_core::availability::block;
use nobat_core::transfer::{AppointmentRow, ImportKind, PractitionerRow};
use nobat_core::{AppointmentId, ClinicId, DomainError, PractitionerId, Service};

/// One checked row and the line of the file it came from.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: u64,
    pub data: ImportData,
}

#[derive(Debug, Clone)]
pub enum ImportData {
    Practitioner(PractitionerRow),
    /// A service with a fresh id and the clinic set.
    Service(Service),
    Appointment(Box<AppointmentRow>),
}

/// A batch to add to one clinic.
#[derive(Debug, Clone)]
pub struct ImportBatch {
    pub clinic: ClinicId,
    pub kind: ImportKind,
    pub rows: Vec<ImportRow>,
    pub actor: AuditActor,
}

/// What became of a batch's rows, by line.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    pub added: Vec<u64>,
    /// Imported before (same key), or already in the clinic under that name: left as is.
    pub existing: Vec<u64>,
    pub refused: Vec<(u64, DomainError)>,
}

pub(crate) async fn import(tx: &mut WriteTx<'_>, b: &ImportBatch) -> StoreResult<super::Output> {
    lock_in_order(tx, b).await?;
    let mut out = ImportOutcome::default();
    for row in &b.rows {
        let result = match &row.data {
            ImportData::Practitioner(p) => practitioner(tx, b, p).await,
            ImportData::Service(s) => service(tx, b, s).await,
            ImportData::Appointment(a) => appointment(tx, b, row.line, a).await,
        };
        match result {
            Ok(true) => out.added.push(row.line),
            Ok(false) => out.existing.push(row.line),
            // A refusal is decided before the row writes anything, so the batch goes on.
            Err(StoreError::Domain(e)) => out.refused.push((row.line, e)),
            Err(StoreError::NotFound(what)) => out
                .refused
                .push((row.line, DomainError::invalid(what, format!("no {what} of this clinic has that name")))),
            Err(other) => return Err(other),
        }
    }
    Ok(super::Output::Imported(out))
}

/// Takes every named practitioner's lock up front, in id order — the order every batch of
/// bookings takes them in (`Command::lock_key`) — so an import beside live bookings in another
/// process cannot deadlock with them. Rows that name no practitioner are refused later.
async fn lock_in_order(tx: &mut WriteTx<'_>, b: &ImportBatch) -> StoreResult<()> {
    let mut names: Vec<&str> = b
        .rows
        .iter()
        .filter_map(|r| match &r.data {
            ImportData::Appointment(a) => Some(a.practitioner.as_str()),
            _ => None,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut ids = Vec::new();
    for name in names {
        ids.extend(ids_named(tx, "practitioners", b.clinic, name).await?);
    }
    ids.sort();
    for id in ids {
        if let Ok(p) = id.parse::<PractitionerId>() {
            lock_practitioner(tx, b.clinic, p, Must::Exist).await?;
        }
    }
    Ok(())
}

/// Whether this key was imported before.
async fn seen(tx: &mut WriteTx<'_>, clinic: ClinicId, kind: ImportKind, key: &str) -> StoreResult<bool> {
    let row = crate::db::query("SELECT 1 AS one FROM import_keys WHERE clinic_id = $1 AND kind = $2 AND key = $3")
        .bind(clinic.to_string())
        .bind(kind.as_str())
        .bind(key)
        .fetch_optional(&mut *tx.conn)
        .await?;
    Ok(row.is_some())
}

async fn remember(tx: &mut WriteTx<'_>, clinic: ClinicId, kind: ImportKind, key: &str, id: &str) -> StoreResult<()> {
    crate::db::query(
        "INSERT INTO import_keys (clinic_id, kind, key, created_id, created_at_us) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(clinic.to_string())
    .bind(kind.as_str())
    .bind(key)
    .bind(id)
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

/// The ids of this clinic's `table` rows with this exact name.
async fn ids_named(
    tx: &mut WriteTx<'_>,
    table: &'static str,
    clinic: ClinicId,
    name: &str,
) -> StoreResult<Vec<String>> {
    let sql = format!("SELECT id FROM {table} WHERE clinic_id = $1 AND name = $2 ORDER BY id");
    let found = crate::db::query(sql).bind(clinic.to_string()).bind(name).fetch_all(&mut *tx.conn).await?;
    found.iter().map(|r| rows::text(r, "id")).collect()
}

/// The one row of `table` with this name: a missing name or two rows sharing it refuse the
/// appointment rather than guess which practitioner was meant.
async fn one_named<T: std::str::FromStr>(
    tx: &mut WriteTx<'_>,
    table: &'static str,
    field: &'static str,
    clinic: ClinicId,
    name: &str,
) -> StoreResult<T> {
    let ids = ids_named(tx, table, clinic, name).await?;
    match ids.as_slice() {
        [id] => id.parse().map_err(|_| StoreError::NotFound(field)),
        [] => Err(DomainError::invalid(field, format!("no {field} of this clinic is named \"{name}\"")).into()),
        _ => Err(DomainError::invalid(field, format!("several {field}s share the name \"{name}\"; rename one")).into()),
    }
}

async fn practitioner(tx: &mut WriteTx<'_>, b: &ImportBatch, p: &PractitionerRow) -> StoreResult<bool> {
    let key = p.name.clone();
    if seen(tx, b.clinic, b.kind, &key).await? {
        return Ok(false);
    }
    // Made by hand before the import: the file's row is that practitioner, not a twin.
    if let Some(id) = ids_named(tx, "practitioners", b.clinic, &p.name).await?.into_iter().next() {
        remember(tx, b.clinic, b.kind, &key, &id).await?;
        return Ok(false);
    }
    let practitioner = Practitioner {
        id: PractitionerId::new(),
        clinic: b.clinic,
        name: p.name.clone(),
        specialties: p.specialties.clone(),
        languages: p.languages.clone(),
        active: p.active,
    };
    super::catalog::validate_practitioner(&practitioner)?;
    super::catalog::create_practitioner(tx, &practitioner, &b.actor).await?;
    remember(tx, b.clinic, b.kind, &key, &practitioner.id.to_string()).await?;
    Ok(true)
}

async fn service(tx: &mut WriteTx<'_>, b: &ImportBatch, s: &Service) -> StoreResult<bool> {
    let key = s.name.clone();
    if seen(tx, b.clinic, b.kind, &key).await? {
        return Ok(false);
    }
    if let Some(id) = ids_named(tx, "services", b.clinic, &s.name).await?.into_iter().next() {
        remember(tx, b.clinic, b.kind, &key, &id).await?;
        return Ok(false);
    }
    s.validate()?;
    super::catalog::create_service(tx, s, &b.actor).await?;
    remember(tx, b.clinic, b.kind, &key, &s.id.to_string()).await?;
    Ok(true)
}

async fn appointment(tx: &mut WriteTx<'_>, b: &ImportBatch, line: u64, a: &AppointmentRow) -> StoreResult<bool> {
    if seen(tx, b.clinic, b.kind, &a.key).await? {
        return Ok(false);
    }
    let location = one_named(tx, "locations", "location", b.clinic, &a.location).await?;
    let practitioner: PractitionerId =
        one_named(tx, "practitioners", "practitioner", b.clinic, &a.practitioner).await?;
    let service_id = one_named(tx, "services", "service", b.clinic, &a.service).await?;
    lock_practitioner(tx, b.clinic, practitioner, Must::Exist).await?;
    let service = super::slot_lock::load_service(tx, b.clinic, service_id).await?;
    let end = match a.end {
        Some(end) => end,
        None => a.start.checked_add(service.duration()).map_err(|_| DomainError::invalid("start", "out of range"))?,
    };
    if a.status.occupies_time() {
        let (bs, be) = block(&service, a.start, end);
        let taken = overlapping(tx, b.clinic, practitioner, bs.as_microsecond(), be.as_microsecond()).await?;
        if taken >= i64::from(service.capacity) {
            return Err(DomainError::invalid(
                "start",
                "the practitioner already has an appointment at this time (imported or booked here)",
            )
            .into());
        }
    }
    let (patient, _) = find_or_create_patient(tx, b.clinic, &a.patient, None).await?;
    let appointment = Appointment {
        id: AppointmentId::new(),
        clinic: b.clinic,
        location,
        practitioner,
        service: service.id,
        patient,
        start: a.start,
        end,
        status: a.status,
        note: a.note.clone(),
        cancel_reason: a.cancel_reason.clone(),
        override_note: Some(format!("imported (line {line})")),
        rescheduled_from: None,
        rescheduled_to: None,
        created_at: tx.now,
        updated_at: tx.now,
    };
    insert_appointment(tx, &appointment, &service).await?;
    if a.status == nobat_core::AppointmentStatus::Booked && a.start > tx.now {
        super::reminders::schedule_for(tx, &appointment).await?;
    }
    tx.audit(
        b.clinic,
        &b.actor,
        Audit::new("import", "appointment", &appointment.id.to_string())
            .after(&appointment)
            .note(appointment.override_note.as_deref()),
    );
    remember(tx, b.clinic, b.kind, &a.key, &appointment.id.to_string()).await?;
    Ok(true)
}

/// Occupying appointments of the practitioner whose blocks overlap `[from_us, to_us)`.
async fn overlapping(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    p: PractitionerId,
    from_us: i64,
    to_us: i64,
) -> StoreResult<i64> {
    let row = crate::db::query(
        "SELECT COUNT(*) AS n FROM appointments WHERE clinic_id = $1 AND practitioner_id = $2 AND occupies = 1 \
         AND block_start_us < $4 AND block_end_us > $3",
    )
    .bind(clinic.to_string())
    .bind(p.to_string())
    .bind(from_us)
    .bind(to_us)
    .fetch_one(&mut *tx.conn)
    .await?;
    rows::int(&row, "n")
}

pub(crate) async fn record_export(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    what: &str,
    bytes: u64,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let note = format!("{bytes} bytes");
    tx.audit(clinic, actor, Audit::new("export", "csv", what).note(Some(&note)));
    Ok(super::Output::Done)
}
