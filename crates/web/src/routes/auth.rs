//! Signing in and out, and registering as a patient.

use crate::AppState;
use crate::auth::limits::ClientNet;
use crate::auth::principal::{COOKIE, SESSION_PREFIX, SignedIn, Via};
use crate::auth::{keys, password, totp};
use crate::extract::ApiJson;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use jiff::Timestamp;
use nobat_core::UserId;
use nobat_store::commands::{NewUser, TotpChange};
use nobat_store::identity::{LoginKey, Session, User};
use nobat_store::{AuditActor, Command, Output, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
    /// The 6-digit code from the authenticator app, when 2FA is on.
    pub totp_code: Option<String>,
    /// Instead of a code: one of the recovery codes (each works once).
    pub recovery_code: Option<String>,
    /// `true` for clients that are not browsers: the session secret comes back in the body,
    /// to send as `Authorization: Bearer`, and no cookie is set.
    #[serde(default)]
    pub bearer: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_operator: bool,
    pub two_factor: bool,
}

impl UserDto {
    pub fn new(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.clone(),
            name: u.name.clone(),
            is_operator: u.is_operator,
            two_factor: u.totp_enabled(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub user: UserDto,
    /// Send it as `X-CSRF-Token` with every unsafe request made with the session cookie.
    pub csrf_token: String,
    pub expires_at: String,
    /// Only when `bearer` was asked for: send as `Authorization: Bearer <token>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

pub(crate) fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
        "Wrong email or password",
        "the email or password is wrong",
    )
}

pub(crate) fn normalise_email(field: &str, raw: &str) -> ApiResult<String> {
    let email = raw.trim().to_lowercase();
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(ApiError::invalid(field, "this does not look like an email address"));
    }
    Ok(email)
}

/// Sign in. Repeated failures from one network lock that network out of the account for a
/// while (30 s, doubling, up to an hour); with 2FA on, a code or a recovery code is needed too.
/// A locked account, an unknown email and a wrong password get the same answer.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginInput,
    responses((status = 200, body = SessionDto),
              (status = 401, body = Problem, content_type = "application/problem+json", description = "wrong credentials (or locked for a while), or a second factor is needed"),
              (status = 429, body = Problem, content_type = "application/problem+json", description = "too many attempts from this address or for this email")))]
pub async fn login(
    State(state): State<AppState>,
    ClientNet(network): ClientNet,
    body: ApiJson<LoginInput>,
) -> ApiResult<(HeaderMap, Json<SessionDto>)> {
    let input = body.value;
    let email = input.email.trim().to_lowercase();
    state.auth.limits.login_account(&email, &network)?;
    let now = Timestamp::now();
    let key = login_key(&state, &email, network);
    let user = state.store.user_by_email(&email).await?;
    let lock = state.store.login_lock(&key).await?;
    // The password is checked even when the answer is already decided (unknown email, locked),
    // so that every refusal costs the same time and none tells an address that exists.
    let ok = password::verify(input.password, user.as_ref().map(|u| u.password_hash.clone())).await;
    if lock.refused_until(now).is_some() {
        metrics::counter!("nobat_logins_total", "outcome" => "locked").increment(1);
        return Err(invalid_credentials());
    }
    metrics::counter!("nobat_logins_total", "outcome" => if ok { "password_ok" } else { "password_wrong" })
        .increment(1);
    let known = user.as_ref().map(|u| u.id);
    let Some(user) = user.filter(|u| ok && !u.disabled) else {
        state.store.execute(Command::LoginFailed { key, user: known }).await?;
        return Err(invalid_credentials());
    };
    if let Some(sealed) = &user.totp_secret {
        let factor = SecondFactor { code: input.totp_code.as_deref(), recovery: input.recovery_code.as_deref() };
        second_factor(&state, &user, sealed, factor, &key, now).await?;
    }
    open_session(&state, user, key, input.bearer, now).await
}

