//! Accounts and access, attacked from outside: cookie sessions and CSRF, lockout, TOTP and
//! recovery codes, mandatory staff 2FA, API tokens, password changes, security headers, rate
//! limits, patient accounts, and the first-run command line.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// Sends a request; the status, the headers and the (problem-checked) body.
async fn call(req: reqwest::RequestBuilder) -> (StatusCode, HeaderMap, Value) {
    let res = req.send().await.unwrap();
    let headers = res.headers().clone();
    let (status, body) = decode(res).await;
    (status, headers, body)
}

/// The short kind of a problem body: `urn:nobat:problem:csrf-token-missing` → `csrf-token-missing`.
fn problem(body: &Value) -> &str {
    body["type"].as_str().and_then(|t| t.strip_prefix("urn:nobat:problem:")).unwrap_or("")
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `Retry-After` in seconds; the test fails if it is missing or not a number.
fn retry_after(h: &HeaderMap) -> u64 {
    header(h, "retry-after").and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("Retry-After missing: {h:?}"))
}

/// A login attempt through the API, as a client that wants a bearer secret.
async fn try_login(app: &TestApp, body: Value) -> (StatusCode, HeaderMap, Value) {
    call(app.anon.post(format!("{}/auth/login", app.api)).json(&body)).await
}

fn creds(email: &str, password: &str) -> Value {
    json!({ "email": email, "password": password, "bearer": true })
}

/// Registers a patient account through the API.
async fn register(app: &TestApp, email: &str, password: &str, name: &str) -> (StatusCode, Value) {
    let body = json!({ "email": email, "password": password, "name": name });
    let (s, _, v) = call(app.anon.post(format!("{}/auth/register", app.api)).json(&body)).await;
    (s, v)
}

