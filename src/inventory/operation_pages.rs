//! Pages of transfers between warehouses and of stock counts: lists, the forms that start
//! them, and one page per record with its steps and its audit trail.

use super::api::{get_count, get_transfer, list_counts, list_transfers, request_transfer, start_count, ActOnCount, ActOnTransfer};
use super::counts::COUNTS;
use super::pages::{lines_of, new_lines, SkuLines, WarehouseSelect};
use super::transfers::{TransferLineInput, TRANSFERS};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, open_when_saved, route_id, step_form, resource, FieldError, FormError, RequirePermission, SlaBadge, StateBadge, StateFilter, Timeline};
use crate::domain::{format_money, format_time, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;
use leptos::server_fn::ServerFn;
use std::collections::HashMap;

// ---------------------------------------------------------------- transfers

#[component]
pub fn TransferList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::WarehousePage><TransfersInner/></RequirePermission> }
}

#[component]
fn TransfersInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let list = resource(move || query.read().get("state").unwrap_or_default(), list_transfers);
    let can_request = current_user().is_some_and(|a| a.can(Permission::StockTransfer));
    view! {
        <section class="page" data-page="transfers">
            <div class="page-head">
                <h1>{i18n.t("transfer.title")}</h1>
                <div class="actions">
                    <a href="/sop/transfer" class="button secondary">{i18n.t("improvement.sop")}</a>
                    {can_request.then(|| view! { <a class="button" href="/transfers/new" data-testid="new-transfer">{i18n.t("transfer.new")}</a> })}
                </div>
            </div>
            <StateFilter workflow=&TRANSFERS action="/transfers"/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("transfer.none")}</p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr><th>"#"</th><th>{i18n.t("transfer.from")}</th><th>{i18n.t("transfer.to")}</th><th>{i18n.t("field.waybill")}</th><th>{i18n.t("field.state")}</th><th>"SLA"</th><th>{i18n.t("audit.when")}</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! {
                                        <tr data-transfer=t.id>
                                            <td><a href=format!("/transfers/{}", t.id)>{t.id}</a></td>
                                            <td>{t.from_warehouse}</td><td>{t.to_warehouse}</td>
                                            <td>{t.waybill.unwrap_or_default()}</td>
                                            <td><StateBadge workflow=&TRANSFERS state=t.state/></td>
                                            <td><SlaBadge sla=t.sla/></td>
                                            <td>{format_time(t.created_at)}</td>
                                        </tr>
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
pub fn TransferNew() -> impl IntoView {
    view! { <RequirePermission permission=Permission::StockTransfer><TransferNewInner/></RequirePermission> }
}

#[island]
fn TransferNewInner() -> impl IntoView {
    let i18n = use_i18n();
    let request = TRANSFERS.action("request").expect("declared");
    let (from, to) = (RwSignal::new(0i64), RwSignal::new(0i64));
    let note = RwSignal::new(String::new());
    let lines = new_lines();
    let save = Action::new(|(from, to, f, l): &(i64, i64, HashMap<String, String>, Vec<TransferLineInput>)| {
        let (from, to, f, l) = (*from, *to, f.clone(), l.clone());
        async move { request_transfer(from, to, f, l).await }
    });
    open_when_saved(save, "/transfers");
    let result = Signal::derive(move || save.value().get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fields = HashMap::from([("note".to_string(), note.get_untracked())]);
        let lines = lines_of(lines).into_iter().map(|(sku, quantity)| TransferLineInput { sku, quantity }).collect();
        save.dispatch((from.get_untracked(), to.get_untracked(), fields, lines));
    };
    view! {
        <section class="page" data-page="transfer-new">
            <h1>{i18n.t("transfer.new")}</h1>
            <p class="sop">{move || request.sop.get(i18n.lang())}</p>
            <form class="form wide" on:submit=submit>
                <WarehouseSelect label="transfer.from" name="from_warehouse" selected=from/>
                <FieldError result field="from_warehouse"/>
                <WarehouseSelect label="transfer.to" name="to_warehouse" selected=to preset=1/>
                <FieldError result field="to_warehouse"/>
                <label data-field="note">{i18n.t("receipt.note")}
                    <textarea name="note" rows="2" maxlength="1000" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                </label>
                <FieldError result field="note"/>
                <h2>{i18n.t("receipt.lines")}</h2>
                <SkuLines lines quantity_label="field.quantity" quantity_name="quantity"/>
                <FieldError result field="lines"/>
                <FormError result fields=&["from_warehouse", "to_warehouse", "note", "lines"]/>
                <div class="actions"><button type="submit" data-testid="save-transfer">{move || request.label.get(i18n.lang())}</button></div>
            </form>
        </section>
    }
}

#[component]
pub fn TransferPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::WarehousePage><TransferInner id=route_id("id")/></RequirePermission> }
}

