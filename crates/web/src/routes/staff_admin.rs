//! A clinic's people and security: staff memberships, API tokens, security settings, and the
//! audit trail.

use super::me::TokenDto;
use crate::AppState;
use crate::auth::grant::Staff;
use crate::auth::keys;
use crate::auth::limits::ClientNet;
use crate::auth::principal::Via;
use crate::context::body_id;
use crate::extract::{ApiJson, ApiQuery, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::{Capability, ManageClinic, ManageSecurity, ManageStaff, Role, ViewAppointments, ViewAudit};
use nobat_core::{TokenId, UserId};
use nobat_store::Command;
use nobat_store::audit::{AuditFilter, AuditRecord};
use nobat_store::commands::MemberChange;
use nobat_store::identity::{ApiToken, ClinicSecurity, Invitation};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub user: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub practitioner: Option<String>,
    pub two_factor: bool,
}

/// The clinic's staff and their roles.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/members", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), responses((status = 200, body = Vec<MemberDto>)))]
pub async fn list_members(
    State(state): State<AppState>,
    staff: Staff<ManageStaff>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<Vec<MemberDto>>> {
    let members = state.store.members(staff.ctx.clinic.id).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|m| MemberDto {
                user: m.membership.user.to_string(),
                email: m.email,
                name: m.name,
                role: m.membership.role.to_string(),
                practitioner: m.membership.practitioner.map(|p| p.to_string()),
                two_factor: m.totp_enabled,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub email: String,
    /// owner, admin, practitioner or receptionist.
    pub role: String,
    /// Their name, suggested for the account if they make a new one when accepting.
    pub name: Option<String>,
    /// The practitioner record this member is, if they see patients.
    pub practitioner: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberAddedDto {
    /// `updated` — they were already a member and their role changed; `invited` — an invitation
    /// went to the address, to accept through the link it carries (whether or not the address
    /// has an account here: the answer does not say).
    pub status: String,
    /// The member, when `updated`.
    pub user: Option<String>,
    pub role: String,
    /// The invitation, when `invited`.
    pub invitation: Option<String>,
    /// When the invitation lapses, when `invited`.
    pub expires_at: Option<String>,
}

/// How long an invitation can be accepted.
const INVITATION_DAYS: i64 = 7;

/// Give someone a role in this clinic. A current member's role changes at once; anyone else is
/// sent an invitation, which they accept (`POST /api/v1/invitations/{token}/accept`) signed in
/// or by choosing a password. The answer is the same whether or not the address has an
/// account, and never carries a password or the invitation's token. Admins may not appoint
/// owners.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/members", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), request_body = MemberInput,
    responses((status = 200, body = MemberAddedDto), (status = 403, body = Problem, content_type = "application/problem+json"),
              // Demoting the clinic's last owner.
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_member(
    State(state): State<AppState>,
    staff: Staff<ManageStaff>,
    Path(_clinic): Path<String>,
    body: ApiJson<MemberInput>,
) -> ApiResult<Json<MemberAddedDto>> {
    let input = body.value;
    let role: Role = input.role.parse().map_err(|e: String| ApiError::invalid("role", e))?;
    let email = super::auth::normalise_email("email", &input.email)?;
    let practitioner = input.practitioner.as_deref().map(|p| body_id("practitioner", p)).transpose()?;
    let name = input.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control)) {
        return Err(ApiError::invalid("name", "give a name of 1 to 200 characters"));
    }
    if !staff.role.may_assign(role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            format!("a {} may not appoint a {role}", staff.role),
        ));
    }
    let clinic = staff.ctx.clinic.id;
    // Members are listed to staff managers already: telling one apart reveals nothing.
    let member = match state.store.user_by_email(&email).await? {
        Some(u) => state.store.membership(clinic, u.id).await?,
        None => None,
    };
    if let Some(m) = member {
        if !staff.role.may_assign(m.role) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                format!("a {} may not change a {}", staff.role, m.role),
            ));
        }
        let change = MemberChange { clinic, user: m.user, role: Some(role), practitioner, actor: staff.actor() };
        state.store.execute(Command::ChangeMember(change)).await?;
        return Ok(Json(MemberAddedDto {
            status: "updated".into(),
            user: Some(m.user.to_string()),
            role: role.to_string(),
            invitation: None,
            expires_at: None,
        }));
    }
    let token = format!("nbi_{}", keys::random_b64(32));
    let now = jiff::Timestamp::now();
    let invitation = Invitation {
        id: uuid::Uuid::now_v7().to_string(),
        clinic,
        email,
        role,
        practitioner,
        name: name.map(str::to_owned),
        token_hash: state.auth.keys.token_hash(&token),
        created_at: now,
        expires_at: now.checked_add(jiff::SignedDuration::from_hours(24 * INVITATION_DAYS)).unwrap_or(now),
        accepted_at: None,
    };
    let cmd = Command::Invite { invitation: invitation.clone(), token, actor: staff.actor() };
    state.store.execute(cmd).await?;
    Ok(Json(MemberAddedDto {
        status: "invited".into(),
        user: None,
        role: role.to_string(),
        invitation: Some(invitation.id),
        expires_at: Some(invitation.expires_at.to_string()),
    }))
}

