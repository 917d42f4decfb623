//! Transfers and stock counts on the server. Both are workflow steps through the engine; their
//! stock effects are ledger movements made with [`move_stock`] in the step's transaction, so
//! a step that cannot move all its stock moves none.

use super::counts::{CountDetail, CountEntry, CountLine, CountPolicy, Differences, StockCount, COUNTS};
use super::service::{move_stock, on_sku, require_active_warehouse, sku_by_code};
use super::transfers::{ArrivalInput, Transfer, TransferDetail, TransferLine, TransferLineInput, TRANSFERS};
use super::{validate_sku_lines, MovementKind};
use crate::accounts::Actor;
use crate::alerts::service::{self as alerts, NewAlert};
use crate::catalog::parse_sku_code;
use crate::domain::{now_millis, AppError, AppResult, Permission, Role};
use crate::engine::run::{self, Transition};
use crate::engine::SlaStatus;
use crate::server::Db;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Resolves the SKU codes of validated lines to ids; an unknown code is an error on its line.
async fn resolve_lines(conn: &mut AnyConnection, lines: &[(String, i64)]) -> AppResult<Vec<(i64, i64)>> {
    let mut out = Vec::with_capacity(lines.len());
    for (i, (code, quantity)) in lines.iter().enumerate() {
        out.push((sku_by_code(conn, code, "sku").await.map_err(|e| e.at_line("lines", i + 1))?, *quantity));
    }
    Ok(out)
}

// ---------------------------------------------------------------- transfers

pub async fn request_transfer(
    db: &Db,
    actor: &Actor,
    from_warehouse: i64,
    to_warehouse: i64,
    form: &HashMap<String, String>,
    lines: &[TransferLineInput],
) -> AppResult<Transition> {
    let (mut step, v) = run::begin_create(db, actor, &TRANSFERS, "request", form).await?;
    let lines = validate_sku_lines(lines.iter().map(|l| (l.sku.as_str(), l.quantity.as_str())), "quantity")?;
    if from_warehouse == to_warehouse {
        return Err(AppError::invalid("to_warehouse", "choose a different warehouse than the sending one"));
    }
    require_active_warehouse(step.conn(), from_warehouse, "from_warehouse").await?;
    require_active_warehouse(step.conn(), to_warehouse, "to_warehouse").await?;
    let resolved = resolve_lines(step.conn(), &lines).await?;
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO transfers (from_warehouse_id, to_warehouse_id, note, state, version, created_by, created_at, updated_at, state_since) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $6, $6) RETURNING id",
    )
    .bind(from_warehouse)
    .bind(to_warehouse)
    .bind(v.get("note"))
    .bind(step.to_state())
    .bind(actor.id)
    .bind(now)
    .fetch_one(step.conn())
    .await?;
    for (sku_id, quantity) in resolved {
        sqlx::query("INSERT INTO transfer_lines (transfer_id, sku_id, quantity) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(sku_id)
            .bind(quantity)
            .execute(step.conn())
            .await?;
    }
    let units: i64 = lines.iter().map(|l| l.1).sum();
    step.commit_created(id, json!({ "lines": lines.len().to_string(), "units": units.to_string() })).await
}

