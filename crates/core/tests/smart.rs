//! SMART Scheduling Links: the reader against every file of the project's real example feed,
//! the writer read back by the reader, and each defect real publishers produce (prior-art.md
//! §3.9) skipped and reported with a reason, never failing the whole import.
#![allow(clippy::unwrap_used)]

use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_core::smart::{Feed, ResourceKind, SlotStatus, read, write};

macro_rules! fixture {
    ($name:literal) => {
        ($name, include_str!(concat!("../../testkit/fixtures/smart-scheduling-links/", $name)))
    };
}

const SLOT_FILES: [(&str, &str); 5] = [
    fixture!("slots-2021-W09.ndjson"),
    fixture!("slots-2021-W10.ndjson"),
    fixture!("slots-2021-W11.ndjson"),
    fixture!("slots-2021-W12.ndjson"),
    fixture!("slots-2021-W13.ndjson"),
];

fn fixtures_feed() -> nobat_core::smart::Import {
    let mut feed = Feed::new();
    let (n, t) = fixture!("locations.ndjson");
    feed.add_file(n, ResourceKind::Location, t);
    let (n, t) = fixture!("schedules.ndjson");
    feed.add_file(n, ResourceKind::Schedule, t);
    for (n, t) in SLOT_FILES {
        feed.add_file(n, ResourceKind::Slot, t);
    }
    feed.finish()
}

#[test]
fn the_manifest_fixture_lists_every_file_with_its_state_hint() {
    let (_, text) = fixture!("$bulk-publish");
    let m = read::manifest(text, Timestamp::UNIX_EPOCH).unwrap();
    assert_eq!(m.transaction_time, "2021-04-22T14:28:21.582Z".parse::<Timestamp>().unwrap());
    assert_eq!(m.outputs.len(), 7);
    assert_eq!(m.outputs.iter().filter(|o| o.kind == ResourceKind::Slot).count(), 5);
    assert!(m.outputs.iter().filter(|o| o.kind == ResourceKind::Slot).all(|o| o.states == ["MA"]));
    assert!(m.outputs[0].url.ends_with("/locations.ndjson"));
    // Written and read again: the same manifest.
    assert_eq!(read::manifest(&write::manifest(&m), Timestamp::UNIX_EPOCH).unwrap(), m);
}

