//! Applying workflow actions: the one server-side path that changes a workflow state.
//! Permission, state, version, the process's own effect, the notifications of the people it
//! concerns, the new state and the audit event happen in one transaction, so an action is
//! either wholly done or not at all.

use super::{validate_form, Action, AuditEvent, FormValues, Workflow};
use std::collections::HashMap;
use crate::accounts::Actor;
use crate::domain::{now_millis, AppError, AppResult};
use crate::server::Db;
use sqlx::{Any, AnyConnection, Transaction};

/// The outcome of an action: where the record is now.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub id: i64,
    pub state: &'static str,
    pub version: i64,
}

/// Appends one event to the audit log, inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn audit(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: i64,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
    actor: Option<i64>,
    payload: &serde_json::Value,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (entity, entity_id, action, from_state, to_state, actor_id, at, payload) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entity)
    .bind(entity_id)
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(actor)
    .bind(now_millis())
    .bind(payload.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Turns a record of reference data on or off (a warehouse, a carrier, a shipping service:
/// retired, never deleted, because history refers to it) and audits it as `entity`.
/// `table` is a name from the code, never from input.
pub async fn set_active(db: &Db, actor_id: i64, table: &'static str, entity: &str, id: i64, active: bool) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(&format!("UPDATE {table} SET active = $1 WHERE id = $2")).bind(i64::from(active)).bind(id).execute(&mut *tx).await?;
    if done.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    let action = if active { "activate" } else { "deactivate" };
    audit(&mut tx, entity, id, action, None, None, Some(actor_id), &serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// The audit trail of one record, oldest first, with the actors' names.
pub async fn history(db: &Db, entity: &str, entity_id: i64) -> AppResult<Vec<AuditEvent>> {
    let rows: Vec<(i64, String, i64, String, Option<String>, Option<String>, Option<i64>, Option<String>, i64, String)> =
        sqlx::query_as(
            "SELECT e.id, e.entity, e.entity_id, e.action, e.from_state, e.to_state, e.actor_id, u.display_name, e.at, e.payload \
             FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id \
             WHERE e.entity = $1 AND e.entity_id = $2 ORDER BY e.id",
        )
        .bind(entity)
        .bind(entity_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(event_from_row).collect())
}

type EventRow = (i64, String, i64, String, Option<String>, Option<String>, Option<i64>, Option<String>, i64, String);

pub fn event_from_row(r: EventRow) -> AuditEvent {
    AuditEvent {
        id: r.0,
        entity: r.1,
        entity_id: r.2,
        action: r.3,
        from_state: r.4,
        to_state: r.5,
        actor_id: r.6,
        actor_name: r.7,
        at: r.8,
        payload: r.9,
    }
}

/// A step about to be committed, as those who react to it inside its transaction see it
/// (the notices of [`crate::notifications`]).
pub struct StepDone<'a> {
    pub workflow: &'static Workflow,
    pub action: &'static Action,
    pub id: i64,
    /// `None` for the step that creates the record.
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub actor_id: Option<i64>,
    pub payload: &'a serde_json::Value,
}

/// An action under way: the transaction is open, the state, version and permission have
/// been checked. The process does its own work through [`Step::conn`], then [`Step::commit`]
/// moves the state and appends the audit event. Dropping a step rolls everything back, so an
/// error anywhere leaves nothing behind.
pub struct Step {
    tx: Transaction<'static, Any>,
    wf: &'static Workflow,
    action: &'static Action,
    /// `None` when the system takes the step (an automatic confirmation, an expiry).
    actor_id: Option<i64>,
    /// `None` while creating a record.
    current: Option<(i64, i64, &'static str)>,
}

impl Step {
    /// The open transaction, for the process's own reads and writes.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// The state this step moves the record to (for creating actions: the state to insert).
    pub fn to_state(&self) -> &'static str {
        self.action.to.id
    }

    /// Finishes an action on an existing record.
    pub async fn commit(mut self, payload: serde_json::Value) -> AppResult<Transition> {
        let Some((id, version, from)) = self.current else {
            return Err(AppError::internal("commit called on a creating step; use commit_created"));
        };
        let now = now_millis();
        let to_state = if self.action.stays() { from } else { self.action.to.id };
        // The people the step concerns are told in its own transaction: a step that fails
        // below (a stale version) or rolls back takes its notifications and mails with it.
        let done = StepDone { workflow: self.wf, action: self.action, id, from: Some(from), to: to_state, actor_id: self.actor_id, payload: &payload };
        crate::notifications::service::after_step(&mut self.tx, &done).await?;
        // The table name comes from the static declaration, never from input.
        let updated = sqlx::query(&format!(
            "UPDATE {} SET state = $1, version = version + 1, updated_at = $2, \
             state_since = CASE WHEN state = $1 THEN state_since ELSE $2 END \
             WHERE id = $3 AND version = $4",
            self.wf.table
        ))
        .bind(to_state)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *self.tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(AppError::StaleVersion);
        }
        audit(&mut self.tx, self.wf.id, id, self.action.id, Some(from), Some(to_state), self.actor_id, &payload).await?;
        self.tx.commit().await?;
        Ok(Transition { id, state: to_state, version: version + 1 })
    }

    /// Finishes a creating action: the process has inserted record `id` in [`Step::to_state`]
    /// with version 1.
    pub async fn commit_created(mut self, id: i64, payload: serde_json::Value) -> AppResult<Transition> {
        if self.current.is_some() {
            return Err(AppError::internal("commit_created called on an existing record"));
        }
        let to = Some(self.action.to.id);
        let done = StepDone { workflow: self.wf, action: self.action, id, from: None, to: self.action.to.id, actor_id: self.actor_id, payload: &payload };
        crate::notifications::service::after_step(&mut self.tx, &done).await?;
        audit(&mut self.tx, self.wf.id, id, self.action.id, None, to, self.actor_id, &payload).await?;
        self.tx.commit().await?;
        Ok(Transition { id, state: self.action.to.id, version: 1 })
    }
}

fn permitted(wf: &Workflow, actor: &Actor, action: &str) -> AppResult<&'static Action> {
    let action = wf.action(action).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    if !actor.can(action.permission) {
        return Err(AppError::Forbidden);
    }
    Ok(action)
}

/// Starts the workflow's creating action with the submitted form; returns the step and the
/// form's validated values. Permission comes before validation, so a refused user learns
/// nothing about the form.
pub async fn begin_create(
    db: &Db,
    actor: &Actor,
    wf: &'static Workflow,
    action: &str,
    form: &HashMap<String, String>,
) -> AppResult<(Step, FormValues)> {
    let (action, values) = check_create(actor, wf, action, form)?;
    Ok((Step { tx: db.begin().await?, wf, action, actor_id: Some(actor.id), current: None }, values))
}

/// What [`begin_create`] checks before it opens a transaction: the permission, that the
/// action creates a record, and the form. For a process that writes several new records in
/// one transaction of its own and finishes them with [`commit_created_many`].
pub fn check_create(actor: &Actor, wf: &'static Workflow, action: &str, form: &HashMap<String, String>) -> AppResult<(&'static Action, FormValues)> {
    let action = permitted(wf, actor, action)?;
    if !action.creates() {
        return Err(AppError::invalid("action", "this action does not create a record"));
    }
    let values = validate_form(action, form)?;
    Ok((action, values))
}

/// A record created by `actor_id` in state `action.to`, as [`commit_created_many`] finishes it.
pub struct Created {
    pub id: i64,
    pub actor_id: i64,
    pub payload: serde_json::Value,
}

/// [`Step::commit_created`] for several records created in the caller's transaction by an
/// action that [`check_create`] allowed for each actor: tells those each step concerns and
/// appends the audit events, one statement for all of them. The caller commits.
pub async fn commit_created_many(
    conn: &mut AnyConnection,
    backend: crate::server::db::Backend,
    wf: &'static Workflow,
    action: &'static Action,
    created: &[Created],
) -> AppResult<()> {
    if created.is_empty() {
        return Ok(());
    }
    announce_created(conn, wf, action, created).await?;
    // One statement of a fixed text, the records as JSON, so that a connection prepares it
    // once whatever the number of records.
    let rows = crate::server::db::json_rows(backend, "$5", &[("id", "BIGINT"), ("actor", "BIGINT"), ("payload", "TEXT")]);
    let records: Vec<serde_json::Value> =
        created.iter().map(|c| serde_json::json!({ "id": c.id, "actor": c.actor_id, "payload": c.payload.to_string() })).collect();
    sqlx::query(&created_audit_insert(1, &rows))
        .bind(wf.id)
        .bind(action.id)
        .bind(action.to.id)
        .bind(now_millis())
        .bind(serde_json::Value::Array(records).to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// The statement that appends the audit events of records created by one action, for
/// [`commit_created_many`] and for a caller that writes the records and their events in one
/// statement of its own (the order lane, which must then call [`announce_created`]).
/// `rows` is a row source with the columns `id`, `actor` and `payload` (the JSON as text);
/// `$n` to `$n+3` are the workflow's id, the action's id, the state it creates and the time.
pub fn created_audit_insert(n: usize, rows: &str) -> String {
    let (wf, action, to, at) = (n, n + 1, n + 2, n + 3);
    format!(
        "INSERT INTO audit_events (entity, entity_id, action, from_state, to_state, actor_id, at, payload) \
         SELECT ${wf}, id, ${action}, NULL, ${to}, actor, ${at}, payload FROM {rows}"
    )
}

/// Tells those concerned by the steps of records created together, whose audit events the
/// caller writes with [`created_audit_insert`] in the same transaction.
pub async fn announce_created(conn: &mut AnyConnection, wf: &'static Workflow, action: &'static Action, created: &[Created]) -> AppResult<()> {
    for c in created {
        let done = StepDone { workflow: wf, action, id: c.id, from: None, to: action.to.id, actor_id: Some(c.actor_id), payload: &c.payload };
        crate::notifications::service::after_step(conn, &done).await?;
    }
    Ok(())
}

/// Starts `action` on record `id`, which the caller last saw at `version`: checks the
/// permission, the form, that the action is allowed from the current state, and the version.
/// Returns the step and the form's validated values.
pub async fn begin(
    db: &Db,
    actor: &Actor,
    wf: &'static Workflow,
    id: i64,
    version: i64,
    action: &str,
    form: &HashMap<String, String>,
) -> AppResult<(Step, FormValues)> {
    begin_on(db, actor, wf, id, Some(version), action, form).await
}

/// Starts `action` on record `id` as it is now, whatever its version: for steps whose author
/// did not look at a particular version (a customer's message, a department's answer). The
/// permission, the form and the state are checked as by [`begin`].
pub async fn begin_current(
    db: &Db,
    actor: &Actor,
    wf: &'static Workflow,
    id: i64,
    action: &str,
    form: &HashMap<String, String>,
) -> AppResult<(Step, FormValues)> {
    begin_on(db, actor, wf, id, None, action, form).await
}

async fn begin_on(
    db: &Db,
    actor: &Actor,
    wf: &'static Workflow,
    id: i64,
    version: Option<i64>,
    action: &str,
    form: &HashMap<String, String>,
) -> AppResult<(Step, FormValues)> {
    let action = permitted(wf, actor, action)?;
    if action.creates() {
        return Err(AppError::invalid("action", "this action creates a record"));
    }
    let values = validate_form(action, form)?;
    Ok((open(db, wf, action, id, version, Some(actor.id)).await?, values))
}

/// Starts `action` on record `id` on the system's behalf: no permission (nobody clicked), no
/// form, and the version as it is now. Used for the steps a process takes by itself, such as
/// confirming a paid order or expiring an unpaid one; the audit event has no actor.
pub async fn begin_system(db: &Db, wf: &'static Workflow, id: i64, action: &str) -> AppResult<Step> {
    let action = wf.action(action).filter(|a| !a.creates()).ok_or_else(|| AppError::internal(format!("{}: no step {action}", wf.id)))?;
    open(db, wf, action, id, None, None).await
}

/// Starts the creating action on the system's behalf: no permission, no form, no actor in
/// the audit event. Used when a record arrives from outside (mail from an unknown sender).
pub async fn begin_system_create(db: &Db, wf: &'static Workflow, action: &str) -> AppResult<Step> {
    let action = wf.action(action).filter(|a| a.creates()).ok_or_else(|| AppError::internal(format!("{}: no creating step {action}", wf.id)))?;
    Ok(Step { tx: db.begin().await?, wf, action, actor_id: None, current: None })
}

/// Opens the transaction of a step on an existing record and checks its state and version.
async fn open(db: &Db, wf: &'static Workflow, action: &'static Action, id: i64, version: Option<i64>, actor_id: Option<i64>) -> AppResult<Step> {
    let mut tx = db.begin().await?;
    let current: Option<(String, i64)> =
        sqlx::query_as(&format!("SELECT state, version FROM {} WHERE id = $1", wf.table))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (state, current_version) = current.ok_or(AppError::NotFound)?;
    let Some(from) = action.from.iter().find(|s| s.id == state) else {
        return Err(AppError::InvalidTransition { action: action.id.to_string(), state });
    };
    if version.is_some_and(|v| v != current_version) {
        return Err(AppError::StaleVersion);
    }
    Ok(Step { tx, wf, action, actor_id, current: Some((id, current_version, from.id)) })
}
