//! The email channel: a customer's mail becomes a ticket, or a message on the ticket whose
//! reference ("[Ticket #12]") its subject quotes — but only when it comes from that ticket's
//! contact address, so nobody can write onto someone else's ticket by quoting its number.
//! Mail arrives through the signed webhook (`POST /webhooks/email`, the raw message as the
//! body) or as `.eml` files an agent imports; a message seen before (by its Message-ID) is
//! recorded once.

use super::service::{customer_step, insert_ticket, MessageFiles, NewTicket, TicketPolicy};
use super::{EmailOutcome, TICKETS};
use crate::accounts::service::load_actor;
use crate::domain::{AppError, AppResult};
use crate::engine::run;
use crate::server::db::is_unique_violation;
use crate::server::Db;
use mail_parser::MimeHeaders;
use serde_json::json;
use std::collections::HashMap;

/// The largest message accepted (the webhook's body limit and the import's file limit): room
/// for the photos and documents a customer attaches, as mail providers allow.
pub const MAX_EMAIL_BYTES: usize = 25 << 20;

/// What the desk takes from a mail.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEmail {
    pub from: String,
    pub subject: String,
    pub message_id: Option<String>,
    pub body: String,
    /// The files it carries that the desk keeps: (name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads a raw RFC 5322 message. A text without a sender address or without any text is
/// refused with a message that says so.
pub fn parse_email(raw: &[u8]) -> AppResult<ParsedEmail> {
    if raw.len() > MAX_EMAIL_BYTES {
        return Err(AppError::invalid("email", "the message is larger than 25 MB"));
    }
    let message = mail_parser::MessageParser::default().parse(raw).ok_or_else(|| AppError::invalid("email", "not an email message"))?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@') && !a.contains(char::is_whitespace))
        .ok_or_else(|| AppError::invalid("email", "not an email message: no sender address"))?;
    let mut body = message.body_text(0).map(|b| without_quote(&b)).unwrap_or_default();
    let mut files = Vec::new();
    let mut dropped = Vec::new();
    for part in message.attachments() {
        let name = part.attachment_name().unwrap_or("").to_string();
        let bytes = part.contents();
        if bytes.is_empty() {
            continue;
        }
        // A file over the upload limit is not kept, and the message says so: the agent asks
        // for it another way rather than never learning it was sent.
        if bytes.len() > crate::attachments::MAX_ATTACHMENT_BYTES {
            dropped.push(name);
        } else {
            files.push((name, bytes.to_vec()));
        }
    }
    if body.trim().is_empty() && !files.is_empty() {
        body = "(files only, no text)".to_string();
    }
    if body.trim().is_empty() {
        return Err(AppError::invalid("email", "the message has no text"));
    }
    // First, so that cutting a long text to size never cuts the notice.
    for name in dropped.iter().rev() {
        body = format!("[The attachment \"{name}\" was larger than 10 MB and was not kept.]\n\n{body}");
    }
    Ok(ParsedEmail {
        from,
        subject: message.subject().unwrap_or("").trim().chars().take(500).collect(),
        message_id: message.message_id().map(|m| m.trim().to_string()).filter(|m| !m.is_empty()),
        body: body.chars().take(super::MESSAGE_CHARS).collect(),
        files,
    })
}

/// The ticket number a subject quotes: "Re: [Ticket #12] Broken cup" → 12.
pub fn ticket_reference(subject: &str) -> Option<i64> {
    let start = subject.find("[Ticket #")? + "[Ticket #".len();
    let rest = &subject[start..];
    let end = rest.find(']')?;
    rest[..end].trim().parse().ok().filter(|n| *n > 0)
}

/// The subject without "Re:"/"Fwd:" and without a ticket reference.
pub fn clean_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let cut = ["re:", "fw:", "fwd:", "回复:", "回复：", "转发:"].iter().find(|p| lower.starts_with(*p)).map(|p| p.len());
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => break,
        }
    }
    let mut out = s.to_string();
    if let (Some(a), Some(n)) = (out.find("[Ticket #"), ticket_reference(&out)) {
        let reference = super::reference(n);
        if out[a..].starts_with(&reference) {
            out.replace_range(a..a + reference.len(), "");
        }
    }
    let out = out.trim().chars().take(200).collect::<String>();
    if out.is_empty() { "(no subject)".to_string() } else { out }
}

/// The new text of a reply: what comes before the quoted earlier mail.
pub fn without_quote(body: &str) -> String {
    let mut kept = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        let quote_starts = t.starts_with('>')
            || t.starts_with("-----Original Message")
            || (t.starts_with("On ") && t.ends_with("wrote:"))
            || (t.starts_with("在") && t.ends_with("写道："))
            || t == "—";
        if quote_starts {
            break;
        }
        kept.push(line);
    }
    kept.join("\n").trim().to_string()
}

/// Takes in one message: a reply on its ticket, or a new ticket.
pub async fn ingest(db: &Db, policy: TicketPolicy, raw: &[u8]) -> AppResult<EmailOutcome> {
    let mail = parse_email(raw)?;
    if let Some(id) = &mail.message_id {
        let seen: Option<(i64,)> = sqlx::query_as("SELECT ticket_id FROM inbound_emails WHERE message_id = $1").bind(id).fetch_optional(db.pool()).await?;
        if let Some((ticket,)) = seen {
            return Ok(EmailOutcome { ticket_id: ticket, created: false, duplicate: true });
        }
    }
    let customer: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE email = $1 AND is_customer = 1 AND active = 1").bind(&mail.from).fetch_optional(db.pool()).await?;
    let actor = match customer {
        Some((id,)) => load_actor(db, id).await?,
        None => None,
    };
    let outcome = match reply_on_ticket(db, policy, &mail, actor.as_ref()).await? {
        Some(ticket) => EmailOutcome { ticket_id: ticket, created: false, duplicate: false },
        None => EmailOutcome { ticket_id: new_ticket(db, &mail, actor.as_ref()).await?, created: true, duplicate: false },
    };
    Ok(outcome)
}

