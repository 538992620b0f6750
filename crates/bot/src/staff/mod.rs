//! The staff side of the bot (issue 14), pure parts: which inputs are staff matters, the
//! callback data of the staff buttons, and the queue keyboard. What an action *does* is
//! decided in the server (`crates/nobat/src/telegram_staff/`), through the same capability
//! checks and store commands as the REST API; nothing here holds a rule.

use crate::update::Input;

/// `/start` payloads that are staff link tokens start with this (as the API mints them).
pub const LINK_PREFIX: &str = "s_";
/// Every staff button's callback data starts with this.
pub const PREFIX: &str = "st:";

/// A staff request, parsed from a command, a deep link or a button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffInput {
    /// `/start s_…`: bind this chat to the account that minted the token.
    Link(String),
    /// `/logout`: unbind this chat.
    Logout,
    /// `/staff`: what the bot can do for staff.
    Help,
    /// `/queue` or the refresh button: today's queues with their buttons.
    Queues,
    /// `/today`: today's appointments.
    Appointments,
    /// `/figures`: today's figures.
    Figures,
    /// `/alerts`: turn alerts on or off.
    ToggleAlerts,
    /// Buttons.
    CallNext(String),
    WalkIn(String),
    Absent(String),
    Return(String),
}

/// The staff request in `input`, if it is one; `None` leaves it to the patients' flows.
pub fn parse(input: &Input) -> Option<StaffInput> {
    match input {
        Input::Start { payload: Some(p) } if p.starts_with(LINK_PREFIX) => Some(StaffInput::Link(p.clone())),
        Input::Text(t) => {
            let command = t.split_whitespace().next().unwrap_or("");
            // `/queue@my_bot` in groups.
            let command = command.split('@').next().unwrap_or("");
            match command {
                "/logout" => Some(StaffInput::Logout),
                "/staff" => Some(StaffInput::Help),
                "/queue" => Some(StaffInput::Queues),
                "/today" => Some(StaffInput::Appointments),
                "/figures" => Some(StaffInput::Figures),
                "/alerts" => Some(StaffInput::ToggleAlerts),
                _ => None,
            }
        }
        Input::Callback { data, .. } => {
            let rest = data.strip_prefix(PREFIX)?;
            let (verb, id) = rest.split_once(':').unwrap_or((rest, ""));
            let id = id.to_owned();
            match (verb, id.is_empty()) {
                ("q", _) => Some(StaffInput::Queues),
                ("n", false) => Some(StaffInput::CallNext(id)),
                ("w", false) => Some(StaffInput::WalkIn(id)),
                ("a", false) => Some(StaffInput::Absent(id)),
                ("r", false) => Some(StaffInput::Return(id)),
                _ => Some(StaffInput::Help),
            }
        }
        _ => None,
    }
}

/// The callback data of a staff button (ids are UUIDs: well under Telegram's 64 bytes).
pub fn data(input: &StaffInput) -> String {
    match input {
        StaffInput::CallNext(q) => format!("{PREFIX}n:{q}"),
        StaffInput::WalkIn(q) => format!("{PREFIX}w:{q}"),
        StaffInput::Absent(t) => format!("{PREFIX}a:{t}"),
        StaffInput::Return(t) => format!("{PREFIX}r:{t}"),
        _ => format!("{PREFIX}q"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn commands_links_and_buttons_parse_and_round_trip() {
        assert_eq!(parse(&Input::Start { payload: Some("s_abc".into()) }), Some(StaffInput::Link("s_abc".into())));
        assert_eq!(parse(&Input::Start { payload: Some("p_abc".into()) }), None, "other deep links are not staff's");
        assert_eq!(parse(&Input::Start { payload: None }), None);
        assert_eq!(parse(&Input::Text("/queue@nobat_bot".into())), Some(StaffInput::Queues));
        assert_eq!(parse(&Input::Text("/logout".into())), Some(StaffInput::Logout));
        assert_eq!(parse(&Input::Text("hello".into())), None);
        let q = "0190a3c4-0000-7000-8000-000000000001".to_owned();
        for i in [
            StaffInput::CallNext(q.clone()),
            StaffInput::WalkIn(q.clone()),
            StaffInput::Absent(q.clone()),
            StaffInput::Return(q),
        ] {
            let d = data(&i);
            assert!(d.len() <= 64, "{d}");
            assert_eq!(parse(&Input::Callback { id: "x".into(), data: d, message_id: None }), Some(i));
        }
        assert_eq!(parse(&Input::Callback { id: "x".into(), data: "lang:fa".into(), message_id: None }), None);
        // A forged or old staff button is still staff's: it gets the staff help, not the patient flow.
        assert_eq!(
            parse(&Input::Callback { id: "x".into(), data: "st:zz".into(), message_id: None }),
            Some(StaffInput::Help)
        );
    }
}
