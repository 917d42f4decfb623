//! The customer's side of orders: adding to the cart from the catalog, the cart with its
//! checkout, payment, and the customer's own orders with their progress.

use super::api::{add_to_cart, get_cart, my_order, my_orders, pay_order, place_order, set_cart_quantity};
use super::{AddressInput, CardInput, CheckoutInput, ORDERS};
use crate::logistics::delivery_days;
use crate::catalog::pages::failure;
use crate::components::{loading, route_id, step_box, successes, resource, FieldError, FormError, RequirePermission, StateBadge, Timeline};
use crate::domain::{format_time, price_label, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use std::collections::HashMap;

/// A fresh key for one checkout attempt: the same key on a resubmit finds the same order.
fn checkout_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let a = (js_sys::Math::random() * 1e15) as u64;
        let b = (js_sys::Math::random() * 1e15) as u64;
        format!("{:x}-{:x}-{:x}", js_sys::Date::now() as u64, a, b)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// Counts the news of order `id` pushed by the server (server-sent events): key the order's
/// resource on it, and the page refreshes itself when the order moves or a parcel reports.
pub fn follow_order(id: impl Fn() -> i64 + Send + Sync + 'static) -> RwSignal<usize> {
    let news = RwSignal::new(0usize);
    Effect::new(move |_| {
        let id = id();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::{closure::Closure, JsCast};
            let Ok(source) = web_sys::EventSource::new(&format!("/api/live/orders/{id}")) else { return };
            let on_news = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| news.update(|n| *n += 1));
            let _ = source.add_event_listener_with_callback("changed", on_news.as_ref().unchecked_ref());
            // Closed, with its listener, when the page (or the order it shows) changes.
            let held = send_wrapper::SendWrapper::new((source, on_news));
            on_cleanup(move || held.0.close());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, news);
    });
    news
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
#[component]
fn ReviewForm(lines: Vec<super::OrderLine>, reviewed: Vec<i64>, on_done: RwSignal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let send = Action::new(|input: &super::reviews::ReviewInput| {
        let input = input.clone();
        async move { super::api::review_product(input).await }
    });
    let sent = successes(send);
    Effect::new(move |_| {
        if sent.get() > 0 {
            on_done.update(|n| *n += 1);
        }
    });
    let result = Signal::derive(move || send.value().get());
    view! {
        <section class="reviews" data-testid="review-products">
            <h2>{i18n.t("review.yours")}</h2>
            {lines.into_iter().map(|l| {
                let done = reviewed.contains(&l.id);
                let (rating, comment) = (RwSignal::new("5".to_string()), RwSignal::new(String::new()));
                let line_id = l.id;
                view! {
                    <form class="form inline review" data-review-sku=l.sku.clone() on:submit=move |ev| {
                        ev.prevent_default();
                        send.dispatch(super::reviews::ReviewInput { order_line_id: line_id, rating: rating.get_untracked(), comment: comment.get_untracked() });
                    }>
                        <strong>{l.title.clone()}</strong>
                        {if done {
                            view! { <span class="ok" data-testid="reviewed">{i18n.t("review.thanks")}</span> }.into_any()
                        } else {
                            view! {
                                <select name="rating" aria-label="rating" on:change=move |ev| rating.set(event_target_value(&ev))>
                                    {(1..=5).rev().map(|n| view! { <option value=n.to_string()>{super::reviews::stars(n)}</option> }).collect_view()}
                                </select>
                                <input name="comment" maxlength="1000" placeholder=move || i18n.t("review.comment")() prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))/>
                                <button type="submit" class="secondary">{i18n.t("review.send")}</button>
                            }.into_any()
                        }}
                    </form>
                }
            }).collect_view()}
            <FormError result/>
        </section>
    }
}

