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

/// The actor loaded for this request, shared by every server function a page render calls
/// (a dashboard calls several; each would otherwise load the user, roles and permissions
/// again). Keyed by user id, so a sign-in or sign-out within the request is seen at once.
/// It lives only as long as the request: permission changes apply to the next request.
#[derive(Clone, Default)]
pub struct RequestActor(std::sync::Arc<tokio::sync::Mutex<Option<(i64, Option<Actor>)>>>);

/// The signed-in user, if any; an inactive or deleted user counts as nobody.
pub async fn current_actor() -> AppResult<Option<Actor>> {
    let session = session().await?;
    let user_id: Option<i64> = session.get(SESSION_USER).await.map_err(AppError::internal)?;
    let Some(id) = user_id else { return Ok(None) };
    let Some(cache) = leptos::prelude::use_context::<RequestActor>() else {
        return service::load_actor(&super::db()?, id).await;
    };
    // Held across the load: concurrent server functions of one render wait for the first.
    let mut slot = cache.0.lock().await;
    if let Some((cached_id, actor)) = slot.as_ref() {
        if *cached_id == id {
            return Ok(actor.clone());
        }
    }
    let actor = service::load_actor(&super::db()?, id).await?;
    *slot = Some((id, actor.clone()));
    Ok(actor)
}

/// The signed-in user of a plain axum handler (a download), outside any Leptos context.
pub async fn session_actor(db: &super::Db, session: &Session) -> AppResult<Option<Actor>> {
    let user_id: Option<i64> = session.get(SESSION_USER).await.map_err(AppError::internal)?;
    match user_id {
        Some(id) => service::load_actor(db, id).await,
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
