//! A clinic's own wording: validated when saved, used only for its language, never able to
//! smuggle in a placeable the template does not offer.

use nobat_i18n::{Args, Lang, Messages, OverrideError, Overrides};

fn messages() -> Messages {
    Messages::load().expect("catalogues load")
}

fn room_args() -> Args {
    Args::new().str("patient", "Sara").num("room", 3)
}

#[test]
fn a_valid_override_replaces_the_text_for_its_language_only() {
    let m = messages();
    let mut o = Overrides::default();
    o.insert(&m, "queue-come-to-room", Lang::En, "Dear { $patient }, room { $room } is ready for you.").expect("valid");
    assert_eq!(o.len(), 1);
    assert_eq!(
        m.render_with(Lang::En, "queue-come-to-room", &room_args(), &o).expect("renders"),
        "Dear Sara, room 3 is ready for you."
    );
    // Other languages keep the catalogue's text.
    assert_eq!(
        m.render_with(Lang::Fr, "queue-come-to-room", &room_args(), &o).expect("fr"),
        "Sara, merci de vous présenter en salle 3."
    );
    o.remove("queue-come-to-room", Lang::En);
    assert_eq!(
        m.render_with(Lang::En, "queue-come-to-room", &room_args(), &o).expect("en"),
        "Sara, please come to room 3."
    );
}

#[test]
fn an_override_may_be_multi_line_with_plurals_and_may_leave_placeables_out() {
    let m = messages();
    let text = "Hello { $patient },\nsee you in { $hours ->\n  [one] one hour\n *[other] { $hours } hours\n}.\nThe { $clinic } team";
    let mut o = Overrides::default();
    o.insert(&m, "appointment-reminder-body", Lang::En, text).expect("valid");
    let args = Args::new().str("patient", "Ada").str("clinic", "Nobat").num("hours", 2);
    assert_eq!(
        m.render_with(Lang::En, "appointment-reminder-body", &args, &o).expect("renders"),
        "Hello Ada,\nsee you in 2 hours.\nThe Nobat team"
    );
    // Persian overrides use the Persian bundle: Persian digits, isolated placeables.
    o.insert(&m, "queue-come-to-room", Lang::Fa, "{ $patient } جان، به اتاق { $room } بفرمایید.").expect("valid");
    let fa = m.render_with(Lang::Fa, "queue-come-to-room", &room_args(), &o).expect("fa");
    assert_eq!(fa, "\u{2068}Sara\u{2069} جان، به اتاق \u{2068}۳\u{2069} بفرمایید.");
}

#[test]
fn unknown_placeables_are_refused_and_named() {
    let m = messages();
    let err = m
        .validate_override("queue-come-to-room", Lang::Fr, "{ $patient }, salle { $rom } ({ $doctor })")
        .expect_err("refused");
    match err {
        OverrideError::UnknownPlaceables { unknown, allowed } => {
            assert_eq!(unknown, vec!["$doctor".to_owned(), "$rom".to_owned()]);
            assert_eq!(allowed, vec!["$patient".to_owned(), "$room".to_owned()]);
        }
        other => panic!("expected UnknownPlaceables, got {other:?}"),
    }
    // A placeable hidden in a selector counts too.
    let err = m.validate_override("verification-code", Lang::En, "{ $code } { $secret ->\n *[other] x\n}");
    assert!(matches!(err, Err(OverrideError::UnknownPlaceables { .. })), "{err:?}");
}

#[test]
fn bad_overrides_are_refused_with_a_reason() {
    let m = messages();
    let check = |key: &str, text: &str| m.validate_override(key, Lang::En, text);
    assert_eq!(check("no-such-key", "Hi"), Err(OverrideError::UnknownKey("no-such-key".into())));
    assert_eq!(check("queue-come-to-room", "   \n "), Err(OverrideError::Empty));
    assert!(matches!(check("queue-come-to-room", "Room { $room"), Err(OverrideError::Syntax(_))));
    assert!(matches!(check("queue-come-to-room", "Room\n.attr = x"), Err(OverrideError::Syntax(_))));
    assert!(matches!(check("queue-come-to-room", "Room\n[one] x"), Err(OverrideError::Syntax(_))));
    // Text that looks like another entry stays text: every line is indented into one message.
    let mut o = Overrides::default();
    o.insert(&m, "queue-come-to-room", Lang::En, "Room { $room }\nother-key = x").expect("valid");
    assert_eq!(
        m.render_with(Lang::En, "queue-come-to-room", &room_args(), &o).expect("renders"),
        "Room 3\nother-key = x"
    );
    assert!(matches!(
        check("queue-come-to-room", "{ status-booked } { $room }"),
        Err(OverrideError::ForbiddenReferences(_))
    ));
    assert!(matches!(check("queue-come-to-room", "{ NUMBER($room) }"), Err(OverrideError::ForbiddenReferences(_))));
    assert_eq!(check("queue-come-to-room", "Room { $room }, please."), Ok(()));
    // A refused text never reaches the map.
    let mut o = Overrides::default();
    assert!(o.insert(&m, "queue-come-to-room", Lang::En, "{ $nope }").is_err());
    assert!(o.is_empty());
}

/// What the templates API shows as the catalogue's text is itself a valid override of every
/// template in every language (a clinic can copy it, edit a word and save).
#[test]
fn every_templates_catalogue_text_round_trips_as_an_override() {
    let messages = nobat_i18n::Messages::embedded().expect("catalogues");
    let keys = nobat_i18n::Messages::template_keys();
    assert!(keys.contains("appointment-reminder-body") && !keys.iter().any(|k| k.starts_with("problem-")));
    for lang in nobat_i18n::Lang::ALL {
        for key in &keys {
            let text = nobat_i18n::Messages::template_text(lang, key).unwrap_or_else(|| panic!("{lang} {key}"));
            assert!(!text.is_empty() && !text.starts_with(' '), "{lang} {key}: {text:?}");
            messages.validate_override(key, lang, &text).unwrap_or_else(|e| panic!("{lang} {key}: {e}\n{text}"));
            let mut o = nobat_i18n::Overrides::default();
            o.insert(messages, key, lang, &text).expect("insert");
            assert!(messages.placeables(key).iter().all(|p| p.starts_with('$')));
        }
    }
    let reminder = nobat_i18n::Messages::template_text(nobat_i18n::Lang::En, "appointment-reminder-body").expect("en");
    assert!(reminder.starts_with("Hello { $patient },\n\nThis is a reminder"), "{reminder}");
    assert!(reminder.contains("\n    [one] { $hours } hour\n"), "{reminder}");
}
