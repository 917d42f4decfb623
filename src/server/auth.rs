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
#[derive(Clone)]
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

/// Who is here and in which language, for a request with these headers: the user's own
/// language, else the one chosen in this session, else the browser's.
pub async fn session_info(db: &super::Db, session: &Session, headers: &axum::http::HeaderMap) -> AppResult<crate::accounts::SessionInfo> {
    use crate::i18n::Lang;
    let actor = session_actor(db, session).await?;
    let lang = match actor.as_ref().and_then(|a| a.locale) {
        Some(lang) => lang,
        None => {
            let saved: Option<String> = session.get(SESSION_LANG).await.map_err(AppError::internal)?;
            saved.as_deref().and_then(Lang::from_key).unwrap_or_else(|| {
                headers.get("accept-language").and_then(|v| v.to_str().ok()).map(Lang::from_accept_language).unwrap_or_default()
            })
        }
    };
    Ok(crate::accounts::SessionInfo { actor, lang })
}

/// The session of a page request, loaded by the `page_session` middleware before the page
/// renders: the shell hands it to the browser, and the page's server functions start from
/// its actor instead of loading the user again.
#[derive(Clone, Debug)]
pub struct PageSession(pub crate::accounts::SessionInfo);

impl RequestActor {
    /// The cache of a page request whose user the middleware has loaded already.
    pub fn for_page(page: Option<&PageSession>) -> Self {
        let seed = page.and_then(|p| p.0.actor.as_ref()).map(|a| (a.id, Some(a.clone())));
        RequestActor(std::sync::Arc::new(tokio::sync::Mutex::new(seed)))
    }
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
