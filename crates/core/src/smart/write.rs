//! The strict writer: what a conforming publisher serves. One minified resource per line;
//! instants as `YYYY-MM-DDThh:mm:ss±hh:mm` in the location's own offset (the spec asks for
//! seconds and an offset; `Z` is written `+00:00`).

use super::model::{Location, Manifest, Schedule, Slot};
use super::{BOOKING_DEEP_LINK, BOOKING_PHONE, SLOT_CAPACITY};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

/// `2026-12-01T09:00:00+03:30`: seconds and offset always present.
pub fn instant(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Whether `id` fits the spec: 1–64 characters of `[A-Za-z0-9-.]`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The manifest, pretty-printed (it is read by people too).
pub fn manifest(m: &Manifest) -> String {
    let output: Vec<Value> = m
        .outputs
        .iter()
        .map(|o| {
            let mut v = json!({ "type": o.kind.as_str(), "url": o.url });
            if !o.states.is_empty() {
                v["extension"] = json!({ "state": o.states });
            }
            v
        })
        .collect();
    let doc = json!({
        "transactionTime": m.transaction_time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "request": m.request,
        "output": output,
        "error": [],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

pub fn location(l: &Location) -> Value {
    let mut telecom = Vec::new();
    if let Some(p) = &l.phone {
        telecom.push(json!({ "system": "phone", "value": p }));
    }
    if let Some(u) = &l.url {
        telecom.push(json!({ "system": "url", "value": u }));
    }
    let mut address = json!({
        "line": l.address.lines, "city": l.address.city, "state": l.address.state,
        "postalCode": l.address.postal_code,
    });
    if let Some(d) = &l.address.district {
        address["district"] = json!(d);
    }
    let identifiers: Vec<Value> =
        l.identifiers.iter().map(|i| json!({ "system": i.system, "value": i.code })).collect();
    let mut v = json!({
        "resourceType": "Location", "id": l.id, "name": l.name, "telecom": telecom,
        "address": address, "identifier": identifiers,
    });
    if let Some(d) = &l.description {
        v["description"] = json!(d);
    }
    v
}

pub fn schedule(s: &Schedule) -> Value {
    let mut actors = vec![json!({ "reference": format!("Location/{}", s.location) })];
    for a in &s.other_actors {
        let mut actor = json!({ "reference": a });
        if let Some(d) = &s.display {
            actor["display"] = json!(d);
        }
        actors.push(actor);
    }
    let codings: Vec<Value> = s
        .service_types
        .iter()
        .map(|c| {
            let mut v = json!({ "system": c.system, "code": c.code });
            if let Some(d) = &c.display {
                v["display"] = json!(d);
            }
            v
        })
        .collect();
    json!({
        "resourceType": "Schedule", "id": s.id,
        "serviceType": [{ "coding": codings }],
        "actor": actors,
    })
}

/// A Slot in `tz` (the location's zone).
pub fn slot(s: &Slot, tz: &TimeZone) -> Value {
    let mut ext: Vec<Value> =
        s.booking_links.iter().map(|l| json!({ "url": BOOKING_DEEP_LINK, "valueUrl": l })).collect();
    if let Some(p) = &s.booking_phone {
        ext.push(json!({ "url": BOOKING_PHONE, "valueString": p }));
    }
    ext.push(json!({ "url": SLOT_CAPACITY, "valueInteger": s.capacity }));
    json!({
        "resourceType": "Slot", "id": s.id,
        "schedule": { "reference": format!("Schedule/{}", s.schedule) },
        "status": s.status.as_str(),
        "start": instant(s.start, tz), "end": instant(s.end, tz),
        "extension": ext,
    })
}

/// Lines to NDJSON: one minified resource per line, each ending in `\n`.
pub fn ndjson<'a>(lines: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for v in lines {
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}
