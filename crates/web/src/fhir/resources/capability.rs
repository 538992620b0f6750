//! The CapabilityStatement: exactly what `/fhir/{clinic}` implements — kept next to the search
//! parameters each handler accepts (`super::super::handlers`), which refuse any other.

use serde_json::{Value, json};

/// Resource type, search parameters (name, type) and whether it is public.
pub const RESOURCES: &[(&str, &[(&str, &str)])] = &[
    ("Practitioner", &[("_id", "token"), ("active", "token")]),
    ("PractitionerRole", &[("_id", "token"), ("practitioner", "reference")]),
    ("Location", &[("_id", "token")]),
    ("HealthcareService", &[("_id", "token"), ("active", "token")]),
    ("Schedule", &[("_id", "token"), ("actor", "reference"), ("active", "token")]),
    (
        "Slot",
        &[
            ("schedule", "reference"),
            ("service-type", "token"),
            ("start", "date"),
            ("end", "date"),
            ("status", "token"),
        ],
    ),
    (
        "Appointment",
        &[
            ("_id", "token"),
            ("date", "date"),
            ("start", "date"),
            ("end", "date"),
            ("status", "token"),
            ("actor", "reference"),
            ("practitioner", "reference"),
            ("patient", "reference"),
            ("location", "reference"),
            ("service-type", "token"),
        ],
    ),
    (
        "Patient",
        &[
            ("_id", "token"),
            ("identifier", "token"),
            ("name", "string"),
            ("telecom", "token"),
            ("phone", "token"),
            ("email", "token"),
        ],
    ),
];

/// The operations on Appointment (IHE ITI Scheduling's definitions).
pub const OPERATIONS: &[(&str, &str)] = &[
    ("find", "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-find"),
    ("hold", "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-hold"),
    ("book", "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-book"),
];

pub fn capability_statement(base: &str, version: &str, date: &str) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .map(|(kind, params)| {
            let mut r = json!({
                "type": kind,
                "interaction": [{ "code": "read" }, { "code": "search-type" }],
                "searchParam": params.iter().map(|(n, t)| {
                    let mut p = json!({ "name": n, "type": t });
                    if *n == "end" {
                        p["documentation"] = json!("Not in FHIR R4: matches whose end is within the bound (ge/gt/le/lt)");
                    }
                    p
                }).collect::<Vec<_>>(),
            });
            if *kind == "Appointment" {
                r["operation"] = OPERATIONS.iter().map(|(n, d)| json!({ "name": n, "definition": d })).collect();
            }
            if matches!(*kind, "Appointment" | "Patient") {
                r["documentation"] = json!("Clinic staff only: a session cookie or a bearer token, as the REST API");
            }
            r
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": { "name": "Nobat", "version": version },
        "implementation": { "description": "Nobat FHIR R4 scheduling API", "url": base },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{ "mode": "server", "resource": resources }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_resource_and_the_three_operations() {
        let c = capability_statement("http://x/fhir/c", "0.1.0", "2026-11-30");
        assert_eq!(c["fhirVersion"], "4.0.1");
        let res = c["rest"][0]["resource"].as_array().cloned().unwrap_or_default();
        assert_eq!(res.len(), RESOURCES.len());
        let appt = res.iter().find(|r| r["type"] == "Appointment").cloned().unwrap_or_default();
        assert_eq!(appt["operation"].as_array().map(Vec::len), Some(3));
    }
}
