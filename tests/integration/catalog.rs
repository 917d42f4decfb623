//! Products: the listing workflow, draft edits, the category tree and the catalog search,
//! on both backends.

use crate::on_both_backends;
use crate::support::{app, demo_actor, Client};
use shopflow::catalog::{service, CatalogQuery, CatalogSort, ProductInput, SkuInput};
use shopflow::domain::AppError;
use shopflow::server::demo::{self, DEMO_PASSWORD};
use shopflow::server::Db;
use std::collections::HashMap;

fn sku(code: &str, price: &str) -> SkuInput {
    SkuInput { code: code.into(), attributes: "".into(), price: price.into(), cost: "10".into(), reorder_point: "3".into() }
}

fn input(title: &str, description: &str, tags: &str, skus: Vec<SkuInput>) -> ProductInput {
    ProductInput { title: title.into(), description: description.into(), category_id: None, tags: tags.into(), estimated_stock: "5".into(), skus }
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn ids(db: &Db, q: &str) -> Vec<i64> {
    let page = service::search_catalog(db, &CatalogQuery { q: q.into(), ..Default::default() }).await.unwrap();
    page.items.iter().map(|i| i.id).collect()
}

on_both_backends!(a_product_is_drafted_reviewed_returned_fixed_and_listed, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let pm = demo_actor(&db, "pm@shopflow.test").await;
    let t = service::create(&db, &specialist, &input("Jasmine pearls 茉莉龙珠", "Hand-rolled", "green tea", vec![sku("JAS-50", "66")]))
        .await
        .unwrap();
    assert_eq!(t.state, "draft");
    assert!(ids(&db, "jasmine").await.is_empty(), "a draft is not in the catalog");
    assert_eq!(service::catalog_product(&db, t.id).await, Err(AppError::NotFound));

    // The specialist cannot approve; the manager can only act once it is submitted.
    assert_eq!(service::act(&db, &pm, t.id, t.version, "approve", &HashMap::new()).await.unwrap_err(),
        AppError::InvalidTransition { action: "approve".into(), state: "draft".into() });
    let t = service::act(&db, &specialist, t.id, t.version, "submit", &HashMap::new()).await.unwrap();
    assert_eq!(service::act(&db, &specialist, t.id, t.version, "approve", &HashMap::new()).await.unwrap_err(), AppError::Forbidden);
    // Returning needs reasons.
    let err = service::act(&db, &pm, t.id, t.version, "return", &HashMap::new()).await.unwrap_err();
    assert_eq!(err.field_message("reasons").as_deref(), Some("required"));
    let t = service::act(&db, &pm, t.id, t.version, "return", &form(&[("reasons", "Add the weight")])).await.unwrap();
    assert_eq!(t.state, "returned");
    let returned = service::get(&db, t.id).await.unwrap();
    assert_eq!(returned.review_note.as_deref(), Some("Add the weight"));

    // The specialist edits the returned draft; a stale version is refused.
    let fixed = input("Jasmine pearls 茉莉龙珠 50 g", "Hand-rolled, 50 g", "green tea, 花茶", vec![sku("JAS-50", "66"), sku("JAS-100", "120")]);
    assert_eq!(service::update(&db, &specialist, t.id, t.version - 1, &fixed).await, Err(AppError::StaleVersion));
    let v = service::update(&db, &specialist, t.id, t.version, &fixed).await.unwrap();
    let t = service::act(&db, &specialist, t.id, v, "resubmit", &form(&[("comment", "weight added")])).await.unwrap();
    let t = service::act(&db, &pm, t.id, t.version, "approve", &HashMap::new()).await.unwrap();
    assert_eq!(t.state, "listed");
    let p = service::get(&db, t.id).await.unwrap();
    assert_eq!(p.review_note, None);
    assert_eq!(p.skus.len(), 2);
    assert_eq!(p.min_price, 6600);

    // Listed: in the catalog, no longer editable.
    assert_eq!(ids(&db, "jasmine").await, vec![t.id]);
    assert_eq!(ids(&db, "茉莉").await, vec![t.id], "two Chinese characters match too");
    assert_eq!(ids(&db, "jas-100").await, vec![t.id], "SKU codes are searched");
    assert!(matches!(service::update(&db, &specialist, t.id, t.version, &fixed).await, Err(AppError::InvalidTransition { .. })));
    let public = service::catalog_product(&db, t.id).await.unwrap();
    assert_eq!(public.skus.len(), 2);

    // Delisted: gone from the catalog; relisted: back.
    let t = service::act(&db, &pm, t.id, t.version, "delist", &form(&[("reason", "supplier paused")])).await.unwrap();
    assert!(ids(&db, "jasmine").await.is_empty());
    let t = service::act(&db, &pm, t.id, t.version, "relist", &HashMap::new()).await.unwrap();
    assert_eq!(ids(&db, "jasmine").await, vec![t.id]);

    // Every step is in the audit trail, the edit included.
    let events = shopflow::engine::run::history(&db, "listing", t.id).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "submit", "return", "edit", "resubmit", "approve", "delist", "relist"]);
});

