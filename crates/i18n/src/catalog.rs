//! The Fluent catalogues, embedded in the binary, and rendering a message by key.
//!
//! Isolation marks: Fluent can wrap every placeable in FSI…PDI (U+2068…U+2069) so that a
//! Latin name, a URL or a number inside Persian or Arabic text keeps its own direction and
//! does not drag the surrounding punctuation with it. We keep them for `fa` and `ar`, where
//! they are what makes mixed-direction text come out right, and turn them off for the
//! left-to-right languages: there they almost never change the display, and in an SMS a
//! single U+2068 forces the whole message out of GSM-7 into UCS-2 (70 characters a part
//! instead of 160), doubling the cost of an English, French or Turkish text message.

use crate::datetime::{Cache, cached, icu_locale};
use crate::lang::Lang;
use crate::overrides::Overrides;
use crate::{CalendarPref, overrides};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use icu_decimal::DecimalFormatter;
use icu_decimal::input::Decimal;
use intl_memoizer::concurrent::IntlLangMemoizer;
use std::collections::BTreeSet;

/// The files of each language's catalogue, in `locales/<lang>/`. A test fails when this list
/// and the directory disagree, so a new file cannot be forgotten here.
pub const FILES: [&str; 4] = ["messages.ftl", "problems.ftl", "pages.ftl", "bot.ftl"];

macro_rules! catalogue {
    ($lang:literal) => {
        [
            include_str!(concat!("../../../locales/", $lang, "/messages.ftl")),
            include_str!(concat!("../../../locales/", $lang, "/problems.ftl")),
            include_str!(concat!("../../../locales/", $lang, "/pages.ftl")),
            include_str!(concat!("../../../locales/", $lang, "/bot.ftl")),
        ]
    };
}

/// The embedded source of a language's catalogue files, in the order of [`FILES`].
pub fn sources(lang: Lang) -> [&'static str; 4] {
    match lang {
        Lang::En => catalogue!("en"),
        Lang::Fa => catalogue!("fa"),
        Lang::Ar => catalogue!("ar"),
        Lang::Fr => catalogue!("fr"),
        Lang::Ru => catalogue!("ru"),
        Lang::Tr => catalogue!("tr"),
    }
}

/// Arguments of a message: strings (names, pre-formatted dates) and numbers (which select
/// plural forms and are written in the language's digits).
#[derive(Debug, Default, Clone)]
pub struct Args {
    values: Vec<(String, ArgValue)>,
}

#[derive(Debug, Clone)]
enum ArgValue {
    Str(String),
    Num(i64),
}

impl Args {
    pub fn new() -> Self {
        Self::default()
    }

    /// A text argument, shown as given (a verification code stays in Latin digits).
    pub fn str(mut self, name: &str, value: impl Into<String>) -> Self {
        self.values.push((name.to_owned(), ArgValue::Str(value.into())));
        self
    }

    /// A number argument: selects plural forms, written in the language's digits.
    pub fn num(mut self, name: &str, value: i64) -> Self {
        self.values.push((name.to_owned(), ArgValue::Num(value)));
        self
    }

    fn to_fluent(&self) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        for (name, value) in &self.values {
            match value {
                ArgValue::Str(s) => args.set(name.as_str(), FluentValue::from(s.as_str())),
                ArgValue::Num(n) => args.set(name.as_str(), FluentValue::from(*n)),
            }
        }
        args
    }
}

/// Why a message could not be rendered. Rendering never panics; a caller that must send
/// something anyway can fall back to the English catalogue text it knows exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("no message {0:?} in any catalogue")]
    UnknownKey(String),
    #[error("message {key:?} in {lang}: {errors}")]
    Format { key: String, lang: Lang, errors: String },
}

/// A catalogue file that does not parse (caught by the tests; reported, never a panic).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalogue {lang}/{file}: {errors}")]
pub struct CatalogueError {
    pub lang: Lang,
    pub file: &'static str,
    pub errors: String,
}

type Bundle = FluentBundle<FluentResource>;

/// All six catalogues, ready to render. Build once at start-up and share (it is `Send + Sync`).
pub struct Messages {
    bundles: Vec<(Lang, Bundle)>,
    keys: BTreeSet<String>,
}

