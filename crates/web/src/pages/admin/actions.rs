//! `POST /admin/{clinic}/{form}`: each admin form, turned into the body of the REST handler
//! that does the same change, and handed to it with the grant that handler asks for. So the
//! capability, the validation and the store command are the API's own; a refusal comes back
//! as the catalogue's text next to the field it names.

use super::{Posted, render};
use crate::AppState;
use crate::auth::grant::{Staff, Visitor, grant};
use crate::extract::ApiJson;
use crate::pages::errors::{FormErrors, error_page, explain};
use crate::pages::page::{Asked, Page, see_other};
use crate::problem::{ApiError, ApiResult};
use crate::routes::{catalog, message_budget, schedule, staff_admin, watches};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use nobat_core::access::Capability;

/// The forms an admin page posts, by the last segment of their address.
pub const FORMS: &[&str] = &[
    "location",
    "practitioner",
    "service",
    "rule",
    "delete-rule",
    "exception",
    "delete-exception",
    "security",
    "budget",
    "watches",
    "member",
    "template",
    "reset-template",
    "activate-practitioner",
    "deactivate-practitioner",
    "activate-service",
    "deactivate-service",
    "channel",
    "delete-channel",
];

fn json<T>(value: T) -> ApiJson<T> {
    ApiJson { value, canonical: String::new() }
}

/// A whole number from a form field; empty is `None`.
fn number<T: std::str::FromStr>(p: &Posted, field: &str) -> ApiResult<Option<T>> {
    match p.opt(field) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| ApiError::invalid(field, format!("`{v}` is not a whole number"))),
    }
}

fn required<T: std::str::FromStr>(p: &Posted, field: &str) -> ApiResult<T> {
    number(p, field)?.ok_or_else(|| ApiError::invalid(field, "fill in this field"))
}

async fn staff<C: Capability>(state: &AppState, v: &Visitor) -> ApiResult<Staff<C>> {
    let p = v
        .principal
        .as_ref()
        .ok_or_else(|| crate::auth::principal::unauthenticated("sign in as staff of this clinic"))?;
    grant::<C>(state, p, v.ctx.clone()).await
}

