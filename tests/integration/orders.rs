//! Orders end to end on both backends: a cart becomes an order priced by the server with its
//! stock held, payment moves it on by itself, the warehouse and logistics take their steps,
//! and stock leaves through the ledger. Retried checkouts make one order; racing customers
//! never oversell; bad input and other customers' orders are refused without changing anything.

use crate::on_both_backends;
use crate::support::{app, demo_actor, urlencode, Client};
use shopflow::accounts::service::load_actor;
use shopflow::accounts::Actor;
use shopflow::components::BulkReport;
use shopflow::domain::AppError;
use shopflow::inventory::service as inventory;
use shopflow::orders::payment::{DECLINED_CARD, TIMEOUT_CARD};
use shopflow::orders::{service, AddressInput, CardInput, CheckoutInput, OrderPolicy, ShipmentInput};
use shopflow::server::demo::{self, DEMO_PASSWORD};
use shopflow::server::Db;
use std::collections::HashMap;
use std::sync::Arc;

const POLICY: OrderPolicy = OrderPolicy { review_above: 500_000, payment_window_minutes: 30, carrier_step_seconds: 60 };

fn checkout(key: &str, expected_total: i64) -> CheckoutInput {
    CheckoutInput {
        idempotency_key: key.into(),
        address: AddressInput { recipient: "Cathy Customer".into(), phone: "+86 138 0013 8000".into(), address: "88 Century Ave, Pudong, Shanghai".into() },
        shipping_method: "standard".into(),
        expected_total,
        save_address: false,
    }
}

fn card(number: &str) -> CardInput {
    CardInput { holder: "CATHY CUSTOMER".into(), number: number.into(), expiry: "12/39".into(), cvc: "123".into() }
}

/// (on hand, reserved) of a SKU in one warehouse.
async fn balance(db: &Db, sku: &str, warehouse: &str) -> (i64, i64) {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM skus WHERE code = $1").bind(sku).fetch_one(db.pool()).await.unwrap();
    let d = inventory::stock_detail(db, id).await.unwrap();
    d.warehouses.iter().find(|w| w.0 == warehouse).map(|w| (w.2.on_hand, w.2.reserved)).unwrap_or((0, 0))
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).fetch_one(db.pool()).await.unwrap().0
}

/// A customer account made directly (hashing 64 passwords would dominate the race test).
pub(crate) async fn customer(db: &Db, n: usize) -> Actor {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (email, display_name, password_hash, is_customer, active, created_at) VALUES ($1, $2, 'x', 1, 1, 0) RETURNING id",
    )
    .bind(format!("racer{n}@example.test"))
    .bind(format!("Racer {n}"))
    .fetch_one(db.writer())
    .await
    .unwrap();
    sqlx::query("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE role_key = 'customer'").bind(id).execute(db.writer()).await.unwrap();
    load_actor(db, id).await.unwrap().unwrap()
}

fn none() -> HashMap<String, String> {
    HashMap::new()
}

