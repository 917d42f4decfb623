//! Products on the server: drafts and their edits, the listing workflow's effects, the
//! category tree and the catalog search. State changes go through the workflow engine.

use super::*;
use crate::accounts::Actor;
use crate::domain::{now_millis, AppError, AppResult};
use crate::engine::run::{self, audit, Transition};
use crate::server::db::{bind_all_as, like_escape, Backend, Bind};
use crate::server::Db;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------- categories

pub async fn categories(db: &Db) -> AppResult<Vec<Category>> {
    let rows: Vec<(i64, Option<i64>, String)> =
        sqlx::query_as("SELECT id, parent_id, name FROM categories").fetch_all(db.pool()).await?;
    Ok(category_tree(rows))
}

async fn sibling_taken(conn: &mut AnyConnection, parent: Option<i64>, name: &str, except: i64) -> AppResult<bool> {
    let n: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM categories WHERE COALESCE(parent_id, 0) = $1 AND lower(name) = lower($2) AND id <> $3",
    )
    .bind(parent.unwrap_or(0))
    .bind(name)
    .bind(except)
    .fetch_one(conn)
    .await?;
    Ok(n.0 > 0)
}

pub async fn create_category(db: &Db, actor: &Actor, name: &str, parent: Option<i64>) -> AppResult<i64> {
    let name = required_text("name", name, 60)?;
    let mut tx = db.begin().await?;
    if let Some(p) = parent {
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM categories WHERE id = $1").bind(p).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(AppError::invalid("parent", "choose an existing category"));
        }
    }
    if sibling_taken(&mut tx, parent, &name, 0).await? {
        return Err(AppError::invalid("name", "a category with this name already exists here"));
    }
    let (id,): (i64,) = sqlx::query_as("INSERT INTO categories (parent_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(parent)
        .bind(&name)
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await?;
    audit(&mut tx, "category", id, "create", None, None, Some(actor.id), &json!({ "name": name, "parent_id": parent })).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn rename_category(db: &Db, actor: &Actor, id: i64, name: &str) -> AppResult<()> {
    let name = required_text("name", name, 60)?;
    let mut tx = db.begin().await?;
    let row: Option<(Option<i64>, String)> =
        sqlx::query_as("SELECT parent_id, name FROM categories WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    let (parent, old) = row.ok_or(AppError::NotFound)?;
    if sibling_taken(&mut tx, parent, &name, id).await? {
        return Err(AppError::invalid("name", "a category with this name already exists here"));
    }
    sqlx::query("UPDATE categories SET name = $1 WHERE id = $2").bind(&name).bind(id).execute(&mut *tx).await?;
    audit(&mut tx, "category", id, "rename", None, None, Some(actor.id), &json!({ "from": old, "to": name })).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- drafts

async fn check_category(conn: &mut AnyConnection, id: Option<i64>) -> AppResult<()> {
    if let Some(id) = id {
        let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM categories WHERE id = $1").bind(id).fetch_optional(conn).await?;
        if found.is_none() {
            return Err(AppError::invalid("category_id", "choose an existing category"));
        }
    }
    Ok(())
}

/// Keeps the backend's search index in step with the product's text. PostgreSQL indexes the
/// column itself (pg_trgm); SQLite keeps a separate FTS5 table keyed by the product id.
/// The CJK gram index (one- and two-character Chinese terms) works the same way: a column
/// PostgreSQL indexes as an array, a second FTS5 table on SQLite.
async fn index_for_search(conn: &mut AnyConnection, backend: Backend, id: i64, text: &str) -> AppResult<()> {
    let grams = cjk_grams(text);
    sqlx::query("UPDATE products SET search_grams = $1 WHERE id = $2").bind(&grams).bind(id).execute(&mut *conn).await?;
    if backend == Backend::Sqlite {
        sqlx::query("DELETE FROM product_search WHERE rowid = $1").bind(id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM product_grams WHERE rowid = $1").bind(id).execute(&mut *conn).await?;
        insert_fts(conn, id, text, &grams).await?;
    }
    Ok(())
}

/// SQLite's FTS5 rows of a product (PostgreSQL indexes the products table itself).
async fn insert_fts(conn: &mut AnyConnection, id: i64, text: &str, grams: &str) -> AppResult<()> {
    sqlx::query("INSERT INTO product_search (rowid, body) VALUES ($1, $2)").bind(id).bind(text).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO product_grams (rowid, grams) VALUES ($1, $2)").bind(id).bind(grams).execute(&mut *conn).await?;
    Ok(())
}

/// Indexes products written before the gram index existed (an upgrade); run at start-up.
/// Cheap when there is nothing to do.
pub async fn index_unindexed(db: &Db) -> AppResult<usize> {
    let mut done = 0;
    loop {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, search_text FROM products WHERE search_grams = '' LIMIT 500").fetch_all(db.pool()).await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let mut tx = db.begin().await?;
        for (id, text) in &rows {
            index_for_search(&mut tx, db.backend, *id, text).await?;
        }
        tx.commit().await?;
        done += rows.len();
    }
}

async fn write_tags(conn: &mut AnyConnection, id: i64, tags: &[String]) -> AppResult<()> {
    sqlx::query("DELETE FROM product_tags WHERE product_id = $1").bind(id).execute(&mut *conn).await?;
    for t in tags {
        sqlx::query("INSERT INTO product_tags (product_id, tag) VALUES ($1, $2)").bind(id).bind(t).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Brings the product's SKUs in line with the form: known codes are updated, new ones
/// inserted, missing ones deleted unless stock has ever moved for them.
async fn write_skus(conn: &mut AnyConnection, product_id: i64, skus: &[ValidSku]) -> AppResult<()> {
    let existing: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, code FROM skus WHERE product_id = $1").bind(product_id).fetch_all(&mut *conn).await?;
    for (id, code) in &existing {
        if skus.iter().any(|s| &s.code == code) {
            continue;
        }
        let (used,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM stock_movements WHERE sku_id = $1) + (SELECT COUNT(*) FROM receipt_lines WHERE sku_id = $1)",
        )
        .bind(*id)
        .fetch_one(&mut *conn)
        .await?;
        if used > 0 {
            return Err(AppError::invalid("skus", &format!("SKU {code} has stock history and cannot be removed")));
        }
        sqlx::query("DELETE FROM stock_levels WHERE sku_id = $1").bind(*id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM skus WHERE id = $1").bind(*id).execute(&mut *conn).await?;
    }
    let now = now_millis();
    for (i, s) in skus.iter().enumerate() {
        if existing.iter().any(|(_, c)| *c == s.code) {
            sqlx::query("UPDATE skus SET attributes = $1, price = $2, cost = $3, reorder_point = $4 WHERE product_id = $5 AND code = $6")
                .bind(&s.attributes)
                .bind(s.price)
                .bind(s.cost)
                .bind(s.reorder_point)
                .bind(product_id)
                .bind(&s.code)
                .execute(&mut *conn)
                .await?;
            continue;
        }
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM skus WHERE code = $1").bind(&s.code).fetch_optional(&mut *conn).await?;
        if taken.is_some() {
            return Err(AppError::invalid("skus", &format!("line {}: code: already used by another product", i + 1)));
        }
        insert_sku(conn, product_id, s, now).await?;
    }
    Ok(())
}

async fn insert_sku(conn: &mut AnyConnection, product_id: i64, s: &ValidSku, now: i64) -> AppResult<()> {
    sqlx::query("INSERT INTO skus (product_id, code, attributes, price, cost, reorder_point, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(product_id)
        .bind(&s.code)
        .bind(&s.attributes)
        .bind(s.price)
        .bind(s.cost)
        .bind(s.reorder_point)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn create(db: &Db, actor: &Actor, input: &ProductInput) -> AppResult<Transition> {
    let (mut step, _) = run::begin_create(db, actor, &LISTING, "create", &HashMap::new()).await?;
    let p = input.validate()?;
    check_category(step.conn(), p.category_id).await?;
    for (i, sku) in p.skus.iter().enumerate() {
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM skus WHERE code = $1").bind(&sku.code).fetch_optional(step.conn()).await?;
        if taken.is_some() {
            return Err(AppError::invalid("code", "already used by another product").at_line("skus", i + 1));
        }
    }
    let state = step.to_state();
    let id = insert_product(step.conn(), db.backend, actor.id, state, &p).await?;
    let codes: Vec<&str> = p.skus.iter().map(|s| s.code.as_str()).collect();
    step.commit_created(id, json!({ "title": p.title, "skus": codes.join(", ") })).await
}

/// Writes a new product in `state` with its tags, SKUs and search index, on `conn` (the
/// caller's transaction); the caller has checked the category and that the SKU codes are
/// free (the unique index refuses a code taken meanwhile), and records the audit event.
/// Inserts only, no read-before-write. (Imports write many products at once with multi-row
/// INSERTs of the same rows: `bulk_service::insert_products`.)
pub(super) async fn insert_product(conn: &mut AnyConnection, backend: Backend, actor_id: i64, state: &str, p: &ValidProduct) -> AppResult<i64> {
    let now = now_millis();
    let text = p.search_text();
    let grams = cjk_grams(&text);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO products (title, description, category_id, tags, estimated_stock, min_price, search_text, search_grams, state, version, \
         created_by, created_at, updated_at, state_since) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $11, $11) RETURNING id",
    )
    .bind(&p.title)
    .bind(&p.description)
    .bind(p.category_id)
    .bind(p.tags.join(","))
    .bind(p.estimated_stock)
    .bind(p.min_price())
    .bind(&text)
    .bind(&grams)
    .bind(state)
    .bind(actor_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for t in &p.tags {
        sqlx::query("INSERT INTO product_tags (product_id, tag) VALUES ($1, $2)").bind(id).bind(t).execute(&mut *conn).await?;
    }
    for s in &p.skus {
        insert_sku(conn, id, s, now).await?;
    }
    if backend == Backend::Sqlite {
        insert_fts(conn, id, &text, &grams).await?;
    }
    Ok(id)
}

/// Saves the content of a draft or returned product last seen at `version`; returns the
/// new version. Not a state change, but audited like one.
pub async fn update(db: &Db, actor: &Actor, id: i64, version: i64, input: &ProductInput) -> AppResult<i64> {
    if !actor.can(Permission::ProductEdit) {
        return Err(AppError::Forbidden);
    }
    let p = input.validate()?;
    let mut tx = db.begin().await?;
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT state, version FROM products WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    let (state, current) = row.ok_or(AppError::NotFound)?;
    if !EDITABLE.contains(&state.as_str()) {
        return Err(AppError::InvalidTransition { action: "edit".into(), state });
    }
    if current != version {
        return Err(AppError::StaleVersion);
    }
    save_edit(&mut tx, db.backend, actor.id, id, &state, version, &p, json!({})).await?;
    tx.commit().await?;
    Ok(version + 1)
}

/// Saves the content of product `id`, in the editable `state`, last seen at `version`, in the
/// caller's transaction, with its audit event (`extra` adds to the payload). The edit form and
/// an import that updates a draft both save through here.
#[allow(clippy::too_many_arguments)]
pub(super) async fn save_edit(
    conn: &mut AnyConnection,
    backend: Backend,
    actor_id: i64,
    id: i64,
    state: &str,
    version: i64,
    p: &ValidProduct,
    extra: serde_json::Value,
) -> AppResult<()> {
    check_category(conn, p.category_id).await?;
    let updated = sqlx::query(
        "UPDATE products SET title = $1, description = $2, category_id = $3, tags = $4, estimated_stock = $5, min_price = $6, \
         search_text = $7, version = version + 1, updated_at = $8 WHERE id = $9 AND version = $10 AND state = $11",
    )
    .bind(&p.title)
    .bind(&p.description)
    .bind(p.category_id)
    .bind(p.tags.join(","))
    .bind(p.estimated_stock)
    .bind(p.min_price())
    .bind(p.search_text())
    .bind(now_millis())
    .bind(id)
    .bind(version)
    .bind(state)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(AppError::StaleVersion);
    }
    write_tags(conn, id, &p.tags).await?;
    write_skus(conn, id, &p.skus).await?;
    index_for_search(conn, backend, id, &p.search_text()).await?;
    let codes: Vec<&str> = p.skus.iter().map(|s| s.code.as_str()).collect();
    let mut payload = json!({ "title": p.title, "skus": codes.join(", ") });
    if let (Some(map), serde_json::Value::Object(more)) = (payload.as_object_mut(), extra) {
        map.extend(more);
    }
    audit(conn, LISTING.id, id, "edit", Some(state), Some(state), Some(actor_id), &payload).await?;
    Ok(())
}

/// A listing step (submit, approve, return, resubmit, delist, relist) on product `id`.
pub async fn act(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    action_id: &str,
    form: &HashMap<String, String>,
) -> AppResult<Transition> {
    let (mut step, v) = run::begin(db, actor, &LISTING, id, version, action_id, form).await?;
    match action_id {
        "approve" | "relist" => {
            sqlx::query("UPDATE products SET review_note = NULL, listed_at = $1 WHERE id = $2")
                .bind(now_millis())
                .bind(id)
                .execute(step.conn())
                .await?;
        }
        "return" => {
            sqlx::query("UPDATE products SET review_note = $1 WHERE id = $2").bind(&v["reasons"]).bind(id).execute(step.conn()).await?;
        }
        "submit" | "resubmit" | "delist" => {}
        other => return Err(AppError::internal(format!("listing action {other} has no effect"))),
    }
    step.commit(serde_json::to_value(&v).unwrap_or_default()).await
}

// ---------------------------------------------------------------- reading

/// Available stock of each SKU of the given products, across active warehouses.
const SKU_SELECT: &str = "SELECT s.id, s.product_id, s.code, s.attributes, s.price, s.cost, s.reorder_point, \
     CAST(COALESCE((SELECT SUM(l.on_hand - l.reserved) FROM stock_levels l JOIN warehouses w ON w.id = l.warehouse_id \
       WHERE l.sku_id = s.id AND w.active = 1), 0) AS BIGINT) FROM skus s";

type SkuRow = (i64, i64, String, String, i64, i64, i64, i64);

async fn skus_of(db: &Db, product_id: i64) -> AppResult<Vec<Sku>> {
    let rows: Vec<SkuRow> = sqlx::query_as(&format!("{SKU_SELECT} WHERE s.product_id = $1 ORDER BY s.id"))
        .bind(product_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Sku { id: r.0, code: r.2, attributes: r.3, price: r.4, cost: r.5, reorder_point: r.6, available: r.7 })
        .collect())
}

fn split_tags(t: &str) -> Vec<String> {
    t.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

type ProductRowDb = (i64, String, String, Option<i64>, Option<String>, String, i64, i64, Option<String>, String, i64, String, i64, i64, i64);

pub async fn get(db: &Db, id: i64) -> AppResult<Product> {
    let row: Option<ProductRowDb> = sqlx::query_as(
        "SELECT p.id, p.title, p.description, p.category_id, c.name, p.tags, p.estimated_stock, p.min_price, p.review_note, \
         p.state, p.version, u.display_name, p.created_at, p.updated_at, p.state_since \
         FROM products p JOIN users u ON u.id = p.created_by LEFT JOIN categories c ON c.id = p.category_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let r = row.ok_or(AppError::NotFound)?;
    let tree = categories(db).await?;
    let category = r.3.and_then(|cid| tree.iter().find(|c| c.id == cid).map(|c| c.path.clone())).or(r.4);
    Ok(Product {
        sla: SlaStatus::compute(&LISTING, &r.9, r.14, now_millis()),
        id: r.0,
        title: r.1,
        description: r.2,
        category_id: r.3,
        category,
        tags: split_tags(&r.5),
        estimated_stock: r.6,
        min_price: r.7,
        review_note: r.8,
        state: r.9,
        version: r.10,
        created_by: r.11,
        created_at: r.12,
        updated_at: r.13,
        skus: skus_of(db, id).await?,
    })
}

pub async fn detail(db: &Db, actor: &Actor, id: i64) -> AppResult<ProductDetail> {
    let product = get(db, id).await?;
    let events = run::history(db, LISTING.id, id).await?;
    let actions = LISTING.available(&product.state, &actor.permissions).map(|a| a.id.to_string()).collect();
    let editable = actor.can(Permission::ProductEdit) && EDITABLE.contains(&product.state.as_str());
    let images = super::image_service::images_of(db, &[id]).await?;
    Ok(ProductDetail { product, events, actions, editable, images })
}

/// The staff list, newest change first; `state` and `q` narrow it.
pub async fn list(db: &Db, state: &str, q: &str) -> AppResult<Vec<ProductRow>> {
    let mut binds = vec![Bind::Text(state.to_string())];
    let mut sql = String::from(
        "SELECT p.id, p.title, c.name, (SELECT COUNT(*) FROM skus s WHERE s.product_id = p.id), p.min_price, p.state, p.version, \
         p.updated_at, p.state_since FROM products p LEFT JOIN categories c ON c.id = p.category_id WHERE ($1 = '' OR p.state = $1)",
    );
    sql.push_str(&search_condition(db.backend, &search_terms(q), &mut binds));
    sql.push_str(" ORDER BY p.updated_at DESC, p.id DESC LIMIT 500");
    let rows: Vec<(i64, String, Option<String>, i64, i64, String, i64, i64, i64)> =
        bind_all_as(sqlx::query_as(&sql), &binds).fetch_all(db.pool()).await?;
    let now = now_millis();
    Ok(rows
        .into_iter()
        .map(|r| ProductRow {
            sla: SlaStatus::compute(&LISTING, &r.5, r.8, now),
            id: r.0,
            title: r.1,
            category: r.2,
            skus: r.3,
            min_price: r.4,
            state: r.5,
            version: r.6,
            updated_at: r.7,
        })
        .collect())
}

/// The SQL that makes every term match the product's search text (` AND …` per condition),
/// pushing its values onto `binds`. The one place where the backends' search differs:
/// SQLite asks its FTS5 trigram index (terms of 3+ characters; shorter ones fall back to
/// LIKE) and its gram index (one or two Chinese characters), PostgreSQL's LIKE is served by
/// the pg_trgm index.
pub fn search_condition(backend: Backend, terms: &[String], binds: &mut Vec<Bind>) -> String {
    let mut sql = String::new();
    match backend {
        Backend::Sqlite => {
            let fts = FtsTerms::of(terms);
            for (table, phrases) in [("product_search", &fts.words), ("product_grams", &fts.grams)] {
                if let Some(m) = phrases {
                    binds.push(Bind::Text(m.clone()));
                    let _ = write!(sql, " AND p.id IN (SELECT rowid FROM {table} WHERE {table} MATCH ${})", binds.len());
                }
            }
            like_conditions(&fts.short, binds, &mut sql);
        }
        Backend::Postgres => {
            for term in terms {
                if is_short_cjk(term) {
                    binds.push(Bind::Text(term.clone()));
                    let _ = write!(sql, " AND string_to_array(p.search_grams, ' ') @> ARRAY[CAST(${} AS TEXT)]", binds.len());
                } else {
                    like_conditions(std::slice::from_ref(term), binds, &mut sql);
                }
            }
        }
    }
    sql
}

fn like_conditions(terms: &[String], binds: &mut Vec<Bind>, sql: &mut String) {
    for term in terms {
        binds.push(Bind::Text(format!("%{}%", like_escape(term))));
        let _ = write!(sql, " AND p.search_text LIKE ${} ESCAPE '\\'", binds.len());
    }
}

/// Search terms as SQLite's full-text tables take them: one MATCH expression per table, each
/// term a quoted phrase, all of them required. FTS5 intersects the terms itself, where a list
/// of matching ids was built for each term and checked row by row.
struct FtsTerms {
    /// Terms of three or more characters, for the trigram index (`product_search`).
    words: Option<String>,
    /// One or two Chinese characters, for the gram index (`product_grams`).
    grams: Option<String>,
    /// The rest (one or two Latin characters): a LIKE on the search text.
    short: Vec<String>,
}

impl FtsTerms {
    fn of(terms: &[String]) -> FtsTerms {
        let phrase = |t: &String| format!("\"{}\"", t.replace('"', "\"\""));
        let join = |ts: Vec<&String>| (!ts.is_empty()).then(|| ts.into_iter().map(phrase).collect::<Vec<_>>().join(" "));
        let grams = terms.iter().filter(|t| is_short_cjk(t)).collect();
        let words = terms.iter().filter(|t| !is_short_cjk(t) && t.chars().count() >= 3).collect();
        let short = terms.iter().filter(|t| !is_short_cjk(t) && t.chars().count() < 3).cloned().collect();
        FtsTerms { words: join(words), grams: join(grams), short }
    }
}

/// Where a catalog search reads its products from, with the conditions that go with it.
struct Source {
    from: &'static str,
    filter: String,
    binds: Vec<Bind>,
}

impl Source {
    /// Every listed product in the listing order, each term a condition: right for a search
    /// whose matches are many, as a page fills after a few rows. (On PostgreSQL always: its
    /// planner weighs the index against the trigram index.)
    fn listing(backend: Backend, terms: &[String]) -> Source {
        let mut binds = Vec::new();
        let filter = format!(" WHERE p.state = 'listed'{}", search_condition(backend, terms, &mut binds));
        Source { from: "products p", filter, binds }
    }

    /// SQLite: the products a full-text table matches, looked up one by one. Right for the
    /// capped count and for a search of few matches, which then never walks the catalog:
    /// the listing walk read all 100,000 products to find none for a word nobody sells.
    /// SQLite's planner cannot tell how many rows a full-text table will give, so the
    /// CROSS JOIN fixes the order. `None` without a term for either table.
    fn matches(terms: &[String]) -> Option<Source> {
        let fts = FtsTerms::of(terms);
        let (from, driver, other) = match (&fts.words, &fts.grams) {
            (Some(w), g) => ("product_search CROSS JOIN products p ON p.id = product_search.rowid", ("product_search", w), g.as_ref().map(|g| ("product_grams", g))),
            (None, Some(g)) => ("product_grams CROSS JOIN products p ON p.id = product_grams.rowid", ("product_grams", g), None),
            (None, None) => return None,
        };
        let mut binds = vec![Bind::Text(driver.1.clone())];
        let mut filter = format!(" WHERE {} MATCH $1 AND p.state = 'listed'", driver.0);
        if let Some((table, m)) = other {
            binds.push(Bind::Text(m.clone()));
            let _ = write!(filter, " AND p.id IN (SELECT rowid FROM {table} WHERE {table} MATCH ${})", binds.len());
        }
        like_conditions(&fts.short, &mut binds, &mut filter);
        Some(Source { from, filter, binds })
    }

    /// SQLite, a tag and no term: the products with the tag, through the tag's index. The
    /// listing walk read 23,000 products to count the 1,001 of a common tag.
    fn tagged(query: &CatalogQuery) -> Option<Source> {
        let tag = query.tag.trim().to_lowercase();
        (!tag.is_empty()).then(|| Source {
            from: "product_tags tagged CROSS JOIN products p ON p.id = tagged.product_id",
            filter: " WHERE tagged.tag = $1 AND p.state = 'listed'".into(),
            binds: vec![Bind::Text(tag)],
        })
    }

    /// The catalog's other filters, the same for either source.
    fn narrow(&mut self, categories: &[i64], query: &CatalogQuery) -> AppResult<()> {
        if !categories.is_empty() {
            let marks: Vec<String> = categories
                .iter()
                .map(|id| {
                    self.binds.push(Bind::Int(*id));
                    format!("${}", self.binds.len())
                })
                .collect();
            let _ = write!(self.filter, " AND p.category_id IN ({})", marks.join(", "));
        }
        let tag = query.tag.trim().to_lowercase();
        if !tag.is_empty() {
            self.binds.push(Bind::Text(tag));
            let _ = write!(self.filter, " AND EXISTS (SELECT 1 FROM product_tags t WHERE t.product_id = p.id AND t.tag = ${})", self.binds.len());
        }
        if !query.min_price.trim().is_empty() {
            self.binds.push(Bind::Int(parse_money("min_price", &query.min_price)?));
            let _ = write!(self.filter, " AND p.min_price >= ${}", self.binds.len());
        }
        if !query.max_price.trim().is_empty() {
            self.binds.push(Bind::Int(parse_money("max_price", &query.max_price)?));
            let _ = write!(self.filter, " AND p.min_price <= ${}", self.binds.len());
        }
        Ok(())
    }

    /// The filter and its values with `extra` (a condition on `$N`) added.
    fn and(&self, extra: Option<(&str, Bind)>) -> (String, Vec<Bind>) {
        let (mut filter, mut binds) = (self.filter.clone(), self.binds.clone());
        if let Some((cond, bind)) = extra {
            binds.push(bind);
            filter.push_str(&cond.replace("$N", &format!("${}", binds.len())));
        }
        (filter, binds)
    }

    /// How many products match, up to `cap` (a count past it costs reading them all).
    async fn count(&self, db: &Db, extra: Option<(&str, Bind)>, cap: i64) -> AppResult<i64> {
        let (filter, binds) = self.and(extra);
        let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {}{filter} LIMIT {cap}) t", self.from);
        let (n,): (i64,) = bind_all_as(sqlx::query_as(&sql), &binds).fetch_one(db.pool()).await?;
        Ok(n)
    }
}

/// The customer catalog: listed products only.
pub async fn search_catalog(db: &Db, query: &CatalogQuery) -> AppResult<CatalogPage> {
    let terms = search_terms(&query.q);
    let within = match query.category {
        Some(cat) => with_descendants(&categories(db).await?, cat),
        None => Vec::new(),
    };
    let mut listing = Source::listing(db.backend, &terms);
    listing.narrow(&within, query)?;
    let mut matches = match db.backend {
        Backend::Sqlite => Source::matches(&terms).or_else(|| Source::tagged(query)),
        Backend::Postgres => None,
    };
    if let Some(m) = matches.as_mut() {
        m.narrow(&within, query)?;
    }
    let counted = matches.as_ref().unwrap_or(&listing).count(db, None, CATALOG_COUNT_LIMIT + 1).await?;
    let (total, more) = (counted.min(CATALOG_COUNT_LIMIT), counted > CATALOG_COUNT_LIMIT);
    // Few matches: sort them. Many: walk the listing order until the page is full.
    let source = match matches {
        Some(m) if !more => m,
        _ if db.backend == Backend::Sqlite && more && matches!(query.sort, CatalogSort::Relevance | CatalogSort::Newest) => {
            // SQLite keeps no statistics here, so it takes a price range or a category for
            // selective and sorts all of their products (86 ms for a category and a price range
            // that hold 9 % of 100,000), where the listing order fills the page after a few
            // hundred rows (2 ms). More than the count's cap match, so the walk is short.
            Source { from: "products p INDEXED BY products_by_listing", ..listing }
        }
        _ => listing,
    };
    let pages = ((total + CATALOG_PAGE_SIZE - 1) / CATALOG_PAGE_SIZE).max(1);
    let page = query.page.clamp(1, pages);
    let offset = (page - 1) * CATALOG_PAGE_SIZE;
    let order = match query.sort {
        CatalogSort::Relevance | CatalogSort::Newest => "p.listed_at DESC, p.id DESC",
        CatalogSort::PriceAsc => "p.min_price ASC, p.id ASC",
        CatalogSort::PriceDesc => "p.min_price DESC, p.id DESC",
    };
    // One page of matches with `extra` added to the filter, newest (or by price) first.
    let fetch = |extra: Option<(&'static str, Bind)>, limit: i64, offset: i64| {
        let (filter, mut binds) = source.and(extra);
        binds.push(Bind::Int(limit));
        binds.push(Bind::Int(offset));
        let sql = format!(
            "SELECT p.id, p.title, c.name, p.tags, p.min_price, \
             CAST(COALESCE((SELECT SUM(l.on_hand - l.reserved) FROM skus s JOIN stock_levels l ON l.sku_id = s.id \
               JOIN warehouses w ON w.id = l.warehouse_id WHERE s.product_id = p.id AND w.active = 1), 0) AS BIGINT) \
             FROM {} LEFT JOIN categories c ON c.id = p.category_id{filter} ORDER BY {order} LIMIT ${} OFFSET ${}",
            source.from,
            binds.len() - 1,
            binds.len()
        );
        async move {
            let rows: Vec<(i64, String, Option<String>, String, i64, i64)> = bind_all_as(sqlx::query_as(&sql), &binds).fetch_all(db.pool()).await?;
            Ok::<_, AppError>(rows)
        }
    };
    let rows = match (query.sort, terms.first()) {
        // Relevance: products whose title has the first term come first, newest first within
        // each group. Two limited queries along the listing order instead of ranking and
        // sorting every match (a broad word matches thousands of products).
        (CatalogSort::Relevance, Some(first)) => {
            let pattern = Bind::Text(format!("%{}%", like_escape(first)));
            let in_title = " AND lower(p.title) LIKE $N ESCAPE '\\'";
            let not_in_title = " AND NOT (lower(p.title) LIKE $N ESCAPE '\\')";
            let mut rows = fetch(Some((in_title, pattern.clone())), CATALOG_PAGE_SIZE, offset).await?;
            if (rows.len() as i64) < CATALOG_PAGE_SIZE {
                // The page runs past the title matches: count them (up to this page) to know
                // where the others start.
                let in_title_count = source.count(db, Some((in_title, pattern.clone())), offset + CATALOG_PAGE_SIZE).await?;
                let rest = fetch(Some((not_in_title, pattern)), CATALOG_PAGE_SIZE - rows.len() as i64, (offset - in_title_count).max(0)).await?;
                rows.extend(rest);
            }
            rows
        }
        _ => fetch(None, CATALOG_PAGE_SIZE, offset).await?,
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let promos = promo_minimums(db, &ids).await?;
    let mut thumbs: HashMap<i64, String> = HashMap::new();
    for image in super::image_service::images_of(db, &ids).await? {
        thumbs.entry(image.product_id).or_insert(image.thumb_url);
    }
    let items = rows
        .into_iter()
        .map(|r| CatalogItem {
            promo_price: promos.get(&r.0).copied(),
            thumb_url: thumbs.remove(&r.0),
            id: r.0,
            title: r.1,
            category: r.2,
            tags: split_tags(&r.3),
            min_price: r.4,
            available: r.5,
        })
        .collect();
    Ok(CatalogPage { items, total, more, page, pages })
}

/// A listed product's public page; anything not listed is "not found" to customers.
pub async fn catalog_product(db: &Db, id: i64) -> AppResult<CatalogProduct> {
    let p = get(db, id).await?;
    if p.state != LISTED.id {
        return Err(AppError::NotFound);
    }
    let ids: Vec<i64> = p.skus.iter().map(|s| s.id).collect();
    let promos = super::pricing::active_promos(db, &ids, now_millis()).await?;
    Ok(CatalogProduct {
        images: super::image_service::images_of(db, &[p.id]).await?,
        id: p.id,
        title: p.title,
        description: p.description,
        category: p.category,
        tags: p.tags,
        skus: p
            .skus
            .into_iter()
            .map(|s| CatalogSku {
                promo_price: promos.get(&s.id).map(|p| p.0),
                promo_ends_at: promos.get(&s.id).map(|p| p.1),
                code: s.code,
                attributes: s.attributes,
                price: s.price,
                in_stock: s.available > 0,
            })
            .collect(),
    })
}

/// The lowest promotional price running now per product, for one page of the catalog.
async fn promo_minimums(db: &Db, product_ids: &[i64]) -> AppResult<HashMap<i64, i64>> {
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Ids come from the database, never from input.
    let ids = product_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT s.product_id, MIN(pp.price) FROM promo_prices pp JOIN skus s ON s.id = pp.sku_id \
         WHERE s.product_id IN ({ids}) AND {} GROUP BY s.product_id",
        super::pricing::running_promo("pp", "$1")
    ))
    .bind(now_millis())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().collect())
}

/// Tags in use on listed products, most used first, for the catalog's filter.
pub async fn catalog_tags(db: &Db) -> AppResult<Vec<String>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.tag, COUNT(*) FROM product_tags t JOIN products p ON p.id = t.product_id WHERE p.state = 'listed' \
         GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag LIMIT 40",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
