//! The SMS adapters against the testkit fakes on loopback: success, 5xx, 4xx, 429 with a
//! wait, a hang (timeout), connection refused then back, and the accepted-but-answer-lost
//! window (a transient error, and the retry carries the same idempotency key).
#![allow(clippy::unwrap_used)]

use nobat_i18n::Lang;
use nobat_notify::channels::{HttpSms, HttpSmsConfig, Kavenegar, KavenegarConfig, Twilio, TwilioConfig};
use nobat_notify::http::Http;
use nobat_notify::{Channel, Outgoing, SendError};
use nobat_testkit::{HttpResponse, HttpSink, KavenegarFake, TwilioFake, keys};
use std::time::Duration;

fn sms(to: &str, key: &str, text: &str) -> Outgoing {
    Outgoing {
        idempotency_key: key.into(),
        to: to.into(),
        lang: Lang::Fa,
        subject: None,
        text: text.into(),
        html: None,
        attachments: vec![],
        buttons: vec![],
        template: None,
    }
}

fn http() -> Http {
    Http::new(Duration::from_millis(700))
}

fn transient(r: Result<nobat_notify::Accepted, SendError>) -> Option<Duration> {
    match r {
        Err(SendError::Transient { after, .. }) => after,
        other => panic!("expected a transient failure, got {other:?}"),
    }
}

fn permanent(r: Result<nobat_notify::Accepted, SendError>) {
    assert!(matches!(r, Err(SendError::Permanent { .. })), "expected a permanent failure, got {r:?}");
}

fn twilio(fake: &TwilioFake) -> Twilio {
    Twilio::new(
        TwilioConfig {
            base_url: fake.url(),
            account_sid: "AC123".into(),
            auth_token: "tok".into(),
            from: Some("+15005550006".into()),
            messaging_service_sid: None,
        },
        http(),
    )
}

#[tokio::test]
async fn twilio_success_and_every_fault() {
    let fake = TwilioFake::start("AC123", "tok").await.unwrap();
    let ch = twilio(&fake);
    let ok = ch.send(&sms("+989121234567", "m1", "نوبت شما ثبت شد")).await.unwrap();
    assert!(ok.provider_id.as_deref().is_some_and(|s| s.starts_with("SM")), "{ok:?}");
    let sent = fake.sent().all();
    assert_eq!(sent[0].to, "+989121234567");
    assert_eq!(sent[0].body, "نوبت شما ثبت شد");

    fake.fail_next(1, 503);
    assert_eq!(transient(ch.send(&sms("+989121234567", "m2", "x")).await), None);
    fake.rate_limit_next(1, 7);
    assert_eq!(transient(ch.send(&sms("+989121234567", "m2", "x")).await), Some(Duration::from_secs(7)));
    fake.hang_next(1, Duration::from_secs(3));
    transient(ch.send(&sms("+989121234567", "m2", "x")).await);
    // A bad number is Twilio's 400: retrying will not help.
    permanent(ch.send(&sms("09121234567", "m3", "x")).await);

    fake.stop().await;
    transient(ch.send(&sms("+989121234567", "m2", "x")).await);
    fake.restart().await.unwrap();
    // The accepted-but-answer-lost window: transient, and the retry has the same key.
    fake.accept_then_drop_next(1);
    transient(ch.send(&sms("+989121234567", "m4", "x")).await);
    ch.send(&sms("+989121234567", "m2", "x")).await.unwrap();
    let counts = fake.sent().count_by_key(|s| keys::header("Idempotency-Key")(&s.request));
    assert_eq!(counts.get("m1"), Some(&1));
    assert_eq!(counts.get("m2"), Some(&1), "faulted attempts were not accepted");
    assert_eq!(counts.get("m4"), Some(&1), "the fake took it although we never heard back");

    // Wrong credentials: 401, permanent.
    let bad = Twilio::new(
        TwilioConfig {
            base_url: fake.url(),
            account_sid: "AC123".into(),
            auth_token: "wrong".into(),
            from: Some("+15005550006".into()),
            messaging_service_sid: None,
        },
        http(),
    );
    permanent(bad.send(&sms("+989121234567", "m5", "x")).await);
}

