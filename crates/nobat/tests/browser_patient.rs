//! The patient's pages in a real Chromium: booking in Persian, Arabic (right to left) and
//! French, with JavaScript and without, the manage page (move, cancel), the deep link; a
//! screenshot of every page at phone and desktop widths, and an axe-core pass on each.
//! One chromedriver and one browser per run of this binary (a single test), reused throughout.
#![allow(clippy::unwrap_used)]

use crate::browser;
use crate::common;

use browser::*;
use common::*;
use fantoccini::{Client, Locator};

/// The digits a page is written in, for the check that Persian pages use Persian digits.
fn has_persian_digits(s: &str) -> bool {
    s.chars().any(|c| ('۰'..='۹').contains(&c))
}

/// Saves the page at both widths (and checks nothing overflows at phone width) and runs axe.
async fn capture(c: &Client, name: &str, lang: &str, report: &mut Vec<String>) {
    for (size, label) in [(PHONE, "phone"), (DESKTOP, "desktop")] {
        screenshot(c, &format!("{name}-{lang}-{label}"), size).await;
    }
    viewport(c, PHONE).await;
    assert_no_overflow(c, &format!("{name} ({lang}, phone)")).await;
    report.extend(assert_accessible(c, &format!("{name} ({lang})")).await);
}

async fn click(c: &Client, css: &str) {
    wait_for(c, css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Books through the pages in `lang`, from the directory to the confirmation; returns the
/// manage page's URL.
async fn book(c: &Client, app: &TestApp, seed: &Seed, lang: &str, shots: bool, report: &mut Vec<String>) -> String {
    c.goto(&format!("{}/?lang={lang}", app.base)).await.unwrap();
    let dir = if lang == "fa" || lang == "ar" { "rtl" } else { "ltr" };
    assert_eq!(lang_dir(c).await, (lang.to_owned(), dir.to_owned()));
    if shots {
        capture(c, "directory", lang, report).await;
    }
    click(c, &format!("a[href='/c/{}']", seed.slug)).await;
    wait_for(c, ".choices").await;
    if shots {
        capture(c, "book-service", lang, report).await;
    }
    click(c, &format!("a[href='/c/{}?service={}']", seed.slug, seed.consult)).await;
    wait_for(c, "a[href$='practitioner=any']").await;
    if shots {
        capture(c, "book-practitioner", lang, report).await;
    }
    click(c, "a[href$='practitioner=any']").await;
    wait_for(c, ".slots button").await;
    // Two days on: within the service's two-hour cut-off the patient could neither move nor
    // cancel it (the core's rule, which the test of the French cancel relies on).
    let days = c.find_all(Locator::Css(".days a")).await.unwrap();
    days[2].click().await.unwrap();
    wait_for(c, ".days a[aria-current]").await;
    if shots {
        capture(c, "book-time", lang, report).await;
    }
    if lang == "fa" {
        assert!(has_persian_digits(&text(c).await), "Persian digits on the time step");
    }
    click(c, ".slots button").await;
    wait_for(c, "#name").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/details"));
    if shots {
        capture(c, "book-details", lang, report).await;
        // Sent without a name: the message sits by the field.
        c.find(Locator::Css("#phone")).await.unwrap().send_keys("+989121234567").await.unwrap();
        click(c, "button.primary").await;
        wait_for(c, "#name-error").await;
        capture(c, "book-details-error", lang, report).await;
    } else {
        c.find(Locator::Css("#phone")).await.unwrap().send_keys("+989121234567").await.unwrap();
    }
    c.find(Locator::Css("#name")).await.unwrap().send_keys("Sara Karimi").await.unwrap();
    click(c, "button.primary").await;
    wait_for(c, ".alert.good").await;
    let url = c.current_url().await.unwrap();
    assert!(url.path().starts_with("/m/"), "{url}");
    if shots {
        capture(c, "manage-booked", lang, report).await;
    }
    url.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn patients_book_move_and_cancel_in_chromium() {
    let Some(driver) = driver().await else { return };
    let started = std::time::Instant::now();
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let mut report = Vec::new();
    let c = driver.session(true).await;

    // Persian: book, then move the appointment from the manage page.
    let manage = book(&c, &app, &seed, "fa", true, &mut report).await;
    let body = text(&c).await;
    assert!(body.contains("نوبت شما ثبت شد") && has_persian_digits(&body), "{body}");
    c.find_all(Locator::Css(".days a")).await.unwrap()[1].click().await.unwrap();
    wait_for(&c, ".slots button").await;
    click(&c, ".slots button").await;
    wait_for(&c, ".alert.good").await;
    assert!(c.current_url().await.unwrap().as_str().contains("moved=1"));
    assert_ne!(c.current_url().await.unwrap().as_str(), manage, "a move makes a new appointment with its own link");
    capture(&c, "manage-moved", "fa", &mut report).await;

    // Arabic and French, with every page captured; French cancels.
    let _ = book(&c, &app, &seed, "ar", true, &mut report).await;
    let _ = book(&c, &app, &seed, "fr", true, &mut report).await;
    c.find(Locator::Css("#reason")).await.unwrap().send_keys("Empêchement").await.unwrap();
    click(&c, "button.danger").await;
    wait_for(&c, ".alert.bad").await;
    assert!(text(&c).await.contains("Ce rendez-vous est annulé."));
    capture(&c, "manage-cancelled", "fr", &mut report).await;

    // The deep link (as the SMART publisher gives it) holds its slot and opens the details.
    let slot = slots(&app, &seed, &seed.consult, &day(3), Some(&seed.doctors[1])).await[2].clone();
    let start: String = form_urlencoded::byte_serialize(slot["start"].as_str().unwrap().as_bytes()).collect();
    c.goto(&format!(
        "{}/c/{}?service={}&practitioner={}&start={start}&lang=ar",
        app.base, seed.slug, seed.consult, seed.doctors[1]
    ))
    .await
    .unwrap();
    wait_for(&c, "#name").await;
    // JavaScript adds a countdown to the held slot (and only decorates).
    wait_for(&c, "[data-expires] span").await;
    c.close().await.unwrap();

    // Without JavaScript the whole flow works the same, with plain links and forms.
    let nojs = driver.session(false).await;
    let _ = book(&nojs, &app, &seed, "en", false, &mut Vec::new()).await;
    assert!(text(&nojs).await.contains("Your appointment is booked"));
    nojs.goto(&format!("{}/c/{}?service={}&practitioner=any&lang=en", app.base, seed.slug, seed.consult))
        .await
        .unwrap();
    click(&nojs, ".slots button").await;
    wait_for(&nojs, "#name").await;
    let decorated = nojs.find_all(Locator::Css("[data-expires] span")).await.unwrap();
    assert!(decorated.is_empty(), "JavaScript is really off in this session");
    nojs.close().await.unwrap();

    for line in &report {
        eprintln!("axe (not critical): {line}");
    }
    eprintln!("browser: patient pages in {:?}, screenshots in {}", started.elapsed(), screenshot_dir().display());
    app.stop().await;
}
