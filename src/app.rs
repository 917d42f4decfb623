//! The application shell: the document, the session, the navigation and the routes.

use crate::accounts::api::{Logout, SetLanguage};
use crate::accounts::SessionInfo;
use crate::accounts::pages::{AccountPage, AdminRoles, AdminUsers, AuditLogPage, LoginPage, PortalHome, RegisterPage};
use crate::components::{current_user, CurrentUser, NotFound, PostForm};
use leptos::server_fn::ServerFn;
use crate::domain::{Department, Permission};
use crate::i18n::{I18n, Lang};
use crate::alerts::pages::AlertsPage;
use crate::catalog::pages::{Catalog, CatalogProductPage, CategoryAdmin, PriceApprovals, ProductEdit, ProductList, ProductNew, ProductPage};
use crate::improvement::pages::{ProcessSop, SuggestionList, SuggestionNew, SuggestionPage};
use crate::catalog::bulk_pages::ProductImport;
use crate::inventory::operation_pages::{CountList, CountNew, CountPage, TransferList, TransferNew, TransferPage};
use crate::orders::desk_pages::{OrderDeskPage, OrderQueue};
use crate::orders::exception_pages::ExceptionList;
use crate::orders::return_pages::{ReturnList, ReturnPage};
use crate::orders::shipment_pages::ShipmentBoardPage;
use crate::orders::address_pages::AddressBookPage;
use crate::orders::pages::{CartPage, MyOrderPage, MyOrders};
use crate::notifications::pages::{NotificationBell, NotificationsPage};
use crate::outbox::pages::OutboxPage;
use crate::tickets::calendar_page::CalendarPage;
use crate::tickets::dashboard_page::ServiceDashboardPage;
use crate::tickets::import_page::EmailImportPage;
use crate::tickets::replies_page::CannedRepliesPage;
use crate::tickets::desk_pages::{DepartmentTasksPage, TicketDeskPage, TicketNewPage, TicketQueuePage};
use crate::tickets::pages::{MyTicketList, MyTicketPage};
use crate::inventory::pages::{ReceiptList, ReceiptNew, ReceiptPage, StockDetailPage, StockSearch, Warehouses};
use crate::logistics::pages::CarriersPage;
use crate::workspace::pages::{DepartmentPage, HomePage, SopIndex, SopPage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::any_nested_match::AnyNestedMatch;
use leptos_router::any_nested_route::{AnyNestedRoute, IntoAnyNestedRoute};
use leptos_router::components::{RouteChildren, Router, Routes, A};
use leptos_router::{path, GeneratedRouteData, MatchNestedRoutes, NestedRoute, RouteMatchId, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // In the shell rather than through leptos_meta's <Stylesheet>/<Title>: the head
                // is not hydrated, and those components' markers mismatch under async SSR.
                <link rel="stylesheet" id="leptos" href="/pkg/shopflow.css"/>
                <title>"Shopflow"</title>
                <MetaTags/>
                <script type="application/json" id=SESSION_SCRIPT inner_html=session_json(&initial_session())></script>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The element of the page that carries its [`SessionInfo`] from the server to the browser.
const SESSION_SCRIPT: &str = "shopflow-session";

/// Who is here and in which language, known before anything renders: on the server from the
/// request (the `page_session` middleware loaded it), in the browser from the page the server
/// wrote it into. Both sides render the same tree from the same value, without a resource,
/// a `<Suspense>` or a request of the browser's own.
pub fn initial_session() -> SessionInfo {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::server::auth::PageSession>().map(|p| p.0).unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .get_element_by_id(SESSION_SCRIPT)
            .and_then(|e| e.text_content())
            // `from_slice`, the reader of every other value the client receives (JsonData).
            .and_then(|text| serde_json::from_slice(text.as_bytes()).ok())
            .unwrap_or_default()
    }
}

/// The session as JSON that cannot end its `<script>` element: every `<` is escaped (a
/// display name is user input), which JSON reads back as the same character.
fn session_json(info: &SessionInfo) -> String {
    serde_json::to_string(info).unwrap_or_default().replace('<', "\\u003c")
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session = initial_session();
    provide_context(I18n(RwSignal::new(session.lang)));
    provide_context(CurrentUser(session.actor));
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Shopflow"</A>
                <Nav/>
                <UserMenu/>
            </header>
            <main>
                <Routes fallback=|| view! { <NotFound/> } children=RouteChildren::to_children(|| PageRoutes)/>
            </main>
        </Router>
    }
}

