//! Weekly rules and dated exceptions. A change bumps the practitioner's `schedule_seq` so caches
//! keyed on it see the new schedule.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::tx::WriteTx;
use nobat_core::{ClinicId, Exception, ExceptionId, ExceptionKind, PractitionerId, RuleId, WeeklyRule};
use serde_json::json;

/// A new exception with a human note ("Nowruz", "training day").
#[derive(Debug, Clone)]
pub struct NewException {
    pub clinic: ClinicId,
    pub exception: Exception,
    pub note: String,
    pub actor: AuditActor,
}

/// Fails with not-found unless the row exists in this clinic.
async fn ensure(
    tx: &mut WriteTx<'_>,
    table: &'static str,
    what: &'static str,
    clinic: ClinicId,
    id: String,
) -> StoreResult<()> {
    let sql = format!("SELECT 1 FROM {table} WHERE clinic_id = $1 AND id = $2");
    crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id)
        .fetch_optional(&mut *tx.conn)
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound(what))
}

/// Marks the practitioner's schedule (or, with `None`, every practitioner's in the clinic) as
/// changed, for the writer's calendar cache. On PostgreSQL it also takes their row locks, so a
/// schedule change and a booking for the same practitioner never interleave.
pub(crate) async fn touch_practitioner(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    p: Option<PractitionerId>,
) -> StoreResult<()> {
    if tx.engine == crate::Engine::Postgres {
        // Take the row locks in id order, the order bookings take them, so a clinic-wide
        // change and concurrent bookings cannot deadlock.
        crate::db::query(
            "SELECT id FROM practitioners WHERE clinic_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY id FOR UPDATE",
        )
        .bind(clinic.to_string())
        .bind(p.map(|p| p.to_string()))
        .fetch_all(&mut *tx.conn)
        .await?;
    }
    crate::db::query(
        "UPDATE practitioners SET booking_seq = booking_seq + 1, schedule_seq = schedule_seq + 1 \
         WHERE clinic_id = $1 AND ($2 IS NULL OR id = $2)",
    )
    .bind(clinic.to_string())
    .bind(p.map(|p| p.to_string()))
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

pub(crate) async fn create_rule(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    r: &WeeklyRule,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    r.validate()?;
    ensure(tx, "practitioners", "practitioner", clinic, r.practitioner.to_string()).await?;
    ensure(tx, "locations", "location", clinic, r.location.to_string()).await?;
    for s in &r.services {
        ensure(tx, "services", "service", clinic, s.to_string()).await?;
    }
    let breaks: Vec<(u16, u16)> = r.breaks.iter().map(|(s, e)| (s.get(), e.get())).collect();
    crate::db::query(
        "INSERT INTO schedule_rules (clinic_id, id, practitioner_id, location_id, weekdays, start_min, end_min, breaks, \
         valid_from, valid_until, services, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(clinic.to_string())
    .bind(r.id.to_string())
    .bind(r.practitioner.to_string())
    .bind(r.location.to_string())
    .bind(i64::from(r.weekdays.bits()))
    .bind(i64::from(r.start.get()))
    .bind(i64::from(r.end.get()))
    .bind(json!(breaks).to_string())
    .bind(r.valid_from.to_string())
    .bind(r.valid_until.map(|d| d.to_string()))
    .bind(json!(r.services).to_string())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    touch_practitioner(tx, clinic, Some(r.practitioner)).await?;
    tx.audit(clinic, actor, Audit::new("create", "schedule_rule", &r.id.to_string()).after(r));
    tx.emit(clinic, EventKind::ScheduleChanged, Subjects::practitioner(r.practitioner)).await?;
    Ok(super::Output::Rule(r.clone()))
}

pub(crate) async fn delete_rule(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: RuleId,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let row = crate::db::query("DELETE FROM schedule_rules WHERE clinic_id = $1 AND id = $2 RETURNING practitioner_id")
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("schedule rule"))?;
    let practitioner: PractitionerId = crate::rows::parse(&row, "practitioner_id")?;
    touch_practitioner(tx, clinic, Some(practitioner)).await?;
    tx.audit(clinic, actor, Audit::new("delete", "schedule_rule", &id.to_string()).before(&json!({ "id": id })));
    tx.emit(clinic, EventKind::ScheduleChanged, Subjects::practitioner(practitioner)).await?;
    Ok(super::Output::Done)
}

pub(crate) async fn create_exception(tx: &mut WriteTx<'_>, n: &NewException) -> StoreResult<super::Output> {
    let e = &n.exception;
    e.validate()?;
    if let Some(p) = e.practitioner {
        ensure(tx, "practitioners", "practitioner", n.clinic, p.to_string()).await?;
    }
    if let Some(l) = e.location {
        ensure(tx, "locations", "location", n.clinic, l.to_string()).await?;
    }
    let kind = match e.kind {
        ExceptionKind::Closed => "closed",
        ExceptionKind::Extra => "extra",
    };
    crate::db::query(
        "INSERT INTO schedule_exceptions (clinic_id, id, practitioner_id, location_id, date, kind, start_min, end_min, note, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(n.clinic.to_string())
    .bind(e.id.to_string())
    .bind(e.practitioner.map(|p| p.to_string()))
    .bind(e.location.map(|l| l.to_string()))
    .bind(e.date.to_string())
    .bind(kind)
    .bind(e.start.map(|m| i64::from(m.get())))
    .bind(e.end.map(|m| i64::from(m.get())))
    .bind(&n.note)
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    touch_practitioner(tx, n.clinic, e.practitioner).await?;
    tx.audit(
        n.clinic,
        &n.actor,
        Audit::new("create", "schedule_exception", &e.id.to_string()).after(e).note(Some(&n.note)),
    );
    let subjects = Subjects { date: Some(e.date), practitioner: e.practitioner, ..Subjects::default() };
    tx.emit(n.clinic, EventKind::ScheduleChanged, subjects).await?;
    Ok(super::Output::Exception(e.clone()))
}

pub(crate) async fn delete_exception(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: ExceptionId,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let row =
        crate::db::query("DELETE FROM schedule_exceptions WHERE clinic_id = $1 AND id = $2 RETURNING practitioner_id")
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or(StoreError::NotFound("schedule exception"))?;
    let practitioner: Option<PractitionerId> = crate::rows::opt_parse(&row, "practitioner_id")?;
    touch_practitioner(tx, clinic, practitioner).await?;
    tx.audit(clinic, actor, Audit::new("delete", "schedule_exception", &id.to_string()).before(&json!({ "id": id })));
    tx.emit(clinic, EventKind::ScheduleChanged, Subjects { practitioner, ..Subjects::default() }).await?;
    Ok(super::Output::Done)
}