on_both_backends!(bad_product_input_changes_nothing, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let (before,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM products").fetch_one(db.pool()).await.unwrap();
    let bad = [
        (input("Tea", "d", "", vec![sku("T-1", "0")]), "skus"),
        (input("Tea", "d", "", vec![sku("T-1", "-5")]), "skus"),
        (input("Tea", "d", "", vec![]), "skus"),
        (input("", "d", "", vec![sku("T-1", "5")]), "title"),
        (input("Tea", "d", "", vec![sku("LJ-100G", "5")]), "skus"), // a demo product's SKU
    ];
    for (p, field) in bad {
        let err = service::create(&db, &specialist, &p).await.unwrap_err();
        assert!(err.field_message(field).is_some(), "{p:?}: {err:?}");
    }
    let mut with_category = input("Tea", "d", "", vec![sku("T-9", "5")]);
    with_category.category_id = Some(999_999);
    assert!(service::create(&db, &specialist, &with_category).await.unwrap_err().field_message("category_id").is_some());
    let (after,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM products").fetch_one(db.pool()).await.unwrap();
    assert_eq!(before, after, "no half-written product");
    let (orphans,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM skus WHERE code IN ('T-1', 'T-9')").fetch_one(db.pool()).await.unwrap();
    assert_eq!(orphans, 0);
});

on_both_backends!(the_catalog_searches_filters_sorts_and_pages, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let pm = demo_actor(&db, "pm@shopflow.test").await;
    let tree = service::categories(&db).await.unwrap();
    let tea = tree.iter().find(|c| c.name.starts_with("Tea ")).unwrap().id;
    let green = tree.iter().find(|c| c.name.starts_with("Green")).unwrap().id;
    // 30 more listed products, so that there are two pages.
    for i in 0..30 {
        let mut p = input(&format!("Sample tea {i:02}"), "sampler 试饮装", "sample", vec![sku(&format!("SMP-{i:02}"), &format!("{}.50", 10 + i))]);
        p.category_id = Some(green);
        let t = service::create(&db, &specialist, &p).await.unwrap();
        let t = service::act(&db, &specialist, t.id, t.version, "submit", &HashMap::new()).await.unwrap();
        service::act(&db, &pm, t.id, t.version, "approve", &HashMap::new()).await.unwrap();
    }
    let q = |f: &dyn Fn(&mut CatalogQuery)| {
        let mut q = CatalogQuery::default();
        f(&mut q);
        q
    };
    let all = service::search_catalog(&db, &q(&|_| {})).await.unwrap();
    assert_eq!(all.total, 33, "3 listed demo products + 30; drafts, returned and in-review ones are not listed");
    assert_eq!((all.items.len(), all.pages), (24, 2));
    let second = service::search_catalog(&db, &q(&|q| q.page = 2)).await.unwrap();
    assert_eq!(second.items.len(), 9);
    let past_end = service::search_catalog(&db, &q(&|q| q.page = 99)).await.unwrap();
    assert_eq!(past_end.page, 2, "a page past the end shows the last page");

    let samples = service::search_catalog(&db, &q(&|q| q.q = "试饮".into())).await.unwrap();
    assert_eq!(samples.total, 30);
    let one = service::search_catalog(&db, &q(&|q| q.q = "sample tea 07".into())).await.unwrap();
    assert_eq!(one.items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), ["Sample tea 07"]);
    // Category filters include sub-categories: Tea holds Green and Black.
    let in_tea = service::search_catalog(&db, &q(&|q| q.category = Some(tea))).await.unwrap();
    assert_eq!(in_tea.total, 32);
    let tagged = service::search_catalog(&db, &q(&|q| q.tag = "GIFT".into())).await.unwrap();
    assert_eq!(tagged.total, 2);
    let cheap = service::search_catalog(&db, &q(&|q| { q.min_price = "10".into(); q.max_price = "12.50".into(); })).await.unwrap();
    assert_eq!(cheap.total, 3, "10.50, 11.50, 12.50");
    let by_price = service::search_catalog(&db, &q(&|q| q.sort = CatalogSort::PriceDesc)).await.unwrap();
    assert!(by_price.items.windows(2).all(|w| w[0].min_price >= w[1].min_price));
    assert_eq!(by_price.items[0].min_price, 12800, "Longjing from 128.00");
    // Wildcards in the query are text, not patterns.
    assert_eq!(service::search_catalog(&db, &q(&|q| q.q = "%".into())).await.unwrap().total, 0);
    assert_eq!(service::search_catalog(&db, &q(&|q| q.q = "zz_nothing".into())).await.unwrap().total, 0);
    let bad = service::search_catalog(&db, &q(&|q| q.min_price = "cheap".into())).await.unwrap_err();
    assert!(bad.field_message("min_price").is_some());
    // In stock: the demo received Longjing.
    let lj = service::search_catalog(&db, &q(&|q| q.q = "longjing".into())).await.unwrap();
    assert!(lj.items[0].available > 0);
});

