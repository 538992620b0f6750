//! Patient (staff only): name, phone, email, preferred language.

use serde_json::{Value, json};

/// Our patients' identifier system: the value is the record's id (what `identifier` searches).
pub const IDENTIFIER_SYSTEM: &str = "urn:nobat:patient";

pub fn patient(p: &nobat_store::model::Patient) -> Value {
    let mut r = json!({ "resourceType": "Patient", "id": p.id.to_string(), "active": true,
                        "identifier": [{ "system": IDENTIFIER_SYSTEM, "value": p.id.to_string() }] });
    // An erased patient keeps the row with nothing in it; FHIR forbids empty strings.
    if !p.name.trim().is_empty() {
        r["name"] = json!([{ "text": p.name }]);
    }
    let mut telecom = Vec::new();
    if let Some(phone) = p.phone.as_deref().filter(|s| !s.is_empty()) {
        telecom.push(json!({ "system": "phone", "value": phone }));
    }
    if let Some(email) = p.email.as_deref().filter(|s| !s.is_empty()) {
        telecom.push(json!({ "system": "email", "value": email }));
    }
    if !telecom.is_empty() {
        r["telecom"] = json!(telecom);
    }
    if let Some(lang) = p.language.as_deref().filter(|s| !s.is_empty()) {
        r["communication"] =
            json!([{ "language": { "coding": [{ "system": "urn:ietf:bcp:47", "code": lang }] }, "preferred": true }]);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use nobat_core::{ClinicId, PatientId};

    #[test]
    fn contacts_become_telecom_and_nothing_is_empty() {
        let p = nobat_store::model::Patient {
            id: PatientId::new(),
            clinic: ClinicId::new(),
            name: "Sara".into(),
            phone: Some("+989121234567".into()),
            email: None,
            language: Some("fa".into()),
        };
        let r = patient(&p);
        assert_eq!(r["telecom"], json!([{ "system": "phone", "value": "+989121234567" }]));
        assert_eq!(r["communication"][0]["language"]["coding"][0]["code"], "fa");
        let erased = nobat_store::model::Patient { name: String::new(), phone: None, language: None, ..p };
        let r = patient(&erased);
        assert!(r.get("name").is_none() && r.get("telecom").is_none() && r.get("communication").is_none());
    }
}
