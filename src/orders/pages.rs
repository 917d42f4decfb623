//! The customer's side of orders: adding to the cart from the catalog, the cart with its
//! checkout, payment, and the customer's own orders with their progress.

use super::api::{get_cart, my_order, my_orders, ActOnOrder, PayOrder, PlaceOrder, ReviewProduct, SetCartQuantity};
use super::ORDERS;
use crate::logistics::delivery_days;
use crate::catalog::pages::failure;
use crate::components::{loading, resource, route_id, step_form, PostForm, RequirePermission, StateBadge, Timeline};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A fresh key for one checkout page, written into its form: the same key on a resubmit
/// finds the same order.
fn checkout_key() -> String {
    #[cfg(feature = "ssr")]
    {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        format!("{now:x}-{:x}-{:x}", rand::random::<u64>(), rand::random::<u64>())
    }
    #[cfg(not(feature = "ssr"))]
    String::new()
}

/// Runs `on_news` on every news of order `id` the server pushes (server-sent events), while
/// the island that calls it lives.
fn on_order_news(id: i64, on_news: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{closure::Closure, JsCast};
        let Ok(source) = web_sys::EventSource::new(&format!("/api/live/orders/{id}")) else { return };
        let on_news = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| on_news());
        let _ = source.add_event_listener_with_callback("changed", on_news.as_ref().unchecked_ref());
        // Closed, with its listener, when the island goes.
        let held = send_wrapper::SendWrapper::new((source, on_news));
        on_cleanup(move || held.0.close());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, on_news);
}

/// Whether the user has typed into the page, or is in one of its fields: news then must not
/// reload the page under their hands.
fn typing(typed: RwSignal<bool>) -> bool {
    #[cfg(feature = "hydrate")]
    {
        typed.get_untracked() || document().active_element().is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
    }
    #[cfg(not(feature = "hydrate"))]
    typed.get_untracked()
}

/// Loads the page again (in the browser).
fn reload() {
    #[cfg(feature = "hydrate")]
    let _ = window().location().reload();
}

/// Keeps an open order page in step with the order as others move it (and carriers report):
/// the page loads again with the news, or, once the user has typed something, says the order
/// changed, with a link that loads it again.
#[island]
pub fn OrderNews(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let changed = RwSignal::new(false);
    let typed = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let typing_here = window_event_listener(leptos::ev::input, move |_| typed.set(true));
        on_cleanup(move || typing_here.remove());
    }
    on_order_news(id, move || if typing(typed) { changed.set(true) } else { reload() });
    move || changed.get().then(|| view! {
        <p class="notice" role="status" data-testid="order-changed">
            {i18n.t("order.changed")} " " <a href="">{i18n.t("order.reload")}</a>
        </p>
    })
}

