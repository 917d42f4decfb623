//! Products in bulk on the server: reading an import file, running the import in the
//! background with its progress in the database, and writing the export.
//!
//! An import is written a chunk of rows per transaction: the chunk's SKU codes and their
//! products are read in a few queries, each product is decided in memory ([`decide`]), new
//! products are written with multi-row INSERTs, updates go through the same code as an edit
//! or a price change by hand, and the job's progress, report and heartbeat are updated once.

use super::bulk::{
    decide, normalize_path, plan, BadRow, CsvRow, CurrentProduct, Decision, Given, ImportJob, PlannedProduct, COLUMNS, DONE, FAILED, MAX_BYTES,
    MAX_ROWS, REQUIRED, RUNNING, TAG_SEPARATOR,
};
use super::pricing::apply_price;
use super::service::{categories, save_edit};
use super::{cjk_grams, PricePolicy, ValidProduct, ValidSku, DRAFT, LISTING};
use crate::accounts::Actor;
use crate::domain::{format_money, now_millis, AppError, AppResult, Permission};
use crate::server::db::Backend;
use crate::server::Db;
use futures::future;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// Rows written per transaction: large enough that the statements are few (a chunk of new
/// products is about ten statements whatever its size), small enough that the page's progress
/// moves and other writers get their turn between chunks.
const CHUNK_ROWS: usize = 2_000;

/// Bind parameters per statement on SQLite at most: its limit. The statements use anonymous
/// `?` parameters, which SQLite numbers as it parses and sqlx binds in order. A `$N`
/// parameter is a name that SQLite looks up in a list, once when it parses and once when sqlx
/// binds it, so a statement of n of them costs n² / 2 steps: 30,000 `$N` parameters made the
/// import slower than single-row INSERTs (3,451 rows/s), and in statements of 999 it wrote
/// 11,000 rows/s where `?` statements of up to 32,766 write 29,000 (BENCHMARKS.md, session
/// 12). PostgreSQL gets its rows as one JSON document instead.
const SQLITE_MAX_BINDS: usize = 32_766;

fn invalid_file(message: &str) -> AppError {
    AppError::invalid("file", message)
}

