//! The clinic admin and reports pages over plain HTTP (no browser), signed in with a session
//! cookie as a browser is: an admin changes opening hours and the booking page follows; a
//! refused form says why next to its field, in the page's language; the forms need the
//! session's CSRF field; only a clinic's owners and admins open its admin page; the reports
//! page and its CSV give the figures of known appointments; a full day offers a watch.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A browser signed in as `email`: its session cookie and CSRF token.
struct Browser {
    c: reqwest::Client,
    cookie: String,
    csrf: String,
}

impl Browser {
    async fn sign_in(app: &TestApp, email: &str, password: &str) -> Self {
        let c = no_redirects();
        let res = c
            .post(format!("{}/auth/login", app.api))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap().trim().to_owned())
            .find(|p| p.starts_with("nobat_session="))
            .unwrap();
        let csrf = res.json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
        Self { c, cookie, csrf }
    }

    async fn get(&self, url: &str) -> (StatusCode, String) {
        let res = self.c.get(url).header("cookie", &self.cookie).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }

    /// Posts a form with the session's CSRF field (unless `form` brings its own `_csrf`).
    async fn post(&self, url: &str, form: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        if !form.iter().any(|(k, _)| *k == "_csrf") {
            pairs.push(("_csrf", &self.csrf));
        }
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let res = self
            .c
            .post(url)
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let to = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        (res.status(), to, res.text().await.unwrap())
    }
}

