//! CSV import and export of products, on both backends: good rows become drafts, bad rows
//! are reported with their reason and leave nothing behind, an unusable file changes nothing,
//! and an export imports back.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::catalog::bulk::DONE;
use shopflow::catalog::bulk_service as bulk;
use shopflow::catalog::service as catalog;
use shopflow::domain::AppError;
use shopflow::server::Db;

const HEADER: &str = "handle,title,description,category,tags,estimated_stock,sku,variant,price,cost,reorder_point";

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).fetch_one(db.pool()).await.unwrap().0
}

on_both_backends!(an_import_writes_good_products_as_drafts_and_reports_bad_rows, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let file = format!(
        "{HEADER}\n\
         bh,\"Baihao Yinzhen, silver needle 白毫银针\",Buds from Fuding,Tea 茶叶 / Green tea 绿茶,white|gift,30,BH-50,50 g,168.00,80,5\n\
         bh,,,,,,BH-100,100 g,318,150,5\n\
         dh,Dian Hong,Golden buds,tea 茶叶/black TEA 红茶,,,DH-1,,0,10,\n\
         xx,Unknown category,Beans,Coffee,,,XX-1,,10,,\n\
         lj,Taken SKU,Tins,,,,LJ-100G,,10,,\n\
         short,row\n\
         pu,Pu'er cake,,,,,PU-357,357 g,-5,,\n"
    );
    let (products_before, skus_before) = (count(&db, "SELECT COUNT(*) FROM products").await, count(&db, "SELECT COUNT(*) FROM skus").await);
    let (job, planned) = bulk::start_import(&db, &specialist, "teas.csv", &file).await.unwrap();
    assert_eq!(planned.len(), 1, "only the white tea is good");
    let running = bulk::import_job(&db, job).await.unwrap();
    assert_eq!((running.state.as_str(), running.total_rows), ("running", 7));
    bulk::run_import(&db, specialist.id, job, planned).await.unwrap();
    let done = bulk::import_job(&db, job).await.unwrap();
    assert_eq!((done.state.as_str(), done.done_rows, done.imported_products, done.percent()), (DONE, 7, 1, 100));
    let why: Vec<_> = done.bad_rows.iter().map(|b| (b.line, b.field.as_str(), b.message.as_str())).collect();
    assert_eq!(
        why,
        [
            (4, "price", "must be greater than zero"),
            (5, "category", "unknown category"),
            (6, "sku", "this SKU code is already in the catalog"),
            (7, "file", "2 cells where the header has 11"),
            (8, "description", "required"),
        ]
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products").await, products_before + 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM skus").await, skus_before + 2);
    // The product is a draft with everything the rows said, audited as created by the import.
    let rows = catalog::list(&db, "draft", "baihao").await.unwrap();
    assert_eq!(rows.len(), 1);
    let d = catalog::detail(&db, &specialist, rows[0].id).await.unwrap();
    assert_eq!(d.product.title, "Baihao Yinzhen, silver needle 白毫银针");
    assert_eq!(d.product.tags, ["white", "gift"]);
    assert_eq!(d.product.category.as_deref(), Some("Tea 茶叶 / Green tea 绿茶"));
    assert_eq!(d.product.skus.iter().map(|s| (s.code.as_str(), s.price, s.cost)).collect::<Vec<_>>(), [("BH-50", 16_800, 8_000), ("BH-100", 31_800, 15_000)]);
    assert_eq!(d.events[0].action, "create");
    assert!(d.events[0].payload.contains(&format!("\"import\":\"{job}\"")), "{}", d.events[0].payload);
    // The same file again: everything good is now taken.
    let (_, again) = bulk::start_import(&db, &specialist, "teas.csv", &file).await.unwrap();
    assert!(again.is_empty());
});

