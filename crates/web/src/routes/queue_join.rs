//! Joining a queue by link or QR code, where the clinic allows it (`remote_join` in the queue
//! settings, off by default):
//!
//! * staff make join links — for a location (its general queue of the day) or one queue —,
//!   list and revoke them, and render one as a QR code (`join-qr.svg`) to print at the entrance;
//! * a patient opens the link (`GET /api/v1/join/{token}`: where it leads, whether it takes
//!   patients now) and joins (`POST`): a walk-in ticket, answered with the ticket's token and
//!   its "my place" address. Limited per network (the booking budget) and per contact.
//!
//! A link's token is the clinic and link id signed with the instance key: unguessable, and
//! revocable because the link's row is checked on every use.

use super::queues::run;
use crate::AppState;
use crate::auth::grant::Staff;
use crate::auth::links;
use crate::context::{ClinicCtx, body_id};
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::queue_view::{self, TicketDto};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use nobat_core::JoinLinkId;
use nobat_core::access::{ManageClinic, RunQueues};
use nobat_core::queue::remote::Joiner;
use nobat_store::commands::{QueueOp, QueueRequest};
use nobat_store::queues::JoinLink;
use nobat_store::{AuditActor, Output};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinLinkInput {
    pub location: String,
    /// One queue (of that location); without it the link leads to the location's general
    /// queue of the day, opened on first use.
    pub queue: Option<String>,
}

/// A join link. `url` is what the QR code holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinLinkDto {
    pub id: String,
    pub location: String,
    pub queue: Option<String>,
    pub token: String,
    pub url: String,
    pub created_at: String,
    pub revoked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinLinkList {
    pub links: Vec<JoinLinkDto>,
}

fn link_dto(state: &AppState, l: &JoinLink) -> JoinLinkDto {
    let token = links::join_token(&state.auth.keys, l.clinic, l.id);
    JoinLinkDto {
        id: l.id.to_string(),
        location: l.location.to_string(),
        queue: l.queue.map(|q| q.to_string()),
        url: format!("{}/api/v1/join/{token}", state.auth.public_url),
        token,
        created_at: l.created_at.to_string(),
        revoked: l.revoked_at.is_some(),
    }
}

/// Makes a join link for a location's general queue of the day, or for one queue.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/join-links", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = JoinLinkInput,
    responses((status = 201, body = JoinLinkDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_link(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path(_clinic): Path<String>,
    body: ApiJson<JoinLinkInput>,
) -> ApiResult<(StatusCode, Json<JoinLinkDto>)> {
    let location = body_id("location", &body.value.location)?;
    if !staff.ctx.locations.iter().any(|l| l.id == location) {
        return Err(ApiError::invalid("location", "no such location in this clinic"));
    }
    let queue = body.value.queue.as_deref().map(|q| body_id("queue", q)).transpose()?;
    let op = QueueOp::CreateJoinLink { location, queue };
    match run(&state, QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op }).await? {
        Output::JoinLink(l) => Ok((StatusCode::CREATED, Json(link_dto(&state, &l)))),
        other => Err(super::unexpected(other)),
    }
}

/// The clinic's join links, newest first (revoked ones marked).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/join-links", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = JoinLinkList), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_links(
    State(state): State<AppState>,
    staff: Staff<RunQueues>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<JoinLinkList>> {
    let found = state.store.join_links(staff.ctx.clinic.id).await?;
    Ok(Json(JoinLinkList { links: found.iter().map(|l| link_dto(&state, l)).collect() }))
}

/// Revokes a join link: its token (and every printed QR code of it) stops working at once.
/// Reception may, so an abused link can be stopped from the desk.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/join-links/{id}", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 204, description = "revoked"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_link(
    State(state): State<AppState>,
    staff: Staff<RunQueues>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let link: JoinLinkId = parse_id("join link", &id)?;
    let op = QueueOp::RevokeJoinLink { link };
    run(&state, QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The link as a QR code (SVG), to print at the entrance.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/join-links/{id}/join-qr.svg", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String, description = "the QR code of the link's url"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn join_qr(
    State(state): State<AppState>,
    staff: Staff<RunQueues>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let link: JoinLinkId = parse_id("join link", &id)?;
    let l = state.store.join_link(staff.ctx.clinic.id, link).await?;
    if l.revoked_at.is_some() {
        return Err(ApiError::not_found("join link"));
    }
    let url = link_dto(&state, &l).url;
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", format!("QR code: {e}"))
    })?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(256, 256).quiet_zone(true).build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "private, no-store")], svg))
}

