//! Building SMART Scheduling Links data for tests: single NDJSON lines, and a deliberately
//! messy feed with the defects real publishers produce (prior-art.md §3.9, the univaf
//! consumer's lessons), so an importer can be shown to skip and report instead of failing.

use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

const REGISTRY: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition";
const VTRCKS: &str = "https://cdc.gov/vaccines/programs/vtrcks";

/// A Location line.
pub fn location(id: &str, name: &str, city: &str, identifiers: &[&str]) -> String {
    let ids: Vec<Value> = identifiers.iter().map(|v| json!({ "system": VTRCKS, "value": v })).collect();
    json!({
        "resourceType": "Location", "id": id, "name": name,
        "telecom": [{ "system": "phone", "value": "000-000-0000" }],
        "address": { "line": ["1 Main St"], "city": city, "state": "MA", "postalCode": "02114" },
        "identifier": ids,
    })
    .to_string()
}

/// A Schedule line whose actors are these references (`Location/1`, `PractitionerRole/7`…).
pub fn schedule(id: &str, actors: &[&str]) -> String {
    let actors: Vec<Value> = actors.iter().map(|r| json!({ "reference": r })).collect();
    json!({
        "resourceType": "Schedule", "id": id, "actor": actors,
        "serviceType": [{ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/service-type",
            "code": "57", "display": "Immunization"
        }]}],
    })
    .to_string()
}

/// A Slot line. `start`/`end` are written as given (so off-spec forms can be made);
/// `links` become `booking-deep-link` extensions, in order.
pub fn slot(
    id: &str,
    schedule_id: &str,
    start: &str,
    end: &str,
    status: &str,
    links: &[&str],
    capacity: Option<i64>,
) -> String {
    let mut ext: Vec<Value> =
        links.iter().map(|l| json!({ "url": format!("{REGISTRY}/booking-deep-link"), "valueUrl": l })).collect();
    ext.push(json!({ "url": format!("{REGISTRY}/booking-phone"), "valueString": "000-000-0000" }));
    if let Some(c) = capacity {
        ext.push(json!({ "url": format!("{REGISTRY}/slot-capacity"), "valueInteger": c }));
    }
    json!({
        "resourceType": "Slot", "id": id,
        "schedule": { "reference": format!("Schedule/{schedule_id}") },
        "status": status, "start": start, "end": end, "extension": ext,
    })
    .to_string()
}

/// What [`messy_feed`] contains, so a test can assert the import outcome.
pub struct MessyFeed {
    /// `(file name, resource type, NDJSON body)`, ready for [`crate::SmartFeed::set_file`].
    pub files: Vec<(String, String, String)>,
    /// Free slots an importer can use (ids).
    pub usable_free_slots: Vec<&'static str>,
    /// Busy slots (usable, not free).
    pub busy_slots: Vec<&'static str>,
    /// Slot ids to skip, with why.
    pub skipped_slots: Vec<(&'static str, &'static str)>,
    /// Schedules to skip, with why.
    pub skipped_schedules: Vec<(&'static str, &'static str)>,
    /// Lines that are blank or not JSON, per file.
    pub bad_lines: usize,
}

/// A small feed with one of each defect, slots starting on `day_start` (e.g. next Monday
/// 09:00 UTC, so watches for "next week" can match):
/// - Location `L-null` has identifiers `"null"`, `""` and `"unknown"` (only junk);
/// - Schedule `S-multi` lists a PractitionerRole before its Location;
/// - Schedule `S-noloc` points at a Location that does not exist;
/// - Slot `slot-nosec` has timestamps without seconds, and its end has no offset;
/// - Slot `slot-links` has two deep links, the first already with a query string;
/// - Slot `slot-orphan` points at a missing Schedule; `slot-noloc` at `S-noloc`;
/// - Slot `slot-nostart` has no `start`;
/// - each file has blank lines and one corrupt line.
pub fn messy_feed(day_start: Timestamp) -> MessyFeed {
    let t = |mins: i64| {
        let ts = day_start + mins.minutes();
        ts.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    };
    let no_seconds = day_start + 120.minutes();
    let locations = [
        location("L-ok", "Clinic Ok", "Boston", &["PIN-OK"]),
        String::new(),
        location("L-null", "Clinic Null Ids", "Worcester", &["null", "", "unknown"]),
        r#"{"resourceType":"Location","id":"L-broken","#.to_owned(),
        String::new(),
    ];
    let schedules = [
        schedule("S-ok", &["Location/L-ok"]),
        schedule("S-multi", &["PractitionerRole/PR-1", "Location/L-null"]),
        "   ".to_owned(),
        schedule("S-noloc", &["Location/L-missing"]),
        "not json".to_owned(),
    ];
    let mut nostart: Value =
        serde_json::from_str(&slot("slot-nostart", "S-ok", "", &t(30), "free", &[], None)).expect("built above");
    if let Value::Object(o) = &mut nostart {
        o.remove("start");
    }
    let slots = [
        slot("slot-ok", "S-ok", &t(0), &t(30), "free", &["https://book.example/s?slot=1"], Some(2)),
        slot("slot-busy", "S-ok", &t(30), &t(60), "busy", &[], None),
        slot("slot-multi", "S-multi", &t(60), &t(90), "free", &[], None),
        slot(
            "slot-nosec",
            "S-ok",
            &no_seconds.strftime("%Y-%m-%dT%H:%M%:z").to_string(),
            &(no_seconds + 30.minutes()).strftime("%Y-%m-%dT%H:%M").to_string(),
            "free",
            &[],
            None,
        ),
        slot(
            "slot-links",
            "S-ok",
            &t(180),
            &t(210),
            "free",
            &["https://book.example/s?slot=5&lang=en", "https://other.example/b/5"],
            None,
        ),
        String::new(),
        slot("slot-orphan", "S-missing", &t(240), &t(270), "free", &[], None),
        slot("slot-noloc", "S-noloc", &t(270), &t(300), "free", &[], None),
        nostart.to_string(),
        r#"{"resourceType":"Slot","id":"slot-cut","sched"#.to_owned(),
    ];
    let join = |lines: &[String]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    MessyFeed {
        files: vec![
            ("locations.ndjson".into(), "Location".into(), join(&locations)),
            ("schedules.ndjson".into(), "Schedule".into(), join(&schedules)),
            ("slots.ndjson".into(), "Slot".into(), join(&slots)),
        ],
        usable_free_slots: vec!["slot-ok", "slot-multi", "slot-nosec", "slot-links"],
        busy_slots: vec!["slot-busy"],
        skipped_slots: vec![
            ("slot-orphan", "schedule Schedule/S-missing not found"),
            ("slot-noloc", "schedule S-noloc has no known location"),
            ("slot-nostart", "no start"),
        ],
        skipped_schedules: vec![("S-noloc", "location Location/L-missing not found")],
        bad_lines: 7,
    }
}
