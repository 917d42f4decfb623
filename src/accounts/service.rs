//! Accounts on the server: password hashing, sign-in with throttling, users and roles.
//! Every change to users and roles is audited, and no change may leave the system without
//! an active administrator.

use super::{valid_email, valid_name, valid_password, Actor, RoleRow, UserRow, UsersPage};
use crate::domain::{now_millis, required_text, AppError, AppResult, Permission, Role};
use crate::engine::run::audit;
use crate::i18n::Lang;
use crate::server::Db;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde_json::json;
use sqlx::AnyConnection;

/// Failed sign-ins counted over this window.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures for one account within the window before it is locked for the rest of it.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failures from one address within the window (password spraying across accounts).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)
}

async fn verify_password(hash: Option<String>, password: &str) -> AppResult<bool> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        // Unknown accounts are checked against a fixed hash so that they take as long as known
        // ones: the response time must not reveal whether an account exists.
        const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2hvcGZsb3dkdW1teQ$Xq4bXxGvbOVv1l3cAvmdhgWgD6u1JYf0zSWjhsX+u5E";
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| DUMMY.to_string());
        let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known)
    })
    .await
    .map_err(AppError::internal)?
}

/// SQL: user `u` holds the permission bound as `$n`, through any of their roles (built-in or
/// custom) — for finding who may do something, as [`load_actor`] finds what one user may.
pub fn holds_permission(n: u8) -> String {
    format!("EXISTS (SELECT 1 FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id WHERE ur.user_id = u.id AND rp.permission = ${n})")
}

/// One row of [`load_actor`]'s answer: the user's own row (kind `a`: email, name, customer
/// and active flags, locale), then one per permission and per role name (the flags NULL).
type ActorRow = (String, String, Option<String>, Option<i64>, Option<i64>, Option<String>);

/// Loads the user and the union of their roles' permissions; `None` when inactive or gone.
///
/// One query: this runs on every signed-in request, and on SQLite every query is a handoff to
/// the driver's thread and back, which was most of a signed-in page's time (BENCHMARKS.md,
/// session 16). UNION also drops the permissions that several roles share.
pub async fn load_actor(db: &Db, user_id: i64) -> AppResult<Option<Actor>> {
    let rows: Vec<ActorRow> = sqlx::query_as(
        "SELECT 'a', email, display_name, is_customer, active, locale FROM users WHERE id = $1 \
         UNION SELECT 'permission', rp.permission, NULL, NULL, NULL, NULL FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id WHERE ur.user_id = $1 \
         UNION SELECT 'role', r.name, NULL, NULL, NULL, NULL FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 \
         ORDER BY 1, 2",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let mut rows = rows.into_iter();
    // 'a' sorts before the grants: the user's row comes first, if the user exists.
    let Some((_, email, Some(name), Some(is_customer), Some(active), locale)) = rows.next().filter(|r| r.0 == "a") else {
        return Ok(None);
    };
    if active == 0 {
        return Ok(None);
    }
    let (perms, roles): (Vec<_>, Vec<_>) = rows.partition(|r| r.0 == "permission");
    let mut permissions: Vec<Permission> = perms.iter().filter_map(|r| Permission::from_key(&r.1)).collect();
    permissions.sort();
    Ok(Some(Actor {
        id: user_id,
        email,
        name,
        is_customer: is_customer != 0,
        permissions,
        roles: roles.into_iter().map(|r| r.1).collect(),
        locale: locale.as_deref().and_then(Lang::from_key),
    }))
}

/// Checks a sign-in. Every failure, whatever its cause, gives the same answer.
pub async fn authenticate(db: &Db, email: &str, password: &str, address: &str) -> AppResult<i64> {
    const WRONG: &str = "the email or the password is wrong";
    let account = email.trim().to_lowercase();
    let now = now_millis();
    let since = now - THROTTLE_WINDOW_MS;
    let (by_account, first_account): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE account = $1 AND at > $2",
    )
    .bind(&account)
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    let (by_address, first_address): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE address = $1 AND at > $2",
    )
    .bind(address)
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    let locked_since = match (by_account >= MAX_FAILURES_PER_ACCOUNT, by_address >= MAX_FAILURES_PER_ADDRESS) {
        (true, _) => first_account,
        (_, true) => first_address,
        _ => None,
    };
    if let Some(first) = locked_since {
        let retry_after_secs = ((first + THROTTLE_WINDOW_MS - now) / 1000).max(1);
        return Err(AppError::Throttled { retry_after_secs });
    }

    let row: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT id, password_hash, active FROM users WHERE email = $1")
            .bind(&account)
            .fetch_optional(db.pool())
            .await?;
    let (id, hash, active) = match row {
        Some((id, hash, active)) => (Some(id), Some(hash), active != 0),
        None => (None, None, false),
    };
    let ok = verify_password(hash, password).await? && active;
    let mut tx = db.begin().await?;
    match (ok, id) {
        (true, Some(id)) => {
            sqlx::query("DELETE FROM login_failures WHERE account = $1").bind(&account).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(id)
        }
        _ => {
            sqlx::query("INSERT INTO login_failures (account, address, at) VALUES ($1, $2, $3)")
                .bind(&account)
                .bind(address)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            // Old failures no longer count; keep the table small.
            sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(since).execute(&mut *tx).await?;
            tx.commit().await?;
            Err(AppError::invalid("password", WRONG))
        }
    }
}