/// Reads an import file: the header must name the required columns and nothing unknown; a
/// record with the wrong number of cells is a bad row, not the end of the import.
pub fn read_csv(text: &str) -> AppResult<(Vec<CsvRow>, Vec<BadRow>, Given)> {
    if text.len() > MAX_BYTES {
        return Err(invalid_file("the file is larger than 32 MB; split it"));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| invalid_file("the first line must be the header of a CSV file"))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if header.iter().all(|h| h.is_empty()) {
        return Err(invalid_file("the file is empty"));
    }
    for h in &header {
        if !COLUMNS.contains(&h.as_str()) {
            return Err(invalid_file(&format!("unknown column \"{h}\"; the columns are {}", COLUMNS.join(", "))));
        }
    }
    for r in REQUIRED {
        if !header.iter().any(|h| h == r) {
            return Err(invalid_file(&format!("the column \"{r}\" is missing")));
        }
    }
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for record in reader.records() {
        if rows.len() + bad.len() >= MAX_ROWS {
            return Err(invalid_file("at most 200,000 rows per file; split it"));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                bad.push(BadRow { line, handle: String::new(), sku: String::new(), field: "file".into(), message: "unreadable row (not UTF-8 or a broken quote)".into() });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let mut row = CsvRow { line, ..Default::default() };
        for (column, value) in header.iter().zip(record.iter()) {
            row.set(column, value);
        }
        if record.len() != header.len() {
            let message = format!("{} cells where the header has {}", record.len(), header.len());
            bad.push(BadRow::of(&row, "file", &message));
            continue;
        }
        rows.push(row);
    }
    if rows.is_empty() && bad.is_empty() {
        return Err(invalid_file("the file has a header but no rows"));
    }
    Ok((rows, bad, Given::of(&header)))
}

/// Checks and plans an import and records the job; the products are written by
/// [`run_import`]. Returns the job's id and the plan. Nothing is written when the file
/// itself is unusable (an error on `file`).
pub async fn start_import(db: &Db, actor: &Actor, file_name: &str, text: &str) -> AppResult<(i64, Vec<PlannedProduct>)> {
    if !actor.can(Permission::ProductEdit) {
        return Err(AppError::Forbidden);
    }
    let file_name = crate::domain::optional_text("file", file_name, 200)?.unwrap_or_else(|| "import.csv".into());
    let (rows, mut bad, given) = read_csv(text)?;
    let total = (rows.len() + bad.len()) as i64;
    let cats: HashMap<String, i64> = categories(db).await?.into_iter().map(|c| (normalize_path(&c.path), c.id)).collect();
    let (planned, planning_bad) = plan(rows, &cats, given);
    bad.extend(planning_bad);
    bad.sort_by_key(|b| b.line);
    let planned_rows: i64 = planned.iter().map(|p| p.lines.len() as i64).sum();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO import_jobs (kind, file_name, state, total_rows, done_rows, imported_products, bad_rows, created_by, created_at, heartbeat_at) \
         VALUES ('products', $1, $2, $3, $4, 0, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&file_name)
    .bind(RUNNING)
    .bind(total)
    .bind(total - planned_rows)
    .bind(serde_json::to_string(&bad).unwrap_or_else(|_| "[]".into()))
    .bind(actor.id)
    .bind(now_millis())
    .fetch_one(db.writer())
    .await?;
    Ok((id, planned))
}

/// Writes the planned products, a chunk of rows per transaction, with the job's progress in
/// the same transactions: new products as drafts, updates by the rules of an edit by hand. A
/// chunk that fails (a SKU code taken or a product edited meanwhile) is retried product by
/// product, so one product that cannot be written is reported, not fatal. Stops when the job
/// is no longer running (the sweep took it for abandoned): another run may import the file
/// again, which then finds the products written so far unchanged.
pub async fn run_import(db: &Db, actor: &Actor, policy: &PricePolicy, job: i64, planned: Vec<PlannedProduct>) -> AppResult<()> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < planned.len() {
        let (mut end, mut rows) = (start, 0);
        while end < planned.len() && (rows == 0 || rows + planned[end].lines.len() <= CHUNK_ROWS) {
            rows += planned[end].lines.len();
            end += 1;
        }
        chunks.push(&planned[start..end]);
        start = end;
    }
    // PostgreSQL writes two chunks at once, on two connections: most of a chunk's time is
    // the server maintaining indexes (the trigram index above all), one backend's work, so a
    // second backend writes the other chunk meanwhile (BENCHMARKS.md, session 13). The chunks
    // cannot collide: a SKU code appears in one planned product only. Both finish before a
    // failed one is retried, so no half-done transaction holds a lock the retry waits for.
    // SQLite has one writer.
    let at_once = if db.backend == Backend::Postgres { 2 } else { 1 };
    for group in chunks.chunks(at_once) {
        let results = future::join_all(group.iter().map(|chunk| write_chunk(db, actor, policy, job, chunk))).await;
        for (chunk, result) in group.iter().zip(results) {
            match result {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => {
                    tracing::warn!(job, error = %e, "import chunk failed; writing its products one by one");
                    for one in *chunk {
                        match write_chunk(db, actor, policy, job, std::slice::from_ref(one)).await {
                            Ok(true) => {}
                            Ok(false) => return Ok(()),
                            Err(e) => report_unwritten(db, job, one, &e).await?,
                        }
                    }
                }
            }
        }
    }
    sqlx::query("UPDATE import_jobs SET state = $1, finished_at = $2 WHERE id = $3 AND state = $4")
        .bind(DONE)
        .bind(now_millis())
        .bind(job)
        .bind(RUNNING)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// One chunk in one transaction; `false` when the job is no longer running.
async fn write_chunk(db: &Db, actor: &Actor, policy: &PricePolicy, job: i64, chunk: &[PlannedProduct]) -> AppResult<bool> {
    let mut tx = db.begin().await?;
    // On SQLite the heartbeat comes first: it checks the job is still ours to run, and it
    // takes the write lock before the chunk's reads, so what is read is what is written over.
    // On PostgreSQL it comes last, with the progress: the job's row stays locked from its
    // update to the commit, and a chunk written beside this one must not wait that long.
    if db.backend == Backend::Sqlite && !still_running(&mut tx, job).await? {
        return Ok(false);
    }
    let codes: Vec<&str> = chunk.iter().flat_map(|p| p.product.skus.iter().map(|s| s.code.as_str())).collect();
    let owners = owners_of(&mut tx, db.backend, &codes).await?;
    let ids: Vec<i64> = owners.values().copied().collect::<HashSet<_>>().into_iter().collect();
    let current = current_products(&mut tx, &ids).await?;
    let may_change_prices = actor.can(Permission::PriceChange);
    let reason = format!("CSV import #{job}");
    let (mut creates, mut bad) = (Vec::new(), Vec::new());
    let (mut updated, mut unchanged) = (0i64, 0i64);
    for p in chunk {
        match decide(p, &owners, &current, policy, may_change_prices) {
            Decision::Create => creates.push(p),
            Decision::Unchanged(_) => unchanged += 1,
            Decision::Edit { id, state, version, product } => {
                save_edit(&mut tx, db.backend, actor.id, id, &state, version, &product, json!({ "import": job.to_string() })).await?;
                updated += 1;
            }
            Decision::Reprice { id: _, changes } => {
                for c in changes {
                    apply_price(&mut tx, policy, c.sku_id, c.old, c.new, &reason, actor.id, None, None).await?;
                }
                updated += 1;
            }
            Decision::Bad(rows) => bad.extend(rows),
        }
    }
    insert_products(&mut tx, db.backend, actor.id, job, &creates).await?;
    if !bad.is_empty() {
        add_to_report(&mut tx, db.backend, job, bad).await?;
    }
    let rows: usize = chunk.iter().map(|p| p.lines.len()).sum();
    let progress = sqlx::query(
        "UPDATE import_jobs SET done_rows = done_rows + $1, imported_products = imported_products + $2, updated_products = updated_products + $3, \
         unchanged_products = unchanged_products + $4, heartbeat_at = $5 WHERE id = $6 AND state = $7",
    )
    .bind(rows as i64)
    .bind(creates.len() as i64)
    .bind(updated)
    .bind(unchanged)
    .bind(now_millis())
    .bind(job)
    .bind(RUNNING)
    .execute(&mut *tx)
    .await?;
    // The sweep took the job for abandoned meanwhile: this chunk is not written (the
    // transaction rolls back as it drops).
    if progress.rows_affected() != 1 {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// Renews the job's heartbeat; `false` when the job is no longer running.
async fn still_running(conn: &mut AnyConnection, job: i64) -> AppResult<bool> {
    let alive = sqlx::query("UPDATE import_jobs SET heartbeat_at = $1 WHERE id = $2 AND state = $3")
        .bind(now_millis())
        .bind(job)
        .bind(RUNNING)
        .execute(&mut *conn)
        .await?;
    Ok(alive.rows_affected() == 1)
}

/// The product that owns each of `codes` that is in the catalog.
async fn owners_of(conn: &mut AnyConnection, backend: Backend, codes: &[&str]) -> AppResult<HashMap<String, i64>> {
    let mut owners = HashMap::new();
    for part in codes.chunks(4_000) {
        let sql = format!("SELECT code, product_id FROM skus WHERE code IN ({})", marks(backend, 1, part.len()));
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
        for c in part {
            q = q.bind(*c);
        }
        owners.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(owners)
}

/// Products `ids` as an import compares them (integer ids, written into the query).
async fn current_products(conn: &mut AnyConnection, ids: &[i64]) -> AppResult<HashMap<i64, CurrentProduct>> {
    let mut out = HashMap::new();
    for part in ids.chunks(1_000) {
        let list = part.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        let products: Vec<(i64, String, String, Option<i64>, String, i64, String, i64)> = sqlx::query_as(&format!(
            "SELECT id, title, description, category_id, tags, estimated_stock, state, version FROM products WHERE id IN ({list})"
        ))
        .fetch_all(&mut *conn)
        .await?;
        for p in products {
            let product = ValidProduct {
                title: p.1,
                description: p.2,
                category_id: p.3,
                tags: p.4.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
                estimated_stock: p.5,
                skus: Vec::new(),
            };
            out.insert(p.0, CurrentProduct { id: p.0, state: p.6, version: p.7, product, sku_ids: Vec::new() });
        }
        let skus: Vec<(i64, i64, String, String, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT id, product_id, code, attributes, price, cost, reorder_point FROM skus WHERE product_id IN ({list}) ORDER BY id"
        ))
        .fetch_all(&mut *conn)
        .await?;
        for s in skus {
            if let Some(p) = out.get_mut(&s.1) {
                p.sku_ids.push(s.0);
                p.product.skus.push(ValidSku { code: s.2, attributes: s.3, price: s.4, cost: s.5, reorder_point: s.6 });
            }
        }
    }
    Ok(out)
}

/// `n` parameters, numbered from `first`: "$first, $first+1, …" on PostgreSQL, "?, ?, …" on
/// SQLite (see [`SQLITE_MAX_BINDS`]), where they must be the statement's only parameters.
fn marks(backend: Backend, first: usize, n: usize) -> String {
    if backend == Backend::Sqlite {
        return vec!["?"; n].join(", ");
    }
    let mut out = String::with_capacity(n * 6);
    for i in first..first + n {
        if i > first {
            out.push_str(", ");
        }
        let _ = write!(out, "${i}");
    }
    out
}

/// A value of a multi-row INSERT.
enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    Null,
}

/// Inserts `rows` (each a value per column) into `table`. SQLite gets multi-row
/// `INSERT … VALUES (…), (…)` of at most [`SQLITE_MAX_BINDS`] parameters. PostgreSQL gets all
/// the rows as one JSON array bound to one parameter and unpacked by
/// `json_populate_recordset` into the table's own row type: the statement's text is the same
/// for any number of rows, so it is prepared once per connection, where a `VALUES` list of
/// 30,000 parameters was parsed and planned anew for every chunk.
async fn insert_rows(conn: &mut AnyConnection, backend: Backend, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = columns.len();
    let list = columns.join(", ");
    match backend {
        Backend::Postgres => {
            let mut doc = String::with_capacity(rows.len() * width * 24);
            doc.push('[');
            for (i, row) in rows.iter().enumerate() {
                debug_assert_eq!(row.len(), width);
                doc.push_str(if i > 0 { ",{" } else { "{" });
                for (k, (column, v)) in columns.iter().zip(row).enumerate() {
                    if k > 0 {
                        doc.push(',');
                    }
                    let _ = write!(doc, "\"{column}\":");
                    match v {
                        Value::Int(n) | Value::OptInt(Some(n)) => {
                            let _ = write!(doc, "{n}");
                        }
                        Value::OptInt(None) | Value::Null => doc.push_str("null"),
                        // serde_json escapes quotes, backslashes and control characters.
                        Value::Text(t) => doc.push_str(&serde_json::to_string(t).map_err(|e| AppError::Internal(e.to_string()))?),
                    }
                }
                doc.push('}');
            }
            doc.push(']');
            let sql = format!("INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{table}, $1::json)");
            sqlx::query(&sql).bind(doc).execute(&mut *conn).await?;
        }
        Backend::Sqlite => {
            for part in rows.chunks((SQLITE_MAX_BINDS / width).max(1)) {
                let mut sql = String::with_capacity(list.len() + part.len() * width * 7 + 40);
                let _ = write!(sql, "INSERT INTO {table} ({list}) VALUES ");
                for i in 0..part.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('(');
                    sql.push_str(&marks(backend, i * width + 1, width));
                    sql.push(')');
                }
                let mut q = sqlx::query(&sql);
                for row in part {
                    debug_assert_eq!(row.len(), width);
                    for v in row {
                        q = match v {
                            Value::Int(i) => q.bind(*i),
                            Value::OptInt(i) => q.bind(*i),
                            Value::Text(t) => q.bind(t.as_str()),
                            Value::Null => q.bind(None::<String>),
                        };
                    }
                }
                q.execute(&mut *conn).await?;
            }
        }
    }
    Ok(())
}

/// `n` new ids of `table`, taken before its rows are written with them. PostgreSQL draws
/// them from the identity's sequence; SQLite continues after the highest id used (the
/// transaction holds the write lock, taken by the heartbeat).
async fn new_ids(conn: &mut AnyConnection, backend: Backend, table: &str, n: usize) -> AppResult<Vec<i64>> {
    match backend {
        Backend::Postgres => {
            let rows: Vec<(i64,)> = sqlx::query_as(&format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"))
                .bind(n as i64)
                .fetch_all(&mut *conn)
                .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        }
        Backend::Sqlite => {
            let (last,): (i64,) = sqlx::query_as(&format!(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0))"
            ))
            .fetch_one(&mut *conn)
            .await?;
            Ok((1..=n as i64).map(|i| last + i).collect())
        }
    }
}

