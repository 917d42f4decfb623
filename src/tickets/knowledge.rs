//! The desk's knowledge base: the training manual — every declared process's SOP text, step
//! by step, in both languages — and the canned replies agents start their answers from.
//! Searching the manual needs no database: the declarations are the manual.

use crate::domain::{required_text, AppResult};
use crate::engine::Workflow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeHit {
    /// "sop" or "reply".
    pub kind: String,
    pub title: String,
    pub text: String,
    /// The SOP document of the step's process; empty for replies.
    pub link: String,
    /// The canned reply's id.
    pub reply_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CannedReply {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CannedReplyInput {
    pub title: String,
    pub body: String,
}

impl CannedReplyInput {
    pub fn validate(&self) -> AppResult<(String, String)> {
        Ok((required_text("title", &self.title, 120)?, required_text("body", &self.body, super::MESSAGE_CHARS)?))
    }
}

/// The SOP steps whose process name, step name or text contain every word of `q` (either
/// language, any case), best first: matches in the step's name before those in its text.
/// The hits read in `lang`.
pub fn search_manual(workflows: &[&'static Workflow], q: &str, limit: usize, lang: crate::i18n::Lang) -> Vec<KnowledgeHit> {
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(u8, KnowledgeHit)> = Vec::new();
    for wf in workflows {
        for a in wf.actions {
            let name = format!("{} {} {} {}", wf.name.en, wf.name.zh, a.label.en, a.label.zh).to_lowercase();
            let text = format!("{} {}", a.sop.en, a.sop.zh).to_lowercase();
            if !words.iter().all(|w| name.contains(w) || text.contains(w)) {
                continue;
            }
            let rank = if words.iter().all(|w| name.contains(w)) { 0 } else { 1 };
            hits.push((
                rank,
                KnowledgeHit {
                    kind: "sop".into(),
                    title: format!("{} · {}", wf.name.get(lang), a.label.get(lang)),
                    text: a.sop.get(lang).to_string(),
                    link: format!("/sop/{}", wf.id),
                    reply_id: None,
                },
            ));
        }
    }
    hits.sort_by_key(|h| h.0);
    hits.into_iter().take(limit).map(|h| h.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_is_searched_in_both_languages() {
        use crate::i18n::Lang::{En, Zh};
        let all = crate::workflows();
        let hits = search_manual(all, "bubble", 10, En);
        assert!(hits.is_empty());
        let hits = search_manual(all, "refund", 20, En);
        assert!(hits.iter().any(|h| h.link == "/sop/return"), "{hits:?}");
        let zh = search_manual(all, "退款", 20, Zh);
        assert!(zh.iter().any(|h| h.link == "/sop/return" && h.title.starts_with("退换货")), "{zh:?}");
        // Every word must match; step names rank first.
        let hits = search_manual(all, "escalate senior", 5, En);
        assert_eq!(hits.first().map(|h| h.link.as_str()), Some("/sop/ticket"));
        assert!(search_manual(all, "   ", 5, En).is_empty());
    }

    #[test]
    fn canned_replies_need_a_title_and_a_body() {
        let ok = CannedReplyInput { title: " Late parcel ".into(), body: "We are sorry…".into() };
        assert_eq!(ok.validate().unwrap().0, "Late parcel");
        assert!(CannedReplyInput { body: "".into(), ..ok }.validate().unwrap_err().field_message("body").is_some());
    }
}
