//! The admin page's message settings: the clinic's own wording of message templates (per
//! language) and its own channel credentials (SMS, Telegram, WhatsApp). Each form runs the REST
//! handler of the same change (`routes::message_templates`, `routes::channels`); secrets are
//! typed into password fields and never shown back, as the API never returns them.

use super::{Choice, Posted, Row};
use crate::AppState;
use crate::auth::grant::{Staff, Visitor, grant};
use crate::extract::ApiJson;
use crate::problem::{ApiError, ApiResult};
use crate::routes::{channels, message_templates};
use axum::extract::{Path, State};
use nobat_core::ClinicId;
use nobat_core::access::Capability;
use nobat_notify::ChannelKind;
use nobat_notify::settings::credential_fields;
use serde_json::{Map, Value};

/// The channels a clinic may bring its own credentials for (as the API).
const CHANNELS: [ChannelKind; 3] = [ChannelKind::Sms, ChannelKind::Telegram, ChannelKind::Whatsapp];

/// The forms of this section, by the last segment of their address.
pub const FORMS: &[&str] = &["template", "reset-template", "channel", "delete-channel"];

/// One credential input: every field any of the channels takes (the API says which belong).
pub struct CredField {
    pub name: &'static str,
    pub secret: bool,
}

pub fn credential_inputs() -> Vec<CredField> {
    let mut out: Vec<CredField> = Vec::new();
    for kind in CHANNELS {
        for &(name, secret) in credential_fields(kind) {
            if !out.iter().any(|f| f.name == name) {
                out.push(CredField { name, secret });
            }
        }
    }
    out
}

pub fn channel_choices() -> Vec<Choice> {
    CHANNELS.iter().map(|k| Choice { value: k.as_str().to_owned(), label: k.as_str().to_owned() }).collect()
}

pub fn template_choices() -> Vec<Choice> {
    nobat_i18n::Messages::template_keys().into_iter().map(|k| Choice { label: k.clone(), value: k }).collect()
}

/// The clinic's template overrides: key, language, text; the row's id is `key|lang`.
pub async fn template_rows(state: &AppState, clinic: ClinicId) -> ApiResult<Vec<Row>> {
    Ok(state
        .store
        .message_templates(clinic)
        .await?
        .into_iter()
        .map(|t| Row { id: format!("{}|{}", t.key, t.lang), cells: vec![t.key, t.lang, t.text], toggle: None })
        .collect())
}

/// The clinic's own channels: which fields are set (never the secrets' values).
pub async fn channel_rows(state: &AppState, clinic: ClinicId) -> ApiResult<Vec<Row>> {
    Ok(state
        .store
        .channel_credentials(clinic)
        .await?
        .into_iter()
        .map(|c| Row { id: c.channel.clone(), cells: vec![c.channel, c.fields.join(", ")], toggle: None })
        .collect())
}

async fn staff<C: Capability>(state: &AppState, v: &Visitor) -> ApiResult<Staff<C>> {
    let p = v.principal.as_ref().ok_or_else(|| crate::auth::principal::unauthenticated("sign in as staff"))?;
    grant::<C>(state, p, v.ctx.clone()).await
}

fn json<T>(value: T) -> ApiJson<T> {
    ApiJson { value, canonical: String::new() }
}

/// Does form `name` of this section; `None` when the form is not one of its own.
pub async fn apply(state: &AppState, v: &Visitor, clinic: &str, name: &str, p: &Posted) -> Option<ApiResult<()>> {
    let s = State(state.clone());
    let c = clinic.to_owned();
    let done = match name {
        "template" => {
            let path = Path((c, p.get("key"), p.get("lang")));
            let body = message_templates::TemplateInput { text: p.get("text") };
            match staff(state, v).await {
                Ok(st) => message_templates::put_template(s, st, path, json(body)).await.map(drop),
                Err(e) => Err(e),
            }
        }
        "reset-template" => {
            let id = p.get("id");
            let (key, lang) = id.split_once('|').unwrap_or((id.as_str(), ""));
            let path = Path((c, key.to_owned(), lang.to_owned()));
            match staff(state, v).await {
                Ok(st) => message_templates::delete_template(s, st, path).await.map(drop),
                Err(e) => Err(e),
            }
        }
        "channel" => {
            // Only the fields filled in: a blank field is one the channel does not take.
            let mut body = Map::new();
            for f in credential_inputs() {
                if let Some(value) = p.opt(f.name) {
                    body.insert(f.name.to_owned(), Value::String(value));
                }
            }
            match staff(state, v).await {
                Ok(st) => channels::put_channel(s, st, Path((c, p.get("channel"))), json(body)).await.map(drop),
                Err(e) => Err(e),
            }
        }
        "delete-channel" => match staff(state, v).await {
            Ok(st) => channels::delete_channel(s, st, Path((c, p.get("id")))).await.map(drop),
            Err(e) => Err(e),
        },
        _ => return None,
    };
    Some(done.map_err(|e: ApiError| e))
}
