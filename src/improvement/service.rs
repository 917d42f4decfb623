//! Improvement suggestions on the server: queries and the effects of each step. State
//! changes go through the workflow engine only.

use super::{Suggestion, SuggestionDetail, SuggestionFilter, SUGGESTIONS};
use crate::accounts::{service::staff_directory, Actor};
use crate::domain::{now_millis, AppError, AppResult, Permission};
use crate::engine::run::{self, Transition};
use crate::engine::SlaStatus;
use crate::server::Db;
use std::collections::HashMap;

const SELECT: &str = "SELECT s.id, s.title, s.department, s.step, s.problem, s.proposal, s.state, s.version, \
     s.submitted_by, a.display_name, s.owner_id, o.display_name, s.decision, s.implementation_note, \
     s.created_at, s.state_since \
     FROM suggestions s JOIN users a ON a.id = s.submitted_by LEFT JOIN users o ON o.id = s.owner_id";

type Row = (i64, String, String, String, String, String, String, i64, i64, String, Option<i64>, Option<String>, Option<String>, Option<String>, i64, i64);

fn from_row(r: Row, now: i64) -> Suggestion {
    Suggestion {
        sla: SlaStatus::compute(&SUGGESTIONS, &r.6, r.15, now),
        id: r.0,
        title: r.1,
        department: r.2,
        step: r.3,
        problem: r.4,
        proposal: r.5,
        state: r.6,
        version: r.7,
        submitted_by: r.8,
        submitter_name: r.9,
        owner_id: r.10,
        owner_name: r.11,
        decision: r.12,
        implementation_note: r.13,
        created_at: r.14,
        state_entered_at: r.15,
    }
}

pub async fn submit(db: &Db, actor: &Actor, form: &HashMap<String, String>) -> AppResult<Transition> {
    let (mut step, v) = run::begin_create(db, actor, &SUGGESTIONS, "submit", form).await?;
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO suggestions (title, department, step, problem, proposal, state, version, submitted_by, created_at, updated_at, state_since) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8, $8) RETURNING id",
    )
    .bind(&v["title"])
    .bind(&v["department"])
    .bind(&v["step"])
    .bind(&v["problem"])
    .bind(&v["proposal"])
    .bind(step.to_state())
    .bind(actor.id)
    .bind(now)
    .fetch_one(step.conn())
    .await?;
    step.commit_created(id, serde_json::json!({ "title": v["title"], "department": v["department"] })).await
}

/// Takes a review/assignment/implementation step on suggestion `id`, last seen at `version`.
pub async fn act(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    action_id: &str,
    form: &HashMap<String, String>,
) -> AppResult<Transition> {
    let (mut step, v) = run::begin(db, actor, &SUGGESTIONS, id, version, action_id, form).await?;
    match action_id {
        "assign" | "reassign" => {
            // validate_form has checked the id is a number; it must also be active staff.
            let owner: i64 = v["owner"].parse().map_err(|_| AppError::invalid("owner", "choose a member of staff"))?;
            let staff: Option<(String,)> =
                sqlx::query_as("SELECT display_name FROM users WHERE id = $1 AND is_customer = 0 AND active = 1")
                    .bind(owner)
                    .fetch_optional(step.conn())
                    .await?;
            let Some((name,)) = staff else {
                return Err(AppError::invalid("owner", "choose an active member of staff"));
            };
            sqlx::query("UPDATE suggestions SET owner_id = $1 WHERE id = $2").bind(owner).bind(id).execute(step.conn()).await?;
            // The audit trail names the owner as people read it, and keeps the id for queries.
            let payload = serde_json::json!({ "owner": name, "owner_id": owner });
            return step.commit(payload).await;
        }
        "accept" | "reject" | "implement" => {
            let (column, field) = match action_id {
                "accept" => ("decision", "comment"),
                "reject" => ("decision", "reason"),
                _ => ("implementation_note", "note"),
            };
            sqlx::query(&format!("UPDATE suggestions SET {column} = $1 WHERE id = $2"))
                .bind(v.get(field))
                .bind(id)
                .execute(step.conn())
                .await?;
        }
        other => return Err(AppError::internal(format!("suggestion action {other} has no effect"))),
    }
    step.commit(serde_json::to_value(&v).unwrap_or_default()).await
}

pub async fn list(db: &Db, actor: &Actor, filter: &SuggestionFilter) -> AppResult<Vec<Suggestion>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = '' OR s.state = $1) AND ($2 = '' OR s.department = $2) \
         AND ($3 = 0 OR s.submitted_by = $4 OR s.owner_id = $4) \
         ORDER BY s.updated_at DESC, s.id DESC LIMIT 500"
    ))
    .bind(filter.state.as_deref().unwrap_or(""))
    .bind(filter.department.as_deref().unwrap_or(""))
    .bind(i64::from(filter.mine))
    .bind(actor.id)
    .fetch_all(db.pool())
    .await?;
    let now = now_millis();
    Ok(rows.into_iter().map(|r| from_row(r, now)).collect())
}

pub async fn detail(db: &Db, actor: &Actor, id: i64) -> AppResult<SuggestionDetail> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE s.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    let suggestion = from_row(row.ok_or(AppError::NotFound)?, now_millis());
    let events = run::history(db, SUGGESTIONS.id, id).await?;
    let actions: Vec<String> =
        SUGGESTIONS.available(&suggestion.state, &actor.permissions).map(|a| a.id.to_string()).collect();
    let staff = if actor.can(Permission::SuggestionAssign) { staff_directory(db).await? } else { Vec::new() };
    Ok(SuggestionDetail { suggestion, events, actions, staff })
}

/// Counts by state, for dashboards: (state, count).
pub async fn counts(db: &Db, department: Option<&str>) -> AppResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT state, COUNT(*) FROM suggestions WHERE ($1 = '' OR department = $1) GROUP BY state")
        .bind(department.unwrap_or(""))
        .fetch_all(db.pool())
        .await?)
}
