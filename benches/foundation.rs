//! Foundation benchmarks (issue #2), each figure beside its baseline measured in the same run:
//! - requests/s of the server-rendered login page and of a dashboard vs an axum hello-world;
//! - workflow actions/s through the engine with 16 concurrent clients vs a bare single-row
//!   insert transaction, on SQLite and on PostgreSQL;
//! - the server's resident memory afterwards.
//! Run: `cargo bench --features ssr --bench foundation` (PostgreSQL at 127.0.0.1:5432, or set
//! SHOPFLOW_BENCH_POSTGRES; without it the PostgreSQL rows are skipped).

mod common;

use axum::routing::get;
use common::{exchange, open, options, rate, row, rss_mib, serve, sign_in, state};
use shopflow::accounts::service::load_actor;
use shopflow::improvement::service::{act, submit};
use shopflow::server::{demo, http, Db};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpStream;

const CLIENTS: usize = 16;
const HTTP_SECONDS: u64 = 4;
const DB_SECONDS: u64 = 4;

#[tokio::main]
async fn main() {
    let mut rows = Vec::new();
    let dir = std::env::temp_dir().join(format!("shopflow-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // HTTP: the app on SQLite with the demo data, and a hello-world, both on loopback.
    let db = open(&format!("sqlite://{}/http.db", dir.display())).await;
    demo::seed(&db).await.unwrap();
    let app_addr = serve(http::router(state(&db), options())).await;
    let hello_addr = serve(axum::Router::new().route("/", get(|| async { "Hello, World!" }))).await;
    let cookie = sign_in(app_addr, "ops@shopflow.test").await;
    let floor_addr = serve(floor::router()).await;
    let hello = http_rate(hello_addr, "/", None, CLIENTS).await;
    let floor = http_rate(floor_addr, "/", None, CLIENTS).await;
    let login = http_rate(app_addr, "/login", None, CLIENTS).await;
    // With a query the page cache is bypassed: the sign-in page rendered on every request.
    let login_rendered = http_rate(app_addr, "/login?rendered", None, CLIENTS).await;
    // Both dashboard rows measure the ops dashboard itself, kept or rendered.
    for path in ["/", "/?rendered"] {
        let mut conn = TcpStream::connect(app_addr).await.unwrap();
        let mut buf = Vec::new();
        assert_eq!(exchange(&mut conn, &mut buf, &page_request(path, Some(&cookie))).await.0, 200);
        assert!(String::from_utf8_lossy(&buf).contains("data-page=\"dashboard\""), "{path} is the ops dashboard");
    }
    let dashboard = http_rate(app_addr, "/", Some(&cookie), CLIENTS).await;
    // With a query the page is not kept: the dashboard rendered on every request.
    let dashboard_rendered = http_rate(app_addr, "/?rendered", Some(&cookie), CLIENTS).await;
    let cmd = "cargo bench --features ssr --bench foundation";
    rows.push(row(
        "login page, server-rendered once per language and answered from the page cache (16 keep-alive clients)",
        login,
        "req/s",
        &format!("{hello:.0} req/s hello-world"),
        "≥ 25% of hello-world",
        cmd,
    ));
    rows.push(row(
        "login page rendered on every request (a query bypasses the page cache; 16 keep-alive clients)",
        login_rendered,
        "req/s",
        &format!("{hello:.0} req/s hello-world"),
        "—",
        cmd,
    ));
    rows.push(row(
        "the least page Leptos renders: one route, one paragraph, the hydration scripts (what any Leptos page costs)",
        floor,
        "req/s",
        &format!("{hello:.0} req/s hello-world"),
        "—",
        cmd,
    ));
    rows.push(row(
        "ops dashboard, signed in, server-rendered and kept for the session while nothing is committed (at most 2 s; 16 keep-alive clients)",
        dashboard,
        "req/s",
        &format!("{hello:.0} req/s hello-world"),
        "≥ 25% of hello-world",
        cmd,
    ));
    rows.push(row(
        "ops dashboard rendered on every request (a query bypasses the kept page; 16 keep-alive clients)",
        dashboard_rendered,
        "req/s",
        &format!("{hello:.0} req/s hello-world"),
        "—",
        cmd,
    ));
    // A file of the client, as a browser fetches it on a kept-alive connection while a page
    // loads: what Nagle's algorithm cost before the server turned it off (http::listen).
    if std::path::Path::new("target/site/pkg/shopflow.css").exists() {
        let css = http_rate(app_addr, "/pkg/shopflow.css", None, 1).await;
        let hello_one = http_rate(hello_addr, "/", None, 1).await;
        rows.push(row("the stylesheet, one keep-alive client", css, "req/s", &format!("{hello_one:.0} req/s hello-world, one client"), "—", cmd));
    } else {
        eprintln!("no target/site/pkg/shopflow.css (build the client first): the stylesheet row is skipped");
    }

    // The engine, on each backend.
    let backends = common::Backends::new(&dir, "engine").await;
    for (name, url) in &backends.list {
        let goal = if *name == "SQLite" { 1_000.0 } else { 2_000.0 };
        let db = open(url).await;
        demo::seed(&db).await.unwrap();
        let bare = common::bare_insert_rate(&db, CLIENTS, DB_SECONDS).await;
        let engine = engine_rate(&db).await;
        rows.push(row(
            &format!("workflow actions through the engine, {name}, 16 clients"),
            engine,
            "actions/s",
            &format!("{bare:.0} bare single-row insert tx/s"),
            &format!("≥ {goal:.0}/s"),
            cmd,
        ));
        db.close().await;
    }
    backends.drop_postgres().await;
    rows.push(row("server RSS after the benchmark (app and load in one process)", rss_mib(), "MiB", "—", "—", cmd));
    let _ = std::fs::remove_dir_all(&dir);

    common::print_table(&rows);
}



/// The smallest server-rendered Leptos page, through the same `leptos_axum` integration as
/// Shopflow's pages: what rendering any Leptos page costs before the page has any content.
mod floor {
    use leptos::prelude::*;
    use leptos_axum::{generate_route_list, LeptosRoutes};
    use leptos_router::components::{Route, Router, Routes};
    use leptos_router::path;

    #[component]
    fn Floor() -> impl IntoView {
        view! {
            <Router>
                <main>
                    <Routes fallback=|| "not found">
                        <Route path=path!("/") view=|| view! { <p>"Hello, World!"</p> }/>
                    </Routes>
                </main>
            </Router>
        }
    }

    fn shell(options: LeptosOptions) -> impl IntoView {
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <head><meta charset="utf-8"/><HydrationScripts options/></head>
                <body><Floor/></body>
            </html>
        }
    }

    pub fn router() -> axum::Router {
        let options = super::options();
        let shell_options = options.clone();
        axum::Router::new().leptos_routes(&options, generate_route_list(Floor), move || shell(shell_options.clone())).with_state(options)
    }
}

/// Requests per second from `clients` keep-alive clients over a fixed time.
/// A browser's GET of the page at `path`, with the session `cookie` if any.
fn page_request(path: &str, cookie: Option<&str>) -> Vec<u8> {
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: text/html\r\n{cookie}\r\n").into_bytes()
}

async fn http_rate(addr: std::net::SocketAddr, path: &str, cookie: Option<&str>, clients: usize) -> f64 {
    let request = Arc::new(page_request(path, cookie));
    rate(clients, HTTP_SECONDS, |_, deadline| {
        let request = request.clone();
        async move {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            let mut buf = Vec::with_capacity(65536);
            let mut n = 0u64;
            while Instant::now() < deadline {
                let (status, _) = exchange(&mut conn, &mut buf, &request).await;
                assert_eq!(status, 200);
                n += 1;
            }
            n
        }
    })
    .await
}


/// Each client submits a suggestion and then accepts it: two engine actions (create and
/// apply), each with its permission check, state check, effect and audit event.
async fn engine_rate(db: &Db) -> f64 {
    let id = |email: &str| {
        let db = db.clone();
        let email = email.to_string();
        async move {
            let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(db.pool()).await.unwrap();
            load_actor(&db, id).await.unwrap().unwrap()
        }
    };
    let staff = id("warehouse@shopflow.test").await;
    let ops = id("ops@shopflow.test").await;
    let form: HashMap<String, String> = [
        ("title", "Bench"),
        ("department", "warehouse"),
        ("step", "Packing"),
        ("problem", "Measured"),
        ("proposal", "Measure"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let form = Arc::new(form);
    rate(CLIENTS, DB_SECONDS, |_, deadline| {
        let (db, staff, ops, form) = (db.clone(), staff.clone(), ops.clone(), form.clone());
        async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = submit(&db, &staff, &form).await.unwrap();
                act(&db, &ops, t.id, t.version, "accept", &HashMap::new()).await.unwrap();
                n += 2;
            }
            n
        }
    })
    .await
}


