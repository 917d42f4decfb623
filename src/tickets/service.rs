//! Tickets on the server. Every step goes through the engine; messages, department questions,
//! the survey and the mail to the customer are written in the step's own transaction, so a
//! reply is either on the ticket, in the audit trail and in the outbox, or nowhere.

use super::sla::{self, Calendar, TicketSla};
use super::*;
use crate::accounts::Actor;
use crate::attachments::{self, Attachment};
use crate::domain::{now_millis, AppError, AppResult};
use crate::engine::run::{self, audit, Step, Transition};
use crate::outbox::service::enqueue;
use crate::server::db::like_escape;
use crate::server::Db;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// How long a customer may reopen a resolved ticket by replying; after it the ticket closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketPolicy {
    pub reopen_days: i64,
}

impl Default for TicketPolicy {
    fn default() -> Self {
        TicketPolicy { reopen_days: 7 }
    }
}

impl TicketPolicy {
    fn window_ms(self) -> i64 {
        self.reopen_days * 24 * 3_600_000
    }
}

const DAY_MS: i64 = 24 * 3_600_000;

/// Adds a message to the conversation; returns its id (what its files hang on).
async fn add_message(conn: &mut AnyConnection, ticket: i64, author: Option<i64>, from_customer: bool, internal: bool, channel: &str, body: &str) -> AppResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO ticket_messages (ticket_id, author_id, from_customer, internal, channel, body, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(ticket)
    .bind(author)
    .bind(i64::from(from_customer))
    .bind(i64::from(internal))
    .bind(channel)
    .bind(body)
    .bind(now_millis())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The files that come with a message.
#[derive(Debug, Clone, Copy)]
pub enum MessageFiles<'a> {
    None,
    /// Uploaded beforehand by `owner` (in the portal, or by the agent), claimed by id.
    Uploaded { owner: i64, ids: &'a [i64] },
    /// Carried by a mail: (file name, bytes).
    Mail(&'a [(String, Vec<u8>)]),
}

/// Puts a message's files on it, in the message's transaction.
async fn attach(conn: &mut AnyConnection, ticket: i64, message: i64, internal: bool, files: MessageFiles<'_>) -> AppResult<Vec<Attachment>> {
    let target = attachments::service::Target { entity: attachments::TICKET, entity_id: ticket, part_id: Some(message), internal };
    match files {
        MessageFiles::None => Ok(Vec::new()),
        MessageFiles::Uploaded { owner, ids } => attachments::service::claim(conn, owner, ids, target, false).await,
        MessageFiles::Mail(files) => {
            let mut out = Vec::with_capacity(files.len());
            for (name, bytes) in files {
                out.push(attachments::service::store(&mut *conn, target, name, bytes).await?);
            }
            Ok(out)
        }
    }
}

/// Mail to the ticket's contact, with the reference that routes a reply back to the ticket,
/// carrying the files the agent attached.
async fn mail_customer(conn: &mut AnyConnection, ticket: i64, body: &str, files: &[Attachment]) -> AppResult<()> {
    let (to, subject): (String, String) = sqlx::query_as("SELECT contact_email, subject FROM tickets WHERE id = $1").bind(ticket).fetch_one(&mut *conn).await?;
    let portal = crate::server::config::absolute(&format!("/my/tickets/{ticket}"));
    let text = format!("{body}\n\n—\nShopflow customer service. Reply to this mail, or read and answer in your portal: {portal}");
    let email = enqueue(conn, &to, &format!("{} {subject}", reference(ticket)), &text, TICKETS.id, ticket).await?;
    attachments::service::attach_to_mail(conn, email, files).await
}

/// The ticket is open and about `order`: an agent may act on the order from it.
pub async fn check_ticket_order(conn: &mut AnyConnection, ticket: i64, order: i64) -> AppResult<()> {
    let row: Option<(Option<i64>, String)> = sqlx::query_as("SELECT order_id, state FROM tickets WHERE id = $1").bind(ticket).fetch_optional(conn).await?;
    match row {
        Some((Some(o), state)) if o == order && OPEN.iter().any(|s| s.id == state) => Ok(()),
        Some(_) => Err(AppError::invalid("ticket", "the ticket is not an open ticket about this order")),
        None => Err(AppError::NotFound),
    }
}

/// The ticket remembers the return an agent filed from it: an internal note and an event.
pub async fn note_return(conn: &mut AnyConnection, actor: &Actor, ticket: i64, case: i64) -> AppResult<()> {
    add_message(&mut *conn, ticket, Some(actor.id), false, true, "note", &format!("Return #{case} filed for the customer: /returns/{case}")).await?;
    audit(conn, TICKETS.id, ticket, "return_filed", None, None, Some(actor.id), &json!({ "return": case.to_string() })).await
}

/// The ticket remembers the shipping exception an agent reported from it: an internal note
/// and an event.
pub async fn note_exception(conn: &mut AnyConnection, actor: &Actor, ticket: i64, exception: i64, order: i64) -> AppResult<()> {
    let note = format!("Shipping exception #{exception} reported for the customer: /orders/{order}#exceptions");
    add_message(&mut *conn, ticket, Some(actor.id), false, true, "note", &note).await?;
    audit(conn, TICKETS.id, ticket, "exception_reported", None, None, Some(actor.id), &json!({ "exception": exception.to_string() })).await
}

/// A customer's order, or "not an order of this customer".
async fn check_order(conn: &mut AnyConnection, customer: i64, order: Option<i64>) -> AppResult<Option<i64>> {
    let Some(order) = order else { return Ok(None) };
    let owner: Option<(i64,)> = sqlx::query_as("SELECT customer_id FROM orders WHERE id = $1").bind(order).fetch_optional(conn).await?;
    match owner {
        Some((c,)) if c == customer => Ok(Some(order)),
        _ => Err(AppError::invalid("order", "not an order of this customer")),
    }
}

/// An active member of staff who handles tickets.
async fn check_agent(conn: &mut AnyConnection, field: &str, id: i64) -> AppResult<i64> {
    let found: Option<(i64,)> = sqlx::query_as(&format!(
        "SELECT u.id FROM users u WHERE u.id = $1 AND u.is_customer = 0 AND u.active = 1 AND {}",
        crate::accounts::service::holds_permission(2)
    ))
    .bind(id)
    .bind(crate::domain::Permission::TicketHandle.key())
    .fetch_optional(conn)
    .await?;
    found.map(|f| f.0).ok_or_else(|| AppError::invalid(field, "choose an agent who handles tickets"))
}

/// Opens a ticket: a customer's own from the portal, or an agent's log of a phone call.
pub async fn open(db: &Db, actor: &Actor, input: &TicketInput) -> AppResult<Transition> {
    let (mut step, _) = run::begin_create(db, actor, &TICKETS, "open", &HashMap::new()).await?;
    let v = input.validate()?;
    let (customer, email, channel) = if actor.is_customer {
        (actor.id, actor.email.clone(), "portal")
    } else {
        if !actor.can(crate::domain::Permission::TicketHandle) {
            return Err(AppError::Forbidden);
        }
        let email = input.customer_email.trim().to_lowercase();
        let found: Option<(i64, String)> =
            sqlx::query_as("SELECT id, email FROM users WHERE email = $1 AND is_customer = 1").bind(&email).fetch_optional(step.conn()).await?;
        let (id, email) = found.ok_or_else(|| AppError::invalid("customer_email", "no customer has this email"))?;
        (id, email, "phone")
    };
    let order = check_order(step.conn(), customer, v.order).await?;
    let assignee = (!actor.is_customer).then_some(actor.id);
    let files = MessageFiles::Uploaded { owner: actor.id, ids: &input.attachments };
    let id = insert_ticket(
        &mut step,
        NewTicket { customer: Some(customer), email: &email, order, kind: &v.kind, channel, subject: &v.subject, assignee, author: Some(actor.id), message: &v.message, files },
    )
    .await?;
    step.commit_created(id, json!({ "kind": v.kind, "channel": channel, "order": order.map(|o| o.to_string()) })).await
}

/// A ticket to insert in a creating step.
pub(super) struct NewTicket<'a> {
    pub customer: Option<i64>,
    pub email: &'a str,
    pub order: Option<i64>,
    pub kind: &'a str,
    pub channel: &'a str,
    pub subject: &'a str,
    pub assignee: Option<i64>,
    /// Who wrote the first message: the customer, the agent who took the call, or nobody
    /// known (mail from an address without an account).
    pub author: Option<i64>,
    pub message: &'a str,
    pub files: MessageFiles<'a>,
}

/// Inserts the ticket, its first message and the acknowledgement mail; returns its id.
pub(super) async fn insert_ticket(step: &mut Step, t: NewTicket<'_>) -> AppResult<i64> {
    // A complaint is a high priority until triage says otherwise.
    let priority = if t.kind == "complaint" { "high" } else { "normal" };
    let now = now_millis();
    let state = step.to_state();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO tickets (customer_id, contact_email, order_id, kind, channel, subject, priority, assignee_id, state, version, created_at, updated_at, state_since) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10, $10) RETURNING id",
    )
    .bind(t.customer)
    .bind(t.email)
    .bind(t.order)
    .bind(t.kind)
    .bind(t.channel)
    .bind(t.subject)
    .bind(priority)
    .bind(t.assignee)
    .bind(state)
    .bind(now)
    .fetch_one(step.conn())
    .await?;
    let message = add_message(step.conn(), id, t.author, true, false, t.channel, t.message).await?;
    attach(step.conn(), id, message, false, t.files).await?;
    let ack = format!(
        "We have received your {} \"{}\" and will answer within one working hour. Your ticket number is #{id}.",
        label(t.kind, Lang::En).to_lowercase(),
        t.subject
    );
    mail_customer(step.conn(), id, &ack, &[]).await?;
    Ok(id)
}

