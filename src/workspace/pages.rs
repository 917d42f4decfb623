//! The landing dashboard of each role and the department home pages.

use super::api::{get_dashboard, get_department_home};
use crate::components::{current_user, department_label_key, error_text, NotFound, RequirePermission, StateBadge, WithSession};
use crate::domain::{Department, Permission};
use crate::i18n::use_i18n;
use crate::improvement::pages::SuggestionTable;
use crate::improvement::SUGGESTIONS;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

/// `/`: sign-in for visitors, the portal for customers, the dashboard for staff.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <WithSession>
            {match current_user() {
                None => view! { <Redirect path="/login"/> }.into_any(),
                Some(a) if a.is_customer => view! { <Redirect path="/portal"/> }.into_any(),
                Some(_) => view! { <DashboardView/> }.into_any(),
            }}
        </WithSession>
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
    let data = Resource::new(|| (), |_| get_dashboard());
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

#[component]
pub fn DepartmentPage() -> impl IntoView {
    let params = use_params_map();
    let key = params.read_untracked().get("dept").unwrap_or_default();
    match Department::from_key(&key) {
        None => view! { <WithSession><NotFound/></WithSession> }.into_any(),
        Some(dept) => view! {
            <RequirePermission permission=dept.page_permission()><DepartmentInner dept/></RequirePermission>
        }
        .into_any(),
    }
}

#[component]
fn DepartmentInner(dept: Department) -> impl IntoView {
    let i18n = use_i18n();
    let home = Resource::new(move || dept.key().to_string(), get_department_home);
    let can_suggest = current_user().is_some_and(|a| a.can(Permission::SuggestionSubmit));
    view! {
        <section class="page" data-page="department" data-dept=dept.key()>
            <div class="page-head">
                <h1>{i18n.t(department_label_key(dept))}</h1>
                {can_suggest.then(|| view! { <a class="button" href="/improvement/new">{i18n.t("improvement.new")}</a> })}
            </div>
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
