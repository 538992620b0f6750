//! Messages that arrive, once (issue 12): a booking with an email address gets exactly one
//! confirmation, a cancellation one cancellation message; a guest's verification code arrives
//! by email and books; staff see each message's delivery.

#![allow(clippy::unwrap_used)]

use crate::common;
use crate::messages;

use common::*;
use messages::*;
use nobat_testkit::smtp::SmtpFake;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_booking_gets_one_confirmation_and_a_cancellation_one_cancellation() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    let booked = book_with_email(&app, &seed, 0, "patient@example.org", "fa").await;
    let id = booked["id"].as_str().unwrap();

    let got = smtp.wait_for(1, Duration::from_secs(20)).await;
    let mail = got[0].mail();
    assert_eq!(got[0].rcpt_to, vec!["patient@example.org".to_owned()]);
    // In Persian: the subject, the Tehran wall-clock time in Persian digits (whatever zone the
    // server runs in), and the appointment as an .ics in the location's zone.
    let subject = mail.subject().unwrap_or_default();
    assert!(subject.contains("نوبت شما ثبت شد"), "{subject:?}");
    let text = mail.text_body().unwrap_or_default();
    let start = booked["start"].as_str().unwrap();
    let wall = nobat_core::zones::get("Asia/Tehran")
        .map(|z| start.parse::<jiff::Timestamp>().unwrap().to_zoned(z).strftime("%H:%M").to_string())
        .unwrap();
    let persian = |s: &str| {
        s.chars().map(|c| c.to_digit(10).map_or(c, |d| char::from_u32(0x06F0 + d).unwrap())).collect::<String>()
    };
    let (padded, bare) = (persian(&wall), persian(wall.trim_start_matches('0')));
    assert!(text.contains(&padded) || text.contains(&bare), "Tehran time {wall} in Persian digits: {text}");
    let ics = mail.attachment_named(".ics").expect("the appointment attached as .ics");
    assert_eq!(ics.ics_properties("METHOD")[0].1, "REQUEST");
    // The event's DTSTART comes last (the VTIMEZONE's observances have their own before it).
    let (params, _) = ics.ics_properties("DTSTART").pop().unwrap();
    assert!(params.iter().any(|(k, v)| k == "TZID" && v == "Asia/Tehran"), "{params:?}");
    assert_eq!(ics.ics_properties("TZID").first().map(|p| p.1.as_str()), Some("Asia/Tehran"), "with its VTIMEZONE");
    let sent = wait_statuses(&app, &seed, id, 1, &["sent"]).await;
    assert_eq!(sent[0]["kind"], "booking_confirmed");
    assert_eq!(sent[0]["channel"], "email");
    assert_eq!(sent[0]["language"], "fa", "the patient's language");
    assert_eq!(sent[0]["attempts"], 1);
    assert!(sent[0]["sent_at"].is_string());
    assert_eq!(key(&got[0]).as_deref(), sent[0]["id"].as_str(), "Message-ID is the message's id");

    let (s, b) =
        app.post(&format!("/clinics/{}/appointments/{id}/cancel", seed.slug), json!({ "staff_override": true })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let sent = wait_statuses(&app, &seed, id, 2, &["sent"]).await;
    assert_eq!(sent[1]["kind"], "booking_cancelled");
    let got = smtp.wait_for(2, Duration::from_secs(20)).await;
    let cancellation = got.iter().map(|m| m.mail()).find(|m| m.subject().unwrap_or_default().contains("لغو")).unwrap();
    let ics = cancellation.attachment_named(".ics").expect("the cancellation's .ics");
    assert_eq!(ics.ics_properties("METHOD")[0].1, "CANCEL");
    // Nothing more arrives: one confirmation, one cancellation, each once.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let ids: Vec<String> = sent.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    smtp.messages().assert_exactly_once(key, ids);
    app.stop().await;
}

