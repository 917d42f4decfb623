//! Prices on the server: changes with history, approvals of the large or loss-making ones,
//! abnormal-price alerts, and promotional prices in a time window.

use super::*;
use crate::accounts::Actor;
use crate::alerts::service::{self as alerts, NewAlert};
use crate::domain::{format_money, now_millis, parse_money, required_text, AppError, AppResult};
use crate::engine::run::{self, audit, Transition};
use crate::server::Db;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// (price, cost, product id, product state, code)
async fn sku_prices(conn: &mut AnyConnection, sku_id: i64) -> AppResult<(i64, i64, i64, String, String)> {
    let row: Option<(i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT s.price, s.cost, p.id, p.state, s.code FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = $1",
    )
    .bind(sku_id)
    .fetch_optional(conn)
    .await?;
    row.ok_or(AppError::NotFound)
}

/// Changes a SKU's price: at once when within the policy, otherwise as a request in the
/// product manager's approval queue.
pub async fn change_price(
    db: &Db,
    actor: &Actor,
    policy: &PricePolicy,
    sku_id: i64,
    new_price: &str,
    reason: &str,
) -> AppResult<PriceOutcome> {
    if !actor.can(Permission::PriceChange) {
        return Err(AppError::Forbidden);
    }
    let new = parse_money("new_price", new_price)?;
    if new == 0 {
        return Err(AppError::invalid("new_price", "must be greater than zero"));
    }
    let reason = required_text("reason", reason, 500)?;
    let mut conn = db.pool().acquire().await?;
    let (old, cost, _, state, _) = sku_prices(&mut conn, sku_id).await?;
    drop(conn);
    if EDITABLE.contains(&state.as_str()) {
        return Err(AppError::invalid("new_price", "this product is a draft: change the price in the draft"));
    }
    if new == old {
        return Err(AppError::invalid("new_price", "the new price equals the current price"));
    }
    match policy.needs_approval(old, new, cost) {
        None => {
            let mut tx = db.begin().await?;
            apply_price(&mut tx, policy, sku_id, old, new, &reason, actor.id, None, None).await?;
            tx.commit().await?;
            Ok(PriceOutcome::Applied)
        }
        Some(why) => {
            let form: HashMap<String, String> = [("reason".to_string(), reason.clone())].into();
            let (mut step, _) = run::begin_create(db, actor, &PRICE_APPROVALS, "request", &form).await?;
            let (pending,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM price_approvals WHERE sku_id = $1 AND state = 'requested'")
                .bind(sku_id)
                .fetch_one(step.conn())
                .await?;
            if pending > 0 {
                return Err(AppError::Conflict("a price change of this SKU is already waiting for approval".into()));
            }
            let now = now_millis();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO price_approvals (sku_id, old_price, new_price, cost, reason, why_approval, state, version, created_by, \
                 created_at, updated_at, state_since) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9, $9) RETURNING id",
            )
            .bind(sku_id)
            .bind(old)
            .bind(new)
            .bind(cost)
            .bind(&reason)
            .bind(why.key())
            .bind(step.to_state())
            .bind(actor.id)
            .bind(now)
            .fetch_one(step.conn())
            .await?;
            let payload = json!({ "reason": reason, "old_price": format_money(old), "new_price": format_money(new), "why": why.key() });
            step.commit_created(id, payload).await?;
            Ok(PriceOutcome::AwaitingApproval(id))
        }
    }
}

