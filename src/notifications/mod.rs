//! Notifications: what a process tells the people a step concerns — the customer of an order,
//! the staff who must act next — in the app (the bell and `/notifications`) and by mail, both
//! written in the transaction of the step (see `service`), so neither exists for a step that
//! rolled back. The words are not stored: a notice is a kind (a template in the translation
//! files, `notice.<kind>`) and its parameters, rendered in the reader's language.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use crate::i18n::{lookup, Lang};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The parameters of a notice's template, by placeholder name.
pub type Params = BTreeMap<String, String>;

/// Every kind of notice, each with a `notice.<kind>` template in both translation files (a
/// unit test holds them to it).
pub const KINDS: &[&str] = &[
    "order.review",
    "order.confirmed",
    "order.shipped",
    "order.parcel_shipped",
    "order.delivered",
    "order.cancelled",
    "order.cancelled_refund",
    "return.requested",
    "return.approved",
    "return.rejected",
    "return.refunded",
    "return.exchanged",
    "exception.reported",
    "exception.reported_staff",
    "exception.reported_for_customer",
    "exception.resolved",
    "ticket.replied",
    "ticket.asked",
    "ticket.resolved",
    "ticket.resolved_survey",
    "ticket.reopened",
    "ticket.customer_wrote",
    "ticket.customer_answered",
    "ticket.customer_reopened",
    "ticket.assigned",
    "ticket.escalated",
    "ticket.task_asked",
    "ticket.task_answered",
    "ticket.sla_soon",
];

/// A notice to write: what happened (`kind` and `params`), on which record, and where the
/// recipient reads about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: &'static str,
    pub params: Params,
    pub entity: &'static str,
    pub entity_id: i64,
    pub link: String,
}

impl Notice {
    pub fn new(kind: &'static str, entity: &'static str, entity_id: i64, link: String) -> Notice {
        Notice { kind, params: Params::new(), entity, entity_id, link }
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Notice {
        self.params.insert(name.to_string(), value.into());
        self
    }
}

/// One notification as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub params: Params,
    pub entity: String,
    pub entity_id: i64,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

impl Notification {
    pub fn text(&self, lang: Lang) -> String {
        render(&self.kind, &self.params, lang)
    }
}

/// The recipient's newest notifications and how many of all theirs are unread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    pub items: Vec<Notification>,
    pub unread: i64,
}

/// The notice's sentence in `lang`: its template with each `{name}` replaced by the
/// parameter. A kind without a template (a newer server, an older page) shows its key rather
/// than nothing.
pub fn render(kind: &str, params: &Params, lang: Lang) -> String {
    let Some(template) = lookup(lang, &format!("notice.{kind}")) else { return kind.to_string() };
    let mut out = template.to_string();
    for (name, value) in params.iter().filter(|(name, _)| !name.ends_with(ZH_TWIN)) {
        let value = match name.as_str() {
            // A department is stored by its key and named in the reader's language.
            "department" => crate::tickets::label(value, lang),
            // Names that are data (carriers) are stored in both languages.
            _ if lang == Lang::Zh => params.get(&zh_twin(name)).unwrap_or(value).clone(),
            _ => value.clone(),
        };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    // An optional part left empty (a decision without a note) must not leave a dangling colon.
    out.trim_end().trim_end_matches([':', '：']).trim_end().to_string()
}

const ZH_TWIN: &str = ".zh";

/// The name of a parameter's Chinese text, for values written in both languages when the
/// notice is made (names that are data, which a template cannot translate).
pub fn zh_twin(name: &str) -> String {
    format!("{name}{ZH_TWIN}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// The `{name}` placeholders of a template, sorted.
    fn placeholders(template: &str) -> Vec<String> {
        let mut names: Vec<String> = template.split('{').skip(1).filter_map(|s| s.split_once('}')).map(|(n, _)| n.to_string()).collect();
        names.sort();
        names
    }

    #[test]
    fn every_kind_has_a_template_in_both_languages_with_the_same_placeholders() {
        for kind in KINDS {
            let key = format!("notice.{kind}");
            let en = crate::i18n::lookup(Lang::En, &key).unwrap_or_else(|| panic!("{key} has no English text"));
            // `lookup` falls back to English: a Chinese text equal to the English one is missing.
            let zh = crate::i18n::lookup(Lang::Zh, &key).filter(|z| *z != en).unwrap_or_else(|| panic!("{key} has no Chinese text"));
            assert_eq!(placeholders(en), placeholders(zh), "{key}");
        }
    }

    #[test]
    fn templates_are_filled_and_carriers_named_in_the_readers_language() {
        let p = params(&[("order", "12"), ("parcels", "SF Express SF123, JD Logistics JD9"), ("parcels.zh", "顺丰速运 SF123, 京东物流 JD9")]);
        let en = render("order.shipped", &p, Lang::En);
        assert!(en.contains("#12") && en.contains("SF Express SF123, JD Logistics JD9"), "{en}");
        let zh = render("order.shipped", &p, Lang::Zh);
        assert!(zh.contains("顺丰速运 SF123") && zh.contains("京东物流 JD9"), "{zh}");
        assert!(!en.contains('{') && !zh.contains('{'));
    }

    #[test]
    fn an_empty_optional_part_leaves_no_dangling_colon_and_unknown_kinds_show_their_key() {
        let text = render("return.approved", &params(&[("case", "3"), ("order", "9"), ("note", "")]), Lang::En);
        assert!(!text.ends_with(':') && text.contains("#3"), "{text}");
        assert_eq!(render("no.such.kind", &Params::new(), Lang::En), "no.such.kind");
    }
}
