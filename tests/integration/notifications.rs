//! Notifications on both backends: the steps of an order tell its customer in the app and by
//! mail, an order held for review tells the clerks, nobody reads or marks another user's
//! notifications through the server functions, and a step that rolls back tells nobody. No
//! one is told of a step they took themselves.

use crate::on_both_backends;
use crate::support::{app, demo_actor, Client};
use serde_json::json;
use shopflow::accounts::Actor;
use shopflow::domain::AppError;
use shopflow::engine::run;
use shopflow::notifications::{service as notices, Notice};
use shopflow::orders::{service, AddressInput, CardInput, CheckoutInput, OrderPolicy, ShipmentInput, ORDERS};
use shopflow::server::demo::{self, DEMO_PASSWORD};
use shopflow::server::Db;
use std::collections::HashMap;

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

fn card() -> CardInput {
    CardInput { holder: "CATHY CUSTOMER".into(), number: "4242424242424242".into(), expiry: "12/39".into(), cvc: "123".into() }
}

/// The kinds of the notifications of `user` about order `order`, oldest first.
async fn kinds(db: &Db, user: i64, order: i64) -> Vec<String> {
    crate::support::notice_kinds(db, user, "order", order).await
}

/// (subject, body) of the mails to `to` about order `order`, oldest first.
async fn mails(db: &Db, to: &str, order: i64) -> Vec<(String, String)> {
    crate::support::mails_about(db, to, "order", order).await
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).fetch_one(db.pool()).await.unwrap().0
}

/// A paid order of the demo customer for one 128.00 bag of tea.
async fn paid_order(db: &Db, cathy: &Actor, key: &str, policy: OrderPolicy) -> i64 {
    service::set_cart_quantity(db, cathy, "LJ-100G", "1", true).await.unwrap();
    let id = service::place_order(db, cathy, &checkout(key, 12_800)).await.unwrap();
    service::pay_order(db, cathy, policy, id, &card()).await.unwrap();
    id
}

fn none() -> HashMap<String, String> {
    HashMap::new()
}

on_both_backends!(an_orders_steps_tell_its_customer_in_the_app_and_by_mail, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let id = paid_order(&db, &cathy, "key-notice-01", POLICY).await;
    // Within the review amount: confirmed by itself; the customer hears of that once (not of
    // the payment, the confirmation and the release separately). Placing is their own step.
    assert_eq!(kinds(&db, cathy.id, id).await, vec!["order.confirmed"]);

    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let d = service::order_detail(&db, &wh, id).await.unwrap();
    let t = service::act_on_order(&db, &wh, POLICY, id, d.order.version, "pick", &none(), &[]).await.unwrap();
    let t = service::act_on_order(&db, &wh, POLICY, id, t.version, "pack", &none(), &[]).await.unwrap();
    assert_eq!(kinds(&db, cathy.id, id).await.len(), 1, "picking and packing are the warehouse's business");
    let parcels: Vec<ShipmentInput> =
        d.order.shipments.iter().map(|s| ShipmentInput { shipment_id: s.id, carrier: "sf".into(), tracking_number: "SF700000001".into() }).collect();
    let t = service::act_on_order(&db, &logistics, POLICY, id, t.version, "ship", &none(), &parcels).await.unwrap();
    service::act_on_order(&db, &logistics, POLICY, id, t.version, "deliver", &none(), &[]).await.unwrap();
    assert_eq!(kinds(&db, cathy.id, id).await, vec!["order.confirmed", "order.shipped", "order.delivered"]);

    // Each notification has its mail, to the customer's address, with the carrier, the
    // tracking number and the way to the order.
    let sent = mails(&db, "customer@shopflow.test", id).await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent[0].0.contains(&format!("#{id}")) && sent[0].0.contains("¥128.00"), "{:?}", sent[0]);
    assert!(sent[1].0.contains("SF Express SF700000001"), "{:?}", sent[1]);
    assert!(sent[1].1.contains(&format!("/my/orders/{id}")), "{:?}", sent[1]);

    // The customer's inbox: newest first, linking to their order page, all unread.
    let inbox = notices::inbox(&db, &cathy).await.unwrap();
    let mine: Vec<_> = inbox.items.iter().filter(|n| n.entity_id == id).collect();
    assert_eq!(mine.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(), vec!["order.delivered", "order.shipped", "order.confirmed"]);
    assert!(mine.iter().all(|n| n.link == format!("/my/orders/{id}") && n.read_at.is_none()));
    assert!(mine[1].text(shopflow::i18n::Lang::Zh).contains("顺丰速运 SF700000001"));
    let unread = inbox.unread;
    notices::mark_read(&db, &cathy, mine[0].id).await.unwrap();
    assert_eq!(notices::unread_count(&db, &cathy).await.unwrap(), unread - 1);
    assert_eq!(notices::mark_all_read(&db, &cathy).await.unwrap() as i64, unread - 1);
    assert_eq!(notices::unread_count(&db, &cathy).await.unwrap(), 0);
    // Staff heard of none of it: a shipment concerns its customer.
    assert!(kinds(&db, logistics.id, id).await.is_empty() && kinds(&db, wh.id, id).await.is_empty());

    // A clerk's cancellation of a paid order tells the customer the reason and the refund;
    // the customer's own cancellation does not tell them what they just did.
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    let other = paid_order(&db, &cathy, "key-notice-02", POLICY).await;
    let v = service::order_detail(&db, &clerk, other).await.unwrap().order.version;
    let reason: HashMap<String, String> = [("reason".to_string(), "Address unreachable".to_string())].into();
    service::act_on_order(&db, &clerk, POLICY, other, v, "void", &reason, &[]).await.unwrap();
    let cancelled = notices::inbox(&db, &cathy).await.unwrap().items.into_iter().find(|n| n.entity_id == other).unwrap();
    assert_eq!(cancelled.kind, "order.cancelled_refund");
    let text = cancelled.text(shopflow::i18n::Lang::En);
    assert!(text.contains("Address unreachable") && text.contains("128.00"), "{text}");
    let own = paid_order(&db, &cathy, "key-notice-03", POLICY).await;
    let v = service::my_order(&db, &cathy, own).await.unwrap().order.version;
    service::act_on_order(&db, &cathy, POLICY, own, v, "cancel", &none(), &[]).await.unwrap();
    assert_eq!(kinds(&db, cathy.id, own).await, vec!["order.confirmed"]);
});

