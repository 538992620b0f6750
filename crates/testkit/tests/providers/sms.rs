use nobat_testkit::TwilioFake;
use nobat_testkit::twilio::twilio_signature;
use serde_json::{Value, json};

use crate::{FORM, WAIT, client, form};

const SID: &str = "AC0123456789abcdef0123456789abcdef";

async fn twilio_send(
    tw: &TwilioFake,
    auth: (&str, &str),
    fields: &[(&str, &str)],
    key: &str,
) -> (u16, Value, Option<String>) {
    let r = client()
        .post(format!("{}/2010-04-01/Accounts/{SID}/Messages.json", tw.url()))
        .basic_auth(auth.0, Some(auth.1))
        .header("content-type", FORM)
        .header("Idempotency-Key", key)
        .body(form(fields))
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_owned());
    (status, r.json().await.expect("json"), retry)
}

#[tokio::test]
async fn twilio_accepts_a_message_and_answers_like_twilio() {
    let tw = TwilioFake::start(SID, "tok").await.expect("start");
    let msg = [("To", "+989121234567"), ("From", "+15005550006"), ("Body", "نوبت شما فردا ساعت ۹")];
    let (s, v, _) = twilio_send(&tw, (SID, "tok"), &msg, "k1").await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], json!("queued"));
    assert_eq!(v["to"], json!("+989121234567"));
    assert_eq!(v["body"], json!("نوبت شما فردا ساعت ۹"));
    let sid = v["sid"].as_str().expect("sid");
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    let got = tw.wait_for(1, WAIT).await;
    assert_eq!(got[0].id, sid);
    assert_eq!(got[0].request.header("idempotency-key"), Some("k1"));
}

#[tokio::test]
async fn twilio_errors_and_faults_use_twilios_error_shape() {
    let tw = TwilioFake::start(SID, "tok").await.expect("start");
    let ok = [("To", "+989121234567"), ("From", "+15005550006"), ("Body", "hi")];
    let (s, v, _) = twilio_send(&tw, (SID, "bad"), &ok, "k").await;
    assert_eq!((s, &v["code"]), (401, &json!(20003)));
    assert_eq!(v["more_info"], json!("https://www.twilio.com/docs/errors/20003"));
    let (s, v, _) = twilio_send(&tw, (SID, "tok"), &[("To", "09121234567"), ("From", "+1"), ("Body", "x")], "k").await;
    assert_eq!((s, &v["code"]), (400, &json!(21211)), "not E.164");
    let (s, v, _) = twilio_send(&tw, (SID, "tok"), &[("To", "+989121234567"), ("From", "+15005550006")], "k").await;
    assert_eq!((s, &v["code"]), (400, &json!(21602)));

    tw.fail_next(1, 503);
    tw.rate_limit_next(1, 7);
    let (s, v, _) = twilio_send(&tw, (SID, "tok"), &ok, "k1").await;
    assert_eq!((s, &v["status"]), (503, &json!(503)));
    let (s, v, retry) = twilio_send(&tw, (SID, "tok"), &ok, "k1").await;
    assert_eq!((s, &v["code"], retry.as_deref()), (429, &json!(20429), Some("7")));
    twilio_send(&tw, (SID, "tok"), &ok, "k1").await;
    twilio_send(&tw, (SID, "tok"), &ok, "k2").await;
    let key = |m: &nobat_testkit::Sms| m.request.header("idempotency-key").map(str::to_owned);
    tw.sent().assert_exactly_once(key, ["k1", "k2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_500_is_counted_exactly_once_by_key() {
    let tw = std::sync::Arc::new(TwilioFake::start(SID, "tok").await.expect("start"));
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(50));
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..500 {
        let (tw, limit) = (tw.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire().await.expect("semaphore");
            let key = format!("burst-{i}");
            let ok = [("To", "+989121234567"), ("From", "+15005550006"), ("Body", "x")];
            twilio_send(&tw, (SID, "tok"), &ok, &key).await.0
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("joined"), 201);
    }
    eprintln!("twilio fake: 500 messages, 50 in flight, in {:?}", started.elapsed());
    tw.sent().assert_exactly_once(
        |m| nobat_testkit::keys::header("idempotency-key")(&m.request),
        (0..500).map(|i| format!("burst-{i}")),
    );
}

#[tokio::test]
async fn status_callbacks_are_posted_and_signed_like_twilio() {
    let tw = TwilioFake::start(SID, "tok").await.expect("start");
    let hook = nobat_testkit::HttpSink::start().await.expect("sink");
    let callback = format!("{}/sms/status?clinic=7", hook.url());
    let fields =
        [("To", "+989121234567"), ("From", "+15005550006"), ("Body", "x"), ("StatusCallback", callback.as_str())];
    let (_, v, _) = twilio_send(&tw, (SID, "tok"), &fields, "k").await;
    let sid = v["sid"].as_str().expect("sid");
    assert_eq!(tw.report_status(sid, "delivered").await, Ok(200));
    let got = hook.wait_for(1, WAIT).await;
    let params = got[0].form();
    assert!(params.contains(&("MessageStatus".into(), "delivered".into())));
    assert!(params.contains(&("MessageSid".into(), sid.to_owned())));
    let expected = twilio_signature("tok", &callback, &params);
    assert_eq!(got[0].header("x-twilio-signature"), Some(expected.as_str()));
    assert_ne!(twilio_signature("other", &callback, &params), expected);
    assert!(tw.report_status("SMnope", "delivered").await.is_err());
}
