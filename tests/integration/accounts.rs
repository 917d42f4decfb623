//! Accounts: registration, sign-in and its throttling, roles as data, the last administrator.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::accounts::service::*;
use shopflow::domain::{AppError, Permission};
use shopflow::server::Db;

async fn count(db: &Db, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db.pool()).await.unwrap();
    n
}

on_both_backends!(customers_register_and_sign_in, async |db: Db| {
    let id = register_customer(&db, "Li Na", " Li.Na@Example.com ", "correct horse").await.unwrap();
    let actor = load_actor(&db, id).await.unwrap().unwrap();
    assert_eq!(actor.email, "li.na@example.com");
    assert!(actor.is_customer);
    assert_eq!(actor.permissions, vec![Permission::PortalPage, Permission::OrderPlace, Permission::TicketOpen]);
    assert_eq!(authenticate(&db, "LI.NA@example.com", "correct horse", "1.2.3.4").await.unwrap(), id);

    // The same email again, and bad input: clear field errors, nothing written.
    let users = count(&db, "SELECT COUNT(*) FROM users").await;
    let dup = register_customer(&db, "Other", "li.na@example.com", "whatever123").await.unwrap_err();
    assert_eq!(dup.field_message("email").as_deref(), Some("an account with this email already exists"));
    assert!(register_customer(&db, "X", "not-an-email", "whatever123").await.unwrap_err().field_message("email").is_some());
    assert!(register_customer(&db, "X", "x@y.com", "short").await.unwrap_err().field_message("password").is_some());
    assert!(register_customer(&db, "  ", "x@y.com", "long enough").await.unwrap_err().field_message("name").is_some());
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users").await, users);
});

on_both_backends!(sign_in_failures_do_not_reveal_accounts_and_are_throttled, async |db: Db| {
    register_customer(&db, "Wu", "wu@example.com", "right password").await.unwrap();
    let unknown = authenticate(&db, "nobody@example.com", "whatever", "10.0.0.1").await.unwrap_err();
    let wrong = authenticate(&db, "wu@example.com", "wrong password", "10.0.0.1").await.unwrap_err();
    assert_eq!(unknown, wrong, "unknown account and wrong password must look the same");
    for _ in 0..4 {
        authenticate(&db, "wu@example.com", "wrong password", "10.0.0.2").await.unwrap_err();
    }
    // Five failures for the account: even the right password is refused for a while.
    let locked = authenticate(&db, "wu@example.com", "right password", "10.0.0.3").await.unwrap_err();
    assert!(matches!(locked, AppError::Throttled { retry_after_secs } if retry_after_secs > 0 && retry_after_secs <= 900));
    // Another account from a fresh address is unaffected.
    register_customer(&db, "Ma", "ma@example.com", "right password").await.unwrap();
    assert!(authenticate(&db, "ma@example.com", "right password", "10.0.0.9").await.is_ok());
});

on_both_backends!(password_spraying_from_one_address_is_throttled, async |db: Db| {
    register_customer(&db, "Qi", "qi@example.com", "right password").await.unwrap();
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        authenticate(&db, &format!("user{i}@example.com"), "guess", "10.9.9.9").await.unwrap_err();
    }
    let err = authenticate(&db, "qi@example.com", "right password", "10.9.9.9").await.unwrap_err();
    assert!(matches!(err, AppError::Throttled { .. }), "{err:?}");
    assert!(authenticate(&db, "qi@example.com", "right password", "10.1.1.1").await.is_ok());
});

on_both_backends!(inactive_users_cannot_sign_in_or_act, async |db: Db| {
    let admin = demo_actor(&db, "admin@shopflow.test").await;
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    set_user_active(&db, &admin, clerk.id, false).await.unwrap();
    assert!(load_actor(&db, clerk.id).await.unwrap().is_none());
    assert!(authenticate(&db, "orders@shopflow.test", "shopflow-demo", "1.1.1.1").await.is_err());
    set_user_active(&db, &admin, clerk.id, true).await.unwrap();
    assert!(authenticate(&db, "orders@shopflow.test", "shopflow-demo", "1.1.1.2").await.is_ok());
    let events = count(&db, "SELECT COUNT(*) FROM audit_events WHERE entity = 'user' AND action IN ('activate', 'deactivate')").await;
    assert_eq!(events, 2);
});

