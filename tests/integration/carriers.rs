//! Carriers and shipping services configured by logistics, on both backends: a new service is
//! offered at checkout and priced by the server; a price change reaches new orders only; a
//! retired service or carrier leaves the checkout and the ship step but keeps its name on old
//! orders; bad input changes nothing; every change is audited.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::domain::AppError;
use shopflow::logistics::{service as carriers, CarrierInput, ServiceInput};
use shopflow::orders::shipments::BoardFilter;
use shopflow::orders::{service, AddressInput, CardInput, CheckoutInput, OrderPolicy, ShipmentInput};
use shopflow::server::demo;
use shopflow::server::Db;
use std::collections::HashMap;

fn dhl() -> CarrierInput {
    CarrierInput { code: "dhl".into(), name_en: "DHL".into(), name_zh: "敦豪".into(), tracking_url: "https://dhl.example/track/{number}".into() }
}

fn economy(fee: &str) -> ServiceInput {
    ServiceInput {
        code: "dhl-eco".into(),
        carrier: "dhl".into(),
        name_en: "Economy".into(),
        name_zh: "经济快递".into(),
        fee: fee.into(),
        free_from: String::new(),
        days_min: "3".into(),
        days_max: "6".into(),
    }
}

fn checkout(key: &str, method: &str, expected_total: i64) -> CheckoutInput {
    CheckoutInput {
        idempotency_key: key.into(),
        address: AddressInput { recipient: "Cathy Customer".into(), phone: "+86 138 0013 8000".into(), address: "88 Century Ave, Pudong, Shanghai".into() },
        shipping_method: method.into(),
        expected_total,
        save_address: false,
    }
}

async fn audit_actions(db: &Db, entity: &str) -> Vec<String> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_events WHERE entity = $1 ORDER BY id").bind(entity).fetch_all(db.pool()).await.unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

