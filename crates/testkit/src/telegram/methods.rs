//! The Bot API methods the fake implements, with the API's validation and error texts.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use std::sync::Arc;

use super::{BotMessage, Bots, Button, CallbackAnswer, Inner, Speaker, State, TranscriptLine, now_unix, webhook};
use crate::http::{HttpRequest, HttpResponse};

type Params = Map<String, Value>;
type Answer = Result<Value, HttpResponse>;

pub(crate) fn api_error(code: u16, description: &str) -> HttpResponse {
    HttpResponse::json(code, &json!({ "ok": false, "error_code": code, "description": description }))
}

fn bad_request(what: &str) -> HttpResponse {
    api_error(400, &format!("Bad Request: {what}"))
}

pub(crate) fn too_many(retry_after: u64) -> HttpResponse {
    HttpResponse::json(
        429,
        &json!({
            "ok": false,
            "error_code": 429,
            "description": format!("Too Many Requests: retry after {retry_after}"),
            "parameters": { "retry_after": retry_after },
        }),
    )
    // No Retry-After header: Telegram only says it in `parameters`, and an adapter that read
    // the header would pass here and fail against the real API.
}

pub(crate) async fn dispatch(bots: &Bots, req: HttpRequest) -> HttpResponse {
    let segs = req.segments();
    let (Some(bot), Some(method)) = (segs.first(), segs.get(1)) else {
        return api_error(404, "Not Found");
    };
    let Some(token) = bot.strip_prefix("bot") else {
        return api_error(404, "Not Found");
    };
    let found = bots.lock().unwrap_or_else(|e| e.into_inner()).get(token).cloned();
    let Some(inner) = found else {
        return api_error(401, "Unauthorized");
    };
    let inner = &inner;
    let params = req.params();
    // Method names are case-insensitive in the Bot API.
    let result = match method.to_ascii_lowercase().as_str() {
        "getme" => Ok(get_me(&inner.lock())),
        "getupdates" => get_updates(inner, &params).await,
        "sendmessage" => send_message(inner, &params),
        "editmessagetext" => edit_message(inner, &params, true),
        "editmessagereplymarkup" => edit_message(inner, &params, false),
        "answercallbackquery" => answer_callback(inner, &params),
        "deletemessage" => delete_message(inner, &params),
        "sendchataction" => Ok(json!(true)),
        "setwebhook" => set_webhook(inner, &params),
        "deletewebhook" => {
            inner.set_webhook_task(None);
            let mut st = inner.lock();
            st.webhook = None;
            if bool_param(&params, "drop_pending_updates") {
                st.updates.clear();
            }
            Ok(json!(true))
        }
        "getwebhookinfo" => {
            let st = inner.lock();
            let url = st.webhook.as_ref().and_then(|w| w["url"].as_str().map(str::to_owned)).unwrap_or_default();
            let mut info = json!({
                "url": url,
                "has_custom_certificate": false,
                "pending_update_count": st.updates.len(),
            });
            if let Some((date, message)) = &st.webhook_last_error {
                info["last_error_date"] = json!(date);
                info["last_error_message"] = json!(message);
            }
            Ok(info)
        }
        _ => Err(api_error(404, "Not Found")),
    };
    match result {
        Ok(result) => HttpResponse::json(200, &json!({ "ok": true, "result": result })),
        Err(e) => e,
    }
}

fn str_param(p: &Params, name: &str) -> Option<String> {
    match p.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        v => Some(v.to_string()),
    }
}

