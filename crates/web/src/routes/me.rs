//! The signed-in user's own account: profile and clinics, appointments across clinics,
//! password, two-factor authentication, API tokens.

use super::auth::UserDto;
use crate::AppState;
use crate::auth::limits::ClientNet;
use crate::auth::principal::SignedIn;
use crate::auth::{password, totp};
use crate::dto::AppointmentDto;
use crate::extract::ApiJson;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_store::Command;
use nobat_store::commands::TotpChange;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipDto {
    pub clinic: String,
    pub clinic_slug: String,
    pub clinic_name: String,
    pub role: String,
    pub practitioner: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub user: UserDto,
    /// The clinics this user works for, and as what.
    pub clinics: Vec<MembershipDto>,
    pub recovery_codes_left: u64,
}

/// Who I am and where I work.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MeDto), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(State(state): State<AppState>, me: SignedIn) -> ApiResult<Json<MeDto>> {
    let user = &me.0.user;
    let clinics = state
        .store
        .memberships_of(user.id)
        .await?
        .into_iter()
        .map(|m| MembershipDto {
            clinic: m.membership.clinic.to_string(),
            clinic_slug: m.clinic_slug,
            clinic_name: m.clinic_name,
            role: m.membership.role.to_string(),
            practitioner: m.membership.practitioner.map(|p| p.to_string()),
        })
        .collect();
    let recovery_codes_left = state.store.recovery_codes_left(user.id).await?;
    Ok(Json(MeDto { user: UserDto::new(user), clinics, recovery_codes_left }))
}

/// My appointments in every clinic where I booked while signed in, newest first.
#[utoipa::path(get, path = "/api/v1/me/appointments", tag = "accounts", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<AppointmentDto>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn my_appointments(State(state): State<AppState>, me: SignedIn) -> ApiResult<Json<Vec<AppointmentDto>>> {
    let mut out = Vec::new();
    for a in state.store.appointments_of_user(me.0.user.id, 200).await? {
        let ctx = crate::context::ClinicCtx::load(&state, &a.clinic.to_string()).await?;
        out.push(AppointmentDto::new(&a, &ctx.tz(a.location)));
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    pub current_password: String,
    pub new_password: String,
}

