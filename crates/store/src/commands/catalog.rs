//! Clinics, locations, practitioners and services: create, with an audit row each (changes are
//! in `catalog_updates`).

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::model::{Clinic, Location, Practitioner};
use crate::tx::WriteTx;
use nobat_core::{DomainError, Service};
use serde_json::json;

/// A new clinic and who creates it.
#[derive(Debug, Clone)]
pub struct NewClinic {
    pub clinic: Clinic,
    pub actor: AuditActor,
    /// Who becomes the clinic's first owner, in the same transaction.
    pub owner: Option<nobat_core::UserId>,
}

/// Slugs appear in URLs: lower-case letters, digits and dashes.
fn validate_slug(slug: &str) -> Result<(), DomainError> {
    // A slug that reads as an id could never be reached: `{clinic}` in a path tries ids first.
    let ok = (2..=63).contains(&slug.len())
        && slug.parse::<nobat_core::ClinicId>().is_err()
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok { Ok(()) } else { Err(DomainError::invalid("slug", "use 2–63 lower-case letters, digits and dashes")) }
}

pub(super) fn validate_name(name: &str) -> Result<(), DomainError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(DomainError::invalid("name", "must be 1 to 200 characters"));
    }
    Ok(())
}

pub(super) fn validate_location(l: &Location) -> Result<(), DomainError> {
    validate_name(&l.name)?;
    nobat_core::zones::get(&l.time_zone)?;
    if l.latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
        return Err(DomainError::invalid("latitude", "must be between -90 and 90"));
    }
    if l.longitude.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
        return Err(DomainError::invalid("longitude", "must be between -180 and 180"));
    }
    Ok(())
}