on_both_backends!(an_unusable_file_is_refused_and_records_nothing, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let customer = demo_actor(&db, "customer@shopflow.test").await;
    for (file, says) in [
        ("", "empty"),
        ("title,description,sku,price\nA,a,A-1,1\n", "\"handle\" is missing"),
        ("handle,title,description,sku,price,colour\na,A,a,A-1,1,red\n", "unknown column \"colour\""),
        (&*format!("{HEADER}\n"), "no rows"),
    ] {
        let err = bulk::start_import(&db, &specialist, "bad.csv", file).await.unwrap_err();
        let message = err.field_message("file").unwrap_or_else(|| panic!("{err:?}"));
        assert!(message.contains(says), "{message}");
    }
    let huge = "x".repeat(33 << 20);
    assert!(bulk::start_import(&db, &specialist, "huge.csv", &huge).await.unwrap_err().field_message("file").unwrap().contains("32 MB"));
    assert_eq!(bulk::start_import(&db, &customer, "a.csv", &format!("{HEADER}\na,A,a,,,,A-1,,1,,\n")).await.unwrap_err(), AppError::Forbidden);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM import_jobs").await, 0);
});

on_both_backends!(an_export_imports_back, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let exported = bulk::export_csv(&db, "").await.unwrap();
    let listed = bulk::export_csv(&db, "listed").await.unwrap();
    assert!(listed.lines().count() < exported.lines().count());
    // Give every SKU a new code (the old ones are taken) and import the file back.
    let mut reader = csv::Reader::from_reader(exported.as_bytes());
    let header = reader.headers().unwrap().clone();
    let sku = header.iter().position(|h| h == "sku").unwrap();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let cells: Vec<String> = record.iter().enumerate().map(|(i, c)| if i == sku { format!("RT-{c}") } else { c.to_string() }).collect();
        out.write_record(&cells).unwrap();
        rows += 1;
    }
    let file = String::from_utf8(out.into_inner().unwrap()).unwrap();
    let products = count(&db, "SELECT COUNT(*) FROM products").await;
    let (job, planned) = bulk::start_import(&db, &specialist, "roundtrip.csv", &file).await.unwrap();
    bulk::run_import(&db, specialist.id, job, planned).await.unwrap();
    let done = bulk::import_job(&db, job).await.unwrap();
    assert!(done.bad_rows.is_empty(), "{:?}", done.bad_rows);
    assert_eq!(done.done_rows, rows);
    assert_eq!(done.imported_products, products, "every product came back");
    // Same titles and prices, under the new codes.
    let again = bulk::export_csv(&db, "draft").await.unwrap();
    assert!(again.contains("RT-LJ-100G,100 g tin,128.00,61.00,20"), "{again}");
});

on_both_backends!(an_import_whose_server_stopped_is_reported_interrupted, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let insert = |age_ms: i64| {
        let db = db.clone();
        async move {
            let at = shopflow::domain::now_millis() - age_ms;
            sqlx::query_as::<_, (i64,)>(
                "INSERT INTO import_jobs (kind, file_name, state, total_rows, done_rows, imported_products, bad_rows, created_by, created_at, heartbeat_at) \
                 VALUES ('products', 'x.csv', 'running', 500, 250, 100, '[]', $1, $2, $2) RETURNING id",
            )
            .bind(specialist.id)
            .bind(at)
            .fetch_one(db.pool())
            .await
            .unwrap()
            .0
        }
    };
    let (stalled, alive) = (insert(bulk::IMPORT_STALE_MS + 60_000).await, insert(1_000).await);
    assert_eq!(bulk::fail_abandoned_imports(&db, bulk::IMPORT_STALE_MS).await.unwrap(), 1);
    let job = bulk::import_job(&db, stalled).await.unwrap();
    assert_eq!(job.state, "failed");
    assert!(job.error.unwrap().starts_with("interrupted"));
    assert_eq!(job.imported_products, 100, "what was saved stays counted");
    assert_eq!(bulk::import_job(&db, alive).await.unwrap().state, "running", "a job with a recent heartbeat is left alone");
    assert_eq!(bulk::fail_abandoned_imports(&db, bulk::IMPORT_STALE_MS).await.unwrap(), 0);
});