/// Starts a session for `user`, who has passed every factor (the API's sign-in and the sign-in
/// page's second step): the cookie for a browser, the secret in the body for `bearer` clients.
pub(crate) async fn open_session(
    state: &AppState,
    user: User,
    key: LoginKey,
    bearer: bool,
    now: Timestamp,
) -> ApiResult<(HeaderMap, Json<SessionDto>)> {
    let secret = format!("{SESSION_PREFIX}{}", keys::random_b64(32));
    let session = Session {
        id_hash: state.auth.keys.token_hash(&secret),
        user: user.id,
        csrf_token: keys::random_b64(24),
        created_at: now,
        last_seen: now,
        expires_at: now.checked_add(state.auth.session_idle).unwrap_or(now),
    };
    state.store.execute(Command::CreateSession(session.clone(), Box::new(user.clone()), Some(key))).await?;
    let mut headers = HeaderMap::new();
    if !bearer {
        headers.insert(header::SET_COOKIE, session_cookie(state, &secret, state.auth.session_idle.as_secs())?);
    }
    Ok((
        headers,
        Json(SessionDto {
            user: UserDto::new(&user),
            csrf_token: session.csrf_token,
            expires_at: session.expires_at.to_string(),
            token: bearer.then_some(secret),
        }),
    ))
}

/// How lockout names a sign-in attempt: a keyed hash of the email (computed alike for
/// addresses without an account) and the caller's network.
pub(crate) fn login_key(state: &AppState, email: &str, network: String) -> LoginKey {
    LoginKey { account: state.auth.keys.token_hash(&format!("login:{}", email.trim().to_lowercase())), network }
}

/// What the caller sent as a second factor.
#[derive(Clone, Copy)]
pub(crate) struct SecondFactor<'a> {
    pub code: Option<&'a str>,
    pub recovery: Option<&'a str>,
}

/// Checks a second factor; wrong codes count towards the lockout of `key`.
pub(crate) async fn second_factor(
    state: &AppState,
    user: &User,
    sealed: &str,
    factor: SecondFactor<'_>,
    key: &LoginKey,
    now: Timestamp,
) -> ApiResult<()> {
    let failed = || Command::LoginFailed { key: key.clone(), user: Some(user.id) };
    match (factor.code.filter(|c| !c.trim().is_empty()), factor.recovery.filter(|c| !c.trim().is_empty())) {
        (Some(code), _) => {
            let secret = totp::open(&state.auth.keys, sealed).ok_or_else(|| {
                tracing::error!(user = %user.id, "a TOTP secret does not decrypt: was the secret key changed?");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "two-factor check failed",
                )
            })?;
            let Some(step) = totp::check(&secret, code, now.as_second().max(0) as u64) else {
                state.store.execute(failed()).await?;
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "totp-invalid",
                    "Wrong code",
                    "the code is wrong or too old",
                )
                .with_field("totp_code"));
            };
            state.store.execute(Command::ChangeTotp(user.id, TotpChange::UseStep(step))).await.map_err(
                |e| match e {
                    StoreError::Domain(_) => ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "totp-invalid",
                        "Code already used",
                        "wait for the next code",
                    )
                    .with_field("totp_code"),
                    other => other.into(),
                },
            )?;
        }
        (None, Some(rc)) => {
            let hash = state.auth.keys.code_hash(&format!("recovery:{}", user.id), &totp::normalise_recovery(rc));
            let used = state.store.execute(Command::ChangeTotp(user.id, TotpChange::UseRecovery(hash))).await;
            if matches!(used, Err(StoreError::Domain(_))) {
                // A wrong recovery code is a failed sign-in like a wrong TOTP code.
                state.store.execute(failed()).await?;
            }
            used.map_err(|e| match e {
                StoreError::Domain(_) => ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "recovery-code-invalid",
                    "Wrong recovery code",
                    "this recovery code is wrong or was already used",
                )
                .with_field("recovery_code"),
                other => other.into(),
            })?;
        }
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "totp-required",
                "Two-factor code needed",
                "this account uses two-factor authentication: send totp_code (or a recovery_code)",
            )
            .with_field("totp_code"));
        }
    }
    Ok(())
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> ApiResult<HeaderValue> {
    let cookie = cookie::Cookie::build((COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(max_age))
        .secure(state.auth.tls())
        .build();
    HeaderValue::from_str(&cookie.to_string()).map_err(|_| ApiError::bad_request("cannot set the cookie"))
}

/// Sign out: the session ends everywhere it was used.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "signed out")))]
pub async fn logout(State(state): State<AppState>, me: SignedIn) -> ApiResult<(StatusCode, HeaderMap)> {
    if let Via::Session { id_hash, .. } = &me.0.via {
        state.store.execute(Command::EndSession(id_hash.clone())).await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&state, "", 0)?);
    Ok((StatusCode::NO_CONTENT, headers))
}

