//! Returns and exchanges on the server, each step through the engine. Returned goods that can
//! be sold again go back to the warehouse they left from (a `return` movement in the ledger);
//! an exchange takes the same goods out again; a refund is handed to finance.

use super::parse_tracking_number;
use super::service::{add_refund, send_again};
use super::returns::{RETURNABLE, ReturnCase, ReturnDetail, ReturnInspection, ReturnLine, ReturnRequest, RETURNS};
use crate::accounts::Actor;
use crate::attachments;
use crate::domain::{now_millis, AppError, AppResult};
use crate::engine::run::{self, Transition};
use crate::engine::SlaStatus;
use crate::inventory::{service::move_stock, MovementKind};
use crate::server::Db;
use serde_json::json;
use std::collections::HashMap;


/// A customer asks for a return on their own order; or an agent files it for them from their
/// ticket about that order (the ticket gets a note and an event in the same transaction).
pub async fn request(db: &Db, actor: &Actor, input: &ReturnRequest) -> AppResult<Transition> {
    let action = if actor.is_customer { "request" } else { "file_for_customer" };
    let (mut step, _) = run::begin_create(db, actor, &RETURNS, action, &HashMap::new()).await?;
    let v = input.validate()?;
    let order: Option<(i64, String)> =
        sqlx::query_as("SELECT customer_id, state FROM orders WHERE id = $1").bind(input.order_id).fetch_optional(step.conn()).await?;
    let ticket = if actor.is_customer { None } else { input.ticket_id };
    let (customer, state) = match (order, actor.is_customer) {
        (Some((c, s)), true) if c == actor.id => (c, s),
        (Some((c, s)), false) => {
            let t = ticket.ok_or_else(|| AppError::invalid("ticket", "file it from the customer's ticket about this order"))?;
            crate::tickets::service::check_ticket_order(step.conn(), t, input.order_id).await?;
            (c, s)
        }
        _ => return Err(AppError::NotFound),
    };
    if !RETURNABLE.contains(&state.as_str()) {
        return Err(AppError::Conflict("an order can be returned once it has been delivered".into()));
    }
    for (n, (line, quantity)) in v.lines.iter().enumerate() {
        // What was ordered, less what other open or finished cases already send back.
        let (ordered, taken): (i64, i64) = sqlx::query_as(
            "SELECT l.quantity, CAST(COALESCE((SELECT SUM(r.quantity) FROM return_lines r JOIN return_cases c ON c.id = r.return_id \
                                   WHERE r.order_line_id = l.id AND c.state <> 'rejected'), 0) AS BIGINT) \
             FROM order_lines l WHERE l.id = $1 AND l.order_id = $2",
        )
        .bind(line)
        .bind(input.order_id)
        .fetch_optional(step.conn())
        .await?
        .ok_or_else(|| AppError::invalid("lines", &format!("line {}: not a line of this order", n + 1)))?;
        if *quantity > ordered - taken {
            return Err(AppError::invalid("lines", &format!("line {}: quantity: at most {} can be sent back", n + 1, ordered - taken)));
        }
    }
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO return_cases (order_id, customer_id, kind, reason, description, state, version, created_at, updated_at, state_since) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $7) RETURNING id",
    )
    .bind(input.order_id)
    .bind(customer)
    .bind(&v.kind)
    .bind(&v.reason)
    .bind(&v.description)
    .bind(step.to_state())
    .bind(now)
    .fetch_one(step.conn())
    .await?;
    for (line, quantity) in &v.lines {
        sqlx::query("INSERT INTO return_lines (return_id, order_line_id, quantity) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(line)
            .bind(quantity)
            .execute(step.conn())
            .await?;
    }
    // The pictures go with the case, or the request fails and the customer picks them again.
    let target = attachments::service::Target { entity: attachments::RETURN, entity_id: id, part_id: None, internal: false };
    let photos = attachments::service::claim(step.conn(), actor.id, &input.photos, target, true).await?;
    let units: i64 = v.lines.iter().map(|l| l.1).sum();
    if let Some(t) = ticket {
        crate::tickets::service::note_return(step.conn(), actor, t, id).await?;
    }
    step.commit_created(id, json!({ "kind": v.kind, "reason": v.reason, "units": units.to_string(), "photos": photos.len().to_string() })).await
}

