//! The waiting-room board in a real Chromium: walk-ins (and a booked patient checked in), the board open
//! on a "TV", reception calls the next patient, and the board shows the call within a second
//! (through the public board stream). Screenshots at desktop and phone widths, in Persian,
//! Arabic and French; axe-core on each. One chromedriver and one browser for this binary.
#![allow(clippy::unwrap_used)]

use crate::browser;
use crate::common;

use browser::*;
use common::*;
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn the_board_shows_a_call_within_a_second() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app().await;
    let seed = seed(&app).await;
    // Reception opens Dr. A's queue and takes two walk-ins; a patient booked for later today
    // (when the day has free times left) is checked in too.
    let (s, opened) = app
        .post(
            &format!("/clinics/{}/queues", seed.slug),
            json!({ "location": seed.tehran, "practitioner": seed.doctors[0] }),
        )
        .await;
    assert!(s.is_success(), "{opened}");
    let queue = opened["id"].as_str().or(opened["queue"]["id"].as_str()).unwrap().to_owned();
    for name in ["Walk-in 1", "Walk-in 2"] {
        let body = json!({ "patient": { "name": name, "phone": "+989121234567" } });
        let (s, t) = app.post(&format!("/clinics/{}/queues/{queue}/tickets", seed.slug), body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
    }
    let free = slots(&app, &seed, &seed.consult, &day(0), Some(&seed.doctors[0])).await;
    if let Some(slot) = free.last() {
        let (s, a) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(slot, "Booked today")).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let path = format!("/clinics/{}/appointments/{}/check-in", seed.slug, a["id"].as_str().unwrap());
        let (s, t) = app.post(&path, json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
    }
    let c = driver.session(true).await;
    let mut report = Vec::new();
    let board = format!("{}/board/{}", app.base, seed.tehran);
    for lang in ["fa", "ar", "fr"] {
        c.goto(&format!("{board}?lang={lang}")).await.unwrap();
        wait_for(&c, ".bq").await;
        let dir = if lang == "fr" { "ltr" } else { "rtl" };
        assert_eq!(lang_dir(&c).await, (lang.to_owned(), dir.to_owned()));
        screenshot(&c, &format!("board-{lang}-desktop"), DESKTOP).await;
        screenshot(&c, &format!("board-{lang}-phone"), PHONE).await;
        report.extend(assert_accessible(&c, &format!("board ({lang})")).await);
    }
    // Reception calls the next patient; the open board shows it without a reload.
    c.goto(&format!("{board}?lang=fa")).await.unwrap();
    wait_for(&c, ".bq").await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the stream is connected
    let called_at = Instant::now();
    let (s, called) =
        app.post(&format!("/clinics/{}/queues/{queue}/call-next", seed.slug), json!({ "desk": "Room 3" })).await;
    assert_eq!(s, StatusCode::OK, "{called}");
    let code = called["ticket"]["code"].as_str().or(called["code"].as_str()).unwrap().to_owned();
    loop {
        let shown = c.find_all(Locator::Css(".bq-called .code")).await.unwrap();
        let mut texts = Vec::new();
        for e in &shown {
            texts.push(e.text().await.unwrap());
        }
        if texts.contains(&code) {
            break;
        }
        assert!(called_at.elapsed() < Duration::from_secs(1), "the board still shows {texts:?}, not {code}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let took = called_at.elapsed();
    assert!(c.find(Locator::Css(".bq-called .desk")).await.unwrap().text().await.unwrap().contains("Room 3"));
    screenshot(&c, "board-called-fa-desktop", DESKTOP).await;
    // The headings take each language in turn (every 8 s); the clock ticks in Persian digits.
    let clock = c.find(Locator::Css("#clock")).await.unwrap().text().await.unwrap();
    assert!(clock.chars().any(|ch| ('۰'..='۹').contains(&ch)), "{clock}");
    c.close().await.unwrap();
    for line in &report {
        eprintln!("axe (not critical): {line}");
    }
    eprintln!("browser: the board showed {code} {took:?} after the call");
    app.stop().await;
}
