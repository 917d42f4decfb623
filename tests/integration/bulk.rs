//! CSV import and export of products, on both backends: good rows become drafts, bad rows
//! are reported with their reason and leave nothing behind, an unusable file changes nothing,
//! an export imports back, rows of known SKUs update their products by the catalog's rules,
//! and imports of several chunks write every product exactly once and report every bad row,
//! also when two chunks are written at once (PostgreSQL).

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::accounts::Actor;
use shopflow::catalog::bulk::{BadRow, ImportJob, DONE, NOT_EDITABLE};
use shopflow::catalog::bulk_service as bulk;
use shopflow::catalog::service as catalog;
use shopflow::catalog::PricePolicy;
use shopflow::domain::AppError;
use shopflow::server::Db;

const HEADER: &str = "handle,title,description,category,tags,estimated_stock,sku,variant,price,cost,reorder_point";

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).fetch_one(db.pool()).await.unwrap().0
}

/// Starts and runs an import to its end; the finished job.
async fn import(db: &Db, actor: &Actor, file: &str) -> ImportJob {
    let (job, planned) = bulk::start_import(db, actor, "f.csv", file).await.unwrap();
    bulk::run_import(db, actor, &PricePolicy::default(), job, planned).await.unwrap();
    let done = bulk::import_job(db, job).await.unwrap();
    assert_eq!((done.state.as_str(), done.done_rows), (DONE, done.total_rows));
    done
}

async fn price_of(db: &Db, code: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT price FROM skus WHERE code = $1").bind(code).fetch_one(db.pool()).await.unwrap().0
}

