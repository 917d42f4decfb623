//! Pages of inventory: stock search and one SKU's stock with its ledger, warehouses, and
//! inbound receipts (list, registration, count and inspection, posting).

use super::api::{
    get_receipt, get_stock, list_receipts, list_warehouses, search_stock, register_receipt, ActOnReceipt, CreateWarehouse,
    SetWarehouseActive,
};
use super::{ReceiptLineInput, RECEIPTS};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, route_id, resource, PostForm, FieldError, FormError, RequirePermission, SlaBadge, StateBadge, StateFilter, Timeline};
use crate::domain::{format_time, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::{go_to, use_query_map};
use leptos::server_fn::ServerFn;
use std::collections::HashMap;



// ---------------------------------------------------------------- stock

#[component]
pub fn StockSearch() -> impl IntoView {
    view! { <RequirePermission permission=Permission::StockView><StockInner/></RequirePermission> }
}

#[component]
fn StockInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let rows = resource(q, search_stock);
    view! {
        <section class="page" data-page="stock">
            <h1>{i18n.t("stock.title")}</h1>
            <form method="get" action="/stock" class="filters">
                <label>{i18n.t("stock.search")}<input type="search" name="q" value=q() autofocus/></label>
                <button type="submit">{i18n.t("field.search")}</button>
            </form>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let rows = match rows.await { Ok(r) => r, Err(e) => return failure(e) };
                    if rows.is_empty() {
                        return view! { <p class="empty">{i18n.t("stock.none")}</p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr>
                                    <th>"SKU"</th><th>{i18n.t("stock.product")}</th><th class="num">{i18n.t("stock.on_hand")}</th>
                                    <th class="num">{i18n.t("stock.reserved")}</th><th class="num">{i18n.t("field.available")}</th><th class="num">{i18n.t("field.reorder_point")}</th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|r| {
                                        let available = r.on_hand - r.reserved;
                                        let key = r.sku.clone();
                                        let low = available < r.reorder_point;
                                        view! {
                                            <tr data-stock=key>
                                                <td><a href=format!("/stock/{}", r.sku_id)>{r.sku}</a></td>
                                                <td>{r.product}</td>
                                                <td class="num">{r.on_hand}</td>
                                                <td class="num">{r.reserved}</td>
                                                <td class="num" class:alert=low>{available}</td>
                                                <td class="num">{r.reorder_point}</td>
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

fn movement_label(kind: &str) -> &'static str {
    match kind {
        "receipt" => "move.receipt",
        "reserve" => "move.reserve",
        "release" => "move.release",
        "commit" => "move.commit",
        "adjust" => "move.adjust",
        "transfer_out" => "move.transfer_out",
        "transfer_in" => "move.transfer_in",
        _ => "move.return",
    }
}

#[component]
pub fn StockDetailPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::StockView><StockDetailInner id=route_id("id")/></RequirePermission> }
}

#[component]
fn StockDetailInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let id = move || id;
    let detail = resource(id, get_stock);
    let signed = |n: i64| if n > 0 { format!("+{n}") } else { n.to_string() };
    view! {
        <section class="page" data-page="stock-detail">
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let r = d.row;
                    view! {
                        <div class="page-head">
                            <h1>{r.sku.clone()} " · " {r.product.clone()}</h1>
                            <a class="button secondary" href=format!("/products/{}", r.product_id)>{i18n.t("stock.product")}</a>
                        </div>
                        <div class="kpis">
                            <div class="kpi"><span>{i18n.t("stock.on_hand")}</span><strong data-testid="on-hand">{r.on_hand}</strong></div>
                            <div class="kpi"><span>{i18n.t("stock.reserved")}</span><strong>{r.reserved}</strong></div>
                            <div class="kpi"><span>{i18n.t("field.available")}</span><strong data-testid="available" class:alert={r.on_hand - r.reserved < r.reorder_point}>{r.on_hand - r.reserved}</strong></div>
                            <div class="kpi"><span>{i18n.t("field.reorder_point")}</span><strong>{r.reorder_point}</strong></div>
                        </div>
                        <h2>{i18n.t("stock.by_warehouse")}</h2>
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr><th>{i18n.t("stock.warehouse")}</th><th class="num">{i18n.t("stock.on_hand")}</th><th class="num">{i18n.t("stock.reserved")}</th><th class="num">{i18n.t("field.available")}</th></tr></thead>
                                <tbody>
                                    {d.warehouses.into_iter().map(|(code, name, b)| { let key = code.clone(); view! {
                                        <tr data-warehouse=key><td>{code} " · " {name}</td><td class="num">{b.on_hand}</td><td class="num">{b.reserved}</td><td class="num">{b.available()}</td></tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <h2>{i18n.t("stock.movements")}</h2>
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr>
                                    <th>{i18n.t("audit.when")}</th><th>{i18n.t("stock.warehouse")}</th><th>{i18n.t("stock.kind")}</th>
                                    <th class="num">{i18n.t("stock.on_hand")}</th><th class="num">{i18n.t("stock.reserved")}</th>
                                    <th>{i18n.t("stock.reference")}</th><th>{i18n.t("stock.reason")}</th><th>{i18n.t("audit.who")}</th>
                                </tr></thead>
                                <tbody>
                                    {d.movements.into_iter().map(|m| view! {
                                        <tr data-movement=m.kind.clone()>
                                            <td>{format_time(m.at)}</td><td>{m.warehouse}</td><td>{i18n.t(movement_label(&m.kind))}</td>
                                            <td class="num">{signed(m.on_hand_delta)}</td><td class="num">{signed(m.reserved_delta)}</td>
                                            <td>{m.reference}</td><td>{m.reason}</td><td>{m.actor.unwrap_or_else(|| "system".into())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

// ---------------------------------------------------------------- warehouses

#[component]
pub fn Warehouses() -> impl IntoView {
    view! { <RequirePermission permission=Permission::WarehouseManage><WarehousesInner/></RequirePermission> }
}

#[component]
fn WarehousesInner() -> impl IntoView {
    let i18n = use_i18n();
    let list = resource(|| (), |_| list_warehouses());
    let toggle = <SetWarehouseActive as ServerFn>::PATH;
    view! {
        <section class="page" data-page="warehouses">
            <h1>{i18n.t("warehouse.title")}</h1>
            <div class="columns">
                <Transition fallback=loading>
                    {move || Suspend::new(async move {
                        let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                        view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <thead><tr><th>{i18n.t("field.code")}</th><th>{i18n.t("warehouse.name")}</th><th>{i18n.t("warehouse.address")}</th><th></th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|w| { let key = w.code.clone(); let inactive = !w.active; view! {
                                            <tr data-warehouse=key class:inactive=inactive>
                                                <td>{w.code}</td><td>{w.name}</td><td>{w.address}</td>
                                                <td>
                                                    <PostForm to=toggle.to_string() class="inline".to_string()>
                                                        <input type="hidden" name="id" value=w.id/>
                                                        <input type="hidden" name="active" value=(!w.active).to_string()/>
                                                        <button type="submit" class="secondary">{if w.active { i18n.t("warehouse.deactivate") } else { i18n.t("warehouse.activate") }}</button>
                                                    </PostForm>
                                                </td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    })}
                </Transition>
                <aside>
                    <h2>{i18n.t("warehouse.new")}</h2>
                    <PostForm to={<CreateWarehouse as ServerFn>::PATH.to_string()} class="form".to_string()>
                        <label data-field="code">{i18n.t("field.code")}<input name="input[code]" data-name="code"/></label>
                        <label data-field="name">{i18n.t("warehouse.name")}<input name="input[name]" data-name="name"/></label>
                        <label data-field="address">{i18n.t("warehouse.address")}<input name="input[address]" data-name="address"/></label>
                        <button type="submit">{i18n.t("warehouse.new")}</button>
                    </PostForm>
                </aside>
            </div>
        </section>
    }
}

// ---------------------------------------------------------------- receipts

#[component]
pub fn ReceiptList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::WarehousePage><ReceiptsInner/></RequirePermission> }
}

#[component]
fn ReceiptsInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_default();
    let list = resource(state, list_receipts);
    let can_register = current_user().is_some_and(|a| a.can(Permission::ReceiptRegister));
    view! {
        <section class="page" data-page="receipts">
            <div class="page-head">
                <h1>{i18n.t("receipt.title")}</h1>
                <div class="actions">
                    <a href="/sop/receipt" class="button secondary">{i18n.t("improvement.sop")}</a>
                    {can_register.then(|| view! { <a class="button" href="/receipts/new" data-testid="new-receipt">{i18n.t("receipt.new")}</a> })}
                </div>
            </div>
            <StateFilter workflow=&RECEIPTS action="/receipts"/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("receipt.none")}</p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr><th>"#"</th><th>{i18n.t("receipt.supplier")}</th><th>{i18n.t("stock.reference")}</th><th>{i18n.t("stock.warehouse")}</th><th>{i18n.t("field.state")}</th><th>"SLA"</th><th>{i18n.t("audit.when")}</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| view! {
                                        <tr data-receipt=r.id>
                                            <td><a href=format!("/receipts/{}", r.id)>{r.id}</a></td>
                                            <td><a href=format!("/receipts/{}", r.id)>{r.supplier}</a></td>
                                            <td>{r.reference}</td><td>{r.warehouse}</td>
                                            <td><StateBadge workflow=&RECEIPTS state=r.state/></td>
                                            <td><SlaBadge sla=r.sla/></td>
                                            <td>{format_time(r.created_at)}</td>
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

/// The editable (SKU, quantity) lines of a form, each keyed for `<For>`.
pub(super) type LineRows = RwSignal<Vec<(usize, RwSignal<(String, String)>)>>;

pub(super) fn new_lines() -> LineRows {
    RwSignal::new(vec![(0, RwSignal::new((String::new(), String::new())))])
}

pub(super) fn lines_of(lines: LineRows) -> Vec<(String, String)> {
    lines.get_untracked().iter().map(|(_, l)| l.get_untracked()).collect()
}

/// A table of SKU and quantity inputs with add and remove (receipts, transfers).
#[component]
pub(super) fn SkuLines(lines: LineRows, quantity_label: &'static str, quantity_name: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <table class="data lines">
            <thead><tr><th>"SKU"</th><th>{i18n.t(quantity_label)}</th><th></th></tr></thead>
            <tbody>
                <For each=move || lines.get() key=|(k, _)| *k children=move |(k, line)| view! {
                    <tr data-line=k>
                        <td><input name="sku" prop:value=move || line.with(|l| l.0.clone()) on:input=move |ev| { let v = event_target_value(&ev); line.update(|l| l.0 = v); }/></td>
                        <td><input name=quantity_name inputmode="numeric" prop:value=move || line.with(|l| l.1.clone()) on:input=move |ev| { let v = event_target_value(&ev); line.update(|l| l.1 = v); }/></td>
                        <td><button type="button" class="linkish" on:click=move |_| lines.update(|r| r.retain(|(x, _)| *x != k))>{i18n.t("product.remove")}</button></td>
                    </tr>
                }/>
            </tbody>
        </table>
        <button type="button" class="secondary" data-testid="add-line" on:click=move |_| {
            lines.update(|r| {
                let k = r.iter().map(|(k, _)| k + 1).max().unwrap_or(0);
                r.push((k, RwSignal::new((String::new(), String::new()))));
            });
        }>{i18n.t("receipt.add_line")}</button>
    }
}

/// A choice among the active warehouses. Until the user picks one, the `preset`-th active
/// warehouse (0: the first) is chosen, so the form never submits "no warehouse" by accident.
#[component]
pub(super) fn WarehouseSelect(
    label: &'static str,
    name: &'static str,
    selected: RwSignal<i64>,
    #[prop(optional)] preset: usize,
) -> impl IntoView {
    let i18n = use_i18n();
    let warehouses = resource(|| (), |_| list_warehouses());
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let list: Vec<_> = warehouses.await.unwrap_or_default().into_iter().filter(|w| w.active).collect();
                if selected.get_untracked() == 0 {
                    if let Some(w) = list.get(preset).or(list.first()) { selected.set(w.id); }
                }
                view! {
                    <label>{i18n.t(label)}
                        <select name=name on:change=move |ev| selected.set(event_target_value(&ev).parse().unwrap_or(0))>
                            {list.into_iter().map(|w| view! {
                                <option value=w.id selected=move || selected.get() == w.id>{w.code} " · " {w.name}</option>
                            }).collect_view()}
                        </select>
                    </label>
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ReceiptNew() -> impl IntoView {
    view! { <RequirePermission permission=Permission::ReceiptRegister><ReceiptNewInner/></RequirePermission> }
}

#[island]
fn ReceiptNewInner() -> impl IntoView {
    let i18n = use_i18n();
    let register = RECEIPTS.action("register").expect("declared");
    let warehouse = RwSignal::new(0i64);
    let fields: HashMap<&'static str, RwSignal<String>> =
        register.form.iter().map(|f| (f.name, RwSignal::new(String::new()))).collect();
    let fields = StoredValue::new(fields);
    let lines = new_lines();
    let save = Action::new(|(wh, f, l): &(i64, HashMap<String, String>, Vec<ReceiptLineInput>)| {
        let (wh, f, l) = (*wh, f.clone(), l.clone());
        async move { register_receipt(wh, f, l).await }
    });
    let result = Signal::derive(move || save.value().get());
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get() {
            go_to(&format!("/receipts/{id}"));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let f = fields.with_value(|m| m.iter().map(|(k, v)| (k.to_string(), v.get_untracked())).collect());
        let lines = lines_of(lines).into_iter().map(|(sku, expected)| ReceiptLineInput { sku, expected }).collect();
        save.dispatch((warehouse.get_untracked(), f, lines));
    };
    view! {
        <section class="page" data-page="receipt-new">
            <h1>{i18n.t("receipt.new")}</h1>
            <p class="sop">{move || register.sop.get(i18n.lang())}</p>
            <form class="form wide" on:submit=submit>
                <WarehouseSelect label="stock.warehouse" name="warehouse" selected=warehouse/>
                <FieldError result field="warehouse"/>
                {register.form.iter().map(|f| {
                    let sig = fields.with_value(|m| m[f.name]);
                    view! {
                        <label data-field=f.name>{move || f.label.get(i18n.lang())}
                            <input name=f.name maxlength=f.max_chars prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
                        </label>
                        <FieldError result field=f.name/>
                    }
                }).collect_view()}
                <h2>{i18n.t("receipt.lines")}</h2>
                <SkuLines lines quantity_label="receipt.expected" quantity_name="expected"/>
                <FieldError result field="lines"/>
                <FormError result fields=&["warehouse", "supplier", "reference", "note", "lines"]/>
                <div class="actions"><button type="submit" data-testid="save-receipt">{move || register.label.get(i18n.lang())}</button></div>
            </form>
        </section>
    }
}

#[component]
pub fn ReceiptPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::WarehousePage><ReceiptInner id=route_id("id")/></RequirePermission> }
}

#[component]
fn ReceiptInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, get_receipt);
    view! {
        <section class="page" data-page="receipt-detail">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let r = d.receipt;
                    let can = |a: &str| d.actions.iter().any(|x| x == a);
                    let inspecting = can("inspect");
                    let to = <ActOnReceipt as ServerFn>::PATH;
                    let (rid, version) = (r.id, r.version);
                    let label = move |a: &'static str| RECEIPTS.action(a).map(|x| x.label.get(i18n.lang())).unwrap_or(a);
                    let sop = move |a: &'static str| RECEIPTS.action(a).map(|x| x.sop.get(i18n.lang())).unwrap_or("");
                    // While inspecting, one set of inputs per line: received, accepted, rejected, defect.
                    let cell = |n: usize, name: &'static str, value: String| view! {
                        <input name=format!("inspections[{n}][{name}]") data-name=name size="6" value=value/>
                    };
                    let lines = r.lines.iter().enumerate().map(|(n, l)| {
                        let show = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
                        view! {
                            <tr data-line-sku=l.sku.clone()>
                                <td><a href=format!("/stock/{}", l.sku_id)>{l.sku.clone()}</a></td><td>{l.product.clone()}</td>
                                <td class="num">{l.expected}</td>
                                {if inspecting {
                                    view! {
                                        <td class="num"><input type="hidden" name=format!("inspections[{n}][line_id]") value=l.id/>{cell(n, "received", l.expected.to_string())}</td>
                                        <td class="num">{cell(n, "accepted", l.expected.to_string())}</td>
                                        <td class="num">{cell(n, "rejected", "0".into())}</td><td>{cell(n, "defect_reason", String::new())}</td>
                                    }.into_any()
                                } else {
                                    view! {
                                        <td class="num">{show(l.received)}</td><td class="num">{show(l.accepted)}</td>
                                        <td class="num">{show(l.rejected)}</td><td>{l.defect_reason.clone().unwrap_or_default()}</td>
                                    }.into_any()
                                }}
                            </tr>
                        }
                    }).collect_view();
                    let table = view! {
                        <div class="table-wrap">
                            <table class="data lines" data-testid="receipt-lines">
                                <thead><tr>
                                    <th>"SKU"</th><th>{i18n.t("stock.product")}</th><th class="num">{i18n.t("receipt.expected")}</th>
                                    <th class="num">{i18n.t("receipt.received")}</th><th class="num">{i18n.t("receipt.accepted")}</th>
                                    <th class="num">{i18n.t("receipt.rejected")}</th><th>{i18n.t("receipt.defect")}</th>
                                </tr></thead>
                                <tbody>{lines}</tbody>
                            </table>
                        </div>
                    };
                    let hidden = move |action: &'static str| view! {
                        <input type="hidden" name="id" value=rid/>
                        <input type="hidden" name="version" value=version/>
                        <input type="hidden" name="action" value=action/>
                    };
                    view! {
                        <div class="page-head">
                            <h1>{i18n.t("receipt.one")} " #" {r.id} " · " {r.supplier.clone()}</h1>
                            <div><StateBadge workflow=&RECEIPTS state=r.state.clone()/> " " <SlaBadge sla=r.sla/></div>
                        </div>
                        <div class="columns">
                            <div>
                                <dl class="facts">
                                    <dt>{i18n.t("stock.warehouse")}</dt><dd>{r.warehouse.clone()}</dd>
                                    <dt>{i18n.t("stock.reference")}</dt><dd>{r.reference.clone()}</dd>
                                    <dt>{i18n.t("field.submitted_by")}</dt><dd>{r.created_by.clone()} " · " {format_time(r.created_at)}</dd>
                                    {r.note.clone().map(|n| view! { <dt>{i18n.t("receipt.note")}</dt><dd class="prose">{n}</dd> })}
                                </dl>
                                {if inspecting {
                                    view! {
                                        <PostForm to=to.to_string() class="form step".to_string() step="inspect".to_string()>
                                            <p class="sop">{sop("inspect")}</p>
                                            {hidden("inspect")}
                                            {table}
                                            <label data-field="note">{i18n.t("receipt.note")}
                                                <textarea name="fields[note]" rows="2" maxlength="1000"></textarea>
                                            </label>
                                            <button type="submit" data-testid="inspect">{label("inspect")}</button>
                                        </PostForm>
                                    }.into_any()
                                } else {
                                    table.into_any()
                                }}
                                {can("post").then(|| view! {
                                    <PostForm to=to.to_string() class="form step".to_string() step="post".to_string()>
                                        <h3>{label("post")}</h3>
                                        <p class="sop">{sop("post")}</p>
                                        {hidden("post")}
                                        <button type="submit" data-testid="post">{label("post")}</button>
                                    </PostForm>
                                })}
                                {can("cancel").then(|| view! {
                                    <PostForm to=to.to_string() class="form step".to_string() step="cancel".to_string()>
                                        <h3>{label("cancel")}</h3>
                                        {hidden("cancel")}
                                        <label data-field="reason">{i18n.t("receipt.cancel_reason")}
                                            <textarea name="fields[reason]" rows="2" maxlength="1000"></textarea>
                                        </label>
                                        <button type="submit" class="secondary" data-testid="cancel">{label("cancel")}</button>
                                    </PostForm>
                                })}
                            </div>
                            <aside>
                                <h2>{i18n.t("improvement.history")}</h2>
                                <Timeline workflow=&RECEIPTS events=d.events/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

