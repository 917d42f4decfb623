//! Delivering the outbox. Mail was written in the transaction of the step it reports; here
//! it is handed to a transport (SMTP in production, a fake in tests) and the outcome is
//! recorded on the row: sent, retried later with a growing delay, or given up.
//!
//! Several instances may deliver from one PostgreSQL. Each takes a mail by setting a hold
//! (`claimed_until`) in one conditional UPDATE; only the instance whose UPDATE changed the
//! row sends it, so one mail is never sent twice at the same time. A hold that outlives a
//! crashed instance simply runs out and the mail is tried again (at least once, never
//! twice concurrently).

use super::{after_failure, AfterFailure};
use crate::domain::{AppResult, Millis};
use crate::server::config::SmtpConfig;
use crate::server::Db;
use async_trait::async_trait;
use std::time::{Duration, Instant};

/// One mail as a transport sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The outbox row: with `created_at` it makes a Message-ID that stays the same across
    /// retries, so a mail that went out twice after a crash is recognisably one mail.
    pub id: i64,
    pub created_at: Millis,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Files the mail carries (an agent's reply with a return label): name, type, bytes.
    pub files: Vec<(String, String, Vec<u8>)>,
}

/// Why a transport did not deliver a mail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: the relay is unreachable, busy or timed out (SMTP 4xx).
    #[error("{0}")]
    Transient(String),
    /// Waiting will not help: the relay refused the mail or the address (SMTP 5xx), or the
    /// address cannot be written as a mailbox.
    #[error("{0}")]
    Permanent(String),
}

/// Sends one mail. Implemented over SMTP by [`SmtpMailer`]; tests use fakes.
#[async_trait]
pub trait MailTransport: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError>;
}

/// How long an instance holds a mail it is sending. Far longer than one SMTP exchange
/// (each command times out after [`SMTP_TIMEOUT`]), and a pass stops taking new mail after
/// half of it, so a hold never runs out while its mail is still being sent.
pub const LEASE_MS: Millis = 10 * 60_000;

/// One SMTP command that gets no answer within this is a transient failure.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Mail taken per pass; a full pass is followed by another at once.
pub const BATCH: i64 = 50;

/// Longest error text kept on a row (relays can answer at length).
const ERROR_CHARS: usize = 500;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    /// Failed and due again later.
    pub retrying: usize,
    /// Failed for good (too many tries, or refused).
    pub gave_up: usize,
    /// Due, but another instance held it first.
    pub held_elsewhere: usize,
    /// Due rows found; when it equals the batch size there may be more.
    pub due: usize,
}

/// Delivers up to `batch` due mails, oldest first, as of `now`. Times written (sent,
/// next try, hold) are `now` plus the time the pass has taken, so tests can run the clock
/// forward while a real pass records real times.
///
/// A transient failure ends the pass: it usually means the relay is down or overloaded, and
/// the other mails would each wait for their own timeout only to fail the same way. They
/// stay due for the next pass and are not charged a try.
pub async fn deliver_due(db: &Db, transport: &dyn MailTransport, now: Millis, batch: i64) -> AppResult<DeliveryReport> {
    let started = Instant::now();
    let clock = || now + i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX / 2);
    let due: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM outbox_emails \
         WHERE sent_at IS NULL AND failed_at IS NULL \
           AND (next_attempt_at IS NULL OR next_attempt_at <= $1) \
           AND (claimed_until IS NULL OR claimed_until < $1) \
         ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(batch)
    .fetch_all(db.pool())
    .await?;
    let mut report = DeliveryReport { due: due.len(), ..Default::default() };
    for (id,) in due {
        if started.elapsed() > Duration::from_millis((LEASE_MS / 2) as u64) {
            break;
        }
        let at = clock();
        let Some((mail, attempts, hold)) = claim(db, id, at).await? else {
            report.held_elsewhere += 1;
            continue;
        };
        match transport.send(&mail).await {
            Ok(()) => {
                record_sent(db, id, clock()).await?;
                report.sent += 1;
            }
            Err(err) => {
                let permanent = matches!(err, SendError::Permanent(_));
                let gave_up = record_failure(db, id, hold, attempts + 1, permanent, &err.to_string(), clock()).await?;
                if gave_up {
                    tracing::warn!(mail = id, error = %err, "mail given up; it stays in the outbox");
                    report.gave_up += 1;
                } else {
                    tracing::info!(mail = id, error = %err, "mail not delivered; will try again");
                    report.retrying += 1;
                }
                if !permanent {
                    break;
                }
            }
        }
    }
    Ok(report)
}

