//! Shipping exceptions on the server: reported against a shipped parcel, resolved with a
//! replacement (stock leaves the parcel's warehouse again), a refund or compensation handed
//! to finance, or nothing but the news that it arrived — each step through the engine.

use super::exceptions::{ShippingException, EXCEPTIONS, RESOLVED};
use crate::accounts::Actor;
use crate::domain::{now_millis, parse_money, AppError, AppResult};
use crate::engine::run::{self, Transition};
use crate::engine::{FormValues, SlaStatus};
use super::parse_tracking_number;
use super::service::{add_refund, send_again};
use crate::logistics::Name;
use crate::server::Db;
use std::collections::HashMap;

pub async fn report(db: &Db, actor: &Actor, order_id: i64, shipment_id: i64, form: &HashMap<String, String>) -> AppResult<Transition> {
    let (mut step, v) = run::begin_create(db, actor, &EXCEPTIONS, "report", form).await?;
    let id = insert(&mut step, actor, order_id, shipment_id, &v, None).await?;
    step.commit_created(id, serde_json::to_value(&v).unwrap_or_default()).await
}

/// An agent reports the exception the customer told them of, from the customer's open ticket
/// about the order, on a shipped parcel of that order. The exception remembers the ticket;
/// the ticket gets an internal note and an event in the same transaction.
pub async fn report_for_customer(
    db: &Db,
    actor: &Actor,
    ticket_id: i64,
    order_id: i64,
    shipment_id: i64,
    form: &HashMap<String, String>,
) -> AppResult<Transition> {
    let (mut step, v) = run::begin_create(db, actor, &EXCEPTIONS, "report_for_customer", form).await?;
    crate::tickets::service::check_ticket_order(step.conn(), ticket_id, order_id).await?;
    let id = insert(&mut step, actor, order_id, shipment_id, &v, Some(ticket_id)).await?;
    crate::tickets::service::note_exception(step.conn(), actor, ticket_id, id, order_id).await?;
    step.commit_created(id, serde_json::to_value(&v).unwrap_or_default()).await
}

/// Writes a new exception on a shipped parcel of the order; returns its id.
async fn insert(step: &mut run::Step, actor: &Actor, order_id: i64, shipment_id: i64, v: &FormValues, ticket_id: Option<i64>) -> AppResult<i64> {
    let shipped: Option<(Option<i64>,)> = sqlx::query_as("SELECT shipped_at FROM shipments WHERE id = $1 AND order_id = $2")
        .bind(shipment_id)
        .bind(order_id)
        .fetch_optional(step.conn())
        .await?;
    if !matches!(shipped, Some((Some(_),))) {
        return Err(AppError::invalid("shipment", "choose a parcel of this order that was shipped"));
    }
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO shipping_exceptions (order_id, shipment_id, kind, description, customer_note, state, version, created_by, created_at, updated_at, state_since, ticket_id) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8, $8, $9) RETURNING id",
    )
    .bind(order_id)
    .bind(shipment_id)
    .bind(&v["kind"])
    .bind(&v["description"])
    .bind(&v["customer_note"])
    .bind(step.to_state())
    .bind(actor.id)
    .bind(now)
    .bind(ticket_id)
    .fetch_one(step.conn())
    .await?;
    Ok(id)
}

pub async fn act(db: &Db, actor: &Actor, id: i64, version: i64, action: &str, form: &HashMap<String, String>) -> AppResult<Transition> {
    let (mut step, v) = run::begin(db, actor, &EXCEPTIONS, id, version, action, form).await?;
    if action == "resolve" {
        let (order_id, shipment_id, total): (i64, i64, i64) = sqlx::query_as(
            "SELECT e.order_id, e.shipment_id, o.total FROM shipping_exceptions e JOIN orders o ON o.id = e.order_id WHERE e.id = $1",
        )
        .bind(id)
        .fetch_one(step.conn())
        .await?;
        let resolution = v["resolution"].as_str();
        let mut amount = None;
        let mut replacement = None;
        match resolution {
            "refund" | "compensate" => {
                let a = parse_money("amount", v.get("amount").map(String::as_str).unwrap_or(""))?;
                if a <= 0 {
                    return Err(AppError::invalid("amount", "must be greater than zero"));
                }
                if a > total {
                    return Err(AppError::invalid("amount", "more than the order's total"));
                }
                add_refund(step.conn(), order_id, a, &format!("shipping exception #{id}: {resolution}"), Some(actor.id)).await?;
                amount = Some(a);
            }
            "reship" => {
                let tracking = parse_tracking_number("replacement_tracking", v.get("replacement_tracking").map(String::as_str).unwrap_or(""))?;
                // The same goods leave the parcel's warehouse again.
                let items: Vec<(i64, i64, String, i64)> = sqlx::query_as(
                    "SELECT l.sku_id, s.warehouse_id, l.sku_code, CAST(SUM(a.quantity) AS BIGINT) FROM order_allocations a \
                     JOIN order_lines l ON l.id = a.order_line_id JOIN shipments s ON s.id = a.shipment_id \
                     WHERE a.shipment_id = $1 GROUP BY l.sku_id, s.warehouse_id, l.sku_code ORDER BY l.sku_id",
                )
                .bind(shipment_id)
                .fetch_all(step.conn())
                .await?;
                send_again(step.conn(), &items, &format!("shipping exception #{id}"), "replacement parcel", actor.id).await?;
                replacement = Some(tracking);
            }
            _ => {}
        }
        sqlx::query("UPDATE shipping_exceptions SET resolution = $1, amount = $2, replacement_tracking = $3, customer_note = $4 WHERE id = $5")
            .bind(resolution)
            .bind(amount)
            .bind(&replacement)
            .bind(&v["customer_note"])
            .bind(id)
            .execute(step.conn())
            .await?;
    }
    step.commit(serde_json::to_value(&v).unwrap_or_default()).await
}