on_both_backends!(an_order_runs_from_the_cart_to_the_review_invitation, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    service::set_cart_quantity(&db, &cathy, "lj-100g", "1", true).await.unwrap();
    service::set_cart_quantity(&db, &cathy, "LJ-100G", "1", true).await.unwrap();
    service::set_cart_quantity(&db, &cathy, "CUP-CEL-80", "1", true).await.unwrap();
    let cart = service::cart(&db, &cathy).await.unwrap();
    let mut lines: Vec<(&str, i64)> = cart.lines.iter().map(|l| (l.sku.as_str(), l.quantity)).collect();
    lines.sort();
    assert_eq!(lines, vec![("CUP-CEL-80", 1), ("LJ-100G", 2)]);
    // 2 × 128.00 + 45.00 = 301.00; standard shipping is free from 99.00.
    assert_eq!(cart.goods_total, 30_100);
    let gz_before = (balance(&db, "LJ-100G", "GZ").await, balance(&db, "CUP-CEL-80", "GZ").await);
    let orders_before = count(&db, "SELECT COUNT(*) FROM orders").await;

    // The page showed an old (or forged) total: refused, nothing made, the cart kept.
    let err = service::place_order(&db, &cathy, &checkout("key-00000001", 29_900)).await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.contains("301.00")), "{err:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders").await, orders_before);

    let id = service::place_order(&db, &cathy, &checkout("key-00000001", 30_100)).await.unwrap();
    // The same checkout again (a double click, a retry after a lost answer): the same order.
    assert_eq!(service::place_order(&db, &cathy, &checkout("key-00000001", 30_100)).await.unwrap(), id);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders").await, orders_before + 1);
    assert!(service::cart(&db, &cathy).await.unwrap().lines.is_empty(), "the cart became the order");
    // A retry that comes after the customer filled the cart again, with the new cart's total:
    // still the first order; the new cart is left as it is and nothing more is held.
    service::set_cart_quantity(&db, &cathy, "LJ-100G", "1", true).await.unwrap();
    assert_eq!(service::place_order(&db, &cathy, &checkout("key-00000001", 12_800)).await.unwrap(), id);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders").await, orders_before + 1);
    assert_eq!(service::cart(&db, &cathy).await.unwrap().lines.len(), 1);
    service::set_cart_quantity(&db, &cathy, "LJ-100G", "0", false).await.unwrap();
    // Guangzhou has both SKUs: one parcel, the stock held there.
    let d = service::my_order(&db, &cathy, id).await.unwrap();
    assert_eq!(d.order.state, "placed");
    assert_eq!((d.order.goods_total, d.order.shipping_fee, d.order.total), (30_100, 0, 30_100));
    assert_eq!(d.order.shipments.len(), 1);
    assert_eq!(d.order.shipments[0].warehouse, "GZ");
    assert_eq!(balance(&db, "LJ-100G", "GZ").await, (gz_before.0 .0, gz_before.0 .1 + 2));
    assert_eq!(balance(&db, "CUP-CEL-80", "GZ").await, (gz_before.1 .0, gz_before.1 .1 + 1));
    assert_eq!(d.actions, vec!["cancel".to_string()], "the customer pays through the payment form and may cancel");

    // A declined card and a provider that does not answer leave the order waiting for payment.
    let err = service::pay_order(&db, &cathy, POLICY, id, &card(DECLINED_CARD)).await.unwrap_err();
    assert_eq!(err.field_message("card").as_deref(), Some("card declined by the issuer"));
    assert!(matches!(service::pay_order(&db, &cathy, POLICY, id, &card(TIMEOUT_CARD)).await, Err(AppError::Conflict(_))));
    assert!(service::pay_order(&db, &cathy, POLICY, id, &card("4242 4242 4242 4241")).await.unwrap_err().field_message("number").is_some());
    assert_eq!(service::my_order(&db, &cathy, id).await.unwrap().order.state, "placed");
    // Paid: within the review amount, so confirmed and released to the warehouse by itself.
    assert_eq!(service::pay_order(&db, &cathy, POLICY, id, &card("4242 4242 4242 4242")).await.unwrap(), "allocated");
    let d = service::my_order(&db, &cathy, id).await.unwrap();
    assert_eq!(d.order.payments.iter().map(|p| p.outcome.as_str()).collect::<Vec<_>>(), vec!["declined", "timed_out", "succeeded"]);
    let actions: Vec<&str> = d.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["place", "payment_failed", "payment_failed", "pay", "confirm", "allocate"]);
    assert!(matches!(service::pay_order(&db, &cathy, POLICY, id, &card("4242424242424242")).await, Err(AppError::InvalidTransition { .. })));
    assert!(d.actions.contains(&"cancel".to_string()), "cancellable until picking starts");

    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    // Logistics cannot pick; the warehouse can.
    let v = d.order.version;
    assert_eq!(service::act_on_order(&db, &logistics, POLICY, id, v, "pick", &none(), &[]).await.unwrap_err(), AppError::Forbidden);
    let t = service::act_on_order(&db, &wh, POLICY, id, v, "pick", &none(), &[]).await.unwrap();
    assert!(service::my_order(&db, &cathy, id).await.unwrap().actions.is_empty(), "no cancelling once picking started");
    let t = service::act_on_order(&db, &wh, POLICY, id, t.version, "pack", &none(), &[]).await.unwrap();
    // Packing takes the held units out of the warehouse.
    assert_eq!(balance(&db, "LJ-100G", "GZ").await, (gz_before.0 .0 - 2, gz_before.0 .1));
    assert_eq!(balance(&db, "CUP-CEL-80", "GZ").await, (gz_before.1 .0 - 1, gz_before.1 .1));
    let parcel = service::order_detail(&db, &logistics, id).await.unwrap().order.shipments[0].id;
    for bad in [vec![], vec![ShipmentInput { shipment_id: parcel, carrier: "pigeon".into(), tracking_number: "1".into() }],
                vec![ShipmentInput { shipment_id: parcel, carrier: "sf".into(), tracking_number: "SF 1 2".into() }]] {
        let err = service::act_on_order(&db, &logistics, POLICY, id, t.version, "ship", &none(), &bad).await.unwrap_err();
        assert!(err.field_message("shipments").is_some(), "{err:?}");
    }
    let ship = [ShipmentInput { shipment_id: parcel, carrier: "sf".into(), tracking_number: "SF1234567890".into() }];
    let t = service::act_on_order(&db, &logistics, POLICY, id, t.version, "ship", &none(), &ship).await.unwrap();
    let seen = service::my_order(&db, &cathy, id).await.unwrap();
    assert_eq!(seen.order.shipments[0].tracking_number.as_deref(), Some("SF1234567890"));
    assert!(seen.events.iter().filter(|e| e.actor_id != Some(cathy.id)).all(|e| e.actor_name.as_deref() == Some("Shopflow")), "staff names stay inside");
    let t = service::act_on_order(&db, &logistics, POLICY, id, t.version, "deliver", &none(), &[]).await.unwrap();
    let t = service::act_on_order(&db, &clerk, POLICY, id, t.version, "complete", &none(), &[]).await.unwrap();
    assert_eq!(t.state, "completed");
    assert_eq!(service::my_order(&db, &cathy, id).await.unwrap().order.state, "review_requested", "the invitation follows by itself");
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(bad_input_and_other_customers_change_nothing, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let other = customer(&db, 1).await;
    let orders_before = count(&db, "SELECT COUNT(*) FROM orders").await;
    assert_eq!(service::place_order(&db, &cathy, &checkout("key-empty-1", 0)).await.unwrap_err().field_message("cart").as_deref(), Some("your cart is empty"));
    for (sku, q, field) in [("NOPE-1", "1", "sku"), ("LJ-100G", "0", "quantity"), ("LJ-100G", "1000000000", "quantity"), ("LJ-100G", "-2", "quantity"), ("LJ-100G", "x", "quantity")] {
        let err = service::set_cart_quantity(&db, &cathy, sku, q, true).await.unwrap_err();
        assert!(err.field_message(field).is_some(), "{sku} {q}: {err:?}");
    }
    // A draft product is not for sale.
    let err = service::set_cart_quantity(&db, &cathy, "TGY-250G", "1", true).await.unwrap_err();
    assert!(err.field_message("sku").is_some(), "{err:?}");
    assert!(service::cart(&db, &cathy).await.unwrap().lines.is_empty());
    service::set_cart_quantity(&db, &cathy, "QM-200G", "999", true).await.unwrap();
    assert!(service::set_cart_quantity(&db, &cathy, "QM-200G", "1", true).await.unwrap_err().field_message("quantity").is_some(), "999 is the most");
    // More than the warehouses have: refused, naming the SKU; nothing held.
    let reserved = balance(&db, "QM-200G", "SH").await.1;
    let total = service::cart(&db, &cathy).await.unwrap().goods_total;
    let err = service::place_order(&db, &cathy, &checkout("key-big-0001", total)).await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.starts_with("QM-200G: not enough stock")), "{err:?}");
    assert_eq!(balance(&db, "QM-200G", "SH").await.1, reserved);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders").await, orders_before);
    // Bad addresses are field errors. (86.00 + 8.00 shipping: under the free-shipping amount.)
    service::set_cart_quantity(&db, &cathy, "QM-200G", "1", false).await.unwrap();
    let mut bad = checkout("key-addr-001", 9_400);
    bad.address.phone = "ring twice".into();
    assert_eq!(service::place_order(&db, &cathy, &bad).await.unwrap_err().field_message("phone").as_deref(), Some("not a phone number"));

    let id = service::place_order(&db, &cathy, &checkout("key-good-001", 9_400)).await.unwrap();
    // Another customer: not found, whatever they try.
    assert_eq!(service::my_order(&db, &other, id).await.unwrap_err(), AppError::NotFound);
    assert_eq!(service::pay_order(&db, &other, POLICY, id, &card("4242424242424242")).await.unwrap_err(), AppError::NotFound);
    let v = service::my_order(&db, &cathy, id).await.unwrap().order.version;
    assert_eq!(service::act_on_order(&db, &other, POLICY, id, v, "cancel", &none(), &[]).await.unwrap_err(), AppError::NotFound);
    // Paying goes through its own path, never as a plain step.
    assert!(service::act_on_order(&db, &cathy, POLICY, id, v, "pay", &none(), &[]).await.unwrap_err().field_message("action").is_some());
    assert_eq!(service::my_order(&db, &cathy, id).await.unwrap().order.state, "placed");

    // Over HTTP: the other customer's server function call and page are "not found".
    let app = app(&db);
    let mut c = Client::new(&app);
    let (email,): (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1").bind(other.id).fetch_one(db.pool()).await.unwrap();
    sqlx::query("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = 'customer@shopflow.test') WHERE id = $1")
        .bind(other.id)
        .execute(db.writer())
        .await
        .unwrap();
    assert_eq!(c.login(&email, DEMO_PASSWORD).await.status, 200);
    assert_eq!(c.form("/api/my_order", &format!("id={id}")).await.status, 404);
    assert_eq!(c.get(&format!("/my/orders/{id}")).await.status, 404);
    assert_eq!(c.form("/api/get_order", &format!("id={id}")).await.status, 403, "the order desk is staff only");
});

