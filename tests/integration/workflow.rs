//! The workflow engine through its first process, improvement suggestions: legal moves,
//! permissions, optimistic concurrency, atomicity and the audit trail.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::domain::AppError;
use shopflow::engine::run::history;
use shopflow::improvement::service::{act, detail, list, submit};
use shopflow::improvement::SuggestionFilter;
use shopflow::server::Db;
use std::collections::HashMap;

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn new_suggestion() -> HashMap<String, String> {
    form(&[
        ("title", "Weigh parcels before labelling"),
        ("department", "warehouse"),
        ("step", "Packing"),
        ("problem", "Carrier surcharges for under-declared weight."),
        ("proposal", "Put a scale at every packing bench."),
    ])
}

async fn state_of(db: &Db, id: i64) -> (String, i64) {
    sqlx::query_as("SELECT state, version FROM suggestions WHERE id = $1").bind(id).fetch_one(db.pool()).await.unwrap()
}

async fn events(db: &Db, id: i64) -> usize {
    history(db, "improvement", id).await.unwrap().len()
}

on_both_backends!(a_suggestion_runs_from_submission_to_implementation, async |db: Db| {
    let staff = demo_actor(&db, "warehouse@shopflow.test").await;
    let ops = demo_actor(&db, "ops@shopflow.test").await;
    let owner = demo_actor(&db, "logistics@shopflow.test").await;

    let t = submit(&db, &staff, &new_suggestion()).await.unwrap();
    assert_eq!((t.state, t.version), ("submitted", 1));
    let t = act(&db, &ops, t.id, t.version, "accept", &form(&[("comment", "Worth it")])).await.unwrap();
    assert_eq!(t.state, "accepted");
    let t = act(&db, &ops, t.id, t.version, "assign", &form(&[("owner", &owner.id.to_string())])).await.unwrap();
    assert_eq!(t.state, "assigned");
    let t = act(&db, &ops, t.id, t.version, "implement", &form(&[("note", "Scales installed")])).await.unwrap();
    assert_eq!((t.state, t.version), ("implemented", 4));

    let d = detail(&db, &ops, t.id).await.unwrap();
    assert_eq!(d.suggestion.owner_name.as_deref(), Some("Liu Yang (logistics)"));
    assert_eq!(d.suggestion.implementation_note.as_deref(), Some("Scales installed"));
    assert!(d.actions.is_empty(), "nothing leaves a terminal state");
    let trail: Vec<_> = d.events.iter().map(|e| (e.action.as_str(), e.from_state.as_deref(), e.to_state.as_deref())).collect();
    assert_eq!(trail, vec![
        ("submit", None, Some("submitted")),
        ("accept", Some("submitted"), Some("accepted")),
        ("assign", Some("accepted"), Some("assigned")),
        ("implement", Some("assigned"), Some("implemented")),
    ]);
    assert_eq!(d.events[0].actor_name.as_deref(), Some("Wang Wei (warehouse)"));
    assert!(d.events[3].payload.contains("Scales installed"));
    assert!(d.events[2].payload.contains("Liu Yang (logistics)"), "the owner is named in the trail");
});

