//! The HTTP surface: health, sessions and their cookie, the same-origin guard, statuses.

use crate::on_both_backends;
use crate::support::{app, Client, Reply};
use axum::http::header;
use shopflow::server::demo::DEMO_PASSWORD;
use shopflow::server::Db;

on_both_backends!(health_checks_the_database, async |db: Db| {
    let mut c = Client::new(&app(&db));
    let r = c.get("/healthz").await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "ok"));
});

on_both_backends!(sessions_rotate_at_sign_in_and_end_at_sign_out, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    let mut c = Client::new(&app);
    // An anonymous session exists once something is stored in it (the language).
    let r = c.form("/api/set_language", "lang=zh").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let anonymous = c.cookie.clone().expect("session cookie");
    let cookie = r.set_cookie.unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    let r = c.login("ops@shopflow.test", DEMO_PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let signed_in = c.cookie.clone().unwrap();
    assert_ne!(anonymous, signed_in, "the session id changes at sign-in");
    let me = c.form("/api/session_info", "").await;
    assert!(me.body.contains("ops@shopflow.test"), "{}", me.body);

    // The old id is worthless now.
    let mut planted = Client::new(&app);
    planted.cookie = Some(anonymous);
    assert!(!planted.form("/api/session_info", "").await.body.contains("ops@shopflow.test"));

    // Sessions live in the database: another instance of the app serves the same session.
    let mut other_instance = Client::new(&crate::support::app(&db));
    other_instance.cookie = Some(signed_in.clone());
    assert!(other_instance.form("/api/session_info", "").await.body.contains("ops@shopflow.test"));

    let r = c.form("/api/logout", "").await;
    assert_eq!(r.status, 200);
    let mut after = Client::new(&app);
    after.cookie = Some(signed_in);
    assert_eq!(after.form("/api/dashboard", "").await.status, 401);
});

