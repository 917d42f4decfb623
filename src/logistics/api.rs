//! Server functions of the carriers page. Reading needs the logistics pages; every change
//! needs `carrier.manage`.

use super::{Carrier, CarrierInput, ServiceInput};
use crate::domain::AppError;
use leptos::prelude::*;
use crate::domain::codec::JsonOrForm;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::domain::Permission,
    crate::server::{db, require},
};

#[server(endpoint = "list_carriers")]
pub async fn list_carriers() -> Result<Vec<Carrier>, AppError> {
    require(Permission::LogisticsPage).await?;
    service::carriers(&db()?).await
}

/// Creates a carrier (`id` none) or renames one; returns its id.
#[server(endpoint = "save_carrier", input = JsonOrForm)]
pub async fn save_carrier(id: Option<i64>, input: CarrierInput) -> Result<i64, AppError> {
    let actor = require(Permission::CarrierManage).await?;
    match id {
        None => service::create_carrier(&db()?, &actor, &input).await,
        Some(id) => service::update_carrier(&db()?, &actor, id, &input).await.map(|()| id),
    }
}

#[server(endpoint = "set_carrier_active")]
pub async fn set_carrier_active(id: i64, active: bool) -> Result<(), AppError> {
    let actor = require(Permission::CarrierManage).await?;
    service::set_carrier_active(&db()?, &actor, id, active).await
}

/// Creates a shipping service (`id` none) or changes one's names, price and days.
#[server(endpoint = "save_shipping_service", input = JsonOrForm)]
pub async fn save_shipping_service(id: Option<i64>, input: ServiceInput) -> Result<i64, AppError> {
    let actor = require(Permission::CarrierManage).await?;
    match id {
        None => service::create_service(&db()?, &actor, &input).await,
        Some(id) => service::update_service(&db()?, &actor, id, &input).await.map(|()| id),
    }
}

#[server(endpoint = "set_service_active")]
pub async fn set_service_active(id: i64, active: bool) -> Result<(), AppError> {
    let actor = require(Permission::CarrierManage).await?;
    service::set_service_active(&db()?, &actor, id, active).await
}

/// Makes the carrier a new webhook secret and returns it, once: it is not shown again.
#[server(endpoint = "new_carrier_secret")]
pub async fn new_carrier_secret(id: i64) -> Result<String, AppError> {
    let actor = require(Permission::CarrierManage).await?;
    service::new_webhook_secret(&db()?, &actor, id).await
}
