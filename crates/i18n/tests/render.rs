//! Rendering: plural forms chosen by CLDR rules, digits per language, isolation marks only for
//! right-to-left languages, English fallback, errors instead of panics.

use nobat_i18n::{Args, Lang, Messages, RenderError};

const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';

fn messages() -> Messages {
    Messages::load().expect("catalogues load")
}

fn strip_isolation(s: &str) -> String {
    s.chars().filter(|c| *c != FSI && *c != PDI).collect()
}

fn code(lang: Lang, minutes: i64) -> String {
    let args = Args::new().str("code", "482913").str("clinic", "Nobat").num("minutes", minutes);
    strip_isolation(&messages().render(lang, "verification-code", &args).expect("renders"))
}

#[test]
fn russian_plural_forms() {
    assert!(code(Lang::Ru, 1).contains("действует 1 минуту."), "{}", code(Lang::Ru, 1));
    assert!(code(Lang::Ru, 3).contains("действует 3 минуты."));
    assert!(code(Lang::Ru, 5).contains("действует 5 минут."));
    assert!(code(Lang::Ru, 11).contains("действует 11 минут."));
    assert!(code(Lang::Ru, 21).contains("действует 21 минуту."));
    assert!(code(Lang::Ru, 24).contains("действует 24 минуты."));
}

#[test]
fn arabic_plural_forms_and_digits() {
    assert!(code(Lang::Ar, 1).contains("بعد دقيقة واحدة"), "{}", code(Lang::Ar, 1));
    assert!(code(Lang::Ar, 2).contains("بعد دقيقتين"));
    assert!(code(Lang::Ar, 3).contains("بعد ٣ دقائق"));
    assert!(code(Lang::Ar, 11).contains("بعد ١١ دقيقة"));
    assert!(code(Lang::Ar, 100).contains("بعد ١٠٠ دقيقة"));
    // The code itself is a string: it stays in the digits the patient types.
    assert!(code(Lang::Ar, 10).contains("482913"));
}

#[test]
fn english_and_persian_numbers() {
    assert!(code(Lang::En, 1).contains("expires in 1 minute."));
    assert!(code(Lang::En, 10).contains("expires in 10 minutes."));
    assert!(code(Lang::Fa, 10).contains("۱۰ دقیقه"), "{}", code(Lang::Fa, 10));
    let m = messages();
    let room = |lang| m.render(lang, "queue-come-to-room", &Args::new().str("patient", "Sara").num("room", 3));
    assert_eq!(strip_isolation(&room(Lang::Fa).expect("fa")), "Sara عزیز، لطفاً به اتاق ۳ بیایید.");
    assert_eq!(room(Lang::En).expect("en"), "Sara, please come to room 3.");
    let ahead = |lang, n| m.render(lang, "queue-people-ahead", &Args::new().num("count", n)).expect("renders");
    assert_eq!(ahead(Lang::En, 0), "Nobody is ahead of you.");
    assert_eq!(ahead(Lang::En, 1), "1 person is ahead of you.");
    assert_eq!(ahead(Lang::Ru, 2), "Перед вами 2 человека.");
    assert_eq!(ahead(Lang::Ru, 1000), "Перед вами 1\u{a0}000 человек.");
    assert_eq!(strip_isolation(&ahead(Lang::Ar, 2)), "يوجد شخصان قبلك.");
    assert_eq!(strip_isolation(&ahead(Lang::Ar, 12)), "يوجد ١٢ شخصًا قبلك.");
}

#[test]
fn placeables_are_isolated_only_in_right_to_left_languages() {
    let m = messages();
    let args = Args::new().str("patient", "Sara").num("room", 3);
    for lang in Lang::ALL {
        let text = m.render(lang, "queue-come-to-room", &args).expect("renders");
        let isolated = text.contains(&format!("{FSI}Sara{PDI}"));
        assert_eq!(isolated, lang.is_rtl(), "{lang}: {text:?}");
        if !lang.is_rtl() {
            assert!(!text.contains(FSI) && !text.contains(PDI), "{lang}: {text:?}");
        }
    }
}

#[test]
fn problem_details_render_by_code_and_arguments() {
    let m = messages();
    let detail = m.render(Lang::Ru, "problem-rate-limited-detail", &Args::new().num("seconds", 3)).expect("ru");
    assert_eq!(detail, "Пожалуйста, не так часто: повторите попытку через 3 секунды.");
    let status = m.render(Lang::Fr, "status-cancelled", &Args::new()).expect("fr");
    let booked = m.render(Lang::Fr, "status-booked", &Args::new()).expect("fr");
    let args = Args::new().str("from", status).str("to", booked);
    assert_eq!(
        m.render(Lang::Fr, "problem-illegal-transition-detail", &args).expect("fr"),
        "Un rendez-vous « annulé » ne peut pas devenir « réservé »."
    );
    for lang in Lang::ALL {
        assert!(!m.render(lang, "problem-slot-taken-title", &Args::new()).expect("renders").is_empty());
    }
}

#[test]
fn missing_keys_and_arguments_are_errors_not_panics() {
    let m = messages();
    assert_eq!(
        m.render(Lang::Fa, "no-such-template", &Args::new()),
        Err(RenderError::UnknownKey("no-such-template".into()))
    );
    let err = m.render(Lang::En, "queue-come-to-room", &Args::new().str("patient", "Sara"));
    assert!(matches!(err, Err(RenderError::Format { lang: Lang::En, .. })), "{err:?}");
}

#[test]
fn a_key_missing_in_a_language_falls_back_to_english() {
    // A deployment's catalogue where Turkish lacks one message (the shipped ones are complete,
    // which the catalogue tests prove).
    let m = Messages::from_sources(|lang| {
        let mut files = vec![("a.ftl", "greeting = Hello { $name }\n".to_owned())];
        if lang == Lang::En {
            files.push(("b.ftl", "only-english = Only in English\n".to_owned()));
        }
        if lang == Lang::Tr {
            files[0].1 = "greeting = Merhaba { $name }\n".to_owned();
        }
        files
    })
    .expect("loads");
    assert_eq!(m.render(Lang::Tr, "greeting", &Args::new().str("name", "Ada")).expect("tr"), "Merhaba Ada");
    assert_eq!(m.render(Lang::Tr, "only-english", &Args::new()).expect("falls back"), "Only in English");
    assert_eq!(m.render(Lang::Fa, "only-english", &Args::new()).expect("falls back"), "Only in English");
    assert!(m.keys().contains("only-english"));
    // A catalogue with a syntax error is reported, not a panic.
    let broken = Messages::from_sources(|_| vec![("a.ftl", "greeting = { $name\n".to_owned())]);
    assert!(broken.is_err());
}

#[test]
fn messages_and_overrides_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Messages>();
    shared::<nobat_i18n::Overrides>();
    // And rendering from several threads at once works (formatters are cached per thread).
    let m = std::sync::Arc::new(messages());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let m = m.clone();
            std::thread::spawn(move || {
                m.render(Lang::Ar, "queue-people-ahead", &Args::new().num("count", 3 + i)).expect("renders")
            })
        })
        .collect();
    let texts: Vec<String> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
    assert_eq!(strip_isolation(&texts[0]), "يوجد ٣ أشخاص قبلك.");
}
