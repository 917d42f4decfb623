//! The alert inbox: one component every department's pages can embed (filtered by kind),
//! and the `/alerts` page that shows all the viewer handles.

use super::api::{list_alerts, AcknowledgeAlert, ResolveAlert};
use super::{Alert, AlertFilter, ACKNOWLEDGED, OPEN, RESOLVED};
use crate::components::{error_text, resource, PostForm, RequireStaff};
use leptos::server_fn::ServerFn;
use crate::domain::format_time;
use crate::i18n::{tr, use_i18n, Lang};
use leptos::prelude::*;
use crate::components::use_query_map;

#[component]
pub fn AlertsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <RequireStaff>
            <section class="page" data-page="alerts">
                <h1>{i18n.t("alerts.title")}</h1>
                <AlertInbox kind=String::new()/>
            </section>
        </RequireStaff>
    }
}

/// The sentence of an alert in the viewer's language, from its kind and figures.
pub fn describe(alert: &Alert, lang: Lang) -> String {
    let d: serde_json::Value = serde_json::from_str(&alert.detail).unwrap_or_default();
    let num = |k: &str| d.get(k).and_then(|v| v.as_i64()).unwrap_or(0);
    match alert.kind.as_str() {
        "low_stock" => {
            let place = match d.get("warehouse").and_then(|v| v.as_str()) {
                Some(w) => format!("{} {w}", tr(lang, "alerts.in_warehouse")),
                None => tr(lang, "alerts.all_warehouses").to_string(),
            };
            format!("{} {} < {} ({place})", tr(lang, "alerts.low_stock"), num("available"), num("reorder_point"))
        }
        "price" => format!(
            "{} {} · {} {} · {} {}",
            tr(lang, "alerts.abnormal_price"),
            crate::domain::price_label(num("price")),
            tr(lang, "alerts.recent_average"),
            crate::domain::price_label(num("average")),
            tr(lang, "field.cost"),
            crate::domain::price_label(num("cost")),
        ),
        "transfer_shortfall" => format!("{} {}", tr(lang, "alerts.transfer_shortfall"), num("missing")),
        "ticket_sla" => {
            let late = d.get("late").and_then(|v| v.as_bool()).unwrap_or(false);
            let owner = d.get("owner").and_then(|v| v.as_str()).filter(|o| !o.is_empty()).unwrap_or("—");
            let key = if late { "alerts.ticket_sla_late" } else { "alerts.ticket_sla_soon" };
            format!("{} {} · {} {owner}", tr(lang, key), crate::domain::format_time(num("due_at")), tr(lang, "ticket.owner"))
        }
        other => other.to_string(),
    }
}

/// The inbox: open and acknowledged alerts (or those of the state chosen in `?alerts=`),
/// with acknowledge and resolve. `kind` narrows it to one kind ("" for all).
#[component]
pub fn AlertInbox(kind: String) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = move || query.read().get("alerts").unwrap_or_default();
    let alerts = resource(state, move |state| list_alerts(AlertFilter { state, kind: kind.to_string() }));
    let (ack, resolve) = (<AcknowledgeAlert as ServerFn>::PATH, <ResolveAlert as ServerFn>::PATH);
    let state_key = |s: &str| match s {
        OPEN => "alerts.open",
        ACKNOWLEDGED => "alerts.acknowledged",
        _ => "alerts.resolved",
    };
    view! {
        <div class="alert-inbox" data-testid="alert-inbox">
            <nav class="tabs">
                <a href="?alerts=" class:active=state().is_empty()>{i18n.t("alerts.current")}</a>
                <a href=format!("?alerts={RESOLVED}") class:active=state() == RESOLVED>{i18n.t("alerts.resolved")}</a>
            </nav>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let list = match alerts.await {
                        Ok(l) => l,
                        Err(e) => return view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
                    };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("alerts.none")}</p> }.into_any();
                    }
                    view! {
                        <ul class="alerts">
                            {list.into_iter().map(|a| {
                                let text = describe(&a, i18n.lang());
                                view! {
                                    <li class=format!("alert-item {}", a.state) data-alert=a.kind.clone() data-alert-state=a.state.clone()>
                                        <div class="alert-head">
                                            <a href=a.link.clone()><strong>{a.title.clone()}</strong></a>
                                            <span class="badge">{i18n.t(state_key(&a.state))}</span>
                                        </div>
                                        <p>{text}</p>
                                        <p class="muted">
                                            {format_time(a.created_at)}
                                            {a.acknowledged_by.clone().map(|n| view! { " · " {i18n.t("alerts.acknowledged")} ": " {n} })}
                                            {a.resolution.clone().map(|r| view! { " · " {i18n.t("alerts.resolved")} ": " {a.resolved_by.clone().unwrap_or_else(|| "system".into())} " — " {r} })}
                                        </p>
                                        {(a.state == OPEN).then(|| view! {
                                            <PostForm to=ack.to_string() class="inline".to_string()>
                                                <input type="hidden" name="id" value=a.id/>
                                                <button type="submit" class="secondary" data-testid="ack">{i18n.t("alerts.acknowledge")}</button>
                                            </PostForm>
                                        })}
                                        {(a.state != RESOLVED).then(|| view! {
                                            <PostForm to=resolve.to_string() class="inline".to_string()>
                                                <input type="hidden" name="id" value=a.id/>
                                                <input name="note" required maxlength="500" placeholder=i18n.t("alerts.resolution")() aria-label=i18n.t("alerts.resolution")()/>
                                                <button type="submit" data-testid="resolve">{i18n.t("alerts.resolve")}</button>
                                            </PostForm>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
        </div>
    }
}
