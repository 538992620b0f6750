//! Owners and admins: the clinic's own channel credentials (its Twilio or Kavenegar account,
//! Telegram bot, WhatsApp number) and its webhook endpoints. Secrets go in and are never
//! shown again: a GET says which fields are set, not their values; a webhook's signing secret
//! is shown once, in the answer that creates it.

use crate::AppState;
use crate::auth::grant::Staff;
use crate::auth::keys::random_b64;
use crate::auth::vault;
use crate::extract::ApiJson;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::ManageChannels;
use nobat_notify::settings::credential_fields;
use nobat_notify::{ChannelKind, ChannelSettings};
use nobat_store::commands::{ChannelCommand, NewWebhook};
use nobat_store::reads::StoredCredentials;
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The channels a clinic may bring its own credentials for.
const OWN_CREDENTIALS: [ChannelKind; 3] = [ChannelKind::Sms, ChannelKind::Telegram, ChannelKind::Whatsapp];

fn channel_kind(raw: &str) -> ApiResult<ChannelKind> {
    ChannelKind::parse(raw)
        .filter(|k| OWN_CREDENTIALS.contains(k))
        .ok_or_else(|| ApiError::invalid("channel", format!("`{raw}` is not one of sms, telegram, whatsapp")))
}

/// Which credential fields a clinic has set for a channel (never their values).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelCredentialsDto {
    pub channel: String,
    /// Names of the fields that are set, e.g. `["account_sid", "auth_token", "from", "provider"]`.
    pub fields_set: Vec<String>,
    /// Values of the fields that are not secrets (`provider`, `from`, `phone_number_id`…).
    pub settings: Map<String, Value>,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelCredentialsList {
    pub channels: Vec<ChannelCredentialsDto>,
}

fn dto(state: &AppState, clinic: &str, c: &StoredCredentials) -> ChannelCredentialsDto {
    // Non-secret values are shown back from the opened record; a record that no longer opens
    // (the instance secret changed) shows names only.
    let kind = ChannelKind::parse(&c.channel);
    let opened = vault::open(&state.auth.keys, &vault::credentials_aad(clinic, &c.channel), &c.sealed)
        .and_then(|b| serde_json::from_slice::<Map<String, Value>>(&b).ok())
        .unwrap_or_default();
    let public: Map<String, Value> = opened
        .into_iter()
        .filter(|(k, _)| {
            kind.is_some_and(|kind| credential_fields(kind).iter().any(|(name, secret)| name == k && !secret))
        })
        .collect();
    ChannelCredentialsDto {
        channel: c.channel.clone(),
        fields_set: c.fields.clone(),
        settings: public,
        updated_at: c.updated_at.to_string(),
    }
}

#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/channels", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = ChannelCredentialsList), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_channels(
    State(state): State<AppState>,
    staff: Staff<ManageChannels>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<ChannelCredentialsList>> {
    let clinic = staff.ctx.clinic.id;
    let stored = state.store.channel_credentials(clinic).await?;
    let id = clinic.to_string();
    Ok(Json(ChannelCredentialsList { channels: stored.iter().map(|c| dto(&state, &id, c)).collect() }))
}