#[tokio::test]
async fn a_patient_without_a_language_hears_the_clinics_and_a_patient_without_email_nothing() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    // Phone only, and no SMS channel: no message can be sent, so none is planned.
    let free = slots(&app, &seed, &seed.consult, &day(1), None).await;
    let res = app.client.post(format!("{}/clinics/{}/appointments", app.api, seed.slug)).json(&booking(&free[0], "P"));
    let (s, phone_only) = decode(res.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{phone_only}");
    let booked = book_with_email(&app, &seed, 1, "second@example.org", "").await;
    let sent = wait_statuses(&app, &seed, booked["id"].as_str().unwrap(), 1, &["sent"]).await;
    let (_, clinic) = app.get(&format!("/clinics/{}", seed.slug)).await;
    let default = clinic["default_language"].as_str().unwrap_or("en");
    assert_eq!(sent[0]["language"], default);
    assert!(messages_of(&app, &seed, phone_only["id"].as_str().unwrap()).await.is_empty());
    assert_eq!(smtp.messages().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_guest_gets_the_verification_code_by_email_confirms_it_and_books() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let res = app
        .client
        .put(format!("{}{c}/security", app.api))
        .json(&json!({ "require_staff_2fa": false, "verify_guest_contact": true, "retention_days": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let guest = |path: String, body: serde_json::Value| {
        let req = app.anon.post(format!("{}{path}", app.api)).json(&body);
        async move { decode(req.send().await.unwrap()).await }
    };
    let (s, v) = guest(format!("{c}/verifications"), json!({ "email": "guest@example.org", "language": "en" })).await;
    assert_eq!((s, v["channel"].as_str()), (StatusCode::ACCEPTED, Some("email")), "{v}");

    // The code arrives by email; nothing in the test reads it from the database.
    let got = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].rcpt_to, vec!["guest@example.org".to_owned()]);
    let text = got[0].mail().text_body().unwrap_or_default();
    let code: String = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned();
    let (s, proof) =
        guest(format!("{c}/verifications/{}/confirm", v["id"].as_str().unwrap()), json!({ "code": code })).await;
    assert_eq!(s, StatusCode::OK, "{proof}");

    let free = slots(&app, &seed, &seed.consult, &day(1), None).await;
    let body = json!({
        "service": free[0]["service"], "practitioner": free[0]["practitioner"], "start": free[0]["start"],
        "patient": { "name": "Verified Guest", "email": "guest@example.org" },
        "contact_proof": proof["contact_proof"],
    });
    let (s, b) = guest(format!("{c}/appointments"), body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // And the booking's confirmation follows the code.
    smtp.wait_for(2, Duration::from_secs(20)).await;
    // The code is not kept once it was sent.
    let db = app.db().await;
    let (facts,): (String,) =
        sqlx::query_as("SELECT facts FROM messages WHERE kind = 'verification_code'").fetch_one(&db).await.unwrap();
    assert!(!facts.contains(&code), "{facts}");
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn an_invited_staff_member_gets_the_link_and_it_works() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    let res = app
        .client
        .put(format!("{}/clinics/{}/members", app.api, seed.slug))
        .json(&json!({ "email": "new.staff@example.org", "role": "receptionist" }))
        .send()
        .await
        .unwrap();
    let (s, v) = decode(res).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = smtp.wait_for(1, Duration::from_secs(20)).await;
    let text = got[0].mail().text_body().unwrap_or_default();
    let link = text.split_whitespace().find(|w| w.contains("/invitations/")).unwrap_or_else(|| panic!("{text}"));
    let res = app.anon.post(link).json(&json!({ "password": STAFF_PASSWORD })).send().await.unwrap();
    let (s, v) = decode(res).await;
    assert_eq!(s, StatusCode::OK, "accepting through the emailed link: {v}");
    app.stop().await;
}

#[tokio::test]
async fn staff_see_messages_of_their_clinics_appointments_only() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    let other = seed_at(&app.client, &app.api).await;
    let booked = book_with_email(&app, &seed, 0, "p@example.org", "en").await;
    let id = booked["id"].as_str().unwrap();
    wait_statuses(&app, &seed, id, 1, &["sent"]).await;
    let (s, _) = app.get(&format!("/clinics/{}/appointments/{id}/messages", other.slug)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another clinic's appointment");
    let res = app.anon.get(format!("{}/clinics/{}/appointments/{id}/messages", app.api, seed.slug)).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn erasing_a_patient_erases_the_address_from_their_messages_and_stops_waiting_ones() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 50).await;
    let seed = seed(&app).await;
    let sent = book_with_email(&app, &seed, 0, "gone@example.org", "en").await;
    wait_statuses(&app, &seed, sent["id"].as_str().unwrap(), 1, &["sent"]).await;
    // The relay goes down: the cancellation waits, failing, when the patient is erased.
    smtp.stop().await;
    let id = sent["id"].as_str().unwrap();
    let (s, b) =
        app.post(&format!("/clinics/{}/appointments/{id}/cancel", seed.slug), json!({ "staff_override": true })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    wait_statuses(&app, &seed, id, 2, &["sent", "failed"]).await;
    let patient = sent["patient"].as_str().unwrap_or_else(|| panic!("{sent}"));
    let (s, b) =
        app.post(&format!("/clinics/{}/patients/{patient}/erase", seed.slug), json!({ "reason": "asked" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let m = messages_of(&app, &seed, id).await;
    assert_eq!((m[0]["status"].as_str(), m[1]["status"].as_str()), (Some("sent"), Some("dead")), "{m:?}");
    let db = app.db().await;
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM messages WHERE recipient LIKE '%gone@%'").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0, "the address is gone from the messages");
    db.close().await;
    smtp.restart().await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(smtp.messages().len(), 1, "the waiting cancellation was never sent");
    app.stop().await;
}

#[tokio::test]
async fn a_clinic_with_its_own_sms_account_gets_messages_on_an_instance_without_channels() {
    use nobat_testkit::twilio::TwilioFake;
    let twilio = TwilioFake::start("ACclinic", "clinic-auth-token").await.unwrap();
    let base = twilio.url();
    // No instance channel at all: only where Twilio is (the clinic brings the account).
    let app = spawn_with(move |c| {
        c.channels.settings.twilio_api_url = Some(base);
        c.messages.poll = Duration::from_millis(100);
    })
    .await;
    let seed = seed(&app).await;
    let res = app
        .client
        .put(format!("{}/clinics/{}/channels/sms", app.api, seed.slug))
        .json(&json!({ "provider": "twilio", "account_sid": "ACclinic", "auth_token": "clinic-auth-token", "from": "+15005550006" }))
        .send()
        .await
        .unwrap();
    let (s, v) = decode(res).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let free = slots(&app, &seed, &seed.consult, &day(1), None).await;
    let body = json!({
        "service": free[0]["service"], "practitioner": free[0]["practitioner"], "start": free[0]["start"],
        "patient": { "name": "Texted Patient", "phone": "+905321112233", "language": "tr" }
    });
    let (s, b) = app.post(&format!("/clinics/{}/appointments", seed.slug), body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let got = twilio.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].to, "+905321112233");
    let sent = wait_statuses(&app, &seed, b["id"].as_str().unwrap(), 1, &["sent"]).await;
    assert_eq!((sent[0]["channel"].as_str(), sent[0]["kind"].as_str()), (Some("sms"), Some("booking_confirmed")));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(twilio.sent().len(), 1, "exactly once");
    app.stop().await;
}

#[tokio::test]
async fn messages_older_than_the_retention_period_are_deleted_and_recent_ones_kept() {
    use nobat_store::commands::MessageCommand;
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    let old = book_with_email(&app, &seed, 0, "old@example.org", "en").await;
    let new = book_with_email(&app, &seed, 1, "new@example.org", "en").await;
    wait_statuses(&app, &seed, old["id"].as_str().unwrap(), 1, &["sent"]).await;
    wait_statuses(&app, &seed, new["id"].as_str().unwrap(), 1, &["sent"]).await;
    let db = app.db().await;
    let day_us = 86_400_000_000i64;
    // The first was planned 91 days ago, a third one 91 days ago too but is being sent now.
    sqlx::query("UPDATE messages SET created_at_us = created_at_us - $1 WHERE recipient = 'old@example.org'")
        .bind(91 * day_us)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO messages (clinic_id, id, kind, channel, recipient, language, status, attempts, source, facts, \
           created_at_us, available_at_us, leased_until_us, lease_token) \
         SELECT clinic_id, 'leased-one', kind, channel, 'leased@example.org', language, 'queued', 1, 'test:leased', '{}', \
           created_at_us, created_at_us, $1, 'tok' FROM messages WHERE recipient = 'old@example.org'",
    )
    .bind(jiff::Timestamp::now().as_microsecond() + 60_000_000)
    .execute(&db)
    .await
    .unwrap();
    let keep = jiff::SignedDuration::from_hours(90 * 24);
    let out = app.store.execute(nobat_store::Command::Messages(MessageCommand::Prune { keep, batch: 100 })).await;
    assert!(matches!(out, Ok(nobat_store::Output::Count(1))), "{out:?}");
    let left: Vec<(String,)> =
        sqlx::query_as("SELECT recipient FROM messages ORDER BY recipient").fetch_all(&db).await.unwrap();
    let left: Vec<&str> = left.iter().map(|(r,)| r.as_str()).collect();
    assert_eq!(left, vec!["leased@example.org", "new@example.org"]);
    db.close().await;
    app.stop().await;
}