/// The session a page was rendered for, as the page hands it to the browser.
fn page_session(body: &str) -> shopflow::accounts::SessionInfo {
    let start = body.find(r#"id="shopflow-session">"#).expect("the page carries its session") + r#"id="shopflow-session">"#.len();
    let end = start + body[start..].find("</script>").unwrap();
    serde_json::from_str(&body[start..end]).unwrap_or_else(|e| panic!("{e}: {}", &body[start..end]))
}

on_both_backends!(a_page_carries_its_session_to_the_browser, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    // A display name is user input: it must not be able to end the element that carries it.
    let name = "Ops </script><script>alert(1)</script>";
    sqlx::query("UPDATE users SET display_name = $1 WHERE email = 'ops@shopflow.test'").bind(name).execute(db.writer()).await.unwrap();
    let mut c = Client::new(&app(&db));

    let page = c.get("/login").await;
    assert_eq!(page.status, 200);
    let anonymous = page_session(&page.body);
    assert_eq!((anonymous.actor, anonymous.lang), (None, shopflow::i18n::Lang::En));
    c.form("/api/set_language", "lang=zh").await;
    assert_eq!(page_session(&c.get("/login").await.body).lang, shopflow::i18n::Lang::Zh, "an anonymous visitor's choice");

    assert_eq!(c.login("ops@shopflow.test", DEMO_PASSWORD).await.status, 200);
    let page = c.get("/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("<script>alert(1)"), "the name ended the session element");
    let info = page_session(&page.body);
    let actor = info.actor.expect("signed in");
    assert_eq!((actor.email.as_str(), actor.name.as_str()), ("ops@shopflow.test", name));
    // The navigation is rendered with the page, from the same session.
    assert!(page.body.contains(r#"data-nav="improvement""#), "the ops manager's navigation");
    // A page that does not exist is rendered for the same user (by the fallback, not a route).
    let missing = c.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert_eq!(page_session(&missing.body).actor.map(|a| a.email), Some("ops@shopflow.test".to_string()));
    assert!(missing.body.contains(r#"data-nav="improvement""#), "the navigation on the 404 page");
});

/// The session row's id, expiry and data (the record as JSON text: its 128-bit id would not
/// survive a trip through `serde_json::Value`), by the id in the client's cookie.
async fn session_row(db: &Db, c: &Client) -> (String, i64, String) {
    let cookie = c.cookie.clone().expect("session cookie");
    let id = cookie.split_once('=').unwrap().1.to_string();
    let (data, expires_at): (String, i64) =
        sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id = $1").bind(&id).fetch_one(db.pool()).await.unwrap();
    (id, expires_at, data)
}

/// The `seen_at` mark in a session record's JSON text.
fn seen_at(data: &str) -> i64 {
    let rest = &data[data.find("\"seen_at\":").expect("a seen_at mark") + 10..];
    rest[..rest.find(|ch: char| !ch.is_ascii_digit()).unwrap()].parse().unwrap()
}

on_both_backends!(a_busy_session_is_renewed_at_most_once_an_hour, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    let mut c = Client::new(&app);
    assert_eq!(c.login("ops@shopflow.test", DEMO_PASSWORD).await.status, 200);
    let now = shopflow::domain::now_millis();
    let hour = 60 * 60 * 1000;
    // Signed in eleven hours and a half ago, last marked two hours ago: 30 minutes left.
    let (id, expires_at, data) = session_row(&db, &c).await;
    assert!(expires_at > now + 11 * hour, "a new session lasts 12 hours");
    let marked = seen_at(&data);
    assert!(marked >= now - 60_000, "signing in marks the session");
    sqlx::query("UPDATE sessions SET data = $1, expires_at = $2 WHERE id = $3")
        .bind(data.replace(&format!("\"seen_at\":{marked}"), &format!("\"seen_at\":{}", now - 2 * hour)))
        .bind(now + hour / 2)
        .bind(&id)
        .execute(db.writer())
        .await
        .unwrap();
    assert_eq!(c.get("/").await.status, 200);
    let (_, renewed, data) = session_row(&db, &c).await;
    assert!(renewed > now + 11 * hour, "renewed for 12 hours from now: {renewed} vs {now}");
    assert!(seen_at(&data) >= now);

    // Marked just now: the next requests write nothing.
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE id = $2").bind(now + 2 * hour).bind(&id).execute(db.writer()).await.unwrap();
    assert_eq!(c.get("/").await.status, 200);
    assert_eq!(c.form("/api/session_info", "").await.status, 200);
    assert_eq!(session_row(&db, &c).await.1, now + 2 * hour);
});

on_both_backends!(cross_origin_writes_are_refused, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    let mut c = Client::new(&app);
    c.login("admin@shopflow.test", DEMO_PASSWORD).await;
    let mut evil = c.clone();
    evil.origin = Some("https://evil.example".into());
    let r = evil.json("/api/create_role", serde_json::json!({"name": "Backdoor", "permissions": ["admin.roles"]})).await;
    assert_eq!(r.status, 403);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM roles WHERE name = 'Backdoor'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(n, 0);
    // The same request from the app's own origin works.
    let r = c.json("/api/create_role", serde_json::json!({"name": "Frontdoor", "permissions": []})).await;
    assert_eq!(r.status, 200, "{}", r.body);
});

on_both_backends!(errors_have_their_status_and_a_typed_body, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    let mut c = Client::new(&app);
    let r = c.login("ops@shopflow.test", "wrong password").await;
    assert_eq!(r.status, 422);
    let err: shopflow::domain::AppError = serde_json::from_str(&r.body).unwrap();
    assert_eq!(err.field_message("password").as_deref(), Some("the email or the password is wrong"));
    let r = c.get("/no/such/page").await;
    assert_eq!(r.status, 404);
    c.login("ops@shopflow.test", DEMO_PASSWORD).await;
    let r = c.form("/api/get_suggestion", "id=424242").await;
    assert_eq!(r.status, 404);
    let r = c.form("/api/act_on_suggestion", "id=1&version=99&action=accept").await;
    assert_eq!(r.status, 409, "{}", r.body);
    // Arguments that do not decode are a 400 with a typed error, never a 500.
    let r = c.form("/api/get_suggestion", "id=not-a-number").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(matches!(serde_json::from_str(&r.body), Ok(shopflow::domain::AppError::Request(_))), "{}", r.body);
});

on_both_backends!(pages_render_for_their_roles, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    let mut c = Client::new(&app);
    c.login("ops@shopflow.test", DEMO_PASSWORD).await;
    let home = c.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("data-page=\"dashboard\""));
    assert!(home.body.contains("data-nav=\"warehouse\"") && !home.body.contains("data-nav=\"users\""));
    let sop = c.get("/improvement/sop").await;
    assert!(sop.body.contains("<svg") && sop.body.contains("data-step=\"implement\""));
    let detail = c.get("/improvement/1").await;
    assert!(detail.body.contains("data-action=\"accept\""), "ops may review the submitted demo suggestion");

    let mut customer = Client::new(&app);
    customer.login("customer@shopflow.test", DEMO_PASSWORD).await;
    let r = customer.get("/").await;
    assert_eq!(r.location.as_deref(), Some("/portal"));
    let portal = customer.get("/portal").await;
    assert!(portal.body.contains("data-nav=\"portal\"") && !portal.body.contains("data-nav=\"improvement\""));
});

