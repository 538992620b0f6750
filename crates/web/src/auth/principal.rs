//! Who is calling. A request carries at most one credential:
//!
//! * `Authorization: Bearer nbt_…` — an API token (one clinic, one role);
//! * `Authorization: Bearer nbs_…` — a session secret, for clients that are not browsers;
//! * the `nobat_session` cookie — a browser session. Cookies are sent by browsers on their
//!   own, so every unsafe request (POST, PUT, PATCH, DELETE) with one must also carry the
//!   session's CSRF token in `X-CSRF-Token`; bearer credentials need not.
//!
//! A bearer credential that is present but wrong, expired or revoked is a 401, never a silent
//! fall-back to anonymous. A cookie is different: browsers send it on their own, so one whose
//! session has ended, or that arrives with a cross-site request, makes the request anonymous
//! (public routes keep working; staff routes answer 401 for want of a sign-in).

use crate::AppState;
use crate::problem::{ApiError, ApiResult};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use jiff::{SignedDuration, Timestamp};
use nobat_store::identity::{ApiToken, User, constant_time_eq};
use nobat_store::{AuditActor, Command};

pub const COOKIE: &str = "nobat_session";
pub const SESSION_PREFIX: &str = "nbs_";
pub const TOKEN_PREFIX: &str = "nbt_";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser or client session; `id_hash` names it in the store.
    Session { id_hash: String, csrf_token: String, cookie: bool, expires_at: Timestamp },
    /// An API token, good for one clinic and one role.
    Token(ApiToken),
    /// A Telegram chat bound to the account by a one-time link (issue 14): the bot acts as the
    /// member, through the same grants as a session.
    Telegram { bot: String, chat: i64 },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub via: Via,
}

impl Principal {
    /// How this caller is named in the audit trail.
    pub fn actor(&self, role: Option<nobat_core::access::Role>) -> AuditActor {
        match (&self.via, role) {
            (Via::Token(t), _) => AuditActor::new(
                format!("token:{}", t.id),
                format!("{} (API token \"{}\", {})", self.user.name, t.name, t.role),
            ),
            (Via::Session { .. }, Some(role)) => {
                AuditActor::new(format!("user:{}", self.user.id), format!("{} ({role})", self.user.name))
            }
            (Via::Telegram { .. }, Some(role)) => {
                AuditActor::new(format!("user:{}", self.user.id), format!("{} ({role}, Telegram)", self.user.name))
            }
            // Acting on their own account (perhaps a patient's): named by id only, so erasing the
            // account leaves nothing personal in the chained trail.
            (Via::Session { .. } | Via::Telegram { .. }, None) => {
                AuditActor::new(format!("user:{}", self.user.id), "the account holder")
            }
        }
    }

    pub fn is_session(&self) -> bool {
        matches!(self.via, Via::Session { .. })
    }
}

/// The caller, if any credential was presented (and it was good).
#[derive(Debug, Clone)]
pub struct MaybeSignedIn(pub Option<Principal>);

/// A caller who must be signed in with a session (not an API token): the account pages.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Principal);

pub(crate) fn unauthenticated(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Sign in first", detail)
}

fn cookie_value(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

/// Resolves the caller once per request (the answer is kept in the request's extensions).
pub(crate) async fn authenticate(parts: &mut Parts, state: &AppState) -> ApiResult<Option<Principal>> {
    if let Some(found) = parts.extensions.get::<Option<Principal>>() {
        return Ok(found.clone());
    }
    let found = resolve(parts, state).await?;
    parts.extensions.insert(found.clone());
    Ok(found)
}

async fn resolve(parts: &Parts, state: &AppState) -> ApiResult<Option<Principal>> {
    let now = Timestamp::now();
    let bearer = match parts.headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v.to_str().map_err(|_| unauthenticated("the Authorization header is not readable"))?;
            let token =
                v.strip_prefix("Bearer ").ok_or_else(|| unauthenticated("use `Authorization: Bearer <token>`"))?.trim();
            Some(token.to_owned())
        }
    };
    let keys = &state.auth.keys;
    if let Some(secret) = bearer.as_deref().filter(|t| t.starts_with(TOKEN_PREFIX)) {
        let (token, user) = state
            .store
            .token(&keys.token_hash(secret), now)
            .await?
            .ok_or_else(|| unauthenticated("this API token is not valid, was revoked or has expired"))?;
        if user.disabled {
            return Err(unauthenticated("this account is disabled"));
        }
        // Record use at most once a minute per token, off the request's path.
        if token.last_used_at.is_none_or(|t| now.duration_since(t) > SignedDuration::from_secs(60)) {
            let store = state.store.clone();
            let (clinic, id) = (token.clinic, token.id);
            tokio::spawn(async move {
                let _ = store.execute(Command::TouchToken(clinic, id)).await;
            });
        }
        return Ok(Some(Principal { user, via: Via::Token(token) }));
    }
    let (secret, cookie) = match bearer {
        Some(b) if b.starts_with(SESSION_PREFIX) => (b, false),
        Some(_) => return Err(unauthenticated("this bearer token is not one Nobat issued")),
        None => match cookie_value(parts) {
            Some(c) => (c, true),
            None => return Ok(None),
        },
    };
    // Browsers say where a request came from. A cookie that arrives with a request started on
    // another site is ignored — the request is anonymous — not even honoured for a GET, since
    // some GETs are recorded (a staff member's view of a patient's record) and a link from
    // elsewhere must not forge that. Public pages (a manage link opened from webmail) still work.
    if cookie && parts.headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site") {
        return Ok(None);
    }
    let id_hash = keys.token_hash(&secret);
    let Some((session, user)) = state.store.session(&id_hash, now).await? else {
        // A browser keeps sending a cookie after its session ended (signed out elsewhere,
        // expired): public routes must not break for it; staff routes answer 401 anyway.
        if cookie {
            return Ok(None);
        }
        return Err(unauthenticated("the session has expired; sign in again"));
    };
    if user.disabled {
        return Err(unauthenticated("this account is disabled"));
    }
    if cookie && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf-token-missing",
                "Missing CSRF token",
                "send the session's CSRF token in the X-CSRF-Token header (GET /api/v1/auth/session gives it)",
            ));
        }
    }
    // Sliding expiry, written at most every five minutes per session.
    if now.duration_since(session.last_seen) > SignedDuration::from_mins(5) {
        let store = state.store.clone();
        let expires_at = now.checked_add(state.auth.session_idle).unwrap_or(now);
        let id_hash = id_hash.clone();
        tokio::spawn(async move {
            let _ = store.execute(Command::TouchSession { id_hash, expires_at }).await;
        });
    }
    let via = Via::Session { id_hash, csrf_token: session.csrf_token, cookie, expires_at: session.expires_at };
    Ok(Some(Principal { user, via }))
}

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        Ok(Self(authenticate(parts, state).await?))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match authenticate(parts, state).await? {
            Some(p) if p.is_session() => Ok(Self(p)),
            Some(_) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "session-required",
                "Sign in as yourself",
                "API tokens act for one clinic; account settings need a signed-in session",
            )),
            None => Err(unauthenticated("sign in to use your account")),
        }
    }
}
