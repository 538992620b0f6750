//! A staff member wrote a secure message → the patient is told there is one, on their channel
//! (email, else SMS), in their language. The notice names the clinic and carries a link, never
//! the message: the text stays sealed in the database and is read from the manage link.

use super::Dispatcher;
use nobat_i18n::Lang;
use nobat_notify::{ChannelKind, MessageKind};
use nobat_store::commands::{NewMessage, OutboxItem};
use serde_json::json;

pub async fn plan(d: &Dispatcher, item: &OutboxItem) -> anyhow::Result<Vec<NewMessage>> {
    // The patient's own messages tell nobody (staff see unread counts).
    if item.payload.get("from_staff").and_then(|v| v.as_bool()) != Some(true) {
        return Ok(Vec::new());
    }
    let Some(patient) = item.payload.get("patient").and_then(|v| v.as_str()).and_then(|p| p.parse().ok()) else {
        return Ok(Vec::new());
    };
    let p = match d.store.patient(item.clinic, patient).await {
        Ok(p) => p,
        // Erased since: nobody to tell.
        Err(nobat_store::StoreError::NotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let email = p.email.clone().filter(|_| d.registry.has(ChannelKind::Email)).map(|e| (ChannelKind::Email, e));
    let sms = p.phone.clone().filter(|_| d.registry.has(ChannelKind::Sms)).map(|n| (ChannelKind::Sms, n));
    let Some((channel, recipient)) = email.or(sms) else { return Ok(Vec::new()) };
    let clinic_lang = d.store.clinic_name_language(item.clinic).await?.and_then(|(_, l)| Lang::from_tag(&l));
    let lang = Lang::negotiate(p.language.as_deref().and_then(Lang::from_tag), clinic_lang);
    Ok(vec![NewMessage {
        appointment: None,
        kind: MessageKind::SecureMessage.as_str().into(),
        channel: channel.as_str().into(),
        recipient,
        language: lang.code().into(),
        source: format!("outbox:{}:patient", item.id),
        facts: json!({ "patient": p.name, "link": d.public_url.trim_end_matches('/') }),
        fallback: None,
    }])
}
