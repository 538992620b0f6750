use nobat_testkit::webhook::{hmac_sha256_hex, verify_signature, verify_timestamped};
use nobat_testkit::{HttpResponse, HttpSink, WebhookFake};
use serde_json::json;

use crate::{WAIT, client};

#[tokio::test]
async fn signed_webhooks_verify_and_tampering_is_caught() {
    let hook = WebhookFake::start().await.expect("start");
    let secret = b"whsec_test";
    let body = r#"{"type":"appointment.booked","id":"evt_1"}"#;
    let sig = hmac_sha256_hex(secret, body.as_bytes());
    let ts = "1767225600";
    let stripe_like = format!("t={ts},v1={}", hmac_sha256_hex(secret, format!("{ts}.{body}").as_bytes()));
    for (header, value) in [
        ("x-nobat-signature", format!("sha256={sig}")),
        ("x-plain-signature", sig.clone()),
        ("x-stripe-style", stripe_like),
    ] {
        client()
            .post(format!("{}/hooks/nobat", hook.url()))
            .header("content-type", "application/json")
            .header(header, value)
            .header("x-nobat-timestamp", ts)
            .header("x-ts-signature", hmac_sha256_hex(secret, format!("{ts}.{body}").as_bytes()))
            .body(body)
            .send()
            .await
            .expect("post");
    }
    let got = hook.wait_for(3, WAIT).await;
    assert_eq!(got[0].path, "/hooks/nobat");
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].json().expect("json")["id"], json!("evt_1"));
    assert_eq!(verify_signature(&got[0], "x-nobat-signature", secret), Ok(None));
    assert_eq!(verify_signature(&got[1], "x-plain-signature", secret), Ok(None));
    assert_eq!(verify_signature(&got[2], "x-stripe-style", secret), Ok(Some(1767225600)));
    assert_eq!(verify_timestamped(&got[0], "x-ts-signature", "x-nobat-timestamp", secret).as_deref(), Ok(ts));
    assert!(verify_signature(&got[0], "x-nobat-signature", b"other secret").is_err());
    let mut tampered = got[0].clone();
    tampered.body = body.replace("evt_1", "evt_2").into_bytes();
    assert!(verify_signature(&tampered, "x-nobat-signature", secret).is_err());
    assert!(verify_signature(&got[0], "x-missing", secret).is_err());
    // The same event delivered three times is what the exactly-once helpers catch.
    let event_id = |r: &nobat_testkit::HttpRequest| r.json().and_then(|j| j["id"].as_str().map(str::to_owned));
    assert_eq!(hook.received().duplicates(event_id).get("evt_1"), Some(&3));
    let received = std::panic::AssertUnwindSafe(hook.received());
    let caught = std::panic::catch_unwind(|| received.assert_exactly_once(event_id, ["evt_1"]));
    assert!(caught.is_err(), "three deliveries are not exactly once");
}

#[tokio::test]
async fn generic_templated_sms_receiver_records_everything_and_replies_as_told() {
    let sms = HttpSink::start().await.expect("start");
    sms.set_reply(HttpResponse::json(202, &json!({"accepted": true, "ref": "X1"})));
    let r = client()
        .put(format!("{}/api/send?to=%2B989121234567&lang=fa", sms.url()))
        .header("x-api-key", "k")
        .body("نوبت شما تایید شد")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 202);
    let got = sms.wait_for(1, WAIT).await;
    assert_eq!(got[0].method, "PUT");
    assert_eq!(got[0].path, "/api/send");
    assert_eq!(got[0].query_param("to").as_deref(), Some("+989121234567"));
    assert_eq!(got[0].header("X-Api-Key"), Some("k"));
    assert_eq!(got[0].text(), "نوبت شما تایید شد");

    // A responder computes each answer from the request.
    sms.set_responder(|r| HttpResponse::json(200, &json!({"id": format!("gw-{}", r.body.len())})));
    let v: serde_json::Value = client()
        .post(format!("{}/api/send", sms.url()))
        .body("abc")
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(v["id"], json!("gw-3"));
}