on_both_backends!(logistics_configures_carriers_that_checkout_and_shipping_use, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let warehouse = demo_actor(&db, "warehouse@shopflow.test").await;

    carriers::create_carrier(&db, &logistics, &dhl()).await.unwrap();
    let service_id = carriers::create_service(&db, &logistics, &economy("5")).await.unwrap();
    // Codes are unique, and a service needs a carrier that exists.
    let err = carriers::create_carrier(&db, &logistics, &CarrierInput { code: "DHL".into(), ..dhl() }).await.unwrap_err();
    assert_eq!(err.field_message("code").as_deref(), Some("a carrier with this code exists"));
    let err = carriers::create_service(&db, &logistics, &ServiceInput { code: "x1".into(), carrier: "nope".into(), ..economy("5") }).await.unwrap_err();
    assert_eq!(err.field_message("carrier").as_deref(), Some("choose a carrier"));
    let err = carriers::create_service(&db, &logistics, &economy("5")).await.unwrap_err();
    assert_eq!(err.field_message("code").as_deref(), Some("a service with this code exists"));
    let err = carriers::update_service(&db, &logistics, service_id, &economy("-3")).await.unwrap_err();
    assert!(err.field_message("fee").is_some());

    // The checkout offers it, cheapest first, with the carrier's name.
    service::set_cart_quantity(&db, &cathy, "QM-200G", "1", true).await.unwrap();
    let cart = service::cart(&db, &cathy).await.unwrap();
    let codes: Vec<&str> = cart.shipping.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(codes, vec!["dhl-eco", "standard", "express"]);
    assert_eq!(cart.shipping[0].carrier.en, "DHL");
    let goods = cart.goods_total;

    // The server prices the order from the service; the page's total must agree.
    let err = service::place_order(&db, &cathy, &checkout("carrier-key-01", "dhl-eco", goods + 800)).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    let first = service::place_order(&db, &cathy, &checkout("carrier-key-01", "dhl-eco", goods + 500)).await.unwrap();
    let d = service::my_order(&db, &cathy, first).await.unwrap();
    assert_eq!((d.order.shipping_fee, d.order.shipping_service.en.as_str()), (500, "Economy"));

    // A new price reaches new orders only.
    carriers::update_service(&db, &logistics, service_id, &economy("9.50")).await.unwrap();
    assert_eq!(service::my_order(&db, &cathy, first).await.unwrap().order.shipping_fee, 500);
    service::set_cart_quantity(&db, &cathy, "QM-200G", "1", true).await.unwrap();
    let cart = service::cart(&db, &cathy).await.unwrap();
    assert_eq!(cart.shipping.iter().find(|o| o.code == "dhl-eco").unwrap().fee, 950);
    let payload: (String,) =
        sqlx::query_as("SELECT payload FROM audit_events WHERE entity = 'shipping_service' AND action = 'update'").fetch_one(db.pool()).await.unwrap();
    assert!(payload.0.contains("\"old_fee\":\"5.00\"") && payload.0.contains("\"fee\":\"9.50\""), "{}", payload.0);

    // Retired: gone from the checkout, and a checkout naming it is refused.
    carriers::set_service_active(&db, &logistics, service_id, false).await.unwrap();
    let cart = service::cart(&db, &cathy).await.unwrap();
    assert!(cart.shipping.iter().all(|o| o.code != "dhl-eco"));
    let err = service::place_order(&db, &cathy, &checkout("carrier-key-02", "dhl-eco", cart.goods_total + 950)).await.unwrap_err();
    assert_eq!(err.field_message("shipping_method").as_deref(), Some("choose a shipping method"));
    // The old order keeps the service's name.
    assert_eq!(service::my_order(&db, &cathy, first).await.unwrap().order.shipping_service.zh, "经济快递");

    // The ship step suggests the carrier of the chosen service and offers active carriers.
    let policy = OrderPolicy::default();
    let card = CardInput { holder: "CATHY CUSTOMER".into(), number: "4242424242424242".into(), expiry: "12/39".into(), cvc: "123".into() };
    service::pay_order(&db, &cathy, policy, first, &card).await.unwrap();
    let none = HashMap::new();
    let d = service::order_detail(&db, &warehouse, first).await.unwrap();
    let t = service::act_on_order(&db, &warehouse, policy, first, d.order.version, "pick", &none, &[]).await.unwrap();
    let t = service::act_on_order(&db, &warehouse, policy, first, t.version, "pack", &none, &[]).await.unwrap();
    let d = service::order_detail(&db, &warehouse, first).await.unwrap();
    assert_eq!(d.order.planned_carrier.as_deref(), Some("dhl"));
    assert!(d.carriers.iter().any(|c| c.0 == "dhl"));
    let parcels = |carrier: &str| -> Vec<ShipmentInput> {
        d.order.shipments.iter().map(|s| ShipmentInput { shipment_id: s.id, carrier: carrier.into(), tracking_number: "DHL0001".into() }).collect()
    };
    let carrier_id: (i64,) = sqlx::query_as("SELECT id FROM carriers WHERE code = 'dhl'").fetch_one(db.pool()).await.unwrap();
    carriers::set_carrier_active(&db, &logistics, carrier_id.0, false).await.unwrap();
    let err = service::act_on_order(&db, &warehouse, policy, first, t.version, "ship", &none, &parcels("dhl")).await.unwrap_err();
    assert_eq!(err.field_message("shipments").as_deref(), Some("line 1: carrier: this carrier is no longer used"));
    let err = service::act_on_order(&db, &warehouse, policy, first, t.version, "ship", &none, &parcels("fedex")).await.unwrap_err();
    assert_eq!(err.field_message("shipments").as_deref(), Some("line 1: carrier: choose a carrier"));
    assert_eq!(service::order_detail(&db, &warehouse, first).await.unwrap().order.state, "packed", "nothing changed");
    assert!(!service::order_detail(&db, &warehouse, first).await.unwrap().carriers.iter().any(|c| c.0 == "dhl"));
    carriers::set_carrier_active(&db, &logistics, carrier_id.0, true).await.unwrap();
    service::act_on_order(&db, &warehouse, policy, first, t.version, "ship", &none, &parcels("dhl")).await.unwrap();
    let shipped = service::my_order(&db, &cathy, first).await.unwrap();
    let parcel = &shipped.order.shipments[0];
    assert_eq!(parcel.carrier_name.as_ref().map(|n| n.zh.as_str()), Some("敦豪"));
    assert_eq!(parcel.tracking_link.as_deref(), Some("https://dhl.example/track/DHL0001"));
    // The board names it and filters by it.
    let board = shopflow::orders::shipment_service::board(&db, &BoardFilter { lane: String::new(), carrier: "dhl".into() }).await.unwrap();
    assert_eq!(board.parcels.len(), 1);
    assert_eq!(board.parcels[0].carrier.as_ref().map(|n| n.en.as_str()), Some("DHL"));
    assert!(board.carriers.iter().any(|c| c.0 == "dhl"));
    assert!(shopflow::orders::shipment_service::board(&db, &BoardFilter { lane: String::new(), carrier: "fedex".into() }).await.is_err());

    assert_eq!(audit_actions(&db, "carrier").await, vec!["create", "deactivate", "activate"]);
    assert_eq!(audit_actions(&db, "shipping_service").await, vec!["create", "update", "deactivate"]);
});

