//! The pages over plain HTTP (no browser): language negotiation, the page CSP, hashed assets,
//! the booking forms with their CSRF field, field errors said next to the field in the page's
//! language, the deep link that holds a slot, the manage page. The browser tests
//! (`browser_*.rs`) drive the same pages in Chromium.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::json;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `name=value` of the Set-Cookie for `name`.
fn cookie_pair(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().trim().to_owned())
        .find(|p| p.starts_with(&format!("{name}=")))
}

async fn page(c: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut req = c.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let (s, h) = (res.status(), res.headers().clone());
    (s, h, res.text().await.unwrap())
}

async fn post_form(
    c: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = c.post(url).header("content-type", "application/x-www-form-urlencoded").body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let (s, h) = (res.status(), res.headers().clone());
    (s, h, res.text().await.unwrap())
}

fn html_lang_dir(html: &str) -> (String, String) {
    let start = html.find("<html").unwrap();
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    let attr = |name: &str| {
        let i = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[i..i + tag[i..].find('"').unwrap()].to_owned()
    };
    (attr("lang"), attr("dir"))
}

/// The value of the first `name="…" value="…"` hidden field.
fn hidden(html: &str, name: &str) -> String {
    let i =
        html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no field {name}")) + name.len() + 15;
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

/// Every hidden field of the page: `(name, value)`.
fn hiddens(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let value = rest.split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            (name, value)
        })
        .collect()
}

fn slot_value(slot: &serde_json::Value) -> String {
    format!("{}|{}", slot["practitioner"].as_str().unwrap(), slot["start"].as_str().unwrap())
}

#[tokio::test]
async fn the_language_comes_from_the_query_then_the_cookie_then_the_browser_then_the_clinic() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = no_redirects();
    let home = format!("{}/", app.base);
    let (s, h, html) = page(&c, &home, &[("accept-language", "fa-IR, en;q=0.5")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(html_lang_dir(&html), ("fa".into(), "rtl".into()));
    assert_eq!(header(&h, "content-language"), Some("fa"));
    assert!(html.contains("گرفتن نوبت"), "the Persian title");
    let (_, h, html) = page(&c, &format!("{home}?lang=ar"), &[("accept-language", "fa")]).await;
    assert_eq!(html_lang_dir(&html), ("ar".into(), "rtl".into()));
    assert_eq!(cookie_pair(&h, "nobat_lang").as_deref(), Some("nobat_lang=ar"), "a chosen language is remembered");
    let (_, _, html) = page(&c, &home, &[("accept-language", "fa"), ("cookie", "nobat_lang=fr")]).await;
    assert_eq!(html_lang_dir(&html), ("fr".into(), "ltr".into()), "the cookie beats the browser");
    assert!(html.contains("Prendre rendez-vous"));
    // The switcher links keep the page's own query.
    let (_, _, html) = page(&c, &format!("{}/c/{}?service={}&lang=tr", app.base, seed.slug, seed.consult), &[]).await;
    assert_eq!(html_lang_dir(&html).0, "tr");
    assert!(html.contains(&format!("href=\"/c/{}?service={}&#38;lang=ru\"", seed.slug, seed.consult)), "{html}");
    // Nothing asked: the clinic's default language.
    let (s, _) = app.patch(&format!("/clinics/{}", seed.slug), json!({ "default_language": "ru" })).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, html) = page(&c, &format!("{}/c/{}", app.base, seed.slug), &[]).await;
    assert_eq!(html_lang_dir(&html), ("ru".into(), "ltr".into()));
    app.stop().await;
}

