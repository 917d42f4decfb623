//! The order desk: the queue of orders by state with SLA countdowns and bulk confirmation, and
//! one page per order with its parcels (pick lists and packing slips), its steps and its trail.

use super::api::{get_order, list_orders, ActOnOrder, ConfirmOrders};
use super::exception_pages::exceptions_panel;
use super::pages::{OrderLines, OrderNews, TrackingList};
use super::ORDERS;
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, resource, route_id, step_form, BulkReportNote, PostForm, RequirePermission, SlaBadge, StateBadge, Timeline};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use crate::components::use_query_map;

#[component]
pub fn OrderQueue() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderView><OrderQueueInner/></RequirePermission> }
}

#[component]
fn OrderQueueInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_default();
    let q = move || query.read().get("q").unwrap_or_default();
    let list = resource(move || (state(), q()), |(s, q)| list_orders(s, q));
    let can_confirm = current_user().is_some_and(|a| a.can(Permission::OrderReview));
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
                        {ORDERS.states.iter().map(|s| view! { <option value=s.id selected=state() == s.id>{s.name.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                <label>{i18n.t("order.search")}<input name="q" value=q() placeholder="#12 / name / email"/></label>
                <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
            </form>
            <BulkReportNote to={<ConfirmOrders as ServerFn>::PATH} workflow=&ORDERS/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("order.none")}</p> }.into_any();
                    }
                    let any_reviewable = can_confirm && list.iter().any(|o| o.needs_review);
                    let table = view! {
                        <div class="table-wrap">
                            <table class="data" data-testid="order-queue">
                                <thead><tr>
                                    {any_reviewable.then(|| view! { <th></th> })}
                                    <th>"#"</th><th>{i18n.t("order.customer")}</th><th>{i18n.t("field.state")}</th>
                                    <th class="num">{i18n.t("order.items")}</th><th class="num">{i18n.t("cart.total")}</th><th>"SLA"</th><th>{i18n.t("order.placed_at")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().enumerate().map(|(n, o)| view! {
                                        <tr data-order=o.id>
                                            // A chosen order posts "id:version" (see `OrderRef`).
                                            {any_reviewable.then(|| view! {
                                                <td>{o.needs_review.then(|| view! {
                                                    <input type="checkbox" aria-label="select" data-testid="choose" name=format!("orders[{n}]") value=format!("{}:{}", o.id, o.version)/>
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
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    };
                    if !any_reviewable {
                        return table.into_any();
                    }
                    // The checkboxes are the form's inputs: the chosen orders are confirmed together.
                    view! {
                        <PostForm to={<ConfirmOrders as ServerFn>::PATH.to_string()} class="bulk".to_string() step="bulk-confirm".to_string() bulk=true>
                            {table}
                            <div class="actions">
                                <button type="submit" data-testid="bulk-confirm">{i18n.t("order.confirm_chosen")}</button>
                            </div>
                        </PostForm>
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

#[component]
fn OrderDeskInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, get_order);
    view! {
        <section class="page" data-page="order-detail">
            // The order moves under other people's hands (and the carriers'): say so.
            <OrderNews id/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let o = d.order;
                    let can = |a: &str| d.actions.iter().any(|x| x == a);
                    let to = <ActOnOrder as ServerFn>::PATH;
                    let record = (o.id, o.version);
                    // A split order's parcels are packed and shipped one by one; a single
                    // parcel goes with the order's own steps.
                    let split = o.shipments.len() > 1;
                    let (pack_one, ship_one) = (split && can("pack_parcel"), split && can("ship_parcel"));
                    // The carrier of the service the customer chose comes first, if it is still used.
                    let planned = o.planned_carrier.clone().filter(|p| d.carriers.iter().any(|c| &c.0 == p));
                    let first = planned.or_else(|| d.carriers.first().map(|c| c.0.clone())).unwrap_or_default();
                    // One parcel's carrier and tracking number, as the `n`th of the step's shipments.
                    let ship_inputs = {
                        let carriers = d.carriers.clone();
                        move |n: usize, shipment_id: i64| view! {
                            <input type="hidden" name=format!("shipments[{n}][shipment_id]") value=shipment_id/>
                            <label>{i18n.t("order.carrier")}
                                <select name=format!("shipments[{n}][carrier]") data-name="carrier">
                                    {carriers.iter().map(|(code, name)| view! {
                                        <option value=code.clone() selected=*code == first>{name.get(i18n.lang()).to_string()}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>{i18n.t("order.tracking")}
                                <input name=format!("shipments[{n}][tracking_number]") data-name="tracking_number" maxlength="40"/>
                            </label>
                        }
                    };
                    // The whole order's ship step: a row per parcel packed and not shipped yet.
                    let mut ship_all = Some(o.shipments.iter().enumerate().filter(|(_, s)| s.packed_at.is_some() && s.shipped_at.is_none()).map(|(n, s)| view! {
                        <div class="row" data-testid="ship-parcel" data-parcel=s.warehouse.clone()>
                            <strong>{i18n.t("order.parcel")} " " {n + 1} " · " {s.warehouse.clone()}</strong>
                            {ship_inputs(n, s.id)}
                        </div>
                    }).collect_view());
                    // One parcel's step (split orders): the parcel is the step's only shipment.
                    let parcel_step = move |action: &'static str, extra: AnyView| view! {
                        <PostForm to=to.to_string() class="inline parcel-step".to_string() step=action.to_string()>
                            <input type="hidden" name="id" value=record.0/>
                            <input type="hidden" name="version" value=record.1/>
                            <input type="hidden" name="action" value=action/>
                            {extra}
                        </PostForm>
                    };
                    let shipped: Vec<(i64, String)> = o
                        .shipments
                        .iter()
                        .filter(|s| s.shipped_at.is_some())
                        .map(|s| (s.id, format!("{} · {} {}", s.warehouse, s.carrier_name.as_ref().map(|c| c.get(i18n.lang())).unwrap_or(""), s.tracking_number.clone().unwrap_or_default())))
                        .collect();
                    let can_report = current_user().is_some_and(|a| a.can(Permission::ExceptionHandle));
                    let steps = ["confirm", "allocate", "pick", "pack", "ship", "deliver", "complete", "request_review", "void"];
                    let oid = o.id;
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
                                    // The print style sheet shows only the parcels (pick list, packing slip).
                                    <button type="button" class="secondary" data-testid="print" onclick="window.print()">{i18n.t("order.print")}</button>
                                </div>
                                <div class="parcels printable">
                                    {o.shipments.iter().enumerate().map(|(n, s)| view! {
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
                                            {(pack_one && s.packed_at.is_none()).then(|| parcel_step("pack_parcel", view! {
                                                <input type="hidden" name="shipments[0][shipment_id]" value=s.id/>
                                                <input type="hidden" name="shipments[0][carrier]" value=""/>
                                                <input type="hidden" name="shipments[0][tracking_number]" value=""/>
                                                <button type="submit" data-testid="pack-parcel">{i18n.t("order.pack_parcel")}</button>
                                            }.into_any()))}
                                            {match (s.carrier_name.clone(), s.tracking_number.clone()) {
                                                (Some(c), Some(t)) => view! {
                                                    <p data-testid="tracking">{c.get(i18n.lang()).to_string()} " " {t} " · " {s.shipped_at.map(format_time).unwrap_or_default()}</p>
                                                    <TrackingList events=s.events.clone()/>
                                                }.into_any(),
                                                _ if ship_one && s.packed_at.is_some() => parcel_step("ship_parcel", view! {
                                                    <div class="row" data-testid="ship-parcel">
                                                        {ship_inputs(0, s.id)}
                                                        <button type="submit" class="secondary" data-testid="ship-one">{i18n.t("order.ship_parcel")}</button>
                                                    </div>
                                                }.into_any()).into_any(),
                                                _ => ().into_any(),
                                            }}
                                        </div>
                                    }).collect_view()}
                                </div>
                                {steps
                                    .into_iter()
                                    // A split order's parcels are packed and shipped in their own boxes above.
                                    .filter(|a| can(a) && !(*a == "pack" && pack_one) && !(*a == "ship" && ship_one))
                                    .map(|a| {
                                        let extra = if a == "ship" { ship_all.take() } else { None };
                                        step_form(&ORDERS, a, to, record, vec![], extra)
                                    })
                                    .collect_view()}
                                {exceptions_panel(oid, shipped, d.exceptions, can_report)}
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