static EMBEDDED: std::sync::OnceLock<Result<Messages, CatalogueError>> = std::sync::OnceLock::new();

impl Messages {
    /// The embedded catalogues, parsed once per process and shared (for code that has no
    /// `Messages` handed to it, such as the store validating a clinic's override when saved).
    pub fn embedded() -> Result<&'static Messages, CatalogueError> {
        EMBEDDED.get_or_init(Messages::load).as_ref().map_err(Clone::clone)
    }

    /// The keys a clinic may override: every message of `messages.ftl` (what is sent to
    /// people), not the problem details of `problems.ftl`.
    pub fn template_keys() -> BTreeSet<String> {
        static KEYS: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
        KEYS.get_or_init(Self::parse_template_keys).clone()
    }

    fn parse_template_keys() -> BTreeSet<String> {
        let source = sources(Lang::En)[0];
        let resource = fluent_syntax::parser::parse(source).unwrap_or_else(|(partial, _)| partial);
        resource
            .body
            .iter()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    /// The embedded text of template `key` in `lang` written as a clinic writes an override:
    /// the part after `key =`, without the catalogue's indentation (so it can be shown next to
    /// the clinic's text, or copied and edited).
    pub fn template_text(lang: Lang, key: &str) -> Option<String> {
        let head = format!("{key} =");
        let mut lines = sources(lang)[0].lines().skip_while(|l| !l.starts_with(&head));
        let first = lines.next()?.strip_prefix(&head)?.trim().to_owned();
        let rest: Vec<&str> = lines.take_while(|l| l.is_empty() || l.starts_with(' ')).collect();
        let indent = rest.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min();
        let mut out: Vec<String> = Vec::new();
        if !first.is_empty() {
            out.push(first);
        }
        out.extend(rest.iter().map(|l| l.get(indent.unwrap_or(0)..).unwrap_or("").trim_end().to_owned()));
        while out.last().is_some_and(|l| l.is_empty()) {
            out.pop();
        }
        Some(out.join("\n"))
    }

    /// The placeables (`$patient`, …) template `key` offers an override.
    pub fn placeables(&self, key: &str) -> Vec<String> {
        self.base_references(key).map(|r| r.variables.iter().map(|v| format!("${v}")).collect()).unwrap_or_default()
    }

    /// Parses the embedded catalogues.
    pub fn load() -> Result<Self, CatalogueError> {
        Self::from_sources(|lang| FILES.iter().copied().zip(sources(lang)).map(|(f, s)| (f, s.to_owned())).collect())
    }

    /// Builds the bundles from other catalogue texts (a deployment's own files, or a test's):
    /// `files(lang)` gives `(file name, FTL source)` pairs for each language.
    pub fn from_sources(files: impl Fn(Lang) -> Vec<(&'static str, String)>) -> Result<Self, CatalogueError> {
        let mut bundles = Vec::with_capacity(Lang::ALL.len());
        let mut keys = BTreeSet::new();
        for lang in Lang::ALL {
            let langid = lang.code().parse().unwrap_or_default();
            let mut bundle = Bundle::new_concurrent(vec![langid]);
            bundle.set_use_isolating(lang.is_rtl());
            bundle.set_formatter(Some(number_formatter(lang)));
            for (file, source) in files(lang) {
                let resource = FluentResource::try_new(source).map_err(|(_, errs)| CatalogueError {
                    lang,
                    file,
                    errors: format!("{errs:?}"),
                })?;
                if lang == Lang::En {
                    for entry in resource.entries() {
                        if let fluent_syntax::ast::Entry::Message(m) = entry {
                            keys.insert(m.id.name.to_owned());
                        }
                    }
                }
                bundle.add_resource(resource).map_err(|errs| CatalogueError {
                    lang,
                    file,
                    errors: format!("{errs:?}"),
                })?;
            }
            bundles.push((lang, bundle));
        }
        Ok(Self { bundles, keys })
    }

    fn bundle(&self, lang: Lang) -> &Bundle {
        // `load` pushes one bundle per language in `Lang::ALL` order.
        let i = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
        &self.bundles[i].1
    }

    /// Whether the base catalogue of `lang` has `key`.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.bundle(lang).has_message(key)
    }

    /// Every key of the English catalogue (the reference every other language must match):
    /// the templates a clinic may override.
    pub fn keys(&self) -> &BTreeSet<String> {
        &self.keys
    }

    /// Renders `key` in `lang`, falling back to English when the language lacks the key.
    pub fn render(&self, lang: Lang, key: &str, args: &Args) -> Result<String, RenderError> {
        self.render_with(lang, key, args, &Overrides::default())
    }

    /// Renders `key` in `lang` using the clinic's override for that language when there is
    /// one, else the base catalogue of `lang`, else English.
    pub fn render_with(
        &self,
        lang: Lang,
        key: &str,
        args: &Args,
        overrides: &Overrides,
    ) -> Result<String, RenderError> {
        let fargs = args.to_fluent();
        if let Some(pattern) = overrides.pattern(lang, key) {
            return self.format(lang, key, pattern, &fargs);
        }
        for candidate in [lang, Lang::En] {
            let bundle = self.bundle(candidate);
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                return self.format(candidate, key, pattern, &fargs);
            }
        }
        Err(RenderError::UnknownKey(key.to_owned()))
    }

    fn format(
        &self,
        lang: Lang,
        key: &str,
        pattern: &fluent_syntax::ast::Pattern<&str>,
        args: &FluentArgs<'_>,
    ) -> Result<String, RenderError> {
        let mut errors = Vec::new();
        let text = self.bundle(lang).format_pattern(pattern, Some(args), &mut errors);
        if errors.is_empty() {
            Ok(text.into_owned())
        } else {
            Err(RenderError::Format { key: key.to_owned(), lang, errors: format!("{errors:?}") })
        }
    }

    /// The `title` and `detail` of a problem+json body for a problem code (the `<code>` of
    /// `urn:nobat:problem:<code>`), in `lang`, with the detail's arguments.
    pub fn problem(&self, lang: Lang, code: &str, args: &Args) -> Result<(String, String), RenderError> {
        let title = self.render(lang, &format!("problem-{code}-title"), args)?;
        let detail = self.render(lang, &format!("problem-{code}-detail"), args)?;
        Ok((title, detail))
    }

    /// Checks a clinic's replacement text for `key` in `lang` (see [`overrides`]).
    pub fn validate_override(&self, key: &str, lang: Lang, text: &str) -> Result<(), overrides::OverrideError> {
        overrides::compile(self, key, lang, text).map(|_| ())
    }

    /// The English message's pattern source, parsed: the placeables an override may use.
    pub(crate) fn base_references(&self, key: &str) -> Option<crate::placeables::References> {
        let pattern = self.bundle(Lang::En).get_message(key)?.value()?;
        Some(crate::placeables::references(pattern))
    }
}

