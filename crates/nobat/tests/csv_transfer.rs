//! CSV in and out (issue 16): a clinic's export imports into a fresh clinic with every
//! appointment preserved; refused rows are named by line and leave nothing behind; an
//! interrupted import is resumed by running the file again, without duplicates; formulas
//! typed into names do not run in a spreadsheet; `nobat import` does the same from the shell.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const BOM: &str = "\u{feff}";

async fn export(app: &TestApp, slug: &str, kind: &str, range: &str) -> (StatusCode, String) {
    let res = app.client.get(format!("{}/clinics/{slug}/exports/{kind}{range}", app.api)).send().await.unwrap();
    let status = res.status();
    if status == StatusCode::OK {
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
    }
    (status, res.text().await.unwrap())
}

async fn import(app: &TestApp, slug: &str, kind: &str, csv: &str, batch: u32) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/clinics/{slug}/imports/{kind}?batch={batch}", app.api))
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    decode(res).await
}

/// The rows of a CSV file as maps of column → cell (the csv crate, an independent reader).
fn rows(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = text.strip_prefix(BOM).expect("exports begin with a byte-order mark");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records().map(|rec| header.iter().cloned().zip(rec.unwrap().iter().map(str::to_owned)).collect()).collect()
}

/// A second clinic with the same location names and zones as `seed`'s, and nothing else.
async fn empty_clinic(app: &TestApp) -> String {
    let slug = format!("m{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (s, c) = app.post("/clinics", json!({ "slug": slug, "name": "Moved Clinic" })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    for (name, tz) in [("Tehran", "Asia/Tehran"), ("Casa", "Africa/Casablanca")] {
        let (s, l) = app.post(&format!("/clinics/{slug}/locations"), json!({ "name": name, "time_zone": tz })).await;
        assert_eq!(s, StatusCode::CREATED, "{l}");
    }
    slug
}

async fn count(app: &TestApp, sql: &str, clinic_slug: &str) -> i64 {
    let db = app.db().await;
    let n: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())).bind(clinic_slug).fetch_one(&db).await.unwrap();
    n.0
}

const APPOINTMENTS_OF: &str =
    "SELECT COUNT(*) FROM appointments a JOIN clinics c ON c.id = a.clinic_id WHERE c.slug = $1";

