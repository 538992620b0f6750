//! Intake forms (issue 17): what a clinic may define, what an answer must be, and whether a
//! patient still owes a form before check-in. Pure: the store reads the rows and asks here.
//!
//! A form is a list of fields (text, choice, date, scale, yes/no, a signature as a typed name),
//! each with labels in any of the six languages. Answers arrive as JSON values — from the API
//! (numbers, booleans) or from an HTML form (everything a string) — and are checked against the
//! version of the form they answer; an error names the field (`answers.<key>`) so the page can
//! put the message next to it. Dates are entered as the patient sees them (a Solar Hijri
//! `1405/01/15` on a Farsi form) and stored as the ISO date they name.

use crate::DomainError;
use jiff::civil;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The six languages a label may be written in.
pub const LANGUAGES: [&str; 6] = ["en", "fa", "ar", "fr", "ru", "tr"];
/// Most fields in one form, and most characters of a free-text answer.
pub const MAX_FIELDS: usize = 100;
pub const MAX_TEXT: usize = 4000;
const MAX_LABEL: usize = 500;
const MAX_OPTIONS: usize = 50;

/// A text in one or more of the six languages (`{"fa": "نام", "en": "Name"}`).
pub type Labels = BTreeMap<String, String>;

/// A form's definition (one version of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSpec {
    pub title: Labels,
    /// Check-in is refused until the patient has answered this form.
    #[serde(default)]
    pub required_before_check_in: bool,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The answer's name (`a-z`, `0-9`, `_`), stable across versions.
    pub key: String,
    pub label: Labels,
    #[serde(default)]
    pub required: bool,
    #[serde(flatten)]
    pub kind: FieldKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Text {
        #[serde(default)]
        multiline: bool,
    },
    Choice {
        options: Vec<Choice>,
    },
    Date {
        /// How the date is entered: `gregorian` (ISO `2026-04-04`) or `persian` (Solar Hijri).
        #[serde(default)]
        calendar: DateCalendar,
    },
    Scale {
        min: i32,
        max: i32,
    },
    YesNo,
    /// The patient types their full name as a signature.
    Signature,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateCalendar {
    #[default]
    Gregorian,
    Persian,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: Labels,
}

/// One validated answer, as stored (inside the sealed blob).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Bool(bool),
    Number(i32),
    Text(String),
}

fn labels_ok(field: &str, labels: &Labels) -> Result<(), DomainError> {
    if labels.is_empty() {
        return Err(DomainError::invalid(field, "give a text in at least one language (en, fa, ar, fr, ru, tr)"));
    }
    for (lang, text) in labels {
        if !LANGUAGES.contains(&lang.as_str()) {
            return Err(DomainError::invalid(
                format!("{field}.{lang}"),
                "labels are written in en, fa, ar, fr, ru or tr",
            ));
        }
        if text.trim().is_empty() || text.chars().count() > MAX_LABEL || text.contains('\0') {
            return Err(DomainError::invalid(format!("{field}.{lang}"), "a label is 1 to 500 characters"));
        }
    }
    Ok(())
}