on_both_backends!(categories_form_a_tree_with_unique_sibling_names, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let pm = demo_actor(&db, "pm@shopflow.test").await;
    let root = service::create_category(&db, &pm, "Snacks", None).await.unwrap();
    let child = service::create_category(&db, &pm, "Nuts", Some(root)).await.unwrap();
    assert!(service::create_category(&db, &pm, "snacks", None).await.unwrap_err().field_message("name").is_some());
    assert!(service::create_category(&db, &pm, "Nuts", None).await.is_ok(), "same name under another parent is fine");
    assert!(service::create_category(&db, &pm, "X", Some(999_999)).await.unwrap_err().field_message("parent").is_some());
    service::rename_category(&db, &pm, child, "Nuts 坚果").await.unwrap();
    let tree = service::categories(&db).await.unwrap();
    assert!(tree.iter().any(|c| c.path == "Snacks / Nuts 坚果" && c.depth == 1));
});

on_both_backends!(the_catalog_is_public_and_product_pages_are_not, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let app = app(&db);
    let mut visitor = Client::new(&app);
    let page = visitor.get("/catalog?q=longjing").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("West Lake Longjing"), "listed product shown");
    let drafts = visitor.get("/catalog?q=dian").await;
    assert!(!drafts.body.contains("Dian Hong"), "a draft is never shown");
    let (draft_id,): (i64,) = sqlx::query_as("SELECT id FROM products WHERE state = 'draft'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(visitor.get(&format!("/catalog/{draft_id}")).await.status, 404);
    assert_eq!(visitor.form("/api/catalog_product", &format!("id={draft_id}")).await.status, 404);
    assert!(visitor.get("/products").await.status.is_redirection());
    let mut customer = Client::new(&app);
    customer.login("customer@shopflow.test", DEMO_PASSWORD).await;
    assert_eq!(customer.get(&format!("/products/{draft_id}")).await.status, 403);
    assert_eq!(customer.form("/api/get_product", &format!("id={draft_id}")).await.status, 403);
});

