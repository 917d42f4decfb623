//! Service-desk benchmarks (issue #5), each figure beside its baseline measured in the same
//! run, on SQLite and on PostgreSQL:
//! - the agent's queue page `/tickets`, server-rendered for the signed-in demo agent, with
//!   100,000 tickets (p50 and p99 over sequential requests), and the `list_tickets` server
//!   function alone, vs the sign-in page `/login` p50;
//! - the service dashboard's figures (`tickets::service::dashboard`, 30 days) over 1,000,000
//!   tickets (p50 and p99), vs `SELECT COUNT(*) FROM tickets`.
//!
//! The tickets are written with multi-row INSERTs in transactions (not through the service):
//! ids in creation order, created over the last 120 days, a backlog of 3,000 open tickets from
//! the last two weeks, the rest resolved (within the 7-day reopen window) or closed, with first
//! response, resolution and root cause; a satisfaction answer for 30 % of the resolved ones,
//! and a question to a department on some tickets in progress.
//! Run: `cargo bench --features ssr --bench tickets` (PostgreSQL at 127.0.0.1:5432, or set
//! SHOPFLOW_BENCH_POSTGRES; without it the PostgreSQL rows are skipped).

mod common;

use common::{exchange, open, options, percentile_ms, row, serve, sign_in, state, Lcg};
use shopflow::server::db::Backend;
use shopflow::server::{demo, http, Db};
use std::time::{Duration, Instant};

