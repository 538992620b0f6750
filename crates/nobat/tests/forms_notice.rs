//! A staff secure message tells the patient through their channel, in their language, without
//! its content (issue 17); the patient's own message tells nobody.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::messages;

use common::*;
use messages::app_with_mail;
use nobat_testkit::smtp::SmtpFake;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_message_is_announced_in_farsi_without_its_text() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    let slots = slots(&app, &seed, &seed.consult, &day(2), Some(&seed.doctors[0])).await;
    let mut body = booking(&slots[0], "مریم احمدی");
    body["patient"] = json!({ "name": "مریم احمدی", "email": "maryam@example.org", "language": "fa" });
    let (s, b) = app.post(&format!("/clinics/{}/appointments", seed.slug), body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let token = b["manage_token"].as_str().unwrap().to_owned();
    let patient = b["patient"].as_str().unwrap().to_owned();
    smtp.wait_for(1, Duration::from_secs(20)).await; // the booking confirmation

    // The patient's own message: nobody is mailed.
    let res = app.anon.post(format!("{}/manage/{token}/messages", app.api)).json(&json!({"body": "سوال من"})).send();
    assert_eq!(res.await.unwrap().status(), StatusCode::CREATED);
    const SECRET: &str = "نتیجه آزمایش شما طبیعی است qzvbn";
    let (s, m) =
        app.post(&format!("/clinics/{}/patients/{patient}/messages", seed.slug), json!({"body": SECRET})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let got = smtp.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 2, "one notice, for the staff message only");
    let mail = got[1].mail();
    assert_eq!(got[1].rcpt_to, vec!["maryam@example.org".to_owned()]);
    let subject = mail.subject().unwrap_or_default();
    assert!(subject.contains("پیام تازه"), "{subject:?}");
    let raw = String::from_utf8_lossy(&got[1].data).into_owned();
    let text = mail.text_body().unwrap_or_default();
    for hay in [&raw, &text, &subject] {
        assert!(!hay.contains("qzvbn") && !hay.contains("آزمایش"), "the notice carries the message: {hay}");
    }
    // And the queued message's facts hold no content either.
    let db = app.db().await;
    let (facts,): (String,) =
        sqlx::query_as("SELECT facts FROM messages WHERE kind = 'secure_message'").fetch_one(&db).await.unwrap();
    assert!(!facts.contains("qzvbn"), "{facts}");
    db.close().await;
    app.stop().await;
}
