//! The carriers page of logistics: each carrier with its shipping services and prices, and
//! the forms that add or change them. Everyone with the logistics pages reads it; only
//! `carrier.manage` sees the forms (and the server checks it again).

use super::api::{list_carriers, new_carrier_secret, SaveCarrier, SaveShippingService, SetCarrierActive, SetServiceActive};
use super::{delivery_days, webhook_path, Carrier, ShippingService};
use crate::catalog::pages::failure;
use crate::components::{current_user, error_text, loading, resource, PostForm, RequirePermission};
use crate::domain::{format_money, format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn CarriersPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::LogisticsPage><CarriersInner/></RequirePermission> }
}

/// The inputs of a carrier, named after `save_carrier`'s `input`. An existing carrier keeps
/// its code: it is sent along, not edited.
fn carrier_inputs(x: Option<&Carrier>) -> impl IntoView {
    let i18n = use_i18n();
    let v = |f: fn(&Carrier) -> String| x.map(f).unwrap_or_default();
    let code = v(|x| x.code.clone());
    view! {
        {match x {
            Some(x) => view! {
                <input type="hidden" name="id" value=x.id/>
                <input type="hidden" name="input[code]" value=code/>
            }.into_any(),
            None => view! { <label>{i18n.t("field.code")}<input name="input[code]" required maxlength="20"/></label> }.into_any(),
        }}
        <div class="row">
            <label>{i18n.t("carrier.name_en")}<input name="input[name_en]" value=v(|x| x.name.en.clone()) required maxlength="60"/></label>
            <label>{i18n.t("carrier.name_zh")}<input name="input[name_zh]" value=v(|x| x.name.zh.clone()) maxlength="60"/></label>
        </div>
        <label>{i18n.t("carrier.tracking_url")}<input name="input[tracking_url]" value=v(|x| x.tracking_url.clone().unwrap_or_default())/></label>
        <p class="muted small">{i18n.t("carrier.tracking_url_help")}</p>
    }
}

