//! A split order's parcels move on their own, on both backends: each warehouse packs its parcel
//! when it is ready and logistics ships it at once; the order follows the last parcel; the
//! customer hears of each parcel; a parcel with its carrier cannot be cancelled, and one only
//! packed goes back on its shelf through the ledger.

use crate::on_both_backends;
use crate::support::{demo_actor, notice_kinds};
use shopflow::accounts::Actor;
use shopflow::domain::AppError;
use shopflow::inventory::service as inventory;
use shopflow::orders::shipments::BoardFilter;
use shopflow::orders::{service, AddressInput, CardInput, CheckoutInput, OrderPolicy, ShipmentInput};
use shopflow::server::demo;
use shopflow::server::Db;
use std::collections::HashMap;

const POLICY: OrderPolicy = OrderPolicy { review_above: 500_000, payment_window_minutes: 30, carrier_step_seconds: 60 };

/// (on hand, reserved) of a SKU in one warehouse.
async fn balance(db: &Db, sku: &str, warehouse: &str) -> (i64, i64) {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM skus WHERE code = $1").bind(sku).fetch_one(db.pool()).await.unwrap();
    let d = inventory::stock_detail(db, id).await.unwrap();
    d.warehouses.iter().find(|w| w.0 == warehouse).map(|w| (w.2.on_hand, w.2.reserved)).unwrap_or((0, 0))
}

/// Keemun lives in Shanghai and the celadon cup in Guangzhou: one parcel from each, picking.
/// Returns (order, Shanghai parcel, Guangzhou parcel).
async fn split_order(db: &Db, key: &str) -> (i64, i64, i64) {
    let cathy = demo_actor(db, "customer@shopflow.test").await;
    service::set_cart_quantity(db, &cathy, "QM-200G", "1", true).await.unwrap();
    service::set_cart_quantity(db, &cathy, "CUP-CEL-80", "1", true).await.unwrap();
    let cart = service::cart(db, &cathy).await.unwrap();
    let fee = cart.shipping.iter().find(|o| o.code == "standard").unwrap().fee_for(cart.goods_total);
    let input = CheckoutInput {
        idempotency_key: key.into(),
        address: AddressInput { recipient: "Cathy Customer".into(), phone: "+86 138 0013 8000".into(), address: "88 Century Ave, Shanghai".into() },
        shipping_method: "standard".into(),
        expected_total: cart.goods_total + fee,
        save_address: false,
    };
    let id = service::place_order(db, &cathy, &input).await.unwrap();
    let card = CardInput { holder: "CATHY CUSTOMER".into(), number: "4242424242424242".into(), expiry: "12/39".into(), cvc: "123".into() };
    service::pay_order(db, &cathy, POLICY, id, &card).await.unwrap();
    let wh = demo_actor(db, "warehouse@shopflow.test").await;
    let d = service::order_detail(db, &wh, id).await.unwrap();
    service::act_on_order(db, &wh, POLICY, id, d.order.version, "pick", &HashMap::new(), &[]).await.unwrap();
    let parcel = |code: &str| d.order.shipments.iter().find(|s| s.warehouse == code).unwrap().id;
    assert_eq!(d.order.shipments.len(), 2);
    (id, parcel("SH"), parcel("GZ"))
}

/// Takes a parcel step with the order's current version.
async fn parcel_step(db: &Db, actor: &Actor, id: i64, action: &str, parcel: i64, tracking: &str) -> Result<String, AppError> {
    let version = service::order_detail(db, actor, id).await?.order.version;
    let input = [ShipmentInput { shipment_id: parcel, carrier: "sf".into(), tracking_number: tracking.into() }];
    service::act_on_order(db, actor, POLICY, id, version, action, &HashMap::new(), &input).await?;
    Ok(service::order_detail(db, actor, id).await?.order.state)
}

