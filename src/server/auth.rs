//! Authorization: the one helper every server function and page calls first. Deny by
//! default: no session, an inactive user or a missing permission is refused here.

use crate::accounts::{service, Actor};
use crate::domain::{AppError, AppResult, Permission};
use tower_sessions::Session;

/// Session key of the signed-in user's id.
pub const SESSION_USER: &str = "user_id";
/// Session key of an anonymous visitor's chosen language.
pub const SESSION_LANG: &str = "lang";

pub async fn session() -> AppResult<Session> {
    leptos_axum::extract::<Session>().await.map_err(AppError::internal)
}

/// The signed-in user, if any; an inactive or deleted user counts as nobody.
pub async fn current_actor() -> AppResult<Option<Actor>> {
    let session = session().await?;
    let user_id: Option<i64> = session.get(SESSION_USER).await.map_err(AppError::internal)?;
    match user_id {
        Some(id) => service::load_actor(&super::db()?, id).await,
        None => Ok(None),
    }
}

pub async fn require_user() -> AppResult<Actor> {
    current_actor().await?.ok_or(AppError::Unauthenticated)
}

/// The signed-in user, if they hold `permission`.
pub async fn require(permission: Permission) -> AppResult<Actor> {
    let actor = require_user().await?;
    if actor.can(permission) {
        Ok(actor)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The client's address for login throttling: the peer, or the first hop of
/// X-Forwarded-For when the operator says a trusted proxy sits in front.
pub fn client_address() -> String {
    use leptos::prelude::use_context;
    let Some(parts) = use_context::<axum::http::request::Parts>() else {
        return "unknown".into();
    };
    let trust_proxy = use_context::<super::AppState>().is_some_and(|s| s.config.trust_proxy);
    if trust_proxy {
        if let Some(first) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            return first.trim().to_string();
        }
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Any signed-in member of staff (not a customer).
pub async fn require_staff() -> AppResult<Actor> {
    let actor = require_user().await?;
    if actor.is_customer {
        return Err(AppError::Forbidden);
    }
    Ok(actor)
}
