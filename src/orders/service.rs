//! Orders on the server: the cart, checkout (priced here, stock held in the same
//! transaction), payment, the fulfilment steps through the workflow engine, and the steps the
//! process takes by itself (confirming, releasing to the warehouses, expiring unpaid orders).

use super::payment::{provider, ChargeOutcome};
use super::*;
use crate::accounts::Actor;
use crate::domain::{format_money, now_millis, AppError, AppResult};
use crate::engine::run::{self, audit, Transition};
use crate::inventory::service::{change_balance, move_stock, on_sku, record_hold, settle_in};
use crate::inventory::MovementKind;
use crate::server::db::{is_unique_violation, like_escape};
use crate::server::Db;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

// ---------------------------------------------------------------- the cart

type CartDb = (i64, String, i64, String, String, i64, i64, String, i64, Option<i64>, Option<i64>, Option<i64>);

pub async fn cart(db: &Db, actor: &Actor) -> AppResult<Cart> {
    let (lines, goods_total, _) = cart_lines(db, actor, "").await?;
    let last: Option<(String, String, String)> =
        sqlx::query_as("SELECT recipient, phone, address FROM orders WHERE customer_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(actor.id)
            .fetch_optional(db.pool())
            .await?;
    let last_address = last.map(|(recipient, phone, address)| AddressInput { recipient, phone, address });
    let mut conn = db.pool().acquire().await?;
    let shipping = crate::logistics::service::shipping_options(&mut conn).await?;
    let addresses = super::address_service::list(&mut conn, actor.id).await?;
    Ok(Cart { lines, goods_total, last_address, shipping, addresses })
}

/// A shipping service as a checkout prices it: its fee, and the goods' total from which it is
/// free.
type ShippingPrice = (i64, Option<i64>);

/// The cart's lines priced as of now, the goods' total, and the price of the shipping service
/// `method` if the shop offers it (`""`: none asked), read in the same query.
async fn cart_lines(db: &Db, actor: &Actor, method: &str) -> AppResult<(Vec<CartLine>, i64, Option<ShippingPrice>)> {
    // The promotional price running now, if any (promotions of a SKU never overlap).
    let rows: Vec<CartDb> = sqlx::query_as(&format!(
        "SELECT c.sku_id, s.code, p.id, p.title, s.attributes, c.quantity, s.price, p.state, \
         CAST(COALESCE((SELECT SUM(l.on_hand - l.reserved) FROM stock_levels l JOIN warehouses w ON w.id = l.warehouse_id \
                        WHERE l.sku_id = s.id AND w.active = 1), 0) AS BIGINT), \
         (SELECT MIN(pp.price) FROM promo_prices pp WHERE pp.sku_id = s.id AND {}), {} \
         FROM cart_items c JOIN skus s ON s.id = c.sku_id JOIN products p ON p.id = s.product_id \
         WHERE c.customer_id = $1 ORDER BY c.added_at, s.code",
        crate::catalog::pricing::running_promo("pp", "$2"),
        crate::logistics::service::offered_fee_columns("$3")
    ))
    .bind(actor.id)
    .bind(now_millis())
    .bind(method)
    .fetch_all(db.pool())
    .await?;
    let shipping = rows.first().and_then(|r| Some((r.10?, r.11)));
    let lines: Vec<CartLine> = rows
        .into_iter()
        .map(|r| CartLine {
            unit_price: r.9.unwrap_or(r.6),
            sku: r.1,
            product_id: r.2,
            title: r.3,
            attributes: r.4,
            quantity: r.5,
            listed: r.7 == crate::catalog::LISTED.id,
            available: r.8.max(0),
        })
        .collect();
    let goods_total = lines.iter().map(|l| l.unit_price * l.quantity).sum();
    Ok((lines, goods_total, shipping))
}

/// Adds `quantity` units of a listed SKU to the cart (`add`), or sets the line to it (0
/// removes the line).
///
/// One statement, no transaction: adding to a cart is the busiest write a shop has, and each
/// statement costs the order rate (see BENCHMARKS.md). The write carries every rule in its
/// WHERE clauses (a listed product, at most 999 of an item, at most 50 items). A second tab of
/// the same customer racing this one cannot pass 999 on either backend: the line's row decides.
/// The 50 items hold on SQLite (one writer); on PostgreSQL two tabs adding new items to a cart
/// of 49 at the same instant could make it 51, which the checkout takes like any other cart.
/// Only a refused write reads, to say which rule refused it.
pub async fn set_cart_quantity(db: &Db, actor: &Actor, sku: &str, quantity: &str, add: bool) -> AppResult<()> {
    let quantity = if add {
        parse_cart_quantity(quantity)?
    } else {
        crate::catalog::parse_quantity("quantity", quantity, MAX_LINE_QUANTITY)?
    };
    let code = sku.trim().to_uppercase();
    let unknown = || AppError::invalid("sku", "unknown SKU");
    if !add && quantity == 0 {
        // Removing a line stays possible whatever became of its product.
        let removed = sqlx::query("DELETE FROM cart_items WHERE customer_id = $1 AND sku_id IN (SELECT id FROM skus WHERE code = $2)")
            .bind(actor.id)
            .bind(&code)
            .execute(db.writer())
            .await?;
        if removed.rows_affected() == 0 {
            let known: Option<(i64,)> = sqlx::query_as("SELECT id FROM skus WHERE code = $1").bind(&code).fetch_optional(db.pool()).await?;
            known.ok_or_else(unknown)?;
        }
        return Ok(());
    }
    let new_quantity = if add { "cart_items.quantity + excluded.quantity" } else { "excluded.quantity" };
    let written: Option<(i64,)> = sqlx::query_as(&format!(
        "INSERT INTO cart_items (customer_id, sku_id, quantity, added_at) \
         SELECT $1, s.id, $3, $4 FROM skus s JOIN products p ON p.id = s.product_id \
         WHERE s.code = $2 AND p.state = $5 \
           AND ((SELECT COUNT(*) FROM cart_items c WHERE c.customer_id = $1) < $6 \
                OR EXISTS (SELECT 1 FROM cart_items c WHERE c.customer_id = $1 AND c.sku_id = s.id)) \
         ON CONFLICT (customer_id, sku_id) DO UPDATE SET quantity = {new_quantity} WHERE {new_quantity} <= $7 \
         RETURNING quantity"
    ))
    .bind(actor.id)
    .bind(&code)
    .bind(quantity)
    .bind(now_millis())
    .bind(crate::catalog::LISTED.id)
    .bind(MAX_CART_LINES as i64)
    .bind(MAX_LINE_QUANTITY)
    .fetch_optional(db.writer())
    .await?;
    if written.is_some() {
        return Ok(());
    }
    // Refused: find out which rule refused it, from the cart as it is now.
    let found: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT p.state, (SELECT c.quantity FROM cart_items c WHERE c.customer_id = $1 AND c.sku_id = s.id) \
         FROM skus s JOIN products p ON p.id = s.product_id WHERE s.code = $2",
    )
    .bind(actor.id)
    .bind(&code)
    .fetch_optional(db.pool())
    .await?;
    Err(match found {
        None => unknown(),
        Some((state, _)) if state != crate::catalog::LISTED.id => AppError::invalid("sku", "this product is not sold at the moment"),
        Some((_, Some(_))) => AppError::invalid("quantity", "at most 999 of one item per order"),
        Some((_, None)) => AppError::invalid("sku", "the cart is full (50 different items)"),
    })
}

