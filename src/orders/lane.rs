//! Group commit of checkouts: the order lane.
//!
//! An order's transaction costs about a dozen statements. On PostgreSQL each is an executor
//! start and its foreign-key checks, and on two cores shared with the application that held
//! the rate near 1,100 orders/s, even with no round trips inside the transaction
//! (BENCHMARKS.md, session 24). On SQLite each is a round trip to the one writer's thread,
//! and the writer's chain of them left the cores more than half idle (session 25). So each
//! instance hands its checkouts, validated and allowed, to one task, which writes whatever
//! is waiting in one transaction:
//! - one statement reads every checkout's cart, priced as of now with its shipping service,
//!   and the balances of every SKU in those carts. On PostgreSQL it locks those balances, in
//!   a fixed order, so that the lanes of several instances cannot deadlock and no other order
//!   takes the units counted; SQLite's one writer is this transaction;
//! - each checkout is priced ([`super::price_checkout`], as the one-order path does) and its
//!   warehouses planned against what is left, in the order the checkouts came: a checkout
//!   whose cart changed or that the stock cannot serve is refused alone;
//! - statements whose texts never change, fed with the batch as JSON, write every order's
//!   rows: the order, its lines, the emptied cart, the parcels, the ledger, the reservations,
//!   the allocations, the balances and the audit events. PostgreSQL writes them all in one
//!   statement (data-modifying `WITH`, the audit part being the engine's
//!   [`run::created_audit_insert`]); SQLite, which has no such statement, in one per table.
//!
//! Each order is still whole or absent, as in [`super::service`]'s own transaction. When a
//! batch fails for any other reason (a trigger, a lost connection), nothing of it is written
//! and each of its checkouts is written again alone by the caller, through the one-order
//! path. So an error reaches only the order it belongs to.

use super::{placed_payload, placing_already, plan_allocation, price_checkout, CartLine, ValidCheckout, ORDERS};
use crate::domain::{now_millis, AppError, AppResult};
use crate::engine::run::{self, Created};
use crate::inventory::service::alert_on_change;
use crate::inventory::Balance;
use crate::server::db::{json_rows, Backend};
use crate::server::Db;
use serde_json::json;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use std::collections::HashMap;
use std::sync::LazyLock;
use tokio::sync::{mpsc, oneshot};

/// The most checkouts one transaction takes: enough for any burst on two cores, and small
/// enough that a failed batch writes again quickly one by one.
const MAX_BATCH: usize = 64;

/// A checkout validated by the customer's request, whose permission it checked: the lane
/// reads and prices the cart.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub customer: i64,
    pub valid: ValidCheckout,
    pub save_address: bool,
    /// The total the customer saw; the order is placed only at that total.
    pub expected_total: i64,
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
        tokio::spawn(run(db.writer().clone(), db.backend, checkouts));
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

/// How long the lane keeps its connection on PostgreSQL while no checkout waits. Kept, the
/// connection has the lane's statements prepared; given back, `Db::close` is not kept
/// waiting for it. On SQLite the lane gives the writer back after each batch: every other
/// write, a cart's among them, waits for it.
const HOLD: std::time::Duration = std::time::Duration::from_millis(100);

async fn run(pool: AnyPool, backend: Backend, mut checkouts: mpsc::Receiver<Pending>) {
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
            Some(c) => write(c, backend, &list).await,
            None => match pool.acquire().await {
                Ok(c) => write(conn.insert(c), backend, &list).await,
                Err(e) => Err(e.into()),
            },
        };
        if backend == Backend::Sqlite {
            conn = None;
        }
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

