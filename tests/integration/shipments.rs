//! The shipments board on both backends: each parcel in the lane its facts put it in, stalled
//! after a day without news, an open exception first, delivered parcels gone after a week;
//! the lane and carrier filters; who may read it.

use crate::on_both_backends;
use crate::support::{app, demo_actor, Client};
use serde_json::json;
use shopflow::orders::shipment_service::board;
use shopflow::orders::shipments::{BoardFilter, Lane, DELIVERED_SHOWN_MS, STALL_MS};
use shopflow::server::demo::{self, DEMO_PASSWORD};
use shopflow::server::Db;
use std::collections::HashMap;

fn filter(lane: &str, carrier: &str) -> BoardFilter {
    BoardFilter { lane: lane.into(), carrier: carrier.into() }
}

async fn parcel_of(db: &Db, order: i64) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT MIN(id) FROM shipments WHERE order_id = $1").bind(order).fetch_one(db.pool()).await.unwrap().0
}

/// Moves a parcel's hand-over and its tracking news `ms` into the past.
async fn age(db: &Db, parcel: i64, ms: i64) {
    sqlx::query("UPDATE shipments SET shipped_at = shipped_at - $1, delivered_at = delivered_at - $1 WHERE id = $2").bind(ms).bind(parcel).execute(db.writer()).await.unwrap();
    sqlx::query("UPDATE tracking_events SET occurred_at = occurred_at - $1 WHERE shipment_id = $2").bind(ms).bind(parcel).execute(db.writer()).await.unwrap();
}

on_both_backends!(parcels_sit_in_the_lane_their_facts_put_them_in, async |db: Db| {
    use shopflow::orders::exception_service as exceptions;
    demo::seed(&db).await.unwrap();
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let packed = crate::orders::packed_order(&db, "key-board-01").await;
    let moving = crate::orders::shipped_order(&db, "key-board-02", "SF700000001").await;
    let stalled = crate::orders::shipped_with(&db, "key-board-03", "jd", "JD700000002").await;
    let troubled = crate::orders::shipped_order(&db, "key-board-04", "SF700000003").await;
    let delivered = crate::orders::shipped_order(&db, "key-board-05", "SF700000004").await;
    let long_ago = crate::orders::shipped_order(&db, "key-board-06", "SF700000005").await;
    crate::orders::deliver(&db, delivered).await;
    crate::orders::deliver(&db, long_ago).await;
    age(&db, parcel_of(&db, stalled).await, STALL_MS + 60_000).await;
    age(&db, parcel_of(&db, long_ago).await, DELIVERED_SHOWN_MS + 60_000).await;
    let f = |pairs: &[(&str, &str)]| -> HashMap<String, String> { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let report = f(&[("kind", "damage"), ("description", "Crushed box"), ("customer_note", "We are looking into it.")]);
    exceptions::report(&db, &logistics, troubled, parcel_of(&db, troubled).await, &report).await.unwrap();

    let all = board(&db, &BoardFilter::default()).await.unwrap();
    let lane = |order: i64| all.parcels.iter().find(|p| p.order_id == order).map(|p| p.lane);
    assert_eq!(lane(packed), Some(Lane::ToShip));
    assert_eq!(lane(moving), Some(Lane::InTransit));
    assert_eq!(lane(stalled), Some(Lane::Stalled));
    assert_eq!(lane(troubled), Some(Lane::Exception));
    assert_eq!(lane(delivered), Some(Lane::Delivered));
    assert_eq!(lane(long_ago), None, "delivered over a week ago");
    // The counts agree with the list, lane by lane, and the list runs in lane order.
    for (l, n) in &all.counts {
        assert_eq!(*n, all.parcels.iter().filter(|p| p.lane == *l).count() as i64, "{l:?}");
    }
    let order: Vec<usize> = all.parcels.iter().map(|p| Lane::ALL.iter().position(|l| *l == p.lane).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    let stuck = all.parcels.iter().find(|p| p.order_id == stalled).unwrap();
    assert_eq!((stuck.carrier.as_ref().map(|c| c.en.as_str()), stuck.tracking_number.as_deref()), (Some("JD Logistics"), Some("JD700000002")));

    // One lane; one carrier (its counts too; parcels not handed over have no carrier).
    let only = board(&db, &filter("stalled", "")).await.unwrap();
    assert!(only.parcels.iter().all(|p| p.lane == Lane::Stalled) && only.parcels.iter().any(|p| p.order_id == stalled));
    let jd = board(&db, &filter("", "jd")).await.unwrap();
    assert_eq!(jd.parcels.iter().map(|p| p.order_id).collect::<Vec<_>>(), vec![stalled]);
    assert_eq!(jd.counts.iter().map(|c| c.1).sum::<i64>(), 1);
    assert!(board(&db, &filter("lost", "")).await.unwrap_err().field_message("lane").is_some());
    assert!(board(&db, &filter("", "pigeon")).await.unwrap_err().field_message("carrier").is_some());

    // News from the carrier puts a stalled parcel back on its way.
    let parcel = parcel_of(&db, stalled).await;
    sqlx::query("INSERT INTO tracking_events (shipment_id, carrier, external_id, status, description, location, occurred_at, received_at) VALUES ($1, 'jd', 'news-1', 'in_transit', 'Left the hub', 'Wuhan', $2, $2)")
        .bind(parcel)
        .bind(shopflow::domain::now_millis())
        .execute(db.writer())
        .await
        .unwrap();
    let again = board(&db, &BoardFilter::default()).await.unwrap();
    let p = again.parcels.iter().find(|p| p.order_id == stalled).unwrap();
    assert_eq!(p.lane, Lane::InTransit);
    assert_eq!(p.last_event.as_ref().map(|e| e.1.as_str()), Some("Left the hub"));
});

on_both_backends!(only_logistics_reads_the_board, async |db: Db| {
    demo::seed(&db).await.unwrap();
    for (email, status) in [("logistics@shopflow.test", 200), ("ops@shopflow.test", 200), ("warehouse@shopflow.test", 403), ("customer@shopflow.test", 403)] {
        let mut c = Client::new(&app(&db));
        assert_eq!(c.login(email, DEMO_PASSWORD).await.status, 200);
        let r = c.json("/api/shipment_board", json!({"filter": {"lane": "stalled"}})).await;
        assert_eq!(r.status, status, "{email}: {}", r.body);
        let page = c.get("/shipments").await;
        assert_eq!(page.status, status, "{email} page");
    }
});