fn int_param(p: &Params, name: &str) -> Option<i64> {
    match p.get(name)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn bool_param(p: &Params, name: &str) -> bool {
    matches!(p.get(name), Some(Value::Bool(true)))
        || matches!(p.get(name), Some(Value::String(s)) if s == "true" || s == "1")
}

fn set_webhook(inner: &Arc<Inner>, p: &Params) -> Answer {
    let url = str_param(p, "url").unwrap_or_default();
    if url.is_empty() {
        // An empty URL removes the webhook, as the real API does.
        inner.set_webhook_task(None);
        inner.lock().webhook = None;
        return Ok(json!(true));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(bad_request("bad webhook: Failed to resolve host: Name or service not known"));
    }
    let secret = str_param(p, "secret_token");
    if let Some(s) = &secret {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if s.is_empty() || s.len() > 256 || !s.chars().all(allowed) {
            return Err(bad_request("secret token contains unallowed characters"));
        }
    }
    {
        let mut st = inner.lock();
        if bool_param(p, "drop_pending_updates") {
            st.updates.clear();
        }
        st.webhook = Some(Value::Object(p.clone()));
        st.webhook_last_error = None;
    }
    // The fake pushes updates itself, as Telegram does (plain http is fine on loopback).
    let task = tokio::spawn(webhook::deliver(inner.clone(), url, secret));
    inner.set_webhook_task(Some(task));
    Ok(json!(true))
}

fn get_me(st: &State) -> Value {
    json!({
        "id": st.bot_id,
        "is_bot": true,
        "first_name": "Nobat Test Bot",
        "username": st.bot_username,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
    })
}

async fn get_updates(inner: &Inner, p: &Params) -> Answer {
    if inner.lock().webhook.is_some() {
        return Err(api_error(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook \
             to delete the webhook first",
        ));
    }
    let offset = int_param(p, "offset");
    let limit = int_param(p, "limit").unwrap_or(100).clamp(1, 100) as usize;
    let timeout = int_param(p, "timeout").unwrap_or(0).clamp(0, 50) as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    // A newer getUpdates ends a waiting one with 409, as Telegram does when two instances of
    // a bot poll at once; waiting pollers are woken to notice.
    let me = {
        let mut st = inner.lock();
        st.poll_generation += 1;
        st.poll_generation
    };
    inner.new_update.notify_waiters();
    loop {
        let notified = inner.new_update.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = inner.lock();
            if st.poll_generation != me {
                drop(st);
                inner.poll_conflicts.push(std::time::SystemTime::now());
                return Err(api_error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one \
                     bot instance is running",
                ));
            }
            // An offset confirms every update with a smaller id: they are forgotten. A negative
            // offset -n keeps only the last n updates (and forgets the rest), as documented.
            match offset {
                Some(off) if off > 0 => {
                    while st.updates.front().is_some_and(|(id, _)| *id < off) {
                        st.updates.pop_front();
                    }
                }
                Some(off) if off < 0 => {
                    let keep = off.unsigned_abs() as usize;
                    while st.updates.len() > keep {
                        st.updates.pop_front();
                    }
                }
                _ => {}
            }
            let batch: Vec<Value> = st
                .updates
                .iter()
                .filter(|(id, _)| offset.is_none_or(|o| o <= 0 || *id >= o))
                .take(limit)
                .map(|(_, u)| u.clone())
                .collect();
            if !batch.is_empty() || timeout == 0 {
                return Ok(Value::Array(batch));
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return Ok(json!([]));
        }
    }
}

