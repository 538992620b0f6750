//! Reception in a real Chromium: a receptionist signs in through the sign-in page, checks a
//! booked patient in at the desk and calls them; the waiting-room board (open in another
//! browser) shows the call within a second, and the desk redraws itself when another desk
//! adds a patient. With JavaScript off the desk still calls the next patient. The patient's
//! "my place" page follows the call live. Screenshots of every new page (sign-in, account,
//! desk, my place) at phone and desktop widths, left to right and right to left, with an
//! axe-core pass on each.
#![allow(clippy::unwrap_used)]

use crate::browser;
use crate::common;

use browser::*;
use common::*;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

async fn capture(c: &Client, name: &str, lang: &str, report: &mut Vec<String>) {
    for (size, label) in [(PHONE, "phone"), (DESKTOP, "desktop")] {
        screenshot(c, &format!("{name}-{lang}-{label}"), size).await;
    }
    viewport(c, PHONE).await;
    assert_no_overflow(c, &format!("{name} ({lang}, phone)")).await;
    viewport(c, DESKTOP).await;
    report.extend(assert_accessible(c, &format!("{name} ({lang})")).await);
}

async fn click(c: &Client, css: &str) {
    wait_for(c, css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn sign_in(c: &Client, app: &TestApp, email: &str, next: &str) {
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    c.goto(&format!("{}/signin?next={next}", app.base)).await.unwrap();
    wait_for(c, "#email").await.send_keys(email).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(STAFF_PASSWORD).await.unwrap();
    click(c, "button.primary").await;
    wait_for(c, ".desk, .clinics").await;
}

/// The `code` the desk's address names after an action.
async fn said_code(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    url.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn reception_checks_in_and_calls_and_the_board_shows_it() {
    let Some(driver) = driver().await else { return };
    let started = Instant::now();
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let email = "desk@browser.test";
    let body = json!({ "email": email, "role": "receptionist", "name": "Reza Desk" });
    invite_staff(&app, &app.client, &format!("/clinics/{}", seed.slug), body).await;
    // A patient booked for today (while the day has free times), and a walk-in already waiting.
    let free = slots(&app, &seed, &seed.consult, &day(0), Some(&seed.doctors[0])).await;
    let booked = match free.last() {
        Some(slot) => {
            let (s, a) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(slot, "Sara Karimi")).await;
            assert_eq!(s, StatusCode::CREATED, "{a}");
            Some(a["id"].as_str().unwrap().to_owned())
        }
        None => None,
    };
    let (s, q) = app
        .post(
            &format!("/clinics/{}/queues", seed.slug),
            json!({ "location": seed.tehran, "practitioner": seed.doctors[0] }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let queue = q["id"].as_str().unwrap().to_owned();
    let walk_in = |name: &str| json!({ "patient": { "name": name, "phone": "+989121234567", "language": "fa" } });
    let (s, first) = app.post(&format!("/clinics/{}/queues/{queue}/tickets", seed.slug), walk_in("Walk-in One")).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let mut report = Vec::new();

    // The sign-in page, left to right and right to left.
    let c = driver.session(true).await;
    for lang in ["en", "fa"] {
        c.goto(&format!("{}/signin?lang={lang}", app.base)).await.unwrap();
        wait_for(&c, "#email").await;
        capture(&c, "signin", lang, &mut report).await;
    }
    c.goto(&format!("{}/signin?lang=ar", app.base)).await.unwrap();
    wait_for(&c, "#email").await.send_keys(email).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("wrong password").await.unwrap();
    click(&c, "button.primary").await;
    wait_for(&c, "#password-error").await;
    assert_eq!(lang_dir(&c).await.1, "rtl");
    capture(&c, "signin-error", "ar", &mut report).await;

    // The receptionist signs in and lands on the desk (Tehran, Room 3).
    let desk = format!("/desk/{}?location={}&desk=Room+3", seed.slug, seed.tehran);
    sign_in(&c, &app, email, &desk).await;
    for lang in ["en", "fa"] {
        c.goto(&format!("{}{desk}&lang={lang}", app.base)).await.unwrap();
        wait_for(&c, "#live[data-live]").await;
        capture(&c, "desk", lang, &mut report).await;
    }

    // The board, on a TV.
    let tv = driver.session(true).await;
    tv.goto(&format!("{}/board/{}?lang=fa", app.base, seed.tehran)).await.unwrap();
    wait_for(&tv, ".bq").await;

    // Check the booked patient in, then call the next patient to Room 3.
    c.goto(&format!("{}{desk}&lang=en", app.base)).await.unwrap();
    wait_for(&c, "#live[data-live]").await;
    if booked.is_some() {
        click(&c, "#today-h ~ table button").await;
        wait_for(&c, ".alert.good").await;
        assert!(c.current_url().await.unwrap().as_str().contains("said=checked-in"));
        wait_for(&c, "#live[data-live]").await;
        capture(&c, "desk-checked-in", "en", &mut report).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // the board's stream is connected
    let pressed = Instant::now();
    click(&c, "button.call-next").await;
    wait_for(&c, ".alert.good").await;
    let code = said_code(&c).await;
    assert!(!code.is_empty());
    loop {
        let mut shown = Vec::new();
        for e in tv.find_all(Locator::Css(".bq-called .code")).await.unwrap() {
            shown.push(e.text().await.unwrap());
        }
        if shown.contains(&code) {
            break;
        }
        assert!(pressed.elapsed() < Duration::from_secs(2), "the board shows {shown:?}, not {code}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let took = pressed.elapsed();
    assert!(tv.find(Locator::Css(".bq-called .desk")).await.unwrap().text().await.unwrap().contains("Room 3"));
    tv.close().await.unwrap();
    capture(&c, "desk-called", "en", &mut report).await;

    // Another desk adds a walk-in: a desk screen open meanwhile shows it without a reload.
    let screen = driver.session(true).await;
    sign_in(&screen, &app, email, &desk).await;
    wait_for(&screen, "#live[data-live]").await;
    let (s, second) = app.post(&format!("/clinics/{}/queues/{queue}/tickets", seed.slug), walk_in("Walk-in Two")).await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let second_code = second["ticket"]["code"].as_str().unwrap().to_owned();
    let shown = screen
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css(&format!("li[data-ticket='{second_code}']")))
        .await;
    let updated = screen.execute("return document.getElementById('live').getAttribute('data-updated')", vec![]).await;
    assert!(shown.is_ok(), "the desk did not redraw itself (data-updated {updated:?})");
    screen.close().await.unwrap();
    // So does the first desk, after all its form posts (they must not use up the browser's
    // connections to the site).
    let shown = c
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css(&format!("li[data-ticket='{second_code}']")))
        .await;
    assert!(shown.is_ok(), "the desk that posted forms stopped following the queue");

    // My place, for the walk-in still waiting: live, and in the patient's language.
    let token = second["ticket"]["token"].as_str().unwrap();
    let patient = driver.session(true).await;
    for lang in ["en", "fa"] {
        patient.goto(&format!("{}/q/{token}?lang={lang}", app.base)).await.unwrap();
        wait_for(&patient, "#place[data-live]").await;
        capture(&patient, "place", lang, &mut report).await;
    }
    patient.goto(&format!("{}/q/{token}", app.base)).await.unwrap();
    wait_for(&patient, "#place[data-live]").await;
    assert_eq!(lang_dir(&patient).await, ("fa".to_owned(), "rtl".to_owned()), "the patient's language");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Everyone before them is called (each to a room of its own: one desk pressing twice at
    // once calls one patient), then them.
    let mut room = String::new();
    for i in 0..5 {
        room = format!("Room {}", 5 + i);
        let (s, t) =
            app.post(&format!("/clinics/{}/queues/{queue}/call-next", seed.slug), json!({ "desk": room })).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        if t["ticket"]["code"] == second_code.as_str() {
            break;
        }
    }
    wait_for(&patient, ".place-called").await;
    assert!(text(&patient).await.contains(&room), "{room}");
    capture(&patient, "place-called", "fa", &mut report).await;
    patient.close().await.unwrap();

    // The account page.
    for lang in ["en", "ar"] {
        c.goto(&format!("{}/account?lang={lang}", app.base)).await.unwrap();
        wait_for(&c, ".clinics").await;
        capture(&c, "account", lang, &mut report).await;
    }
    c.close().await.unwrap();

    // Without JavaScript the desk still signs in and calls the next patient.
    let nojs = driver.session(false).await;
    sign_in(&nojs, &app, email, &desk).await;
    assert!(nojs.find_all(Locator::Css("#live[data-live]")).await.unwrap().is_empty(), "JavaScript is off");
    let (s, _) = app.post(&format!("/clinics/{}/queues/{queue}/tickets", seed.slug), walk_in("Walk-in Three")).await;
    assert_eq!(s, StatusCode::CREATED);
    nojs.goto(&format!("{}{desk}&lang=fr", app.base)).await.unwrap();
    click(&nojs, "button.call-next").await;
    wait_for(&nojs, ".alert.good").await;
    assert!(nojs.current_url().await.unwrap().as_str().contains("said=called"));
    assert!(!said_code(&nojs).await.is_empty());
    nojs.close().await.unwrap();

    for line in &report {
        eprintln!("axe (not critical): {line}");
    }
    eprintln!(
        "browser: the board showed {code} {took:?} after the desk's click; desk pages in {:?}",
        started.elapsed()
    );
    app.stop().await;
}
