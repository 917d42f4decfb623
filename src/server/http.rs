//! HTTP wiring: the router, sessions, the same-origin guard, error statuses and health.

use super::auth::PageSession;
use super::sessions::DbSessionStore;
use super::AppState;
use crate::app::{shell, App};
use crate::domain::AppError;
use crate::i18n::Lang;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The whole application as an axum router: pages, server functions, assets, health.
pub fn router(state: AppState, leptos_options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let store = DbSessionStore::new(state.db.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name("shopflow_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)));
    // What every render gets from the request: the app's state, and the session the
    // middleware loaded (who, which language) with the user cache seeded from it. The 404
    // fallback renders the same shell and gets the same, so it shows who is signed in too.
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            let page = use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<PageSession>().cloned());
            provide_context(super::auth::RequestActor::for_page(page.as_ref()));
            if let Some(page) = page {
                provide_context(page);
            }
        }
    };
    Router::new()
        .route("/healthz", get(healthz).with_state(state.clone()))
        .route("/products/export.csv", get(export_products).with_state(state.clone()))
        .route("/webhooks/tracking", axum::routing::post(tracking_webhook).with_state(state.clone()))
        .route("/webhooks/tracking/{code}", axum::routing::post(carrier_webhook).with_state(state.clone()))
        .route("/webhooks/email", axum::routing::post(email_webhook).with_state(state.clone()))
        .route("/api/live/orders/{id}", get(order_live).with_state(state.clone()))
        .route("/attachments/{id}", get(attachment).with_state(state.clone()))
        // The one-click survey of the resolution mail: public, the signed token is the key.
        .route("/survey/{token}", get(survey_page).post(survey_answer).with_state(state.clone()))
        // Uploaded images: random names, so a draft's images are not guessable.
        .nest_service("/media", tower_http::services::ServeDir::new(&state.config.media_dir))
        // The client and the stylesheet, compressed (server::assets).
        .nest_service(&format!("/{}", leptos_options.site_pkg_dir), super::assets::service(&super::assets::folder(&leptos_options)))
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            context.clone(),
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .with_state(leptos_options)
        .layer(middleware::from_fn_with_state((state.clone(), std::sync::Arc::new(PageCache::new(state.db))), around_routes))
        .layer(sessions)
}

/// The server's listening socket, `addr` ("127.0.0.1:0" for any free port). Every accepted
/// connection has Nagle's algorithm turned off (TCP_NODELAY): a response whose body is written
/// after its headers (a file: CSS, the client's JS and WASM, an image) would otherwise wait
/// for the peer's delayed acknowledgement of the headers, up to 40 ms on Linux, on every
/// request of a kept-alive connection. Measured on the stylesheet: 41 requests/s on one
/// connection before, 5,429 after (BENCHMARKS.md, session 17).
pub async fn listen(addr: &str) -> std::io::Result<axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)>> {
    use axum::serve::ListenerExt;
    let tap: fn(&mut tokio::net::TcpStream) = |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not turn off Nagle's algorithm on a connection");
        }
    };
    Ok(tokio::net::TcpListener::bind(addr).await?.tap_io(tap))
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// An error as the JSON body and status a server function would give.
fn refuse(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], serde_json::to_string(&e).unwrap_or_default()).into_response()
}

/// Carriers push tracking events here, signed with the shared secret. A carrier that has a
/// secret of its own must use its own address ([`carrier_webhook`]): the shared secret no
/// longer speaks for it. A missing or wrong signature is refused and logged; a repeated event
/// is recorded once.
async fn tracking_webhook(State(state): State<AppState>, req: Request) -> Response {
    let Some(secret) = state.config.tracking_webhook_secret.clone() else {
        return refuse(AppError::Unavailable);
    };
    let (from, signature, body) = match webhook_call(req).await {
        Ok(call) => call,
        Err(e) => return refuse(e),
    };
    if let Err(e) = check_signature(&state, &[secret], &body, &signature, &from).await {
        return refuse(e);
    }
    let update = match tracking_update(&body) {
        Ok(u) => u,
        Err(e) => return refuse(e),
    };
    match crate::logistics::service::webhook_secrets(&state.db, &update.carrier).await {
        Ok(Some(own)) if !own.is_empty() => {
            crate::orders::carrier::log_refused(&state.db, &format!("{} has its own secret", update.carrier), &from).await;
            return refuse(AppError::Unauthenticated);
        }
        Ok(_) => {}
        Err(e) => return refuse(e),
    }
    record(&state, &update).await
}

