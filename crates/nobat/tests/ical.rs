//! iCalendar (issue 16): private, revocable feeds for staff (one practitioner's or the whole
//! clinic's appointments), the patient's own calendar.ics behind the manage link with a
//! SEQUENCE the store counts, and the emails' .ics carrying that same SEQUENCE. Every file
//! parses with PyPI icalendar (scripts/ics-venv).
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::fhir_support;
use crate::messages;

use common::*;
use fhir_support::icalendar_reads;
use messages::*;
use nobat_testkit::smtp::SmtpFake;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn text(client: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let res = client.get(url).send().await.unwrap();
    let s = res.status();
    if s == StatusCode::OK {
        let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(ct.starts_with("text/calendar"), "{ct}");
    }
    (s, res.text().await.unwrap())
}

/// SEQUENCE, METHOD and STATUS of a single-event file, read from the text itself.
fn props(ics: &str) -> (u32, String, String) {
    let unfolded = ics.replace("\r\n ", "");
    let get = |name: &str| {
        unfolded.lines().find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned)).unwrap_or_default()
    };
    (get("SEQUENCE").parse().unwrap(), get("METHOD"), get("STATUS"))
}

fn uids(ics: &str) -> Vec<String> {
    ics.lines().filter_map(|l| l.strip_prefix("UID:")).map(str::to_owned).collect()
}

#[tokio::test]
async fn staff_feeds_show_their_scope_parse_and_die_when_revoked() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let other = seed_at(&app.client, &app.api).await;
    let d = day(1);
    let mut ids = Vec::new();
    for doctor in &seed.doctors {
        let free = slots(&app, &seed, &seed.consult, &d, Some(doctor)).await;
        let (s, b) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&free[0], "Feed Patient")).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    let feeds = format!("/clinics/{}/calendar-feeds", seed.slug);
    let (s, mine) = app.post(&feeds, json!({ "practitioner": seed.doctors[0] })).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    let (s, all) = app.post(&feeds, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{all}");

    let (s, one) = text(&app.anon, mine["url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{one}");
    let (_, both) = text(&app.anon, all["url"].as_str().unwrap()).await;
    let has = |ics: &str, id: &str| uids(ics).iter().any(|u| u.starts_with(&format!("appointment-{id}@")));
    assert!(has(&one, &ids[0]) && !has(&one, &ids[1]), "one practitioner's feed: {one}");
    assert!(has(&both, &ids[0]) && has(&both, &ids[1]), "the clinic's feed");
    assert!(one.contains("METHOD:PUBLISH") && one.contains("TZID:Asia/Tehran"));
    if let Some(v) = icalendar_reads(&both) {
        assert_eq!(v["method"], "PUBLISH");
        assert_eq!(v["timezones"][0]["tzid"], "Asia/Tehran");
        assert_eq!(v["events"].as_array().map(Vec::len), Some(2));
    }

    // Only the clinic's staff make or revoke its feeds; a feed for another clinic's
    // practitioner names nothing here.
    let (s, _) = decode(app.anon.post(format!("{}{feeds}", app.api)).json(&json!({})).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.post(&feeds, json!({ "practitioner": other.doctors[0] })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let id = mine["id"].as_str().unwrap();
    let (s, _) = app.delete(&format!("/clinics/{}/calendar-feeds/{id}", other.slug)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another clinic's path revokes nothing");
    let (s, still) = text(&app.anon, mine["url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{still}");

    let (s, _) = app.delete(&format!("/clinics/{}/calendar-feeds/{id}", seed.slug)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = text(&app.anon, mine["url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "revoked");
    let (s, _) = app.delete(&format!("/clinics/{}/calendar-feeds/{id}", seed.slug)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "once");
    let (s, _) = text(&app.anon, all["url"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "the other feed lives on");
    let (s, _) = text(&app.anon, &format!("{}/ical/nbc_forged.ics", app.base)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

/// The patient's file: SEQUENCE 0 when booked, +1 on every change, METHOD:CANCEL when
/// cancelled; the confirmation and cancellation emails carry the same SEQUENCE as the file.
#[tokio::test]
async fn the_patients_calendar_file_and_the_emails_agree_on_the_sequence() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    let booked: Value = book_with_email(&app, &seed, 0, "patient@example.org", "en").await;
    let id = booked["id"].as_str().unwrap();
    let file = format!("{}/manage/{}/calendar.ics", app.api, booked["manage_token"].as_str().unwrap());
    let ics_of = |m: &nobat_testkit::smtp::SmtpMessage| {
        let mail = m.mail();
        let att = mail.attachment_named(".ics").expect("an .ics attached");
        let seq: u32 = att.ics_properties("SEQUENCE")[0].1.parse().unwrap();
        (seq, att.ics_properties("METHOD")[0].1.clone())
    };

    let (s, ics) = text(&app.anon, &file).await;
    assert_eq!(s, StatusCode::OK, "{ics}");
    assert_eq!(props(&ics), (0, "PUBLISH".into(), "CONFIRMED".into()));
    let got = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(ics_of(&got[0]), (0, "REQUEST".into()), "the confirmation is the same version");
    if let Some(v) = icalendar_reads(&ics) {
        assert_eq!(v["events"][0]["uid"], format!("appointment-{id}@127.0.0.1"));
        assert_eq!(
            v["events"][0]["start_utc"].as_str().map(|s| s.parse::<jiff::Timestamp>().unwrap()),
            booked["start"].as_str().map(|s| s.parse::<jiff::Timestamp>().unwrap())
        );
    }

    let (s, b) =
        app.post(&format!("/clinics/{}/appointments/{id}/status", seed.slug), json!({ "status": "arrived" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, ics) = text(&app.anon, &file).await;
    assert_eq!(props(&ics).0, 1, "a change bumps SEQUENCE");

    let (s, b) =
        app.post(&format!("/clinics/{}/appointments/{id}/cancel", seed.slug), json!({ "staff_override": true })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, ics) = text(&app.anon, &file).await;
    assert_eq!(props(&ics), (2, "CANCEL".into(), "CANCELLED".into()));
    if let Some(v) = icalendar_reads(&ics) {
        assert_eq!((v["method"].as_str(), v["events"][0]["sequence"].as_u64()), (Some("CANCEL"), Some(2)));
        assert_eq!(v["events"][0]["status"], "CANCELLED");
    }
    let got = smtp.wait_for(2, Duration::from_secs(20)).await;
    let cancel = got.iter().map(ics_of).find(|(_, m)| m == "CANCEL").expect("a cancellation with an .ics");
    assert_eq!(cancel.0, 2, "the cancellation email's SEQUENCE is the file's");
    app.stop().await;
}
