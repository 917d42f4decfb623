//! Shipping exceptions in the interface: logistics' list of open exceptions, the panel on the
//! order desk page where they are reported and worked, the form an agent reports one with from
//! the customer's ticket, and what the customer is told.

use super::api::{list_exceptions, report_exception_for_customer};
use super::exceptions::{kind_name, ShippingException, EXCEPTIONS};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, step_box, successes, resource, FieldError, FormError, RequirePermission, SlaBadge, StateBadge, StateFilter, Timeline};
use crate::engine::{Field, FieldKind};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;
use std::collections::HashMap;

#[component]
pub fn ExceptionList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderView><ExceptionListInner/></RequirePermission> }
}

#[component]
fn ExceptionListInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let list = resource(move || query.read().get("state").unwrap_or_default(), list_exceptions);
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
                        {e.ticket_id.map(|t| view! {
                            <p class="muted small" data-testid="exception-ticket">{i18n.t("exception.from_ticket")} " " {ticket_link(t)}</p>
                        })}
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

/// "#12", a link for those who may read tickets; logistics, who may not, still sees which one.
fn ticket_link(ticket: i64) -> impl IntoView {
    if current_user().is_some_and(|a| a.can(Permission::TicketView)) {
        view! { <a href=format!("/tickets/{ticket}")>"#" {ticket}</a> }.into_any()
    } else {
        view! { <span>"#" {ticket}</span> }.into_any()
    }
}

/// Reports an exception for the customer: (ticket, order, parcel, form).
pub type ReportForCustomerArgs = (i64, i64, i64, HashMap<String, String>);

/// The inputs of the agent's report that show their own errors: the parcel, then the
/// declared form of `report_for_customer`.
const REPORT_FIELDS: &[&str] = &["shipment", "kind", "description", "customer_note"];

/// The agent's form on the customer's open ticket about an order: a shipped parcel of the
/// order and the declared report form (the kind, what happened, what the customer is told),
/// each error beside its input. `on_done` counts the reports sent.
#[component]
pub fn ExceptionFromTicket(ticket_id: i64, order_id: i64, parcels: Vec<(i64, String)>, on_done: RwSignal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let step = EXCEPTIONS.action("report_for_customer");
    let form: &'static [Field] = step.map(|a| a.form).unwrap_or(&[]);
    let parcel = RwSignal::new(parcels.first().map(|p| p.0.to_string()).unwrap_or_default());
    let values = StoredValue::new(form.iter().map(|f| (f, RwSignal::new(String::new()))).collect::<Vec<_>>());
    let send = Action::new(|(ticket, order, parcel, fields): &ReportForCustomerArgs| {
        let (ticket, order, parcel, fields) = (*ticket, *order, *parcel, fields.clone());
        async move { report_exception_for_customer(ticket, order, parcel, fields).await }
    });
    let sent = successes(send);
    Effect::new(move |_| {
        if sent.get() > 0 {
            values.with_value(|v| v.iter().for_each(|(_, s)| s.set(String::new())));
            on_done.update(|n| *n += 1);
        }
    });
    let result = Signal::derive(move || send.value().get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // No parcel chosen reads as 0, which the server refuses beside the parcel.
        let shipment = parcel.get_untracked().parse().unwrap_or(0);
        let fields: HashMap<String, String> = values.with_value(|v| v.iter().map(|(f, s)| (f.name.to_string(), s.get_untracked())).collect());
        send.dispatch((ticket_id, order_id, shipment, fields));
    };
    let label = move || step.map(|a| a.label.get(i18n.lang())).unwrap_or("report_for_customer");
    view! {
        <details class="exception-report" data-testid="exception-from-ticket">
            <summary>{label}</summary>
            <form class="form" on:submit=submit>
                <p class="sop">{move || step.map(|a| a.sop.get(i18n.lang())).unwrap_or("")}</p>
                <label data-field="shipment">{i18n.t("order.parcel")}
                    <select name="shipment" prop:value=move || parcel.get() on:change=move |ev| parcel.set(event_target_value(&ev))>
                        {parcels.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <FieldError result field="shipment"/>
                {values.with_value(|v| v.clone()).into_iter().map(|(f, sig)| {
                    let input = match f.kind {
                        FieldKind::Choice(options) => view! {
                            <select name=f.name prop:value=move || sig.get() on:change=move |ev| sig.set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                {options.iter().map(|(v, l)| view! { <option value=*v>{move || l.get(i18n.lang())}</option> }).collect_view()}
                            </select>
                        }.into_any(),
                        FieldKind::LongText => view! {
                            <textarea name=f.name rows="3" maxlength=f.max_chars prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))></textarea>
                        }.into_any(),
                        _ => view! { <input name=f.name maxlength=f.max_chars prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/> }.into_any(),
                    };
                    view! {
                        <label data-field=f.name>{move || f.label.get(i18n.lang())}{input}</label>
                        <FieldError result field=f.name/>
                    }
                }).collect_view()}
                <FormError result fields=REPORT_FIELDS/>
                <div class="actions"><button type="submit" data-testid="report-for-customer" disabled=move || send.pending().get()>{label}</button></div>
            </form>
        </details>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_of_the_agents_report_shows_its_own_error() {
        let declared: Vec<&str> = EXCEPTIONS.action("report_for_customer").unwrap().form.iter().map(|f| f.name).collect();
        assert_eq!(REPORT_FIELDS[0], "shipment");
        assert_eq!(&REPORT_FIELDS[1..], declared.as_slice());
    }
}