/// Applies a price inside the caller's transaction: the SKU (only if its price is still
/// `old`), the product's lowest price, the history, the audit log and, when the new price is
/// abnormal, a price alert for the product managers.
#[allow(clippy::too_many_arguments)]
pub(super) async fn apply_price(
    conn: &mut AnyConnection,
    policy: &PricePolicy,
    sku_id: i64,
    old: i64,
    new: i64,
    reason: &str,
    changed_by: i64,
    approved_by: Option<i64>,
    approval_id: Option<i64>,
) -> AppResult<()> {
    let done = sqlx::query("UPDATE skus SET price = $1 WHERE id = $2 AND price = $3").bind(new).bind(sku_id).bind(old).execute(&mut *conn).await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict("the price changed in the meantime; look at it again".into()));
    }
    let (_, cost, product_id, _, code) = sku_prices(conn, sku_id).await?;
    sqlx::query("UPDATE products SET min_price = (SELECT MIN(price) FROM skus WHERE product_id = $1), updated_at = $2 WHERE id = $1")
        .bind(product_id)
        .bind(now_millis())
        .execute(&mut *conn)
        .await?;
    let recent: Vec<(i64,)> = sqlx::query_as("SELECT new_price FROM price_history WHERE sku_id = $1 ORDER BY at DESC, id DESC LIMIT 5")
        .bind(sku_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut recent: Vec<i64> = recent.into_iter().map(|r| r.0).collect();
    if recent.is_empty() {
        recent.push(old);
    }
    let now = now_millis();
    sqlx::query(
        "INSERT INTO price_history (sku_id, old_price, new_price, reason, changed_by, approved_by, approval_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(sku_id)
    .bind(old)
    .bind(new)
    .bind(reason)
    .bind(changed_by)
    .bind(approved_by)
    .bind(approval_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let payload = json!({ "sku": code, "old_price": format_money(old), "new_price": format_money(new), "reason": reason });
    audit(conn, "sku", sku_id, "price", None, None, Some(approved_by.unwrap_or(changed_by)), &payload).await?;
    if policy.abnormal(new, &recent, cost) {
        let average = recent.iter().sum::<i64>() / recent.len() as i64;
        alerts::raise(
            conn,
            NewAlert {
                kind: "price",
                subject: format!("price:{sku_id}"),
                permission: Permission::PriceApprove,
                owner: Role::ProductManager,
                title: code.clone(),
                detail: json!({ "sku": code, "price": new, "average": average, "cost": cost }),
                link: format!("/products/{product_id}"),
            },
        )
        .await?;
    }
    Ok(())
}

/// Approves (applying the price) or rejects a price change request.
pub async fn act_on_approval(
    db: &Db,
    actor: &Actor,
    policy: &PricePolicy,
    id: i64,
    version: i64,
    action_id: &str,
    form: &HashMap<String, String>,
) -> AppResult<Transition> {
    let (mut step, v) = run::begin(db, actor, &PRICE_APPROVALS, id, version, action_id, form).await?;
    let (sku_id, old, new, reason, requested_by): (i64, i64, i64, String, i64) =
        sqlx::query_as("SELECT sku_id, old_price, new_price, reason, created_by FROM price_approvals WHERE id = $1")
            .bind(id)
            .fetch_one(step.conn())
            .await?;
    let note = match action_id {
        "approve" => {
            if requested_by == actor.id {
                return Err(AppError::Conflict("a price change needs a second person: you cannot approve your own request".into()));
            }
            apply_price(step.conn(), policy, sku_id, old, new, &reason, requested_by, Some(actor.id), Some(id)).await?;
            v.get("comment").cloned()
        }
        "reject" => v.get("reason").cloned(),
        other => return Err(AppError::internal(format!("price approval action {other} has no effect"))),
    };
    sqlx::query("UPDATE price_approvals SET decision_note = $1 WHERE id = $2").bind(note).bind(id).execute(step.conn()).await?;
    step.commit(serde_json::to_value(&v).unwrap_or_default()).await
}

const APPROVAL_SELECT: &str = "SELECT a.id, p.id, p.title, s.code, a.old_price, a.new_price, a.cost, a.reason, a.why_approval, \
     a.decision_note, a.state, a.version, u.display_name, a.created_by, a.created_at, a.state_since \
     FROM price_approvals a JOIN skus s ON s.id = a.sku_id JOIN products p ON p.id = s.product_id JOIN users u ON u.id = a.created_by";

type ApprovalRow = (i64, i64, String, String, i64, i64, i64, String, String, Option<String>, String, i64, String, i64, i64, i64);

fn approval(r: ApprovalRow, now: i64) -> PriceApproval {
    PriceApproval {
        sla: SlaStatus::compute(&PRICE_APPROVALS, &r.10, r.15, now),
        id: r.0,
        product_id: r.1,
        product: r.2,
        sku: r.3,
        old_price: r.4,
        new_price: r.5,
        cost: r.6,
        reason: r.7,
        why: r.8,
        decision_note: r.9,
        state: r.10,
        version: r.11,
        requested_by: r.12,
        requested_by_id: r.13,
        created_at: r.14,
    }
}

/// The approval queue (or the decided ones, by state), oldest request first.
pub async fn approvals(db: &Db, state: &str) -> AppResult<Vec<PriceApproval>> {
    let state = if state.is_empty() { "requested" } else { state };
    let rows: Vec<ApprovalRow> =
        sqlx::query_as(&format!("{APPROVAL_SELECT} WHERE a.state = $1 ORDER BY a.created_at, a.id LIMIT 300")).bind(state).fetch_all(db.pool()).await?;
    let now = now_millis();
    Ok(rows.into_iter().map(|r| approval(r, now)).collect())
}

pub async fn product_pricing(db: &Db, product_id: i64) -> AppResult<ProductPricing> {
    let history: Vec<(String, i64, i64, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT s.code, h.old_price, h.new_price, h.reason, c.display_name, a.display_name, h.at FROM price_history h \
         JOIN skus s ON s.id = h.sku_id JOIN users c ON c.id = h.changed_by LEFT JOIN users a ON a.id = h.approved_by \
         WHERE s.product_id = $1 ORDER BY h.at DESC, h.id DESC LIMIT 100",
    )
    .bind(product_id)
    .fetch_all(db.pool())
    .await?;
    let rows: Vec<ApprovalRow> = sqlx::query_as(&format!("{APPROVAL_SELECT} WHERE p.id = $1 AND a.state = 'requested' ORDER BY a.id"))
        .bind(product_id)
        .fetch_all(db.pool())
        .await?;
    let now = now_millis();
    Ok(ProductPricing {
        history: history
            .into_iter()
            .map(|h| PriceChangeRow { sku: h.0, old_price: h.1, new_price: h.2, reason: h.3, changed_by: h.4, approved_by: h.5, at: h.6 })
            .collect(),
        approvals: rows.into_iter().map(|r| approval(r, now)).collect(),
        promos: promos_of(db, product_id).await?,
    })
}

// ---------------------------------------------------------------- promotions

async fn promos_of(db: &Db, product_id: i64) -> AppResult<Vec<Promo>> {
    let rows: Vec<(i64, String, i64, i64, i64, i64, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT pp.id, s.code, pp.price, s.price, pp.starts_at, pp.ends_at, pp.reason, u.display_name, pp.cancelled_at \
         FROM promo_prices pp JOIN skus s ON s.id = pp.sku_id JOIN users u ON u.id = pp.created_by \
         WHERE s.product_id = $1 AND pp.ends_at > $2 ORDER BY pp.starts_at, pp.id",
    )
    .bind(product_id)
    .bind(now_millis() - 30 * 86_400_000)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Promo {
            id: r.0,
            sku: r.1,
            price: r.2,
            regular_price: r.3,
            starts_at: r.4,
            ends_at: r.5,
            reason: r.6,
            created_by: r.7,
            cancelled: r.8.is_some(),
        })
        .collect())
}