on_both_backends!(an_import_writes_good_products_as_drafts_and_reports_bad_rows, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let file = format!(
        "{HEADER}\n\
         bh,\"Baihao Yinzhen, silver needle 白毫银针\",\"Buds from Fuding, \"\"first flush\"\" \\ grade 1\",Tea 茶叶 / Green tea 绿茶,white|gift,30,BH-50,50 g,168.00,80,5\n\
         bh,,,,,,BH-100,100 g,318,150,5\n\
         dh,Dian Hong,Golden buds,tea 茶叶/black TEA 红茶,,,DH-1,,0,10,\n\
         xx,Unknown category,Beans,Coffee,,,XX-1,,10,,\n\
         lj,Taken SKU,Tins,,,,LJ-100G,,10,,\n\
         short,row\n\
         pu,Pu'er cake,,,,,PU-357,357 g,-5,,\n"
    );
    let (products_before, skus_before) = (count(&db, "SELECT COUNT(*) FROM products").await, count(&db, "SELECT COUNT(*) FROM skus").await);
    let (job, planned) = bulk::start_import(&db, &specialist, "teas.csv", &file).await.unwrap();
    assert_eq!(planned.len(), 2, "the white tea, and the row of a listed product's SKU, decided when written");
    let running = bulk::import_job(&db, job).await.unwrap();
    assert_eq!((running.state.as_str(), running.total_rows), ("running", 7));
    bulk::run_import(&db, &specialist, &PricePolicy::default(), job, planned).await.unwrap();
    let done = bulk::import_job(&db, job).await.unwrap();
    assert_eq!((done.state.as_str(), done.done_rows, done.imported_products, done.percent()), (DONE, 7, 1, 100));
    let why: Vec<_> = done.bad_rows.iter().map(|b| (b.line, b.field.as_str(), b.message.as_str())).collect();
    assert_eq!(
        why,
        [
            (4, "price", "must be greater than zero"),
            (5, "category", "unknown category"),
            (6, "title", NOT_EDITABLE),
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
    // Quotes and backslashes arrive as written, on PostgreSQL through the JSON the rows are sent as.
    assert_eq!(d.product.description, "Buds from Fuding, \"first flush\" \\ grade 1");
    assert_eq!(d.product.tags, ["white", "gift"]);
    assert_eq!(d.product.category.as_deref(), Some("Tea 茶叶 / Green tea 绿茶"));
    assert_eq!(d.product.skus.iter().map(|s| (s.code.as_str(), s.price, s.cost)).collect::<Vec<_>>(), [("BH-50", 16_800, 8_000), ("BH-100", 31_800, 15_000)]);
    assert_eq!(d.events[0].action, "create");
    assert!(d.events[0].payload.contains(&format!("\"import\":\"{job}\"")), "{}", d.events[0].payload);
    assert_eq!((done.updated_products, done.unchanged_products), (0, 0));
    // The same file again: the white tea is there as the file says, the rest still bad.
    let again = import(&db, &specialist, &file).await;
    assert_eq!((again.imported_products, again.updated_products, again.unchanged_products, again.bad_rows.len()), (0, 0, 1, 5));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products").await, products_before + 1);
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
    // As it is, the export finds every product as it says.
    let products = count(&db, "SELECT COUNT(*) FROM products").await;
    let same = import(&db, &specialist, &exported).await;
    assert!(same.bad_rows.is_empty(), "{:?}", same.bad_rows);
    assert_eq!((same.imported_products, same.updated_products, same.unchanged_products), (0, 0, products));
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
    bulk::run_import(&db, &specialist, &PricePolicy::default(), job, planned).await.unwrap();
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
            .fetch_one(db.writer())
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

// The columns category, tags and estimated_stock are absent: they keep their values.
const UPDATE_HEADER: &str = "handle,title,description,sku,variant,price,cost,reorder_point";

on_both_backends!(rows_of_known_skus_update_their_products_by_the_rules_of_an_edit, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let dh = catalog::list(&db, "draft", "golden bud").await.unwrap()[0].id;
    let before = catalog::detail(&db, &specialist, dh).await.unwrap().product;
    let products = count(&db, "SELECT COUNT(*) FROM products").await;
    let file = format!(
        "{UPDATE_HEADER}\n\
         dh,Dian Hong golden bud 滇红金芽 (2026),Yunnan black tea of golden buds. 云南滇红。,DH-GOLD-100,100 g,125.00,52.00,10\n\
         dh,,,DH-GOLD-250,250 g,280.00,120.00,4\n\
         pot,Glass teapot 玻璃茶壶,Heat-resistant borosilicate glass.,POT-GL-600,600 ml,69.00,75.00,5\n\
         lj,West Lake Longjing green tea 西湖龙井,\"Pre-Qingming spring harvest from Hangzhou, pan-fired by hand. 明前春茶，手工炒制，豆香浓郁。\",LJ-100G,100 g tin,140.00,61.00,20\n"
    );
    let done = import(&db, &specialist, &file).await;
    assert!(done.bad_rows.is_empty(), "{:?}", done.bad_rows);
    assert_eq!((done.imported_products, done.updated_products, done.unchanged_products), (0, 2, 1));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products").await, products);
    // The draft: new title, description, price and SKU; its category and tags kept; still a
    // draft, one version on, audited as an edit by the import.
    let d = catalog::detail(&db, &specialist, dh).await.unwrap();
    assert_eq!(d.product.title, "Dian Hong golden bud 滇红金芽 (2026)");
    assert_eq!((d.product.state.as_str(), d.product.version), ("draft", before.version + 1));
    assert_eq!((d.product.category_id, d.product.tags.clone()), (before.category_id, before.tags.clone()));
    assert_eq!(
        d.product.skus.iter().map(|s| (s.code.as_str(), s.price, s.cost, s.reorder_point)).collect::<Vec<_>>(),
        [("DH-GOLD-100", 12_500, 5_200, 10), ("DH-GOLD-250", 28_000, 12_000, 4)]
    );
    assert_eq!(d.product.min_price, 12_500);
    let edit = d.events.last().unwrap();
    assert_eq!((edit.action.as_str(), edit.actor_id), ("edit", Some(specialist.id)));
    assert!(edit.payload.contains(&format!("\"import\":\"{}\"", done.id)), "{}", edit.payload);
    // The returned teapot said what it is: untouched.
    let pot = catalog::list(&db, "returned", "teapot").await.unwrap()[0].clone();
    assert_eq!(pot.version, catalog::detail(&db, &specialist, pot.id).await.unwrap().product.version);
    assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM audit_events WHERE entity = 'listing' AND entity_id = {} AND action = 'edit'", pot.id)).await, 0);
    // The listed Longjing: a price change within the limit (128 → 140, +9 %) applies as on
    // the price page, with its history and audit event; its other SKU keeps its price.
    assert_eq!((price_of(&db, "LJ-100G").await, price_of(&db, "LJ-250G").await), (14_000, 29_800));
    let reason = format!("CSV import #{}", done.id);
    let history: (i64, i64, String) = sqlx::query_as(
        "SELECT h.old_price, h.new_price, h.reason FROM price_history h JOIN skus s ON s.id = h.sku_id WHERE s.code = 'LJ-100G' ORDER BY h.id DESC",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(history, (12_800, 14_000, reason));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_events WHERE entity = 'sku' AND action = 'price' AND payload LIKE '%LJ-100G%'").await, 1);
    let lj = catalog::list(&db, "listed", "longjing").await.unwrap()[0].clone();
    assert_eq!(lj.min_price, 14_000);
});

on_both_backends!(rows_the_catalog_rules_refuse_are_reported_and_change_nothing, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let approvals = count(&db, "SELECT COUNT(*) FROM price_approvals").await;
    let history = count(&db, "SELECT COUNT(*) FROM price_history").await;
    let tgy = catalog::list(&db, "submitted", "tieguanyin").await.unwrap()[0].clone();
    let file = format!(
        "{UPDATE_HEADER}\n\
         tgy,Tieguanyin oolong 安溪铁观音 NEW,\"Lightly roasted oolong from Anxi, Fujian. 福建安溪，轻焙火。\",TGY-250G,250 g,158.00,72.00,10\n\
         lj,West Lake Longjing green tea 西湖龙井,\"Pre-Qingming spring harvest from Hangzhou, pan-fired by hand. 明前春茶，手工炒制，豆香浓郁。\",LJ-100G,100 g tin,200.00,61.00,20\n\
         qm,Keemun black tea 祁门红茶,\"Classic Anhui black tea with a honeyed, floral aroma. 安徽祁门，蜜香花香。\",QM-200G,200 g bag,30.00,38.00,15\n\
         cup,Celadon tea cup 青瓷茶杯,\"Longquan celadon, 80 ml, hand-thrown. 龙泉青瓷手工茶杯，容量 80 毫升。\",CUP-CEL-80,80 ml,45.00,18.00,30\n\
         cup,,,CUP-NEW-1,,10.00,,\n"
    );
    let done = import(&db, &specialist, &file).await;
    assert_eq!((done.imported_products, done.updated_products, done.unchanged_products), (0, 0, 0));
    let why: Vec<_> = done.bad_rows.iter().map(|b| (b.line, b.field.as_str(), b.message.clone())).collect();
    assert_eq!(why[0], (2, "title", NOT_EDITABLE.to_string()));
    assert_eq!((why[1].0, why[1].1), (3, "price"));
    assert!(why[1].2.contains("more than 20 %") && why[1].2.contains("approval"), "{why:?}");
    assert_eq!((why[2].0, why[2].1), (4, "price"));
    assert!(why[2].2.contains("under cost"), "{why:?}");
    assert_eq!((why[3].0, why[3].1), (5, "handle"));
    assert_eq!((why[4].0, why[4].1, why[4].2.as_str()), (6, "sku", NOT_EDITABLE));
    assert_eq!(why.len(), 5);
    // Nothing moved: the product under review, the prices, no approval requested behind the
    // user's back, no SKU added to a listed product.
    let after = catalog::detail(&db, &specialist, tgy.id).await.unwrap().product;
    assert_eq!((after.title.as_str(), after.version), ("Tieguanyin oolong 安溪铁观音", tgy.version));
    assert_eq!((price_of(&db, "LJ-100G").await, price_of(&db, "QM-200G").await), (12_800, 8_600));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM price_approvals").await, approvals);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM price_history").await, history);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM skus WHERE code = 'CUP-NEW-1'").await, 0);
    // Without the price-change permission, even a small change is refused.
    let mut no_price = specialist.clone();
    no_price.permissions.retain(|p| *p != shopflow::domain::Permission::PriceChange);
    let small = format!(
        "{UPDATE_HEADER}\nlj,West Lake Longjing green tea 西湖龙井,\"Pre-Qingming spring harvest from Hangzhou, pan-fired by hand. 明前春茶，手工炒制，豆香浓郁。\",LJ-100G,100 g tin,130.00,61.00,20\n"
    );
    let done = import(&db, &no_price, &small).await;
    assert_eq!(done.bad_rows.iter().map(|b| (b.line, b.field.as_str())).collect::<Vec<_>>(), [(2, "price")]);
    assert_eq!(price_of(&db, "LJ-100G").await, 12_800);
});