/// `ship` takes every line out of the sending warehouse (all or nothing); `receive` puts what
/// arrived into the receiving one and reports shortfalls; `cancel` needs a reason.
#[allow(clippy::too_many_arguments)]
pub async fn act_on_transfer(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    action_id: &str,
    form: &HashMap<String, String>,
    arrivals: &[ArrivalInput],
) -> AppResult<Transition> {
    let (mut step, v) = run::begin(db, actor, &TRANSFERS, id, version, action_id, form).await?;
    let (from_wh, to_wh): (i64, i64) =
        sqlx::query_as("SELECT from_warehouse_id, to_warehouse_id FROM transfers WHERE id = $1").bind(id).fetch_one(step.conn()).await?;
    let lines: Vec<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT l.id, l.sku_id, s.code, l.quantity FROM transfer_lines l JOIN skus s ON s.id = l.sku_id WHERE l.transfer_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(step.conn())
    .await?;
    let reference = format!("transfer #{id}");
    let mut payload = serde_json::to_value(&v).unwrap_or_default();
    match action_id {
        "ship" => {
            require_active_warehouse(step.conn(), from_wh, "from_warehouse").await?;
            for (_, sku_id, code, quantity) in &lines {
                move_stock(step.conn(), *sku_id, from_wh, MovementKind::TransferOut, *quantity, &reference, "shipped to another warehouse", Some(actor.id))
                    .await
                    .map_err(on_sku(code))?;
            }
            sqlx::query("UPDATE transfers SET waybill = $1 WHERE id = $2").bind(v.get("waybill")).bind(id).execute(step.conn()).await?;
        }
        "receive" => {
            require_active_warehouse(step.conn(), to_wh, "to_warehouse").await?;
            if arrivals.len() != lines.len() {
                return Err(AppError::invalid("lines", "record what arrived on every line"));
            }
            let mut missing = Vec::new();
            let mut received_total = 0;
            for (n, (line_id, sku_id, code, shipped)) in lines.iter().enumerate() {
                let a = arrivals
                    .iter()
                    .find(|a| a.line_id == *line_id)
                    .ok_or_else(|| AppError::invalid("lines", "record what arrived on every line"))?
                    .validate(n + 1, *shipped)?;
                sqlx::query("UPDATE transfer_lines SET received = $1, shortfall_reason = $2 WHERE id = $3")
                    .bind(a.received)
                    .bind(&a.shortfall_reason)
                    .bind(line_id)
                    .execute(step.conn())
                    .await?;
                if a.received > 0 {
                    move_stock(step.conn(), *sku_id, to_wh, MovementKind::TransferIn, a.received, &reference, "received from another warehouse", Some(actor.id)).await?;
                }
                received_total += a.received;
                if a.received < *shipped {
                    missing.push(json!({ "sku": code, "missing": shipped - a.received, "reason": a.shortfall_reason }));
                }
            }
            payload["received"] = json!(received_total.to_string());
            if !missing.is_empty() {
                let units: i64 = missing.iter().filter_map(|m| m["missing"].as_i64()).sum();
                payload["missing"] = json!(units.to_string());
                alerts::raise(
                    step.conn(),
                    NewAlert {
                        kind: "transfer_shortfall",
                        subject: format!("transfer_shortfall:{id}"),
                        permission: Permission::StockAlertHandle,
                        owner: Role::WarehouseStaff,
                        title: format!("{reference}"),
                        detail: json!({ "missing": units, "lines": missing }),
                        link: format!("/transfers/{id}"),
                    },
                )
                .await?;
            }
        }
        "cancel" => {}
        other => return Err(AppError::internal(format!("transfer action {other} has no effect"))),
    }
    step.commit(payload).await
}

type TransferDb = (i64, String, String, Option<String>, Option<String>, String, i64, String, i64, i64);

const TRANSFER_SELECT: &str = "SELECT t.id, f.code, d.code, t.note, t.waybill, t.state, t.version, u.display_name, t.created_at, t.state_since \
     FROM transfers t JOIN warehouses f ON f.id = t.from_warehouse_id JOIN warehouses d ON d.id = t.to_warehouse_id \
     JOIN users u ON u.id = t.created_by";

fn transfer(r: TransferDb, lines: Vec<TransferLine>, now: i64) -> Transfer {
    Transfer {
        sla: SlaStatus::compute(&TRANSFERS, &r.5, r.9, now),
        id: r.0,
        from_warehouse: r.1,
        to_warehouse: r.2,
        note: r.3,
        waybill: r.4,
        state: r.5,
        version: r.6,
        created_by: r.7,
        created_at: r.8,
        lines,
    }
}

pub async fn transfers(db: &Db, state: &str) -> AppResult<Vec<Transfer>> {
    let rows: Vec<TransferDb> =
        sqlx::query_as(&format!("{TRANSFER_SELECT} WHERE ($1 = '' OR t.state = $1) ORDER BY t.updated_at DESC, t.id DESC LIMIT 300"))
            .bind(state)
            .fetch_all(db.pool())
            .await?;
    let now = now_millis();
    Ok(rows.into_iter().map(|r| transfer(r, Vec::new(), now)).collect())
}