on_both_backends!(cancelling_and_expiry_give_the_stock_back, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let before = balance(&db, "LJ-250G", "SH").await;
    service::set_cart_quantity(&db, &cathy, "LJ-250G", "2", true).await.unwrap();
    let paid = service::place_order(&db, &cathy, &checkout("key-cancel-1", 59_600)).await.unwrap();
    service::pay_order(&db, &cathy, POLICY, paid, &card("4242424242424242")).await.unwrap();
    assert_eq!(balance(&db, "LJ-250G", "SH").await, (before.0, before.1 + 2));
    let v = service::my_order(&db, &cathy, paid).await.unwrap().order.version;
    let t = service::act_on_order(&db, &cathy, POLICY, paid, v, "cancel", &HashMap::from([("reason".to_string(), "ordered twice".to_string())]), &[])
        .await
        .unwrap();
    assert_eq!(t.state, "cancelled");
    assert_eq!(balance(&db, "LJ-250G", "SH").await, before, "held stock released");
    let d = service::my_order(&db, &cathy, paid).await.unwrap();
    assert_eq!(d.order.refunds, vec![(59_600, "order cancelled".to_string(), "requested".to_string())], "the paid amount goes to finance");
    assert_eq!(d.order.cancel_reason.as_deref(), Some("ordered twice"));

    // Not paid in time: the sweep cancels it and releases the stock, once.
    service::set_cart_quantity(&db, &cathy, "LJ-250G", "1", true).await.unwrap();
    let unpaid = service::place_order(&db, &cathy, &checkout("key-expire-1", 29_800)).await.unwrap();
    assert_eq!(balance(&db, "LJ-250G", "SH").await.1, before.1 + 1);
    assert_eq!(service::expire_unpaid(&db, POLICY).await.unwrap(), 0, "still within the window");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let now = OrderPolicy { payment_window_minutes: 0, ..POLICY };
    assert_eq!(service::expire_unpaid(&db, now).await.unwrap(), 1);
    assert_eq!(service::expire_unpaid(&db, now).await.unwrap(), 0);
    let d = service::my_order(&db, &cathy, unpaid).await.unwrap();
    assert_eq!(d.order.state, "cancelled");
    assert!(d.order.refunds.is_empty(), "nothing was paid, nothing to refund");
    assert_eq!(balance(&db, "LJ-250G", "SH").await, before);
    // A payment arriving after expiry is refused.
    assert!(matches!(service::pay_order(&db, &cathy, POLICY, unpaid, &card("4242424242424242")).await, Err(AppError::InvalidTransition { .. })));
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(large_orders_wait_for_a_clerk_who_confirms_in_bulk, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let strict = OrderPolicy { review_above: 10_000, ..POLICY };
    let mut ids = Vec::new();
    for (n, key) in ["key-review-1", "key-review-2"].into_iter().enumerate() {
        service::set_cart_quantity(&db, &cathy, "LJ-100G", "1", true).await.unwrap();
        let id = service::place_order(&db, &cathy, &checkout(key, 12_800)).await.unwrap();
        assert_eq!(service::pay_order(&db, &cathy, strict, id, &card("4242424242424242")).await.unwrap(), "paid", "order {n} waits for review");
        ids.push(id);
    }
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    let queue = service::orders(&db, "paid", "").await.unwrap();
    assert_eq!(queue.iter().map(|o| o.id).collect::<Vec<_>>(), ids, "oldest first");
    assert!(queue.iter().all(|o| o.needs_review));
    assert_eq!(service::orders(&db, "", &format!("#{}", ids[1])).await.unwrap().len(), 1);
    let cathys = service::orders(&db, "", "cathy").await.unwrap();
    assert!(ids.iter().all(|id| cathys.iter().any(|o| o.id == *id)) && cathys.iter().all(|o| o.customer == "Cathy Customer"));
    assert!(service::orders(&db, "", "nobody-such").await.unwrap().is_empty());
    // One stale version among the chosen: that one fails alone.
    let chosen = vec![(ids[0], queue[0].version), (ids[1], queue[1].version - 1)];
    let results = service::confirm_orders(&db, &clerk, strict, &chosen).await.unwrap();
    assert_eq!(results[0], (ids[0], Ok(())));
    assert_eq!(results[1], (ids[1], Err(AppError::StaleVersion)));
    assert_eq!(service::order_detail(&db, &clerk, ids[0]).await.unwrap().order.state, "allocated");
    assert_eq!(service::order_detail(&db, &clerk, ids[1]).await.unwrap().order.state, "paid");
    let warehouse = demo_actor(&db, "warehouse@shopflow.test").await;
    assert_eq!(service::confirm_orders(&db, &warehouse, strict, &chosen).await.unwrap()[1].1, Err(AppError::Forbidden));

    // The clerk's queue, loaded again with the report the form read from that answer, says
    // which order was not confirmed and why, beside the queue as it is now.
    let report = BulkReport::of_answer(&serde_json::to_string(&results).unwrap()).expect("one failed");
    assert_eq!(report, BulkReport { done: 1, failed: vec![(ids[1], AppError::StaleVersion)] });
    assert_eq!(BulkReport::of_answer(&serde_json::to_string(&results[..1]).unwrap()), None, "nothing to report when all were taken");
    let mut c = Client::new(&app(&db));
    c.login("orders@shopflow.test", DEMO_PASSWORD).await;
    let address = |path: &str| format!("/orders?state=paid&__path={}&__bulk={}", urlencode(path), urlencode(&serde_json::to_string(&report).unwrap()));
    let page = c.get(&address("/api/confirm_orders")).await;
    assert_eq!(page.status, 200);
    let note = page.body.split("data-testid=\"bulk-report\"").nth(1).expect("the report is on the page");
    assert!(note.contains("1 of 2 done. Not done:"), "{note}");
    assert!(note.contains(&format!("data-record=\"{}\">#{}: This record was changed by someone else", ids[1], ids[1])), "{note}");
    // The queue lists only the order still waiting.
    assert!(page.body.contains(&format!("data-order=\"{}\"", ids[1])) && !page.body.contains(&format!("data-order=\"{}\"", ids[0])));
    // An order someone else moved on is named by where it is now, in the reader's language.
    let moved = BulkReport { done: 0, failed: vec![(ids[1], AppError::InvalidTransition { action: "confirm".into(), state: "cancelled".into() })] };
    let path = format!("/orders?__path=%2Fapi%2Fconfirm_orders&__bulk={}", urlencode(&serde_json::to_string(&moved).unwrap()));
    assert!(c.get(&path).await.body.contains(&format!("#{}: It is now “Cancelled”; this step no longer applies.", ids[1])));
    // Another form's report, or none that reads, shows nothing.
    assert!(!c.get(&address("/api/act_on_order")).await.body.contains("bulk-report"));
    assert!(!c.get("/orders?__path=%2Fapi%2Fconfirm_orders&__bulk=%7Bnot-json").await.body.contains("bulk-report"));

    // Without JavaScript the browser posts the form itself and is sent back to the queue, with
    // the report when an order was not confirmed. The second order's version is stale still.
    let chosen = format!("orders[0]={}%3A{}", ids[1], queue[1].version - 1);
    let back = c.plain_form("/api/confirm_orders", &chosen, "/orders?state=paid").await;
    assert_eq!(back.status, 302, "{}", back.body);
    let location = back.location.expect("sent back to the queue");
    assert!(location.starts_with("/orders?state=paid&__path=%2Fapi%2Fconfirm_orders&__bulk="), "{location}");
    let page = c.get(&location).await;
    assert!(page.body.contains(&format!("data-record=\"{}\">#{}: This record was changed by someone else", ids[1], ids[1])), "{}", page.body);
    assert!(page.body.contains("0 of 1 done. Not done:"));
    // All taken: back to the page it came from, as leptos sends every plain post.
    let chosen = format!("orders[0]={}%3A{}", ids[1], queue[1].version);
    let back = c.plain_form("/api/confirm_orders", &chosen, "/orders?state=paid").await;
    assert_eq!(back.status, 302);
    assert_eq!(back.location.as_deref(), Some("http://shopflow.test/orders?state=paid"));
    assert_eq!(service::order_detail(&db, &clerk, ids[1]).await.unwrap().order.state, "allocated");
});