/// A page render that stalls is dropped after the limit and rendered again; one that stalls
/// twice answers 503 instead of hanging. Server functions are never retried.
#[tokio::test(start_paused = true)]
async fn a_stalled_page_render_is_retried_once_then_refused() {
    use axum::{body::Body, http::Request, middleware, routing::get, Router};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tower::ServiceExt;
    let calls = Arc::new(AtomicUsize::new(0));
    let stall_first = |n: usize| {
        let calls = calls.clone();
        move || {
            let calls = calls.clone();
            async move {
                if calls.fetch_add(1, Ordering::SeqCst) < n {
                    std::future::pending::<()>().await;
                }
                "rendered"
            }
        }
    };
    let get_page = |app: Router, path: &'static str| async move {
        let res = app.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        let status = res.status().as_u16();
        (status, String::from_utf8(axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap())
    };
    let app = Router::new().route("/page", get(stall_first(1))).layer(middleware::from_fn(shopflow::server::http::bounded_page_render));
    assert_eq!(get_page(app, "/page").await, (200, "rendered".to_string()));
    assert_eq!(calls.load(Ordering::SeqCst), 2, "rendered a second time");

    calls.store(0, Ordering::SeqCst);
    let app = Router::new().route("/page", get(stall_first(2))).layer(middleware::from_fn(shopflow::server::http::bounded_page_render));
    assert_eq!(get_page(app, "/page").await.0, 503);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "no third try");
}