/// Does what form `name` asks, through the REST handler of the same change.
async fn apply(state: &AppState, v: &Visitor, clinic: &str, name: &str, p: &Posted) -> ApiResult<()> {
    let s = State(state.clone());
    let path = || Path(clinic.to_owned());
    let with_id = |id: String| Path((clinic.to_owned(), id));
    match name {
        "location" => {
            let body = catalog::LocationInput {
                name: p.get("name"),
                time_zone: p.get("time_zone"),
                address: p.get("address"),
                phone: p.opt("phone"),
                latitude: None,
                longitude: None,
            };
            catalog::create_location(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        "practitioner" => {
            let body = catalog::PractitionerInput { name: p.get("name"), specialties: vec![], languages: vec![] };
            catalog::create_practitioner(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        "service" => {
            let body = catalog::ServiceInput {
                name: p.opt("name"),
                duration_min: number(p, "duration_min")?,
                capacity: number(p, "capacity")?,
                buffer_before_min: None,
                buffer_after_min: None,
                slot_step_min: None,
                min_notice_min: None,
                horizon_days: None,
                cancel_cutoff_min: None,
                reschedule_cutoff_min: None,
                active: None,
            };
            catalog::create_service(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        "rule" => {
            let body = schedule::RuleInput {
                practitioner: p.get("practitioner"),
                location: p.get("location"),
                weekdays: p.all("weekdays"),
                start: p.get("start"),
                end: p.get("end"),
                breaks: match (p.opt("break_start"), p.opt("break_end")) {
                    (Some(start), Some(end)) => vec![crate::dto::BreakDto { start, end }],
                    _ => vec![],
                },
                valid_from: p.opt("valid_from").unwrap_or_else(|| super::today_utc().to_string()),
                valid_until: p.opt("valid_until"),
                services: vec![],
            };
            if body.weekdays.is_empty() {
                return Err(ApiError::invalid("weekdays", "choose at least one day of the week"));
            }
            schedule::create_rule(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        "activate-practitioner" | "deactivate-practitioner" => {
            let body = catalog::PractitionerPatch {
                name: None,
                specialties: None,
                languages: None,
                active: Some(name.starts_with("activate")),
            };
            catalog::update_practitioner(s, staff(state, v).await?, with_id(p.get("id")), json(body)).await.map(drop)
        }
        "activate-service" | "deactivate-service" => {
            let body = catalog::ServiceInput {
                name: None,
                duration_min: None,
                buffer_before_min: None,
                buffer_after_min: None,
                capacity: None,
                slot_step_min: None,
                min_notice_min: None,
                horizon_days: None,
                cancel_cutoff_min: None,
                reschedule_cutoff_min: None,
                active: Some(name.starts_with("activate")),
            };
            catalog::update_service(s, staff(state, v).await?, with_id(p.get("id")), json(body)).await.map(drop)
        }
        "delete-rule" => schedule::delete_rule(s, staff(state, v).await?, with_id(p.get("id"))).await.map(drop),
        "exception" => {
            let body = schedule::ExceptionInput {
                practitioner: p.opt("practitioner"),
                location: p.opt("location"),
                date: p.get("date"),
                kind: p.get("kind"),
                start: p.opt("start"),
                end: p.opt("end"),
                note: p.get("note"),
            };
            schedule::create_exception(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        "delete-exception" => {
            schedule::delete_exception(s, staff(state, v).await?, with_id(p.get("id"))).await.map(drop)
        }
        "security" => {
            let body = staff_admin::SecurityDto {
                require_staff_2fa: p.checked("require_staff_2fa"),
                verify_guest_contact: p.checked("verify_guest_contact"),
                retention_days: number(p, "retention_days")?,
            };
            staff_admin::put_security(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        "budget" => {
            let body = message_budget::MessageBudgetInput { sms_monthly: number(p, "sms_monthly")? };
            message_budget::put_budget(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        "watches" => {
            let body = watches::WatchSettingsDto {
                offer_minutes: required(p, "offer_minutes")?,
                per_hour: required(p, "per_hour")?,
                per_day: required(p, "per_day")?,
                verify_guests: p.checked("verify_guests"),
            };
            watches::put_watch_settings(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        "member" => {
            let body = staff_admin::MemberInput {
                email: p.get("email"),
                role: p.get("role"),
                name: p.opt("name"),
                practitioner: p.opt("practitioner"),
            };
            staff_admin::put_member(s, staff(state, v).await?, path(), json(body)).await.map(drop)
        }
        other => {
            super::messages::apply(state, v, clinic, other, p).await.unwrap_or_else(|| Err(ApiError::not_found("form")))
        }
    }
}

/// `POST /admin/{clinic}/{form}`
pub async fn post(
    State(state): State<AppState>,
    asked: Asked,
    visitor: Result<Visitor, ApiError>,
    Path((clinic, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let visitor = match visitor {
        Ok(v) => v,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let lang = asked.resolve(Some(&visitor.ctx.clinic.default_language));
    let posted = Posted::parse(&body);
    match apply(&state, &visitor, &clinic, &name, &posted).await {
        Ok(()) => see_other(&format!("/admin/{clinic}?done={name}#{name}")),
        // Not this caller's to change, or no such form: the plain error page, not the admin page.
        Err(e) if matches!(e.status().as_u16(), 401 | 403) || !FORMS.contains(&name.as_str()) => {
            error_page(Page::new(&asked, lang, visitor.principal.as_ref()), e)
        }
        Err(e) => {
            let failed = (name, FormErrors::of(explain(e, lang)), posted);
            render(&state, &asked, &visitor, Some(failed), false).await
        }
    }
}
