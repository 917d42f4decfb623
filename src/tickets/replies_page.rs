//! `/tickets/replies`: the canned replies agents start their answers from. Agents read them;
//! supervisors write, change and remove them.

use super::api::{delete_canned_reply, list_canned_replies, save_canned_reply};
use super::knowledge::CannedReplyInput;
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, successes, resource, FieldError, FormError, RequirePermission};
use crate::domain::{format_time, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;

#[component]
pub fn CannedRepliesPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketView><RepliesInner/></RequirePermission> }
}

#[island]
fn RepliesInner() -> impl IntoView {
    let i18n = use_i18n();
    let save = Action::new(|(id, input): &(i64, CannedReplyInput)| {
        let (id, input) = (*id, input.clone());
        async move { save_canned_reply(id, input).await }
    });
    let remove = Action::new(|id: &i64| {
        let id = *id;
        async move { delete_canned_reply(id).await }
    });
    let (saved, removed) = (successes(save), successes(remove));
    let result = Signal::derive(move || save.value().get());
    let remove_result = Signal::derive(move || remove.value().get());
    let list = resource(move || (saved.get(), removed.get()), |_| list_canned_replies());
    let can_edit = current_user().is_some_and(|a| a.can(Permission::TicketSupervise));
    // The reply being edited (0: a new one) and its fields.
    let (editing, title, body) = (RwSignal::new(0i64), RwSignal::new(String::new()), RwSignal::new(String::new()));
    Effect::new(move |_| {
        if saved.get() > 0 {
            editing.set(0);
            title.set(String::new());
            body.set(String::new());
        }
    });
    view! {
        <section class="page" data-page="canned-replies">
            <p><a href="/tickets">"← " {i18n.t("ticket.title")}</a></p>
            <h1>{i18n.t("ticket.canned_replies")}</h1>
            <div class="columns">
                <Transition fallback=loading>
                    {move || Suspend::new(async move {
                        let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                        if list.is_empty() {
                            return view! { <p class="empty">{i18n.t("ticket.no_replies")}</p> }.into_any();
                        }
                        view! {
                            <ul class="kb-hits" data-testid="canned-replies">
                                {list.into_iter().map(|r| {
                                    let (id, t, b) = (r.id, r.title.clone(), r.body.clone());
                                    view! {
                                        <li data-reply=r.id>
                                            <strong>{r.title.clone()}</strong> <span class="muted small">" · " {format_time(r.updated_at)}</span>
                                            <p class="prose">{r.body.clone()}</p>
                                            {can_edit.then(|| view! {
                                                <button type="button" class="secondary" on:click=move |_| { editing.set(id); title.set(t.clone()); body.set(b.clone()); }>{i18n.t("ticket.edit")}</button>
                                                " "
                                                <button type="button" class="secondary" on:click=move |_| { remove.dispatch(id); }>{i18n.t("product.remove")}</button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <FormError result=remove_result/>
                        }.into_any()
                    })}
                </Transition>
                {can_edit.then(|| view! {
                    <form class="form" data-testid="canned-reply-form" on:submit=move |ev| {
                        ev.prevent_default();
                        save.dispatch((editing.get_untracked(), CannedReplyInput { title: title.get_untracked(), body: body.get_untracked() }));
                    }>
                        <h2>{move || if editing.get() == 0 { i18n.t("ticket.new_reply")() } else { i18n.t("ticket.edit")() }}</h2>
                        <label data-field="title">{i18n.t("ticket.subject")}
                            <input name="title" maxlength="120" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>
                        </label>
                        <FieldError result field="title"/>
                        <label data-field="body">{i18n.t("ticket.message")}
                            <textarea name="body" rows="6" maxlength="4000" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                        </label>
                        <FieldError result field="body"/>
                        <FormError result fields=&["title", "body"]/>
                        <div class="actions"><button type="submit" data-testid="save-reply">{i18n.t("common.save")}</button></div>
                    </form>
                })}
            </div>
        </section>
    }
}
