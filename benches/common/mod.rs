//! What the benchmarks share: databases on both backends, the client loop that measures a
//! rate, percentiles, and the BENCHMARKS.md row format.
#![allow(dead_code)]

use shopflow::accounts::service::ensure_builtin_roles;
use shopflow::i18n::Lang;
use shopflow::server::Db;
use std::time::{Duration, Instant};

pub fn row(figure: &str, value: f64, unit: &str, baseline: &str, goal: &str, cmd: &str) -> String {
    let value = if value < 10.0 && value.fract() != 0.0 { format!("{value:.2}") } else { format!("{value:.0}") };
    format!("| {figure} | {value} | {unit} | {baseline} | {goal} | `{cmd}` |")
}

pub fn print_table(rows: &[String]) {
    println!("| figure | value | unit | baseline in the same run | goal | command to reproduce |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
}

pub async fn open(url: &str) -> Db {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    ensure_builtin_roles(&db, Lang::En).await.unwrap();
    db
}

/// The databases to measure: a SQLite file in `dir`, and a throw-away PostgreSQL database
/// when the server answers (SHOPFLOW_BENCH_POSTGRES, default 127.0.0.1:5432). Call
/// [`Backends::drop_postgres`] at the end. For looking into one backend:
/// `SHOPFLOW_BENCH_ONLY=sqlite|postgres` measures only that one, and `SHOPFLOW_BENCH_KEEP=1`
/// keeps the PostgreSQL database (its name is printed; the catalog benchmark keeps its SQLite
/// file too) for EXPLAIN afterwards.
pub struct Backends {
    pub list: Vec<(&'static str, String)>,
    admin: Option<(String, String)>,
}

impl Backends {
    pub async fn new(dir: &std::path::Path, name: &str) -> Backends {
        sqlx::any::install_default_drivers();
        let only = std::env::var("SHOPFLOW_BENCH_ONLY").unwrap_or_default().to_lowercase();
        let mut list = Vec::new();
        if only != "postgres" {
            list.push(("SQLite", format!("sqlite://{}/{name}.db", dir.display())));
        }
        if only == "sqlite" {
            return Backends { list, admin: None };
        }
        let pg = std::env::var("SHOPFLOW_BENCH_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let db_name = format!("shopflow_bench_{name}_{}", std::process::id());
        let mut admin = None;
        match sqlx::AnyPool::connect(&pg).await {
            Ok(pool) if sqlx::raw_sql(&format!("CREATE DATABASE {db_name}")).execute(&pool).await.is_ok() => {
                let (base, _) = pg.rsplit_once('/').unwrap();
                list.push(("PostgreSQL", format!("{base}/{db_name}")));
                admin = Some((pg, db_name));
            }
            Ok(_) => eprintln!("cannot create a PostgreSQL database; skipping its rows"),
            Err(e) => eprintln!("PostgreSQL unreachable ({e}); skipping its rows"),
        }
        Backends { list, admin }
    }

    pub async fn drop_postgres(&self) {
        if let Some((pg, name)) = &self.admin {
            if std::env::var("SHOPFLOW_BENCH_KEEP").is_ok() {
                eprintln!("kept the PostgreSQL database {name}");
                return;
            }
            if let Ok(admin) = sqlx::AnyPool::connect(pg).await {
                let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await;
            }
        }
    }
}

/// Runs `clients` client loops until the deadline each is given; each returns how many
/// operations it did. Returns operations per second over the run.
pub async fn rate<F, Fut>(clients: usize, seconds: u64, client: F) -> f64
where
    F: Fn(usize, Instant) -> Fut,
    Fut: std::future::Future<Output = u64> + Send + 'static,
{
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients).map(|i| tokio::spawn(client(i, deadline))).collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// The baseline of write benchmarks: single-row insert transactions per second.
pub async fn bare_insert_rate(db: &Db, clients: usize, seconds: u64) -> f64 {
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS bench_rows (id BIGINT NOT NULL, at BIGINT NOT NULL)").execute(db.writer()).await.unwrap();
    rate(clients, seconds, |i, deadline| {
        let db = db.clone();
        async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let mut tx = db.begin().await.unwrap();
                sqlx::query("INSERT INTO bench_rows (id, at) VALUES ($1, $2)").bind(i as i64).bind(n as i64).execute(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
                n += 1;
            }
            n
        }
    })
    .await
}

/// The value at quantile `q` (0..=1) of `samples`, in milliseconds.
pub fn percentile_ms(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

/// A small deterministic generator, so every run measures the same data.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() as usize) % items.len()]
    }
}

pub fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

// ---------------------------------------------------------------- HTTP on loopback

pub fn options() -> leptos::config::LeptosOptions {
    leptos::config::LeptosOptions::builder().output_name("shopflow").site_root("target/site").build()
}

pub fn state(db: &Db) -> shopflow::server::AppState {
    shopflow::server::AppState { db: db.clone(), config: std::sync::Arc::new(shopflow::server::config::Config::default()) }
}

pub async fn serve(app: axum::Router) -> std::net::SocketAddr {
    // As the server listens (`shopflow::server::http::listen`): without Nagle's algorithm.
    let listener = shopflow::server::http::listen("127.0.0.1:0").await.unwrap();
    let addr = axum::serve::Listener::local_addr(&listener).unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    addr
}

/// One HTTP/1.1 exchange on a kept-alive connection; returns the status and the headers.
pub async fn exchange(conn: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, request: &[u8]) -> (u16, String) {
    use tokio::io::AsyncWriteExt;
    conn.write_all(request).await.unwrap();
    buf.clear();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read_more(conn, buf).await;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let lower = head.to_ascii_lowercase();
    if let Some(len) = lower.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()) {
        while buf.len() < head_end + len {
            read_more(conn, buf).await;
        }
    } else if lower.contains("transfer-encoding: chunked") {
        // The body ends with a zero-length chunk.
        while !buf[head_end..].windows(5).any(|w| w == b"0\r\n\r\n") {
            read_more(conn, buf).await;
        }
    }
    (status, head)
}

pub async fn read_more(conn: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut chunk = [0u8; 16384];
    let n = conn.read(&mut chunk).await.unwrap();
    assert!(n > 0, "connection closed");
    buf.extend_from_slice(&chunk[..n]);
}

pub async fn sign_in(addr: std::net::SocketAddr, email: &str) -> String {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = format!("email={}&password={}", email.replace('@', "%40"), shopflow::server::demo::DEMO_PASSWORD);
    let req = format!(
        "POST /api/login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, head) = exchange(&mut conn, &mut Vec::new(), req.as_bytes()).await;
    assert_eq!(status, 200, "{head}");
    head.lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string()
}