/// Change my password. Every session (this one too) ends, and every API token is revoked;
/// sign in again.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", security(("bearer" = []), ("session" = [])),
    request_body = PasswordInput,
    responses((status = 204, description = "changed"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    State(state): State<AppState>,
    me: SignedIn,
    ClientNet(network): ClientNet,
    body: ApiJson<PasswordInput>,
) -> ApiResult<StatusCode> {
    let input = body.value;
    super::auth::confirm_password(&state, &me.0.user, &network, "current_password", input.current_password).await?;
    password::check_policy("new_password", &input.new_password)?;
    let hash = password::hash(input.new_password).await?;
    state.store.execute(Command::SetPassword { user: me.0.user.id, hash, actor: me.0.actor(None) }).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrolDto {
    /// Type this into the authenticator app, or use the URL (usually shown as a QR code).
    pub secret: String,
    pub otpauth_url: String,
}

/// Start turning on two-factor authentication: a new secret for the authenticator app. It
/// takes effect once a code from the app is confirmed.
#[utoipa::path(post, path = "/api/v1/me/2fa", tag = "accounts", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TotpEnrolDto), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn totp_enrol(State(state): State<AppState>, me: SignedIn) -> ApiResult<Json<TotpEnrolDto>> {
    if me.0.user.totp_enabled() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "two-factor-already-on",
            "Two-factor is already on",
            "turn it off first to enrol a new authenticator",
        ));
    }
    let secret = totp::new_secret();
    let sealed = totp::seal(&state.auth.keys, &secret);
    state.store.execute(Command::ChangeTotp(me.0.user.id, TotpChange::Enrol { secret: sealed })).await?;
    Ok(Json(TotpEnrolDto { secret: totp::base32(&secret), otpauth_url: totp::otpauth_url(&secret, &me.0.user.email) }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCodeInput {
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesDto {
    /// Each works once instead of a code. Shown only now: keep them somewhere safe.
    pub recovery_codes: Vec<String>,
}

/// Confirm the authenticator with its current code: two-factor is on from now, and ten
/// recovery codes are issued.
#[utoipa::path(post, path = "/api/v1/me/2fa/confirm", tag = "accounts", security(("bearer" = []), ("session" = [])),
    request_body = TotpCodeInput,
    responses((status = 200, body = RecoveryCodesDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn totp_confirm(
    State(state): State<AppState>,
    me: SignedIn,
    body: ApiJson<TotpCodeInput>,
) -> ApiResult<Json<RecoveryCodesDto>> {
    let user = &me.0.user;
    let sealed = user.totp_pending.as_deref().ok_or_else(|| {
        ApiError::new(StatusCode::CONFLICT, "no-enrolment", "Nothing to confirm", "start with POST /api/v1/me/2fa")
    })?;
    let secret = totp::open(&state.auth.keys, sealed).ok_or_else(|| {
        ApiError::new(StatusCode::CONFLICT, "no-enrolment", "Enrol again", "start again with POST /api/v1/me/2fa")
    })?;
    let step = totp::check(&secret, &body.value.code, Timestamp::now().as_second().max(0) as u64).ok_or_else(|| {
        ApiError::invalid("code", "the code is wrong; check the device's clock and try the current code")
    })?;
    let codes = totp::recovery_codes();
    let recovery = codes.iter().map(|c| state.auth.keys.code_hash(&format!("recovery:{}", user.id), c)).collect();
    let change = TotpChange::Enable { secret: sealed.to_owned(), step, recovery };
    state.store.execute(Command::ChangeTotp(user.id, change)).await?;
    Ok(Json(RecoveryCodesDto { recovery_codes: codes }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpOffInput {
    pub password: String,
}

/// Turn two-factor authentication off (needs the password). Every API token is revoked. In a
/// clinic that requires it, staff lose access until it is on again.
#[utoipa::path(post, path = "/api/v1/me/2fa/disable", tag = "accounts", security(("bearer" = []), ("session" = [])),
    request_body = TotpOffInput,
    responses((status = 204, description = "off"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn totp_disable(
    State(state): State<AppState>,
    me: SignedIn,
    ClientNet(network): ClientNet,
    body: ApiJson<TotpOffInput>,
) -> ApiResult<StatusCode> {
    super::auth::confirm_password(&state, &me.0.user, &network, "password", body.value.password).await?;
    state.store.execute(Command::ChangeTotp(me.0.user.id, TotpChange::Disable)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: String,
    pub clinic: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// The token stops working at this instant.
    pub expires_at: String,
    /// Only when the token is created: the secret itself. It is not stored and cannot be
    /// shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenDto {
    pub fn new(t: &nobat_store::identity::ApiToken, secret: Option<String>) -> Self {
        let show = |ts: Timestamp| ts.to_zoned(TimeZone::UTC).timestamp().to_string();
        Self {
            id: t.id.to_string(),
            clinic: t.clinic.to_string(),
            name: t.name.clone(),
            role: t.role.to_string(),
            created_at: show(t.created_at),
            last_used_at: t.last_used_at.map(show),
            revoked_at: t.revoked_at.map(show),
            expires_at: show(t.expires_at),
            token: secret,
        }
    }
}

/// My API tokens in every clinic.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<TokenDto>)))]
pub async fn my_tokens(State(state): State<AppState>, me: SignedIn) -> ApiResult<Json<Vec<TokenDto>>> {
    Ok(Json(state.store.tokens_of(me.0.user.id).await?.iter().map(|t| TokenDto::new(t, None)).collect()))
}

/// Who looked at or changed my records, in every clinic where I booked while signed in.
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "accounts", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<super::manage::AccessDto>)))]
pub async fn my_access_log(
    State(state): State<AppState>,
    me: SignedIn,
) -> ApiResult<Json<Vec<super::manage::AccessDto>>> {
    let mut out = Vec::new();
    for (clinic, patient) in state.store.patients_of_user(me.0.user.id).await? {
        out.extend(super::manage::access_entries(&state, clinic, patient).await?);
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.at.parse::<Timestamp>().ok()));
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseMeInput {
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErasedAccountDto {
    /// Patient records in clinics that were anonymised with the account.
    pub patient_records_erased: u64,
}

/// Erase my account: my patient records in every clinic are anonymised (appointments stay as
/// anonymous statistics), my sessions, tokens and roles end, and the account keeps only its
/// id. Needs the password; refused while I am a clinic's only owner.
#[utoipa::path(post, path = "/api/v1/me/erase", tag = "accounts", security(("bearer" = []), ("session" = [])),
    request_body = EraseMeInput,
    responses((status = 200, body = ErasedAccountDto), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn erase_me(
    State(state): State<AppState>,
    me: SignedIn,
    ClientNet(network): ClientNet,
    body: ApiJson<EraseMeInput>,
) -> ApiResult<Json<ErasedAccountDto>> {
    super::auth::confirm_password(&state, &me.0.user, &network, "password", body.value.password).await?;
    let actor = nobat_store::AuditActor::new(format!("user:{}", me.0.user.id), "the account holder");
    match state.store.execute(Command::EraseAccount { user: me.0.user.id, actor }).await? {
        nobat_store::Output::Count(n) => Ok(Json(ErasedAccountDto { patient_records_erased: n })),
        other => Err(super::unexpected(other)),
    }
}
