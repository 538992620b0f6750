//! HTTP routes. Public routes (directory, availability, holds, booking, an appointment by id)
//! and staff routes (managing the clinic, schedules, the appointment book) are kept in separate
//! routers so the accounts work can lock the staff ones down without changing their shape.

pub mod availability;
pub mod booking;
pub mod catalog;
pub mod directory;
pub mod front_desk;
pub mod health;
pub mod schedule;

use crate::AppState;
use crate::problem::ApiError;
use axum::http::StatusCode;
use nobat_store::{AuditActor, Output};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Anyone may call these.
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
        .routes(routes!(booking::create_hold))
        .routes(routes!(booking::release_hold))
        .routes(routes!(booking::book))
        .routes(routes!(booking::get_appointment))
        .routes(routes!(booking::cancel))
        .routes(routes!(booking::reschedule))
}

/// Clinic staff only (once accounts exist, issue #4).
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
        .routes(routes!(front_desk::set_status))
}

/// Who a staff change is recorded as. Replaced by the signed-in user once accounts exist.
pub(crate) fn staff_actor() -> AuditActor {
    AuditActor("api:staff".into())
}

/// The store answered a command with an output of the wrong kind: a bug, so a 500.
pub(crate) fn unexpected(out: Output) -> ApiError {
    tracing::error!(?out, "the store answered with an unexpected output");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "unexpected answer from the store")
}
