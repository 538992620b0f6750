use nobat_testkit::KavenegarFake;
use serde_json::{Value, json};

use crate::{FORM, WAIT, client, form};

#[tokio::test]
async fn kavenegar_sends_to_each_receptor_and_answers_in_persian() {
    let kn = KavenegarFake::start("KEY123").await.expect("start");
    let r = client()
        .post(format!("{}/v1/KEY123/sms/send.json", kn.url()))
        .header("content-type", FORM)
        .body(form(&[("receptor", "09121234567,09351234567"), ("sender", "10004346"), ("message", "یادآوری نوبت")]))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["return"], json!({"status": 200, "message": "تایید شد"}));
    let entries = v["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert!(entries[0]["messageid"].is_u64());
    assert_eq!(entries[1]["receptor"], json!("09351234567"));
    assert_eq!(entries[0]["status"], json!(1));
    let got = kn.wait_for(2, WAIT).await;
    assert_eq!(got[0].body, "یادآوری نوبت");

    // GET with a query string is documented too; a wrong key is refused with 403.
    let r = client()
        .get(format!("{}/v1/WRONG/sms/send.json?receptor=09121234567&message=x", kn.url()))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 403);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["return"]["status"], json!(403));
    assert_eq!(v["entries"], Value::Null);

    kn.fail_next(1, 500);
    let r = client()
        .get(format!("{}/v1/KEY123/sms/send.json?receptor=09121234567&message=x", kn.url()))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 500);
    assert_eq!(kn.sent().len(), 2);
}

#[tokio::test]
async fn delivery_status_is_reported_as_set() {
    let kn = KavenegarFake::start("KEY").await.expect("start");
    let v: Value = client()
        .get(format!("{}/v1/KEY/sms/send.json?receptor=09121234567&message=x", kn.url()))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let id = v["entries"][0]["messageid"].as_u64().expect("id").to_string();
    let status = |ids: String| {
        let url = format!("{}/v1/KEY/sms/status.json?messageid={ids}", kn.url());
        async move {
            let v: Value = client().get(url).send().await.expect("status").json().await.expect("json");
            v
        }
    };
    assert_eq!(status(id.clone()).await["entries"][0]["status"], json!(1));
    kn.set_status(&id, 10);
    let v = status(format!("{id},999")).await;
    assert_eq!(v["entries"][0]["status"], json!(10));
    assert_eq!(v["entries"][0]["statustext"], json!("رسیده به گیرنده"));
    assert_eq!(v["entries"][1]["status"], json!(100), "unknown id");
}