/// Writes new products as drafts with their SKUs, tags, search rows and one audit event
/// each, as [`super::service::insert_product`] and the create action would, in a few
/// multi-row INSERTs.
async fn insert_products(conn: &mut AnyConnection, backend: Backend, actor_id: i64, job: i64, creates: &[&PlannedProduct]) -> AppResult<()> {
    if creates.is_empty() {
        return Ok(());
    }
    let ids = new_ids(conn, backend, "products", creates.len()).await?;
    let now = now_millis();
    let (mut products, mut skus, mut tags, mut search, mut grams_rows, mut events) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (planned, &id) in creates.iter().zip(&ids) {
        let p = &planned.product;
        let text = p.search_text();
        let grams = cjk_grams(&text);
        if backend == Backend::Sqlite {
            search.push(vec![Value::Int(id), Value::Text(text.clone())]);
            grams_rows.push(vec![Value::Int(id), Value::Text(grams.clone())]);
        }
        products.push(vec![
            Value::Int(id),
            Value::Text(p.title.clone()),
            Value::Text(p.description.clone()),
            Value::OptInt(p.category_id),
            Value::Text(p.tags.join(",")),
            Value::Int(p.estimated_stock),
            Value::Int(p.min_price()),
            Value::Text(text),
            Value::Text(grams),
            Value::Text(DRAFT.id.into()),
            Value::Int(1),
            Value::Int(actor_id),
            Value::Int(now),
            Value::Int(now),
            Value::Int(now),
        ]);
        for t in &p.tags {
            tags.push(vec![Value::Int(id), Value::Text(t.clone())]);
        }
        for s in &p.skus {
            skus.push(vec![
                Value::Int(id),
                Value::Text(s.code.clone()),
                Value::Text(s.attributes.clone()),
                Value::Int(s.price),
                Value::Int(s.cost),
                Value::Int(s.reorder_point),
                Value::Int(now),
            ]);
        }
        let codes: Vec<&str> = p.skus.iter().map(|s| s.code.as_str()).collect();
        let payload = json!({ "title": p.title, "skus": codes.join(", "), "import": job.to_string() });
        events.push(vec![
            Value::Text(LISTING.id.into()),
            Value::Int(id),
            Value::Text("create".into()),
            Value::Null,
            Value::Text(DRAFT.id.into()),
            Value::Int(actor_id),
            Value::Int(now),
            Value::Text(payload.to_string()),
        ]);
    }
    insert_rows(
        conn,
        backend,
        "products",
        &[
            "id",
            "title",
            "description",
            "category_id",
            "tags",
            "estimated_stock",
            "min_price",
            "search_text",
            "search_grams",
            "state",
            "version",
            "created_by",
            "created_at",
            "updated_at",
            "state_since",
        ],
        &products,
    )
    .await?;
    insert_rows(conn, backend, "skus", &["product_id", "code", "attributes", "price", "cost", "reorder_point", "created_at"], &skus).await?;
    insert_rows(conn, backend, "product_tags", &["product_id", "tag"], &tags).await?;
    if backend == Backend::Sqlite {
        insert_rows(conn, backend, "product_search", &["rowid", "body"], &search).await?;
        insert_rows(conn, backend, "product_grams", &["rowid", "grams"], &grams_rows).await?;
    }
    insert_rows(conn, backend, "audit_events", &["entity", "entity_id", "action", "from_state", "to_state", "actor_id", "at", "payload"], &events).await?;
    Ok(())
}

