//! The email outbox: mail to customers (ticket replies, acknowledgements, surveys) is written
//! in the same transaction as the step it reports, so a reply is never lost and never sent
//! for a step that rolled back. Administrators read the outbox; a sender delivers it.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// What the mail is about: a workflow id and a record id ("ticket", 12).
    pub entity: String,
    pub entity_id: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}
