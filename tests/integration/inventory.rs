//! Inventory: receipts through inspection into the ledger, reservations that never
//! oversell under concurrency, low-stock alerts, warehouses — on both backends.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::alerts::{service as alerts, AlertFilter};
use shopflow::domain::AppError;
use shopflow::inventory::{service, LineInspection, ReceiptLineInput, WarehouseInput};
use shopflow::server::demo;
use shopflow::server::Db;
use std::collections::HashMap;

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn sku_id(db: &Db, code: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT id FROM skus WHERE code = $1").bind(code).fetch_one(db.pool()).await.unwrap().0
}

async fn warehouse_id(db: &Db, code: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT id FROM warehouses WHERE code = $1").bind(code).fetch_one(db.pool()).await.unwrap().0
}

async fn available(db: &Db, code: &str) -> (i64, i64) {
    let d = service::stock_detail(db, sku_id(db, code).await).await.unwrap();
    (d.row.on_hand, d.row.reserved)
}

on_both_backends!(a_receipt_is_inspected_and_only_accepted_goods_are_posted, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let sh = warehouse_id(&db, "SH").await;
    let before = available(&db, "QM-200G").await;
    let lines = vec![
        ReceiptLineInput { sku: "qm-200g".into(), expected: "10".into() },
        ReceiptLineInput { sku: "LJ-250G".into(), expected: "4".into() },
    ];
    let t = service::register_receipt(&db, &clerk, sh, &form(&[("supplier", "Qimen"), ("reference", "PO-9")]), &lines).await.unwrap();
    assert_eq!(t.state, "registered");
    // Posting before inspection is not a legal move.
    assert!(matches!(service::act_on_receipt(&db, &clerk, t.id, t.version, "post", &HashMap::new(), &[]).await,
        Err(AppError::InvalidTransition { .. })));
    let d = service::receipt_detail(&db, &clerk, t.id).await.unwrap();
    let insp = |received: &str, accepted: &str, rejected: &str, why: &str| -> Vec<LineInspection> {
        vec![
            LineInspection { line_id: d.receipt.lines[0].id, received: received.into(), accepted: accepted.into(), rejected: rejected.into(), defect_reason: why.into() },
            LineInspection { line_id: d.receipt.lines[1].id, received: "4".into(), accepted: "4".into(), rejected: "0".into(), defect_reason: "".into() },
        ]
    };
    // Numbers that do not add up, a missing defect reason, a missing line: refused, nothing saved.
    for bad in [insp("10", "9", "0", ""), insp("10", "8", "2", ""), insp("-1", "0", "0", "")] {
        let err = service::act_on_receipt(&db, &clerk, t.id, t.version, "inspect", &HashMap::new(), &bad).await.unwrap_err();
        assert!(err.field_message("lines").is_some(), "{err:?}");
    }
    let partial = insp("10", "8", "2", "wet")[..1].to_vec();
    assert!(service::act_on_receipt(&db, &clerk, t.id, t.version, "inspect", &HashMap::new(), &partial).await.is_err());
    let t = service::act_on_receipt(&db, &clerk, t.id, t.version, "inspect", &HashMap::new(), &insp("10", "8", "2", "wet boxes"))
        .await
        .unwrap();
    assert_eq!(available(&db, "QM-200G").await, before, "inspected goods are not stock yet");
    let t = service::act_on_receipt(&db, &clerk, t.id, t.version, "post", &HashMap::new(), &[]).await.unwrap();
    assert_eq!(t.state, "posted");
    assert_eq!(available(&db, "QM-200G").await, (before.0 + 8, before.1), "accepted goods only");
    let d = service::receipt_detail(&db, &clerk, t.id).await.unwrap();
    assert_eq!(d.receipt.lines[0].rejected, Some(2));
    assert_eq!(d.receipt.lines[0].defect_reason.as_deref(), Some("wet boxes"));
    assert!(d.actions.is_empty(), "posted is final");
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(bad_receipts_and_reservations_change_nothing, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let sh = warehouse_id(&db, "SH").await;
    let ok = form(&[("supplier", "S"), ("reference", "R")]);
    let line = |s: &str, q: &str| vec![ReceiptLineInput { sku: s.into(), expected: q.into() }];
    let (before,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM receipts").fetch_one(db.pool()).await.unwrap();
    for (w, f, l, field) in [
        (sh, ok.clone(), line("NOPE-1", "3"), "lines"),
        (sh, ok.clone(), line("QM-200G", "-3"), "lines"),
        (sh, ok.clone(), line("QM-200G", "0"), "lines"),
        (sh, ok.clone(), vec![], "lines"),
        (999_999, ok.clone(), line("QM-200G", "3"), "warehouse"),
        (sh, form(&[("supplier", "S")]), line("QM-200G", "3"), "reference"),
    ] {
        let err = service::register_receipt(&db, &clerk, w, &f, &l).await.unwrap_err();
        assert!(err.field_message(field).is_some(), "{field}: {err:?}");
    }
    let (after,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM receipts").fetch_one(db.pool()).await.unwrap();
    assert_eq!(before, after);

    let before = available(&db, "LJ-100G").await;
    assert!(service::reserve(&db, None, "LJ-100G", 0, None, "SO-1").await.unwrap_err().field_message("quantity").is_some());
    assert!(service::reserve(&db, None, "LJ-100G", -2, None, "SO-1").await.is_err());
    assert!(service::reserve(&db, None, "LJ-100G", 1_000_000_000, None, "SO-1").await.is_err());
    assert!(service::reserve(&db, None, "NOPE", 1, None, "SO-1").await.unwrap_err().field_message("sku").is_some());
    assert!(service::reserve(&db, None, "LJ-100G", 1, Some("XX"), "SO-1").await.unwrap_err().field_message("warehouse").is_some());
    assert!(service::reserve(&db, None, "LJ-100G", 1, None, " ").await.unwrap_err().field_message("reference").is_some());
    assert!(matches!(service::reserve(&db, None, "LJ-100G", 10_000, None, "SO-1").await, Err(AppError::Conflict(_))));
    assert_eq!(available(&db, "LJ-100G").await, before);
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(reservations_hold_release_and_commit_through_the_ledger, async |db: Db| {
    demo::seed(&db).await.unwrap();
    // LJ-100G: 58 in SH and 30 in GZ from the demo receipts.
    let r = service::reserve(&db, None, "LJ-100G", 40, None, "SO-100").await.unwrap();
    assert_eq!((r.warehouse.as_str(), r.state.as_str()), ("SH", "held"), "the warehouse with the most available");
    let r2 = service::reserve(&db, None, "LJ-100G", 25, None, "SO-101").await.unwrap();
    assert_eq!(r2.warehouse, "GZ", "SH has only 18 left");
    assert_eq!(available(&db, "LJ-100G").await, (88, 65));
    let released = service::settle(&db, None, r2.id, false).await.unwrap();
    assert_eq!(released.state, "released");
    assert!(matches!(service::settle(&db, None, r2.id, true).await, Err(AppError::InvalidTransition { .. })), "settled once");
    let committed = service::settle(&db, None, r.id, true).await.unwrap();
    assert_eq!(committed.state, "committed");
    assert_eq!(available(&db, "LJ-100G").await, (48, 0));
    let d = service::stock_detail(&db, sku_id(&db, "LJ-100G").await).await.unwrap();
    let kinds: Vec<&str> = d.movements.iter().take(4).map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["commit", "release", "reserve", "reserve"]);
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(concurrent_reservations_never_oversell, async |db: Db| {
    demo::seed(&db).await.unwrap();
    // CUP-CEL-80 has 23 in GZ only; 40 tasks each want 1, 10 tasks want 2: 60 units asked.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let db = db.clone();
        let qty = if i % 5 == 0 { 2 } else { 1 };
        tasks.push(tokio::spawn(async move { (qty, service::reserve(&db, None, "CUP-CEL-80", qty, None, &format!("SO-{i}")).await) }));
    }
    let mut granted = 0;
    for t in tasks {
        match t.await.unwrap() {
            (q, Ok(_)) => granted += q,
            (_, Err(AppError::Conflict(_))) => {}
            (_, Err(e)) => panic!("unexpected error {e:?}"),
        }
    }
    // A one-unit request is refused only when nothing is left, and 40 of them ask for more
    // than there is: so every unit is reserved, and not one more.
    assert_eq!(granted, 23, "23 units, {granted} reserved");
    let (on_hand, reserved) = available(&db, "CUP-CEL-80").await;
    assert_eq!((on_hand, reserved), (23, granted));
    let (held,): (i64,) = sqlx::query_as("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM reservations WHERE state = 'held' AND sku_id = $1")
        .bind(sku_id(&db, "CUP-CEL-80").await)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(held, granted);
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(low_stock_raises_one_alert_until_resolved, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let service_agent = demo_actor(&db, "service@shopflow.test").await;
    let low = |list: &[shopflow::alerts::Alert], subject_end: &str| {
        list.iter().filter(|a| a.kind == "low_stock" && a.subject.ends_with(subject_end)).count()
    };
    // The demo cup (23 < reorder point 30) already has its alerts, in GZ and in total.
    let cup = sku_id(&db, "CUP-CEL-80").await;
    let open = alerts::list(&db, &clerk, &AlertFilter::default()).await.unwrap();
    assert_eq!(low(&open, &format!("{cup}:all")), 1);
    assert!(alerts::list(&db, &service_agent, &AlertFilter::default()).await.unwrap().is_empty(), "not their alerts");
    // Longjing 100 g: 58 in SH, reorder point 20. Reserving 40 leaves 18: alert in SH only.
    let lj = sku_id(&db, "LJ-100G").await;
    let sh = warehouse_id(&db, "SH").await;
    // Stock that stays at or above the reorder point raises nothing (58 → 57; the release
    // brings it back to 58).
    let quiet = service::reserve(&db, None, "LJ-100G", 1, Some("SH"), "SO-6").await.unwrap();
    let open = alerts::list(&db, &clerk, &AlertFilter::default()).await.unwrap();
    assert_eq!((low(&open, &format!("{lj}:{sh}")), low(&open, &format!("{lj}:all"))), (0, 0));
    service::settle(&db, None, quiet.id, false).await.unwrap();
    let r = service::reserve(&db, None, "LJ-100G", 40, Some("SH"), "SO-7").await.unwrap();
    service::reserve(&db, None, "LJ-100G", 1, Some("SH"), "SO-8").await.unwrap();
    let open = alerts::list(&db, &clerk, &AlertFilter::default()).await.unwrap();
    assert_eq!(low(&open, &format!("{lj}:{sh}")), 1, "one alert, not one per movement");
    assert_eq!(low(&open, &format!("{lj}:all")), 0, "47 available in total");
    let alert = open.iter().find(|a| a.subject == format!("low_stock:{lj}:{sh}")).unwrap().clone();
    assert!(alert.detail.contains("\"available\":17"), "{}", alert.detail);
    // Acknowledge, then the service agent may not resolve it; the clerk may.
    alerts::acknowledge(&db, &clerk, alert.id).await.unwrap();
    assert!(matches!(alerts::acknowledge(&db, &clerk, alert.id).await, Err(AppError::InvalidTransition { .. })));
    assert_eq!(alerts::resolve(&db, &service_agent, alert.id, "done").await, Err(AppError::Forbidden));
    assert!(alerts::resolve(&db, &clerk, alert.id, " ").await.unwrap_err().field_message("note").is_some());
    alerts::resolve(&db, &clerk, alert.id, "reordered 100 from the co-op").await.unwrap();
    // Still low: the next movement raises a fresh alert.
    service::settle(&db, None, r.id, false).await.unwrap(); // back to 57: clears
    let open = alerts::list(&db, &clerk, &AlertFilter::default()).await.unwrap();
    assert_eq!(low(&open, &format!("{lj}:{sh}")), 0, "stock is back above the reorder point");
    service::reserve(&db, None, "LJ-100G", 45, Some("SH"), "SO-9").await.unwrap();
    let open = alerts::list(&db, &clerk, &AlertFilter::default()).await.unwrap();
    assert_eq!(low(&open, &format!("{lj}:{sh}")), 1);
    let resolved = alerts::list(&db, &clerk, &AlertFilter { state: "resolved".into(), kind: String::new() }).await.unwrap();
    assert!(resolved.iter().any(|a| a.id == alert.id && a.resolution.as_deref() == Some("reordered 100 from the co-op")));
});

on_both_backends!(warehouses_are_unique_and_inactive_ones_take_nothing, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let ops = demo_actor(&db, "ops@shopflow.test").await;
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let input = |code: &str| WarehouseInput { code: code.into(), name: "North".into(), address: "1 Road".into() };
    let bj = service::create_warehouse(&db, &ops, &input("bj")).await.unwrap();
    assert!(service::create_warehouse(&db, &ops, &input("BJ")).await.unwrap_err().field_message("code").is_some());
    assert!(service::create_warehouse(&db, &ops, &input("b j")).await.is_err());
    service::set_warehouse_active(&db, &ops, bj, false).await.unwrap();
    let lines = vec![ReceiptLineInput { sku: "QM-200G".into(), expected: "1".into() }];
    let err = service::register_receipt(&db, &clerk, bj, &form(&[("supplier", "S"), ("reference", "R")]), &lines).await.unwrap_err();
    assert_eq!(err.field_message("warehouse").as_deref(), Some("this warehouse is inactive"));
    assert!(service::reserve(&db, None, "QM-200G", 1, Some("BJ"), "SO-1").await.is_err());
    let all = service::warehouses(&db).await.unwrap();
    assert_eq!(all.iter().filter(|w| w.active).count(), 2);
});