const QUEUE_TICKETS: usize = 100_000;
const DASHBOARD_TICKETS: usize = 1_000_000;
/// Tickets still being worked on, whatever the size of the history.
const OPEN_TICKETS: usize = 3_000;
const ROWS_PER_INSERT: usize = 1_000;
const INSERTS_PER_TX: usize = 20;
const PAGE_SAMPLES: usize = 400;
const DASHBOARD_RUNS: usize = 20;
const DAY_MS: i64 = 24 * 3_600_000;
const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let mut rows = Vec::new();
    let dir = std::env::temp_dir().join(format!("shopflow-bench-tickets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cmd = "cargo bench --features ssr --bench tickets";

    let queue_dbs = common::Backends::new(&dir, "tickets_queue").await;
    let dashboard_dbs = common::Backends::new(&dir, "tickets_dashboard").await;
    for ((name, queue_url), (_, dashboard_url)) in queue_dbs.list.iter().zip(&dashboard_dbs.list) {
        // The agent's queue with 100,000 tickets.
        let db = open(queue_url).await;
        demo::seed(&db).await.unwrap();
        let seeded = seed_tickets(&db, name, QUEUE_TICKETS).await;
        eprintln!("[{:>5.0} s] {name}: {QUEUE_TICKETS} tickets seeded in {:.1} s", started.elapsed().as_secs_f64(), seeded.as_secs_f64());
        let q = queue_latency(&db).await;
        eprintln!(
            "[{:>5.0} s] {name}: /tickets p50 {:.2} ms p99 {:.2} ms max {:.2} ms ({} rows); list_tickets p50 {:.2} ms p99 {:.2} ms; /login p50 {:.2} ms p99 {:.2} ms",
            started.elapsed().as_secs_f64(),
            q.page.0,
            q.page.1,
            q.page.2,
            q.rows,
            q.function.0,
            q.function.1,
            q.login.0,
            q.login.1
        );
        let login = format!("{:.2} ms sign-in page p50", q.login.0);
        let n = "100,000 tickets";
        rows.push(row(&format!("agent queue page /tickets, server-rendered, {n}, {name}, p50"), q.page.0, "ms", &login, "—", cmd));
        rows.push(row(&format!("agent queue page /tickets, server-rendered, {n}, {name}, p99"), q.page.1, "ms", &login, "p99 < 50 ms", cmd));
        rows.push(row(&format!("list_tickets server function (open queue, JSON), {n}, {name}, p50"), q.function.0, "ms", &login, "—", cmd));
        rows.push(row(&format!("list_tickets server function (open queue, JSON), {n}, {name}, p99"), q.function.1, "ms", &login, "—", cmd));
        db.close().await;

        // The dashboard over 1,000,000 tickets.
        let db = open(dashboard_url).await;
        demo::seed(&db).await.unwrap();
        let seeded = seed_tickets(&db, name, DASHBOARD_TICKETS).await;
        eprintln!("[{:>5.0} s] {name}: {DASHBOARD_TICKETS} tickets seeded in {:.1} s", started.elapsed().as_secs_f64(), seeded.as_secs_f64());
        let d = dashboard_latency(&db).await;
        eprintln!(
            "[{:>5.0} s] {name}: dashboard p50 {:.0} ms p99 {:.0} ms; SELECT COUNT(*) p50 {:.1} ms p99 {:.1} ms",
            started.elapsed().as_secs_f64(),
            d.dashboard.0,
            d.dashboard.1,
            d.count.0,
            d.count.1
        );
        let count = format!("{:.1} ms SELECT COUNT(*) FROM tickets (p50)", d.count.0);
        let n = "1,000,000 tickets, 30 days";
        rows.push(row(&format!("service dashboard figures, {n}, {name}, p50"), d.dashboard.0, "ms", &count, "—", cmd));
        rows.push(row(&format!("service dashboard figures, {n}, {name}, p99"), d.dashboard.1, "ms", &count, "< 300 ms", cmd));
        db.close().await;
    }
    queue_dbs.drop_postgres().await;
    dashboard_dbs.drop_postgres().await;
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("[{:>5.0} s] done", started.elapsed().as_secs_f64());
    common::print_table(&rows);
}

// ---------------------------------------------------------------------------------- data

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A SQL literal of a text (the bench's own constants; quotes doubled all the same).
fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt_int(v: Option<i64>) -> String {
    v.map_or_else(|| "NULL".into(), |v| v.to_string())
}

fn opt_text(v: Option<&str>) -> String {
    v.map_or_else(|| "NULL".into(), text)
}

/// `(value, weight)` pairs: a value picked with probability weight / sum of weights.
fn weighted<T: Copy>(rng: &mut Lcg, items: &[(T, u64)]) -> T {
    let total: u64 = items.iter().map(|i| i.1).sum();
    let mut r = rng.next() % total;
    for (v, w) in items {
        if r < *w {
            return *v;
        }
        r -= w;
    }
    unreachable!()
}

/// A number in `lo..hi`.
fn between(rng: &mut Lcg, lo: i64, hi: i64) -> i64 {
    lo + (rng.next() % (hi - lo).max(1) as u64) as i64
}

/// A chance of `percent` in 100.
fn chance(rng: &mut Lcg, percent: u64) -> bool {
    rng.next() % 100 < percent
}

const SUBJECTS: &[&str] = &[
    "Where is my parcel?",
    "Tracking has not moved for three days",
    "The tin arrived dented",
    "Wrong tea in the box",
    "Refund not received yet",
    "Charged twice for one order",
    "Can I change the delivery address?",
    "Do you ship to Hong Kong?",
    "How should I brew Longjing?",
    "Cannot sign in to my account",
    "The cup is cracked",
    "Please add a 50 g sample size",
    "Invoice for my company",
    "Exchange the gift box for the tin",
];
const CATEGORY_KEYS: &[&str] = &["order_status", "delivery", "product", "payment_refund", "return_exchange", "account", "other"];
const ROOT_CAUSE_KEYS: &[(&str, u64)] = &[
    ("product_quality", 12),
    ("listing_mismatch", 6),
    ("picking_error", 9),
    ("transit_damage", 10),
    ("late_delivery", 20),
    ("payment_refund", 8),
    ("service_process", 5),
    ("customer_misunderstanding", 22),
    ("other", 8),
];
const DEPARTMENTS: &[&str] = &["warehouse", "logistics", "finance", "product"];

/// Who the tickets belong to and who works on them.
struct People {
    customer: i64,
    email: String,
    agent: i64,
    senior: i64,
    orders: Vec<i64>,
}

async fn people(db: &Db) -> People {
    let id = |email: &'static str| async move {
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(db.pool()).await.unwrap();
        id
    };
    let customer = id("customer@shopflow.test").await;
    let orders: Vec<(i64,)> = sqlx::query_as("SELECT id FROM orders WHERE customer_id = $1 ORDER BY id").bind(customer).fetch_all(db.pool()).await.unwrap();
    People {
        customer,
        email: "customer@shopflow.test".into(),
        agent: id("service@shopflow.test").await,
        senior: id("senior@shopflow.test").await,
        orders: orders.into_iter().map(|o| o.0).collect(),
    }
}

/// Adds `n` tickets created over the last 120 days, ids in creation order, after the demo's
/// own; returns how long it took.
async fn seed_tickets(db: &Db, backend: &str, n: usize) -> Duration {
    let start = Instant::now();
    let p = people(db).await;
    let now = now_ms();
    let span = 120 * DAY_MS;
    let recent = 14 * DAY_MS;
    // Open tickets come from the last two weeks: each ticket of that period is open with this
    // chance (in parts per million), so about OPEN_TICKETS are.
    let recent_tickets = (n as i64 * recent / span) as u64;
    let open_ppm = (OPEN_TICKETS as u64 * 1_000_000 / recent_tickets.max(1)).min(1_000_000);
    let (max_id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM tickets").fetch_one(db.pool()).await.unwrap();
    let first_id = max_id.unwrap_or(0) + 1;
    let mut rng = Lcg(0x5eed_0005 ^ n as u64);
    let mut made = 0usize;
    let mut next_report = 100_000;
    while made < n {
        let mut sql = String::with_capacity(INSERTS_PER_TX * ROWS_PER_INSERT * 400);
        for _ in 0..INSERTS_PER_TX {
            if made >= n {
                break;
            }
            let batch = ROWS_PER_INSERT.min(n - made);
            let mut tickets = Vec::with_capacity(batch);
            let mut surveys = Vec::new();
            let mut tasks = Vec::new();
            for i in made..made + batch {
                let id = first_id + i as i64;
                // Evenly spread creation times, a random moment within each ticket's slot.
                let slot = span / n as i64;
                let created = now - span + i as i64 * slot + between(&mut rng, 0, slot);
                let age = now - created;
                let kind = weighted(&mut rng, &[("inquiry", 55), ("complaint", 30), ("suggestion", 15)]);
                let channel = weighted(&mut rng, &[("portal", 60), ("email", 25), ("phone", 15)]);
                let subject = *rng.pick(SUBJECTS);
                let priority = match kind {
                    "complaint" => weighted(&mut rng, &[("urgent", 15), ("high", 70), ("normal", 15)]),
                    "inquiry" => weighted(&mut rng, &[("urgent", 5), ("normal", 80), ("low", 15)]),
                    _ => weighted(&mut rng, &[("normal", 40), ("low", 60)]),
                };
                let order = (kind == "complaint" && !p.orders.is_empty() && chance(&mut rng, 50)).then(|| *rng.pick(&p.orders));
                let is_open = age < recent && rng.next() % 1_000_000 < open_ppm;
                let state = if is_open {
                    weighted(&mut rng, &[("new", 15), ("triaged", 15), ("in_progress", 45), ("waiting", 25)])
                } else {
                    "done"
                };
                // First answer: most within the hour.
                let first_delay = if chance(&mut rng, 80) { between(&mut rng, 5 * MINUTE_MS, HOUR_MS) } else { between(&mut rng, HOUR_MS, 8 * HOUR_MS) };
                let first_response = match state {
                    "new" => None,
                    "triaged" if chance(&mut rng, 50) => None,
                    _ => Some((created + first_delay).min(now - MINUTE_MS).max(created)),
                };
                let (state, resolved, state_since, version) = match state {
                    "done" => {
                        let work = between(&mut rng, HOUR_MS, 5 * DAY_MS);
                        let mut resolved = created + first_delay + work;
                        if resolved > now - MINUTE_MS {
                            resolved = created + (now - created) / 2;
                        }
                        if now - resolved < 7 * DAY_MS {
                            ("resolved", Some(resolved), resolved, 6)
                        } else {
                            ("closed", Some(resolved), resolved + 7 * DAY_MS, 7)
                        }
                    }
                    s => {
                        let from = first_response.unwrap_or(created);
                        let version = match s {
                            "new" => 1,
                            "triaged" => 2,
                            "in_progress" => 4,
                            _ => 5,
                        };
                        (s, None, from + (now - from) * between(&mut rng, 0, 100) / 100, version)
                    }
                };
                // The first answer comes before the resolution.
                let first_response = first_response.map(|f| resolved.map_or(f, |r| f.min(r)));
                let category = (state != "new").then(|| *rng.pick(CATEGORY_KEYS));
                let assignee = match state {
                    "new" => None,
                    _ if chance(&mut rng, 50) => Some(p.agent),
                    _ => Some(p.senior),
                };
                let root_cause = resolved.map(|_| weighted(&mut rng, ROOT_CAUSE_KEYS));
                let done = resolved.is_some();
                tickets.push(format!(
                    "({id}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, {}, {}, {}, {version}, {created}, {state_since}, {state_since})",
                    p.customer,
                    text(&p.email),
                    opt_int(order),
                    text(kind),
                    text(channel),
                    text(subject),
                    opt_text(category),
                    text(priority),
                    opt_int(assignee),
                    opt_text(done.then_some("Confirmed with the customer and the order history.")),
                    opt_text(root_cause),
                    opt_text(done.then_some("Explained the next steps; refund or replacement where due.")),
                    opt_text(done.then_some("Customer thanked us.")),
                    opt_int(first_response),
                    opt_int(resolved),
                    text(state),
                ));
                if let Some(resolved) = resolved {
                    if chance(&mut rng, 30) {
                        let score = weighted(&mut rng, &[(5, 45), (4, 25), (3, 15), (2, 8), (1, 7)]);
                        let answered = (resolved + between(&mut rng, 10 * MINUTE_MS, 48 * HOUR_MS)).min(now);
                        surveys.push(format!("({id}, {resolved}, {score}, NULL, {answered})"));
                    }
                }
                if state == "in_progress" && chance(&mut rng, 10) {
                    let asked = state_since.min(now);
                    tasks.push(format!(
                        "({id}, {}, 'Can you check this order for the customer?', {}, {asked})",
                        text(*rng.pick(DEPARTMENTS)),
                        p.agent
                    ));
                }
            }
            sql.push_str(
                "INSERT INTO tickets (id, customer_id, contact_email, order_id, kind, channel, subject, category, priority, assignee_id, \
                 problem, root_cause, solution, customer_feedback, merged_into, first_response_at, resolved_at, state, version, created_at, \
                 updated_at, state_since) VALUES ",
            );
            sql.push_str(&tickets.join(", "));
            sql.push_str(";\n");
            if !surveys.is_empty() {
                sql.push_str(&format!("INSERT INTO ticket_surveys (ticket_id, sent_at, score, comment, answered_at) VALUES {};\n", surveys.join(", ")));
            }
            if !tasks.is_empty() {
                sql.push_str(&format!("INSERT INTO ticket_tasks (ticket_id, department, question, asked_by, asked_at) VALUES {};\n", tasks.join(", ")));
            }
            made += batch;
        }
        let mut tx = db.begin().await.unwrap();
        sqlx::raw_sql(&sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        if made >= next_report {
            eprintln!("  {backend}: {made} / {n} tickets written ({:.1} s)", start.elapsed().as_secs_f64());
            next_report += 100_000;
        }
    }
    if db.backend == Backend::Postgres {
        // Ids were given explicitly: move the identity past them, as the service's inserts
        // would have. Then what autovacuum does to a freshly loaded table.
        sqlx::raw_sql("SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT MAX(id) FROM tickets))").execute(db.writer()).await.unwrap();
        sqlx::raw_sql("VACUUM ANALYZE tickets, ticket_surveys, ticket_tasks").execute(db.writer()).await.unwrap();
    }
    let (total, open): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(CASE WHEN state IN ('new', 'triaged', 'in_progress', 'waiting') THEN 1 ELSE 0 END) AS BIGINT) FROM tickets",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    eprintln!("  {backend}: {total} tickets, {open} open");
    assert!(total as usize >= n);
    start.elapsed()
}

// ------------------------------------------------------------------------------- figures

struct QueueFigures {
    /// p50, p99, max (ms).
    page: (f64, f64, f64),
    function: (f64, f64),
    login: (f64, f64),
    /// Queue rows on the rendered page.
    rows: usize,
}

/// Sequential requests on one kept-alive connection: p50, p99, max (ms) and the last body.
async fn measure(addr: std::net::SocketAddr, request: Vec<u8>, samples: usize) -> ((f64, f64, f64), Vec<u8>) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::with_capacity(1 << 20);
    // Warm the caches and the connection pools first.
    for _ in 0..10 {
        let (status, head) = exchange(&mut conn, &mut buf, &request).await;
        assert_eq!(status, 200, "{head}");
    }
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        let (status, _) = exchange(&mut conn, &mut buf, &request).await;
        times.push(t.elapsed());
        assert_eq!(status, 200);
    }
    let max = times.iter().max().unwrap().as_secs_f64() * 1000.0;
    ((percentile_ms(&mut times, 0.50), percentile_ms(&mut times, 0.99), max), buf)
}