// ---------------------------------------------------------------- checkout

async fn order_by_key(db: &Db, customer: i64, key: &str) -> AppResult<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM orders WHERE customer_id = $1 AND idempotency_key = $2")
        .bind(customer)
        .bind(key)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.0))
}

/// Turns the customer's cart into an order: validates the checkout, prices every line on the
/// server, holds the stock (one warehouse with everything if there is one), and empties the
/// cart — all or nothing. The same checkout submitted again returns the same order.
pub async fn place_order(db: &Db, actor: &Actor, input: &CheckoutInput) -> AppResult<i64> {
    let v = input.validate()?;
    // No look-up of the key first: a checkout already placed fails below (its cart is empty,
    // or its key is taken), and then its order is the answer. That saves every new order a
    // statement and costs a retry nothing it would notice.
    match place_new(db, actor, input, &v).await {
        Ok(id) => Ok(id),
        // A twin submit of this checkout won, now or earlier (and emptied the cart, took the
        // stock, or inserted the key first): its order is the answer.
        Err(e) => order_by_key(db, actor.id, &v.idempotency_key).await?.ok_or(e),
    }
}

async fn place_new(db: &Db, actor: &Actor, input: &CheckoutInput, v: &ValidCheckout) -> AppResult<i64> {
    run::check_create(actor, &ORDERS, "place", &HashMap::new())?;
    // Several checkouts to a transaction (`lane`), which reads and prices their carts
    // together. A checkout the lane hands back is written alone, below.
    let checkout =
        super::lane::Checkout { customer: actor.id, valid: v.clone(), save_address: input.save_address, expected_total: input.expected_total };
    if let Some(placed) = super::lane::place(db, checkout).await {
        return placed;
    }
    let (lines, _, shipping) = cart_lines(db, actor, &v.method).await?;
    let (goods_total, fee, total) = price_checkout(&lines, shipping, input.expected_total)?;
    let (mut step, _) = run::begin_create(db, actor, &ORDERS, "place", &HashMap::new()).await?;
    let now = now_millis();
    let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO orders (customer_id, idempotency_key, recipient, phone, address, shipping_method, goods_total, shipping_fee, total, \
         state, version, created_at, updated_at, state_since) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $11) RETURNING id",
    )
    .bind(actor.id)
    .bind(&v.idempotency_key)
    .bind(&v.recipient)
    .bind(&v.phone)
    .bind(&v.address)
    .bind(&v.method)
    .bind(goods_total)
    .bind(fee)
    .bind(total)
    .bind(step.to_state())
    .bind(now)
    .fetch_one(step.conn())
    .await;
    let id = match inserted {
        Ok((id,)) => id,
        // The same checkout, submitted twice at once: the other request made the order (the
        // caller finds it by its key).
        Err(e) if is_unique_violation(&e) => return Err(placing_already()),
        Err(e) => return Err(e.into()),
    };
    let mut wanted = Vec::with_capacity(lines.len());
    let mut line_ids = Vec::with_capacity(lines.len());
    for l in &lines {
        let (line_id, sku_id): (i64, i64) = sqlx::query_as(
            "INSERT INTO order_lines (order_id, sku_id, title, sku_code, attributes, quantity, unit_price, line_total) \
             SELECT $1, id, $2, code, attributes, $3, $4, $5 FROM skus WHERE code = $6 RETURNING id, sku_id",
        )
        .bind(id)
        .bind(&l.title)
        .bind(l.quantity)
        .bind(l.unit_price)
        .bind(l.unit_price * l.quantity)
        .bind(&l.sku)
        .fetch_one(step.conn())
        .await?;
        wanted.push((sku_id, l.quantity));
        line_ids.push(line_id);
    }
    // The cart as it was read, or nothing: another tab placing it first, or changing it
    // since, leaves a different cart to delete.
    let emptied = sqlx::query("DELETE FROM cart_items WHERE customer_id = $1").bind(actor.id).execute(step.conn()).await?.rows_affected();
    if emptied != lines.len() as u64 {
        return Err(cart_changed(emptied));
    }
    if input.save_address {
        super::address_service::remember(step.conn(), actor.id, &v.address_input()).await?;
    }
    // Last: on PostgreSQL the balance rows stay locked from here to the commit.
    hold_stock(step.conn(), actor.id, id, &wanted, &line_ids, &lines).await?;
    let payload = placed_payload(total, lines.len(), &v.method);
    Ok(step.commit_created(id, payload).await?.id)
}