/// `n` products of two SKUs each, codes `{prefix}-{i}-A` and `-B`; `bad(i)` spoils product i's
/// second row (a price of zero).
fn many(prefix: &str, n: usize, bad: impl Fn(usize) -> bool) -> String {
    let mut file = String::from("handle,title,description,category,tags,sku,variant,price,cost\n");
    for i in 0..n {
        file.push_str(&format!("{prefix}{i},Bulk tea {i} 茶 {i},Tea number {i},,bulk|t{},{prefix}-{i}-A,100 g,{}.00,5\n", i % 7, 10 + i % 90));
        let price = if bad(i) { "0".to_string() } else { format!("{}.50", 20 + i % 50) };
        file.push_str(&format!("{prefix}{i},,,,,{prefix}-{i}-B,250 g,{price},9\n"));
    }
    file
}

on_both_backends!(an_import_of_several_chunks_writes_every_product_exactly_once, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let (products, skus) = (count(&db, "SELECT COUNT(*) FROM products").await, count(&db, "SELECT COUNT(*) FROM skus").await);
    // 4,200 rows: more than two chunks.
    let file = many("CH", 2_100, |_| false);
    let done = import(&db, &specialist, &file).await;
    assert!(done.bad_rows.is_empty(), "{:?}", &done.bad_rows[..done.bad_rows.len().min(3)]);
    assert_eq!((done.total_rows, done.imported_products), (4_200, 2_100));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products").await, products + 2_100);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM skus").await, skus + 4_200);
    assert_eq!(count(&db, "SELECT COUNT(DISTINCT product_id) FROM skus WHERE code LIKE 'CH-%'").await, 2_100);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products WHERE title LIKE 'Bulk tea %' AND state = 'draft' AND version = 1").await, 2_100);
    let created = format!("SELECT COUNT(*) FROM audit_events WHERE entity = 'listing' AND action = 'create' AND payload LIKE '%\"import\":\"{}\"%'", done.id);
    assert_eq!(count(&db, &created).await, 2_100, "one audit event per product");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM product_tags WHERE tag = 'bulk'").await, 2_100);
    // Each product is whole and found by search under its own words.
    let hit = catalog::list(&db, "draft", "Bulk tea 1999").await.unwrap();
    assert!(hit.iter().any(|r| r.title == "Bulk tea 1999 茶 1999" && r.skus == 2 && r.min_price == 2_900), "{hit:?}");
    // The same file again (an interrupted import run once more): nothing written twice.
    let again = import(&db, &specialist, &file).await;
    assert_eq!((again.imported_products, again.updated_products, again.unchanged_products), (0, 0, 2_100));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM skus").await, skus + 4_200);
    // New ids keep coming after the import's: a product created by hand gets a fresh one.
    let max: i64 = count(&db, "SELECT MAX(id) FROM products").await;
    let input = shopflow::catalog::ProductInput {
        title: "After the import".into(),
        description: "d".into(),
        skus: vec![shopflow::catalog::SkuInput { code: "AFTER-1".into(), price: "1".into(), ..Default::default() }],
        ..Default::default()
    };
    assert!(catalog::create(&db, &specialist, &input).await.unwrap().id > max);
});

