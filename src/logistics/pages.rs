//! The carriers page of logistics: each carrier with its shipping services and prices, and
//! the forms that add or change them. Everyone with the logistics pages reads it; only
//! `carrier.manage` sees the forms (and the server checks it again).

use super::api::{list_carriers, new_carrier_secret, save_carrier, save_shipping_service, SetCarrierActive, SetServiceActive};
use super::{delivery_days, webhook_path, Carrier, CarrierInput, ServiceInput, ShippingService, WebhookKey};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, successes, resource, FieldError, FormError, RequirePermission};
use crate::domain::{format_money, format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;

#[component]
pub fn CarriersPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::LogisticsPage><CarriersInner/></RequirePermission> }
}

/// What the side form edits: a new carrier or service, or an existing one (by id).
#[derive(Debug, Clone, PartialEq)]
enum Editing {
    NewService,
    Service(i64),
    NewCarrier,
    Carrier(i64),
}

fn text(sig: RwSignal<String>, name: &'static str) -> impl IntoView {
    view! { <input name=name prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/> }
}

#[island]
fn CarriersInner() -> impl IntoView {
    let i18n = use_i18n();
    let can_manage = current_user().is_some_and(|a| a.can(Permission::CarrierManage));
    let toggle_carrier = ServerAction::<SetCarrierActive>::new();
    let toggle_service = ServerAction::<SetServiceActive>::new();
    let carrier_save = Action::new(|(id, input): &(Option<i64>, CarrierInput)| {
        let (id, input) = (*id, input.clone());
        async move { save_carrier(id, input).await }
    });
    let service_save = Action::new(|(id, input): &(Option<i64>, ServiceInput)| {
        let (id, input) = (*id, input.clone());
        async move { save_shipping_service(id, input).await }
    });
    // A new webhook secret comes back once, with the carrier it is for.
    let secret_make = Action::new(|id: &i64| {
        let id = *id;
        async move { new_carrier_secret(id).await.map(|secret| (id, secret)) }
    });
    let (carriers_saved, services_saved, secrets_made) = (successes(carrier_save), successes(service_save), successes(secret_make));
    let list = resource(
        move || (toggle_carrier.version().get(), toggle_service.version().get(), carriers_saved.get(), services_saved.get(), secrets_made.get()),
        |_| list_carriers(),
    );
    let secret_result = Signal::derive(move || secret_make.value().get());
    let carrier_result = Signal::derive(move || carrier_save.value().get());
    let service_result = Signal::derive(move || service_save.value().get());
    let toggle_result = Signal::derive(move || toggle_carrier.value().get().or_else(|| toggle_service.value().get()));

    let editing = RwSignal::new(Editing::NewService);
    // The side form's fields, shared by "new" and "edit".
    let c = [(); 4].map(|_| RwSignal::new(String::new()));
    let s = [(); 8].map(|_| RwSignal::new(String::new()));
    let edit_carrier = move |x: Option<&Carrier>| {
        carrier_save.value().set(None);
        editing.set(x.map(|x| Editing::Carrier(x.id)).unwrap_or(Editing::NewCarrier));
        let values = x.map(|x| [x.code.clone(), x.name.en.clone(), x.name.zh.clone(), x.tracking_url.clone().unwrap_or_default()]).unwrap_or_default();
        for (sig, v) in c.iter().zip(values) {
            sig.set(v);
        }
    };
    let edit_service = move |x: Option<&ShippingService>, carrier: &str| {
        service_save.value().set(None);
        editing.set(x.map(|x| Editing::Service(x.id)).unwrap_or(Editing::NewService));
        let values = match x {
            Some(x) => [
                x.code.clone(),
                x.carrier.clone(),
                x.name.en.clone(),
                x.name.zh.clone(),
                format_money(x.fee),
                x.free_from.map(format_money).unwrap_or_default(),
                x.days_min.to_string(),
                x.days_max.to_string(),
            ],
            None => [String::new(), carrier.to_string(), String::new(), String::new(), String::new(), String::new(), "2".into(), "4".into()],
        };
        for (sig, v) in s.iter().zip(values) {
            sig.set(v);
        }
    };
    // A saved new record empties the form; a saved edit goes back to "new service".
    Effect::new(move |_| {
        if carrier_save.value().with(|v| matches!(v, Some(Ok(_)))) {
            edit_carrier(None);
            carrier_save.value().set(None);
            editing.set(Editing::NewService);
        }
    });
    Effect::new(move |_| {
        if service_save.value().with(|v| matches!(v, Some(Ok(_)))) {
            let carrier = s[1].get_untracked();
            edit_service(None, &carrier);
            service_save.value().set(None);
        }
    });

    let service_form = move || {
        let id = match editing.get() {
            Editing::Service(id) => Some(id),
            _ => None,
        };
        let submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let v = s.map(|x| x.get_untracked());
            let [code, carrier, name_en, name_zh, fee, free_from, days_min, days_max] = v;
            service_save.dispatch((id, ServiceInput { code, carrier, name_en, name_zh, fee, free_from, days_min, days_max }));
        };
        view! {
            <form class="form" on:submit=submit data-testid="service-form">
                <h2>{if id.is_some() { i18n.t("carrier.edit_service") } else { i18n.t("carrier.new_service") }}</h2>
                <p class="sop">{i18n.t("carrier.service_help")}</p>
                <label>{i18n.t("carrier.one")}
                    <select name="carrier" disabled=id.is_some() on:change=move |ev| s[1].set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        // Awaited like the rest of the page's data, so the server writes the
                        // same options the browser hydrates.
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                list.await.unwrap_or_default().into_iter().filter(|x| x.active).map(|x| {
                                    let chosen = s[1].get_untracked() == x.code;
                                    view! { <option value=x.code.clone() selected=chosen>{x.name.get(i18n.lang()).to_string()}</option> }
                                }).collect_view()
                            })}
                        </Transition>
                    </select>
                </label>
                <FieldError result=service_result field="carrier"/>
                <label>{i18n.t("field.code")}
                    <input name="code" disabled=id.is_some() prop:value=move || s[0].get() on:input=move |ev| s[0].set(event_target_value(&ev))/>
                </label>
                <FieldError result=service_result field="code"/>
                <div class="row">
                    <label>{i18n.t("carrier.name_en")}{text(s[2], "name_en")}</label>
                    <label>{i18n.t("carrier.name_zh")}{text(s[3], "name_zh")}</label>
                </div>
                <FieldError result=service_result field="name_en"/>
                <FieldError result=service_result field="name_zh"/>
                <div class="row">
                    <label>{i18n.t("carrier.fee")}{text(s[4], "fee")}</label>
                    <label>{i18n.t("carrier.free_from")}{text(s[5], "free_from")}</label>
                </div>
                <FieldError result=service_result field="fee"/>
                <FieldError result=service_result field="free_from"/>
                <div class="row">
                    <label>{i18n.t("carrier.days_min")}{text(s[6], "days_min")}</label>
                    <label>{i18n.t("carrier.days_max")}{text(s[7], "days_max")}</label>
                </div>
                <FieldError result=service_result field="days_min"/>
                <FieldError result=service_result field="days_max"/>
                <FormError result=service_result fields=&["carrier", "code", "name_en", "name_zh", "fee", "free_from", "days_min", "days_max"]/>
                <div class="actions">
                    <button type="submit" data-testid="save-service" disabled=move || service_save.pending().get()>{i18n.t("common.save")}</button>
                    {id.is_some().then(|| view! {
                        <button type="button" class="secondary" on:click=move |_| edit_service(None, "")>{i18n.t("price.cancel")}</button>
                    })}
                </div>
            </form>
        }
    };

    let carrier_form = move || {
        let id = match editing.get() {
            Editing::Carrier(id) => Some(id),
            _ => None,
        };
        let submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let [code, name_en, name_zh, tracking_url] = c.map(|x| x.get_untracked());
            carrier_save.dispatch((id, CarrierInput { code, name_en, name_zh, tracking_url }));
        };
        view! {
            <form class="form" on:submit=submit data-testid="carrier-form">
                <h2>{if id.is_some() { i18n.t("carrier.edit") } else { i18n.t("carrier.new") }}</h2>
                <label>{i18n.t("field.code")}
                    <input name="code" disabled=id.is_some() prop:value=move || c[0].get() on:input=move |ev| c[0].set(event_target_value(&ev))/>
                </label>
                <FieldError result=carrier_result field="code"/>
                <div class="row">
                    <label>{i18n.t("carrier.name_en")}{text(c[1], "name_en")}</label>
                    <label>{i18n.t("carrier.name_zh")}{text(c[2], "name_zh")}</label>
                </div>
                <FieldError result=carrier_result field="name_en"/>
                <FieldError result=carrier_result field="name_zh"/>
                <label>{i18n.t("carrier.tracking_url")}{text(c[3], "tracking_url")}</label>
                <p class="muted small">{i18n.t("carrier.tracking_url_help")}</p>
                <FieldError result=carrier_result field="tracking_url"/>
                <FormError result=carrier_result fields=&["code", "name_en", "name_zh", "tracking_url"]/>
                <div class="actions">
                    <button type="submit" data-testid="save-carrier" disabled=move || carrier_save.pending().get()>{i18n.t("common.save")}</button>
                    <button type="button" class="secondary" on:click=move |_| edit_service(None, "")>{i18n.t("price.cancel")}</button>
                </div>
            </form>
        }
    };

    view! {
        <section class="page" data-page="carriers">
            <div class="page-head">
                <h1>{i18n.t("carrier.title")}</h1>
                {can_manage.then(|| view! {
                    <div class="actions">
                        <button type="button" class="secondary" data-testid="new-carrier" on:click=move |_| edit_carrier(None)>{i18n.t("carrier.new")}</button>
                    </div>
                })}
            </div>
            <p class="sop">{i18n.t("carrier.intro")}</p>
            <FormError result=toggle_result/>
            <FormError result=secret_result/>
            <div class="columns">
                <Transition fallback=loading>
                    {move || Suspend::new(async move {
                        let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                        view! {
                            <div class="carriers">
                                {list.into_iter().map(|carrier| {
                                    let inactive = !carrier.active;
                                    let for_edit = carrier.clone();
                                    let code = carrier.code.clone();
                                    let name = carrier.name.clone();
                                    view! {
                                        <article class="card carrier" class:inactive=inactive data-carrier=carrier.code.clone()>
                                            <div class="page-head">
                                                <h2>{move || name.get(i18n.lang()).to_string()} " " <span class="muted small">{carrier.code.clone()}</span>
                                                    {inactive.then(|| view! { " " <span class="badge">{i18n.t("carrier.inactive")}</span> })}</h2>
                                                {can_manage.then(|| { let code = code.clone(); view! {
                                                    <div class="actions">
                                                        <button type="button" class="linkish" on:click=move |_| edit_carrier(Some(&for_edit))>{i18n.t("carrier.edit")}</button>
                                                        <button type="button" class="linkish" on:click=move |_| edit_service(None, &code)>{i18n.t("carrier.new_service")}</button>
                                                        <ActionForm action=toggle_carrier attr:class="inline">
                                                            <input type="hidden" name="id" value=carrier.id/>
                                                            <input type="hidden" name="active" value=(!carrier.active).to_string()/>
                                                            <button type="submit" class="secondary">{if carrier.active { i18n.t("warehouse.deactivate") } else { i18n.t("warehouse.activate") }}</button>
                                                        </ActionForm>
                                                    </div>
                                                }})}
                                            </div>
                                            {carrier.tracking_url.clone().map(|u| view! { <p class="muted small">{i18n.t("carrier.tracking_url")} ": " {u}</p> })}
                                            {webhook_box(carrier.id, &carrier.code, carrier.webhook.clone(), can_manage, secret_make)}
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
                                                                {carrier.services.into_iter().map(|x| {
                                                                    let for_edit = x.clone();
                                                                    let name = x.name.clone();
                                                                    view! {
                                                                        <tr data-service=x.code.clone() class:inactive=!x.active>
                                                                            <td>{move || name.get(i18n.lang()).to_string()}
                                                                                {(!x.active).then(|| view! { " " <span class="badge">{i18n.t("carrier.inactive")}</span> })}</td>
                                                                            <td>{x.code.clone()}</td>
                                                                            <td class="num">{price_label(x.fee)}</td>
                                                                            <td class="num">{x.free_from.map(price_label).unwrap_or_else(|| "—".into())}</td>
                                                                            <td>{move || delivery_days(x.days_min, x.days_max, i18n.lang())}</td>
                                                                            <td>{can_manage.then(|| view! {
                                                                                <button type="button" class="linkish" data-testid="edit-service" on:click=move |_| edit_service(Some(&for_edit), "")>{i18n.t("carrier.edit")}</button>
                                                                                <ActionForm action=toggle_service attr:class="inline">
                                                                                    <input type="hidden" name="id" value=x.id/>
                                                                                    <input type="hidden" name="active" value=(!x.active).to_string()/>
                                                                                    <button type="submit" class="secondary">{if x.active { i18n.t("warehouse.deactivate") } else { i18n.t("warehouse.activate") }}</button>
                                                                                </ActionForm>
                                                                            })}</td>
                                                                        </tr>
                                                                    }
                                                                }).collect_view()}
                                                            </tbody>
                                                        </table>
                                                    </div>
                                                }.into_any()
                                            }}
                                        </article>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any()
                    })}
                </Transition>
                {can_manage.then(|| view! {
                    <aside>
                        {move || match editing.get() {
                            Editing::NewCarrier | Editing::Carrier(_) => carrier_form().into_any(),
                            Editing::NewService | Editing::Service(_) => service_form().into_any(),
                        }}
                    </aside>
                })}
            </div>
        </section>
    }
}

/// How the carrier's tracking webhook is signed, and (for `carrier.manage`) the button that
/// makes it a secret of its own. The new secret is shown here once, right after it is made.
fn webhook_box(id: i64, code: &str, key: Option<WebhookKey>, can_manage: bool, make: Action<i64, Result<(i64, String), crate::domain::AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let revealed = move || make.value().get().and_then(|r| r.ok()).filter(|(for_id, _)| *for_id == id).map(|(_, secret)| secret);
    let replaced = key.as_ref().is_some_and(|k| k.previous_until.is_some());
    view! {
        <div class="webhook muted small" data-testid="webhook">
            {match key {
                Some(k) => view! {
                    <p data-testid="webhook-own">{i18n.t("carrier.webhook_own")} " …" <code>{k.hint}</code> " · " {format_time(k.set_at)}
                        {k.previous_until.map(|until| view! { " · " {i18n.t("carrier.webhook_previous")} " " {format_time(until)} })}</p>
                    <p>{i18n.t("carrier.webhook_address")} " " <code>{format!("POST {}", webhook_path(code))}</code></p>
                }.into_any(),
                None => view! { <p data-testid="webhook-shared">{i18n.t("carrier.webhook_shared")}</p> }.into_any(),
            }}
            {move || revealed().map(|secret| view! {
                <div class="notice" data-testid="new-secret-box">
                    <p>{i18n.t("carrier.webhook_copy")} {replaced.then(|| i18n.t("carrier.webhook_grace"))}</p>
                    <code data-testid="new-secret">{secret}</code>
                </div>
            })}
            {can_manage.then(|| view! {
                <button type="button" class="secondary" data-testid="new-webhook-secret" disabled=move || make.pending().get()
                    on:click=move |_| { make.dispatch(id); }>{i18n.t("carrier.webhook_new")}</button>
            })}
        </div>
    }
}