#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/channels/{channel}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("channel" = String, Path, description = "sms, telegram or whatsapp")),
    responses((status = 200, body = ChannelCredentialsDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn get_channel(
    State(state): State<AppState>,
    staff: Staff<ManageChannels>,
    Path((_clinic, channel)): Path<(String, String)>,
) -> ApiResult<Json<ChannelCredentialsDto>> {
    let kind = channel_kind(&channel)?;
    let clinic = staff.ctx.clinic.id;
    let stored = state
        .store
        .channel_credential(clinic, kind.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("channel credentials"))?;
    Ok(Json(dto(&state, &clinic.to_string(), &stored)))
}

#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/channels/{channel}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("channel" = String, Path, description = "sms, telegram or whatsapp")),
    request_body(content = Object, description = "sms: `provider` (twilio or kavenegar) with `account_sid`, `auth_token`, `from` or `messaging_service_sid` (twilio) or `api_key`, `sender` (kavenegar); telegram: `bot_token`; whatsapp: `phone_number_id`, `access_token`. Replaces what was set."),
    responses((status = 200, body = ChannelCredentialsDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_channel(
    State(state): State<AppState>,
    staff: Staff<ManageChannels>,
    Path((_clinic, channel)): Path<(String, String)>,
    body: ApiJson<Map<String, Value>>,
) -> ApiResult<Json<ChannelCredentialsDto>> {
    let kind = channel_kind(&channel)?;
    let clinic = staff.ctx.clinic.id;
    let fields = credential_fields(kind);
    let mut creds = Map::new();
    for (name, value) in body.value {
        if !fields.iter().any(|(f, _)| *f == name) {
            let known: Vec<&str> = fields.iter().map(|(f, _)| *f).collect();
            return Err(ApiError::invalid(
                name,
                format!("not a {} credential; use {}", kind.as_str(), known.join(", ")),
            ));
        }
        match value {
            Value::String(s) if !s.trim().is_empty() && s.chars().count() <= 500 => {
                creds.insert(name, Value::String(s.trim().to_owned()));
            }
            _ => return Err(ApiError::invalid(name, "must be a non-empty text of at most 500 characters")),
        }
    }
    let creds = Value::Object(creds);
    // The same validation the registry applies when it builds the clinic's channel.
    ChannelSettings::default().clinic_provider(kind, &creds).map_err(|e| ApiError::invalid(e.field, e.message))?;
    let mut set: Vec<String> = creds.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    set.sort();
    let id = clinic.to_string();
    let sealed =
        vault::seal(&state.auth.keys, &vault::credentials_aad(&id, kind.as_str()), creds.to_string().as_bytes());
    let cmd = ChannelCommand::PutCredentials {
        clinic,
        channel: kind.as_str().to_owned(),
        sealed,
        fields: set,
        actor: staff.actor(),
    };
    match state.store.execute(Command::Channels(cmd)).await? {
        Output::Done => {}
        other => return Err(super::unexpected(other)),
    }
    let stored = state
        .store
        .channel_credential(clinic, kind.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("channel credentials"))?;
    Ok(Json(dto(&state, &id, &stored)))
}

#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/channels/{channel}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("channel" = String, Path, description = "sms, telegram or whatsapp")),
    responses((status = 204, description = "removed: the instance's channel is used again"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_channel(
    State(state): State<AppState>,
    staff: Staff<ManageChannels>,
    Path((_clinic, channel)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let kind = channel_kind(&channel)?;
    let cmd = ChannelCommand::DeleteCredentials {
        clinic: staff.ctx.clinic.id,
        channel: kind.as_str().to_owned(),
        actor: staff.actor(),
    };
    state.store.execute(Command::Channels(cmd)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook endpoint to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// `https://…` (or `http://`). Its host must resolve to public addresses only, unless the
    /// operator allows private ones (`webhook_allow_private_addresses`).
    pub url: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: String,
    pub url: String,
    pub description: String,
    pub created_at: String,
    /// Only in the answer that creates the endpoint: verify `X-Nobat-Signature` with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookDto>,
}

#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/webhooks", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = WebhookInput,
    responses((status = 201, body = WebhookDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_webhook(
    State(state): State<AppState>,
    staff: Staff<ManageChannels>,
    Path(_clinic): Path<String>,
    body: ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookDto>)> {
    let clinic = staff.ctx.clinic.id;
    let i = body.value;
    let url = i.url.trim().to_owned();
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2000
        && url.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(ApiError::invalid("url", "must be an https:// (or http://) URL of at most 2000 characters"));
    }
    if i.description.chars().count() > 200 {
        return Err(ApiError::invalid("description", "keep the description under 200 characters"));
    }
    if !state.webhooks_allow_private
        && let Err(why) = crate::webhook_target::check_public(&url).await
    {
        return Err(ApiError::invalid("url", format!("the URL {why}")));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let secret = format!("whsec_{}", random_b64(32));
    let sealed = vault::seal(&state.auth.keys, &vault::webhook_aad(&clinic.to_string(), &id), secret.as_bytes());
    let endpoint =
        NewWebhook { id: id.clone(), url: url.clone(), secret_sealed: sealed, description: i.description.clone() };
    let cmd = ChannelCommand::CreateWebhook { clinic, endpoint, actor: staff.actor() };
    match state.store.execute(Command::Channels(cmd)).await? {
        Output::Done => {}
        other => return Err(super::unexpected(other)),
    }
    let created_at = jiff::Timestamp::now().to_string();
    Ok((
        StatusCode::CREATED,
        Json(WebhookDto { id, url, description: i.description, created_at, secret: Some(secret) }),
    ))
}

#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/webhooks", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = WebhookList), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    staff: Staff<ManageChannels>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<WebhookList>> {
    let list = state.store.webhooks(staff.ctx.clinic.id).await?;
    Ok(Json(WebhookList {
        webhooks: list
            .into_iter()
            .map(|w| WebhookDto {
                id: w.id,
                url: w.url,
                description: w.description,
                created_at: w.created_at.to_string(),
                secret: None,
            })
            .collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/webhooks/{id}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    staff: Staff<ManageChannels>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let cmd = ChannelCommand::DeleteWebhook { clinic: staff.ctx.clinic.id, id, actor: staff.actor() };
    state.store.execute(Command::Channels(cmd)).await?;
    Ok(StatusCode::NO_CONTENT)
}
