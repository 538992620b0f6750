//! Webhooks end to end: a clinic registers endpoints (the secret shown once), books, and each
//! endpoint receives each event exactly once, correctly signed — through 5xx answers (retried
//! with backoff), an endpoint refusing connections, and a restart of the server while a
//! delivery is pending. One endpoint failing does not make the other receive twice.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use nobat_testkit::webhook::verify_signature;
use nobat_testkit::{HttpRequest, WebhookFake};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

struct Running {
    api: String,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start(cfg: &nobat::Config, first: bool) -> Running {
    let app = nobat::Application::build(cfg).await.unwrap();
    if first {
        create_owner(&app.store()).await;
    }
    let addr = app.local_addr();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let api = format!("http://{addr}/api/v1");
    let client = authed_client(&login(&reqwest::Client::new(), &api, OWNER_EMAIL, OWNER_PASSWORD).await);
    Running { api, client, stop, task }
}

impl Running {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        decode(self.client.post(format!("{}{path}", self.api)).json(&body).send().await.unwrap()).await
    }
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        decode(self.client.get(format!("{}{path}", self.api)).send().await.unwrap()).await
    }
    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn event_id(r: &HttpRequest) -> Option<String> {
    r.header("x-nobat-event-id").map(str::to_owned)
}

async fn free_slots(app: &Running, slug: &str, service: &str) -> Vec<Value> {
    let date = day(2);
    let (_, body) = app.get(&format!("/clinics/{slug}/availability?service={service}&from={date}&to={date}")).await;
    body["slots"].as_array().unwrap().clone()
}

