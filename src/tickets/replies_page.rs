//! `/tickets/replies`: the canned replies agents start their answers from. Agents read them;
//! supervisors write, change and remove them.

use super::api::{list_canned_replies, DeleteCannedReply, SaveCannedReply};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, resource, use_query_map, PostForm, RequirePermission};
use crate::domain::{format_time, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn CannedRepliesPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketView><RepliesInner/></RequirePermission> }
}

#[component]
fn RepliesInner() -> impl IntoView {
    let i18n = use_i18n();
    let list = resource(|| (), |_| list_canned_replies());
    let can_edit = current_user().is_some_and(|a| a.can(Permission::TicketSupervise));
    // The reply being edited (`?edit=ID`; none: a new one).
    let editing = use_query_map().with_untracked(|q| q.get("edit").and_then(|e| e.parse::<i64>().ok())).unwrap_or(0);
    view! {
        <section class="page" data-page="canned-replies">
            <p><a href="/tickets">"← " {i18n.t("ticket.title")}</a></p>
            <h1>{i18n.t("ticket.canned_replies")}</h1>
            <div class="columns">
                <Transition fallback=loading>
                    {move || Suspend::new(async move {
                        let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                        let edited = list.iter().find(|r| r.id == editing).map(|r| (r.id, r.title.clone(), r.body.clone()));
                        let items = if list.is_empty() {
                            view! { <p class="empty">{i18n.t("ticket.no_replies")}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="kb-hits" data-testid="canned-replies">
                                    {list.into_iter().map(|r| view! {
                                        <li data-reply=r.id>
                                            <strong>{r.title.clone()}</strong> <span class="muted small">" · " {format_time(r.updated_at)}</span>
                                            <p class="prose">{r.body.clone()}</p>
                                            {can_edit.then(|| view! {
                                                <a href=format!("/tickets/replies?edit={}", r.id) class="button secondary">{i18n.t("ticket.edit")}</a>
                                                " "
                                                <PostForm to={<DeleteCannedReply as ServerFn>::PATH.to_string()} then="/tickets/replies".to_string() class="inline".to_string()>
                                                    <input type="hidden" name="id" value=r.id/>
                                                    <button type="submit" class="secondary">{i18n.t("product.remove")}</button>
                                                </PostForm>
                                            })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        };
                        let (id, title, body) = edited.unwrap_or_default();
                        view! {
                            {items}
                            {can_edit.then(|| view! {
                                <div data-testid="canned-reply-form">
                                    <PostForm to={<SaveCannedReply as ServerFn>::PATH.to_string()} then="/tickets/replies".to_string() class="form".to_string()>
                                        <h2>{if id == 0 { i18n.t("ticket.new_reply")() } else { i18n.t("ticket.edit")() }}</h2>
                                        <input type="hidden" name="id" value=id/>
                                        <label data-field="title">{i18n.t("ticket.subject")}
                                            <input name="input[title]" maxlength="120" value=title/>
                                        </label>
                                        <label data-field="body">{i18n.t("ticket.message")}
                                            <textarea name="input[body]" rows="6" maxlength="4000">{body}</textarea>
                                        </label>
                                        <div class="actions">
                                            <button type="submit" data-testid="save-reply">{i18n.t("common.save")}</button>
                                            {(id != 0).then(|| view! { " " <a href="/tickets/replies" class="button secondary">{i18n.t("ticket.new_reply")}</a> })}
                                        </div>
                                    </PostForm>
                                </div>
                            })}
                        }.into_any()
                    })}
                </Transition>
            </div>
        </section>
    }
}