/// Take someone's role in this clinic away (their API tokens here are revoked too). The last
/// owner cannot be removed.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/members/{user}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("user" = String, Path)),
    responses((status = 204, description = "removed"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_member(
    State(state): State<AppState>,
    staff: Staff<ManageStaff>,
    Path((_clinic, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let user: UserId = parse_id("user", &user)?;
    let m =
        state.store.membership(staff.ctx.clinic.id, user).await?.ok_or_else(|| ApiError::not_found("membership"))?;
    if !staff.role.may_assign(m.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            format!("a {} may not remove a {}", staff.role, m.role),
        ));
    }
    let change =
        MemberChange { clinic: staff.ctx.clinic.id, user, role: None, practitioner: None, actor: staff.actor() };
    state.store.execute(Command::ChangeMember(change)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    pub name: String,
    /// The token's role; at most the creator's own (default: the creator's).
    pub role: Option<String>,
    /// Days until the token stops working: 1 to 365, default 90.
    pub expires_in_days: Option<u32>,
    /// Required: the creator's current password. Minting a credential needs a fresh proof, not
    /// only a session.
    pub password: Option<String>,
    /// The current code from the authenticator app, when the creator has two-factor on.
    pub totp_code: Option<String>,
}

/// Default and longest life of an API token, in days.
const TOKEN_DAYS_DEFAULT: u32 = 90;
const TOKEN_DAYS_MAX: u32 = 365;

/// Create an API token for myself in this clinic. Needs my password (and a current TOTP code
/// when two-factor is on). It expires (90 days unless asked otherwise, at most 365); changing
/// the password or turning two-factor off revokes it. The secret is shown once.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/tokens", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), request_body = TokenInput,
    responses((status = 201, body = TokenDto), (status = 401, body = Problem, content_type = "application/problem+json", description = "a second factor is needed or wrong"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json", description = "too many wrong passwords")))]
pub async fn create_token(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path(_clinic): Path<String>,
    ClientNet(network): ClientNet,
    body: ApiJson<TokenInput>,
) -> ApiResult<(StatusCode, Json<TokenDto>)> {
    if !matches!(staff.principal.via, Via::Session { .. }) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "session-required",
            "Sign in as yourself",
            "a token cannot make tokens",
        ));
    }
    let input = body.value;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name",
            "name the token (1 to 100 characters), e.g. after the system that uses it",
        ));
    }
    let role = match input.role.as_deref() {
        Some(r) => r.parse().map_err(|e: String| ApiError::invalid("role", e))?,
        None => staff.role,
    };
    let days = input.expires_in_days.unwrap_or(TOKEN_DAYS_DEFAULT);
    if !(1..=TOKEN_DAYS_MAX).contains(&days) {
        return Err(ApiError::invalid("expires_in_days", format!("give 1 to {TOKEN_DAYS_MAX} days")));
    }
    if !staff.role.covers(role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            format!("a {} may not make a {role} token", staff.role),
        ));
    }
    // Re-authentication: a stolen session alone cannot mint a lasting credential. Wrong
    // passwords and codes count towards the lockout like sign-ins do.
    let user = &staff.principal.user;
    let password =
        input.password.ok_or_else(|| ApiError::invalid("password", "confirm with your password to create a token"))?;
    let key = super::auth::confirm_password(&state, user, &network, "password", password).await?;
    let fresh = state.store.user(user.id).await?;
    if let Some(sealed) = &fresh.totp_secret {
        let factor = super::auth::SecondFactor { code: input.totp_code.as_deref(), recovery: None };
        super::auth::second_factor(&state, &fresh, sealed, factor, &key, jiff::Timestamp::now()).await?;
    }
    let secret = format!("{}{}", crate::auth::principal::TOKEN_PREFIX, keys::random_b64(32));
    let now = jiff::Timestamp::now();
    let token = ApiToken {
        id: TokenId::new(),
        clinic: staff.ctx.clinic.id,
        user: user.id,
        name,
        role,
        token_hash: state.auth.keys.token_hash(&secret),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
        expires_at: now.checked_add(jiff::SignedDuration::from_hours(24 * i64::from(days))).unwrap_or(now),
    };
    state.store.execute(Command::CreateToken(token.clone(), staff.actor())).await?;
    Ok((StatusCode::CREATED, Json(TokenDto::new(&token, Some(secret)))))
}

