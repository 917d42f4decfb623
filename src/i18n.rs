//! Interface languages. Strings live in `locales/en.json` and `locales/zh.json` (flat keys);
//! the handbook Shopflow comes from is Chinese, so both are first-class. The choice follows
//! the browser, then the user's saved preference.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub fn key(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn from_key(key: &str) -> Option<Lang> {
        match key {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, by its q-values.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut bits = part.trim().split(';');
            let tag = bits.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = if tag.starts_with("zh") {
                Lang::Zh
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

fn table(lang: Lang) -> &'static HashMap<&'static str, &'static str> {
    static EN: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    static ZH: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let (cell, src) = match lang {
        Lang::En => (&EN, include_str!("../locales/en.json")),
        Lang::Zh => (&ZH, include_str!("../locales/zh.json")),
    };
    // Parsed into owned strings (a text with an escaped quote cannot be borrowed from the
    // file), kept for the life of the process. The files are part of the build and checked
    // by a unit test, so a parse failure can only come from a broken build; an empty table
    // then shows the keys rather than crashing.
    cell.get_or_init(|| {
        let owned: HashMap<String, String> = serde_json::from_str(src).unwrap_or_default();
        owned.into_iter().map(|(k, v)| (&*Box::leak(k.into_boxed_str()), &*Box::leak(v.into_boxed_str()))).collect()
    })
}

/// The translation of `key`, falling back to English and then to the key itself.
pub fn tr(lang: Lang, key: &'static str) -> &'static str {
    lookup(lang, key).unwrap_or(key)
}

/// The translation of a key built at run time (e.g. from an error message), if there is one.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    table(lang).get(key).or_else(|| table(Lang::En).get(key)).copied()
}

/// The current language, provided by the app shell.
#[derive(Clone, Copy)]
pub struct I18n(pub RwSignal<Lang>);

/// The shell's language on the server; in an island, which the shell's context does not
/// reach, the language of the session the server wrote into the page.
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| {
        let i18n = I18n(RwSignal::new(crate::app::initial_session().lang));
        provide_context(i18n);
        i18n
    })
}

impl I18n {
    pub fn lang(&self) -> Lang {
        self.0.get()
    }
    /// A reactive translation for use in views: `{i.t("nav.home")}`.
    pub fn t(&self, key: &'static str) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        let sig = self.0;
        move || tr(sig.get(), key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_translation_files_have_the_same_keys() {
        let en: HashMap<String, String> =
            serde_json::from_str(include_str!("../locales/en.json")).unwrap();
        let zh: HashMap<String, String> =
            serde_json::from_str(include_str!("../locales/zh.json")).unwrap();
        let mut missing: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        missing.extend(zh.keys().filter(|k| !en.contains_key(*k)));
        assert!(missing.is_empty(), "keys in one file only: {missing:?}");
        assert!(en.len() > 20);
        // Every entry reaches the tables the interface reads, escaped characters included.
        assert_eq!(table(Lang::En).len(), en.len());
        assert_eq!(table(Lang::Zh).len(), zh.len());
        assert!(tr(Lang::En, "import.help").contains("\"Tea / Green tea\""));
    }

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("fr-FR,en;q=0.5,zh;q=0.4"), Lang::En);
        assert_eq!(Lang::from_accept_language("de"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn missing_keys_fall_back_to_english_then_the_key() {
        assert_eq!(tr(Lang::Zh, "no.such.key"), "no.such.key");
    }
}
