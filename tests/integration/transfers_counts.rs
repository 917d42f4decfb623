//! Transfers between warehouses and stock counts with adjustments, on both backends: stock
//! moves only through the ledger, a step that cannot move all of its stock moves none, and
//! large adjustments wait for a manager who did not count.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::alerts::{service as alerts, AlertFilter};
use shopflow::domain::AppError;
use shopflow::inventory::counts::{CountEntry, CountPolicy};
use shopflow::inventory::operations as ops;
use shopflow::inventory::service;
use shopflow::inventory::transfers::{ArrivalInput, TransferLineInput};
use shopflow::server::Db;
use std::collections::HashMap;

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn id_of(db: &Db, table: &str, code: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(&format!("SELECT id FROM {table} WHERE code = $1")).bind(code).fetch_one(db.pool()).await.unwrap().0
}

/// (on hand, reserved) of a SKU in one warehouse.
async fn balance(db: &Db, sku: &str, warehouse: &str) -> (i64, i64) {
    let d = service::stock_detail(db, id_of(db, "skus", sku).await).await.unwrap();
    d.warehouses.iter().find(|w| w.0 == warehouse).map(|w| (w.2.on_hand, w.2.reserved)).unwrap_or((0, 0))
}

fn line(sku: &str, q: &str) -> TransferLineInput {
    TransferLineInput { sku: sku.into(), quantity: q.into() }
}