/// A clinic with one location, one practitioner and one service, and no opening hours yet.
async fn bare_clinic(app: &TestApp) -> (String, String, String, String) {
    let slug = format!("a{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (s, _) = app.post("/clinics", json!({ "slug": slug, "name": "Admin Clinic" })).await;
    assert_eq!(s, StatusCode::CREATED);
    let c = format!("/clinics/{slug}");
    let (_, l) = app.post(&format!("{c}/locations"), json!({ "name": "Main", "time_zone": "Asia/Tehran" })).await;
    let (_, p) = app.post(&format!("{c}/practitioners"), json!({ "name": "Dr. Hours" })).await;
    let (_, s) =
        app.post(&format!("{c}/services"), json!({ "name": "Visit", "duration_min": 30, "min_notice_min": 0 })).await;
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_owned();
    (slug, id(&l), id(&p), id(&s))
}

/// The number of time buttons of a booking page.
fn times(html: &str) -> usize {
    html.matches("name=\"slot\"").count()
}

#[tokio::test]
async fn an_admin_changes_opening_hours_and_the_booking_page_follows() {
    let app = spawn_app().await;
    let (slug, location, practitioner, service) = bare_clinic(&app).await;
    let admin = Browser::sign_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let booking = format!("{}/c/{slug}?service={service}&practitioner={practitioner}&day={}", app.base, day(1));
    let (s, html) = admin.get(&booking).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(times(&html), 0, "no hours, no times");
    assert!(html.contains("action=\"/c/") && html.contains("/watch\""), "a full week offers a watch");

    let (s, html) = admin.get(&format!("{}/admin/{slug}", app.base)).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Dr. Hours") && html.contains("Visit"), "the page lists the clinic's catalog");

    let rule = format!("{}/admin/{slug}/rule", app.base);
    let mut form = vec![
        ("practitioner", practitioner.as_str()),
        ("location", location.as_str()),
        ("start", "09:00"),
        ("end", "12:00"),
        ("valid_from", "2020-01-01"),
    ];
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        form.push(("weekdays", d));
    }
    let (s, to, body) = admin.post(&rule, &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to.as_deref(), Some(format!("/admin/{slug}?done=rule#rule").as_str()));
    let (_, html) = admin.get(&booking).await;
    assert_eq!(times(&html), 6, "09:00–12:00 in 30-minute times");

    // A holiday tomorrow, from the same page: the day has no time any more.
    let (s, _, body) =
        admin.post(&format!("{}/admin/{slug}/exception", app.base), &[("date", &day(1)), ("kind", "closed")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (_, html) = admin.get(&booking).await;
    assert!(!html.contains(&format!("day={}\" aria-current", day(1))), "the closed day is not offered");

    // Stopping the practitioner takes them off the booking page; offering them again restores it.
    let choose = format!("{}/c/{slug}?service={service}", app.base);
    let (s, _, body) =
        admin.post(&format!("{}/admin/{slug}/deactivate-practitioner", app.base), &[("id", &practitioner)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(!admin.get(&choose).await.1.contains("Dr. Hours"));
    let (s, _, _) =
        admin.post(&format!("{}/admin/{slug}/activate-practitioner", app.base), &[("id", &practitioner)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(admin.get(&choose).await.1.contains("Dr. Hours"));
    let (s, _, _) = admin.post(&format!("{}/admin/{slug}/deactivate-service", app.base), &[("id", &service)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(!admin.get(&format!("{}/c/{slug}", app.base)).await.1.contains("Visit"));
    let (s, _, _) = admin.post(&format!("{}/admin/{slug}/activate-service", app.base), &[("id", &service)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // And the rule's delete button takes the hours away again.
    let (_, rules) = app.get(&format!("/clinics/{slug}/schedule/rules")).await;
    let id = rules["rules"][0]["id"].as_str().unwrap().to_owned();
    let (s, _, body) = admin.post(&format!("{}/admin/{slug}/delete-rule", app.base), &[("id", &id)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (_, html) = admin.get(&format!("{booking}&day={}", day(2))).await;
    assert_eq!(times(&html), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_refused_form_says_why_next_to_its_field_and_needs_the_csrf_field() {
    let app = spawn_app().await;
    let (slug, location, practitioner, _) = bare_clinic(&app).await;
    let admin = Browser::sign_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let url = |form: &str| format!("{}/admin/{slug}/{form}?lang=fr", app.base);

    let (s, _, html) = admin.post(&url("location"), &[("name", "Annexe"), ("time_zone", "Mars/Olympus_Mons")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"location-time_zone-error\""), "said next to the time zone: {html}");
    assert!(html.contains("value=\"Mars/Olympus_Mons\""), "what was typed is kept");
    assert!(html.contains("lang=\"fr\""), "in the page's language");

    let (s, _, html) = admin
        .post(
            &url("rule"),
            &[
                ("practitioner", &practitioner),
                ("location", &location),
                ("weekdays", "mon"),
                ("start", "17:00"),
                ("end", "09:00"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("aria-describedby=\"rule-end-error\"") || html.contains("rule-start-error"), "{html}");

    let (s, _, html) = admin.post(&url("rule"), &[("practitioner", &practitioner), ("location", &location)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"rule-weekdays-error\""), "no day chosen: {html}");

    let (s, _, html) = admin.post(&url("budget"), &[("sms_monthly", "lots")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"budget-sms_monthly-error\""));

    // The session's token must come in the form: none, or a wrong one, changes nothing.
    for token in ["", "wrong"] {
        let (s, _, _) = admin.post(&url("practitioner"), &[("_csrf", token), ("name", "Intruder")]).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (_, list) = app.get(&format!("/clinics/{slug}/practitioners")).await;
    assert!(!list.to_string().contains("Intruder"));
    let (s, _, _) = admin.post(&url("practitioner"), &[("name", "Dr. Two")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // Without a session the page asks to sign in; a receptionist may not open it.
    let (s, _) = (Browser { c: no_redirects(), cookie: String::new(), csrf: String::new() })
        .get(&format!("{}/admin/{slug}", app.base))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let owner = authed_client(&login(&app.client, &app.api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let email = format!("desk-{slug}@test.nobat");
    invite_staff(&app, &owner, &format!("/clinics/{slug}"), json!({ "email": email, "role": "receptionist" })).await;
    let desk = Browser::sign_in(&app, &email, STAFF_PASSWORD).await;
    let (s, html) = desk.get(&format!("{}/admin/{slug}", app.base)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{html}");
    let (s, _) = desk.get(&format!("{}/admin/{slug}/reports", app.base)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn the_reports_give_the_figures_of_known_appointments() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let free = slots(&app, &seed, &seed.consult, &day(1), Some(&seed.doctors[0])).await;
    let mut ids = Vec::new();
    for (n, slot) in free.iter().take(4).enumerate() {
        let (s, a) = app.post(&format!("{c}/appointments"), booking(slot, &format!("Patient {n}"))).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    for (id, status) in [(&ids[0], "fulfilled"), (&ids[1], "noshow")] {
        let (s, b) = app.post(&format!("{c}/appointments/{id}/status"), json!({ "status": status })).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, b) = app.post(&format!("{c}/appointments/{}/cancel", ids[2]), json!({ "reason": "test" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let admin = Browser::sign_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let period = format!("from={}&to={}", day(1), day(1));
    let (s, csv) = admin.get(&format!("{}/admin/{}/reports.csv?{period}", app.base, seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{csv}");
    let rows: Vec<&str> = csv.lines().collect();
    let has = |row: &str| assert!(rows.contains(&row), "no `{row}` in:\n{csv}");
    let d = day(1);
    has(&format!("appointments,{d},3"));
    has(&format!("cancelled,{d},1"));
    has(&format!("no_shows,{d},1"));
    has("no_show_rate,period,0.5000");
    // Dr. A works 08:00–20:00 with an hour's break: 660 open minutes; three kept 30-minute
    // appointments (the no-show kept its time too) are 90.
    has("booked_minutes,Dr. A,90");
    has("open_minutes,Dr. A,660");
    has("utilisation_percent,Dr. A,13.6");
    has("booked_minutes,Dr. B,0");

    // Today's queue: two walk-ins, one called; only the called one has waited (so far).
    let (s, opened) =
        app.post(&format!("{c}/queues"), json!({ "location": seed.tehran, "practitioner": seed.doctors[0] })).await;
    assert!(s.is_success(), "{opened}");
    let queue = opened["id"].as_str().or(opened["queue"]["id"].as_str()).unwrap().to_owned();
    for name in ["Walk-in 1", "Walk-in 2"] {
        let body = json!({ "patient": { "name": name, "phone": "+989121234567" } });
        let (s, t) = app.post(&format!("{c}/queues/{queue}/tickets"), body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
    }
    let (s, called) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": "Room 3" })).await;
    assert!(s.is_success(), "{called}");
    let today = format!("from={}&to={}", day(0), day(0));
    let (_, csv) = admin.get(&format!("{}/admin/{}/reports.csv?{today}", app.base, seed.slug)).await;
    assert!(csv.lines().any(|l| l == "waits,period,1"), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("wait_p90_minutes,period,") && l.len() > 25), "{csv}");

    let (s, html) = admin.get(&format!("{}/admin/{}/reports?{period}&lang=fa", app.base, seed.slug)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<svg class=\"chart\""), "charts are drawn on the server");
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("50.0%"), "the no-show rate");

    // A period the wrong way round is said next to the picker, not a crash.
    let (s, html) = admin.get(&format!("{}/admin/{}/reports?from={}&to={}", app.base, seed.slug, day(2), day(1))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("role=\"alert\""));
    app.stop().await;
}

#[tokio::test]
async fn a_full_day_offers_a_watch_for_an_earlier_time() {
    let app = spawn_app().await;
    let (slug, _, practitioner, service) = bare_clinic(&app).await;
    let c = no_redirects();
    let page = format!("{}/c/{slug}?service={service}&practitioner={practitioner}", app.base);
    let html = c.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"watch\""), "a week without a free time offers the watch form");
    let form = |pairs: &[(&str, &str)]| form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let post = |body: String| {
        c.post(format!("{}/c/{slug}/watch", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept-language", "ru")
            .body(body)
            .send()
    };
    // No way to reach the patient: said next to the field, in the reader's language.
    let res = post(form(&[("_csrf", ""), ("service", &service), ("practitioner", &practitioner), ("name", "Nina")]))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"watch-email-error\""), "{html}");
    assert!(html.contains("lang=\"ru\""));
    let res = post(form(&[
        ("_csrf", ""),
        ("service", &service),
        ("practitioner", &practitioner),
        ("name", "Nina"),
        ("email", "nina@example.org"),
    ]))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.contains("watching=1"));
    let (_, list) = app.get(&format!("/clinics/{slug}/watches")).await;
    let watches = list.as_array().unwrap();
    assert_eq!(watches.len(), 1, "{list}");
    assert_eq!(watches[0]["practitioner"], practitioner.as_str());
    let html = c.get(format!("{}{to}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("role=\"status\""), "the page says the watch is set");
    app.stop().await;
}

#[tokio::test]
async fn message_wording_and_channel_credentials_are_set_from_the_page() {
    let app = spawn_app().await;
    let (slug, _, _, _) = bare_clinic(&app).await;
    let admin = Browser::sign_in(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let url = |form: &str| format!("{}/admin/{slug}/{form}", app.base);
    let (_, html) = admin.get(&format!("{}/admin/{slug}", app.base)).await;
    let key = html
        .split("name=\"key\"")
        .nth(1)
        .unwrap()
        .split("<option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // A placeable the template does not offer is refused by the store command, by the field.
    let (s, _, html) =
        admin.post(&url("template"), &[("key", &key), ("lang", "fr"), ("text", "Bonjour { $nope }")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"template-text-error\""), "{html}");
    let (s, _, body) =
        admin.post(&url("template"), &[("key", &key), ("lang", "fr"), ("text", "Bonjour de la clinique")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (_, html) = admin.get(&format!("{}/admin/{slug}", app.base)).await;
    assert!(html.contains("Bonjour de la clinique"));
    let (s, _, _) = admin.post(&url("reset-template"), &[("id", &format!("{key}|fr"))]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = admin.get(&format!("{}/admin/{slug}", app.base)).await;
    assert!(!html.contains("Bonjour de la clinique"), "reset to the catalogue's text");

    // A field another channel takes is named; a good one is kept, its secret never shown.
    let (s, _, html) = admin.post(&url("channel"), &[("channel", "telegram"), ("api_key", "k")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"channel-api_key-error\""), "{html}");
    let secret = "123456:telegram-secret-token";
    let (s, _, body) = admin.post(&url("channel"), &[("channel", "telegram"), ("bot_token", secret)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (_, html) = admin.get(&format!("{}/admin/{slug}", app.base)).await;
    assert!(html.contains("bot_token") && !html.contains(secret), "listed, secret not shown");
    let (s, _, _) = admin.post(&url("delete-channel"), &[("id", "telegram")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, list) = app.get(&format!("/clinics/{slug}/channels")).await;
    assert_eq!(list["channels"].as_array().unwrap().len(), 0);
    app.stop().await;
}

#[tokio::test]
async fn the_manage_page_offers_no_change_the_policy_would_refuse() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    // Moves up to 3 days before, cancellations up to an hour before.
    let (s, svc) = app
        .post(
            &format!("{c}/services"),
            json!({ "name": "Strict", "duration_min": 30, "min_notice_min": 0, "reschedule_cutoff_min": 4320, "cancel_cutoff_min": 60 }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{svc}");
    let service = svc["id"].as_str().unwrap();
    let free = slots(&app, &seed, service, &day(1), None).await;
    let (s, a) = app.post(&format!("{c}/appointments"), booking(&free[0], "Late Mover")).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let token = a["manage_token"].as_str().unwrap();
    let html =
        no_redirects().get(format!("{}/m/{token}?lang=en", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("name=\"slot\""), "no time offered inside the reschedule cut-off");
    assert!(html.contains("Too late to change online"), "the reason instead: {html}");
    assert!(html.contains("action=\"/m/") && html.contains("/cancel\""), "cancelling is still allowed");

    // A regular appointment offers its times and the cancel form.
    let free = slots(&app, &seed, &seed.consult, &day(3), None).await;
    let (_, a) = app.post(&format!("{c}/appointments"), booking(&free[0], "Early Mover")).await;
    let html = no_redirects()
        .get(format!("{}/m/{}?lang=en", app.base, a["manage_token"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"slot\""));
    app.stop().await;
}