/// Schedules a promotional price for a SKU in [starts, ends). It must be lower than the
/// regular price, not overlap another promotion of the SKU, and, under cost, be set by
/// someone who may approve prices.
pub async fn schedule_promo(
    db: &Db,
    actor: &Actor,
    sku_id: i64,
    price: &str,
    starts: &str,
    ends: &str,
    reason: &str,
) -> AppResult<i64> {
    if !actor.can(Permission::PromoSchedule) {
        return Err(AppError::Forbidden);
    }
    let price = parse_money("price", price)?;
    if price == 0 {
        return Err(AppError::invalid("price", "must be greater than zero"));
    }
    let starts = parse_utc_minute("starts", starts)?;
    let ends = parse_utc_minute("ends", ends)?;
    let reason = required_text("reason", reason, 300)?;
    if ends <= starts {
        return Err(AppError::invalid("ends", "must be after the start"));
    }
    if ends <= now_millis() {
        return Err(AppError::invalid("ends", "must be in the future"));
    }
    if ends - starts > 90 * 86_400_000 {
        return Err(AppError::invalid("ends", "a promotion lasts at most 90 days"));
    }
    let mut tx = db.begin().await?;
    let (regular, cost, product_id, state, code) = sku_prices(&mut tx, sku_id).await?;
    if state != LISTED.id {
        return Err(AppError::invalid("price", "promotions are for listed products"));
    }
    if price >= regular {
        return Err(AppError::invalid("price", "a promotional price must be lower than the regular price"));
    }
    if price < cost && !actor.can(Permission::PriceApprove) {
        return Err(AppError::invalid("price", "under cost: a product manager must schedule it"));
    }
    let overlap: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM promo_prices WHERE sku_id = $1 AND cancelled_at IS NULL AND starts_at < $2 AND ends_at > $3",
    )
    .bind(sku_id)
    .bind(ends)
    .bind(starts)
    .fetch_optional(&mut *tx)
    .await?;
    if overlap.is_some() {
        return Err(AppError::invalid("starts", "overlaps another promotion of this SKU"));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO promo_prices (sku_id, price, starts_at, ends_at, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(sku_id)
    .bind(price)
    .bind(starts)
    .bind(ends)
    .bind(&reason)
    .bind(actor.id)
    .bind(now_millis())
    .fetch_one(&mut *tx)
    .await?;
    let payload = json!({ "sku": code, "price": format_money(price), "starts": crate::domain::format_time(starts), "ends": crate::domain::format_time(ends), "reason": reason, "product_id": product_id });
    audit(&mut tx, "promo", id, "schedule", None, None, Some(actor.id), &payload).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn cancel_promo(db: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    if !actor.can(Permission::PromoSchedule) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin().await?;
    let now = now_millis();
    let done = sqlx::query("UPDATE promo_prices SET cancelled_at = $1 WHERE id = $2 AND cancelled_at IS NULL AND ends_at > $1")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM promo_prices WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        return Err(if exists.is_some() { AppError::Conflict("this promotion has ended or was cancelled".into()) } else { AppError::NotFound });
    }
    audit(&mut tx, "promo", id, "cancel", None, None, Some(actor.id), &json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// SQL that holds for a row `alias` of `promo_prices` running at the time bound as `now`
/// (e.g. `"$1"`): not cancelled, started, not ended. The one definition the catalog, the
/// product page and the cart price by.
pub fn running_promo(alias: &str, now: &str) -> String {
    format!("{alias}.cancelled_at IS NULL AND {alias}.starts_at <= {now} AND {alias}.ends_at > {now}")
}

/// Promotional prices running at `now` for the given SKUs: sku id → (price, ends at).
pub async fn active_promos(db: &Db, sku_ids: &[i64], now: i64) -> AppResult<HashMap<i64, (i64, i64)>> {
    if sku_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = sku_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT pp.sku_id, pp.price, pp.ends_at FROM promo_prices pp WHERE pp.sku_id IN ({ids}) AND {}",
        running_promo("pp", "$1")
    ))
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| (r.0, (r.1, r.2))).collect())
}