/// Takes mail `id` for this instance until `at + LEASE_MS`, if it is still due and nobody
/// holds it. The condition is in the UPDATE itself: on PostgreSQL a second instance's UPDATE
/// of the same row waits for the first to commit, then re-reads the row, finds the hold and
/// changes nothing; on SQLite writers take turns anyway. Returns the mail, its failures so
/// far and the hold, which later proves the row is still ours.
async fn claim(db: &Db, id: i64, at: Millis) -> AppResult<Option<(OutgoingMail, i64, Millis)>> {
    let hold = at + LEASE_MS;
    let taken = sqlx::query(
        "UPDATE outbox_emails SET claimed_until = $1 \
         WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL \
           AND (next_attempt_at IS NULL OR next_attempt_at <= $3) \
           AND (claimed_until IS NULL OR claimed_until < $3)",
    )
    .bind(hold)
    .bind(id)
    .bind(at)
    .execute(db.writer())
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(None);
    }
    let (to, subject, body, created_at, attempts): (String, String, String, Millis, i64) =
        sqlx::query_as("SELECT to_address, subject, body, created_at, attempts FROM outbox_emails WHERE id = $1")
            .bind(id)
            .fetch_one(db.writer())
            .await?;
    let files = crate::attachments::service::of_mail(db, id).await?.into_iter().map(|(a, bytes)| (a.file_name, a.content_type, bytes)).collect();
    Ok(Some((OutgoingMail { id, created_at, to, subject, body, files }, attempts, hold)))
}

/// The mail went out. Recorded even if the hold has run out meanwhile: it *was* sent, and
/// a row left unsent would be sent again.
async fn record_sent(db: &Db, id: i64, at: Millis) -> AppResult<()> {
    sqlx::query("UPDATE outbox_emails SET sent_at = $1, next_attempt_at = NULL, claimed_until = NULL WHERE id = $2 AND sent_at IS NULL")
        .bind(at)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Records a failed try and when to try again, or that the sender gives up. Only while the
/// hold is still ours: if it ran out and another instance took the mail, that instance's
/// outcome is the one that counts. Returns whether the mail was given up.
async fn record_failure(db: &Db, id: i64, hold: Millis, attempts: i64, permanent: bool, error: &str, at: Millis) -> AppResult<bool> {
    let error: String = error.chars().take(ERROR_CHARS).collect();
    let (next, failed) = match after_failure(attempts, permanent, at) {
        AfterFailure::RetryAt(next) => (Some(next), None),
        AfterFailure::GiveUp => (None, Some(at)),
    };
    let done = sqlx::query(
        "UPDATE outbox_emails SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, failed_at = $3, claimed_until = NULL \
         WHERE id = $4 AND claimed_until = $5 AND sent_at IS NULL",
    )
    .bind(error)
    .bind(next)
    .bind(failed)
    .bind(id)
    .bind(hold)
    .execute(db.writer())
    .await?;
    if done.rows_affected() != 1 {
        tracing::warn!(mail = id, "the hold on a mail ran out before its failure was recorded");
    }
    Ok(failed.is_some())
}

/// Delivery over SMTP with lettre: the connection (plain, STARTTLS or TLS, credentials)
/// comes from `SHOPFLOW_SMTP_URL`, the sender from `SHOPFLOW_MAIL_FROM`.
pub struct SmtpMailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    /// Checked at start-up, so a mistyped URL or sender stops the server with a message
    /// instead of failing every mail later. Errors never repeat the URL (it holds the
    /// password).
    pub fn new(config: &SmtpConfig) -> Result<SmtpMailer, String> {
        let from = config
            .from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("SHOPFLOW_MAIL_FROM {:?} is not a mail address: {e}", config.from))?;
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&config.url)
            .map_err(|e| format!("SHOPFLOW_SMTP_URL cannot be used: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(SmtpMailer { transport, from })
    }

    fn message(&self, mail: &OutgoingMail) -> Result<lettre::Message, SendError> {
        use lettre::message::header::ContentType;
        let to = mail
            .to
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| SendError::Permanent(format!("{:?} is not a mail address: {e}", mail.to)))?;
        use lettre::message::{Attachment, MultiPart, SinglePart};
        let builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<outbox-{}-{}@{}>", mail.id, mail.created_at, self.from.email.domain())));
        let written = if mail.files.is_empty() {
            builder.header(ContentType::TEXT_PLAIN).body(mail.body.clone())
        } else {
            // The text first, then each file, as mail programs expect.
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(mail.body.clone()));
            for (name, kind, bytes) in &mail.files {
                let kind = ContentType::parse(kind).unwrap_or(ContentType::parse("application/octet-stream").expect("a valid type"));
                parts = parts.singlepart(Attachment::new(name.clone()).body(bytes.clone(), kind));
            }
            builder.multipart(parts)
        };
        written.map_err(|e| SendError::Permanent(format!("the mail cannot be written: {e}")))
    }
}

