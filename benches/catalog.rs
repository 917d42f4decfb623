//! Products and inventory benchmarks (issue #3), each figure beside its baseline:
//! - catalog search latency (p50, p99) over 100,000 listed products, Chinese and English
//!   queries, filters and sorting, vs a primary-key lookup in the same database;
//! - reservations/s with 32 concurrent tasks on one hot SKU and spread over 10,000 SKUs, vs
//!   bare single-row insert transactions, and the units oversold when they compete for the
//!   last stock (must be 0);
//! - CSV import rows/s (10,000 products of two SKUs, read, checked and written as drafts), vs
//!   the same number of single-row INSERTs in one transaction;
//! on SQLite and on PostgreSQL.
//! Run: `cargo bench --features ssr --bench catalog`.

mod common;

use common::{open, percentile_ms, rate, row, Lcg};
use shopflow::catalog::{bulk_service as bulk, service as catalog, CatalogQuery, CatalogSort};
use shopflow::domain::AppError;
use shopflow::inventory::service as inventory;
use shopflow::server::{demo, Db};
use std::time::{Duration, Instant};

const PRODUCTS: usize = 100_000;
const STOCKED_SKUS: usize = 10_000;
const TASKS: usize = 32;
const SECONDS: u64 = 4;
const CMD: &str = "cargo bench --features ssr --bench catalog";