on_both_backends!(racing_customers_never_oversell_and_retries_make_one_order, async |db: Db| {
    demo::seed(&db).await.unwrap();
    // Leave exactly 10 cups available.
    let (on_hand, reserved) = balance(&db, "CUP-CEL-80", "GZ").await;
    inventory::reserve(&db, None, "CUP-CEL-80", on_hand - reserved - 10, None, "held back").await.unwrap();
    let orders_before = count(&db, "SELECT COUNT(*) FROM orders").await;
    let held = "SELECT COUNT(*) FROM reservations r JOIN skus s ON s.id = r.sku_id WHERE s.code = 'CUP-CEL-80' AND r.state = 'held'";
    let held_before = count(&db, held).await;
    let mut racers = Vec::new();
    for n in 0..64 {
        let c = customer(&db, n).await;
        service::set_cart_quantity(&db, &c, "CUP-CEL-80", "1", true).await.unwrap();
        racers.push(c);
    }
    let mut tasks = Vec::new();
    for (n, c) in racers.into_iter().enumerate() {
        let db = db.clone();
        tasks.push(tokio::spawn(async move { service::place_order(&db, &c, &checkout(&format!("race-key-{n:04}"), 4_500 + 800)).await }));
    }
    let mut placed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => placed += 1,
            Err(AppError::Conflict(m)) => assert!(m.starts_with("CUP-CEL-80: not enough stock"), "{m}"),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(placed, 10);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders").await, orders_before + 10);
    let (on_hand, reserved) = balance(&db, "CUP-CEL-80", "GZ").await;
    assert_eq!(on_hand, reserved, "every unit is held, none twice");
    // The losers' records (reservations, movements) went with their orders.
    assert_eq!(count(&db, held).await, held_before + 10);
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());

    // One customer's checkout submitted five times at once: one order.
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let cathys = service::my_orders(&db, &cathy).await.unwrap().len();
    service::set_cart_quantity(&db, &cathy, "LJ-100G", "1", true).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let (db, cathy) = (db.clone(), cathy.clone());
        tasks.push(tokio::spawn(async move { service::place_order(&db, &cathy, &checkout("same-key-0001", 12_800)).await.unwrap() }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(service::my_orders(&db, &cathy).await.unwrap().len(), cathys + 1);
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());
});

/// Places every checkout at the same moment; (n, customer, outcome) for each, in order.
async fn place_together(db: &Db, ready: Vec<(usize, Actor, CheckoutInput)>) -> Vec<(usize, i64, Result<i64, AppError>)> {
    let start = Arc::new(tokio::sync::Barrier::new(ready.len()));
    let mut tasks = Vec::new();
    for (n, c, input) in ready {
        let (db, start) = (db.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            (n, c.id, service::place_order(&db, &c, &input).await)
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    outcomes
}

on_both_backends!(concurrent_checkouts_are_each_whole_and_one_refused_by_the_database_fails_alone, async |db: Db| {
    demo::seed(&db).await.unwrap();
    // The database refuses any order for recipient "Refused", in the middle of 24 checkouts
    // placed at the same moment.
    let trigger = match db.backend {
        shopflow::server::db::Backend::Sqlite => vec![
            "CREATE TRIGGER refuse_order BEFORE INSERT ON orders WHEN NEW.recipient = 'Refused' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        ],
        shopflow::server::db::Backend::Postgres => vec![
            "CREATE FUNCTION refuse_order() RETURNS trigger AS $$ BEGIN IF NEW.recipient = 'Refused' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_order BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_order()",
        ],
    };
    for sql in trigger {
        sqlx::raw_sql(sql).execute(db.writer()).await.unwrap();
    }
    let orders_before = count(&db, "SELECT COUNT(*) FROM orders").await;
    let events_before = count(&db, "SELECT COUNT(*) FROM audit_events WHERE entity = 'order' AND action = 'place'").await;
    let mut ready = Vec::new();
    for n in 0..24 {
        let c = customer(&db, 100 + n).await;
        // Two lines each: every order has several lines, reservations and allocations.
        service::set_cart_quantity(&db, &c, "LJ-100G", "1", true).await.unwrap();
        service::set_cart_quantity(&db, &c, "QM-200G", "1", true).await.unwrap();
        let cart = service::cart(&db, &c).await.unwrap();
        let fee = cart.shipping.iter().find(|o| o.code == "standard").unwrap().fee_for(cart.goods_total);
        let mut input = checkout(&format!("together-{n:04}"), cart.goods_total + fee);
        if n == 7 {
            input.address.recipient = "Refused".into();
        }
        ready.push((n, c, input));
    }
    let (mut placed, mut refused) = (Vec::new(), Vec::new());
    for (n, customer, outcome) in place_together(&db, ready).await {
        match outcome {
            Ok(id) => placed.push((customer, id)),
            Err(e) => refused.push((n, customer, e)),
        }
    }
    assert!(matches!(refused.as_slice(), [(7, _, _)]), "only the refused checkout fails: {refused:?}");
    assert_eq!(placed.len(), 23);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders").await, orders_before + 23);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_events WHERE entity = 'order' AND action = 'place'").await, events_before + 23);
    for (customer, id) in &placed {
        let q = |sql: &str| sql.replace("{id}", &id.to_string()).replace("{customer}", &customer.to_string());
        // The order is its customer's, with both lines, each line's units held and allocated
        // to a parcel of the order, and its audit event by its customer.
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM orders WHERE id = {id} AND customer_id = {customer}")).await, 1);
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM order_lines WHERE order_id = {id}")).await, 2);
        assert_eq!(
            count(&db, &q("SELECT CAST(COALESCE(SUM(a.quantity), 0) AS BIGINT) FROM order_allocations a JOIN order_lines l ON l.id = a.order_line_id JOIN shipments s ON s.id = a.shipment_id \
                 JOIN reservations r ON r.id = a.reservation_id WHERE l.order_id = {id} AND s.order_id = {id} AND r.reference = 'order #{id}' AND r.sku_id = l.sku_id AND r.state = 'held'")).await,
            2
        );
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM audit_events WHERE entity = 'order' AND entity_id = {id} AND action = 'place' AND actor_id = {customer} AND to_state = 'placed'")).await, 1);
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM cart_items WHERE customer_id = {customer}")).await, 0);
    }
    // The refused customer's cart is as it was.
    assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM cart_items WHERE customer_id = {}", refused[0].1)).await, 2);
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());
});

