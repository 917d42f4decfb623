//! The bell in the header (the unread count) and `/notifications`: the signed-in user's
//! notifications, newest first, each a link to its record; following one marks it read.

use super::api::{list_notifications, mark_notification_read, unread_notifications, MarkAllNotificationsRead};
use super::Notification;
use crate::catalog::pages::failure;
use crate::components::{loading, resource, FormError, RequireUser};
use crate::domain::format_time;
use crate::i18n::use_i18n;
use leptos::prelude::*;

/// Bumped whenever this page marks notifications read, so that the bell counts again at once.
#[derive(Clone, Copy)]
pub struct NoticesChanged(pub RwSignal<usize>);

#[cfg(feature = "hydrate")]
thread_local! {
    /// The browser's one counter: the bell and the notifications page are separate islands,
    /// which share no context, but they run in the same client.
    static CHANGED: ArcRwSignal<usize> = ArcRwSignal::new(0);
}

fn changed() -> RwSignal<usize> {
    #[cfg(feature = "hydrate")]
    {
        CHANGED.with(|c| RwSignal::from(c.clone()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        use_context::<NoticesChanged>().map(|c| c.0).unwrap_or_else(|| RwSignal::new(0))
    }
}

/// The bell: a link to `/notifications` with the number unread, counted when the page loads
/// and again when the notifications page marks some read.
#[component]
pub fn NotificationBell() -> impl IntoView {
    let i18n = use_i18n();
    let changed = changed();
    // Counted in the browser, outside any Suspense, so the page does not wait for it.
    let unread = RwSignal::new(0i64);
    Effect::new(move |_| {
        changed.track();
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

#[island]
fn NotificationsInner() -> impl IntoView {
    let i18n = use_i18n();
    let changed = changed();
    let mark_all = ServerAction::<MarkAllNotificationsRead>::new();
    // The list and the bell both count again when something here was marked read.
    let inbox = resource(move || changed.get(), |_| list_notifications());
    Effect::new(move |_| {
        if mark_all.value().with(|v| matches!(v, Some(Ok(_)))) {
            changed.update(|n| *n += 1);
        }
    });
    let result = Signal::derive(move || mark_all.value().get());
    view! {
        <section class="page" data-page="notifications">
            <div class="page-head">
                <h1>{i18n.t("notice.title")}</h1>
                <div class="actions">
                    <button class="secondary" data-testid="mark-all-read" on:click=move |_| { mark_all.dispatch(MarkAllNotificationsRead {}); }>
                        {i18n.t("notice.mark_all_read")}
                    </button>
                </div>
            </div>
            <FormError result/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let inbox = match inbox.await { Ok(i) => i, Err(e) => return failure(e) };
                    if inbox.items.is_empty() {
                        return view! { <p class="empty">{i18n.t("notice.none")}</p> }.into_any();
                    }
                    view! {
                        <p class="muted" data-testid="unread-total">{i18n.t("notice.unread")} " " {inbox.unread}</p>
                        <ul class="notices" data-testid="notifications">
                            {inbox.items.into_iter().map(|n| view! { <NoticeItem notice=n/> }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
fn NoticeItem(notice: Notification) -> impl IntoView {
    let i18n = use_i18n();
    let changed = changed();
    let (id, link, unread, at) = (notice.id, notice.link.clone(), notice.read_at.is_none(), notice.created_at);
    let href = link.clone();
    let text = move || notice.text(i18n.lang());
    // Marked read before leaving, so the bell on the next page already counts it out. Without
    // scripts the link still leads to the record; it just stays unread.
    let follow = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let link = link.clone();
        leptos::task::spawn_local(async move {
            if unread && mark_notification_read(id).await.is_ok() {
                changed.update(|n| *n += 1);
            }
            crate::components::go_to(&link);
        });
    };
    view! {
        <li class="notice" class:unread=unread data-notification=id>
            <a href=href on:click=follow>{text}</a>
            <span class="muted small">" · " {format_time(at)}</span>
        </li>
    }
}