on_both_backends!(renaming_a_carrier_keeps_its_code_and_its_parcels, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let sf: (i64,) = sqlx::query_as("SELECT id FROM carriers WHERE code = 'sf'").fetch_one(db.pool()).await.unwrap();
    // The code in the input is ignored: codes never change.
    let input = CarrierInput { code: "other".into(), name_en: "SF Express International".into(), name_zh: String::new(), tracking_url: String::new() };
    carriers::update_carrier(&db, &logistics, sf.0, &input).await.unwrap();
    let all = carriers::carriers(&db).await.unwrap();
    let sf = all.iter().find(|c| c.code == "sf").unwrap();
    assert_eq!(sf.name.get(shopflow::i18n::Lang::Zh), "SF Express International", "no Chinese name: the English one");
    assert!(all.iter().all(|c| c.code != "other"));
    let bad = CarrierInput { tracking_url: "ftp://x/{number}".into(), ..input };
    assert_eq!(
        carriers::update_carrier(&db, &logistics, sf.id, &bad).await.unwrap_err().field_message("tracking_url").as_deref(),
        Some("a web address containing {number}")
    );
    assert!(matches!(carriers::set_service_active(&db, &logistics, 999_999, false).await, Err(AppError::NotFound)));
});

/// A carrier's call of a tracking webhook address (no browser Origin).
async fn post_tracking(app: &axum::Router, uri: &str, body: &str, secret: &str) -> u16 {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .header("x-shopflow-signature", shopflow::orders::carrier::signature(secret, body.as_bytes()))
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    tower::ServiceExt::oneshot(app.clone(), req).await.unwrap().status().as_u16()
}

