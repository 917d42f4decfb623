//! The customer's address book page: add, change, delete entries and choose the default that
//! fills the checkout.

use super::addresses::{AddressBookInput, SavedAddress, MAX_ADDRESSES};
use super::api::{my_addresses, save_address, DeleteAddress, SetDefaultAddress};
use super::AddressInput;
use crate::catalog::pages::failure;
use crate::components::{loading, successes, resource, FieldError, FormError, RequirePermission};
use crate::domain::Permission;
use crate::i18n::use_i18n;
use leptos::prelude::*;

#[component]
pub fn AddressBookPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderPlace><AddressBookInner/></RequirePermission> }
}

#[island]
fn AddressBookInner() -> impl IntoView {
    let i18n = use_i18n();
    let remove = ServerAction::<DeleteAddress>::new();
    let make_default = ServerAction::<SetDefaultAddress>::new();
    let save = Action::new(|(id, input): &(Option<i64>, AddressBookInput)| {
        let (id, input) = (*id, input.clone());
        async move { save_address(id, input).await }
    });
    let saved = successes(save);
    let list = resource(move || (remove.version().get(), make_default.version().get(), saved.get()), |_| my_addresses());
    let result = Signal::derive(move || save.value().get());
    let row_result = Signal::derive(move || remove.value().get().or_else(|| make_default.value().get()));
    let editing = RwSignal::new(None::<i64>);
    let [label, recipient, phone, address] = [(); 4].map(|_| RwSignal::new(String::new()));
    let is_default = RwSignal::new(false);
    let fill = move |a: Option<&SavedAddress>| {
        save.value().set(None);
        editing.set(a.map(|a| a.id));
        label.set(a.map(|a| a.label.clone()).unwrap_or_default());
        recipient.set(a.map(|a| a.address.recipient.clone()).unwrap_or_default());
        phone.set(a.map(|a| a.address.phone.clone()).unwrap_or_default());
        address.set(a.map(|a| a.address.address.clone()).unwrap_or_default());
        is_default.set(a.is_some_and(|a| a.is_default));
    };
    Effect::new(move |_| {
        if save.value().with(|v| matches!(v, Some(Ok(_)))) {
            fill(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = AddressBookInput {
            label: label.get_untracked(),
            address: AddressInput { recipient: recipient.get_untracked(), phone: phone.get_untracked(), address: address.get_untracked() },
            is_default: is_default.get_untracked(),
        };
        save.dispatch((editing.get_untracked(), input));
    };
    let input = |sig: RwSignal<String>, name: &'static str, max: &'static str| {
        view! { <input name=name maxlength=max prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/> }
    };
    view! {
        <section class="page" data-page="addresses">
            <h1>{i18n.t("address.title")}</h1>
            <FormError result=row_result/>
            <div class="columns">
                <Transition fallback=loading>
                    {move || Suspend::new(async move {
                        let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                        if list.is_empty() {
                            return view! { <p class="empty" data-testid="no-addresses">{i18n.t("address.none")}</p> }.into_any();
                        }
                        view! {
                            <ul class="addresses" data-testid="addresses">
                                {list.into_iter().map(|a| {
                                    let for_edit = a.clone();
                                    view! {
                                        <li class="card" data-address=a.id class:default=a.is_default>
                                            <p>
                                                {(!a.label.is_empty()).then(|| view! { <strong>{a.label.clone()}</strong> " " })}
                                                {a.is_default.then(|| view! { <span class="badge" data-testid="default">{i18n.t("address.default")}</span> })}
                                            </p>
                                            <p>{a.address.recipient.clone()} " · " {a.address.phone.clone()}</p>
                                            <p class="muted">{a.address.address.clone()}</p>
                                            <div class="actions">
                                                <button type="button" class="linkish" data-testid="edit-address" on:click=move |_| fill(Some(&for_edit))>{i18n.t("carrier.edit")}</button>
                                                {(!a.is_default).then(|| view! {
                                                    <ActionForm action=make_default attr:class="inline">
                                                        <input type="hidden" name="id" value=a.id/>
                                                        <button type="submit" class="secondary" data-testid="make-default">{i18n.t("address.make_default")}</button>
                                                    </ActionForm>
                                                })}
                                                <ActionForm action=remove attr:class="inline">
                                                    <input type="hidden" name="id" value=a.id/>
                                                    <button type="submit" class="secondary" data-testid="delete-address">{i18n.t("address.delete")}</button>
                                                </ActionForm>
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })}
                </Transition>
                <aside>
                    <form class="form" on:submit=submit data-testid="address-form">
                        <h2>{move || if editing.get().is_some() { i18n.t("address.edit")() } else { i18n.t("address.new")() }}</h2>
                        <label>{i18n.t("address.label")}{input(label, "label", "30")}</label>
                        <FieldError result field="label"/>
                        <label>{i18n.t("field.recipient")}{input(recipient, "recipient", "60")}</label>
                        <FieldError result field="recipient"/>
                        <label>{i18n.t("field.phone")}{input(phone, "phone", "30")}</label>
                        <FieldError result field="phone"/>
                        <label>{i18n.t("field.address")}
                            <textarea name="address" rows="2" maxlength="300" prop:value=move || address.get() on:input=move |ev| address.set(event_target_value(&ev))></textarea>
                        </label>
                        <FieldError result field="address"/>
                        <label class="inline">
                            <input type="checkbox" name="is_default" prop:checked=move || is_default.get() on:change=move |ev| is_default.set(event_target_checked(&ev))/>
                            {i18n.t("address.use_as_default")}
                        </label>
                        <FormError result fields=&["label", "recipient", "phone", "address"]/>
                        <p class="muted small">{move || i18n.t("address.limit")().replace("{n}", &MAX_ADDRESSES.to_string())}</p>
                        <div class="actions">
                            <button type="submit" data-testid="save-address" disabled=move || save.pending().get()>{i18n.t("common.save")}</button>
                            {move || editing.get().is_some().then(|| view! {
                                <button type="button" class="secondary" on:click=move |_| fill(None)>{i18n.t("price.cancel")}</button>
                            })}
                        </div>
                    </form>
                </aside>
            </div>
        </section>
    }
}