on_both_backends!(an_order_held_for_review_tells_the_clerks_and_its_customer, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    let admin = demo_actor(&db, "admin@shopflow.test").await;
    let service_agent = demo_actor(&db, "service@shopflow.test").await;
    // A second clerk through a custom role that holds the permission, and a deactivated one.
    let night_desk = shopflow::accounts::service::create_role(&db, &admin, "Night desk", &[shopflow::domain::Permission::OrderReview]).await.unwrap();
    let mut extra = Vec::new();
    for (email, active) in [("night@shopflow.test", 1), ("gone@shopflow.test", 0)] {
        let (uid,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, display_name, password_hash, is_customer, active, created_at) VALUES ($1, 'N', 'x', 0, $2, 0) RETURNING id",
        )
        .bind(email)
        .bind(active)
        .fetch_one(db.writer())
        .await
        .unwrap();
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)").bind(uid).bind(night_desk).execute(db.writer()).await.unwrap();
        extra.push(uid);
    }

    let strict = OrderPolicy { review_above: 10_000, ..POLICY };
    let id = paid_order(&db, &cathy, "key-review-n1", strict).await;
    assert_eq!(service::my_order(&db, &cathy, id).await.unwrap().order.state, "paid");
    // Everyone who may confirm it, by permission: the clerk, the custom role, the
    // administrator; not the deactivated account, not those without the permission.
    assert_eq!(kinds(&db, clerk.id, id).await, vec!["order.review"]);
    assert_eq!(kinds(&db, extra[0], id).await, vec!["order.review"]);
    assert_eq!(kinds(&db, admin.id, id).await, vec!["order.review"]);
    assert!(kinds(&db, extra[1], id).await.is_empty());
    assert!(kinds(&db, service_agent.id, id).await.is_empty());
    let (link,): (String,) = sqlx::query_as("SELECT link FROM notifications WHERE user_id = $1 AND entity_id = $2").bind(clerk.id).bind(id).fetch_one(db.pool()).await.unwrap();
    assert_eq!(link, format!("/orders/{id}"));
    assert_eq!(mails(&db, "orders@shopflow.test", id).await.len(), 1);
    // The customer paid (their own step): told nothing yet.
    assert!(kinds(&db, cathy.id, id).await.is_empty());

    // The clerk confirms: the customer hears of it; the clerk is not told of their own step.
    let v = service::order_detail(&db, &clerk, id).await.unwrap().order.version;
    service::act_on_order(&db, &clerk, strict, id, v, "confirm", &none(), &[]).await.unwrap();
    assert_eq!(kinds(&db, cathy.id, id).await, vec!["order.confirmed"]);
    assert_eq!(kinds(&db, clerk.id, id).await, vec!["order.review"]);
});

