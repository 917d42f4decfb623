//! The landing dashboard of each role and the department home pages.

use super::api::{get_dashboard, get_department_home};
use crate::components::{
    current_user, department_label_key, error_text, NotFound, RequirePermission, RequireStaff, SopDocument, StateBadge,
};
use crate::domain::{Department, Permission};
use crate::i18n::use_i18n;
use crate::improvement::pages::SuggestionTable;
use crate::improvement::SUGGESTIONS;
use crate::components::resource;
use leptos::prelude::*;
use crate::components::Redirect;

/// `/`: sign-in for visitors, the portal for customers, the dashboard for staff.
#[component]
pub fn HomePage() -> impl IntoView {
    match current_user() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some(a) if a.is_customer => view! { <Redirect path="/portal"/> }.into_any(),
        Some(_) => view! { <DashboardView/> }.into_any(),
    }
}

fn counts_view(by_state: Vec<(String, i64)>) -> impl IntoView {
    view! {
        <ul class="counts">
            {by_state.into_iter().map(|(state, n)| view! {
                <li><StateBadge workflow=&SUGGESTIONS state/> " " <strong>{n}</strong></li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn DashboardView() -> impl IntoView {
    let i18n = use_i18n();
    let data = resource(|| (), |_| get_dashboard());
    let actor = current_user();
    let departments = actor
        .as_ref()
        .map(|a| Department::ALL.iter().filter(|d| a.can(d.page_permission())).copied().collect::<Vec<_>>())
        .unwrap_or_default();
    let roles = actor.map(|a| a.roles.join(", ")).unwrap_or_default();
    view! {
        <section class="page" data-page="dashboard">
            <div class="page-head">
                <h1>{i18n.t("dashboard.title")}</h1>
                <span class="muted" data-testid="dashboard-roles">{roles}</span>
            </div>
            <div class="cards">
                {departments.into_iter().map(|d| view! {
                    <a class="card" href=format!("/dept/{}", d.key()) data-dept=d.key()>
                        <h2>{i18n.t(department_label_key(d))}</h2>
                    </a>
                }).collect_view()}
            </div>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
                        Ok(d) => view! {
                            <div class="kpis">
                                <div class="kpi"><span>{i18n.t("dashboard.waiting")}</span><strong data-testid="waiting-count">{d.waiting_for_me.len()}</strong></div>
                                <div class="kpi"><span>{i18n.t("dashboard.breached")}</span><strong class:alert={d.breached > 0}>{d.breached}</strong></div>
                                <div class="kpi"><span>{i18n.t("dashboard.my_open")}</span><strong>{d.my_open.len()}</strong></div>
                            </div>
                            {(!d.waiting_for_me.is_empty()).then(|| view! {
                                <h2>{i18n.t("dashboard.waiting")}</h2>
                                <SuggestionTable items=d.waiting_for_me/>
                            })}
                            <h2>{i18n.t("dashboard.my_open")}</h2>
                            <SuggestionTable items=d.my_open/>
                            <h2>{i18n.t("dashboard.by_state")}</h2>
                            {counts_view(d.by_state)}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The pages of each department, shown on its home page to those who may open them.
const DEPARTMENT_LINKS: &[(Department, Permission, &str, &str)] = &[
    (Department::Product, Permission::ProductView, "/products", "product.list_title"),
    (Department::Product, Permission::ProductApprove, "/products?state=submitted", "product.review_queue"),
    (Department::Product, Permission::PriceApprove, "/price-approvals", "price.approvals"),
    (Department::Product, Permission::CategoryManage, "/categories", "product.categories"),
    (Department::Product, Permission::ProductPage, "/catalog", "catalog.title"),
    (Department::Product, Permission::StockView, "/stock", "stock.title"),
    (Department::Product, Permission::StockAlertHandle, "/alerts", "alerts.title"),
    (Department::Warehouse, Permission::StockView, "/stock", "stock.title"),
    (Department::Warehouse, Permission::WarehousePage, "/receipts", "receipt.title"),
    (Department::Warehouse, Permission::WarehousePage, "/transfers", "transfer.title"),
    (Department::Warehouse, Permission::WarehousePage, "/counts", "count.title"),
    (Department::Warehouse, Permission::WarehouseManage, "/warehouses", "warehouse.title"),
    (Department::Warehouse, Permission::StockAlertHandle, "/alerts", "alerts.title"),
    (Department::Warehouse, Permission::OrderFulfil, "/orders?state=allocated", "order.to_pick"),
    (Department::Warehouse, Permission::OrderFulfil, "/orders?state=picking", "order.to_pack"),
    (Department::Orders, Permission::OrderView, "/orders", "order.title"),
    (Department::Orders, Permission::OrderReview, "/orders?state=paid", "order.review_queue"),
    (Department::Orders, Permission::StockView, "/stock", "stock.title"),
    (Department::Logistics, Permission::LogisticsPage, "/shipments", "shipment.board"),
    (Department::Logistics, Permission::OrderShip, "/orders?state=packed", "order.to_ship"),
    (Department::Logistics, Permission::OrderShip, "/orders?state=shipped", "order.in_transit"),
    (Department::Logistics, Permission::OrderView, "/exceptions", "exception.title"),
    (Department::Logistics, Permission::LogisticsPage, "/carriers", "carrier.title"),
    (Department::Logistics, Permission::StockView, "/stock", "stock.title"),
    (Department::Service, Permission::TicketView, "/tickets", "ticket.title"),
    (Department::Service, Permission::TicketView, "/tickets?mine=1", "ticket.mine_only"),
    (Department::Service, Permission::TicketHandle, "/tickets/new", "ticket.log_call"),
    (Department::Service, Permission::TicketView, "/tickets/dashboard", "ticket.dashboard"),
    (Department::Service, Permission::OrderView, "/orders", "order.title"),
    (Department::Service, Permission::ReturnReview, "/returns", "return.title"),
    (Department::Warehouse, Permission::ReturnReceive, "/returns?state=approved", "return.to_receive"),
    (Department::Service, Permission::StockView, "/stock", "stock.title"),
    (Department::Service, Permission::ServicePage, "/catalog", "catalog.title"),
    (Department::Marketing, Permission::ProductView, "/products?state=listed", "product.list_title"),
    (Department::Marketing, Permission::MarketingPage, "/catalog", "catalog.title"),
    (Department::Operations, Permission::OperationsPage, "/sop", "sop.index"),
    (Department::Operations, Permission::TicketView, "/tickets/dashboard", "ticket.dashboard"),
    (Department::Warehouse, Permission::TicketTaskAnswer, "/tasks", "ticket.tasks_title"),
    (Department::Logistics, Permission::TicketTaskAnswer, "/tasks", "ticket.tasks_title"),
    (Department::Finance, Permission::TicketTaskAnswer, "/tasks", "ticket.tasks_title"),
    (Department::Product, Permission::TicketTaskAnswer, "/tasks", "ticket.tasks_title"),
];

/// `/sop`: every declared process, with a link to its SOP document.
#[component]
pub fn SopIndex() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <RequireStaff>
            <section class="page" data-page="sop-index">
                <h1>{i18n.t("sop.index")}</h1>
                <ul class="cards">
                    {crate::workflows().iter().map(|wf| view! {
                        <li><a class="card" href=format!("/sop/{}", wf.id)>
                            <h2>{move || wf.name.get(i18n.lang())}</h2>
                            <p class="muted">{move || wf.purpose.get(i18n.lang())}</p>
                        </a></li>
                    }).collect_view()}
                </ul>
            </section>
        </RequireStaff>
    }
}

/// `/sop/<process>`: the SOP document of one declared process, for any member of staff.
#[component]
pub fn SopPage() -> impl IntoView {
    let key = crate::components::route_param("process");
    match crate::workflows().iter().find(|w| w.id == key) {
        // The service desk's targets depend on the ticket's priority, not only on the step.
        Some(wf) if wf.id == crate::tickets::TICKETS.id => {
            view! { <RequireStaff><SopDocument workflow=*wf/><crate::tickets::pages::ServiceTargets/></RequireStaff> }.into_any()
        }
        Some(wf) => view! { <RequireStaff><SopDocument workflow=*wf/></RequireStaff> }.into_any(),
        None => view! { <NotFound/> }.into_any(),
    }
}

#[component]
pub fn DepartmentPage() -> impl IntoView {
    let key = crate::components::route_param("dept");
    match Department::from_key(&key) {
        None => view! { <NotFound/> }.into_any(),
        Some(dept) => view! {
            <RequirePermission permission=dept.page_permission()><DepartmentInner dept/></RequirePermission>
        }
        .into_any(),
    }
}

#[component]
fn DepartmentInner(dept: Department) -> impl IntoView {
    let i18n = use_i18n();
    let home = resource(move || dept.key().to_string(), get_department_home);
    let actor = current_user();
    let can_suggest = actor.as_ref().is_some_and(|a| a.can(Permission::SuggestionSubmit));
    let links: Vec<_> = DEPARTMENT_LINKS
        .iter()
        .filter(|(d, p, ..)| *d == dept && actor.as_ref().is_some_and(|a| a.can(*p)))
        .map(|(_, _, href, key)| view! { <a class="card" href=*href data-link=*href><h2>{i18n.t(key)}</h2></a> })
        .collect();
    view! {
        <section class="page" data-page="department" data-dept=dept.key()>
            <div class="page-head">
                <h1>{i18n.t(department_label_key(dept))}</h1>
                {can_suggest.then(|| view! { <a class="button" href="/improvement/new">{i18n.t("improvement.new")}</a> })}
            </div>
            <nav class="cards" aria-label="pages">{links}</nav>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match home.await {
                        Err(e) => view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
                        Ok(h) => view! {
                            <div class="columns">
                                <div>
                                    <h2>{i18n.t("dept.suggestions")}</h2>
                                    {counts_view(h.by_state)}
                                    <SuggestionTable items=h.suggestions/>
                                </div>
                                <aside>
                                    <h2>{i18n.t("dept.team")}</h2>
                                    <ul class="members">
                                        {h.members.into_iter().map(|(name, roles)| view! {
                                            <li><strong>{name}</strong><br/><span class="muted">{roles}</span></li>
                                        }).collect_view()}
                                    </ul>
                                </aside>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}
