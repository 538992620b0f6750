//! Loading what the slot engine needs — rules, exceptions, zones, busy time — from either a
//! write transaction or a read connection. The booking command and the availability read use
//! these same functions, so "what is offered" and "what can be booked" cannot drift apart.

use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::rows;
use jiff::civil::Date;
use nobat_core::{
    AppointmentId, Busy, BusyKind, ClinicId, Exception, HoldId, LocationZone, PractitionerId, WeeklyRule,
};

/// Every weekly rule of the clinic, or of one practitioner.
pub(crate) async fn rules(
    conn: &mut Conn,
    clinic: ClinicId,
    practitioner: Option<PractitionerId>,
) -> StoreResult<Vec<WeeklyRule>> {
    let sql = format!(
        "SELECT {} FROM schedule_rules WHERE clinic_id = $1 AND {} ORDER BY id",
        rows::RULE_COLS,
        practitioner_clause(practitioner)
    );
    let found = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(practitioner.map(|p| p.to_string()))
        .fetch_all(&mut *conn)
        .await?;
    found.iter().map(rows::rule).collect()
}

/// The clinic's exceptions dated within `[from, to]`.
pub(crate) async fn exceptions(conn: &mut Conn, clinic: ClinicId, from: Date, to: Date) -> StoreResult<Vec<Exception>> {
    let sql = format!(
        "SELECT {} FROM schedule_exceptions WHERE clinic_id = $1 AND date >= $2 AND date <= $3 ORDER BY date, id",
        rows::EXCEPTION_COLS
    );
    let found = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&mut *conn)
        .await?;
    found.iter().map(rows::exception).collect()
}

/// The clinic's services, inactive ones included: the core refuses to offer or book those
/// (`Service::active`), while their existing appointments can still be changed.
pub(crate) async fn services(conn: &mut Conn, clinic: ClinicId) -> StoreResult<Vec<nobat_core::Service>> {
    let sql = format!("SELECT {} FROM services WHERE clinic_id = $1", rows::SERVICE_COLS);
    crate::db::query(sql).bind(clinic.to_string()).fetch_all(&mut *conn).await?.iter().map(rows::service).collect()
}

/// The clinic's locations with their parsed time zones.
pub(crate) async fn zones(conn: &mut Conn, clinic: ClinicId) -> StoreResult<Vec<LocationZone>> {
    let found = crate::db::query("SELECT id, time_zone FROM locations WHERE clinic_id = $1 ORDER BY id")
        .bind(clinic.to_string())
        .fetch_all(&mut *conn)
        .await?;
    found
        .iter()
        .map(|r| {
            let name = rows::text(r, "time_zone")?;
            let tz =
                nobat_core::zones::get(&name).map_err(|e| StoreError::Corrupt(format!("time zone {name}: {e}")))?;
            Ok(LocationZone { id: rows::parse(r, "id")?, tz })
        })
        .collect()
}

/// What to leave out of the busy time: the hold a booking converts, the appointment a
/// reschedule moves.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Excluding {
    pub hold: Option<HoldId>,
    pub appointment: Option<AppointmentId>,
}

/// Busy time — time-occupying appointments and unexpired holds — whose blocks overlap
/// `[from_us, to_us)`, for the clinic or one practitioner, sorted by block start.
pub(crate) async fn busy(
    conn: &mut Conn,
    clinic: ClinicId,
    practitioner: Option<PractitionerId>,
    (from_us, to_us): (i64, i64),
    now_us: i64,
    excluding: Excluding,
) -> StoreResult<Vec<(PractitionerId, Busy)>> {
    // `block_start_us > $3 - MAX_BLOCK_US` is implied by the overlap but bounds the index scan:
    // without it every query would walk the practitioner's whole history.
    let who = practitioner_clause(practitioner);
    let sql = format!(
        "SELECT practitioner_id, id, 'a' AS kind, service_id, start_us, block_start_us, block_end_us
           FROM appointments
          WHERE clinic_id = $1 AND occupies = 1 AND {who}
            AND block_start_us < $4 AND block_start_us > $3 - {MAX_BLOCK_US} AND block_end_us > $3
            AND ($6 IS NULL OR id <> $6)
         UNION ALL
         SELECT practitioner_id, id, 'h' AS kind, service_id, start_us, block_start_us, block_end_us
           FROM holds
          WHERE clinic_id = $1 AND {who}
            AND block_start_us < $4 AND block_start_us > $3 - {MAX_BLOCK_US} AND block_end_us > $3
            AND expires_at_us > $5 AND ($7 IS NULL OR id <> $7)
         ORDER BY block_start_us"
    );
    let found = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(practitioner.map(|p| p.to_string()))
        .bind(from_us)
        .bind(to_us)
        .bind(now_us)
        .bind(excluding.appointment.map(|a| a.to_string()))
        .bind(excluding.hold.map(|h| h.to_string()))
        .fetch_all(&mut *conn)
        .await?;
    found
        .iter()
        .map(|r| {
            let kind = if rows::text(r, "kind")? == "a" { BusyKind::Appointment } else { BusyKind::Hold };
            Ok((
                rows::parse(r, "practitioner_id")?,
                Busy {
                    id: rows::parse(r, "id")?,
                    kind,
                    service: rows::parse(r, "service_id")?,
                    start: rows::ts(r, "start_us")?,
                    block_start: rows::ts(r, "block_start_us")?,
                    block_end: rows::ts(r, "block_end_us")?,
                },
            ))
        })
        .collect()
}

/// The longest block an appointment can have: a 24-hour service with 12-hour buffers on each
/// side (the limits `Service::validate` enforces).
const MAX_BLOCK_US: i64 = 48 * 3_600_000_000;

/// A condition on `practitioner_id` the planner can use an index for: two SQL texts rather
/// than `($2 IS NULL OR practitioner_id = $2)`, which neither engine can plan well.
fn practitioner_clause(p: Option<PractitionerId>) -> &'static str {
    match p {
        Some(_) => "practitioner_id = $2",
        None => "$2 IS NULL",
    }
}
