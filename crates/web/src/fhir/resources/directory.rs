//! Practitioner, PractitionerRole, Location, HealthcareService and Schedule.

use super::{SERVICE_SYSTEM, reference, service_type};
use nobat_core::{LocationId, Service, ServiceId};
use nobat_store::model::{Location, Practitioner};
use serde_json::{Value, json};

fn language(code: &str) -> Value {
    json!({ "coding": [{ "system": "urn:ietf:bcp:47", "code": code }] })
}

pub fn practitioner(p: &Practitioner) -> Value {
    let mut r = json!({ "resourceType": "Practitioner", "id": p.id.to_string(), "active": p.active,
                        "name": [{ "text": p.name }] });
    if !p.languages.is_empty() {
        r["communication"] = p.languages.iter().map(|l| language(l)).collect();
    }
    r
}

/// One role per practitioner (its id is the practitioner's): where their rules put them and
/// which services those rules offer (all of the clinic's when a rule names none).
pub fn practitioner_role(p: &Practitioner, locations: &[LocationId], services: &[&Service]) -> Value {
    let mut r = json!({
        "resourceType": "PractitionerRole", "id": p.id.to_string(), "active": p.active,
        "practitioner": reference("Practitioner", p.id, Some(&p.name)),
    });
    if !locations.is_empty() {
        r["location"] = locations.iter().map(|l| reference("Location", l, None)).collect();
    }
    if !services.is_empty() {
        r["healthcareService"] = services.iter().map(|s| reference("HealthcareService", s.id, Some(&s.name))).collect();
    }
    if !p.specialties.is_empty() {
        r["specialty"] = p.specialties.iter().map(|s| json!({ "text": s })).collect();
    }
    r
}

pub fn location(l: &Location) -> Value {
    let mut r = json!({
        "resourceType": "Location", "id": l.id.to_string(), "status": "active", "name": l.name, "mode": "instance",
        // R4 has no time zone element; this is the core extension R5 made standard.
        "extension": [{ "url": "http://hl7.org/fhir/StructureDefinition/timezone", "valueCode": l.time_zone }],
    });
    if !l.address.trim().is_empty() {
        r["address"] = json!({ "text": l.address });
    }
    if let Some(phone) = l.phone.as_deref().filter(|p| !p.is_empty()) {
        r["telecom"] = json!([{ "system": "phone", "value": phone, "use": "work" }]);
    }
    if let (Some(lat), Some(lon)) = (l.latitude, l.longitude) {
        r["position"] = json!({ "latitude": lat, "longitude": lon });
    }
    r
}

pub fn healthcare_service(s: &Service) -> Value {
    json!({
        "resourceType": "HealthcareService", "id": s.id.to_string(), "active": s.active, "name": s.name,
        "type": [service_type(s)],
        "comment": format!("{} minutes", s.duration_min),
    })
}

/// A practitioner's Schedule (its id is the practitioner's): one calendar per practitioner,
/// whichever location each slot is at.
pub fn schedule(p: &Practitioner, services: &[&Service]) -> Value {
    let mut r = json!({
        "resourceType": "Schedule", "id": p.id.to_string(), "active": p.active,
        "actor": [reference("Practitioner", p.id, Some(&p.name))],
    });
    if !services.is_empty() {
        r["serviceType"] = services.iter().map(|s| service_type(s)).collect();
    }
    r
}

/// The service a `serviceType` token names (`code` or `urn:nobat:service|code`).
pub fn service_code(value: &str) -> Option<ServiceId> {
    let (system, code) = value.rsplit_once('|').map_or((None, value), |(s, c)| (Some(s), c));
    if system.is_some_and(|s| !s.is_empty() && s != SERVICE_SYSTEM) {
        return None;
    }
    code.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nobat_core::{ClinicId, PractitionerId};

    fn doctor() -> Practitioner {
        Practitioner {
            id: PractitionerId::new(),
            clinic: ClinicId::new(),
            name: "Dr. Karimi".into(),
            specialties: vec!["Cardiology".into()],
            languages: vec!["fa".into(), "en".into()],
            active: true,
        }
    }

    #[test]
    fn practitioner_and_role_and_schedule_point_at_each_other() {
        let p = doctor();
        let r = practitioner(&p);
        assert_eq!(
            (r["resourceType"].as_str(), r["name"][0]["text"].as_str()),
            (Some("Practitioner"), Some("Dr. Karimi"))
        );
        assert_eq!(r["communication"][0]["coding"][0]["code"], "fa");
        let loc = LocationId::new();
        let role = practitioner_role(&p, &[loc], &[]);
        assert_eq!(role["practitioner"]["reference"], format!("Practitioner/{}", p.id));
        assert_eq!(role["location"][0]["reference"], format!("Location/{loc}"));
        assert!(role.get("healthcareService").is_none(), "no empty arrays: FHIR forbids them");
        let s = schedule(&p, &[]);
        assert_eq!(s["actor"][0]["reference"], format!("Practitioner/{}", p.id));
    }

    #[test]
    fn location_has_its_zone_and_no_empty_address() {
        let l = Location {
            id: LocationId::new(),
            clinic: ClinicId::new(),
            name: "Tehran".into(),
            time_zone: "Asia/Tehran".into(),
            address: " ".into(),
            latitude: Some(35.7),
            longitude: None,
            phone: Some("+982188776655".into()),
        };
        let r = location(&l);
        assert_eq!(r["telecom"], json!([{ "system": "phone", "value": "+982188776655", "use": "work" }]));
        assert_eq!(r["extension"][0]["valueCode"], "Asia/Tehran");
        assert!(r.get("address").is_none());
        assert!(r.get("position").is_none(), "a position needs both coordinates");
    }

    #[test]
    fn service_codes_accept_our_system_only() {
        let id = ServiceId::new();
        assert_eq!(service_code(&id.to_string()), Some(id));
        assert_eq!(service_code(&format!("{SERVICE_SYSTEM}|{id}")), Some(id));
        assert_eq!(service_code(&format!("|{id}")), Some(id));
        assert_eq!(service_code(&format!("http://snomed.info/sct|{id}")), None);
    }
}
