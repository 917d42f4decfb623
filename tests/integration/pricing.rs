//! Prices: small changes apply with history, large or loss-making ones wait for a second
//! person, abnormal prices raise an alert, promotions run in their window — on both backends.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::alerts::{service as alerts, AlertFilter};
use shopflow::catalog::{pricing, service as catalog, PriceOutcome, PricePolicy};
use shopflow::domain::AppError;
use shopflow::server::demo;
use shopflow::server::Db;
use std::collections::HashMap;

async fn sku(db: &Db, code: &str) -> (i64, i64) {
    sqlx::query_as("SELECT id, price FROM skus WHERE code = $1").bind(code).fetch_one(db.pool()).await.unwrap()
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M").to_string()
}

on_both_backends!(prices_change_with_history_approval_and_alerts, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let policy = PricePolicy::default();
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let pm = demo_actor(&db, "pm@shopflow.test").await;
    let ops = demo_actor(&db, "ops@shopflow.test").await;
    // QM-200G: 86.00, cost 38.00, listed.
    let (id, price) = sku(&db, "QM-200G").await;
    assert_eq!(price, 8600);
    // Within 20 %: applies at once, with history and the product's lowest price updated.
    assert_eq!(pricing::change_price(&db, &specialist, &policy, id, "92.00", "supplier price up").await, Ok(PriceOutcome::Applied));
    assert_eq!(sku(&db, "QM-200G").await.1, 9200);
    let product = catalog::get(&db, sqlx::query_as::<_, (i64,)>("SELECT product_id FROM skus WHERE id = $1").bind(id).fetch_one(db.pool()).await.unwrap().0).await.unwrap();
    assert_eq!(product.min_price, 9200);
    // Bad input changes nothing.
    for (text, reason) in [("0", "r"), ("-5", "r"), ("abc", "r"), ("92.00", "r"), ("95", " ")] {
        assert!(pricing::change_price(&db, &specialist, &policy, id, text, reason).await.is_err(), "{text} {reason:?}");
    }
    assert_eq!(pricing::change_price(&db, &ops, &policy, id, "93", "x").await, Err(AppError::Forbidden), "ops has no price permission");
    assert_eq!(sku(&db, "QM-200G").await.1, 9200);
    // Beyond the limit: waits; a second request for the same SKU is refused while it waits.
    let Ok(PriceOutcome::AwaitingApproval(approval)) = pricing::change_price(&db, &specialist, &policy, id, "150", "premium repack").await else {
        panic!("needs approval")
    };
    assert_eq!(sku(&db, "QM-200G").await.1, 9200, "not applied yet");
    assert!(matches!(pricing::change_price(&db, &specialist, &policy, id, "30", "clearance").await, Err(AppError::Conflict(_))));
    let queue = pricing::approvals(&db, "").await.unwrap();
    let a = queue.iter().find(|a| a.id == approval).unwrap();
    assert_eq!((a.why.as_str(), a.new_price), ("beyond_limit", 15000));
    // The specialist cannot approve; the manager can.
    assert_eq!(pricing::act_on_approval(&db, &specialist, &policy, approval, 1, "approve", &HashMap::new()).await.unwrap_err(), AppError::Forbidden);
    pricing::act_on_approval(&db, &pm, &policy, approval, 1, "approve", &form(&[("comment", "ok, repack is worth it")])).await.unwrap();
    assert_eq!(sku(&db, "QM-200G").await.1, 15000);
    // 150 is +63 % over the recent 92: a price alert for the managers, not for the warehouse.
    let pm_alerts = alerts::list(&db, &pm, &AlertFilter::default()).await.unwrap();
    assert!(pm_alerts.iter().any(|a| a.kind == "price" && a.subject == format!("price:{id}")), "{pm_alerts:?}");
    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    assert!(alerts::list(&db, &wh, &AlertFilter::default()).await.unwrap().iter().all(|a| a.kind != "price"));
    let history = pricing::product_pricing(&db, product.id).await.unwrap().history;
    assert_eq!(history.iter().map(|h| h.new_price).collect::<Vec<_>>(), [15000, 9200]);
    assert_eq!(history[0].approved_by.as_deref(), Some("Pei Ming (product manager)"));

    // Under cost needs approval even when small; a manager cannot approve their own request.
    let Ok(PriceOutcome::AwaitingApproval(own)) = pricing::change_price(&db, &pm, &policy, id, "37", "loss leader").await else {
        panic!("under cost waits")
    };
    assert!(matches!(pricing::act_on_approval(&db, &pm, &policy, own, 1, "approve", &HashMap::new()).await, Err(AppError::Conflict(_))));
    assert!(pricing::act_on_approval(&db, &pm, &policy, own, 1, "reject", &HashMap::new()).await.unwrap_err().field_message("reason").is_some());
    pricing::act_on_approval(&db, &pm, &policy, own, 1, "reject", &form(&[("reason", "no loss leaders this month")])).await.unwrap();
    assert_eq!(sku(&db, "QM-200G").await.1, 15000);
    // A draft's price is edited in the draft, not through this path.
    let (draft_sku, _) = sku(&db, "DH-GOLD-100").await;
    assert!(pricing::change_price(&db, &specialist, &policy, draft_sku, "100", "x").await.unwrap_err().field_message("new_price").is_some());
});