on_both_backends!(a_split_orders_parcels_are_packed_and_shipped_each_on_its_own, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let sh_before = balance(&db, "QM-200G", "SH").await;
    let (id, sh, gz) = split_order(&db, "split-key-001").await;
    let (other, other_sh, _) = split_order(&db, "split-key-002").await;
    assert!(service::order_detail(&db, &wh, id).await.unwrap().actions.contains(&"pack_parcel".to_string()));

    // Shanghai packs first: its stock leaves, Guangzhou's stays held, the order still picks.
    assert_eq!(parcel_step(&db, &wh, id, "pack_parcel", sh, "").await.unwrap(), "picking");
    assert_eq!(balance(&db, "QM-200G", "SH").await, (sh_before.0 - 1, sh_before.1 + 1), "one unit of the other order is still held");
    let err = parcel_step(&db, &wh, id, "pack_parcel", sh, "").await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.contains("packed already")), "{err:?}");
    // A parcel of another order is not this order's.
    assert!(matches!(parcel_step(&db, &wh, id, "pack_parcel", other_sh, "").await, Err(AppError::NotFound)));

    // Logistics ships the packed parcel at once; the unpacked one cannot go.
    let err = parcel_step(&db, &logistics, id, "ship_parcel", gz, "SF800000002").await.unwrap_err();
    assert_eq!(err.field_message("shipments").as_deref(), Some("line 2: parcel: pack this parcel first"));
    assert_eq!(parcel_step(&db, &logistics, id, "ship_parcel", sh, "SF800000001").await.unwrap(), "picking");
    let d = service::my_order(&db, &cathy, id).await.unwrap();
    let shipped: Vec<(i64, Option<&str>)> = d.order.shipments.iter().map(|s| (s.id, s.tracking_number.as_deref())).collect();
    assert!(shipped.contains(&(sh, Some("SF800000001"))) && shipped.contains(&(gz, None)));
    // On the board: Shanghai's parcel travels; Guangzhou's, not packed, is not there yet.
    let board = shopflow::orders::shipment_service::board(&db, &BoardFilter::default()).await.unwrap();
    assert!(board.parcels.iter().any(|p| p.shipment_id == sh && p.lane == shopflow::orders::shipments::Lane::InTransit));
    assert!(board.parcels.iter().all(|p| p.shipment_id != gz));

    // A parcel with its carrier cannot be called back: the order cannot be cancelled.
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    let version = service::order_detail(&db, &clerk, id).await.unwrap().order.version;
    let reason: HashMap<String, String> = [("reason".to_string(), "customer called".to_string())].into();
    let err = service::act_on_order(&db, &clerk, POLICY, id, version, "void", &reason, &[]).await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.contains("with its carrier")), "{err:?}");

    // Guangzhou packs: the order is packed; its parcel ships: the order is shipped.
    assert_eq!(parcel_step(&db, &wh, id, "pack_parcel", gz, "").await.unwrap(), "packed");
    assert_eq!(parcel_step(&db, &logistics, id, "ship_parcel", gz, "SF800000002").await.unwrap(), "shipped");
    let events = service::order_detail(&db, &wh, id).await.unwrap().events;
    let trail: Vec<(&str, bool)> = events.iter().skip_while(|e| e.action != "pick").map(|e| (e.action.as_str(), e.actor_id.is_some())).collect();
    assert_eq!(
        trail,
        vec![("pick", true), ("pack_parcel", true), ("ship_parcel", true), ("pack_parcel", true), ("pack", false), ("ship_parcel", true), ("ship", false)]
    );
    // The customer heard of each parcel, and not twice of the last.
    let kinds = notice_kinds(&db, cathy.id, "order", id).await;
    assert_eq!(kinds.iter().filter(|k| k.as_str() == "order.parcel_shipped").count(), 2, "{kinds:?}");
    assert!(!kinds.contains(&"order.shipped".to_string()), "{kinds:?}");
    // The other order was left alone.
    assert_eq!(service::order_detail(&db, &wh, other).await.unwrap().order.state, "picking");
});

on_both_backends!(cancelling_a_split_order_puts_a_packed_parcel_back_on_its_shelf, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let wh = demo_actor(&db, "warehouse@shopflow.test").await;
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    let (sh_before, gz_before) = (balance(&db, "QM-200G", "SH").await, balance(&db, "CUP-CEL-80", "GZ").await);
    let (id, sh, _) = split_order(&db, "split-key-003").await;
    parcel_step(&db, &wh, id, "pack_parcel", sh, "").await.unwrap();
    assert_eq!(balance(&db, "QM-200G", "SH").await.0, sh_before.0 - 1);
    let version = service::order_detail(&db, &clerk, id).await.unwrap().order.version;
    let reason: HashMap<String, String> = [("reason".to_string(), "address unreachable".to_string())].into();
    service::act_on_order(&db, &clerk, POLICY, id, version, "void", &reason, &[]).await.unwrap();
    assert_eq!(balance(&db, "QM-200G", "SH").await, sh_before, "the packed unit is back on the shelf");
    assert_eq!(balance(&db, "CUP-CEL-80", "GZ").await, gz_before, "the held unit is released");
    let d = service::order_detail(&db, &clerk, id).await.unwrap();
    assert_eq!(d.order.state, "cancelled");
    assert!(d.order.shipments.iter().all(|s| s.packed_at.is_none()));
});