#[component]
fn TransferInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, get_transfer);
    view! {
        <section class="page" data-page="transfer-detail">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let t = d.transfer;
                    let can = |a: &str| d.actions.iter().any(|x| x == a);
                    let receiving = can("receive");
                    let to = <ActOnTransfer as ServerFn>::PATH;
                    let record = (t.id, t.version);
                    // While receiving, what arrived per line: received (preset to what was
                    // shipped) and the shortfall reason.
                    let lines = t.lines.iter().enumerate().map(|(n, l)| view! {
                        <tr data-line-sku=l.sku.clone()>
                            <td><a href=format!("/stock/{}", l.sku_id)>{l.sku.clone()}</a></td><td>{l.product.clone()}</td>
                            <td class="num">{l.quantity}</td>
                            {if receiving {
                                view! {
                                    <td class="num">
                                        <input type="hidden" name=format!("arrivals[{n}][line_id]") value=l.id/>
                                        <input name=format!("arrivals[{n}][received]") data-name="received" size="8" value=l.quantity/>
                                    </td>
                                    <td><input name=format!("arrivals[{n}][shortfall_reason]") data-name="shortfall_reason" size="8"/></td>
                                }.into_any()
                            } else {
                                let short = l.received.is_some_and(|r| r < l.quantity);
                                view! {
                                    <td class="num" class:alert=short>{l.received.map(|r| r.to_string()).unwrap_or_else(|| "—".into())}</td>
                                    <td>{l.shortfall_reason.clone().unwrap_or_default()}</td>
                                }.into_any()
                            }}
                        </tr>
                    }).collect_view();
                    let table = view! {
                        <div class="table-wrap">
                            <table class="data lines" data-testid="transfer-lines">
                                <thead><tr>
                                    <th>"SKU"</th><th>{i18n.t("stock.product")}</th><th class="num">{i18n.t("field.quantity")}</th>
                                    <th class="num">{i18n.t("receipt.received")}</th><th>{i18n.t("field.shortfall_reason")}</th>
                                </tr></thead>
                                <tbody>{lines}</tbody>
                            </table>
                        </div>
                    };
                    view! {
                        <div class="page-head">
                            <h1>{i18n.t("transfer.one")} " #" {t.id} " · " {t.from_warehouse.clone()} " → " {t.to_warehouse.clone()}</h1>
                            <div><StateBadge workflow=&TRANSFERS state=t.state.clone()/> " " <SlaBadge sla=t.sla/></div>
                        </div>
                        <div class="columns">
                            <div>
                                <dl class="facts">
                                    <dt>{i18n.t("transfer.from")}</dt><dd>{t.from_warehouse.clone()}</dd>
                                    <dt>{i18n.t("transfer.to")}</dt><dd>{t.to_warehouse.clone()}</dd>
                                    {t.waybill.clone().map(|w| view! { <dt>{i18n.t("field.waybill")}</dt><dd>{w}</dd> })}
                                    <dt>{i18n.t("field.submitted_by")}</dt><dd>{t.created_by.clone()} " · " {format_time(t.created_at)}</dd>
                                    {t.note.clone().map(|n| view! { <dt>{i18n.t("receipt.note")}</dt><dd class="prose">{n}</dd> })}
                                </dl>
                                {if receiving { step_form(&TRANSFERS, "receive", to, record, vec![], table).into_any() } else { table.into_any() }}
                                {can("ship").then(|| step_form(&TRANSFERS, "ship", to, record, vec![], ()))}
                                {can("cancel").then(|| step_form(&TRANSFERS, "cancel", to, record, vec![], ()))}
                            </div>
                            <aside>
                                <h2>{i18n.t("improvement.history")}</h2>
                                <Timeline workflow=&TRANSFERS events=d.events/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

// ---------------------------------------------------------------- counts

#[component]
pub fn CountList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::WarehousePage><CountsInner/></RequirePermission> }
}

