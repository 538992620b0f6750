//! Holds: reserve a slot for a few minutes, give it back. A hold belongs to whoever made it —
//! the signed-in caller, or a guest holding the `hold_token` the answer gave them once — and
//! only they convert or release it (staff who manage appointments may release any). The store
//! checks ownership inside the transaction (`nobat_core::hold`); this file only names the caller.
//!
//! A guest's token is derived from the instance key and the hold's id (so an Idempotency-Key
//! replay can give it again without it ever being stored); the database keeps a keyed hash.

use super::booking::{booking_actor, idempotency, replay_headers};
use crate::AppState;
use crate::auth::grant::Visitor;
use crate::auth::keys::{Keys, mac};
use crate::auth::limits::ClientNet;
use crate::context::{ClinicCtx, body_id, start};
use crate::dto::{HoldDto, HoldInput};
use crate::extract::{ApiJson, IdempotencyKey, fingerprint, parse_id};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nobat_core::access::ManageAppointments;
use nobat_core::hold::{HoldClaim, HoldOwner};
use nobat_core::{ClinicId, HoldId, UserId};
use nobat_store::commands::HoldRequest;
use nobat_store::{Command, Output};

/// The header that carries a guest's hold token where there is no body (release).
pub const HOLD_TOKEN_HEADER: &str = "hold-token";

/// A guest's proof of owning hold `id`: unguessable without the instance key.
pub(crate) fn guest_token(keys: &Keys, clinic: ClinicId, id: HoldId) -> String {
    URL_SAFE_NO_PAD.encode(mac(&keys.link_key, &[b"hold\0", clinic.0.as_bytes(), id.0.as_bytes()]))
}

/// What the caller shows when using a hold: their account and the token they sent, if any.
pub(crate) fn claim(state: &AppState, user: Option<UserId>, token: Option<&str>) -> HoldClaim {
    HoldClaim {
        user,
        token_hash: token.map(str::trim).filter(|t| !t.is_empty()).map(|t| state.auth.keys.token_hash(t)),
        staff: false,
        offer: None,
    }
}

/// Reserve a slot for a few minutes. It counts against capacity until it is booked, released,
/// or expires by itself. A guest's answer carries `hold_token`, the proof of owning it; each
/// owner may keep a few holds at once and a clinic a bounded number (429 beyond).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/holds", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"),
           ("Idempotency-Key" = Option<String>, Header, description = "retry safely: same key and body give the same answer")),
    request_body = HoldInput,
    responses(
        (status = 201, body = HoldDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "slot taken"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "too many requests, or too many holds (too-many-holds, clinic-holds-full)")))]
pub async fn create_hold(
    State(state): State<AppState>,
    visitor: Visitor,
    net: ClientNet,
    key: IdempotencyKey,
    body: ApiJson<HoldInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<HoldDto>)> {
    let input = body.value;
    if let Some(p) = &input.patient {
        // A hold needs no patient, but clients may send the booking's body as it is: check it
        // now so the booking that follows will not fail on it.
        p.parse(&visitor.ctx.clinic)?;
    }
    let acting = booking_actor(&state, &visitor, input.staff_override).await?;
    let ctx = visitor.ctx;
    let (start, start_offset) = start("start", &input.start)?;
    let id = HoldId::new();
    let owner = match acting.hold_user {
        Some(user) => HoldOwner::User(user),
        None => HoldOwner::Guest(state.auth.keys.token_hash(&guest_token(&state.auth.keys, ctx.clinic.id, id))),
    };
    let req = HoldRequest {
        clinic: ctx.clinic.id,
        id,
        service: body_id("service", &input.service)?,
        practitioner: body_id("practitioner", &input.practitioner)?,
        location: input.location.as_deref().map(|l| body_id("location", l)).transpose()?,
        start,
        start_offset,
        ttl: state.hold_ttl,
        actor: acting.actor,
        // Who asks is part of the request (see `book`): another caller's retry does not get
        // this hold, nor, for a guest, its hold_token.
        idempotency: idempotency(
            key,
            fingerprint(&["hold", &ctx.clinic.id.to_string(), &net.replay_caller(&acting.audit.id), &body.canonical]),
        ),
        owner,
        owner_capped: !acting.staff,
        caps: state.hold_caps,
    };
    match state.store.execute(Command::Hold(req)).await? {
        Output::Hold { hold, replayed } => {
            let mut dto = HoldDto::new(&hold, &ctx.tz(hold.location));
            if hold.owner.as_deref().is_some_and(|o| o.starts_with("guest:")) {
                dto.hold_token = Some(guest_token(&state.auth.keys, hold.clinic, hold.id));
            }
            Ok((StatusCode::CREATED, replay_headers(replayed), Json(dto)))
        }
        other => Err(super::unexpected(other)),
    }
}

/// Give a hold back before it expires: its owner (signed in, or sending the guest's token in
/// the `Hold-Token` header), or staff who manage the clinic's appointments.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/holds/{id}", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path),
           ("Hold-Token" = Option<String>, Header, description = "a guest's hold_token from the hold answer")),
    responses(
        (status = 204, description = "released"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "someone else's hold"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn release_hold(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((_clinic, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let id: HoldId = parse_id("hold", &id)?;
    let token = headers.get(HOLD_TOKEN_HEADER).and_then(|v| v.to_str().ok());
    let mut claim = claim(&state, visitor.principal.as_ref().map(|p| p.user.id), token);
    claim.staff = visitor.staff_opt::<ManageAppointments>(&state).await?.is_some();
    let clinic: &ClinicCtx = &visitor.ctx;
    state.store.execute(Command::ReleaseHold { clinic: clinic.clinic.id, id, claim }).await?;
    Ok(StatusCode::NO_CONTENT)
}
