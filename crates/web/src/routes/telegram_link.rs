//! Staff on Telegram (issue 14): a signed-in staff member mints a one-time deep link
//! (`t.me/<bot>?start=<token>`) that binds the chat which opens it to their account, and can
//! unlink every chat again. The bot then acts as that account through the same capability
//! checks as the API (`crates/nobat/src/telegram_staff/`).
//!
//! Minting needs a session (not an API token: a token acts for one clinic and one role, a
//! linked chat for the person), and for an account with two-factor authentication a current
//! code in the same request: a stolen session alone cannot attach a phone to the account.

use super::auth::{SecondFactor, login_key, second_factor};
use crate::AppState;
use crate::auth::keys;
use crate::auth::limits::ClientNet;
use crate::auth::principal::SignedIn;
use crate::extract::MaybeJson;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use nobat_store::{Command, TelegramStaffOp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The instance bot's row id (as `crates/nobat/src/telegram_bot.rs` names it).
const INSTANCE_BOT: &str = "instance";
/// What a link token starts with, so the bot tells a staff link from other `/start` payloads.
pub const LINK_PREFIX: &str = "s_";

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TelegramLinkInput {
    /// The current 6-digit code; required when the account has two-factor authentication.
    pub totp_code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TelegramLinkDto {
    /// `https://t.me/<bot>?start=<token>`, when the bot's name is known (its poller has run).
    pub url: Option<String>,
    /// The payload to send as `/start <token>` if the link cannot be opened.
    pub token: String,
    /// The link stops working at this instant (or when used once).
    pub expires_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TelegramUnlinkDto {
    /// How many chats were unbound.
    pub unlinked: u64,
}

/// Mint a one-time link that binds a Telegram chat to the signed-in staff account.
#[utoipa::path(post, path = "/api/v1/me/telegram-link", tag = "accounts", security(("bearer" = []), ("session" = [])),
    request_body = TelegramLinkInput,
    responses((status = 201, body = TelegramLinkDto),
              (status = 401, body = Problem, content_type = "application/problem+json", description = "not signed in, or a wrong 2FA code"),
              (status = 403, body = Problem, content_type = "application/problem+json", description = "not a staff member"),
              (status = 422, body = Problem, content_type = "application/problem+json", description = "the 2FA code is missing")))]
pub async fn mint(
    State(state): State<AppState>,
    me: SignedIn,
    ClientNet(network): ClientNet,
    body: MaybeJson<TelegramLinkInput>,
) -> ApiResult<(StatusCode, Json<TelegramLinkDto>)> {
    let user = state.store.user(me.0.user.id).await?;
    if state.store.memberships_of(user.id).await?.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Staff only",
            "only clinic staff link a Telegram chat to their account here",
        ));
    }
    let input = body.0.map(|b| b.value).unwrap_or_default();
    if let Some(sealed) = &user.totp_secret {
        let code = input.totp_code.as_deref().filter(|c| !c.trim().is_empty());
        if code.is_none() {
            return Err(ApiError::invalid(
                "totp_code",
                "this account has two-factor authentication: send a current code",
            ));
        }
        let key = login_key(&state, &user.email, network);
        second_factor(&state, &user, sealed, SecondFactor { code, recovery: None }, &key, Timestamp::now()).await?;
    }
    let token = format!("{LINK_PREFIX}{}", keys::random_b64(24).replace(['+', '/', '='], ""));
    let token_hash = state.auth.keys.token_hash(&token);
    let actor = me.0.actor(None);
    state.store.execute(Command::TelegramStaff(TelegramStaffOp::Mint { user: user.id, token_hash, actor })).await?;
    let expires_at = Timestamp::now().checked_add(nobat_store::commands::TELEGRAM_LINK_TTL).unwrap_or(Timestamp::now());
    let url = state.store.telegram_bot_username(INSTANCE_BOT).await?.map(|u| format!("https://t.me/{u}?start={token}"));
    Ok((StatusCode::CREATED, Json(TelegramLinkDto { url, token, expires_at: expires_at.to_string() })))
}

/// Unbind every Telegram chat of the signed-in account (and drop an unused link).
#[utoipa::path(delete, path = "/api/v1/me/telegram-link", tag = "accounts", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TelegramUnlinkDto), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn unlink(State(state): State<AppState>, me: SignedIn) -> ApiResult<Json<TelegramUnlinkDto>> {
    let op = TelegramStaffOp::UnlinkUser { user: me.0.user.id, actor: me.0.actor(None) };
    match state.store.execute(Command::TelegramStaff(op)).await? {
        nobat_store::Output::TelegramStaff(nobat_store::TelegramStaffOutput::Count(n)) => {
            Ok(Json(TelegramUnlinkDto { unlinked: n }))
        }
        other => Err(super::unexpected(other)),
    }
}