async fn queue_latency(db: &Db) -> QueueFigures {
    let addr = serve(http::router(state(db), options())).await;
    let cookie = sign_in(addr, "service@shopflow.test").await;
    let page_request = format!("GET /tickets HTTP/1.1\r\nHost: bench\r\nAccept: text/html\r\nCookie: {cookie}\r\n\r\n").into_bytes();
    let (page, body) = measure(addr, page_request, PAGE_SAMPLES).await;
    let rows = String::from_utf8_lossy(&body).matches("<tr data-ticket=").count();
    assert_eq!(rows, 200, "the queue page shows its first 200 open tickets");
    let json = r#"{"filter":{}}"#;
    let function_request = format!(
        "POST /api/list_tickets HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nAccept: application/json\r\nCookie: {cookie}\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    )
    .into_bytes();
    let (function, body) = measure(addr, function_request, PAGE_SAMPLES).await;
    assert!(String::from_utf8_lossy(&body).contains("\"tickets\":[{"), "list_tickets answers with tickets");
    let (login, _) = measure(addr, b"GET /login HTTP/1.1\r\nHost: bench\r\nAccept: text/html\r\n\r\n".to_vec(), PAGE_SAMPLES).await;
    QueueFigures { page, function: (function.0, function.1), login: (login.0, login.1), rows }
}

struct DashboardFigures {
    dashboard: (f64, f64),
    count: (f64, f64),
}

/// The dashboard's figures and the bare count, alternately, after one warm-up run of each.
async fn dashboard_latency(db: &Db) -> DashboardFigures {
    let count = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tickets").fetch_one(db.pool()).await.unwrap();
        n
    };
    let d = shopflow::tickets::service::dashboard(db, 30).await.unwrap();
    assert!(d.resolution.count > 0 && !d.satisfaction.is_empty() && !d.root_causes.is_empty(), "the dashboard has figures");
    eprintln!(
        "  dashboard: backlog {:?}; first responses {}, resolutions {}, {} weeks of scores, {} root causes, {} products",
        d.backlog,
        d.first_response.count,
        d.resolution.count,
        d.satisfaction.len(),
        d.root_causes.len(),
        d.products.len()
    );
    count().await;
    let mut dashboard = Vec::with_capacity(DASHBOARD_RUNS);
    let mut counts = Vec::with_capacity(DASHBOARD_RUNS);
    for _ in 0..DASHBOARD_RUNS {
        let t = Instant::now();
        shopflow::tickets::service::dashboard(db, 30).await.unwrap();
        dashboard.push(t.elapsed());
        let t = Instant::now();
        count().await;
        counts.push(t.elapsed());
    }
    DashboardFigures {
        dashboard: (percentile_ms(&mut dashboard, 0.50), percentile_ms(&mut dashboard, 0.99)),
        count: (percentile_ms(&mut counts, 0.50), percentile_ms(&mut counts, 0.99)),
    }
}
