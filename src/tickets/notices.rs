//! Who hears of which step of a ticket, called by the engine inside the step's transaction
//! (through `notifications::service::after_step`), so every path — the desk, the portal, an
//! inbound mail, a department's queue — tells the same people.
//!
//! The customer hears in the app of what the desk says to them (a reply, a question, the
//! resolution with the survey); the mail of those steps is the ticket's own (`mail_customer`,
//! with the reference that routes an answer back), so their notice is in the app only. They
//! never hear of internal steps (notes, escalations, departments' answers). Staff hear of
//! work that became theirs: a ticket assigned to them by someone else, a customer writing on
//! their ticket, a department's answer to their question, a question to their department.
//! Nobody is told of a step they took themselves.

use crate::domain::{AppResult, Department, Permission};
use crate::engine::run::StepDone;
use crate::notifications::service::{notify, notify_in_app, MAX_STAFF_RECIPIENTS};
use crate::notifications::Notice;
use sqlx::AnyConnection;

/// The steps that tell someone; the others (opening, starting, notes, merging, closing)
/// return before reading the ticket.
const NEWS: &[&str] = &["reply", "ask", "resolve", "customer_reply", "customer_answer", "reopen", "triage", "assign", "escalate", "department_answer"];

pub async fn ticket_step(conn: &mut AnyConnection, done: &StepDone<'_>) -> AppResult<()> {
    if !NEWS.contains(&done.action.id) {
        return Ok(());
    }
    let id = done.id;
    let (customer, assignee, subject): (Option<i64>, Option<i64>, String) =
        sqlx::query_as("SELECT customer_id, assignee_id, subject FROM tickets WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let wf = done.workflow.id;
    let to_customer = |kind| Notice::new(kind, wf, id, format!("/my/tickets/{id}")).with("ticket", id.to_string()).with("subject", subject.clone());
    let to_staff = |kind| Notice::new(kind, wf, id, format!("/tickets/{id}")).with("ticket", id.to_string()).with("subject", subject.clone());
    // Someone other than whoever took the step.
    let other = |user: Option<i64>| user.filter(|u| done.actor_id != Some(*u));
    match done.action.id {
        "reply" => tell_customer(conn, done, customer, &to_customer("ticket.replied")).await,
        "ask" => tell_customer(conn, done, customer, &to_customer("ticket.asked")).await,
        "resolve" => {
            // The survey goes out with the first resolution only (one per ticket): it was sent
            // by this step when it was sent at the moment of the resolution.
            let (unanswered,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM ticket_surveys s JOIN tickets t ON t.id = s.ticket_id WHERE s.ticket_id = $1 AND s.sent_at = t.resolved_at AND s.answered_at IS NULL",
            )
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
            let kind = if unanswered > 0 { "ticket.resolved_survey" } else { "ticket.resolved" };
            tell_customer(conn, done, customer, &to_customer(kind)).await
        }
        "customer_reply" | "customer_answer" | "reopen" => {
            // A reopening logged by an agent (a phone call) is news for the customer too.
            if done.action.id == "reopen" {
                tell_customer(conn, done, customer, &to_customer("ticket.reopened")).await?;
            }
            let kind = match done.action.id {
                "customer_reply" => "ticket.customer_wrote",
                "customer_answer" => "ticket.customer_answered",
                _ => "ticket.customer_reopened",
            };
            if let Some(owner) = other(assignee) {
                notify(conn, owner, &to_staff(kind)).await?;
            }
            Ok(())
        }
        "triage" | "assign" => {
            if let Some(owner) = other(assignee) {
                let by = actor_name(conn, done.actor_id).await?;
                notify(conn, owner, &to_staff("ticket.assigned").with("by", by)).await?;
            }
            Ok(())
        }
        "escalate" => {
            let question = done.payload["question"].as_str().unwrap_or_default().to_string();
            let by = actor_name(conn, done.actor_id).await?;
            match done.payload["to"].as_str().unwrap_or_default() {
                "senior" => {
                    if let Some(senior) = other(assignee) {
                        notify(conn, senior, &to_staff("ticket.escalated").with("by", by).with("question", question)).await?;
                    }
                }
                dept => {
                    let Some(dept) = Department::from_key(dept) else { return Ok(()) };
                    let notice = Notice::new("ticket.task_asked", wf, id, "/tasks".to_string())
                        .with("ticket", id.to_string())
                        .with("subject", subject.clone())
                        .with("department", dept.key())
                        .with("question", question)
                        .with("by", by);
                    for member in department_members(conn, dept, done.actor_id).await? {
                        notify(conn, member, &notice).await?;
                    }
                }
            }
            Ok(())
        }
        "department_answer" => {
            let task: i64 = done.payload["task"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
            let asked: Option<(i64, String)> =
                sqlx::query_as("SELECT asked_by, department FROM ticket_tasks WHERE id = $1").bind(task).fetch_optional(&mut *conn).await?;
            if let Some((asker, dept)) = asked {
                if let Some(asker) = other(Some(asker)) {
                    notify(conn, asker, &to_staff("ticket.task_answered").with("department", dept)).await?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The customer of the ticket, in the app only (the step mailed them already), unless they
/// took the step themselves. A sender without an account has no app to read it in.
async fn tell_customer(conn: &mut AnyConnection, done: &StepDone<'_>, customer: Option<i64>, notice: &Notice) -> AppResult<()> {
    match customer {
        Some(c) if done.actor_id != Some(c) => notify_in_app(conn, c, notice).await.map(|_| ()),
        _ => Ok(()),
    }
}

async fn actor_name(conn: &mut AnyConnection, actor: Option<i64>) -> AppResult<String> {
    let Some(actor) = actor else { return Ok("Shopflow".into()) };
    let name: Option<(String,)> = sqlx::query_as("SELECT display_name FROM users WHERE id = $1").bind(actor).fetch_optional(&mut *conn).await?;
    Ok(name.map(|n| n.0).unwrap_or_default())
}

/// The staff who answer a department's questions: holders of `ticket.task_answer` who work
/// in it (hold its page permission — the same test as their queue, `department_tasks`),
/// except `except`.
pub async fn department_members(conn: &mut AnyConnection, dept: Department, except: Option<i64>) -> AppResult<Vec<i64>> {
    use crate::accounts::service::holds_permission as holds;
    let ids: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT u.id FROM users u WHERE u.active = 1 AND u.is_customer = 0 AND u.id <> $3 AND {} AND {} ORDER BY u.id LIMIT $4",
        holds(1),
        holds(2)
    ))
    .bind(Permission::TicketTaskAnswer.key())
    .bind(dept.page_permission().key())
    .bind(except.unwrap_or(0))
    .bind(MAX_STAFF_RECIPIENTS)
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids.into_iter().map(|i| i.0).collect())
}
