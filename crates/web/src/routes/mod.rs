//! HTTP routes, in three groups: public (directory, availability, holds, booking, manage
//! links, signing in), the signed-in user's own account, and staff routes, each of which
//! names the capability it needs in its signature (`Staff<ManageSchedules>`).

pub mod auth;
pub mod availability;
pub mod booking;
pub mod calendar;
pub mod catalog;
pub mod channels;
pub mod directory;
pub mod events;
pub mod front_desk;
pub mod health;
pub mod holds;
pub mod intake;
pub mod invitations;
pub mod manage;
pub mod me;
pub mod message_budget;
pub mod message_templates;
pub mod messages;
pub mod notes;
pub mod patients;
pub mod queue_join;
pub mod queue_live;
pub mod queues;
pub mod record;
pub mod record_print;
pub mod schedule;
pub mod secure_messages;
pub mod smart;
pub mod source_watches;
pub mod sources;
pub mod staff_admin;
pub mod telegram_link;
pub mod tickets;
pub mod transfer;
pub mod verification;
pub mod watches;

use crate::AppState;
use crate::problem::ApiError;
use axum::http::StatusCode;
use nobat_store::Output;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Anyone may call these (some act differently for signed-in staff or patients).
pub fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(directory::list_clinics))
        .routes(routes!(directory::get_clinic))
        .routes(routes!(directory::list_services))
        .routes(routes!(directory::get_service))
        .routes(routes!(directory::list_practitioners))
        .routes(routes!(directory::get_practitioner))
        .routes(routes!(directory::list_locations))
        .routes(routes!(availability::availability))
        .routes(routes!(availability::availability_compact))
        .routes(routes!(holds::create_hold))
        .routes(routes!(holds::release_hold))
        .routes(routes!(booking::book))
        .routes(routes!(booking::get_appointment))
        .routes(routes!(booking::cancel))
        .routes(routes!(booking::reschedule))
        .routes(routes!(verification::request_code))
        .routes(routes!(verification::confirm_code))
        .routes(routes!(manage::view))
        .routes(routes!(manage::cancel))
        .routes(routes!(manage::reschedule))
        .routes(routes!(manage::access_log))
        .routes(routes!(auth::login))
        .routes(routes!(auth::register))
        .routes(routes!(invitations::accept))
        .routes(routes!(queue_live::board))
        .routes(routes!(queue_live::board_stream))
        .routes(routes!(queue_live::my_ticket))
        .routes(routes!(queue_live::my_ticket_stream))
        .routes(routes!(queue_join::join_info, queue_join::join))
        .routes(routes!(smart::manifest))
        .routes(routes!(smart::locations))
        .routes(routes!(smart::schedules))
        .routes(routes!(smart::slots))
        .routes(routes!(source_watches::create_watch))
        .routes(routes!(watches::create_watch))
        .routes(routes!(watches::get_watch, watches::stop_watch))
        .routes(routes!(watches::accept_offer))
        .routes(routes!(calendar::manage_calendar))
        .routes(routes!(intake::manage_forms))
        .routes(routes!(intake::manage_answer))
        .routes(routes!(secure_messages::patient_thread, secure_messages::patient_post))
}

/// The signed-in user's own account.
pub fn account() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::logout))
        .routes(routes!(auth::session))
        .routes(routes!(me::me))
        .routes(routes!(me::my_appointments))
        .routes(routes!(me::change_password))
        .routes(routes!(me::totp_enrol))
        .routes(routes!(me::totp_confirm))
        .routes(routes!(me::totp_disable))
        .routes(routes!(me::my_tokens))
        .routes(routes!(me::my_access_log))
        .routes(routes!(me::erase_me))
        .routes(routes!(telegram_link::mint, telegram_link::unlink))
}