// Only a page's interactive parts run in the browser (Leptos islands): pages are sent as
// markup, with the loader that hydrates islands rather than the whole page. Forms are the
// one shared island that posts them (components::PostForm); what stays an island of its own
// is what changes while the page is open.
on_both_backends!(pages_send_only_their_interactive_parts_to_the_browser, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    let (product,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM products WHERE state = 'listed'").fetch_one(db.pool()).await.unwrap();
    let mut c = Client::new(&app);
    c.login("pm@shopflow.test", DEMO_PASSWORD).await;
    // The header: the language switch and sign-out are forms the browser posts, the bell counts.
    let header = ["PostForm", "NotificationBell", "PostForm"];
    // Read-only pages: only the header runs in the browser.
    for path in ["/", "/catalog", "/stock", "/dept/product", "/sop"] {
        let r = c.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.body.contains("__hydrateIsland"), "the islands loader on {path}");
        assert_eq!(islands(&r.body), header, "{path}");
    }
    // A record page is server markup; each of its steps is a form posted to the process's
    // server function, the one part of it that runs in the browser.
    let detail = c.get(&format!("/products/{product}")).await;
    assert_eq!(detail.status, 200);
    let parts = islands(&detail.body);
    assert!(parts.len() > header.len() && parts.iter().all(|p| header.contains(p)), "{parts:?}");
    assert!(detail.body.contains(r#"action="/api/act_on_product""#), "the steps post to act_on_product");
    // The ticket queue's alert inbox is server markup too.
    let mut agent = Client::new(&app);
    agent.login("service@shopflow.test", DEMO_PASSWORD).await;
    let queue = agent.get("/tickets").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(r#"data-testid="alert-inbox""#));
    assert!(islands(&queue.body).iter().all(|p| header.contains(p)), "{:?}", islands(&queue.body));
    // What does stay live is small: the customer's parcels follow the carrier's events.
    let (order,): (i64,) = sqlx::query_as("SELECT MIN(o.id) FROM orders o JOIN users u ON u.id = o.customer_id WHERE u.email = 'customer@shopflow.test'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let mut customer = Client::new(&app);
    customer.login("customer@shopflow.test", DEMO_PASSWORD).await;
    let mine = customer.get(&format!("/my/orders/{order}")).await;
    assert_eq!(mine.status, 200);
    assert!(islands(&mine.body).contains(&"LiveParcels"), "{:?}", islands(&mine.body));
});

/// The islands of a rendered page, by component name, in page order.
fn islands(html: &str) -> Vec<&str> {
    html.split("<leptos-island data-component=\"").skip(1).filter_map(|rest| rest.split('_').next()).collect()
}

// Leptos renders a page's parts on the server in dry runs before the render it sends. A part
// with data of its own that was built in a dry run fetched them twice, under serialization
// ids the browser never creates, and the browser hydrated from the discarded copy: the ticket
// desk (then an island) got its ticket without the order (that copy's request was gone), the page it had
// built did not match the server's, and its buttons stopped working. Every render of a page
// must send one value per resource the browser creates. Without the fix a few of these 20
// renders per page sent two or three copies.
on_both_backends!(a_page_sends_each_resource_once_on_every_render, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    // (who, page, the resources the browser creates there: those of the page's islands; the
    // session is in the page, not a resource)
    let pages = [("admin@shopflow.test", "/admin/users", 1), ("admin@shopflow.test", "/admin/roles", 1)];
    for (who, path, resources) in pages {
        let mut c = Client::new(&app);
        c.login(who, DEMO_PASSWORD).await;
        for _ in 0..20 {
            let r = c.get(path).await;
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(resource_ids(&r.body).len(), resources, "{path} as {who}");
        }
    }
});

/// The ids under which a rendered page sends its resources' data to the browser.
fn resource_ids(html: &str) -> Vec<u32> {
    // In the order they finished loading, which varies.
    let mut ids: Vec<u32> = html.split("__RESOLVED_RESOURCES[").skip(1).filter_map(|rest| rest.split(']').next()?.parse().ok()).collect();
    ids.sort_unstable();
    ids
}

// The same, over every page of a staff member and of a customer: whatever a page holds, each
// of its renders sends the same data under the same ids (a part built in a dry run, even one
// without data, would take an id and move the ids after it).
on_both_backends!(every_page_sends_the_same_data_on_every_render, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    let (order,): (i64,) = sqlx::query_as("SELECT MIN(o.id) FROM orders o JOIN users u ON u.id = o.customer_id WHERE u.email = 'customer@shopflow.test'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let (ticket,): (i64,) = sqlx::query_as("SELECT MIN(t.id) FROM tickets t JOIN users u ON u.id = t.customer_id WHERE u.email = 'customer@shopflow.test'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let staff = [
        "/", "/account", "/dept/warehouse", "/improvement", "/improvement/new", "/improvement/sop", "/improvement/1", "/products", "/products/new",
        "/products/import", "/products/1", "/products/1/edit", "/categories", "/price-approvals", "/catalog", "/catalog/1", "/stock", "/stock/1",
        "/warehouses", "/receipts", "/receipts/new", "/receipts/1", "/transfers", "/transfers/new", "/transfers/1", "/counts", "/counts/new",
        "/counts/1", "/orders", "/orders/1", "/exceptions", "/returns", "/returns/1", "/tickets", "/tickets/new", "/tickets/dashboard",
        "/tickets/calendar", "/tickets/import", "/tickets/replies", "/tickets/1", "/tasks", "/alerts", "/notifications", "/shipments",
        "/carriers", "/sop", "/sop/ticket", "/admin/users", "/admin/roles", "/admin/audit", "/admin/outbox",
    ]
    .map(String::from);
    let customer = ["/portal".to_string(), "/cart".into(), "/my/orders".into(), format!("/my/orders/{order}"), "/my/addresses".into(), "/my/tickets".into(), format!("/my/tickets/{ticket}")];
    for (who, paths) in [("admin@shopflow.test", &staff[..]), ("customer@shopflow.test", &customer[..])] {
        let mut c = Client::new(&app);
        c.login(who, DEMO_PASSWORD).await;
        for path in paths {
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..4 {
                let r = c.get(path).await;
                assert!(r.status == 200 || r.status == 404, "{path} as {who}: {}", r.status);
                seen.insert(resource_ids(&r.body));
            }
            assert_eq!(seen.len(), 1, "{path} as {who} sent resources under different ids: {seen:?}");
        }
    }
});

/// The server's connections send at once (TCP_NODELAY): with Nagle's algorithm a file's body,
/// written after its headers, waited for the browser's delayed acknowledgement, about 40 ms
/// for each stylesheet, script and image on a kept-alive connection.
#[tokio::test]
async fn the_server_sends_without_waiting_for_acknowledgements() {
    use axum::serve::Listener;
    let mut listener = shopflow::server::http::listen("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tokio::spawn(tokio::net::TcpStream::connect(addr));
    let (accepted, _) = listener.accept().await;
    assert!(accepted.nodelay().unwrap(), "an accepted connection has Nagle's algorithm off");
    client.await.unwrap().unwrap();
}

// The client's files go compressed to browsers that take gzip, as they are to others, and
// are revalidated on every page load.
on_both_backends!(the_clients_files_are_sent_compressed, async |db: Db| {
    use axum::body::Body;
    use axum::http::{header, Request};
    use http_body_util::BodyExt;
    use std::io::Read;
    use tower::ServiceExt;
    let site = std::env::temp_dir().join(format!("shopflow-site-{}-{}", std::process::id(), db.backend as u8));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let script = "export function hydrate() {}\n".repeat(200);
    std::fs::write(site.join("pkg/shopflow.js"), &script).unwrap();
    assert_eq!(shopflow::server::assets::precompress(&site.join("pkg")).unwrap(), 1);
    let options = leptos::config::LeptosOptions::builder().output_name("shopflow").site_root(site.to_string_lossy().to_string()).build();
    let state = shopflow::server::AppState { db: db.clone(), config: std::sync::Arc::new(Default::default()) };
    let app = shopflow::server::http::router(state, options);
    let get = |encodings: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut req = Request::get("/pkg/shopflow.js").header(header::HOST, "shopflow.test");
            if let Some(e) = encodings {
                req = req.header(header::ACCEPT_ENCODING, e);
            }
            let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
            let headers = res.headers().clone();
            (res.status().as_u16(), headers, res.into_body().collect().await.unwrap().to_bytes())
        }
    };
    let (status, headers, body) = get(Some("gzip, deflate, br")).await;
    assert_eq!(status, 200);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("javascript"), "{headers:?}");
    assert!(body.len() < script.len() / 10, "{} bytes for {}", body.len(), script.len());
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut unpacked).unwrap();
    assert_eq!(unpacked, script);
    let (status, headers, body) = get(None).await;
    assert_eq!(status, 200);
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(body, script.as_bytes());
    let _ = std::fs::remove_dir_all(&site);
});