/// The inputs of a shipping service, named after `save_shipping_service`'s `input`: a new
/// one of `carrier` (chosen among `carriers`), or `x`, whose carrier and code stay.
fn service_inputs(x: Option<&ShippingService>, carrier: &str, carriers: &[(String, String)]) -> impl IntoView {
    let i18n = use_i18n();
    let v = |f: fn(&ShippingService) -> String| x.map(f).unwrap_or_default();
    view! {
        {match x {
            Some(x) => view! {
                <input type="hidden" name="id" value=x.id/>
                <input type="hidden" name="input[carrier]" value=x.carrier.clone()/>
                <input type="hidden" name="input[code]" value=x.code.clone()/>
            }.into_any(),
            None => view! {
                <label>{i18n.t("carrier.one")}
                    <select name="input[carrier]" required>
                        <option value="">"—"</option>
                        {carriers.iter().map(|(code, name)| view! { <option value=code.clone() selected=code == carrier>{name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>{i18n.t("field.code")}<input name="input[code]" required maxlength="20"/></label>
            }.into_any(),
        }}
        <div class="row">
            <label>{i18n.t("carrier.name_en")}<input name="input[name_en]" value=v(|x| x.name.en.clone()) required maxlength="60"/></label>
            <label>{i18n.t("carrier.name_zh")}<input name="input[name_zh]" value=v(|x| x.name.zh.clone()) maxlength="60"/></label>
        </div>
        <div class="row">
            <label>{i18n.t("carrier.fee")}<input name="input[fee]" value=v(|x| format_money(x.fee)) required inputmode="decimal"/></label>
            <label>{i18n.t("carrier.free_from")}<input name="input[free_from]" value=v(|x| x.free_from.map(format_money).unwrap_or_default()) inputmode="decimal"/></label>
        </div>
        <div class="row">
            <label>{i18n.t("carrier.days_min")}<input name="input[days_min]" value=x.map(|x| x.days_min.to_string()).unwrap_or_else(|| "2".into()) required inputmode="numeric"/></label>
            <label>{i18n.t("carrier.days_max")}<input name="input[days_max]" value=x.map(|x| x.days_max.to_string()).unwrap_or_else(|| "4".into()) required inputmode="numeric"/></label>
        </div>
    }
}

/// Turns a carrier or a service on or off.
fn toggle_form(to: &'static str, id: i64, active: bool) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PostForm to=to.to_string() class="inline".to_string()>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="active" value=(!active).to_string()/>
            <button type="submit" class="secondary">{if active { i18n.t("warehouse.deactivate") } else { i18n.t("warehouse.activate") }}</button>
        </PostForm>
    }
}

#[component]
fn CarriersInner() -> impl IntoView {
    let i18n = use_i18n();
    let can_manage = current_user().is_some_and(|a| a.can(Permission::CarrierManage));
    let list = resource(|| (), |_| list_carriers());
    let save_carrier = <SaveCarrier as ServerFn>::PATH;
    let save_service = <SaveShippingService as ServerFn>::PATH;
    let toggle_carrier = <SetCarrierActive as ServerFn>::PATH;
    let toggle_service = <SetServiceActive as ServerFn>::PATH;
    view! {
        <section class="page" data-page="carriers">
            <div class="page-head">
                <h1>{i18n.t("carrier.title")}</h1>
            </div>
            <p class="sop">{i18n.t("carrier.intro")}</p>
            <div class="columns">
                <Transition fallback=loading>
                    {move || Suspend::new(async move {
                        let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                        let choices: Vec<(String, String)> = list.iter().filter(|c| c.active).map(|c| (c.code.clone(), c.name.get(i18n.lang()).to_string())).collect();
                        view! {
                            <div class="carriers">
                                {list.into_iter().map(|carrier| {
                                    let inactive = !carrier.active;
                                    let name = carrier.name.get(i18n.lang()).to_string();
                                    let code = carrier.code.clone();
                                    let choices = choices.clone();
                                    let edit_inputs = carrier_inputs(Some(&carrier));
                                    view! {
                                        <article class="card carrier" class:inactive=inactive data-carrier=carrier.code.clone()>
                                            <div class="page-head">
                                                <h2>{name} " " <span class="muted small">{carrier.code.clone()}</span>
                                                    {inactive.then(|| view! { " " <span class="badge">{i18n.t("carrier.inactive")}</span> })}</h2>
                                                {can_manage.then(|| toggle_form(toggle_carrier, carrier.id, carrier.active))}
                                            </div>
                                            {carrier.tracking_url.clone().map(|u| view! { <p class="muted small">{i18n.t("carrier.tracking_url")} ": " {u}</p> })}
                                            {can_manage.then(|| view! {
                                                <details class="edit" data-testid="edit-carrier">
                                                    <summary class="linkish">{i18n.t("carrier.edit")}</summary>
                                                    <div data-testid="carrier-edit-form">
                                                        <PostForm to=save_carrier.to_string() class="form".to_string()>
                                                            {edit_inputs}
                                                            <button type="submit">{i18n.t("common.save")}</button>
                                                        </PostForm>
                                                    </div>
                                                </details>
                                            })}
                                            {if can_manage {
                                                view! {
                                                    <WebhookBox id=carrier.id code=code.clone() hint=carrier.webhook.as_ref().map(|k| k.hint.clone())
                                                        set_at=carrier.webhook.as_ref().map(|k| format_time(k.set_at)).unwrap_or_default()
                                                        previous_until=carrier.webhook.as_ref().and_then(|k| k.previous_until).map(format_time).unwrap_or_default()/>
                                                }.into_any()
                                            } else {
                                                view! {
                                                    <div class="webhook muted small" data-testid="webhook">
                                                        {webhook_status(&code, carrier.webhook.as_ref().map(|k| k.hint.clone()),
                                                            carrier.webhook.as_ref().map(|k| format_time(k.set_at)).unwrap_or_default(),
                                                            carrier.webhook.as_ref().and_then(|k| k.previous_until).map(format_time).unwrap_or_default())}
                                                    </div>
                                                }.into_any()
                                            }}
                                            {if carrier.services.is_empty() {
                                                view! { <p class="empty">{i18n.t("carrier.no_services")}</p> }.into_any()
                                            } else {
                                                view! {
                                                    <div class="table-wrap">
                                                        <table class="data">
                                                            <thead><tr>
                                                                <th>{i18n.t("carrier.service")}</th><th>{i18n.t("field.code")}</th><th class="num">{i18n.t("carrier.fee")}</th>
                                                                <th class="num">{i18n.t("carrier.free_from")}</th><th>{i18n.t("carrier.delivery")}</th><th></th>
                                                            </tr></thead>
                                                            <tbody>
                                                                {carrier.services.iter().map(|x| { let inputs = service_inputs(Some(x), "", &[]); let (id, active) = (x.id, x.active); view! {
                                                                    <tr data-service=x.code.clone() class:inactive=!x.active>
                                                                        <td>{x.name.get(i18n.lang()).to_string()}
                                                                            {(!x.active).then(|| view! { " " <span class="badge">{i18n.t("carrier.inactive")}</span> })}</td>
                                                                        <td>{x.code.clone()}</td>
                                                                        <td class="num">{price_label(x.fee)}</td>
                                                                        <td class="num">{x.free_from.map(price_label).unwrap_or_else(|| "—".into())}</td>
                                                                        <td>{delivery_days(x.days_min, x.days_max, i18n.lang())}</td>
                                                                        <td>{can_manage.then(|| view! {
                                                                            <details class="edit">
                                                                                <summary class="linkish" data-testid="edit-service">{i18n.t("carrier.edit")}</summary>
                                                                                <div data-testid="service-edit-form">
                                                                                    <PostForm to=save_service.to_string() class="form".to_string()>
                                                                                        <h3>{i18n.t("carrier.edit_service")}</h3>
                                                                                        {inputs}
                                                                                        <button type="submit">{i18n.t("common.save")}</button>
                                                                                    </PostForm>
                                                                                </div>
                                                                            </details>
                                                                            {toggle_form(toggle_service, id, active)}
                                                                        })}</td>
                                                                    </tr>
                                                                }}).collect_view()}
                                                            </tbody>
                                                        </table>
                                                    </div>
                                                }.into_any()
                                            }}
                                            {(can_manage && carrier.active).then(|| view! {
                                                <details class="edit">
                                                    <summary class="button secondary" data-testid="new-service">{i18n.t("carrier.new_service")}</summary>
                                                    <div data-testid="service-form">
                                                        <PostForm to=save_service.to_string() class="form".to_string()>
                                                            <h3>{i18n.t("carrier.new_service")}</h3>
                                                            <p class="sop">{i18n.t("carrier.service_help")}</p>
                                                            {service_inputs(None, &code, &choices)}
                                                            <div class="actions"><button type="submit" data-testid="save-service">{i18n.t("common.save")}</button></div>
                                                        </PostForm>
                                                    </div>
                                                </details>
                                            })}
                                        </article>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any()
                    })}
                </Transition>
                {can_manage.then(|| view! {
                    <aside>
                        <details class="edit">
                            <summary class="button secondary" data-testid="new-carrier">{i18n.t("carrier.new")}</summary>
                            <div data-testid="carrier-form">
                                <PostForm to=save_carrier.to_string() class="form".to_string()>
                                    <h2>{i18n.t("carrier.new")}</h2>
                                    {carrier_inputs(None)}
                                    <div class="actions"><button type="submit" data-testid="save-carrier">{i18n.t("common.save")}</button></div>
                                </PostForm>
                            </div>
                        </details>
                    </aside>
                })}
            </div>
        </section>
    }
}

/// How the carrier's tracking webhook is signed: its own secret (by its last characters) or
/// the shared one.
fn webhook_status(code: &str, hint: Option<String>, set_at: String, previous_until: String) -> impl IntoView {
    let i18n = use_i18n();
    match hint {
        Some(hint) => view! {
            <p data-testid="webhook-own">{i18n.t("carrier.webhook_own")} " …" <code>{hint}</code>
                {(!set_at.is_empty()).then(|| view! { " · " {set_at} })}
                {(!previous_until.is_empty()).then(|| view! { " · " {i18n.t("carrier.webhook_previous")} " " {previous_until} })}</p>
            <p>{i18n.t("carrier.webhook_address")} " " <code>{format!("POST {}", webhook_path(code))}</code></p>
        }.into_any(),
        None => view! { <p data-testid="webhook-shared">{i18n.t("carrier.webhook_shared")}</p> }.into_any(),
    }
}

/// The webhook's state and the button that makes the carrier a secret of its own. The new
/// secret is shown here once, right after it is made: an island, since a page loaded again
/// would not have it.
#[island]
fn WebhookBox(id: i64, code: String, hint: Option<String>, set_at: String, previous_until: String) -> impl IntoView {
    let i18n = use_i18n();
    let replaced = hint.is_some();
    let make = Action::new(move |_: &()| new_carrier_secret(id));
    let secret = move || make.value().get().and_then(|r| r.ok());
    let status = move || match secret() {
        // The new secret's own times are on the page the next time it loads.
        Some(s) => webhook_status(&code, Some(s[s.len().saturating_sub(4)..].to_string()), String::new(), String::new()).into_any(),
        None => webhook_status(&code, hint.clone(), set_at.clone(), previous_until.clone()).into_any(),
    };
    view! {
        <div class="webhook muted small" data-testid="webhook">
            {status}
            {move || secret().map(|secret| view! {
                <div class="notice" data-testid="new-secret-box">
                    <p>{i18n.t("carrier.webhook_copy")} {replaced.then(|| i18n.t("carrier.webhook_grace"))}</p>
                    <code data-testid="new-secret">{secret}</code>
                </div>
            })}
            {move || make.value().get().and_then(|r| r.err()).map(|e| view! { <p class="form-error" role="alert">{error_text(&e, i18n.lang())}</p> })}
            <button type="button" class="secondary" data-testid="new-webhook-secret" disabled=move || make.pending().get()
                on:click=move |_| { make.dispatch(()); }>{i18n.t("carrier.webhook_new")}</button>
        </div>
    }
}
