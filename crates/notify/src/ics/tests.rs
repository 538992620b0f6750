use super::*;

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).expect("bundled tzdb")
}

fn event(zone: &str, start: &str, method: IcsMethod, sequence: u32) -> IcsEvent {
    let start: Timestamp = start.parse().expect("timestamp");
    IcsEvent {
        uid: uid_for("0193a1b2-0000-7000-8000-000000000001", "clinic.example"),
        sequence,
        method,
        start,
        end: start + jiff::SignedDuration::from_mins(30),
        zone: tz(zone),
        summary: "Dental check-up, Dr. Karimi; room 2".into(),
        description: Some("Bring your card.\nArrive 10 minutes early, please".into()),
        location: Some("Shiraz, Zand St.".into()),
        url: Some("https://clinic.example/m/abc".into()),
        organizer: Some(Party { name: "Clinic \"Sina\"".into(), email: "desk@clinic.example".into() }),
        attendee: Some(Party { name: "سارا محمدی".into(), email: "sara@example.com".into() }),
        stamp: "2026-03-01T08:00:00Z".parse().expect("timestamp"),
    }
}

fn unfolded(s: &str) -> String {
    s.replace("\r\n ", "")
}

#[test]
fn tehran_without_dst_has_one_standard_observance_at_0330() {
    let lines = vtimezone(&tz("Asia/Tehran"), "Asia/Tehran", 2026, 2026);
    assert_eq!(
        lines,
        [
            "BEGIN:VTIMEZONE",
            "TZID:Asia/Tehran",
            "BEGIN:STANDARD",
            "DTSTART:20260101T000000",
            "TZOFFSETFROM:+0330",
            "TZOFFSETTO:+0330",
            "TZNAME:+0330",
            "END:STANDARD",
            "END:VTIMEZONE"
        ]
    );
}

#[test]
fn tehran_in_2021_still_had_daylight_time() {
    let s = vtimezone(&tz("Asia/Tehran"), "Asia/Tehran", 2021, 2021).join("\n");
    // Iran's last DST year: +0430 from 22 March 00:00 to 22 September 00:00 (local, before).
    assert!(s.contains("BEGIN:DAYLIGHT\nDTSTART:20210322T000000\nTZOFFSETFROM:+0330\nTZOFFSETTO:+0430"), "{s}");
    assert!(s.contains("BEGIN:STANDARD\nDTSTART:20210922T000000\nTZOFFSETFROM:+0430\nTZOFFSETTO:+0330"), "{s}");
}

#[test]
fn istanbul_is_0300_all_year_and_had_dst_until_2016() {
    let now = vtimezone(&tz("Europe/Istanbul"), "Europe/Istanbul", 2026, 2026).join("\n");
    assert!(now.contains("TZOFFSETFROM:+0300\nTZOFFSETTO:+0300"), "{now}");
    assert!(!now.contains("DAYLIGHT"), "{now}");
    let then = vtimezone(&tz("Europe/Istanbul"), "Europe/Istanbul", 2015, 2015).join("\n");
    assert!(then.contains("BEGIN:DAYLIGHT\nDTSTART:20150329T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0300"), "{then}");
    assert!(then.contains("BEGIN:STANDARD\nDTSTART:20151108T040000\nTZOFFSETFROM:+0300\nTZOFFSETTO:+0200"), "{then}");
}

#[test]
fn the_event_is_in_the_locations_zone_with_stable_uid_and_sequence() {
    let ics = to_string(&event("Asia/Tehran", "2026-04-04T06:30:00Z", IcsMethod::Request, 0));
    let flat = unfolded(&ics);
    assert!(flat.contains("METHOD:REQUEST\r\n"));
    assert!(flat.contains("DTSTART;TZID=Asia/Tehran:20260404T100000\r\n"), "{flat}");
    assert!(flat.contains("DTEND;TZID=Asia/Tehran:20260404T103000\r\n"));
    assert!(flat.contains("UID:appointment-0193a1b2-0000-7000-8000-000000000001@clinic.example\r\n"));
    assert!(flat.contains("SEQUENCE:0\r\n"));
    assert!(flat.contains("SUMMARY:Dental check-up\\, Dr. Karimi\\; room 2\r\n"), "{flat}");
    assert!(flat.contains("DESCRIPTION:Bring your card.\\nArrive 10 minutes early\\, please\r\n"));
    assert!(flat.contains("ORGANIZER;CN=\"Clinic Sina\":mailto:desk@clinic.example\r\n"));
    assert!(flat.contains("STATUS:CONFIRMED"));
    let cancel = unfolded(&to_string(&event("Asia/Tehran", "2026-04-04T06:30:00Z", IcsMethod::Cancel, 2)));
    assert!(cancel.contains("METHOD:CANCEL\r\n") && cancel.contains("STATUS:CANCELLED"));
    assert!(cancel.contains("SEQUENCE:2\r\n"));
    assert!(cancel.contains("UID:appointment-0193a1b2-0000-7000-8000-000000000001@clinic.example\r\n"));
    let a = build(&event("Asia/Tehran", "2026-04-04T06:30:00Z", IcsMethod::Cancel, 2));
    assert_eq!(a.content_type, "text/calendar; charset=utf-8; method=CANCEL");
}

#[test]
fn lines_are_crlf_and_folded_within_75_octets_without_splitting_characters() {
    let mut ev = event("Europe/Istanbul", "2026-07-01T09:00:00Z", IcsMethod::Request, 1);
    ev.description = Some("توضیحات بسیار طولانی برای آزمودن شکستن خط‌ها در فایل تقویم ".repeat(5));
    let ics = to_string(&ev);
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
        assert!(!line.contains('\n') && !line.contains('\r'));
    }
    assert!(unfolded(&ics).contains(&format!("DESCRIPTION:{}", ev.description.as_deref().unwrap_or(""))));
}
