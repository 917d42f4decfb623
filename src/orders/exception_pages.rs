//! Shipping exceptions in the interface: logistics' list of open exceptions, the panel on the
//! order desk page where they are reported and worked, the form an agent reports one with from
//! the customer's ticket, and what the customer is told.

use super::api::{list_exceptions, ActOnException, ReportException, ReportExceptionForCustomer};
use super::exceptions::{kind_name, ShippingException, EXCEPTIONS};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, resource, step_form, workflow_fields, PostForm, RequirePermission, SlaBadge, StateBadge, StateFilter, Timeline};
use crate::engine::{Field, FieldKind};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;
use leptos::server_fn::ServerFn;

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

/// The order desk's panel: every exception of the order with its steps and trail, and the
/// form that reports a new one on a shipped parcel.
pub fn exceptions_panel(order_id: i64, shipped: Vec<(i64, String)>, exceptions: Vec<ShippingException>, can_report: bool) -> impl IntoView {
    let i18n = use_i18n();
    let to = <ActOnException as ServerFn>::PATH;
    let reportable = can_report && !shipped.is_empty();
    let report = EXCEPTIONS.action("report");
    let label = report.map(|a| a.label.get(i18n.lang())).unwrap_or("report");
    view! {
        <section class="exceptions" id="exceptions" data-testid="exceptions">
            <h2>{i18n.t("exception.title")}</h2>
            {exceptions.is_empty().then(|| view! { <p class="muted">{i18n.t("exception.none_here")}</p> })}
            {exceptions.into_iter().map(|e| {
                let record = (e.id, e.version);
                let can = |a: &str| e.actions.iter().any(|x| x == a);
                view! {
                    <article class="exception" data-exception=e.id data-state=e.state.clone()>
                        <h3>{kind_name(&e.kind, i18n.lang())} " · " {e.parcel(i18n.lang())} " "
                            <StateBadge workflow=&EXCEPTIONS state=e.state.clone()/> " " <SlaBadge sla=e.sla/></h3>
                        {e.ticket_id.map(|t| view! {
                            <p class="muted small" data-testid="exception-ticket">{i18n.t("exception.from_ticket")} " " {ticket_link(t)}</p>
                        })}
                        <p class="prose">{e.description.clone()}</p>
                        <p class="notice">{i18n.t("exception.customer_told")} " " {e.customer_note.clone()}</p>
                        {can("investigate").then(|| step_form(&EXCEPTIONS, "investigate", to, record, vec![], ()))}
                        {can("resolve").then(|| step_form(&EXCEPTIONS, "resolve", to, record, vec![], ()))}
                        <details><summary>{i18n.t("improvement.history")}</summary><Timeline workflow=&EXCEPTIONS events=e.events.clone()/></details>
                    </article>
                }
            }).collect_view()}
            {reportable.then(|| view! {
                <PostForm to={<ReportException as ServerFn>::PATH.to_string()} class="form step".to_string() step="report".to_string()>
                    <h3>{label}</h3>
                    <p class="sop">{report.map(|a| a.sop.get(i18n.lang())).unwrap_or("")}</p>
                    <input type="hidden" name="order_id" value=order_id/>
                    <label class="parcel-choice" data-field="shipment">{i18n.t("order.parcel")}
                        <select name="shipment_id">
                            {shipped.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    {report.map(|a| workflow_fields(a, vec![]))}
                    <button type="submit" data-testid="report">{label}</button>
                </PostForm>
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

/// The agent's form on the customer's open ticket about an order: a shipped parcel of the
/// order and the declared report form (the kind, what happened, what the customer is told).
/// The server checks each input and refuses beside it; once reported, the page loads again.
#[component]
pub fn ExceptionFromTicket(
    ticket_id: i64,
    order_id: i64,
    parcels: Vec<(i64, String)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let step = EXCEPTIONS.action("report_for_customer");
    let form: &'static [Field] = step.map(|a| a.form).unwrap_or(&[]);
    let label = step.map(|a| a.label.get(i18n.lang())).unwrap_or("report_for_customer");
    view! {
        <details class="exception-report" data-testid="exception-from-ticket">
            <summary>{label}</summary>
            <PostForm to={<ReportExceptionForCustomer as ServerFn>::PATH.to_string()} class="form".to_string()>
                <p class="sop">{step.map(|a| a.sop.get(i18n.lang())).unwrap_or("")}</p>
                <input type="hidden" name="ticket_id" value=ticket_id/>
                <input type="hidden" name="order_id" value=order_id/>
                <label data-field="shipment">{i18n.t("order.parcel")}
                    <select name="shipment_id" data-name="shipment">
                        {parcels.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </label>
                // Not `required`: the server's refusal names what is missing beside it.
                {form.iter().map(|f| {
                    let name = format!("fields[{}]", f.name);
                    let input = match f.kind {
                        FieldKind::Choice(options) => view! {
                            <select name=name data-name=f.name>
                                <option value="">"—"</option>
                                {options.iter().map(|(v, l)| view! { <option value=*v>{l.get(i18n.lang())}</option> }).collect_view()}
                            </select>
                        }.into_any(),
                        FieldKind::LongText => view! { <textarea name=name data-name=f.name rows="3" maxlength=f.max_chars></textarea> }.into_any(),
                        _ => view! { <input name=name data-name=f.name maxlength=f.max_chars/> }.into_any(),
                    };
                    view! { <label data-field=f.name>{f.label.get(i18n.lang())}{input}</label> }
                }).collect_view()}
                <div class="actions"><button type="submit" data-testid="report-for-customer">{label}</button></div>
            </PostForm>
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
