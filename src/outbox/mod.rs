//! The email outbox: mail to customers (ticket replies, acknowledgements, surveys) is written
//! in the same transaction as the step it reports, so a reply is never lost and never sent
//! for a step that rolled back. Administrators read the outbox; a sender (`sender.rs`)
//! delivers it over SMTP when `SHOPFLOW_SMTP_URL` is set, retrying with a growing delay.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod sender;
#[cfg(feature = "ssr")]
pub mod service;

use crate::domain::Millis;
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
    /// Failed tries so far.
    pub attempts: i64,
    pub last_error: Option<String>,
    /// When the sender may try again; `None` before the first try (due at once).
    pub next_attempt_at: Option<i64>,
    /// When the sender gave up (after [`MAX_ATTEMPTS`] or a permanent refusal).
    pub failed_at: Option<i64>,
}

/// The outbox page and whether anything delivers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    /// False when `SHOPFLOW_SMTP_URL` is unset: mail is only kept, for administrators to read.
    pub delivering: bool,
    pub mails: Vec<OutboxEmail>,
}

/// Where one mail stands, as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Not tried yet.
    Queued,
    Sent { at: Millis },
    /// Tried and failed; tried again from `next_at`.
    Retrying { attempts: i64, next_at: Millis, error: String },
    /// Given up; stays in the outbox until an administrator retries it.
    Failed { at: Millis, attempts: i64, error: String },
}

impl OutboxEmail {
    pub fn delivery(&self) -> Delivery {
        let error = || self.last_error.clone().unwrap_or_default();
        match (self.sent_at, self.failed_at, self.next_attempt_at) {
            (Some(at), _, _) => Delivery::Sent { at },
            (None, Some(at), _) => Delivery::Failed { at, attempts: self.attempts, error: error() },
            (None, None, Some(next_at)) if self.attempts > 0 => Delivery::Retrying { attempts: self.attempts, next_at, error: error() },
            _ => Delivery::Queued,
        }
    }

    /// An administrator may push a mail that waits or has failed to the front; a sent one
    /// stays sent (sending it again would be a duplicate to the customer).
    pub fn can_retry(&self) -> bool {
        matches!(self.delivery(), Delivery::Retrying { .. } | Delivery::Failed { .. })
    }
}

/// After this many failed tries the sender gives up on a mail.
pub const MAX_ATTEMPTS: i64 = 8;

const MINUTE: Millis = 60_000;

/// Waits after the 1st, 2nd, … failure: quick at first (a relay restarting, a greylisting
/// server), then spread over about a day and a half so a longer outage is ridden out
/// without hammering the relay.
const BACKOFF: [Millis; 5] = [MINUTE, 5 * MINUTE, 30 * MINUTE, 120 * MINUTE, 720 * MINUTE];

/// What to do after a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(Millis),
    GiveUp,
}

/// The decision after the `attempts`-th failed try (1 for the first) at `now`. A permanent
/// refusal (an SMTP 5xx: no such mailbox, rejected as spam) will not change by waiting.
pub fn after_failure(attempts: i64, permanent: bool, now: Millis) -> AfterFailure {
    if permanent || attempts >= MAX_ATTEMPTS {
        return AfterFailure::GiveUp;
    }
    let step = usize::try_from(attempts.max(1) - 1).unwrap_or(0).min(BACKOFF.len() - 1);
    AfterFailure::RetryAt(now + BACKOFF[step])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_then_give_up() {
        let now = 1_000_000;
        let waits: Vec<Millis> = (1..MAX_ATTEMPTS)
            .map(|n| match after_failure(n, false, now) {
                AfterFailure::RetryAt(at) => (at - now) / MINUTE,
                AfterFailure::GiveUp => panic!("gave up after {n}"),
            })
            .collect();
        assert_eq!(waits, vec![1, 5, 30, 120, 720, 720, 720]);
        assert_eq!(after_failure(MAX_ATTEMPTS, false, now), AfterFailure::GiveUp);
        assert_eq!(after_failure(MAX_ATTEMPTS + 3, false, now), AfterFailure::GiveUp);
    }

    #[test]
    fn a_permanent_refusal_gives_up_at_once() {
        assert_eq!(after_failure(1, true, 0), AfterFailure::GiveUp);
    }

    #[test]
    fn the_state_follows_the_columns() {
        let mut m = OutboxEmail {
            id: 1,
            to_address: "a@b.test".into(),
            subject: "s".into(),
            body: "b".into(),
            entity: "ticket".into(),
            entity_id: 1,
            created_at: 10,
            sent_at: None,
            attempts: 0,
            last_error: None,
            next_attempt_at: None,
            failed_at: None,
        };
        assert_eq!(m.delivery(), Delivery::Queued);
        assert!(!m.can_retry());
        // An administrator's "retry now" on a queued mail keeps it queued.
        m.next_attempt_at = Some(10);
        assert_eq!(m.delivery(), Delivery::Queued);
        (m.attempts, m.next_attempt_at, m.last_error) = (2, Some(99), Some("451 try later".into()));
        assert_eq!(m.delivery(), Delivery::Retrying { attempts: 2, next_at: 99, error: "451 try later".into() });
        assert!(m.can_retry());
        m.failed_at = Some(120);
        assert_eq!(m.delivery(), Delivery::Failed { at: 120, attempts: 2, error: "451 try later".into() });
        assert!(m.can_retry());
        m.sent_at = Some(130);
        assert_eq!(m.delivery(), Delivery::Sent { at: 130 });
        assert!(!m.can_retry());
    }
}