/// "Add to cart" beside one SKU of the catalog's product page.
#[component]
pub fn AddToCart(sku: String) -> impl IntoView {
    let i18n = use_i18n();
    let quantity = RwSignal::new("1".to_string());
    let add = Action::new(|(sku, q): &(String, String)| {
        let (sku, q) = (sku.clone(), q.clone());
        async move { add_to_cart(sku, q).await }
    });
    let result = Signal::derive(move || add.value().get());
    let sku = StoredValue::new(sku);
    view! {
        <form class="add-to-cart" data-testid="add-to-cart" on:submit=move |ev| {
            ev.prevent_default();
            add.dispatch((sku.get_value(), quantity.get_untracked()));
        }>
            <input name="quantity" size="3" inputmode="numeric" aria-label="quantity" prop:value=move || quantity.get() on:input=move |ev| quantity.set(event_target_value(&ev))/>
            <button type="submit" class="secondary">{i18n.t("cart.add")}</button>
            {move || matches!(result.get(), Some(Ok(()))).then(|| view! {
                <span class="ok" data-testid="added">{i18n.t("cart.added")} " · " <a href="/cart">{i18n.t("cart.view")}</a></span>
            })}
            <FormError result/>
        </form>
    }
}

// ---------------------------------------------------------------- cart and checkout

#[component]
pub fn CartPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::OrderPlace><CartInner/></RequirePermission> }
}

