//! Reading rows back into records, and the column lists that go with them. Instants are
//! INTEGER microseconds, ids TEXT, lists JSON TEXT — the same on both engines.

use crate::db::Row;
use crate::error::{StoreError, StoreResult};
use crate::model::{Appointment, Clinic, Hold, Location, Patient, Practitioner};
use jiff::Timestamp;
use jiff::civil::Date;
use nobat_core::{DayMinutes, Exception, ExceptionKind, Service, Weekdays, WeeklyRule};
use std::str::FromStr;

pub(crate) fn text(row: &Row, col: &str) -> StoreResult<String> {
    row.text(col)
}

pub(crate) fn opt_text(row: &Row, col: &str) -> StoreResult<Option<String>> {
    row.opt_text(col)
}

pub(crate) fn int(row: &Row, col: &str) -> StoreResult<i64> {
    row.int(col)
}

pub(crate) fn opt_int(row: &Row, col: &str) -> StoreResult<Option<i64>> {
    row.opt_int(col)
}

pub(crate) fn u32_col(row: &Row, col: &str) -> StoreResult<u32> {
    u32::try_from(int(row, col)?).map_err(|_| StoreError::Corrupt(format!("{col} out of range")))
}

pub(crate) fn parse<T: FromStr>(row: &Row, col: &str) -> StoreResult<T> {
    let s = text(row, col)?;
    s.parse().map_err(|_| StoreError::Corrupt(format!("{col}: cannot read `{s}`")))
}

pub(crate) fn opt_parse<T: FromStr>(row: &Row, col: &str) -> StoreResult<Option<T>> {
    opt_text(row, col)?
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt(format!("{col}: cannot read `{s}`"))))
        .transpose()
}

pub(crate) fn ts(row: &Row, col: &str) -> StoreResult<Timestamp> {
    micros(int(row, col)?)
}

pub(crate) fn micros(us: i64) -> StoreResult<Timestamp> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(row: &Row, col: &str) -> StoreResult<T> {
    serde_json::from_str(&text(row, col)?).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn minutes(v: i64, col: &str) -> StoreResult<DayMinutes> {
    u16::try_from(v)
        .ok()
        .and_then(|m| DayMinutes::new(m).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("{col}: {v} is not a time of day")))
}

pub(crate) const CLINIC_COLS: &str =
    "id, slug, name, default_language, require_staff_2fa, verify_guest_contact, retention_days, country";

pub(crate) fn clinic(row: &Row) -> StoreResult<Clinic> {
    Ok(Clinic {
        id: parse(row, "id")?,
        slug: text(row, "slug")?,
        name: text(row, "name")?,
        default_language: text(row, "default_language")?,
        country: opt_text(row, "country")?,
        security: clinic_security(row)?,
    })
}

pub(crate) fn clinic_security(row: &Row) -> StoreResult<crate::identity::ClinicSecurity> {
    Ok(crate::identity::ClinicSecurity {
        require_staff_2fa: int(row, "require_staff_2fa")? != 0,
        verify_guest_contact: int(row, "verify_guest_contact")? != 0,
        retention_days: opt_int(row, "retention_days")?.and_then(|d| u32::try_from(d).ok()),
    })
}

pub(crate) const LOCATION_COLS: &str = "clinic_id, id, name, time_zone, address, latitude, longitude, phone";

pub(crate) fn location(row: &Row) -> StoreResult<Location> {
    Ok(Location {
        id: parse(row, "id")?,
        clinic: parse(row, "clinic_id")?,
        name: text(row, "name")?,
        time_zone: text(row, "time_zone")?,
        address: text(row, "address")?,
        latitude: row.opt_real("latitude")?,
        longitude: row.opt_real("longitude")?,
        phone: opt_text(row, "phone")?,
    })
}

pub(crate) const PRACTITIONER_COLS: &str = "clinic_id, id, name, specialties, languages, active";

pub(crate) fn practitioner(row: &Row) -> StoreResult<Practitioner> {
    Ok(Practitioner {
        id: parse(row, "id")?,
        clinic: parse(row, "clinic_id")?,
        name: text(row, "name")?,
        specialties: json(row, "specialties")?,
        languages: json(row, "languages")?,
        active: int(row, "active")? != 0,
    })
}

pub(crate) const SERVICE_COLS: &str = "clinic_id, id, name, duration_min, buffer_before_min, buffer_after_min, \
     capacity, slot_step_min, min_notice_min, horizon_days, cancel_cutoff_min, reschedule_cutoff_min, active";

