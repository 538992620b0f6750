//! Bad input everywhere: every error is problem+json with a stable type and, where there is
//! one, the field at fault; nothing is half-written.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn malformed_requests_get_problem_json_naming_the_field() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let good = booking(&slot, "Good");

    let mut cases: Vec<(serde_json::Value, StatusCode, Option<&str>)> = Vec::new();
    let mut no_start = good.clone();
    no_start.as_object_mut().unwrap().remove("start");
    cases.push((no_start, StatusCode::BAD_REQUEST, Some("start")));
    let mut wrong_type = good.clone();
    wrong_type["start"] = json!(12);
    cases.push((wrong_type, StatusCode::BAD_REQUEST, Some("start")));
    let mut naive = good.clone();
    naive["start"] = json!("2026-03-10T09:00:00");
    cases.push((naive, StatusCode::UNPROCESSABLE_ENTITY, Some("start")));
    let mut bad_id = good.clone();
    bad_id["service"] = json!("not-a-uuid");
    cases.push((bad_id, StatusCode::UNPROCESSABLE_ENTITY, Some("service")));
    let mut no_contact = good.clone();
    no_contact["patient"] = json!({ "name": "X" });
    cases.push((no_contact, StatusCode::UNPROCESSABLE_ENTITY, Some("patient.phone")));
    let mut bad_email = good.clone();
    bad_email["patient"] = json!({ "name": "X", "email": "nope" });
    cases.push((bad_email, StatusCode::UNPROCESSABLE_ENTITY, Some("patient.email")));
    let mut no_name = good.clone();
    no_name["patient"] = json!({ "phone": "+989121234567" });
    cases.push((no_name, StatusCode::BAD_REQUEST, Some("patient.name")));
    let mut extra = good.clone();
    extra["surprise"] = json!(true);
    cases.push((extra, StatusCode::BAD_REQUEST, None));
    let mut off_grid = good.clone();
    let start: jiff::Timestamp = slot["start"].as_str().unwrap().parse().unwrap();
    off_grid["start"] = json!((start + jiff::SignedDuration::from_mins(7)).to_string());
    cases.push((off_grid, StatusCode::UNPROCESSABLE_ENTITY, Some("start")));
    let mut unknown_service = good.clone();
    unknown_service["service"] = json!(uuid::Uuid::now_v7().to_string());
    cases.push((unknown_service, StatusCode::NOT_FOUND, None));

    for (body, status, field) in cases {
        let (s, p) = app.post(&format!("{c}/appointments"), body.clone()).await;
        assert_eq!(s, status, "{body} → {p}");
        if let Some(f) = field {
            assert_eq!(p["field"].as_str(), Some(f), "{body} → {p}");
        }
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    // Not JSON at all, and the wrong content type.
    let res = app
        .client
        .post(format!("{}{c}/appointments", app.api))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(decode(res).await.0, StatusCode::BAD_REQUEST);
    let res = app.client.post(format!("{}{c}/appointments", app.api)).body("hello").send().await.unwrap();
    assert_eq!(decode(res).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A huge body is refused, not buffered.
    let res = app
        .client
        .post(format!("{}{c}/appointments", app.api))
        .header("content-type", "application/json")
        .body(format!("{{\"note\":\"{}\"}}", "x".repeat(200_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(decode(res).await.0, StatusCode::PAYLOAD_TOO_LARGE, "refused as problem+json");

    // Nothing was written by any of these.
    let db = app.db().await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments").fetch_one(&db).await.unwrap();
    let (p,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM patients").fetch_one(&db).await.unwrap();
    assert_eq!((n, p), (0, 0));
    app.stop().await;
}

#[tokio::test]
async fn query_and_path_errors() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let svc = &seed.consult;
    let cases = [
        (format!("{c}/availability?service={svc}&from=2026-01-01"), StatusCode::BAD_REQUEST, Some("to")),
        (
            format!("{c}/availability?service={svc}&from=2026-13-01&to=2026-13-02"),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("from"),
        ),
        (
            format!("{c}/availability?service={svc}&from=2026-01-10&to=2026-01-01"),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("to"),
        ),
        (
            format!("{c}/availability?service={svc}&from=2026-01-01&to=2026-12-31"),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("to"),
        ),
        (
            format!("{c}/availability?service=nope&from=2026-01-01&to=2026-01-02"),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("service"),
        ),
        (
            format!("{c}/availability?service={svc}&from=2026-01-01&to=2026-01-02&colour=red"),
            StatusCode::BAD_REQUEST,
            None,
        ),
        ("/clinics/no-such-clinic/services".to_owned(), StatusCode::NOT_FOUND, None),
        (format!("{c}/appointments/not-an-id"), StatusCode::NOT_FOUND, None),
        (format!("{c}/appointments/{}", uuid::Uuid::now_v7()), StatusCode::NOT_FOUND, None),
        (format!("{c}/appointments?limit=0"), StatusCode::UNPROCESSABLE_ENTITY, Some("limit")),
        (format!("{c}/appointments?status=maybe"), StatusCode::UNPROCESSABLE_ENTITY, Some("status")),
        ("/nothing/here".to_owned(), StatusCode::NOT_FOUND, None),
    ];
    for (path, status, field) in cases {
        let (s, p) = app.get(&path).await;
        assert_eq!(s, status, "{path} → {p}");
        if let Some(f) = field {
            assert_eq!(p["field"].as_str(), Some(f), "{path} → {p}");
        }
    }
    let res = app.client.put(format!("{}/clinics", app.api)).send().await.unwrap();
    assert_eq!(decode(res).await.0, StatusCode::METHOD_NOT_ALLOWED);
    app.stop().await;
}

#[tokio::test]
async fn staff_inputs_are_validated() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let cases = [
        ("/clinics".to_owned(), json!({ "slug": seed.slug, "name": "Dup" }), StatusCode::CONFLICT, None),
        (
            "/clinics".to_owned(),
            json!({ "slug": "Bad Slug!", "name": "X" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("slug"),
        ),
        (
            format!("{c}/locations"),
            json!({ "name": "Mars", "time_zone": "Mars/Olympus" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("time_zone"),
        ),
        (
            format!("{c}/services"),
            json!({ "name": "Zero", "duration_min": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("duration_min"),
        ),
        (
            format!("{c}/services"),
            json!({ "name": "Crowd", "duration_min": 10, "capacity": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("capacity"),
        ),
        (
            format!("{c}/services"),
            json!({ "name": "Huge", "duration_min": 30, "buffer_before_min": u32::MAX }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("buffer_before_min"),
        ),
        (
            "/clinics".to_owned(),
            json!({ "slug": uuid::Uuid::now_v7().to_string(), "name": "Id-like" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("slug"),
        ),
        (
            format!("{c}/schedule/rules"),
            json!({ "practitioner": seed.doctors[0], "location": seed.tehran, "weekdays": ["mon"], "start": "17:00", "end": "09:00", "valid_from": "2026-01-01" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("end"),
        ),
        (
            format!("{c}/schedule/rules"),
            json!({ "practitioner": seed.doctors[0], "location": seed.tehran, "weekdays": ["funday"], "start": "09:00", "end": "17:00", "valid_from": "2026-01-01" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("weekdays"),
        ),
        (
            format!("{c}/schedule/rules"),
            json!({ "practitioner": seed.doctors[0], "location": seed.tehran, "weekdays": ["mon"], "start": "9am", "end": "17:00", "valid_from": "2026-01-01" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("start"),
        ),
        (
            format!("{c}/schedule/rules"),
            json!({ "practitioner": seed.doctors[0], "location": seed.tehran, "weekdays": ["mon"], "start": "09:00", "end": "17:00", "breaks": [{ "start": "18:00", "end": "19:00" }], "valid_from": "2026-01-01" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("breaks[0]"),
        ),
        (
            format!("{c}/schedule/rules"),
            json!({ "practitioner": uuid::Uuid::now_v7().to_string(), "location": seed.tehran, "weekdays": ["mon"], "start": "09:00", "end": "17:00", "valid_from": "2026-01-01" }),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            format!("{c}/schedule/exceptions"),
            json!({ "date": "2026-01-01", "kind": "extra", "start": "09:00", "end": "10:00" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("practitioner"),
        ),
        (
            format!("{c}/schedule/exceptions"),
            json!({ "date": "2026-01-01", "kind": "vacation" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("kind"),
        ),
    ];
    for (path, body, status, field) in cases {
        let (s, p) = app.post(&path, body.clone()).await;
        assert_eq!(s, status, "{path} {body} → {p}");
        if let Some(f) = field {
            assert_eq!(p["field"].as_str(), Some(f), "{body} → {p}");
        }
    }
    let (s, list) = app.get(&format!("{c}/schedule/rules")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["rules"].as_array().unwrap().len(), 2, "no bad rule was stored");
    app.stop().await;
}

/// A start that names a local time the location never shows — inside the Paris spring gap, at
/// another zone's offset, at an offset no clock has (`+25:00`), or with an RFC 9557 `[Zone]`
/// annotation the API does not speak — is refused with 422 naming `start`, for holds,
/// bookings and both reschedules, even when the instant it denotes is a real slot. The same
/// instant written with the location's offset, or in UTC with `Z`, books.
#[tokio::test]
async fn starts_that_are_not_local_times_of_the_location_are_refused() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (s, paris) = app.post(&format!("{c}/locations"), json!({ "name": "Paris", "time_zone": "Europe/Paris" })).await;
    assert_eq!(s, StatusCode::CREATED, "{paris}");
    let doctor = &seed.doctors[0];
    let (s, far) = app
        .post(&format!("{c}/services"), json!({ "name": "Far", "duration_min": 30, "min_notice_min": 0, "horizon_days": 400, "reschedule_cutoff_min": 0 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{far}");
    let far = far["id"].as_str().unwrap().to_owned();
    let (s, r) = app
        .post(
            &format!("{c}/schedule/rules"),
            json!({ "practitioner": doctor, "location": paris["id"], "weekdays": ["mon","tue","wed","thu","fri","sat","sun"],
                    "start": "00:00", "end": "23:00", "valid_from": "2027-03-01", "valid_until": "2027-04-30" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let body = |start: &str| {
        json!({ "service": far, "practitioner": doctor, "location": paris["id"], "start": start,
                "patient": { "name": "Gap", "phone": "+33612345678" } })
    };
    // Each denotes an instant that is a free slot at the Paris location:
    let bad = [
        // 00:00Z = 01:00 CET: Paris clocks never read 02:00 on that day, and never +02:00 then.
        "2027-03-28T02:00:00+02:00",
        // 09:00Z on the 27th = 10:00 CET, but no clock is 25 hours ahead of UTC.
        "2027-03-28T10:00:00+25:00",
        // 08:00Z = 10:00 CEST, written RFC 9557 style.
        "2027-03-28T10:00:00+02:00[Europe/Paris]",
        // 08:00Z = 10:00 CEST, written with Tehran's offset.
        "2027-03-28T11:30:00+03:30",
    ];
    let (s, booked) = app.post(&format!("{c}/appointments"), body("2027-03-28T12:00:00+02:00")).await;
    assert_eq!(s, StatusCode::CREATED, "the location's own offset books: {booked}");
    let manage = booked["manage_token"].as_str().unwrap().to_owned();
    let id = booked["id"].as_str().unwrap().to_owned();
    for start in bad {
        let hold = json!({ "service": far, "practitioner": doctor, "location": paris["id"], "start": start });
        let reschedule = json!({ "start": start, "location": paris["id"] });
        for (path, body) in [
            (format!("{c}/holds"), hold),
            (format!("{c}/appointments"), body(start)),
            (format!("{c}/appointments/{id}/reschedule"), reschedule.clone()),
            (format!("/manage/{manage}/reschedule"), reschedule),
        ] {
            let (s, p) = app.post(&path, body.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body} → {p}");
            assert_eq!(p["field"].as_str(), Some("start"), "{p}");
        }
    }
    let db = app.db().await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments").fetch_one(&db).await.unwrap();
    let (h,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM holds").fetch_one(&db).await.unwrap();
    assert_eq!((n, h), (1, 0), "nothing but the first booking was written");
    // The gap's instant in UTC (no claim about local time) is a real slot: 01:00 CET.
    let (s, p) = app.post(&format!("{c}/appointments"), body("2027-03-28T00:00:00Z")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["start"], "2027-03-28T01:00:00+01:00");
    let (s, p) =
        app.post(&format!("{c}/appointments/{id}/reschedule"), json!({ "start": "2027-03-28T10:00:00+02:00" })).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    app.stop().await;
}

/// Small ones: media types are case-insensitive and may carry parameters; a date the library
/// cannot shift is refused in plain words, without the library's internals; the audit list is
/// capped at 500 like every other list.
#[tokio::test]
async fn media_types_far_dates_and_list_caps() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let slots = slots(&app, &seed, &seed.consult, &day(2), None).await;
    for (i, ct) in ["application/JSON", "Application/Json; charset=UTF-8", "application/json;charset=utf-8"]
        .into_iter()
        .enumerate()
    {
        let res = app
            .client
            .post(format!("{}{c}/appointments", app.api))
            .header("content-type", ct)
            .body(booking(&slots[i], "Case").to_string())
            .send()
            .await
            .unwrap();
        let (s, p) = decode(res).await;
        assert_eq!(s, StatusCode::CREATED, "{ct}: {p}");
    }
    let res = app
        .client
        .post(format!("{}{c}/appointments", app.api))
        .header("content-type", "text/plain; charset=utf-8")
        .body(booking(&slots[4], "Text").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(decode(res).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE, "not JSON is still refused");

    for (from, to) in [("9999-12-31", "9999-12-31"), ("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02")] {
        let (s, p) = app.get(&format!("{c}/availability?service={}&from={from}&to={to}", seed.consult)).await;
        if s == StatusCode::OK && from.starts_with("0001") {
            continue; // in the past: no slots, nothing to refuse
        }
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{from}..{to}: {p}");
        let detail = p["detail"].as_str().unwrap();
        for internal in ["civil", "jiff", "overflow", "parameter", "boundary", "span", "-9999", "i64", "range of"] {
            assert!(!detail.to_lowercase().contains(internal), "{from}..{to}: the detail leaks `{internal}`: {detail}");
        }
        assert!(p["field"].as_str().is_some_and(|f| f == "from" || f == "to"), "{p}");
    }

    for (limit, status) in [("1000000", StatusCode::UNPROCESSABLE_ENTITY), ("0", StatusCode::UNPROCESSABLE_ENTITY)] {
        let (s, p) = app.get(&format!("{c}/audit?limit={limit}")).await;
        assert_eq!(s, status, "audit limit {limit}: {p}");
        assert_eq!(p["field"], "limit", "{p}");
        let (s, p) = app.get(&format!("{c}/appointments?limit={limit}")).await;
        assert_eq!((s, p["field"].as_str()), (status, Some("limit")), "appointments limit {limit}: {p}");
    }
    let (s, page) = app.get(&format!("{c}/audit?limit=500")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    app.stop().await;
}
