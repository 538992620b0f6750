//! Second lines of defence and start-up behaviour: PostgreSQL's exclusion constraint refuses
//! an overlapping appointment even when written behind the application's back, and the demo
//! clinic is created once however often the server starts.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use nobat_store::{Store, StoreOptions};
use reqwest::StatusCode;

#[tokio::test]
async fn postgres_refuses_overlap_written_behind_the_apps_back() {
    let app = spawn_app().await;
    if app.engine != "postgres" {
        eprintln!("the exclusion constraint exists on PostgreSQL only; run with NOBAT_TEST_POSTGRES_URL");
        app.stop().await;
        return;
    }
    let seed = seed(&app).await;
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let (s, a) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&slot, "First")).await;
    assert_eq!(s, StatusCode::CREATED);
    let db = app.db().await;
    // Copy the row under a new id, shifted by ten minutes so it overlaps: a bug that skipped
    // the booking command would write exactly this.
    let copy = sqlx::query(
        "INSERT INTO appointments (clinic_id, id, location_id, practitioner_id, service_id, patient_id, start_us, end_us, \
         block_start_us, block_end_us, capacity, status, occupies, created_at_us, updated_at_us) \
         SELECT clinic_id, $2, location_id, practitioner_id, service_id, patient_id, start_us + 600000000, end_us + 600000000, \
         block_start_us + 600000000, block_end_us + 600000000, capacity, status, occupies, created_at_us, updated_at_us \
         FROM appointments WHERE id = $1",
    )
    .bind(a["id"].as_str().unwrap())
    .bind(uuid::Uuid::now_v7().to_string())
    .execute(&db)
    .await;
    let err = copy.expect_err("the database must refuse the overlap");
    let code = err.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("23P01"), "exclusion violation: {err}");
    app.stop().await;
}

#[tokio::test]
async fn the_demo_clinic_is_created_once() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = fresh_database(dir.path()).await;
    for run in 0..2 {
        let store = Store::open(&url, StoreOptions::default()).await.unwrap();
        let created = nobat::demo::ensure(&store, dir.path()).await.unwrap();
        assert_eq!(created, run == 0, "run {run}");
        // One account per role, with credentials kept owner-only for the next start to print.
        let creds = std::fs::read_to_string(dir.path().join(nobat::demo::CREDENTIALS)).unwrap();
        for who in ["operator", "owner", "admin", "receptionist", "practitioner", "patient"] {
            assert!(creds.lines().any(|l| l.starts_with(who)), "{who} in {creds}");
        }
        let owner = store.user_by_email("owner@demo.nobat.test").await.unwrap().unwrap();
        let members = store.memberships_of(owner.id).await.unwrap();
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].membership.role, nobat_core::access::Role::Owner);
        let clinics = store.clinics().await.unwrap();
        assert_eq!(clinics.iter().filter(|(c, _)| c.slug == "demo").count(), 1);
        let (clinic, locations) = clinics.iter().find(|(c, _)| c.slug == "demo").unwrap();
        let zones: Vec<_> = locations.iter().map(|l| l.time_zone.as_str()).collect();
        assert!(zones.contains(&"Asia/Tehran") && zones.contains(&"Africa/Casablanca"));
        assert_eq!(store.practitioners(clinic.id).await.unwrap().len(), 4);
        let services = store.services(clinic.id).await.unwrap();
        assert_eq!(services.len(), 4);
        assert!(services.iter().any(|s| s.capacity > 1));
        let booked = store
            .appointments(clinic.id, &nobat_store::model::AppointmentFilter { limit: 500, ..Default::default() })
            .await
            .unwrap();
        assert!(booked.len() >= 10, "some appointments are booked: {}", booked.len());
        store.close().await;
    }
}

#[tokio::test]
async fn a_database_newer_than_the_binary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = fresh_database(dir.path()).await;
    Store::open(&url, StoreOptions::default()).await.unwrap().close().await;
    // A later nobat migrated this database further.
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at_us) VALUES (999, 'future', 'x', 0)",
    )
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let err = Store::open(&url, StoreOptions::default()).await.err().expect("an older binary must refuse");
    let message = err.to_string();
    assert!(message.contains("999") && message.contains("downgrades are not supported"), "{message}");
}

/// A migration that was edited after this database applied it means the schema is not the one
/// the code expects (a development build made it): refused at start, not discovered as 500s.
#[tokio::test]
async fn a_database_made_with_a_different_migration_text_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = fresh_database(dir.path()).await;
    Store::open(&url, StoreOptions::default()).await.unwrap().close().await;
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1").execute(&db).await.unwrap();
    db.close().await;
    let err = Store::open(&url, StoreOptions::default()).await.err().expect("a changed migration must be refused");
    let message = err.to_string();
    assert!(message.contains("migration 1") && message.contains("development build"), "{message}");
}
