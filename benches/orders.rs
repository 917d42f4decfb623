//! Order benchmarks (issue #4), each figure beside its baseline measured in the same run:
//! - orders placed/s by 16 concurrent customers through the order service the `place_order`
//!   server function runs (validate, price, plan warehouses, reserve through the ledger,
//!   insert the order and its lines, audit), each order after adding its line to the cart,
//!   vs a bare single-row insert transaction, on SQLite and on PostgreSQL: once with orders
//!   spread over the catalog's SKUs, once with every customer buying the same SKU (each order
//!   then waits for the one before it to commit, on its stock row);
//! - p50/p99 of the customer's order page, server-rendered, for an order with 50 events, vs
//!   the sign-in page.
//! Run: `cargo bench --features ssr --bench orders` (PostgreSQL at 127.0.0.1:5432, or set
//! SHOPFLOW_BENCH_POSTGRES; without it the PostgreSQL row is skipped).

mod common;

use common::{exchange, open, options, percentile_ms, rate, row, serve, sign_in, state};
use shopflow::accounts::service::load_actor;
use shopflow::accounts::Actor;
use shopflow::inventory::{service::move_stock, MovementKind};
use shopflow::orders::{service, AddressInput, CardInput, CheckoutInput, OrderPolicy};
use shopflow::server::{demo, http, Db};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

const CLIENTS: usize = 16;
const SECONDS: u64 = 5;
const PAGE_SAMPLES: usize = 400;