/// One carrier's own tracking webhook (`/webhooks/tracking/{code}`), signed with the secret
/// the logistics coordinator made for it on the carriers page; it takes that carrier's parcels
/// only.
async fn carrier_webhook(State(state): State<AppState>, axum::extract::Path(code): axum::extract::Path<String>, req: Request) -> Response {
    let (from, signature, body) = match webhook_call(req).await {
        Ok(call) => call,
        Err(e) => return refuse(e),
    };
    let secrets = match crate::logistics::service::webhook_secrets(&state.db, &code).await {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return refuse(e),
    };
    if secrets.is_empty() {
        crate::orders::carrier::log_refused(&state.db, &format!("{code} has no secret of its own"), &from).await;
        return refuse(AppError::Unauthenticated);
    }
    if let Err(e) = check_signature(&state, &secrets, &body, &signature, &from).await {
        return refuse(e);
    }
    let update = match tracking_update(&body) {
        Ok(u) if u.carrier == code => u,
        Ok(_) => return refuse(AppError::invalid("carrier", &format!("this address takes the parcels of {code} only"))),
        Err(e) => return refuse(e),
    };
    record(&state, &update).await
}

/// The caller's address, the signature header and the body of a webhook call.
async fn webhook_call(req: Request) -> Result<(String, String, axum::body::Bytes), AppError> {
    let from = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|p| p.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let signature = req.headers().get("x-shopflow-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.map_err(|_| AppError::invalid("body", "too large"))?;
    Ok((from, signature, body))
}

/// Accepts a body signed with any of `secrets`; a refusal is logged with its reason.
async fn check_signature(state: &AppState, secrets: &[String], body: &[u8], signature: &str, from: &str) -> Result<(), AppError> {
    if secrets.iter().any(|s| crate::orders::carrier::signature_matches(s, body, signature)) {
        return Ok(());
    }
    crate::orders::carrier::log_refused(&state.db, if signature.is_empty() { "no signature" } else { "wrong signature" }, from).await;
    Err(AppError::Unauthenticated)
}

fn tracking_update(body: &[u8]) -> Result<crate::orders::TrackingUpdate, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::invalid("body", &format!("not a tracking update: {e}")))
}

async fn record(state: &AppState, update: &crate::orders::TrackingUpdate) -> Response {
    match crate::orders::carrier::record_tracking(&state.db, update).await {
        Ok(n) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], serde_json::json!({ "recorded": n }).to_string()).into_response(),
        Err(e) => refuse(e),
    }
}

/// Inbound customer mail from the mail gateway: the raw message as the body, signed like the
/// tracking webhook. Answers which ticket the mail landed on.
async fn email_webhook(State(state): State<AppState>, req: Request) -> Response {
    let Some(secret) = state.config.email_webhook_secret.as_deref() else {
        return refuse(AppError::Unavailable);
    };
    let signature = req.headers().get("x-shopflow-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let Ok(body) = axum::body::to_bytes(req.into_body(), crate::tickets::email::MAX_EMAIL_BYTES).await else {
        return refuse(AppError::invalid("email", "the message is larger than 25 MB"));
    };
    if !super::webhook::signature_matches(secret, &body, &signature) {
        return refuse(AppError::Unauthenticated);
    }
    match crate::tickets::email::ingest(&state.db, state.config.tickets, &body).await {
        Ok(o) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], serde_json::to_string(&o).unwrap_or_default()).into_response(),
        Err(e) => refuse(e),
    }
}

