//! Notifications on the server. [`notify`] writes the in-app row and queues its mail in the
//! caller's transaction; [`after_step`] is called by the engine inside every step's
//! transaction and hands the step to the rules of its process, one function per process.

use super::{render, Inbox, Notice, Notification, Params};
use crate::accounts::Actor;
use crate::domain::{now_millis, AppError, AppResult, Permission};
use crate::engine::run::StepDone;
use crate::i18n::{tr, Lang};
use crate::outbox::service::enqueue;
use crate::server::config::absolute;
use crate::server::Db;
use sqlx::AnyConnection;

/// The most members of staff one notice goes to. Staff notices go to the holders of a
/// permission; an organisation that gave it to hundreds wants a queue, not a mail to each.
pub const MAX_STAFF_RECIPIENTS: i64 = 50;

/// How many notifications the page lists; older ones stay counted if unread.
const PAGE: i64 = 100;

/// Writes `notice` for user `user_id` and queues its mail to them, in their language, inside
/// the caller's transaction. A deactivated or unknown user gets nothing (they cannot sign in
/// to read it, and their address may no longer be theirs). Returns whether it was written.
pub async fn notify(conn: &mut AnyConnection, user_id: i64, notice: &Notice) -> AppResult<bool> {
    write(conn, user_id, notice, true).await
}

/// Writes `notice` in the app only: for steps whose process mails the person itself (a
/// ticket's reply goes to the customer by mail with the ticket's reference), so that they do
/// not get the same news twice.
pub async fn notify_in_app(conn: &mut AnyConnection, user_id: i64, notice: &Notice) -> AppResult<bool> {
    write(conn, user_id, notice, false).await
}

async fn write(conn: &mut AnyConnection, user_id: i64, notice: &Notice, mail: bool) -> AppResult<bool> {
    let user: Option<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT email, locale, active FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *conn).await?;
    let Some((email, locale, 1)) = user else { return Ok(false) };
    let lang = locale.as_deref().and_then(Lang::from_key).unwrap_or_default();
    let params = serde_json::to_string(&notice.params).map_err(AppError::internal)?;
    sqlx::query("INSERT INTO notifications (user_id, kind, params, entity, entity_id, link, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(user_id)
        .bind(notice.kind)
        .bind(params)
        .bind(notice.entity)
        .bind(notice.entity_id)
        .bind(&notice.link)
        .bind(now_millis())
        .execute(&mut *conn)
        .await?;
    if mail {
        let text = render(notice.kind, &notice.params, lang);
        // The app keeps the link relative (it works on any address); mail needs the whole one.
        let body = format!("{text}\n\n—\n{} {}", tr(lang, "notice.email_footer"), absolute(&notice.link));
        enqueue(conn, &email, &text, &body, notice.entity, notice.entity_id).await?;
    }
    Ok(true)
}

/// Notifies the active members of staff who hold `permission` (through any role, built-in or
/// custom), except `except` — whoever took the step knows already. Returns how many.
pub async fn notify_holders(conn: &mut AnyConnection, permission: Permission, except: Option<i64>, notice: &Notice) -> AppResult<usize> {
    let ids: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT u.id FROM users u WHERE u.active = 1 AND u.is_customer = 0 AND u.id <> $2 AND {} ORDER BY u.id LIMIT $3",
        crate::accounts::service::holds_permission(1)
    ))
    .bind(permission.key())
    .bind(except.unwrap_or(0))
    .bind(MAX_STAFF_RECIPIENTS)
    .fetch_all(&mut *conn)
    .await?;
    let mut sent = 0;
    for (id,) in ids {
        sent += usize::from(notify(conn, id, notice).await?);
    }
    Ok(sent)
}

/// Notifies the customer `customer` of a step, unless they took it themselves.
pub async fn notify_customer(conn: &mut AnyConnection, done: &StepDone<'_>, customer: i64, notice: &Notice) -> AppResult<()> {
    if done.actor_id != Some(customer) {
        notify(conn, customer, notice).await?;
    }
    Ok(())
}

/// Called by the engine inside the transaction of every step: the process's own rules decide
/// who hears of it. A process without notices has no arm here.
pub async fn after_step(conn: &mut AnyConnection, done: &StepDone<'_>) -> AppResult<()> {
    use crate::orders::{exceptions::EXCEPTIONS, notices, returns::RETURNS, ORDERS};
    let workflow = done.workflow.id;
    if workflow == ORDERS.id {
        notices::order_step(conn, done).await
    } else if workflow == RETURNS.id {
        notices::return_step(conn, done).await
    } else if workflow == EXCEPTIONS.id {
        notices::exception_step(conn, done).await
    } else if workflow == crate::tickets::TICKETS.id {
        // Every step may start, stop or move a clock: the SLA sweep recomputes this ticket.
        crate::tickets::service::sla_changed(conn, Some((done.id, done.to))).await?;
        crate::tickets::notices::ticket_step(conn, done).await
    } else {
        Ok(())
    }
}

type Row = (i64, String, String, String, i64, String, i64, Option<i64>);

fn from_row(r: Row) -> Notification {
    Notification {
        id: r.0,
        kind: r.1,
        // Written by `notify` from a map; anything else would be a hand edit, shown without parameters.
        params: serde_json::from_str::<Params>(&r.2).unwrap_or_default(),
        entity: r.3,
        entity_id: r.4,
        link: r.5,
        created_at: r.6,
        read_at: r.7,
    }
}

/// The signed-in user's own notifications, newest first, and their unread count.
pub async fn inbox(db: &Db, actor: &Actor) -> AppResult<Inbox> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, params, entity, entity_id, link, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(actor.id)
    .bind(PAGE)
    .fetch_all(db.pool())
    .await?;
    Ok(Inbox { items: rows.into_iter().map(from_row).collect(), unread: unread_count(db, actor).await? })
}

pub async fn unread_count(db: &Db, actor: &Actor) -> AppResult<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(actor.id)
        .fetch_one(db.pool())
        .await?;
    Ok(n)
}

/// Marks one of the user's own notifications read. Someone else's is "not found", the same
/// as one that does not exist, so ids reveal nothing.
pub async fn mark_read(db: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let owner: Option<(i64,)> = sqlx::query_as("SELECT user_id FROM notifications WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    if owner.map(|o| o.0) != Some(actor.id) {
        return Err(AppError::NotFound);
    }
    // Reading it twice keeps the first time.
    sqlx::query("UPDATE notifications SET read_at = $1 WHERE id = $2 AND read_at IS NULL").bind(now_millis()).bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks all the user's unread notifications read; returns how many were.
pub async fn mark_all_read(db: &Db, actor: &Actor) -> AppResult<u64> {
    let done = sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
        .bind(now_millis())
        .bind(actor.id)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}