#[tokio::test]
async fn pages_have_their_own_csp_and_hashed_long_cached_assets() {
    let app = spawn_app().await;
    let c = no_redirects();
    let (_, h, html) = page(&c, &format!("{}/", app.base), &[]).await;
    let csp = header(&h, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!html.contains("<style") && !html.contains("style=") && !html.contains("<script>"), "no inline code");
    let (_, h, _) = page(&c, &format!("{}/api/v1/clinics", app.base), &[]).await;
    assert!(header(&h, "content-security-policy").unwrap().starts_with("default-src 'none'"), "the API keeps its own");
    for ext in ["css", "js"] {
        let href = html
            .split('"')
            .find(|part| part.starts_with("/assets/app-") && part.ends_with(ext))
            .unwrap_or_else(|| panic!("no .{ext} asset in the page"))
            .to_owned();
        assert!(href.ends_with(ext), "{href}");
        let (s, h, body) = page(&c, &format!("{}{href}", app.base), &[]).await;
        assert_eq!(s, StatusCode::OK, "{href}");
        assert_eq!(header(&h, "cache-control"), Some("public, max-age=31536000, immutable"));
        assert!(!body.is_empty());
        let (s, _, _) = page(&c, &format!("{}/assets/app-0000000000.{ext}", app.base), &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "an unknown hash is not served");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_guest_books_with_plain_forms_and_manages_the_appointment() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = no_redirects();
    let clinic = format!("{}/c/{}", app.base, seed.slug);
    let (s, _, html) = page(&c, &clinic, &[("accept-language", "fa")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("?service={}", seed.consult)), "services are links");
    let (_, _, html) = page(&c, &format!("{clinic}?service={}", seed.consult), &[("accept-language", "fa")]).await;
    assert!(html.contains("practitioner=any") && html.contains(&seed.doctors[0]), "practitioners and 'any'");
    let (s, _, html) = page(
        &c,
        &format!("{clinic}?service={}&practitioner=any&day={}", seed.consult, day(1)),
        &[("accept-language", "fa")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("name=\"slot\""), "times are form buttons");
    assert!(html.chars().any(|ch| ('۰'..='۹').contains(&ch)), "Persian digits for times and dates");
    // Hold a time, as the button does.
    let slot = slots(&app, &seed, &seed.consult, &day(1), Some(&seed.doctors[0])).await[0].clone();
    let (s, h, _) = post_form(
        &c,
        &format!("{clinic}/hold"),
        &[("_csrf", ""), ("service", &seed.consult), ("slot", &slot_value(&slot))],
        &[("accept-language", "fa")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let to = header(&h, "location").unwrap().to_owned();
    assert!(to.starts_with(&format!("/c/{}/details?hold=", seed.slug)), "{to}");
    let hold_cookie = cookie_pair(&h, "nobat_hold").expect("the hold's token travels in a cookie");
    let left = slots(&app, &seed, &seed.consult, &day(1), Some(&seed.doctors[0])).await;
    assert!(left.iter().all(|s| s["start"] != slot["start"]), "a held time is no longer offered");
    let (s, _, html) =
        page(&c, &format!("{}{to}", app.base), &[("accept-language", "fa"), ("cookie", &hold_cookie)]).await;
    assert_eq!(s, StatusCode::OK);
    let held = hiddens(&html);
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(String, String)> {
        held.iter().cloned().chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string()))).collect()
    };
    let post = |form: Vec<(String, String)>| {
        let (c, url, cookie) = (c.clone(), format!("{clinic}/book"), hold_cookie.clone());
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            post_form(&c, &url, &pairs, &[("accept-language", "fa"), ("cookie", &cookie)]).await
        }
    };
    // No name: the core refuses, and the page says so next to the name field, in Persian.
    let (s, h, html) = post(with(&[("name", " "), ("phone", "+989121234567")])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(header(&h, "content-type").unwrap().starts_with("text/html"), "an error is a page, not JSON");
    let i = html.find("id=\"name-error\"").expect("the message sits by the name field");
    let near: String = html[i..].chars().take(200).collect();
    assert!(near.chars().any(|ch| ('\u{0600}'..='\u{06FF}').contains(&ch)), "said in Persian: {near}");
    assert!(html.contains("value=\"+989121234567\""), "what was typed is kept");
    // Then a name: booked, and sent to the manage page.
    let form = with(&[("name", "Sara Karimi"), ("phone", "+989121234567"), ("email", "")]);
    let (s, h, body) = post(form.clone()).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let manage = header(&h, "location").unwrap().to_owned();
    assert!(manage.starts_with("/m/") && manage.ends_with("?booked=1"), "{manage}");
    // Pressing the button twice gives the same booking, not "the hold is gone".
    let (s, h, _) = post(form).await;
    assert_eq!((s, header(&h, "location")), (StatusCode::SEE_OTHER, Some(manage.as_str())));
    let (s, _, html) = page(&c, &format!("{}{manage}", app.base), &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(html_lang_dir(&html).0, "fa", "the patient's language");
    assert!(html.contains("نوبت شما ثبت شد") && html.contains("Consult") && html.contains("Dr. A"), "{html}");
    let token = manage.trim_start_matches("/m/").trim_end_matches("?booked=1");
    let (s, h, ics) = page(&c, &format!("{}/m/{token}/calendar.ics", app.base), &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(header(&h, "content-type").unwrap().starts_with("text/calendar"));
    assert!(ics.contains("BEGIN:VCALENDAR") && ics.contains("TZID=Asia/Tehran"), "{ics}");
    // Move it with a time button of the manage page: a new appointment, with its own page.
    // (Two days ahead: the service's cut-offs keep the next two hours out of reach.)
    let (_, _, html) = page(&c, &format!("{}/m/{token}?from={}", app.base, day(2)), &[]).await;
    let i = html.find("name=\"slot\" value=\"").expect("the manage page offers other times") + 19;
    let slot = html[i..].split('"').next().unwrap().replace("&#43;", "+").replace("&#124;", "|");
    let (s, h, body) = post_form(&c, &format!("{}/m/{token}/reschedule", app.base), &[("slot", &slot)], &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{slot}: {body}");
    let moved = header(&h, "location").unwrap().to_owned();
    assert!(moved.ends_with("?moved=1") && !moved.contains(token), "{moved}");
    let token = moved.trim_start_matches("/m/").trim_end_matches("?moved=1").to_owned();
    let token = token.as_str();
    // Cancel with the form.
    let (s, h, _) = post_form(&c, &format!("{}/m/{token}/cancel", app.base), &[("reason", "cannot come")], &[]).await;
    assert_eq!((s, header(&h, "location")), (StatusCode::SEE_OTHER, Some(format!("/m/{token}").as_str())));
    let (_, _, html) = page(&c, &format!("{}/m/{token}?lang=en", app.base), &[]).await;
    assert!(html.contains("This appointment is cancelled.") && !html.contains("name=\"slot\""), "{html}");
    // An unknown address is a page for a browser, a problem+json for everyone else.
    let (s, h, html) = page(&c, &format!("{}/no-such-page?lang=fa", app.base), &[("accept", "text/html")]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(header(&h, "content-type").unwrap().starts_with("text/html") && html.contains("این صفحه وجود ندارد"));
    let (s, h, _) = page(&c, &format!("{}/api/v1/no-such-thing", app.base), &[("accept", "text/html")]).await;
    assert_eq!((s, header(&h, "content-type")), (StatusCode::NOT_FOUND, Some("application/problem+json")));
    // A forged link is an HTML "not found".
    let (s, h, _) = page(&c, &format!("{}/m/not-a-token", app.base), &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(header(&h, "content-type").unwrap().starts_with("text/html"));
    app.stop().await;
}

#[tokio::test]
async fn the_deep_link_holds_its_slot_and_a_taken_slot_is_said_on_the_page() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = no_redirects();
    let slot = slots(&app, &seed, &seed.consult, &day(2), Some(&seed.doctors[1])).await[3].clone();
    let start: String = form_urlencoded::byte_serialize(slot["start"].as_str().unwrap().as_bytes()).collect();
    let link =
        format!("{}/c/{}?service={}&practitioner={}&start={start}", app.base, seed.slug, seed.consult, seed.doctors[1]);
    let (s, h, _) = page(&c, &link, &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "opening the link holds the slot");
    assert!(header(&h, "location").unwrap().contains("/details?hold="));
    // Someone else opens the same link: the page says the slot is taken (in French), as HTML.
    let (s, h, html) = page(&c, &format!("{link}&lang=fr"), &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{html}");
    assert!(header(&h, "content-type").unwrap().starts_with("text/html"));
    assert!(html.contains("role=\"alert\"") && html.contains("Ce créneau"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn a_signed_in_browser_needs_the_forms_csrf_field() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = no_redirects();
    let res = c
        .post(format!("{}/auth/login", app.api))
        .json(&json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let session = cookie_pair(res.headers(), "nobat_session").unwrap();
    let csrf = res.json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
    let clinic = format!("{}/c/{}", app.base, seed.slug);
    let (_, _, html) = page(
        &c,
        &format!("{clinic}?service={}&practitioner=any&day={}", seed.consult, day(1)),
        &[("cookie", &session)],
    )
    .await;
    assert_eq!(hidden(&html, "_csrf"), csrf, "the page puts the session's token in its forms");
    let slot = slots(&app, &seed, &seed.consult, &day(1), None).await[0].clone();
    let value = slot_value(&slot);
    for (what, token) in [("no token", ""), ("a wrong token", "wrong")] {
        let (s, h, body) = post_form(
            &c,
            &format!("{clinic}/hold"),
            &[("_csrf", token), ("service", &seed.consult), ("slot", &value)],
            &[("cookie", &session)],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{what}: {body}");
        assert!(header(&h, "content-type").unwrap().starts_with("text/html"), "{what}");
    }
    // A header the page did not send does not stand in for the form's field.
    let (s, _, _) = post_form(
        &c,
        &format!("{clinic}/hold"),
        &[("service", &seed.consult), ("slot", &value)],
        &[("cookie", &session), ("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, h, body) = post_form(
        &c,
        &format!("{clinic}/hold"),
        &[("_csrf", &csrf), ("service", &seed.consult), ("slot", &value)],
        &[("cookie", &session)],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(header(&h, "location").unwrap().contains("/details?hold="));
    app.stop().await;
}
