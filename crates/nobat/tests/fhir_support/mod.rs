//! Helpers of the FHIR and iCalendar tests: requests that check the FHIR dialect of every
//! answer, and the Python checkers (fhir.resources / fhirclient, icalendar) when their venvs
//! exist.
#![allow(dead_code, clippy::unwrap_used)]

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The FHIR base of a seeded clinic.
pub fn fhir(app: &TestApp, seed: &Seed) -> String {
    format!("{}/fhir/{}", app.base, seed.slug)
}

/// Checks an answer is FHIR JSON, and that an error is an OperationOutcome (never problem+json).
pub async fn fhir_decode(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(ct.starts_with("application/fhir+json"), "{status} answered as {ct}: {body}");
    if !status.is_success() {
        assert_eq!(body["resourceType"], "OperationOutcome", "{status}: {body}");
        assert_eq!(body["issue"][0]["severity"], "error", "{body}");
    }
    (status, body)
}

pub async fn get(client: &reqwest::Client, url: &str) -> (StatusCode, Value) {
    fhir_decode(client.get(url).header("accept", "application/fhir+json").send().await.unwrap()).await
}

pub async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (StatusCode, Value) {
    let res = client.post(url).header("content-type", "application/fhir+json").json(body).send().await.unwrap();
    fhir_decode(res).await
}

/// The resources of a searchset Bundle.
pub fn entries(bundle: &Value) -> Vec<Value> {
    assert_eq!(bundle["resourceType"], "Bundle", "{bundle}");
    assert_eq!(bundle["type"], "searchset", "{bundle}");
    bundle["entry"].as_array().cloned().unwrap_or_default().into_iter().map(|e| e["resource"].clone()).collect()
}

pub fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == "next")
        .and_then(|l| l["url"].as_str())
        .map(str::to_owned)
}

/// A `$book` body: the slot, a contained patient.
pub fn book_body(slot_id: &str, name: &str) -> Value {
    json!({
        "resourceType": "Appointment", "status": "booked",
        "slot": [{ "reference": format!("Slot/{slot_id}") }],
        "contained": [{ "resourceType": "Patient", "id": "p", "name": [{ "text": name }],
                        "telecom": [{ "system": "phone", "value": "+989121234567" }] }],
        "participant": [{ "actor": { "reference": "#p" }, "status": "accepted" }],
    })
}

fn venv(name: &str) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(dir).join(name));
    }
    if let Some(target) = std::env::current_exe().ok().and_then(|p| p.ancestors().nth(3).map(Path::to_path_buf)) {
        candidates.push(target.join(name));
    }
    candidates.into_iter().map(|v| v.join("bin/python")).find(|p| p.exists())
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts").join(name)
}

/// Every resource through fhir.resources 6.4.0 and fhirclient 4.4.0 (strict); false when the
/// venv is missing (scripts/fhir-venv makes it; scripts/test always does).
pub fn fhir_parsers_accept(resources: &[Value]) -> bool {
    let Some(python) = venv("fhir-venv") else {
        eprintln!("SKIPPED: no fhir-venv (run scripts/fhir-venv); the FHIR parsers did not run");
        return false;
    };
    let file = std::env::temp_dir().join(format!("nobat-fhir-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_vec(resources).unwrap()).unwrap();
    let out = std::process::Command::new(python).arg(script("fhir-check")).arg(&file).output().unwrap();
    let _ = std::fs::remove_file(&file);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(out.status.success(), "the FHIR parsers refused: {report} {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report["checked"].as_u64(), Some(resources.len() as u64));
    true
}

/// An .ics through PyPI icalendar (scripts/ics-check); None when the venv is missing.
pub fn icalendar_reads(ics: &str) -> Option<Value> {
    let Some(python) = venv("ics-venv") else {
        eprintln!("SKIPPED: no ics-venv (run scripts/ics-venv); the .ics parse check did not run");
        return None;
    };
    let file = std::env::temp_dir().join(format!("nobat-ics-{}.ics", uuid::Uuid::new_v4()));
    std::fs::write(&file, ics).unwrap();
    let out = std::process::Command::new(python).arg(script("ics-check")).arg(&file).output().unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "icalendar refused the file: {}\n{ics}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}
