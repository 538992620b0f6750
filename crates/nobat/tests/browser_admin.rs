//! The clinic admin and reports pages in a real Chromium: an admin (signed in with a session
//! cookie, as the sign-in page will leave it) adds opening hours with the page's form, and the
//! booking page offers the new times; a refused form shows its message by the field; the
//! reports page draws its charts. axe-core on every page; screenshots at phone and desktop
//! widths in English (LTR) and Persian (RTL), and the booking page's watch form on a full day.
#![allow(clippy::unwrap_used)]

use crate::browser;
use crate::common;

use browser::*;
use common::*;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

async fn capture(c: &Client, name: &str, lang: &str, report: &mut Vec<String>) {
    screenshot(c, &format!("{name}-{lang}-desktop"), DESKTOP).await;
    screenshot(c, &format!("{name}-{lang}-phone"), PHONE).await;
    assert_no_overflow(c, &format!("{name} ({lang}, phone)")).await;
    report.extend(assert_accessible(c, &format!("{name} ({lang})")).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_opens_hours_in_chromium_and_the_booking_page_follows() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app().await;
    let slug = format!("b{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (s, _) =
        app.post("/clinics", json!({ "slug": slug, "name": "Clinique Lumière", "default_language": "fr" })).await;
    assert_eq!(s, StatusCode::CREATED);
    let c_path = format!("/clinics/{slug}");
    let (_, _) =
        app.post(&format!("{c_path}/locations"), json!({ "name": "Centre", "time_zone": "Europe/Paris" })).await;
    let (_, p) = app.post(&format!("{c_path}/practitioners"), json!({ "name": "Dr Martin" })).await;
    let (_, svc) = app
        .post(&format!("{c_path}/services"), json!({ "name": "Consultation", "duration_min": 30, "min_notice_min": 0 }))
        .await;
    let (practitioner, service) = (p["id"].as_str().unwrap().to_owned(), svc["id"].as_str().unwrap().to_owned());

    // The session a sign-in leaves: its cookie, set in the browser.
    let res = reqwest::Client::new()
        .post(format!("{}/auth/login", app.api))
        .json(&json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD }))
        .send()
        .await
        .unwrap();
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("nobat_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("nobat_session=")
        .to_owned();
    let c = driver.session(true).await;
    let mut report = Vec::new();
    c.goto(&format!("{}/", app.base)).await.unwrap();
    // (WebDriver's add-cookie refuses an IP address as the domain; the page may set it.)
    c.execute(&format!("document.cookie = 'nobat_session={session}; path=/; SameSite=Lax'"), vec![]).await.unwrap();

    // A full week: the booking page offers the watch form.
    let booking = format!("{}/c/{slug}?service={service}&practitioner={practitioner}", app.base);
    for lang in ["en", "fa"] {
        c.goto(&format!("{booking}&lang={lang}")).await.unwrap();
        wait_for(&c, "#watch").await;
        capture(&c, "book-watch", lang, &mut report).await;
    }
    assert!(c.find_all(Locator::Css(".slots button")).await.unwrap().is_empty());

    // The admin adds hours with the page's own form (French, the clinic's language).
    let admin = format!("{}/admin/{slug}", app.base);
    c.goto(&format!("{admin}?lang=fr")).await.unwrap();
    wait_for(&c, "#rule").await;
    assert_eq!(lang_dir(&c).await, ("fr".to_owned(), "ltr".to_owned()));
    // First refused: closing before opening, said next to the field.
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        click(&c, &format!("#rule input[name=weekdays][value={d}]")).await;
    }
    c.execute("document.getElementById('rule-end').value='08:00';", vec![]).await.unwrap();
    click(&c, "#rule button.primary").await;
    wait_for(&c, "#rule .error").await;
    capture(&c, "admin-error", "fr", &mut report).await;
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        let b = c.find(Locator::Css(&format!("#rule input[name=weekdays][value={d}]"))).await.unwrap();
        if b.prop("checked").await.unwrap().as_deref() != Some("true") {
            b.click().await.unwrap();
        }
    }
    c.execute("document.getElementById('rule-start').value='09:00'; document.getElementById('rule-end').value='11:00'; document.getElementById('rule-valid_from').value='2020-01-01';", vec![])
        .await
        .unwrap();
    click(&c, "#rule button.primary").await;
    wait_for(&c, ".alert.good").await;
    assert!(text(&c).await.contains("09:00–11:00"), "the new hours are listed");
    for lang in ["en", "fa"] {
        c.goto(&format!("{admin}?lang={lang}")).await.unwrap();
        wait_for(&c, "#rule").await;
        capture(&c, "admin", lang, &mut report).await;
    }

    // The booking page now offers 09:00–11:00: four times on the first open day.
    c.goto(&format!("{booking}&day={}&lang=fr", day(2))).await.unwrap();
    wait_for(&c, ".slots button").await;
    assert_eq!(c.find_all(Locator::Css(".slots button")).await.unwrap().len(), 4);

    // Reports, with a booking to count.
    click(&c, ".slots button").await;
    wait_for(&c, "#name").await;
    c.find(Locator::Css("#name")).await.unwrap().send_keys("Claire Dubois").await.unwrap();
    c.find(Locator::Css("#phone")).await.unwrap().send_keys("+33612345678").await.unwrap();
    click(&c, "button.primary").await;
    wait_for(&c, ".alert.good").await;
    for lang in ["en", "fa"] {
        c.goto(&format!("{admin}/reports?from={}&to={}&lang={lang}", day(0), day(6))).await.unwrap();
        wait_for(&c, "svg.chart").await;
        capture(&c, "reports", lang, &mut report).await;
    }
    c.close().await.unwrap();
    for line in &report {
        eprintln!("axe (not critical): {line}");
    }
    app.stop().await;
}