on_both_backends!(relevance_puts_title_matches_first_across_pages, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let pm = demo_actor(&db, "pm@shopflow.test").await;
    let list = |title: String, description: &'static str, code: String| {
        let (db, specialist, pm) = (db.clone(), specialist.clone(), pm.clone());
        async move {
            let t = service::create(&db, &specialist, &input(&title, description, "", vec![sku(&code, "20")])).await.unwrap();
            let t = service::act(&db, &specialist, t.id, t.version, "submit", &HashMap::new()).await.unwrap();
            service::act(&db, &pm, t.id, t.version, "approve", &HashMap::new()).await.unwrap().id
        }
    };
    // Title matches listed first, so that by date alone the description matches would lead.
    let mut in_title = Vec::new();
    for i in 0..20 {
        in_title.push(list(format!("Zhulan tea {i}"), "Orchid scented", format!("ZT-{i}")).await);
    }
    let mut in_text = Vec::new();
    for i in 0..15 {
        in_text.push(list(format!("Plain tea {i}"), "Zhulan orchid scented", format!("PT-{i}")).await);
    }
    let query = |page: i64| CatalogQuery { q: "zhulan".into(), page, ..Default::default() };
    let first = service::search_catalog(&db, &query(1)).await.unwrap();
    let second = service::search_catalog(&db, &query(2)).await.unwrap();
    assert_eq!((first.total, first.pages), (35, 2));
    let first: Vec<i64> = first.items.iter().map(|i| i.id).collect();
    let second: Vec<i64> = second.items.iter().map(|i| i.id).collect();
    assert_eq!(first.len(), 24);
    assert_eq!(second.len(), 11);
    // Title matches first, newest first; then the others, newest first; nothing twice.
    let mut expected: Vec<i64> = in_title.iter().rev().copied().collect();
    expected.extend(in_text.iter().rev());
    assert_eq!([first, second].concat(), expected);
});

