//! Changes to clinics, locations, practitioners and services, as patches.
//!
//! A patch names only the fields to change. The command reads the row inside the write
//! transaction — locked (`FOR UPDATE`) on PostgreSQL, where another process's writer may be
//! changing the same row; SQLite's single writer already excludes everyone else — applies the
//! given fields, validates the result and writes it. Two admins changing different fields at
//! once therefore both keep their change: a handler that read the row earlier and wrote every
//! column back would undo the other's edit (an old `active = true` reopening a practitioner
//! someone had just deactivated).

use super::catalog::{validate_location, validate_name, validate_practitioner};
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::model::{Clinic, Location, Practitioner};
use crate::rows;
use crate::tx::WriteTx;
use nobat_core::{ClinicId, DomainError, LocationId, PractitionerId, ServiceId, ServicePatch};
use serde_json::json;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClinicPatch {
    pub name: Option<String>,
    pub default_language: Option<String>,
    /// ISO 3166-1 alpha-2; an empty string clears it.
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocationPatch {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// An empty string clears it.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PractitionerPatch {
    pub name: Option<String>,
    pub specialties: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    /// An inactive practitioner offers no slots and takes no bookings.
    pub active: Option<bool>,
}

/// The row lock a read-modify-write needs on PostgreSQL; SQLite's one writer needs none.
fn for_update(tx: &WriteTx<'_>) -> &'static str {
    match tx.engine {
        crate::Engine::Postgres => " FOR UPDATE",
        crate::Engine::Sqlite => "",
    }
}

/// The current row of `table`, locked for this transaction.
async fn locked_row(
    tx: &mut WriteTx<'_>,
    cols: &str,
    table: &str,
    clinic: ClinicId,
    id: &str,
    what: &'static str,
) -> StoreResult<crate::db::Row> {
    let (clinic_col, id_col) = if table == "clinics" { ("id", "id") } else { ("clinic_id", "id") };
    let sql = format!("SELECT {cols} FROM {table} WHERE {clinic_col} = $1 AND {id_col} = $2{}", for_update(tx));
    crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id)
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound(what))
}

pub(crate) async fn update_clinic(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    patch: &ClinicPatch,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let id = clinic.to_string();
    let before = rows::clinic(&locked_row(tx, rows::CLINIC_COLS, "clinics", clinic, &id, "clinic").await?)?;
    let after = Clinic {
        name: patch.name.as_deref().map_or_else(|| before.name.clone(), |n| n.trim().to_owned()),
        default_language: match &patch.default_language {
            Some(tag) => super::catalog::clinic_language(tag)?,
            None => before.default_language.clone(),
        },
        country: match patch.country.as_deref().map(str::trim) {
            Some("") => None,
            Some(code) => Some(super::catalog::clinic_country(code)?),
            None => before.country.clone(),
        },
        ..before.clone()
    };
    validate_name(&after.name)?;
    crate::db::query(
        "UPDATE clinics SET name = $2, default_language = $3, country = $4, updated_at_us = $5 WHERE id = $1",
    )
    .bind(&id)
    .bind(&after.name)
    .bind(&after.default_language)
    .bind(after.country.as_deref())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(clinic, EventKind::ClinicChanged, Subjects::default()).await?;
    tx.audit(clinic, actor, Audit::new("update", "clinic", &id).before(&before).after(&after));
    Ok(super::Output::Clinic(after))
}

