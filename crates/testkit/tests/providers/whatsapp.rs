use nobat_testkit::WhatsAppFake;
use serde_json::{Value, json};

use crate::{WAIT, client};

async fn post(wa: &WhatsAppFake, path: &str, token: &str, body: Value) -> (u16, Value) {
    let r = client().post(format!("{}{path}", wa.url())).bearer_auth(token).json(&body).send().await.expect("request");
    (r.status().as_u16(), r.json().await.expect("json"))
}

fn template(to: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {
            "name": "appointment_confirmed",
            "language": { "code": "fa" },
            "components": [{ "type": "body", "parameters": [
                { "type": "text", "text": "مریم" },
                { "type": "text", "text": "۱ فروردین ۱۴۰۵" }
            ]}]
        }
    })
}

#[tokio::test]
async fn template_and_text_messages_are_accepted() {
    let wa = WhatsAppFake::start("106540352242922", "EAAG-token").await.expect("start");
    let (s, v) = post(&wa, "/v21.0/106540352242922/messages", "EAAG-token", template("+989121234567")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["messaging_product"], json!("whatsapp"));
    assert_eq!(v["contacts"][0], json!({"input": "+989121234567", "wa_id": "989121234567"}));
    assert!(v["messages"][0]["id"].as_str().expect("id").starts_with("wamid."));
    let text = json!({"messaging_product": "whatsapp", "to": "905321234567", "type": "text",
                      "text": {"body": "Randevunuz onaylandı"}});
    let (s, _) = post(&wa, "/v21.0/106540352242922/messages", "EAAG-token", text).await;
    assert_eq!(s, 200);
    let got = wa.wait_for(2, WAIT).await;
    assert_eq!(got[0].template.as_deref(), Some("appointment_confirmed"));
    assert_eq!(got[0].language.as_deref(), Some("fa"));
    assert_eq!(got[0].texts, ["مریم", "۱ فروردین ۱۴۰۵"]);
    assert_eq!(got[1].kind, "text");
    assert_eq!(got[1].texts, ["Randevunuz onaylandı"]);
}

#[tokio::test]
async fn graph_api_errors_and_faults() {
    let wa = WhatsAppFake::start("1065", "tok").await.expect("start");
    let path = "/v21.0/1065/messages";
    let (s, v) = post(&wa, path, "bad", template("+98912")).await;
    assert_eq!((s, &v["error"]["code"]), (401, &json!(190)));
    assert_eq!(v["error"]["type"], json!("OAuthException"));
    let (s, v) = post(&wa, "/v21.0/999/messages", "tok", template("+98912")).await;
    assert_eq!((s, &v["error"]["code"]), (400, &json!(100)));
    let mut no_product = template("+98912");
    no_product["messaging_product"] = Value::Null;
    let (s, v) = post(&wa, path, "tok", no_product).await;
    assert_eq!((s, &v["error"]["code"]), (400, &json!(100)));
    let mut no_name = template("+98912");
    no_name["template"]["name"] = Value::Null;
    assert_eq!(post(&wa, path, "tok", no_name).await.0, 400);

    wa.rate_limit_next(1, 2);
    wa.fail_next(1, 500);
    let (s, v) = post(&wa, path, "tok", template("+98912")).await;
    assert_eq!((s, &v["error"]["code"]), (429, &json!(130429)));
    let (s, v) = post(&wa, path, "tok", template("+98912")).await;
    assert_eq!((s, &v["error"]["code"]), (500, &json!(131000)));
    assert!(wa.sent().is_empty());
    assert_eq!(post(&wa, path, "tok", template("+98912")).await.0, 200);
    wa.sent().assert_exactly_once(|m| Some(m.to.clone()), ["+98912"]);
}

#[tokio::test]
async fn status_webhooks_are_signed_with_the_app_secret() {
    let wa = WhatsAppFake::start("1065", "tok").await.expect("start");
    let hook = nobat_testkit::HttpSink::start().await.expect("sink");
    let (_, v) = post(&wa, "/v21.0/1065/messages", "tok", template("+989121234567")).await;
    let wamid = v["messages"][0]["id"].as_str().expect("id");
    let url = format!("{}/wa", hook.url());
    assert_eq!(wa.report_status(wamid, "delivered", &url, "app-secret").await, Ok(200));
    let got = hook.wait_for(1, WAIT).await;
    let sig = nobat_testkit::webhook::verify_signature(&got[0], "x-hub-signature-256", b"app-secret");
    assert_eq!(sig, Ok(None));
    let body = got[0].json().expect("json");
    let status = &body["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(status["id"], json!(wamid));
    assert_eq!(status["status"], json!("delivered"));
    assert_eq!(status["recipient_id"], json!("989121234567"));
}