// Checkouts arriving together: on PostgreSQL the lane writes them several to a transaction
// (`orders::lane`), on SQLite one by one. Either way each gets its own answer: a split order
// gets both parcels, the one the last units cannot serve is refused alone, a twin submit gets
// the same order, a saved address is saved.
on_both_backends!(checkouts_placed_together_each_get_their_own_answer, async |db: Db| {
    demo::seed(&db).await.unwrap();
    // Two celadon cups left for three customers who want one each.
    let (on_hand, reserved) = balance(&db, "CUP-CEL-80", "GZ").await;
    inventory::reserve(&db, None, "CUP-CEL-80", on_hand - reserved - 2, None, "held back").await.unwrap();
    let events_before = count(&db, "SELECT COUNT(*) FROM audit_events WHERE entity = 'order' AND action = 'place'").await;
    let mut ready = Vec::new();
    for n in 0..14 {
        let c = customer(&db, 200 + n).await;
        let lines: &[&str] = match n {
            // Keemun from Shanghai and a cup from Guangzhou: two parcels.
            8 => &["QM-200G", "CUP-CEL-80"],
            9 | 10 => &["CUP-CEL-80"],
            // Checks out an empty cart.
            13 => &[],
            _ => &["LJ-100G"],
        };
        for sku in lines {
            service::set_cart_quantity(&db, &c, sku, "1", true).await.unwrap();
        }
        let cart = service::cart(&db, &c).await.unwrap();
        let fee = cart.shipping.iter().find(|o| o.code == "standard").unwrap().fee_for(cart.goods_total);
        // Customer 12 sends a total that is not the cart's (stale, or forged).
        let total = cart.goods_total + fee - i64::from(n == 12);
        let mut input = checkout(&format!("together-{n:04}"), total);
        input.save_address = n == 11;
        ready.push((n, c, input));
    }
    // Customer 0 submits the same checkout twice, and customer 1 places its cart from a second
    // tab (another checkout, its own key) at the same moment.
    let twin = ready[0].clone();
    ready.push(twin);
    let (_, one, mut other_tab) = ready[1].clone();
    other_tab.idempotency_key = "together-tab-0001".into();
    ready.push((14, one, other_tab));
    let mut placed: HashMap<usize, (i64, i64)> = HashMap::new();
    let mut refused = Vec::new();
    let mut twins = Vec::new();
    for (n, customer, outcome) in place_together(&db, ready).await {
        match outcome {
            Ok(id) if n == 0 => twins.push((customer, id)),
            // Either tab of customer 1 may be the one that places the cart.
            Ok(id) => assert!(placed.insert(if n == 14 { 1 } else { n }, (customer, id)).is_none(), "one order from customer 1's cart"),
            Err(e) => refused.push((n, e)),
        }
    }
    assert_eq!(twins.len(), 2, "both submits of the twin are answered with an order");
    assert_eq!(twins[0], twins[1], "one order for the twin submits");
    placed.insert(0, twins[0]);
    refused.sort_by_key(|r| r.0);
    let tab = refused.iter().position(|r| r.0 == 1 || r.0 == 14).map(|i| refused.remove(i));
    match tab {
        Some((_, AppError::Invalid { message, .. })) => assert_eq!(message, "your cart is empty", "customer 1's other tab finds the cart placed"),
        other => panic!("one of customer 1's tabs is refused: {other:?}"),
    }
    match refused.as_slice() {
        [(cup, AppError::Conflict(m)), (12, AppError::Conflict(stale)), (13, AppError::Invalid { message: empty, .. })] => {
            assert!([8, 9, 10].contains(cup), "only one customer wanting a cup is refused: {cup}");
            assert!(m.starts_with("CUP-CEL-80: not enough stock"), "{m}");
            assert!(stale.starts_with("the total is now"), "{stale}");
            assert_eq!(empty, "your cart is empty");
        }
        other => panic!("a cup, the stale total and the empty cart are refused: {other:?}"),
    }
    let stale = count(&db, "SELECT id FROM users WHERE email = 'racer212@example.test'").await;
    assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM orders WHERE customer_id = {stale}")).await, 0);
    assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM cart_items WHERE customer_id = {stale}")).await, 1, "a refused checkout keeps its cart");
    // Twelve customers with something to order, one refused.
    assert_eq!(placed.len(), 11);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_events WHERE entity = 'order' AND action = 'place'").await, events_before + 11);
    for (n, (customer, id)) in &placed {
        let q = |sql: &str| sql.replace("{id}", &id.to_string()).replace("{customer}", &customer.to_string());
        let lines = if *n == 8 { 2 } else { 1 };
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM orders WHERE id = {id} AND customer_id = {customer} AND state = 'placed'")).await, 1);
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM order_lines WHERE order_id = {id}")).await, lines);
        assert_eq!(
            count(&db, &q("SELECT CAST(COALESCE(SUM(a.quantity), 0) AS BIGINT) FROM order_allocations a JOIN order_lines l ON l.id = a.order_line_id JOIN shipments s ON s.id = a.shipment_id \
                 JOIN reservations r ON r.id = a.reservation_id WHERE l.order_id = {id} AND s.order_id = {id} AND r.reference = 'order #{id}' AND r.sku_id = l.sku_id \
                 AND r.warehouse_id = s.warehouse_id AND r.state = 'held'")).await,
            lines
        );
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM shipments WHERE order_id = {id}")).await, lines, "one parcel per warehouse");
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM audit_events WHERE entity = 'order' AND entity_id = {id} AND action = 'place' AND actor_id = {customer}")).await, 1);
        assert_eq!(count(&db, &q("SELECT COUNT(*) FROM cart_items WHERE customer_id = {customer}")).await, 0);
        let saved = count(&db, &q("SELECT COUNT(*) FROM customer_addresses WHERE customer_id = {customer}")).await;
        assert_eq!(saved, i64::from(*n == 11), "only the checkout that asked saves its address");
    }
    let (on_hand, reserved) = balance(&db, "CUP-CEL-80", "GZ").await;
    assert_eq!(on_hand, reserved, "both cups are held, neither twice");
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());
    // The lane wrote several orders at once. On PostgreSQL rows written by one transaction
    // share its id; SQLite has none to show, but a batch's orders share its time, where
    // orders written one by one would rarely do.
    let ids = placed.values().map(|(_, id)| id.to_string()).collect::<Vec<_>>().join(", ");
    let batches = match db.backend {
        shopflow::server::db::Backend::Postgres => format!("SELECT COUNT(DISTINCT CAST(xmin AS TEXT)) FROM orders WHERE id IN ({ids})"),
        shopflow::server::db::Backend::Sqlite => format!("SELECT COUNT(DISTINCT created_at) FROM orders WHERE id IN ({ids})"),
    };
    let batches = count(&db, &batches).await;
    assert!(batches < 11, "11 orders in {batches} batches");
});