pub(crate) async fn update_location(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    location: LocationId,
    patch: &LocationPatch,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    // Practitioners first, the order every booking locks in (a location change moves slots).
    super::schedule::touch_practitioner(tx, clinic, None).await?;
    let id = location.to_string();
    let row = locked_row(tx, rows::LOCATION_COLS, "locations", clinic, &id, "location").await?;
    let before = rows::location(&row)?;
    let after = Location {
        name: patch.name.as_deref().map_or_else(|| before.name.clone(), |n| n.trim().to_owned()),
        time_zone: patch.time_zone.as_deref().map_or_else(|| before.time_zone.clone(), |z| z.trim().to_owned()),
        address: patch.address.clone().unwrap_or_else(|| before.address.clone()),
        latitude: patch.latitude.or(before.latitude),
        longitude: patch.longitude.or(before.longitude),
        phone: match patch.phone.as_deref() {
            None => before.phone.clone(),
            Some(p) => super::catalog::location_phone(tx, clinic, Some(p)).await?,
        },
        ..before.clone()
    };
    validate_location(&after)?;
    crate::db::query(
        "UPDATE locations SET name = $3, time_zone = $4, address = $5, latitude = $6, longitude = $7, phone = $8 \
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(&id)
    .bind(&after.name)
    .bind(&after.time_zone)
    .bind(&after.address)
    .bind(after.latitude)
    .bind(after.longitude)
    .bind(after.phone.as_deref())
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(clinic, EventKind::LocationChanged, Subjects { location: Some(location), ..Subjects::default() }).await?;
    tx.audit(clinic, actor, Audit::new("update", "location", &id).before(&before).after(&after));
    Ok(super::Output::Location(after))
}

pub(crate) async fn update_practitioner(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    practitioner: PractitionerId,
    patch: &PractitionerPatch,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let id = practitioner.to_string();
    let row = locked_row(tx, rows::PRACTITIONER_COLS, "practitioners", clinic, &id, "practitioner").await?;
    let before = rows::practitioner(&row)?;
    let after = Practitioner {
        name: patch.name.as_deref().map_or_else(|| before.name.clone(), |n| n.trim().to_owned()),
        specialties: patch.specialties.clone().unwrap_or_else(|| before.specialties.clone()),
        languages: patch.languages.clone().unwrap_or_else(|| before.languages.clone()),
        active: patch.active.unwrap_or(before.active),
        ..before.clone()
    };
    validate_practitioner(&after)?;
    crate::db::query(
        "UPDATE practitioners SET name = $3, specialties = $4, languages = $5, active = $6, booking_seq = booking_seq + 1, \
         schedule_seq = schedule_seq + 1 \
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(&id)
    .bind(&after.name)
    .bind(json!(after.specialties).to_string())
    .bind(json!(after.languages).to_string())
    .bind(i64::from(after.active))
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(clinic, EventKind::PractitionerChanged, Subjects::practitioner(practitioner)).await?;
    tx.audit(clinic, actor, Audit::new("update", "practitioner", &id).before(&before).after(&after));
    Ok(super::Output::Practitioner(after))
}

pub(crate) async fn update_service(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    service: ServiceId,
    patch: &ServicePatch,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    // Practitioner locks first, as every booking takes them first: the same lock order.
    super::schedule::touch_practitioner(tx, clinic, None).await?;
    let id = service.to_string();
    let before = rows::service(&locked_row(tx, rows::SERVICE_COLS, "services", clinic, &id, "service").await?)?;
    let s = patch.apply(&before);
    s.validate()?;
    // Appointments remember their service's capacity (PostgreSQL's exclusion constraint keys
    // on it): a new capacity applies to them too, and may not fall below a session already
    // booked fuller than that.
    let row = crate::db::query(
        "SELECT COALESCE(MAX(n), 0) AS fullest FROM (SELECT COUNT(*) AS n FROM appointments \
         WHERE clinic_id = $1 AND service_id = $2 AND occupies = 1 AND end_us > $3 GROUP BY practitioner_id, start_us) AS sessions",
    )
    .bind(clinic.to_string())
    .bind(&id)
    .bind(tx.now.as_microsecond())
    .fetch_one(&mut *tx.conn)
    .await?;
    let fullest = crate::rows::int(&row, "fullest")?;
    if fullest > i64::from(s.capacity) {
        return Err(DomainError::invalid(
            "capacity",
            format!("a coming session already has {fullest} patients; cancel some before lowering the capacity"),
        )
        .into());
    }
    // Only coming appointments: past ones keep the capacity they were booked under.
    crate::db::query(
        "UPDATE appointments SET capacity = $3 WHERE clinic_id = $1 AND service_id = $2 AND occupies = 1 AND end_us > $4",
    )
    .bind(clinic.to_string())
    .bind(&id)
    .bind(i64::from(s.capacity))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    crate::db::query(
        "UPDATE services SET name = $3, duration_min = $4, buffer_before_min = $5, buffer_after_min = $6, capacity = $7, \
         slot_step_min = $8, min_notice_min = $9, horizon_days = $10, cancel_cutoff_min = $11, reschedule_cutoff_min = $12, \
         active = $13 WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(&id)
    .bind(&s.name)
    .bind(i64::from(s.duration_min))
    .bind(i64::from(s.buffer_before_min))
    .bind(i64::from(s.buffer_after_min))
    .bind(i64::from(s.capacity))
    .bind(i64::from(s.slot_step_min))
    .bind(i64::from(s.min_notice_min))
    .bind(i64::from(s.horizon_days))
    .bind(i64::from(s.cancel_cutoff_min))
    .bind(i64::from(s.reschedule_cutoff_min))
    .bind(i64::from(s.active))
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(clinic, EventKind::ServiceChanged, Subjects { service: Some(service), ..Subjects::default() }).await?;
    tx.audit(clinic, actor, Audit::new("update", "service", &id).before(&before).after(&s));
    Ok(super::Output::Service(s))
}
