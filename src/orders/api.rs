//! Server functions of orders: the customer's cart, checkout, payment and own orders, and the
//! order desk's queue and steps. Each checks its permission first; customers reach only their
//! own cart and orders (the service checks ownership).

use super::addresses::{AddressBookInput, SavedAddress};
use super::exceptions::ShippingException;
use super::returns::{ReturnCase, ReturnDetail, ReturnInspection, ReturnRequest};
use super::reviews::{ProductReviews, ReviewInput};
use super::{BulkResult, CardInput, Cart, CheckoutInput, OrderDetail, OrderSummary, ShipmentInput};
use crate::domain::AppError;
use leptos::prelude::*;
use crate::domain::codec::JsonOrForm;
use std::collections::HashMap;

#[cfg(feature = "ssr")]
use {
    super::{address_service, exception_service, exceptions::EXCEPTIONS, return_service, returns::RETURNS, review_service, service, OrderPolicy, ORDERS},
    crate::domain::Permission,
    crate::server::{db, require},
};

#[cfg(feature = "ssr")]
fn policy() -> OrderPolicy {
    use_context::<crate::server::AppState>().map(|s| s.config.orders).unwrap_or_default()
}

#[server(endpoint = "get_cart")]
pub async fn get_cart() -> Result<Cart, AppError> {
    let actor = require(Permission::OrderPlace).await?;
    service::cart(&db()?, &actor).await
}

/// Adds units of a SKU to the cart.
#[server(endpoint = "add_to_cart")]
pub async fn add_to_cart(sku: String, quantity: String) -> Result<(), AppError> {
    let actor = require(Permission::OrderPlace).await?;
    service::set_cart_quantity(&db()?, &actor, &sku, &quantity, true).await
}

/// Sets a cart line's quantity; 0 removes it.
#[server(endpoint = "set_cart_quantity")]
pub async fn set_cart_quantity(sku: String, quantity: String) -> Result<(), AppError> {
    let actor = require(Permission::OrderPlace).await?;
    service::set_cart_quantity(&db()?, &actor, &sku, &quantity, false).await
}

/// Returns the order's id (the same one when the same checkout is submitted again).
#[server(endpoint = "place_order", input = JsonOrForm)]
pub async fn place_order(input: CheckoutInput) -> Result<i64, AppError> {
    let actor = require(Permission::OrderPlace).await?;
    service::place_order(&db()?, &actor, &input).await
}

/// Returns the order's state after the payment.
#[server(endpoint = "pay_order", input = JsonOrForm)]
pub async fn pay_order(id: i64, card: CardInput) -> Result<String, AppError> {
    let actor = require(Permission::OrderPlace).await?;
    service::pay_order(&db()?, &actor, policy(), id, &card).await
}

#[server(endpoint = "my_orders")]
pub async fn my_orders() -> Result<Vec<OrderSummary>, AppError> {
    let actor = require(Permission::OrderPlace).await?;
    service::my_orders(&db()?, &actor).await
}

#[server(endpoint = "my_order")]
pub async fn my_order(id: i64) -> Result<OrderDetail, AppError> {
    let actor = require(Permission::OrderPlace).await?;
    service::my_order(&db()?, &actor, id).await
}

/// The customer's address book, the default first.
#[server(endpoint = "my_addresses")]
pub async fn my_addresses() -> Result<Vec<SavedAddress>, AppError> {
    let actor = require(Permission::OrderPlace).await?;
    address_service::mine(&db()?, &actor).await
}

/// Adds an address (`id` none) or changes one of one's own; returns its id.
#[server(endpoint = "save_address", input = JsonOrForm)]
pub async fn save_address(id: Option<i64>, input: AddressBookInput) -> Result<i64, AppError> {
    let actor = require(Permission::OrderPlace).await?;
    address_service::save(&db()?, &actor, id, &input).await
}

#[server(endpoint = "delete_address")]
pub async fn delete_address(id: i64) -> Result<(), AppError> {
    let actor = require(Permission::OrderPlace).await?;
    address_service::delete(&db()?, &actor, id).await
}

#[server(endpoint = "set_default_address")]
pub async fn set_default_address(id: i64) -> Result<(), AppError> {
    let actor = require(Permission::OrderPlace).await?;
    address_service::set_default(&db()?, &actor, id).await
}

#[server(endpoint = "list_orders")]
pub async fn list_orders(#[server(default)] state: String, #[server(default)] q: String) -> Result<Vec<OrderSummary>, AppError> {
    require(Permission::OrderView).await?;
    service::orders(&db()?, &state, &q).await
}

#[server(endpoint = "get_order")]
pub async fn get_order(id: i64) -> Result<OrderDetail, AppError> {
    let actor = require(Permission::OrderView).await?;
    service::order_detail(&db()?, &actor, id).await
}

#[server(endpoint = "act_on_order", input = JsonOrForm)]
pub async fn act_on_order(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
    #[server(default)] shipments: Vec<ShipmentInput>,
) -> Result<(), AppError> {
    let step = ORDERS.action(&action).filter(|a| !a.creates()).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    service::act_on_order(&db()?, &actor, policy(), id, version, &action, &fields, &shipments).await.map(|_| ())
}

/// An order chosen on the queue: `[id, version]` in JSON, `id:version` as the value of the
/// queue's checkbox (`orders[n]=12:3`), which a form can post as one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OrderRef(pub i64, pub i64);