#[tokio::test]
async fn each_endpoint_gets_each_event_once_signed_through_faults_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    let mut cfg = config(dir.path(), &db_url);
    cfg.channels.webhook_retry_seconds = 1;
    cfg.channels.webhook_timeout_ms = 1000;
    let app = start(&cfg, true).await;
    let seed = seed_at(&app.client, &app.api).await;
    let c = format!("/clinics/{}", seed.slug);

    let flaky = WebhookFake::start().await.unwrap();
    let steady = WebhookFake::start().await.unwrap();
    let (s, a) = app
        .post(&format!("{c}/webhooks"), json!({ "url": format!("{}/hooks/nobat", flaky.url()), "description": "CRM" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, b) = app.post(&format!("{c}/webhooks"), json!({ "url": format!("{}/in", steady.url()) })).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let secret_a = a["secret"].as_str().unwrap().to_owned();
    let secret_b = b["secret"].as_str().unwrap().to_owned();
    // The secret is shown once.
    let (_, list) = app.get(&format!("{c}/webhooks")).await;
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(&secret_a) && list["webhooks"][0].get("secret").is_none());

    // Event 1: the flaky endpoint answers 500 three times first.
    flaky.fail_next(3, 500);
    let slots = free_slots(&app, &seed.slug, &seed.consult).await;
    let (s, appt) = app.post(&format!("{c}/appointments"), booking(&slots[0], "Hook One")).await;
    assert_eq!(s, StatusCode::CREATED, "{appt}");
    let got = steady.wait_for(1, Duration::from_secs(20)).await;
    let got_flaky = flaky.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(flaky.requests().len(), 4, "three 500s, then taken");
    for (req, secret) in [(&got[0], &secret_b), (&got_flaky[0], &secret_a)] {
        let t = verify_signature(req, "x-nobat-signature", secret.as_bytes()).expect("a valid signature").expect("t=");
        assert!((jiff::Timestamp::now().as_second() - t).abs() < 120, "a current timestamp");
        assert!(verify_signature(req, "x-nobat-signature", b"another secret").is_err());
        let body = req.json().unwrap();
        assert_eq!(body["type"], "appointment.booked");
        assert_eq!(body["clinic"], seed.clinic.as_str());
        assert_eq!(body["data"]["appointment"], appt["id"], "{body}");
        assert_eq!(req.header("x-nobat-event"), Some("appointment.booked"));
    }
    assert_eq!(flaky.received().all()[0].path, "/hooks/nobat");
    // The steady endpoint was not called again while the flaky one's retries went on.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(steady.requests().len(), 1, "no duplicate to the endpoint that took it");

    // Event 2: the flaky endpoint refuses connections; the server restarts meanwhile.
    flaky.stop().await;
    let (s, appt2) = app.post(&format!("{c}/appointments"), booking(&slots[2], "Hook Two")).await;
    assert_eq!(s, StatusCode::CREATED, "{appt2}");
    steady.wait_for(2, Duration::from_secs(20)).await;
    app.stop().await;
    flaky.restart().await.unwrap();
    let app = start(&cfg, false).await;
    flaky.wait_for(2, Duration::from_secs(30)).await;
    // Event 3: a cancellation, after the restart.
    let (s, _) = app
        .post(
            &format!("{c}/appointments/{}/cancel", appt["id"].as_str().unwrap()),
            json!({ "reason": "x", "staff_override": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let last = steady.wait_for(3, Duration::from_secs(20)).await;
    flaky.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(last[2].json().unwrap()["type"], "appointment.cancelled");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for sink in [&flaky, &steady] {
        let counts = sink.received().count_by_key(event_id);
        assert_eq!(counts.len(), 3, "three events: {counts:?}");
        assert!(sink.received().duplicates(event_id).is_empty(), "exactly once: {counts:?}");
    }
    let ids_a: Vec<String> = flaky.received().all().iter().filter_map(event_id).collect();
    let ids_b: Vec<String> = steady.received().all().iter().filter_map(event_id).collect();
    let (mut a_sorted, mut b_sorted) = (ids_a.clone(), ids_b.clone());
    a_sorted.sort();
    b_sorted.sort();
    assert_eq!(a_sorted, b_sorted, "both endpoints got the same events");

    // Deleting an endpoint stops its deliveries.
    let (s, _) = decode(
        app.client.delete(format!("{}{c}/webhooks/{}", app.api, a["id"].as_str().unwrap())).send().await.unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.post(&format!("{c}/appointments"), booking(&slots[4], "Hook Three")).await;
    assert_eq!(s, StatusCode::CREATED);
    steady.wait_for(4, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(flaky.received().len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn bad_endpoints_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    for url in ["ftp://x.example/h", "not a url", "https://", "http:///path"] {
        let (s, p) = app.post(&format!("{c}/webhooks"), json!({ "url": url })).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("url")), "{url}: {p}");
    }
    // The secret is always generated, never chosen.
    let (s, p) = app.post(&format!("{c}/webhooks"), json!({ "url": "https://x.example", "secret": "mine" })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::BAD_REQUEST, Some("secret")), "{p}");
    let (s, _) = app.delete(&format!("{c}/webhooks/0193a1b2-0000-7000-8000-000000000001")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // At most ten endpoints, even when the eleventh and twelfth arrive together.
    for n in 0..9 {
        let (s, v) = app.post(&format!("{c}/webhooks"), json!({ "url": format!("https://h{n}.example/x") })).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let url = format!("{}{c}/webhooks", app.api);
    let tries = (0..3).map(|n| {
        let req = app.client.post(&url).json(&json!({ "url": format!("https://last{n}.example/x") }));
        async move { decode(req.send().await.unwrap()).await }
    });
    let answers = futures::future::join_all(tries).await;
    let created = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(answers.iter().all(|(s, p)| *s == StatusCode::CREATED || p["field"] == "url"));
    let (_, list) = app.get(&format!("{c}/webhooks")).await;
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 10);
    app.stop().await;
}

/// The webhooks consumer's deliveries: (status, attempts, last error).
async fn webhook_deliveries(app: &TestApp) -> Vec<(String, i64, Option<String>)> {
    let db = app.db().await;
    let rows = sqlx::query_as("SELECT status, attempts, last_error FROM outbox_deliveries WHERE consumer = 'webhooks'")
        .fetch_all(&db)
        .await
        .unwrap();
    db.close().await;
    rows
}

async fn wait_dead(app: &TestApp) -> Vec<(String, i64, Option<String>)> {
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let rows = webhook_deliveries(app).await;
        if !rows.is_empty() && rows.iter().all(|(s, _, _)| s == "dead") {
            return rows;
        }
        assert!(std::time::Instant::now() < until, "never dead-lettered: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn private_addresses_are_refused_at_registration_and_again_at_send_time() {
    use nobat_store::commands::{ChannelCommand, NewWebhook};
    let receiver = WebhookFake::start().await.unwrap();
    let app = spawn_with(|c| {
        c.channels.webhook_allow_private_addresses = false;
        c.channels.webhook_retry_seconds = 1;
    })
    .await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    for url in [
        format!("{}/hook", receiver.url()),
        "http://localhost:9/h".into(),
        "http://10.0.0.1/h".into(),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://[::1]:8080/".into(),
        "http://[::ffff:127.0.0.1]/".into(),
        "https://user:pw@192.168.1.1/x".into(),
    ] {
        let (s, p) = app.post(&format!("{c}/webhooks"), json!({ "url": url })).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("url")), "{url}: {p}");
    }
    let (_, list) = app.get(&format!("{c}/webhooks")).await;
    assert!(list["webhooks"].as_array().unwrap().is_empty());

    // An endpoint whose name resolves inside by the time of sending (as if its DNS had been
    // pointed there after it was registered): refused after resolution, dead at once.
    let port = receiver.url().rsplit(':').next().unwrap().to_owned();
    let endpoint = NewWebhook {
        id: uuid::Uuid::now_v7().to_string(),
        url: format!("http://localhost:{port}/hook"),
        secret_sealed: "unused".into(),
        description: String::new(),
    };
    let cmd = ChannelCommand::CreateWebhook {
        clinic: seed.clinic.parse().unwrap(),
        endpoint,
        actor: nobat_store::AuditActor::system(),
    };
    app.store.execute(nobat_store::Command::Channels(cmd)).await.unwrap();
    let slots = slots(&app, &seed, &seed.consult, &day(2), None).await;
    let (s, b) = app.post(&format!("{c}/appointments"), booking(&slots[0], "Hook")).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let dead = wait_dead(&app).await;
    assert!(dead.iter().all(|(_, attempts, _)| *attempts == 1), "not retried: {dead:?}");
    let error = dead[0].2.clone().unwrap_or_default();
    assert!(error.contains("127.0.0.1") || error.contains("::1"), "{dead:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.requests().len(), 0, "nothing reached the loopback receiver");
    app.stop().await;
}

#[tokio::test]
async fn a_receivers_4xx_dead_letters_at_once_and_a_429_is_retried() {
    let receiver = WebhookFake::start().await.unwrap();
    let app = spawn_with(|c| c.channels.webhook_retry_seconds = 1).await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (s, v) = app.post(&format!("{c}/webhooks"), json!({ "url": format!("{}/in", receiver.url()) })).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    receiver.fail_next(1, 404);
    let slots = slots(&app, &seed, &seed.consult, &day(2), None).await;
    let (s, b) = app.post(&format!("{c}/appointments"), booking(&slots[0], "Gone")).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let dead = wait_dead(&app).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].1, 1, "one attempt, no retries: {dead:?}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.requests().len(), 1, "the 404 was not retried");
    // 429 is not "for good": retried, then taken.
    receiver.fail_next(1, 429);
    let (s, b) = app.post(&format!("{c}/appointments"), booking(&slots[1], "Busy")).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    receiver.wait_for(1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.requests().len(), 3, "the 404, the 429, the retry");
    let rows = webhook_deliveries(&app).await;
    assert!(rows.iter().any(|(s, a, _)| s == "delivered" && *a == 2), "{rows:?}");
    app.stop().await;
}
