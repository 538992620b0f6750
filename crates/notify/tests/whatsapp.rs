//! WhatsApp Cloud API template messages against the fake Graph API.
#![allow(clippy::unwrap_used)]

use nobat_i18n::Lang;
use nobat_notify::channels::{WhatsApp, WhatsAppConfig};
use nobat_notify::http::Http;
use nobat_notify::{Channel, Outgoing, SendError, WaTemplate};
use nobat_testkit::WhatsAppFake;
use std::time::Duration;

fn msg(key: &str) -> Outgoing {
    Outgoing {
        idempotency_key: key.into(),
        to: "+989121234567".into(),
        lang: Lang::Fa,
        subject: None,
        text: "fallback".into(),
        html: None,
        attachments: vec![],
        buttons: vec![],
        template: Some(WaTemplate {
            name: "appointment_confirmed".into(),
            language: "fa".into(),
            params: vec!["سارا".into(), "۱۴۰۵/۰۱/۱۵ ۱۰:۳۰".into()],
        }),
    }
}

#[tokio::test]
async fn template_messages_and_faults() {
    let fake = WhatsAppFake::start("10987", "wa-token").await.unwrap();
    let cfg = WhatsAppConfig {
        api_url: fake.url(),
        api_version: "v21.0".into(),
        phone_number_id: "10987".into(),
        access_token: "wa-token".into(),
    };
    let ch = WhatsApp::new(cfg.clone(), Http::new(Duration::from_millis(700)));
    let ok = ch.send(&msg("w1")).await.unwrap();
    let sent = fake.sent().all();
    assert_eq!(ok.provider_id.as_deref(), Some(sent[0].id.as_str()));
    assert_eq!(sent[0].kind, "template");
    assert_eq!(sent[0].template.as_deref(), Some("appointment_confirmed"));
    assert_eq!(sent[0].language.as_deref(), Some("fa"));
    assert_eq!(sent[0].texts, vec!["سارا", "۱۴۰۵/۰۱/۱۵ ۱۰:۳۰"]);
    assert_eq!(sent[0].to, "989121234567");

    fake.fail_next(1, 500);
    assert!(matches!(ch.send(&msg("w2")).await, Err(SendError::Transient { .. })));
    fake.rate_limit_next(1, 4);
    match ch.send(&msg("w2")).await {
        Err(SendError::Transient { after, .. }) => assert_eq!(after, Some(Duration::from_secs(4))),
        other => panic!("{other:?}"),
    }
    fake.hang_next(1, Duration::from_secs(3));
    assert!(matches!(ch.send(&msg("w2")).await, Err(SendError::Transient { .. })));
    fake.stop().await;
    assert!(matches!(ch.send(&msg("w2")).await, Err(SendError::Transient { .. })));
    fake.restart().await.unwrap();
    fake.accept_then_drop_next(1);
    assert!(matches!(ch.send(&msg("w3")).await, Err(SendError::Transient { .. })));
    assert_eq!(fake.sent().len(), 2, "the lost answer's message was taken once");

    let bad = WhatsApp::new(WhatsAppConfig { access_token: "wrong".into(), ..cfg }, Http::default());
    assert!(matches!(bad.send(&msg("w4")).await, Err(SendError::Permanent { .. })));
}