#[test]
fn every_fixture_file_is_read_whole() {
    let import = fixtures_feed();
    assert_eq!(import.skipped, vec![], "the example feed is clean");
    assert_eq!(import.locations.len(), 10);
    assert_eq!(import.schedules.len(), 10);
    assert_eq!(import.slots.len(), 300);
    let boston = &import.locations["0"];
    assert_eq!(boston.name, "SMART Vaccine Clinic Boston");
    assert_eq!(boston.phone.as_deref(), Some("000-000-0000"));
    assert_eq!(boston.address.state, "MA");
    assert_eq!(boston.identifiers[0].code, "fake-vtrcks-pin-00");
    assert_eq!(import.schedules["10"].location, "0");
    let first = &import.slots[0];
    assert_eq!(first.id, "20");
    assert_eq!(first.schedule, "10");
    assert_eq!(first.status, SlotStatus::Free);
    assert_eq!(first.start, "2021-03-01T14:00:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(first.capacity, 100);
    assert_eq!(first.booking_links, ["https://ehr-portal.example.org/bookings?slot=1000000"]);
    assert_eq!(first.booking_phone.as_deref(), Some("000-000-0000"));
    for (name, text) in SLOT_FILES {
        let mut one = Feed::new();
        one.add_file(name, ResourceKind::Slot, text);
        let lines = text.lines().count();
        assert_eq!(one.finish().skipped.len(), lines, "{name}: without schedules every slot dangles");
    }
}

#[test]
fn what_the_writer_writes_the_reader_reads_back_unchanged() {
    let import = fixtures_feed();
    let tehran: TimeZone = jiff::tz::TimeZone::get("Asia/Tehran").unwrap();
    let locations: Vec<_> = import.locations.values().map(write::location).collect();
    let schedules: Vec<_> = import.schedules.values().map(write::schedule).collect();
    let slots: Vec<_> = import.slots.iter().map(|s| write::slot(s, &tehran)).collect();
    let mut feed = Feed::new();
    feed.add_file("l", ResourceKind::Location, &write::ndjson(&locations));
    feed.add_file("s", ResourceKind::Schedule, &write::ndjson(&schedules));
    let slot_text = write::ndjson(&slots);
    feed.add_file("t", ResourceKind::Slot, &slot_text);
    let again = feed.finish();
    assert_eq!(again, import);
    // Strictly: seconds and an offset on every instant, in the location's zone.
    let first: serde_json::Value = serde_json::from_str(slot_text.lines().next().unwrap()).unwrap();
    assert_eq!(first["start"], "2021-03-01T17:30:00+03:30");
    assert!(write::valid_id(first["id"].as_str().unwrap()));
}

fn slot_line(id: &str, schedule: &str, start: &str, end: &str) -> String {
    format!(
        r#"{{"resourceType":"Slot","id":"{id}","schedule":{{"reference":"Schedule/{schedule}"}},"status":"free","start":"{start}","end":"{end}"}}"#
    )
}

/// One of each defect; each is skipped with a reason or read forgivingly, never fatal.
#[test]
fn messy_lines_are_skipped_and_reported_with_reasons() {
    let locations = concat!(
        r#"{"resourceType":"Location","id":"L1","name":"Ok","identifier":[{"system":"x","value":"null"},{"system":"x","value":""},{"system":"x","value":"unknown id"},{"system":"x","value":"PIN-1"}]}"#,
        "\n\n",
        r#"{"resourceType":"Location","id":"L-cut","#,
        "\n"
    );
    let schedules = concat!(
        r#"{"resourceType":"Schedule","id":"S-multi","actor":[{"reference":"PractitionerRole/7","display":"Dr Ada"},{"reference":"Location/L1"}]}"#,
        "\n",
        r#"{"resourceType":"Schedule","id":"S-noloc","actor":[{"reference":"Location/L-missing"}]}"#,
        "\n   \n",
        r#"{"resourceType":"Slot","id":"wrong-file"}"#,
        "\n"
    );
    let slots = [
        slot_line("ok", "S-multi", "2026-12-07T09:00:00+03:30", "2026-12-07T09:30:00+03:30"),
        slot_line("nosec", "S-multi", "2026-12-07T10:00+03:30", "2026-12-07T10:30"),
        slot_line("hours-offset", "S-multi", "2021-03-10T15:00:00-05", "2021-03-10T15:30:00-05"),
        slot_line("orphan", "S-gone", "2026-12-07T11:00:00Z", "2026-12-07T11:30:00Z"),
        slot_line("noloc", "S-noloc", "2026-12-07T11:00:00Z", "2026-12-07T11:30:00Z"),
        slot_line("backwards", "S-multi", "2026-12-07T11:00:00Z", "2026-12-07T10:30:00Z"),
        slot_line("garbage-time", "S-multi", "next tuesday", "2026-12-07T10:30:00Z"),
        r#"{"resourceType":"Slot","id":"links","schedule":{"reference":"Schedule/S-multi"},"status":"free","start":"2026-12-07T12:00:00Z","end":"2026-12-07T12:30:00Z","extension":[{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link","valueUrl":"https://a.example/b?slot=1"},{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link","valueUrl":"https://b.example/c"},{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity","valueInteger":0}]}"#.to_owned(),
        r#"{"resourceType":"Slot","id":"weird","schedule":{"reference":"Schedule/S-multi"},"status":"maybe","start":"2026-12-07T12:00:00Z","end":"2026-12-07T12:30:00Z"}"#.to_owned(),
        "{not json".to_owned(),
        String::new(),
    ]
    .join("\n");
    let mut feed = Feed::new();
    feed.add_file("locations.ndjson", ResourceKind::Location, locations);
    feed.add_file("schedules.ndjson", ResourceKind::Schedule, schedules);
    feed.add_file("slots.ndjson", ResourceKind::Slot, &slots);
    let import = feed.finish();

    // Junk identifiers dropped, the real one kept.
    let ids: Vec<&str> = import.locations["L1"].identifiers.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(ids, ["PIN-1"]);
    // The Location found whatever its place among the actors.
    let multi = &import.schedules["S-multi"];
    assert_eq!(
        (multi.location.as_str(), multi.other_actors.as_slice()),
        ("L1", &["PractitionerRole/7".to_owned()][..])
    );
    assert_eq!(multi.display.as_deref(), Some("Dr Ada"));
    // Off-spec timestamps read: missing seconds, a borrowed offset, an hours-only offset.
    let by_id = |id: &str| import.slots.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("{id} imported"));
    let nosec = by_id("nosec");
    assert_eq!(nosec.start, "2026-12-07T06:30:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(nosec.end, "2026-12-07T07:00:00Z".parse::<Timestamp>().unwrap(), "end borrows the start's offset");
    assert_eq!(by_id("hours-offset").start, "2021-03-10T20:00:00Z".parse::<Timestamp>().unwrap());
    let links = by_id("links");
    assert_eq!(links.booking_links, ["https://a.example/b?slot=1", "https://b.example/c"], "every link kept");
    assert_eq!(links.capacity, 1, "a capacity below 1 is ignored");
    let mut usable: Vec<&str> = import.slots.iter().map(|s| s.id.as_str()).collect();
    usable.sort();
    assert_eq!(usable, ["hours-offset", "links", "nosec", "ok"]);

    let reason = |id: Option<&str>| {
        import
            .skipped
            .iter()
            .find(|s| s.id.as_deref() == id)
            .map(|s| s.reason.clone())
            .unwrap_or_else(|| panic!("{id:?} reported: {:#?}", import.skipped))
    };
    assert_eq!(reason(Some("orphan")), "schedule Schedule/S-gone not found");
    assert_eq!(reason(Some("noloc")), "schedule S-noloc has no known location");
    assert_eq!(reason(Some("S-noloc")), "location Location/L-missing not found");
    assert_eq!(reason(Some("backwards")), "end is not after start");
    assert!(reason(Some("garbage-time")).starts_with("start:"));
    assert_eq!(reason(Some("weird")), "unknown status `maybe`");
    assert_eq!(reason(Some("wrong-file")), "expected a Schedule, found `Slot`");
    let lines: Vec<(&str, usize, &str)> = import
        .skipped
        .iter()
        .filter(|s| s.id.is_none())
        .map(|s| (s.file.as_str(), s.line, s.reason.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("locations.ndjson", 2, "blank line"),
            ("locations.ndjson", 3, "not JSON"),
            ("schedules.ndjson", 3, "blank line"),
            ("slots.ndjson", 10, "not JSON"),
        ]
    );
    assert_eq!(import.skipped.len(), 4 + 7);
}

#[test]
fn a_manifest_that_is_not_one_is_refused_but_unknown_outputs_are_ignored() {
    assert!(read::manifest("<html>", Timestamp::UNIX_EPOCH).is_err());
    assert!(read::manifest("{}", Timestamp::UNIX_EPOCH).is_err());
    let m = read::manifest(
        r#"{"output":[{"type":"Practitioner","url":"https://x/p.ndjson"},{"type":"Slot","url":"https://x/s.ndjson"}]}"#,
        Timestamp::UNIX_EPOCH,
    )
    .unwrap();
    assert_eq!(m.outputs.len(), 1);
    assert_eq!(m.transaction_time, Timestamp::UNIX_EPOCH);
}