on_both_backends!(wrong_moves_are_typed_errors_that_change_nothing, async |db: Db| {
    let staff = demo_actor(&db, "warehouse@shopflow.test").await;
    let ops = demo_actor(&db, "ops@shopflow.test").await;
    let customer = demo_actor(&db, "customer@shopflow.test").await;
    let t = submit(&db, &staff, &new_suggestion()).await.unwrap();
    let count = async || -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM suggestions").fetch_one(db.pool()).await.unwrap();
        n
    };
    let before = count().await;

    // A member of staff cannot review; a customer cannot even submit.
    assert_eq!(act(&db, &staff, t.id, 1, "accept", &form(&[])).await, Err(AppError::Forbidden));
    assert_eq!(submit(&db, &customer, &new_suggestion()).await.unwrap_err(), AppError::Forbidden);
    // Not from this state.
    let err = act(&db, &ops, t.id, 1, "implement", &form(&[("note", "x")])).await.unwrap_err();
    assert_eq!(err, AppError::InvalidTransition { action: "implement".into(), state: "submitted".into() });
    // An unknown action, a missing reason, an unknown record.
    assert!(matches!(act(&db, &ops, t.id, 1, "teleport", &form(&[])).await, Err(AppError::Invalid { .. })));
    assert_eq!(act(&db, &ops, t.id, 1, "reject", &form(&[])).await.unwrap_err().field_message("reason").as_deref(), Some("required"));
    assert_eq!(act(&db, &ops, 999_999, 1, "accept", &form(&[])).await, Err(AppError::NotFound));
    // Bad submissions.
    let mut bad = new_suggestion();
    bad.insert("department".into(), "moon".into());
    assert!(submit(&db, &staff, &bad).await.unwrap_err().field_message("department").is_some());
    bad.insert("department".into(), "warehouse".into());
    bad.insert("title".into(), "x".repeat(121));
    assert!(submit(&db, &staff, &bad).await.unwrap_err().field_message("title").is_some());

    assert_eq!(state_of(&db, t.id).await, ("submitted".into(), 1));
    assert_eq!(events(&db, t.id).await, 1);
    assert_eq!(count().await, before);
});

on_both_backends!(a_failing_effect_rolls_back_the_whole_action, async |db: Db| {
    let staff = demo_actor(&db, "warehouse@shopflow.test").await;
    let ops = demo_actor(&db, "ops@shopflow.test").await;
    let customer = demo_actor(&db, "customer@shopflow.test").await;
    let t = submit(&db, &staff, &new_suggestion()).await.unwrap();
    let t = act(&db, &ops, t.id, t.version, "accept", &form(&[])).await.unwrap();
    // A customer is not staff: the effect refuses after the engine has checked the state.
    let err = act(&db, &ops, t.id, t.version, "assign", &form(&[("owner", &customer.id.to_string())])).await.unwrap_err();
    assert_eq!(err.field_message("owner").as_deref(), Some("choose an active member of staff"));
    assert_eq!(state_of(&db, t.id).await, ("accepted".into(), 2));
    assert_eq!(events(&db, t.id).await, 2);
    let (owner,): (Option<i64>,) = sqlx::query_as("SELECT owner_id FROM suggestions WHERE id = $1").bind(t.id).fetch_one(db.pool()).await.unwrap();
    assert_eq!(owner, None);
});

on_both_backends!(a_stale_version_is_refused, async |db: Db| {
    let staff = demo_actor(&db, "warehouse@shopflow.test").await;
    let ops = demo_actor(&db, "ops@shopflow.test").await;
    let t = submit(&db, &staff, &new_suggestion()).await.unwrap();
    act(&db, &ops, t.id, 1, "accept", &form(&[])).await.unwrap();
    // A second reviewer still looking at version 1.
    assert_eq!(act(&db, &ops, t.id, 1, "reject", &form(&[("reason", "late")])).await.unwrap_err(),
        AppError::InvalidTransition { action: "reject".into(), state: "accepted".into() });
    let owner = staff.id.to_string();
    assert_eq!(act(&db, &ops, t.id, 1, "assign", &form(&[("owner", &owner)])).await, Err(AppError::StaleVersion));
    assert_eq!(state_of(&db, t.id).await, ("accepted".into(), 2));
});