on_both_backends!(a_carrier_with_its_own_secret_reports_only_its_own_parcels, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    crate::orders::shipped_with(&db, "key-hook-sf", "sf", "SF7000001").await;
    crate::orders::shipped_with(&db, "key-hook-jd", "jd", "JD7000001").await;
    let app = crate::support::app_configured(&db, |c| c.tracking_webhook_secret = Some("shared".into()));
    let update = |carrier: &str, number: &str, event: &str| {
        serde_json::json!({ "carrier": carrier, "tracking_number": number,
            "events": [{ "id": event, "status": "in_transit", "description": "Left the hub", "at": 1_764_000_000_000i64 }] })
        .to_string()
    };
    let events = |db: Db| async move {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tracking_events").fetch_one(db.pool()).await.unwrap();
        n
    };
    let refusals = |db: Db| async move {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE entity = 'tracking_webhook' AND action = 'refused'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        n
    };
    // Without a secret of its own, SF has no address of its own; the shared one works.
    assert_eq!(post_tracking(&app, "/webhooks/tracking/sf", &update("sf", "SF7000001", "a1"), "shared").await, 401);
    assert_eq!(post_tracking(&app, "/webhooks/tracking", &update("sf", "SF7000001", "a1"), "shared").await, 200);

    let sf: (i64,) = sqlx::query_as("SELECT id FROM carriers WHERE code = 'sf'").fetch_one(db.pool()).await.unwrap();
    let first = carriers::new_webhook_secret(&db, &logistics, sf.0).await.unwrap();
    assert_eq!(first.len(), 64);
    assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
    let listed = carriers::carriers(&db).await.unwrap().into_iter().find(|c| c.code == "sf").unwrap().webhook.unwrap();
    assert_eq!(listed.hint, first[60..]);
    assert_eq!(listed.previous_until, None, "there was no secret before");
    let before = (events(db.clone()).await, refusals(db.clone()).await);

    // Now the shared secret no longer speaks for SF, and SF's own secret does not work at the
    // shared address or for another carrier's parcels.
    assert_eq!(post_tracking(&app, "/webhooks/tracking", &update("sf", "SF7000001", "a2"), "shared").await, 401);
    assert_eq!(post_tracking(&app, "/webhooks/tracking/sf", &update("sf", "SF7000001", "a2"), "shared").await, 401);
    assert_eq!(post_tracking(&app, "/webhooks/tracking/jd", &update("jd", "JD7000001", "a2"), &first).await, 401);
    assert_eq!(post_tracking(&app, "/webhooks/tracking/sf", &update("jd", "JD7000001", "a2"), &first).await, 422);
    assert_eq!(post_tracking(&app, "/webhooks/tracking/nobody", &update("sf", "SF7000001", "a2"), &first).await, 401);
    assert_eq!(events(db.clone()).await, before.0, "nothing recorded");
    assert_eq!(refusals(db.clone()).await, before.1 + 4, "every refused signature is logged");
    // The other carriers keep the shared secret.
    assert_eq!(post_tracking(&app, "/webhooks/tracking", &update("jd", "JD7000001", "b1"), "shared").await, 200);
    // SF signs with its own secret at its own address.
    assert_eq!(post_tracking(&app, "/webhooks/tracking/sf", &update("sf", "SF7000001", "a3"), &first).await, 200);
    assert_eq!(events(db.clone()).await, before.0 + 2);

    // A new secret: the old one keeps working through the grace period, then stops.
    let second = carriers::new_webhook_secret(&db, &logistics, sf.0).await.unwrap();
    assert_ne!(first, second);
    let listed = carriers::carriers(&db).await.unwrap().into_iter().find(|c| c.code == "sf").unwrap().webhook.unwrap();
    assert!(listed.previous_until.is_some());
    assert_eq!(post_tracking(&app, "/webhooks/tracking/sf", &update("sf", "SF7000001", "a4"), &first).await, 200);
    assert_eq!(post_tracking(&app, "/webhooks/tracking/sf", &update("sf", "SF7000001", "a5"), &second).await, 200);
    sqlx::query("UPDATE carriers SET webhook_previous_until = 1 WHERE code = 'sf'").execute(db.writer()).await.unwrap();
    assert_eq!(post_tracking(&app, "/webhooks/tracking/sf", &update("sf", "SF7000001", "a6"), &first).await, 401);
    assert_eq!(events(db.clone()).await, before.0 + 4);

    // Each new secret is audited by its last characters, never in full.
    let payloads: Vec<(String,)> =
        sqlx::query_as("SELECT payload FROM audit_events WHERE entity = 'carrier' AND action = 'webhook_secret' ORDER BY id").fetch_all(db.pool()).await.unwrap();
    assert_eq!(payloads.len(), 2);
    assert!(payloads[0].0.contains(&first[60..]) && !payloads[0].0.contains(&first));
    assert!(payloads.iter().all(|p| !p.0.contains(&second) && !p.0.contains(&first)));
    assert!(matches!(carriers::new_webhook_secret(&db, &logistics, 999_999).await, Err(AppError::NotFound)));
});
