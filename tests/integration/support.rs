//! Test support: throw-away databases on both backends, the app router in-process, and a
//! small HTTP client that keeps the session cookie.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use shopflow::accounts::service::{ensure_builtin_roles, load_actor};
use shopflow::accounts::Actor;
use shopflow::i18n::Lang;
use shopflow::server::config::Config;
use shopflow::server::{demo, http, AppState, Db};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

/// Runs the test body once on SQLite and once on PostgreSQL, each with a fresh database.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::support::TestDb::sqlite().await;
                ($body)(t.db.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = $crate::support::TestDb::postgres().await else { return };
                ($body)(t.db.clone()).await;
            }
        }
    };
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
    )
}

/// A migrated, seeded database that is removed when dropped, even after a failed assertion.
pub struct TestDb {
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    File(String),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    async fn prepare(db: Db) -> Db {
        db.migrate().await.expect("migrations apply");
        ensure_builtin_roles(&db, Lang::En).await.expect("roles seed");
        db
    }

    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join("shopflow-tests");
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("{}.db", unique("t"))).to_string_lossy().to_string();
        let db = Db::connect(&format!("sqlite://{path}")).await.expect("sqlite opens");
        TestDb { db: Self::prepare(db).await, cleanup: Cleanup::File(path) }
    }

    /// `None` (test skipped with a message) when PostgreSQL is unreachable outside CI; in CI
    /// an unreachable PostgreSQL fails the test rather than skipping silently.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("SHOPFLOW_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        sqlx::any::install_default_drivers();
        let admin = match sqlx::AnyPool::connect(&admin_url).await {
            Ok(pool) => pool,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("SKIPPED: PostgreSQL at {admin_url} is unreachable ({e}); set CI=1 to make this a failure");
                return None;
            }
            Err(e) => panic!("PostgreSQL at {admin_url} is unreachable in CI: {e}"),
        };
        let name = unique("shopflow_test");
        sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create test database");
        admin.close().await;
        let (base, _) = admin_url.rsplit_once('/').expect("database url has a path");
        let db = Db::connect(&format!("{base}/{name}")).await.expect("connect to test database");
        Some(TestDb { db: Self::prepare(db).await, cleanup: Cleanup::Postgres { admin_url, name } })
    }

    /// The address of this PostgreSQL test database (`None` on SQLite), to open another pool on it.
    pub fn postgres_url(&self) -> Option<String> {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, name } => admin_url.rsplit_once('/').map(|(base, _)| format!("{base}/{name}")),
            Cleanup::File(_) => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let db = self.db.clone();
        let cleanup = std::mem::replace(&mut self.cleanup, Cleanup::File(String::new()));
        let work = async move {
            db.close().await;
            match cleanup {
                Cleanup::File(path) if !path.is_empty() => {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{path}{suffix}"));
                    }
                }
                Cleanup::File(_) => {}
                Cleanup::Postgres { admin_url, name } => {
                    if let Ok(admin) = sqlx::AnyPool::connect(&admin_url).await {
                        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await;
                        admin.close().await;
                    }
                }
            }
        };
        // Drop runs inside the test's (multi-thread) runtime. The cleanup runs on that same
        // runtime, whose reactor the pool's connections belong to, with block_in_place handing
        // this worker's queued tasks to another worker first. (Blocking the worker on a
        // thread of its own instead could strand a task the pool's close waits for in this
        // worker's queue: a hang, seen under CPU load.)
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(work));
            }
            _ => {
                let _ = std::thread::spawn(move || {
                    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(work)
                })
                .join();
            }
        }
    }
}

/// Seeds the demo accounts (one per role) and returns the actor of `email`.
pub async fn demo_actor(db: &Db, email: &str) -> Actor {
    demo::seed(db).await.expect("demo data");
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(db.pool())
        .await
        .expect("demo user exists");
    load_actor(db, id).await.expect("loads").expect("active")
}

pub fn app(db: &Db) -> Router {
    app_configured(db, |_| {})
}

/// The app with some configuration changed from the tests' defaults.
pub fn app_configured(db: &Db, change: impl FnOnce(&mut Config)) -> Router {
    let options = LeptosOptions::builder().output_name("shopflow").site_root("target/site").build();
    let mut config = Config { media_dir: std::env::temp_dir().join("shopflow-test-media"), ..Default::default() };
    change(&mut config);
    http::router(AppState { db: db.clone(), config: Arc::new(config) }, options)
}

