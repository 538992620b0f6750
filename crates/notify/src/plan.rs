//! Who is told what, over which channel, in which language: a pure decision, made by the
//! dispatcher for each outbox event it claims (the store writes the result as `queued`
//! messages). No I/O: the facts come in, the messages go out.

use crate::channel::ChannelKind;
use crate::kind::MessageKind;
use nobat_i18n::Lang;

/// What happened, as far as messages care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Booked,
    Rescheduled,
    Cancelled,
    /// A reminder timer came due; `booked` is whether the appointment is still booked.
    Reminder {
        booked: bool,
    },
}

/// The patient's ways of being reached and their language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub language: Option<Lang>,
}

/// One message to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub kind: MessageKind,
    pub channel: ChannelKind,
    pub recipient: String,
    pub lang: Lang,
    /// Who it is for, within the event (`patient`, `practitioner`): part of the message's
    /// unique source, so one event plans one message per role.
    pub role: &'static str,
}

/// What the patient hears about an appointment event. One message, on one channel: SMS when
/// the patient has a phone, SMS can be sent and the clinic's SMS budget is not spent; else
/// email when they have an address (the fallback when the budget is spent); else nothing.
/// Language: the patient's, else the clinic's default, else English.
pub fn plan_patient(
    trigger: Trigger,
    reach: &Reach,
    clinic_language: Option<Lang>,
    can_send: impl Fn(ChannelKind) -> bool,
    sms_budget_left: bool,
) -> Vec<Planned> {
    let kind = match trigger {
        Trigger::Booked => MessageKind::BookingConfirmed,
        Trigger::Rescheduled => MessageKind::BookingRescheduled,
        Trigger::Cancelled => MessageKind::BookingCancelled,
        // Never remind anyone of an appointment that is cancelled (or already over).
        Trigger::Reminder { booked: false } => return Vec::new(),
        Trigger::Reminder { booked: true } => MessageKind::Reminder,
    };
    plan_reach(kind, "patient", reach, clinic_language, can_send, sms_budget_left)
}

/// Any message of `kind` to someone reached as `reach`, with the same choice of channel and
/// language as [`plan_patient`] (SMS, else email, else nothing). The queue's messages use it.
pub fn plan_reach(
    kind: MessageKind,
    role: &'static str,
    reach: &Reach,
    clinic_language: Option<Lang>,
    can_send: impl Fn(ChannelKind) -> bool,
    sms_budget_left: bool,
) -> Vec<Planned> {
    let lang = Lang::negotiate(reach.language, clinic_language);
    let channel = match (&reach.phone, &reach.email) {
        (Some(phone), _) if can_send(ChannelKind::Sms) && sms_budget_left => Some((ChannelKind::Sms, phone)),
        (_, Some(email)) if can_send(ChannelKind::Email) => Some((ChannelKind::Email, email)),
        _ => None,
    };
    channel.map(|(channel, to)| Planned { kind, channel, recipient: to.clone(), lang, role }).into_iter().collect()
}

/// Whether SMS was wanted but the budget made the plan fall back (the admin is told once).
pub fn fell_back_from_sms(reach: &Reach, can_send: impl Fn(ChannelKind) -> bool, sms_budget_left: bool) -> bool {
    reach.phone.is_some() && can_send(ChannelKind::Sms) && !sms_budget_left
}

/// A verification code goes where the guest asked for it: `channel` is `sms` or `email`.
pub fn plan_code(channel: &str, to: &str, lang: Lang) -> Option<Planned> {
    let channel = match channel {
        "sms" | "phone" => ChannelKind::Sms,
        "email" => ChannelKind::Email,
        _ => return None,
    };
    (!to.is_empty()).then(|| Planned {
        kind: MessageKind::VerificationCode,
        channel,
        recipient: to.to_owned(),
        lang,
        role: "guest",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach(email: Option<&str>, phone: Option<&str>, lang: Option<Lang>) -> Reach {
        Reach { email: email.map(Into::into), phone: phone.map(Into::into), language: lang }
    }

    #[test]
    fn one_message_in_the_patients_language_on_one_channel() {
        let r = reach(Some("a@b.example"), None, Some(Lang::Fa));
        let p = plan_patient(Trigger::Booked, &r, Some(Lang::Fr), |_| true, true);
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].channel, p[0].lang, p[0].kind), (ChannelKind::Email, Lang::Fa, MessageKind::BookingConfirmed));
        let r = reach(Some("a@b.example"), Some("+989121234567"), None);
        let p = plan_patient(Trigger::Cancelled, &r, Some(Lang::Fr), |_| true, true);
        assert_eq!((p[0].channel, p[0].lang), (ChannelKind::Sms, Lang::Fr));
        assert_eq!(plan_patient(Trigger::Booked, &reach(None, None, None), None, |_| true, true), vec![]);
    }

    #[test]
    fn a_spent_sms_budget_falls_back_to_email() {
        let r = reach(Some("a@b.example"), Some("+989121234567"), None);
        let p = plan_patient(Trigger::Booked, &r, None, |_| true, false);
        assert_eq!((p[0].channel, p[0].lang), (ChannelKind::Email, Lang::En));
        assert!(fell_back_from_sms(&r, |_| true, false));
        assert!(!fell_back_from_sms(&r, |c| c == ChannelKind::Email, false));
    }

    #[test]
    fn no_reminder_for_an_appointment_no_longer_booked() {
        let r = reach(Some("a@b.example"), None, None);
        assert!(plan_patient(Trigger::Reminder { booked: false }, &r, None, |_| true, true).is_empty());
        assert_eq!(plan_patient(Trigger::Reminder { booked: true }, &r, None, |_| true, true).len(), 1);
    }
}