/// Server-sent events for an open order page: "changed" whenever the order takes a step or
/// its parcels report news. The feed reads the database (every two seconds), so it works
/// behind a load balancer with any number of instances.
async fn order_live(State(state): State<AppState>, session: tower_sessions::Session, axum::extract::Path(id): axum::extract::Path<i64>) -> Response {
    use crate::orders::service;
    use axum::response::sse::{Event, KeepAlive, Sse};
    let actor = match super::auth::session_actor(&state.db, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return refuse(AppError::Unauthenticated),
        Err(e) => return refuse(e),
    };
    if let Err(e) = service::may_follow(&state.db, &actor, id).await {
        return refuse(e);
    }
    let db = state.db.clone();
    let first = service::order_fingerprint(&db, id).await.ok();
    let stream = futures::stream::unfold((db, first), move |(db, last)| async move {
        loop {
            tokio::time::sleep(LIVE_POLL).await;
            match service::order_fingerprint(&db, id).await {
                Ok(now) if Some(now) != last => {
                    let event = Event::default().event("changed").data(format!("{}:{}", now.0, now.1));
                    return Some((Ok::<_, std::convert::Infallible>(event), (db, Some(now))));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// A file attached to a ticket or a return, for someone who may read that record. Only
/// pictures and PDFs are shown in the browser; anything else is a download, and nothing is
/// sniffed into HTML.
async fn attachment(State(state): State<AppState>, session: tower_sessions::Session, axum::extract::Path(id): axum::extract::Path<i64>) -> Response {
    let actor = match super::auth::session_actor(&state.db, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return refuse(AppError::Unauthenticated),
        Err(e) => return refuse(e),
    };
    let (file, data) = match crate::attachments::service::download(&state.db, &actor, id).await {
        Ok(f) => f,
        Err(e) => return refuse(e),
    };
    let inline = file.is_image() || file.content_type == "application/pdf";
    // RFC 6266: an ASCII fallback and the real name, percent-encoded.
    let ascii: String = file.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    let encoded: String = file.file_name.bytes().map(|b| if b.is_ascii_alphanumeric() || b".-_".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let disposition = format!("{}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}", if inline { "inline" } else { "attachment" });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox".to_string()),
        ],
        data,
    )
        .into_response()
}

/// The page a survey link of the resolution mail opens: the score clicked and a box for a
/// comment, posted back to the same address. Showing it records nothing (mail scanners and
/// previews open links); a wrong or tampered link is "not found".
async fn survey_page(State(state): State<AppState>, axum::extract::Path(token): axum::extract::Path<String>) -> Response {
    use crate::tickets::survey_link::invite;
    match invite(&state.db, &token).await {
        Ok(i) if i.answered => survey_html(StatusCode::OK, i.lang, Some(&i), "survey.already", false, ""),
        Ok(i) => survey_html(StatusCode::OK, i.lang, Some(&i), "", true, &token),
        Err(AppError::NotFound) => survey_html(StatusCode::NOT_FOUND, Lang::En, None, "survey.invalid", false, ""),
        Err(e) => survey_error(e),
    }
}

/// The answer posted by the survey page: the link's score and the optional comment, once.
async fn survey_answer(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    axum::extract::Form(form): axum::extract::Form<std::collections::HashMap<String, String>>,
) -> Response {
    use crate::tickets::survey_link::{answer, invite};
    let comment = form.get("comment").map(String::as_str).unwrap_or("");
    match answer(&state.db, &token, comment).await {
        Ok(i) => survey_html(StatusCode::OK, i.lang, Some(&i), "survey.thanks", false, ""),
        Err(AppError::NotFound) => survey_html(StatusCode::NOT_FOUND, Lang::En, None, "survey.invalid", false, ""),
        Err(e @ (AppError::Conflict(_) | AppError::Invalid { .. })) => match invite(&state.db, &token).await {
            Ok(i) if matches!(e, AppError::Conflict(_)) => survey_html(StatusCode::CONFLICT, i.lang, Some(&i), "survey.already", false, ""),
            // A comment over the limit: the form again, with the reason.
            Ok(i) => survey_html(StatusCode::UNPROCESSABLE_ENTITY, i.lang, Some(&i), "", true, &token),
            Err(e) => survey_error(e),
        },
        Err(e) => survey_error(e),
    }
}

fn survey_error(e: AppError) -> Response {
    tracing::error!(error = %e, "survey link failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong; please try again later.").into_response()
}

/// The survey link's small page, in the customer's language: a message (a translation key),
/// and the comment form when `form` is set.
fn survey_html(status: StatusCode, lang: Lang, invite: Option<&crate::tickets::survey_link::SurveyInvite>, message: &'static str, form: bool, token: &str) -> Response {
    use crate::i18n::tr;
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;");
    let mut body = format!("<h1>{}</h1>", esc(tr(lang, "survey.title")));
    if let Some(i) = invite {
        body.push_str(&format!("<p>{} #{} “{}”</p>", esc(tr(lang, "survey.about")), i.ticket_id, esc(&i.subject)));
        if form {
            let stars = format!("{}{}", "★".repeat(i.score as usize), "☆".repeat(5 - i.score as usize));
            body.push_str(&format!(
                "<form class=\"form survey\" method=\"post\" action=\"/survey/{token}\" data-testid=\"survey-link-form\">\
                 <p>{} <span class=\"stars\" data-testid=\"survey-score\">{stars}</span> ({}/5)</p>\
                 <label>{}<textarea name=\"comment\" maxlength=\"1000\" rows=\"4\"></textarea></label>\
                 <div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
                esc(tr(lang, "survey.your_score")),
                i.score,
                esc(tr(lang, "survey.comment")),
                esc(tr(lang, "survey.send")),
                token = esc(token),
            ));
        }
    }
    if !message.is_empty() {
        body.push_str(&format!("<p class=\"notice\" data-testid=\"survey-message\">{}</p>", esc(tr(lang, message))));
    }
    let html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <meta name=\"robots\" content=\"noindex\"/><title>{}</title><link rel=\"stylesheet\" href=\"/pkg/shopflow.css\"/></head>\
         <body><main class=\"page\">{body}</main></body></html>",
        if lang == Lang::Zh { "zh" } else { "en" },
        esc(tr(lang, "survey.title")),
    );
    // "same-origin" keeps the token out of other sites' Referer; "no-referrer" would make the
    // browser send `Origin: null` with the form's POST, which the same-origin guard refuses.
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "same-origin")],
        html,
    )
        .into_response()
}

/// How often an open order page's feed looks for news.
const LIVE_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// The catalog as a CSV download (`?state=` narrows it to one listing state), for holders of
/// ProductView: 401 without a session, 403 without the permission.
async fn export_products(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let actor = match super::auth::session_actor(&state.db, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return refuse(AppError::Unauthenticated),
        Err(e) => return refuse(e),
    };
    if !actor.can(crate::domain::Permission::ProductView) {
        return refuse(AppError::Forbidden);
    }
    let filter = query.get("state").map(String::as_str).unwrap_or("");
    match crate::catalog::bulk_service::export_csv(&state.db, filter).await {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"products.csv\"")],
            text,
        )
            .into_response(),
        Err(e) => refuse(e),
    }
}

