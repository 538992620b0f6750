//! The parts of a Bot API `Update` the conversation core acts on.

use serde_json::Value;

/// What the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `/start`, with a deep-link payload when opened through `t.me/BOT?start=PAYLOAD`.
    Start { payload: Option<String> },
    /// Any other text (commands included).
    Text(String),
    /// A tap on an inline button: the callback query's id, its data, and the message it was under.
    Callback { id: String, data: String, message_id: Option<i64> },
    /// The user shared their own phone number (the `request_contact` button).
    Contact { phone: String },
    /// Something the bot does not handle (a sticker, a photo…).
    Other,
}

/// One update, reduced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub update_id: i64,
    pub chat_id: i64,
    pub first_name: String,
    /// Telegram's `language_code` of the user's app, if it sent one.
    pub language_code: Option<String>,
    pub input: Input,
}

impl Incoming {
    /// Reduces an update; `None` for updates without a private chat to answer (channel posts,
    /// inline queries…), which the poller only acknowledges.
    pub fn parse(update: &Value) -> Option<Incoming> {
        let update_id = update["update_id"].as_i64()?;
        if let Some(q) = update.get("callback_query") {
            let from = &q["from"];
            let chat_id = q["message"]["chat"]["id"].as_i64().or_else(|| from["id"].as_i64())?;
            return Some(Incoming {
                update_id,
                chat_id,
                first_name: from["first_name"].as_str().unwrap_or("").to_owned(),
                language_code: from["language_code"].as_str().map(str::to_owned),
                input: Input::Callback {
                    id: q["id"].as_str()?.to_owned(),
                    data: q["data"].as_str().unwrap_or("").to_owned(),
                    message_id: q["message"]["message_id"].as_i64(),
                },
            });
        }
        let msg = update.get("message")?;
        let from = &msg["from"];
        let chat_id = msg["chat"]["id"].as_i64()?;
        let input = if let Some(phone) = msg["contact"]["phone_number"].as_str() {
            // Only the user's own contact counts (another person's card is not their number).
            match msg["contact"]["user_id"].as_i64() {
                Some(id) if Some(id) == from["id"].as_i64() => Input::Contact { phone: phone.to_owned() },
                _ => Input::Other,
            }
        } else if let Some(text) = msg["text"].as_str() {
            let mut words = text.trim().splitn(2, char::is_whitespace);
            let command = words.next().unwrap_or("");
            // `/start@my_bot` in groups; private chats send plain `/start`.
            if command == "/start" || command.starts_with("/start@") {
                let payload = words.next().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
                Input::Start { payload }
            } else {
                Input::Text(text.to_owned())
            }
        } else {
            Input::Other
        };
        Some(Incoming {
            update_id,
            chat_id,
            first_name: from["first_name"].as_str().unwrap_or("").to_owned(),
            language_code: from["language_code"].as_str().map(str::to_owned),
            input,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn start_with_payload_text_contact_and_callback() {
        let m = |extra: Value| {
            let mut msg = json!({"message_id": 1, "chat": {"id": 5}, "from": {"id": 5, "first_name": "Sara", "language_code": "fa"}});
            msg.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            json!({"update_id": 9, "message": msg})
        };
        let start = Incoming::parse(&m(json!({"text": "/start abc"}))).unwrap();
        assert_eq!(start.input, Input::Start { payload: Some("abc".into()) });
        assert_eq!(start.language_code.as_deref(), Some("fa"));
        assert_eq!(Incoming::parse(&m(json!({"text": "/start"}))).unwrap().input, Input::Start { payload: None });
        assert_eq!(Incoming::parse(&m(json!({"text": "hi"}))).unwrap().input, Input::Text("hi".into()));
        let own = m(json!({"contact": {"phone_number": "+98912", "user_id": 5}}));
        assert_eq!(Incoming::parse(&own).unwrap().input, Input::Contact { phone: "+98912".into() });
        let other = m(json!({"contact": {"phone_number": "+98912", "user_id": 6}}));
        assert_eq!(Incoming::parse(&other).unwrap().input, Input::Other);
        let cb = json!({"update_id": 10, "callback_query": {"id": "q1", "data": "lang:ru", "from": {"id": 5, "first_name": "Sara"},
            "message": {"message_id": 3, "chat": {"id": 5}}}});
        assert_eq!(
            Incoming::parse(&cb).unwrap().input,
            Input::Callback { id: "q1".into(), data: "lang:ru".into(), message_id: Some(3) }
        );
        assert!(Incoming::parse(&json!({"update_id": 11, "channel_post": {}})).is_none());
    }
}
