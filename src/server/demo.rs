//! Demo data: one account for every built-in role and a few suggestions in every state,
//! created through the same services (and so the same checks and audit) as real use.

use super::Db;
use crate::accounts::service::{ensure_staff, load_actor};
use crate::domain::{AppError, AppResult, Role};
use crate::improvement::service as improvement;
use std::collections::HashMap;

/// The password of every demo account (printed in the README).
pub const DEMO_PASSWORD: &str = "shopflow-demo";

/// The demo accounts: (email, name, role).
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("admin@shopflow.test", "Ada Admin", Role::Admin),
    ("pm@shopflow.test", "Pei Ming (product manager)", Role::ProductManager),
    ("specialist@shopflow.test", "Sun Li (product specialist)", Role::ProductSpecialist),
    ("orders@shopflow.test", "Olga Order (order clerk)", Role::OrderClerk),
    ("warehouse@shopflow.test", "Wang Wei (warehouse)", Role::WarehouseStaff),
    ("logistics@shopflow.test", "Liu Yang (logistics)", Role::LogisticsCoordinator),
    ("service@shopflow.test", "Chen Jing (customer service)", Role::ServiceAgent),
    ("senior@shopflow.test", "Zhao Min (senior customer service)", Role::SeniorServiceAgent),
    ("marketing@shopflow.test", "Maya Market (marketing)", Role::Marketing),
    ("finance@shopflow.test", "Fang Hua (finance)", Role::Finance),
    ("ops@shopflow.test", "Otto Ops (operations manager)", Role::OperationsManager),
    ("customer@shopflow.test", "Cathy Customer", Role::Customer),
];

fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub async fn seed(db: &Db) -> AppResult<()> {
    let mut ids = HashMap::new();
    for (email, name, role) in DEMO_USERS {
        ids.insert(*role, ensure_staff(db, email, name, DEMO_PASSWORD, &[*role]).await?);
    }
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM suggestions").fetch_one(db.pool()).await?;
    if existing > 0 {
        return Ok(());
    }
    let actor = |role: Role| {
        let id = ids[&role];
        async move { load_actor(db, id).await?.ok_or(AppError::NotFound) }
    };
    let warehouse = actor(Role::WarehouseStaff).await?;
    let service = actor(Role::ServiceAgent).await?;
    let specialist = actor(Role::ProductSpecialist).await?;
    let ops = actor(Role::OperationsManager).await?;

    let submit = |title: &'static str, dept: &'static str, step: &'static str, problem: &'static str, proposal: &'static str| {
        fields(&[("title", title), ("department", dept), ("step", step), ("problem", problem), ("proposal", proposal)])
    };
    improvement::submit(db, &warehouse, &submit(
        "Print pick lists sorted by shelf",
        "warehouse",
        "Picking",
        "Pick lists come in order-line order, so pickers walk the same aisle several times per order.",
        "Sort each pick list by shelf location and print the aisle on every line.",
    )).await?;
    let rejected = improvement::submit(db, &service, &submit(
        "Auto-close tickets after 24 hours",
        "service",
        "Ticket follow-up",
        "Tickets wait for a customer answer that never comes and clutter the queue.",
        "Close every ticket automatically 24 hours after the last agent reply.",
    )).await?;
    improvement::act(db, &ops, rejected.id, rejected.version, "reject", &fields(&[(
        "reason",
        "24 hours is too short over weekends; propose a reminder first, then close after 5 days.",
    )])).await?;
    let accepted = improvement::submit(db, &specialist, &submit(
        "Checklist for listing photos",
        "product",
        "Listing review",
        "About one listing in five is returned by review because photos miss the back view or the label.",
        "Add a photo checklist (front, back, label, scale) to the listing form.",
    )).await?;
    let t = improvement::act(db, &ops, accepted.id, accepted.version, "accept", &fields(&[("comment", "Cheap and clearly useful.")])).await?;
    let t = improvement::act(db, &ops, t.id, t.version, "assign", &fields(&[("owner", &ids[&Role::ProductManager].to_string())])).await?;
    improvement::act(db, &ops, t.id, t.version, "implement", &fields(&[(
        "note",
        "Checklist added to the listing SOP on 2026-11-20; reviewers check it first.",
    )])).await?;
    Ok(())
}
