//! Returns and exchanges in the interface: the customer's request form and cases on their
//! order page, the service desk's list, and one page per case with its steps.

use super::api::{act_on_return, get_return, list_returns, request_return};
use super::returns::{choice_name, ReturnCase, ReturnInspection, ReturnLineInput, ReturnRequest, KINDS, REASONS, RETURNS};
use crate::attachments::components::{AttachmentLinks, AttachmentPicker, PickedFiles};
use crate::catalog::pages::failure;
use crate::components::{loading, route_id, step_action, step_box, successes, resource, FieldError, FormError, RequirePermission, SlaBadge, StateBadge, StateFilter, Timeline};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;
use std::collections::HashMap;

/// The customer's "send back" form for a delivered order: a quantity per line, return or
/// exchange, the reason and a description.
#[component]
pub fn ReturnRequestForm(
    order_id: i64,
    lines: Vec<super::OrderLine>,
    on_done: RwSignal<usize>,
    /// Filed by an agent from this ticket of the customer's.
    #[prop(optional)]
    ticket_id: Option<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let quantities: Vec<(i64, RwSignal<String>)> = lines.iter().map(|l| (l.id, RwSignal::new(String::new()))).collect();
    let quantities = StoredValue::new(quantities);
    let (kind, reason, description) = (RwSignal::new("return".to_string()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let send = Action::new(|input: &ReturnRequest| {
        let input = input.clone();
        async move { request_return(input).await }
    });
    let sent = successes(send);
    Effect::new(move |_| {
        if sent.get() > 0 {
            on_done.update(|n| *n += 1);
        }
    });
    let result = Signal::derive(move || send.value().get());
    let picked = PickedFiles::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send.dispatch(ReturnRequest {
            order_id,
            kind: kind.get_untracked(),
            reason: reason.get_untracked(),
            description: description.get_untracked(),
            lines: quantities.with_value(|q| q.iter().map(|(id, s)| ReturnLineInput { order_line_id: *id, quantity: s.get_untracked() }).collect()),
            photos: picked.ids(),
            ticket_id,
        });
    };
    view! {
        <details class="return-request" data-testid="return-request">
            <summary>{i18n.t(if ticket_id.is_some() { "return.file_for_customer" } else { "return.ask" })}</summary>
            <form class="form" on:submit=submit>
                <p class="sop">{move || RETURNS.action(if ticket_id.is_some() { "file_for_customer" } else { "request" }).map(|a| a.sop.get(i18n.lang())).unwrap_or("")}</p>
                <table class="data lines">
                    <thead><tr><th>{i18n.t("stock.product")}</th><th class="num">{i18n.t("field.quantity")}</th><th class="num">{i18n.t("return.send_back")}</th></tr></thead>
                    <tbody>
                        {lines.iter().enumerate().map(|(n, l)| {
                            let sig = quantities.with_value(|q| q[n].1);
                            view! {
                                <tr data-sku=l.sku.clone()>
                                    <td>{l.title.clone()}<br/><span class="muted small">{l.sku.clone()}</span></td>
                                    <td class="num">{l.quantity}</td>
                                    <td class="num"><input name="return_quantity" size="3" inputmode="numeric" placeholder="0"
                                        prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <FieldError result field="lines"/>
                <fieldset class="methods">
                    {KINDS.iter().map(|(k, label)| view! {
                        <label class="inline"><input type="radio" name="kind" value=*k prop:checked=move || kind.get() == *k on:change=move |_| kind.set(k.to_string())/>
                            {move || label.get(i18n.lang())}</label>
                    }).collect_view()}
                </fieldset>
                <label data-field="reason">{i18n.t("field.reason")}
                    <select name="reason" on:change=move |ev| reason.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {REASONS.iter().map(|(k, label)| view! { <option value=*k>{move || label.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                <FieldError result field="reason"/>
                <label data-field="description">{i18n.t("return.describe")}
                    <textarea name="description" rows="3" maxlength="1000" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                </label>
                <FieldError result field="description"/>
                <AttachmentPicker picked photos=true/>
                <FieldError result field="attachments"/>
                <FormError result fields=&["lines", "reason", "description", "kind", "attachments"]/>
                <div class="actions"><button type="submit" data-testid="send-return-request" disabled=move || picked.uploading() || send.pending().get()>
                    {i18n.t(if ticket_id.is_some() { "return.file_for_customer" } else { "return.ask" })}</button></div>
            </form>
        </details>
    }
}

/// A customer's cases on one order: what was asked, the answer, and where it stands.
#[component]
pub fn CustomerReturns(returns: Vec<ReturnCase>) -> impl IntoView {
    let i18n = use_i18n();
    (!returns.is_empty()).then(|| view! {
        <section class="returns" data-testid="customer-returns">
            <h2>{i18n.t("return.title")}</h2>
            <ul>
                {returns.into_iter().map(|c| {
                    let (kind, reason) = (c.kind.clone(), c.reason.clone());
                    view! {
                        <li data-return=c.id data-state=c.state.clone()>
                            <strong>{move || choice_name(&kind, i18n.lang())}</strong> " · " {move || choice_name(&reason, i18n.lang())} " "
                            <StateBadge workflow=&RETURNS state=c.state.clone()/>
                            <span class="muted small">" " {c.lines.iter().map(|l| format!("{} × {}", l.title, l.quantity)).collect::<Vec<_>>().join(", ")}</span>
                            <AttachmentLinks files=c.photos.clone()/>
                            {c.answer.clone().map(|a| view! { <p>{a}</p> })}
                            {c.refund_amount.map(|a| view! { <p>{i18n.t("order.refund_pending")} " " {price_label(a)}</p> })}
                            {c.tracking_number.clone().map(|t| view! { <p>{i18n.t("return.exchange_sent")} " " <span data-testid="exchange-tracking">{t}</span></p> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    })
}

#[component]
pub fn ReturnList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderView><ReturnListInner/></RequirePermission> }
}

#[component]
fn ReturnListInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let list = resource(move || query.read().get("state").unwrap_or_default(), list_returns);
    view! {
        <section class="page" data-page="returns">
            <div class="page-head">
                <h1>{i18n.t("return.title")}</h1>
                <div class="actions"><a href="/sop/return" class="button secondary">{i18n.t("improvement.sop")}</a></div>
            </div>
            <StateFilter workflow=&RETURNS action="/returns"/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("return.none")}</p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="data" data-testid="return-list">
                                <thead><tr>
                                    <th>"#"</th><th>{i18n.t("order.one")}</th><th>{i18n.t("order.customer")}</th><th>{i18n.t("exception.kind")}</th>
                                    <th>{i18n.t("field.reason")}</th><th>{i18n.t("field.state")}</th><th>"SLA"</th><th>{i18n.t("audit.when")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|c| {
                                        let (kind, reason) = (c.kind.clone(), c.reason.clone());
                                        view! {
                                            <tr data-return=c.id>
                                                <td><a href=format!("/returns/{}", c.id)>{c.id}</a></td>
                                                <td><a href=format!("/orders/{}", c.order_id)>"#" {c.order_id}</a></td>
                                                <td>{c.customer}</td>
                                                <td>{move || choice_name(&kind, i18n.lang())}</td>
                                                <td>{move || choice_name(&reason, i18n.lang())}</td>
                                                <td><StateBadge workflow=&RETURNS state=c.state/></td>
                                                <td><SlaBadge sla=c.sla/></td>
                                                <td>{format_time(c.created_at)}</td>
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

#[component]
pub fn ReturnPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderView><ReturnInner id=route_id("id")/></RequirePermission> }
}

type ReturnArgs = (i64, i64, String, HashMap<String, String>, Vec<ReturnInspection>);

#[island]
fn ReturnInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let id = move || id;
    let (act, done, result) = step_action(|(id, version, action, fields, inspections): ReturnArgs| act_on_return(id, version, action, fields, inspections));
    let detail = resource(move || (id(), done.get()), |(id, _)| get_return(id));
    view! {
        <section class="page" data-page="return-detail">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let c = d.case;
                    let can = |a: &str| d.actions.iter().any(|x| x == a);
                    let inspecting = can("inspect");
                    // Per line: units to restock (preset to all) and to scrap.
                    let inputs: Vec<(i64, [RwSignal<String>; 2])> =
                        c.lines.iter().map(|l| (l.id, [RwSignal::new(l.quantity.to_string()), RwSignal::new("0".to_string())])).collect();
                    let inputs = StoredValue::new(inputs);
                    let (cid, version) = (c.id, c.version);
                    let send = move |action: &'static str, fields: HashMap<String, String>| {
                        let inspections = if action == "inspect" {
                            inputs.with_value(|v| v.iter().map(|(line_id, s)| ReturnInspection { line_id: *line_id, restock: s[0].get_untracked(), scrap: s[1].get_untracked() }).collect())
                        } else {
                            Vec::new()
                        };
                        act.dispatch((cid, version, action.to_string(), fields, inspections));
                    };
                    let cell = |sig: RwSignal<String>, name: &'static str| view! {
                        <input name=name size="4" inputmode="numeric" prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
                    };
                    let (kind, reason) = (c.kind.clone(), c.reason.clone());
                    view! {
                        <div class="page-head">
                            <h1>{i18n.t("return.one")} " #" {c.id} " · " {move || choice_name(&kind, i18n.lang())}</h1>
                            <div><StateBadge workflow=&RETURNS state=c.state.clone()/> " " <SlaBadge sla=c.sla/></div>
                        </div>
                        <div class="columns">
                            <div>
                                <dl class="facts">
                                    <dt>{i18n.t("order.one")}</dt><dd><a href=format!("/orders/{}", c.order_id)>"#" {c.order_id}</a> " · " {c.customer.clone()}</dd>
                                    <dt>{i18n.t("field.reason")}</dt><dd>{move || choice_name(&reason, i18n.lang())}</dd>
                                    <dt>{i18n.t("return.describe")}</dt><dd class="prose">{c.description.clone()}</dd>
                                    {(!c.photos.is_empty()).then(|| view! { <dt>{i18n.t("return.photos")}</dt><dd><AttachmentLinks files=c.photos.clone()/></dd> })}
                                    {c.answer.clone().map(|a| view! { <dt>{i18n.t("return.answer")}</dt><dd>{a}</dd> })}
                                    {c.problem.clone().map(|p| view! { <dt>{i18n.t("field.problem")}</dt><dd>{p}</dd> })}
                                    {c.solution.clone().map(|s| view! { <dt>{i18n.t("field.solution")}</dt><dd>{s}</dd> })}
                                    {c.refund_amount.map(|a| view! { <dt>{i18n.t("order.refunds")}</dt><dd>{price_label(a)}</dd> })}
                                    {c.tracking_number.clone().map(|t| view! { <dt>{i18n.t("return.exchange_sent")}</dt><dd>{t}</dd> })}
                                </dl>
                                <div class="table-wrap">
                                    <table class="data lines" data-testid="return-lines">
                                        <thead><tr>
                                            <th>"SKU"</th><th>{i18n.t("stock.product")}</th><th class="num">{i18n.t("field.quantity")}</th>
                                            <th class="num">{i18n.t("return.restock")}</th><th class="num">{i18n.t("return.scrap")}</th>
                                        </tr></thead>
                                        <tbody>
                                            {c.lines.iter().enumerate().map(|(n, l)| {
                                                let s = inputs.with_value(|v| v[n].1);
                                                let show = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
                                                view! {
                                                    <tr data-line-sku=l.sku.clone()>
                                                        <td>{l.sku.clone()}</td><td>{l.title.clone()}</td><td class="num">{l.quantity}</td>
                                                        {if inspecting {
                                                            view! { <td class="num">{cell(s[0], "restock")}</td><td class="num">{cell(s[1], "scrap")}</td> }.into_any()
                                                        } else {
                                                            view! { <td class="num">{show(l.restocked)}</td><td class="num">{show(l.scrapped)}</td> }.into_any()
                                                        }}
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <FieldError result field="lines"/>
                                <FormError result fields=&["lines", "note", "reason", "problem", "solution", "tracking_number"]/>
                                {["approve", "reject", "receive", "inspect", "refund", "exchange"].into_iter().filter(|a| can(a)).map(|a| step_box(&RETURNS, a, send)).collect_view()}
                            </div>
                            <aside>
                                <h2>{i18n.t("improvement.history")}</h2>
                                <Timeline workflow=&RETURNS events=d.events/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