on_both_backends!(an_order_that_takes_stock_below_the_reorder_point_raises_the_alert, async |db: Db| {
    use shopflow::alerts::{service as alerts, AlertFilter};
    demo::seed(&db).await.unwrap();
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let lj = count(&db, "SELECT id FROM skus WHERE code = 'LJ-100G'").await;
    let sh = count(&db, "SELECT id FROM warehouses WHERE code = 'SH'").await;
    let low = |list: &[shopflow::alerts::Alert], subject: String| list.iter().filter(|a| a.subject == subject).count();
    let open = alerts::list(&db, &clerk, &AlertFilter::default()).await.unwrap();
    assert_eq!(low(&open, format!("low_stock:{lj}:{sh}")), 0);
    // Longjing 100 g has its most stock in SH (reorder point 20): the order leaves 19 there.
    let (on_hand, reserved) = balance(&db, "LJ-100G", "SH").await;
    let take = on_hand - reserved - 19;
    service::set_cart_quantity(&db, &cathy, "LJ-100G", &take.to_string(), false).await.unwrap();
    let cart = service::cart(&db, &cathy).await.unwrap();
    let fee = cart.shipping.iter().find(|o| o.code == "standard").unwrap().fee_for(cart.goods_total);
    service::place_order(&db, &cathy, &checkout("low-stock-key-0001", cart.goods_total + fee)).await.unwrap();
    assert_eq!(balance(&db, "LJ-100G", "SH").await, (on_hand, reserved + take), "held in SH, the warehouse with the most");
    let open = alerts::list(&db, &clerk, &AlertFilter::default()).await.unwrap();
    let alert = open.iter().find(|a| a.subject == format!("low_stock:{lj}:{sh}")).expect("the order raised the warehouse's alert");
    assert!(alert.detail.contains("\"available\":19"), "{}", alert.detail);
    assert_eq!(low(&open, format!("low_stock:{lj}:all")), 0, "the other warehouses still have enough");
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(cart_limits_hold_when_tabs_race, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = customer(&db, 7).await;
    // Sixteen tabs add 100 units of one SKU at once: nine fit under 999, the other seven are
    // refused on the quantity, whichever read they started from.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (db, cathy) = (db.clone(), cathy.clone());
        tasks.push(tokio::spawn(async move { service::set_cart_quantity(&db, &cathy, "LJ-100G", "100", true).await }));
    }
    let mut added = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => added += 1,
            Err(e) => assert_eq!(e.field_message("quantity").as_deref(), Some("at most 999 of one item per order")),
        }
    }
    assert_eq!(added, 9);
    let cart = service::cart(&db, &cathy).await.unwrap();
    assert_eq!(cart.lines.iter().map(|l| (l.sku.as_str(), l.quantity)).collect::<Vec<_>>(), vec![("LJ-100G", 900)]);
    // Setting a line is not adding to it; 0 removes it.
    service::set_cart_quantity(&db, &cathy, "LJ-100G", "3", false).await.unwrap();
    assert_eq!(service::cart(&db, &cathy).await.unwrap().lines[0].quantity, 3);
    service::set_cart_quantity(&db, &cathy, "LJ-100G", "0", false).await.unwrap();
    assert!(service::cart(&db, &cathy).await.unwrap().lines.is_empty());

    // Fifty different items fill a cart: the 51st is refused, more of one already in it is not.
    let (product,): (i64,) = sqlx::query_as("SELECT product_id FROM skus WHERE code = 'LJ-100G'").fetch_one(db.pool()).await.unwrap();
    for n in 0..50 {
        sqlx::query("INSERT INTO skus (product_id, code, attributes, price, cost, reorder_point, created_at) VALUES ($1, $2, '', 1000, 500, 0, 0)")
            .bind(product)
            .bind(format!("FILL-{n:02}"))
            .execute(db.writer())
            .await
            .unwrap();
    }
    for n in 0..50 {
        service::set_cart_quantity(&db, &cathy, &format!("FILL-{n:02}"), "1", true).await.unwrap();
    }
    let err = service::set_cart_quantity(&db, &cathy, "LJ-100G", "1", true).await.unwrap_err();
    assert_eq!(err.field_message("sku").as_deref(), Some("the cart is full (50 different items)"));
    service::set_cart_quantity(&db, &cathy, "FILL-07", "2", true).await.unwrap();
    let cart = service::cart(&db, &cathy).await.unwrap();
    assert_eq!(cart.lines.len(), 50);
    assert_eq!(cart.lines.iter().find(|l| l.sku == "FILL-07").map(|l| l.quantity), Some(3));
});

/// A carrier's call of the tracking webhook (no browser Origin, a signature or none).
async fn webhook(app: &axum::Router, body: String, signature: Option<String>) -> axum::response::Response {
    let mut req = axum::http::Request::builder().method("POST").uri("/webhooks/tracking").header("content-type", "application/json");
    if let Some(s) = signature {
        req = req.header("x-shopflow-signature", s);
    }
    tower::ServiceExt::oneshot(app.clone(), req.body(axum::body::Body::from(body)).unwrap()).await.unwrap()
}

/// A demo order placed, paid and shipped by SF with `tracking`; returns its id.
/// A paid order of the demo customer, picked and packed, waiting to be handed to a carrier.
pub(crate) async fn packed_order(db: &Db, key: &str) -> i64 {
    let cathy = demo_actor(db, "customer@shopflow.test").await;
    service::set_cart_quantity(db, &cathy, "QM-200G", "2", true).await.unwrap();
    let id = service::place_order(db, &cathy, &checkout(key, 17_200)).await.unwrap();
    service::pay_order(db, &cathy, POLICY, id, &card("4242424242424242")).await.unwrap();
    let wh = demo_actor(db, "warehouse@shopflow.test").await;
    let d = service::order_detail(db, &wh, id).await.unwrap();
    let t = service::act_on_order(db, &wh, POLICY, id, d.order.version, "pick", &none(), &[]).await.unwrap();
    service::act_on_order(db, &wh, POLICY, id, t.version, "pack", &none(), &[]).await.unwrap();
    id
}

pub(crate) async fn shipped_order(db: &Db, key: &str, tracking: &str) -> i64 {
    shipped_with(db, key, "sf", tracking).await
}

pub(crate) async fn shipped_with(db: &Db, key: &str, carrier: &str, tracking: &str) -> i64 {
    let id = packed_order(db, key).await;
    let wh = demo_actor(db, "warehouse@shopflow.test").await;
    let d = service::order_detail(db, &wh, id).await.unwrap();
    let parcels: Vec<ShipmentInput> =
        d.order.shipments.iter().map(|s| ShipmentInput { shipment_id: s.id, carrier: carrier.into(), tracking_number: tracking.into() }).collect();
    service::act_on_order(db, &wh, POLICY, id, d.order.version, "ship", &none(), &parcels).await.unwrap();
    id
}

on_both_backends!(carriers_report_by_webhook_or_tracker_and_deliver_the_order, async |db: Db| {
    use shopflow::orders::carrier::{poll_carriers, signature, Simulated};
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let id = shipped_order(&db, "key-track-01", "SF900000001").await;
    let hooked = crate::support::app_configured(&db, |c| c.tracking_webhook_secret = Some("hook-secret".into()));
    let update = |event: &str, status: &str| {
        serde_json::json!({ "carrier": "sf", "tracking_number": "SF900000001",
            "events": [{ "id": event, "status": status, "description": "Left Shanghai hub", "location": "Shanghai", "at": 1_764_000_000_000i64 }] })
        .to_string()
    };
    // Unsigned, or signed with another secret: refused and logged, nothing recorded.
    let body = update("sf-e1", "in_transit");
    assert_eq!(webhook(&hooked, body.clone(), None).await.status(), 401);
    assert_eq!(webhook(&hooked, body.clone(), Some(signature("guess", body.as_bytes()))).await.status(), 401);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_events WHERE entity = 'tracking_webhook' AND action = 'refused'").await, 2);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tracking_events").await, 0);
    // Signed: recorded once, however often it is sent.
    let signed = Some(signature("hook-secret", body.as_bytes()));
    for expected in [1, 0] {
        let res = webhook(&hooked, body.clone(), signed.clone()).await;
        assert_eq!(res.status(), 200);
        let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["recorded"], expected);
    }
    // Well signed but wrong: an unknown parcel, an unknown status.
    let unknown = update("sf-e2", "in_transit").replace("SF900000001", "SF000");
    assert_eq!(webhook(&hooked, unknown.clone(), Some(signature("hook-secret", unknown.as_bytes()))).await.status(), 404);
    let odd = update("sf-e3", "teleported");
    assert_eq!(webhook(&hooked, odd.clone(), Some(signature("hook-secret", odd.as_bytes()))).await.status(), 422);
    let d = service::my_order(&db, &cathy, id).await.unwrap();
    assert_eq!(d.order.shipments[0].events.iter().map(|e| e.status.as_str()).collect::<Vec<_>>(), ["in_transit"]);
    assert_eq!(d.order.state, "shipped");
    // Without a secret the webhook is off.
    assert_eq!(webhook(&app(&db), body.clone(), signed).await.status(), 503);

    // The tracker asks the (simulated) carrier: the whole journey, and the order is delivered.
    let new = poll_carriers(&db, &Simulated { step_ms: 1 }).await.unwrap();
    assert_eq!(new, 10, "five stages for each parcel on its way: this order's and the demo's shipped one");
    assert_eq!(poll_carriers(&db, &Simulated { step_ms: 1 }).await.unwrap(), 0, "nothing twice; delivered parcels are not asked again");
    let d = service::my_order(&db, &cathy, id).await.unwrap();
    assert_eq!(d.order.state, "delivered");
    assert!(d.order.shipments[0].delivered_at.is_some());
    assert_eq!(d.events.last().unwrap().action, "deliver");
});