on_both_backends!(promotions_run_in_their_window, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let marketing = demo_actor(&db, "marketing@shopflow.test").await;
    let pm = demo_actor(&db, "pm@shopflow.test").await;
    let (id, _) = sku(&db, "LJ-100G").await; // 128.00, cost 61.00
    let now = shopflow::domain::now_millis();
    let hour = 3_600_000;
    let (from, to) = (utc(now - hour), utc(now + 48 * hour));
    // Refused: not lower than the regular price, ends before it starts, under cost by marketing.
    assert!(pricing::schedule_promo(&db, &marketing, id, "128", &from, &to, "x").await.unwrap_err().field_message("price").is_some());
    assert!(pricing::schedule_promo(&db, &marketing, id, "99", &to, &from, "x").await.unwrap_err().field_message("ends").is_some());
    assert!(pricing::schedule_promo(&db, &marketing, id, "50", &from, &to, "x").await.unwrap_err().field_message("price").is_some());
    assert!(pricing::schedule_promo(&db, &marketing, id, "99", "tomorrow", &to, "x").await.unwrap_err().field_message("starts").is_some());
    let promo = pricing::schedule_promo(&db, &marketing, id, "99", &from, &to, "Double 12").await.unwrap();
    assert!(pricing::schedule_promo(&db, &pm, id, "98", &utc(now + hour), &utc(now + 72 * hour), "x").await.unwrap_err().field_message("starts").is_some(), "overlap");
    // The shop shows it.
    let product_id: (i64,) = sqlx::query_as("SELECT product_id FROM skus WHERE id = $1").bind(id).fetch_one(db.pool()).await.unwrap();
    let public = catalog::catalog_product(&db, product_id.0).await.unwrap();
    let s = public.skus.iter().find(|s| s.code == "LJ-100G").unwrap();
    assert_eq!((s.price, s.promo_price), (12800, Some(9900)));
    let page = catalog::search_catalog(&db, &shopflow::catalog::CatalogQuery { q: "longjing".into(), ..Default::default() }).await.unwrap();
    assert_eq!(page.items[0].promo_price, Some(9900));
    // The cart (and so the checkout) prices by it.
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    shopflow::orders::service::set_cart_quantity(&db, &cathy, "LJ-100G", "2", true).await.unwrap();
    let cart = shopflow::orders::service::cart(&db, &cathy).await.unwrap();
    assert_eq!((cart.lines[0].unit_price, cart.goods_total), (9900, 19_800));
    // Cancelled: gone from the shop and the cart; cancelling twice is a conflict.
    pricing::cancel_promo(&db, &marketing, promo).await.unwrap();
    assert!(matches!(pricing::cancel_promo(&db, &marketing, promo).await, Err(AppError::Conflict(_))));
    let public = catalog::catalog_product(&db, product_id.0).await.unwrap();
    assert_eq!(public.skus.iter().find(|s| s.code == "LJ-100G").unwrap().promo_price, None);
    assert_eq!(shopflow::orders::service::cart(&db, &cathy).await.unwrap().goods_total, 25_600);
    // A manager may go under cost.
    pricing::schedule_promo(&db, &pm, id, "50", &utc(now + 100 * hour), &utc(now + 110 * hour), "anniversary").await.unwrap();
});