/// A step of the service desk on a ticket the agent has open at `version`.
pub async fn act(db: &Db, actor: &Actor, id: i64, version: i64, action: &str, form: &HashMap<String, String>) -> AppResult<Transition> {
    act_with_files(db, actor, id, version, action, form, &[]).await
}

/// A step with files the agent uploaded: on a reply, a question to the customer or the
/// resolution they go to the customer with the mail; on a note they stay inside.
pub async fn act_with_files(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    action: &str,
    form: &HashMap<String, String>,
    files: &[i64],
) -> AppResult<Transition> {
    if !files.is_empty() && !matches!(action, "reply" | "ask" | "note" | "resolve") {
        return Err(AppError::invalid("attachments", "this step takes no files"));
    }
    let files = MessageFiles::Uploaded { owner: actor.id, ids: files };
    if matches!(action, "customer_reply" | "customer_answer" | "reopen" | "department_answer") {
        return Err(AppError::invalid("action", "this step has its own form"));
    }
    let (mut step, v) = run::begin(db, actor, &TICKETS, id, version, action, form).await?;
    let get = |k: &str| v.get(k).map(String::as_str).unwrap_or("");
    let (customer, contact): (Option<i64>, String) =
        sqlx::query_as("SELECT customer_id, contact_email FROM tickets WHERE id = $1").bind(id).fetch_one(step.conn()).await?;
    let mut payload = serde_json::to_value(&v).unwrap_or_default();
    match action {
        "triage" => {
            let order = match (customer, parse_order_number("order", get("order"))?) {
                (Some(c), order) => check_order(step.conn(), c, order).await?,
                (None, None) => None,
                // Mail from an address without an account has no orders to link.
                (None, Some(_)) => return Err(AppError::invalid("order", "not an order of this customer")),
            };
            let assignee = match get("assignee") {
                "" => actor.id,
                a => check_agent(step.conn(), "assignee", a.parse().unwrap_or(0)).await?,
            };
            sqlx::query("UPDATE tickets SET kind = $1, category = $2, priority = $3, order_id = COALESCE($4, order_id), assignee_id = $5 WHERE id = $6")
                .bind(get("kind"))
                .bind(get("category"))
                .bind(get("priority"))
                .bind(order)
                .bind(assignee)
                .bind(id)
                .execute(step.conn())
                .await?;
        }
        "start" | "close" => {}
        "reply" | "ask" => {
            let message = add_message(step.conn(), id, Some(actor.id), false, false, "portal", get("message")).await?;
            let sent = attach(step.conn(), id, message, false, files).await?;
            first_response(&mut step, id).await?;
            mail_customer(step.conn(), id, get("message"), &sent).await?;
        }
        "note" => {
            let message = add_message(step.conn(), id, Some(actor.id), false, true, "note", get("note")).await?;
            attach(step.conn(), id, message, true, files).await?;
        }
        "assign" => {
            let to = check_agent(step.conn(), "assignee", get("assignee").parse().unwrap_or(0)).await?;
            sqlx::query("UPDATE tickets SET assignee_id = $1 WHERE id = $2").bind(to).bind(id).execute(step.conn()).await?;
        }
        "escalate" => escalate(&mut step, actor, id, get("to"), get("question"), &mut payload).await?,
        "resolve" => {
            let (open,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ticket_tasks WHERE ticket_id = $1 AND answered_at IS NULL")
                .bind(id)
                .fetch_one(step.conn())
                .await?;
            if open > 0 {
                return Err(AppError::Conflict("questions to other departments are still unanswered".into()));
            }
            let now = now_millis();
            sqlx::query(
                "UPDATE tickets SET problem = $1, root_cause = $2, solution = $3, customer_feedback = $4, resolved_at = $5 WHERE id = $6",
            )
            .bind(get("problem"))
            .bind(get("root_cause"))
            .bind(get("solution"))
            .bind(get("customer_feedback"))
            .bind(now)
            .bind(id)
            .execute(step.conn())
            .await?;
            let message = add_message(step.conn(), id, Some(actor.id), false, false, "portal", get("message")).await?;
            let files_sent = attach(step.conn(), id, message, false, files).await?;
            first_response(&mut step, id).await?;
            // One survey per ticket, however often it is reopened and resolved again.
            let sent: Option<(i64,)> = sqlx::query_as("SELECT sent_at FROM ticket_surveys WHERE ticket_id = $1").bind(id).fetch_optional(step.conn()).await?;
            let mut mail = get("message").to_string();
            if sent.is_none() {
                sqlx::query("INSERT INTO ticket_surveys (ticket_id, sent_at) VALUES ($1, $2)").bind(id).bind(now).execute(step.conn()).await?;
                // One click rates: each link names this ticket and its score, signed.
                mail.push_str("\n\nHow did we do? Rate our help with one click (1 = poor, 5 = excellent):");
                for (score, link) in super::survey_link::links(step.conn(), id).await? {
                    mail.push_str(&format!("\n{}{} {score}: {link}", "★".repeat(score as usize), "☆".repeat(5 - score as usize)));
                }
                if customer.is_some() {
                    let portal = crate::server::config::absolute(&format!("/my/tickets/{id}#survey"));
                    mail.push_str(&format!("\nor in your portal: {portal}"));
                }
            }
            mail_customer(step.conn(), id, &mail, &files_sent).await?;
        }
        "merge" => {
            let into = parse_order_number("into", get("into"))?.ok_or_else(|| AppError::invalid("into", "a ticket number"))?;
            let target: Option<(Option<i64>, String, String)> =
                sqlx::query_as("SELECT customer_id, contact_email, state FROM tickets WHERE id = $1").bind(into).fetch_optional(step.conn()).await?;
            // The same customer: the same account, or for senders without one, the same address.
            let same = |c: &Option<i64>, email: &str| *c == customer && (customer.is_some() || email.eq_ignore_ascii_case(&contact));
            match target {
                Some((c, email, state)) if into != id && same(&c, &email) && OPEN.iter().any(|s| s.id == state) => {}
                _ => return Err(AppError::invalid("into", "choose another open ticket of the same customer")),
            }
            // The conversation, its files and any questions to departments continue on the kept
            // ticket; the messages are copied so that the merged ticket's trail still reads.
            let moved: Vec<(i64,)> = sqlx::query_as("SELECT id FROM ticket_messages WHERE ticket_id = $1 ORDER BY id").bind(id).fetch_all(step.conn()).await?;
            for (message,) in moved {
                let (copy,): (i64,) = sqlx::query_as(
                    "INSERT INTO ticket_messages (ticket_id, author_id, from_customer, internal, channel, body, at) \
                     SELECT $1, author_id, from_customer, internal, channel, body, at FROM ticket_messages WHERE id = $2 RETURNING id",
                )
                .bind(into)
                .bind(message)
                .fetch_one(step.conn())
                .await?;
                attachments::service::move_part(step.conn(), attachments::TICKET, message, into, copy).await?;
            }
            sqlx::query("UPDATE ticket_tasks SET ticket_id = $1 WHERE ticket_id = $2").bind(into).bind(id).execute(step.conn()).await?;
            crate::orders::exception_service::move_to_ticket(step.conn(), id, into).await?;
            sqlx::query("UPDATE tickets SET merged_into = $1 WHERE id = $2").bind(into).bind(id).execute(step.conn()).await?;
            add_message(step.conn(), into, Some(actor.id), false, true, "note", &format!("Ticket #{id} was merged into this one.")).await?;
            audit(step.conn(), TICKETS.id, into, "merged_in", None, None, Some(actor.id), &json!({ "from": id.to_string() })).await?;
        }
        _ => return Err(AppError::invalid("action", "unknown action")),
    }
    step.commit(payload).await
}

/// The first answer the customer gets stops the first-response clock.
async fn first_response(step: &mut Step, id: i64) -> AppResult<()> {
    sqlx::query("UPDATE tickets SET first_response_at = COALESCE(first_response_at, $1) WHERE id = $2")
        .bind(now_millis())
        .bind(id)
        .execute(step.conn())
        .await?;
    Ok(())
}

/// To a senior agent: the least busy active one becomes the owner. To a department: a question
/// in its queue. Either way the ticket says so in an internal note.
async fn escalate(step: &mut Step, actor: &Actor, id: i64, to: &str, question: &str, payload: &mut serde_json::Value) -> AppResult<()> {
    if to == "senior" {
        let senior: Option<(i64, String)> = sqlx::query_as(
            "SELECT u.id, u.display_name FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
             WHERE r.role_key = 'senior_service_agent' AND u.active = 1 AND u.id <> $1 \
             ORDER BY (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id AND t.state IN ('new', 'triaged', 'in_progress', 'waiting')), u.id LIMIT 1",
        )
        .bind(actor.id)
        .fetch_optional(step.conn())
        .await?;
        let (senior, name) = senior.ok_or_else(|| AppError::Conflict("no senior agent is active to take the ticket".into()))?;
        sqlx::query("UPDATE tickets SET assignee_id = $1 WHERE id = $2").bind(senior).bind(id).execute(step.conn()).await?;
        add_message(step.conn(), id, Some(actor.id), false, true, "note", &format!("Escalated to {name}: {question}")).await?;
        payload["assignee"] = json!(senior.to_string());
    } else {
        let dept = crate::domain::Department::from_key(to).ok_or_else(|| AppError::invalid("to", "choose one of the options"))?;
        sqlx::query("INSERT INTO ticket_tasks (ticket_id, department, question, asked_by, asked_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(dept.key())
            .bind(question)
            .bind(actor.id)
            .bind(now_millis())
            .execute(step.conn())
            .await?;
    }
    Ok(())
}

/// The customer's message (or, logged by an agent, what they said on the phone). It answers a
/// question the ticket waits on, reopens a resolved ticket within the window, or just adds to
/// the conversation.
pub async fn customer_write(db: &Db, actor: &Actor, policy: TicketPolicy, id: i64, body: &str, files: &[i64]) -> AppResult<Transition> {
    parse_message("message", body)?;
    let row: Option<(Option<i64>, String, i64)> =
        sqlx::query_as("SELECT customer_id, state, state_since FROM tickets WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
    let (customer, state, since) = row.ok_or(AppError::NotFound)?;
    let channel = if actor.is_customer {
        if customer != Some(actor.id) {
            return Err(AppError::NotFound);
        }
        "portal"
    } else if actor.can(crate::domain::Permission::TicketHandle) {
        "phone"
    } else {
        return Err(AppError::Forbidden);
    };
    let files = MessageFiles::Uploaded { owner: actor.id, ids: files };
    customer_step(db, Some(actor), policy, id, &state, since, &body, channel, None, files).await
}

/// The customer's message as the step its ticket's state calls for; `author` is `None` for
/// mail from an address without an account (the system takes the step). `message_id`, for
/// mail, is recorded in the same transaction so a second delivery is recognised.
#[allow(clippy::too_many_arguments)]
pub(super) async fn customer_step(
    db: &Db,
    author: Option<&Actor>,
    policy: TicketPolicy,
    id: i64,
    state: &str,
    since: i64,
    body: &str,
    channel: &str,
    message_id: Option<&str>,
    files: MessageFiles<'_>,
) -> AppResult<Transition> {
    let body = parse_message("message", body)?;
    let action = match state {
        "waiting" => "customer_answer",
        "resolved" if now_millis() - since <= policy.window_ms() => "reopen",
        "resolved" | "closed" => {
            return Err(AppError::Conflict("this ticket is closed; please open a new one".into()));
        }
        _ => "customer_reply",
    };
    let mut step = match author {
        Some(a) => run::begin_current(db, a, &TICKETS, id, action, &HashMap::new()).await?.0,
        None => run::begin_system(db, &TICKETS, id, action).await?,
    };
    let message = add_message(step.conn(), id, author.map(|a| a.id), true, false, channel, &body).await?;
    attach(step.conn(), id, message, false, files).await?;
    if let Some(m) = message_id {
        super::email::remember(step.conn(), m, id).await?;
    }
    step.commit(json!({ "channel": channel })).await
}

/// A department's answer to the question customer service escalated to it.
pub async fn answer_task(db: &Db, actor: &Actor, task_id: i64, answer: &str) -> AppResult<Transition> {
    let answer = crate::domain::required_text("answer", answer, 2000)?;
    let task: Option<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT ticket_id, department, answered_at FROM ticket_tasks WHERE id = $1").bind(task_id).fetch_optional(db.pool()).await?;
    let (ticket, dept, answered) = task.ok_or(AppError::NotFound)?;
    let department = crate::domain::Department::from_key(&dept).ok_or_else(|| AppError::internal("task of an unknown department"))?;
    // Only the department that was asked answers.
    if !actor.can(department.page_permission()) {
        return Err(AppError::Forbidden);
    }
    if answered.is_some() {
        return Err(AppError::Conflict("this question has been answered already".into()));
    }
    let (mut step, _) = run::begin_current(db, actor, &TICKETS, ticket, "department_answer", &HashMap::new()).await?;
    let done = sqlx::query("UPDATE ticket_tasks SET answer = $1, answered_by = $2, answered_at = $3 WHERE id = $4 AND answered_at IS NULL")
        .bind(&answer)
        .bind(actor.id)
        .bind(now_millis())
        .bind(task_id)
        .execute(step.conn())
        .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict("this question has been answered already".into()));
    }
    step.commit(json!({ "department": dept, "task": task_id.to_string() })).await
}

/// The customer's satisfaction score, once per ticket.
pub async fn answer_survey(db: &Db, actor: &Actor, input: &SurveyInput) -> AppResult<()> {
    let (score, comment) = input.validate()?;
    let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT t.customer_id, s.answered_at FROM tickets t JOIN ticket_surveys s ON s.ticket_id = t.id WHERE t.id = $1",
    )
    .bind(input.ticket_id)
    .fetch_optional(db.pool())
    .await?;
    let (customer, answered) = row.ok_or(AppError::NotFound)?;
    if customer != Some(actor.id) {
        return Err(AppError::NotFound);
    }
    if answered.is_some() {
        return Err(AppError::Conflict("you have answered this survey already".into()));
    }
    record_survey(db, input.ticket_id, score, &comment, Some(actor.id), "portal").await
}