on_both_backends!(an_open_order_page_hears_of_every_step, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    service::set_cart_quantity(&db, &cathy, "QM-200G", "1", true).await.unwrap();
    let id = service::place_order(&db, &cathy, &checkout("key-live-001", 9_400)).await.unwrap();
    let app = app(&db);
    let path = format!("/api/live/orders/{id}");
    assert_eq!(Client::new(&app).open_stream(&path).await.0, 401);
    let mut other = Client::new(&app);
    assert_eq!(other.login("ops@shopflow.test", DEMO_PASSWORD).await.status, 200);
    assert_eq!(other.open_stream(&path).await.0, 200, "staff who read orders may follow");
    let mut c = Client::new(&app);
    assert_eq!(c.login("customer@shopflow.test", DEMO_PASSWORD).await.status, 200);
    assert_eq!(c.open_stream("/api/live/orders/999999").await.0, 404);
    let (status, content_type, mut body) = c.open_stream(&path).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/event-stream"), "{content_type}");
    service::pay_order(&db, &cathy, POLICY, id, &card("4242424242424242")).await.unwrap();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while !seen.contains("event: changed") {
        let frame = tokio::time::timeout_at(deadline, http_body_util::BodyExt::frame(&mut body)).await.expect("an event within 15 s");
        if let Some(Ok(f)) = frame {
            if let Ok(data) = f.into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }
});

on_both_backends!(a_shipping_exception_is_investigated_and_resolved_and_the_customer_is_told, async |db: Db| {
    use shopflow::orders::exception_service as exceptions;
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    let id = shipped_order(&db, "key-exc-001", "SF900000077").await;
    let parcel = service::order_detail(&db, &logistics, id).await.unwrap().order.shipments[0].id;
    let f = |pairs: &[(&str, &str)]| -> HashMap<String, String> { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let report = f(&[("kind", "damage"), ("description", "Carrier photo shows a crushed box"), ("customer_note", "Your parcel was damaged on the way; we are on it.")]);
    // The clerk may not report; a wrong kind or another order's parcel is refused.
    assert_eq!(exceptions::report(&db, &clerk, id, parcel, &report).await.unwrap_err(), AppError::Forbidden);
    let odd = f(&[("kind", "meteor"), ("description", "x"), ("customer_note", "y")]);
    assert!(exceptions::report(&db, &logistics, id, parcel, &odd).await.unwrap_err().field_message("kind").is_some());
    assert!(exceptions::report(&db, &logistics, id + 1000, parcel, &report).await.unwrap_err().field_message("shipment").is_some());
    let t = exceptions::report(&db, &logistics, id, parcel, &report).await.unwrap();
    assert_eq!(t.state, "reported");
    assert_eq!(exceptions::list(&db, "").await.unwrap().iter().filter(|e| e.id == t.id).count(), 1, "in logistics' open list");

    // The customer reads the note, never the internal description.
    let seen = service::my_order(&db, &cathy, id).await.unwrap().exceptions;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].customer_note, "Your parcel was damaged on the way; we are on it.");
    assert!(seen[0].description.is_empty() && seen[0].events.is_empty() && seen[0].actions.is_empty());

    let t = exceptions::act(&db, &logistics, t.id, t.version, "investigate", &f(&[("note", "Claim SF-C-1 opened; answer in 24 h")])).await.unwrap();
    // The order cannot be completed while the exception is open.
    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    let v = service::order_detail(&db, &wh, id).await.unwrap().order.version;
    let v = service::act_on_order(&db, &logistics, POLICY, id, v, "deliver", &none(), &[]).await.unwrap().version;
    assert!(matches!(service::act_on_order(&db, &clerk, POLICY, id, v, "complete", &none(), &[]).await, Err(AppError::Conflict(_))));

    // A replacement: the same goods leave the warehouse again; a refund larger than the order is refused.
    let before = balance(&db, "QM-200G", "SH").await;
    let too_much = f(&[("resolution", "refund"), ("amount", "9999.00"), ("customer_note", "Refunded.")]);
    assert!(exceptions::act(&db, &logistics, t.id, t.version, "resolve", &too_much).await.unwrap_err().field_message("amount").is_some());
    let no_number = f(&[("resolution", "reship"), ("customer_note", "A new parcel is on its way.")]);
    assert!(exceptions::act(&db, &logistics, t.id, t.version, "resolve", &no_number).await.unwrap_err().field_message("replacement_tracking").is_some());
    assert_eq!(balance(&db, "QM-200G", "SH").await, before, "refused steps moved nothing");
    let reship = f(&[("resolution", "reship"), ("replacement_tracking", "SF900000078"), ("customer_note", "A new parcel is on its way: SF900000078.")]);
    let t = exceptions::act(&db, &logistics, t.id, t.version, "resolve", &reship).await.unwrap();
    assert_eq!(t.state, "resolved");
    assert_eq!(balance(&db, "QM-200G", "SH").await, (before.0 - 2, before.1));
    let seen = service::my_order(&db, &cathy, id).await.unwrap().exceptions;
    assert_eq!((seen[0].resolution.as_deref(), seen[0].replacement_tracking.as_deref()), (Some("reship"), Some("SF900000078")));
    assert!(exceptions::list(&db, "").await.unwrap().iter().all(|e| e.id != t.id), "resolved ones leave the open list");
    // Now the order completes.
    assert_eq!(service::act_on_order(&db, &clerk, POLICY, id, v, "complete", &none(), &[]).await.unwrap().state, "completed");

    // A second, compensated: the amount goes to finance.
    let t2 = exceptions::report(&db, &logistics, id, parcel, &f(&[("kind", "delay"), ("description", "4 days late"), ("customer_note", "Sorry for the delay.")])).await.unwrap();
    let t2 = exceptions::act(&db, &logistics, t2.id, t2.version, "investigate", &f(&[("note", "Carrier confirms the delay")])).await.unwrap();
    exceptions::act(&db, &logistics, t2.id, t2.version, "resolve", &f(&[("resolution", "compensate"), ("amount", "10.00"), ("customer_note", "A ¥10 voucher refund.")])).await.unwrap();
    let refunds = service::my_order(&db, &cathy, id).await.unwrap().order.refunds;
    assert_eq!(refunds, vec![(1_000, format!("shipping exception #{}: compensate", t2.id), "requested".to_string())]);
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());
});

/// Takes a shipped order to delivered (the logistics step).
pub(crate) async fn deliver(db: &Db, id: i64) {
    let logistics = demo_actor(db, "logistics@shopflow.test").await;
    let v = service::order_detail(db, &logistics, id).await.unwrap().order.version;
    service::act_on_order(db, &logistics, POLICY, id, v, "deliver", &none(), &[]).await.unwrap();
}