/// The owner gives `email` a role in a clinic: a current member's role changes; anyone else is
/// invited and accepts (a new account with [`STAFF_PASSWORD`], or signed in as the existing
/// one). The member's id.
async fn add_member(app: &TestApp, slug: &str, email: &str, role: &str) -> String {
    let (s, v) = put(app, &format!("/clinics/{slug}/members"), json!({ "email": email, "role": role })).await;
    assert_eq!(s, StatusCode::OK, "add member: {v}");
    if v["status"] == "updated" {
        return v["user"].as_str().unwrap().to_owned();
    }
    let url = format!("{}/invitations/{}/accept", app.api, invitation_token(app, email).await);
    let (s, _, v) = call(app.anon.post(&url).json(&json!({ "password": STAFF_PASSWORD }))).await;
    if s == StatusCode::UNAUTHORIZED {
        let me = authed_client(&login(&app.anon, &app.api, email, STAFF_PASSWORD).await);
        let (s, v) = post_with(&me, url, json!({})).await;
        assert_eq!(s, StatusCode::OK, "accept signed in: {v}");
        return v["user"].as_str().unwrap().to_owned();
    }
    assert_eq!(s, StatusCode::OK, "accept: {v}");
    v["user"].as_str().unwrap().to_owned()
}

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(app.client.put(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

/// A staff member (new account) signed in with a bearer session: (user id, client).
async fn staff_member(app: &TestApp, slug: &str, email: &str, role: &str) -> (String, reqwest::Client) {
    let id = add_member(app, slug, email, role).await;
    let token = login(&app.anon, &app.api, email, STAFF_PASSWORD).await;
    (id, authed_client(&token))
}

async fn get_with(client: &reqwest::Client, url: String) -> (StatusCode, Value) {
    decode(client.get(url).send().await.unwrap()).await
}

async fn post_with(client: &reqwest::Client, url: String, body: Value) -> (StatusCode, Value) {
    decode(client.post(url).json(&body).send().await.unwrap()).await
}

/// The body of `PUT /clinics/{c}/security`, changing only the 2FA rule.
fn security(require_staff_2fa: bool) -> Value {
    json!({ "require_staff_2fa": require_staff_2fa, "verify_guest_contact": false, "retention_days": null })
}

/// Reads one text column of a user row behind the API's back.
async fn user_text(app: &TestApp, column: &str, email: &str) -> Option<String> {
    let db = app.db().await;
    let sql = format!("SELECT {column} FROM users WHERE email = $1");
    let (v,): (Option<String>,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_one(&db).await.unwrap();
    db.close().await;
    v
}

/// Failures in a row and the lock end of the (one) account and network a test signs in from,
/// as lockout keeps them: `(0, None)` when nothing is on record.
async fn lock_state(app: &TestApp, _email: &str) -> (i64, Option<i64>) {
    let db = app.db().await;
    let row: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT failures, locked_until_us FROM login_failures WHERE network <> '*'")
            .fetch_optional(&db)
            .await
            .unwrap();
    db.close().await;
    row.unwrap_or((0, None))
}

// --- TOTP -------------------------------------------------------------------------------------

fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// RFC 4648 base32 (no padding) as authenticator apps read it.
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The authenticator's code `steps` 30-second steps from now (0 = now, 1 = the next one; the
/// server accepts one step of drift either way).
fn totp(secret: &[u8], steps: i64) -> String {
    nobat_web::auth::totp::code_at(secret, u64::try_from(unix_now() + 30 * steps).unwrap())
}

/// A six-digit code that is none of the codes the server would accept right now.
fn wrong_code(secret: &[u8]) -> String {
    let accepted: HashSet<String> = (-2..=2).map(|s| totp(secret, s)).collect();
    (0..1000u32).map(|i| format!("{:06}", (i * 7919) % 1_000_000)).find(|c| !accepted.contains(c)).unwrap()
}

/// Turns two-factor on for whoever `client` is: the secret and the ten recovery codes. The
/// confirmation spends the current step, so the next sign-in must use `totp(secret, 1)`.
async fn enable_2fa(client: &reqwest::Client, api: &str) -> (Vec<u8>, Vec<String>) {
    let (s, enrol) = post_with(client, format!("{api}/me/2fa"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{enrol}");
    let secret = base32_decode(enrol["secret"].as_str().unwrap());
    let (s, confirmed) = post_with(client, format!("{api}/me/2fa/confirm"), json!({ "code": totp(&secret, 0) })).await;
    assert_eq!(s, StatusCode::OK, "{confirmed}");
    let codes = confirmed["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned());
    (secret, codes.collect())
}

// --- cookies ----------------------------------------------------------------------------------

/// The `Set-Cookie` header of a response, split into its `name=value` pair and attributes.
fn set_cookie(h: &HeaderMap) -> (String, Vec<String>) {
    let raw = header(h, "set-cookie").unwrap_or_else(|| panic!("no Set-Cookie: {h:?}"));
    let mut parts = raw.split(';').map(|p| p.trim().to_owned());
    let pair = parts.next().unwrap();
    (pair, parts.collect())
}

/// Signs the owner in as a browser: the `nobat_session=…` pair to send back, the cookie's
/// attributes, the CSRF token, and the login response's headers.
async fn cookie_login(app: &TestApp) -> (String, Vec<String>, String, HeaderMap) {
    let body = json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD });
    let (s, h, v) = try_login(app, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("token").is_none(), "a cookie login must not also hand out a bearer secret: {v}");
    let (pair, attrs) = set_cookie(&h);
    assert!(pair.starts_with("nobat_session=nbs_"), "{pair}");
    (pair, attrs, v["csrf_token"].as_str().unwrap().to_owned(), h)
}

fn has_attr(attrs: &[String], name: &str) -> bool {
    attrs.iter().any(|a| a.split('=').next().unwrap().eq_ignore_ascii_case(name))
}

// --- headers ----------------------------------------------------------------------------------

fn assert_security_headers(h: &HeaderMap, what: &str) {
    let csp = header(h, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: CSP {csp}");
    assert_eq!(header(h, "x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(header(h, "referrer-policy"), Some("no-referrer"), "{what}");
    assert_eq!(header(h, "x-frame-options"), Some("DENY"), "{what}");
}

// ---------------------------------------------------------------------------------------------
// 1. Cookie sessions and CSRF
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_to_change_anything() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (cookie, attrs, csrf, h) = cookie_login(&app).await;
    assert!(has_attr(&attrs, "HttpOnly"), "{attrs:?}");
    let same_site = attrs.iter().find_map(|a| a.strip_prefix("SameSite=")).unwrap_or_else(|| panic!("{attrs:?}"));
    assert!(["Lax", "Strict"].contains(&same_site), "{attrs:?}");
    assert!(!has_attr(&attrs, "Secure"), "plain-http public URL: a Secure cookie would never come back: {attrs:?}");
    assert!(header(&h, "strict-transport-security").is_none(), "no HSTS over plain http");

    let browser = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.api);
    // Reads work with the cookie alone.
    let (s, _, me) = call(browser.get(url("/me")).header("cookie", &cookie)).await;
    assert_eq!((s, me["user"]["email"].as_str()), (StatusCode::OK, Some(OWNER_EMAIL)), "{me}");
    let (s, _, session) = call(browser.get(url("/auth/session")).header("cookie", &cookie)).await;
    assert_eq!((s, session["csrf_token"].as_str()), (StatusCode::OK, Some(csrf.as_str())), "{session}");

    // A change without the token, or with a wrong one, is refused and changes nothing.
    let clinic = url(&format!("/clinics/{}", seed.slug));
    let rename = json!({ "name": "Renamed Clinic" });
    let (s, _, p) = call(browser.patch(&clinic).header("cookie", &cookie).json(&rename)).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "csrf-token-missing"), "{p}");
    let (s, _, p) =
        call(browser.patch(&clinic).header("cookie", &cookie).header("x-csrf-token", "guessed").json(&rename)).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "csrf-token-missing"), "{p}");
    // Another session's token is as wrong as a guessed one.
    let (other_cookie, _, other_csrf, _) = cookie_login(&app).await;
    let (s, _, p) =
        call(browser.patch(&clinic).header("cookie", &cookie).header("x-csrf-token", &other_csrf).json(&rename)).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "csrf-token-missing"), "{p}");
    let (_, c) = app.get(&format!("/clinics/{}", seed.slug)).await;
    assert_eq!(c["name"], "Test Clinic", "a refused request changed the clinic: {c}");
    // Logging out is a change too: without the token the session survives.
    let (s, _, p) = call(browser.post(url("/auth/logout")).header("cookie", &cookie)).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "csrf-token-missing"), "{p}");
    assert_eq!(call(browser.get(url("/me")).header("cookie", &cookie)).await.0, StatusCode::OK);

    // With the right token it works.
    let (s, _, c) =
        call(browser.patch(&clinic).header("cookie", &cookie).header("x-csrf-token", &csrf).json(&rename)).await;
    assert_eq!((s, c["name"].as_str()), (StatusCode::OK, Some("Renamed Clinic")), "{c}");

    // Logout ends the session: the cookie is cleared and no longer works.
    let (s, h, _) =
        call(browser.post(url("/auth/logout")).header("cookie", &cookie).header("x-csrf-token", &csrf)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (pair, attrs) = set_cookie(&h);
    assert_eq!(pair, "nobat_session=", "logout clears the cookie");
    assert!(attrs.iter().any(|a| a == "Max-Age=0"), "{attrs:?}");
    let (s, _, p) = call(browser.get(url("/me")).header("cookie", &cookie)).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{p}");
    // The other browser session is untouched.
    assert_eq!(call(browser.get(url("/me")).header("cookie", &other_cookie)).await.0, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn behind_https_cookies_are_secure_and_hsts_is_sent() {
    let app = spawn_with(|cfg| cfg.public_url = Some("https://clinic.example".into())).await;
    let (_, attrs, _, h) = cookie_login(&app).await;
    assert!(has_attr(&attrs, "Secure"), "{attrs:?}");
    assert!(has_attr(&attrs, "HttpOnly"), "{attrs:?}");
    let hsts = header(&h, "strict-transport-security").unwrap_or_else(|| panic!("no HSTS on login: {h:?}"));
    assert!(hsts.contains("max-age="), "{hsts}");
    // On every response, not only the login.
    let (_, h, _) = call(app.anon.get(format!("{}/clinics", app.api))).await;
    assert!(header(&h, "strict-transport-security").is_some(), "{h:?}");
    let (_, h, _) = call(app.anon.get(format!("{}/nothing-here", app.base))).await;
    assert!(header(&h, "strict-transport-security").is_some(), "{h:?}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 2. Wrong passwords and lockout
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = spawn_app().await;
    let wrong = creds(OWNER_EMAIL, "not the password at all");
    let right = creds(OWNER_EMAIL, OWNER_PASSWORD);

    // A wrong password and an unknown email get the very same answer.
    let (s, _, bad_password) = try_login(&app, wrong.clone()).await;
    assert_eq!((s, problem(&bad_password)), (StatusCode::UNAUTHORIZED, "invalid-credentials"), "{bad_password}");
    let (s, _, unknown) = try_login(&app, creds("nobody@test.nobat", "not the password at all")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown, bad_password, "an unknown email must not be told apart from a wrong password");
    // (The unknown address's failure is counted like any other; forget it so that the rows
    // left are the owner's.)
    let db = app.db().await;
    sqlx::query("DELETE FROM login_failures").execute(&db).await.unwrap();
    db.close().await;

    // A successful sign-in resets the count: four failures, success, four more, success.
    assert_eq!(try_login(&app, right.clone()).await.0, StatusCode::OK);
    assert_eq!(lock_state(&app, OWNER_EMAIL).await, (0, None));
    for _ in 0..4 {
        assert_eq!(try_login(&app, wrong.clone()).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(lock_state(&app, OWNER_EMAIL).await, (4, None));
    assert_eq!(try_login(&app, right.clone()).await.0, StatusCode::OK);
    assert_eq!(lock_state(&app, OWNER_EMAIL).await, (0, None), "success resets the counter");
    for _ in 0..4 {
        assert_eq!(try_login(&app, wrong.clone()).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(try_login(&app, right.clone()).await.0, StatusCode::OK, "8 failures in all, but never 5 in a row");

    // Five in a row: the sixth attempt is refused even with the right password.
    for i in 0..5 {
        let (s, _, p) = try_login(&app, wrong.clone()).await;
        assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "invalid-credentials"), "failure {i}: {p}");
    }
    // Locked, the right password gets the answer a wrong one gets (a lock must not tell an
    // address that exists from one that does not).
    let (s, h, p) = try_login(&app, right.clone()).await;
    assert_eq!((s, &p), (StatusCode::UNAUTHORIZED, &bad_password), "locked: {p}");
    assert!(header(&h, "retry-after").is_none(), "no Retry-After: an unknown email has none either");
    // While locked, guesses are not counted.
    let (s, _, p) = try_login(&app, wrong.clone()).await;
    assert_eq!((s, &p), (StatusCode::UNAUTHORIZED, &bad_password), "{p}");
    let (failures, until) = lock_state(&app, OWNER_EMAIL).await;
    assert_eq!(failures, 5);
    let left = until.unwrap() - jiff::Timestamp::now().as_microsecond();
    assert!((1..=30_000_000).contains(&left), "the first lock is 30 s: {left} µs left");

    // Waiting 30 s would make this test slow; move the lock's end into the past instead, which
    // is exactly the state the database is in once the lock has run out.
    let db = app.db().await;
    let past = jiff::Timestamp::now().as_microsecond() - 1_000_000;
    sqlx::query("UPDATE login_failures SET locked_until_us = $1 WHERE locked_until_us IS NOT NULL")
        .bind(past)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let (s, _, v) = try_login(&app, right).await;
    assert_eq!(s, StatusCode::OK, "the lock has expired: {v}");
    assert_eq!(lock_state(&app, OWNER_EMAIL).await, (0, None), "success clears the lock and the counter");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 3. TOTP two-factor
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn totp_enrolment_login_replay_recovery_and_disable() {
    let app = spawn_app().await;
    let api = &app.api;

    let (s, enrol) = app.post("/me/2fa", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{enrol}");
    let b32 = enrol["secret"].as_str().unwrap().to_owned();
    let secret = base32_decode(&b32);
    assert_eq!(secret.len(), 20, "a 160-bit secret");
    let url = enrol["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/") && url.contains(&b32), "{url}");
    // Not on until confirmed: signing in needs no code yet.
    assert_eq!(try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await.0, StatusCode::OK);
    let pending = user_text(&app, "totp_pending", OWNER_EMAIL).await.expect("the pending secret is stored");
    assert_eq!(user_text(&app, "totp_secret", OWNER_EMAIL).await, None);

    // A wrong code does not confirm it.
    let (s, p) = app.post("/me/2fa/confirm", json!({ "code": wrong_code(&secret) })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{p}");
    assert_eq!(app.get("/me").await.1["user"]["two_factor"], false);
    let (s, done) = app.post("/me/2fa/confirm", json!({ "code": totp(&secret, 0) })).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let recovery: Vec<String> =
        done["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(recovery.iter().collect::<HashSet<_>>().len(), 10, "distinct: {recovery:?}");
    let (_, me) = app.get("/me").await;
    assert_eq!((me["user"]["two_factor"].as_bool(), me["recovery_codes_left"].as_u64()), (Some(true), Some(10)));
    let (s, p) = app.post("/me/2fa", json!({})).await;
    assert_eq!((s, problem(&p)), (StatusCode::CONFLICT, "two-factor-already-on"), "re-enrolling needs disable first");

    // Secrets at rest: encrypted, never the secret in any form a reader could use.
    let sealed = user_text(&app, "totp_secret", OWNER_EMAIL).await.expect("2FA is on");
    for stored in [&sealed, &pending] {
        assert!(!stored.to_uppercase().contains(&b32.to_uppercase()), "base32 secret at rest: {stored}");
        assert!(!stored.to_lowercase().contains(&hex(&secret)), "hex secret at rest: {stored}");
    }
    assert_eq!(user_text(&app, "totp_pending", OWNER_EMAIL).await, None, "the pending secret is gone");
    let db = app.db().await;
    let stored: Vec<(String,)> =
        sqlx::query_as("SELECT r.code_hash FROM recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.email = $1")
            .bind(OWNER_EMAIL)
            .fetch_all(&db)
            .await
            .unwrap();
    db.close().await;
    assert_eq!(stored.len(), 10);
    for (hash,) in &stored {
        assert!(recovery.iter().all(|c| !hash.contains(c.as_str())), "a recovery code stored in clear: {hash}");
    }

    // Signing in now needs a second factor.
    let (s, _, p) = try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "totp-required"), "{p}");
    let with_code =
        |code: &str| json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD, "totp_code": code, "bearer": true });
    let (s, _, p) = try_login(&app, with_code(&wrong_code(&secret))).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "totp-invalid"), "{p}");
    // A code with the wrong password is still a wrong password.
    let (s, _, p) = try_login(
        &app,
        json!({ "email": OWNER_EMAIL, "password": "wrong password!", "totp_code": totp(&secret, 1), "bearer": true }),
    )
    .await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "invalid-credentials"), "{p}");
    // The confirmation spent this step's code, so use the next step's (within the drift window).
    let code = totp(&secret, 1);
    let (s, _, v) = try_login(&app, with_code(&code)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let fresh = authed_client(v["token"].as_str().unwrap());
    assert_eq!(get_with(&fresh, format!("{api}/me")).await.0, StatusCode::OK);
    // The same code again is a replay.
    let (s, _, p) = try_login(&app, with_code(&code)).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "totp-invalid"), "replayed code: {p}");

    // A recovery code works once, however it is typed, and only once.
    let with_recovery =
        |rc: &str| json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD, "recovery_code": rc, "bearer": true });
    assert_eq!(try_login(&app, with_recovery(&recovery[0])).await.0, StatusCode::OK);
    let (s, _, p) = try_login(&app, with_recovery(&recovery[0])).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "recovery-code-invalid"), "{p}");
    let typed = recovery[1].to_uppercase().replace('-', " ");
    assert_eq!(try_login(&app, with_recovery(&typed)).await.0, StatusCode::OK, "typed as {typed}");
    let (s, _, p) = try_login(&app, with_recovery("abcd-efgh-jkmn")).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "recovery-code-invalid"), "{p}");
    assert_eq!(app.get("/me").await.1["recovery_codes_left"], 8);

    // Turning it off needs the password.
    let (s, p) = app.post("/me/2fa/disable", json!({ "password": "not my password" })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{p}");
    assert_eq!(try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await.0, StatusCode::UNAUTHORIZED, "still on");
    let (s, v) = app.post("/me/2fa/disable", json!({ "password": OWNER_PASSWORD })).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await.0, StatusCode::OK);
    assert_eq!(user_text(&app, "totp_secret", OWNER_EMAIL).await, None);
    assert_eq!(app.get("/me").await.1["recovery_codes_left"], 0, "old recovery codes are void");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 4. Mandatory staff 2FA
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn mandatory_staff_2fa_locks_out_staff_until_they_enrol() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let sec = format!("/clinics/{}/security", seed.slug);
    let book = format!("{}/clinics/{}/appointments", app.api, seed.slug);

    // The owner cannot lock everyone (themselves included) out.
    let (s, p) = put(&app, &sec, security(true)).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("require_staff_2fa")), "{p}");
    assert_eq!(app.get(&sec).await.1["require_staff_2fa"], false, "nothing changed");

    let (desk_id, desk) = staff_member(&app, &seed.slug, "desk@test.nobat", "receptionist").await;
    assert_eq!(get_with(&desk, book.clone()).await.0, StatusCode::OK, "before the rule the desk works");

    enable_2fa(&app.client, &app.api).await;
    let (s, v) = put(&app, &sec, security(true)).await;
    assert_eq!((s, v["require_staff_2fa"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    assert_eq!(app.get(&sec).await.1["require_staff_2fa"], true);
    assert_eq!(get_with(&app.client, book.clone()).await.0, StatusCode::OK, "the owner has 2FA");

    // The receptionist without 2FA is shut out of every staff route, reads and writes.
    let (s, p) = get_with(&desk, book.clone()).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "two-factor-required"), "{p}");
    let exception = json!({ "date": day(30), "kind": "closed" });
    let (s, p) =
        post_with(&desk, format!("{}/clinics/{}/schedule/exceptions", app.api, seed.slug), exception.clone()).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "two-factor-required"), "{p}");
    // The member list shows who is missing it.
    let (_, members) = app.get(&format!("/clinics/{}/members", seed.slug)).await;
    let row = members.as_array().unwrap().iter().find(|m| m["user"] == desk_id.as_str()).unwrap().clone();
    assert_eq!(row["two_factor"], false, "{row}");
    // Their own account pages stay open, so they can enrol.
    assert_eq!(get_with(&desk, format!("{}/me", app.api)).await.0, StatusCode::OK);
    enable_2fa(&desk, &app.api).await;
    assert_eq!(get_with(&desk, book.clone()).await.0, StatusCode::OK, "enrolled: back in");
    let (s, v) = post_with(&desk, format!("{}/clinics/{}/schedule/exceptions", app.api, seed.slug), exception).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 5. API tokens
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn api_tokens_are_scoped_capped_revocable_and_stored_hashed() {
    let app = spawn_app().await;
    let (a, b) = (seed(&app).await, seed(&app).await);
    let (desk_id, desk) = staff_member(&app, &a.slug, "desk@test.nobat", "receptionist").await;
    add_member(&app, &b.slug, "desk@test.nobat", "receptionist").await;
    let api = &app.api;
    let list = |slug: &str| format!("{api}/clinics/{slug}/appointments");

    let (s, created) = post_with(
        &desk,
        format!("{api}/clinics/{}/tokens", a.slug),
        json!({ "name": "sync", "password": STAFF_PASSWORD }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("nbt_") && secret.len() > 30, "{secret}");
    assert_eq!((created["role"].as_str(), created["clinic"].as_str()), (Some("receptionist"), Some(a.clinic.as_str())));
    let token = authed_client(&secret);

    // Works on this clinic's staff routes, not on another clinic the member also works for.
    assert_eq!(get_with(&token, list(&a.slug)).await.0, StatusCode::OK);
    assert_eq!(get_with(&desk, list(&b.slug)).await.0, StatusCode::OK, "the member's session does work in B");
    let (s, p) = get_with(&token, list(&b.slug)).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "wrong-clinic"), "{p}");

    // No more than one's own role.
    for role in ["admin", "owner"] {
        let (s, p) = post_with(
            &desk,
            format!("{api}/clinics/{}/tokens", a.slug),
            json!({ "name": "x", "role": role, "password": STAFF_PASSWORD }),
        )
        .await;
        assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "forbidden"), "{role}: {p}");
    }
    // A token is not the person: no account pages, no new tokens.
    for path in ["/me", "/me/tokens", "/me/appointments"] {
        let (s, p) = get_with(&token, format!("{api}{path}")).await;
        assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "session-required"), "{path}: {p}");
    }
    let (s, p) = post_with(
        &token,
        format!("{api}/clinics/{}/tokens", a.slug),
        json!({ "name": "child", "password": STAFF_PASSWORD }),
    )
    .await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "session-required"), "{p}");

    // Use is recorded (off the request path, so poll for it); the secret is never shown again.
    let mut listed = Value::Null;
    for _ in 0..50 {
        let (s, v) = get_with(&desk, format!("{api}/me/tokens")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        listed = v.as_array().unwrap().iter().find(|t| t["id"] == id.as_str()).unwrap().clone();
        if !listed["last_used_at"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(listed["last_used_at"].as_str().is_some(), "last_used_at never set: {listed}");
    assert!(listed.get("token").is_none(), "the secret is shown once only: {listed}");

    // At rest only a keyed hash.
    let db = app.db().await;
    let (hash,): (String,) =
        sqlx::query_as("SELECT token_hash FROM api_tokens WHERE id = $1").bind(&id).fetch_one(&db).await.unwrap();
    assert!(hash != secret && !hash.contains(&secret["nbt_".len()..]), "the secret is stored: {hash}");

    // Another receptionist cannot revoke it; its owner can, and then it is dead.
    let (_, other) = staff_member(&app, &a.slug, "desk2@test.nobat", "receptionist").await;
    let revoke = format!("{api}/clinics/{}/tokens/{id}", a.slug);
    let (s, _) = decode(other.delete(&revoke).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a receptionist revokes only their own tokens");
    assert_eq!(get_with(&token, list(&a.slug)).await.0, StatusCode::OK, "still alive");
    let (s, _) = decode(desk.delete(&revoke).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, p) = get_with(&token, list(&a.slug)).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{p}");

    // Removing the member from a clinic revokes their tokens there.
    let (s, second) = post_with(
        &desk,
        format!("{api}/clinics/{}/tokens", b.slug),
        json!({ "name": "b-sync", "password": STAFF_PASSWORD }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let second_client = authed_client(second["token"].as_str().unwrap());
    assert_eq!(get_with(&second_client, list(&b.slug)).await.0, StatusCode::OK);
    let (s, v) = app.delete(&format!("/clinics/{}/members/{desk_id}", b.slug)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, p) = get_with(&second_client, list(&b.slug)).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{p}");
    let (revoked,): (Option<i64>,) = sqlx::query_as("SELECT revoked_at_us FROM api_tokens WHERE id = $1")
        .bind(second["id"].as_str().unwrap())
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(revoked.is_some(), "the token row is marked revoked");
    db.close().await;
    let (s, p) = get_with(&desk, list(&b.slug)).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "not-a-member"), "{p}");
    app.stop().await;
}

/// A token carries one role: an admin may make a narrower "receptionist" token (say, for a
/// desk integration), and that token must not do what receptionists may not. A receptionist
/// may not make a "practitioner" token: practitioners read clinical notes, reception does not.
#[tokio::test]
async fn a_narrower_token_does_not_act_with_its_creators_wider_role() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (_, desk) = staff_member(&app, &seed.slug, "desk@test.nobat", "receptionist").await;
    let (_, manager) = staff_member(&app, &seed.slug, "manager@test.nobat", "admin").await;
    let api = &app.api;
    let services = format!("{api}/clinics/{}/services", seed.slug);
    let new_service = json!({ "name": "via narrow token", "duration_min": 30 });

    let (s, p) = post_with(
        &desk,
        format!("{api}/clinics/{}/tokens", seed.slug),
        json!({ "name": "clinical", "role": "practitioner", "password": STAFF_PASSWORD }),
    )
    .await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "forbidden"), "a receptionist minted a clinical token: {p}");

    let (s, created) = post_with(
        &manager,
        format!("{api}/clinics/{}/tokens", seed.slug),
        json!({ "name": "desk", "role": "receptionist", "password": STAFF_PASSWORD }),
    )
    .await;
    assert_eq!((s, created["role"].as_str()), (StatusCode::CREATED, Some("receptionist")), "{created}");
    let narrow = authed_client(created["token"].as_str().unwrap());
    // What a receptionist may do, it does.
    assert_eq!(get_with(&narrow, format!("{api}/clinics/{}/appointments", seed.slug)).await.0, StatusCode::OK);
    // Receptionists may not change the services (ManageClinic is owner/admin).
    let (s, p) = post_with(&narrow, services.clone(), new_service).await;
    assert_eq!(
        (s, problem(&p)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "a receptionist token changed the services with its creator's admin rights: {p}"
    );
    let (_, list) = app.get(&format!("/clinics/{}/services", seed.slug)).await;
    assert!(!list.to_string().contains("via narrow token"), "nothing was written: {list}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 6. Password change
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn changing_the_password_ends_every_session() {
    let app = spawn_app().await;
    let api = &app.api;
    let other = authed_client(&login(&app.anon, api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let change = |current: &str, new: &str| json!({ "current_password": current, "new_password": new });

    let (s, p) = app.post("/me/password", change("not the current one", "a perfectly fine passphrase")).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password")), "{p}");
    for short in ["", "short", "ninechars"] {
        let (s, p) = app.post("/me/password", change(OWNER_PASSWORD, short)).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password")), "{short}: {p}");
    }
    // Refused changes changed nothing.
    assert_eq!(app.get("/me").await.0, StatusCode::OK);
    assert_eq!(get_with(&other, format!("{api}/me")).await.0, StatusCode::OK);

    let new_password = "tenchars10"; // exactly the minimum length
    let (s, v) = app.post("/me/password", change(OWNER_PASSWORD, new_password)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    for (who, client) in [("this session", &app.client), ("another session", &other)] {
        let (s, p) = get_with(client, format!("{api}/me")).await;
        assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{who}: {p}");
    }
    let (s, _, p) = try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "invalid-credentials"), "the old password: {p}");
    let fresh = authed_client(&login(&app.anon, api, OWNER_EMAIL, new_password).await);
    assert_eq!(get_with(&fresh, format!("{api}/me")).await.0, StatusCode::OK);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 7. Security headers
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn security_headers_on_every_response_and_no_store_when_signed_in() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (api, base) = (&app.api, &app.base);
    let (cookie, _, _, _) = cookie_login(&app).await;

    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, bool)> = vec![
        ("public directory", app.anon.get(format!("{api}/clinics")), StatusCode::OK, false),
        ("unknown API path", app.anon.get(format!("{api}/no-such-thing")), StatusCode::NOT_FOUND, false),
        ("unknown path outside the API", app.anon.get(format!("{base}/favicon.ico")), StatusCode::NOT_FOUND, false),
        ("wrong method", app.anon.put(format!("{api}/clinics")), StatusCode::METHOD_NOT_ALLOWED, false),
        ("health", app.anon.get(format!("{base}/healthz")), StatusCode::OK, false),
        ("bearer account page", app.client.get(format!("{api}/me")), StatusCode::OK, true),
        (
            "bearer staff list",
            app.client.get(format!("{api}/clinics/{}/appointments", seed.slug)),
            StatusCode::OK,
            true,
        ),
        (
            "bearer 404",
            app.client.get(format!("{api}/clinics/no-such-clinic/appointments")),
            StatusCode::NOT_FOUND,
            true,
        ),
        ("bearer public page", app.client.get(format!("{api}/clinics/{}", seed.slug)), StatusCode::OK, true),
        ("cookie account page", app.anon.get(format!("{api}/me")).header("cookie", &cookie), StatusCode::OK, true),
        (
            "bad bearer",
            app.anon.get(format!("{api}/me")).header("authorization", "Bearer nbs_forged"),
            StatusCode::UNAUTHORIZED,
            true,
        ),
    ];
    for (what, req, status, credentialed) in cases {
        let (s, h, body) = call(req).await;
        assert_eq!(s, status, "{what}: {body}");
        assert_security_headers(&h, what);
        assert!(header(&h, "strict-transport-security").is_none(), "{what}: HSTS over plain http");
        if credentialed {
            let cc = header(&h, "cache-control").unwrap_or_else(|| panic!("{what}: no Cache-Control"));
            assert!(cc.contains("no-store"), "{what}: Cache-Control {cc}");
        }
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 8. Rate limits
// ---------------------------------------------------------------------------------------------
//
// A limit of N per minute allows a burst of max(N / 5, 3) (capped at N), then one request every
// 60/N s. The limits below are 3 per minute: a burst of 3, then one every 20 s, which no test
// here waits for, so the counts are exact.

fn assert_rate_limited(s: StatusCode, h: &HeaderMap, p: &Value, what: &str) {
    assert_eq!((s, problem(p)), (StatusCode::TOO_MANY_REQUESTS, "rate-limited"), "{what}: {p}");
    let wait = retry_after(h);
    assert!((1..=60).contains(&wait), "{what}: Retry-After {wait}");
    assert_security_headers(h, what);
}

#[tokio::test]
async fn a_burst_of_logins_from_one_ip_is_limited() {
    let app = spawn_with(|cfg| cfg.limits.login_per_ip = 3).await;
    // The harness already signed the owner in once: two more fit in the burst of three.
    for i in 0..2 {
        let (s, _, v) = try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await;
        assert_eq!(s, StatusCode::OK, "attempt {i}: {v}");
    }
    let (s, h, p) = try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await;
    assert_rate_limited(s, &h, &p, "login over the burst");
    let (s, h, p) = try_login(&app, creds("someone-else@test.nobat", "whatever password")).await;
    assert_rate_limited(s, &h, &p, "another email from the same IP");
    // Registration shares the sign-in bucket.
    let body = json!({ "email": "new@test.nobat", "password": "long enough pass", "name": "New" });
    let (s, h, p) = call(app.anon.post(format!("{}/auth/register", app.api)).json(&body)).await;
    assert_rate_limited(s, &h, &p, "registration");
    // Other requests are not in that bucket.
    assert_eq!(app.get("/me").await.0, StatusCode::OK);
    // Nothing was counted against the account by the refused attempts.
    assert_eq!(lock_state(&app, OWNER_EMAIL).await, (0, None));
    app.stop().await;
}

#[tokio::test]
async fn the_per_account_login_limit_is_per_account() {
    let app = spawn_with(|cfg| cfg.limits.login_per_account = 3).await;
    for who in ["a@test.nobat", "b@test.nobat"] {
        assert_eq!(register(&app, who, "a long password", who).await.0, StatusCode::CREATED);
    }
    for i in 0..3 {
        let (s, _, v) = try_login(&app, creds("a@test.nobat", "a long password")).await;
        assert_eq!(s, StatusCode::OK, "attempt {i}: {v}");
    }
    // The same account, spelled differently, is the same bucket.
    let (s, h, p) = try_login(&app, creds("  A@Test.Nobat ", "a long password")).await;
    assert_rate_limited(s, &h, &p, "fourth login for a@");
    let (s, _, v) = try_login(&app, creds("b@test.nobat", "a long password")).await;
    assert_eq!(s, StatusCode::OK, "another account from the same IP is not limited: {v}");
    app.stop().await;
}

#[tokio::test]
async fn holds_and_bookings_are_limited_per_ip() {
    let app = spawn_with(|cfg| cfg.limits.booking_per_ip = 3).await;
    let seed = seed(&app).await;
    let free = slots(&app, &seed, &seed.consult, &day(2), None).await;
    assert!(free.len() >= 4);
    let c = format!("/clinics/{}", seed.slug);
    let hold = |slot: &Value| json!({ "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"] });
    // Holds and bookings share one bucket of three.
    assert_eq!(app.post(&format!("{c}/holds"), hold(&free[0])).await.0, StatusCode::CREATED);
    assert_eq!(app.post(&format!("{c}/holds"), hold(&free[1])).await.0, StatusCode::CREATED);
    assert_eq!(app.post(&format!("{c}/appointments"), booking(&free[2], "P2")).await.0, StatusCode::CREATED);
    let (s, h, p) = call(app.anon.post(format!("{}{c}/appointments", app.api)).json(&booking(&free[3], "P3"))).await;
    assert_rate_limited(s, &h, &p, "fourth booking");
    let (s, h, p) = call(app.anon.post(format!("{}{c}/holds", app.api)).json(&hold(&free[3]))).await;
    assert_rate_limited(s, &h, &p, "hold after the burst");
    // The refused booking was not made; reading is not limited.
    let (s, list) = app.get(&format!("{c}/appointments")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["appointments"].as_array().unwrap().len(), 1, "{list}");
    app.stop().await;
}

/// A signed-in patient's bookings are limited per account too: changing address (here through
/// a trusted proxy's X-Forwarded-For) does not buy a fresh budget; a guest from another address
/// does get one.
#[tokio::test]
async fn bookings_are_limited_per_account_wherever_they_come_from() {
    let app = spawn_with(|cfg| {
        cfg.limits.booking_per_ip = 3;
        cfg.limits.trust_forwarded_for = true;
    })
    .await;
    let seed = seed(&app).await;
    let free = slots(&app, &seed, &seed.consult, &day(2), None).await;
    assert!(free.len() >= 5);
    let url = format!("{}/clinics/{}/appointments", app.api, seed.slug);
    let (s, v) = register(&app, "roamer@test.nobat", "a long enough password", "Roamer").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let me = authed_client(&login(&app.anon, &app.api, "roamer@test.nobat", "a long enough password").await);
    for (i, slot) in free.iter().take(3).enumerate() {
        let from = format!("198.51.100.{i}");
        let (s, _, v) = call(me.post(&url).header("x-forwarded-for", from).json(&booking(slot, "Roamer"))).await;
        assert_eq!(s, StatusCode::CREATED, "booking {i}: {v}");
    }
    let (s, h, p) =
        call(me.post(&url).header("x-forwarded-for", "198.51.100.9").json(&booking(&free[3], "Roamer"))).await;
    assert_rate_limited(s, &h, &p, "a fourth booking from a fresh address, same account");
    let (s, _, v) =
        call(app.anon.post(&url).header("x-forwarded-for", "203.0.113.5").json(&booking(&free[4], "Guest"))).await;
    assert_eq!(s, StatusCode::CREATED, "a guest elsewhere has their own budget: {v}");
    app.stop().await;
}

#[tokio::test]
async fn verification_codes_are_limited_per_contact() {
    let app = spawn_with(|cfg| cfg.limits.codes_per_contact = 3).await;
    let seed = seed(&app).await;
    let url = format!("{}/clinics/{}/verifications", app.api, seed.slug);
    for i in 0..3 {
        let (s, _, v) = call(app.anon.post(&url).json(&json!({ "phone": "+989121234567" }))).await;
        assert_eq!(s, StatusCode::ACCEPTED, "code {i}: {v}");
    }
    // The same phone written another way is the same contact.
    let (s, h, p) = call(app.anon.post(&url).json(&json!({ "phone": "+98 912-123-4567" }))).await;
    assert_rate_limited(s, &h, &p, "fourth code to one phone");
    let (s, _, v) = call(app.anon.post(&url).json(&json!({ "phone": "+989121234568" }))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "another phone is not limited: {v}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 9. Patient accounts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn registered_patients_see_and_cancel_only_their_own_appointments() {
    let app = spawn_app().await;
    let api = &app.api;
    let count_users = || async {
        let db = app.db().await;
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&db).await.unwrap();
        db.close().await;
        n
    };

    let (s, user) = register(&app, "Pat@Test.Nobat", "patient passphrase", "Pat").await;
    assert_eq!(s, StatusCode::CREATED, "{user}");
    assert_eq!(user["email"], "pat@test.nobat", "stored lower-cased");
    assert_eq!((user["is_operator"].as_bool(), user["two_factor"].as_bool()), (Some(false), Some(false)));
    let before = count_users().await;
    let (s, p) = register(&app, " pat@test.nobat ", "another passphrase", "Impostor").await;
    assert_eq!((s, problem(&p)), (StatusCode::CONFLICT, "already-exists"), "{p}");
    for bad in ["not-an-email", "a@b", "@test.nobat", "sp ace@test.nobat"] {
        let (s, p) = register(&app, bad, "patient passphrase", "Bad").await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("email")), "{bad}: {p}");
    }
    let (s, p) = register(&app, "short@test.nobat", "ninechars", "Short").await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{p}");
    assert_eq!(count_users().await, before, "refused registrations created nothing");

    let pat = authed_client(&login(&app.anon, api, "pat@test.nobat", "patient passphrase").await);
    let (a, b) = (seed(&app).await, seed(&app).await);
    let book = |client: &reqwest::Client, seed: &Seed, slot: &Value, name: &str, phone: &str| {
        let (client, url) = (client.clone(), format!("{api}/clinics/{}/appointments", seed.slug));
        let mut body = booking(slot, name);
        body["patient"]["phone"] = json!(phone);
        async move {
            let (s, v) = post_with(&client, url, body).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            v["id"].as_str().unwrap().to_owned()
        }
    };
    let slot_a = slots(&app, &a, &a.consult, &day(2), None).await;
    let slot_b = slots(&app, &b, &b.consult, &day(3), None).await;
    let pat_a = book(&pat, &a, &slot_a[0], "Pat", "+989121111111").await;
    let pat_b = book(&pat, &b, &slot_b[0], "Pat", "+989121111111").await;

    let mine = |client: reqwest::Client| async move {
        let (s, v) = get_with(&client, format!("{api}/me/appointments")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()).collect::<HashSet<_>>()
    };
    assert_eq!(mine(pat.clone()).await, HashSet::from([pat_a.clone(), pat_b.clone()]));

    // Another patient, with a booking of their own, sees none of Pat's.
    assert_eq!(register(&app, "other@test.nobat", "other passphrase", "Other").await.0, StatusCode::CREATED);
    let other = authed_client(&login(&app.anon, api, "other@test.nobat", "other passphrase").await);
    assert_eq!(mine(other.clone()).await, HashSet::new());
    let other_a = book(&other, &a, &slot_a[1], "Other Person", "+989122222222").await;
    assert_eq!(mine(other.clone()).await, HashSet::from([other_a.clone()]));

    let one = |slug: &str, id: &str| format!("{api}/clinics/{slug}/appointments/{id}");
    // Pat reads their own; someone else's is "not found", not "forbidden" (nothing leaks).
    let (s, v) = get_with(&pat, one(&a.slug, &pat_a)).await;
    assert_eq!((s, v["id"].as_str()), (StatusCode::OK, Some(pat_a.as_str())), "{v}");
    let (s, p) = get_with(&pat, one(&a.slug, &other_a)).await;
    assert_eq!((s, problem(&p)), (StatusCode::NOT_FOUND, "not-found"), "{p}");
    let (s, p) = get_with(&other, one(&a.slug, &pat_a)).await;
    assert_eq!((s, problem(&p)), (StatusCode::NOT_FOUND, "not-found"), "{p}");
    // Asking in the wrong clinic does not find it either.
    assert_eq!(get_with(&pat, one(&b.slug, &pat_a)).await.0, StatusCode::NOT_FOUND);
    let (s, p) = get_with(&app.anon, one(&a.slug, &pat_a)).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{p}");
    // A patient is not staff.
    let (s, p) = get_with(&pat, format!("{api}/clinics/{}/appointments", a.slug)).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "not-a-member"), "{p}");

    // Cancelling: someone else's is not found and stays booked; one's own works.
    let (s, p) = post_with(&other, format!("{}/cancel", one(&b.slug, &pat_b)), json!({})).await;
    assert_eq!((s, problem(&p)), (StatusCode::NOT_FOUND, "not-found"), "{p}");
    assert_eq!(app.get(&format!("/clinics/{}/appointments/{pat_b}", b.slug)).await.1["status"], "booked");
    let (s, v) = post_with(&pat, format!("{}/cancel", one(&a.slug, &pat_a)), json!({ "reason": "cannot come" })).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{v}");
    assert_eq!(app.get(&format!("/clinics/{}/appointments/{pat_a}", a.slug)).await.1["status"], "cancelled");
    assert_eq!(app.get(&format!("/clinics/{}/appointments/{other_a}", a.slug)).await.1["status"], "booked");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 10. First run from the command line
// ---------------------------------------------------------------------------------------------

/// `nobat` with the test's database and data directory.
fn nobat(db_url: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nobat"));
    cmd.args(["--database-url", db_url, "--data-dir"]).arg(dir).env("NOBAT_LOG", "warn");
    cmd
}

/// Runs a command with `stdin` fed in: success, stdout, stderr.
fn run(mut cmd: Command, stdin: &str) -> (bool, String, String) {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A `nobat serve` this test started; killed if the test fails before stopping it.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn first_run_from_the_command_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;

    let mut op = nobat(&db_url, dir.path());
    op.args(["user", "create", "--operator", "--email", "Op@Test.Nobat", "--name", "Operator", "--password-stdin"]);
    let (ok, out, err) = run(op, "operator passphrase\n");
    assert!(ok, "user create: {out} {err}");
    assert!(out.contains("created operator account"), "{out}");
    assert!(!out.contains("operator passphrase"), "a given password is never echoed: {out}");
    // The same email again, and a too-short password, are refused.
    let mut again = nobat(&db_url, dir.path());
    again.args(["user", "create", "--email", "op@test.nobat", "--name", "Again", "--password-stdin"]);
    assert!(!run(again, "another passphrase\n").0, "duplicate email accepted");
    let mut short = nobat(&db_url, dir.path());
    short.args(["user", "create", "--email", "short@test.nobat", "--name", "Short", "--password-stdin"]);
    assert!(!run(short, "short\n").0, "short password accepted");

    let mut clinic = nobat(&db_url, dir.path());
    clinic.args(["clinic", "create", "--slug", "first", "--name", "First Clinic", "--owner-email", "boss@test.nobat"]);
    let (ok, out, err) = run(clinic, "");
    assert!(ok, "clinic create: {out} {err}");
    let owner_password = out
        .lines()
        .find_map(|l| l.strip_prefix("owner's password: "))
        .unwrap_or_else(|| panic!("no generated password in {out}"))
        .trim()
        .to_owned();

    // Neither command needed the instance secret; `serve` makes it.
    let key = dir.path().join("secret.key");
    assert!(!key.exists(), "secret.key existed before serve");
    let mut serve = nobat(&db_url, dir.path());
    serve.args(["--listen", "127.0.0.1:0", "serve"]).stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut server = Served(serve.spawn().unwrap());
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let api = loop {
        let line = lines.next().expect("nobat exited before listening").unwrap();
        if let Some(rest) = line.strip_prefix("Nobat is listening on ") {
            break format!("{}/api/v1", rest.split_whitespace().next().unwrap());
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let mode = std::fs::metadata(&key).expect("serve created secret.key").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "secret.key mode {mode:o}");

    let anon = reqwest::Client::new();
    let boss = authed_client(&login(&anon, &api, "boss@test.nobat", &owner_password).await);
    let (s, me) = get_with(&boss, format!("{api}/me")).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let clinics = me["clinics"].as_array().unwrap();
    assert_eq!(clinics.len(), 1, "{me}");
    assert_eq!((clinics[0]["clinic_slug"].as_str(), clinics[0]["role"].as_str()), (Some("first"), Some("owner")));
    assert_eq!(get_with(&boss, format!("{api}/clinics/first/members")).await.0, StatusCode::OK, "owner's staff page");
    let operator = authed_client(&login(&anon, &api, "op@test.nobat", "operator passphrase").await);
    let (s, me) = get_with(&operator, format!("{api}/me")).await;
    assert_eq!((s, me["user"]["is_operator"].as_bool()), (StatusCode::OK, Some(true)), "{me}");
    let (s, v) = post_with(&operator, format!("{api}/clinics"), json!({ "slug": "second", "name": "Second" })).await;
    assert_eq!(s, StatusCode::CREATED, "an operator creates clinics: {v}");
    let (s, p) = post_with(&boss, format!("{api}/clinics"), json!({ "slug": "third", "name": "Third" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a clinic owner is not an operator: {p}");

    // A graceful stop.
    let pid = server.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status:?}");
}

/// Another site's page cannot use the session cookie, not even for a GET (some GETs are
/// recorded, such as a staff read of a patient's record, and must not be forgeable by a link):
/// the cookie is ignored, so the request is anonymous. Public routes keep working with a
/// cookie that is cross-site or belongs to an ended session.
#[tokio::test]
async fn cross_site_requests_with_the_cookie_are_refused() {
    let app = spawn_app().await;
    let (pair, _, _, _) = cookie_login(&app).await;
    let me = format!("{}/me", app.api);
    let (s, _, _) = call(app.anon.get(&me).header("cookie", &pair).header("sec-fetch-site", "same-origin")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = call(app.anon.get(&me).header("cookie", &pair).header("sec-fetch-site", "cross-site")).await;
    assert_eq!((s, problem(&body)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{body}");
    let clinics = format!("{}/clinics", app.api);
    let (s, _, _) = call(app.anon.get(&clinics).header("cookie", &pair).header("sec-fetch-site", "cross-site")).await;
    assert_eq!(s, StatusCode::OK, "a public route opened from another site");
    let stale = "nobat_session=nbs_this-session-ended-long-ago";
    let (s, _, _) = call(app.anon.get(&clinics).header("cookie", stale)).await;
    assert_eq!(s, StatusCode::OK, "a stale cookie does not break public routes");
    let (s, _, _) = call(app.anon.get(&me).header("cookie", stale)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A bearer credential is not sent by browsers on their own: no such rule.
    let (s, _, _) = call(app.client.get(&me).header("sec-fetch-site", "cross-site")).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

/// A stolen session must not become a password-guessing oracle: wrong passwords on the account
/// pages count towards the same lockout as sign-ins.
#[tokio::test]
async fn wrong_passwords_on_account_pages_count_towards_the_lockout() {
    let app = spawn_app().await;
    let url = format!("{}/me/password", app.api);
    for _ in 0..5 {
        let body = json!({ "current_password": "a wrong guess!", "new_password": "something entirely new" });
        let (s, _, v) = call(app.client.post(&url).json(&body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    }
    let body = json!({ "current_password": OWNER_PASSWORD, "new_password": "something entirely new" });
    let (s, h, v) = call(app.client.post(&url).json(&body)).await;
    assert_eq!((s, problem(&v)), (StatusCode::TOO_MANY_REQUESTS, "account-locked"), "{v}");
    assert!(retry_after(&h) >= 1);
    let (s, _, v) = try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await;
    assert_eq!((s, problem(&v)), (StatusCode::UNAUTHORIZED, "invalid-credentials"), "sign-in is locked too: {v}");
    app.stop().await;
}

/// Managing staff means managing tokens only of roles one may assign: an admin cannot revoke an
/// owner's token (it is as if it did not exist), an owner can revoke an admin's.
#[tokio::test]
async fn admins_cannot_revoke_owners_tokens_but_owners_can_revoke_admins() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("{}/clinics/{}", app.api, seed.slug);
    let (_, admin) = staff_member(&app, &seed.slug, "admin@test.nobat", "admin").await;
    let (s, owners) =
        post_with(&app.client, format!("{c}/tokens"), json!({ "name": "owner's", "password": OWNER_PASSWORD })).await;
    assert_eq!(s, StatusCode::CREATED, "{owners}");
    let (s, admins) =
        post_with(&admin, format!("{c}/tokens"), json!({ "name": "admin's", "password": STAFF_PASSWORD })).await;
    assert_eq!(s, StatusCode::CREATED, "{admins}");
    let revoke = |client: &reqwest::Client, id: &str| client.delete(format!("{c}/tokens/{id}")).send();
    let (s, _) = decode(revoke(&admin, owners["id"].as_str().unwrap()).await.unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "an admin cannot revoke an owner's token");
    let owner_token = authed_client(owners["token"].as_str().unwrap());
    assert_eq!(get_with(&owner_token, format!("{c}/members")).await.0, StatusCode::OK, "still works");
    let (s, _) = decode(revoke(&app.client, admins["id"].as_str().unwrap()).await.unwrap()).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let admin_token = authed_client(admins["token"].as_str().unwrap());
    assert_eq!(get_with(&admin_token, format!("{c}/members")).await.0, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Lockout without enumeration, and without strangers locking people out
// ---------------------------------------------------------------------------------------------

/// A sign-in attempt from a given client address (the app trusts `X-Forwarded-For`).
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> (StatusCode, HeaderMap, Value) {
    call(app.anon.post(format!("{}/auth/login", app.api)).header("x-forwarded-for", ip).json(&creds(email, password)))
        .await
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A locked account and an address with no account answer alike: same status, same problem
/// body, no Retry-After on either, and about the same time (the password hash is computed for
/// both, so timing does not tell them apart).
#[tokio::test]
async fn a_locked_account_looks_like_an_unknown_one() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let (s, _, _) = try_login(&app, creds(OWNER_EMAIL, "a wrong guess, again")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (locked_s, locked_h, locked) = try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await;
    let (unknown_s, unknown_h, unknown) = try_login(&app, creds("nobody@test.nobat", OWNER_PASSWORD)).await;
    assert_eq!(locked_s, unknown_s, "status: {locked} vs {unknown}");
    assert_eq!(locked, unknown, "the body tells a locked account from an unknown address");
    assert_eq!(problem(&locked), "invalid-credentials");
    assert_eq!(header(&locked_h, "retry-after"), header(&unknown_h, "retry-after"));
    let names = |h: &HeaderMap| h.keys().map(|k| k.as_str().to_owned()).filter(|k| k != "date").collect::<Vec<_>>();
    assert_eq!(names(&locked_h), names(&unknown_h), "header sets differ");

    // Timing: interleaved, medians of several tries.
    let (mut t_locked, mut t_unknown) = (Vec::new(), Vec::new());
    for i in 0..7 {
        let t = std::time::Instant::now();
        assert_eq!(try_login(&app, creds(OWNER_EMAIL, OWNER_PASSWORD)).await.0, StatusCode::UNAUTHORIZED);
        t_locked.push(t.elapsed());
        let t = std::time::Instant::now();
        let other = format!("nobody{i}@test.nobat");
        assert_eq!(try_login(&app, creds(&other, OWNER_PASSWORD)).await.0, StatusCode::UNAUTHORIZED);
        t_unknown.push(t.elapsed());
    }
    let (l, u) = (median(t_locked), median(t_unknown));
    assert!(
        l * 5 >= u * 2 && u * 5 >= l * 2,
        "a locked account answers in {l:?}, an unknown address in {u:?}: timing tells them apart"
    );
    app.stop().await;
}

/// A stranger failing over and over from their network locks only that network out: the owner,
/// from another network, still signs in. Spread over many networks, failures hit an
/// account-wide ceiling that shuts out the networks that failed, not a clean one.
#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out() {
    let app = spawn_with(|c| c.limits.trust_forwarded_for = true).await;
    for i in 0..50 {
        let (s, _, p) = login_from(&app, "203.0.113.7", OWNER_EMAIL, &format!("guess number {i}")).await;
        assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "invalid-credentials"), "{p}");
    }
    // The stranger's network is locked out, even with the right password...
    let (s, _, _) = login_from(&app, "203.0.113.7", OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the failing network is locked");
    // ...and so is the rest of its IPv6 /64, the unit one subscriber controls.
    for _ in 0..5 {
        login_from(&app, "2001:db8:7:7::1", OWNER_EMAIL, "wrong from v6").await;
    }
    let (s, _, _) = login_from(&app, "2001:db8:7:7:ffff::2", OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "another address of the same /64 is locked too");
    // The owner, from home, signs in.
    let (s, _, v) = login_from(&app, "198.51.100.9", OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "the owner was locked out by a stranger: {v}");

    // Many networks, four guesses each (never enough to lock one): past the ceiling the
    // account-wide lock shuts out every network that failed...
    let ceiling = nobat_store::commands::ACCOUNT_CEILING;
    for n in 0..ceiling {
        let ip = format!("192.0.2.{}", n / 4 + 1);
        let (s, _, _) = login_from(&app, &ip, OWNER_EMAIL, "spread-out guessing").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = login_from(&app, "192.0.2.1", OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a network that failed is refused under the account-wide lock");
    // ...but not the owner's clean one.
    let (s, _, v) = login_from(&app, "198.51.100.9", OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "a clean network is still heard: {v}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// API tokens: expiry, revocation with the credentials they were minted under, re-authentication
// ---------------------------------------------------------------------------------------------

/// Whether a token still opens the clinic's member list.
async fn token_works(app: &TestApp, slug: &str, secret: &str) -> StatusCode {
    get_with(&authed_client(secret), format!("{}/clinics/{slug}/members", app.api)).await.0
}

#[tokio::test]
async fn api_tokens_expire_need_the_password_and_die_with_a_password_change_or_2fa_off() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let url = format!("{}/clinics/{}/tokens", app.api, seed.slug);
    let mint = |body: Value| post_with(&app.client, url.clone(), body);

    // A session alone does not mint: the password is asked for, and must be right.
    let (s, p) = mint(json!({ "name": "no proof" })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{p}");
    let (s, p) = mint(json!({ "name": "bad proof", "password": "not the password" })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{p}");
    for days in [0, 366, 100_000] {
        let (s, p) = mint(json!({ "name": "x", "password": OWNER_PASSWORD, "expires_in_days": days })).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_in_days")), "{p}");
    }
    let db = app.db().await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_tokens").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0, "refused requests minted nothing");

    // Every token expires: 90 days by default, or as asked (at most 365).
    let (s, t) = mint(json!({ "name": "default", "password": OWNER_PASSWORD })).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let expires: jiff::Timestamp = t["expires_at"].as_str().unwrap().parse().unwrap();
    let days = expires.duration_since(jiff::Timestamp::now()).as_hours() / 24;
    assert!((89..=90).contains(&days), "default life is 90 days: {days}");
    let (s, short) = mint(json!({ "name": "short", "password": OWNER_PASSWORD, "expires_in_days": 1 })).await;
    assert_eq!(s, StatusCode::CREATED, "{short}");
    let short_secret = short["token"].as_str().unwrap();
    assert_eq!(token_works(&app, &seed.slug, short_secret).await, StatusCode::OK);
    // Its day has passed (moved into the past rather than waited for):
    sqlx::query("UPDATE api_tokens SET expires_at_us = $1 WHERE id = $2")
        .bind(jiff::Timestamp::now().as_microsecond() - 1)
        .bind(short["id"].as_str().unwrap())
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(token_works(&app, &seed.slug, short_secret).await, StatusCode::UNAUTHORIZED, "an expired token");

    // A password change revokes every token, in the same transaction, recorded.
    let default_secret = t["token"].as_str().unwrap();
    assert_eq!(token_works(&app, &seed.slug, default_secret).await, StatusCode::OK);
    let new_password = "a brand new passphrase";
    let (s, v) =
        app.post("/me/password", json!({ "current_password": OWNER_PASSWORD, "new_password": new_password })).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(
        token_works(&app, &seed.slug, default_secret).await,
        StatusCode::UNAUTHORIZED,
        "survived a new password"
    );
    let (live,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM api_tokens WHERE revoked_at_us IS NULL").fetch_one(&db).await.unwrap();
    assert_eq!(live, 0);
    let owner = authed_client(&login(&app.anon, &app.api, OWNER_EMAIL, new_password).await);
    let (_, trail) =
        get_with(&owner, format!("{}/clinics/{}/audit?entity=api_token&action=revoke", app.api, seed.slug)).await;
    let notes: Vec<_> = trail.as_array().unwrap().iter().map(|e| e["note"].as_str().unwrap_or("")).collect();
    assert!(notes.contains(&"the password was changed"), "the revocation is in the clinic's trail: {trail}");

    // With 2FA on, minting needs the current code too; turning 2FA off revokes every token.
    let (secret, _) = enable_2fa(&owner, &app.api).await;
    let (s, p) = post_with(&owner, url.clone(), json!({ "name": "2fa", "password": new_password })).await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "totp-required"), "{p}");
    let (s, p) = post_with(
        &owner,
        url.clone(),
        json!({ "name": "2fa", "password": new_password, "totp_code": wrong_code(&secret) }),
    )
    .await;
    assert_eq!((s, problem(&p)), (StatusCode::UNAUTHORIZED, "totp-invalid"), "{p}");
    let (s, t) = post_with(
        &owner,
        url.clone(),
        json!({ "name": "2fa", "password": new_password, "totp_code": totp(&secret, 1) }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let secret_2fa = t["token"].as_str().unwrap();
    assert_eq!(token_works(&app, &seed.slug, secret_2fa).await, StatusCode::OK);
    let (s, v) = post_with(&owner, format!("{}/me/2fa/disable", app.api), json!({ "password": new_password })).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(token_works(&app, &seed.slug, secret_2fa).await, StatusCode::UNAUTHORIZED, "survived 2FA off");
    db.close().await;
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Staff invitations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn adding_staff_is_an_invitation_that_reveals_nothing_and_needs_consent() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let members = format!("/clinics/{}/members", seed.slug);
    let (s, v) = register(&app, "patient@test.nobat", "a patient's passphrase", "Pat Ient").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // An address with an account and one without get the same answer, with no password and
    // no token in it.
    let (s, existing) = put(&app, &members, json!({ "email": "patient@test.nobat", "role": "receptionist" })).await;
    assert_eq!(s, StatusCode::OK, "{existing}");
    let (s, fresh) = put(&app, &members, json!({ "email": "fresh@test.nobat", "role": "receptionist" })).await;
    assert_eq!(s, StatusCode::OK, "{fresh}");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&existing), keys(&fresh), "answer shapes differ: {existing} vs {fresh}");
    for v in [&existing, &fresh] {
        assert_eq!((v["status"].as_str(), &v["user"]), (Some("invited"), &Value::Null), "{v}");
        assert!(v.get("initial_password").is_none(), "{v}");
    }
    let patient_token = invitation_token(&app, "patient@test.nobat").await;
    let fresh_token = invitation_token(&app, "fresh@test.nobat").await;
    for (v, t) in [(&existing, &patient_token), (&fresh, &fresh_token)] {
        assert!(!v.to_string().contains(t.as_str()), "the inviter is shown the token: {v}");
    }

    // Nobody was added yet.
    let (_, list) = app.get(&members).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "only the owner until someone accepts: {list}");
    let patient = authed_client(&login(&app.anon, &app.api, "patient@test.nobat", "a patient's passphrase").await);
    let (_, me) = get_with(&patient, format!("{}/me", app.api)).await;
    assert_eq!(me["clinics"], json!([]), "{me}");

    // The existing account accepts signed in as itself, not anonymously, not as someone else.
    let accept = |t: &str| format!("{}/invitations/{t}/accept", app.api);
    let (s, _, p) =
        call(app.anon.post(accept(&patient_token)).json(&json!({ "password": "hijacker's password" }))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{p}");
    let (s, p) = post_with(&app.client, accept(&patient_token), json!({})).await;
    assert_eq!((s, problem(&p)), (StatusCode::FORBIDDEN, "wrong-account"), "{p}");
    let (s, v) = post_with(&patient, accept(&patient_token), json!({})).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("receptionist")), "{v}");
    let (_, me) = get_with(&patient, format!("{}/me", app.api)).await;
    assert_eq!(me["clinics"][0]["clinic_slug"].as_str(), Some(seed.slug.as_str()), "{me}");
    let (s, p) = post_with(&patient, accept(&patient_token), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "an invitation works once: {p}");

    // A new address chooses a password; the policy applies.
    let (s, _, p) = call(app.anon.post(accept(&fresh_token)).json(&json!({ "password": "short" }))).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{p}");
    let (s, _, v) = call(app.anon.post(accept(&fresh_token)).json(&json!({ "password": STAFF_PASSWORD }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let fresh_client = authed_client(&login(&app.anon, &app.api, "fresh@test.nobat", STAFF_PASSWORD).await);
    assert_eq!(
        get_with(&fresh_client, format!("{}/clinics/{}/appointments", app.api, seed.slug)).await.0,
        StatusCode::OK
    );

    // A current member's role changes at once.
    let (s, v) = put(&app, &members, json!({ "email": "fresh@test.nobat", "role": "practitioner" })).await;
    assert_eq!((s, v["status"].as_str(), v["user"].as_str()), (StatusCode::OK, Some("updated"), v["user"].as_str()));
    let (_, list) = app.get(&members).await;
    let roles: Vec<_> = list.as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap().to_owned()).collect();
    assert!(roles.contains(&"practitioner".to_owned()), "{list}");

    // An invitation lapses.
    let (s, _) = put(&app, &members, json!({ "email": "late@test.nobat", "role": "receptionist" })).await;
    assert_eq!(s, StatusCode::OK);
    let late = invitation_token(&app, "late@test.nobat").await;
    let db = app.db().await;
    sqlx::query("UPDATE invitations SET expires_at_us = 1 WHERE email = 'late@test.nobat'").execute(&db).await.unwrap();
    db.close().await;
    let (s, _, p) = call(app.anon.post(accept(&late)).json(&json!({ "password": STAFF_PASSWORD }))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    // A week after it lapsed, the sweep forgets the invitation and scrubs its message.
    // The dispatcher has taken the message and not finished it (a delivery pending), so the
    // outbox keeps the row: the sweep must scrub it, not merely let it be pruned.
    let claim = nobat_store::Command::ClaimOutbox {
        consumer: "dispatcher".into(),
        limit: 100,
        lease: jiff::SignedDuration::from_hours(1),
    };
    app.store.execute(claim).await.unwrap();
    let db = app.db().await;
    sqlx::query("UPDATE outbox SET created_at_us = 1 WHERE topic = 'staff.invitation'").execute(&db).await.unwrap();
    app.store.execute(nobat_store::Command::RetentionSweep).await.unwrap();
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM invitations WHERE email = 'late@test.nobat'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(left, 0, "the lapsed invitation is kept");
    let payloads: Vec<(String,)> =
        sqlx::query_as("SELECT payload FROM outbox WHERE topic = 'staff.invitation'").fetch_all(&db).await.unwrap();
    assert!(!payloads.is_empty(), "the messages with a pending delivery are kept");
    assert!(payloads.iter().all(|(p,)| !p.contains(&late) && !p.contains("late@")), "{payloads:?}");
    db.close().await;

    // Both steps are in the clinic's trail.
    let (_, trail) = app.get(&format!("/clinics/{}/audit?entity=invitation", seed.slug)).await;
    let actions: Vec<_> = trail.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
    assert_eq!(actions.iter().filter(|a| *a == "invite").count(), 3, "{trail}");
    assert_eq!(actions.iter().filter(|a| *a == "accept").count(), 2, "{trail}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Idempotent replays are per caller, guests included
// ---------------------------------------------------------------------------------------------

/// A guest's request from a client address, with an Idempotency-Key.
async fn guest_post(app: &TestApp, ip: &str, path: &str, key: &str, body: &Value) -> (StatusCode, HeaderMap, Value) {
    call(
        app.anon
            .post(format!("{}{path}", app.api))
            .header("x-forwarded-for", ip)
            .header("idempotency-key", key)
            .json(body),
    )
    .await
}

#[tokio::test]
async fn another_guest_repeating_a_key_and_body_does_not_get_the_booking_or_the_hold() {
    let app = spawn_with(|c| c.limits.trust_forwarded_for = true).await;
    let seed = seed(&app).await;
    let free = slots(&app, &seed, &seed.consult, &day(2), None).await;
    let c = format!("/clinics/{}", seed.slug);
    let (a, b) = ("203.0.113.5", "198.51.100.20");

    // Guest A books; A's retry is replayed.
    let body = booking(&free[0], "Guest A");
    let (s, _, first) = guest_post(&app, a, &format!("{c}/appointments"), "key-K", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, h, again) = guest_post(&app, a, &format!("{c}/appointments"), "key-K", &body).await;
    assert_eq!((s, header(&h, "idempotent-replayed")), (StatusCode::CREATED, Some("true")), "{again}");
    assert_eq!(again["id"], first["id"]);
    // Guest B, elsewhere, with the same key and body: not A's appointment, not A's link.
    let (s, _, other) = guest_post(&app, b, &format!("{c}/appointments"), "key-K", &body).await;
    let manage = first["manage_token"].as_str().unwrap();
    assert!(!other.to_string().contains(manage), "another guest got the manage link: {other}");
    assert_ne!(other["id"], first["id"], "another guest got the booking: {other}");
    assert_eq!((s, problem(&other)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused"), "{other}");

    // The same for holds: a hold's id is what releases it.
    let hold =
        json!({ "service": free[1]["service"], "practitioner": free[1]["practitioner"], "start": free[1]["start"] });
    let (s, _, mine) = guest_post(&app, a, &format!("{c}/holds"), "key-H", &hold).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    let (s, h, again) = guest_post(&app, a, &format!("{c}/holds"), "key-H", &hold).await;
    assert_eq!((s, header(&h, "idempotent-replayed"), &again["id"]), (StatusCode::CREATED, Some("true"), &mine["id"]));
    let (s, _, theirs) = guest_post(&app, b, &format!("{c}/holds"), "key-H", &hold).await;
    assert_ne!(theirs["id"], mine["id"], "another guest got the hold: {theirs}");
    assert_eq!((s, problem(&theirs)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused"), "{theirs}");
    app.stop().await;
}

/// The per-account sign-in rate limit must not become a lock-out either: a stranger spending
/// the owner's email's budget from their network does not spend the owner's.
#[tokio::test]
async fn a_stranger_cannot_rate_limit_the_owner_out() {
    let app = spawn_with(|c| {
        c.limits.trust_forwarded_for = true;
        c.limits.login_per_account = 5;
    })
    .await;
    let mut limited = false;
    for i in 0..10 {
        let (s, _, p) = login_from(&app, "203.0.113.7", OWNER_EMAIL, &format!("guess {i}")).await;
        limited |= s == StatusCode::TOO_MANY_REQUESTS;
        assert!([StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&s), "{p}");
    }
    assert!(limited, "the stranger is rate-limited");
    let (s, _, v) = login_from(&app, "198.51.100.9", OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "the owner was rate-limited by a stranger's attempts: {v}");
    app.stop().await;
}
