//! Writing to and reading the outbox.

use super::OutboxEmail;
use crate::domain::{now_millis, AppResult};
use crate::server::Db;
use sqlx::AnyConnection;

/// Queues one mail inside the caller's transaction; returns its id (what files it carries
/// hang on).
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

type Row = (i64, String, String, String, String, i64, i64, Option<i64>, i64, Option<String>);

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
    }
}

const SELECT: &str = "SELECT id, to_address, subject, body, entity, entity_id, created_at, sent_at, attempts, last_error FROM outbox_emails";

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
