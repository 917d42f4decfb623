//! The database: SQLite by default, PostgreSQL by URL, through sqlx's Any driver so every
//! query is written once. Where the backends differ, the difference is one small function.

use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::{Any, AnyPool, Transaction};
use std::sync::{Arc, OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    /// For reads (and, on PostgreSQL, writes).
    pool: AnyPool,
    /// SQLite allows one writer at a time; a one-connection pool queues writers in-process
    /// instead of letting them spin on SQLITE_BUSY. On PostgreSQL it is the same pool.
    writer: AnyPool,
    pub backend: Backend,
    /// The order lane, started by the first checkout (`orders::lane`). It lives
    /// while a handle to this database does.
    pub(crate) order_lane: Arc<OnceLock<crate::orders::lane::Lane>>,
}

/// One migration: portable SQL, then what only one backend has (full-text search). In the
/// portable part `{{PK}}` stands for an auto-numbered primary key and `{{BLOB}}` for bytes.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../../migrations/0001_foundation.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 2,
        name: "catalog",
        sql: include_str!("../../migrations/0002_catalog.sql"),
        sqlite: include_str!("../../migrations/0002_catalog.sqlite.sql"),
        postgres: include_str!("../../migrations/0002_catalog.postgres.sql"),
    },
    Migration {
        version: 3,
        name: "pricing",
        sql: include_str!("../../migrations/0003_pricing.sql"),
        sqlite: include_str!("../../migrations/0003_pricing.sqlite.sql"),
        postgres: include_str!("../../migrations/0003_pricing.postgres.sql"),
    },
    Migration {
        version: 4,
        name: "transfers_counts",
        sql: include_str!("../../migrations/0004_transfers_counts.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 5,
        name: "imports",
        sql: include_str!("../../migrations/0005_imports.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 6,
        name: "product_images",
        sql: include_str!("../../migrations/0006_product_images.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 7,
        name: "orders",
        sql: include_str!("../../migrations/0007_orders.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 8,
        name: "import_heartbeat",
        sql: include_str!("../../migrations/0008_import_heartbeat.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 9,
        name: "tickets",
        sql: include_str!("../../migrations/0009_tickets.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 10,
        name: "attachments",
        sql: include_str!("../../migrations/0010_attachments.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 11,
        name: "outbox_delivery",
        sql: include_str!("../../migrations/0011_outbox_delivery.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 12,
        name: "notifications",
        sql: include_str!("../../migrations/0012_notifications.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 13,
        name: "ticket_notices",
        sql: include_str!("../../migrations/0013_ticket_notices.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 14,
        name: "import_updates",
        sql: include_str!("../../migrations/0014_import_updates.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 15,
        name: "exception_tickets",
        sql: include_str!("../../migrations/0015_exception_tickets.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 16,
        name: "carriers",
        sql: include_str!("../../migrations/0016_carriers.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 17,
        name: "addresses",
        sql: include_str!("../../migrations/0017_addresses.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 18,
        name: "parcel_progress",
        sql: include_str!("../../migrations/0018_parcel_progress.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 19,
        name: "ticket_sla_due",
        sql: include_str!("../../migrations/0019_ticket_sla_due.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 20,
        name: "carrier_webhook_secrets",
        sql: include_str!("../../migrations/0020_carrier_webhook_secrets.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 21,
        name: "catalog_statistics",
        sql: "",
        sqlite: "",
        postgres: include_str!("../../migrations/0021_catalog_statistics.postgres.sql"),
    },
];

/// A FROM item that reads the JSON array of objects bound at `param` as rows of `columns`
/// (name, SQL type): one statement text for any number of records, so that a connection
/// prepares it once. Names and types come from the code, never from input.
pub fn json_rows(backend: Backend, param: &str, columns: &[(&str, &str)]) -> String {
    match backend {
        Backend::Postgres => {
            let cols = columns.iter().map(|(n, t)| format!("{n} {t}")).collect::<Vec<_>>().join(", ");
            format!("json_to_recordset(CAST({param} AS json)) AS x({cols})")
        }
        Backend::Sqlite => {
            let cols = columns.iter().map(|(n, t)| format!("CAST(json_extract(value, '$.{n}') AS {t}) AS {n}")).collect::<Vec<_>>().join(", ");
            format!("(SELECT {cols} FROM json_each({param})) AS x")
        }
    }
}

/// PostgreSQL connections per instance unless configured (`SHOPFLOW_PG_CONNECTIONS`). The
/// best size depends on the work (BENCHMARKS.md, session 13, 2 cores with the load beside
/// PostgreSQL). Transactions that queue for the same rows go faster through fewer connections:
/// with 8 instead of 32, 16 customers ordering from 4 SKUs placed 1,093-1,209 orders/s instead
/// of 889-1,020, because a row stays locked until its commit is flushed. Transactions that
/// touch different rows go faster through more: reservations over 10,000 SKUs fell from
/// 3,421-3,821/s to 2,136-2,144/s and workflow actions from 5,423-5,696/s to 4,630-4,952/s,
/// because concurrent commits share their WAL flushes. So the default stays 32.
pub const PG_CONNECTIONS: u32 = 32;

impl Db {
    /// Opens the database at `url` with the default pool sizes.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        Self::connect_with(url, PG_CONNECTIONS).await
    }

    /// Opens the database at `url`; on PostgreSQL with a pool of `pg_connections`.
    pub async fn connect_with(url: &str, pg_connections: u32) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // No ping before each use: it is a round trip per checkout of a connection, and an
            // order takes four. A connection that died with the server fails its one request
            // (503, "try again") and leaves the pool; the next request gets a fresh one.
            let pool = AnyPoolOptions::new()
                .max_connections(pg_connections.max(1))
                .test_before_acquire(false)
                .acquire_timeout(std::time::Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Db { writer: pool.clone(), pool, backend: Backend::Postgres, order_lane: Default::default() });
        }
        let url = sqlite_url_with_create(url)?;
        // sqlx's SQLite defaults already set a 5 s busy timeout and foreign keys on. WAL lets
        // readers work while the one writer writes; it is stored in the file.
        // SQLite connections are files in this process: a ping before each use proves nothing
        // and costs a handoff to the driver's worker thread, at every checkout of a connection.
        let writer = AnyPoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(std::time::Duration::from_secs(30))
            .connect(&url)
            .await?;
        sqlx::raw_sql("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;").execute(&writer).await?;
        // The readers refuse to write. A write on a reader would be a second writer: a step's
        // transaction on the writer that read before it wrote then fails at once with "database
        // is locked" (its snapshot is stale, so the busy timeout cannot help). That made a
        // ticket step fail now and then while the SLA sweep wrote through a reader.
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::Executor::execute(conn, "PRAGMA query_only = 1").await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Db { pool, writer, backend: Backend::Sqlite, order_lane: Default::default() })
    }

    /// For reads. On SQLite these connections are read-only: every write goes through
    /// [`Db::begin`] or [`Db::writer`], the one writer.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// For single statements that write outside a transaction.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Starts a transaction that will write.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        self.writer.begin().await
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// Applies the migrations not yet applied, each in its own transaction.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        if self.backend == Backend::Postgres {
            // Several instances may start at once against one database: one migrates at a time.
            sqlx::query("SELECT pg_advisory_xact_lock(7243001)").execute(&mut *tx).await?;
        }
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations \
             (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        let applied: Vec<(i64,)> =
            sqlx::query_as("SELECT version FROM schema_migrations").fetch_all(&mut *tx).await?;
        for m in MIGRATIONS {
            if applied.iter().any(|(v,)| *v == m.version) {
                continue;
            }
            tracing::info!(version = m.version, name = m.name, "applying migration");
            if !m.sql.trim().is_empty() {
                sqlx::raw_sql(&self.dialect(m.sql)).execute(&mut *tx).await?;
            }
            let own = match self.backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            if !own.trim().is_empty() {
                sqlx::raw_sql(own).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(m.version)
                .bind(m.name)
                .bind(crate::domain::now_millis())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    fn dialect(&self, sql: &str) -> String {
        let pk = match self.backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        let blob = match self.backend {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        };
        sql.replace("{{PK}}", pk).replace("{{BLOB}}", blob)
    }

    /// Cheap liveness check for `/healthz`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_: AnyQueryResult| ())
    }
}

/// A mark that changes whenever anything is committed to the database, by this process or by
/// any other instance: on PostgreSQL the position of the write-ahead log, which every committed
/// change moves; on SQLite the file's data version as a connection of its own sees it, which
/// moves with every commit of any other connection. Reading it touches no table. What is kept
/// because "nothing has changed since" (server::http's pages kept per session) compares marks.
/// The mark may also move when nothing the app reads changed (PostgreSQL's own housekeeping,
/// another database of the same server); that only costs a fresh render.
pub struct ChangeMark {
    db: Db,
    /// SQLite: the connection whose data version is read, and how many such connections were
    /// opened. A new connection counts versions from a value of its own, so the count is part
    /// of the mark: a mark read on a lost connection never equals one read on its successor.
    own: tokio::sync::Mutex<(Option<sqlx::AnyConnection>, u64)>,
}

impl ChangeMark {
    pub fn new(db: Db) -> Self {
        ChangeMark { db, own: tokio::sync::Mutex::new((None, 0)) }
    }

    pub async fn read(&self) -> Result<String, sqlx::Error> {
        if self.db.backend == Backend::Postgres {
            return sqlx::query_scalar("SELECT CAST(pg_current_wal_lsn() AS TEXT)").fetch_one(&self.db.pool).await;
        }
        let mut own = self.own.lock().await;
        let (conn, opened) = &mut *own;
        let conn = match conn {
            Some(conn) => conn,
            None => {
                use sqlx::ConnectOptions;
                *opened += 1;
                conn.insert(self.db.pool.connect_options().connect().await?)
            }
        };
        match sqlx::query_scalar::<_, i64>("PRAGMA data_version").fetch_one(&mut *conn).await {
            Ok(version) => Ok(format!("{opened}:{version}")),
            Err(e) => {
                own.0 = None;
                Err(e)
            }
        }
    }
}

/// Makes sure the folder of a SQLite file exists and that the file is created on first run.
fn sqlite_url_with_create(url: &str) -> Result<String, sqlx::Error> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| sqlx::Error::Configuration(format!("unsupported DATABASE_URL: {url}").into()))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" {
        if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| sqlx::Error::Configuration(e.into()))?;
        }
    }
    Ok(if query.contains("mode=") {
        url.to_string()
    } else if query.is_empty() {
        format!("sqlite://{path}?mode=rwc")
    } else {
        format!("sqlite://{path}?{query}&mode=rwc")
    })
}

/// True when the error is a unique-constraint violation, on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(sqlite_url_with_create("sqlite://target/x/a.db").unwrap(), "sqlite://target/x/a.db?mode=rwc");
        assert_eq!(sqlite_url_with_create("sqlite:target/x/a.db?mode=ro").unwrap(), "sqlite:target/x/a.db?mode=ro");
        assert!(sqlite_url_with_create("mysql://x").is_err());
    }
}

/// A value for a query whose text is built at run time (optional filters, search terms).
#[derive(Debug, Clone)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// Binds `values` in order to a query built at run time.
pub fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    values: &'q [Bind],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for v in values {
        q = match v {
            Bind::Int(i) => q.bind(*i),
            Bind::Text(t) => q.bind(t.as_str()),
        };
    }
    q
}

/// Like [`bind_all`] for queries that decode rows into tuples.
pub fn bind_all_as<'q, O>(
    mut q: sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>>,
    values: &'q [Bind],
) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>> {
    for v in values {
        q = match v {
            Bind::Int(i) => q.bind(*i),
            Bind::Text(t) => q.bind(t.as_str()),
        };
    }
    q
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