#[async_trait]
impl MailTransport for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        use lettre::AsyncTransport;
        let message = self.message(mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, from: &str) -> SmtpConfig {
        SmtpConfig { url: url.into(), from: from.into() }
    }

    #[test]
    fn bad_settings_are_refused_without_the_password() {
        let err = SmtpMailer::new(&config("smtp://u:secret@localhost:2525", "not an address")).err().unwrap();
        assert!(err.contains("SHOPFLOW_MAIL_FROM"), "{err}");
        let err = SmtpMailer::new(&config("gopher://u:secret@localhost", "a@b.test")).err().unwrap();
        assert!(err.contains("SHOPFLOW_SMTP_URL") && !err.contains("secret"), "{err}");
    }

    #[tokio::test]
    async fn a_message_has_a_stable_id_and_a_malformed_address_is_permanent() {
        let mailer = SmtpMailer::new(&config("smtp://localhost:2525", "Shopflow <no-reply@shopflow.test>")).unwrap();
        let mail = OutgoingMail {
            id: 7,
            created_at: 99,
            to: "cathy@example.test".into(),
            subject: "[Ticket #3] 回复".into(),
            body: "您好".into(),
            files: Vec::new(),
        };
        let text = String::from_utf8(mailer.message(&mail).unwrap().formatted()).unwrap();
        assert!(text.contains("Message-ID: <outbox-7-99@shopflow.test>"), "{text}");
        assert!(text.contains("To: cathy@example.test"), "{text}");
        assert!(!text.contains("multipart"), "{text}");
        // With a file: the text, then the file as an attachment under its own name.
        let with = OutgoingMail { files: vec![("label.pdf".into(), "application/pdf".into(), b"%PDF-1.7".to_vec())], ..mail.clone() };
        let text = String::from_utf8(mailer.message(&with).unwrap().formatted()).unwrap();
        assert!(text.contains("Content-Type: multipart/mixed"), "{text}");
        assert!(text.contains("Content-Disposition: attachment; filename=\"label.pdf\""), "{text}");
        assert!(text.contains("Content-Type: application/pdf"), "{text}");
        let bad = OutgoingMail { to: "no at sign".into(), ..mail };
        assert!(matches!(mailer.message(&bad), Err(SendError::Permanent(_))));
    }
}
