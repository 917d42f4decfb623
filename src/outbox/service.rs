//! Writing to and reading the outbox, and an administrator's "retry now". Delivery itself
//! is in `sender.rs`.

use super::OutboxEmail;
use crate::accounts::Actor;
use crate::domain::{now_millis, AppError, AppResult};
use crate::engine::run::audit;
use crate::server::Db;
use serde_json::json;
use sqlx::AnyConnection;

/// Queues one mail inside the caller's transaction; returns its id (what files it carries
/// hang on). It is due at once: the sender picks up rows that were never tried
/// (`next_attempt_at` NULL) without anything else to set here.
pub async fn enqueue(conn: &mut AnyConnection, to: &str, subject: &str, body: &str, entity: &str, entity_id: i64) -> AppResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO outbox_emails (to_address, subject, body, entity, entity_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(entity)
    .bind(entity_id)
    .bind(now_millis())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

type Row = (i64, String, String, String, String, i64, i64, Option<i64>, i64, Option<String>, Option<i64>, Option<i64>);

fn view(r: Row) -> OutboxEmail {
    OutboxEmail {
        id: r.0,
        to_address: r.1,
        subject: r.2,
        body: r.3,
        entity: r.4,
        entity_id: r.5,
        created_at: r.6,
        sent_at: r.7,
        attempts: r.8,
        last_error: r.9,
        next_attempt_at: r.10,
        failed_at: r.11,
    }
}

const SELECT: &str = "SELECT id, to_address, subject, body, entity, entity_id, created_at, sent_at, attempts, last_error, next_attempt_at, failed_at FROM outbox_emails";

/// The newest mail first, optionally only that to one address.
pub async fn list(db: &Db, to: &str) -> AppResult<Vec<OutboxEmail>> {
    let to = to.trim().to_lowercase();
    let rows: Vec<Row> = if to.is_empty() {
        sqlx::query_as(&format!("{SELECT} ORDER BY id DESC LIMIT 200")).fetch_all(db.pool()).await?
    } else {
        sqlx::query_as(&format!("{SELECT} WHERE to_address = $1 ORDER BY id DESC LIMIT 200")).bind(to).fetch_all(db.pool()).await?
    };
    Ok(rows.into_iter().map(view).collect())
}

/// The mail about one record, oldest first.
pub async fn about(db: &Db, entity: &str, entity_id: i64) -> AppResult<Vec<OutboxEmail>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE entity = $1 AND entity_id = $2 ORDER BY id"))
        .bind(entity)
        .bind(entity_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(view).collect())
}

/// One mail by id.
pub async fn get(db: &Db, id: i64) -> AppResult<OutboxEmail> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(id).fetch_optional(db.pool()).await?;
    row.map(view).ok_or(AppError::NotFound)
}

/// An administrator's "retry now": a mail waiting for its next try, or one the sender gave
/// up on (the relay was fixed, the address corrected at the provider), becomes due at once.
/// The failures so far are kept, so a failed mail that fails again is failed again rather
/// than starting a new day and a half of retries. A hold by a sender is left alone: a mail
/// being sent right now must not be taken by a second sender.
pub async fn retry_now(db: &Db, actor: &Actor, id: i64) -> AppResult<OutboxEmail> {
    let mail = get(db, id).await?;
    if !mail.can_retry() {
        return Err(AppError::Conflict(if mail.sent_at.is_some() {
            "this mail has been sent already".into()
        } else {
            "this mail has not been tried yet; it goes out with the next batch".into()
        }));
    }
    let now = now_millis();
    let mut tx = db.begin().await?;
    // The state is checked again in the update: the sender may have sent it meanwhile.
    let done = sqlx::query("UPDATE outbox_emails SET next_attempt_at = $1, failed_at = NULL WHERE id = $2 AND sent_at IS NULL AND attempts > 0")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict("this mail has been sent already".into()));
    }
    audit(&mut tx, "outbox_email", id, "retry", None, None, Some(actor.id), &json!({ "attempts": mail.attempts, "failed": mail.failed_at.is_some() })).await?;
    tx.commit().await?;
    get(db, id).await
}
