//! Products in bulk on the server: reading an import file, running the import in the
//! background with its progress in the database, and writing the export.

use super::bulk::{normalize_path, plan, BadRow, CsvRow, ImportJob, PlannedProduct, COLUMNS, DONE, FAILED, MAX_BYTES, MAX_ROWS, REQUIRED, RUNNING, TAG_SEPARATOR};
use super::service::{categories, insert_product};
use super::{DRAFT, LISTING};
use crate::accounts::Actor;
use crate::domain::{format_money, now_millis, AppError, AppResult, Permission};
use crate::engine::run::audit;
use crate::server::Db;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Products written per transaction: large enough to be quick, small enough that the page's
/// progress moves and other writers get their turn between batches.
const BATCH: usize = 250;

fn invalid_file(message: &str) -> AppError {
    AppError::invalid("file", message)
}

/// Reads an import file: the header must name the required columns and nothing unknown; a
/// record with the wrong number of cells is a bad row, not the end of the import.
pub fn read_csv(text: &str) -> AppResult<(Vec<CsvRow>, Vec<BadRow>)> {
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
    Ok((rows, bad))
}

/// Checks and plans an import and records the job; the products are written by
/// [`run_import`]. Returns the job's id and the plan. Nothing is written when the file
/// itself is unusable (an error on `file`).
pub async fn start_import(db: &Db, actor: &Actor, file_name: &str, text: &str) -> AppResult<(i64, Vec<PlannedProduct>)> {
    if !actor.can(Permission::ProductEdit) {
        return Err(AppError::Forbidden);
    }
    let file_name = crate::domain::optional_text("file", file_name, 200)?.unwrap_or_else(|| "import.csv".into());
    let (rows, mut bad) = read_csv(text)?;
    let total = (rows.len() + bad.len()) as i64;
    let cats: HashMap<String, i64> = categories(db).await?.into_iter().map(|c| (normalize_path(&c.path), c.id)).collect();
    // Only the codes of this file are looked up, in slices of a few hundred.
    let codes: Vec<String> = rows.iter().filter_map(|r| crate::catalog::parse_sku_code("sku", &r.sku).ok()).collect();
    let mut taken = HashSet::new();
    for chunk in codes.chunks(500) {
        let marks = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT code FROM skus WHERE code IN ({marks})");
        let mut q = sqlx::query_as::<_, (String,)>(&sql);
        for c in chunk {
            q = q.bind(c);
        }
        taken.extend(q.fetch_all(db.pool()).await?.into_iter().map(|r| r.0));
    }
    let (planned, planning_bad) = plan(rows, &cats, &taken);
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

/// Writes the planned products as drafts, a batch per transaction, and keeps the job's
/// progress in the same transactions. A batch that fails is retried product by product, so
/// one product that cannot be written (a SKU code taken meanwhile) is reported, not fatal.
pub async fn run_import(db: &Db, actor_id: i64, job: i64, planned: Vec<PlannedProduct>) -> AppResult<()> {
    for batch in planned.chunks(BATCH) {
        if write_batch(db, actor_id, job, batch).await.is_err() {
            for one in batch {
                if let Err(e) = write_batch(db, actor_id, job, std::slice::from_ref(one)).await {
                    report_unwritten(db, job, one, &e).await?;
                }
            }
        }
    }
    sqlx::query("UPDATE import_jobs SET state = $1, finished_at = $2 WHERE id = $3")
        .bind(DONE)
        .bind(now_millis())
        .bind(job)
        .execute(db.writer())
        .await?;
    Ok(())
}

async fn write_batch(db: &Db, actor_id: i64, job: i64, batch: &[PlannedProduct]) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let mut rows = 0;
    for p in batch {
        let id = insert_product(&mut tx, db.backend, actor_id, DRAFT.id, &p.product).await?;
        let codes: Vec<&str> = p.product.skus.iter().map(|s| s.code.as_str()).collect();
        let payload = json!({ "title": p.product.title, "skus": codes.join(", "), "import": job.to_string() });
        audit(&mut tx, LISTING.id, id, "create", None, Some(DRAFT.id), Some(actor_id), &payload).await?;
        rows += p.lines.len() as i64;
    }
    sqlx::query("UPDATE import_jobs SET done_rows = done_rows + $1, imported_products = imported_products + $2, heartbeat_at = $3 WHERE id = $4")
        .bind(rows)
        .bind(batch.len() as i64)
        .bind(now_millis())
        .bind(job)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds the rows of a product that could not be written to the job's report.
async fn report_unwritten(db: &Db, job: i64, p: &PlannedProduct, e: &AppError) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let (report,): (String,) = sqlx::query_as("SELECT bad_rows FROM import_jobs WHERE id = $1").bind(job).fetch_one(&mut *tx).await?;
    let mut bad: Vec<BadRow> = serde_json::from_str(&report).unwrap_or_default();
    let message = match e {
        AppError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    };
    for (line, sku) in p.lines.iter().zip(&p.product.skus) {
        bad.push(BadRow { line: *line, handle: String::new(), sku: sku.code.clone(), field: "file".into(), message: format!("could not be saved: {message}") });
    }
    bad.sort_by_key(|b| b.line);
    sqlx::query("UPDATE import_jobs SET bad_rows = $1, done_rows = done_rows + $2, heartbeat_at = $3 WHERE id = $4")
        .bind(serde_json::to_string(&bad).unwrap_or_else(|_| "[]".into()))
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

type JobDb = (i64, String, String, i64, i64, i64, String, Option<String>, String, i64, Option<i64>);

const JOB_SELECT: &str = "SELECT j.id, j.file_name, j.state, j.total_rows, j.done_rows, j.imported_products, j.bad_rows, j.error, \
     u.display_name, j.created_at, j.finished_at FROM import_jobs j JOIN users u ON u.id = j.created_by";

fn job(r: JobDb) -> ImportJob {
    ImportJob {
        id: r.0,
        file_name: r.1,
        state: r.2,
        total_rows: r.3,
        done_rows: r.4,
        imported_products: r.5,
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