/// A location's phone in E.164, as patients' phones are (read in the clinic's country when
/// typed the national way); blank is none. Errors name `phone`.
pub(super) async fn location_phone(
    tx: &mut WriteTx<'_>,
    clinic: nobat_core::ClinicId,
    phone: Option<&str>,
) -> StoreResult<Option<String>> {
    let Some(raw) = phone.map(str::trim).filter(|p| !p.is_empty()) else { return Ok(None) };
    let row = crate::db::query("SELECT country FROM clinics WHERE id = $1")
        .bind(clinic.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?;
    let country = match row {
        Some(r) => crate::rows::opt_text(&r, "country")?,
        None => None,
    };
    let region = country.as_deref().and_then(|c| nobat_core::phone::Country::parse("country", c).ok());
    Ok(Some(nobat_core::phone::to_e164("phone", raw, region)?))
}

/// A clinic's default language is one of the six with a catalogue (stored as its bare code),
/// so every message and error has a language to fall back to.
pub(crate) fn clinic_language(tag: &str) -> StoreResult<String> {
    nobat_core::patient::parse_language("default_language", tag)?.ok_or_else(|| {
        DomainError::invalid_because(
            "default_language",
            nobat_core::Reason::new(
                "language",
                "use one of the languages en, fa, ar, fr, ru, tr (a tag such as fa-IR counts as fa)",
            ),
        )
        .into()
    })
}

/// A clinic's country, upper-cased ISO 3166-1 alpha-2 with a numbering plan.
pub(crate) fn clinic_country(code: &str) -> StoreResult<String> {
    Ok(nobat_core::Country::parse("country", code)?.code().to_owned())
}

pub(crate) async fn create_clinic(tx: &mut WriteTx<'_>, c: &NewClinic) -> StoreResult<super::Output> {
    let mut clinic = c.clinic.clone();
    validate_slug(&clinic.slug)?;
    validate_name(&clinic.name)?;
    clinic.default_language = clinic_language(&clinic.default_language)?;
    clinic.country = clinic.country.as_deref().map(clinic_country).transpose()?;
    let clinic = &clinic;
    let taken = crate::db::query("SELECT 1 FROM clinics WHERE slug = $1")
        .bind(&clinic.slug)
        .fetch_optional(&mut *tx.conn)
        .await?;
    if taken.is_some() {
        return Err(StoreError::AlreadyExists(format!("a clinic with slug `{}` already exists", clinic.slug)));
    }
    let now = tx.now.as_microsecond();
    crate::db::query(
        "INSERT INTO clinics (id, slug, name, default_language, country, created_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(clinic.id.to_string())
    .bind(&clinic.slug)
    .bind(&clinic.name)
    .bind(&clinic.default_language)
    .bind(clinic.country.as_deref())
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(clinic.id, EventKind::ClinicChanged, Subjects::default()).await?;
    tx.audit(clinic.id, &c.actor, Audit::new("create", "clinic", &clinic.id.to_string()).after(clinic));
    if let Some(owner) = c.owner {
        let change = super::MemberChange {
            clinic: clinic.id,
            user: owner,
            role: Some(nobat_core::access::Role::Owner),
            practitioner: None,
            actor: c.actor.clone(),
        };
        super::accounts::change_member(tx, &change).await?;
    }
    Ok(super::Output::Clinic(clinic.clone()))
}

pub(crate) async fn create_location(
    tx: &mut WriteTx<'_>,
    l: &Location,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    validate_location(l)?;
    let l = &Location { phone: location_phone(tx, l.clinic, l.phone.as_deref()).await?, ..l.clone() };
    crate::db::query(
        "INSERT INTO locations (clinic_id, id, name, time_zone, address, latitude, longitude, created_at_us, phone) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(l.clinic.to_string())
    .bind(l.id.to_string())
    .bind(&l.name)
    .bind(&l.time_zone)
    .bind(&l.address)
    .bind(l.latitude)
    .bind(l.longitude)
    .bind(tx.now.as_microsecond())
    .bind(l.phone.as_deref())
    .execute(&mut *tx.conn)
    .await?;
    super::schedule::touch_practitioner(tx, l.clinic, None).await?;
    tx.emit(l.clinic, EventKind::LocationChanged, Subjects { location: Some(l.id), ..Subjects::default() }).await?;
    tx.audit(l.clinic, actor, Audit::new("create", "location", &l.id.to_string()).after(l));
    Ok(super::Output::Location(l.clone()))
}

pub(super) fn validate_practitioner(p: &Practitioner) -> Result<(), DomainError> {
    validate_name(&p.name)?;
    if p.specialties.len() > 20 || p.specialties.iter().any(|s| s.trim().is_empty() || s.len() > 100) {
        return Err(DomainError::invalid("specialties", "up to 20 non-empty names"));
    }
    if p.languages.len() > 20 || p.languages.iter().any(|s| s.is_empty() || s.len() > 35) {
        return Err(DomainError::invalid("languages", "up to 20 language tags"));
    }
    Ok(())
}

pub(crate) async fn create_practitioner(
    tx: &mut WriteTx<'_>,
    p: &Practitioner,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    validate_practitioner(p)?;
    crate::db::query(
        "INSERT INTO practitioners (clinic_id, id, name, specialties, languages, active, booking_seq, schedule_seq, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7)",
    )
    .bind(p.clinic.to_string())
    .bind(p.id.to_string())
    .bind(&p.name)
    .bind(json!(p.specialties).to_string())
    .bind(json!(p.languages).to_string())
    .bind(i64::from(p.active))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(p.clinic, EventKind::PractitionerChanged, Subjects::practitioner(p.id)).await?;
    tx.audit(p.clinic, actor, Audit::new("create", "practitioner", &p.id.to_string()).after(p));
    Ok(super::Output::Practitioner(p.clone()))
}

pub(crate) async fn create_service(
    tx: &mut WriteTx<'_>,
    s: &Service,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    s.validate()?;
    crate::db::query(
        "INSERT INTO services (clinic_id, id, name, duration_min, buffer_before_min, buffer_after_min, capacity, \
         slot_step_min, min_notice_min, horizon_days, cancel_cutoff_min, reschedule_cutoff_min, active, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14, $13)",
    )
    .bind(s.clinic.to_string())
    .bind(s.id.to_string())
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
    .bind(tx.now.as_microsecond())
    .bind(i64::from(s.active))
    .execute(&mut *tx.conn)
    .await?;
    super::schedule::touch_practitioner(tx, s.clinic, None).await?;
    tx.emit(s.clinic, EventKind::ServiceChanged, Subjects { service: Some(s.id), ..Subjects::default() }).await?;
    tx.audit(s.clinic, actor, Audit::new("create", "service", &s.id.to_string()).after(s));
    Ok(super::Output::Service(s.clone()))
}