/// Why a checkout was refused when its cart was not the one it read: emptied by another
/// checkout, or changed in another tab.
fn cart_changed(left: u64) -> AppError {
    if left == 0 {
        AppError::invalid("cart", "your cart is empty")
    } else {
        AppError::Conflict("your cart changed; check your order and place it again".into())
    }
}

/// Plans where each line's units come from and reserves them, one parcel per warehouse.
async fn hold_stock(conn: &mut AnyConnection, actor_id: i64, order_id: i64, wanted: &[(i64, i64)], line_ids: &[i64], lines: &[CartLine]) -> AppResult<()> {
    // Ids come from the database, never from input.
    let ids = wanted.iter().map(|w| w.0.to_string()).collect::<Vec<_>>().join(", ");
    let available: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT l.sku_id, l.warehouse_id, l.on_hand - l.reserved FROM stock_levels l JOIN warehouses w ON w.id = l.warehouse_id \
         WHERE w.active = 1 AND l.sku_id IN ({ids}) AND l.on_hand > l.reserved"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let code_of = |sku_id: i64| wanted.iter().position(|w| w.0 == sku_id).map(|i| lines[i].sku.clone()).unwrap_or_default();
    let short = |sku_id: i64| {
        let have: i64 = available.iter().filter(|a| a.0 == sku_id).map(|a| a.2).sum();
        super::out_of_stock(&code_of(sku_id), have)
    };
    let mut plan = plan_allocation(wanted, &available).map_err(short)?;
    // A fixed locking order, so that concurrent orders for the same SKUs cannot deadlock.
    plan.sort_by_key(|(line, wh, _)| (wanted[*line].0, *wh));
    let reference = format!("order #{order_id}");
    let mut shipments: HashMap<i64, i64> = HashMap::new();
    for &(line, wh, quantity) in &plan {
        let shipment = match shipments.get(&wh) {
            Some(s) => *s,
            None => {
                let (s,): (i64,) = sqlx::query_as("INSERT INTO shipments (order_id, warehouse_id) VALUES ($1, $2) RETURNING id")
                    .bind(order_id)
                    .bind(wh)
                    .fetch_one(&mut *conn)
                    .await?;
                shipments.insert(wh, s);
                s
            }
        };
        let reservation = record_hold(conn, wanted[line].0, wh, quantity, &reference, Some(actor_id)).await?;
        sqlx::query("INSERT INTO order_allocations (order_line_id, shipment_id, reservation_id, quantity) VALUES ($1, $2, $3, $4)")
            .bind(line_ids[line])
            .bind(shipment)
            .bind(reservation)
            .bind(quantity)
            .execute(&mut *conn)
            .await?;
    }
    // The balances last, in the fixed order: from its update to the commit a balance row is
    // locked on PostgreSQL, and every other order for the SKU waits. With the records written
    // first, the lock covers only these updates, the audit event and the commit (orders/s in
    // BENCHMARKS.md, session 13). A competing order may have taken the units since they were
    // counted: then the order fails and its transaction, records included, rolls back.
    for (line, wh, quantity) in plan {
        let sku_id = wanted[line].0;
        change_balance(conn, sku_id, wh, MovementKind::Reserve, quantity).await.map_err(|e| match e {
            AppError::Conflict(_) => short(sku_id),
            other => other,
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------- payment

/// The card's expiry is checked against this month.
fn this_month() -> (i32, u32) {
    use chrono::Datelike;
    let now = chrono::Utc::now();
    (now.year(), now.month())
}

fn random_token() -> String {
    use rand::Rng;
    rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(12).map(char::from).collect()
}

/// Charges the order's total to the card. Every attempt is recorded; a successful one moves
/// the order to paid and lets the process go on by itself. Returns the order's state after.
pub async fn pay_order(db: &Db, actor: &Actor, policy: OrderPolicy, id: i64, card: &CardInput) -> AppResult<String> {
    let card = card.validate(this_month())?;
    let row: Option<(i64, String, i64, i64)> =
        sqlx::query_as("SELECT customer_id, state, version, total FROM orders WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
    let (_, state, version, total) = row.filter(|r| r.0 == actor.id).ok_or(AppError::NotFound)?;
    if state != PLACED.id {
        return Err(AppError::InvalidTransition { action: "pay".into(), state });
    }
    let attempt = random_token();
    // A provider that hangs must not hold the customer forever.
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(20), provider().charge(id, &attempt, total, &card))
        .await
        .unwrap_or(ChargeOutcome::TimedOut);
    let card_text = format!("•••• {}", card.last4());
    match &outcome {
        ChargeOutcome::Succeeded { .. } => {
            let begun = run::begin(db, actor, &ORDERS, id, version, "pay", &HashMap::new()).await;
            let mut step = match begun {
                Ok((step, _)) => step,
                Err(e) => {
                    // Charged, but the order moved on meanwhile (cancelled or expired): the money goes back.
                    let mut tx = db.begin().await?;
                    record_payment(&mut tx, id, total, &outcome, card.last4()).await?;
                    add_refund(&mut tx, id, total, "charged after the order was cancelled", Some(actor.id)).await?;
                    tx.commit().await?;
                    tracing::warn!(order = id, error = %e, "payment arrived for an order that can no longer be paid; refund handed to finance");
                    return Err(AppError::Conflict("the order changed while you paid; the amount will be refunded".into()));
                }
            };
            record_payment(step.conn(), id, total, &outcome, card.last4()).await?;
            sqlx::query("UPDATE orders SET paid_at = $1 WHERE id = $2").bind(now_millis()).bind(id).execute(step.conn()).await?;
            // Whether the order now waits for a clerk is a fact of this step: its audit event
            // records it and the clerks' notice is written with it.
            step.commit(json!({ "amount": format_money(total), "card": card_text, "review": total > policy.review_above })).await?;
            advance(db, policy, id).await;
            let (state,): (String,) = sqlx::query_as("SELECT state FROM orders WHERE id = $1").bind(id).fetch_one(db.pool()).await?;
            Ok(state)
        }
        ChargeOutcome::Declined { message } => {
            let mut tx = db.begin().await?;
            record_payment(&mut tx, id, total, &outcome, card.last4()).await?;
            audit(&mut tx, ORDERS.id, id, "payment_failed", None, None, Some(actor.id), &json!({ "card": card_text, "message": message })).await?;
            tx.commit().await?;
            Err(AppError::invalid("card", message))
        }
        ChargeOutcome::TimedOut => {
            let mut tx = db.begin().await?;
            record_payment(&mut tx, id, total, &outcome, card.last4()).await?;
            audit(&mut tx, ORDERS.id, id, "payment_failed", None, None, Some(actor.id), &json!({ "card": card_text, "message": "no answer" })).await?;
            tx.commit().await?;
            Err(AppError::Conflict("the payment provider did not answer in time; try again".into()))
        }
    }
}

/// Every payment attempt is kept, whatever its outcome.
async fn record_payment(conn: &mut AnyConnection, id: i64, total: i64, outcome: &ChargeOutcome, last4: &str) -> AppResult<()> {
    let (reference, message) = match outcome {
        ChargeOutcome::Succeeded { reference } => (Some(reference.clone()), None),
        ChargeOutcome::Declined { message } => (None, Some(message.clone())),
        ChargeOutcome::TimedOut => (None, Some("no answer from the payment provider".to_string())),
    };
    sqlx::query("INSERT INTO payments (order_id, provider, amount, outcome, provider_ref, message, card_last4, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(id)
        .bind(provider().name())
        .bind(total)
        .bind(outcome.key())
        .bind(reference)
        .bind(message)
        .bind(last4)
        .bind(now_millis())
        .execute(conn)
        .await?;
    Ok(())
}

/// Hands `amount` of order `order_id` to finance for refund.
pub(super) async fn add_refund(conn: &mut AnyConnection, order_id: i64, amount: i64, reason: &str, actor_id: Option<i64>) -> AppResult<()> {
    sqlx::query("INSERT INTO refunds (order_id, amount, reason, state, created_by, created_at) VALUES ($1, $2, $3, 'requested', $4, $5)")
        .bind(order_id)
        .bind(amount)
        .bind(reason)
        .bind(actor_id)
        .bind(now_millis())
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes goods out of their warehouses once more, for a replacement or an exchange:
/// `(sku id, warehouse id, sku code, quantity)` each; a SKU short of stock fails the whole step.
pub(super) async fn send_again(conn: &mut AnyConnection, items: &[(i64, i64, String, i64)], reference: &str, reason: &str, actor_id: i64) -> AppResult<()> {
    for (sku, wh, code, quantity) in items {
        move_stock(conn, *sku, *wh, MovementKind::Adjust, -quantity, reference, reason, Some(actor_id)).await.map_err(on_sku(code))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- steps

/// The reservations of an order (or of one of its parcels) still holding stock.
async fn held_reservations(conn: &mut AnyConnection, order_id: i64, parcel: Option<i64>) -> AppResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.id FROM order_allocations a JOIN shipments s ON s.id = a.shipment_id JOIN reservations r ON r.id = a.reservation_id \
         WHERE s.order_id = $1 AND ($2 = 0 OR s.id = $2) AND r.state = 'held' ORDER BY r.sku_id, r.warehouse_id",
    )
    .bind(order_id)
    .bind(parcel.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A parcel as the packing and shipping steps see it: (id, packed_at, shipped_at, its
/// warehouse's code, which names it on the audit trail: an order has one parcel per warehouse).
type ParcelState = (i64, Option<i64>, Option<i64>, String);

async fn parcels_of(conn: &mut AnyConnection, order_id: i64) -> AppResult<Vec<ParcelState>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.packed_at, s.shipped_at, w.code FROM shipments s JOIN warehouses w ON w.id = s.warehouse_id WHERE s.order_id = $1 ORDER BY s.id",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// The one parcel a parcel step names, which must be this order's: its id and warehouse code.
fn one_parcel(parcels: &[ParcelState], input: &[ShipmentInput]) -> AppResult<(i64, String)> {
    let [one] = input else { return Err(AppError::invalid("shipments", "choose one parcel")) };
    parcels.iter().find(|p| p.0 == one.shipment_id).map(|p| (p.0, p.3.clone())).ok_or(AppError::NotFound)
}

/// Packs the parcels not packed yet (or only `only`): their held stock leaves the warehouse.
async fn pack_parcels(conn: &mut AnyConnection, order_id: i64, only: Option<i64>, actor_id: i64) -> AppResult<()> {
    for (parcel, packed_at, _, _) in parcels_of(conn, order_id).await? {
        if only.is_some_and(|o| o != parcel) {
            continue;
        }
        if packed_at.is_some() {
            if only.is_some() {
                return Err(AppError::Conflict("this parcel is packed already".into()));
            }
            continue;
        }
        for r in held_reservations(conn, order_id, Some(parcel)).await? {
            settle_in(conn, Some(actor_id), r, true).await?;
        }
        sqlx::query("UPDATE shipments SET packed_at = $1 WHERE id = $2").bind(now_millis()).bind(parcel).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Hands the packed parcels not shipped yet (or only `only`) to their carriers, each with
/// its input. Errors name the parcel by its number on the order page. Returns "carrier
/// tracking-number" of each parcel shipped, for the audit trail.
async fn ship_parcels(conn: &mut AnyConnection, order_id: i64, only: Option<i64>, inputs: &[ShipmentInput]) -> AppResult<Vec<String>> {
    let mut numbers = Vec::new();
    for (n, (parcel, packed_at, shipped_at, _)) in parcels_of(conn, order_id).await?.into_iter().enumerate() {
        if only.is_some_and(|o| o != parcel) {
            continue;
        }
        if shipped_at.is_some() {
            if only.is_some() {
                return Err(AppError::Conflict("this parcel has been shipped already".into()));
            }
            continue;
        }
        if packed_at.is_none() {
            return Err(AppError::invalid("parcel", "pack this parcel first").at_line("shipments", n + 1));
        }
        let input = inputs
            .iter()
            .find(|s| s.shipment_id == parcel)
            .ok_or_else(|| AppError::invalid("shipments", "record the carrier and tracking number of every parcel"))?;
        let (carrier, tracking) = input.validate(n + 1)?;
        let name = crate::logistics::service::require_active_carrier(conn, &carrier, "carrier").await.map_err(|e| e.at_line("shipments", n + 1))?;
        sqlx::query("UPDATE shipments SET carrier = $1, tracking_number = $2, shipped_at = $3 WHERE id = $4")
            .bind(&carrier)
            .bind(&tracking)
            .bind(now_millis())
            .bind(parcel)
            .execute(&mut *conn)
            .await?;
        numbers.push(format!("{} {tracking}", name.en));
    }
    Ok(numbers)
}

/// Cancelling: the held stock goes back, and a paid amount is handed to finance. Parcels
/// already packed (a split order cancelled while its other parcels were being picked) go
/// back on their shelves through the ledger; a parcel with its carrier cannot be called back.
async fn cancel_effect(conn: &mut AnyConnection, order_id: i64, reason: Option<&str>, actor_id: Option<i64>) -> AppResult<()> {
    let parcels = parcels_of(conn, order_id).await?;
    if parcels.iter().any(|p| p.2.is_some()) {
        return Err(AppError::Conflict("a parcel of this order is with its carrier already: it cannot be cancelled; handle it as a return".into()));
    }
    for r in held_reservations(conn, order_id, None).await? {
        settle_in(conn, actor_id, r, false).await?;
    }
    for (parcel, _, _, _) in parcels.iter().filter(|p| p.1.is_some()) {
        let packed: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT l.sku_id, s.warehouse_id, l.sku_code, CAST(SUM(a.quantity) AS BIGINT) FROM order_allocations a \
             JOIN order_lines l ON l.id = a.order_line_id JOIN shipments s ON s.id = a.shipment_id \
             WHERE a.shipment_id = $1 GROUP BY l.sku_id, s.warehouse_id, l.sku_code",
        )
        .bind(parcel)
        .fetch_all(&mut *conn)
        .await?;
        for (sku, warehouse, code, quantity) in packed {
            move_stock(conn, sku, warehouse, MovementKind::Return, quantity, &format!("order #{order_id}"), "order cancelled after packing: unpacked", actor_id)
                .await
                .map_err(on_sku(&code))?;
        }
        sqlx::query("UPDATE shipments SET packed_at = NULL WHERE id = $1").bind(parcel).execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE orders SET cancel_reason = $1 WHERE id = $2").bind(reason).bind(order_id).execute(&mut *conn).await?;
    let (paid_at, total): (Option<i64>, i64) =
        sqlx::query_as("SELECT paid_at, total FROM orders WHERE id = $1").bind(order_id).fetch_one(&mut *conn).await?;
    if paid_at.is_some() {
        add_refund(conn, order_id, total, "order cancelled", actor_id).await?;
    }
    Ok(())
}

async fn warehouses_of(conn: &mut AnyConnection, order_id: i64) -> AppResult<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT w.code FROM shipments s JOIN warehouses w ON w.id = s.warehouse_id WHERE s.order_id = $1 ORDER BY w.code",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join(", "))
}

/// One step on an order, other than placing and paying (which have their own paths). Steps a
/// customer takes (cancel) are only for the customer's own orders.
#[allow(clippy::too_many_arguments)]
pub async fn act_on_order(
    db: &Db,
    actor: &Actor,
    policy: OrderPolicy,
    id: i64,
    version: i64,
    action_id: &str,
    form: &HashMap<String, String>,
    shipments: &[ShipmentInput],
) -> AppResult<Transition> {
    let action = ORDERS.action(action_id).filter(|a| !a.creates() && a.id != "pay").ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let (mut step, v) = run::begin(db, actor, &ORDERS, id, version, action_id, form).await?;
    // A customer's step (cancel) is only for the order's own customer.
    if action.permission == crate::domain::Permission::OrderPlace {
        let (customer,): (i64,) = sqlx::query_as("SELECT customer_id FROM orders WHERE id = $1").bind(id).fetch_one(step.conn()).await?;
        if customer != actor.id {
            return Err(AppError::NotFound);
        }
    }
    let mut payload = serde_json::to_value(&v).unwrap_or_default();
    match action_id {
        "cancel" | "void" => cancel_effect(step.conn(), id, v.get("reason").map(String::as_str), Some(actor.id)).await?,
        "allocate" => payload["warehouses"] = json!(warehouses_of(step.conn(), id).await?),
        "pack" => pack_parcels(step.conn(), id, None, actor.id).await?,
        "pack_parcel" => {
            let (parcel, warehouse) = one_parcel(&parcels_of(step.conn(), id).await?, shipments)?;
            pack_parcels(step.conn(), id, Some(parcel), actor.id).await?;
            payload["parcel"] = json!(warehouse);
        }
        "ship" => payload["tracking"] = json!(ship_parcels(step.conn(), id, None, shipments).await?.join(", ")),
        "ship_parcel" => {
            let (parcel, warehouse) = one_parcel(&parcels_of(step.conn(), id).await?, shipments)?;
            payload["parcel"] = json!(warehouse);
            payload["tracking"] = json!(ship_parcels(step.conn(), id, Some(parcel), shipments).await?.join(", "));
        }
        "deliver" => {
            sqlx::query("UPDATE shipments SET delivered_at = $1 WHERE order_id = $2 AND delivered_at IS NULL")
                .bind(now_millis())
                .bind(id)
                .execute(step.conn())
                .await?;
        }
        "complete" => {
            if super::exception_service::open_count(step.conn(), id).await? > 0 {
                return Err(AppError::Conflict("a shipping exception of this order is still open".into()));
            }
        }
        "confirm" | "pick" | "request_review" => {}
        other => return Err(AppError::internal(format!("order action {other} has no effect"))),
    }
    let done = step.commit(payload).await?;
    advance(db, policy, id).await;
    Ok(done)
}

/// Confirms several paid orders at once (the clerk's queue); each succeeds or fails alone.
pub async fn confirm_orders(db: &Db, actor: &Actor, policy: OrderPolicy, orders: &[(i64, i64)]) -> AppResult<BulkResult> {
    if orders.len() > 200 {
        return Err(AppError::invalid("orders", "at most 200 orders at once"));
    }
    let mut out = Vec::with_capacity(orders.len());
    for (id, version) in orders {
        let r = act_on_order(db, actor, policy, *id, *version, "confirm", &HashMap::new(), &[]).await.map(|_| ());
        out.push((*id, r));
    }
    Ok(out)
}

/// The steps the process takes by itself after a person's step: a paid order within the
/// review amount is confirmed, a confirmed one released to its warehouses, an order whose
/// parcels are all packed (or all shipped) follows them, a completed one gets its review
/// invitation. Each is its own transaction; if one fails the order waits in
/// its state for a person, which is what the queue's SLA is for. Failures are logged.
pub async fn advance(db: &Db, policy: OrderPolicy, id: i64) {
    for _ in 0..4 {
        let row: Result<(String, i64), sqlx::Error> =
            sqlx::query_as("SELECT state, total FROM orders WHERE id = $1").bind(id).fetch_one(db.pool()).await;
        let Ok((state, total)) = row else { return };
        let action = match state.as_str() {
            "paid" if total <= policy.review_above => "confirm",
            "confirmed" => "allocate",
            "picking" | "packed" => {
                // The order follows its parcels: packed when the last is packed, shipped when
                // the last has gone.
                let counts: Result<(i64, i64, i64), sqlx::Error> =
                    sqlx::query_as("SELECT COUNT(*), COUNT(packed_at), COUNT(shipped_at) FROM shipments WHERE order_id = $1")
                        .bind(id)
                        .fetch_one(db.pool())
                        .await;
                match (state.as_str(), counts) {
                    ("picking", Ok((all, packed, _))) if all > 0 && packed == all => "pack",
                    ("packed", Ok((all, _, shipped))) if all > 0 && shipped == all => "ship",
                    _ => return,
                }
            }
            "completed" => "request_review",
            _ => return,
        };
        let step = async {
            let mut step = run::begin_system(db, &ORDERS, id, action).await?;
            let payload = if action == "allocate" { json!({ "warehouses": warehouses_of(step.conn(), id).await? }) } else { json!({}) };
            step.commit(payload).await
        };
        if let Err(e) = step.await {
            tracing::warn!(order = id, action, error = %e, "automatic order step failed; the order waits for a person");
            return;
        }
    }
}

/// Cancels orders not paid within the payment window and releases their stock. Run
/// periodically by every instance; the engine's version check makes overlaps harmless.
pub async fn expire_unpaid(db: &Db, policy: OrderPolicy) -> AppResult<usize> {
    let cutoff = now_millis() - policy.payment_window_minutes * 60_000;
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM orders WHERE state = $1 AND created_at < $2 ORDER BY id LIMIT 500")
        .bind(PLACED.id)
        .bind(cutoff)
        .fetch_all(db.pool())
        .await?;
    let reason = format!("not paid within {} minutes", policy.payment_window_minutes);
    let mut expired = 0;
    for (id,) in ids {
        let step = async {
            let mut step = run::begin_system(db, &ORDERS, id, "void").await?;
            cancel_effect(step.conn(), id, Some(&reason), None).await?;
            step.commit(json!({ "reason": reason })).await
        };
        match step.await {
            Ok(_) => expired += 1,
            // Paid or cancelled meanwhile: nothing to do.
            Err(AppError::InvalidTransition { .. } | AppError::StaleVersion) => {}
            Err(e) => tracing::warn!(order = id, error = %e, "expiring an unpaid order failed"),
        }
    }
    Ok(expired)
}

// ---------------------------------------------------------------- reading

type SummaryDb = (i64, String, String, i64, i64, i64, i64, i64, i64);

const SUMMARY_SELECT: &str = "SELECT o.id, u.display_name, o.state, o.version, o.total, \
     (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id), \
     CAST((SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id) AS BIGINT), \
     o.created_at, o.state_since FROM orders o JOIN users u ON u.id = o.customer_id";

fn summary(r: SummaryDb, now: i64) -> OrderSummary {
    OrderSummary {
        sla: crate::engine::SlaStatus::compute(&ORDERS, &r.2, r.8, now),
        needs_review: r.2 == PAID.id,
        id: r.0,
        customer: r.1,
        state: r.2,
        version: r.3,
        total: r.4,
        lines: r.5,
        units: r.6,
        created_at: r.7,
    }
}

/// The order desk's list: by state (oldest waiting first, as a queue) or all (newest first),
/// optionally one order number or a customer's name or email.
pub async fn orders(db: &Db, state: &str, q: &str) -> AppResult<Vec<OrderSummary>> {
    let q = q.trim();
    let number = q.trim_start_matches('#').parse::<i64>().unwrap_or(0);
    let text = if q.is_empty() || number > 0 { String::new() } else { format!("%{}%", like_escape(&q.to_lowercase())) };
    let order = if state.is_empty() { "o.id DESC" } else { "o.state_since, o.id" };
    let rows: Vec<SummaryDb> = sqlx::query_as(&format!(
        "{SUMMARY_SELECT} WHERE ($1 = '' OR o.state = $1) AND ($2 = 0 OR o.id = $2) \
         AND ($3 = '' OR lower(u.display_name) LIKE $3 ESCAPE '\\' OR lower(u.email) LIKE $3 ESCAPE '\\') ORDER BY {order} LIMIT 300"
    ))
    .bind(state)
    .bind(number)
    .bind(text)
    .fetch_all(db.pool())
    .await?;
    let now = now_millis();
    Ok(rows.into_iter().map(|r| summary(r, now)).collect())
}

pub async fn my_orders(db: &Db, actor: &Actor) -> AppResult<Vec<OrderSummary>> {
    let rows: Vec<SummaryDb> = sqlx::query_as(&format!("{SUMMARY_SELECT} WHERE o.customer_id = $1 ORDER BY o.id DESC LIMIT 200"))
        .bind(actor.id)
        .fetch_all(db.pool())
        .await?;
    let now = now_millis();
    Ok(rows.into_iter().map(|r| summary(r, now)).collect())
}

type OrderDb = (i64, i64, String, String, String, String, String, i64, i64, i64, Option<i64>, Option<String>, String, i64, i64, i64);

async fn load(db: &Db, id: i64) -> AppResult<Order> {
    let r: Option<OrderDb> = sqlx::query_as(
        "SELECT o.id, o.customer_id, u.display_name, o.recipient, o.phone, o.address, o.shipping_method, o.goods_total, o.shipping_fee, o.total, \
         o.paid_at, o.cancel_reason, o.state, o.version, o.created_at, o.state_since FROM orders o JOIN users u ON u.id = o.customer_id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let r = r.ok_or(AppError::NotFound)?;
    let lines: Vec<(i64, String, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, sku_code, title, attributes, quantity, unit_price, line_total FROM order_lines WHERE order_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    type ParcelDb = (i64, String, String, Option<String>, Option<String>, Option<i64>, Option<i64>, Option<String>, Option<String>, Option<String>, Option<i64>);
    let parcels: Vec<ParcelDb> = sqlx::query_as(
        "SELECT s.id, w.code, w.name, s.carrier, s.tracking_number, s.shipped_at, s.delivered_at, c.name_en, c.name_zh, c.tracking_url, s.packed_at \
         FROM shipments s JOIN warehouses w ON w.id = s.warehouse_id LEFT JOIN carriers c ON c.code = s.carrier \
         WHERE s.order_id = $1 ORDER BY s.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let items: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT a.shipment_id, l.sku_code, l.title, CAST(SUM(a.quantity) AS BIGINT) FROM order_allocations a \
         JOIN order_lines l ON l.id = a.order_line_id WHERE l.order_id = $1 GROUP BY a.shipment_id, l.sku_code, l.title ORDER BY l.sku_code",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let tracking: Vec<(i64, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT t.shipment_id, t.status, t.description, t.location, t.occurred_at FROM tracking_events t \
         JOIN shipments s ON s.id = t.shipment_id WHERE s.order_id = $1 ORDER BY t.occurred_at, t.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let payments: Vec<(String, i64, Option<String>, Option<String>, i64)> =
        sqlx::query_as("SELECT outcome, amount, card_last4, message, at FROM payments WHERE order_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db.pool())
            .await?;
    let refunds: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT amount, reason, state FROM refunds WHERE order_id = $1 ORDER BY id").bind(id).fetch_all(db.pool()).await?;
    // Named by the service as it is now; the fee is what the order was charged.
    let service: Option<(String, String, String)> =
        sqlx::query_as("SELECT carrier, name_en, name_zh FROM shipping_services WHERE code = $1").bind(&r.6).fetch_optional(db.pool()).await?;
    let (planned_carrier, shipping_service) = match service {
        Some((carrier, en, zh)) => (Some(carrier), Name { en, zh }),
        None => (None, Name::code(&r.6)),
    };
    Ok(Order {
        planned_carrier,
        shipping_service,
        sla: crate::engine::SlaStatus::compute(&ORDERS, &r.12, r.15, now_millis()),
        id: r.0,
        customer_id: r.1,
        customer: r.2,
        recipient: r.3,
        phone: r.4,
        address: r.5,
        shipping_method: r.6,
        goods_total: r.7,
        shipping_fee: r.8,
        total: r.9,
        paid_at: r.10,
        cancel_reason: r.11,
        state: r.12,
        version: r.13,
        created_at: r.14,
        lines: lines
            .into_iter()
            .map(|l| OrderLine { id: l.0, sku: l.1, title: l.2, attributes: l.3, quantity: l.4, unit_price: l.5, line_total: l.6 })
            .collect(),
        shipments: parcels
            .into_iter()
            .map(|p| Shipment {
                items: items.iter().filter(|i| i.0 == p.0).map(|i| (i.1.clone(), i.2.clone(), i.3)).collect(),
                events: tracking
                    .iter()
                    .filter(|t| t.0 == p.0)
                    .map(|t| TrackingEvent { status: t.1.clone(), description: t.2.clone(), location: t.3.clone(), at: t.4 })
                    .collect(),
                carrier_name: p.3.as_deref().map(|code| match (&p.7, &p.8) {
                    (Some(en), Some(zh)) => Name { en: en.clone(), zh: zh.clone() },
                    _ => Name::code(code),
                }),
                tracking_link: p.4.as_deref().and_then(|n| crate::logistics::tracking_link(p.9.as_deref(), n)),
                packed_at: p.10,
                id: p.0,
                warehouse: p.1,
                warehouse_name: p.2,
                carrier: p.3,
                tracking_number: p.4,
                shipped_at: p.5,
                delivered_at: p.6,
            })
            .collect(),
        payments: payments
            .into_iter()
            .map(|p| Payment { outcome: p.0, amount: p.1, card_last4: p.2, message: p.3, at: p.4 })
            .collect(),
        refunds,
    })
}

/// An order as the order desk sees it, with the steps this member of staff may take.
pub async fn order_detail(db: &Db, actor: &Actor, id: i64) -> AppResult<OrderDetail> {
    let order = load(db, id).await?;
    let actions: Vec<String> = ORDERS
        .available(&order.state, &actor.permissions)
        .filter(|a| a.permission != crate::domain::Permission::OrderPlace)
        .map(|a| a.id.to_string())
        .collect();
    let events = run::history(db, ORDERS.id, id).await?;
    let exceptions = super::exception_service::of_order(db, actor, id, true).await?;
    let returns = super::return_service::of_order(db, id).await?;
    let reviewed_lines = super::review_service::reviewed_lines(db, id).await?;
    let carriers = if actions.iter().any(|a| a == "ship" || a == "ship_parcel") {
        crate::logistics::service::active_carriers(&mut *db.pool().acquire().await?).await?
    } else {
        Vec::new()
    };
    Ok(OrderDetail { order, exceptions, returns, reviewed_lines, events, actions, carriers })
}

/// A customer's own order: anyone else's is "not found". Staff names are not shown.
pub async fn my_order(db: &Db, actor: &Actor, id: i64) -> AppResult<OrderDetail> {
    let order = load(db, id).await?;
    if order.customer_id != actor.id {
        return Err(AppError::NotFound);
    }
    let actions: Vec<String> = ORDERS
        .available(&order.state, &actor.permissions)
        // Paying has its own form on the page.
        .filter(|a| a.permission == crate::domain::Permission::OrderPlace && a.id != "pay")
        .map(|a| a.id.to_string())
        .collect();
    let events = run::history(db, ORDERS.id, id)
        .await?
        .into_iter()
        .map(|mut e| {
            if e.actor_id != Some(actor.id) {
                e.actor_name = Some("Shopflow".into());
            }
            e
        })
        .collect();
    let exceptions = super::exception_service::of_order(db, actor, id, false).await?;
    let returns = super::return_service::of_order(db, id).await?;
    let reviewed_lines = super::review_service::reviewed_lines(db, id).await?;
    let carriers = if actions.iter().any(|a| a == "ship" || a == "ship_parcel") {
        crate::logistics::service::active_carriers(&mut *db.pool().acquire().await?).await?
    } else {
        Vec::new()
    };
    Ok(OrderDetail { order, exceptions, returns, reviewed_lines, events, actions, carriers })
}

/// What changes on an order page: its version (every step) and its tracking events. The live
/// feed sends an update when this changes.
pub async fn order_fingerprint(db: &Db, id: i64) -> AppResult<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT o.version, (SELECT COUNT(*) FROM tracking_events t JOIN shipments s ON s.id = t.shipment_id WHERE s.order_id = o.id) \
         FROM orders o WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)?)
}

/// Whether `actor` may follow order `id`: its customer, or staff who read orders.
pub async fn may_follow(db: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    if actor.can(crate::domain::Permission::OrderView) {
        return Ok(());
    }
    let owner: Option<(i64,)> = sqlx::query_as("SELECT customer_id FROM orders WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
    match owner {
        Some((c,)) if c == actor.id && actor.can(crate::domain::Permission::OrderPlace) => Ok(()),
        _ => Err(AppError::NotFound),
    }
}