async fn insert_user(
    conn: &mut AnyConnection,
    email: &str,
    name: &str,
    hash: &str,
    is_customer: bool,
) -> AppResult<i64> {
    let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO users (email, display_name, password_hash, is_customer, active, created_at) \
         VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(hash)
    .bind(i64::from(is_customer))
    .bind(now_millis())
    .fetch_one(&mut *conn)
    .await;
    unique_or_invalid(inserted, "email", "an account with this email already exists").map(|(id,)| id)
}

/// A unique-constraint violation is the user's input clashing with an existing record: a
/// field error, not a failure.
fn unique_or_invalid<T>(result: Result<T, sqlx::Error>, field: &str, message: &str) -> AppResult<T> {
    match result {
        Err(e) if crate::server::db::is_unique_violation(&e) => Err(AppError::invalid(field, message)),
        other => Ok(other?),
    }
}

async fn role_id_by_key(conn: &mut AnyConnection, key: &str) -> AppResult<i64> {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM roles WHERE role_key = $1")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
    Ok(id)
}

/// A customer signs up in the portal; returns the new user's id.
pub async fn register_customer(db: &Db, name: &str, email: &str, password: &str) -> AppResult<i64> {
    let name = valid_name(name)?;
    let email = valid_email(email)?;
    valid_password("password", password)?;
    let hash = hash_password(password).await?;
    let mut tx = db.begin().await?;
    let id = insert_user(&mut tx, &email, &name, &hash, true).await?;
    let role = role_id_by_key(&mut tx, Role::Customer.key()).await?;
    sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)").bind(id).bind(role).execute(&mut *tx).await?;
    audit(&mut tx, "user", id, "register", None, None, Some(id), &json!({ "email": email })).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn change_password(db: &Db, actor: &Actor, current: &str, new: &str) -> AppResult<()> {
    valid_password("new_password", new)?;
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(actor.id)
        .fetch_one(db.pool())
        .await?;
    if !verify_password(Some(hash), current).await? {
        return Err(AppError::invalid("current_password", "the current password is wrong"));
    }
    let hash = hash_password(new).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(actor.id).execute(&mut *tx).await?;
    audit(&mut tx, "user", actor.id, "change_password", None, None, Some(actor.id), &json!({})).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_locale(db: &Db, user_id: i64, lang: Lang) -> AppResult<()> {
    sqlx::query("UPDATE users SET locale = $1 WHERE id = $2").bind(lang.key()).bind(user_id).execute(db.writer()).await?;
    Ok(())
}

/// Fails (so the caller's transaction rolls back) when no active user could manage roles any
/// more: then nobody could ever grant anything again.
async fn ensure_an_admin_remains(conn: &mut AnyConnection) -> AppResult<()> {
    let (admins,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT u.id) FROM users u \
         JOIN user_roles ur ON ur.user_id = u.id \
         JOIN role_permissions rp ON rp.role_id = ur.role_id \
         WHERE u.active = 1 AND rp.permission = $1",
    )
    .bind(Permission::RoleManage.key())
    .fetch_one(&mut *conn)
    .await?;
    if admins == 0 {
        return Err(AppError::Conflict("the last administrator cannot be removed or demoted".into()));
    }
    Ok(())
}