/// Session key of when a signed-in session was last marked as in use (ms since the epoch).
const SESSION_SEEN: &str = "seen_at";
/// How often a busy session is written to push its expiry back.
const SESSION_REFRESH_MS: i64 = 60 * 60 * 1000;

/// tower-sessions writes a session only when its data changed, so `Expiry::OnInactivity`
/// alone would end a signed-in user's session 12 hours after signing in, however busy they
/// were. A signed-in request whose mark is older than an hour renews it: the session is then
/// saved with a new expiry and cookie, at most once an hour per user rather than on every
/// request. Assets are skipped: reading their session would cost a query each. (A 5xx answer
/// saves nothing: the session layer does not save after a server error.)
async fn keep_session_alive(session: &tower_sessions::Session) {
    if let Ok(Some(_)) = session.get::<i64>(super::auth::SESSION_USER).await {
        let now = crate::domain::now_millis();
        let seen: Option<i64> = session.get(SESSION_SEEN).await.ok().flatten();
        if seen.is_none_or(|at| now - at >= SESSION_REFRESH_MS) {
            // A failed mark only means the session is renewed on a later request.
            let _ = session.insert(SESSION_SEEN, now).await;
        }
    }
}

/// What every request goes through around the routes, in one middleware: each axum
/// middleware layer costs every request a boxed future and a boxed copy of the routes below
/// it, and the five layers this replaces, their work included, took 15–20 % of the sign-in
/// page's rate (BENCHMARKS.md, sessions 15 and 16). In order:
/// 1. a state-changing request from another site is refused ([`cross_site_refusal`]);
/// 2. a page comes from the [`PageCache`] when it may, or gets its session loaded
///    ([`page_session`]) and is rendered with a time limit ([`bounded_page_render`]); a server
///    function's error gets its HTTP status ([`api_error_status`]);
/// 3. a signed-in session is kept alive ([`keep_session_alive`]), except on assets and on
///    pages answered from the cache (those read no session; the render a few seconds later
///    does);
/// 4. a request that may have written tells the cache so ([`PageCache::written`]).
async fn around_routes(State((state, pages)): State<(AppState, std::sync::Arc<PageCache>)>, session: tower_sessions::Session, mut req: Request, next: Next) -> Response {
    if let Some(refusal) = cross_site_refusal(&req) {
        return refusal;
    }
    let path = req.uri().path();
    let asset = path.starts_with("/pkg/") || path.starts_with("/media/") || path == "/favicon.svg";
    let api = path.starts_with("/api/");
    let may_write = !matches!(*req.method(), Method::GET | Method::HEAD);
    let response = if is_page(&req) {
        // A page kept for this session is answered before the session is even loaded.
        let mine = match PageCache::session_key(&req, &session) {
            Some(key) => pages.mark().await.map(|mark| (key, mark, std::time::Instant::now())),
            None => None,
        };
        if let Some(page) = mine.as_ref().and_then(|(key, mark, _)| pages.get_mine(key, mark, &req)) {
            return page;
        }
        let loaded = page_session(&state, &session, req.headers()).await;
        let signed_in = loaded.0.actor.is_some();
        let shared = PageCache::key(&req, &loaded);
        match shared.and_then(|k| pages.get(k)) {
            Some(page) => page,
            None => {
                let accept_language = req.headers().get(header::ACCEPT_LANGUAGE).cloned();
                req.extensions_mut().insert(loaded);
                let res = bounded_page_render(req, next).await;
                match (shared, mine) {
                    (Some(k), _) => pages.keep(k, res).await,
                    (None, Some((key, mark, at))) if signed_in => pages.keep_mine(key, mark, at, accept_language, res).await,
                    _ => res,
                }
            }
        }
    } else if api {
        api_error_status(next.run(req).await).await
    } else {
        next.run(req).await
    };
    if !asset {
        keep_session_alive(&session).await;
    }
    if may_write {
        pages.written();
    }
    response
}