pub(crate) fn service(row: &Row) -> StoreResult<Service> {
    Ok(Service {
        id: parse(row, "id")?,
        clinic: parse(row, "clinic_id")?,
        name: text(row, "name")?,
        duration_min: u32_col(row, "duration_min")?,
        buffer_before_min: u32_col(row, "buffer_before_min")?,
        buffer_after_min: u32_col(row, "buffer_after_min")?,
        capacity: u32_col(row, "capacity")?,
        slot_step_min: u32_col(row, "slot_step_min")?,
        min_notice_min: u32_col(row, "min_notice_min")?,
        horizon_days: u32_col(row, "horizon_days")?,
        cancel_cutoff_min: u32_col(row, "cancel_cutoff_min")?,
        reschedule_cutoff_min: u32_col(row, "reschedule_cutoff_min")?,
        active: int(row, "active")? != 0,
    })
}

pub(crate) const RULE_COLS: &str =
    "id, practitioner_id, location_id, weekdays, start_min, end_min, breaks, valid_from, valid_until, services";

pub(crate) fn rule(row: &Row) -> StoreResult<WeeklyRule> {
    let breaks: Vec<(i64, i64)> = json(row, "breaks")?;
    let bits = u8::try_from(int(row, "weekdays")?).map_err(|_| StoreError::Corrupt("weekdays".into()))?;
    Ok(WeeklyRule {
        id: parse(row, "id")?,
        practitioner: parse(row, "practitioner_id")?,
        location: parse(row, "location_id")?,
        weekdays: Weekdays::from_bits(bits).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        start: minutes(int(row, "start_min")?, "start_min")?,
        end: minutes(int(row, "end_min")?, "end_min")?,
        breaks: breaks
            .into_iter()
            .map(|(s, e)| Ok((minutes(s, "breaks")?, minutes(e, "breaks")?)))
            .collect::<StoreResult<_>>()?,
        valid_from: parse::<Date>(row, "valid_from")?,
        valid_until: opt_parse::<Date>(row, "valid_until")?,
        services: json(row, "services")?,
    })
}

pub(crate) const EXCEPTION_COLS: &str = "id, practitioner_id, location_id, date, kind, start_min, end_min";

pub(crate) fn exception(row: &Row) -> StoreResult<Exception> {
    let kind = match text(row, "kind")?.as_str() {
        "closed" => ExceptionKind::Closed,
        "extra" => ExceptionKind::Extra,
        other => return Err(StoreError::Corrupt(format!("exception kind `{other}`"))),
    };
    Ok(Exception {
        id: parse(row, "id")?,
        practitioner: opt_parse(row, "practitioner_id")?,
        location: opt_parse(row, "location_id")?,
        date: parse(row, "date")?,
        kind,
        start: opt_int(row, "start_min")?.map(|m| minutes(m, "start_min")).transpose()?,
        end: opt_int(row, "end_min")?.map(|m| minutes(m, "end_min")).transpose()?,
    })
}

pub(crate) const PATIENT_COLS: &str = "clinic_id, id, name, phone, email, language";

pub(crate) fn patient(row: &Row) -> StoreResult<Patient> {
    Ok(Patient {
        id: parse(row, "id")?,
        clinic: parse(row, "clinic_id")?,
        name: text(row, "name")?,
        phone: opt_text(row, "phone")?,
        email: opt_text(row, "email")?,
        language: opt_text(row, "language")?,
    })
}

pub(crate) const APPOINTMENT_COLS: &str = "clinic_id, id, location_id, practitioner_id, service_id, patient_id, \
     start_us, end_us, status, note, cancel_reason, override_note, rescheduled_from, rescheduled_to, \
     created_at_us, updated_at_us";

pub(crate) fn appointment(row: &Row) -> StoreResult<Appointment> {
    Ok(Appointment {
        id: parse(row, "id")?,
        clinic: parse(row, "clinic_id")?,
        location: parse(row, "location_id")?,
        practitioner: parse(row, "practitioner_id")?,
        service: parse(row, "service_id")?,
        patient: parse(row, "patient_id")?,
        start: ts(row, "start_us")?,
        end: ts(row, "end_us")?,
        status: parse(row, "status")?,
        note: opt_text(row, "note")?,
        cancel_reason: opt_text(row, "cancel_reason")?,
        override_note: opt_text(row, "override_note")?,
        rescheduled_from: opt_parse(row, "rescheduled_from")?,
        rescheduled_to: opt_parse(row, "rescheduled_to")?,
        created_at: ts(row, "created_at_us")?,
        updated_at: ts(row, "updated_at_us")?,
    })
}

pub(crate) const HOLD_COLS: &str =
    "clinic_id, id, location_id, practitioner_id, service_id, start_us, end_us, expires_at_us, owner";

pub(crate) fn hold(row: &Row) -> StoreResult<Hold> {
    Ok(Hold {
        id: parse(row, "id")?,
        clinic: parse(row, "clinic_id")?,
        location: parse(row, "location_id")?,
        practitioner: parse(row, "practitioner_id")?,
        service: parse(row, "service_id")?,
        start: ts(row, "start_us")?,
        end: ts(row, "end_us")?,
        expires_at: ts(row, "expires_at_us")?,
        owner: opt_text(row, "owner")?,
    })
}
