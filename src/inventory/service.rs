//! Inventory on the server: the ledger, reservations, warehouses and inbound receipts.
//! Every balance change goes through [`change_balance`] (with its movement recorded by
//! [`record_movement`]; [`move_stock`] does both), inside the caller's transaction.

use super::*;
use crate::accounts::Actor;
use crate::alerts::service::{self as alerts, NewAlert};
use crate::domain::{now_millis, required_text, AppError, AppResult, Permission, Role};
use crate::engine::run::{self, audit, Transition};
use crate::server::db::like_escape;
use crate::server::Db;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

// ---------------------------------------------------------------- the ledger

/// Prefixes a stock conflict with the SKU it is about: "TEA-1: not enough stock: 3 available".
pub fn on_sku(code: &str) -> impl Fn(AppError) -> AppError + '_ {
    move |e| match e {
        AppError::Conflict(m) => AppError::Conflict(format!("{code}: {m}")),
        other => other,
    }
}

/// Applies one movement: the balance row changes only if the result is allowed (nothing
/// negative, never more reserved than on hand), the movement is recorded, and low-stock
/// alerts are raised or cleared — all on `conn`, in the caller's transaction.
///
/// The guarded UPDATE is what prevents an oversell under concurrency: on PostgreSQL a
/// competing transaction waits for the row lock and re-checks the condition against the
/// committed balance; on SQLite writers are serialized by the one-connection writer pool.
#[allow(clippy::too_many_arguments)]
pub async fn move_stock(
    conn: &mut AnyConnection,
    sku_id: i64,
    warehouse_id: i64,
    kind: MovementKind,
    quantity: i64,
    reference: &str,
    reason: &str,
    actor_id: Option<i64>,
) -> AppResult<Balance> {
    let balance = change_balance(conn, sku_id, warehouse_id, kind, quantity).await?;
    record_movement(conn, sku_id, warehouse_id, kind, quantity, reference, reason, actor_id).await?;
    Ok(balance)
}

/// The balance half of [`move_stock`]: the guarded update and the low-stock check. Its caller
/// records the movement in the same transaction, before or after ([`record_movement`]).
pub async fn change_balance(conn: &mut AnyConnection, sku_id: i64, warehouse_id: i64, kind: MovementKind, quantity: i64) -> AppResult<Balance> {
    let (dh, dr) = kind.deltas(quantity)?;
    // The SKU's reorder point and whether the warehouse is active come back with the new
    // balance, so that the low-stock check below reads nothing when it has nothing to do.
    let guarded = || {
        sqlx::query_as::<_, (i64, i64, i64, i64)>(
            "UPDATE stock_levels SET on_hand = on_hand + $1, reserved = reserved + $2 \
             WHERE sku_id = $3 AND warehouse_id = $4 AND on_hand + $1 >= reserved + $2 AND reserved + $2 >= 0 \
             RETURNING on_hand, reserved, (SELECT reorder_point FROM skus WHERE id = $3), (SELECT active FROM warehouses WHERE id = $4)",
        )
        .bind(dh)
        .bind(dr)
        .bind(sku_id)
        .bind(warehouse_id)
    };
    // The balance row usually exists: update first, and create it only when it does not.
    let mut after = guarded().fetch_optional(&mut *conn).await?;
    if after.is_none() {
        // Say why, from the balance as it is now; a SKU new to the warehouse starts at zero.
        let now: Option<(i64, i64)> = sqlx::query_as("SELECT on_hand, reserved FROM stock_levels WHERE sku_id = $1 AND warehouse_id = $2")
            .bind(sku_id)
            .bind(warehouse_id)
            .fetch_optional(&mut *conn)
            .await?;
        let (on_hand, reserved) = now.unwrap_or((0, 0));
        Balance { on_hand, reserved }.apply(kind, quantity)?;
        if now.is_some() {
            return Err(AppError::Conflict("the stock changed; try again".into()));
        }
        sqlx::query("INSERT INTO stock_levels (sku_id, warehouse_id, on_hand, reserved) VALUES ($1, $2, 0, 0) ON CONFLICT DO NOTHING")
            .bind(sku_id)
            .bind(warehouse_id)
            .execute(&mut *conn)
            .await?;
        after = guarded().fetch_optional(&mut *conn).await?;
    }
    let Some((on_hand, reserved, reorder_point, active)) = after else {
        return Err(AppError::Conflict("the stock changed; try again".into()));
    };
    let balance = Balance { on_hand, reserved };
    alert_on_change(conn, sku_id, warehouse_id, reorder_point, active == 1, balance, dh - dr).await?;
    Ok(balance)
}

