//! Domain → FHIR R4 resources: pure functions (no I/O), each unit-tested. Values FHIR has no
//! code system for (our services) are coded in `urn:nobat:service` with their id.

pub mod appointment;
pub mod capability;
pub mod directory;
pub mod patient;
pub mod slot;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

/// The code system of our services (HealthcareService ids).
pub const SERVICE_SYSTEM: &str = "urn:nobat:service";

/// A FHIR `instant`: seconds and the offset in force at `zone` (the location's wall clock).
pub fn instant(t: Timestamp, zone: &TimeZone) -> String {
    t.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// `{"reference": "Kind/id"}`, with a display when given.
pub fn reference(kind: &str, id: impl std::fmt::Display, display: Option<&str>) -> Value {
    let mut r = json!({ "reference": format!("{kind}/{id}") });
    if let Some(d) = display {
        r["display"] = json!(d);
    }
    r
}

/// A service as a CodeableConcept (`serviceType`).
pub fn service_type(service: &nobat_core::Service) -> Value {
    json!({ "coding": [{ "system": SERVICE_SYSTEM, "code": service.id.to_string(), "display": service.name }],
            "text": service.name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_carry_seconds_and_the_local_offset() {
        let t: Timestamp = "2026-03-10T05:30:00Z".parse().unwrap_or_else(|_| unreachable!());
        let tehran = nobat_core::zones::get("Asia/Tehran").unwrap_or(TimeZone::UTC);
        assert_eq!(instant(t, &tehran), "2026-03-10T09:00:00+03:30");
        assert_eq!(instant(t, &TimeZone::UTC), "2026-03-10T05:30:00+00:00");
    }
}