#[tokio::main]
async fn main() {
    let mut rows = Vec::new();
    let dir = std::env::temp_dir().join(format!("shopflow-bench-orders-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cmd = "cargo bench --features ssr --bench orders";

    let backends = common::Backends::new(&dir, "orders").await;
    for (name, url) in &backends.list {
        let db = open(url).await;
        demo::seed(&db).await.unwrap();
        let bare = common::bare_insert_rate(&db, CLIENTS, SECONDS).await;
        let skus = stock_every_sku(&db).await;
        let spread = order_rate(&db, &skus, 0).await;
        let hot = order_rate(&db, &skus[..1], 100).await;
        let goal = if *name == "SQLite" { "≥ 1,000/s" } else { "≥ 2,000/s" };
        rows.push(row(
            &format!("orders placed, 16 customers, {name}, across the catalog's {} SKUs (add to cart + checkout with reservation)", skus.len()),
            spread,
            "orders/s",
            &format!("{bare:.0} bare single-row insert tx/s"),
            goal,
            cmd,
        ));
        rows.push(row(
            &format!("orders placed, 16 customers, {name}, all buying one hot SKU (add to cart + checkout with reservation)"),
            hot,
            "orders/s",
            &format!("{bare:.0} bare single-row insert tx/s"),
            "—",
            cmd,
        ));
        let mismatches = shopflow::inventory::service::ledger_mismatches(&db).await.unwrap();
        assert!(mismatches.is_empty(), "ledger and balances disagree after the run: {mismatches:?}");
        db.close().await;
    }
    backends.drop_postgres().await;

    // The order page with 50 events, server-rendered, on SQLite.
    let db = open(&format!("sqlite://{}/page.db", dir.display())).await;
    demo::seed(&db).await.unwrap();
    let (page, login) = order_page_latency(&db).await;
    rows.push(row("customer's order page with 50 events, p50", page.0, "ms", &format!("{:.2} ms sign-in page p50", login.0), "—", cmd));
    rows.push(row("customer's order page with 50 events, p99", page.1, "ms", &format!("{:.2} ms sign-in page p99", login.1), "—", cmd));
    let _ = std::fs::remove_dir_all(&dir);
    common::print_table(&rows);
}

async fn customer(db: &Db, n: usize) -> Actor {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (email, display_name, password_hash, is_customer, active, created_at) VALUES ($1, $2, 'x', 1, 1, 0) RETURNING id",
    )
    .bind(format!("bench{n}@example.test"))
    .bind(format!("Bench customer {n}"))
    .fetch_one(db.writer())
    .await
    .unwrap();
    sqlx::query("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE role_key = 'customer'").bind(id).execute(db.writer()).await.unwrap();
    load_actor(db, id).await.unwrap().unwrap()
}

fn checkout(key: String, total: i64) -> CheckoutInput {
    CheckoutInput {
        idempotency_key: key,
        address: AddressInput { recipient: "Bench".into(), phone: "+86 138 0000 0000".into(), address: "1 Bench Rd".into() },
        shipping_method: "standard".into(),
        expected_total: total,
        save_address: false,
    }
}

/// Gives every listed SKU ample stock in every warehouse; returns each SKU's code and what one
/// unit costs with standard shipping, as the checkout shows it.
async fn stock_every_sku(db: &Db) -> Vec<(String, i64)> {
    let skus: Vec<(i64, String)> =
        sqlx::query_as("SELECT s.id, s.code FROM skus s JOIN products p ON p.id = s.product_id WHERE p.state = 'listed' ORDER BY s.code")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let warehouses: Vec<(i64,)> = sqlx::query_as("SELECT id FROM warehouses WHERE active = 1").fetch_all(db.pool()).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    for (sku, _) in &skus {
        for (wh,) in &warehouses {
            move_stock(&mut tx, *sku, *wh, MovementKind::Receipt, 10_000_000, "bench", "bench stock", None).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    let pricer = customer(db, 999).await;
    let mut priced = Vec::new();
    for (_, code) in skus {
        service::set_cart_quantity(db, &pricer, &code, "1", false).await.unwrap();
        let cart = service::cart(db, &pricer).await.unwrap();
        let fee = cart.shipping.iter().find(|o| o.code == "standard").unwrap().fee_for(cart.goods_total);
        priced.push((code.clone(), cart.goods_total + fee));
        service::set_cart_quantity(db, &pricer, &code, "0", false).await.unwrap();
    }
    priced
}

/// Every customer adds one unit to the cart and checks out, as fast as it can, going round
/// `skus` (each customer starting at its own). `batch` numbers this run's customers apart
/// from another run's on the same database.
async fn order_rate(db: &Db, skus: &[(String, i64)], batch: usize) -> f64 {
    let mut customers = Vec::new();
    for n in 0..CLIENTS {
        customers.push(customer(db, batch + n).await);
    }
    let (customers, skus) = (Arc::new(customers), Arc::new(skus.to_vec()));
    let seq = Arc::new(AtomicU64::new(0));
    rate(CLIENTS, SECONDS, |i, deadline| {
        let (db, customers, skus, seq) = (db.clone(), customers.clone(), skus.clone(), seq.clone());
        async move {
            let me = &customers[i];
            let mut n = 0u64;
            while Instant::now() < deadline {
                let (code, total) = &skus[(i + n as usize) % skus.len()];
                service::set_cart_quantity(&db, me, code, "1", true).await.unwrap();
                let key = format!("bench-{batch}-{:08}", seq.fetch_add(1, Ordering::Relaxed));
                service::place_order(&db, me, &checkout(key, *total)).await.unwrap();
                n += 1;
            }
            n
        }
    })
    .await
}

/// (p50, p99) in ms of the customer's order page with 50 events, and of the sign-in page.
async fn order_page_latency(db: &Db) -> ((f64, f64), (f64, f64)) {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = 'customer@shopflow.test'").fetch_one(db.pool()).await.unwrap();
    let cathy = load_actor(db, id).await.unwrap().unwrap();
    service::set_cart_quantity(db, &cathy, "LJ-100G", "1", true).await.unwrap();
    let order = service::place_order(db, &cathy, &checkout("bench-page-0001".into(), 12_800)).await.unwrap();
    // 48 declined payments, then the order's own steps: 50 events in all.
    let declined = CardInput { holder: "BENCH".into(), number: "4000000000000002".into(), expiry: "12/39".into(), cvc: "123".into() };
    for _ in 0..48 {
        let _ = service::pay_order(db, &cathy, OrderPolicy { review_above: 0, ..Default::default() }, order, &declined).await;
    }
    let good = CardInput { number: "4242424242424242".into(), ..declined };
    service::pay_order(db, &cathy, OrderPolicy { review_above: 0, ..Default::default() }, order, &good).await.unwrap();
    let events = service::my_order(db, &cathy, order).await.unwrap().events.len();
    assert_eq!(events, 50, "the order has 50 events");

    let addr = serve(http::router(state(db), options())).await;
    let cookie = sign_in(addr, "customer@shopflow.test").await;
    let measure = |path: String, cookie: Option<String>| async move {
        let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
        let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: text/html\r\n{cookie}\r\n").into_bytes();
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut buf = Vec::with_capacity(65536);
        let mut samples = Vec::with_capacity(PAGE_SAMPLES);
        for _ in 0..PAGE_SAMPLES {
            let t = Instant::now();
            let (status, _) = exchange(&mut conn, &mut buf, &request).await;
            samples.push(t.elapsed());
            assert_eq!(status, 200);
        }
        (percentile_ms(&mut samples, 0.50), percentile_ms(&mut samples, 0.99))
    };
    let page = measure(format!("/my/orders/{order}"), Some(cookie)).await;
    let login = measure("/login".into(), None).await;
    (page, login)
}
