//! The customer's address book page: add, change, delete entries and choose the default that
//! fills the checkout.

use super::addresses::{SavedAddress, MAX_ADDRESSES};
use super::api::{my_addresses, DeleteAddress, SaveAddress, SetDefaultAddress};
use crate::catalog::pages::failure;
use crate::components::{loading, resource, use_query_map, PostForm, RequirePermission};
use crate::domain::Permission;
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn AddressBookPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderPlace><AddressBookInner/></RequirePermission> }
}

#[component]
fn AddressBookInner() -> impl IntoView {
    let i18n = use_i18n();
    let list = resource(|| (), |_| my_addresses());
    // `?edit=3` fills the form with entry 3.
    let editing = use_query_map().with_untracked(|q| q.get("edit")).and_then(|e| e.parse::<i64>().ok());
    view! {
        <section class="page" data-page="addresses">
            <h1>{i18n.t("address.title")}</h1>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    let edited = editing.and_then(|id| list.iter().find(|a| a.id == id).cloned());
                    let entries = if list.is_empty() {
                        view! { <p class="empty" data-testid="no-addresses">{i18n.t("address.none")}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="addresses" data-testid="addresses">
                                {list.into_iter().map(|a| view! {
                                    <li class="card" data-address=a.id class:default=a.is_default>
                                        <p>
                                            {(!a.label.is_empty()).then(|| view! { <strong>{a.label.clone()}</strong> " " })}
                                            {a.is_default.then(|| view! { <span class="badge" data-testid="default">{i18n.t("address.default")}</span> })}
                                        </p>
                                        <p>{a.address.recipient.clone()} " · " {a.address.phone.clone()}</p>
                                        <p class="muted">{a.address.address.clone()}</p>
                                        <div class="actions">
                                            <a class="linkish" data-testid="edit-address" href=format!("/my/addresses?edit={}", a.id)>{i18n.t("carrier.edit")}</a>
                                            {(!a.is_default).then(|| view! {
                                                <PostForm to={<SetDefaultAddress as ServerFn>::PATH.to_string()} class="inline".to_string()>
                                                    <input type="hidden" name="id" value=a.id/>
                                                    <button type="submit" class="secondary" data-testid="make-default">{i18n.t("address.make_default")}</button>
                                                </PostForm>
                                            })}
                                            <PostForm to={<DeleteAddress as ServerFn>::PATH.to_string()} class="inline".to_string() then="/my/addresses".to_string()>
                                                <input type="hidden" name="id" value=a.id/>
                                                <button type="submit" class="secondary" data-testid="delete-address">{i18n.t("address.delete")}</button>
                                            </PostForm>
                                        </div>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    };
                    view! {
                        <div class="columns">
                            {entries}
                            <aside>{address_form(edited)}</aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// The form that adds an entry, or changes `edited`.
fn address_form(edited: Option<SavedAddress>) -> impl IntoView {
    let i18n = use_i18n();
    let id = edited.as_ref().map(|a| a.id);
    let (label, a, is_default) = edited.map(|a| (a.label, a.address, a.is_default)).unwrap_or_default();
    view! {
        <div data-testid="address-form">
            <PostForm to={<SaveAddress as ServerFn>::PATH.to_string()} class="form".to_string() then="/my/addresses".to_string()>
                <h2>{if id.is_some() { i18n.t("address.edit")() } else { i18n.t("address.new")() }}</h2>
                {id.map(|id| view! { <input type="hidden" name="id" value=id/> })}
                <label data-field="label">{i18n.t("address.label")}<input name="input[label]" data-name="label" maxlength="30" value=label/></label>
                <label data-field="recipient">{i18n.t("field.recipient")}<input name="input[address][recipient]" data-name="recipient" maxlength="60" value=a.recipient/></label>
                <label data-field="phone">{i18n.t("field.phone")}<input name="input[address][phone]" data-name="phone" maxlength="30" value=a.phone/></label>
                <label data-field="address">{i18n.t("field.address")}
                    <textarea name="input[address][address]" data-name="address" rows="2" maxlength="300">{a.address}</textarea>
                </label>
                // The box says "true" or "false" into the hidden input: an unticked box posts nothing.
                <input type="hidden" name="input[is_default]" value=is_default.to_string()/>
                <label class="inline">
                    <input type="checkbox" data-name="is_default" checked=is_default onchange="this.form.elements['input[is_default]'].value = this.checked"/>
                    {i18n.t("address.use_as_default")}
                </label>
                <p class="muted small">{i18n.t("address.limit")().replace("{n}", &MAX_ADDRESSES.to_string())}</p>
                <div class="actions">
                    <button type="submit" data-testid="save-address">{i18n.t("common.save")}</button>
                    {id.is_some().then(|| view! { <a class="button secondary" href="/my/addresses">{i18n.t("price.cancel")}</a> })}
                </div>
            </PostForm>
        </div>
    }
}