/// Records a survey's answer unless it has one (the conditional update decides between two
/// answers at once), with its audit event: `actor` is the signed-in customer, or nobody for
/// the one-click link of the mail (`via` says which).
pub(super) async fn record_survey(db: &Db, ticket: i64, score: i64, comment: &str, actor: Option<i64>, via: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("UPDATE ticket_surveys SET score = $1, comment = $2, answered_at = $3 WHERE ticket_id = $4 AND answered_at IS NULL")
        .bind(score)
        .bind(comment)
        .bind(now_millis())
        .bind(ticket)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict("you have answered this survey already".into()));
    }
    audit(&mut tx, TICKETS.id, ticket, "survey", None, None, actor, &json!({ "score": score.to_string(), "via": via })).await?;
    tx.commit().await?;
    Ok(())
}

/// Closes resolved tickets whose reopen window has passed. Every instance runs it; the
/// engine's state check makes a twin run harmless.
pub async fn close_resolved(db: &Db, policy: TicketPolicy) -> AppResult<usize> {
    let due: Vec<(i64,)> = sqlx::query_as("SELECT id FROM tickets WHERE state = 'resolved' AND state_since < $1 ORDER BY id LIMIT 500")
        .bind(now_millis() - policy.window_ms())
        .fetch_all(db.pool())
        .await?;
    let mut closed = 0;
    for (id,) in due {
        match run::begin_system(db, &TICKETS, id, "close").await {
            Ok(step) => {
                step.commit(json!({ "reason": "reopen window passed" })).await?;
                closed += 1;
            }
            Err(AppError::InvalidTransition { .. } | AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(closed)
}

// ------------------------------------------------------------------------------ reading

/// A ticket row as the lists read it (more columns than sqlx's tuples take).
#[derive(sqlx::FromRow)]
struct TicketDb {
    id: i64,
    subject: String,
    kind: String,
    channel: String,
    category: Option<String>,
    priority: String,
    customer_id: Option<i64>,
    customer: String,
    assignee_id: Option<i64>,
    assignee: Option<String>,
    order_id: Option<i64>,
    open_tasks: i64,
    state: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    /// The stored next deadline (the SLA sweep's bookkeeping; not shown).
    sla_due_at: Option<i64>,
}

const SELECT: &str = "SELECT t.id, t.subject, t.kind, t.channel, t.category, t.priority, t.customer_id, COALESCE(c.display_name, t.contact_email) AS customer, \
     t.assignee_id, a.display_name AS assignee, t.order_id, \
     CAST((SELECT COUNT(*) FROM ticket_tasks k WHERE k.ticket_id = t.id AND k.answered_at IS NULL) AS BIGINT) AS open_tasks, \
     t.state, t.version, t.created_at, t.updated_at, t.sla_due_at \
     FROM tickets t LEFT JOIN users c ON c.id = t.customer_id LEFT JOIN users a ON a.id = t.assignee_id";

/// A ticket row as a summary; its SLA is filled in from the business-hours clocks
/// (`clocks_of`) where it is shown.
fn summary(r: TicketDb) -> TicketSummary {
    TicketSummary {
        sla: SlaStatus::None,
        id: r.id,
        subject: r.subject,
        kind: r.kind,
        channel: r.channel,
        category: r.category,
        priority: r.priority,
        customer_id: r.customer_id,
        customer: r.customer,
        assignee_id: r.assignee_id,
        assignee: r.assignee,
        order_id: r.order_id,
        open_tasks: r.open_tasks,
        state: r.state,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// A value bound to the queue's query, which is built from the filter.
enum Arg {
    Text(String),
    Int(i64),
}

/// Adds `value` to the arguments and returns its placeholder.
fn arg(args: &mut Vec<Arg>, value: Arg) -> String {
    args.push(value);
    format!("${}", args.len())
}

/// The desk's queue: open tickets by default, most urgent and oldest first.
pub async fn queue(db: &Db, actor: &Actor, filter: &QueueFilter) -> AppResult<Vec<TicketSummary>> {
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    let mut args = Vec::new();
    match filter.state.as_str() {
        "" | "open" => sql.push_str(" AND t.state IN ('new', 'triaged', 'in_progress', 'waiting')"),
        "all" => {}
        s if TICKETS.state(s).is_some() => sql.push_str(&format!(" AND t.state = {}", arg(&mut args, Arg::Text(s.to_string())))),
        _ => return Err(AppError::invalid("state", "unknown state")),
    }
    if !filter.priority.is_empty() {
        if !PRIORITIES.iter().any(|p| p.0 == filter.priority) {
            return Err(AppError::invalid("priority", "choose one of the options"));
        }
        sql.push_str(&format!(" AND t.priority = {}", arg(&mut args, Arg::Text(filter.priority.clone()))));
    }
    let q = filter.q.trim();
    if let Ok(n) = q.trim_start_matches('#').parse::<i64>() {
        sql.push_str(&format!(" AND t.id = {}", arg(&mut args, Arg::Int(n))));
    } else if !q.is_empty() {
        let p = arg(&mut args, Arg::Text(format!("%{}%", like_escape(&q.to_lowercase()))));
        sql.push_str(&format!(
            " AND (LOWER(t.subject) LIKE {p} ESCAPE '\\' OR LOWER(t.contact_email) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(c.display_name, '')) LIKE {p} ESCAPE '\\')"
        ));
    }
    if filter.mine {
        sql.push_str(&format!(" AND t.assignee_id = {}", arg(&mut args, Arg::Int(actor.id))));
    }
    sql.push_str(" ORDER BY CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, t.state_since, t.id LIMIT 200");
    let mut query = sqlx::query_as::<_, TicketDb>(&sql);
    for a in args {
        query = match a {
            Arg::Text(t) => query.bind(t),
            Arg::Int(i) => query.bind(i),
        };
    }
    let rows = query.fetch_all(db.pool()).await?;
    let now = now_millis();
    let mut tickets: Vec<TicketSummary> = rows.into_iter().map(summary).collect();
    let clocks = clocks_of(db, &tickets, now).await?;
    for (t, c) in tickets.iter_mut().zip(clocks) {
        t.sla = sla_status(&c, now);
    }
    Ok(tickets)
}

/// The service-level clocks of tickets, from their audit events and the business calendar.
async fn clocks_of(db: &Db, tickets: &[TicketSummary], now: i64) -> AppResult<Vec<TicketSla>> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    let cal = calendar(db).await?;
    // Ids are numbers from the database: safe to list in the statement.
    let ids: Vec<String> = tickets.iter().map(|t| t.id.to_string()).collect();
    let events: Vec<(i64, i64, String)> = sqlx::query_as(&format!(
        "SELECT entity_id, at, action FROM audit_events WHERE entity = 'ticket' AND entity_id IN ({}) ORDER BY entity_id, id",
        ids.join(", ")
    ))
    .fetch_all(db.pool())
    .await?;
    // Grouped once: looking each ticket's events up in the whole list would cost tickets × events.
    let mut by_ticket: HashMap<i64, Vec<(i64, String)>> = HashMap::with_capacity(tickets.len());
    for (ticket, at, action) in events {
        by_ticket.entry(ticket).or_default().push((at, action));
    }
    Ok(tickets.iter().map(|t| sla::clocks(by_ticket.get(&t.id).map(Vec::as_slice).unwrap_or(&[]), &t.priority, &cal, now)).collect())
}

/// The queue's badge: the running clock due first, or nothing when none runs.
fn sla_status(c: &TicketSla, now: i64) -> SlaStatus {
    match c.next_due() {
        Some(due_at) if due_at < now => SlaStatus::Breached { due_at },
        Some(due_at) => SlaStatus::OnTime { due_at },
        None => SlaStatus::None,
    }
}

/// The business calendar service levels are counted in.
pub async fn calendar(db: &Db) -> AppResult<Calendar> {
    let row: Option<(i64, i64, i64, String)> =
        sqlx::query_as("SELECT tz_offset_minutes, open_minute, close_minute, workdays FROM service_calendar WHERE id = 1").fetch_optional(db.pool()).await?;
    let mut cal = match row {
        Some((tz, open, close, days)) => Calendar {
            tz_offset_minutes: tz as i32,
            open_minute: open as u32,
            close_minute: close as u32,
            workdays: std::array::from_fn(|i| days.as_bytes().get(i) == Some(&b'1')),
            holidays: Vec::new(),
        },
        None => Calendar::default(),
    };
    let days: Vec<(String,)> = sqlx::query_as("SELECT day FROM service_holidays ORDER BY day").fetch_all(db.pool()).await?;
    cal.holidays = days.iter().filter_map(|d| chrono::NaiveDate::parse_from_str(&d.0, "%Y-%m-%d").ok()).collect();
    Ok(cal)
}

/// The calendar with its holidays' names, for the page that edits it.
pub async fn calendar_page(db: &Db) -> AppResult<CalendarSettings> {
    let cal = calendar(db).await?;
    let holidays: Vec<(String, String)> = sqlx::query_as("SELECT day, name FROM service_holidays ORDER BY day").fetch_all(db.pool()).await?;
    Ok(CalendarSettings { calendar: cal, holidays })
}

/// Replaces the calendar and its holidays. Every clock is derived from the audit events with
/// the calendar of the moment, so the change applies to open tickets at once.
pub async fn save_calendar(db: &Db, actor: &Actor, input: &CalendarInput) -> AppResult<()> {
    let (cal, holidays) = input.validate()?;
    let mut tx = db.begin().await?;
    let days: String = cal.workdays.iter().map(|d| if *d { '1' } else { '0' }).collect();
    sqlx::query("DELETE FROM service_calendar WHERE id = 1").execute(&mut *tx).await?;
    sqlx::query("INSERT INTO service_calendar (id, tz_offset_minutes, open_minute, close_minute, workdays, updated_at) VALUES (1, $1, $2, $3, $4, $5)")
        .bind(i64::from(cal.tz_offset_minutes))
        .bind(i64::from(cal.open_minute))
        .bind(i64::from(cal.close_minute))
        .bind(&days)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM service_holidays").execute(&mut *tx).await?;
    sla_changed(&mut tx, None).await?;
    for (day, name) in &holidays {
        sqlx::query("INSERT INTO service_holidays (day, name) VALUES ($1, $2)").bind(day.format("%Y-%m-%d").to_string()).bind(name).execute(&mut *tx).await?;
    }
    audit(
        &mut tx,
        "service_calendar",
        1,
        "change",
        None,
        None,
        Some(actor.id),
        &json!({ "hours": format!("{}–{}", input.opens, input.closes), "workdays": days, "holidays": holidays.len().to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How long before a clock runs out the owner is warned.
pub const WARN_BEFORE_MS: i64 = 30 * 60_000;

/// Before a clock runs out (within [`WARN_BEFORE_MS`]) the ticket's owner gets a personal
/// notification, once per clock and deadline (`ticket_sla_warnings`); a ticket nobody owns yet
/// raises an alert for all the agents instead. A clock that has run out raises an alert for
/// the senior agents (holders of `ticket.supervise`). Alerts whose condition went away
/// (answered, resolved, closed, or the warning overtaken by the breach) are resolved. Every
/// instance runs it; an alert per ticket stays single (the inbox's unique subject) and a
/// warning is sent once (the warnings' primary key). Returns how many tickets are near or past
/// a deadline.
pub async fn sweep_sla(db: &Db) -> AppResult<usize> {
    use crate::alerts::service::{raise, resolve_subject, NewAlert};
    use crate::domain::{Permission, Role};
    let now = now_millis();
    let (open, stored) = near_a_deadline(db, now + WARN_BEFORE_MS).await?;
    let clocks = clocks_of(db, &open, now).await?;
    // Each deadline computed here is written back, so that the next sweep skips the tickets
    // far from one; only where it is still what was read (a step meanwhile set it to 0).
    let mut tx = db.begin().await?;
    for (t, c) in open.iter().zip(&clocks) {
        let Some(read) = stored.get(&t.id) else { continue };
        if c.next_due() != Some(*read) {
            sqlx::query("UPDATE tickets SET sla_due_at = $1 WHERE id = $2 AND sla_due_at = $3")
                .bind(c.next_due())
                .bind(t.id)
                .bind(read)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    // The alerts that should be open after this sweep, by subject; owners are warned in person,
    // each in a transaction of its own.
    let mut alerts = Vec::new();
    let mut due_soon = 0;
    for (t, c) in open.iter().zip(clocks) {
        let Some(due) = c.next_due() else { continue };
        let late = due < now;
        if !late && due - now > WARN_BEFORE_MS {
            continue;
        }
        due_soon += 1;
        if !late {
            if let Some(owner) = t.assignee_id {
                let clock = [("first_response", c.first_response), ("next_response", c.next_response), ("resolution", c.resolution)]
                    .into_iter()
                    .find(|(_, k)| k.due_at() == Some(due))
                    .map(|(name, _)| name)
                    .unwrap_or("resolution");
                warn_owner(db, t, owner, clock, due, now).await?;
                continue;
            }
        }
        alerts.push((t, late, due));
    }
    let mut tx = db.begin().await?;
    let mut current = std::collections::HashSet::new();
    for (t, late, due) in alerts {
        let (subject, permission, owner) = if late {
            (format!("ticket-sla-late:{}", t.id), Permission::TicketSupervise, Role::SeniorServiceAgent)
        } else {
            (format!("ticket-sla-soon:{}", t.id), Permission::TicketHandle, Role::ServiceAgent)
        };
        let detail = json!({ "late": late, "due_at": due, "owner": t.assignee.clone().unwrap_or_default() });
        raise(&mut tx, NewAlert { kind: "ticket_sla", subject: subject.clone(), permission, owner, title: format!("#{} {}", t.id, t.subject), detail, link: format!("/tickets/{}", t.id) })
            .await?;
        current.insert(subject);
    }
    let standing: Vec<(String,)> =
        sqlx::query_as("SELECT subject FROM alerts WHERE kind = 'ticket_sla' AND state <> 'resolved'").fetch_all(&mut *tx).await?;
    for (subject,) in standing.into_iter().filter(|s| !current.contains(&s.0)) {
        // A warning whose ticket is now late was overtaken; anything else was answered (or
        // the ticket got an owner, who is warned in person).
        let overtaken = subject.strip_prefix("ticket-sla-soon:").is_some_and(|id| current.contains(&format!("ticket-sla-late:{id}")));
        resolve_subject(&mut tx, &subject, if overtaken { "ran out" } else { "answered" }).await?;
    }
    tx.commit().await?;
    Ok(due_soon)
}

/// Tells the ticket's owner that `clock` runs out at `due`, unless they were told of this
/// deadline already; the notification and the record of it are one transaction.
async fn warn_owner(db: &Db, t: &TicketSummary, owner: i64, clock: &str, due: i64, now: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let first = sqlx::query(
        "INSERT INTO ticket_sla_warnings (ticket_id, clock, due_at, user_id, warned_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(t.id)
    .bind(clock)
    .bind(due)
    .bind(owner)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if first.rows_affected() == 1 {
        let minutes = ((due - now + 59_999) / 60_000).max(1);
        let notice = crate::notifications::Notice::new("ticket.sla_soon", TICKETS.id, t.id, format!("/tickets/{}", t.id))
            .with("ticket", t.id.to_string())
            .with("subject", t.subject.clone())
            .with("minutes", minutes.to_string());
        crate::notifications::service::notify(&mut tx, owner, &notice).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The sweep's working set: open tickets whose next deadline comes before `until`, or is to
/// be recomputed (0: a step or a calendar change since the last sweep).
/// Returns the tickets and the deadline each had when read.
async fn near_a_deadline(db: &Db, until: i64) -> AppResult<(Vec<TicketSummary>, HashMap<i64, i64>)> {
    let rows: Vec<TicketDb> = sqlx::query_as(&format!(
        "{SELECT} WHERE t.sla_due_at IS NOT NULL AND t.sla_due_at <= $1 AND t.state IN ('new', 'triaged', 'in_progress', 'waiting') ORDER BY t.id"
    ))
    .bind(until)
    .fetch_all(db.pool())
    .await?;
    let dues = rows.iter().filter_map(|r| r.sla_due_at.map(|due| (r.id, due))).collect();
    Ok((rows.into_iter().map(summary).collect(), dues))
}

/// A ticket's deadline is to be recomputed by the next sweep: called inside every step of a
/// ticket (its events changed; `ticket` is its id and the state the step leaves it in) and,
/// for every open ticket, when the calendar changes. A ticket that leaves the open states has
/// no deadline (NULL), so the sweep's index holds open tickets only.
pub async fn sla_changed(conn: &mut AnyConnection, ticket: Option<(i64, &str)>) -> AppResult<()> {
    match ticket {
        Some((id, state)) => {
            let due = OPEN.iter().any(|s| s.id == state).then_some(0_i64);
            sqlx::query("UPDATE tickets SET sla_due_at = $1 WHERE id = $2").bind(due).bind(id).execute(conn).await?
        }
        None => sqlx::query("UPDATE tickets SET sla_due_at = 0 WHERE state IN ('new', 'triaged', 'in_progress', 'waiting')").execute(conn).await?,
    };
    Ok(())
}

/// A customer's own tickets, newest first.
pub async fn my_tickets(db: &Db, actor: &Actor) -> AppResult<Vec<TicketSummary>> {
    let rows: Vec<TicketDb> = sqlx::query_as(&format!("{SELECT} WHERE t.customer_id = $1 ORDER BY t.id DESC LIMIT 200")).bind(actor.id).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(summary).collect())
}

type ExtraDb = (Option<String>, Option<String>, Option<String>, Option<String>, Option<i64>, Option<i64>, Option<i64>, String);

async fn load(db: &Db, policy: TicketPolicy, id: i64) -> AppResult<TicketDetail> {
    let row: Option<TicketDb> = sqlx::query_as(&format!("{SELECT} WHERE t.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    let ticket = summary(row.ok_or(AppError::NotFound)?);
    let extra: ExtraDb = sqlx::query_as(
        "SELECT problem, root_cause, solution, customer_feedback, merged_into, first_response_at, resolved_at, contact_email FROM tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let messages: Vec<(i64, Option<String>, i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT m.id, u.display_name, m.from_customer, m.internal, m.channel, m.body, m.at FROM ticket_messages m \
         LEFT JOIN users u ON u.id = m.author_id WHERE m.ticket_id = $1 ORDER BY m.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let tasks = tasks_where(db, "k.ticket_id = $1", id).await?;
    let files = attachments::service::of(db, attachments::TICKET, id).await?;
    let survey: Option<(i64, Option<i64>, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT sent_at, score, comment, answered_at FROM ticket_surveys WHERE ticket_id = $1").bind(id).fetch_optional(db.pool()).await?;
    let reopen_until = (ticket.state == RESOLVED.id).then(|| {
        // The window runs from the resolution.
        extra.6.unwrap_or(ticket.updated_at) + policy.window_ms()
    });
    Ok(TicketDetail {
        problem: extra.0,
        root_cause: extra.1,
        solution: extra.2,
        customer_feedback: extra.3,
        merged_into: extra.4,
        first_response_at: extra.5,
        resolved_at: extra.6,
        reopen_until,
        messages: messages
            .into_iter()
            // Mail from an address without an account is signed with that address.
            .map(|m| {
                let attachments = files.iter().filter(|f| f.0 == Some(m.0)).map(|f| f.2.clone()).collect();
                TicketMessage { id: m.0, author: m.1.unwrap_or_else(|| extra.7.clone()), from_customer: m.2 == 1, internal: m.3 == 1, channel: m.4, body: m.5, at: m.6, attachments }
            })
            .collect(),
        tasks,
        survey: survey.map(|s| Survey { sent_at: s.0, score: s.1, comment: s.2, answered_at: s.3 }),
        history: CustomerHistory { email: extra.7, ..Default::default() },
        clocks: None,
        served_at: now_millis(),
        exceptions: Vec::new(),
        events: Vec::new(),
        actions: Vec::new(),
        ticket,
    })
}

/// A ticket as the desk sees it: every message and note, the questions to departments, the
/// customer's history, the trail, and the steps this agent may take.
pub async fn ticket(db: &Db, actor: &Actor, policy: TicketPolicy, id: i64) -> AppResult<TicketDetail> {
    let mut d = load(db, policy, id).await?;
    if let Some(customer) = d.ticket.customer_id {
        d.history.orders = sqlx::query_as("SELECT id, state, total, created_at FROM orders WHERE customer_id = $1 ORDER BY id DESC LIMIT 10")
            .bind(customer)
            .fetch_all(db.pool())
            .await?;
        d.history.tickets = sqlx::query_as("SELECT id, subject, state, created_at FROM tickets WHERE customer_id = $1 AND id <> $2 ORDER BY id DESC LIMIT 10")
            .bind(customer)
            .bind(id)
            .fetch_all(db.pool())
            .await?;
    }
    d.exceptions = crate::orders::exception_service::of_ticket(db, id).await?;
    d.events = run::history(db, TICKETS.id, id).await?;
    // The clocks come from the trail just read.
    let now = now_millis();
    let trail: Vec<(i64, String)> = d.events.iter().map(|e| (e.at, e.action.clone())).collect();
    let clocks = sla::clocks(&trail, &d.ticket.priority, &calendar(db).await?, now);
    d.ticket.sla = sla_status(&clocks, now);
    d.clocks = Some(clocks);
    d.actions = TICKETS
        .available(&d.ticket.state, &actor.permissions)
        .filter(|a| a.permission == crate::domain::Permission::TicketHandle)
        .map(|a| a.id.to_string())
        .collect();
    Ok(d)
}

/// A customer's own ticket: anyone else's is "not found". Internal notes, department
/// questions, the analysis and staff names stay inside.
pub async fn my_ticket(db: &Db, actor: &Actor, policy: TicketPolicy, id: i64) -> AppResult<TicketDetail> {
    let mut d = load(db, policy, id).await?;
    if d.ticket.customer_id != Some(actor.id) {
        return Err(AppError::NotFound);
    }
    d.messages.retain(|m| !m.internal);
    for m in &mut d.messages {
        if !m.from_customer {
            m.author = "Shopflow".into();
        }
    }
    d.tasks.clear();
    d.problem = None;
    d.root_cause = None;
    d.customer_feedback = None;
    d.ticket.assignee = None;
    d.ticket.assignee_id = None;
    let writable = OPEN.iter().any(|s| s.id == d.ticket.state) || d.reopen_until.is_some_and(|u| now_millis() <= u);
    if writable {
        d.actions.push("write".into());
    }
    if d.survey.as_ref().is_some_and(|s| s.answered_at.is_none()) {
        d.actions.push("survey".into());
    }
    Ok(d)
}

type TaskDb = (i64, i64, String, i64, String, String, String, i64, Option<String>, Option<String>, Option<i64>);

async fn tasks_where(db: &Db, clause: &str, value: i64) -> AppResult<Vec<TicketTask>> {
    let rows: Vec<TaskDb> = sqlx::query_as(&format!(
        "SELECT k.id, k.ticket_id, t.subject, t.version, k.department, k.question, q.display_name, k.asked_at, k.answer, a.display_name, k.answered_at \
         FROM ticket_tasks k JOIN tickets t ON t.id = k.ticket_id JOIN users q ON q.id = k.asked_by LEFT JOIN users a ON a.id = k.answered_by \
         WHERE {clause} ORDER BY k.id"
    ))
    .bind(value)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TicketTask {
            id: r.0,
            ticket_id: r.1,
            ticket_subject: r.2,
            ticket_version: r.3,
            department: r.4,
            question: r.5,
            asked_by: r.6,
            asked_at: r.7,
            answer: r.8,
            answered_by: r.9,
            answered_at: r.10,
        })
        .collect())
}

/// The questions waiting for the departments this member of staff works in, oldest first,
/// then those answered in the last week.
pub async fn department_tasks(db: &Db, actor: &Actor) -> AppResult<Vec<TicketTask>> {
    let mine: Vec<&str> = crate::domain::Department::ALL.iter().filter(|d| actor.can(d.page_permission())).map(|d| d.key()).collect();
    let all = tasks_where(db, "(k.answered_at IS NULL OR k.answered_at > $1)", now_millis() - 7 * DAY_MS).await?;
    let mut tasks: Vec<TicketTask> = all.into_iter().filter(|t| mine.contains(&t.department.as_str())).collect();
    tasks.sort_by_key(|t| (t.answered_at.is_some(), t.answered_at.unwrap_or(t.asked_at)));
    Ok(tasks)
}

/// Active staff who handle tickets, by name.
pub async fn agents(db: &Db) -> AppResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT u.id, u.display_name FROM users u JOIN user_roles ur ON ur.user_id = u.id \
         JOIN role_permissions rp ON rp.role_id = ur.role_id WHERE rp.permission = $1 AND u.active = 1 AND u.is_customer = 0 ORDER BY u.display_name",
    )
    .bind(crate::domain::Permission::TicketHandle.key())
    .fetch_all(db.pool())
    .await?)
}

/// The service desk's figures over the last `days` days (the backlog is as of now).
pub async fn dashboard(db: &Db, days: i64) -> AppResult<super::dashboard::ServiceDashboard> {
    use super::dashboard::{ServiceDashboard, Spread, AGE_BUCKETS_MS, FIRST_MONDAY_MS, WEEK_MS};
    let now = now_millis();
    let since = now - days * DAY_MS;
    let bucket = |lo: Option<i64>, hi: Option<i64>| {
        let cond = match (lo, hi) {
            (None, Some(h)) => format!("created_at > {}", now - h),
            (Some(l), Some(h)) => format!("created_at <= {} AND created_at > {}", now - l, now - h),
            (Some(l), None) => format!("created_at <= {}", now - l),
            (None, None) => "1 = 1".to_string(),
        };
        format!("CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT)")
    };
    let [a, b, c] = AGE_BUCKETS_MS;
    let backlog: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT state, {}, {}, {}, {} FROM tickets WHERE state IN ('new', 'triaged', 'in_progress', 'waiting') GROUP BY state",
        bucket(None, Some(a)),
        bucket(Some(a), Some(b)),
        bucket(Some(b), Some(c)),
        bucket(Some(c), None)
    ))
    .fetch_all(db.pool())
    .await?;
    let backlog = OPEN
        .iter()
        .map(|s| {
            let row = backlog.iter().find(|r| r.0 == s.id);
            (s.id.to_string(), row.map(|r| [r.1, r.2, r.3, r.4]).unwrap_or_default())
        })
        .collect();
    // The database counts durations per whole minute (and scores per week); the spreads are
    // computed from the counts, which is exact and sends hundreds of rows, not millions.
    // Per minute: (minute, answered within the hour, all).
    let first = async {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT (first_response_at - created_at) / 60000, \
             CAST(SUM(CASE WHEN first_response_at - created_at <= 3600000 THEN 1 ELSE 0 END) AS BIGINT), COUNT(*) FROM tickets \
             WHERE first_response_at IS NOT NULL AND created_at >= $1 GROUP BY (first_response_at - created_at) / 60000",
        )
        .bind(since)
        .fetch_all(db.pool())
        .await?;
        AppResult::Ok(rows)
    };
    let resolution = async {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT (resolved_at - created_at) / 60000, COUNT(*) FROM tickets \
             WHERE resolved_at IS NOT NULL AND resolved_at >= $1 GROUP BY (resolved_at - created_at) / 60000",
        )
        .bind(since)
        .fetch_all(db.pool())
        .await?;
        AppResult::Ok(rows)
    };
    let weeks = async {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT (answered_at - {FIRST_MONDAY_MS}) / {WEEK_MS}, CAST(SUM(score) AS BIGINT), COUNT(*) FROM ticket_surveys \
             WHERE answered_at IS NOT NULL AND answered_at >= $1 GROUP BY (answered_at - {FIRST_MONDAY_MS}) / {WEEK_MS} ORDER BY 1"
        ))
        .bind(since)
        .fetch_all(db.pool())
        .await?;
        AppResult::Ok(rows)
    };
    let causes = async {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT root_cause, COUNT(*) FROM tickets WHERE root_cause IS NOT NULL AND resolved_at >= $1 GROUP BY root_cause ORDER BY COUNT(*) DESC, root_cause",
        )
        .bind(since)
        .fetch_all(db.pool())
        .await?;
        AppResult::Ok(rows)
    };
    // Complaints are counted per order first, then spread over the order's products.
    let products = async {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT x.title, CAST(SUM(x.n) AS BIGINT) FROM (SELECT DISTINCT c.order_id, c.n, p.title FROM \
               (SELECT order_id, COUNT(*) AS n FROM tickets WHERE kind = 'complaint' AND created_at >= $1 AND order_id IS NOT NULL GROUP BY order_id) c \
               JOIN order_lines l ON l.order_id = c.order_id JOIN skus s ON s.id = l.sku_id JOIN products p ON p.id = s.product_id) x \
             GROUP BY x.title ORDER BY SUM(x.n) DESC, x.title LIMIT 5",
        )
        .bind(since)
        .fetch_all(db.pool())
        .await?;
        AppResult::Ok(rows)
    };
    let (first, resolution, weeks, causes, products) = futures::try_join!(first, resolution, weeks, causes, products)?;
    let on_time: i64 = first.iter().map(|c| c.1).sum();
    Ok(ServiceDashboard {
        backlog,
        period_days: days,
        first_response_on_time: (on_time, first.iter().map(|c| c.2).sum()),
        first_response: Spread::of_minute_counts(first.iter().map(|c| (c.0, c.2)).collect()),
        resolution: Spread::of_minute_counts(resolution),
        satisfaction: weeks.into_iter().map(|(w, sum, n)| (w * WEEK_MS + FIRST_MONDAY_MS, sum * 100 / n.max(1), n)).collect(),
        root_causes: causes.into_iter().map(|(c, n)| {
            let dept = root_cause_department(&c).map(|d| d.key().to_string());
            (c, n, dept)
        }).collect(),
        products,
    })
}

// ------------------------------------------------------------------ knowledge base

type ReplyRow = (i64, String, String, i64);

/// The knowledge base's answers to `q`: canned replies first (agents reuse them), then the
/// SOP steps of every process.
pub async fn search_knowledge(db: &Db, q: &str, lang: Lang) -> AppResult<Vec<super::knowledge::KnowledgeHit>> {
    use super::knowledge::{search_manual, KnowledgeHit};
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("%{}%", like_escape(&q.to_lowercase()));
    let replies: Vec<ReplyRow> = sqlx::query_as(
        "SELECT id, title, body, updated_at FROM canned_replies WHERE LOWER(title) LIKE $1 ESCAPE '\\' OR LOWER(body) LIKE $1 ESCAPE '\\' ORDER BY title LIMIT 10",
    )
    .bind(&pattern)
    .fetch_all(db.pool())
    .await?;
    let mut hits: Vec<KnowledgeHit> = replies
        .into_iter()
        .map(|r| KnowledgeHit { kind: "reply".into(), title: r.1, text: r.2, link: String::new(), reply_id: Some(r.0) })
        .collect();
    hits.extend(search_manual(crate::workflows(), q, 10, lang));
    Ok(hits)
}

pub async fn canned_replies(db: &Db) -> AppResult<Vec<super::knowledge::CannedReply>> {
    let rows: Vec<ReplyRow> = sqlx::query_as("SELECT id, title, body, updated_at FROM canned_replies ORDER BY title").fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(|r| super::knowledge::CannedReply { id: r.0, title: r.1, body: r.2, updated_at: r.3 }).collect())
}

/// Adds a canned reply (`id` 0) or changes one; returns its id.
pub async fn save_canned_reply(db: &Db, actor: &Actor, id: i64, input: &super::knowledge::CannedReplyInput) -> AppResult<i64> {
    let (title, body) = input.validate()?;
    let mut tx = db.begin().await?;
    let id = if id == 0 {
        let (id,): (i64,) = sqlx::query_as("INSERT INTO canned_replies (title, body, updated_by, updated_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(&title)
            .bind(&body)
            .bind(actor.id)
            .bind(now_millis())
            .fetch_one(&mut *tx)
            .await?;
        id
    } else {
        let done = sqlx::query("UPDATE canned_replies SET title = $1, body = $2, updated_by = $3, updated_at = $4 WHERE id = $5")
            .bind(&title)
            .bind(&body)
            .bind(actor.id)
            .bind(now_millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(AppError::NotFound);
        }
        id
    };
    audit(&mut tx, "canned_reply", id, "save", None, None, Some(actor.id), &json!({ "title": title })).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_canned_reply(db: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("DELETE FROM canned_replies WHERE id = $1").bind(id).execute(&mut *tx).await?;
    if done.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    audit(&mut tx, "canned_reply", id, "delete", None, None, Some(actor.id), &json!({})).await?;
    tx.commit().await?;
    Ok(())
}
