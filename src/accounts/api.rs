//! Server functions of accounts and administration. Each one authorizes first, then makes
//! one service call.

use super::{RoleRow, SessionInfo, UsersPage};
use crate::domain::{AppError, Permission};
use crate::engine::AuditEvent;
use leptos::prelude::*;
use crate::domain::codec::JsonOrForm;

#[cfg(feature = "ssr")]
use {
    crate::i18n::Lang,
    super::service,
    crate::server::{auth, db, require, require_user},
};

/// Who is signed in and which language to use. Public: anonymous visitors get `actor: None`.
#[server(endpoint = "session_info")]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    let parts = use_context::<axum::http::request::Parts>().ok_or_else(|| AppError::internal("no request"))?;
    auth::session_info(&db()?, &auth::session().await?, &parts.headers).await
}

/// Public. The session id changes at sign-in, so a planted id is worthless.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    let db = db()?;
    let user_id = service::authenticate(&db, &email, &password, &auth::client_address()).await?;
    let session = auth::session().await?;
    session.cycle_id().await.map_err(AppError::internal)?;
    session.insert(auth::SESSION_USER, user_id).await.map_err(AppError::internal)?;
    Ok(())
}

/// Any visitor may sign out; the session is deleted and its cookie cleared.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    auth::session().await?.flush().await.map_err(AppError::internal)
}

/// Public: customers register themselves in the portal and are signed in.
#[server(endpoint = "register")]
pub async fn register(name: String, email: String, password: String) -> Result<(), AppError> {
    let db = db()?;
    let user_id = service::register_customer(&db, &name, &email, &password).await?;
    let session = auth::session().await?;
    session.cycle_id().await.map_err(AppError::internal)?;
    session.insert(auth::SESSION_USER, user_id).await.map_err(AppError::internal)?;
    Ok(())
}

/// Public: remembered for the user when signed in, for the session otherwise.
#[server(endpoint = "set_language")]
pub async fn set_language(lang: String) -> Result<(), AppError> {
    let lang = Lang::from_key(&lang).ok_or_else(|| AppError::invalid("lang", "unsupported language"))?;
    match auth::current_actor().await? {
        Some(actor) => service::set_locale(&db()?, actor.id, lang).await,
        None => auth::session().await?.insert(auth::SESSION_LANG, lang.key()).await.map_err(AppError::internal),
    }
}

#[server(endpoint = "change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    let actor = require_user().await?;
    service::change_password(&db()?, &actor, &current_password, &new_password).await
}

#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<UsersPage, AppError> {
    require(Permission::UserManage).await?;
    service::list_users(&db()?).await
}

#[server(endpoint = "create_staff", input = JsonOrForm)]
pub async fn create_staff(name: String, email: String, password: String, roles: Vec<i64>) -> Result<i64, AppError> {
    let actor = require(Permission::UserManage).await?;
    service::create_staff(&db()?, &actor, &name, &email, &password, &roles).await
}

#[server(endpoint = "set_user_roles", input = JsonOrForm)]
pub async fn set_user_roles(user_id: i64, roles: Vec<i64>) -> Result<(), AppError> {
    let actor = require(Permission::UserManage).await?;
    service::set_user_roles(&db()?, &actor, user_id, &roles).await
}

#[server(endpoint = "set_user_active", input = JsonOrForm)]
pub async fn set_user_active(user_id: i64, active: bool) -> Result<(), AppError> {
    let actor = require(Permission::UserManage).await?;
    service::set_user_active(&db()?, &actor, user_id, active).await
}

#[server(endpoint = "list_roles")]
pub async fn list_roles() -> Result<Vec<RoleRow>, AppError> {
    require(Permission::RoleManage).await?;
    service::list_roles(&db()?).await
}

#[server(endpoint = "create_role", input = JsonOrForm)]
pub async fn create_role(name: String, permissions: Vec<Permission>) -> Result<i64, AppError> {
    let actor = require(Permission::RoleManage).await?;
    service::create_role(&db()?, &actor, &name, &permissions).await
}

#[server(endpoint = "rename_role", input = JsonOrForm)]
pub async fn rename_role(role_id: i64, name: String) -> Result<(), AppError> {
    let actor = require(Permission::RoleManage).await?;
    service::rename_role(&db()?, &actor, role_id, &name).await
}

#[server(endpoint = "set_role_permissions", input = JsonOrForm)]
pub async fn set_role_permissions(role_id: i64, permissions: Vec<Permission>) -> Result<(), AppError> {
    let actor = require(Permission::RoleManage).await?;
    service::set_role_permissions(&db()?, &actor, role_id, &permissions).await
}

#[server(endpoint = "delete_role", input = JsonOrForm)]
pub async fn delete_role(role_id: i64) -> Result<(), AppError> {
    let actor = require(Permission::RoleManage).await?;
    service::delete_role(&db()?, &actor, role_id).await
}

#[server(endpoint = "audit_log")]
pub async fn audit_log(entity: Option<String>) -> Result<Vec<AuditEvent>, AppError> {
    require(Permission::AuditLogView).await?;
    service::audit_log(&db()?, entity.as_deref(), 200).await
}