/// Raises or clears the low-stock alert of a SKU in a warehouse whose available stock just
/// moved by `available_delta` to `balance`, if that could matter.
pub(crate) async fn alert_on_change(
    conn: &mut AnyConnection,
    sku_id: i64,
    warehouse_id: i64,
    reorder_point: i64,
    active: bool,
    balance: Balance,
    available_delta: i64,
) -> AppResult<()> {
    // Only a change of what is available can cross the reorder point (a commit does not).
    // Falling stock that stays at or above the reorder point in an active warehouse can raise
    // nothing (the total over active warehouses is at least this warehouse's) and falling
    // stock never clears an alert: most reservations end here, a statement shorter.
    let quiet = reorder_point == 0 || (available_delta < 0 && active && balance.available() >= reorder_point);
    if available_delta != 0 && !quiet {
        check_low_stock(conn, sku_id, warehouse_id, reorder_point, balance, available_delta > 0).await?;
    }
    Ok(())
}

/// The ledger half of [`move_stock`]: the movement's row.
#[allow(clippy::too_many_arguments)]
pub async fn record_movement(
    conn: &mut AnyConnection,
    sku_id: i64,
    warehouse_id: i64,
    kind: MovementKind,
    quantity: i64,
    reference: &str,
    reason: &str,
    actor_id: Option<i64>,
) -> AppResult<()> {
    let (dh, dr) = kind.deltas(quantity)?;
    sqlx::query(
        "INSERT INTO stock_movements (sku_id, warehouse_id, kind, quantity, on_hand_delta, reserved_delta, reference, reason, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(sku_id)
    .bind(warehouse_id)
    .bind(kind.key())
    .bind(quantity)
    .bind(dh)
    .bind(dr)
    .bind(reference)
    .bind(reason)
    .bind(actor_id)
    .bind(now_millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Raises a low-stock alert when available stock is below the SKU's `reorder_point` (not 0),
/// in this warehouse and in total over active warehouses (or brings its figures up to date);
/// when stock `rising` is back above it, clears the alert. Falling stock never clears one.
async fn check_low_stock(conn: &mut AnyConnection, sku_id: i64, warehouse_id: i64, reorder_point: i64, here: Balance, rising: bool) -> AppResult<()> {
    let (code, title, wh_code, total): (String, String, String, i64) = sqlx::query_as(
        "SELECT s.code, p.title, w.code, \
         CAST(COALESCE((SELECT SUM(l.on_hand - l.reserved) FROM stock_levels l JOIN warehouses x ON x.id = l.warehouse_id \
           WHERE l.sku_id = s.id AND x.active = 1), 0) AS BIGINT) \
         FROM skus s JOIN products p ON p.id = s.product_id, warehouses w WHERE s.id = $1 AND w.id = $2",
    )
    .bind(sku_id)
    .bind(warehouse_id)
    .fetch_one(&mut *conn)
    .await?;
    for (subject, available, warehouse) in [
        (format!("low_stock:{sku_id}:{warehouse_id}"), here.available(), Some(wh_code.as_str())),
        (format!("low_stock:{sku_id}:all"), total, None),
    ] {
        if available < reorder_point {
            alerts::raise(
                conn,
                NewAlert {
                    kind: "low_stock",
                    subject,
                    permission: Permission::StockAlertHandle,
                    owner: Role::WarehouseStaff,
                    title: format!("{code} · {title}"),
                    detail: json!({ "sku": code, "warehouse": warehouse, "available": available, "reorder_point": reorder_point }),
                    link: format!("/stock/{sku_id}"),
                },
            )
            .await?;
        } else if rising {
            alerts::resolve_subject(conn, &subject, "stock back above the reorder point").await?;
        }
    }
    Ok(())
}

pub(super) async fn sku_by_code(conn: &mut AnyConnection, code: &str, field: &str) -> AppResult<i64> {
    let code = crate::catalog::parse_sku_code(field, code)?;
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM skus WHERE code = $1").bind(&code).fetch_optional(conn).await?;
    row.map(|r| r.0).ok_or_else(|| AppError::invalid(field, "unknown SKU"))
}

async fn active_warehouse_by_code(conn: &mut AnyConnection, code: &str) -> AppResult<i64> {
    let row: Option<(i64, i64)> = sqlx::query_as("SELECT id, active FROM warehouses WHERE code = $1")
        .bind(code.trim().to_uppercase())
        .fetch_optional(conn)
        .await?;
    match row {
        Some((id, 1)) => Ok(id),
        Some(_) => Err(AppError::invalid("warehouse", "this warehouse is inactive")),
        None => Err(AppError::invalid("warehouse", "unknown warehouse")),
    }
}

/// Refuses, on form field `field`, a warehouse id that is unknown or inactive.
pub(super) async fn require_active_warehouse(conn: &mut AnyConnection, id: i64, field: &str) -> AppResult<()> {
    let wh: Option<(i64,)> = sqlx::query_as("SELECT active FROM warehouses WHERE id = $1").bind(id).fetch_optional(conn).await?;
    match wh {
        Some((1,)) => Ok(()),
        Some(_) => Err(AppError::invalid(field, "this warehouse is inactive")),
        None => Err(AppError::invalid(field, "choose a warehouse")),
    }
}

// ---------------------------------------------------------------- reservations

fn reference_text(reference: &str) -> AppResult<String> {
    required_text("reference", reference, 60)
}

async fn reservation_view(conn: &mut AnyConnection, id: i64) -> AppResult<Reservation> {
    let r: (i64, String, String, i64, String, String) = sqlx::query_as(
        "SELECT r.id, s.code, w.code, r.quantity, r.state, r.reference FROM reservations r \
         JOIN skus s ON s.id = r.sku_id JOIN warehouses w ON w.id = r.warehouse_id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(Reservation { id: r.0, sku: r.1, warehouse: r.2, quantity: r.3, state: r.4, reference: r.5 })
}

/// Holds `quantity` of a SKU for `reference` (an order). With no warehouse given, the active
/// warehouse with the most available stock that can cover the whole quantity is chosen.
/// Fails with a conflict, changing nothing, when no warehouse has enough.
pub async fn reserve(
    db: &Db,
    actor_id: Option<i64>,
    sku: &str,
    quantity: i64,
    warehouse: Option<&str>,
    reference: &str,
) -> AppResult<Reservation> {
    if quantity <= 0 {
        return Err(AppError::invalid("quantity", "must be greater than zero"));
    }
    if quantity > 1_000_000 {
        return Err(AppError::invalid("quantity", "number too large"));
    }
    let reference = reference_text(reference)?;
    let mut tx = db.begin().await?;
    let sku_id = sku_by_code(&mut tx, sku, "sku").await?;
    let candidates: Vec<i64> = match warehouse.filter(|w| !w.trim().is_empty()) {
        Some(code) => vec![active_warehouse_by_code(&mut tx, code).await?],
        None => sqlx::query_as::<_, (i64,)>(
            "SELECT l.warehouse_id FROM stock_levels l JOIN warehouses w ON w.id = l.warehouse_id \
             WHERE l.sku_id = $1 AND w.active = 1 AND l.on_hand - l.reserved >= $2 ORDER BY l.on_hand - l.reserved DESC, w.id",
        )
        .bind(sku_id)
        .bind(quantity)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect(),
    };
    let mut last = AppError::Conflict("not enough stock".into());
    for wh in candidates {
        // A competitor may have taken the stock since the candidates were read; try the next.
        match reserve_in(&mut tx, sku_id, wh, quantity, &reference, actor_id).await {
            Ok(id) => {
                let view = reservation_view(&mut tx, id).await?;
                tx.commit().await?;
                return Ok(view);
            }
            Err(e @ AppError::Conflict(_)) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Holds `quantity` of a SKU in one warehouse for `reference`, in the caller's transaction;
/// returns the reservation's id. A conflict (not enough available) changes nothing.
pub async fn reserve_in(conn: &mut AnyConnection, sku_id: i64, warehouse_id: i64, quantity: i64, reference: &str, actor_id: Option<i64>) -> AppResult<i64> {
    change_balance(conn, sku_id, warehouse_id, MovementKind::Reserve, quantity).await?;
    record_hold(conn, sku_id, warehouse_id, quantity, reference, actor_id).await
}

/// The records of a reservation — the reservation itself and its movement in the ledger —
/// without the balance: the caller reserves the units with [`change_balance`]
/// (`MovementKind::Reserve`) before its transaction commits, and rolls the transaction back
/// if that fails. This lets a caller take the balance row's lock last: on PostgreSQL the row
/// stays locked until the commit, and competing orders for the SKU wait that long.
pub async fn record_hold(conn: &mut AnyConnection, sku_id: i64, warehouse_id: i64, quantity: i64, reference: &str, actor_id: Option<i64>) -> AppResult<i64> {
    record_movement(conn, sku_id, warehouse_id, MovementKind::Reserve, quantity, reference, "reserved for order", actor_id).await?;
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO reservations (sku_id, warehouse_id, quantity, state, reference, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, 'held', $4, $5, $6, $6) RETURNING id",
    )
    .bind(sku_id)
    .bind(warehouse_id)
    .bind(quantity)
    .bind(reference)
    .bind(actor_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Ends a held reservation: `release` gives the units back, `commit` takes them out of the
/// warehouse (they were picked).
pub async fn settle(db: &Db, actor_id: Option<i64>, id: i64, commit: bool) -> AppResult<Reservation> {
    let mut tx = db.begin().await?;
    settle_in(&mut tx, actor_id, id, commit).await?;
    let view = reservation_view(&mut tx, id).await?;
    tx.commit().await?;
    Ok(view)
}

/// [`settle`] in the caller's transaction.
pub async fn settle_in(tx: &mut AnyConnection, actor_id: Option<i64>, id: i64, commit: bool) -> AppResult<()> {
    let row: Option<(i64, i64, i64, String, String)> =
        sqlx::query_as("SELECT sku_id, warehouse_id, quantity, state, reference FROM reservations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (sku_id, wh, quantity, state, reference) = row.ok_or(AppError::NotFound)?;
    let (kind, to, action) =
        if commit { (MovementKind::Commit, "committed", "commit") } else { (MovementKind::Release, "released", "release") };
    // Claim the reservation first, so two concurrent settles cannot both move stock.
    let claimed = sqlx::query("UPDATE reservations SET state = $1, updated_at = $2 WHERE id = $3 AND state = 'held'")
        .bind(to)
        .bind(now_millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() != 1 {
        return Err(AppError::InvalidTransition { action: action.into(), state });
    }
    let reason = if commit { "picked for order" } else { "reservation released" };
    move_stock(tx, sku_id, wh, kind, quantity, &reference, reason, actor_id).await?;
    Ok(())
}

// ---------------------------------------------------------------- warehouses

pub async fn warehouses(db: &Db) -> AppResult<Vec<Warehouse>> {
    let rows: Vec<(i64, String, String, String, i64)> =
        sqlx::query_as("SELECT id, code, name, address, active FROM warehouses ORDER BY code").fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(|r| Warehouse { id: r.0, code: r.1, name: r.2, address: r.3, active: r.4 == 1 }).collect())
}

pub async fn create_warehouse(db: &Db, actor: &Actor, input: &WarehouseInput) -> AppResult<i64> {
    let w = input.validate()?;
    let mut tx = db.begin().await?;
    let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM warehouses WHERE code = $1").bind(&w.code).fetch_optional(&mut *tx).await?;
    if taken.is_some() {
        return Err(AppError::invalid("code", "a warehouse with this code exists"));
    }
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO warehouses (code, name, address, active, created_at) VALUES ($1, $2, $3, 1, $4) RETURNING id")
            .bind(&w.code)
            .bind(&w.name)
            .bind(&w.address)
            .bind(now_millis())
            .fetch_one(&mut *tx)
            .await?;
    audit(&mut tx, "warehouse", id, "create", None, None, Some(actor.id), &json!({ "code": w.code, "name": w.name })).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn set_warehouse_active(db: &Db, actor: &Actor, id: i64, active: bool) -> AppResult<()> {
    crate::engine::run::set_active(db, actor.id, "warehouses", "warehouse", id, active).await
}

// ---------------------------------------------------------------- stock search

const STOCK_SELECT: &str = "SELECT s.id, s.code, p.id, p.title, s.reorder_point, \
     CAST(COALESCE(SUM(l.on_hand), 0) AS BIGINT), CAST(COALESCE(SUM(l.reserved), 0) AS BIGINT) \
     FROM skus s JOIN products p ON p.id = s.product_id LEFT JOIN stock_levels l ON l.sku_id = s.id";
const STOCK_GROUP: &str = " GROUP BY s.id, s.code, p.id, p.title, s.reorder_point";

type StockDb = (i64, String, i64, String, i64, i64, i64);

fn stock_row(r: StockDb) -> StockRow {
    StockRow { sku_id: r.0, sku: r.1, product_id: r.2, product: r.3, reorder_point: r.4, on_hand: r.5, reserved: r.6 }
}

/// SKUs whose code starts with, or whose product title contains, the text; at most 100.
pub async fn stock_search(db: &Db, q: &str) -> AppResult<Vec<StockRow>> {
    let q = q.trim();
    let code = format!("{}%", like_escape(&q.to_uppercase()));
    let title = format!("%{}%", like_escape(&q.to_lowercase()));
    let rows: Vec<StockDb> = sqlx::query_as(&format!(
        "{STOCK_SELECT} WHERE s.code LIKE $1 ESCAPE '\\' OR lower(p.title) LIKE $2 ESCAPE '\\'{STOCK_GROUP} ORDER BY s.code LIMIT 100"
    ))
    .bind(code)
    .bind(title)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(stock_row).collect())
}

pub async fn stock_detail(db: &Db, sku_id: i64) -> AppResult<StockDetail> {
    let row: Option<StockDb> =
        sqlx::query_as(&format!("{STOCK_SELECT} WHERE s.id = $1{STOCK_GROUP}")).bind(sku_id).fetch_optional(db.pool()).await?;
    let row = stock_row(row.ok_or(AppError::NotFound)?);
    let levels: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT w.code, w.name, l.on_hand, l.reserved FROM stock_levels l JOIN warehouses w ON w.id = l.warehouse_id \
         WHERE l.sku_id = $1 ORDER BY w.code",
    )
    .bind(sku_id)
    .fetch_all(db.pool())
    .await?;
    let moves: Vec<(i64, String, String, i64, i64, i64, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT m.id, w.code, m.kind, m.quantity, m.on_hand_delta, m.reserved_delta, m.reference, m.reason, u.display_name, m.at \
         FROM stock_movements m JOIN warehouses w ON w.id = m.warehouse_id LEFT JOIN users u ON u.id = m.actor_id \
         WHERE m.sku_id = $1 ORDER BY m.id DESC LIMIT 200",
    )
    .bind(sku_id)
    .fetch_all(db.pool())
    .await?;
    Ok(StockDetail {
        row,
        warehouses: levels.into_iter().map(|l| (l.0, l.1, Balance { on_hand: l.2, reserved: l.3 })).collect(),
        movements: moves
            .into_iter()
            .map(|m| Movement {
                id: m.0,
                warehouse: m.1,
                kind: m.2,
                quantity: m.3,
                on_hand_delta: m.4,
                reserved_delta: m.5,
                reference: m.6,
                reason: m.7,
                actor: m.8,
                at: m.9,
            })
            .collect(),
    })
}

/// The ledger's sums against the balances: empty when they agree (tests and health checks).
pub async fn ledger_mismatches(db: &Db) -> AppResult<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT l.sku_id, l.warehouse_id FROM stock_levels l LEFT JOIN \
         (SELECT sku_id, warehouse_id, SUM(on_hand_delta) AS h, SUM(reserved_delta) AS r FROM stock_movements GROUP BY sku_id, warehouse_id) m \
         ON m.sku_id = l.sku_id AND m.warehouse_id = l.warehouse_id \
         WHERE l.on_hand <> COALESCE(m.h, 0) OR l.reserved <> COALESCE(m.r, 0)",
    )
    .fetch_all(db.pool())
    .await?)
}

// ---------------------------------------------------------------- receipts

pub async fn register_receipt(
    db: &Db,
    actor: &Actor,
    warehouse_id: i64,
    form: &HashMap<String, String>,
    lines: &[ReceiptLineInput],
) -> AppResult<Transition> {
    let (mut step, v) = run::begin_create(db, actor, &RECEIPTS, "register", form).await?;
    let lines = validate_receipt_lines(lines)?;
    require_active_warehouse(step.conn(), warehouse_id, "warehouse").await?;
    let mut resolved = Vec::with_capacity(lines.len());
    for (i, (code, expected)) in lines.iter().enumerate() {
        let id = sku_by_code(step.conn(), code, "sku").await.map_err(|e| e.at_line("lines", i + 1))?;
        resolved.push((id, *expected));
    }
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO receipts (warehouse_id, supplier, reference, note, state, version, created_by, created_at, updated_at, state_since) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7, $7) RETURNING id",
    )
    .bind(warehouse_id)
    .bind(&v["supplier"])
    .bind(&v["reference"])
    .bind(v.get("note"))
    .bind(step.to_state())
    .bind(actor.id)
    .bind(now)
    .fetch_one(step.conn())
    .await?;
    for (sku_id, expected) in resolved {
        sqlx::query("INSERT INTO receipt_lines (receipt_id, sku_id, expected) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(sku_id)
            .bind(expected)
            .execute(step.conn())
            .await?;
    }
    step.commit_created(id, json!({ "supplier": v["supplier"], "reference": v["reference"], "lines": lines.len().to_string() })).await
}

/// A receipt step. `inspect` needs one inspection per line; `post` moves accepted goods into
/// stock through the ledger; `cancel` needs a reason.
pub async fn act_on_receipt(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    action_id: &str,
    form: &HashMap<String, String>,
    inspections: &[LineInspection],
) -> AppResult<Transition> {
    let (mut step, v) = run::begin(db, actor, &RECEIPTS, id, version, action_id, form).await?;
    let lines: Vec<(i64, i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT id, sku_id, expected, accepted FROM receipt_lines WHERE receipt_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(step.conn())
            .await?;
    let mut payload = serde_json::to_value(&v).unwrap_or_default();
    match action_id {
        "inspect" => {
            if inspections.len() != lines.len() {
                return Err(AppError::invalid("lines", "inspect every line of the receipt"));
            }
            let (mut accepted_total, mut rejected_total) = (0, 0);
            for (n, (line_id, ..)) in lines.iter().enumerate() {
                let Some(found) = inspections.iter().find(|i| i.line_id == *line_id) else {
                    return Err(AppError::invalid("lines", "inspect every line of the receipt"));
                };
                let i = found.validate(n + 1)?;
                accepted_total += i.accepted;
                rejected_total += i.rejected;
                sqlx::query("UPDATE receipt_lines SET received = $1, accepted = $2, rejected = $3, defect_reason = $4 WHERE id = $5")
                    .bind(i.received)
                    .bind(i.accepted)
                    .bind(i.rejected)
                    .bind(&i.defect_reason)
                    .bind(i.line_id)
                    .execute(step.conn())
                    .await?;
            }
            payload["accepted"] = json!(accepted_total.to_string());
            payload["rejected"] = json!(rejected_total.to_string());
        }
        "post" => {
            let (wh, supplier, reference): (i64, String, String) =
                sqlx::query_as("SELECT warehouse_id, supplier, reference FROM receipts WHERE id = $1").bind(id).fetch_one(step.conn()).await?;
            let active: (i64,) = sqlx::query_as("SELECT active FROM warehouses WHERE id = $1").bind(wh).fetch_one(step.conn()).await?;
            if active.0 != 1 {
                return Err(AppError::Conflict("the receiving warehouse is inactive".into()));
            }
            let reason = format!("inbound from {supplier} ({reference})");
            let mut posted = 0;
            for (_, sku_id, _, accepted) in &lines {
                let accepted = accepted.unwrap_or(0);
                if accepted > 0 {
                    move_stock(step.conn(), *sku_id, wh, MovementKind::Receipt, accepted, &format!("receipt #{id}"), &reason, Some(actor.id)).await?;
                    posted += accepted;
                }
            }
            payload["posted"] = json!(posted.to_string());
        }
        "cancel" => {}
        other => return Err(AppError::internal(format!("receipt action {other} has no effect"))),
    }
    step.commit(payload).await
}

type ReceiptDb = (i64, String, String, String, Option<String>, String, i64, String, i64, i64);

const RECEIPT_SELECT: &str = "SELECT r.id, w.code, r.supplier, r.reference, r.note, r.state, r.version, u.display_name, r.created_at, r.state_since \
     FROM receipts r JOIN warehouses w ON w.id = r.warehouse_id JOIN users u ON u.id = r.created_by";

fn receipt(r: ReceiptDb, lines: Vec<ReceiptLine>, now: i64) -> Receipt {
    Receipt {
        sla: SlaStatus::compute(&RECEIPTS, &r.5, r.9, now),
        id: r.0,
        warehouse: r.1,
        supplier: r.2,
        reference: r.3,
        note: r.4,
        state: r.5,
        version: r.6,
        created_by: r.7,
        created_at: r.8,
        lines,
    }
}

pub async fn receipts(db: &Db, state: &str) -> AppResult<Vec<Receipt>> {
    let rows: Vec<ReceiptDb> =
        sqlx::query_as(&format!("{RECEIPT_SELECT} WHERE ($1 = '' OR r.state = $1) ORDER BY r.updated_at DESC, r.id DESC LIMIT 300"))
            .bind(state)
            .fetch_all(db.pool())
            .await?;
    let now = now_millis();
    Ok(rows.into_iter().map(|r| receipt(r, Vec::new(), now)).collect())
}

pub async fn receipt_detail(db: &Db, actor: &Actor, id: i64) -> AppResult<ReceiptDetail> {
    let row: Option<ReceiptDb> =
        sqlx::query_as(&format!("{RECEIPT_SELECT} WHERE r.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    let row = row.ok_or(AppError::NotFound)?;
    let lines: Vec<(i64, i64, String, String, i64, Option<i64>, Option<i64>, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT l.id, l.sku_id, s.code, p.title, l.expected, l.received, l.accepted, l.rejected, l.defect_reason \
         FROM receipt_lines l JOIN skus s ON s.id = l.sku_id JOIN products p ON p.id = s.product_id WHERE l.receipt_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let lines = lines
        .into_iter()
        .map(|l| ReceiptLine {
            id: l.0,
            sku_id: l.1,
            sku: l.2,
            product: l.3,
            expected: l.4,
            received: l.5,
            accepted: l.6,
            rejected: l.7,
            defect_reason: l.8,
        })
        .collect();
    let receipt = receipt(row, lines, now_millis());
    let actions = RECEIPTS.available(&receipt.state, &actor.permissions).map(|a| a.id.to_string()).collect();
    let events = run::history(db, RECEIPTS.id, id).await?;
    Ok(ReceiptDetail { receipt, events, actions })
}