on_both_backends!(concurrent_reviewers_cannot_both_win, async |db: Db| {
    let staff = demo_actor(&db, "warehouse@shopflow.test").await;
    let ops = demo_actor(&db, "ops@shopflow.test").await;
    let t = submit(&db, &staff, &new_suggestion()).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (db, ops) = (db.clone(), ops.clone());
        tasks.push(tokio::spawn(async move {
            let (action, f) = if i % 2 == 0 { ("accept", form(&[])) } else { ("reject", form(&[("reason", "no")])) };
            act(&db, &ops, t.id, 1, action, &f).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(AppError::StaleVersion | AppError::InvalidTransition { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(state_of(&db, t.id).await.1, 2);
    assert_eq!(events(&db, t.id).await, 2);
});

on_both_backends!(lists_filter_by_state_department_and_mine, async |db: Db| {
    let staff = demo_actor(&db, "warehouse@shopflow.test").await; // the demo has three suggestions
    let ops = demo_actor(&db, "ops@shopflow.test").await;
    submit(&db, &staff, &new_suggestion()).await.unwrap();
    let all = list(&db, &ops, &SuggestionFilter::default()).await.unwrap();
    assert_eq!(all.len(), 4);
    let f = |state: Option<&str>, dept: Option<&str>, mine| SuggestionFilter {
        state: state.map(str::to_string),
        department: dept.map(str::to_string),
        mine,
    };
    assert_eq!(list(&db, &ops, &f(Some("submitted"), None, false)).await.unwrap().len(), 2);
    assert_eq!(list(&db, &ops, &f(None, Some("warehouse"), false)).await.unwrap().len(), 2);
    assert_eq!(list(&db, &staff, &f(None, None, true)).await.unwrap().len(), 2);
    assert_eq!(list(&db, &ops, &f(None, None, true)).await.unwrap().len(), 0);
    assert_eq!(list(&db, &ops, &f(Some("implemented"), Some("product"), false)).await.unwrap().len(), 1);
});

/// On SQLite the readers are read-only: a write there would be a second writer, and the one
/// writer's transactions would then fail at random with "database is locked" (the SLA sweep
/// once did this). Reads still work on them, and writes go through the writer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_readers_refuse_to_write() {
    let t = crate::support::TestDb::sqlite().await;
    let err = sqlx::query("UPDATE roles SET name = name").execute(t.db.pool()).await.unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
    let (roles,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM roles").fetch_one(t.db.pool()).await.unwrap();
    assert!(roles > 0);
    let done = sqlx::query("UPDATE roles SET name = name").execute(t.db.writer()).await.unwrap();
    assert_eq!(done.rows_affected() as i64, roles);
}

/// The PostgreSQL pool has the size the configuration gives it (`SHOPFLOW_PG_CONNECTIONS`):
/// with two connections, two transactions run at once and a third waits for one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_pool_has_the_configured_size() {
    let Some(t) = crate::support::TestDb::postgres().await else { return };
    let db = shopflow::server::Db::connect_with(&t.postgres_url().unwrap(), 2).await.unwrap();
    let first = db.begin().await.unwrap();
    let second = db.begin().await.unwrap();
    let third = tokio::time::timeout(std::time::Duration::from_millis(300), db.begin()).await;
    assert!(third.is_err(), "a third transaction got a connection of a pool of two");
    drop(first);
    let third = tokio::time::timeout(std::time::Duration::from_secs(5), db.begin()).await.expect("the freed connection is handed on").unwrap();
    drop((second, third));
    db.close().await;
}

// Records created together (the PostgreSQL order lane's way) get the audit event each would
// get alone: one statement of one text for any number of them, on both backends.
on_both_backends!(records_created_together_are_audited_each, async |db: Db| {
    use shopflow::engine::run::{check_create, commit_created_many, Created};
    use shopflow::orders::ORDERS;
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let staff = demo_actor(&db, "orders@shopflow.test").await;
    let (place, _) = check_create(&cathy, &ORDERS, "place", &HashMap::new()).unwrap();
    assert!(matches!(check_create(&staff, &ORDERS, "place", &HashMap::new()), Err(AppError::Forbidden)), "only customers place orders");
    for records in [1_i64, 3] {
        let created: Vec<Created> = (0..records)
            .map(|i| Created { id: 900_000 + 10 * records + i, actor_id: cathy.id, payload: serde_json::json!({ "n": i.to_string(), "note": "it's \"quoted\"" }) })
            .collect();
        let mut tx = db.begin().await.unwrap();
        commit_created_many(&mut tx, db.backend, &ORDERS, place, &created).await.unwrap();
        tx.commit().await.unwrap();
        for c in &created {
            let events = history(&db, ORDERS.id, c.id).await.unwrap();
            assert_eq!(events.len(), 1, "one event for record {}", c.id);
            let e = &events[0];
            assert_eq!((e.action.as_str(), e.from_state.as_deref(), e.to_state.as_deref(), e.actor_id), ("place", None, Some("placed"), Some(cathy.id)));
            assert_eq!(serde_json::from_str::<serde_json::Value>(&e.payload).unwrap(), c.payload);
        }
    }
});