on_both_backends!(nobody_reads_or_marks_another_users_notifications, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let id = paid_order(&db, &cathy, "key-notice-own", POLICY).await;
    let (notice,): (i64,) = sqlx::query_as("SELECT id FROM notifications WHERE user_id = $1 AND entity_id = $2").bind(cathy.id).bind(id).fetch_one(db.pool()).await.unwrap();
    let app = app(&db);

    // Another signed-in user (a clerk) lists only their own, and cannot mark Cathy's read.
    let mut clerk = Client::new(&app);
    assert_eq!(clerk.login("orders@shopflow.test", DEMO_PASSWORD).await.status, 200);
    let r = clerk.form("/api/list_notifications", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let listed: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(listed["items"].as_array().unwrap().iter().all(|n| n["id"] != json!(notice)), "{}", r.body);
    let r = clerk.form("/api/mark_notification_read", &format!("id={notice}")).await;
    assert_eq!(r.status, 404, "someone else's notification is not found: {}", r.body);
    let r = clerk.form("/api/mark_all_notifications_read", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (read_at,): (Option<i64>,) = sqlx::query_as("SELECT read_at FROM notifications WHERE id = $1").bind(notice).fetch_one(db.pool()).await.unwrap();
    assert_eq!(read_at, None, "still unread for its owner");
    // Anonymous visitors get nothing.
    let mut anonymous = Client::new(&app);
    assert_eq!(anonymous.form("/api/list_notifications", "").await.status, 401);
    assert_eq!(anonymous.form("/api/mark_notification_read", &format!("id={notice}")).await.status, 401);

    // The owner sees it, counts it, and marks it read.
    let mut owner = Client::new(&app);
    assert_eq!(owner.login("customer@shopflow.test", DEMO_PASSWORD).await.status, 200);
    let r = owner.form("/api/list_notifications", "").await;
    let listed: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(listed["items"].as_array().unwrap().iter().any(|n| n["id"] == json!(notice)), "{}", r.body);
    let before: i64 = owner.form("/api/unread_notifications", "").await.body.parse().unwrap();
    assert!(before >= 1);
    assert_eq!(owner.form("/api/mark_notification_read", &format!("id={notice}")).await.status, 200);
    let after: i64 = owner.form("/api/unread_notifications", "").await.body.parse().unwrap();
    assert_eq!(after, before - 1);
    // The page is there for signed-in users, with the bell in the header.
    let page = owner.get("/notifications").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-page=\"notifications\"") && page.body.contains("data-testid=\"bell\""));
    assert!(page.body.contains(&format!("/my/orders/{id}")), "the notification links to the order");
    assert_eq!(anonymous.get("/notifications").await.location.as_deref(), Some("/login"));
});

on_both_backends!(a_step_that_rolls_back_tells_nobody, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    let id = paid_order(&db, &cathy, "key-notice-rb", POLICY).await;
    let d = service::order_detail(&db, &wh, id).await.unwrap();
    let t = service::act_on_order(&db, &wh, POLICY, id, d.order.version, "pick", &none(), &[]).await.unwrap();
    let t = service::act_on_order(&db, &wh, POLICY, id, t.version, "pack", &none(), &[]).await.unwrap();
    let ship = |n: &str| d.order.shipments.iter().map(|s| ShipmentInput { shipment_id: s.id, carrier: "sf".into(), tracking_number: n.into() }).collect::<Vec<_>>();
    let t = service::act_on_order(&db, &logistics, POLICY, id, t.version, "ship", &none(), &ship("SF700000002")).await.unwrap();
    let before = (kinds(&db, cathy.id, id).await, count(&db, "SELECT COUNT(*) FROM outbox_emails").await);
    assert_eq!(before.0, vec!["order.confirmed", "order.shipped"]);

    // The engine writes the notices of a step and then finds the record changed under it
    // (a concurrent step): the step fails, and its notice and mail go with it.
    let mut step = run::begin_system(&db, &ORDERS, id, "deliver").await.unwrap();
    sqlx::query("UPDATE orders SET version = version + 1 WHERE id = $1").bind(id).execute(step.conn()).await.unwrap();
    assert_eq!(step.commit(json!({})).await.unwrap_err(), AppError::StaleVersion);
    assert_eq!((kinds(&db, cathy.id, id).await, count(&db, "SELECT COUNT(*) FROM outbox_emails").await), before);

    // A notice written in a step that is dropped (an error in the process's own effect) is
    // gone with the step.
    let mut step = run::begin_system(&db, &ORDERS, id, "deliver").await.unwrap();
    let notice = Notice::new("order.delivered", "order", id, format!("/my/orders/{id}")).with("order", id.to_string());
    assert!(notices::notify(step.conn(), cathy.id, &notice).await.unwrap());
    drop(step);
    assert_eq!((kinds(&db, cathy.id, id).await, count(&db, "SELECT COUNT(*) FROM outbox_emails").await), before);

    // And a step refused before its commit (a stale version) tells nobody either.
    let err = service::act_on_order(&db, &logistics, POLICY, id, t.version - 1, "deliver", &none(), &[]).await.unwrap_err();
    assert_eq!(err, AppError::StaleVersion);
    assert_eq!(kinds(&db, cathy.id, id).await, before.0);
    // The real step, for contrast, does tell the customer.
    service::act_on_order(&db, &logistics, POLICY, id, t.version, "deliver", &none(), &[]).await.unwrap();
    assert_eq!(kinds(&db, cathy.id, id).await, vec!["order.confirmed", "order.shipped", "order.delivered"]);
});