/// Clinic staff (and instance operators, for creating clinics).
pub fn staff() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalog::create_clinic))
        .routes(routes!(catalog::update_clinic))
        .routes(routes!(catalog::create_location))
        .routes(routes!(catalog::update_location))
        .routes(routes!(catalog::create_practitioner))
        .routes(routes!(catalog::update_practitioner))
        .routes(routes!(catalog::create_service))
        .routes(routes!(catalog::update_service))
        .routes(routes!(schedule::list_rules, schedule::create_rule))
        .routes(routes!(schedule::delete_rule))
        .routes(routes!(schedule::list_exceptions, schedule::create_exception))
        .routes(routes!(schedule::delete_exception))
        .routes(routes!(front_desk::list_appointments))
        .routes(routes!(events::stream))
        .routes(routes!(front_desk::set_status))
        .routes(routes!(staff_admin::list_members, staff_admin::put_member))
        .routes(routes!(staff_admin::remove_member))
        .routes(routes!(staff_admin::create_token))
        .routes(routes!(staff_admin::revoke_token))
        .routes(routes!(staff_admin::get_security, staff_admin::put_security))
        .routes(routes!(staff_admin::audit_trail))
        .routes(routes!(patients::get_patient, patients::update_patient))
        .routes(routes!(patients::export_patient))
        .routes(routes!(patients::erase_patient))
        .routes(routes!(patients::list_consents, patients::add_consent))
        .routes(routes!(patients::withdraw_consent))
        .routes(routes!(message_templates::list_templates))
        .routes(routes!(message_templates::put_template, message_templates::delete_template))
        .routes(routes!(message_templates::get_reminders, message_templates::put_reminders))
        .routes(routes!(message_templates::put_service_reminders, message_templates::delete_service_reminders))
        .routes(routes!(messages::appointment_messages))
        .routes(routes!(transfer::export))
        .routes(routes!(transfer::import))
        .routes(routes!(channels::list_channels))
        .routes(routes!(channels::get_channel, channels::put_channel, channels::delete_channel))
        .routes(routes!(channels::create_webhook, channels::list_webhooks))
        .routes(routes!(channels::delete_webhook))
        .routes(routes!(queues::list_queues, queues::open_queue))
        .routes(routes!(queues::get_queue))
        .routes(routes!(queues::check_in))
        .routes(routes!(queues::walk_in))
        .routes(routes!(queues::call_next))
        .routes(routes!(queues::close_queue))
        .routes(routes!(queue_live::queue_stream))
        .routes(routes!(tickets::recall))
        .routes(routes!(tickets::start))
        .routes(routes!(tickets::finish))
        .routes(routes!(tickets::absent))
        .routes(routes!(tickets::return_))
        .routes(routes!(tickets::emergency))
        .routes(routes!(tickets::leave))
        .routes(routes!(tickets::transfer))
        .routes(routes!(tickets::reorder))
        .routes(routes!(queues::get_settings, queues::put_settings))
        .routes(routes!(queue_join::list_links, queue_join::create_link))
        .routes(routes!(queue_join::revoke_link))
        .routes(routes!(queue_join::join_qr))
        .routes(routes!(message_budget::get_budget, message_budget::put_budget))
        .routes(routes!(message_budget::message_stats))
        .routes(routes!(sources::create_source))
        .routes(routes!(sources::get_source))
        .routes(routes!(sources::source_slots))
        .routes(routes!(watches::list_watches))
        .routes(routes!(watches::get_watch_settings, watches::put_watch_settings))
        .routes(routes!(calendar::create_feed))
        .routes(routes!(calendar::revoke_feed))
        .routes(routes!(notes::list_notes, notes::create_note))
        .routes(routes!(notes::edit_draft))
        .routes(routes!(notes::sign_note))
        .routes(routes!(notes::amend_note))
        .routes(routes!(notes::get_template, notes::put_template))
        .routes(routes!(record::patient_record))
        .routes(routes!(record::merge_patient))
        .routes(routes!(record::unmerge_patient))
        .routes(routes!(record::notes_csv))
        .routes(routes!(record_print::print_record))
        .routes(routes!(intake::list_forms, intake::create_form))
        .routes(routes!(intake::get_form))
        .routes(routes!(intake::patient_answers))
        .routes(routes!(intake::desk_answer))
        .routes(routes!(secure_messages::staff_thread, secure_messages::staff_post))
        .routes(routes!(secure_messages::unread))
}

/// The store answered a command with an output of the wrong kind: a bug, so a 500.
pub(crate) fn unexpected(out: Output) -> ApiError {
    tracing::error!(?out, "the store answered with an unexpected output");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "unexpected answer from the store")
}