#[component]
fn CountsInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let list = resource(move || query.read().get("state").unwrap_or_default(), list_counts);
    let can_start = current_user().is_some_and(|a| a.can(Permission::StockCount));
    view! {
        <section class="page" data-page="counts">
            <div class="page-head">
                <h1>{i18n.t("count.title")}</h1>
                <div class="actions">
                    <a href="/sop/stock_count" class="button secondary">{i18n.t("improvement.sop")}</a>
                    {can_start.then(|| view! { <a class="button" href="/counts/new" data-testid="new-count">{i18n.t("count.new")}</a> })}
                </div>
            </div>
            <StateFilter workflow=&COUNTS action="/counts"/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("count.none")}</p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr><th>"#"</th><th>{i18n.t("stock.warehouse")}</th><th>{i18n.t("field.state")}</th><th class="num">{i18n.t("count.difference")}</th><th>"SLA"</th><th>{i18n.t("audit.when")}</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|c| {
                                        let counted = c.state == "counted";
                                        view! {
                                            <tr data-count=c.id>
                                                <td><a href=format!("/counts/{}", c.id)>{c.id}</a></td>
                                                <td>{c.warehouse}</td>
                                                <td><StateBadge workflow=&COUNTS state=c.state/>
                                                    {(counted && c.needs_approval).then(|| view! { " " <span class="badge warn">{i18n.t("count.needs_approval")}</span> })}
                                                </td>
                                                <td class="num">{c.differences.units} " · " {format_money(c.differences.value)}</td>
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
pub fn CountNew() -> impl IntoView {
    view! { <RequirePermission permission=Permission::StockCount><CountNewInner/></RequirePermission> }
}

#[island]
fn CountNewInner() -> impl IntoView {
    let i18n = use_i18n();
    let start = COUNTS.action("start").expect("declared");
    let warehouse = RwSignal::new(0i64);
    let note = RwSignal::new(String::new());
    let skus = RwSignal::new(String::new());
    let save = Action::new(|(wh, f, skus): &(i64, HashMap<String, String>, Vec<String>)| {
        let (wh, f, skus) = (*wh, f.clone(), skus.clone());
        async move { start_count(wh, f, skus).await }
    });
    open_when_saved(save, "/counts");
    let result = Signal::derive(move || save.value().get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fields = HashMap::from([("note".to_string(), note.get_untracked())]);
        // One code per line, or separated by commas or spaces.
        let codes = skus.get_untracked().split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::to_string).collect();
        save.dispatch((warehouse.get_untracked(), fields, codes));
    };
    view! {
        <section class="page" data-page="count-new">
            <h1>{i18n.t("count.new")}</h1>
            <p class="sop">{move || start.sop.get(i18n.lang())}</p>
            <form class="form" on:submit=submit>
                <WarehouseSelect label="stock.warehouse" name="warehouse" selected=warehouse/>
                <FieldError result field="warehouse"/>
                <label data-field="skus">{i18n.t("count.skus")}
                    <textarea name="skus" rows="4" placeholder="TEA-1, CUP-CEL-80" prop:value=move || skus.get() on:input=move |ev| skus.set(event_target_value(&ev))></textarea>
                </label>
                <p class="hint">{i18n.t("count.skus_hint")}</p>
                <FieldError result field="lines"/>
                <label data-field="note">{i18n.t("receipt.note")}
                    <textarea name="note" rows="2" maxlength="1000" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                </label>
                <FormError result fields=&["warehouse", "lines", "note"]/>
                <div class="actions"><button type="submit" data-testid="save-count">{move || start.label.get(i18n.lang())}</button></div>
            </form>
        </section>
    }
}

#[component]
pub fn CountPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::WarehousePage><CountInner id=route_id("id")/></RequirePermission> }
}

