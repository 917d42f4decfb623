//! The bell in the header (the unread count) and `/notifications`: the signed-in user's
//! notifications, newest first, each a link to its record; following one marks it read.

use super::api::{list_notifications, mark_notification_read, unread_notifications, MarkAllNotificationsRead};
use crate::catalog::pages::failure;
use crate::components::{loading, resource, PostForm, RequireUser};
use crate::domain::format_time;
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The bell: a link to `/notifications` with the number unread, counted in the browser once
/// the page has loaded, so that rendering a page never waits for it.
#[island]
pub fn NotificationBell() -> impl IntoView {
    let i18n = use_i18n();
    let unread = RwSignal::new(0i64);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(n) = unread_notifications().await {
                unread.set(n);
            }
        });
    });
    view! {
        <a href="/notifications" class="bell" data-testid="bell" title=i18n.t("notice.title")>
            <span aria-hidden="true">"🔔"</span>
            <span class="sr-only">{i18n.t("notice.title")}</span>
            {move || {
                let n = unread.get();
                (n > 0).then(|| view! { <span class="bell-count" data-testid="unread">{if n > 99 { "99+".to_string() } else { n.to_string() }}</span> })
            }}
        </a>
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! { <RequireUser><NotificationsInner/></RequireUser> }
}

#[component]
fn NotificationsInner() -> impl IntoView {
    let i18n = use_i18n();
    let inbox = resource(|| (), |_| list_notifications());
    view! {
        <section class="page" data-page="notifications">
            <div class="page-head">
                <h1>{i18n.t("notice.title")}</h1>
                <div class="actions">
                    <PostForm to={<MarkAllNotificationsRead as ServerFn>::PATH.to_string()} class="inline".to_string()>
                        <button type="submit" class="secondary" data-testid="mark-all-read">{i18n.t("notice.mark_all_read")}</button>
                    </PostForm>
                </div>
            </div>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let inbox = match inbox.await { Ok(i) => i, Err(e) => return failure(e) };
                    if inbox.items.is_empty() {
                        return view! { <p class="empty">{i18n.t("notice.none")}</p> }.into_any();
                    }
                    view! {
                        <p class="muted" data-testid="unread-total">{i18n.t("notice.unread")} " " {inbox.unread}</p>
                        <ul class="notices" data-testid="notifications">
                            {inbox.items.into_iter().map(|n| {
                                let unread = n.read_at.is_none();
                                view! {
                                    <li class="notice" class:unread=unread data-notification=n.id>
                                        <NoticeLink id=n.id href=n.link.clone() unread text=n.text(i18n.lang())/>
                                        <span class="muted small">" · " {format_time(n.created_at)}</span>
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

/// A notification's link. Marked read before leaving, so the bell on the next page already
/// counts it out. Without scripts the link still leads to the record; it just stays unread.
#[island]
fn NoticeLink(id: i64, href: String, unread: bool, text: String) -> impl IntoView {
    let link = href.clone();
    let follow = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let link = link.clone();
        leptos::task::spawn_local(async move {
            if unread {
                let _ = mark_notification_read(id).await;
            }
            crate::components::go_to(&link);
        });
    };
    view! { <a href=href on:click=follow>{text}</a> }
}
