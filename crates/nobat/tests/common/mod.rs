//! Test harness: the real application on a free loopback port, on a fresh database — a SQLite
//! file in a temp dir, or, when `NOBAT_TEST_POSTGRES_URL` is set (scripts/test does), a new
//! PostgreSQL database on the throwaway cluster. Every test gets its own.
#![allow(dead_code, clippy::unwrap_used)]

use nobat::config::LogFormat;
use nobat::{Application, Config};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{AnyPool, Executor};
use std::path::PathBuf;
use tempfile::TempDir;
use tokio::sync::oneshot;

pub struct TestApp {
    pub base: String,
    pub api: String,
    /// Signed in as the operator who owns every clinic the test seeds.
    pub client: reqwest::Client,
    /// Nobody signed in: a guest.
    pub anon: reqwest::Client,
    /// The operator's bearer session secret.
    pub token: String,
    pub db_url: String,
    pub engine: &'static str,
    /// `http://…/metrics` when the test asked for a metrics listener.
    pub metrics: Option<String>,
    /// The running app's store and worker-health record, for tests that reach inside.
    pub store: nobat_store::Store,
    pub workers: nobat_web::health::WorkerHealth,
    pub dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A fresh database URL for one test (and the engine name).
pub async fn fresh_database(dir: &std::path::Path) -> (String, &'static str) {
    match std::env::var("NOBAT_TEST_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            sqlx::any::install_default_drivers();
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            let pool = AnyPool::connect(&admin).await.expect("connect to the test PostgreSQL cluster");
            pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create test database");
            pool.close().await;
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).expect("admin url has a database");
            (format!("{base}/{name}"), "postgres")
        }
        _ => (nobat_store::sqlite_url_in(dir), "sqlite"),
    }
}

pub fn config(dir: &std::path::Path, db_url: &str) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: PathBuf::from(dir),
        database_url: db_url.to_owned(),
        hold_ttl_seconds: 600,
        log_format: LogFormat::Text,
        read_pool_size: 8,
        max_batch: 128,
        pg_writers: 4,
        write_timeout_ms: 10_000,
        write_queue: 1024,
        pg_session: nobat_store::SessionLimits::default(),
        metrics_listen: None,
        backup_dir: None,
        backup_interval_seconds: 86_400,
        backup_keep_daily: 7,
        backup_keep_weekly: 4,
        public_url: None,
        secret_key: None,
        data_keys: None,
        limits: nobat_web::auth::limits::LimitSettings::off(),
        hold_caps: Default::default(),
        header_read_timeout_seconds: 10,
        shutdown_grace_seconds: 10,
        max_connections: 4096,
        messages: Default::default(),
        // The fake receivers listen on loopback (tests/webhooks.rs proves the refusal).
        channels: nobat::channels_config::ChannelConfig { webhook_allow_private_addresses: true, ..Default::default() },
        smart: Default::default(),
        sources: Default::default(),
    }
}

/// A config file body that turns every rate limit off (for load from one IP).
pub const NO_RATE_LIMITS: &str = "rate_limit_api = 0\nrate_limit_login = 0\nrate_limit_login_account = 0\n\
    rate_limit_codes = 0\nrate_limit_codes_contact = 0\nrate_limit_booking = 0\n";

/// The account every test app starts with: an operator, who owns the clinics the tests seed.
pub const OWNER_EMAIL: &str = "owner@test.nobat";
pub const OWNER_PASSWORD: &str = "correct horse battery staple";

/// Signs in through the API and returns the bearer session secret.
pub async fn login(client: &reqwest::Client, api: &str, email: &str, password: &str) -> String {
    let res = client
        .post(format!("{api}/auth/login"))
        .json(&json!({ "email": email, "password": password, "bearer": true }))
        .send()
        .await
        .unwrap();
    let (s, body) = decode(res).await;
    assert_eq!(s, StatusCode::OK, "login: {body}");
    body["token"].as_str().unwrap().to_owned()
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn authed_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    reqwest::Client::builder().default_headers(headers).pool_max_idle_per_host(256).build().unwrap()
}

