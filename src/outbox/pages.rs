//! `/admin/outbox`: what was written to customers, and whether it has gone out: queued,
//! sent, waiting for another try (with the relay's answer) or given up; an administrator
//! may retry a waiting or failed mail at once.

use super::api::{list_outbox, RetryOutboxEmail};
use super::{Delivery, OutboxEmail};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, resource, PostForm, RequirePermission};
use leptos::server_fn::ServerFn;
use crate::domain::{format_time, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;

#[component]
pub fn OutboxPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OutboxView><OutboxInner/></RequirePermission> }
}

#[component]
fn OutboxInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let to = move || query.read().get("to").unwrap_or_default();
    let list = resource(to, list_outbox);
    let can_retry = current_user().is_some_and(|a| a.can(Permission::OutboxManage));
    view! {
        <section class="page" data-page="outbox">
            <div class="page-head"><h1>{i18n.t("outbox.title")}</h1></div>
            <p class="muted">{i18n.t("outbox.hint")}</p>
            <form class="filters" method="get" action="/admin/outbox">
                <label>{i18n.t("field.email")}<input name="to" type="email" value=to()/></label>
                <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
            </form>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let outbox = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    let off = (!outbox.delivering).then(|| view! { <p class="notice" data-testid="delivery-off">{i18n.t("outbox.delivery_off")}</p> });
                    if outbox.mails.is_empty() {
                        return view! { {off} <p class="empty">{i18n.t("outbox.none")}</p> }.into_any();
                    }
                    view! {
                        {off}
                        <ul class="mails" data-testid="outbox">
                            {outbox.mails.into_iter().map(|m| mail_item(m, can_retry)).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

fn mail_item(m: OutboxEmail, can_retry: bool) -> impl IntoView {
    let i18n = use_i18n();
    let link = (m.entity == "ticket").then(|| format!("/tickets/{}", m.entity_id));
    let delivery = m.delivery();
    let (state, label, class) = match &delivery {
        Delivery::Queued => ("queued", "outbox.queued", "badge"),
        Delivery::Sent { .. } => ("sent", "outbox.sent", "badge state-implemented"),
        Delivery::Retrying { .. } => ("retrying", "outbox.retrying", "badge state-assigned"),
        Delivery::Failed { .. } => ("failed", "outbox.failed", "badge state-rejected"),
    };
    // When and why, after the subject; a closure so it follows a change of language.
    let detail = {
        let delivery = delivery.clone();
        move || match &delivery {
            Delivery::Queued => String::new(),
            Delivery::Sent { at } => format!(" · {} {}", i18n.t("outbox.sent_at")(), format_time(*at)),
            Delivery::Retrying { attempts, next_at, .. } => {
                format!(" · {}: {attempts} · {} {}", i18n.t("outbox.attempts")(), i18n.t("outbox.next_try")(), format_time(*next_at))
            }
            Delivery::Failed { at, attempts, .. } => {
                format!(" · {}: {attempts} · {} {}", i18n.t("outbox.attempts")(), i18n.t("outbox.failed_at")(), format_time(*at))
            }
        }
    };
    let error = match &delivery {
        Delivery::Retrying { error, .. } | Delivery::Failed { error, .. } if !error.is_empty() => Some(error.clone()),
        _ => None,
    };
    let retry_button = (can_retry && m.can_retry()).then(|| {
        view! {
            <PostForm to={<RetryOutboxEmail as ServerFn>::PATH.to_string()} class="inline".to_string()>
                <input type="hidden" name="id" value=m.id/>
                <button type="submit" class="secondary" data-testid="retry">{i18n.t("outbox.retry")}</button>
            </PostForm>
        }
    });
    view! {
        <li data-mail=m.id data-delivery=state>
            <details>
                <summary>
                    <strong>{m.subject.clone()}</strong> " → " {m.to_address.clone()}
                    " " <span class=class>{i18n.t(label)}</span>
                    <span class="muted small">" · " {format_time(m.created_at)} {detail}</span>
                </summary>
                {error.map(|e| view! { <p class="form-error" data-testid="mail-error">{i18n.t("outbox.last_error")} ": " {e}</p> })}
                {retry_button}
                <pre class="mail-body">{m.body.clone()}</pre>
                {link.map(|l| { let text = l.clone(); view! { <a href=l>{text}</a> } })}
            </details>
        </li>
    }
}