#[tokio::test]
async fn a_clinic_round_trips_through_csv_with_every_appointment_preserved() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let date = day(2);
    let consult = slots(&app, &seed, &seed.consult, &date, Some(&seed.doctors[0])).await;
    let group = slots(&app, &seed, &seed.group, &date, Some(&seed.doctors[1])).await;
    // A Persian name, a formula typed as a name, an email-only patient, a note with a comma and
    // a quote, a group session shared by two, and one cancelled.
    let patients = [
        json!({ "name": "سارا کریمی", "phone": "+989121234567", "language": "fa" }),
        json!({ "name": "=HYPERLINK(\"http://evil.example\",\"x\")", "phone": "+212612345678" }),
        json!({ "name": "Amina", "email": "amina@example.ma", "language": "fr" }),
    ];
    let mut booked = Vec::new();
    for (i, patient) in patients.iter().enumerate() {
        let slot = &consult[i * 2];
        let body = json!({ "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"],
                           "patient": patient, "note": "first visit, \"urgent\"" });
        let (s, a) = app.post(&format!("/clinics/{}/appointments", seed.slug), body).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        booked.push(a);
    }
    for name in ["Group one", "Group two"] {
        let (s, a) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&group[0], name)).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
    }
    let id = booked[2]["id"].as_str().unwrap();
    let (s, c) =
        app.post(&format!("/clinics/{}/appointments/{id}/cancel", seed.slug), json!({ "reason": "moved away" })).await;
    assert_eq!(s, StatusCode::OK, "{c}");

    let range = format!("?from={}&to={}", day(0), day(6));
    let (s, practitioners) = export(&app, &seed.slug, "practitioners", "").await;
    assert_eq!(s, StatusCode::OK);
    let (s, services) = export(&app, &seed.slug, "services", "").await;
    assert_eq!(s, StatusCode::OK);
    let (s, appointments) = export(&app, &seed.slug, "appointments", &range).await;
    assert_eq!(s, StatusCode::OK);
    let before = rows(&appointments);
    assert_eq!(before.len(), 5, "{appointments}");
    // The formula is inert text in the file, and the times carry Tehran's offset.
    assert!(appointments.contains("'=HYPERLINK"), "{appointments}");
    assert!(before.iter().all(|r| r["start"].ends_with("+03:30")), "{appointments}");
    assert!(before.iter().any(|r| r["status"] == "cancelled" && r["cancel_reason"] == "moved away"));

    let moved = empty_clinic(&app).await;
    for (kind, file, n) in
        [("practitioners", &practitioners, 2), ("services", &services, 2), ("appointments", &appointments, 5)]
    {
        let (s, summary) = import(&app, &moved, kind, file, 2).await;
        assert_eq!(s, StatusCode::OK, "{summary}");
        assert_eq!(summary["added"], n, "{kind}: {summary}");
        assert_eq!(summary["refused"], json!([]), "{kind}: {summary}");
    }
    let (s, again) = export(&app, &moved, "appointments", &range).await;
    assert_eq!(s, StatusCode::OK);
    let after = rows(&again);
    let strip = |rows: Vec<std::collections::BTreeMap<String, String>>| {
        let mut rows: Vec<_> = rows
            .into_iter()
            .map(|mut r| {
                r.remove("id");
                r
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(strip(after), strip(before), "every column of every appointment survives the move");

    // The same file again adds nothing.
    let (s, summary) = import(&app, &moved, "appointments", &appointments, 200).await;
    assert_eq!(s, StatusCode::OK, "{summary}");
    assert_eq!((summary["added"].as_u64(), summary["existing"].as_u64()), (Some(0), Some(5)), "{summary}");
    assert_eq!(count(&app, APPOINTMENTS_OF, &moved).await, 5);
    // The export of patients' data is in the audit trail.
    let (s, audit) = app.get(&format!("/clinics/{}/audit?entity=csv", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert!(audit.to_string().contains("appointments-"), "{audit}");
    app.stop().await;
}

#[tokio::test]
async fn refused_rows_are_named_by_line_and_leave_nothing_behind() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let date = day(3);
    let slot = &slots(&app, &seed, &seed.consult, &date, Some(&seed.doctors[0])).await[0];
    let (s, a) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(slot, "Already here")).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let taken = slot["start"].as_str().unwrap();
    let tz = nobat_core::zones::get("Asia/Tehran").unwrap();
    let at = |h: i8| {
        jiff::civil::Date::strptime("%Y-%m-%d", &date)
            .unwrap()
            .at(h, 0, 0, 0)
            .to_zoned(tz.clone())
            .unwrap()
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    // `;`-separated, as a French-locale spreadsheet saves it.
    let file = format!(
        "start;location;practitioner;service;patient_name;patient_phone\n\
         {};Tehran;Dr. A;Consult;Good Row;+989121111111\n\
         2026-12-01 09:00;Tehran;Dr. A;Consult;Bad Time;+989122222222\n\
         {};Tehran;Dr. Nobody;Consult;Unknown Doctor;+989123333333\n\
         {taken};Tehran;Dr. A;Consult;Double Booker;+989124444444\n\
         {};Tehran;Dr. A;Consult;No Contact;\n\
         \n\
         {};Nowhere;Dr. B;Consult;Unknown Place;+989125555555\n",
        at(16),
        at(17),
        at(18),
        at(19),
    );
    let (s, summary) = import(&app, &seed.slug, "appointments", &file, 200).await;
    assert_eq!(s, StatusCode::OK, "{summary}");
    assert_eq!(summary["added"], 1, "{summary}");
    let refused: Vec<(u64, String)> = summary["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["field"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(
        refused,
        vec![
            (3, "start".to_owned()),
            (4, "practitioner".to_owned()),
            (5, "start".to_owned()),
            (6, "patient_phone".to_owned()),
            (8, "location".to_owned()),
        ],
        "{summary}"
    );
    // Nothing of a refused row was written: no patient, no appointment.
    let db = app.db().await;
    for name in ["Bad Time", "Unknown Doctor", "Double Booker", "No Contact", "Unknown Place"] {
        let n: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM patients WHERE name = $1").bind(name).fetch_one(&db).await.unwrap();
        assert_eq!(n.0, 0, "{name}");
    }
    assert_eq!(count(&app, APPOINTMENTS_OF, &seed.slug).await, 2);
    // The booked slot is still booked once; the imported one is no longer offered.
    let left = slots(&app, &seed, &seed.consult, &date, Some(&seed.doctors[0])).await;
    assert!(!left.iter().any(|s| s["start"] == taken));

    // A file that is not what it claims is refused whole, naming the missing column.
    let (s, p) = import(&app, &seed.slug, "appointments", "when,who\n1,2\n", 200).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "start", "{p}");
    let (s, p) = import(&app, &seed.slug, "patients", "name\nx\n", 200).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    let (s, p) = import(&app, &seed.slug, "services", "name,duration_min\nX,0\n", 0).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("batch")), "{p}");
    let (s, p) = export(&app, &seed.slug, "appointments", "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p) = export(&app, &seed.slug, "appointments", "?from=2026-01-01&to=2027-06-01").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    app.stop().await;
}

/// 240 appointments over two practitioners and ten days, written as another system would.
fn big_file(tz: &jiff::tz::TimeZone) -> String {
    let mut file = String::from("id,start,location,practitioner,service,status,patient_name,patient_phone\n");
    let first = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    for n in 0..240 {
        let (d, slot) = (n / 24, n % 24);
        let date = first.checked_add(jiff::Span::new().days(d + 1)).unwrap();
        let doctor = if slot % 2 == 0 { "Dr. A" } else { "Dr. B" };
        let start = date
            .at(8, 0, 0, 0)
            .to_zoned(tz.clone())
            .unwrap()
            .checked_add(jiff::Span::new().minutes(30 * (slot / 2)))
            .unwrap();
        file.push_str(&format!(
            "OLD-{n},{},Tehran,{doctor},Consult,booked,Patient {n},+98912{n:07}\n",
            start.strftime("%Y-%m-%dT%H:%M:%S%:z")
        ));
    }
    file
}

#[tokio::test]
async fn an_interrupted_import_is_resumed_without_duplicates() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let file = big_file(&nobat_core::zones::get("Asia/Tehran").unwrap());
    // The first run stops after 100 rows (the process died, the laptop closed): everything
    // committed before it stopped is in; the rest is not.
    let cut: String = file.lines().take(101).map(|l| format!("{l}\n")).collect();
    let (s, first) = import(&app, &seed.slug, "appointments", &cut, 30).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!((first["added"].as_u64(), first["batches"].as_u64()), (Some(100), Some(4)), "{first}");
    // The whole file again: the first 100 are found, the rest added.
    let (s, second) = import(&app, &seed.slug, "appointments", &file, 30).await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!((second["added"].as_u64(), second["existing"].as_u64()), (Some(140), Some(100)), "{second}");
    assert_eq!(second["refused"], json!([]), "{second}");
    assert_eq!(count(&app, APPOINTMENTS_OF, &seed.slug).await, 240);
    // And the body is larger than the API's 64 KiB cap for JSON, which still holds elsewhere.
    let padded = format!("{file}{}", " ".repeat(70 * 1024));
    let (s, again) = import(&app, &seed.slug, "appointments", &padded, 200).await;
    assert_eq!((s, again["existing"].as_u64()), (StatusCode::OK, Some(240)), "{again}");
    let res = app
        .client
        .post(format!("{}/clinics/{}/services", app.api, seed.slug))
        .header("content-type", "application/json")
        .body(format!("{{\"name\":\"{}\"}}", "x".repeat(70 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}

#[tokio::test]
async fn nobat_import_does_the_same_from_the_shell() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let path = app.dir.path().join("appointments.csv");
    std::fs::write(&path, big_file(&nobat_core::zones::get("Asia/Tehran").unwrap())).unwrap();
    let mut cmd = spawn::nobat(&app.db_url, app.dir.path());
    cmd.args(["import", "appointments"]).arg(&path).args(["--clinic", &seed.slug, "--batch", "50"]);
    let (ok, out) = spawn::run(cmd);
    assert!(ok, "{out}");
    let json_start = out.find('{').unwrap();
    let summary: Value = serde_json::from_str(out[json_start..].trim()).unwrap();
    assert_eq!((summary["added"].as_u64(), summary["batches"].as_u64()), (Some(240), Some(5)), "{out}");
    assert_eq!(count(&app, APPOINTMENTS_OF, &seed.slug).await, 240);
    // The imported appointments are the server's too: their slots are no longer offered.
    let (s, list) = app.get(&format!("/clinics/{}/appointments?limit=500", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["appointments"].as_array().unwrap().len(), 240);
    let mut cmd = spawn::nobat(&app.db_url, app.dir.path());
    cmd.args(["import", "invoices"]).arg(&path).args(["--clinic", &seed.slug]);
    let (ok, out) = spawn::run(cmd);
    assert!(!ok && out.contains("unknown import"), "{out}");
    app.stop().await;
}
