//! Every end-to-end test of the `nobat` crate, as modules of ONE test binary.
//!
//! One binary instead of one per file: each test binary links the whole server (~100 MB in a
//! debug build), so fifty of them cost minutes of linking and gigabytes of disk per build. nextest
//! still runs every test in a process of its own, so tests stay as isolated as before. Run one
//! file's tests with `cargo nextest run -p nobat -E 'test(/^accounts::/)'` (or a name filter).
//!
//! A new `tests/<name>.rs` must be listed below; `every_test_file_is_a_module` fails otherwise,
//! because with `autotests = false` cargo would silently not build it.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/spawn.rs"]
mod spawn;

mod browser;
mod fhir_support;
mod messages;
mod watches;

mod accounts;
mod admin_pages;
mod api_availability;
mod api_booking;
mod api_contract;
mod api_errors;
mod api_nul;
mod background;
mod bot_lease;
mod bot_processes;
mod bot_start;
mod botp_booking;
mod bots_staff;
mod browser_admin;
mod browser_board;
mod browser_desk;
mod browser_patient;
mod catalog;
mod channel_credentials;
mod concurrency;
mod csv_transfer;
mod desk_pages;
mod events;
mod fhir_api;
mod fhir_race;
mod first_run;
mod forms_intake;
mod forms_notice;
mod front_desk;
mod frozen_process;
mod guards;
mod holds;
mod ical;
mod instance;
mod isolation;
mod message_templates;
mod messages_alerts;
mod messages_crash;
mod messages_delivery;
mod messages_faults;
mod messages_queue;
mod operations;
mod outbox_processes;
mod pages;
mod people;
mod privacy;
mod processes;
mod queue_api;
mod queue_concurrency;
mod queue_day;
mod queue_join;
mod records_notes;
mod reminders;
mod serving;
mod smart_publish;
mod source_watches;
mod sources;
mod sources_processes;
mod timers;
mod tzdb;
mod watches_concurrency;
mod watches_crash;
mod watches_flow;
mod watches_gaps;
mod watches_sources_gaps;
mod watches_triggers;
mod webhooks;
mod writer_limits;

/// With `autotests = false` an unlisted file would never run: refuse that.
#[test]
fn every_test_file_is_a_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".rs").filter(|s| *s != "main") {
            assert!(main.contains(&format!("\nmod {stem};\n")), "tests/{name} is not listed in tests/main.rs");
        }
    }
}
