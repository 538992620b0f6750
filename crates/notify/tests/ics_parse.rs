//! The `.ics` files parse with the PyPI `icalendar` package (what many calendar tools use),
//! and the times it resolves through our VTIMEZONE are the appointment's instants. Runs when
//! the venv made by `scripts/ics-venv` exists (`scripts/test` makes it); says so otherwise.
#![allow(clippy::unwrap_used)]

use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_notify::ics::{IcsEvent, IcsMethod, Party, build, uid_for};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn venv_python() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(dir).join("ics-venv"));
    }
    // target/debug/deps/ics_parse-… → target/
    if let Some(target) = std::env::current_exe().ok().and_then(|p| p.ancestors().nth(3).map(Path::to_path_buf)) {
        candidates.push(target.join("ics-venv"));
    }
    candidates.into_iter().map(|v| v.join("bin/python")).find(|p| p.exists())
}

fn event(zone: &str, start: &str, method: IcsMethod, sequence: u32) -> IcsEvent {
    let start: Timestamp = start.parse().expect("timestamp");
    IcsEvent {
        uid: uid_for("42", "clinic.example"),
        sequence,
        method,
        start,
        end: start + jiff::SignedDuration::from_mins(45),
        zone: TimeZone::get(zone).expect("zone"),
        summary: "ویزیت, دکتر کریمی; اتاق ۲".into(),
        description: Some("line one\nline two".into()),
        location: Some("Tehran".into()),
        url: None,
        organizer: Some(Party { name: "Clinic".into(), email: "desk@clinic.example".into() }),
        attendee: Some(Party { name: "Sara".into(), email: "sara@example.com".into() }),
        stamp: "2026-01-01T00:00:00Z".parse().expect("timestamp"),
    }
}

fn parse(python: &Path, ev: &IcsEvent) -> Value {
    let dir = std::env::temp_dir().join(format!("nobat-ics-{}-{}", std::process::id(), ev.sequence));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("a.ics");
    std::fs::write(&file, build(ev).bytes).expect("write");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ics-check");
    let out = Command::new(python).arg(script).arg(&file).output().expect("run the checker");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "icalendar refused the file: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("checker prints JSON")
}

#[test]
fn icalendar_parses_our_files_and_resolves_the_right_instants() {
    let Some(python) = venv_python() else {
        eprintln!("SKIPPED: no ics-venv (run scripts/ics-venv); the parse check did not run");
        return;
    };
    // Tehran in its last DST summer (+0430) and today (+0330); Istanbul then and now.
    // The last field: the summer offset the VTIMEZONE must carry as a DAYLIGHT observance.
    for (zone, start, end, daylight) in [
        ("Asia/Tehran", "2021-07-01T05:30:00Z", "2021-07-01T06:15:00Z", Some("+0430")),
        ("Asia/Tehran", "2026-04-04T06:30:00Z", "2026-04-04T07:15:00Z", None),
        ("Europe/Istanbul", "2015-07-01T07:00:00Z", "2015-07-01T07:45:00Z", Some("+0300")),
        ("Europe/Istanbul", "2026-12-31T21:30:00Z", "2026-12-31T22:15:00Z", None),
    ] {
        let v = parse(&python, &event(zone, start, IcsMethod::Request, 1));
        assert_eq!(v["method"], "REQUEST");
        assert_eq!(v["timezones"][0]["tzid"], zone);
        let observances = v["timezones"][0]["observances"].as_array().cloned().unwrap_or_default();
        let summer: Vec<&Value> = observances.iter().filter(|o| o["kind"] == "DAYLIGHT").collect();
        assert_eq!(summer.first().and_then(|o| o["to"].as_str()), daylight, "{zone}: {observances:?}");
        let e = &v["events"][0];
        assert_eq!(e["tzid"], zone);
        assert_eq!((e["start_utc"].as_str(), e["end_utc"].as_str()), (Some(start), Some(end)), "{zone}: {v}");
        assert_eq!(e["uid"], "appointment-42@clinic.example");
        assert_eq!(e["summary"], "ویزیت, دکتر کریمی; اتاق ۲");
        assert_eq!(e["description"], "line one\nline two");
    }
    let v = parse(&python, &event("Asia/Tehran", "2026-04-04T06:30:00Z", IcsMethod::Cancel, 3));
    assert_eq!(v["method"], "CANCEL");
    assert_eq!(v["events"][0]["status"], "CANCELLED");
    assert_eq!(v["events"][0]["sequence"], 3);
}