/// Pages answered from memory instead of rendered again, in two kinds:
/// - the pages that are the same for every visitor who is not signed in
///   ([`crate::app::SAME_FOR_EVERY_VISITOR`]), rendered once per page and language. The
///   sign-in page is what every visitor, crawler and password-guessing script asks for first;
///   answered from memory it costs the server about a quarter of a render (BENCHMARKS.md,
///   session 22). Such a page reads nothing but the language (no record, no setting, no
///   query), so what is kept never goes stale while the process runs, and each instance
///   behind a load balancer keeps its own copy;
/// - the pages kept per signed-in session ([`crate::app::KEPT_PER_SESSION`], the landing
///   dashboard and the department home pages), which staff open first and come back to all
///   day. A dashboard reads the user, their roles and permissions and several queues;
///   rendered it cost about 40 times a hello-world answer (session 22). Such a page is answered again to
///   the same session only while nothing at all has been committed to the database since it
///   was rendered ([`ChangeMark`](super::db::ChangeMark), read again at most
///   [`MARK_FRESH`] later and after every request that may have written), for at most
///   [`MINE_MAX_AGE`] (a page also shows how late work is, which time alone changes), and for
///   the same Accept-Language (a user without a language of their own gets the browser's).
///   Sign-out, a deactivated user, a changed role, a new suggestion: each is a commit, so none
///   is answered from before it. A commit by another instance is seen within [`MARK_FRESH`],
///   one through this instance at once.
///
/// A page is kept only when it rendered as 200 without a cookie of its own; a request with a
/// query (a refusal a form sends back, a filter) is rendered afresh.
struct PageCache {
    shared: std::sync::RwLock<std::collections::HashMap<(&'static str, Lang), KeptPage>>,
    mine: std::sync::RwLock<std::collections::HashMap<(tower_sessions::session::Id, &'static str), SessionPage>>,
    changes: super::db::ChangeMark,
    seen: tokio::sync::Mutex<MarkSeen>,
    /// Requests that may have written, counted as they finish.
    writes: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct MarkSeen {
    /// The last reading of the change mark: its value, when, and the count of finished
    /// requests that may have written at the time.
    last: Option<(String, std::time::Instant, u64)>,
    /// Whether the last reading failed (and was logged).
    failed: bool,
}

/// How long a reading of the change mark is trusted: a commit by another instance is seen
/// after at most this long. The reading is one cheap query, taken at most ten times a second
/// and after each request that may have written, and only for a page kept per session.
const MARK_FRESH: std::time::Duration = std::time::Duration::from_millis(100);
/// How long a page kept for a session is answered at most, however quiet the database.
const MINE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(2);
/// How many pages are kept for sessions at most (a dashboard is some tens of kilobytes).
const MINE_MAX_PAGES: usize = 1024;

struct KeptPage {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
    /// The nonce leptos wrote into the render's scripts. A nonce is meant to be used once, so
    /// every answer gets a fresh one in its place.
    nonce: Option<String>,
}

struct SessionPage {
    page: KeptPage,
    mark: String,
    at: std::time::Instant,
    accept_language: Option<axum::http::HeaderValue>,
}

impl KeptPage {
    /// Takes the body of `res`, a fresh render, and gives the response back; the response
    /// alone when it may not be kept (anything but a 200, or a 200 that sets a cookie) or its
    /// body is not text or could not be read.
    async fn of(res: Response) -> Result<(KeptPage, Response), Response> {
        if res.status() != StatusCode::OK || res.headers().contains_key(header::SET_COOKIE) {
            return Err(res);
        }
        let (head, body) = res.into_parts();
        // The render is buffered already (bounded_page_render): this takes its one chunk.
        let Ok(body) = axum::body::to_bytes(body, 32 << 20).await else {
            return Err((StatusCode::SERVICE_UNAVAILABLE, "The page could not be rendered; please reload.").into_response());
        };
        let Ok(text) = std::str::from_utf8(&body) else {
            return Err(Response::from_parts(head, Body::from(body)));
        };
        let nonce = text.split_once("nonce=\"").and_then(|(_, rest)| rest.split_once('"')).map(|(n, _)| n.to_string()).filter(|n| n.len() >= 16);
        let kept = KeptPage { status: head.status, headers: head.headers.clone(), body: text.into(), nonce };
        Ok((kept, Response::from_parts(head, Body::from(body))))
    }

    fn answer(&self) -> Response {
        let body = match &self.nonce {
            Some(nonce) => self.body.replace(nonce.as_str(), &leptos::nonce::Nonce::new().to_string()),
            None => self.body.to_string(),
        };
        let mut res = Response::new(Body::from(body));
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers.clone();
        res
    }
}

impl PageCache {
    fn new(db: super::Db) -> Self {
        PageCache {
            shared: Default::default(),
            mine: Default::default(),
            changes: super::db::ChangeMark::new(db),
            seen: Default::default(),
            writes: Default::default(),
        }
    }

    /// The page and language a request would be answered with from the shared pages, if it
    /// may be: nobody is signed in, the path is one of the pages that are the same for every
    /// visitor, and there is no query.
    fn key(req: &Request, session: &PageSession) -> Option<(&'static str, Lang)> {
        if session.0.actor.is_some() || req.uri().query().is_some() {
            return None;
        }
        let path = req.uri().path();
        crate::app::SAME_FOR_EVERY_VISITOR.iter().find(|p| **p == path).map(|p| (*p, session.0.lang))
    }

    fn get(&self, key: (&'static str, Lang)) -> Option<Response> {
        Some(self.shared.read().ok()?.get(&key)?.answer())
    }

    /// Keeps `res`, the page's fresh render, when it may be answered to anyone; returns it.
    async fn keep(&self, key: (&'static str, Lang), res: Response) -> Response {
        let (kept, res) = match KeptPage::of(res).await {
            Ok(kept) => kept,
            Err(res) => return res,
        };
        if let Ok(mut pages) = self.shared.write() {
            pages.insert(key, kept);
        }
        res
    }

    /// The session and page a request would be answered with from the pages kept per session:
    /// the browser sent a session cookie, the path is one of those pages, and there is no
    /// query. The session is not loaded here: a page is only ever kept under the id of a
    /// session that was signed in when the page rendered, and every change to a session
    /// (signing out included) is a commit, which ends what was kept.
    fn session_key(req: &Request, session: &tower_sessions::Session) -> Option<(tower_sessions::session::Id, &'static str)> {
        if req.uri().query().is_some() {
            return None;
        }
        let path = req.uri().path();
        let page = crate::app::KEPT_PER_SESSION.iter().find(|p| **p == path)?;
        Some((session.id()?, *page))
    }

    /// The database's change mark, as of at most [`MARK_FRESH`] ago and after the last
    /// request that may have written; `None` when it cannot be read (nothing is then kept or
    /// answered from what was kept).
    async fn mark(&self) -> Option<String> {
        let mut seen = self.seen.lock().await;
        let writes = self.writes.load(std::sync::atomic::Ordering::Acquire);
        if let Some((mark, at, then)) = seen.last.as_ref() {
            if *then == writes && at.elapsed() < MARK_FRESH {
                return Some(mark.clone());
            }
        }
        // The count and the time are taken before the reading: a write that finishes during
        // it makes the next request read the mark again.
        let asked = std::time::Instant::now();
        match self.changes.read().await {
            Ok(mark) => {
                *seen = MarkSeen { last: Some((mark.clone(), asked, writes)), failed: false };
                Some(mark)
            }
            Err(e) => {
                // Said once while it lasts, not on every page.
                if !std::mem::replace(&mut *seen, MarkSeen { last: None, failed: true }).failed {
                    tracing::warn!(error = %e, "could not read the database's change mark; pages are rendered afresh until it can be read");
                }
                None
            }
        }
    }

    /// A request that may have written has finished: the next answer reads the mark again.
    fn written(&self) {
        self.writes.fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// The page kept for this session, if nothing has changed since it rendered. Its `Age`
    /// header says how old it is, in whole seconds, as any HTTP cache's answer does.
    fn get_mine(&self, key: &(tower_sessions::session::Id, &'static str), mark: &str, req: &Request) -> Option<Response> {
        let pages = self.mine.read().ok()?;
        let kept = pages.get(key)?;
        if kept.mark != mark || kept.at.elapsed() >= MINE_MAX_AGE || kept.accept_language.as_ref() != req.headers().get(header::ACCEPT_LANGUAGE) {
            return None;
        }
        let mut res = kept.page.answer();
        res.headers_mut().insert(header::AGE, axum::http::HeaderValue::from(kept.at.elapsed().as_secs()));
        Some(res)
    }

    /// Keeps `res`, a signed-in session's fresh render of a page kept per session, under the
    /// change mark read before it began to render `at`; returns it.
    async fn keep_mine(&self, key: (tower_sessions::session::Id, &'static str), mark: String, at: std::time::Instant, accept_language: Option<axum::http::HeaderValue>, res: Response) -> Response {
        let (page, res) = match KeptPage::of(res).await {
            Ok(kept) => kept,
            Err(res) => return res,
        };
        if let Ok(mut pages) = self.mine.write() {
            // What could no longer be answered goes first, so memory holds only the pages of
            // sessions active in the last seconds, not of every session seen.
            pages.retain(|_, kept| kept.mark == mark && kept.at.elapsed() < MINE_MAX_AGE);
            if pages.len() < MINE_MAX_PAGES {
                pages.insert(key, SessionPage { page, mark, at, accept_language });
            }
        }
        res
    }
}

/// Refuses state-changing requests that a browser sent from another site (CSRF). Requests
/// without an Origin header come from non-browser clients, which carry no ambient cookie risk.
fn cross_site_refusal(req: &Request) -> Option<Response> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let cross_site = match (origin, host) {
        (None, _) => req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|site| site == "cross-site"),
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
            origin_host != host
        }
        (Some(_), None) => true,
    };
    if !cross_site {
        return None;
    }
    tracing::warn!(?origin, ?host, path = %req.uri().path(), "refused a cross-origin request");
    Some(refuse(AppError::Forbidden))
}

/// A request for a page the app renders: not a server function, an asset, media, a download,
/// a webhook, the survey form or the health check.
fn is_page(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::GET
        && !path.contains('.')
        && !["/api/", "/media/", "/attachments/", "/webhooks/", "/survey/"].iter().any(|p| path.starts_with(p))
        && path != "/healthz"
}

/// Loads who is signed in, and the language, before a page renders.
/// Knowing it up front, the shell renders the navigation and the page's guards at once
/// rather than behind a `<Suspense>` waiting for a session resource, and hands the same value
/// to the browser in the page (`app::initial_session`), which hydrates from it without a
/// request. The sign-in page renders about a fifth faster without them (BENCHMARKS.md,
/// session 15). A database failure here renders the page for an anonymous visitor, as a
/// failed session resource did; the page's own server functions report the failure.
async fn page_session(state: &AppState, session: &tower_sessions::Session, headers: &axum::http::HeaderMap) -> PageSession {
    match super::auth::session_info(&state.db, session, headers).await {
        Ok(info) => PageSession(info),
        Err(e) => {
            tracing::error!(error = %e, "loading the session of a page failed");
            PageSession(crate::accounts::SessionInfo::default())
        }
    }
}

/// How long a page may take to render before it is given up and rendered again.
const PAGE_RENDER_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Renders a page with a time limit, and once more if the first render does not finish.
///
/// Rarely (about one render in ten thousand under parallel load, in our test suite), a
/// server-side render never completes: every resource has resolved, but a Suspense is never
/// woken to finish (a lost wakeup in the framework's SSR, cf. leptos#4851 and #4673). A page
/// render only reads, so it is safe to drop the stalled one and render again; the page is
/// buffered, which the async rendering mode does anyway. Each occurrence is logged.
pub async fn bounded_page_render(req: Request, next: Next) -> Response {
    if !is_page(&req) {
        return next.run(req).await;
    }
    let (parts, _) = req.into_parts();
    let rebuild = || {
        let mut again = Request::new(Body::empty());
        *again.method_mut() = parts.method.clone();
        *again.uri_mut() = parts.uri.clone();
        *again.version_mut() = parts.version;
        *again.headers_mut() = parts.headers.clone();
        *again.extensions_mut() = parts.extensions.clone();
        again
    };
    for attempt in 1..=2 {
        let render = async {
            let res = next.clone().run(rebuild()).await;
            let (head, body) = res.into_parts();
            axum::body::to_bytes(body, 32 << 20).await.map(|bytes| Response::from_parts(head, Body::from(bytes)))
        };
        match tokio::time::timeout(PAGE_RENDER_LIMIT, render).await {
            Ok(Ok(res)) => return res,
            Ok(Err(e)) => {
                tracing::error!(path = %parts.uri, error = %e, "page body failed");
                break;
            }
            Err(_) => tracing::warn!(path = %parts.uri, attempt, "page render did not finish in time; rendering again"),
        }
    }
    (StatusCode::SERVICE_UNAVAILABLE, "The page could not be rendered; please reload.").into_response()
}

/// Server functions answer errors with status 500 and the error as JSON; give each kind of
/// error its proper status (403 for a denied action, 422 for bad input, …).
async fn api_error_status(res: Response) -> Response {
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, 1 << 20).await {
        Ok(b) => b,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Sets the HTTP status of a server-rendered page (403, 404) from inside a component.
pub fn set_page_status(status: u16) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
}

/// A bulk step's form posted by the browser itself, without JavaScript: leptos sends such a
/// post back to the page it came from (its Referer). When some records were not taken, the
/// page is loaded with the [`BulkReport`](crate::components::BulkReport) in its address, as
/// the script's form does, so the clerk learns which ones and why either way. `to` is the
/// step's server function. The report's address keeps only the Referer's path and query,
/// so a forged Referer cannot make it point to another site.
pub fn report_bulk_to_plain_form(to: &str, outcomes: &crate::domain::BulkResult) {
    let Some(parts) = use_context::<axum::http::request::Parts>() else { return };
    let value = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if !value(header::ACCEPT).is_some_and(|a| a.contains("text/html")) {
        return;
    }
    let (Some(referer), Some(report)) = (value(header::REFERER), crate::components::BulkReport::of(outcomes)) else { return };
    let local = referer.split_once("://").and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..])).unwrap_or(referer);
    if !local.starts_with('/') || local.starts_with("//") {
        return;
    }
    let (path, search) = local.split_once('?').map(|(p, q)| (p, format!("?{q}"))).unwrap_or((local, String::new()));
    let address = report.address(path, &search, to);
    if let (Some(res), Ok(location)) = (use_context::<leptos_axum::ResponseOptions>(), axum::http::HeaderValue::from_str(&address)) {
        res.insert_header(header::LOCATION, location);
    }
}