#[island]
fn CartInner() -> impl IntoView {
    let i18n = use_i18n();
    let change = Action::new(|(sku, q): &(String, String)| {
        let (sku, q) = (sku.clone(), q.clone());
        async move { set_cart_quantity(sku, q).await }
    });
    let changed = successes(change);
    let change_result = Signal::derive(move || change.value().get());
    let cart = resource(move || changed.get(), |_| get_cart());
    let (recipient, phone, address) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let save_address = RwSignal::new(false);
    // The cheapest service until the customer picks one (set when the cart first loads).
    let method = RwSignal::new(String::new());
    // One key per checkout page: pressing "place order" twice, or again after a network
    // error, finds the first order instead of making a second.
    let key = StoredValue::new(String::new());
    let place = Action::new(|input: &CheckoutInput| {
        let input = input.clone();
        async move { place_order(input).await }
    });
    let placed = Signal::derive(move || place.value().get());
    Effect::new(move |_| {
        if let Some(Ok(id)) = place.value().get() {
            crate::components::go_to(&format!("/my/orders/{id}"));
        }
    });
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
                    if recipient.get_untracked().is_empty() {
                        let first = cart.addresses.first().map(|a| a.address.clone()).or_else(|| cart.last_address.clone());
                        if let Some(a) = first {
                            recipient.set(a.recipient);
                            phone.set(a.phone);
                            address.set(a.address);
                        }
                        save_address.set(cart.addresses.is_empty());
                    }
                    let book = StoredValue::new(cart.addresses.clone());
                    let pick = move |id: String| {
                        if let Some(a) = book.with_value(|b| b.iter().find(|a| a.id.to_string() == id).map(|a| a.address.clone())) {
                            recipient.set(a.recipient);
                            phone.set(a.phone);
                            address.set(a.address);
                            save_address.set(false);
                        }
                    };
                    let goods = cart.goods_total;
                    let options = StoredValue::new(cart.shipping.clone());
                    // Until the customer chooses, the cheapest delivery for this cart is chosen.
                    if !options.with_value(|o| o.iter().any(|m| m.code == method.get_untracked())) {
                        let cheapest = options.with_value(|o| o.iter().min_by_key(|m| (m.fee_for(goods), m.days_max)).map(|m| m.code.clone()));
                        method.set(cheapest.unwrap_or_default());
                    }
                    let fee = move || options.with_value(|o| o.iter().find(|m| m.code == method.get()).map(|m| m.fee_for(goods)).unwrap_or(0));
                    let submit = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        if key.with_value(String::is_empty) {
                            key.set_value(checkout_key());
                        }
                        place.dispatch(CheckoutInput {
                            idempotency_key: key.get_value(),
                            address: AddressInput { recipient: recipient.get_untracked(), phone: phone.get_untracked(), address: address.get_untracked() },
                            shipping_method: method.get_untracked(),
                            expected_total: goods + fee(),
                            save_address: save_address.get_untracked(),
                        });
                    };
                    view! {
                        <div class="table-wrap">
                            <table class="data" data-testid="cart-lines">
                                <thead><tr>
                                    <th>{i18n.t("stock.product")}</th><th>"SKU"</th><th class="num">{i18n.t("field.price")}</th>
                                    <th class="num">{i18n.t("field.quantity")}</th><th class="num">{i18n.t("cart.line_total")}</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {cart.lines.into_iter().map(|l| {
                                        let (sku, sku2) = (l.sku.clone(), l.sku.clone());
                                        let warn = if !l.listed {
                                            Some(i18n.t("cart.not_sold")().to_string())
                                        } else if l.available < l.quantity {
                                            Some(format!("{} {}", i18n.t("cart.only_left")(), l.available))
                                        } else {
                                            None
                                        };
                                        view! {
                                            <tr data-sku=l.sku.clone()>
                                                <td><a href=format!("/catalog/{}", l.product_id)>{l.title.clone()}</a>
                                                    {warn.map(|w| view! { <br/><span class="badge warn">{w}</span> })}</td>
                                                <td>{l.sku.clone()}<br/><span class="muted small">{l.attributes.clone()}</span></td>
                                                <td class="num">{price_label(l.unit_price)}</td>
                                                <td class="num">
                                                    <input name="quantity" size="3" inputmode="numeric" value=l.quantity.to_string()
                                                        on:change=move |ev| { change.dispatch((sku.clone(), event_target_value(&ev))); }/>
                                                </td>
                                                <td class="num">{price_label(l.unit_price * l.quantity)}</td>
                                                <td><button type="button" class="linkish" data-testid="remove"
                                                    on:click=move |_| { change.dispatch((sku2.clone(), "0".into())); }>{i18n.t("cart.remove")}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <FormError result=change_result/>
                        <form class="form wide checkout" on:submit=submit data-testid="checkout">
                            <h2>{i18n.t("cart.delivery")}</h2>
                            {(!cart.addresses.is_empty()).then(|| view! {
                                <label data-field="saved_address">{i18n.t("address.choose")}
                                    <select name="saved_address" on:change=move |ev| pick(event_target_value(&ev))>
                                        {cart.addresses.iter().map(|a| view! { <option value=a.id.to_string()>{a.summary()}</option> }).collect_view()}
                                    </select>
                                </label>
                            })}
                            <div class="row">
                                <label data-field="recipient">{i18n.t("field.recipient")}
                                    <input name="recipient" maxlength="60" autocomplete="name" prop:value=move || recipient.get() on:input=move |ev| recipient.set(event_target_value(&ev))/>
                                </label>
                                <label data-field="phone">{i18n.t("field.phone")}
                                    <input name="phone" maxlength="30" autocomplete="tel" inputmode="tel" prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev))/>
                                </label>
                            </div>
                            <FieldError result=placed field="recipient"/>
                            <FieldError result=placed field="phone"/>
                            <label data-field="address">{i18n.t("field.address")}
                                <textarea name="address" rows="2" maxlength="300" autocomplete="street-address" prop:value=move || address.get() on:input=move |ev| address.set(event_target_value(&ev))></textarea>
                            </label>
                            <FieldError result=placed field="address"/>
                            <label class="inline">
                                <input type="checkbox" name="save_address" prop:checked=move || save_address.get() on:change=move |ev| save_address.set(event_target_checked(&ev))/>
                                {i18n.t("address.save_at_checkout")} " " <a href="/my/addresses" class="small">{i18n.t("address.title")}</a>
                            </label>
                            <fieldset class="methods">
                                <legend>{i18n.t("cart.shipping")}</legend>
                                {cart.shipping.is_empty().then(|| view! { <p class="empty" data-testid="no-shipping">{i18n.t("cart.no_shipping")}</p> })}
                                {cart.shipping.into_iter().map(|m| {
                                    let (code, code2) = (m.code.clone(), m.code.clone());
                                    let fee = m.fee_for(goods);
                                    view! {
                                        <label class="inline method" data-method=m.code.clone()>
                                            <input type="radio" name="shipping_method" value=m.code.clone() prop:checked=move || method.get() == code
                                                on:change=move |_| method.set(code2.clone())/>
                                            <span>{move || format!("{} · {}", m.carrier.get(i18n.lang()), m.name.get(i18n.lang()))}
                                                " (" {move || delivery_days(m.days_min, m.days_max, i18n.lang())} ")"</span>
                                            " · " {if fee == 0 { i18n.t("cart.free")().to_string() } else { price_label(fee) }}
                                        </label>
                                    }
                                }).collect_view()}
                            </fieldset>
                            <FieldError result=placed field="shipping_method"/>
                            <dl class="facts totals" data-testid="totals">
                                <dt>{i18n.t("cart.goods")}</dt><dd>{price_label(goods)}</dd>
                                <dt>{i18n.t("cart.shipping")}</dt><dd>{move || price_label(fee())}</dd>
                                <dt>{i18n.t("cart.total")}</dt><dd><strong data-testid="total">{move || price_label(goods + fee())}</strong></dd>
                            </dl>
                            <FieldError result=placed field="cart"/>
                            <FormError result=placed fields=&["recipient", "phone", "address", "cart", "shipping_method"]/>
                            <div class="actions"><button type="submit" data-testid="place-order" disabled=move || place.pending().get()>{i18n.t("cart.place")}</button></div>
                        </form>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

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

#[island]
fn MyOrderInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let id = move || id;
    let pay = Action::new(|(id, card): &(i64, CardInput)| {
        let (id, card) = (*id, card.clone());
        async move { pay_order(id, card).await }
    });
    let paid = successes(pay);
    let pay_result = Signal::derive(move || pay.value().get());
    let cancel = Action::new(|(id, version, fields): &(i64, i64, HashMap<String, String>)| {
        let (id, version, fields) = (*id, *version, fields.clone());
        async move { super::api::act_on_order(id, version, "cancel".into(), fields, Vec::new()).await }
    });
    let cancelled = successes(cancel);
    let cancel_result = Signal::derive(move || cancel.value().get());
    let news = follow_order(id);
    let returned = RwSignal::new(0usize);
    let detail = resource(move || (id(), paid.get(), cancelled.get(), news.get(), returned.get()), |(id, ..)| my_order(id));
    let card = [RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new())];
    view! {
        <section class="page" data-page="my-order">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let o = d.order;
                    let (oid, version) = (o.id, o.version);
                    let awaiting_payment = o.state == super::PLACED.id;
                    let can_cancel = d.actions.iter().any(|a| a == "cancel");
                    let returnable = ["delivered", "completed", "review_requested"].contains(&o.state.as_str());
                    let reviewable = ["completed", "review_requested"].contains(&o.state.as_str());
                    let send = move |_: &'static str, fields: HashMap<String, String>| { cancel.dispatch((oid, version, fields)); };
                    let input = |sig: RwSignal<String>, name: &'static str, label: &'static str, mode: &'static str| view! {
                        <label data-field=name>{i18n.t(label)}
                            <input name=name inputmode=mode autocomplete="off" prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
                        </label>
                    };
                    let total = o.total;
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
                                    <form class="form step" data-testid="pay" on:submit=move |ev| {
                                        ev.prevent_default();
                                        pay.dispatch((oid, CardInput {
                                            holder: card[0].get_untracked(),
                                            number: card[1].get_untracked(),
                                            expiry: card[2].get_untracked(),
                                            cvc: card[3].get_untracked(),
                                        }));
                                    }>
                                        <h2>{i18n.t("order.pay")} " " {price_label(total)}</h2>
                                        <p class="sop">{move || ORDERS.action("pay").map(|a| a.sop.get(i18n.lang())).unwrap_or("")}</p>
                                        {input(card[0], "holder", "field.holder", "text")}
                                        <FieldError result=pay_result field="holder"/>
                                        {input(card[1], "number", "field.card_number", "numeric")}
                                        <FieldError result=pay_result field="number"/>
                                        <div class="row">
                                            {input(card[2], "expiry", "field.expiry", "numeric")}
                                            {input(card[3], "cvc", "field.cvc", "numeric")}
                                        </div>
                                        <FieldError result=pay_result field="expiry"/>
                                        <FieldError result=pay_result field="cvc"/>
                                        <FieldError result=pay_result field="card"/>
                                        {declined.clone().map(|p| view! {
                                            <p class="notice" data-testid="last-payment">{i18n.t("order.last_payment_failed")} " " {p.message.unwrap_or_default()}</p>
                                        })}
                                        <FormError result=pay_result fields=&["holder", "number", "expiry", "cvc", "card"]/>
                                        <p class="hint">{i18n.t("order.test_cards")}</p>
                                        <button type="submit" data-testid="pay-now" disabled=move || pay.pending().get()>{i18n.t("order.pay")}</button>
                                    </form>
                                })}
                                {o.cancel_reason.clone().map(|r| view! { <p class="notice" data-testid="cancel-reason">{i18n.t("order.cancelled_because")} " " {r}</p> })}
                                {(!o.refunds.is_empty()).then(|| view! {
                                    <p class="notice" data-testid="refund">{i18n.t("order.refund_pending")} " "
                                        {price_label(o.refunds.iter().map(|r| r.0).sum())}</p>
                                })}
                                <OrderLines order=o.clone()/>
                                <h2>{i18n.t("order.parcels")}</h2>
                                <ul class="parcels" data-testid="parcels">
                                    {o.shipments.iter().map(|s| {
                                        let carrier = s.carrier_name.clone();
                                        let link = s.tracking_link.clone();
                                        view! {
                                            <li>
                                                {match (carrier, s.tracking_number.clone()) {
                                                    (Some(c), Some(t)) => view! {
                                                        <strong>{move || c.get(i18n.lang()).to_string()}</strong> " " <span data-testid="tracking">{t}</span>
                                                        {link.map(|l| view! { " " <a href=l target="_blank" rel="noopener noreferrer" data-testid="carrier-link">{i18n.t("order.track_at_carrier")}</a> })}
                                                        " · " {i18n.t("order.shipped_at")} " " {s.shipped_at.map(format_time).unwrap_or_default()}
                                                        {s.delivered_at.map(|d| view! { " · " {i18n.t("order.delivered_at")} " " {format_time(d)} })}
                                                    }.into_any(),
                                                    _ => view! { <span class="muted">{i18n.t("order.not_shipped")}</span> }.into_any(),
                                                }}
                                                <span class="muted small">" (" {s.items.iter().map(|i| format!("{} × {}", i.1, i.2)).collect::<Vec<_>>().join(", ")} ")"</span>
                                                <TrackingList events=s.events.clone()/>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                <super::exception_pages::CustomerExceptions exceptions=d.exceptions/>
                                <super::return_pages::CustomerReturns returns=d.returns/>
                                <p><a href=format!("/my/tickets?order={oid}") data-testid="ask-about-order">{i18n.t("ticket.ask_about_order")}</a></p>
                                {reviewable.then(|| view! { <ReviewForm lines=o.lines.clone() reviewed=d.reviewed_lines.clone() on_done=returned/> })}
                                {returnable.then(|| view! { <super::return_pages::ReturnRequestForm order_id=oid lines=o.lines.clone() on_done=returned/> })}
                                <FormError result=cancel_result fields=&[]/>
                                {can_cancel.then(|| step_box(&ORDERS, "cancel", send))}
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