on_both_backends!(bad_rows_in_the_middle_of_a_chunk_keep_the_good_rows_around_them, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let products = count(&db, "SELECT COUNT(*) FROM products").await;
    // Product 500 has a bad row (found when planning); product 700 names a listed product's
    // SKU with other content (found when its chunk is written).
    let file = many("MID", 1_000, |i| i == 500).replace("MID-700-B,", "LJ-250G,");
    let done = import(&db, &specialist, &file).await;
    assert_eq!(done.imported_products, 998);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products").await, products + 998);
    let why: Vec<_> = done.bad_rows.iter().map(|b| (b.line, b.field.as_str())).collect();
    // Product i is on lines 2i+2 and 2i+3.
    assert_eq!(why, [(1_002, "handle"), (1_003, "price"), (1_402, "title"), (1_403, "handle")]);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM skus WHERE code IN ('MID-499-B', 'MID-501-A', 'MID-699-B', 'MID-701-A')").await, 4);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM skus WHERE code IN ('MID-500-A', 'MID-700-A')").await, 0);
    assert_eq!(price_of(&db, "LJ-250G").await, 29_800);
});

on_both_backends!(bad_rows_found_in_chunks_written_at_once_are_all_reported, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let products = count(&db, "SELECT COUNT(*) FROM products").await;
    // Three chunks; on PostgreSQL the first two are written at once. Products 300 (first
    // chunk) and 1,300 (second) each name a SKU of the listed Longjing with other content,
    // which is found as each chunk is written, and goes into the one report both add to.
    let file = many("TWO", 2_100, |_| false).replace("TWO-300-B,", "LJ-250G,").replace("TWO-1300-B,", "LJ-100G,");
    let done = import(&db, &specialist, &file).await;
    assert_eq!((done.total_rows, done.done_rows, done.imported_products), (4_200, 4_200, 2_098));
    let why: Vec<_> = done.bad_rows.iter().map(|b| (b.line, b.field.as_str())).collect();
    assert_eq!(why, [(602, "title"), (603, "handle"), (2_602, "title"), (2_603, "handle")]);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM products").await, products + 2_098);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM skus WHERE code IN ('TWO-300-A', 'TWO-1300-A')").await, 0);
    assert_eq!((price_of(&db, "LJ-250G").await, price_of(&db, "LJ-100G").await), (29_800, 12_800));
});

/// On PostgreSQL two chunks are written at once, and each may add rows to the job's one
/// report. The second to read the report waits for the first to commit and keeps its rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_added_to_a_report_at_once_keep_each_others() {
    let Some(t) = crate::support::TestDb::postgres().await else { return };
    let db = t.db.clone();
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let (job, _) = bulk::start_import(&db, &specialist, "f.csv", &many("R", 1, |_| false)).await.unwrap();
    let bad = |line| BadRow { line, handle: "h".into(), sku: "s".into(), field: "file".into(), message: "m".into() };
    let mut first = db.begin().await.unwrap();
    bulk::add_to_report(&mut first, db.backend, job, vec![bad(20)]).await.unwrap();
    let second = tokio::spawn({
        let db = db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            bulk::add_to_report(&mut tx, db.backend, job, vec![bad(10)]).await.unwrap();
            tx.commit().await.unwrap();
        }
    });
    // The second reads the report meanwhile, or waits to.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.commit().await.unwrap();
    second.await.unwrap();
    let report = bulk::import_job(&db, job).await.unwrap().bad_rows;
    assert_eq!(report.iter().map(|b| b.line).collect::<Vec<_>>(), [10, 20]);
}
