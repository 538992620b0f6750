//! The catalogue files on disk, checked against each other: every key in every language,
//! the same placeables as English, every plural category of Russian and Arabic. These read
//! `locales/` with fluent-syntax directly, independently of the embedded copies.

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement, VariantKey};
use icu_locale_core::Locale;
use icu_plurals::{PluralCategory, PluralRules};
use nobat_i18n::catalog::FILES;
use nobat_i18n::placeables::references;
use nobat_i18n::{Lang, Messages};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn locales_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../locales")
}

fn read(lang: Lang, file: &str) -> String {
    std::fs::read_to_string(locales_dir().join(lang.code()).join(file)).expect("catalogue file readable")
}

/// Key → source text of each message in one file, failing on any parse error (junk).
fn messages_of(lang: Lang, file: &str, source: &str) -> BTreeMap<String, Pattern<String>> {
    let res = fluent_syntax::parser::parse(source.to_owned())
        .unwrap_or_else(|(_, errs)| panic!("{lang}/{file} does not parse: {errs:?}"));
    let mut out = BTreeMap::new();
    for entry in res.body {
        match entry {
            Entry::Message(m) => {
                let value = m.value.unwrap_or_else(|| panic!("{lang}/{file}: {} has no value", m.id.name));
                assert!(out.insert(m.id.name.clone(), value).is_none(), "{lang}/{file}: {} twice", m.id.name);
            }
            Entry::Junk { content } => panic!("{lang}/{file}: junk {content:?}"),
            _ => {}
        }
    }
    out
}

fn all_messages(lang: Lang) -> BTreeMap<String, Pattern<String>> {
    let mut all = BTreeMap::new();
    for file in FILES {
        all.extend(messages_of(lang, file, &read(lang, file)));
    }
    all
}

#[test]
fn the_embedded_file_list_matches_each_directory() {
    for lang in Lang::ALL {
        let on_disk: BTreeSet<String> = std::fs::read_dir(locales_dir().join(lang.code()))
            .expect("locale directory")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".ftl"))
            .collect();
        let listed: BTreeSet<String> = FILES.iter().map(|s| s.to_string()).collect();
        assert_eq!(on_disk, listed, "locales/{lang}/ and catalog::FILES disagree");
    }
    let dirs: BTreeSet<String> = std::fs::read_dir(locales_dir())
        .expect("locales")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let langs: BTreeSet<String> = Lang::ALL.iter().map(|l| l.code().to_owned()).collect();
    assert_eq!(dirs, langs, "a locales/ directory without a Lang, or the reverse");
}

#[test]
fn every_key_is_in_every_catalogue_file() {
    let mut problems = Vec::new();
    for file in FILES {
        let en: BTreeSet<String> = messages_of(Lang::En, file, &read(Lang::En, file)).into_keys().collect();
        assert!(!en.is_empty());
        for lang in Lang::ALL {
            let keys: BTreeSet<String> = messages_of(lang, file, &read(lang, file)).into_keys().collect();
            for missing in en.difference(&keys) {
                problems.push(format!("{lang}/{file}: missing {missing}"));
            }
            for extra in keys.difference(&en) {
                problems.push(format!("{lang}/{file}: {extra} is not in English"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let messages = Messages::load().expect("catalogues load");
    let en = all_messages(Lang::En);
    assert_eq!(messages.keys(), &en.keys().cloned().collect::<BTreeSet<_>>());
    for lang in Lang::ALL {
        for key in en.keys() {
            assert!(messages.has(lang, key), "embedded {lang} lacks {key}");
        }
    }
}

#[test]
fn every_translation_uses_exactly_the_english_placeables() {
    let en = all_messages(Lang::En);
    let mut problems = Vec::new();
    for lang in Lang::ALL {
        for (key, pattern) in all_messages(lang) {
            let Some(base) = en.get(&key) else { continue };
            let (want, got) = (references(base), references(&pattern));
            for v in want.variables.difference(&got.variables) {
                problems.push(format!("{lang} {key}: ${v} unused"));
            }
            for v in got.variables.difference(&want.variables) {
                problems.push(format!("{lang} {key}: ${v} is unknown"));
            }
            if got.messages != want.messages || got.functions != want.functions {
                problems.push(format!("{lang} {key}: references {got:?}, English has {want:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Selectors on a variable, with the plural categories their variants name.
fn selectors(pattern: &Pattern<String>, out: &mut Vec<(String, BTreeSet<String>)>) {
    for element in &pattern.elements {
        let PatternElement::Placeable { expression } = element else { continue };
        if let Expression::Select { selector, variants } = expression {
            if let InlineExpression::VariableReference { id } = selector {
                let keys = variants
                    .iter()
                    .filter_map(|v| match &v.key {
                        VariantKey::Identifier { name } => Some(name.clone()),
                        VariantKey::NumberLiteral { .. } => None,
                    })
                    .collect();
                out.push((id.name.clone(), keys));
            }
            for v in variants {
                selectors(&v.value, out);
            }
        }
    }
}

fn cldr_categories(lang: Lang) -> BTreeSet<String> {
    let locale = Locale::try_from_str(lang.code()).expect("locale");
    let rules = PluralRules::try_new_cardinal((&locale).into()).expect("plural data");
    rules
        .categories()
        .map(|c| {
            match c {
                PluralCategory::Zero => "zero",
                PluralCategory::One => "one",
                PluralCategory::Two => "two",
                PluralCategory::Few => "few",
                PluralCategory::Many => "many",
                PluralCategory::Other => "other",
            }
            .to_owned()
        })
        .collect()
}

#[test]
fn russian_and_arabic_number_selectors_cover_every_plural_category() {
    assert_eq!(cldr_categories(Lang::Ru), ["few", "many", "one", "other"].map(String::from).into());
    assert_eq!(cldr_categories(Lang::Ar).len(), 6);
    let en = all_messages(Lang::En);
    let mut problems = Vec::new();
    let mut checked = 0;
    for lang in [Lang::Ru, Lang::Ar] {
        let wanted = cldr_categories(lang);
        let translated = all_messages(lang);
        for (key, base) in &en {
            let mut en_sel = Vec::new();
            selectors(base, &mut en_sel);
            let plural_vars: BTreeSet<&String> =
                en_sel.iter().filter(|(_, k)| k.contains("one") || k.contains("other")).map(|(v, _)| v).collect();
            let mut sel = Vec::new();
            selectors(&translated[key], &mut sel);
            for var in plural_vars {
                let found: Vec<&BTreeSet<String>> = sel.iter().filter(|(v, _)| v == var).map(|(_, k)| k).collect();
                if found.is_empty() {
                    problems.push(format!("{lang} {key}: no plural selector on ${var}"));
                }
                for keys in found {
                    checked += 1;
                    let missing: Vec<&String> = wanted.difference(keys).collect();
                    if !missing.is_empty() {
                        problems.push(format!("{lang} {key}: ${var} lacks {missing:?}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 10, "only {checked} selectors checked: the walk found too few");
}