impl<'de> serde::Deserialize<'de> for OrderRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Pair(i64, i64),
            Text(String),
        }
        match Either::deserialize(d)? {
            Either::Pair(id, version) => Ok(OrderRef(id, version)),
            Either::Text(t) => t
                .split_once(':')
                .and_then(|(id, version)| Some(OrderRef(id.trim().parse().ok()?, version.trim().parse().ok()?)))
                .ok_or_else(|| serde::de::Error::custom("expected id:version")),
        }
    }
}

/// Confirms the chosen paid orders: (id, version) each. None chosen is refused.
#[server(endpoint = "confirm_orders", input = JsonOrForm)]
pub async fn confirm_orders(#[server(default)] orders: Vec<OrderRef>) -> Result<BulkResult, AppError> {
    let actor = require(Permission::OrderReview).await?;
    if orders.is_empty() {
        return Err(AppError::invalid("orders", "choose at least one order"));
    }
    let orders: Vec<(i64, i64)> = orders.iter().map(|o| (o.0, o.1)).collect();
    let outcomes = service::confirm_orders(&db()?, &actor, policy(), &orders).await?;
    crate::server::http::report_bulk_to_plain_form(<ConfirmOrders as leptos::server_fn::ServerFn>::PATH, &outcomes);
    Ok(outcomes)
}

// ---------------------------------------------------------------- shipping exceptions

/// Returns the new exception's id.
#[server(endpoint = "report_exception", input = JsonOrForm)]
pub async fn report_exception(order_id: i64, shipment_id: i64, #[server(default)] fields: HashMap<String, String>) -> Result<i64, AppError> {
    let actor = require(Permission::ExceptionHandle).await?;
    Ok(exception_service::report(&db()?, &actor, order_id, shipment_id, &fields).await?.id)
}

/// An agent reports the exception a customer told them of, from the customer's open ticket
/// about the order; returns the new exception's id.
#[server(endpoint = "report_exception_for_customer", input = JsonOrForm)]
pub async fn report_exception_for_customer(
    ticket_id: i64,
    order_id: i64,
    shipment_id: i64,
    #[server(default)] fields: HashMap<String, String>,
) -> Result<i64, AppError> {
    let actor = require(Permission::TicketHandle).await?;
    Ok(exception_service::report_for_customer(&db()?, &actor, ticket_id, order_id, shipment_id, &fields).await?.id)
}

#[server(endpoint = "act_on_exception", input = JsonOrForm)]
pub async fn act_on_exception(id: i64, version: i64, action: String, #[server(default)] fields: HashMap<String, String>) -> Result<(), AppError> {
    let step = EXCEPTIONS.action(&action).filter(|a| !a.creates()).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    exception_service::act(&db()?, &actor, id, version, &action, &fields).await.map(|_| ())
}

/// Open exceptions (oldest first), or those in one state.
#[server(endpoint = "list_exceptions")]
pub async fn list_exceptions(#[server(default)] state: String) -> Result<Vec<ShippingException>, AppError> {
    require(Permission::OrderView).await?;
    exception_service::list(&db()?, &state).await
}

/// The logistics coordinator's shipments board: parcels by lane (to ship, on the way,
/// stalled, in trouble, delivered), for one lane and carrier if asked.
#[server(endpoint = "shipment_board", input = JsonOrForm)]
pub async fn shipment_board(#[server(default)] filter: super::shipments::BoardFilter) -> Result<super::shipments::ShipmentBoard, AppError> {
    require(Permission::LogisticsPage).await?;
    super::shipment_service::board(&db()?, &filter).await
}

// ---------------------------------------------------------------- returns and exchanges

/// A customer asks to send lines of a delivered order back, or an agent files it for them
/// from their ticket; returns the case's id.
#[server(endpoint = "request_return", input = JsonOrForm)]
pub async fn request_return(input: ReturnRequest) -> Result<i64, AppError> {
    let actor = crate::server::require_user().await?;
    if !(actor.can(Permission::OrderPlace) || actor.can(Permission::TicketHandle)) {
        return Err(AppError::Forbidden);
    }
    Ok(return_service::request(&db()?, &actor, &input).await?.id)
}

#[server(endpoint = "act_on_return", input = JsonOrForm)]
pub async fn act_on_return(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
    #[server(default)] inspections: Vec<ReturnInspection>,
) -> Result<(), AppError> {
    let step = RETURNS.action(&action).filter(|a| !a.creates()).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    return_service::act(&db()?, &actor, id, version, &action, &fields, &inspections).await.map(|_| ())
}

/// Open cases (oldest first), or those in one state.
#[server(endpoint = "list_returns")]
pub async fn list_returns(#[server(default)] state: String) -> Result<Vec<ReturnCase>, AppError> {
    require(Permission::OrderView).await?;
    return_service::list(&db()?, &state).await
}

#[server(endpoint = "get_return")]
pub async fn get_return(id: i64) -> Result<ReturnDetail, AppError> {
    let actor = require(Permission::OrderView).await?;
    return_service::detail(&db()?, &actor, id).await
}

// ---------------------------------------------------------------- reviews

/// A customer reviews one product (order line) of their completed order.
#[server(endpoint = "review_product", input = JsonOrForm)]
pub async fn review_product(input: ReviewInput) -> Result<(), AppError> {
    let actor = require(Permission::OrderPlace).await?;
    review_service::submit(&db()?, &actor, &input).await
}

/// A listed product's reviews, for the shop's product page (open to everyone, like the shop).
#[server(endpoint = "product_reviews")]
pub async fn get_product_reviews(product_id: i64) -> Result<ProductReviews, AppError> {
    let db = db()?;
    // Drafts and delisted products have no public page, nor public reviews.
    crate::catalog::service::catalog_product(&db, product_id).await?;
    review_service::of_product(&db, product_id).await
}