// Pages post their forms to server functions as the browser encodes them (URL-encoded, with
// `input[code]` and `skus[0]` names) and the client's code posts JSON: a server function
// reads both the same way, and refuses bad input in either with the same typed error.
on_both_backends!(server_functions_read_forms_and_json_alike, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let app = app(&db);
    let mut c = Client::new(&app);
    c.login("admin@shopflow.test", DEMO_PASSWORD).await;
    let made = c.form("/api/create_warehouse", "input%5Bcode%5D=CD&input%5Bname%5D=Chengdu+west&input%5Baddress%5D=Pidu+district").await;
    assert_eq!(made.status, 200, "{}", made.body);
    let id: i64 = made.body.parse().unwrap();
    let (name,): (String,) = sqlx::query_as("SELECT name FROM warehouses WHERE id = $1").bind(id).fetch_one(db.pool()).await.unwrap();
    assert_eq!(name, "Chengdu west");
    // The same code again, as a form and as JSON: the same refusal, naming the field.
    let again = c.form("/api/create_warehouse", "input[code]=CD&input[name]=Again&input[address]=x").await;
    let json = c.json("/api/create_warehouse", serde_json::json!({"input": {"code": "CD", "name": "Again", "address": "x"}})).await;
    assert_eq!((again.status.as_u16(), json.status.as_u16()), (422, 422), "{} / {}", again.body, json.body);
    assert_eq!(again.body, json.body);
    assert!(again.body.contains("code"), "{}", again.body);
    // A list from indexed names; a number that is not one is a bad request, not a zero.
    let (sh,): (i64,) = sqlx::query_as("SELECT id FROM warehouses WHERE code = 'SH'").fetch_one(db.pool()).await.unwrap();
    let count = c.form("/api/start_count", &format!("warehouse_id={sh}&fields[note]=spot+check&skus[0]=LJ-100G&skus[1]=QM-200G")).await;
    assert_eq!(count.status, 200, "{}", count.body);
    let (lines,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stock_count_lines WHERE count_id = $1").bind(count.body.parse::<i64>().unwrap()).fetch_one(db.pool()).await.unwrap();
    assert_eq!(lines, 2);
    assert_eq!(c.form("/api/start_count", "warehouse_id=SH&skus[0]=LJ-100G").await.status.as_u16(), 400);
});