on_both_backends!(roles_are_data_that_admins_edit, async |db: Db| {
    let admin = demo_actor(&db, "admin@shopflow.test").await;
    let clerk = demo_actor(&db, "orders@shopflow.test").await;
    assert!(!clerk.can(Permission::WarehousePage));

    assert_eq!(clerk.roles.len(), 1);
    let own_role = clerk.roles[0].clone();
    // The orders page is the clerk's already: a permission two roles share counts once.
    let role = create_role(&db, &admin, "Night shift", &[Permission::WarehousePage, Permission::OrdersPage]).await.unwrap();
    let mut roles: Vec<i64> = list_users(&db).await.unwrap().users.iter().find(|u| u.id == clerk.id).unwrap().role_ids.clone();
    roles.push(role);
    set_user_roles(&db, &admin, clerk.id, &roles).await.unwrap();
    let clerk = load_actor(&db, clerk.id).await.unwrap().unwrap();
    assert!(clerk.can(Permission::WarehousePage) && clerk.can(Permission::OrdersPage));
    assert_eq!(clerk.permissions.iter().filter(|p| **p == Permission::OrdersPage).count(), 1);
    assert_eq!(clerk.roles, vec!["Night shift".to_string(), own_role], "role names, by name");

    rename_role(&db, &admin, role, "Late shift").await.unwrap();
    assert_eq!(
        rename_role(&db, &admin, role, "Finance").await.unwrap_err().field_message("name").as_deref(),
        Some("a role with this name already exists")
    );
    set_role_permissions(&db, &admin, role, &[Permission::LogisticsPage]).await.unwrap();
    let clerk = load_actor(&db, clerk.id).await.unwrap().unwrap();
    assert!(clerk.can(Permission::LogisticsPage) && !clerk.can(Permission::WarehousePage));

    delete_role(&db, &admin, role).await.unwrap();
    let clerk = load_actor(&db, clerk.id).await.unwrap().unwrap();
    assert!(!clerk.can(Permission::LogisticsPage));
    let builtin = list_roles(&db).await.unwrap().into_iter().find(|r| r.key.as_deref() == Some("finance")).unwrap();
    assert!(matches!(delete_role(&db, &admin, builtin.id).await, Err(AppError::Conflict(_))));

    let audited = count(&db, "SELECT COUNT(*) FROM audit_events WHERE entity = 'role'").await;
    assert_eq!(audited, 4, "create, rename, set_permissions, delete");
});

on_both_backends!(the_last_administrator_cannot_be_removed, async |db: Db| {
    let admin = demo_actor(&db, "admin@shopflow.test").await;
    let admin_role = list_roles(&db).await.unwrap().into_iter().find(|r| r.key.as_deref() == Some("admin")).unwrap();
    let conflict = |r: Result<(), AppError>| matches!(r, Err(AppError::Conflict(_)));
    assert!(conflict(set_user_active(&db, &admin, admin.id, false).await));
    assert!(conflict(set_user_roles(&db, &admin, admin.id, &[]).await));
    assert!(conflict(set_role_permissions(&db, &admin, admin_role.id, &[Permission::UserManage]).await));
    // Nothing changed.
    let again = load_actor(&db, admin.id).await.unwrap().unwrap();
    assert!(again.can(Permission::RoleManage));
    // With a second administrator, the first may step down.
    let second = create_staff(&db, &admin, "Second Admin", "second@shopflow.test", "long password", &[admin_role.id]).await.unwrap();
    set_user_roles(&db, &admin, admin.id, &[]).await.unwrap();
    assert!(load_actor(&db, second).await.unwrap().unwrap().can(Permission::RoleManage));
    // A user without roles is still a user, who may do nothing; a user who does not exist is none.
    let stepped_down = load_actor(&db, admin.id).await.unwrap().expect("still a user");
    assert_eq!((stepped_down.email.as_str(), stepped_down.permissions.len(), stepped_down.roles.len()), ("admin@shopflow.test", 0, 0));
    assert!(load_actor(&db, 1_000_000).await.unwrap().is_none());
});

on_both_backends!(passwords_change_with_the_current_one, async |db: Db| {
    let id = register_customer(&db, "Hu", "hu@example.com", "first password").await.unwrap();
    let me = load_actor(&db, id).await.unwrap().unwrap();
    let wrong = change_password(&db, &me, "not it", "second password").await.unwrap_err();
    assert_eq!(wrong.field_message("current_password").as_deref(), Some("the current password is wrong"));
    assert!(change_password(&db, &me, "first password", "short").await.unwrap_err().field_message("new_password").is_some());
    change_password(&db, &me, "first password", "second password").await.unwrap();
    assert!(authenticate(&db, "hu@example.com", "first password", "2.2.2.2").await.is_err());
    assert!(authenticate(&db, "hu@example.com", "second password", "2.2.2.3").await.is_ok());
});