/// Pages whose render for a visitor who is not signed in reads nothing but the language: no
/// record, no setting, nothing from the address. The server renders each once per language
/// and answers it from memory afterwards (`server::http::PageCache`). A page that comes to
/// show data must leave this list; the integration test `pages_the_same_for_every_visitor_are_kept`
/// compares each kept page with a fresh render.
pub const SAME_FOR_EVERY_VISITOR: [&str; 2] = ["/login", "/register"];

/// Pages kept per signed-in session: a render is answered again to the same session while
/// nothing has been committed to the database since, for at most two seconds
/// (`server::http::PageCache`). A page belongs here only when all it shows comes from the
/// database, the session and the language: nothing from the address (a query is rendered
/// afresh anyway) and no live feed. The landing dashboard and the department home pages are
/// the pages staff open first and come back to between tasks; the integration test
/// `the_dashboard_is_kept_until_anything_changes` checks what ends a kept page.
pub const KEPT_PER_SESSION: [&str; 9] = [
    "/",
    "/dept/product",
    "/dept/orders",
    "/dept/warehouse",
    "/dept/logistics",
    "/dept/service",
    "/dept/marketing",
    "/dept/finance",
    "/dept/operations",
];

/// Every page, by path. First match wins, as with `<Route>` children, so a fixed path such
/// as `/products/new` comes before `/products/:id`. Every page renders asynchronously: its
/// status (403, 404, a redirect to sign-in) and its data are sent together, once its
/// resources have loaded.
fn page_routes() -> Vec<AnyNestedRoute> {
    macro_rules! pages {
        ($($path:expr => $view:expr),* $(,)?) => {
            vec![$(NestedRoute::new($path, $view).ssr_mode(SsrMode::Async).into_any_nested_route()),*]
        };
    }
    pages![
        path!("/") => HomePage,
        path!("/login") => LoginPage,
        path!("/register") => RegisterPage,
        path!("/account") => AccountPage,
        path!("/portal") => PortalHome,
        path!("/dept/:dept") => DepartmentPage,
        path!("/improvement") => SuggestionList,
        path!("/improvement/new") => SuggestionNew,
        path!("/improvement/sop") => ProcessSop,
        path!("/improvement/:id") => SuggestionPage,
        path!("/products") => ProductList,
        path!("/products/new") => ProductNew,
        path!("/products/import") => ProductImport,
        path!("/products/:id") => ProductPage,
        path!("/products/:id/edit") => ProductEdit,
        path!("/categories") => CategoryAdmin,
        path!("/price-approvals") => PriceApprovals,
        path!("/catalog") => Catalog,
        path!("/catalog/:id") => CatalogProductPage,
        path!("/stock") => StockSearch,
        path!("/stock/:id") => StockDetailPage,
        path!("/warehouses") => Warehouses,
        path!("/receipts") => ReceiptList,
        path!("/receipts/new") => ReceiptNew,
        path!("/receipts/:id") => ReceiptPage,
        path!("/transfers") => TransferList,
        path!("/transfers/new") => TransferNew,
        path!("/transfers/:id") => TransferPage,
        path!("/counts") => CountList,
        path!("/counts/new") => CountNew,
        path!("/counts/:id") => CountPage,
        path!("/cart") => CartPage,
        path!("/my/orders") => MyOrders,
        path!("/my/addresses") => AddressBookPage,
        path!("/my/orders/:id") => MyOrderPage,
        path!("/orders") => OrderQueue,
        path!("/orders/:id") => OrderDeskPage,
        path!("/exceptions") => ExceptionList,
        path!("/returns") => ReturnList,
        path!("/returns/:id") => ReturnPage,
        path!("/my/tickets") => MyTicketList,
        path!("/my/tickets/:id") => MyTicketPage,
        path!("/tickets") => TicketQueuePage,
        path!("/tickets/new") => TicketNewPage,
        path!("/tickets/dashboard") => ServiceDashboardPage,
        path!("/tickets/calendar") => CalendarPage,
        path!("/tickets/import") => EmailImportPage,
        path!("/tickets/replies") => CannedRepliesPage,
        path!("/tickets/:id") => TicketDeskPage,
        path!("/tasks") => DepartmentTasksPage,
        path!("/alerts") => AlertsPage,
        path!("/notifications") => NotificationsPage,
        path!("/shipments") => ShipmentBoardPage,
        path!("/carriers") => CarriersPage,
        path!("/sop") => SopIndex,
        path!("/sop/:process") => SopPage,
        path!("/admin/users") => AdminUsers,
        path!("/admin/roles") => AdminRoles,
        path!("/admin/audit") => AuditLogPage,
        path!("/admin/outbox") => OutboxPage
    ]
}

thread_local! {
    static PAGE_ROUTES: Vec<AnyNestedRoute> = page_routes();
}