// The pages that are the same for every visitor are rendered once per language and then
// answered from memory (`PageCache`): what is kept must be what a render gives whatever the
// database holds, in the visitor's language, and never what a signed-in user or an address
// with a query gets. Each answer has a nonce of its own.
on_both_backends!(pages_the_same_for_every_visitor_are_kept, async |db: Db| {
    use shopflow::app::SAME_FOR_EVERY_VISITOR;
    // Kept by an instance while the database is empty...
    let first = app(&db);
    let mut kept = Vec::new();
    for lang in ["en", "zh"] {
        let mut c = Client::new(&first);
        c.form("/api/set_language", &format!("lang={lang}")).await;
        for path in SAME_FOR_EVERY_VISITOR {
            let miss = c.get(path).await;
            assert_eq!(miss.status, 200, "{path}");
            let hit = c.get(path).await;
            let again = c.get(path).await;
            assert_eq!((hit.status, without_nonce(&hit.body)), (miss.status, without_nonce(&miss.body)), "{path} in {lang}, answered again");
            assert_eq!(without_nonce(&again.body), without_nonce(&hit.body));
            let nonces = [nonce(&miss.body), nonce(&hit.body), nonce(&again.body)];
            assert!(nonces[0] != nonces[1] && nonces[1] != nonces[2] && nonces[0] != nonces[2], "{path}: a nonce is used once: {nonces:?}");
            assert_eq!(hit.headers.get("content-type"), miss.headers.get("content-type"));
            kept.push((lang, path, without_nonce(&hit.body)));
        }
    }
    // ...and rendered afresh by another instance once the database has users, orders and
    // products: the same page, so nothing on it comes from the database.
    shopflow::server::demo::seed(&db).await.unwrap();
    let second = app(&db);
    for (lang, path, body) in &kept {
        let mut c = Client::new(&second);
        c.form("/api/set_language", &format!("lang={lang}")).await;
        assert_eq!(&without_nonce(&c.get(path).await.body), body, "{path} in {lang}");
        assert_eq!(page_session(body).lang.key(), *lang, "{path} kept in the visitor's language");
    }
    // The first instance, asked once more in English, answers the English page it kept.
    let mut c = Client::new(&first);
    assert_eq!(&without_nonce(&c.get("/login").await.body), &kept[0].2);
    // A refused sign-in posted without JavaScript comes back with the reason in the address:
    // that page is rendered for its query, not taken from memory.
    let back = c.plain_form("/api/login", "email=ops%40shopflow.test&password=wrong", "/login").await;
    let location = back.location.expect("sent back to the sign-in page");
    assert!(location.contains("__err="), "{location}");
    let refused = c.get(&location).await;
    assert!(refused.body.contains("email or the password is wrong"), "{}", refused.body);
    // Signed in, the sign-in page is a redirect home, not the kept page.
    c.login("ops@shopflow.test", DEMO_PASSWORD).await;
    let r = c.get("/login").await;
    assert_eq!((r.status.as_u16(), r.location.as_deref()), (302, Some("/")));
});