#[component]
fn CountInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, get_count);
    view! {
        <section class="page" data-page="count-detail">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let c = d.count;
                    let can = |a: &str| d.actions.iter().any(|x| x == a);
                    let recording = can("record");
                    let to = <ActOnCount as ServerFn>::PATH;
                    let record = (c.id, c.version);
                    let awaiting = c.state == "counted" && c.needs_approval;
                    let lines = c.lines.iter().enumerate().map(|(n, l)| {
                        let show = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
                        let diff = l.book.zip(l.counted).map(|(b, k)| k - b);
                        view! {
                            <tr data-line-sku=l.sku.clone()>
                                <td><a href=format!("/stock/{}", l.sku_id)>{l.sku.clone()}</a></td><td>{l.product.clone()}</td>
                                {if recording {
                                    view! {
                                        <td class="num">
                                            <input type="hidden" name=format!("entries[{n}][line_id]") value=l.id/>
                                            <input name=format!("entries[{n}][counted]") data-name="counted" size="8"/>
                                        </td>
                                        <td><input name=format!("entries[{n}][reason]") data-name="reason" size="8"/></td>
                                    }.into_any()
                                } else {
                                    view! {
                                        <td class="num">{show(l.book)}</td><td class="num">{show(l.counted)}</td>
                                        <td class="num" class:alert={diff.is_some_and(|x| x != 0)}>{diff.map(|x| format!("{x:+}")).unwrap_or_default()}</td>
                                        <td>{l.reason.clone().unwrap_or_default()}</td>
                                    }.into_any()
                                }}
                            </tr>
                        }
                    }).collect_view();
                    let table = view! {
                        <div class="table-wrap">
                            <table class="data lines" data-testid="count-lines">
                                <thead><tr>
                                    <th>"SKU"</th><th>{i18n.t("stock.product")}</th>
                                    {(!recording).then(|| view! { <th class="num">{i18n.t("count.book")}</th> })}
                                    <th class="num">{i18n.t("count.counted")}</th>
                                    {(!recording).then(|| view! { <th class="num">{i18n.t("count.difference")}</th> })}
                                    <th>{i18n.t("field.reason")}</th>
                                </tr></thead>
                                <tbody>{lines}</tbody>
                            </table>
                        </div>
                    };
                    view! {
                        <div class="page-head">
                            <h1>{i18n.t("count.one")} " #" {c.id} " · " {c.warehouse.clone()}</h1>
                            <div><StateBadge workflow=&COUNTS state=c.state.clone()/> " " <SlaBadge sla=c.sla/></div>
                        </div>
                        <div class="columns">
                            <div>
                                <dl class="facts">
                                    <dt>{i18n.t("stock.warehouse")}</dt><dd>{c.warehouse.clone()}</dd>
                                    <dt>{i18n.t("field.submitted_by")}</dt><dd>{c.created_by.clone()} " · " {format_time(c.created_at)}</dd>
                                    {c.counted_by.clone().map(|n| view! { <dt>{i18n.t("count.counted_by")}</dt><dd>{n}</dd> })}
                                    {c.note.clone().map(|n| view! { <dt>{i18n.t("receipt.note")}</dt><dd class="prose">{n}</dd> })}
                                    {(!recording && c.counted_by.is_some()).then(|| view! {
                                        <dt>{i18n.t("count.difference")}</dt>
                                        <dd data-testid="differences">{c.differences.units} " · " {format_money(c.differences.value)}</dd>
                                    })}
                                </dl>
                                {awaiting.then(|| view! { <p class="notice" data-testid="needs-approval">{i18n.t("count.approval_notice")}</p> })}
                                {if recording { step_form(&COUNTS, "record", to, record, vec![], table).into_any() } else { table.into_any() }}
                                {["post", "approve", "recount", "cancel"].into_iter().filter(|a| can(a))
                                    .map(|a| step_form(&COUNTS, a, to, record, vec![], ())).collect_view()}
                            </div>
                            <aside>
                                <h2>{i18n.t("improvement.history")}</h2>
                                <Timeline workflow=&COUNTS events=d.events/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