/// Creates the operator account in a database (the same path as `nobat user create`).
///
/// Tests that shrink the writer's queue (`writer_limits`) can find it full of the app's own
/// start-up work on a loaded machine; "busy, nothing was changed" is then retried, as a client
/// would, since the test's subject comes after this set-up.
pub async fn create_owner(store: &nobat_store::Store) {
    for attempt in 0.. {
        let created = nobat::accounts::create_user(
            store,
            OWNER_EMAIL,
            "Test Owner",
            Some(OWNER_PASSWORD.into()),
            true,
            nobat::accounts::cli_actor(),
        )
        .await;
        match created {
            Ok(_) => return,
            Err(e) if attempt < 50 && matches!(e.downcast_ref(), Some(nobat_store::StoreError::Busy)) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            Err(e) => panic!("creating the owner: {e:#}"),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    let mut cfg = config(dir.path(), &db_url);
    tweak(&mut cfg);
    let app = Application::build(&cfg).await.expect("build app");
    let addr = app.local_addr();
    let metrics = app.metrics_addr().map(|a| format!("http://{a}/metrics"));
    let (store, workers) = (app.store(), app.workers());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let base = format!("http://{addr}");
    let api = format!("{base}/api/v1");
    let anon = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    create_owner(&store).await;
    let token = login(&anon, &api, OWNER_EMAIL, OWNER_PASSWORD).await;
    TestApp {
        client: authed_client(&token),
        anon,
        token,
        api,
        base,
        db_url,
        engine,
        metrics,
        store,
        workers,
        dir,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl TestApp {
    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let res = self.client.get(format!("{}{path}", self.api)).send().await.unwrap();
        decode(res).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self.client.post(format!("{}{path}", self.api)).json(&body).send().await.unwrap();
        decode(res).await
    }

    pub async fn post_key(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.api))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        decode(res).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self.client.patch(format!("{}{path}", self.api)).json(&body).send().await.unwrap();
        decode(res).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        let res = self.client.delete(format!("{}{path}", self.api)).send().await.unwrap();
        decode(res).await
    }

    /// A direct connection to the test database, to check invariants behind the API's back.
    pub async fn db(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPool::connect(&self.db_url).await.unwrap()
    }
}

pub async fn decode(mut res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let streaming = res.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if streaming {
        // A live event stream never ends: what it sends within a moment is its answer.
        let mut text = String::new();
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout(std::time::Duration::from_millis(200), res.chunk()).await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        return (status, Value::String(text));
    }
    let is_problem = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    let bytes = res.bytes().await.unwrap();
    let value: Value =
        if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    if status.is_client_error() || status.is_server_error() {
        assert!(is_problem, "{status} must be problem+json, got {value}");
        assert_eq!(value["status"].as_u64(), Some(u64::from(status.as_u16())), "problem status matches: {value}");
        assert!(value["type"].as_str().is_some_and(|t| t.starts_with("urn:nobat:problem:")), "{value}");
    }
    (status, value)
}

/// A clinic built through the staff API: one location in Asia/Tehran, another in
/// Africa/Casablanca, two practitioners working every day 08:00–20:00 with a 13:00–14:00 break,
/// a 30-minute consultation (capacity 1) and a 30-minute group session (capacity 3).
pub struct Seed {
    pub slug: String,
    pub clinic: String,
    pub tehran: String,
    pub casablanca: String,
    pub doctors: Vec<String>,
    pub consult: String,
    pub group: String,
}

pub async fn seed(app: &TestApp) -> Seed {
    seed_at(&app.client, &app.api).await
}

/// Seeds through any server's API.
pub async fn seed_at(client: &reqwest::Client, api: &str) -> Seed {
    let app = Remote { client: client.clone(), api: api.to_owned() };
    let slug = format!("c{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (s, clinic) = app.post("/clinics", json!({ "slug": slug, "name": "Test Clinic" })).await;
    assert_eq!(s, StatusCode::CREATED, "{clinic}");
    let path = format!("/clinics/{slug}");
    let (s, tehran) =
        app.post(&format!("{path}/locations"), json!({ "name": "Tehran", "time_zone": "Asia/Tehran" })).await;
    assert_eq!(s, StatusCode::CREATED, "{tehran}");
    let (s, casa) =
        app.post(&format!("{path}/locations"), json!({ "name": "Casa", "time_zone": "Africa/Casablanca" })).await;
    assert_eq!(s, StatusCode::CREATED, "{casa}");
    let mut doctors = Vec::new();
    for name in ["Dr. A", "Dr. B"] {
        let (s, d) = app.post(&format!("{path}/practitioners"), json!({ "name": name })).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        doctors.push(d["id"].as_str().unwrap().to_owned());
    }
    let (s, consult) = app
        .post(&format!("{path}/services"), json!({ "name": "Consult", "duration_min": 30, "min_notice_min": 0, "cancel_cutoff_min": 120, "reschedule_cutoff_min": 120 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{consult}");
    let (s, group) = app
        .post(
            &format!("{path}/services"),
            json!({ "name": "Group", "duration_min": 30, "capacity": 3, "min_notice_min": 0 }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{group}");
    for d in &doctors {
        let (s, r) = app
            .post(
                &format!("{path}/schedule/rules"),
                json!({
                    "practitioner": d, "location": tehran["id"],
                    "weekdays": ["mon","tue","wed","thu","fri","sat","sun"],
                    "start": "08:00", "end": "20:00", "breaks": [{ "start": "13:00", "end": "14:00" }],
                    "valid_from": "2020-01-01"
                }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    Seed {
        slug,
        clinic: clinic["id"].as_str().unwrap().to_owned(),
        tehran: tehran["id"].as_str().unwrap().to_owned(),
        casablanca: casa["id"].as_str().unwrap().to_owned(),
        doctors,
        consult: consult["id"].as_str().unwrap().to_owned(),
        group: group["id"].as_str().unwrap().to_owned(),
    }
}

/// A client for a server the test did not spawn in-process.
struct Remote {
    client: reqwest::Client,
    api: String,
}

impl Remote {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        decode(self.client.post(format!("{}{path}", self.api)).json(&body).send().await.unwrap()).await
    }
}

/// A local date some days from today, as `YYYY-MM-DD`.
pub fn day(offset: i64) -> String {
    let d = jiff::Timestamp::now().to_zoned(nobat_core::zones::get("Asia/Tehran").unwrap()).date();
    d.checked_add(jiff::Span::new().days(offset)).unwrap().to_string()
}

/// Slots of a service on one local date.
pub async fn slots(app: &TestApp, seed: &Seed, service: &str, date: &str, practitioner: Option<&str>) -> Vec<Value> {
    let mut q = format!("/clinics/{}/availability?service={service}&from={date}&to={date}", seed.slug);
    if let Some(p) = practitioner {
        q.push_str(&format!("&practitioner={p}"));
    }
    let (s, body) = app.get(&q).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["slots"].as_array().unwrap().clone()
}

pub fn booking(slot: &Value, name: &str) -> Value {
    json!({
        "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"],
        "patient": { "name": name, "phone": "+989121234567" }
    })
}

/// The password tests choose for staff accounts made by accepting an invitation.
pub const STAFF_PASSWORD: &str = "staff member passphrase";

/// The token of the newest invitation sent to `email`, read from its outbox message (nothing
/// delivers messages yet; the inviter is never shown the token).
pub async fn invitation_token(app: &TestApp, email: &str) -> String {
    let db = app.db().await;
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT payload FROM outbox WHERE topic = 'staff.invitation' ORDER BY created_at_us DESC, id DESC",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    db.close().await;
    rows.iter()
        .map(|(p,)| serde_json::from_str::<Value>(p).unwrap())
        .find(|p| p["to"] == email)
        .and_then(|p| p["token"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no invitation for {email} in the outbox"))
}

/// `client` (a staff manager) invites `body.email` to the clinic at `clinic_path`
/// (`/clinics/<slug>`), and the invitee accepts as a new account with [`STAFF_PASSWORD`].
/// Returns the new account's id.
pub async fn invite_staff(app: &TestApp, client: &reqwest::Client, clinic_path: &str, body: Value) -> String {
    let res = client.put(format!("{}{clinic_path}/members", app.api)).json(&body).send().await.unwrap();
    let (s, v) = decode(res).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("invited")), "invite: {v}");
    let email = body["email"].as_str().unwrap();
    let token = invitation_token(app, email).await;
    let res = app
        .anon
        .post(format!("{}/invitations/{token}/accept", app.api))
        .json(&json!({ "password": STAFF_PASSWORD }))
        .send()
        .await
        .unwrap();
    let (s, v) = decode(res).await;
    assert_eq!(s, StatusCode::OK, "accept: {v}");
    v["user"].as_str().unwrap().to_owned()
}

/// A member of `seed`'s clinic with `role` (linked to `practitioner` when given), signed in;
/// made through the store so the test does not depend on how invitations work.
pub async fn member(
    app: &TestApp,
    seed: &Seed,
    role: nobat_core::access::Role,
    practitioner: Option<&str>,
) -> reqwest::Client {
    let email = format!("{role}-{}@member.test", uuid::Uuid::new_v4().simple());
    let password = "a long enough password".to_owned();
    let (user, _) = nobat::accounts::create_user(
        &app.store,
        &email,
        "Member",
        Some(password.clone()),
        false,
        nobat::accounts::cli_actor(),
    )
    .await
    .unwrap();
    let change = nobat_store::commands::MemberChange {
        clinic: seed.clinic.parse().unwrap(),
        user,
        role: Some(role),
        practitioner: practitioner.map(|p| p.parse().unwrap()),
        actor: nobat::accounts::cli_actor(),
    };
    app.store.execute(nobat_store::Command::ChangeMember(change)).await.unwrap();
    authed_client(&login(&app.anon, &app.api, &email, &password).await)
}