/// The warehouse a returned line goes back to: the one its units left from.
async fn home_warehouse(conn: &mut sqlx::AnyConnection, order_line: i64) -> AppResult<i64> {
    let (wh,): (i64,) = sqlx::query_as(
        "SELECT s.warehouse_id FROM order_allocations a JOIN shipments s ON s.id = a.shipment_id WHERE a.order_line_id = $1 ORDER BY a.id LIMIT 1",
    )
    .bind(order_line)
    .fetch_one(conn)
    .await?;
    Ok(wh)
}

pub async fn act(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    action: &str,
    form: &HashMap<String, String>,
    inspections: &[ReturnInspection],
) -> AppResult<Transition> {
    let (mut step, v) = run::begin(db, actor, &RETURNS, id, version, action, form).await?;
    let (order_id, kind): (i64, String) = sqlx::query_as("SELECT order_id, kind FROM return_cases WHERE id = $1").bind(id).fetch_one(step.conn()).await?;
    let lines: Vec<(i64, i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT r.id, r.order_line_id, l.sku_id, l.sku_code, r.quantity, l.unit_price FROM return_lines r \
         JOIN order_lines l ON l.id = r.order_line_id WHERE r.return_id = $1 ORDER BY r.id",
    )
    .bind(id)
    .fetch_all(step.conn())
    .await?;
    let reference = format!("return #{id}");
    let mut payload = serde_json::to_value(&v).unwrap_or_default();
    match action {
        "approve" | "reject" => {
            let answer = v.get("note").or_else(|| v.get("reason"));
            sqlx::query("UPDATE return_cases SET answer = $1 WHERE id = $2").bind(answer).bind(id).execute(step.conn()).await?;
        }
        "receive" => {}
        "inspect" => {
            if inspections.len() != lines.len() {
                return Err(AppError::invalid("lines", "inspect every returned line"));
            }
            let (mut restocked, mut scrapped) = (0, 0);
            for (n, (line_id, order_line, sku, _, quantity, _)) in lines.iter().enumerate() {
                let found = inspections.iter().find(|i| i.line_id == *line_id).ok_or_else(|| AppError::invalid("lines", "inspect every returned line"))?;
                let (restock, scrap) = found.validate(n + 1, *quantity)?;
                if restock > 0 {
                    let wh = home_warehouse(step.conn(), *order_line).await?;
                    move_stock(step.conn(), *sku, wh, MovementKind::Return, restock, &reference, "returned by the customer, sellable", Some(actor.id)).await?;
                }
                sqlx::query("UPDATE return_lines SET restocked = $1, scrapped = $2 WHERE id = $3")
                    .bind(restock)
                    .bind(scrap)
                    .bind(line_id)
                    .execute(step.conn())
                    .await?;
                restocked += restock;
                scrapped += scrap;
            }
            sqlx::query("UPDATE return_cases SET problem = $1 WHERE id = $2").bind(&v["problem"]).bind(id).execute(step.conn()).await?;
            payload["restocked"] = json!(restocked.to_string());
            payload["scrapped"] = json!(scrapped.to_string());
        }
        "refund" => {
            if kind != "return" {
                return Err(AppError::Conflict("this case asks for an exchange, not a refund".into()));
            }
            let amount: i64 = lines.iter().map(|l| l.4 * l.5).sum();
            add_refund(step.conn(), order_id, amount, &reference, Some(actor.id)).await?;
            sqlx::query("UPDATE return_cases SET solution = $1, refund_amount = $2 WHERE id = $3")
                .bind(&v["solution"])
                .bind(amount)
                .bind(id)
                .execute(step.conn())
                .await?;
            payload["amount"] = json!(crate::domain::format_money(amount));
        }
        "exchange" => {
            if kind != "exchange" {
                return Err(AppError::Conflict("this case asks for a refund, not an exchange".into()));
            }
            let tracking = parse_tracking_number("tracking_number", &v["tracking_number"])?;
            // The replacement goods leave the warehouse the originals came from.
            let mut items = Vec::with_capacity(lines.len());
            for (_, order_line, sku, code, quantity, _) in &lines {
                items.push((*sku, home_warehouse(step.conn(), *order_line).await?, code.clone(), *quantity));
            }
            send_again(step.conn(), &items, &reference, "exchange sent to the customer", actor.id).await?;
            sqlx::query("UPDATE return_cases SET solution = $1, tracking_number = $2 WHERE id = $3")
                .bind(&v["solution"])
                .bind(&tracking)
                .bind(id)
                .execute(step.conn())
                .await?;
        }
        other => return Err(AppError::internal(format!("return action {other} has no effect"))),
    }
    step.commit(payload).await
}

