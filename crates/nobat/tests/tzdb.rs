//! One time-zone database, the one shipped in the binary: the real server started with a
//! bogus `TZDIR`, or one holding a deliberately wrong `Africa/Casablanca`, offers exactly the
//! slots it offers with the host's own setting, and the demo starts. The release carried is
//! named by `--version` and `/readyz`.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use common::*;
use serde_json::Value;
use spawn::*;

/// The demo's Casablanca slots (Dr. Youssef Benali's general consultations) over two weeks,
/// from a real `serve --demo` with `TZDIR` set to `tzdir` (or left alone).
async fn casablanca_slots(tzdir: Option<&std::path::Path>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    let mut cmd = nobat(&db_url, dir.path());
    cmd.args(["serve", "--demo"]);
    if let Some(tzdir) = tzdir {
        cmd.env("TZDIR", tzdir);
    }
    let server = start(cmd).unwrap_or_else(|out| panic!("the demo starts with TZDIR={tzdir:?}: {out}"));
    let api = format!("{}/api/v1/clinics/demo", server.base);
    let get = |url: String| async move { reqwest::get(url).await.unwrap().json::<Value>().await.unwrap() };
    let ready = get(format!("{}/readyz", server.base)).await;
    assert_eq!(ready["tzdb"], nobat_core::zones::version(), "{ready}");
    let services = get(format!("{api}/services")).await;
    let general = services["services"].as_array().unwrap().iter().find(|s| s["name"] == "General consultation");
    let general = general.unwrap()["id"].as_str().unwrap().to_owned();
    let doctors = get(format!("{api}/practitioners")).await;
    let youssef = doctors["practitioners"].as_array().unwrap().iter().find(|p| p["name"] == "Dr. Youssef Benali");
    let youssef = youssef.unwrap()["id"].as_str().unwrap().to_owned();
    let body =
        get(format!("{api}/availability?service={general}&practitioner={youssef}&from={}&to={}", day(1), day(14)))
            .await;
    let starts: Vec<String> =
        body["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_owned()).collect();
    assert!(starts.len() > 50, "{body}");
    starts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bogus_or_different_tzdir_changes_nothing() {
    let normal = casablanca_slots(None).await;
    // Every Casablanca slot carries the offset of the bundled rules at its instant.
    let casa = nobat_core::zones::get("Africa/Casablanca").unwrap();
    for start in &normal {
        let at: jiff::Timestamp = start.parse().unwrap();
        let offset = jiff::tz::Offset::from_seconds(casa.to_offset(at).seconds()).unwrap();
        assert!(
            start.ends_with(&format!("{offset}:00")) || start.ends_with(&offset.to_string()),
            "{start} vs {offset}"
        );
    }

    let empty = tempfile::tempdir().unwrap();
    assert_eq!(casablanca_slots(Some(empty.path())).await, normal, "an empty TZDIR");
    assert_eq!(casablanca_slots(Some(std::path::Path::new("/nonexistent/zoneinfo"))).await, normal);

    // A TZDIR whose Africa/Casablanca is +02:00 all year (and nothing else).
    let wrong = tempfile::tempdir().unwrap();
    std::fs::create_dir(wrong.path().join("Africa")).unwrap();
    std::fs::write(wrong.path().join("Africa/Casablanca"), fixed_zone_tzif(7200)).unwrap();
    assert_eq!(casablanca_slots(Some(wrong.path())).await, normal, "a TZDIR with other Casablanca rules");
}

/// A minimal TZif file (version 1, no transitions, one local time type): a zone that is
/// `offset` seconds east of UTC all the time.
fn fixed_zone_tzif(offset: i32) -> Vec<u8> {
    let mut f = b"TZif".to_vec();
    f.push(0); // version 1
    f.extend([0u8; 15]);
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    for n in [0u32, 0, 0, 0, 1, 4] {
        f.extend(n.to_be_bytes());
    }
    f.extend(offset.to_be_bytes());
    f.extend([0u8, 0u8]); // not DST, designation at 0
    f.extend(b"+02\0");
    f
}

#[test]
fn the_version_names_the_bundled_tzdb() {
    let (ok, out) = run({
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nobat"));
        cmd.arg("--version");
        cmd
    });
    assert!(ok && out.contains(&format!("tzdb {}", nobat_core::zones::version())), "{out}");
}
