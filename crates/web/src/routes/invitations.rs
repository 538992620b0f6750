//! Accepting an invitation to work for a clinic. The token in the path is the capability; the
//! invitee accepts signed in as the invited address's account, or — when the address has no
//! account — by choosing a password for a new one.

use crate::AppState;
use crate::auth::password;
use crate::auth::principal::{MaybeSignedIn, unauthenticated};
use crate::extract::ApiJson;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::UserId;
use nobat_store::commands::{Invitee, NewUser};
use nobat_store::{AuditActor, Command};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// For an address without an account: the new account's password (10 to 256 characters).
    pub password: Option<String>,
    /// For a new account: the name to show (default: the one the clinic suggested).
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedDto {
    pub clinic: String,
    pub user: String,
    pub role: String,
}

/// Accept an invitation to work for a clinic. With an account for the invited address, sign in
/// as it first; without one, send a password and the account is made. The invitation works
/// once and lapses after seven days.
#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", tag = "accounts",
    params(("token" = String, Path, description = "the token from the invitation message")),
    request_body = AcceptInput,
    responses((status = 200, body = AcceptedDto),
              (status = 401, body = Problem, content_type = "application/problem+json", description = "sign in as the invited account"),
              (status = 403, body = Problem, content_type = "application/problem+json", description = "signed in as someone else"),
              (status = 404, body = Problem, content_type = "application/problem+json", description = "unknown or already used"),
              (status = 409, body = Problem, content_type = "application/problem+json", description = "expired"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn accept(
    State(state): State<AppState>,
    MaybeSignedIn(principal): MaybeSignedIn,
    Path(token): Path<String>,
    body: ApiJson<AcceptInput>,
) -> ApiResult<Json<AcceptedDto>> {
    let input = body.value;
    let token_hash = state.auth.keys.token_hash(&token);
    let inv = state.store.invitation_by_token(&token_hash).await?.ok_or_else(|| ApiError::not_found("invitation"))?;
    let (invitee, user) = match state.store.user_by_email(&inv.email).await? {
        Some(existing) => match principal {
            Some(p) if p.is_session() && p.user.id == existing.id => (Invitee::Existing(existing.id), existing.id),
            Some(_) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "wrong-account",
                    "Signed in as someone else",
                    "this invitation is for another address; sign in as that account to accept it",
                ));
            }
            None => return Err(unauthenticated("this address has an account: sign in as it to accept")),
        },
        None => {
            let password = input.password.ok_or_else(|| {
                ApiError::invalid("password", "choose a password for your new account (10 to 256 characters)")
            })?;
            password::check_policy("password", &password)?;
            let name = input.name.as_deref().or(inv.name.as_deref()).map(str::trim).filter(|n| !n.is_empty());
            let name = name.unwrap_or(&inv.email).to_owned();
            if name.chars().count() > 200 || name.chars().any(char::is_control) {
                return Err(ApiError::invalid("name", "give a name of 1 to 200 characters"));
            }
            let hash = password::hash(password).await?;
            let id = UserId::new();
            let user = super::auth::new_user(id, inv.email.clone(), name, hash, false);
            let actor = AuditActor::new(format!("user:{id}"), "the invitee");
            (Invitee::New(Box::new(NewUser { user, actor })), id)
        }
    };
    state.store.execute(Command::AcceptInvitation { token_hash, invitee }).await?;
    Ok(Json(AcceptedDto { clinic: inv.clinic.to_string(), user: user.to_string(), role: inv.role.to_string() }))
}