on_both_backends!(a_transfer_moves_stock_through_transit_and_reports_shortfalls, async |db: Db| {
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let (sh, gz) = (id_of(&db, "warehouses", "SH").await, id_of(&db, "warehouses", "GZ").await);
    let (sh_before, gz_before) = (balance(&db, "LJ-100G", "SH").await, balance(&db, "LJ-100G", "GZ").await);
    let t = ops::request_transfer(&db, &clerk, sh, gz, &HashMap::new(), &[line("lj-100g", "10"), line("LJ-250G", "3")]).await.unwrap();
    assert_eq!(t.state, "requested");
    assert_eq!(balance(&db, "LJ-100G", "SH").await, sh_before, "a request moves nothing");
    // Shipping needs a waybill.
    let err = ops::act_on_transfer(&db, &clerk, t.id, t.version, "ship", &HashMap::new(), &[]).await.unwrap_err();
    assert!(err.field_message("waybill").is_some(), "{err:?}");
    let t = ops::act_on_transfer(&db, &clerk, t.id, t.version, "ship", &form(&[("waybill", "SF-123")]), &[]).await.unwrap();
    assert_eq!(t.state, "in_transit");
    assert_eq!(balance(&db, "LJ-100G", "SH").await, (sh_before.0 - 10, sh_before.1), "shipped stock left the sender");
    assert_eq!(balance(&db, "LJ-100G", "GZ").await, gz_before, "and has not arrived yet");

    let d = ops::transfer_detail(&db, &clerk, t.id).await.unwrap();
    assert_eq!(d.transfer.waybill.as_deref(), Some("SF-123"));
    let arrivals = |first: &str, why: &str| {
        vec![
            ArrivalInput { line_id: d.transfer.lines[0].id, received: first.into(), shortfall_reason: why.into() },
            ArrivalInput { line_id: d.transfer.lines[1].id, received: "3".into(), shortfall_reason: String::new() },
        ]
    };
    // More than shipped, a shortfall without a reason, a missing line: refused, nothing received.
    for bad in [arrivals("11", ""), arrivals("8", ""), arrivals("10", "")[..1].to_vec()] {
        let err = ops::act_on_transfer(&db, &clerk, t.id, t.version, "receive", &HashMap::new(), &bad).await.unwrap_err();
        assert!(err.field_message("lines").is_some(), "{err:?}");
    }
    assert_eq!(balance(&db, "LJ-100G", "GZ").await, gz_before);
    let t = ops::act_on_transfer(&db, &clerk, t.id, t.version, "receive", &HashMap::new(), &arrivals("8", "two tins dented and returned")).await.unwrap();
    assert_eq!(t.state, "received");
    assert_eq!(balance(&db, "LJ-100G", "GZ").await, (gz_before.0 + 8, gz_before.1));
    assert_eq!(balance(&db, "LJ-250G", "GZ").await.0, 3);
    // The two missing tins are in the warehouse's alert inbox.
    let open = alerts::list(&db, &clerk, &AlertFilter { kind: "transfer_shortfall".into(), ..Default::default() }).await.unwrap();
    assert_eq!(open.len(), 1);
    assert!(open[0].detail.contains("\"missing\":2"), "{}", open[0].detail);
    assert_eq!(open[0].link, format!("/transfers/{}", t.id));
    let d = ops::transfer_detail(&db, &clerk, t.id).await.unwrap();
    assert_eq!(d.transfer.lines[0].received, Some(8));
    assert!(d.actions.is_empty(), "received is final");
    let actions: Vec<_> = d.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["request", "ship", "receive"]);
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(a_transfer_that_cannot_ship_everything_ships_nothing, async |db: Db| {
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let (sh, gz) = (id_of(&db, "warehouses", "SH").await, id_of(&db, "warehouses", "GZ").await);
    let before = balance(&db, "LJ-100G", "SH").await;
    // SH holds LJ-100G but far fewer than 9,999 QM-200G.
    let t = ops::request_transfer(&db, &clerk, sh, gz, &HashMap::new(), &[line("LJ-100G", "5"), line("QM-200G", "9999")]).await.unwrap();
    let err = ops::act_on_transfer(&db, &clerk, t.id, t.version, "ship", &form(&[("waybill", "W1")]), &[]).await.unwrap_err();
    match err {
        AppError::Conflict(m) => assert!(m.starts_with("QM-200G: not enough stock"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(balance(&db, "LJ-100G", "SH").await, before, "the first line was rolled back");
    assert_eq!(ops::transfer_detail(&db, &clerk, t.id).await.unwrap().transfer.state, "requested");
    // It can be cancelled with a reason instead.
    assert!(ops::act_on_transfer(&db, &clerk, t.id, t.version, "cancel", &HashMap::new(), &[]).await.is_err());
    let t = ops::act_on_transfer(&db, &clerk, t.id, t.version, "cancel", &form(&[("reason", "ordered too much")]), &[]).await.unwrap();
    assert_eq!(t.state, "cancelled");
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(bad_transfer_requests_are_refused_and_leave_nothing, async |db: Db| {
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let customer = demo_actor(&db, "customer@shopflow.test").await;
    let (sh, gz) = (id_of(&db, "warehouses", "SH").await, id_of(&db, "warehouses", "GZ").await);
    let (before,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM transfers").fetch_one(db.pool()).await.unwrap();
    for (from, to, lines, field) in [
        (sh, sh, vec![line("LJ-100G", "1")], "to_warehouse"),
        (sh, 999_999, vec![line("LJ-100G", "1")], "to_warehouse"),
        (sh, gz, vec![], "lines"),
        (sh, gz, vec![line("NOPE-1", "1")], "lines"),
        (sh, gz, vec![line("LJ-100G", "0")], "lines"),
        (sh, gz, vec![line("LJ-100G", "-2")], "lines"),
        (sh, gz, vec![line("LJ-100G", "1"), line("lj-100g", "2")], "lines"),
    ] {
        let err = ops::request_transfer(&db, &clerk, from, to, &HashMap::new(), &lines).await.unwrap_err();
        assert!(err.field_message(field).is_some(), "{field}: {err:?}");
    }
    assert_eq!(
        ops::request_transfer(&db, &customer, sh, gz, &HashMap::new(), &[line("LJ-100G", "1")]).await.unwrap_err(),
        AppError::Forbidden
    );
    let (after,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM transfers").fetch_one(db.pool()).await.unwrap();
    assert_eq!(before, after);
});

on_both_backends!(a_small_count_difference_is_posted_by_the_warehouse, async |db: Db| {
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let sh = id_of(&db, "warehouses", "SH").await;
    let policy = CountPolicy::default();
    let (on_hand, _) = balance(&db, "LJ-100G", "SH").await;
    let t = ops::start_count(&db, &clerk, sh, &HashMap::new(), &["LJ-100G".into(), "QM-200G".into()]).await.unwrap();
    let d = ops::count_detail(&db, &clerk, &policy, t.id).await.unwrap();
    assert!(d.count.lines.iter().all(|l| l.book.is_none()), "a blind count shows no book figures");
    let entry = |sku: &str, counted: i64, why: &str| {
        let l = d.count.lines.iter().find(|l| l.sku == sku).unwrap();
        CountEntry { line_id: l.id, counted: counted.to_string(), reason: why.into() }
    };
    let (qm, _) = balance(&db, "QM-200G", "SH").await;
    // A difference without a reason is refused.
    let err = ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "record", &HashMap::new(), &[entry("LJ-100G", on_hand - 2, ""), entry("QM-200G", qm, "")])
        .await
        .unwrap_err();
    assert!(err.field_message("lines").unwrap().contains("reason"), "{err:?}");
    let t = ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "record", &HashMap::new(), &[entry("LJ-100G", on_hand - 2, "two tins crushed"), entry("QM-200G", qm, "")])
        .await
        .unwrap();
    assert_eq!(t.state, "counted");
    assert_eq!(balance(&db, "LJ-100G", "SH").await.0, on_hand, "recording changes no stock");
    let d = ops::count_detail(&db, &clerk, &policy, t.id).await.unwrap();
    assert_eq!(d.count.differences.units, 2);
    assert_eq!(d.count.differences.value, 2 * 6_100, "two tins at cost");
    assert!(!d.count.needs_approval);
    assert!(d.actions.contains(&"post".to_string()) && !d.actions.contains(&"approve".to_string()), "{:?}", d.actions);
    let t = ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "post", &HashMap::new(), &[]).await.unwrap();
    assert_eq!(t.state, "posted");
    assert_eq!(balance(&db, "LJ-100G", "SH").await.0, on_hand - 2);
    let detail = service::stock_detail(&db, id_of(&db, "skus", "LJ-100G").await).await.unwrap();
    let m = &detail.movements[0];
    assert_eq!((m.kind.as_str(), m.on_hand_delta, m.reason.as_str(), m.reference.as_str()), ("adjust", -2, "two tins crushed", &*format!("count #{}", t.id)));
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(a_large_count_difference_waits_for_a_manager_who_did_not_count, async |db: Db| {
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let ops_manager = demo_actor(&db, "ops@shopflow.test").await;
    let admin = demo_actor(&db, "admin@shopflow.test").await;
    let sh = id_of(&db, "warehouses", "SH").await;
    let policy = CountPolicy { approval_value: 100_000, approval_units: 20 };
    let (on_hand, _) = balance(&db, "LJ-250G", "SH").await;
    // The manager counts this one himself.
    let t = ops::start_count(&db, &ops_manager, sh, &HashMap::new(), &["LJ-250G".into()]).await.unwrap();
    let d = ops::count_detail(&db, &ops_manager, &policy, t.id).await.unwrap();
    let entry = |n: i64| vec![CountEntry { line_id: d.count.lines[0].id, counted: n.to_string(), reason: "found a pallet behind the racks".into() }];
    // Eight gift boxes at ¥140.00 = ¥1,120.00, over the ¥1,000.00 threshold.
    let t = ops::act_on_count(&db, &ops_manager, &policy, t.id, t.version, "record", &HashMap::new(), &entry(on_hand + 8)).await.unwrap();
    let d = ops::count_detail(&db, &ops_manager, &policy, t.id).await.unwrap();
    assert!(d.count.needs_approval);
    assert!(!d.actions.contains(&"post".to_string()) && !d.actions.contains(&"approve".to_string()), "the counter may not approve: {:?}", d.actions);
    let err = ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "post", &HashMap::new(), &[]).await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.contains("approval threshold")), "{err:?}");
    assert_eq!(ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "approve", &HashMap::new(), &[]).await.unwrap_err(), AppError::Forbidden);
    let err = ops::act_on_count(&db, &ops_manager, &policy, t.id, t.version, "approve", &HashMap::new(), &[]).await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.contains("you recorded this count")), "{err:?}");
    assert_eq!(balance(&db, "LJ-250G", "SH").await.0, on_hand, "nothing posted yet");
    // Sent back, recounted, and approved by another manager.
    let t = ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "recount", &form(&[("reason", "check the back racks again")]), &[]).await.unwrap();
    assert_eq!(t.state, "counting");
    let t = ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "record", &HashMap::new(), &entry(on_hand + 8)).await.unwrap();
    let d = ops::count_detail(&db, &ops_manager, &policy, t.id).await.unwrap();
    assert_eq!(d.count.counted_by_id, Some(clerk.id));
    assert!(d.actions.contains(&"approve".to_string()), "{:?}", d.actions);
    let t = ops::act_on_count(&db, &admin, &policy, t.id, t.version, "approve", &form(&[("note", "pallet confirmed")]), &[]).await.unwrap();
    assert_eq!(t.state, "posted");
    assert_eq!(balance(&db, "LJ-250G", "SH").await.0, on_hand + 8);
    let actions: Vec<_> = ops::count_detail(&db, &admin, &policy, t.id).await.unwrap().events.iter().map(|e| e.action.clone()).collect();
    assert_eq!(actions, ["start", "record", "recount", "record", "approve"]);
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(a_count_that_would_take_reserved_stock_is_refused_whole, async |db: Db| {
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let sh = id_of(&db, "warehouses", "SH").await;
    let policy = CountPolicy::default();
    let (on_hand, _) = balance(&db, "QM-200G", "SH").await;
    let (lj, _) = balance(&db, "LJ-100G", "SH").await;
    let t = ops::start_count(&db, &clerk, sh, &HashMap::new(), &["LJ-100G".into(), "QM-200G".into()]).await.unwrap();
    let d = ops::count_detail(&db, &clerk, &policy, t.id).await.unwrap();
    let id = |sku: &str| d.count.lines.iter().find(|l| l.sku == sku).unwrap().id;
    // Orders hold all but 1 of the Keemun; the count then finds 5 missing.
    service::reserve(&db, Some(clerk.id), "QM-200G", on_hand - 1, Some("SH"), "order 1").await.unwrap();
    let entries = vec![
        CountEntry { line_id: id("LJ-100G"), counted: (lj - 1).to_string(), reason: "one tin missing".into() },
        CountEntry { line_id: id("QM-200G"), counted: (on_hand - 5).to_string(), reason: "five bags missing".into() },
    ];
    let t = ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "record", &HashMap::new(), &entries).await.unwrap();
    let err = ops::act_on_count(&db, &clerk, &policy, t.id, t.version, "post", &HashMap::new(), &[]).await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.starts_with("QM-200G:")), "{err:?}");
    assert_eq!(balance(&db, "LJ-100G", "SH").await.0, lj, "the other line was not adjusted either");
    assert!(service::ledger_mismatches(&db).await.unwrap().is_empty());
});