fn key_ok(key: &str) -> bool {
    (1..=40).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks a form's definition; errors name the field (`fields[2].options`).
pub fn check_spec(spec: &FormSpec) -> Result<(), DomainError> {
    labels_ok("title", &spec.title)?;
    if spec.fields.is_empty() || spec.fields.len() > MAX_FIELDS {
        return Err(DomainError::invalid("fields", format!("a form has 1 to {MAX_FIELDS} fields")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, f) in spec.fields.iter().enumerate() {
        let at = format!("fields[{i}]");
        if !key_ok(&f.key) {
            return Err(DomainError::invalid(format!("{at}.key"), "a key is 1 to 40 of a-z, 0-9 and _"));
        }
        if !seen.insert(f.key.as_str()) {
            return Err(DomainError::invalid(format!("{at}.key"), format!("the key `{}` is used twice", f.key)));
        }
        labels_ok(&format!("{at}.label"), &f.label)?;
        match &f.kind {
            FieldKind::Choice { options } => {
                if options.is_empty() || options.len() > MAX_OPTIONS {
                    return Err(DomainError::invalid(
                        format!("{at}.options"),
                        format!("a choice has 1 to {MAX_OPTIONS} options"),
                    ));
                }
                let mut values = std::collections::BTreeSet::new();
                for (j, o) in options.iter().enumerate() {
                    if !key_ok(&o.value) || !values.insert(o.value.as_str()) {
                        return Err(DomainError::invalid(
                            format!("{at}.options[{j}].value"),
                            "option values are distinct, 1 to 40 of a-z, 0-9 and _",
                        ));
                    }
                    labels_ok(&format!("{at}.options[{j}].label"), &o.label)?;
                }
            }
            FieldKind::Scale { min, max } => {
                if min >= max || max - min > 100 {
                    return Err(DomainError::invalid(
                        format!("{at}.max"),
                        "a scale runs from min to a larger max, at most 100 steps",
                    ));
                }
            }
            FieldKind::Text { .. } | FieldKind::Date { .. } | FieldKind::YesNo | FieldKind::Signature => {}
        }
    }
    Ok(())
}

/// A value from JSON or an HTML form as text (HTML forms send everything as strings).
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Validates answers to `spec`: every required field answered, every answer of its field's
/// kind, no answer to a field the form does not have. The result is what is stored.
pub fn check_answers(spec: &FormSpec, raw: &BTreeMap<String, Value>) -> Result<BTreeMap<String, Answer>, DomainError> {
    if let Some(unknown) = raw.keys().find(|k| !spec.fields.iter().any(|f| &f.key == *k)) {
        return Err(DomainError::invalid(format!("answers.{unknown}"), "this form has no such field"));
    }
    let mut out = BTreeMap::new();
    for f in &spec.fields {
        let at = format!("answers.{}", f.key);
        let Some(v) = raw.get(&f.key).filter(|v| !blank(v)) else {
            if f.required {
                return Err(DomainError::invalid(at, "this question must be answered"));
            }
            continue;
        };
        let text = as_text(v).ok_or_else(|| DomainError::invalid(&at, "an answer is a single value"))?;
        if text.contains('\0') {
            return Err(DomainError::invalid(at, "the answer contains a NUL character"));
        }
        let answer = match &f.kind {
            FieldKind::Text { .. } => {
                if text.chars().count() > MAX_TEXT {
                    return Err(DomainError::invalid(at, format!("at most {MAX_TEXT} characters")));
                }
                Answer::Text(text)
            }
            FieldKind::Signature => {
                // A typed name: letters of any script, spaces and the marks names carry.
                let letters = text.chars().filter(|c| c.is_alphabetic()).count();
                if letters < 2 || text.chars().count() > 200 || text.chars().any(|c| c.is_control()) {
                    return Err(DomainError::invalid(at, "type your full name to sign"));
                }
                Answer::Text(text)
            }
            FieldKind::Choice { options } => {
                if !options.iter().any(|o| o.value == text) {
                    return Err(DomainError::invalid(at, "choose one of the options"));
                }
                Answer::Text(text)
            }
            FieldKind::Scale { min, max } => {
                let n: i32 = latin_digits(&text)
                    .parse()
                    .map_err(|_| DomainError::invalid(&at, format!("a whole number from {min} to {max}")))?;
                if n < *min || n > *max {
                    return Err(DomainError::invalid(at, format!("a whole number from {min} to {max}")));
                }
                Answer::Number(n)
            }
            FieldKind::YesNo => match text.as_str() {
                "true" | "yes" | "1" => Answer::Bool(true),
                "false" | "no" | "0" => Answer::Bool(false),
                _ => return Err(DomainError::invalid(at, "answer yes or no")),
            },
            FieldKind::Date { calendar } => Answer::Text(parse_date(&at, &text, *calendar)?.to_string()),
        };
        out.insert(f.key.clone(), answer);
    }
    Ok(out)
}

/// A date as entered: ISO `YYYY-MM-DD` always; a Solar Hijri `1405/01/15` (any digits) on a
/// field that asks for that calendar. Returns the ISO civil date.
pub fn parse_date(at: &str, text: &str, calendar: DateCalendar) -> Result<civil::Date, DomainError> {
    let iso = || {
        let t = latin_digits(text);
        (t.len() == 10).then(|| t.parse::<civil::Date>().ok()).flatten()
    };
    let parsed = match calendar {
        DateCalendar::Gregorian => iso(),
        // Solar Hijri first: a Farsi form's `1405-01-15` is the Solar Hijri date, not year 1405.
        DateCalendar::Persian => nobat_i18n::datetime::parse_persian_date(text),
    };
    let date = parsed.ok_or_else(|| {
        DomainError::invalid(
            at,
            match calendar {
                DateCalendar::Gregorian => "a date as YYYY-MM-DD",
                DateCalendar::Persian => "a Solar Hijri date as YYYY/MM/DD, e.g. 1405/01/15",
            },
        )
    })?;
    if !(1900..=2200).contains(&date.year()) {
        return Err(DomainError::invalid(at, "a date between 1900 and 2200"));
    }
    Ok(date)
}

fn latin_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            _ => c,
        })
        .collect()
}

/// A form a patient must have answered before check-in: its id and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owed {
    pub form: String,
    pub title: String,
}