/// A browser-like client of the in-process app that keeps its session cookie.
#[derive(Clone)]
pub struct Client {
    app: Router,
    pub cookie: Option<String>,
    pub origin: Option<String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Client {
    pub fn new(app: &Router) -> Client {
        Client { app: app.clone(), cookie: None, origin: Some("http://shopflow.test".into()) }
    }

    pub async fn send(&mut self, method: &str, path: &str, content_type: Option<&str>, body: String) -> Reply {
        self.send_bytes(method, path, content_type, body.into_bytes()).await
    }

    pub async fn send_bytes(&mut self, method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
        self.send_with(method, path, content_type, body, &[]).await
    }

    /// A form the browser posts itself, without JavaScript: it accepts HTML, and its Referer
    /// names the page `from` (a path) it was on.
    pub async fn plain_form(&mut self, path: &str, body: &str, from: &str) -> Reply {
        let referer = format!("http://shopflow.test{from}");
        let headers = [(header::ACCEPT, "text/html,application/xhtml+xml"), (header::REFERER, referer.as_str())];
        self.send_with("POST", path, Some("application/x-www-form-urlencoded"), body.as_bytes().to_vec(), &headers).await
    }

    async fn send_with(&mut self, method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>, extra: &[(header::HeaderName, &str)]) -> Reply {
        let mut req = Request::builder().method(method).uri(path).header(header::HOST, "shopflow.test");
        for (name, value) in extra {
            req = req.header(name, *value);
        }
        if method == "GET" {
            // As a browser navigating: redirects are then real 302s.
            req = req.header(header::ACCEPT, "text/html");
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        if let (Some(origin), true) = (&self.origin, method != "GET") {
            req = req.header(header::ORIGIN, origin.as_str());
        }
        if let Some(cookie) = &self.cookie {
            req = req.header(header::COOKIE, cookie.as_str());
        }
        // A request that never answers fails its test with its path, instead of hanging the
        // whole suite.
        let call = self.app.clone().oneshot(req.body(Body::from(body)).expect("request"));
        let res = match tokio::time::timeout(std::time::Duration::from_secs(30), call).await {
            Ok(res) => res.expect("infallible"),
            Err(_) => panic!("{method} {path} did not answer within 30 s"),
        };
        let status = res.status();
        let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let set_cookie = res.headers().get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let headers = res.headers().clone();
        if let Some(sc) = &set_cookie {
            let pair = sc.split(';').next().unwrap_or_default().to_string();
            let expired = sc.contains("Max-Age=0") || pair.ends_with('=');
            self.cookie = if expired { None } else { Some(pair) };
        }
        let bytes = match tokio::time::timeout(std::time::Duration::from_secs(30), res.into_body().collect()).await {
            Ok(body) => body.expect("body").to_bytes(),
            Err(_) => panic!("{method} {path}: the body did not finish within 30 s"),
        };
        Reply { status, location, set_cookie, headers, body: String::from_utf8_lossy(&bytes).to_string(), bytes: bytes.to_vec() }
    }

    /// A GET whose body is a stream (server-sent events): the status, the content type and
    /// the body, not read yet.
    pub async fn open_stream(&mut self, path: &str) -> (StatusCode, String, Body) {
        let mut req = Request::builder().method("GET").uri(path).header(header::HOST, "shopflow.test").header(header::ACCEPT, "text/event-stream");
        if let Some(cookie) = &self.cookie {
            req = req.header(header::COOKIE, cookie.as_str());
        }
        let res = tokio::time::timeout(std::time::Duration::from_secs(30), self.app.clone().oneshot(req.body(Body::empty()).expect("request")))
            .await
            .unwrap_or_else(|_| panic!("GET {path} did not answer within 30 s"))
            .expect("infallible");
        let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        (res.status(), content_type, res.into_body())
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, None, String::new()).await
    }

    /// A GET with headers of its own (a browser's language, say).
    pub async fn get_with(&mut self, path: &str, headers: &[(header::HeaderName, &str)]) -> Reply {
        self.send_with("GET", path, None, Vec::new(), headers).await
    }

    pub async fn form(&mut self, path: &str, body: &str) -> Reply {
        self.send("POST", path, Some("application/x-www-form-urlencoded"), body.to_string()).await
    }

    pub async fn json(&mut self, path: &str, body: serde_json::Value) -> Reply {
        self.send("POST", path, Some("application/json"), body.to_string()).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Reply {
        let body = format!("email={}&password={}", urlencode(email), urlencode(password));
        self.form("/api/login", &body).await
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The kinds of the notifications `user` got about record `entity` `id`, oldest first.
pub async fn notice_kinds(db: &Db, user: i64, entity: &str, id: i64) -> Vec<String> {
    sqlx::query_as::<_, (String,)>("SELECT kind FROM notifications WHERE user_id = $1 AND entity = $2 AND entity_id = $3 ORDER BY id")
        .bind(user)
        .bind(entity)
        .bind(id)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect()
}

/// (subject, body) of every mail to `to` about record `entity` `id`, oldest first.
pub async fn mails_about(db: &Db, to: &str, entity: &str, id: i64) -> Vec<(String, String)> {
    sqlx::query_as("SELECT subject, body FROM outbox_emails WHERE to_address = $1 AND entity = $2 AND entity_id = $3 ORDER BY id")
        .bind(to)
        .bind(entity)
        .bind(id)
        .fetch_all(db.pool())
        .await
        .unwrap()
}
