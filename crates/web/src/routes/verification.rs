//! Guest contact verification: a one-time code sent to the phone or email a guest books
//! with, confirmed for a short-lived proof the booking carries. Codes are 6 digits, stored as
//! keyed hashes, valid 10 minutes, 5 tries; requests are limited per IP and per contact.

use crate::AppState;
use crate::auth::grant::Visitor;
use crate::auth::links;
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use nobat_core::{PatientContact, VerificationId};
use nobat_store::identity::Verification;
use nobat_store::{Command, Output};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationInput {
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The language the message should be in: one of `en fa ar fr ru tr` (`fa-IR` counts as `fa`).
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationDto {
    pub id: String,
    pub expires_at: String,
    /// `sms` or `email`.
    pub channel: String,
}

/// Send a one-time code to a phone (SMS) or an email address.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/verifications", tag = "booking",
    params(("clinic" = String, Path)), request_body = VerificationInput,
    responses((status = 202, body = VerificationDto), (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn request_code(
    State(state): State<AppState>,
    visitor: Visitor,
    body: ApiJson<VerificationInput>,
) -> ApiResult<(StatusCode, Json<VerificationDto>)> {
    let i = body.value;
    let country = crate::dto::clinic_country(&visitor.ctx.clinic);
    let contact =
        PatientContact::parse_in("guest", i.phone.as_deref(), i.email.as_deref(), i.language.as_deref(), country)?;
    let key = contact.contact_key();
    state.auth.limits.codes_contact(&key)?;
    let ctx = visitor.ctx;
    let now = Timestamp::now();
    let id = VerificationId::new();
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let v = Verification {
        id,
        clinic: ctx.clinic.id,
        contact_key: key.clone(),
        code_hash: state.auth.keys.code_hash(&format!("verify:{id}"), &code),
        attempts: 0,
        created_at: now,
        expires_at: now.checked_add(state.auth.code_ttl).unwrap_or(now),
        confirmed_at: None,
    };
    let channel = if contact.phone.is_some() { "sms" } else { "email" };
    let language = contact.language.clone().unwrap_or_else(|| ctx.clinic.default_language.clone());
    state.store.execute(Command::CreateVerification { verification: v.clone(), code, channel, language }).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(VerificationDto { id: id.to_string(), expires_at: v.expires_at.to_string(), channel: channel.into() }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmInput {
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProofDto {
    /// Send as `contact_proof` when booking with this phone or email.
    pub contact_proof: String,
    pub expires_at: String,
}

/// Confirm a code. Five wrong tries spend it.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/verifications/{id}/confirm", tag = "booking",
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = ConfirmInput,
    responses((status = 200, body = ProofDto), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn confirm_code(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<ConfirmInput>,
) -> ApiResult<Json<ProofDto>> {
    let id: VerificationId = parse_id("verification", &id)?;
    let code = body.value.code.trim().to_owned();
    let ctx = visitor.ctx;
    let code_hash = state.auth.keys.code_hash(&format!("verify:{id}"), &code);
    match state.store.execute(Command::ConfirmVerification { clinic: ctx.clinic.id, id, code_hash }).await? {
        Output::Verified(Some(contact_key)) => {
            let now = Timestamp::now();
            let until = now.checked_add(state.auth.proof_ttl).unwrap_or(now);
            Ok(Json(ProofDto {
                contact_proof: links::contact_proof(&state.auth.keys, ctx.clinic.id, &contact_key, until),
                expires_at: until.to_string(),
            }))
        }
        Output::Verified(None) => Err(ApiError::invalid("code", "the code is wrong")),
        other => Err(super::unexpected(other)),
    }
}
