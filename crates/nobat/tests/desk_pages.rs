//! The staff and queue pages over plain HTTP (no browser, so also without JavaScript): the
//! sign-in page with its two-factor step, the account page's password change, the reception
//! desk's forms (check in, walk-in, call next from two desks at once, ticket actions and their
//! refusals said on the page), and the patient's "my place" page. `browser_desk.rs` drives the
//! same pages in Chromium.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// `name=value` of the Set-Cookie for `name`, if the answer sets it to a value.
fn cookie_pair(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().trim().to_owned())
        .find(|p| p.starts_with(&format!("{name}=")) && p.len() > name.len() + 1)
}

fn location(h: &HeaderMap) -> String {
    h.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The value of the first hidden field `name`.
fn hidden(html: &str, name: &str) -> String {
    let at = format!("name=\"{name}\" value=\"");
    let i = html.find(&at).unwrap_or_else(|| panic!("no field {name} in {html}")) + at.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

async fn get(c: &reqwest::Client, url: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut req = c.get(url).header("accept", "text/html");
    if let Some(k) = cookie {
        req = req.header("cookie", k);
    }
    let res = req.send().await.unwrap();
    let (s, h) = (res.status(), res.headers().clone());
    (s, h, res.text().await.unwrap())
}

async fn post(
    c: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = c.post(url).header("content-type", "application/x-www-form-urlencoded").body(body);
    if let Some(k) = cookie {
        req = req.header("cookie", k);
    }
    let res = req.send().await.unwrap();
    let (s, h) = (res.status(), res.headers().clone());
    (s, h, res.text().await.unwrap())
}

fn base32_decode(s: &str) -> Vec<u8> {
    let (mut acc, mut bits, mut out) = (0u64, 0u32, Vec::new());
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("`{s}` is not base32"),
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn totp(secret: &[u8], steps: i64) -> String {
    let now = jiff::Timestamp::now().as_second() + 30 * steps;
    nobat_web::auth::totp::code_at(secret, u64::try_from(now).unwrap())
}

/// A receptionist of `seed`'s clinic (through an invitation); returns the email.
async fn receptionist(app: &TestApp, seed: &Seed, who: &str) -> String {
    let email = format!("{who}@desk.test");
    let body = json!({ "email": email, "role": "receptionist", "name": format!("Desk {who}") });
    invite_staff(app, &app.client, &format!("/clinics/{}", seed.slug), body).await;
    email
}

/// Signs in through the API as a browser does (cookie, not bearer): the cookie pair.
async fn browser_session(app: &TestApp, email: &str) -> String {
    let res = browser()
        .post(format!("{}/auth/login", app.api))
        .json(&json!({ "email": email, "password": STAFF_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    cookie_pair(res.headers(), "nobat_session").unwrap()
}

#[tokio::test]
async fn the_signin_page_asks_for_the_second_factor_without_carrying_the_password() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let email = receptionist(&app, &seed, "twofa").await;
    // Two-factor on for the receptionist, through the API.
    let api = authed_client(&login(&app.anon, &app.api, &email, STAFF_PASSWORD).await);
    let (s, enrol) = decode(api.post(format!("{}/me/2fa", app.api)).json(&json!({})).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{enrol}");
    let secret = base32_decode(enrol["secret"].as_str().unwrap());
    let confirm = json!({ "code": totp(&secret, 0) });
    let (s, done) = decode(api.post(format!("{}/me/2fa/confirm", app.api)).json(&confirm).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let recovery = done["recovery_codes"][0].as_str().unwrap().to_owned();

    let c = browser();
    let signin = format!("{}/signin", app.base);
    let desk = format!("/desk/{}", seed.slug);
    // A guest at the desk is sent to sign in, and comes back afterwards.
    let (s, h, _) = get(&c, &format!("{}{desk}", app.base), None).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), format!("/signin?next=%2Fdesk%2F{}", seed.slug));
    let (s, _, html) = get(&c, &format!("{signin}?next={desk}&lang=fr"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(hidden(&html, "next"), desk);
    assert!(html.contains("Mot de passe"), "the page is in French");

    // A wrong password is said at the password field, in the page's language.
    let (s, h, html) = post(
        &c,
        &signin,
        &[("email", &email), ("password", "not the password"), ("next", &desk)],
        Some("nobat_lang=fr"),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(cookie_pair(&h, "nobat_session").is_none());
    assert!(html.contains("id=\"password-error\""), "{html}");
    assert!(html.contains("le mot de passe est incorrect"), "said in French, at the field: {html}");

    // The right password: the second step, with no session yet and no password in the page.
    let (s, h, html) =
        post(&c, &signin, &[("email", &email), ("password", STAFF_PASSWORD), ("next", &desk)], None).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(cookie_pair(&h, "nobat_session").is_none(), "no session before the second factor");
    assert!(!html.contains(STAFF_PASSWORD), "the password is not carried in the page");
    let pending = hidden(&html, "pending");
    assert!(html.contains("id=\"totp_code\""));

    // A wrong code: said at the code field; a forged step: refused; no session either way.
    let wrong = if totp(&secret, 0) == "000000" { "111111" } else { "000000" };
    let code_url = format!("{signin}/code");
    let (s, h, html) = post(&c, &code_url, &[("pending", &pending), ("totp_code", wrong), ("next", &desk)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{html}");
    assert!(cookie_pair(&h, "nobat_session").is_none());
    assert!(html.contains("id=\"totp_code-error\""), "{html}");
    let mut forged: Vec<char> = pending.chars().collect();
    forged[12] = if forged[12] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let (s, h, _) =
        post(&c, &code_url, &[("pending", &forged), ("totp_code", &totp(&secret, 1)), ("next", &desk)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(cookie_pair(&h, "nobat_session").is_none(), "a forged second step opens nothing");

    // A recovery code works as the second factor; the browser lands on the desk, signed in.
    let (s, h, html) =
        post(&c, &code_url, &[("pending", &pending), ("recovery_code", &recovery), ("next", &desk)], None).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(location(&h), desk);
    let session = cookie_pair(&h, "nobat_session").expect("a session cookie");
    let (s, _, html) = get(&c, &format!("{}{desk}", app.base), Some(&session)).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(!hidden(&html, "_csrf").is_empty());
    // Somewhere else than this site is never where sign-in sends a browser.
    let (s, h, _) = post(&c, &signin, &[("email", "x@y.test"), ("password", "p"), ("next", "//evil.test")], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(location(&h).is_empty());
    let (_, _, html) = get(&c, &format!("{signin}?next=//evil.test"), None).await;
    assert_eq!(hidden(&html, "next"), "/account");

    // Signing out needs the form's CSRF field, and ends the session.
    let (_, _, account) = get(&c, &format!("{}/account", app.base), Some(&session)).await;
    let csrf = hidden(&account, "_csrf");
    let (s, _, _) = post(&c, &format!("{}/signout", app.base), &[], Some(&session)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no CSRF field, no sign-out");
    let (s, h, _) = post(&c, &format!("{}/signout", app.base), &[("_csrf", &csrf)], Some(&session)).await;
    assert_eq!((s, location(&h)), (StatusCode::SEE_OTHER, "/signin?said=out".to_owned()));
    let (s, _, _) = get(&c, &format!("{}{desk}", app.base), Some(&session)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "the old cookie no longer opens the desk");
    app.stop().await;
}

#[tokio::test]
async fn the_account_page_changes_the_password_with_errors_at_the_fields() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let email = receptionist(&app, &seed, "pw").await;
    let session = browser_session(&app, &email).await;
    let c = browser();
    let (s, _, html) = get(&c, &format!("{}/account", app.base), Some(&session)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("/desk/{}", seed.slug)), "the desk of the clinic is linked");
    let csrf = hidden(&html, "_csrf");
    let url = format!("{}/account/password", app.base);
    let (s, _, html) = post(
        &c,
        &url,
        &[("_csrf", &csrf), ("current_password", STAFF_PASSWORD), ("new_password", "short")],
        Some(&session),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"new_password-error\""), "{html}");
    let (s, _, html) = post(
        &c,
        &url,
        &[("_csrf", &csrf), ("current_password", "wrong one"), ("new_password", "a brand new passphrase")],
        Some(&session),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"current_password-error\""), "{html}");
    let (s, h, _) = post(
        &c,
        &url,
        &[("_csrf", &csrf), ("current_password", STAFF_PASSWORD), ("new_password", "a brand new passphrase")],
        Some(&session),
    )
    .await;
    assert_eq!((s, location(&h)), (StatusCode::SEE_OTHER, "/signin?said=changed".to_owned()));
    let (s, _, _) = get(&c, &format!("{}/account", app.base), Some(&session)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "every session ended with the change");
    let (s, h, _) =
        post(&c, &format!("{}/signin", app.base), &[("email", &email), ("password", "a brand new passphrase")], None)
            .await;
    assert_eq!((s, location(&h)), (StatusCode::SEE_OTHER, "/account".to_owned()));

    // A patient's account lists what they booked while signed in, each with its manage page.
    let patient = "patient@desk.test";
    let register = json!({ "email": patient, "password": STAFF_PASSWORD, "name": "Pat Ient" });
    let (s, r) =
        decode(app.anon.post(format!("{}/auth/register", app.api)).json(&register).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let pc = authed_client(&login(&app.anon, &app.api, patient, STAFF_PASSWORD).await);
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let res = pc.post(format!("{}/clinics/{}/appointments", app.api, seed.slug)).json(&booking(&slot, "Pat Ient"));
    let (s, a) = decode(res.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let session = browser_session(&app, patient).await;
    let (s, _, html) = get(&c, &format!("{}/account?lang=fa", app.base), Some(&session)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Consult · Dr.") && html.contains("href=\"/m/"), "{html}");
    assert!(html.chars().any(|ch| ('۰'..='۹').contains(&ch)), "the time in Persian digits");
    app.stop().await;
}

/// The code of the ticket a desk redirect names (`…&said=…&code=A-001`).
fn said_code(loc: &str) -> String {
    let q = loc.split_once('?').unwrap().1;
    form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).unwrap()
}

#[tokio::test]
async fn the_desk_runs_the_day_with_plain_forms() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let one = browser_session(&app, &receptionist(&app, &seed, "one").await).await;
    let two = browser_session(&app, &receptionist(&app, &seed, "two").await).await;
    let c = browser();
    let desk = format!("{}/desk/{}", app.base, seed.slug);
    let tehran_desk = format!("{desk}?location={}", seed.tehran);
    // A patient booked for today (while the day still has free times).
    let free = slots(&app, &seed, &seed.consult, &day(0), Some(&seed.doctors[0])).await;
    let booked = match free.last() {
        Some(slot) => {
            let (s, a) =
                app.post(&format!("/clinics/{}/appointments", seed.slug), booking(slot, "Parisa Booked")).await;
            assert_eq!(s, StatusCode::CREATED, "{a}");
            Some(a["id"].as_str().unwrap().to_owned())
        }
        None => None,
    };
    let (s, _, html) = get(&c, &format!("{tehran_desk}&lang=fa"), Some(&one)).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("dir=\"rtl\""));
    let csrf_one = hidden(&html, "_csrf");
    let (_, _, html_two) = get(&c, &desk, Some(&two)).await;
    let csrf_two = hidden(&html_two, "_csrf");
    let tehran = seed.tehran.as_str();
    let mut waiting = 0;
    if let Some(id) = &booked {
        assert!(html.contains("Parisa Booked") && html.contains(&format!("value=\"{id}\"")), "{html}");
        let (s, h, body) = post(
            &c,
            &format!("{desk}/check-in"),
            &[("_csrf", &csrf_one), ("appointment", id), ("location", tehran)],
            Some(&one),
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
        assert!(location(&h).contains("said=checked-in"), "{}", location(&h));
        // Twice: the page says so, in words, not JSON.
        let (s, h, body) = post(
            &c,
            &format!("{desk}/check-in"),
            &[("_csrf", &csrf_one), ("appointment", id), ("location", tehran)],
            Some(&one),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(body.contains("role=\"alert\""), "{body}");
        waiting += 1;
    }
    // A walk-in for Dr. A; an empty name is refused on the page and opens nothing.
    let (s, _, body) = post(
        &c,
        &format!("{desk}/walk-in"),
        &[("_csrf", &csrf_one), ("name", ""), ("practitioner", &seed.doctors[0]), ("location", tehran)],
        Some(&one),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("role=\"alert\"") && body.contains("id=\"wi-name-error\""), "said at the field: {body}");
    for name in ["Walk In One", "Walk In Two"] {
        let (s, _, body) = post(
            &c,
            &format!("{desk}/walk-in"),
            &[("_csrf", &csrf_one), ("name", name), ("practitioner", &seed.doctors[0]), ("location", tehran)],
            Some(&one),
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
        waiting += 1;
    }
    // No form field, no action (a cross-site form cannot call anyone).
    let (_, _, html) = get(&c, &tehran_desk, Some(&one)).await;
    let queue = html.split("/queues/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let call = format!("{desk}/queues/{queue}/call-next");
    let (s, _, _) = post(&c, &call, &[("desk", "Room 1")], Some(&one)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Two desks press "call next" at the same moment: two different patients.
    let form_one = [("_csrf", csrf_one.as_str()), ("desk", "Room 1"), ("location", tehran)];
    let form_two = [("_csrf", csrf_two.as_str()), ("desk", "Room 2"), ("location", tehran)];
    let (a, b) = tokio::join!(post(&c, &call, &form_one, Some(&one)), post(&c, &call, &form_two, Some(&two)));
    assert_eq!((a.0, b.0), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER), "{} / {}", a.2, b.2);
    let (code_a, code_b) = (said_code(&location(&a.1)), said_code(&location(&b.1)));
    assert_ne!(code_a, code_b, "two desks never call the same ticket");
    assert!(location(&a.1).contains("desk=Room+1"), "the desk's name stays in its address");
    // The desk shows what it did, and the ticket with its actions.
    let (_, _, html) = get(&c, &format!("{}{}", app.base, location(&a.1)), Some(&one)).await;
    assert!(html.contains(&code_a) && html.contains("role=\"status\""), "{html}");
    let ticket_of = |html: &str, code: &str| -> String {
        let li = html.split("<li class=\"t-").find(|li| li.contains(&format!("data-ticket=\"{code}\""))).unwrap();
        li.split("/tickets/").nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let ticket_a = ticket_of(&html, &code_a);
    // Its code links to the patient's own page (to show or print as a QR code).
    let li = html.split("<li class=\"t-").find(|li| li.contains(&format!("data-ticket=\"{code_a}\""))).unwrap();
    let place = li.split("href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(place.starts_with("/q/"), "{li}");
    let (s, _, mine) = get(&c, &format!("{}{place}", app.base), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(mine.contains(&code_a) && mine.contains("Room 1"), "called to desk one's room: {mine}");
    let act = |action: &'static str| {
        let url = format!("{desk}/tickets/{ticket_a}");
        let (c, one, csrf) = (c.clone(), one.clone(), csrf_one.clone());
        async move { post(&c, &url, &[("_csrf", &csrf), ("action", action), ("location", tehran)], Some(&one)).await }
    };
    // Called and not there → absent; back → waiting again; finishing a waiting ticket is refused
    // with the core's reason on the page.
    assert_eq!(act("absent").await.0, StatusCode::SEE_OTHER);
    assert_eq!(act("return").await.0, StatusCode::SEE_OTHER);
    let (s, _, body) = act("finish").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("role=\"alert\"") && body.contains("The ticket cannot do that now"), "{body}");
    let (s, _, body) = act("emergency").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "an emergency needs a reason: {body}");
    // Everyone called (two were, one came back): the next press says nobody is waiting. Each
    // press names another room, since one desk pressing twice at once calls one patient.
    for i in 0..waiting - 1 {
        let room = format!("Room {}", 10 + i);
        let (s, _, body) = post(&c, &call, &[("_csrf", &csrf_two), ("desk", &room)], Some(&two)).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    }
    let (s, _, body) = post(&c, &call, &[("_csrf", &csrf_two), ("desk", "Room 20")], Some(&two)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("Nobody is waiting"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn my_place_shows_the_line_then_where_to_go_and_never_a_name() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (s, q) = app
        .post(
            &format!("/clinics/{}/queues", seed.slug),
            json!({ "location": seed.tehran, "practitioner": seed.doctors[0] }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let queue = q["id"].as_str().unwrap().to_owned();
    let mut tokens: Vec<Value> = Vec::new();
    for name in ["Secret Person One", "Secret Person Two"] {
        let body = json!({ "patient": { "name": name, "phone": "+989121234567", "language": "fa" } });
        let (s, t) = app.post(&format!("/clinics/{}/queues/{queue}/tickets", seed.slug), body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        tokens.push(t["ticket"].clone());
    }
    let second = &tokens[1];
    let url = format!("{}/q/{}", app.base, second["token"].as_str().unwrap());
    let c = browser();
    let (s, _, html) = get(&c, &url, None).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    // In the patient's language (Persian, right to left), Persian digits; the code, the line.
    assert!(html.contains("lang=\"fa\" dir=\"rtl\""), "{html}");
    assert!(html.contains(second["code"].as_str().unwrap()));
    assert!(html.contains('۱'), "one person ahead, in Persian digits: {html}");
    assert!(html.contains("http-equiv=\"refresh\""), "reloads itself without JavaScript");
    assert!(!html.contains("Secret Person"), "no name on the patient's page");
    // The first is called to Room 8, then this one to Room 7: the page says where to go.
    for room in ["Room 8", "Room 7"] {
        let (s, t) =
            app.post(&format!("/clinics/{}/queues/{queue}/call-next", seed.slug), json!({ "desk": room })).await;
        assert_eq!(s, StatusCode::OK, "{t}");
    }
    let (_, _, html) = get(&c, &format!("{url}?lang=en"), None).await;
    assert!(html.contains("Please go to") && html.contains("Room 7"), "{html}");
    assert!(!html.contains("Secret Person"));
    let (s, _, _) = get(&c, &format!("{}/q/not-a-token", app.base), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}