/// Revoke an API token: one's own, or anyone's here for those who manage staff.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/tokens/{id}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "revoked"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_token(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id: TokenId = parse_id("token", &id)?;
    // Anyone may revoke their own tokens; staff managers also those of people whose role they
    // may assign (an admin cannot revoke an owner's).
    let mut only_of = Some(staff.principal.user.id);
    if <ManageStaff as Capability>::allows(staff.role)
        && let Some(holder) = state.store.token_holder(staff.ctx.clinic.id, id).await?
        && state.store.membership(staff.ctx.clinic.id, holder).await?.is_none_or(|m| staff.role.may_assign(m.role))
    {
        only_of = None;
    }
    let cmd = Command::RevokeToken { clinic: staff.ctx.clinic.id, id, only_of, actor: staff.actor() };
    state.store.execute(cmd).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The clinic's security and personal-data settings.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/security", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), responses((status = 200, body = SecurityDto)))]
pub async fn get_security(staff: Staff<ManageClinic>, Path(_clinic): Path<String>) -> ApiResult<Json<SecurityDto>> {
    Ok(Json(SecurityDto::from(staff.ctx.clinic.security)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityDto {
    /// Staff must use two-factor authentication to act for this clinic.
    pub require_staff_2fa: bool,
    /// Guests confirm their phone or email with a one-time code before booking.
    pub verify_guest_contact: bool,
    /// Days after a patient's last appointment before their personal data is anonymised
    /// (30 to 36500); null keeps it until erased by hand.
    pub retention_days: Option<u32>,
}

impl From<ClinicSecurity> for SecurityDto {
    fn from(s: ClinicSecurity) -> Self {
        Self {
            require_staff_2fa: s.require_staff_2fa,
            verify_guest_contact: s.verify_guest_contact,
            retention_days: s.retention_days,
        }
    }
}

/// Change the security and personal-data settings (owners only).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/security", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), request_body = SecurityDto,
    responses((status = 200, body = SecurityDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_security(
    State(state): State<AppState>,
    staff: Staff<ManageSecurity>,
    Path(_clinic): Path<String>,
    body: ApiJson<SecurityDto>,
) -> ApiResult<Json<SecurityDto>> {
    let i = body.value;
    let s = ClinicSecurity {
        require_staff_2fa: i.require_staff_2fa,
        verify_guest_contact: i.verify_guest_contact,
        retention_days: i.retention_days,
    };
    if s.require_staff_2fa && !staff.principal.user.totp_enabled() {
        return Err(ApiError::invalid(
            "require_staff_2fa",
            "turn on two-factor for yourself first, or you would lock yourself out",
        ));
    }
    state.store.execute(Command::SetSecurity(staff.ctx.clinic.id, s, staff.actor())).await?;
    Ok(Json(SecurityDto::from(s)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `appointment`, `patient`, `membership`, `schedule_rule`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// `user:<id>`, `token:<id>`, `guest`, `system`.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// A patient id: everything about them.
    pub patient: Option<String>,
    /// RFC 3339 instants.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Continue with entries older than this sequence number.
    pub before: Option<i64>,
    /// Entries per page: 1 to 500 (default 100), as every list.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_label: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub patient: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub note: Option<String>,
    /// The body was blanked when the patient's data was erased.
    pub redacted: bool,
}

impl AuditEntryDto {
    pub fn new(r: AuditRecord) -> Self {
        let at = jiff::Timestamp::from_microsecond(r.at_us).map(|t| t.to_string()).unwrap_or_default();
        Self {
            seq: r.seq,
            at,
            actor: r.actor,
            actor_label: r.actor_label,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            patient: r.subject,
            before: r.before,
            after: r.after,
            note: r.note,
            redacted: r.redacted,
        }
    }
}

/// The clinic's audit trail, newest first, with filters. Every change to appointments,
/// schedules, staff and settings is here, with who, when, before and after.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/audit", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), AuditQuery), responses((status = 200, body = Vec<AuditEntryDto>)))]
pub async fn audit_trail(
    State(state): State<AppState>,
    staff: Staff<ViewAudit>,
    Path(_clinic): Path<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntryDto>>> {
    let micros = |field: &str, v: &Option<String>| -> ApiResult<Option<i64>> {
        v.as_deref().map(|s| crate::context::instant(field, s).map(|t| t.as_microsecond())).transpose()
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "between 1 and 500"));
    }
    let filter = AuditFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        actor: q.actor,
        action: q.action,
        subject: q.patient,
        from_us: micros("from", &q.from)?,
        to_us: micros("to", &q.to)?,
        before_seq: q.before,
        limit,
    };
    let rows = state.store.audit_trail(&staff.ctx.clinic.id.to_string(), &filter).await?;
    Ok(Json(rows.into_iter().map(AuditEntryDto::new).collect()))
}
