//! The registry from the instance settings, and a clinic's own credentials resolving to a
//! channel of their own — always against the instance's endpoints.
#![allow(clippy::unwrap_used)]

use nobat_i18n::Lang;
use nobat_notify::settings::credential_fields;
use nobat_notify::{ChannelKind, ChannelSettings, Outgoing, Registry};
use nobat_testkit::{KavenegarFake, TelegramFake, TgUser, TwilioFake, WhatsAppFake};
use serde_json::json;

fn out(to: &str, key: &str) -> Outgoing {
    Outgoing {
        idempotency_key: key.into(),
        to: to.into(),
        lang: Lang::Fa,
        subject: None,
        text: "hello".into(),
        html: None,
        attachments: vec![],
        buttons: vec![],
        template: None,
    }
}

#[tokio::test]
async fn instance_defaults_and_clinic_credentials() {
    let kave = KavenegarFake::start("instance-key").await.unwrap();
    let twilio = TwilioFake::start("ACclinic", "clinic-token").await.unwrap();
    let tg = TelegramFake::start("100:instance").await.unwrap();
    let clinic_bot = tg.add_bot("200:clinic", "clinic_bot");
    let wa = WhatsAppFake::start("555", "wa-instance").await.unwrap();
    let settings = ChannelSettings {
        sms_provider: Some("kavenegar".into()),
        kavenegar_api_url: Some(kave.url()),
        kavenegar_api_key: Some("instance-key".into()),
        twilio_api_url: Some(twilio.url()),
        telegram_api_url: Some(tg.api_url()),
        telegram_bot_token: Some("100:instance".into()),
        whatsapp_api_url: Some(wa.url()),
        whatsapp_phone_number_id: Some("555".into()),
        whatsapp_access_token: Some("wa-instance".into()),
        channel_timeout_ms: Some(2000),
        ..Default::default()
    };
    let reg = Registry::from_settings(&settings).unwrap();
    assert!(reg.has(ChannelKind::Sms) && reg.has(ChannelKind::Telegram) && reg.has(ChannelKind::Whatsapp));
    assert!(!reg.has(ChannelKind::Email));

    reg.resolve(ChannelKind::Sms, None).unwrap().send(&out("+989121234567", "i1")).await.unwrap();
    assert_eq!(kave.sent().len(), 1);

    // The clinic brings its own Twilio account; even if it names another URL, the
    // instance's Twilio endpoint is used.
    let creds = json!({ "provider": "twilio", "account_sid": "ACclinic", "auth_token": "clinic-token",
                        "from": "+15005550006", "base_url": "http://127.0.0.1:1" });
    let ch = reg.resolve(ChannelKind::Sms, Some(&creds)).unwrap();
    ch.send(&out("+989121234567", "c1")).await.unwrap();
    assert_eq!((twilio.sent().len(), kave.sent().len()), (1, 1));

    let user = TgUser::new(42, "Sara");
    clinic_bot.start_command(&user, None);
    tg.start_command(&user, None);
    let ch = reg.resolve(ChannelKind::Telegram, Some(&json!({ "bot_token": "200:clinic" }))).unwrap();
    ch.send(&out("42", "c2")).await.unwrap();
    assert_eq!((clinic_bot.sent().len(), tg.sent().len()), (1, 0), "sent by the clinic's bot");
    reg.resolve(ChannelKind::Telegram, None).unwrap().send(&out("42", "i2")).await.unwrap();
    assert_eq!(tg.sent().len(), 1);

    // Credentials that no longer validate give no channel, not the instance's.
    assert!(reg.resolve(ChannelKind::Sms, Some(&json!({ "provider": "twilio" }))).is_none());
    assert!(reg.resolve(ChannelKind::Sms, Some(&json!({ "provider": "http", "url": "http://x/{to}" }))).is_none());
    let e = reg.try_resolve(ChannelKind::Telegram, &json!({ "bot_token": "nope" })).err().unwrap();
    assert_eq!(e.field, "bot_token");
    assert!(credential_fields(ChannelKind::Telegram).contains(&("bot_token", true)));
}

#[test]
fn bad_instance_settings_name_the_key() {
    let e =
        Registry::from_settings(&ChannelSettings { sms_provider: Some("carrier-pigeon".into()), ..Default::default() })
            .err()
            .unwrap();
    assert_eq!(e.field, "sms_provider");
    let e = Registry::from_settings(&ChannelSettings { sms_provider: Some("twilio".into()), ..Default::default() })
        .err()
        .unwrap();
    assert_eq!(e.field, "twilio_account_sid");
    let e = Registry::from_settings(&ChannelSettings {
        sms_provider: Some("http".into()),
        sms_http_url: Some("ftp://gw".into()),
        ..Default::default()
    })
    .err()
    .unwrap();
    assert_eq!(e.field, "sms_http_url");
    assert!(Registry::from_settings(&ChannelSettings::default()).is_ok_and(|r| !r.has(ChannelKind::Sms)));
}