on_both_backends!(returns_and_shipping_exceptions_tell_the_customer_and_the_staff_who_act, async |db: Db| {
    use shopflow::orders::exception_service as exceptions;
    use shopflow::orders::return_service as returns;
    use shopflow::orders::returns::{ReturnLineInput, ReturnRequest};
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let senior = demo_actor(&db, "senior@shopflow.test").await;
    let admin = demo_actor(&db, "admin@shopflow.test").await;
    let f = |pairs: &[(&str, &str)]| -> HashMap<String, String> { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let id = paid_order(&db, &cathy, "key-notice-ret", POLICY).await;
    let d = service::order_detail(&db, &wh, id).await.unwrap();
    let t = service::act_on_order(&db, &wh, POLICY, id, d.order.version, "pick", &none(), &[]).await.unwrap();
    let t = service::act_on_order(&db, &wh, POLICY, id, t.version, "pack", &none(), &[]).await.unwrap();
    let parcel = d.order.shipments[0].id;
    let ship = [ShipmentInput { shipment_id: parcel, carrier: "sf".into(), tracking_number: "SF700000003".into() }];
    let t = service::act_on_order(&db, &logistics, POLICY, id, t.version, "ship", &none(), &ship).await.unwrap();

    // An exception reported by logistics: the customer is told what logistics wrote for them;
    // the other holders of the permission (here the administrator) hear of the new case.
    let note = "Your parcel was damaged on the way; we are on it.";
    let e = exceptions::report(&db, &logistics, id, parcel, &f(&[("kind", "damage"), ("description", "Crushed box"), ("customer_note", note)])).await.unwrap();
    assert_eq!(crate::support::notice_kinds(&db, cathy.id, "shipping_exception", e.id).await, vec!["exception.reported"]);
    assert_eq!(crate::support::notice_kinds(&db, admin.id, "shipping_exception", e.id).await, vec!["exception.reported_staff"]);
    assert!(crate::support::notice_kinds(&db, logistics.id, "shipping_exception", e.id).await.is_empty(), "the reporter knows");
    let told = notices::inbox(&db, &cathy).await.unwrap().items.into_iter().find(|n| n.kind == "exception.reported").unwrap();
    assert!(told.text(shopflow::i18n::Lang::En).contains(note) && told.link == format!("/my/orders/{id}"));
    let e = exceptions::act(&db, &logistics, e.id, e.version, "investigate", &f(&[("note", "Claim opened")])).await.unwrap();
    assert_eq!(crate::support::notice_kinds(&db, cathy.id, "shipping_exception", e.id).await.len(), 1, "the investigation is internal");
    exceptions::act(&db, &logistics, e.id, e.version, "resolve", &f(&[("resolution", "arrived"), ("customer_note", "It arrived after all.")])).await.unwrap();
    assert_eq!(crate::support::notice_kinds(&db, cathy.id, "shipping_exception", e.id).await, vec!["exception.reported", "exception.resolved"]);

    // A return asked for: the agents who decide hear of it; the decision reaches the customer.
    service::act_on_order(&db, &logistics, POLICY, id, t.version, "deliver", &none(), &[]).await.unwrap();
    let line = d.order.lines[0].id;
    let ask = ReturnRequest { order_id: id, kind: "return".into(), reason: "damaged".into(), description: "Torn".into(), lines: vec![ReturnLineInput { order_line_id: line, quantity: "1".into() }], ..Default::default() };
    let r = returns::request(&db, &cathy, &ask).await.unwrap();
    for staff in [&agent, &senior, &admin] {
        assert_eq!(crate::support::notice_kinds(&db, staff.id, "return", r.id).await, vec!["return.requested"], "{}", staff.email);
    }
    assert!(crate::support::notice_kinds(&db, wh.id, "return", r.id).await.is_empty() && crate::support::notice_kinds(&db, cathy.id, "return", r.id).await.is_empty());
    let r = returns::act(&db, &agent, r.id, r.version, "reject", &f(&[("reason", "Outside the 7-day window")]), &[]).await.unwrap();
    let rejected = notices::inbox(&db, &cathy).await.unwrap().items.into_iter().find(|n| n.entity == "return" && n.entity_id == r.id).unwrap();
    assert_eq!(rejected.kind, "return.rejected");
    assert!(rejected.text(shopflow::i18n::Lang::En).contains("Outside the 7-day window"));
});