/// The routes as `<Routes>` takes them: a handle on this thread's [`page_routes`], built once.
/// `<Route>` children would be built and then cloned on every server render, 60 routes each
/// with allocations of its own: about an eighth of the sign-in page's time (BENCHMARKS.md).
#[derive(Clone, Copy)]
struct PageRoutes;

impl MatchNestedRoutes for PageRoutes {
    type Data = ();
    type Match = AnyNestedMatch;

    fn match_nested<'a>(&'a self, path: &'a str) -> (Option<(RouteMatchId, AnyNestedMatch)>, &'a str) {
        PAGE_ROUTES.with(move |routes| {
            for route in routes {
                if let (Some(found), rest) = route.match_nested(path) {
                    // What is left unmatched is the end of `path`; it is given back as a part
                    // of `path`, which outlives this borrow of the thread's routes.
                    return (Some(found), &path[path.len() - rest.len()..]);
                }
            }
            (None, path)
        })
    }

    fn generate_routes(&self) -> impl IntoIterator<Item = GeneratedRouteData> + '_ {
        PAGE_ROUTES.with(|routes| routes.iter().flat_map(|r| r.generate_routes()).collect::<Vec<_>>())
    }

    fn optional(&self) -> bool {
        PAGE_ROUTES.with(|routes| routes.iter().all(|r| r.optional()))
    }
}

/// Only the sections the user may enter are listed.
#[component]
fn Nav() -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    let Some(actor) = current_user() else { return ().into_any() };
    let departments = Department::ALL
        .iter()
        .filter(|d| actor.can(d.page_permission()))
        .map(|d| {
            let key = d.key();
            let label = i18n.t(crate::components::department_label_key(*d));
            view! { <li><A href=format!("/dept/{key}") attr:data-nav=key>{label}</A></li> }
        })
        .collect_view();
    let item = |perm: Permission, href: &'static str, key: &'static str, nav: &'static str| {
        actor.can(perm).then(|| view! { <li><A href=href attr:data-nav=nav>{i18n.t(key)}</A></li> })
    };
    view! {
        <nav class="mainnav" aria-label="main">
            <ul>
                <li><A href="/" attr:data-nav="home">{i18n.t("nav.home")}</A></li>
                {item(Permission::PortalPage, "/portal", "nav.portal", "portal")}
                {item(Permission::PortalPage, "/catalog", "catalog.title", "catalog")}
                {item(Permission::OrderPlace, "/cart", "cart.title", "cart")}
                {item(Permission::OrderPlace, "/my/orders", "order.mine", "my-orders")}
                {item(Permission::PortalPage, "/my/tickets", "ticket.mine", "my-tickets")}
                {departments}
                {item(Permission::StockAlertHandle, "/alerts", "alerts.title", "alerts")}
                {item(Permission::SuggestionView, "/improvement", "nav.improvement", "improvement")}
                {item(Permission::UserManage, "/admin/users", "nav.users", "users")}
                {item(Permission::RoleManage, "/admin/roles", "nav.roles", "roles")}
                {item(Permission::AuditLogView, "/admin/audit", "nav.audit", "audit")}
                {item(Permission::OutboxView, "/admin/outbox", "outbox.title", "outbox")}
            </ul>
        </nav>
    }
    .into_any()
}

/// The language switch, the bell and sign-out, rendered on the server: the switch and
/// sign-out are forms the browser posts ([`PostForm`]), the bell counts in the browser.
#[component]
fn UserMenu() -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    let other = if i18n.lang() == Lang::En { Lang::Zh } else { Lang::En };
    view! {
        <div class="usermenu">
            // The page loads again in the other language. The header's buttons submit their
            // forms without saying `type="submit"`: pages (and their tests) name their own
            // form's button by it.
            <PostForm to={<SetLanguage as ServerFn>::PATH.to_string()} class="inline".to_string()>
                <input type="hidden" name="lang" value=other.key()/>
                <button class="linkish" data-testid="lang-switch">{if other == Lang::Zh { "中文" } else { "English" }}</button>
            </PostForm>
            {match current_user() {
                Some(actor) => view! {
                    <NotificationBell/>
                    <a href="/account" class="who" data-testid="who">{actor.name.clone()}</a>
                    <PostForm to={<Logout as ServerFn>::PATH.to_string()} then="/login".to_string() class="inline".to_string()>
                        <button class="linkish" data-testid="sign-out">{i18n.t("nav.sign_out")}</button>
                    </PostForm>
                }.into_any(),
                None => view! { <a href="/login">{i18n.t("nav.sign_in")}</a> }.into_any(),
            }}
        </div>
    }
}