/// The carts of the batch and the balances they draw on; on PostgreSQL the balances locked.
/// `$1` is the batch as JSON (`k` its index, the customer and the shipping service) and `$2`
/// the time. A line comes with `k`, its SKU's id, code, product, title, attributes, quantity,
/// price, the product's state, the running promotional price, the service's fee and
/// free-from amount (NULL when it is not offered) and when it was added. A balance comes with
/// `k` = -1, then the SKU, the warehouse in the product's place, what is available in the
/// quantity's, the reorder point in the price's and whether the warehouse is active in the
/// promotion's.
fn read_batch(backend: Backend) -> String {
    let batch = json_rows(backend, "$1", &[("k", "BIGINT"), ("customer", "BIGINT"), ("method", "TEXT")]);
    let lock = match backend {
        Backend::Postgres => "ORDER BY l.sku_id, l.warehouse_id FOR UPDATE OF l",
        Backend::Sqlite => "",
    };
    format!(
        "WITH b AS (SELECT * FROM {batch}), \
              c (k, sku, code, product, title, attrs, quantity, price, state, promo, fee, free_from, added_at) AS ( \
                SELECT b.k, c.sku_id, s.code, p.id, p.title, s.attributes, c.quantity, s.price, p.state, \
                       (SELECT MIN(pp.price) FROM promo_prices pp WHERE pp.sku_id = s.id AND {promo}), {fees}, c.added_at \
                FROM b JOIN cart_items c ON c.customer_id = b.customer JOIN skus s ON s.id = c.sku_id JOIN products p ON p.id = s.product_id), \
              st AS (SELECT l.sku_id, l.warehouse_id, l.on_hand - l.reserved AS free, s.reorder_point, w.active \
                FROM stock_levels l JOIN skus s ON s.id = l.sku_id JOIN warehouses w ON w.id = l.warehouse_id \
                WHERE l.sku_id IN (SELECT sku FROM c) {lock}) \
         SELECT k, sku, code, product, title, attrs, quantity, price, state, promo, fee, free_from, added_at FROM c \
         UNION ALL SELECT -1, sku_id, '', warehouse_id, '', '', free, reorder_point, '', active, NULL, NULL, 0 FROM st",
        promo = crate::catalog::pricing::running_promo("pp", "$2"),
        fees = crate::logistics::service::offered_fee_columns("b.method"),
    )
}

static READ_PG: LazyLock<String> = LazyLock::new(|| read_batch(Backend::Postgres));
static READ_SQLITE: LazyLock<String> = LazyLock::new(|| read_batch(Backend::Sqlite));

type ReadRow = (i64, i64, String, i64, String, String, i64, i64, String, Option<i64>, Option<i64>, Option<i64>, i64);

/// Every order of the batch in one statement, on PostgreSQL. `$1` is the time, `$2` the
/// state of a placed order, `$3` the orders, `$4` their lines and `$5` their plans, as JSON;
/// `$6` to `$9` are what the engine's audit statement takes. A checkout whose key is taken is
/// skipped (the other submit made its order). The emptied carts and the balances come back,
/// the balances with what the low-stock check needs.
static WRITE_PG: LazyLock<String> = LazyLock::new(|| {
    let audit = run::created_audit_insert(6, "(SELECT ok.oid AS id, ok.customer AS actor, oi.payload FROM ok JOIN oi ON oi.k = ok.k) AS x");
    format!(
        "WITH oi AS (SELECT * FROM json_to_recordset(CAST($3 AS json)) AS x(k BIGINT, customer BIGINT, key TEXT, recipient TEXT, phone TEXT, \
                address TEXT, method TEXT, goods BIGINT, fee BIGINT, total BIGINT, payload TEXT)), \
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
     d AS (DELETE FROM cart_items WHERE customer_id IN (SELECT customer FROM ok) RETURNING customer_id), \
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
     au AS ({audit}), \
     b AS (UPDATE stock_levels x SET reserved = x.reserved + g.n \
           FROM (SELECT pi.sku, pi.wh, CAST(SUM(pi.quantity) AS BIGINT) AS n FROM pi JOIN ok ON ok.k = pi.k GROUP BY pi.sku, pi.wh) g \
           WHERE x.sku_id = g.sku AND x.warehouse_id = g.wh AND x.on_hand >= x.reserved + g.n \
           RETURNING x.sku_id, x.warehouse_id, x.on_hand, x.reserved, g.n) \
SELECT 'order', k, oid, 0, 0, 0 FROM ok \
UNION ALL SELECT 'cart', customer_id, COUNT(*), 0, 0, 0 FROM d GROUP BY customer_id \
UNION ALL SELECT 'balance', b.sku_id, b.warehouse_id, b.on_hand, b.reserved, b.n FROM b"
    )
});

