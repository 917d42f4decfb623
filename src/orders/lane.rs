//! Group commit of checkouts on PostgreSQL: the order lane.
//!
//! On PostgreSQL an order's transaction costs about a dozen statements, each an executor
//! start and its foreign-key checks. On two cores shared with the application that held the
//! rate near 1,100 orders/s, even with no round trips inside the transaction
//! (BENCHMARKS.md, session 24). So each instance hands its priced checkouts to one task.
//! The task writes whatever is waiting in one transaction:
//! - it locks the balance rows of every SKU in the batch, in a fixed order, so that the lanes
//!   of several instances cannot deadlock and no other order takes the units it counted;
//! - it plans each order's warehouses against what is left, in the order the checkouts
//!   came: an order the stock cannot serve is refused alone;
//! - it writes every order's rows in one statement, with a text that never changes, fed
//!   with the batch as JSON. The rows are the order, its lines, the emptied cart, the
//!   parcels, the ledger, the reservations, the allocations and the balances;
//! - through the engine it tells those concerned and appends one audit event per order.
//!
//! Each order is still whole or absent, as in [`super::service`]'s own transaction. When a
//! batch fails for any other reason (a trigger, a lost connection), nothing of it is written
//! and each of its checkouts is written again alone by the caller, through the one-order
//! path that SQLite always takes. So an error reaches only the order it belongs to.

use super::{plan_allocation, CartLine, ORDERS};
use crate::domain::{format_money, now_millis, AppError, AppResult};
use crate::engine::run::{self, Created};
use crate::inventory::service::alert_on_change;
use crate::inventory::Balance;
use crate::server::db::Backend;
use crate::server::Db;
use serde_json::json;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// The most checkouts one transaction takes: enough for any burst on two cores, and small
/// enough that a failed batch writes again quickly one by one.
const MAX_BATCH: usize = 64;

/// A checkout validated and priced by the customer's request, as the lane writes it.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub customer: i64,
    pub key: String,
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub method: String,
    pub save_address: bool,
    pub lines: Vec<CartLine>,
    pub goods_total: i64,
    pub fee: i64,
    pub total: i64,
}

enum Answer {
    Placed(i64),
    Refused(AppError),
    /// Write it in a transaction of its own.
    Alone,
}

struct Pending {
    checkout: Checkout,
    answer: oneshot::Sender<Answer>,
}

/// The sending end of an instance's lane; the task ends when the database handle is gone.
#[derive(Debug)]
pub struct Lane {
    to_lane: mpsc::Sender<Pending>,
}

/// Places `checkout` through the database's lane: `Some` with the order or why it was refused,
/// or `None` when the caller must write it alone.
pub async fn place(db: &Db, checkout: Checkout) -> Option<AppResult<i64>> {
    let lane = db.order_lane.get_or_init(|| {
        let (to_lane, checkouts) = mpsc::channel(4 * MAX_BATCH);
        // The task holds the pool, not the `Db`: the `Db` holds the sender, and the task must
        // end when the last handle to the database is dropped.
        tokio::spawn(run(db.writer().clone(), checkouts));
        Lane { to_lane }
    });
    let (answer, answered) = oneshot::channel();
    lane.to_lane.send(Pending { checkout, answer }).await.ok()?;
    match answered.await.ok()? {
        Answer::Placed(id) => Some(Ok(id)),
        Answer::Refused(e) => Some(Err(e)),
        Answer::Alone => None,
    }
}

/// How long the lane keeps its connection while no checkout waits. Kept, the connection has
/// the lane's statements prepared; given back, `Db::close` is not kept waiting for it.
const HOLD: std::time::Duration = std::time::Duration::from_millis(100);