type CaseDb = (i64, i64, String, String, String, String, Option<String>, Option<String>, Option<String>, Option<i64>, Option<String>, String, i64, i64, i64);

const SELECT: &str = "SELECT c.id, c.order_id, u.display_name, c.kind, c.reason, c.description, c.answer, c.problem, c.solution, \
     c.refund_amount, c.tracking_number, c.state, c.version, c.created_at, c.state_since FROM return_cases c JOIN users u ON u.id = c.customer_id";

fn case(r: CaseDb, lines: Vec<ReturnLine>, now: i64) -> ReturnCase {
    ReturnCase {
        sla: SlaStatus::compute(&RETURNS, &r.11, r.14, now),
        id: r.0,
        order_id: r.1,
        customer: r.2,
        kind: r.3,
        reason: r.4,
        description: r.5,
        answer: r.6,
        problem: r.7,
        solution: r.8,
        refund_amount: r.9,
        tracking_number: r.10,
        state: r.11,
        version: r.12,
        created_at: r.13,
        lines,
        photos: Vec::new(),
    }
}

async fn lines_of(db: &Db, id: i64) -> AppResult<Vec<ReturnLine>> {
    let rows: Vec<(i64, String, String, i64, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT r.id, l.sku_code, l.title, r.quantity, l.unit_price, r.restocked, r.scrapped FROM return_lines r \
         JOIN order_lines l ON l.id = r.order_line_id WHERE r.return_id = $1 ORDER BY r.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReturnLine { id: r.0, sku: r.1, title: r.2, quantity: r.3, unit_price: r.4, restocked: r.5, scrapped: r.6 })
        .collect())
}

/// The service desk's list: by state (oldest waiting first), or every open case.
pub async fn list(db: &Db, state: &str) -> AppResult<Vec<ReturnCase>> {
    let rows: Vec<CaseDb> = if state.is_empty() {
        sqlx::query_as(&format!("{SELECT} WHERE c.state NOT IN ('rejected', 'refunded', 'exchanged') ORDER BY c.state_since, c.id LIMIT 300"))
            .fetch_all(db.pool())
            .await?
    } else {
        sqlx::query_as(&format!("{SELECT} WHERE c.state = $1 ORDER BY c.state_since, c.id LIMIT 300")).bind(state).fetch_all(db.pool()).await?
    };
    let now = now_millis();
    Ok(rows.into_iter().map(|r| case(r, Vec::new(), now)).collect())
}

pub async fn detail(db: &Db, actor: &Actor, id: i64) -> AppResult<ReturnDetail> {
    let row: Option<CaseDb> = sqlx::query_as(&format!("{SELECT} WHERE c.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    let mut c = case(row.ok_or(AppError::NotFound)?, lines_of(db, id).await?, now_millis());
    c.photos = photos_of(db, id).await?;
    let actions = RETURNS
        .available(&c.state, &actor.permissions)
        // Only the step that matches what the customer asked for.
        .filter(|a| !(a.id == "refund" && c.kind != "return") && !(a.id == "exchange" && c.kind != "exchange"))
        .map(|a| a.id.to_string())
        .collect();
    let events = run::history(db, RETURNS.id, id).await?;
    Ok(ReturnDetail { case: c, events, actions })
}

/// A customer's cases on one of their orders (the order page shows them).
pub async fn of_order(db: &Db, order_id: i64) -> AppResult<Vec<ReturnCase>> {
    let rows: Vec<CaseDb> = sqlx::query_as(&format!("{SELECT} WHERE c.order_id = $1 ORDER BY c.id")).bind(order_id).fetch_all(db.pool()).await?;
    let now = now_millis();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id = r.0;
        let mut c = case(r, lines_of(db, id).await?, now);
        c.photos = photos_of(db, id).await?;
        out.push(c);
    }
    Ok(out)
}

async fn photos_of(db: &Db, id: i64) -> AppResult<Vec<crate::attachments::Attachment>> {
    Ok(attachments::service::of(db, attachments::RETURN, id).await?.into_iter().map(|f| f.2).collect())
}