type ExceptionDb = (i64, i64, i64, Option<String>, Option<String>, Option<String>, String, String, String, Option<String>, Option<i64>, Option<String>, String, i64, i64, i64);

const SELECT: &str = "SELECT e.id, e.order_id, e.shipment_id, COALESCE(c.name_en, s.carrier), c.name_zh, s.tracking_number, e.kind, e.description, \
     e.customer_note, e.resolution, e.amount, e.replacement_tracking, e.state, e.version, e.created_at, e.state_since \
     FROM shipping_exceptions e JOIN shipments s ON s.id = e.shipment_id LEFT JOIN carriers c ON c.code = s.carrier";

fn view(r: ExceptionDb, now: i64) -> ShippingException {
    ShippingException {
        sla: SlaStatus::compute(&EXCEPTIONS, &r.12, r.15, now),
        id: r.0,
        order_id: r.1,
        shipment_id: r.2,
        carrier: Name { en: r.3.unwrap_or_default(), zh: r.4.unwrap_or_default() },
        tracking_number: r.5.unwrap_or_default(),
        kind: r.6,
        description: r.7,
        customer_note: r.8,
        resolution: r.9,
        amount: r.10,
        replacement_tracking: r.11,
        state: r.12,
        version: r.13,
        created_at: r.14,
        ticket_id: None,
        events: Vec::new(),
        actions: Vec::new(),
    }
}

/// The exceptions of one order. Staff get each one's trail and their steps; a customer gets
/// what they are told and nothing internal.
pub async fn of_order(db: &Db, actor: &Actor, order_id: i64, staff: bool) -> AppResult<Vec<ShippingException>> {
    let rows: Vec<ExceptionDb> = sqlx::query_as(&format!("{SELECT} WHERE e.order_id = $1 ORDER BY e.id")).bind(order_id).fetch_all(db.pool()).await?;
    let now = now_millis();
    // The tickets agents reported from (staff only: the customer has their own tickets).
    let tickets: Vec<(i64, i64)> = if staff {
        sqlx::query_as("SELECT id, ticket_id FROM shipping_exceptions WHERE order_id = $1 AND ticket_id IS NOT NULL").bind(order_id).fetch_all(db.pool()).await?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut e = view(r, now);
        if staff {
            e.ticket_id = tickets.iter().find(|t| t.0 == e.id).map(|t| t.1);
            e.events = run::history(db, EXCEPTIONS.id, e.id).await?;
            e.actions = EXCEPTIONS.available(&e.state, &actor.permissions).map(|a| a.id.to_string()).collect();
        } else {
            e.description.clear();
        }
        out.push(e);
    }
    Ok(out)
}

/// Logistics' list: the open exceptions oldest first, or those in one state.
pub async fn list(db: &Db, state: &str) -> AppResult<Vec<ShippingException>> {
    let (op, value) = if state.is_empty() { ("<>", RESOLVED.id) } else { ("=", state) };
    let rows: Vec<ExceptionDb> = sqlx::query_as(&format!("{SELECT} WHERE e.state {op} $1 ORDER BY e.state_since, e.id LIMIT 300"))
        .bind(value)
        .fetch_all(db.pool())
        .await?;
    let now = now_millis();
    Ok(rows.into_iter().map(|r| view(r, now)).collect())
}

/// The exceptions agents reported from a ticket, oldest first: (id, order, kind, state).
pub async fn of_ticket(db: &Db, ticket_id: i64) -> AppResult<Vec<(i64, i64, String, String)>> {
    Ok(sqlx::query_as("SELECT id, order_id, kind, state FROM shipping_exceptions WHERE ticket_id = $1 ORDER BY id")
        .bind(ticket_id)
        .fetch_all(db.pool())
        .await?)
}

/// A ticket merged into another: the exceptions reported from it follow the conversation.
pub async fn move_to_ticket(conn: &mut sqlx::AnyConnection, from: i64, into: i64) -> AppResult<()> {
    sqlx::query("UPDATE shipping_exceptions SET ticket_id = $1 WHERE ticket_id = $2").bind(into).bind(from).execute(conn).await?;
    Ok(())
}

/// How many of an order's exceptions are still open (the order cannot be completed then).
pub async fn open_count(conn: &mut sqlx::AnyConnection, order_id: i64) -> AppResult<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM shipping_exceptions WHERE order_id = $1 AND state <> $2")
        .bind(order_id)
        .bind(RESOLVED.id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}
