//! Alerts on the server: raised inside the transaction of the change that causes them.

use super::{Alert, AlertFilter, ACKNOWLEDGED, OPEN, RESOLVED};
use crate::accounts::Actor;
use crate::domain::{now_millis, AppError, AppResult, Permission, Role};
use crate::engine::run::audit;
use crate::server::Db;
use sqlx::AnyConnection;

pub struct NewAlert<'a> {
    pub kind: &'a str,
    pub subject: String,
    pub permission: Permission,
    pub owner: Role,
    pub title: String,
    pub detail: serde_json::Value,
    pub link: String,
}

/// Raises the alert, or, when one on the same subject is still open, brings its figures up
/// to date instead of adding a second (the partial unique index makes that hold under
/// concurrency too).
pub async fn raise(conn: &mut AnyConnection, a: NewAlert<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO alerts (kind, subject, permission, owner_role, title, detail, link, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) \
         ON CONFLICT (subject) WHERE state <> 'resolved' DO UPDATE SET detail = excluded.detail",
    )
    .bind(a.kind)
    .bind(&a.subject)
    .bind(a.permission.key())
    .bind(a.owner.key())
    .bind(&a.title)
    .bind(a.detail.to_string())
    .bind(&a.link)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// Resolves the open alert on `subject`, if any, because its condition went away.
pub async fn resolve_subject(conn: &mut AnyConnection, subject: &str, resolution: &str) -> AppResult<()> {
    sqlx::query("UPDATE alerts SET state = 'resolved', resolved_at = $1, resolution = $2 WHERE subject = $3 AND state <> 'resolved'")
        .bind(now_millis())
        .bind(resolution)
        .bind(subject)
        .execute(conn)
        .await?;
    Ok(())
}

const SELECT: &str = "SELECT a.id, a.kind, a.subject, a.owner_role, a.title, a.detail, a.link, a.state, a.created_at, \
     ack.display_name, res.display_name, a.resolved_at, a.resolution FROM alerts a \
     LEFT JOIN users ack ON ack.id = a.acknowledged_by LEFT JOIN users res ON res.id = a.resolved_by";

type Row = (i64, String, String, String, String, String, String, String, i64, Option<String>, Option<String>, Option<i64>, Option<String>);

fn from_row(r: Row) -> Alert {
    Alert {
        id: r.0,
        kind: r.1,
        subject: r.2,
        owner_role: r.3,
        title: r.4,
        detail: r.5,
        link: r.6,
        state: r.7,
        created_at: r.8,
        acknowledged_by: r.9,
        resolved_by: r.10,
        resolved_at: r.11,
        resolution: r.12,
    }
}

/// The alerts of the permissions the viewer holds, newest first.
pub async fn list(db: &Db, actor: &Actor, filter: &AlertFilter) -> AppResult<Vec<Alert>> {
    let keys: Vec<&str> = actor.permissions.iter().map(|p| p.key()).collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    // The permission keys are code constants, never user input.
    let allowed = keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE a.permission IN ({allowed}) \
         AND (($1 = '' AND a.state <> 'resolved') OR a.state = $1) AND ($2 = '' OR a.kind = $2) \
         ORDER BY a.created_at DESC, a.id DESC LIMIT 300"
    ))
    .bind(&filter.state)
    .bind(&filter.kind)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

async fn load_for(conn: &mut AnyConnection, actor: &Actor, id: i64) -> AppResult<String> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT permission, state FROM alerts WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let (permission, state) = row.ok_or(AppError::NotFound)?;
    match Permission::from_key(&permission) {
        Some(p) if actor.can(p) => Ok(state),
        _ => Err(AppError::Forbidden),
    }
}

pub async fn acknowledge(db: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let state = load_for(&mut tx, actor, id).await?;
    if state != OPEN {
        return Err(AppError::InvalidTransition { action: "acknowledge".into(), state });
    }
    sqlx::query("UPDATE alerts SET state = $1, acknowledged_by = $2, acknowledged_at = $3 WHERE id = $4")
        .bind(ACKNOWLEDGED)
        .bind(actor.id)
        .bind(now_millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, "alert", id, "acknowledge", Some(OPEN), Some(ACKNOWLEDGED), Some(actor.id), &serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn resolve(db: &Db, actor: &Actor, id: i64, note: &str) -> AppResult<()> {
    let note = crate::domain::required_text("note", note, 500)?;
    let mut tx = db.begin().await?;
    let state = load_for(&mut tx, actor, id).await?;
    if state == RESOLVED {
        return Err(AppError::InvalidTransition { action: "resolve".into(), state });
    }
    sqlx::query("UPDATE alerts SET state = $1, resolved_by = $2, resolved_at = $3, resolution = $4 WHERE id = $5")
        .bind(RESOLVED)
        .bind(actor.id)
        .bind(now_millis())
        .bind(&note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, "alert", id, "resolve", Some(&state), Some(RESOLVED), Some(actor.id), &serde_json::json!({ "note": note })).await?;
    tx.commit().await?;
    Ok(())
}