on_both_backends!(a_broad_search_pages_through_the_listing_order_and_a_narrow_one_sorts_its_matches, async |db: Db| {
    use shopflow::catalog::bulk_service as bulk;
    use shopflow::catalog::{PricePolicy, CATALOG_COUNT_LIMIT};
    demo::seed(&db).await.unwrap();
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    // 1,010 products that all match "broad": on SQLite more than the count's cap, so the page
    // walks the listing order; half have the word in the title. Imported, then listed in
    // import order (newest last) straight in the table, which is all the search reads.
    let mut file = String::from("handle,title,description,category,tags,estimated_stock,sku,variant,price,cost,reorder_point\n");
    for i in 0..1010 {
        let (title, text) = if i % 2 == 0 { (format!("Broad leaf {i}"), "Hand rolled") } else { (format!("Leaf {i}"), "A broad leaf") };
        // Every product has the tag "bulk" (past the cap), every third also "third" (337).
        let tags = if i % 3 == 0 { "bulk|third" } else { "bulk" };
        file.push_str(&format!("h{i},{title},{text},,{tags},5,BRD-{i},,20,10,3\n"));
    }
    let (job, planned) = bulk::start_import(&db, &specialist, "broad.csv", &file).await.unwrap();
    bulk::run_import(&db, &specialist, &PricePolicy::default(), job, planned).await.unwrap();
    sqlx::query("UPDATE products SET state = 'listed', listed_at = id WHERE title LIKE 'Broad leaf %' OR title LIKE 'Leaf %'").execute(db.writer()).await.unwrap();
    let newest_first = |title_match: bool| {
        let db = db.clone();
        async move {
            let rows: Vec<(i64,)> = sqlx::query_as(&format!(
                "SELECT id FROM products WHERE title LIKE '{}' ORDER BY id DESC",
                if title_match { "Broad leaf %" } else { "Leaf %" }
            ))
            .fetch_all(db.pool())
            .await
            .unwrap();
            rows.into_iter().map(|r| r.0).collect::<Vec<i64>>()
        }
    };
    let (in_title, in_text) = (newest_first(true).await, newest_first(false).await);
    assert_eq!((in_title.len(), in_text.len()), (505, 505));
    let search = |q: &'static str, page: i64| {
        let db = db.clone();
        async move { service::search_catalog(&db, &CatalogQuery { q: q.into(), page, ..Default::default() }).await.unwrap() }
    };
    let first = search("broad", 1).await;
    assert_eq!((first.total, first.more), (CATALOG_COUNT_LIMIT, true));
    assert_eq!(first.items.iter().map(|i| i.id).collect::<Vec<_>>(), in_title[..24]);
    // Page 22 holds the last title match, then the newest of the others.
    let page = search("broad", 22).await;
    let mut expected = vec![in_title[504]];
    expected.extend(&in_text[..23]);
    assert_eq!(page.items.iter().map(|i| i.id).collect::<Vec<_>>(), expected);
    // Two words, both required, with few matches (numbers 100 and 1000–1009, every one with
    // "leaf" in its title): an exact count, newest first.
    let few = search("leaf 100", 1).await;
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, title FROM products WHERE title LIKE 'Broad leaf %' OR title LIKE 'Leaf %' ORDER BY id DESC")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let want: Vec<i64> = rows.into_iter().filter(|(_, t)| t.rsplit(' ').next().is_some_and(|n| n.contains("100"))).map(|r| r.0).collect();
    assert_eq!(want.len(), 11);
    assert_eq!((few.total, few.more), (11, false));
    assert_eq!(few.items.iter().map(|i| i.id).collect::<Vec<_>>(), want);
    assert_eq!(search("broad nowhere-sold", 1).await.total, 0);

    // A tag alone: on SQLite counted through the tag's index. Past the cap the page walks the
    // listing order; below it the tagged products are sorted.
    let tagged = |tag: &'static str, page: i64, sort: CatalogSort| {
        let db = db.clone();
        async move { service::search_catalog(&db, &CatalogQuery { tag: tag.into(), page, sort, ..Default::default() }).await.unwrap() }
    };
    let all: Vec<i64> = {
        let mut ids = [in_title.clone(), in_text.clone()].concat();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    };
    let bulk = tagged("Bulk", 2, CatalogSort::Newest).await;
    assert_eq!((bulk.total, bulk.more), (CATALOG_COUNT_LIMIT, true));
    assert_eq!(bulk.items.iter().map(|i| i.id).collect::<Vec<_>>(), all[24..48]);
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT p.id FROM products p JOIN product_tags t ON t.product_id = p.id WHERE t.tag = 'third' ORDER BY p.id DESC")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let thirds: Vec<i64> = rows.into_iter().map(|r| r.0).collect();
    assert_eq!(thirds.len(), 337);
    let third = tagged("third", 14, CatalogSort::Newest).await;
    assert_eq!((third.total, third.more, third.pages), (337, false, 15));
    assert_eq!(third.items.iter().map(|i| i.id).collect::<Vec<_>>(), thirds[312..336]);
    // With a term and a price range too; a product not listed is not found by its tag.
    let both = service::search_catalog(&db, &CatalogQuery { q: "leaf".into(), tag: "third".into(), max_price: "20.00".into(), ..Default::default() }).await.unwrap();
    assert_eq!(both.total, 337);
    sqlx::query("UPDATE products SET state = 'draft' WHERE id = $1").bind(thirds[0]).execute(db.writer()).await.unwrap();
    let after = tagged("third", 1, CatalogSort::PriceAsc).await;
    assert_eq!(after.total, 336);
    assert!(!after.items.iter().any(|i| i.id == thirds[0]));
    assert_eq!(tagged("third", 1, CatalogSort::Newest).await.total, 336);
    assert_eq!(tagged("no-such-tag", 1, CatalogSort::Newest).await.total, 0);
});