pub async fn transfer_detail(db: &Db, actor: &Actor, id: i64) -> AppResult<TransferDetail> {
    let row: Option<TransferDb> = sqlx::query_as(&format!("{TRANSFER_SELECT} WHERE t.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    let row = row.ok_or(AppError::NotFound)?;
    let lines: Vec<(i64, i64, String, String, i64, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT l.id, l.sku_id, s.code, p.title, l.quantity, l.received, l.shortfall_reason \
         FROM transfer_lines l JOIN skus s ON s.id = l.sku_id JOIN products p ON p.id = s.product_id WHERE l.transfer_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let lines = lines
        .into_iter()
        .map(|l| TransferLine { id: l.0, sku_id: l.1, sku: l.2, product: l.3, quantity: l.4, received: l.5, shortfall_reason: l.6 })
        .collect();
    let transfer = transfer(row, lines, now_millis());
    let actions = TRANSFERS.available(&transfer.state, &actor.permissions).map(|a| a.id.to_string()).collect();
    let events = run::history(db, TRANSFERS.id, id).await?;
    Ok(TransferDetail { transfer, events, actions })
}

// ---------------------------------------------------------------- counts

/// Starts a count of the listed SKUs, or, with none listed, of every SKU the warehouse holds
/// (at most 500 lines: count a large warehouse in sections).
pub async fn start_count(db: &Db, actor: &Actor, warehouse_id: i64, form: &HashMap<String, String>, skus: &[String]) -> AppResult<Transition> {
    let (mut step, v) = run::begin_create(db, actor, &COUNTS, "start", form).await?;
    require_active_warehouse(step.conn(), warehouse_id, "warehouse").await?;
    let listed: Vec<&String> = skus.iter().filter(|s| !s.trim().is_empty()).collect();
    let sku_ids: Vec<i64> = if listed.is_empty() {
        sqlx::query_as::<_, (i64,)>(
            "SELECT l.sku_id FROM stock_levels l JOIN skus s ON s.id = l.sku_id WHERE l.warehouse_id = $1 ORDER BY s.code LIMIT 501",
        )
        .bind(warehouse_id)
        .fetch_all(step.conn())
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect()
    } else {
        let mut ids = Vec::with_capacity(listed.len());
        let mut codes: Vec<String> = Vec::with_capacity(listed.len());
        for (i, code) in listed.iter().enumerate() {
            let code = parse_sku_code("sku", code).map_err(|e| e.at_line("lines", i + 1))?;
            if codes.contains(&code) {
                return Err(AppError::invalid("sku", "the same SKU code appears twice").at_line("lines", i + 1));
            }
            ids.push(sku_by_code(step.conn(), &code, "sku").await.map_err(|e| e.at_line("lines", i + 1))?);
            codes.push(code);
        }
        ids
    };
    if sku_ids.is_empty() {
        return Err(AppError::invalid("lines", "this warehouse holds no stock yet; list the SKUs to count"));
    }
    if sku_ids.len() > 500 {
        return Err(AppError::invalid("lines", "at most 500 lines per count; list the SKUs of one section"));
    }
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO stock_counts (warehouse_id, note, state, version, created_by, created_at, updated_at, state_since) \
         VALUES ($1, $2, $3, 1, $4, $5, $5, $5) RETURNING id",
    )
    .bind(warehouse_id)
    .bind(v.get("note"))
    .bind(step.to_state())
    .bind(actor.id)
    .bind(now)
    .fetch_one(step.conn())
    .await?;
    for sku_id in &sku_ids {
        sqlx::query("INSERT INTO stock_count_lines (count_id, sku_id) VALUES ($1, $2)").bind(id).bind(sku_id).execute(step.conn()).await?;
    }
    step.commit_created(id, json!({ "lines": sku_ids.len().to_string() })).await
}

/// One line of a count as the steps need it.
struct LineRow {
    id: i64,
    sku_id: i64,
    code: String,
    book: Option<i64>,
    counted: Option<i64>,
    reason: Option<String>,
    unit_cost: Option<i64>,
}

async fn count_lines(conn: &mut AnyConnection, id: i64) -> AppResult<Vec<LineRow>> {
    let rows: Vec<(i64, i64, String, Option<i64>, Option<i64>, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT l.id, l.sku_id, s.code, l.book, l.counted, l.reason, l.unit_cost FROM stock_count_lines l JOIN skus s ON s.id = l.sku_id \
         WHERE l.count_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LineRow { id: r.0, sku_id: r.1, code: r.2, book: r.3, counted: r.4, reason: r.5, unit_cost: r.6 })
        .collect())
}

/// `record` takes the counted quantities against the books as they are now; `post` (within
/// the policy) and `approve` (a manager, not the counter) move the differences into the
/// ledger; `recount` sends it back; `cancel` ends it.
#[allow(clippy::too_many_arguments)]
pub async fn act_on_count(
    db: &Db,
    actor: &Actor,
    policy: &CountPolicy,
    id: i64,
    version: i64,
    action_id: &str,
    form: &HashMap<String, String>,
    entries: &[CountEntry],
) -> AppResult<Transition> {
    let (mut step, v) = run::begin(db, actor, &COUNTS, id, version, action_id, form).await?;
    let (wh, counted_by): (i64, Option<i64>) =
        sqlx::query_as("SELECT warehouse_id, counted_by FROM stock_counts WHERE id = $1").bind(id).fetch_one(step.conn()).await?;
    let lines = count_lines(step.conn(), id).await?;
    let mut payload = serde_json::to_value(&v).unwrap_or_default();
    match action_id {
        "record" => {
            if entries.len() != lines.len() {
                return Err(AppError::invalid("lines", "enter the counted quantity of every line"));
            }
            let mut recorded = Vec::with_capacity(lines.len());
            for (n, line) in lines.iter().enumerate() {
                let entry = entries
                    .iter()
                    .find(|e| e.line_id == line.id)
                    .ok_or_else(|| AppError::invalid("lines", "enter the counted quantity of every line"))?;
                let book: Option<(i64,)> = sqlx::query_as("SELECT on_hand FROM stock_levels WHERE sku_id = $1 AND warehouse_id = $2")
                    .bind(line.sku_id)
                    .bind(wh)
                    .fetch_optional(step.conn())
                    .await?;
                let book = book.map(|b| b.0).unwrap_or(0);
                let (counted, reason) = entry.validate(n + 1, book)?;
                let (cost,): (i64,) = sqlx::query_as("SELECT cost FROM skus WHERE id = $1").bind(line.sku_id).fetch_one(step.conn()).await?;
                sqlx::query("UPDATE stock_count_lines SET book = $1, counted = $2, reason = $3, unit_cost = $4 WHERE id = $5")
                    .bind(book)
                    .bind(counted)
                    .bind(&reason)
                    .bind(cost)
                    .bind(line.id)
                    .execute(step.conn())
                    .await?;
                recorded.push((book, counted, cost));
            }
            sqlx::query("UPDATE stock_counts SET counted_by = $1 WHERE id = $2").bind(actor.id).bind(id).execute(step.conn()).await?;
            let d = Differences::of(recorded);
            payload["difference_units"] = json!(d.units.to_string());
            payload["difference_value"] = json!(crate::domain::format_money(d.value));
        }
        "post" | "approve" => {
            let d = Differences::of(lines.iter().filter_map(|l| Some((l.book?, l.counted?, l.unit_cost.unwrap_or(0)))));
            if action_id == "post" && d.need_approval(policy) {
                return Err(AppError::Conflict(
                    "the differences are above the approval threshold: a manager must approve this count".into(),
                ));
            }
            if action_id == "approve" && counted_by == Some(actor.id) {
                return Err(AppError::Conflict("you recorded this count: another manager must approve it".into()));
            }
            require_active_warehouse(step.conn(), wh, "warehouse").await?;
            let reference = format!("count #{id}");
            let mut adjusted = 0;
            for l in &lines {
                let (Some(book), Some(counted)) = (l.book, l.counted) else { continue };
                // The difference is posted, not the counted figure: a pick made since the
                // count was recorded stays in the books.
                let delta = counted - book;
                if delta != 0 {
                    let reason = l.reason.as_deref().unwrap_or("stock count");
                    move_stock(step.conn(), l.sku_id, wh, MovementKind::Adjust, delta, &reference, reason, Some(actor.id))
                        .await
                        .map_err(on_sku(&l.code))?;
                    adjusted += 1;
                }
            }
            payload["adjusted_lines"] = json!(adjusted.to_string());
            payload["difference_value"] = json!(crate::domain::format_money(d.value));
        }
        "recount" => {
            sqlx::query("UPDATE stock_count_lines SET book = NULL, counted = NULL, reason = NULL, unit_cost = NULL WHERE count_id = $1")
                .bind(id)
                .execute(step.conn())
                .await?;
            sqlx::query("UPDATE stock_counts SET counted_by = NULL WHERE id = $1").bind(id).execute(step.conn()).await?;
        }
        "cancel" => {}
        other => return Err(AppError::internal(format!("count action {other} has no effect"))),
    }
    step.commit(payload).await
}

type CountDb = (i64, String, Option<String>, String, i64, String, Option<i64>, Option<String>, i64, i64, i64, i64, i64);

/// A count with its differences summed in SQL (lines recorded so far), for lists and pages.
const COUNT_SELECT: &str = "SELECT c.id, w.code, c.note, c.state, c.version, u.display_name, c.counted_by, k.display_name, c.created_at, c.state_since, \
     CAST(COALESCE(d.units, 0) AS BIGINT), CAST(COALESCE(d.largest, 0) AS BIGINT), CAST(COALESCE(d.value, 0) AS BIGINT) \
     FROM stock_counts c JOIN warehouses w ON w.id = c.warehouse_id JOIN users u ON u.id = c.created_by \
     LEFT JOIN users k ON k.id = c.counted_by \
     LEFT JOIN (SELECT count_id, SUM(ABS(counted - book)) AS units, MAX(ABS(counted - book)) AS largest, \
       SUM(ABS(counted - book) * COALESCE(unit_cost, 0)) AS value FROM stock_count_lines WHERE counted IS NOT NULL GROUP BY count_id) d \
     ON d.count_id = c.id";

fn stock_count(r: CountDb, lines: Vec<CountLine>, policy: &CountPolicy, now: i64) -> StockCount {
    let differences = Differences { units: r.10, largest_line: r.11, value: r.12 };
    StockCount {
        sla: SlaStatus::compute(&COUNTS, &r.3, r.9, now),
        id: r.0,
        warehouse: r.1,
        note: r.2,
        state: r.3,
        version: r.4,
        created_by: r.5,
        counted_by_id: r.6,
        counted_by: r.7,
        created_at: r.8,
        lines,
        needs_approval: differences.need_approval(policy),
        differences,
    }
}

pub async fn counts(db: &Db, policy: &CountPolicy, state: &str) -> AppResult<Vec<StockCount>> {
    let rows: Vec<CountDb> =
        sqlx::query_as(&format!("{COUNT_SELECT} WHERE ($1 = '' OR c.state = $1) ORDER BY c.updated_at DESC, c.id DESC LIMIT 300"))
            .bind(state)
            .fetch_all(db.pool())
            .await?;
    let now = now_millis();
    Ok(rows.into_iter().map(|r| stock_count(r, Vec::new(), policy, now)).collect())
}

pub async fn count_detail(db: &Db, actor: &Actor, policy: &CountPolicy, id: i64) -> AppResult<CountDetail> {
    let row: Option<CountDb> = sqlx::query_as(&format!("{COUNT_SELECT} WHERE c.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    let row = row.ok_or(AppError::NotFound)?;
    let lines: Vec<(i64, i64, String, String, Option<i64>, Option<i64>, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT l.id, l.sku_id, s.code, p.title, l.book, l.counted, l.reason, l.unit_cost \
         FROM stock_count_lines l JOIN skus s ON s.id = l.sku_id JOIN products p ON p.id = s.product_id WHERE l.count_id = $1 ORDER BY s.code",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let lines = lines
        .into_iter()
        .map(|l| CountLine { id: l.0, sku_id: l.1, sku: l.2, product: l.3, book: l.4, counted: l.5, reason: l.6, unit_cost: l.7 })
        .collect();
    let count = stock_count(row, lines, policy, now_millis());
    let actions = COUNTS
        .available(&count.state, &actor.permissions)
        // Offer only the way of posting that can succeed for this user.
        .filter(|a| match a.id {
            "post" => !count.needs_approval,
            "approve" => count.needs_approval && count.counted_by_id != Some(actor.id),
            _ => true,
        })
        .map(|a| a.id.to_string())
        .collect();
    let events = run::history(db, COUNTS.id, id).await?;
    Ok(CountDetail { count, events, actions })
}
