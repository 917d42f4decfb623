//! `/tickets/dashboard`: the service desk's backlog, response and resolution times, SLA
//! attainment, satisfaction trend and the root causes behind the tickets, with bar charts.

use super::api::service_dashboard;
use super::dashboard::ServiceDashboard;
use super::{label, TICKETS};
use crate::catalog::pages::failure;
use crate::components::{department_label_key, loading, resource, RequirePermission, StateBadge};
use crate::domain::{Department, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;

#[component]
pub fn ServiceDashboardPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketView><DashboardInner/></RequirePermission> }
}

/// A horizontal bar, `value` of `max`, with its figure.
fn bar(value: i64, max: i64, text: String) -> impl IntoView {
    let width = if max > 0 { value * 100 / max } else { 0 };
    view! {
        <div class="bar-row"><div class="bar" style=format!("width: {width}%")></div><span class="bar-value">{text}</span></div>
    }
}

/// "2 h 5 min", "45 min", or "—".
fn minutes(m: Option<i64>) -> String {
    match m {
        None => "—".into(),
        Some(m) if m >= 60 => format!("{} h {} min", m / 60, m % 60),
        Some(m) => format!("{m} min"),
    }
}

#[component]
fn DashboardInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let days = move || query.read().get("days").and_then(|d| d.parse().ok()).unwrap_or(30);
    let data = resource(days, service_dashboard);
    view! {
        <section class="page" data-page="service-dashboard">
            <div class="page-head">
                <h1>{i18n.t("ticket.dashboard")}</h1>
                <form method="get" action="/tickets/dashboard" class="filters">
                    <label>{i18n.t("ticket.period")}
                        <select name="days">
                            {[7, 30, 90, 365].into_iter().map(|d| view! { <option value=d selected=move || days() == d>{d} " " {i18n.t("ticket.days")}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
                </form>
            </div>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d: ServiceDashboard = match data.await { Ok(d) => d, Err(e) => return failure(e) };
                    let open: i64 = d.backlog.iter().map(|b| b.1.iter().sum::<i64>()).sum();
                    let (met, total) = d.first_response_on_time;
                    let attainment = if total > 0 { format!("{}%", met * 100 / total) } else { "—".into() };
                    let max_cause = d.root_causes.iter().map(|c| c.1).max().unwrap_or(0);
                    let max_product = d.products.iter().map(|p| p.1).max().unwrap_or(0);
                    let answers: i64 = d.satisfaction.iter().map(|s| s.2).sum();
                    view! {
                        <div class="kpis">
                            <div class="kpi"><span>{i18n.t("ticket.open_states")}</span><strong data-testid="open-count">{open}</strong></div>
                            <div class="kpi"><span>{i18n.t("ticket.first_response_sla")}</span><strong data-testid="sla-attainment">{attainment}</strong></div>
                            <div class="kpi"><span>{i18n.t("ticket.first_response")} " p50 / p90"</span><strong>{minutes(d.first_response.p50_minutes)} " / " {minutes(d.first_response.p90_minutes)}</strong></div>
                            <div class="kpi"><span>{i18n.t("ticket.resolution_time")} " p50 / p90"</span><strong data-testid="resolved-count" data-count=d.resolution.count>{minutes(d.resolution.p50_minutes)} " / " {minutes(d.resolution.p90_minutes)}</strong></div>
                            <div class="kpi"><span>{i18n.t("ticket.survey_answers")}</span><strong data-testid="survey-count">{answers}</strong></div>
                        </div>
                        <div class="columns">
                            <div>
                                <h2>{i18n.t("ticket.backlog")}</h2>
                                <table class="data" data-testid="backlog">
                                    <thead><tr><th>{i18n.t("field.state")}</th><th class="num">"< 1 h"</th><th class="num">"< 1 d"</th><th class="num">"< 3 d"</th><th class="num">"≥ 3 d"</th></tr></thead>
                                    <tbody>
                                        {d.backlog.into_iter().map(|(state, ages)| view! {
                                            <tr data-state=state.clone()>
                                                <td><StateBadge workflow=&TICKETS state=state.clone()/></td>
                                                {ages.into_iter().map(|n| view! { <td class="num">{n}</td> }).collect_view()}
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <h2>{i18n.t("ticket.satisfaction_trend")}</h2>
                                {if d.satisfaction.is_empty() { view! { <p class="muted">"—"</p> }.into_any() } else { view! {
                                    <div class="bars" data-testid="satisfaction">
                                        {d.satisfaction.into_iter().map(|(week, avg, n)| view! {
                                            <div class="bar-line"><span class="bar-label">{crate::domain::format_time(week).get(..10).unwrap_or_default().to_string()}</span>
                                                {bar(avg, 500, format!("{}.{:02} ({n})", avg / 100, avg % 100))}</div>
                                        }).collect_view()}
                                    </div>
                                }.into_any() }}
                            </div>
                            <div>
                                <h2>{i18n.t("ticket.top_root_causes")}</h2>
                                {if d.root_causes.is_empty() { view! { <p class="muted">"—"</p> }.into_any() } else { view! {
                                    <div class="bars" data-testid="root-causes">
                                        {d.root_causes.into_iter().map(|(cause, n, dept)| {
                                            let key = cause.clone();
                                            let dept = dept.and_then(|k| Department::from_key(&k));
                                            view! {
                                                <div class="bar-line" data-cause=cause>
                                                    <span class="bar-label">{move || label(&key, i18n.lang())}
                                                        {dept.map(|d| view! { <span class="muted small">" · " {i18n.t(department_label_key(d))}</span> })}</span>
                                                    {bar(n, max_cause, n.to_string())}
                                                </div>
                                            }
                                        }).collect_view()}
                                    </div>
                                }.into_any() }}
                                <h2>{i18n.t("ticket.complained_products")}</h2>
                                {if d.products.is_empty() { view! { <p class="muted">"—"</p> }.into_any() } else { view! {
                                    <div class="bars">
                                        {d.products.into_iter().map(|(title, n)| view! {
                                            <div class="bar-line"><span class="bar-label">{title}</span>{bar(n, max_product, n.to_string())}</div>
                                        }).collect_view()}
                                    </div>
                                }.into_any() }}
                            </div>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