async fn run(pool: AnyPool, mut checkouts: mpsc::Receiver<Pending>) {
    let mut conn: Option<PoolConnection<Any>> = None;
    loop {
        let first = match tokio::time::timeout(HOLD, checkouts.recv()).await {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(_) => {
                conn = None;
                match checkouts.recv().await {
                    Some(p) => p,
                    None => break,
                }
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match checkouts.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let list: Vec<&Checkout> = batch.iter().map(|p| &p.checkout).collect();
        let written = match conn.as_mut() {
            Some(c) => write(c, &list).await,
            None => match pool.acquire().await {
                Ok(c) => write(conn.insert(c), &list).await,
                Err(e) => Err(e.into()),
            },
        };
        let answers = match written {
            Ok(answers) => answers,
            Err(e) => {
                tracing::warn!(error = %e, orders = batch.len(), "order lane: the batch failed; each checkout is written alone");
                // The connection may be what failed: the next batch takes a fresh one.
                conn = None;
                batch.iter().map(|_| Answer::Alone).collect()
            }
        };
        for (p, a) in batch.into_iter().zip(answers) {
            // A request that gave up has nobody to answer; its order stands, found by its key.
            let _ = p.answer.send(a);
        }
    }
}

/// Every order of the batch in one statement. `$1` is the time, `$2` the state of a placed
/// order, `$3` the orders, `$4` their lines and `$5` their plans, as JSON. A checkout whose
/// key is taken is skipped (the other submit made its order). The balances come back with
/// what the low-stock check needs.
const WRITE_BATCH: &str = "\
WITH oi AS (SELECT * FROM json_to_recordset(CAST($3 AS json)) AS x(k BIGINT, customer BIGINT, key TEXT, recipient TEXT, phone TEXT, \
                address TEXT, method TEXT, goods BIGINT, fee BIGINT, total BIGINT)), \
     li AS (SELECT * FROM json_to_recordset(CAST($4 AS json)) AS x(k BIGINT, pos BIGINT, sku BIGINT, title TEXT, code TEXT, attrs TEXT, \
                quantity BIGINT, unit BIGINT)), \
     pi AS (SELECT * FROM json_to_recordset(CAST($5 AS json)) AS x(k BIGINT, sku BIGINT, wh BIGINT, quantity BIGINT)), \
     o AS (INSERT INTO orders (customer_id, idempotency_key, recipient, phone, address, shipping_method, goods_total, shipping_fee, total, \
                state, version, created_at, updated_at, state_since) \
           SELECT customer, key, recipient, phone, address, method, goods, fee, total, $2, 1, $1, $1, $1 FROM oi ORDER BY k \
           ON CONFLICT (customer_id, idempotency_key) DO NOTHING RETURNING id, customer_id, idempotency_key), \
     ok AS (SELECT oi.k, oi.customer, o.id AS oid FROM oi JOIN o ON o.customer_id = oi.customer AND o.idempotency_key = oi.key), \
     l AS (INSERT INTO order_lines (order_id, sku_id, title, sku_code, attributes, quantity, unit_price, line_total) \
           SELECT ok.oid, li.sku, li.title, li.code, li.attrs, li.quantity, li.unit, li.unit * li.quantity FROM li JOIN ok ON ok.k = li.k \
           ORDER BY li.k, li.pos RETURNING id, order_id, sku_id), \
     d AS (DELETE FROM cart_items WHERE customer_id IN (SELECT customer FROM ok)), \
     s AS (INSERT INTO shipments (order_id, warehouse_id) \
           SELECT DISTINCT ok.oid, pi.wh FROM pi JOIN ok ON ok.k = pi.k ORDER BY ok.oid, pi.wh RETURNING id, order_id, warehouse_id), \
     m AS (INSERT INTO stock_movements (sku_id, warehouse_id, kind, quantity, on_hand_delta, reserved_delta, reference, reason, actor_id, at) \
           SELECT pi.sku, pi.wh, 'reserve', pi.quantity, 0, pi.quantity, 'order #' || ok.oid, 'reserved for order', ok.customer, $1 \
           FROM pi JOIN ok ON ok.k = pi.k ORDER BY pi.k, pi.sku, pi.wh), \
     r AS (INSERT INTO reservations (sku_id, warehouse_id, quantity, state, reference, created_by, created_at, updated_at) \
           SELECT pi.sku, pi.wh, pi.quantity, 'held', 'order #' || ok.oid, ok.customer, $1, $1 FROM pi JOIN ok ON ok.k = pi.k \
           ORDER BY pi.k, pi.sku, pi.wh RETURNING id, reference, sku_id, warehouse_id), \
     a AS (INSERT INTO order_allocations (order_line_id, shipment_id, reservation_id, quantity) \
           SELECT l.id, s.id, r.id, pi.quantity FROM pi JOIN ok ON ok.k = pi.k \
           JOIN l ON l.order_id = ok.oid AND l.sku_id = pi.sku \
           JOIN s ON s.order_id = ok.oid AND s.warehouse_id = pi.wh \
           JOIN r ON r.reference = 'order #' || ok.oid AND r.sku_id = pi.sku AND r.warehouse_id = pi.wh), \
     b AS (UPDATE stock_levels x SET reserved = x.reserved + g.n \
           FROM (SELECT pi.sku, pi.wh, CAST(SUM(pi.quantity) AS BIGINT) AS n FROM pi JOIN ok ON ok.k = pi.k GROUP BY pi.sku, pi.wh) g \
           WHERE x.sku_id = g.sku AND x.warehouse_id = g.wh AND x.on_hand >= x.reserved + g.n \
           RETURNING x.sku_id, x.warehouse_id, x.on_hand, x.reserved, g.n) \
SELECT 'order', k, oid, 0, 0, 0 FROM ok \
UNION ALL SELECT 'balance', b.sku_id, b.warehouse_id, b.on_hand, b.reserved, b.n FROM b";

/// The answers to `batch`, in its order; an error means nothing of the batch was written.
async fn write(conn: &mut AnyConnection, batch: &[&Checkout]) -> AppResult<Vec<Answer>> {
    let mut answers: Vec<Option<Answer>> = batch.iter().map(|_| None).collect();
    // A checkout submitted twice at once: the first is written here, the second alone after
    // it, where it finds the first's order by its key.
    for i in 0..batch.len() {
        if batch[..i].iter().any(|c| c.customer == batch[i].customer && c.key == batch[i].key) {
            answers[i] = Some(Answer::Alone);
        }
    }
    let mut tx = conn.begin().await?;
    let mut codes: Vec<&str> = batch.iter().flat_map(|c| c.lines.iter().map(|l| l.sku.as_str())).collect();
    codes.sort_unstable();
    codes.dedup();
    // Locked in a fixed order: from here to the commit no other order can take these units.
    let stock: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT s.code, l.sku_id, l.warehouse_id, l.on_hand - l.reserved, s.reorder_point, w.active \
         FROM stock_levels l JOIN skus s ON s.id = l.sku_id JOIN warehouses w ON w.id = l.warehouse_id \
         WHERE s.code IN (SELECT value FROM json_array_elements_text(CAST($1 AS json))) \
         ORDER BY l.sku_id, l.warehouse_id FOR UPDATE OF l",
    )
    .bind(json!(codes).to_string())
    .fetch_all(&mut *tx)
    .await?;
    let sku_id: HashMap<&str, i64> = stock.iter().map(|r| (r.0.as_str(), r.1)).collect();
    // What each active warehouse has left of each SKU, as the batch's orders take it.
    let mut left: Vec<(i64, i64, i64)> = stock.iter().filter(|r| r.5 == 1 && r.3 > 0).map(|r| (r.1, r.2, r.3)).collect();
    // Each planned take as (checkout, SKU, warehouse, quantity).
    let (mut orders_in, mut lines_in, mut takes) = (Vec::new(), Vec::new(), Vec::<(usize, i64, i64, i64)>::new());
    for (k, c) in batch.iter().enumerate() {
        if answers[k].is_some() {
            continue;
        }
        // A SKU with no balance row anywhere has no stock: id 0 plans to nothing.
        let wanted: Vec<(i64, i64)> = c.lines.iter().map(|l| (sku_id.get(l.sku.as_str()).copied().unwrap_or(0), l.quantity)).collect();
        let plan = match plan_allocation(&wanted, &left) {
            Ok(plan) => plan,
            Err(short) => {
                let have: i64 = left.iter().filter(|a| a.0 == short).map(|a| a.2).sum();
                let code = wanted.iter().position(|w| w.0 == short).map(|i| c.lines[i].sku.clone()).unwrap_or_default();
                answers[k] = Some(Answer::Refused(super::out_of_stock(&code, have)));
                continue;
            }
        };
        for &(line, wh, quantity) in &plan {
            if let Some(a) = left.iter_mut().find(|a| a.0 == wanted[line].0 && a.1 == wh) {
                a.2 -= quantity;
            }
            takes.push((k, wanted[line].0, wh, quantity));
        }
        for (pos, l) in c.lines.iter().enumerate() {
            lines_in.push(json!({
                "k": k, "pos": pos, "sku": wanted[pos].0, "title": l.title, "code": l.sku, "attrs": l.attributes,
                "quantity": l.quantity, "unit": l.unit_price,
            }));
        }
        orders_in.push(json!({
            "k": k, "customer": c.customer, "key": c.key, "recipient": c.recipient, "phone": c.phone, "address": c.address,
            "method": c.method, "goods": c.goods_total, "fee": c.fee, "total": c.total,
        }));
    }
    if orders_in.is_empty() {
        return Ok(answers.into_iter().map(|a| a.unwrap_or(Answer::Alone)).collect());
    }
    let place = ORDERS.action("place").ok_or_else(|| AppError::internal("orders: no step place"))?;
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(WRITE_BATCH)
        .bind(now_millis())
        .bind(place.to.id)
        .bind(serde_json::Value::Array(orders_in).to_string())
        .bind(serde_json::Value::Array(lines_in).to_string())
        .bind(json!(takes.iter().map(|&(k, sku, wh, quantity)| json!({ "k": k, "sku": sku, "wh": wh, "quantity": quantity })).collect::<Vec<_>>()).to_string())
        .fetch_all(&mut *tx)
        .await?;
    let placed: HashMap<usize, i64> = rows.iter().filter(|r| r.0 == "order").map(|r| (r.1 as usize, r.2)).collect();
    // Every balance the placed orders reserve from must have moved; the rows were locked and
    // counted, so anything else is a fault, and the whole batch is written again alone.
    let mut touched: Vec<(i64, i64)> = takes.iter().filter(|t| placed.contains_key(&t.0)).map(|t| (t.1, t.2)).collect();
    touched.sort_unstable();
    touched.dedup();
    let balances: Vec<&(String, i64, i64, i64, i64, i64)> = rows.iter().filter(|r| r.0 == "balance").collect();
    if balances.len() != touched.len() {
        return Err(AppError::internal(format!("order lane: {} of {} balances moved", balances.len(), touched.len())));
    }
    for b in balances {
        let (reorder_point, active) = stock.iter().find(|s| s.1 == b.1 && s.2 == b.2).map(|s| (s.4, s.5 == 1)).unwrap_or((0, false));
        alert_on_change(&mut tx, b.1, b.2, reorder_point, active, Balance { on_hand: b.3, reserved: b.4 }, -b.5).await?;
    }
    let mut created = Vec::with_capacity(placed.len());
    for (k, c) in batch.iter().enumerate() {
        let Some(&id) = placed.get(&k) else {
            if answers[k].is_none() {
                // Its key was taken: the other submit of this checkout made the order.
                answers[k] = Some(Answer::Refused(AppError::Conflict("this checkout is being placed already".into())));
            }
            continue;
        };
        if c.save_address {
            let a = super::AddressInput { recipient: c.recipient.clone(), phone: c.phone.clone(), address: c.address.clone() };
            super::address_service::remember(&mut tx, c.customer, &a).await?;
        }
        let payload = json!({ "total": format_money(c.total), "lines": c.lines.len().to_string(), "shipping_method": c.method });
        created.push(Created { id, actor_id: c.customer, payload });
        answers[k] = Some(Answer::Placed(id));
    }
    run::commit_created_many(&mut tx, Backend::Postgres, &ORDERS, place, &created).await?;
    tx.commit().await?;
    Ok(answers.into_iter().map(|a| a.unwrap_or(Answer::Alone)).collect())
}
