//! The order desk: the queue of orders by state with SLA countdowns and bulk confirmation, and
//! one page per order with its parcels (pick lists and packing slips), its steps and its trail.

use super::api::{act_on_exception, act_on_order, confirm_orders, get_order, list_orders, report_exception};
use super::exception_pages::{exceptions_panel, ExceptionStepArgs, ReportArgs};
use super::pages::{follow_order, OrderLines, TrackingList};
use super::{ShipmentInput, ORDERS};
use crate::catalog::pages::failure;
use crate::components::{current_user, error_text, loading, route_id, step_action, step_box, successes, resource, FieldError, FormError, RequirePermission, SlaBadge, StateBadge, Timeline};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;
use std::collections::HashMap;

#[component]
pub fn OrderQueue() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderView><OrderQueueInner/></RequirePermission> }
}

#[island]
fn OrderQueueInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_default();
    let q = move || query.read().get("q").unwrap_or_default();
    let confirm = Action::new(|orders: &Vec<(i64, i64)>| {
        let orders = orders.clone();
        async move { confirm_orders(orders).await }
    });
    let confirmed = successes(confirm);
    let list = resource(move || (state(), q(), confirmed.get()), |(s, q, _)| list_orders(s, q));
    let chosen = RwSignal::new(Vec::<(i64, i64)>::new());
    let can_confirm = current_user().is_some_and(|a| a.can(Permission::OrderReview));
    let bulk_result = Signal::derive(move || confirm.value().get());
    view! {
        <section class="page" data-page="orders">
            <div class="page-head">
                <h1>{i18n.t("order.title")}</h1>
                <div class="actions"><a href="/sop/order" class="button secondary">{i18n.t("improvement.sop")}</a></div>
            </div>
            <form method="get" action="/orders" class="filters">
                <label>{i18n.t("field.state")}
                    <select name="state">
                        <option value="">{i18n.t("audit.all")}</option>
                        {ORDERS.states.iter().map(|s| view! { <option value=s.id selected=move || state() == s.id>{move || s.name.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                <label>{i18n.t("order.search")}<input name="q" value=q placeholder="#12 / name / email"/></label>
                <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
            </form>
            {move || bulk_result.get().map(|r| match r {
                Ok(results) => {
                    let failed: Vec<String> = results.iter().filter_map(|(id, r)| r.as_ref().err().map(|e| format!("#{id}: {}", error_text(e, i18n.lang())))).collect();
                    let ok = results.len() - failed.len();
                    view! {
                        <p class="notice" data-testid="bulk-result">{i18n.t("order.bulk_confirmed")} " " {ok}
                            {failed.into_iter().map(|f| view! { <br/><span class="form-error">{f}</span> }).collect_view()}</p>
                    }.into_any()
                }
                Err(e) => view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
            })}
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    chosen.set(Vec::new());
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("order.none")}</p> }.into_any();
                    }
                    let any_reviewable = can_confirm && list.iter().any(|o| o.needs_review);
                    view! {
                        <div class="table-wrap">
                            <table class="data" data-testid="order-queue">
                                <thead><tr>
                                    {any_reviewable.then(|| view! { <th></th> })}
                                    <th>"#"</th><th>{i18n.t("order.customer")}</th><th>{i18n.t("field.state")}</th>
                                    <th class="num">{i18n.t("order.items")}</th><th class="num">{i18n.t("cart.total")}</th><th>"SLA"</th><th>{i18n.t("order.placed_at")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|o| {
                                        let pick = (o.id, o.version);
                                        view! {
                                            <tr data-order=o.id>
                                                {any_reviewable.then(|| view! {
                                                    <td>{o.needs_review.then(|| view! {
                                                        <input type="checkbox" aria-label="select" data-testid="choose" on:change=move |ev| {
                                                            let on = event_target_checked(&ev);
                                                            chosen.update(|c| { c.retain(|x| *x != pick); if on { c.push(pick); } });
                                                        }/>
                                                    })}</td>
                                                })}
                                                <td><a href=format!("/orders/{}", o.id)>{o.id}</a></td>
                                                <td>{o.customer}</td>
                                                <td><StateBadge workflow=&ORDERS state=o.state/></td>
                                                <td class="num">{o.units}</td>
                                                <td class="num">{price_label(o.total)}</td>
                                                <td><SlaBadge sla=o.sla/></td>
                                                <td>{format_time(o.created_at)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {any_reviewable.then(|| view! {
                            <div class="actions">
                                <button type="button" data-testid="bulk-confirm" disabled=move || chosen.with(Vec::is_empty)
                                    on:click=move |_| { confirm.dispatch(chosen.get_untracked()); }>
                                    {i18n.t("order.confirm_chosen")} " (" {move || chosen.with(Vec::len)} ")"
                                </button>
                            </div>
                        })}
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn OrderDeskPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderView><OrderDeskInner id=route_id("id")/></RequirePermission> }
}

type StepArgs = (i64, i64, String, HashMap<String, String>, Vec<ShipmentInput>);

/// Prints the page: the print style sheet shows only the parcels (pick list, packing slip).
fn print_page() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().print();
    }
}

#[island]
fn OrderDeskInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let id = move || id;
    let (act, done, result) = step_action(|(id, version, action, fields, shipments): StepArgs| act_on_order(id, version, action, fields, shipments));
    let news = follow_order(id);
    let report = Action::new(|(order, parcel, fields): &ReportArgs| {
        let (order, parcel, fields) = (*order, *parcel, fields.clone());
        async move { report_exception(order, parcel, fields).await }
    });
    let reported = successes(report);
    let report_result = Signal::derive(move || report.value().get().map(|r| r.map(|_| ())));
    let (ex_step, ex_done, ex_result) = step_action(|(id, version, action, fields): ExceptionStepArgs| act_on_exception(id, version, action, fields));
    let detail = resource(move || (id(), done.get(), news.get(), reported.get(), ex_done.get()), |(id, ..)| get_order(id));
    view! {
        <section class="page" data-page="order-detail">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let o = d.order;
                    let can = |a: &str| d.actions.iter().any(|x| x == a);
                    let shipping = can("ship");
                    // A split order's parcels are packed and shipped one by one; a single
                    // parcel goes with the order's own steps.
                    let split = o.shipments.len() > 1;
                    let (pack_one, ship_one) = (split && can("pack_parcel"), split && can("ship_parcel"));
                    // Per parcel: carrier and tracking number, for the ship step.
                    // The carrier of the service the customer chose comes first, if it is still used.
                    let carriers = StoredValue::new(d.carriers.clone());
                    let planned = o.planned_carrier.clone().filter(|p| d.carriers.iter().any(|c| &c.0 == p));
                    let first = planned.or_else(|| d.carriers.first().map(|c| c.0.clone())).unwrap_or_default();
                    let inputs: Vec<(i64, [RwSignal<String>; 2])> =
                        o.shipments.iter().map(|s| (s.id, [RwSignal::new(first.clone()), RwSignal::new(String::new())])).collect();
                    let inputs = StoredValue::new(inputs);
                    let (oid, version) = (o.id, o.version);
                    let send = move |action: &'static str, fields: HashMap<String, String>| {
                        let shipments = if action == "ship" {
                            inputs.with_value(|v| v.iter().map(|(sid, s)| ShipmentInput { shipment_id: *sid, carrier: s[0].get_untracked(), tracking_number: s[1].get_untracked() }).collect())
                        } else {
                            Vec::new()
                        };
                        act.dispatch((oid, version, action.to_string(), fields, shipments));
                    };
                    let send_parcel = move |action: &'static str, n: usize| {
                        let one = inputs.with_value(|v| {
                            let (sid, s) = &v[n];
                            ShipmentInput { shipment_id: *sid, carrier: s[0].get_untracked(), tracking_number: s[1].get_untracked() }
                        });
                        act.dispatch((oid, version, action.to_string(), HashMap::new(), vec![one]));
                    };
                    let shipped: Vec<(i64, String)> = o
                        .shipments
                        .iter()
                        .filter(|s| s.shipped_at.is_some())
                        .map(|s| (s.id, format!("{} · {} {}", s.warehouse, s.carrier_name.as_ref().map(|c| c.get(i18n.lang())).unwrap_or(""), s.tracking_number.clone().unwrap_or_default())))
                        .collect();
                    let can_report = current_user().is_some_and(|a| a.can(Permission::ExceptionHandle));
                    let steps = ["confirm", "allocate", "pick", "pack", "ship", "deliver", "complete", "request_review", "void"];
                    view! {
                        <div class="page-head">
                            <h1>{i18n.t("order.one")} " #" {o.id} " · " {o.customer.clone()}</h1>
                            <div><StateBadge workflow=&ORDERS state=o.state.clone()/> " " <SlaBadge sla=o.sla/></div>
                        </div>
                        <div class="columns">
                            <div>
                                {(o.state == super::PAID.id).then(|| view! { <p class="notice" data-testid="needs-review">{i18n.t("order.review_notice")}</p> })}
                                {o.cancel_reason.clone().map(|r| view! { <p class="notice">{i18n.t("order.cancelled_because")} " " {r}</p> })}
                                <OrderLines order=o.clone()/>
                                <dl class="facts">
                                    <dt>{i18n.t("order.payments")}</dt>
                                    <dd>{if o.payments.is_empty() { "—".to_string() } else {
                                        o.payments.iter().map(|p| format!("{} {} •••• {}", p.outcome, price_label(p.amount), p.card_last4.clone().unwrap_or_default())).collect::<Vec<_>>().join("; ")
                                    }}</dd>
                                    {(!o.refunds.is_empty()).then(|| view! {
                                        <dt>{i18n.t("order.refunds")}</dt>
                                        <dd>{o.refunds.iter().map(|r| format!("{} · {} · {}", price_label(r.0), r.1, r.2)).collect::<Vec<_>>().join("; ")}</dd>
                                    })}
                                </dl>
                                <div class="page-head">
                                    <h2>{i18n.t("order.parcels")}</h2>
                                    <button type="button" class="secondary" data-testid="print" on:click=move |_| print_page()>{i18n.t("order.print")}</button>
                                </div>
                                <div class="parcels printable">
                                    {o.shipments.iter().enumerate().map(|(n, s)| {
                                        let sig = inputs.with_value(|v| v[n].1);
                                        view! {
                                            <div class="parcel" data-parcel=s.warehouse.clone()>
                                                <h3>{i18n.t("order.parcel")} " " {n + 1} " · " {s.warehouse.clone()} " " {s.warehouse_name.clone()}</h3>
                                                <p class="print-only">{i18n.t("order.one")} " #" {oid} " · " {o.recipient.clone()} " · " {o.phone.clone()} " · " {o.address.clone()}</p>
                                                <table class="data pick-list">
                                                    <thead><tr><th>"SKU"</th><th>{i18n.t("stock.product")}</th><th class="num">{i18n.t("field.quantity")}</th><th class="print-only">"✓"</th></tr></thead>
                                                    <tbody>
                                                        {s.items.iter().map(|i| view! { <tr><td>{i.0.clone()}</td><td>{i.1.clone()}</td><td class="num">{i.2}</td><td class="print-only">"☐"</td></tr> }).collect_view()}
                                                    </tbody>
                                                </table>
                                                {match (s.packed_at, s.shipped_at) {
                                                    (Some(at), None) => Some(view! { <p class="muted small" data-testid="parcel-packed">{i18n.t("order.packed_at")} " " {format_time(at)}</p> }.into_any()),
                                                    (None, _) if split && o.state == super::PICKING.id => Some(view! { <p class="muted small">{i18n.t("order.parcel_waiting")}</p> }.into_any()),
                                                    _ => None,
                                                }}
                                                {(pack_one && s.packed_at.is_none()).then(|| view! {
                                                    <button type="button" data-testid="pack-parcel" disabled=move || act.pending().get()
                                                        on:click=move |_| send_parcel("pack_parcel", n)>{i18n.t("order.pack_parcel")}</button>
                                                })}
                                                {match (s.carrier_name.clone(), s.tracking_number.clone()) {
                                                    (Some(c), Some(t)) => view! {
                                                        <p data-testid="tracking">{move || c.get(i18n.lang()).to_string()} " " {t} " · " {s.shipped_at.map(format_time).unwrap_or_default()}</p>
                                                        <TrackingList events=s.events.clone()/>
                                                    }.into_any(),
                                                    _ if (shipping || ship_one) && s.packed_at.is_some() => view! {
                                                        <div class="row" data-testid="ship-parcel">
                                                            <label>{i18n.t("order.carrier")}
                                                                <select name="carrier" on:change=move |ev| sig[0].set(event_target_value(&ev))>
                                                                    {carriers.get_value().into_iter().map(|(code, name)| {
                                                                        let chosen = sig[0].get_untracked() == code;
                                                                        view! { <option value=code selected=chosen>{move || name.get(i18n.lang()).to_string()}</option> }
                                                                    }).collect_view()}
                                                                </select>
                                                            </label>
                                                            <label>{i18n.t("order.tracking")}
                                                                <input name="tracking_number" maxlength="40" prop:value=move || sig[1].get() on:input=move |ev| sig[1].set(event_target_value(&ev))/>
                                                            </label>
                                                            {ship_one.then(|| view! {
                                                                <button type="button" class="secondary" data-testid="ship-one" disabled=move || act.pending().get()
                                                                    on:click=move |_| send_parcel("ship_parcel", n)>{i18n.t("order.ship_parcel")}</button>
                                                            })}
                                                        </div>
                                                    }.into_any(),
                                                    _ => ().into_any(),
                                                }}
                                            </div>
                                        }
                                    }).collect_view()}
                                </div>
                                <FieldError result field="shipments"/>
                                <FormError result fields=&["shipments", "reason", "note"]/>
                                {steps
                                    .into_iter()
                                    // A split order's parcels are packed and shipped in their own boxes above.
                                    .filter(|a| can(a) && !(*a == "pack" && pack_one) && !(*a == "ship" && ship_one))
                                    .map(|a| step_box(&ORDERS, a, send))
                                    .collect_view()}
                                <FieldError result=report_result field="shipment"/>
                                <FormError result=report_result fields=&["shipment"]/>
                                <FormError result=ex_result/>
                                {exceptions_panel(oid, shipped, d.exceptions, can_report, report, ex_step)}
                            </div>
                            <aside>
                                <h2>{i18n.t("improvement.history")}</h2>
                                <Timeline workflow=&ORDERS events=d.events/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