on_both_backends!(returns_are_inspected_into_stock_or_scrap_and_refunded_or_exchanged, async |db: Db| {
    use shopflow::orders::return_service as returns;
    use shopflow::orders::returns::{ReturnInspection, ReturnLineInput, ReturnRequest};
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    let f = |pairs: &[(&str, &str)]| -> HashMap<String, String> { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let id = shipped_order(&db, "key-ret-0001", "SF900000099").await;
    let line = service::my_order(&db, &cathy, id).await.unwrap().order.lines[0].id;
    let ask = |kind: &str, q: &str| ReturnRequest {
        order_id: id,
        kind: kind.into(),
        reason: "damaged".into(),
        description: "One bag was torn".into(),
        lines: vec![ReturnLineInput { order_line_id: line, quantity: q.into() }],
        photos: Vec::new(),
        ticket_id: None,
    };
    // Not before delivery; not more than was ordered; not someone else's order.
    assert!(matches!(returns::request(&db, &cathy, &ask("return", "1")).await, Err(AppError::Conflict(_))));
    deliver(&db, id).await;
    assert!(returns::request(&db, &cathy, &ask("return", "3")).await.unwrap_err().field_message("lines").unwrap().contains("at most 2"));
    let other = customer(&db, 7).await;
    assert_eq!(returns::request(&db, &other, &ask("return", "1")).await.unwrap_err(), AppError::NotFound);

    let before = balance(&db, "QM-200G", "SH").await;
    let t = returns::request(&db, &cathy, &ask("return", "2")).await.unwrap();
    assert!(returns::request(&db, &cathy, &ask("exchange", "1")).await.unwrap_err().field_message("lines").unwrap().contains("at most 0"), "both units are already on a case");
    // Only customer service approves; only the warehouse receives and inspects.
    assert_eq!(returns::act(&db, &wh, t.id, t.version, "approve", &f(&[("note", "x")]), &[]).await.unwrap_err(), AppError::Forbidden);
    let t = returns::act(&db, &agent, t.id, t.version, "approve", &f(&[("note", "Send it to our Shanghai warehouse.")]), &[]).await.unwrap();
    assert_eq!(returns::act(&db, &agent, t.id, t.version, "receive", &none(), &[]).await.unwrap_err(), AppError::Forbidden);
    let t = returns::act(&db, &wh, t.id, t.version, "receive", &none(), &[]).await.unwrap();
    let d = returns::detail(&db, &wh, t.id).await.unwrap();
    let insp = |r: &str, s: &str| vec![ReturnInspection { line_id: d.case.lines[0].id, restock: r.into(), scrap: s.into() }];
    let problem = f(&[("problem", "One bag torn in transit; the other intact")]);
    assert!(returns::act(&db, &wh, t.id, t.version, "inspect", &problem, &insp("1", "0")).await.unwrap_err().field_message("lines").is_some());
    let t = returns::act(&db, &wh, t.id, t.version, "inspect", &problem, &insp("1", "1")).await.unwrap();
    // The sellable bag is back in Shanghai through the ledger; the torn one is not.
    assert_eq!(balance(&db, "QM-200G", "SH").await, (before.0 + 1, before.1));
    // A return is refunded, not exchanged.
    let d = returns::detail(&db, &agent, t.id).await.unwrap();
    assert_eq!(d.actions, vec!["refund".to_string()]);
    assert!(matches!(returns::act(&db, &agent, t.id, t.version, "exchange", &f(&[("tracking_number", "SF1"), ("solution", "x")]), &[]).await, Err(AppError::Conflict(_))));
    let t = returns::act(&db, &agent, t.id, t.version, "refund", &f(&[("solution", "Refunded both bags; carrier claim for the torn one")]), &[]).await.unwrap();
    assert_eq!(t.state, "refunded");
    let seen = service::my_order(&db, &cathy, id).await.unwrap();
    assert_eq!(seen.returns[0].refund_amount, Some(17_200));
    assert!(seen.order.refunds.contains(&(17_200, format!("return #{}", t.id), "requested".to_string())));

    // An exchange: the replacement leaves the warehouse; a rejection says why.
    let id2 = shipped_order(&db, "key-ret-0002", "SF900000100").await;
    deliver(&db, id2).await;
    let line2 = service::my_order(&db, &cathy, id2).await.unwrap().order.lines[0].id;
    let mut swap = ask("exchange", "1");
    swap.order_id = id2;
    swap.lines[0].order_line_id = line2;
    let e = returns::request(&db, &cathy, &swap).await.unwrap();
    let e = returns::act(&db, &agent, e.id, e.version, "approve", &f(&[("note", "Send it back")]), &[]).await.unwrap();
    let e = returns::act(&db, &wh, e.id, e.version, "receive", &none(), &[]).await.unwrap();
    let d = returns::detail(&db, &wh, e.id).await.unwrap();
    let e = returns::act(&db, &wh, e.id, e.version, "inspect", &f(&[("problem", "Seal broken")]),
        &[ReturnInspection { line_id: d.case.lines[0].id, restock: "0".into(), scrap: "1".into() }]).await.unwrap();
    let stock = balance(&db, "QM-200G", "SH").await;
    let e = returns::act(&db, &agent, e.id, e.version, "exchange", &f(&[("tracking_number", "SF900000101"), ("solution", "New bag sent")]), &[]).await.unwrap();
    assert_eq!(e.state, "exchanged");
    assert_eq!(balance(&db, "QM-200G", "SH").await, (stock.0 - 1, stock.1), "the replacement left the warehouse");
    let mut third = ask("return", "1");
    third.order_id = id2;
    third.lines[0].order_line_id = line2;
    let r = returns::request(&db, &cathy, &third).await.unwrap();
    let r = returns::act(&db, &agent, r.id, r.version, "reject", &f(&[("reason", "Outside the 7-day window")]), &[]).await.unwrap();
    assert_eq!(r.state, "rejected");
    assert_eq!(returns::list(&db, "").await.unwrap().len(), 0, "no open case left");
    assert!(inventory::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(customers_review_the_products_of_completed_orders_once, async |db: Db| {
    use shopflow::orders::review_service as reviews;
    use shopflow::orders::reviews::ReviewInput;
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let id = shipped_order(&db, "key-rev-0001", "SF900000201").await;
    let line = service::my_order(&db, &cathy, id).await.unwrap().order.lines[0].id;
    let review = |rating: &str| ReviewInput { order_line_id: line, rating: rating.into(), comment: "Fragrant, honeyed".into() };
    assert!(matches!(reviews::submit(&db, &cathy, &review("5")).await, Err(AppError::Conflict(_))), "not before completion");
    deliver(&db, id).await;
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    let v = service::order_detail(&db, &clerk, id).await.unwrap().order.version;
    service::act_on_order(&db, &clerk, POLICY, id, v, "complete", &none(), &[]).await.unwrap();
    assert!(reviews::submit(&db, &cathy, &review("6")).await.unwrap_err().field_message("rating").is_some());
    let other = customer(&db, 9).await;
    assert_eq!(reviews::submit(&db, &other, &review("1")).await.unwrap_err(), AppError::NotFound, "only the order's customer");
    reviews::submit(&db, &cathy, &review("4")).await.unwrap();
    assert!(matches!(reviews::submit(&db, &cathy, &review("5")).await, Err(AppError::Conflict(_))), "once per line");
    assert_eq!(service::my_order(&db, &cathy, id).await.unwrap().reviewed_lines, vec![line]);
    let (product,): (i64,) = sqlx::query_as("SELECT p.id FROM products p JOIN skus s ON s.product_id = p.id WHERE s.code = 'QM-200G'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let shown = reviews::of_product(&db, product).await.unwrap();
    assert_eq!((shown.count, shown.average_x10), (1, Some(40)));
    assert_eq!((shown.latest[0].author.as_str(), shown.latest[0].comment.as_str()), ("Cathy", "Fragrant, honeyed"));
});