const EN: &[&str] = &[
    "tea", "green", "black", "oolong", "white", "jasmine", "cup", "teapot", "gift", "box", "spring", "harvest", "premium",
    "organic", "loose", "leaf", "ceramic", "glass", "bamboo", "tray", "kettle", "infuser", "smoky", "floral", "roasted",
];
const ZH: &[&str] = &[
    "绿茶", "红茶", "乌龙", "白茶", "花茶", "茶杯", "茶壶", "礼盒", "明前", "高山", "有机", "散装", "陶瓷", "玻璃", "竹制", "茶盘",
    "龙井", "普洱", "铁观音", "碧螺春", "大红袍", "金骏眉", "茉莉", "滇红",
];

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("shopflow-bench-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let backends = common::Backends::new(&dir, "catalog").await;
    let mut rows = Vec::new();
    for (name, url) in &backends.list {
        let db = open(url).await;
        demo::seed(&db).await.unwrap();
        let started = Instant::now();
        bulk_products(&db, PRODUCTS).await;
        eprintln!("{name}: {PRODUCTS} products loaded in {:.1} s", started.elapsed().as_secs_f64());

        let (p50, p99, lookup) = search_latency(&db).await;
        let baseline = format!("{lookup:.2} ms primary-key lookup (p50)");
        rows.push(row(&format!("catalog search p50, 100,000 products, {name}"), p50, "ms", &baseline, "—", CMD));
        rows.push(row(&format!("catalog search p99, 100,000 products, {name}"), p99, "ms", &baseline, "p99 < 50 ms", CMD));

        let bare = common::bare_insert_rate(&db, TASKS, SECONDS).await;
        let bare = format!("{bare:.0} bare single-row insert tx/s");
        let goal = if *name == "SQLite" { "≥ 1,500/s" } else { "—" };
        let hot = reservation_rate(&db, |_| "BENCH-HOT".to_string()).await;
        rows.push(row(&format!("reservations, 32 tasks, one hot SKU, {name}"), hot, "reservations/s", &bare, goal, CMD));
        let spread = reservation_rate(&db, |n| format!("B{:06}", n % STOCKED_SKUS as u64)).await;
        rows.push(row(&format!("reservations, 32 tasks, 10,000 SKUs, {name}"), spread, "reservations/s", &bare, goal, CMD));
        let (import, inserts) = import_rate(&db).await;
        let baseline = format!("{inserts:.0} single-row INSERTs/s in one transaction");
        rows.push(row(&format!("CSV import, 20,000 rows (10,000 products), {name}"), import, "rows/s", &baseline, "≥ 20,000 rows/s", CMD));
        let oversold = oversell(&db).await;
        rows.push(row(&format!("units oversold, 32 tasks racing for the last 1,000 units, {name}"), oversold as f64, "units", "1,000 units in stock", "0", CMD));
        assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty(), "ledger and balances agree");
        db.close().await;
    }
    backends.drop_postgres().await;
    if std::env::var("SHOPFLOW_BENCH_KEEP").is_ok() {
        eprintln!("kept the SQLite database in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    common::print_table(&rows);
}

/// Listed products with one SKU each, written in bulk (the services' per-product path is
/// measured elsewhere; this is the data set). The first 10,000 SKUs get 1,000,000 units in
/// stock through one receipt movement each, so the ledger stays consistent.
async fn bulk_products(db: &Db, n: usize) {
    let mut rng = Lcg(42);
    let (user,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = 'specialist@shopflow.test'").fetch_one(db.pool()).await.unwrap();
    let (wh,): (i64,) = sqlx::query_as("SELECT id FROM warehouses WHERE code = 'SH'").fetch_one(db.pool()).await.unwrap();
    let (category,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM categories").fetch_one(db.pool()).await.unwrap();
    let sqlite = db.backend == shopflow::server::db::Backend::Sqlite;
    let base = 1_000_000usize;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut products = Vec::new();
        let mut skus = Vec::new();
        let mut search = Vec::new();
        let mut grams_rows = Vec::new();
        let mut tag_rows = Vec::new();
        for &i in chunk {
            let id = base + i;
            let title = format!("{} {} {}{} {i}", rng.pick(EN), rng.pick(EN), rng.pick(ZH), rng.pick(ZH));
            let description: Vec<&str> = (0..10).map(|k| if k % 2 == 0 { *rng.pick(EN) } else { *rng.pick(ZH) }).collect();
            let description = description.join(" ");
            let tags = format!("{},{}", rng.pick(EN), rng.pick(ZH));
            let code = format!("B{i:06}");
            let price = 500 + (rng.next() % 50_000) as i64;
            let text = format!("{title} \n{description} \n{code} \n{}", tags.replace(',', " \n")).to_lowercase();
            let cat = if i % 3 == 0 { "NULL".to_string() } else { category.to_string() };
            let grams = shopflow::catalog::cjk_grams(&text);
            products.push(format!(
                "({id}, '{title}', '{description}', {cat}, '{tags}', 0, {price}, '{text}', '{grams}', 'listed', 1, {user}, {id}, {id}, {id}, {id})"
            ));
            for t in tags.split(',') {
                tag_rows.push(format!("({id}, '{t}')"));
            }
            skus.push(format!("({id}, {id}, '{code}', '', {price}, {}, 0, 0)", price / 2));
            if sqlite {
                search.push(format!("({id}, '{text}')"));
                grams_rows.push(format!("({id}, '{grams}')"));
            }
        }
        let mut sql = format!(
            "INSERT INTO products (id, title, description, category_id, tags, estimated_stock, min_price, search_text, search_grams, state, version, \
             created_by, created_at, updated_at, state_since, listed_at) VALUES {};\n\
             INSERT INTO skus (id, product_id, code, attributes, price, cost, reorder_point, created_at) VALUES {};\n\
             INSERT INTO product_tags (product_id, tag) VALUES {} ON CONFLICT DO NOTHING;\n",
            products.join(", "),
            skus.join(", "),
            tag_rows.join(", ")
        );
        if sqlite {
            sql.push_str(&format!("INSERT INTO product_search (rowid, body) VALUES {};\n", search.join(", ")));
            sql.push_str(&format!("INSERT INTO product_grams (rowid, grams) VALUES {};\n", grams_rows.join(", ")));
        }
        let mut tx = db.begin().await.unwrap();
        sqlx::raw_sql(&sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    // Stock: the first 10,000 SKUs and one hot SKU.
    let mut tx = db.begin().await.unwrap();
    sqlx::raw_sql(&format!(
        "INSERT INTO products (id, title, description, tags, estimated_stock, min_price, search_text, state, version, created_by, \
         created_at, updated_at, state_since) VALUES (999999, 'Hot', 'Hot', '', 0, 100, 'hot', 'listed', 1, {user}, 0, 0, 0);\n\
         INSERT INTO skus (id, product_id, code, attributes, price, cost, reorder_point, created_at) VALUES (999999, 999999, 'BENCH-HOT', '', 100, 50, 0, 0);\n\
         INSERT INTO stock_levels (sku_id, warehouse_id, on_hand, reserved) SELECT id, {wh}, 1000000, 0 FROM skus WHERE id = 999999 OR (id >= {base} AND id < {});\n\
         INSERT INTO stock_movements (sku_id, warehouse_id, kind, quantity, on_hand_delta, reserved_delta, reference, reason, at) \
         SELECT id, {wh}, 'receipt', 1000000, 1000000, 0, 'bench', 'bench stock', 0 FROM skus WHERE id = 999999 OR (id >= {base} AND id < {});",
        base + STOCKED_SKUS,
        base + STOCKED_SKUS
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    if !sqlite {
        sqlx::raw_sql("ANALYZE").execute(db.writer()).await.unwrap();
    }
}

/// Runs a fixed mix of shop searches (English and Chinese words, two-word queries, SKU
/// codes, category and price filters, sorting, a deep page) several times; returns p50 and
/// p99 in ms, and the p50 of a primary-key lookup as the baseline.
async fn search_latency(db: &Db) -> (f64, f64, f64) {
    let (tea,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM categories").fetch_one(db.pool()).await.unwrap();
    let q = |text: &str| CatalogQuery { q: text.into(), ..Default::default() };
    let queries = vec![
        q("oolong"),
        q("jasmine gift"),
        q("龙井"),
        q("铁观音"),
        q("茶杯 ceramic"),
        q("b012345"),
        q("premium 有机 tea"),
        q("nothing-like-this"),
        CatalogQuery { q: "green".into(), sort: CatalogSort::PriceAsc, ..Default::default() },
        CatalogQuery { category: Some(tea), min_price: "50".into(), max_price: "120".into(), ..Default::default() },
        CatalogQuery { tag: "gift".into(), sort: CatalogSort::Newest, ..Default::default() },
        CatalogQuery { page: 200, ..Default::default() },
        CatalogQuery { q: "红茶".into(), category: Some(tea), sort: CatalogSort::PriceDesc, page: 3, ..Default::default() },
    ];
    // Warm the caches once, then measure.
    for query in &queries {
        catalog::search_catalog(db, query).await.unwrap();
    }
    let mut samples = Vec::new();
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
    for _ in 0..20 {
        for (n, query) in queries.iter().enumerate() {
            let t = Instant::now();
            let page = catalog::search_catalog(db, query).await.unwrap();
            samples.push(t.elapsed());
            per_query[n].push(t.elapsed());
            std::hint::black_box(page);
        }
    }
    // Which queries make the tail: printed beside the table, not part of it.
    for (query, times) in queries.iter().zip(per_query.iter_mut()) {
        eprintln!("  search {:?} cat={:?} tag={:?} page={} sort={:?}: p50 {:.1} ms, max {:.1} ms",
            query.q, query.category, query.tag, query.page, query.sort, percentile_ms(times, 0.5), percentile_ms(times, 1.0));
    }
    let mut lookups: Vec<Duration> = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        let _: Option<(String,)> =
            sqlx::query_as("SELECT title FROM products WHERE id = $1").bind(1_000_000 + i * 97).fetch_optional(db.pool()).await.unwrap();
        lookups.push(t.elapsed());
    }
    (percentile_ms(&mut samples, 0.5), percentile_ms(&mut samples, 0.99), percentile_ms(&mut lookups, 0.5))
}

/// Imports 10,000 products of two SKUs each from CSV (reading, checking against the catalog,
/// writing drafts with their audit events); rows/s, and the rate of the same number of bare
/// single-row INSERTs in one transaction as the baseline.
async fn import_rate(db: &Db) -> (f64, f64) {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = 'specialist@shopflow.test'").fetch_one(db.pool()).await.unwrap();
    let actor = shopflow::accounts::service::load_actor(db, id).await.unwrap().unwrap();
    let mut file = String::from("handle,title,description,category,tags,sku,variant,price,cost\n");
    for i in 0..10_000 {
        let word = EN[i % EN.len()];
        let zh = ZH[i % ZH.len()];
        file.push_str(&format!("imp{i},Imported {word} tea {zh} {i},A {word} tea from the import,Tea 茶叶 / Green tea 绿茶,{word}|import,IMP-{i}-A,100 g,{}.00,20\n", 30 + i % 200));
        file.push_str(&format!("imp{i},,,,,IMP-{i}-B,250 g,{}.50,45\n", 60 + i % 300));
    }
    let started = Instant::now();
    let (job, planned) = bulk::start_import(db, &actor, "bench.csv", &file).await.unwrap();
    let read = started.elapsed().as_secs_f64();
    bulk::run_import(db, &actor, &shopflow::catalog::PricePolicy::default(), job, planned).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    // Where the time goes, beside the table: reading and checking the file, then writing.
    eprintln!("  CSV import: read and checked in {read:.2} s, written in {:.2} s", secs - read);
    let done = bulk::import_job(db, job).await.unwrap();
    assert_eq!((done.imported_products, done.bad_rows.len()), (10_000, 0), "every product imported");
    sqlx::raw_sql("CREATE TABLE bench_import_rows (id BIGINT PRIMARY KEY, code TEXT NOT NULL, price BIGINT NOT NULL)").execute(db.writer()).await.unwrap();
    let started = Instant::now();
    let mut tx = db.begin().await.unwrap();
    for i in 0..20_000i64 {
        sqlx::query("INSERT INTO bench_import_rows (id, code, price) VALUES ($1, $2, $3)").bind(i).bind(format!("R{i}")).bind(i).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let inserts = 20_000.0 / started.elapsed().as_secs_f64();
    sqlx::raw_sql("DROP TABLE bench_import_rows").execute(db.writer()).await.unwrap();
    (20_000.0 / secs, inserts)
}

/// Reservations of one unit per call, from 32 tasks, for `sku(n)` (n counts each task's calls).
async fn reservation_rate(db: &Db, sku: fn(u64) -> String) -> f64 {
    rate(TASKS, SECONDS, |i, deadline| {
        let db = db.clone();
        async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let code = sku(n * TASKS as u64 + i as u64);
                inventory::reserve(&db, None, &code, 1, None, "bench").await.unwrap();
                n += 1;
            }
            n
        }
    })
    .await
}

/// 32 tasks reserve one unit at a time from a SKU with 1,000 units until refused; returns
/// how many more units were granted than existed.
async fn oversell(db: &Db) -> i64 {
    sqlx::raw_sql(
        "INSERT INTO skus (id, product_id, code, attributes, price, cost, reorder_point, created_at) VALUES (999998, 999999, 'BENCH-LAST', '', 100, 50, 0, 0);",
    )
    .execute(db.writer())
    .await
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    let (wh,): (i64,) = sqlx::query_as("SELECT id FROM warehouses WHERE code = 'GZ'").fetch_one(&mut *tx).await.unwrap();
    inventory::move_stock(&mut tx, 999_998, wh, shopflow::inventory::MovementKind::Receipt, 1000, "bench", "bench", None).await.unwrap();
    tx.commit().await.unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut granted = 0i64;
                loop {
                    match inventory::reserve(&db, None, "BENCH-LAST", 1, None, "race").await {
                        Ok(_) => granted += 1,
                        Err(AppError::Conflict(_)) => return granted,
                        Err(e) => panic!("{e:?}"),
                    }
                }
            })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        granted += t.await.unwrap();
    }
    granted - 1000
}