pub async fn list_users(db: &Db) -> AppResult<UsersPage> {
    let users: Vec<(i64, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, email, display_name, is_customer, active, created_at FROM users ORDER BY is_customer, display_name",
    )
    .fetch_all(db.pool())
    .await?;
    let links: Vec<(i64, i64)> =
        sqlx::query_as("SELECT user_id, role_id FROM user_roles").fetch_all(db.pool()).await?;
    let roles: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM roles ORDER BY name").fetch_all(db.pool()).await?;
    Ok(UsersPage {
        users: users
            .into_iter()
            .map(|(id, email, name, is_customer, active, created_at)| UserRow {
                id,
                email,
                name,
                is_customer: is_customer != 0,
                active: active != 0,
                role_ids: links.iter().filter(|(u, _)| *u == id).map(|(_, r)| *r).collect(),
                created_at,
            })
            .collect(),
        roles,
    })
}

async fn replace_user_roles(conn: &mut AnyConnection, user_id: i64, role_ids: &[i64]) -> AppResult<()> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    for role in role_ids {
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM roles WHERE id = $1").bind(role).fetch_optional(&mut *conn).await?;
        if exists.is_none() {
            return Err(AppError::invalid("roles", "unknown role"));
        }
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(role)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// An admin creates a staff account with its roles.
pub async fn create_staff(db: &Db, actor: &Actor, name: &str, email: &str, password: &str, role_ids: &[i64]) -> AppResult<i64> {
    let name = valid_name(name)?;
    let email = valid_email(email)?;
    valid_password("password", password)?;
    let role_ids = dedup(role_ids);
    let hash = hash_password(password).await?;
    let mut tx = db.begin().await?;
    let id = insert_user(&mut tx, &email, &name, &hash, false).await?;
    replace_user_roles(&mut tx, id, &role_ids).await?;
    audit(&mut tx, "user", id, "create", None, None, Some(actor.id), &json!({ "email": email, "roles": role_ids })).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn set_user_roles(db: &Db, actor: &Actor, user_id: i64, role_ids: &[i64]) -> AppResult<()> {
    let role_ids = dedup(role_ids);
    let mut tx = db.begin().await?;
    let exists: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
    exists.ok_or(AppError::NotFound)?;
    replace_user_roles(&mut tx, user_id, &role_ids).await?;
    ensure_an_admin_remains(&mut tx).await?;
    audit(&mut tx, "user", user_id, "set_roles", None, None, Some(actor.id), &json!({ "roles": role_ids })).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_user_active(db: &Db, actor: &Actor, user_id: i64, active: bool) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let done = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    if !active {
        ensure_an_admin_remains(&mut tx).await?;
        // Sign the user out everywhere: their sessions name them by id.
        // (Their next request would be refused anyway: inactive users load as nobody.)
        sqlx::query("DELETE FROM sessions WHERE data LIKE $1 OR data LIKE $2")
            .bind(format!("%\"user_id\":{user_id},%"))
            .bind(format!("%\"user_id\":{user_id}}}%"))
            .execute(&mut *tx)
            .await?;
    }
    let action = if active { "activate" } else { "deactivate" };
    audit(&mut tx, "user", user_id, action, None, None, Some(actor.id), &json!({})).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_roles(db: &Db) -> AppResult<Vec<RoleRow>> {
    let roles: Vec<(i64, Option<String>, String)> =
        sqlx::query_as("SELECT id, role_key, name FROM roles ORDER BY name").fetch_all(db.pool()).await?;
    let perms: Vec<(i64, String)> =
        sqlx::query_as("SELECT role_id, permission FROM role_permissions").fetch_all(db.pool()).await?;
    let members: Vec<(i64, i64)> =
        sqlx::query_as("SELECT role_id, COUNT(*) FROM user_roles GROUP BY role_id").fetch_all(db.pool()).await?;
    Ok(roles
        .into_iter()
        .map(|(id, key, name)| {
            let mut permissions: Vec<Permission> = perms
                .iter()
                .filter(|(r, _)| *r == id)
                .filter_map(|(_, p)| Permission::from_key(p))
                .collect();
            permissions.sort();
            RoleRow {
                id,
                key,
                name,
                permissions,
                members: members.iter().find(|(r, _)| *r == id).map(|(_, n)| *n).unwrap_or(0),
            }
        })
        .collect())
}

fn valid_role_name(name: &str) -> AppResult<String> {
    required_text("name", name, 60)
}

async fn insert_role(conn: &mut AnyConnection, key: Option<&str>, name: &str) -> AppResult<i64> {
    let inserted: Result<(i64,), sqlx::Error> =
        sqlx::query_as("INSERT INTO roles (role_key, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(key)
            .bind(name)
            .bind(now_millis())
            .fetch_one(&mut *conn)
            .await;
    unique_or_invalid(inserted, "name", ROLE_NAME_TAKEN).map(|(id,)| id)
}

const ROLE_NAME_TAKEN: &str = "a role with this name already exists";

async fn replace_role_permissions(conn: &mut AnyConnection, role_id: i64, permissions: &[Permission]) -> AppResult<()> {
    sqlx::query("DELETE FROM role_permissions WHERE role_id = $1").bind(role_id).execute(&mut *conn).await?;
    let mut permissions = permissions.to_vec();
    permissions.sort();
    permissions.dedup();
    for p in permissions {
        sqlx::query("INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)")
            .bind(role_id)
            .bind(p.key())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn create_role(db: &Db, actor: &Actor, name: &str, permissions: &[Permission]) -> AppResult<i64> {
    let name = valid_role_name(name)?;
    let mut tx = db.begin().await?;
    let id = insert_role(&mut tx, None, &name).await?;
    replace_role_permissions(&mut tx, id, permissions).await?;
    let keys: Vec<_> = permissions.iter().map(|p| p.key()).collect();
    audit(&mut tx, "role", id, "create", None, None, Some(actor.id), &json!({ "name": name, "permissions": keys })).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn rename_role(db: &Db, actor: &Actor, role_id: i64, name: &str) -> AppResult<()> {
    let name = valid_role_name(name)?;
    let mut tx = db.begin().await?;
    let done = sqlx::query("UPDATE roles SET name = $1 WHERE id = $2").bind(&name).bind(role_id).execute(&mut *tx).await;
    if unique_or_invalid(done, "name", ROLE_NAME_TAKEN)?.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    audit(&mut tx, "role", role_id, "rename", None, None, Some(actor.id), &json!({ "name": name })).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_role_permissions(db: &Db, actor: &Actor, role_id: i64, permissions: &[Permission]) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let exists: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM roles WHERE id = $1").bind(role_id).fetch_optional(&mut *tx).await?;
    exists.ok_or(AppError::NotFound)?;
    replace_role_permissions(&mut tx, role_id, permissions).await?;
    ensure_an_admin_remains(&mut tx).await?;
    let keys: Vec<_> = permissions.iter().map(|p| p.key()).collect();
    audit(&mut tx, "role", role_id, "set_permissions", None, None, Some(actor.id), &json!({ "permissions": keys })).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_role(db: &Db, actor: &Actor, role_id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let row: Option<(Option<String>, String)> =
        sqlx::query_as("SELECT role_key, name FROM roles WHERE id = $1").bind(role_id).fetch_optional(&mut *tx).await?;
    let (key, name) = row.ok_or(AppError::NotFound)?;
    if key.is_some() {
        return Err(AppError::Conflict("built-in roles are named by workflows and cannot be deleted; rename them or change their permissions instead".into()));
    }
    sqlx::query("DELETE FROM user_roles WHERE role_id = $1").bind(role_id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM role_permissions WHERE role_id = $1").bind(role_id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM roles WHERE id = $1").bind(role_id).execute(&mut *tx).await?;
    ensure_an_admin_remains(&mut tx).await?;
    audit(&mut tx, "role", role_id, "delete", None, None, Some(actor.id), &json!({ "name": name })).await?;
    tx.commit().await?;
    Ok(())
}

/// Seeds the built-in roles with their default permissions on first run; existing roles are
/// left as the admins made them, except that a permission new in this release is granted
/// once to the built-in roles that hold it by default (so an upgrade does not lock staff out
/// of a new feature, and an admin's later removal sticks).
pub async fn ensure_builtin_roles(db: &Db, lang: Lang) -> AppResult<()> {
    let mut tx = db.begin().await?;
    for role in Role::BUILT_IN {
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM roles WHERE role_key = $1")
            .bind(role.key())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            let id = insert_role(&mut tx, Some(role.key()), role.name(lang)).await?;
            replace_role_permissions(&mut tx, id, &role.default_permissions()).await?;
        }
    }
    let known: Vec<(String,)> = sqlx::query_as("SELECT permission FROM known_permissions").fetch_all(&mut *tx).await?;
    for p in Permission::ALL.iter().filter(|p| !known.iter().any(|(k,)| k == p.key())) {
        for role in Role::BUILT_IN.iter().filter(|r| r.default_permissions().contains(p)) {
            sqlx::query(
                "INSERT INTO role_permissions (role_id, permission) \
                 SELECT id, $1 FROM roles WHERE role_key = $2 ON CONFLICT DO NOTHING",
            )
            .bind(p.key())
            .bind(role.key())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("INSERT INTO known_permissions (permission) VALUES ($1)").bind(p.key()).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates a staff account holding the built-in roles named by key, unless the email exists.
/// Used by the demo data and by the first-run administrator.
pub async fn ensure_staff(db: &Db, email: &str, name: &str, password: &str, roles: &[Role]) -> AppResult<i64> {
    let existing: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE email = $1").bind(email).fetch_optional(db.pool()).await?;
    if let Some((id,)) = existing {
        return Ok(id);
    }
    let hash = hash_password(password).await?;
    let mut tx = db.begin().await?;
    let customer = roles == [Role::Customer];
    let id = insert_user(&mut tx, email, name, &hash, customer).await?;
    for role in roles {
        let role_id = role_id_by_key(&mut tx, role.key()).await?;
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)").bind(id).bind(role_id).execute(&mut *tx).await?;
    }
    audit(&mut tx, "user", id, "create", None, None, None, &json!({ "email": email, "seeded": true })).await?;
    tx.commit().await?;
    Ok(id)
}

/// Active staff, for choosing owners: (id, name).
pub async fn staff_directory(db: &Db) -> AppResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, display_name FROM users WHERE is_customer = 0 AND active = 1 ORDER BY display_name")
        .fetch_all(db.pool())
        .await?)
}

pub async fn audit_log(db: &Db, entity: Option<&str>, limit: i64) -> AppResult<Vec<crate::engine::AuditEvent>> {
    let rows = sqlx::query_as(
        "SELECT e.id, e.entity, e.entity_id, e.action, e.from_state, e.to_state, e.actor_id, u.display_name, e.at, e.payload \
         FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id \
         WHERE ($1 = '' OR e.entity = $1) ORDER BY e.id DESC LIMIT $2",
    )
    .bind(entity.unwrap_or(""))
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(crate::engine::run::event_from_row).collect())
}

/// Active staff holding any of the roles with these keys: (name, their role names).
pub async fn members_of(db: &Db, role_keys: &[&str]) -> AppResult<Vec<(String, String)>> {
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT u.id, u.display_name, r.name, r.role_key FROM users u \
         JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
         WHERE u.active = 1 AND u.is_customer = 0 ORDER BY u.display_name, r.name",
    )
    .fetch_all(db.pool())
    .await?;
    let mut members: Vec<(i64, String, Vec<String>, bool)> = Vec::new();
    for (id, name, role, key) in rows {
        let in_dept = key.as_deref().is_some_and(|k| role_keys.contains(&k));
        match members.last_mut() {
            Some(m) if m.0 == id => {
                m.2.push(role);
                m.3 |= in_dept;
            }
            _ => members.push((id, name, vec![role], in_dept)),
        }
    }
    Ok(members.into_iter().filter(|m| m.3).map(|(_, name, roles, _)| (name, roles.join(", "))).collect())
}