// The landing dashboard is kept per signed-in session while nothing is committed to the
// database (`PageCache`). Kept answers carry an Age header; what must end them is checked
// here: a commit through the same instance (at once) or through another one (within a tenth of
// a second), a sign-out elsewhere, two seconds, and a request that differs (a query, the
// browser's language, another session). On PostgreSQL the change mark is the server's, so the
// other tests' commits end kept pages too: where a kept answer is expected it is asked for a
// few times (`kept_answer`); where a render is expected, one answer must be it.
on_both_backends!(the_dashboard_is_kept_until_anything_changes, async |db: Db| {
    shopflow::server::demo::seed(&db).await.unwrap();
    let (first, second) = (app(&db), app(&db));
    let age = |r: &Reply| r.headers.get("age").map(|v| v.to_str().unwrap().to_string());
    let mut ops = Client::new(&first);
    ops.login("ops@shopflow.test", DEMO_PASSWORD).await;
    let rendered = ops.get("/").await;
    assert_eq!((rendered.status.as_u16(), age(&rendered)), (200, None), "the first answer is a render");
    let kept = kept_answer(&mut ops, "/").await;
    assert_eq!(age(&kept).as_deref(), Some("0"));
    assert_eq!(without_nonce(&kept.body), without_nonce(&rendered.body));
    assert_ne!(nonce(&kept.body), nonce(&rendered.body), "each answer has a nonce of its own");
    // What differs in the request is rendered for it.
    assert_eq!(age(&ops.get("/?from=menu").await), None, "a query");
    assert_eq!(age(&ops.get_with("/", &[(header::ACCEPT_LANGUAGE, "zh-CN,zh")]).await), None, "another browser language");
    let mut clerk = Client::new(&first);
    clerk.login("orders@shopflow.test", DEMO_PASSWORD).await;
    let theirs = clerk.get("/").await;
    assert_eq!(age(&theirs), None, "another session");
    assert_eq!(page_session(&theirs.body).actor.expect("signed in").email, "orders@shopflow.test");

    // A suggestion submitted through this instance is on the next answer.
    let submit = |title: &str| format!("fields%5Btitle%5D={title}&fields%5Bdepartment%5D=warehouse&fields%5Bstep%5D=picking&fields%5Bproblem%5D=slow&fields%5Bproposal%5D=faster");
    kept_answer(&mut ops, "/").await;
    assert_eq!(ops.form("/api/submit_suggestion", &submit("Kept-one")).await.status, 200);
    let after = ops.get("/").await;
    assert_eq!(age(&after), None);
    assert!(after.body.contains("Kept-one"), "the new suggestion is on the dashboard");
    // One submitted through another instance is on it a tenth of a second later.
    let mut elsewhere = Client::new(&second);
    elsewhere.cookie = ops.cookie.clone();
    kept_answer(&mut ops, "/").await;
    assert_eq!(elsewhere.form("/api/submit_suggestion", &submit("Kept-two")).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let after = ops.get("/").await;
    assert_eq!(age(&after), None);
    assert!(after.body.contains("Kept-two"), "a commit by another instance ends the kept page");

    // However quiet the database, a page is answered for two seconds at most.
    kept_answer(&mut ops, "/").await;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(age(&ops.get("/").await), None, "after two seconds");

    // Each department's home page is kept the same way, and ended the same way.
    for d in shopflow::domain::Department::ALL {
        let path = format!("/dept/{}", d.key());
        assert!(shopflow::app::KEPT_PER_SESSION.contains(&path.as_str()), "{path} is kept");
        assert_eq!(ops.get(&path).await.status, 200, "{path}");
    }
    let home = kept_answer(&mut ops, "/dept/warehouse").await;
    assert!(home.body.contains("data-dept=\"warehouse\"") && home.body.contains("Kept-two"), "the warehouse home with its suggestions");
    assert_eq!(ops.form("/api/submit_suggestion", &submit("Kept-three")).await.status, 200);
    let after = ops.get("/dept/warehouse").await;
    assert_eq!(age(&after), None);
    assert!(after.body.contains("Kept-three"), "the department's new suggestion is on its home page");

    // Signed out through another instance, the session gets no kept page from this one.
    kept_answer(&mut ops, "/").await;
    assert_eq!(elsewhere.form("/api/logout", "").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let gone = ops.get("/").await;
    assert_eq!((gone.status.as_u16(), gone.location.as_deref()), (302, Some("/login")), "signed out");
});

/// A kept answer of `path`, asked for up to ten times: a render is kept under the change mark
/// read before it, and a slow render under load may find the mark read again and moved by
/// another test's commit (PostgreSQL's mark is the whole server's).
async fn kept_answer(c: &mut Client, path: &str) -> Reply {
    for _ in 0..10 {
        let r = c.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        if r.headers.contains_key("age") {
            return r;
        }
    }
    panic!("{path} was never answered from the kept page");
}

/// The nonce leptos writes into a page's scripts.
fn nonce(body: &str) -> String {
    let start = body.find("nonce=\"").expect("the page's scripts have a nonce") + "nonce=\"".len();
    let nonce = &body[start..start + body[start..].find('"').unwrap()];
    assert_eq!(nonce.len(), 22, "{nonce}");
    nonce.to_string()
}

/// The page with its nonce, wherever it is written, replaced by a fixed text.
fn without_nonce(body: &str) -> String {
    body.replace(&nonce(body), "NONCE")
}
