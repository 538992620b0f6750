//! A clinic's own channel credentials through the admin API: stored sealed (the secret is in
//! no column, answer or audit entry), GET says which fields are set, validation names the
//! field, only owners and admins may, and the stored credentials resolve to a channel that
//! sends through the clinic's own bot.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use nobat_notify::{ChannelKind, Outgoing};
use nobat_testkit::{TelegramFake, TgUser};
use reqwest::StatusCode;
use serde_json::json;

async fn put(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    decode(client.put(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

#[tokio::test]
async fn credentials_are_sealed_never_shown_and_validated() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let secret = "twilio-auth-token-very-secret-42";
    let (s, v) = put(
        &app,
        &app.client,
        &format!("{c}/channels/sms"),
        json!({ "provider": "twilio", "account_sid": "AC123", "auth_token": secret, "from": "+15005550006" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["fields_set"], json!(["account_sid", "auth_token", "from", "provider"]));
    assert_eq!(v["settings"], json!({ "account_sid": "AC123", "from": "+15005550006", "provider": "twilio" }));
    assert!(!v.to_string().contains(secret));
    let (s, v) = app.get(&format!("{c}/channels/sms")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!v.to_string().contains(secret) && v["fields_set"].as_array().unwrap().len() == 4, "{v}");
    let (_, list) = app.get(&format!("{c}/channels")).await;
    assert_eq!(list["channels"].as_array().unwrap().len(), 1);

    // Nowhere in the database in clear: not the sealed column, not the audit trail.
    let db = app.db().await;
    let sealed: Vec<(String,)> = sqlx::query_as("SELECT sealed FROM clinic_channels").fetch_all(&db).await.unwrap();
    assert_eq!(sealed.len(), 1);
    assert!(!sealed[0].0.contains(secret) && !sealed[0].0.contains("AC123"));
    let audit: Vec<(String,)> =
        sqlx::query_as("SELECT COALESCE(after, '') FROM audit_events WHERE entity = 'channel_credentials'")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(audit.len(), 1, "the change is audited");
    assert!(audit.iter().all(|(a,)| !a.contains(secret)), "{audit:?}");
    db.close().await;

    // Validation names the field.
    for (body, field) in [
        (json!({ "provider": "twilio", "account_sid": "AC1", "from": "+1555" }), "auth_token"),
        (json!({ "provider": "pigeon" }), "provider"),
        (json!({ "provider": "kavenegar", "api_key": "k", "base_url": "http://evil" }), "base_url"),
        (json!({ "provider": "kavenegar", "api_key": 5 }), "api_key"),
    ] {
        let (s, p) = put(&app, &app.client, &format!("{c}/channels/sms"), body).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{p}");
    }
    let (s, p) = put(&app, &app.client, &format!("{c}/channels/email"), json!({})).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")));

    // A receptionist may not see or change them.
    invite_staff(&app, &app.client, &c, json!({ "email": "desk@c.test", "role": "receptionist" })).await;
    let desk = authed_client(&login(&app.anon, &app.api, "desk@c.test", STAFF_PASSWORD).await);
    let (s, _) = decode(desk.get(format!("{}{c}/channels/sms", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = put(&app, &desk, &format!("{c}/channels/telegram"), json!({ "bot_token": "1:x" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, _) = app.delete(&format!("{c}/channels/sms")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("{c}/channels/sms")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.delete(&format!("{c}/channels/sms")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_clinic_with_its_own_bot_sends_through_it() {
    let tg = TelegramFake::start("100:instance-bot").await.unwrap();
    let clinic_bot = tg.add_bot("200:clinic-bot", "clinic_bot");
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    let mut cfg = config(dir.path(), &db_url);
    cfg.channels.settings.telegram_api_url = Some(tg.api_url());
    cfg.channels.settings.telegram_bot_token = Some("100:instance-bot".into());
    let registry = cfg.channels.registry().unwrap();
    let app = nobat::Application::build(&cfg).await.unwrap();
    let store = app.store();
    create_owner(&store).await;
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let api = format!("http://{addr}/api/v1");
    let client = authed_client(&login(&reqwest::Client::new(), &api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let seed = seed_at(&client, &api).await;
    let clinic: nobat_core::ClinicId = seed.clinic.parse().unwrap();
    let keys = nobat_web::auth::keys::Keys::from_master(&nobat::secrets::load(None, dir.path()).unwrap());
    let user = TgUser::new(77, "Sara");
    tg.start_command(&user, None);
    clinic_bot.start_command(&user, None);
    let msg = Outgoing {
        idempotency_key: "m1".into(),
        to: "77".into(),
        lang: nobat_i18n::Lang::Fa,
        subject: None,
        text: "سلام".into(),
        html: None,
        attachments: vec![],
        buttons: vec![],
        template: None,
    };

    // Before: the instance's bot.
    let ch = nobat::clinic_channels::resolve(&store, &keys, &registry, clinic, ChannelKind::Telegram)
        .await
        .unwrap()
        .unwrap();
    // Only our message counts: the instance bot also answers the user's /start itself (the
    // conversation poller), which is not what this test is about.
    let ours = |bot: &nobat_testkit::telegram::TelegramBot| bot.sent().all().iter().filter(|m| m.text == "سلام").count();
    ch.send(&msg).await.unwrap();
    assert_eq!((ours(&tg), ours(&clinic_bot)), (1, 0));

    let res = client
        .put(format!("{api}/clinics/{}/channels/telegram", seed.slug))
        .json(&json!({ "bot_token": "200:clinic-bot" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let ch = nobat::clinic_channels::resolve(&store, &keys, &registry, clinic, ChannelKind::Telegram)
        .await
        .unwrap()
        .unwrap();
    ch.send(&msg).await.unwrap();
    assert_eq!((ours(&tg), ours(&clinic_bot)), (1, 1), "sent by the clinic's own bot");

    // With another instance secret the sealed credentials do not open: an error, not a
    // silent fall-back to the instance's bot.
    let other = nobat_web::auth::keys::Keys::from_master(&[9u8; 32]);
    assert!(nobat::clinic_channels::resolve(&store, &other, &registry, clinic, ChannelKind::Telegram).await.is_err());
    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
}