#[tokio::test]
async fn kavenegar_success_and_every_fault() {
    let fake = KavenegarFake::start("KEY-1").await.unwrap();
    let ch = Kavenegar::new(
        KavenegarConfig { base_url: fake.url(), api_key: "KEY-1".into(), sender: Some("10004346".into()) },
        http(),
    );
    let ok = ch.send(&sms("+989121234567", "k1", "سلام")).await.unwrap();
    let id = ok.provider_id.expect("a message id");
    assert_eq!(fake.sent().all()[0].id, id);
    assert_eq!(fake.sent().all()[0].request.form_field("localid").as_deref(), Some("k1"));

    fake.fail_next(1, 502);
    transient(ch.send(&sms("+989121234567", "k2", "x")).await);
    fake.rate_limit_next(1, 3);
    assert_eq!(transient(ch.send(&sms("+989121234567", "k2", "x")).await), Some(Duration::from_secs(3)));
    fake.hang_next(1, Duration::from_secs(3));
    transient(ch.send(&sms("+989121234567", "k2", "x")).await);
    permanent(ch.send(&sms("12", "k3", "x")).await);
    fake.stop().await;
    transient(ch.send(&sms("+989121234567", "k2", "x")).await);
    fake.restart().await.unwrap();
    fake.accept_then_drop_next(1);
    transient(ch.send(&sms("+989121234567", "k4", "x")).await);
    ch.send(&sms("+989121234567", "k2", "x")).await.unwrap();
    let counts = fake.sent().count_by_key(|s| s.request.form_field("localid"));
    assert_eq!((counts.get("k2"), counts.get("k4")), (Some(&1), Some(&1)));

    let bad = Kavenegar::new(KavenegarConfig { base_url: fake.url(), api_key: "nope".into(), sender: None }, http());
    permanent(bad.send(&sms("+989121234567", "k5", "x")).await);
}

#[tokio::test]
async fn templated_http_gateway_fills_and_escapes_placeholders() {
    let sink = HttpSink::start().await.unwrap();
    sink.set_responder(|r| {
        HttpResponse::json(
            200,
            &serde_json::json!({ "data": { "ref": format!("gw-{}", r.json().unwrap()["ref"].as_str().unwrap()) } }),
        )
    });
    let ch = HttpSms::new(
        HttpSmsConfig {
            url: format!("{}/send?to={{to}}", sink.url()),
            method: "POST".into(),
            body: Some(r#"{"to":"{to}","text":"{text}","ref":"{id}"}"#.into()),
            content_type: "application/json".into(),
            auth_header: Some("Authorization".into()),
            auth_value: Some("Bearer gw-secret".into()),
            id_pointer: Some("/data/ref".into()),
        },
        http(),
    );
    // Quotes, a newline and a literal "{id}" in the text must survive as text.
    let text = "Dr \"Ali\"\nsays {id} & bye";
    let ok = ch.send(&sms("+989121234567", "h1", text)).await.unwrap();
    assert_eq!(ok.provider_id.as_deref(), Some("gw-h1"));
    let got = &sink.received().all()[0];
    let body = got.json().expect("valid JSON body");
    assert_eq!(body["text"], text);
    assert_eq!(body["to"], "+989121234567");
    assert_eq!(got.query_param("to").as_deref(), Some("+989121234567"), "the + is percent-encoded in the URL");
    assert_eq!(got.bearer(), Some("gw-secret"));

    sink.fail_next(1, 500);
    transient(ch.send(&sms("+989121234567", "h2", "x")).await);
    sink.rate_limit_next(1, 2);
    assert_eq!(transient(ch.send(&sms("+989121234567", "h2", "x")).await), Some(Duration::from_secs(2)));
    sink.hang_next(1, Duration::from_secs(3));
    transient(ch.send(&sms("+989121234567", "h2", "x")).await);
    sink.set_reply(HttpResponse::json(400, &serde_json::json!({ "error": "bad number" })));
    sink.set_responder(|_| HttpResponse::json(400, &serde_json::json!({ "error": "bad number" })));
    permanent(ch.send(&sms("+989121234567", "h3", "x")).await);
    sink.stop().await;
    transient(ch.send(&sms("+989121234567", "h2", "x")).await);
}

#[tokio::test]
async fn form_gateway_with_get_puts_everything_in_the_url() {
    let sink = HttpSink::start().await.unwrap();
    let ch = HttpSms::new(
        HttpSmsConfig {
            url: format!("{}/api?n={{to}}&m={{text}}&id={{id}}", sink.url()),
            method: "get".into(),
            body: None,
            content_type: "application/json".into(),
            auth_header: None,
            auth_value: None,
            id_pointer: None,
        },
        http(),
    );
    ch.send(&sms("+989121234567", "g1", "a&b=c ✓")).await.unwrap();
    let got = &sink.received().all()[0];
    assert_eq!(got.method, "GET");
    assert_eq!(got.query_param("m").as_deref(), Some("a&b=c ✓"));
    assert_eq!(got.query_param("n").as_deref(), Some("+989121234567"));
    assert_eq!(got.query_param("id").as_deref(), Some("g1"));
}
