//! Shipping exceptions in the interface: logistics' list of open exceptions, the panel on the
//! order desk page where they are reported and worked, and what the customer is told.

use super::api::list_exceptions;
use super::exceptions::{kind_name, ShippingException, EXCEPTIONS};
use crate::catalog::pages::failure;
use crate::components::{loading, step_box, RequirePermission, SlaBadge, StateBadge, StateFilter, Timeline};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::collections::HashMap;

#[component]
pub fn ExceptionList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderView><ExceptionListInner/></RequirePermission> }
}

#[component]
fn ExceptionListInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let list = Resource::new(move || query.read().get("state").unwrap_or_default(), list_exceptions);
    view! {
        <section class="page" data-page="exceptions">
            <div class="page-head">
                <h1>{i18n.t("exception.title")}</h1>
                <div class="actions"><a href="/sop/shipping_exception" class="button secondary">{i18n.t("improvement.sop")}</a></div>
            </div>
            <p class="muted">{i18n.t("exception.list_hint")}</p>
            <StateFilter workflow=&EXCEPTIONS action="/exceptions"/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("exception.none")}</p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="data" data-testid="exception-list">
                                <thead><tr>
                                    <th>"#"</th><th>{i18n.t("order.one")}</th><th>{i18n.t("order.parcel")}</th><th>{i18n.t("exception.kind")}</th>
                                    <th>{i18n.t("field.state")}</th><th>"SLA"</th><th>{i18n.t("audit.when")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| {
                                        let kind = e.kind.clone();
                                        view! {
                                            <tr data-exception=e.id>
                                                <td>{e.id}</td>
                                                <td><a href=format!("/orders/{}#exceptions", e.order_id)>"#" {e.order_id}</a></td>
                                                <td>{e.parcel(i18n.lang())}</td>
                                                <td>{move || kind_name(&kind, i18n.lang())}</td>
                                                <td><StateBadge workflow=&EXCEPTIONS state=e.state/></td>
                                                <td><SlaBadge sla=e.sla/></td>
                                                <td>{format_time(e.created_at)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// Reports an exception on a parcel: (order, parcel, form).
pub type ReportArgs = (i64, i64, HashMap<String, String>);
/// A step on an exception: (id, version, action, form).
pub type ExceptionStepArgs = (i64, i64, String, HashMap<String, String>);

/// The order desk's panel: every exception of the order with its steps and trail, and the
/// form that reports a new one on a shipped parcel.
pub fn exceptions_panel(
    order_id: i64,
    shipped: Vec<(i64, String)>,
    exceptions: Vec<ShippingException>,
    can_report: bool,
    report: Action<ReportArgs, Result<i64, crate::domain::AppError>>,
    step: Action<ExceptionStepArgs, Result<(), crate::domain::AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let parcel = RwSignal::new(shipped.first().map(|p| p.0).unwrap_or(0));
    let send_report = move |_: &'static str, fields: HashMap<String, String>| {
        report.dispatch((order_id, parcel.get_untracked(), fields));
    };
    let reportable = can_report && !shipped.is_empty();
    view! {
        <section class="exceptions" id="exceptions" data-testid="exceptions">
            <h2>{i18n.t("exception.title")}</h2>
            {exceptions.is_empty().then(|| view! { <p class="muted">{i18n.t("exception.none_here")}</p> })}
            {exceptions.into_iter().map(|e| {
                let (id, version) = (e.id, e.version);
                let send = move |action: &'static str, fields: HashMap<String, String>| { step.dispatch((id, version, action.to_string(), fields)); };
                let can = |a: &str| e.actions.iter().any(|x| x == a);
                let kind = e.kind.clone();
                view! {
                    <article class="exception" data-exception=e.id data-state=e.state.clone()>
                        <h3>{move || kind_name(&kind, i18n.lang())} " · " {e.parcel(i18n.lang())} " "
                            <StateBadge workflow=&EXCEPTIONS state=e.state.clone()/> " " <SlaBadge sla=e.sla/></h3>
                        <p class="prose">{e.description.clone()}</p>
                        <p class="notice">{i18n.t("exception.customer_told")} " " {e.customer_note.clone()}</p>
                        {can("investigate").then(|| step_box(&EXCEPTIONS, "investigate", send))}
                        {can("resolve").then(|| step_box(&EXCEPTIONS, "resolve", send))}
                        <details><summary>{i18n.t("improvement.history")}</summary><Timeline workflow=&EXCEPTIONS events=e.events.clone()/></details>
                    </article>
                }
            }).collect_view()}
            {reportable.then(|| view! {
                <label class="parcel-choice">{i18n.t("order.parcel")}
                    <select name="shipment" on:change=move |ev| parcel.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {shipped.iter().map(|(id, name)| view! { <option value=*id>{name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                {step_box(&EXCEPTIONS, "report", send_report)}
            })}
        </section>
    }
}

/// What the customer is told about problems with their parcels.
#[component]
pub fn CustomerExceptions(exceptions: Vec<ShippingException>) -> impl IntoView {
    let i18n = use_i18n();
    (!exceptions.is_empty()).then(|| view! {
        <section class="exceptions" data-testid="customer-exceptions">
            <h2>{i18n.t("exception.for_customer")}</h2>
            <ul>
                {exceptions.into_iter().map(|e| {
                    let (kind, resolution) = (e.kind.clone(), e.resolution.clone());
                    view! {
                        <li data-state=e.state.clone()>
                            <strong>{move || kind_name(&kind, i18n.lang())}</strong> " · " {e.parcel(i18n.lang())} " "
                            <StateBadge workflow=&EXCEPTIONS state=e.state.clone()/>
                            <p>{e.customer_note.clone()}</p>
                            {resolution.map(|r| view! {
                                <p class="muted">{move || kind_name(&r, i18n.lang())}
                                    {e.amount.map(|a| view! { " · " {price_label(a)} })}
                                    {e.replacement_tracking.clone().map(|t| view! { " · " <span data-testid="replacement">{t}</span> })}
                                </p>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    })
}