thread_local! {
    static DECIMAL: Cache<Lang, DecimalFormatter> = std::cell::RefCell::default();
}

/// Writes a number in the language's digits and grouping (`۱۲`, `١٢`, `1 000`), through the
/// same ICU data as dates. The bundle takes a plain function pointer, so one per language.
fn number_formatter(lang: Lang) -> fn(&FluentValue, &IntlLangMemoizer) -> Option<String> {
    fn with(lang: Lang, value: &FluentValue) -> Option<String> {
        let FluentValue::Number(n) = value else { return None };
        if n.value.fract() != 0.0 || n.value.abs() > 1e15 {
            return None; // Fluent's own formatting for the rare non-integer
        }
        let fmt = cached(&DECIMAL, lang, || {
            DecimalFormatter::try_new((&icu_locale(lang, CalendarPref::LocaleDefault)).into(), Default::default()).ok()
        })?;
        Some(fmt.format(&Decimal::from(n.value as i64)).to_string())
    }
    match lang {
        Lang::En => |v, _| with(Lang::En, v),
        Lang::Fa => |v, _| with(Lang::Fa, v),
        Lang::Ar => |v, _| with(Lang::Ar, v),
        Lang::Fr => |v, _| with(Lang::Fr, v),
        Lang::Ru => |v, _| with(Lang::Ru, v),
        Lang::Tr => |v, _| with(Lang::Tr, v),
    }
}