/// Adds rows to the job's report, in line order. On PostgreSQL the report is read with the
/// job's row locked: two chunks written at once would otherwise both read the report before
/// either wrote it, and the second write would drop the first one's rows. (SQLite's write
/// transactions take turns.)
pub async fn add_to_report(conn: &mut AnyConnection, backend: Backend, job: i64, rows: Vec<BadRow>) -> AppResult<()> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let (report,): (String,) =
        sqlx::query_as(&format!("SELECT bad_rows FROM import_jobs WHERE id = $1{lock}")).bind(job).fetch_one(&mut *conn).await?;
    let mut bad: Vec<BadRow> = serde_json::from_str(&report).unwrap_or_default();
    bad.extend(rows);
    bad.sort_by_key(|b| b.line);
    sqlx::query("UPDATE import_jobs SET bad_rows = $1 WHERE id = $2")
        .bind(serde_json::to_string(&bad).unwrap_or_else(|_| "[]".into()))
        .bind(job)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Adds the rows of a product that could not be written to the job's report.
async fn report_unwritten(db: &Db, job: i64, p: &PlannedProduct, e: &AppError) -> AppResult<()> {
    let message = match e {
        AppError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    };
    let rows = p
        .lines
        .iter()
        .zip(&p.product.skus)
        .map(|(line, sku)| BadRow { line: *line, handle: p.handle.clone(), sku: sku.code.clone(), field: "file".into(), message: format!("could not be saved: {message}") })
        .collect();
    let mut tx = db.begin().await?;
    add_to_report(&mut tx, db.backend, job, rows).await?;
    sqlx::query("UPDATE import_jobs SET done_rows = done_rows + $1, heartbeat_at = $2 WHERE id = $3")
        .bind(p.lines.len() as i64)
        .bind(now_millis())
        .bind(job)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// An import whose heartbeat stopped this long ago is taken for dead (a batch takes well
/// under a second).
pub const IMPORT_STALE_MS: i64 = 5 * 60_000;

/// Marks failed the imports whose instance stopped in the middle (no heartbeat for
/// `stale_ms`). The batches written before stay: each was whole. Returns how many.
pub async fn fail_abandoned_imports(db: &Db, stale_ms: i64) -> AppResult<u64> {
    let now = now_millis();
    let done = sqlx::query(
        "UPDATE import_jobs SET state = $1, error = $2, finished_at = $3 WHERE state = $4 AND COALESCE(heartbeat_at, created_at) < $5",
    )
    .bind(FAILED)
    .bind("interrupted: the server stopped during the import; the products saved so far are kept as drafts, import the rest again")
    .bind(now)
    .bind(RUNNING)
    .bind(now - stale_ms)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

/// Marks a job failed (the background task hit an error it could not report per row).
pub async fn fail_import(db: &Db, job: i64, error: &AppError) -> AppResult<()> {
    sqlx::query("UPDATE import_jobs SET state = $1, error = $2, finished_at = $3 WHERE id = $4")
        .bind(FAILED)
        .bind(error.to_string())
        .bind(now_millis())
        .bind(job)
        .execute(db.writer())
        .await?;
    Ok(())
}

type JobDb = (i64, String, String, i64, i64, i64, String, Option<String>, String, i64, Option<i64>, i64, i64);

const JOB_SELECT: &str = "SELECT j.id, j.file_name, j.state, j.total_rows, j.done_rows, j.imported_products, j.bad_rows, j.error, \
     u.display_name, j.created_at, j.finished_at, j.updated_products, j.unchanged_products FROM import_jobs j JOIN users u ON u.id = j.created_by";

fn job(r: JobDb) -> ImportJob {
    ImportJob {
        id: r.0,
        file_name: r.1,
        state: r.2,
        total_rows: r.3,
        done_rows: r.4,
        imported_products: r.5,
        updated_products: r.11,
        unchanged_products: r.12,
        bad_rows: serde_json::from_str(&r.6).unwrap_or_default(),
        error: r.7,
        created_by: r.8,
        created_at: r.9,
        finished_at: r.10,
    }
}

pub async fn import_job(db: &Db, id: i64) -> AppResult<ImportJob> {
    let row: Option<JobDb> = sqlx::query_as(&format!("{JOB_SELECT} WHERE j.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    row.map(job).ok_or(AppError::NotFound)
}

/// The latest imports, newest first (without their reports, which can be long).
pub async fn recent_imports(db: &Db) -> AppResult<Vec<ImportJob>> {
    let rows: Vec<JobDb> = sqlx::query_as(&format!("{JOB_SELECT} WHERE j.kind = 'products' ORDER BY j.id DESC LIMIT 20")).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(|r| ImportJob { bad_rows: Vec::new(), ..job(r) }).collect())
}

/// The catalog as CSV in the import format (one row per SKU), optionally of one listing
/// state. Cells are quoted as needed; money is written as decimal text, never a float.
pub async fn export_csv(db: &Db, state: &str) -> AppResult<String> {
    let paths: HashMap<i64, String> = categories(db).await?.into_iter().map(|c| (c.id, c.path)).collect();
    let rows: Vec<(i64, String, String, Option<i64>, String, i64, String, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT p.id, p.title, p.description, p.category_id, p.tags, p.estimated_stock, p.state, s.code, s.attributes, s.price, s.cost, s.reorder_point \
         FROM products p JOIN skus s ON s.product_id = p.id WHERE ($1 = '' OR p.state = $1) ORDER BY p.id, s.id",
    )
    .bind(state)
    .fetch_all(db.pool())
    .await?;
    let mut out = csv::WriterBuilder::new().from_writer(Vec::with_capacity(rows.len() * 120));
    let fail = |e: csv::Error| AppError::internal(e);
    out.write_record(COLUMNS).map_err(fail)?;
    let mut last = None;
    for r in rows {
        // Product cells on the first row of each product only, as an import expects.
        let first = last != Some(r.0);
        last = Some(r.0);
        let product = |v: String| if first { v } else { String::new() };
        let category = r.3.and_then(|c| paths.get(&c).cloned()).unwrap_or_default();
        out.write_record([
            format!("P{}", r.0),
            product(r.1),
            product(r.2),
            product(category),
            product(r.4.split(',').filter(|t| !t.is_empty()).collect::<Vec<_>>().join(&TAG_SEPARATOR.to_string())),
            product(r.5.to_string()),
            r.7,
            r.8,
            format_money(r.9),
            format_money(r.10),
            r.11.to_string(),
            r.6,
        ])
        .map_err(fail)?;
    }
    let bytes = out.into_inner().map_err(|e| AppError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}
