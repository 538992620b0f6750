//! Appointment: a booked (or later) appointment, a hold as a `pending` one, a free slot as a
//! `proposed` one ($find).

use super::slot::{SlotKey, slot};
use super::{instant, reference, service_type};
use jiff::tz::TimeZone;
use nobat_core::{AppointmentStatus, Service};
use nobat_store::model::{Appointment, Hold};
use serde_json::{Value, json};

/// The extension that says until when a pending (held) appointment keeps its slot.
pub const HOLD_EXPIRES: &str = "urn:nobat:fhir:hold-expires";
/// The extension that carries a guest's hold token (send it back to `$book`).
pub const HOLD_TOKEN: &str = "urn:nobat:fhir:hold-token";
/// Ids of pending appointments (holds) carry this prefix: they are not appointments yet.
pub const HOLD_PREFIX: &str = "hold-";

fn minutes(a: jiff::Timestamp, b: jiff::Timestamp) -> i64 {
    b.duration_since(a).as_mins()
}

pub fn appointment(a: &Appointment, service: Option<&Service>, zone: &TimeZone) -> Value {
    let key = SlotKey { practitioner: a.practitioner, service: a.service, start: a.start };
    let final_ = matches!(a.status, AppointmentStatus::Cancelled | AppointmentStatus::Noshow);
    let mut r = json!({
        "resourceType": "Appointment", "id": a.id.to_string(), "status": a.status.as_str(),
        "start": instant(a.start, zone), "end": instant(a.end, zone),
        "minutesDuration": minutes(a.start, a.end),
        "created": instant(a.created_at, zone),
        "slot": [reference("Slot", key.id(), None)],
        "participant": [
            { "actor": reference("Patient", a.patient, None), "required": "required",
              "status": if a.status == AppointmentStatus::Cancelled { "declined" } else { "accepted" } },
            { "actor": reference("Practitioner", a.practitioner, None), "required": "required", "status": "accepted" },
            { "actor": reference("Location", a.location, None), "required": "required", "status": "accepted" },
        ],
    });
    if let Some(s) = service {
        r["serviceType"] = json!([service_type(s)]);
    }
    if let Some(n) = a.note.as_deref().filter(|n| !n.is_empty()) {
        r["comment"] = json!(n);
    }
    // app-4: a cancellation reason only on cancelled or no-show appointments.
    if let Some(reason) = a.cancel_reason.as_deref().filter(|n| final_ && !n.is_empty()) {
        r["cancelationReason"] = json!({ "text": reason });
    }
    r
}

/// A hold, as IHE ITI-116 and Medplum's `$hold` answer it: a `pending` appointment whose slot
/// (contained) is `busy-tentative` until `expires_at`.
pub fn pending(h: &Hold, service: &Service, zone: &TimeZone, guest_token: Option<&str>) -> Value {
    let key = SlotKey { practitioner: h.practitioner, service: h.service, start: h.start };
    let mut held = slot(&key, h.end, service, zone, "busy-tentative", None);
    held["id"] = json!("held");
    let mut ext = vec![json!({ "url": HOLD_EXPIRES, "valueInstant": instant(h.expires_at, zone) })];
    if let Some(t) = guest_token {
        ext.push(json!({ "url": HOLD_TOKEN, "valueString": t }));
    }
    json!({
        "resourceType": "Appointment", "id": format!("{HOLD_PREFIX}{}", h.id),
        "contained": [held],
        "extension": ext,
        "status": "pending",
        "serviceType": [service_type(service)],
        "start": instant(h.start, zone), "end": instant(h.end, zone),
        "minutesDuration": minutes(h.start, h.end),
        "slot": [{ "reference": "#held" }],
        "participant": [
            { "actor": reference("Practitioner", h.practitioner, None), "required": "required", "status": "accepted" },
            { "actor": reference("Location", h.location, None), "required": "required", "status": "accepted" },
            // The patient is named when the hold is booked.
            { "type": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "SBJ" }] }],
              "required": "required", "status": "needs-action" },
        ],
    })
}