/// The current session: who is signed in, and the CSRF token for cookie clients.
#[utoipa::path(get, path = "/api/v1/auth/session", tag = "accounts", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SessionDto), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn session(me: SignedIn) -> ApiResult<Json<SessionDto>> {
    let Via::Session { csrf_token, expires_at, .. } = &me.0.via else {
        return Err(ApiError::bad_request("this is a session's own page; sign in with a session"));
    };
    Ok(Json(SessionDto {
        user: UserDto::new(&me.0.user),
        csrf_token: csrf_token.clone(),
        expires_at: expires_at.to_string(),
        token: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// Create a patient account, to see one's appointments in every clinic in one place.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterInput,
    responses((status = 201, body = UserDto), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn register(
    State(state): State<AppState>,
    body: ApiJson<RegisterInput>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let input = body.value;
    let email = normalise_email("email", &input.email)?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "give your name (1 to 200 characters)"));
    }
    password::check_policy("password", &input.password)?;
    let user =
        create_user(&state, email, name, input.password, false, AuditActor::new("self", "self-registration")).await?;
    Ok((StatusCode::CREATED, Json(UserDto::new(&user))))
}

/// Creates an account (registration, staff invitations, the command line goes through the
/// store directly with the same command).
pub(crate) async fn create_user(
    state: &AppState,
    email: String,
    name: String,
    password: String,
    is_operator: bool,
    actor: AuditActor,
) -> ApiResult<User> {
    let password_hash = password::hash(password).await?;
    let user = new_user(UserId::new(), email, name, password_hash, is_operator);
    match state.store.execute(Command::CreateUser(NewUser { user, actor })).await? {
        Output::User(u) => Ok(*u),
        other => Err(super::unexpected(other)),
    }
}

/// A user record with nothing set beyond the basics.
pub fn new_user(id: UserId, email: String, name: String, password_hash: String, is_operator: bool) -> User {
    User {
        id,
        email,
        name,
        password_hash,
        is_operator,
        totp_secret: None,
        totp_pending: None,
        totp_last_step: None,
        failed_logins: 0,
        locked_until: None,
        disabled: false,
        created_at: Timestamp::now(),
    }
}

/// Checks the signed-in user's password before a sensitive change (new password, 2FA off,
/// erasure, a new API token). Wrong guesses count towards the same lockout as sign-ins from
/// the caller's network, so a stolen session cannot be used to guess the password. The holder
/// is signed in, so a lock is said plainly here (429), unlike at sign-in.
pub(crate) async fn confirm_password(
    state: &AppState,
    user: &User,
    network: &str,
    field: &str,
    password: String,
) -> ApiResult<LoginKey> {
    let now = Timestamp::now();
    let fresh = state.store.user(user.id).await?;
    let key = login_key(state, &fresh.email, network.to_owned());
    if let Some(until) = state.store.login_lock(&key).await?.refused_until(now) {
        let secs = until.duration_since(now).as_secs().max(1) as u64;
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "account-locked",
            "Too many wrong passwords",
            format!("this account is locked for {secs} s after repeated wrong passwords"),
        )
        .retry_after(secs));
    }
    if !password::verify(password, Some(fresh.password_hash)).await {
        state.store.execute(Command::LoginFailed { key, user: Some(user.id) }).await?;
        return Err(ApiError::invalid(field, "the password is wrong"));
    }
    Ok(key)
}