/// Check-in is refused while the patient owes a required form (any version of it answered
/// counts: a new version of a form does not send everyone back to fill it again).
pub fn check_in_allowed(required: &[(String, Labels)], answered: &[String], lang: &str) -> Result<(), DomainError> {
    let owed: Vec<String> = required
        .iter()
        .filter(|(id, _)| !answered.contains(id))
        .map(|(id, title)| format!("{} ({id})", label(title, lang)))
        .collect();
    if owed.is_empty() { Ok(()) } else { Err(DomainError::FormsRequired(owed.join(", "))) }
}

/// A label in `lang`, else English, else any.
pub fn label<'a>(labels: &'a Labels, lang: &str) -> &'a str {
    labels.get(lang).or_else(|| labels.get("en")).or_else(|| labels.values().next()).map_or("", String::as_str)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> FormSpec {
        serde_json::from_value(json!({
            "title": {"fa": "فرم پذیرش", "en": "Intake"},
            "required_before_check_in": true,
            "fields": [
                {"key": "complaint", "type": "text", "label": {"fa": "شکایت اصلی"}, "required": true},
                {"key": "birth", "type": "date", "calendar": "persian", "label": {"fa": "تاریخ تولد"}, "required": true},
                {"key": "pain", "type": "scale", "min": 0, "max": 10, "label": {"fa": "درد"}},
                {"key": "side", "type": "choice", "label": {"fa": "دست"}, "options": [
                    {"value": "left", "label": {"fa": "چپ"}}, {"value": "right", "label": {"fa": "راست"}}]},
                {"key": "meds", "type": "yes_no", "label": {"fa": "دارو"}},
                {"key": "sign", "type": "signature", "label": {"fa": "امضا"}, "required": true}
            ]
        }))
        .unwrap()
    }

    fn answers(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_farsi_form_takes_solar_hijri_dates_and_persian_digits_and_stores_iso() {
        check_spec(&spec()).unwrap();
        let got = check_answers(
            &spec(),
            &answers(json!({"complaint": "درد شانه", "birth": "۱۳۷۰/۰۶/۳۱", "pain": "۷", "side": "left",
                             "meds": "no", "sign": "مریم احمدی"})),
        )
        .unwrap();
        assert_eq!(got["birth"], Answer::Text("1991-09-22".into()));
        assert_eq!(got["pain"], Answer::Number(7));
        assert_eq!(got["meds"], Answer::Bool(false));
    }

    #[test]
    fn bad_answers_name_their_field() {
        let base = json!({"complaint": "x", "birth": "1370/06/31", "sign": "Maryam Ahmadi"});
        let field = |patch: Value| {
            let mut v = base.clone();
            for (k, val) in patch.as_object().unwrap() {
                v[k] = val.clone();
            }
            match check_answers(&spec(), &answers(v)) {
                Err(DomainError::Invalid { field, .. }) => field,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(field(json!({"birth": "1370/13/01"})), "answers.birth");
        assert_eq!(field(json!({"birth": "1991-09-22x"})), "answers.birth");
        assert_eq!(field(json!({"pain": 11})), "answers.pain");
        assert_eq!(field(json!({"side": "middle"})), "answers.side");
        assert_eq!(field(json!({"meds": "maybe"})), "answers.meds");
        assert_eq!(field(json!({"sign": "1"})), "answers.sign");
        assert_eq!(field(json!({"complaint": ""})), "answers.complaint");
        assert_eq!(field(json!({"nope": "x"})), "answers.nope");
        assert_eq!(field(json!({"complaint": ["a"]})), "answers.complaint");
    }

    #[test]
    fn bad_definitions_are_refused() {
        let mut s = spec();
        s.fields[1].key = "complaint".into();
        assert!(matches!(check_spec(&s), Err(DomainError::Invalid { field, .. }) if field == "fields[1].key"));
        let mut s = spec();
        s.title = Labels::from([("de".into(), "x".into())]);
        assert!(matches!(check_spec(&s), Err(DomainError::Invalid { field, .. }) if field == "title.de"));
        let mut s = spec();
        s.fields[2].kind = FieldKind::Scale { min: 5, max: 5 };
        assert!(check_spec(&s).is_err());
    }

    #[test]
    fn check_in_waits_for_required_forms() {
        let required = vec![("f1".to_owned(), Labels::from([("fa".into(), "پذیرش".into())]))];
        assert!(
            matches!(check_in_allowed(&required, &[], "fa"), Err(DomainError::FormsRequired(s)) if s.contains("پذیرش"))
        );
        assert_eq!(check_in_allowed(&required, &["f1".to_owned()], "fa"), Ok(()));
        assert_eq!(check_in_allowed(&[], &[], "fa"), Ok(()));
    }
}