/// Where a join link leads, and whether it takes patients now.
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinInfo {
    pub clinic: String,
    pub location: String,
    /// Whether the clinic takes patients by link at all (the day may still be closed or full).
    pub accepting: bool,
}

/// Who joins: a name and at least one of phone, email or Telegram chat.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A Telegram chat id (digits) or `@username`.
    pub telegram_chat: Option<String>,
    /// `en fa ar fr ru tr`.
    pub language: Option<String>,
}

/// The ticket a patient got by joining: no name; `token` opens "my place".
#[derive(Debug, Serialize, ToSchema)]
pub struct Joined {
    pub ticket: TicketDto,
    pub token: String,
    /// The patient's own view, `GET /api/v1/tickets/{token}`.
    pub my_place: String,
    /// Its stream.
    pub my_place_events: String,
    /// The same as a page for a phone (`/q/{token}`): what a patient opens or a QR code holds.
    pub my_place_page: String,
}

async fn open_link(state: &AppState, token: &str) -> ApiResult<(ClinicCtx, JoinLink)> {
    let (clinic, id) = links::open_join(&state.auth.keys, token).ok_or_else(|| ApiError::not_found("join link"))?;
    let ctx = ClinicCtx::load(state, &clinic.to_string()).await?;
    let link = state.store.join_link(clinic, id).await?;
    if link.revoked_at.is_some() {
        return Err(ApiError::not_found("join link"));
    }
    Ok((ctx, link))
}

/// A join link: the clinic and location it leads to.
#[utoipa::path(get, path = "/api/v1/join/{token}", tag = "queue",
    params(("token" = String, Path)),
    responses((status = 200, body = JoinInfo), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn join_info(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Json<JoinInfo>> {
    let (ctx, link) = open_link(&state, &token).await?;
    let settings = state.store.queue_settings(ctx.clinic.id).await?;
    let location = ctx.locations.iter().find(|l| l.id == link.location).map(|l| l.name.clone()).unwrap_or_default();
    Ok(Json(JoinInfo { clinic: ctx.clinic.name.clone(), location, accepting: settings.remote_join }))
}

/// Joins the queue: a walk-in ticket, placed like one added at the desk. Refused (409) when
/// the clinic does not take patients by link or the day is closed (`queue-closed`), or when
/// the line is as long as the clinic's cap (`queue-full`); 429 past the limits per network
/// and per contact.
#[utoipa::path(post, path = "/api/v1/join/{token}", tag = "queue",
    params(("token" = String, Path)), request_body = JoinInput,
    responses((status = 201, body = Joined), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json", description = "queue-closed or queue-full"),
              (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn join(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: ApiJson<JoinInput>,
) -> ApiResult<(StatusCode, Json<Joined>)> {
    let (ctx, link) = open_link(&state, &token).await?;
    let i = body.value;
    let joiner = Joiner::parse(
        &i.name,
        i.phone.as_deref(),
        i.email.as_deref(),
        i.telegram_chat.as_deref(),
        i.language.as_deref(),
    )?;
    state.auth.limits.join_contact(&format!("{}|{}", ctx.clinic.id, joiner.contact_key()))?;
    let op = QueueOp::Join { link: link.id, joiner };
    let actor = AuditActor::new("patient", "join link");
    let t = match run(&state, QueueRequest { clinic: ctx.clinic.id, actor, op }).await? {
        Output::Ticket(t) => t,
        other => return Err(super::unexpected(other)),
    };
    let ticket = queue_view::ticket(&state, &ctx, &t, false).await?;
    let my_place = format!("{}/api/v1/tickets/{}", state.auth.public_url, ticket.token);
    Ok((
        StatusCode::CREATED,
        Json(Joined {
            token: ticket.token.clone(),
            my_place_events: format!("{my_place}/events"),
            my_place_page: format!("{}/q/{}", state.auth.public_url, ticket.token),
            my_place,
            ticket,
        }),
    ))
}