/// A checkout the batch places: its index in the batch, its cart's lines with their SKU
/// ids, and its prices.
struct Planned {
    k: usize,
    lines: Vec<(i64, CartLine)>,
    goods: i64,
    fee: i64,
    total: i64,
    payload: serde_json::Value,
}

/// What a batch writes once its checkouts are planned: the checkouts, those placed, each
/// planned take as (checkout, SKU, warehouse, quantity), the step and the time.
#[derive(Clone, Copy)]
struct ToWrite<'a> {
    batch: &'a [&'a Checkout],
    planned: &'a [Planned],
    takes: &'a [(usize, i64, i64, i64)],
    place: &'static crate::engine::Action,
    now: i64,
}

/// What a batch's writes did: the order of each checkout placed (by index), the lines each
/// customer's cart lost, and the balances moved as (SKU, warehouse, on hand, reserved, units
/// reserved now).
struct Written {
    placed: HashMap<usize, i64>,
    emptied: HashMap<i64, i64>,
    balances: Vec<(i64, i64, i64, i64, i64)>,
}

/// The answers to `batch`, in its order; an error means nothing of the batch was written.
async fn write(conn: &mut AnyConnection, backend: Backend, batch: &[&Checkout]) -> AppResult<Vec<Answer>> {
    let mut answers: Vec<Option<Answer>> = batch.iter().map(|_| None).collect();
    // A customer's second checkout in the batch (a twin submit, or another tab) is written
    // alone after it, from the cart this one leaves: a twin then finds the first's order by
    // its key, another checkout finds the cart empty.
    for i in 0..batch.len() {
        if batch[..i].iter().any(|c| c.customer == batch[i].customer) {
            answers[i] = Some(Answer::Alone);
        }
    }
    let asked: Vec<serde_json::Value> = (0..batch.len())
        .filter(|&k| answers[k].is_none())
        .map(|k| json!({ "k": k, "customer": batch[k].customer, "method": batch[k].valid.method }))
        .collect();
    let mut tx = conn.begin().await?;
    let now = now_millis();
    let read = match backend {
        Backend::Postgres => READ_PG.as_str(),
        Backend::Sqlite => READ_SQLITE.as_str(),
    };
    // From here to the commit no other order can take the units of these carts' SKUs.
    let rows: Vec<ReadRow> = sqlx::query_as(read).bind(serde_json::Value::Array(asked).to_string()).bind(now).fetch_all(&mut *tx).await?;
    // Each checkout's cart as (SKU id, line, added at), and its shipping service's price.
    let mut carts: Vec<Vec<(i64, CartLine, i64)>> = batch.iter().map(|_| Vec::new()).collect();
    let mut shipping: Vec<Option<(i64, Option<i64>)>> = batch.iter().map(|_| None).collect();
    // Each balance as (SKU, warehouse, available, reorder point, active).
    let mut stock: Vec<(i64, i64, i64, i64, bool)> = Vec::new();
    for r in rows {
        let Some(cart) = usize::try_from(r.0).ok().and_then(|k| carts.get_mut(k)) else {
            stock.push((r.1, r.3, r.6, r.7, r.9 == Some(1)));
            continue;
        };
        shipping[r.0 as usize] = r.10.map(|fee| (fee, r.11));
        let listed = r.8 == crate::catalog::LISTED.id;
        let line =
            CartLine { sku: r.2, product_id: r.3, title: r.4, attributes: r.5, quantity: r.6, unit_price: r.9.unwrap_or(r.7), available: 0, listed };
        cart.push((r.1, line, r.12));
    }
    // What each active warehouse has left of each SKU, as the batch's orders take it.
    let mut left: Vec<(i64, i64, i64)> = stock.iter().filter(|s| s.4 && s.2 > 0).map(|s| (s.0, s.1, s.2)).collect();
    // Each planned take as (checkout, SKU, warehouse, quantity).
    let (mut planned, mut takes) = (Vec::new(), Vec::<(usize, i64, i64, i64)>::new());
    for (k, c) in batch.iter().enumerate() {
        if answers[k].is_some() {
            continue;
        }
        // In the order the cart shows them, as the one-order path reads them.
        let mut cart = std::mem::take(&mut carts[k]);
        cart.sort_by(|a, b| (a.2, &a.1.sku).cmp(&(b.2, &b.1.sku)));
        let lines: Vec<(i64, CartLine)> = cart.into_iter().map(|l| (l.0, l.1)).collect();
        let cart_lines: Vec<CartLine> = lines.iter().map(|l| l.1.clone()).collect();
        let (goods, fee, total) = match price_checkout(&cart_lines, shipping[k], c.expected_total) {
            Ok(priced) => priced,
            Err(e) => {
                answers[k] = Some(Answer::Refused(e));
                continue;
            }
        };
        let wanted: Vec<(i64, i64)> = lines.iter().map(|l| (l.0, l.1.quantity)).collect();
        let plan = match plan_allocation(&wanted, &left) {
            Ok(plan) => plan,
            Err(short) => {
                let have: i64 = left.iter().filter(|a| a.0 == short).map(|a| a.2).sum();
                let code = lines.iter().find(|l| l.0 == short).map(|l| l.1.sku.clone()).unwrap_or_default();
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
        let payload = placed_payload(total, lines.len(), &c.valid.method);
        planned.push(Planned { k, lines, goods, fee, total, payload });
    }
    if planned.is_empty() {
        tx.commit().await?;
        return Ok(answers.into_iter().map(|a| a.unwrap_or(Answer::Alone)).collect());
    }
    let place = ORDERS.action("place").ok_or_else(|| AppError::internal("orders: no step place"))?;
    let to_write = ToWrite { batch, planned: &planned, takes: &takes, place, now };
    let written = match backend {
        Backend::Postgres => write_pg(&mut tx, to_write).await?,
        Backend::Sqlite => write_sqlite(&mut tx, to_write).await?,
    };
    // Each placed order's cart must be the one read: a checkout of the same cart through
    // another instance, or a line added since, leaves another count. Rare, so the whole
    // batch is written again alone, where the one-order path tells that customer.
    for p in planned.iter().filter(|p| written.placed.contains_key(&p.k)) {
        if written.emptied.get(&batch[p.k].customer).copied().unwrap_or(0) != p.lines.len() as i64 {
            return Err(AppError::internal(format!("order lane: the cart of checkout {} changed while it was placed", p.k)));
        }
    }
    // Every balance the placed orders reserve from must have moved; the rows were locked and
    // counted, so anything else is a fault, and the whole batch is written again alone.
    let mut touched: Vec<(i64, i64)> = takes.iter().filter(|t| written.placed.contains_key(&t.0)).map(|t| (t.1, t.2)).collect();
    touched.sort_unstable();
    touched.dedup();
    if written.balances.len() != touched.len() {
        return Err(AppError::internal(format!("order lane: {} of {} balances moved", written.balances.len(), touched.len())));
    }
    for &(sku, wh, on_hand, reserved, n) in &written.balances {
        let (reorder_point, active) = stock.iter().find(|s| s.0 == sku && s.1 == wh).map(|s| (s.3, s.4)).unwrap_or((0, false));
        alert_on_change(&mut tx, sku, wh, reorder_point, active, Balance { on_hand, reserved }, -n).await?;
    }
    let mut created = Vec::with_capacity(written.placed.len());
    for p in planned {
        let c = batch[p.k];
        let Some(&id) = written.placed.get(&p.k) else {
            // Its key was taken: the other submit of this checkout made the order.
            answers[p.k] = Some(Answer::Refused(placing_already()));
            continue;
        };
        if c.save_address {
            super::address_service::remember(&mut tx, c.customer, &c.valid.address_input()).await?;
        }
        created.push(Created { id, actor_id: c.customer, payload: p.payload });
        answers[p.k] = Some(Answer::Placed(id));
    }
    match backend {
        // The audit events were written with the orders.
        Backend::Postgres => run::announce_created(&mut tx, &ORDERS, place, &created).await?,
        Backend::Sqlite => run::commit_created_many(&mut tx, backend, &ORDERS, place, &created).await?,
    }
    tx.commit().await?;
    Ok(answers.into_iter().map(|a| a.unwrap_or(Answer::Alone)).collect())
}

fn plans_json(takes: &[(usize, i64, i64, i64)]) -> String {
    json!(takes.iter().map(|&(k, sku, wh, quantity)| json!({ "k": k, "sku": sku, "wh": wh, "quantity": quantity })).collect::<Vec<_>>()).to_string()
}

fn orders_json(batch: &[&Checkout], planned: &[Planned]) -> String {
    let orders: Vec<serde_json::Value> = planned
        .iter()
        .map(|p| {
            let (c, v) = (batch[p.k], &batch[p.k].valid);
            json!({
                "k": p.k, "customer": c.customer, "key": v.idempotency_key, "recipient": v.recipient, "phone": v.phone, "address": v.address,
                "method": v.method, "goods": p.goods, "fee": p.fee, "total": p.total, "payload": p.payload.to_string(),
            })
        })
        .collect();
    serde_json::Value::Array(orders).to_string()
}

/// The lines of `planned` as JSON; `order` gives each checkout's order id where it is known.
fn lines_json<'a>(planned: impl Iterator<Item = &'a Planned>, order: impl Fn(usize) -> Option<i64>) -> String {
    let lines: Vec<serde_json::Value> = planned
        .flat_map(|p| {
            let o = order(p.k);
            p.lines.iter().enumerate().map(move |(pos, (sku, l))| {
                json!({
                    "k": p.k, "o": o, "pos": pos, "sku": sku, "title": l.title, "code": l.sku, "attrs": l.attributes,
                    "quantity": l.quantity, "unit": l.unit_price,
                })
            })
        })
        .collect();
    serde_json::Value::Array(lines).to_string()
}

async fn write_pg(tx: &mut AnyConnection, w: ToWrite<'_>) -> AppResult<Written> {
    let ToWrite { batch, planned, takes, place, now } = w;
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(WRITE_PG.as_str())
        .bind(now)
        .bind(place.to.id)
        .bind(orders_json(batch, planned))
        .bind(lines_json(planned.iter(), |_| None))
        .bind(plans_json(takes))
        .bind(ORDERS.id)
        .bind(place.id)
        .bind(place.to.id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
    Ok(Written {
        placed: rows.iter().filter(|r| r.0 == "order").map(|r| (r.1 as usize, r.2)).collect(),
        emptied: rows.iter().filter(|r| r.0 == "cart").map(|r| (r.1, r.2)).collect(),
        balances: rows.iter().filter(|r| r.0 == "balance").map(|r| (r.1, r.2, r.3, r.4, r.5)).collect(),
    })
}

/// The SQLite statements, one per table, each reading the batch's rows from JSON bound as
/// `$1` (sqlx binds `$n` to the n-th value on SQLite too).
struct SqliteWrites {
    orders: String,
    lines: String,
    cart: String,
    shipments: String,
    movements: String,
    reservations: String,
    allocations: String,
    balances: String,
}

static WRITE_SQLITE: LazyLock<SqliteWrites> = LazyLock::new(|| {
    let rows = |columns: &[(&str, &str)]| json_rows(Backend::Sqlite, "$1", columns);
    let big = "BIGINT";
    SqliteWrites {
        // WHERE true: SQLite would read ON as a join's without it.
        orders: format!(
            "INSERT INTO orders (customer_id, idempotency_key, recipient, phone, address, shipping_method, goods_total, shipping_fee, total, \
             state, version, created_at, updated_at, state_since) \
             SELECT customer, key, recipient, phone, address, method, goods, fee, total, $2, 1, $3, $3, $3 FROM {} WHERE true ORDER BY k \
             ON CONFLICT (customer_id, idempotency_key) DO NOTHING RETURNING id, customer_id",
            rows(&[
                ("k", big), ("customer", big), ("key", "TEXT"), ("recipient", "TEXT"), ("phone", "TEXT"), ("address", "TEXT"),
                ("method", "TEXT"), ("goods", big), ("fee", big), ("total", big),
            ])
        ),
        lines: format!(
            "INSERT INTO order_lines (order_id, sku_id, title, sku_code, attributes, quantity, unit_price, line_total) \
             SELECT o, sku, title, code, attrs, quantity, unit, unit * quantity FROM {} ORDER BY o, pos RETURNING id, order_id, sku_id",
            rows(&[("o", big), ("pos", big), ("sku", big), ("title", "TEXT"), ("code", "TEXT"), ("attrs", "TEXT"), ("quantity", big), ("unit", big)])
        ),
        cart: "DELETE FROM cart_items WHERE customer_id IN (SELECT value FROM json_each($1)) RETURNING customer_id".into(),
        shipments: format!(
            "INSERT INTO shipments (order_id, warehouse_id) SELECT o, wh FROM {} ORDER BY o, wh RETURNING id, order_id, warehouse_id",
            rows(&[("o", big), ("wh", big)])
        ),
        movements: format!(
            "INSERT INTO stock_movements (sku_id, warehouse_id, kind, quantity, on_hand_delta, reserved_delta, reference, reason, actor_id, at) \
             SELECT sku, wh, 'reserve', quantity, 0, quantity, 'order #' || o, 'reserved for order', actor, $2 FROM {} ORDER BY o, sku, wh",
            rows(&[("o", big), ("sku", big), ("wh", big), ("quantity", big), ("actor", big)])
        ),
        reservations: format!(
            "INSERT INTO reservations (sku_id, warehouse_id, quantity, state, reference, created_by, created_at, updated_at) \
             SELECT sku, wh, quantity, 'held', 'order #' || o, actor, $2, $2 FROM {} ORDER BY o, sku, wh \
             RETURNING id, reference, sku_id, warehouse_id",
            rows(&[("o", big), ("sku", big), ("wh", big), ("quantity", big), ("actor", big)])
        ),
        allocations: format!(
            "INSERT INTO order_allocations (order_line_id, shipment_id, reservation_id, quantity) SELECT line, shipment, reservation, quantity FROM {}",
            rows(&[("line", big), ("shipment", big), ("reservation", big), ("quantity", big)])
        ),
        // SQLite's RETURNING names only the updated table: the units come from the plan.
        balances: format!(
            "UPDATE stock_levels SET reserved = reserved + g.n FROM (SELECT sku, wh, SUM(quantity) AS n FROM {} GROUP BY sku, wh) AS g \
             WHERE stock_levels.sku_id = g.sku AND stock_levels.warehouse_id = g.wh AND stock_levels.on_hand >= stock_levels.reserved + g.n \
             RETURNING sku_id, warehouse_id, on_hand, reserved",
            rows(&[("sku", big), ("wh", big), ("quantity", big)])
        ),
    }
});

async fn write_sqlite(tx: &mut AnyConnection, w: ToWrite<'_>) -> AppResult<Written> {
    let ToWrite { batch, planned, takes, place, now } = w;
    let sql = &*WRITE_SQLITE;
    let inserted: Vec<(i64, i64)> =
        sqlx::query_as(&sql.orders).bind(orders_json(batch, planned)).bind(place.to.id).bind(now).fetch_all(&mut *tx).await?;
    // A batch has one checkout per customer: the customer tells which order is whose.
    let order_of: HashMap<i64, i64> = inserted.iter().map(|&(id, customer)| (customer, id)).collect();
    let placed: HashMap<usize, i64> = planned.iter().filter_map(|p| Some((p.k, *order_of.get(&batch[p.k].customer)?))).collect();
    if placed.is_empty() {
        return Ok(Written { placed, emptied: HashMap::new(), balances: Vec::new() });
    }
    let line_ids: Vec<(i64, i64, i64)> = sqlx::query_as(&sql.lines)
        .bind(lines_json(planned.iter().filter(|p| placed.contains_key(&p.k)), |k| placed.get(&k).copied()))
        .fetch_all(&mut *tx)
        .await?;
    let customers: Vec<i64> = placed.keys().map(|&k| batch[k].customer).collect();
    let emptied_rows: Vec<(i64,)> = sqlx::query_as(&sql.cart).bind(json!(customers).to_string()).fetch_all(&mut *tx).await?;
    let mut emptied: HashMap<i64, i64> = HashMap::new();
    for (customer,) in emptied_rows {
        *emptied.entry(customer).or_default() += 1;
    }
    // The placed orders' takes as (order, SKU, warehouse, quantity, customer).
    let taken: Vec<(i64, i64, i64, i64, i64)> =
        takes.iter().filter_map(|&(k, sku, wh, quantity)| Some((*placed.get(&k)?, sku, wh, quantity, batch[k].customer))).collect();
    let mut parcels: Vec<(i64, i64)> = taken.iter().map(|t| (t.0, t.2)).collect();
    parcels.sort_unstable();
    parcels.dedup();
    let parcels_json = json!(parcels.iter().map(|&(o, wh)| json!({ "o": o, "wh": wh })).collect::<Vec<_>>()).to_string();
    let shipment_ids: Vec<(i64, i64, i64)> = sqlx::query_as(&sql.shipments).bind(parcels_json).fetch_all(&mut *tx).await?;
    let taken_json = json!(taken
        .iter()
        .map(|&(o, sku, wh, quantity, actor)| json!({ "o": o, "sku": sku, "wh": wh, "quantity": quantity, "actor": actor }))
        .collect::<Vec<_>>())
    .to_string();
    sqlx::query(&sql.movements).bind(&taken_json).bind(now).execute(&mut *tx).await?;
    let reservation_ids: Vec<(i64, String, i64, i64)> = sqlx::query_as(&sql.reservations).bind(&taken_json).bind(now).fetch_all(&mut *tx).await?;
    let mut allocations = Vec::with_capacity(taken.len());
    for &(o, sku, wh, quantity, _) in &taken {
        let reference = format!("order #{o}");
        let line = line_ids.iter().find(|l| l.1 == o && l.2 == sku).map(|l| l.0);
        let shipment = shipment_ids.iter().find(|s| s.1 == o && s.2 == wh).map(|s| s.0);
        let reservation = reservation_ids.iter().find(|r| r.1 == reference && r.2 == sku && r.3 == wh).map(|r| r.0);
        let (Some(line), Some(shipment), Some(reservation)) = (line, shipment, reservation) else {
            return Err(AppError::internal(format!("order lane: the records of order {o} were not all written")));
        };
        allocations.push(json!({ "line": line, "shipment": shipment, "reservation": reservation, "quantity": quantity }));
    }
    sqlx::query(&sql.allocations).bind(serde_json::Value::Array(allocations).to_string()).execute(&mut *tx).await?;
    let moved: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&sql.balances).bind(&taken_json).fetch_all(&mut *tx).await?;
    let balances = moved
        .into_iter()
        .map(|(sku, wh, on_hand, reserved)| {
            let n = taken.iter().filter(|t| t.1 == sku && t.2 == wh).map(|t| t.3).sum();
            (sku, wh, on_hand, reserved, n)
        })
        .collect();
    Ok(Written { placed, emptied, balances })
}
