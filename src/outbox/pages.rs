//! `/admin/outbox`: what was written to customers, and whether it has gone out.

use super::api::list_outbox;
use crate::catalog::pages::failure;
use crate::components::{loading, RequirePermission};
use crate::domain::{format_time, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn OutboxPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OutboxView><OutboxInner/></RequirePermission> }
}

#[component]
fn OutboxInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let to = move || query.read().get("to").unwrap_or_default();
    let list = Resource::new(to, list_outbox);
    view! {
        <section class="page" data-page="outbox">
            <div class="page-head"><h1>{i18n.t("outbox.title")}</h1></div>
            <p class="muted">{i18n.t("outbox.hint")}</p>
            <form class="filters" method="get" action="/admin/outbox">
                <label>{i18n.t("field.email")}<input name="to" type="email" prop:value=to/></label>
                <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
            </form>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("outbox.none")}</p> }.into_any();
                    }
                    view! {
                        <ul class="mails" data-testid="outbox">
                            {list.into_iter().map(|m| {
                                let link = (m.entity == "ticket").then(|| format!("/tickets/{}", m.entity_id));
                                view! {
                                    <li data-mail=m.id>
                                        <details>
                                            <summary>
                                                <strong>{m.subject.clone()}</strong> " → " {m.to_address.clone()}
                                                <span class="muted small">" · " {format_time(m.created_at)} " · "
                                                    {match m.sent_at {
                                                        Some(at) => format!("{} {}", i18n.t("outbox.sent")(), format_time(at)),
                                                        None => i18n.t("outbox.queued")().to_string(),
                                                    }}
                                                </span>
                                            </summary>
                                            <pre class="mail-body">{m.body.clone()}</pre>
                                            {m.last_error.clone().map(|e| view! { <p class="form-error">{e}</p> })}
                                            {link.map(|l| { let text = l.clone(); view! { <a href=l>{text}</a> } })}
                                        </details>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
