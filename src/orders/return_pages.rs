//! Returns and exchanges in the interface: the customer's request form and cases on their
//! order page, the service desk's list, and one page per case with its steps.

use super::api::{get_return, list_returns, ActOnReturn, RequestReturn};
use super::returns::{choice_name, ReturnCase, KINDS, REASONS, RETURNS};
use crate::attachments::components::{AttachmentLinks, AttachmentPicker, PickedFiles};
use crate::catalog::pages::failure;
use crate::components::{loading, resource, route_id, step_form, PostForm, RequirePermission, SlaBadge, StateBadge, StateFilter, Timeline};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;
use leptos::server_fn::ServerFn;

/// The customer's "send back" form for a delivered order: a quantity per line, return or
/// exchange, the reason, a description and photos. Once sent, the page loads again and shows
/// the case.
#[component]
pub fn ReturnRequestForm(
    order_id: i64,
    lines: Vec<super::OrderLine>,
    /// Filed by an agent from this ticket of the customer's.
    #[prop(optional)]
    ticket_id: Option<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let title = i18n.t(if ticket_id.is_some() { "return.file_for_customer" } else { "return.ask" });
    view! {
        <details class="return-request" data-testid="return-request">
            <summary>{title}</summary>
            <PostForm to={<RequestReturn as ServerFn>::PATH.to_string()} class="form".to_string()>
                <p class="sop">{RETURNS.action(if ticket_id.is_some() { "file_for_customer" } else { "request" }).map(|a| a.sop.get(i18n.lang())).unwrap_or("")}</p>
                <input type="hidden" name="input[order_id]" value=order_id/>
                {ticket_id.map(|t| view! { <input type="hidden" name="input[ticket_id]" value=t/> })}
                <table class="data lines">
                    <thead><tr><th>{i18n.t("stock.product")}</th><th class="num">{i18n.t("field.quantity")}</th><th class="num">{i18n.t("return.send_back")}</th></tr></thead>
                    <tbody>
                        {lines.iter().enumerate().map(|(n, l)| view! {
                            <tr data-sku=l.sku.clone()>
                                <td>{l.title.clone()}<br/><span class="muted small">{l.sku.clone()}</span></td>
                                <td class="num">{l.quantity}</td>
                                <td class="num">
                                    <input type="hidden" name=format!("input[lines][{n}][order_line_id]") value=l.id/>
                                    <input name=format!("input[lines][{n}][quantity]") data-name="return_quantity" size="3" inputmode="numeric" placeholder="0"/>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <fieldset class="methods">
                    {KINDS.iter().map(|(k, label)| view! {
                        <label class="inline"><input type="radio" name="input[kind]" value=*k checked=*k == "return"/>
                            {label.get(i18n.lang())}</label>
                    }).collect_view()}
                </fieldset>
                <label data-field="reason">{i18n.t("field.reason")}
                    <select name="input[reason]">
                        <option value="">"—"</option>
                        {REASONS.iter().map(|(k, label)| view! { <option value=*k>{label.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                <label data-field="description">{i18n.t("return.describe")}
                    <textarea name="input[description]" rows="3" maxlength="1000"></textarea>
                </label>
                <ReturnPhotos/>
                <div class="actions"><button type="submit" data-testid="send-return-request">{title}</button></div>
            </PostForm>
        </details>
    }
}

/// The photos of a return request: uploaded as they are picked, and sent with the form as
/// `input[photos][n]`. The only part of the form that runs in the browser.
#[island]
fn ReturnPhotos() -> impl IntoView {
    let picked = PickedFiles::new();
    view! {
        <AttachmentPicker picked photos=true/>
        {move || picked.files.with(|f| f.iter().enumerate().map(|(n, a)| view! {
            <input type="hidden" name=format!("input[photos][{n}]") value=a.id/>
        }).collect_view())}
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

#[component]
fn ReturnInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, get_return);
    view! {
        <section class="page" data-page="return-detail">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let c = d.case;
                    let can = |a: &str| d.actions.iter().any(|x| x == a);
                    let inspecting = can("inspect");
                    let to = <ActOnReturn as ServerFn>::PATH;
                    let record = (c.id, c.version);
                    // While inspecting, per line: units to restock (preset to all) and to scrap.
                    let show = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
                    let table = view! {
                        <div class="table-wrap">
                            <table class="data lines" data-testid="return-lines">
                                <thead><tr>
                                    <th>"SKU"</th><th>{i18n.t("stock.product")}</th><th class="num">{i18n.t("field.quantity")}</th>
                                    <th class="num">{i18n.t("return.restock")}</th><th class="num">{i18n.t("return.scrap")}</th>
                                </tr></thead>
                                <tbody>
                                    {c.lines.iter().enumerate().map(|(n, l)| view! {
                                        <tr data-line-sku=l.sku.clone()>
                                            <td>{l.sku.clone()}</td><td>{l.title.clone()}</td><td class="num">{l.quantity}</td>
                                            {if inspecting {
                                                view! {
                                                    <td class="num">
                                                        <input type="hidden" name=format!("inspections[{n}][line_id]") value=l.id/>
                                                        <input name=format!("inspections[{n}][restock]") data-name="restock" size="4" inputmode="numeric" value=l.quantity/>
                                                    </td>
                                                    <td class="num"><input name=format!("inspections[{n}][scrap]") data-name="scrap" size="4" inputmode="numeric" value="0"/></td>
                                                }.into_any()
                                            } else {
                                                view! { <td class="num">{show(l.restocked)}</td><td class="num">{show(l.scrapped)}</td> }.into_any()
                                            }}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
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
                                {if inspecting { step_form(&RETURNS, "inspect", to, record, vec![], table).into_any() } else { table.into_any() }}
                                {["approve", "reject", "receive", "refund", "exchange"].into_iter().filter(|a| can(a)).map(|a| step_form(&RETURNS, a, to, record, vec![], ())).collect_view()}
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