/// `reply_markup` as an object, whether sent as JSON or as a JSON string in a form.
fn markup(p: &Params) -> Result<Option<Value>, HttpResponse> {
    let m = match p.get("reply_markup") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .map_err(|_| bad_request("can't parse reply keyboard markup JSON object"))?,
        Some(v) => v.clone(),
    };
    if !m.is_object() {
        return Err(bad_request("can't parse reply keyboard markup JSON object"));
    }
    if let Some(rows) = m.get("inline_keyboard") {
        let Some(rows) = rows.as_array() else {
            return Err(bad_request("field \"inline_keyboard\" must be an Array"));
        };
        for b in rows.iter().flat_map(|r| r.as_array().cloned().unwrap_or_default()) {
            if b["text"].as_str().is_none_or(str::is_empty) {
                return Err(bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
            let data = b["callback_data"].as_str();
            if data.is_some_and(|d| d.is_empty() || d.len() > 64) {
                return Err(bad_request("BUTTON_DATA_INVALID"));
            }
            if data.is_none()
                && b.get("url").is_none()
                && b.get("login_url").is_none()
                && b.get("switch_inline_query").is_none()
                && b.get("web_app").is_none()
                && b.get("copy_text").is_none()
            {
                return Err(bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
        }
    }
    Ok(Some(m))
}

fn check_text(p: &Params) -> Result<String, HttpResponse> {
    let text = str_param(p, "text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(bad_request("message text is empty"));
    }
    if text.chars().count() > 4096 {
        return Err(bad_request("message is too long"));
    }
    Ok(text)
}

/// Flood control: `Some(retry_after)` when this send would break the configured limits.
fn flood_check(st: &mut State, chat_id: i64) -> Option<u64> {
    let limits = st.flood?;
    let now = Instant::now();
    while st.global_sends.front().is_some_and(|t| now.duration_since(*t) >= limits.global_window) {
        st.global_sends.pop_front();
    }
    if st.global_sends.len() >= limits.global_limit {
        return Some(1);
    }
    let last = st.chats.get(&chat_id).and_then(|c| c.last_bot_send);
    if let Some(last) = last {
        let since = now.duration_since(last);
        if since < limits.per_chat {
            return Some((limits.per_chat - since).as_secs_f64().ceil().max(1.0) as u64);
        }
    }
    st.global_sends.push_back(now);
    if let Some(c) = st.chats.get_mut(&chat_id) {
        c.last_bot_send = Some(now);
    }
    None
}

fn chat_id(p: &Params) -> Result<i64, HttpResponse> {
    match p.get("chat_id") {
        None | Some(Value::Null) => Err(bad_request("chat_id is empty")),
        _ => int_param(p, "chat_id").ok_or_else(|| bad_request("chat not found")),
    }
}

fn send_message(inner: &Inner, p: &Params) -> Answer {
    let chat_id = chat_id(p)?;
    let text = check_text(p)?;
    let markup = markup(p)?;
    let mut st = inner.lock();
    if !st.chats.contains_key(&chat_id) {
        return Err(bad_request("chat not found"));
    }
    if st.blocked.contains(&chat_id) {
        return Err(api_error(403, "Forbidden: bot was blocked by the user"));
    }
    if let Some(secs) = flood_check(&mut st, chat_id) {
        return Err(too_many(secs));
    }
    let message_id = st.next_message_id(chat_id).unwrap_or(1);
    let bot = json!({
        "id": st.bot_id, "is_bot": true, "first_name": "Nobat Test Bot",
        "username": st.bot_username,
    });
    let chat = st.chats.get_mut(&chat_id).expect("checked above");
    let mut msg = json!({
        "message_id": message_id,
        "from": bot,
        "chat": chat.user.chat_json(),
        "date": now_unix(),
        "text": text,
    });
    // Telegram echoes only inline keyboards on the message object.
    if let Some(m) = markup.as_ref().filter(|m| m.get("inline_keyboard").is_some()) {
        msg["reply_markup"] = m.clone();
    }
    chat.messages.insert(message_id, msg.clone());
    drop(st);
    let recorded = BotMessage {
        parse_mode: str_param(p, "parse_mode"),
        reply_markup: markup.clone(),
        ..BotMessage::from_message(&msg, "sendMessage")
    };
    inner.sent.push(recorded.clone());
    inner.transcript.push(TranscriptLine {
        chat_id,
        speaker: Speaker::Bot,
        kind: "message".into(),
        text: recorded.text.clone(),
        message_id: Some(message_id),
        buttons: markup_labels(markup.as_ref()),
    });
    Ok(msg)
}

fn markup_labels(markup: Option<&Value>) -> Vec<String> {
    let Some(m) = markup else { return Vec::new() };
    let mut labels: Vec<String> = Button::from_markup(m).into_iter().flatten().map(|b| b.text).collect();
    // Reply keyboards (e.g. the contact-share button) are shown too.
    if let Some(rows) = m["keyboard"].as_array() {
        for b in rows.iter().flat_map(|r| r.as_array().cloned().unwrap_or_default()) {
            let t = b["text"].as_str().or(b.as_str()).unwrap_or("");
            labels.push(t.to_owned());
        }
    }
    labels
}

fn edit_message(inner: &Inner, p: &Params, with_text: bool) -> Answer {
    let chat_id = chat_id(p)?;
    let Some(message_id) = int_param(p, "message_id") else {
        return Err(bad_request("message identifier is not specified"));
    };
    let text = if with_text { Some(check_text(p)?) } else { None };
    let markup = markup(p)?;
    let mut st = inner.lock();
    if !st.chats.contains_key(&chat_id) {
        return Err(bad_request("chat not found"));
    }
    let bot_id = st.bot_id;
    let current = st.chats[&chat_id].messages.get(&message_id).cloned();
    let Some(current) = current.filter(|m| m["from"]["id"] == json!(bot_id)) else {
        return Err(bad_request("message to edit not found"));
    };
    let mut next = current.clone();
    if let Some(t) = &text {
        next["text"] = json!(t);
    }
    match &markup {
        Some(m) if m.get("inline_keyboard").is_some() => next["reply_markup"] = m.clone(),
        _ => {
            if let Value::Object(o) = &mut next {
                o.remove("reply_markup");
            }
        }
    }
    if next["text"] == current["text"] && next.get("reply_markup") == current.get("reply_markup") {
        return Err(bad_request(
            "message is not modified: specified new message content and reply markup are \
             exactly the same as a current content and reply markup of the message",
        ));
    }
    if let Some(secs) = flood_check(&mut st, chat_id) {
        return Err(too_many(secs));
    }
    next["edit_date"] = json!(now_unix());
    if let Some(chat) = st.chats.get_mut(&chat_id) {
        chat.messages.insert(message_id, next.clone());
    }
    drop(st);
    let method = if with_text { "editMessageText" } else { "editMessageReplyMarkup" };
    let recorded = BotMessage {
        parse_mode: str_param(p, "parse_mode"),
        reply_markup: markup.clone(),
        ..BotMessage::from_message(&next, method)
    };
    inner.edits.push(recorded.clone());
    inner.transcript.push(TranscriptLine {
        chat_id,
        speaker: Speaker::Bot,
        kind: "edit".into(),
        text: recorded.text,
        message_id: Some(message_id),
        buttons: markup_labels(markup.as_ref()),
    });
    Ok(next)
}

fn answer_callback(inner: &Inner, p: &Params) -> Answer {
    let id = str_param(p, "callback_query_id").unwrap_or_default();
    let chat_id = inner.lock().open_callbacks.remove(&id);
    let Some(chat_id) = chat_id else {
        return Err(bad_request("query is too old and response timeout expired or query ID is invalid"));
    };
    let text = str_param(p, "text").filter(|t| !t.is_empty());
    inner.callback_answers.push(CallbackAnswer {
        callback_query_id: id,
        chat_id,
        text: text.clone(),
        show_alert: bool_param(p, "show_alert"),
    });
    inner.transcript.push(TranscriptLine {
        chat_id,
        speaker: Speaker::Bot,
        kind: "answer".into(),
        text: text.unwrap_or_default(),
        message_id: None,
        buttons: Vec::new(),
    });
    Ok(json!(true))
}

fn delete_message(inner: &Inner, p: &Params) -> Answer {
    let chat_id = chat_id(p)?;
    let message_id = int_param(p, "message_id").unwrap_or(0);
    let removed = inner.lock().chats.get_mut(&chat_id).and_then(|c| c.messages.remove(&message_id));
    if removed.is_none() {
        return Err(bad_request("message to delete not found"));
    }
    inner.transcript.push(TranscriptLine {
        chat_id,
        speaker: Speaker::Bot,
        kind: "delete".into(),
        text: String::new(),
        message_id: Some(message_id),
        buttons: Vec::new(),
    });
    Ok(json!(true))
}
