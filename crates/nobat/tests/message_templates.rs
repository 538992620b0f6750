//! A clinic's own wording of its messages: listed with the catalogue's text, saved per key and
//! language after validation (a placeable the template does not offer is a 422 naming it),
//! reverted by deleting, audited — and what the dispatcher renders with (`OverridesCache`).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use nobat_i18n::{CalendarPref, Lang, Messages};
use nobat_notify::{MessageContext, MessageKind, render};
use nobat_store::message_templates::OverridesCache;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(app.client.put(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

fn entry<'a>(list: &'a Value, key: &str, lang: &str) -> &'a Value {
    let t = list["templates"].as_array().unwrap().iter().find(|t| t["key"] == key).unwrap();
    t["languages"].as_array().unwrap().iter().find(|l| l["lang"] == lang).unwrap()
}

fn confirmation_ctx() -> MessageContext {
    let start: jiff::Timestamp = "2026-12-01T06:30:00Z".parse().unwrap();
    MessageContext {
        clinic_name: "درمانگاه نوبت".into(),
        recipient_name: Some("مریم".into()),
        service: Some("معاینه".into()),
        practitioner: Some("دکتر رضایی".into()),
        location: Some("تهران".into()),
        start: Some(start),
        zone: Some(nobat_core::zones::get("Asia/Tehran").unwrap()),
        calendar: CalendarPref::LocaleDefault,
        link: Some("https://clinic.example/m/x".into()),
        ..MessageContext::default()
    }
}

#[tokio::test]
async fn a_clinic_overrides_a_template_per_language_validated_audited_and_rendered() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}/message-templates", seed.slug);
    let (s, list) = app.get(&c).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let keys: Vec<&str> = list["templates"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"appointment-confirmed-body") && keys.contains(&"staff-invitation-body"), "{keys:?}");
    assert!(!keys.iter().any(|k| k.starts_with("problem-")), "problem details are not message templates");
    let fa = entry(&list, "appointment-confirmed-body", "fa");
    assert!(fa["catalogue"].as_str().unwrap().contains("{ $date }") && fa["override"].is_null(), "{fa}");
    let t = list["templates"].as_array().unwrap().iter().find(|t| t["key"] == "appointment-confirmed-body").unwrap();
    assert_eq!(t["languages"].as_array().unwrap().len(), 6);
    assert!(t["placeables"].as_array().unwrap().contains(&json!("$patient")));

    // A misspelt placeable is refused when saved, and named.
    let bad = format!("{c}/appointment-confirmed-body/fa");
    let (s, p) = put(&app, &bad, json!({ "text": "{ $pateint } جان، نوبت شما { $date } است." })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text")), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("$pateint"), "{p}");
    for (path, body) in [
        (format!("{c}/no-such-template/fa"), json!({ "text": "x" })),
        (format!("{c}/problem-not-found-title/en"), json!({ "text": "x" })),
        (format!("{c}/appointment-confirmed-body/de"), json!({ "text": "x" })),
    ] {
        let (s, p) = put(&app, &path, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {p}");
    }
    let (s, p) = put(&app, &bad, json!({ "text": "" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    // A good one is kept for Persian only.
    let text = "{ $patient } جان، نوبت شما { $date } ساعت { $time } قطعی شد.";
    let (s, saved) = put(&app, &bad, json!({ "text": text })).await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    let (_, list) = app.get(&c).await;
    assert_eq!(entry(&list, "appointment-confirmed-body", "fa")["override"], json!(text));
    assert!(entry(&list, "appointment-confirmed-body", "en")["override"].is_null());

    // What the dispatcher renders with.
    let clinic: nobat_core::ClinicId = seed.clinic.parse().unwrap();
    let messages = Messages::embedded().unwrap();
    let cache = OverridesCache::new();
    let overrides = cache.get(&app.store, messages, clinic).await.unwrap();
    let r = render(messages, &overrides, MessageKind::BookingConfirmed, Lang::Fa, &confirmation_ctx()).unwrap();
    assert!(r.text.contains("جان، نوبت شما") && r.text.contains("۱۰:۰۰"), "{}", r.text);
    let en = render(messages, &overrides, MessageKind::BookingConfirmed, Lang::En, &confirmation_ctx()).unwrap();
    assert!(en.text.contains("is confirmed"), "{}", en.text);

    // A second save replaces it, and the cache sees the change.
    let (s, _) = put(&app, &bad, json!({ "text": "نوبت { $date } قطعی است." })).await;
    assert_eq!(s, StatusCode::OK);
    let overrides = cache.get(&app.store, messages, clinic).await.unwrap();
    let r = render(messages, &overrides, MessageKind::BookingConfirmed, Lang::Fa, &confirmation_ctx()).unwrap();
    assert!(r.text.contains("قطعی است") && !r.text.contains("جان"), "{}", r.text);

    // Deleting reverts to the catalogue; deleting again finds nothing.
    let (s, body) = app.delete(&bad).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, _) = app.delete(&bad).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let overrides = cache.get(&app.store, messages, clinic).await.unwrap();
    assert!(overrides.is_empty());
    let r = render(messages, &overrides, MessageKind::BookingConfirmed, Lang::Fa, &confirmation_ctx()).unwrap();
    assert!(r.text.contains("نوبت شما در"), "{}", r.text);

    // Two saves and a delete, each audited with what was there before.
    let (s, audit) = app.get(&format!("/clinics/{}/audit?entity=message_template", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["delete_message_template", "set_message_template", "set_message_template"], "{audit}");
    app.stop().await;
}