on_both_backends!(a_full_count_lists_every_sku_the_warehouse_holds, async |db: Db| {
    let clerk = demo_actor(&db, "warehouse@shopflow.test").await;
    let gz = id_of(&db, "warehouses", "GZ").await;
    let t = ops::start_count(&db, &clerk, gz, &form(&[("note", "year end")]), &[]).await.unwrap();
    let d = ops::count_detail(&db, &clerk, &CountPolicy::default(), t.id).await.unwrap();
    let skus: Vec<_> = d.count.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, ["CUP-CEL-80", "LJ-100G"]);
    for (skus, message) in [(vec!["NOPE-1".to_string()], "unknown SKU"), (vec!["LJ-100G".into(), "lj-100g".into()], "twice")] {
        let err = ops::start_count(&db, &clerk, gz, &HashMap::new(), &skus).await.unwrap_err();
        assert!(err.field_message("lines").unwrap().contains(message), "{err:?}");
    }
    let wrong = ops::start_count(&db, &clerk, 999_999, &HashMap::new(), &[]).await.unwrap_err();
    assert!(wrong.field_message("warehouse").is_some());
    let listed = ops::counts(&db, &CountPolicy::default(), "counting").await.unwrap();
    assert!(listed.iter().any(|c| c.id == t.id));
});