/// A parcel's journey as its carrier reported it, newest first.
#[component]
pub fn TrackingList(events: Vec<super::TrackingEvent>) -> impl IntoView {
    let i18n = use_i18n();
    (!events.is_empty()).then(|| view! {
        <ol class="tracking" data-testid="tracking-events">
            {events.into_iter().rev().map(|e| {
                let status = e.status.clone();
                view! {
                    <li data-status=e.status.clone()>
                        <strong>{move || super::tracking_status_name(&status, i18n.lang())}</strong> " · " {e.description}
                        {e.location.map(|l| view! { " · " <span class="muted">{l}</span> })}
                        <br/><span class="muted small">{format_time(e.at)}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    })
}

/// The shop's product page: average rating and the latest reviews.
#[component]
pub fn ProductReviewsPanel(product_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let reviews = resource(move || product_id, super::api::get_product_reviews);
    view! {
        <section class="reviews" data-testid="product-reviews">
            <h2>{i18n.t("review.title")}</h2>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    let Ok(r) = reviews.await else { return ().into_any() };
                    match r.average_x10 {
                        None => view! { <p class="muted">{i18n.t("review.none")}</p> }.into_any(),
                        Some(avg) => view! {
                            <p data-testid="rating"><span class="stars">{super::reviews::stars((avg + 5) / 10)}</span> " "
                                {format!("{}.{}", avg / 10, avg % 10)} " · " {r.count} " " {i18n.t("review.count")}</p>
                            <ul class="review-list">
                                {r.latest.into_iter().map(|v| view! {
                                    <li><span class="stars">{super::reviews::stars(v.rating)}</span> " " <strong>{v.author}</strong>
                                        " · " <span class="muted small">{v.sku} " · " {format_time(v.at)}</span>
                                        {(!v.comment.is_empty()).then(|| view! { <p>{v.comment}</p> })}</li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The customer reviews each product of a completed order, once.
fn review_forms(lines: Vec<super::OrderLine>, reviewed: Vec<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let to = <ReviewProduct as ServerFn>::PATH;
    view! {
        <section class="reviews" data-testid="review-products">
            <h2>{i18n.t("review.yours")}</h2>
            {lines.into_iter().map(|l| {
                let title = view! { <strong>{l.title.clone()}</strong> };
                view! {
                    <div class="review" data-review-sku=l.sku.clone()>
                        {if reviewed.contains(&l.id) {
                            view! { <p class="form inline">{title} " " <span class="ok" data-testid="reviewed">{i18n.t("review.thanks")}</span></p> }.into_any()
                        } else {
                            view! {
                                <PostForm to=to.to_string() class="form inline".to_string()>
                                    {title}
                                    <input type="hidden" name="input[order_line_id]" value=l.id/>
                                    <select name="input[rating]" aria-label="rating">
                                        {(1..=5).rev().map(|n| view! { <option value=n.to_string()>{super::reviews::stars(n)}</option> }).collect_view()}
                                    </select>
                                    <input name="input[comment]" maxlength="1000" placeholder=i18n.t("review.comment")()/>
                                    <button type="submit" class="secondary">{i18n.t("review.send")}</button>
                                </PostForm>
                            }.into_any()
                        }}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

// ---------------------------------------------------------------- cart and checkout

#[component]
pub fn CartPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderPlace><CartInner/></RequirePermission> }
}

#[component]
fn CartInner() -> impl IntoView {
    let i18n = use_i18n();
    let cart = resource(|| (), |_| get_cart());
    view! {
        <section class="page" data-page="cart">
            <h1>{i18n.t("cart.title")}</h1>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let cart = match cart.await { Ok(c) => c, Err(e) => return failure(e) };
                    if cart.lines.is_empty() {
                        return view! {
                            <p class="empty" data-testid="cart-empty">{i18n.t("cart.empty")} " " <a href="/catalog">{i18n.t("catalog.title")}</a></p>
                        }.into_any();
                    }
                    // The default address of the book fills the form, else the last one used.
                    let first = cart.addresses.first().map(|a| a.address.clone()).or_else(|| cart.last_address.clone()).unwrap_or_default();
                    let save_address = cart.addresses.is_empty();
                    let goods = cart.goods_total;
                    // The cheapest delivery for this cart is chosen until the customer chooses.
                    let cheapest = cart.shipping.iter().min_by_key(|m| (m.fee_for(goods), m.days_max)).map(|m| m.code.clone()).unwrap_or_default();
                    let fee = cart.shipping.iter().find(|m| m.code == cheapest).map(|m| m.fee_for(goods)).unwrap_or(0);
                    let to_cart = <SetCartQuantity as ServerFn>::PATH;
                    view! {
                        <div class="table-wrap">
                            <table class="data" data-testid="cart-lines">
                                <thead><tr>
                                    <th>{i18n.t("stock.product")}</th><th>"SKU"</th><th class="num">{i18n.t("field.price")}</th>
                                    <th class="num">{i18n.t("field.quantity")}</th><th class="num">{i18n.t("cart.line_total")}</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {cart.lines.into_iter().map(|l| {
                                        let warn = if !l.listed {
                                            Some(i18n.t("cart.not_sold")().to_string())
                                        } else if l.available < l.quantity {
                                            Some(format!("{} {}", i18n.t("cart.only_left")(), l.available))
                                        } else {
                                            None
                                        };
                                        let (sku, sku2) = (l.sku.clone(), l.sku.clone());
                                        view! {
                                            <tr data-sku=l.sku.clone()>
                                                <td><a href=format!("/catalog/{}", l.product_id)>{l.title.clone()}</a>
                                                    {warn.map(|w| view! { <br/><span class="badge warn">{w}</span> })}</td>
                                                <td>{l.sku.clone()}<br/><span class="muted small">{l.attributes.clone()}</span></td>
                                                <td class="num">{price_label(l.unit_price)}</td>
                                                <td class="num">
                                                    // A changed quantity is saved at once.
                                                    <PostForm to=to_cart.to_string() class="inline".to_string()>
                                                        <input type="hidden" name="sku" value=sku/>
                                                        <input name="quantity" size="3" inputmode="numeric" value=l.quantity.to_string() onchange="this.form.requestSubmit()"/>
                                                    </PostForm>
                                                </td>
                                                <td class="num">{price_label(l.unit_price * l.quantity)}</td>
                                                <td>
                                                    <PostForm to=to_cart.to_string() class="inline".to_string()>
                                                        <input type="hidden" name="sku" value=sku2/>
                                                        <input type="hidden" name="quantity" value="0"/>
                                                        <button type="submit" class="linkish" data-testid="remove">{i18n.t("cart.remove")}</button>
                                                    </PostForm>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <div data-testid="checkout">
                        <PostForm to={<PlaceOrder as ServerFn>::PATH.to_string()} class="form wide checkout".to_string() then="/my/orders/{}".to_string()>
                            <h2>{i18n.t("cart.delivery")}</h2>
                            // One key per checkout page: pressing "place order" twice, or again
                            // after a network error, finds the first order instead of making a second.
                            <input type="hidden" name="input[idempotency_key]" value=checkout_key()/>
                            <input type="hidden" name="input[expected_total]" value=goods + fee/>
                            {(!cart.addresses.is_empty()).then(|| view! {
                                <label data-field="saved_address">{i18n.t("address.choose")}
                                    // Choosing an entry of the book fills the address in.
                                    <select name="saved_address" onchange=PICK_ADDRESS>
                                        {cart.addresses.iter().map(|a| view! {
                                            <option value=a.id.to_string() data-recipient=a.address.recipient.clone() data-phone=a.address.phone.clone() data-address=a.address.address.clone()>{a.summary()}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            })}
                            <div class="row">
                                <label data-field="recipient">{i18n.t("field.recipient")}
                                    <input name="input[address][recipient]" data-name="recipient" maxlength="60" autocomplete="name" value=first.recipient/>
                                </label>
                                <label data-field="phone">{i18n.t("field.phone")}
                                    <input name="input[address][phone]" data-name="phone" maxlength="30" autocomplete="tel" inputmode="tel" value=first.phone/>
                                </label>
                            </div>
                            <label data-field="address">{i18n.t("field.address")}
                                <textarea name="input[address][address]" data-name="address" rows="2" maxlength="300" autocomplete="street-address">{first.address}</textarea>
                            </label>
                            <label class="inline">
                                <input type="checkbox" name="input[save_address]" value="true" checked=save_address/>
                                {i18n.t("address.save_at_checkout")} " " <a href="/my/addresses" class="small">{i18n.t("address.title")}</a>
                            </label>
                            // Choosing a delivery shows its total at once (and posts it, to be checked).
                            <fieldset class="methods" onchange=PICK_METHOD>
                                <legend>{i18n.t("cart.shipping")}</legend>
                                {cart.shipping.is_empty().then(|| view! { <p class="empty" data-testid="no-shipping">{i18n.t("cart.no_shipping")}</p> })}
                                {cart.shipping.into_iter().map(|m| {
                                    let fee = m.fee_for(goods);
                                    let fee_label = if fee == 0 { i18n.t("cart.free")().to_string() } else { price_label(fee) };
                                    view! {
                                        <label class="inline method" data-method=m.code.clone()>
                                            <input type="radio" name="input[shipping_method]" data-name="shipping_method" value=m.code.clone() checked=m.code == cheapest
                                                data-cents=goods + fee data-total=price_label(goods + fee) data-fee=price_label(fee)/>
                                            <span>{format!("{} · {}", m.carrier.get(i18n.lang()), m.name.get(i18n.lang()))}
                                                " (" {delivery_days(m.days_min, m.days_max, i18n.lang())} ")"</span>
                                            " · " {fee_label}
                                        </label>
                                    }
                                }).collect_view()}
                            </fieldset>
                            <dl class="facts totals" data-testid="totals">
                                <dt>{i18n.t("cart.goods")}</dt><dd>{price_label(goods)}</dd>
                                <dt>{i18n.t("cart.shipping")}</dt><dd data-testid="fee">{price_label(fee)}</dd>
                                <dt>{i18n.t("cart.total")}</dt><dd><strong data-testid="total">{price_label(goods + fee)}</strong></dd>
                            </dl>
                            <div class="actions"><button type="submit" data-testid="place-order">{i18n.t("cart.place")}</button></div>
                        </PostForm>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// Fills the checkout's address from the chosen entry of the address book (its `data-*`).
const PICK_ADDRESS: &str = "var o=this.selectedOptions[0],e=this.form.elements;\
e['input[address][recipient]'].value=o.dataset.recipient;e['input[address][phone]'].value=o.dataset.phone;\
e['input[address][address]'].value=o.dataset.address;e['input[save_address]'].checked=false";

/// Shows the chosen delivery's fee and total, and posts that total for the server to check.
const PICK_METHOD: &str = "var r=this.querySelector('input:checked'),f=this.form;if(!r)return;\
f.elements['input[expected_total]'].value=r.dataset.cents;\
f.querySelector('[data-testid=fee]').textContent=r.dataset.fee;f.querySelector('[data-testid=total]').textContent=r.dataset.total";

// ---------------------------------------------------------------- my orders

#[component]
pub fn MyOrders() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderPlace><MyOrdersInner/></RequirePermission> }
}

#[component]
fn MyOrdersInner() -> impl IntoView {
    let i18n = use_i18n();
    let list = resource(|| (), |_| my_orders());
    view! {
        <section class="page" data-page="my-orders">
            <h1>{i18n.t("order.mine")}</h1>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("order.none_mine")} " " <a href="/catalog">{i18n.t("catalog.title")}</a></p> }.into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr><th>"#"</th><th>{i18n.t("audit.when")}</th><th>{i18n.t("field.state")}</th><th class="num">{i18n.t("order.items")}</th><th class="num">{i18n.t("cart.total")}</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|o| view! {
                                        <tr data-order=o.id>
                                            <td><a href=format!("/my/orders/{}", o.id)>{o.id}</a></td>
                                            <td>{format_time(o.created_at)}</td>
                                            <td><StateBadge workflow=&ORDERS state=o.state/></td>
                                            <td class="num">{o.units}</td>
                                            <td class="num">{price_label(o.total)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn MyOrderPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderPlace><MyOrderInner id=route_id("id")/></RequirePermission> }
}

#[component]
fn MyOrderInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, my_order);
    view! {
        <section class="page" data-page="my-order">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    // The live parcels have a resource of their own.
                    crate::components::after_dry_runs().await;
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let o = d.order;
                    let oid = o.id;
                    let awaiting_payment = o.state == super::PLACED.id;
                    let can_cancel = d.actions.iter().any(|a| a == "cancel");
                    let returnable = ["delivered", "completed", "review_requested"].contains(&o.state.as_str());
                    let reviewable = ["completed", "review_requested"].contains(&o.state.as_str());
                    let input = move |name: &'static str, label: &'static str, mode: &'static str| view! {
                        <label data-field=name>{i18n.t(label)}
                            <input name=format!("card[{name}]") inputmode=mode autocomplete="off"/>
                        </label>
                    };
                    let declined = o.payments.iter().rev().find(|p| p.outcome != "succeeded").filter(|_| awaiting_payment).cloned();
                    view! {
                        <p><a href="/my/orders">"← " {i18n.t("order.mine")}</a></p>
                        <div class="page-head">
                            <h1>{i18n.t("order.one")} " #" {o.id}</h1>
                            <div><StateBadge workflow=&ORDERS state=o.state.clone()/></div>
                        </div>
                        <div class="columns">
                            <div>
                                {awaiting_payment.then(|| view! {
                                    <div data-testid="pay">
                                        <PostForm to={<PayOrder as ServerFn>::PATH.to_string()} class="form step".to_string() step="pay".to_string()>
                                            <h2>{i18n.t("order.pay")} " " {price_label(o.total)}</h2>
                                            <p class="sop">{ORDERS.action("pay").map(|a| a.sop.get(i18n.lang())).unwrap_or("")}</p>
                                            <input type="hidden" name="id" value=oid/>
                                            {input("holder", "field.holder", "text")}
                                            {input("number", "field.card_number", "numeric")}
                                            <div class="row">
                                                {input("expiry", "field.expiry", "numeric")}
                                                {input("cvc", "field.cvc", "numeric")}
                                            </div>
                                            {declined.clone().map(|p| view! {
                                                <p class="notice" data-testid="last-payment">{i18n.t("order.last_payment_failed")} " " {p.message.unwrap_or_default()}</p>
                                            })}
                                            <p class="hint">{i18n.t("order.test_cards")}</p>
                                            <button type="submit" data-testid="pay-now">{i18n.t("order.pay")}</button>
                                        </PostForm>
                                    </div>
                                })}
                                {o.cancel_reason.clone().map(|r| view! { <p class="notice" data-testid="cancel-reason">{i18n.t("order.cancelled_because")} " " {r}</p> })}
                                {(!o.refunds.is_empty()).then(|| view! {
                                    <p class="notice" data-testid="refund">{i18n.t("order.refund_pending")} " "
                                        {price_label(o.refunds.iter().map(|r| r.0).sum())}</p>
                                })}
                                <OrderLines order=o.clone()/>
                                <h2>{i18n.t("order.parcels")}</h2>
                                // The parcels follow their carriers live; the rest of the page
                                // loads again when the order moves on.
                                <LiveParcels id=oid state=o.state.clone()/>
                                <super::exception_pages::CustomerExceptions exceptions=d.exceptions/>
                                <super::return_pages::CustomerReturns returns=d.returns/>
                                <p><a href=format!("/my/tickets?order={oid}") data-testid="ask-about-order">{i18n.t("ticket.ask_about_order")}</a></p>
                                {reviewable.then(|| review_forms(o.lines.clone(), d.reviewed_lines.clone()))}
                                {returnable.then(|| view! { <super::return_pages::ReturnRequestForm order_id=oid lines=o.lines.clone()/> })}
                                {can_cancel.then(|| step_form(&ORDERS, "cancel", <ActOnOrder as ServerFn>::PATH, (oid, o.version), vec![], ()))}
                            </div>
                            <aside>
                                <h2>{i18n.t("order.progress")}</h2>
                                <Timeline workflow=&ORDERS events=d.events/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// The parcels of the customer's order `id`, live: their carriers' news shows as it comes.
/// When the order itself moves on from `state`, the page loads again (or, once the customer
/// has typed something, says so).
#[island]
fn LiveParcels(id: i64, state: String) -> impl IntoView {
    let i18n = use_i18n();
    let news = RwSignal::new(0usize);
    let typed = RwSignal::new(false);
    let moved = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let typing_here = window_event_listener(leptos::ev::input, move |_| typed.set(true));
        on_cleanup(move || typing_here.remove());
    }
    on_order_news(id, move || news.update(|n| *n += 1));
    let detail = resource(move || news.get(), move |_| my_order(id));
    view! {
        {move || moved.get().then(|| view! {
            <p class="notice" role="status" data-testid="order-changed">
                {i18n.t("order.changed")} " " <a href="">{i18n.t("order.reload")}</a>
            </p>
        })}
        <Transition fallback=loading>
            {move || {
                let state = state.clone();
                Suspend::new(async move {
                let Ok(d) = detail.await else { return ().into_any() };
                if d.order.state != state {
                    if typing(typed) { moved.set(true) } else { reload() }
                }
                view! {
                    <ul class="parcels" data-testid="parcels">
                        {d.order.shipments.into_iter().map(|s| {
                            let link = s.tracking_link.clone();
                            view! {
                                <li>
                                    {match (s.carrier_name, s.tracking_number) {
                                        (Some(c), Some(t)) => view! {
                                            <strong>{c.get(i18n.lang()).to_string()}</strong> " " <span data-testid="tracking">{t}</span>
                                            {link.map(|l| view! { " " <a href=l target="_blank" rel="noopener noreferrer" data-testid="carrier-link">{i18n.t("order.track_at_carrier")}</a> })}
                                            " · " {i18n.t("order.shipped_at")} " " {s.shipped_at.map(format_time).unwrap_or_default()}
                                            {s.delivered_at.map(|d| view! { " · " {i18n.t("order.delivered_at")} " " {format_time(d)} })}
                                        }.into_any(),
                                        _ => view! { <span class="muted">{i18n.t("order.not_shipped")}</span> }.into_any(),
                                    }}
                                    <span class="muted small">" (" {s.items.iter().map(|i| format!("{} × {}", i.1, i.2)).collect::<Vec<_>>().join(", ")} ")"</span>
                                    <TrackingList events=s.events/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}}
        </Transition>
    }
}

/// The lines, totals and delivery address of an order (shared by the customer's page and the
/// order desk).
#[component]
pub fn OrderLines(order: super::Order) -> impl IntoView {
    let i18n = use_i18n();
    let method = order.shipping_service.clone();
    view! {
        <div class="table-wrap">
            <table class="data lines" data-testid="order-lines">
                <thead><tr>
                    <th>{i18n.t("stock.product")}</th><th>"SKU"</th><th class="num">{i18n.t("field.price")}</th>
                    <th class="num">{i18n.t("field.quantity")}</th><th class="num">{i18n.t("cart.line_total")}</th>
                </tr></thead>
                <tbody>
                    {order.lines.iter().map(|l| view! {
                        <tr data-sku=l.sku.clone()>
                            <td>{l.title.clone()}</td>
                            <td>{l.sku.clone()}<br/><span class="muted small">{l.attributes.clone()}</span></td>
                            <td class="num">{price_label(l.unit_price)}</td>
                            <td class="num">{l.quantity}</td>
                            <td class="num">{price_label(l.line_total)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <dl class="facts totals">
            <dt>{i18n.t("cart.goods")}</dt><dd>{price_label(order.goods_total)}</dd>
            <dt>{i18n.t("cart.shipping")}</dt>
            <dd>{price_label(order.shipping_fee)} " · " {move || method.get(i18n.lang()).to_string()}</dd>
            <dt>{i18n.t("cart.total")}</dt><dd><strong data-testid="order-total">{price_label(order.total)}</strong></dd>
            <dt>{i18n.t("cart.delivery")}</dt>
            <dd>{order.recipient.clone()} " · " {order.phone.clone()}<br/>{order.address.clone()}</dd>
            <dt>{i18n.t("order.placed_at")}</dt><dd>{format_time(order.created_at)}</dd>
            {order.paid_at.map(|p| view! { <dt>{i18n.t("order.paid_at")}</dt><dd>{format_time(p)}</dd> })}
        </dl>
    }
}