/// A free slot as `$find` proposes it (IHE ITI-115): a `proposed` appointment, no id.
pub fn proposed(s: &nobat_core::Slot, service: &Service, zone: &TimeZone) -> Value {
    let key = SlotKey { practitioner: s.practitioner, service: s.service, start: s.start };
    json!({
        "resourceType": "Appointment", "status": "proposed",
        "serviceType": [service_type(service)],
        "start": instant(s.start, zone), "end": instant(s.end, zone),
        "minutesDuration": minutes(s.start, s.end),
        "slot": [reference("Slot", key.id(), None)],
        "participant": [
            { "actor": reference("Practitioner", s.practitioner, None), "required": "required", "status": "needs-action" },
            { "actor": reference("Location", s.location, None), "required": "required", "status": "needs-action" },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nobat_core::*;

    fn service() -> Service {
        Service {
            id: ServiceId::new(),
            clinic: ClinicId::new(),
            name: "Consult".into(),
            duration_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            capacity: 1,
            slot_step_min: 30,
            min_notice_min: 0,
            horizon_days: 90,
            cancel_cutoff_min: 0,
            reschedule_cutoff_min: 0,
            active: true,
        }
    }

    fn booked(status: AppointmentStatus) -> Appointment {
        let start: jiff::Timestamp = "2026-03-10T05:30:00Z".parse().unwrap_or_else(|_| unreachable!());
        Appointment {
            id: AppointmentId::new(),
            clinic: ClinicId::new(),
            location: LocationId::new(),
            practitioner: PractitionerId::new(),
            service: ServiceId::new(),
            patient: PatientId::new(),
            start,
            end: start + jiff::SignedDuration::from_mins(30),
            status,
            note: None,
            cancel_reason: Some("moved away".into()),
            override_note: None,
            rescheduled_from: None,
            rescheduled_to: None,
            created_at: start,
            updated_at: start,
        }
    }

    #[test]
    fn booked_has_times_participants_and_its_slot_and_no_reason() {
        let a = booked(AppointmentStatus::Booked);
        let r = appointment(&a, Some(&service()), &TimeZone::UTC);
        assert_eq!(r["status"], "booked");
        assert_eq!(r["minutesDuration"], 30);
        assert_eq!(r["participant"].as_array().map(Vec::len), Some(3));
        assert!(r.get("cancelationReason").is_none(), "app-4");
        let slot = r["slot"][0]["reference"].as_str().unwrap_or_default();
        let key = SlotKey::parse(slot.trim_start_matches("Slot/"));
        assert_eq!(key.map(|k| (k.practitioner, k.start)), Some((a.practitioner, a.start)));
        let c = appointment(&booked(AppointmentStatus::Cancelled), None, &TimeZone::UTC);
        assert_eq!(c["cancelationReason"]["text"], "moved away");
        assert_eq!(c["participant"][0]["status"], "declined");
    }

    #[test]
    fn a_hold_is_pending_with_a_busy_tentative_contained_slot() {
        let s = service();
        let start: jiff::Timestamp = "2026-03-10T05:30:00Z".parse().unwrap_or_else(|_| unreachable!());
        let h = Hold {
            id: HoldId::new(),
            clinic: s.clinic,
            location: LocationId::new(),
            practitioner: PractitionerId::new(),
            service: s.id,
            start,
            end: start + jiff::SignedDuration::from_mins(30),
            expires_at: start,
            owner: None,
        };
        let r = pending(&h, &s, &TimeZone::UTC, Some("tok"));
        assert_eq!(r["status"], "pending");
        assert_eq!(r["contained"][0]["status"], "busy-tentative");
        assert_eq!(r["slot"][0]["reference"], "#held");
        assert!(r["id"].as_str().is_some_and(|i| i.starts_with(HOLD_PREFIX) && i.len() <= 64));
        assert_eq!(r["extension"][1]["valueString"], "tok");
    }
}