/// The message as a reply on the ticket it quotes, when the sender is that ticket's contact
/// and the ticket still takes replies; `None` otherwise (the mail then opens a ticket).
async fn reply_on_ticket(db: &Db, policy: TicketPolicy, mail: &ParsedEmail, actor: Option<&crate::accounts::Actor>) -> AppResult<Option<i64>> {
    let Some(n) = ticket_reference(&mail.subject) else { return Ok(None) };
    let row: Option<(String, Option<i64>, String, i64)> =
        sqlx::query_as("SELECT contact_email, customer_id, state, state_since FROM tickets WHERE id = $1").bind(n).fetch_optional(db.pool()).await?;
    let Some((contact, customer, state, since)) = row else { return Ok(None) };
    if !contact.eq_ignore_ascii_case(&mail.from) {
        return Ok(None);
    }
    // A registered customer writes as themselves; an unknown sender's ticket takes the step
    // on the system's behalf (it has no account to act as).
    let author = actor.filter(|a| customer == Some(a.id));
    if customer.is_some() && author.is_none() {
        return Ok(None);
    }
    let files = MessageFiles::Mail(&mail.files);
    match customer_step(db, author, policy, n, &state, since, &mail.body, "email", mail.message_id.as_deref(), files).await {
        Ok(_) => Ok(Some(n)),
        // Closed, or past the reopen window: the mail starts a new ticket instead.
        Err(AppError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn new_ticket(db: &Db, mail: &ParsedEmail, actor: Option<&crate::accounts::Actor>) -> AppResult<i64> {
    let mut step = match actor {
        Some(a) => run::begin_create(db, a, &TICKETS, "open", &HashMap::new()).await?.0,
        None => run::begin_system_create(db, &TICKETS, "open").await?,
    };
    let subject = clean_subject(&mail.subject);
    let id = insert_ticket(
        &mut step,
        NewTicket {
            customer: actor.map(|a| a.id),
            email: &mail.from,
            order: None,
            kind: "inquiry",
            channel: "email",
            subject: &subject,
            assignee: None,
            author: actor.map(|a| a.id),
            message: &mail.body,
            files: MessageFiles::Mail(&mail.files),
        },
    )
    .await?;
    if let Some(m) = &mail.message_id {
        remember(step.conn(), m, id).await?;
    }
    step.commit_created(id, json!({ "kind": "inquiry", "channel": "email" })).await?;
    Ok(id)
}

/// Records a message's id in the step's transaction: a second delivery finds it.
pub async fn remember(conn: &mut sqlx::AnyConnection, message_id: &str, ticket: i64) -> AppResult<()> {
    let done = sqlx::query("INSERT INTO inbound_emails (message_id, ticket_id, received_at) VALUES ($1, $2, $3)")
        .bind(message_id)
        .bind(ticket)
        .bind(crate::domain::now_millis())
        .execute(conn)
        .await;
    match done {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict("this message was received already".into())),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &str = "From: Cathy Customer <Customer@Shopflow.test>\r\nTo: service@shopflow.test\r\nSubject: Re: [Ticket #12] Broken cup\r\n\
Message-ID: <abc@mail.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nStill broken, photo attached.\r\n\r\nOn Mon, 23 Nov 2026, Shopflow wrote:\r\n> We are sorry.\r\n";

    #[test]
    fn a_reply_keeps_its_new_text_and_finds_its_ticket() {
        let m = parse_email(MAIL.as_bytes()).unwrap();
        assert_eq!(m.from, "customer@shopflow.test");
        assert_eq!(m.body, "Still broken, photo attached.");
        assert_eq!(m.message_id.as_deref(), Some("abc@mail.example"));
        assert_eq!(ticket_reference(&m.subject), Some(12));
        assert_eq!(clean_subject(&m.subject), "Broken cup");
        assert_eq!(clean_subject("Fwd: RE: hello"), "hello");
        assert_eq!(clean_subject("  "), "(no subject)");
        assert_eq!(ticket_reference("[Ticket #x] hi"), None);
    }

    #[test]
    fn encoded_chinese_subjects_and_bodies_are_read() {
        let raw = "From: =?UTF-8?B?5p2O5aic?= <li.na@example.com>\r\nSubject: =?UTF-8?B?6K+35q+U5Lu3?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n5oiR55qE6K6i5Y2V5Zyo5ZOq6YeM77yf\r\n";
        let m = parse_email(raw.as_bytes()).unwrap();
        assert_eq!((m.from.as_str(), m.subject.as_str(), m.body.as_str()), ("li.na@example.com", "请比价", "我的订单在哪里？"));
    }

    #[test]
    fn malformed_mail_is_refused_with_a_reason() {
        let e = parse_email(b"hello there, this is not a mail").unwrap_err();
        assert!(e.field_message("email").is_some());
        let e = parse_email(b"From: nobody\r\nSubject: x\r\n\r\ntext\r\n").unwrap_err();
        assert!(e.field_message("email").unwrap().contains("sender"), "{e:?}");
        let e = parse_email(b"From: a@b.example\r\nSubject: x\r\n\r\n\r\n").unwrap_err();
        assert!(e.field_message("email").unwrap().contains("no text"));
        let big = vec![b'a'; MAX_EMAIL_BYTES + 1];
        assert!(parse_email(&big).is_err());
    }
}
