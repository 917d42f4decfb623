//! The shipments board (`/shipments`): lanes with their counts, a carrier filter, and one row
//! per parcel with its carrier's last word and how long it has been where it is.

use super::api::shipment_board;
use super::shipments::{BoardFilter, Lane};
use super::tracking_status_name;
use crate::catalog::pages::failure;
use crate::components::{loading, resource, RequirePermission};
use crate::domain::{format_time, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::use_query_map;

#[component]
pub fn ShipmentBoardPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::LogisticsPage><ShipmentBoardInner/></RequirePermission> }
}

/// "3 h", "2 d 4 h": how long a parcel has waited.
fn waited(since: i64, now: i64) -> String {
    let hours = (now - since).max(0) / 3_600_000;
    if hours >= 24 { format!("{} d {} h", hours / 24, hours % 24) } else { format!("{hours} h") }
}

#[component]
fn ShipmentBoardInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        BoardFilter { lane: q.get("lane").unwrap_or_default(), carrier: q.get("carrier").unwrap_or_default() }
    };
    let board = resource(filter, shipment_board);
    let href = move |lane: &str, carrier: &str| {
        let mut parts = Vec::new();
        if !lane.is_empty() {
            parts.push(format!("lane={lane}"));
        }
        if !carrier.is_empty() {
            parts.push(format!("carrier={carrier}"));
        }
        if parts.is_empty() { "/shipments".to_string() } else { format!("/shipments?{}", parts.join("&")) }
    };
    view! {
        <section class="page" data-page="shipments">
            <div class="page-head">
                <h1>{i18n.t("shipment.board")}</h1>
                <div class="actions"><a href="/exceptions" class="button secondary">{i18n.t("exception.title")}</a></div>
            </div>
            <p class="muted">{i18n.t("shipment.board_hint")}</p>
            <Transition fallback=loading>
                {move || { Suspend::new(async move {
                    let b = match board.await { Ok(b) => b, Err(e) => return failure(e) };
                    let f = filter();
                    let (lane, carrier) = (f.lane.clone(), f.carrier.clone());
                    let now = b.now;
                    view! {
                        <nav class="filters lanes" aria-label=move || i18n.t("shipment.lanes")() data-testid="lanes">
                            <a href=href("", &carrier) class=if lane.is_empty() { "chip active" } else { "chip" } data-lane="">
                                {i18n.t("shipment.all")} " " <span class="count">{b.counts.iter().map(|c| c.1).sum::<i64>()}</span>
                            </a>
                            {b.counts.iter().map(|(l, n)| {
                                let active = lane == l.key();
                                let class = format!("chip{}{}", if active { " active" } else { "" }, if *l == Lane::Stalled || *l == Lane::Exception { " warn" } else { "" });
                                view! {
                                    <a href=href(l.key(), &carrier) class=class data-lane=l.key()>
                                        {i18n.t(l.label_key())} " " <span class="count">{*n}</span>
                                    </a>
                                }
                            }).collect_view()}
                        </nav>
                        <form class="form inline" method="get" action="/shipments">
                            <input type="hidden" name="lane" value=lane.clone()/>
                            <label>{i18n.t("order.carrier")}
                                <select name="carrier" onchange="this.form.submit()">
                                    <option value="" selected=carrier.is_empty()>{i18n.t("shipment.every_carrier")}</option>
                                    {b.carriers.iter().cloned().map(|(k, name)| { let chosen = carrier == k; view! {
                                        <option value=k selected=chosen>{move || name.get(i18n.lang()).to_string()}</option>
                                    }}).collect_view()}
                                </select>
                            </label>
                            // Choosing a carrier filters; without scripts, the button does.
                            <noscript><button type="submit" class="secondary">{i18n.t("field.search")}</button></noscript>
                        </form>
                        {if b.parcels.is_empty() {
                            view! { <p class="empty">{i18n.t("shipment.none")}</p> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap">
                                    <table class="data" data-testid="shipment-board">
                                        <thead><tr>
                                            <th>{i18n.t("order.one")}</th><th>{i18n.t("order.customer")}</th><th>{i18n.t("shipment.warehouse")}</th>
                                            <th>{i18n.t("order.carrier")}</th><th>{i18n.t("shipment.lane")}</th><th>{i18n.t("shipment.waiting")}</th>
                                            <th>{i18n.t("shipment.last_news")}</th>
                                        </tr></thead>
                                        <tbody>
                                            {b.parcels.into_iter().map(|p| {
                                                let carrier = p.carrier.clone();
                                                let lane = p.lane;
                                                view! {
                                                    <tr data-shipment=p.shipment_id data-lane=lane.key()>
                                                        <td><a href=format!("/orders/{}", p.order_id)>"#" {p.order_id}</a></td>
                                                        <td>{p.customer.clone()}</td>
                                                        <td>{p.warehouse.clone()}</td>
                                                        <td>{move || carrier.as_ref().map(|c| c.get(i18n.lang()).to_string()).unwrap_or_else(|| "—".into())}
                                                            {p.tracking_number.clone().map(|t| view! { <br/><span class="muted small">{t}</span> })}</td>
                                                        <td>
                                                            <span class=format!("badge lane-{}", lane.key())>{i18n.t(lane.label_key())}</span>
                                                            {(p.open_exceptions > 0).then(|| view! {
                                                                " " <a href=format!("/orders/{}#exceptions", p.order_id)>{i18n.t("exception.title")}</a>
                                                            })}
                                                        </td>
                                                        <td>{p.since.map(|s| view! { <span title=format_time(s)>{waited(s, now)}</span> })}</td>
                                                        <td>{p.last_event.clone().map(|(status, description, location, at)| view! {
                                                            <strong>{move || tracking_status_name(&status, i18n.lang())}</strong> " · " {description}
                                                            {location.map(|l| view! { " · " <span class="muted">{l}</span> })}
                                                            <br/><span class="muted small">{format_time(at)}</span>
                                                        })}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {b.truncated.then(|| view! { <p class="hint">{i18n.t("shipment.truncated")}</p> })}
                            }.into_any()
                        }}
                    }.into_any()
                })}}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::waited;

    #[test]
    fn waiting_reads_in_hours_then_days() {
        assert_eq!(waited(0, 3 * 3_600_000 + 59 * 60_000), "3 h");
        assert_eq!(waited(0, 52 * 3_600_000), "2 d 4 h");
        assert_eq!(waited(10, 0), "0 h");
    }
}
