//! Server functions of inventory: warehouses, stock search, reservations and receipts.

use super::counts::{CountDetail, CountEntry, StockCount};
use super::transfers::{ArrivalInput, Transfer, TransferDetail, TransferLineInput};
use super::{LineInspection, ReceiptDetail, ReceiptLineInput, Receipt, Reservation, StockDetail, StockRow, Warehouse, WarehouseInput};
use crate::domain::AppError;
use leptos::prelude::*;
use crate::domain::codec::JsonOrForm;
use std::collections::HashMap;

#[cfg(feature = "ssr")]
use {
    super::{counts::COUNTS, operations, service, transfers::TRANSFERS, RECEIPTS},
    crate::domain::Permission,
    crate::server::{db, require},
};

#[server(endpoint = "list_warehouses")]
pub async fn list_warehouses() -> Result<Vec<Warehouse>, AppError> {
    require(Permission::StockView).await?;
    service::warehouses(&db()?).await
}

#[server(endpoint = "create_warehouse", input = JsonOrForm)]
pub async fn create_warehouse(input: WarehouseInput) -> Result<i64, AppError> {
    let actor = require(Permission::WarehouseManage).await?;
    service::create_warehouse(&db()?, &actor, &input).await
}

#[server(endpoint = "set_warehouse_active")]
pub async fn set_warehouse_active(id: i64, active: bool) -> Result<(), AppError> {
    let actor = require(Permission::WarehouseManage).await?;
    service::set_warehouse_active(&db()?, &actor, id, active).await
}

#[server(endpoint = "search_stock")]
pub async fn search_stock(#[server(default)] q: String) -> Result<Vec<StockRow>, AppError> {
    require(Permission::StockView).await?;
    service::stock_search(&db()?, &q).await
}

#[server(endpoint = "get_stock")]
pub async fn get_stock(sku_id: i64) -> Result<StockDetail, AppError> {
    require(Permission::StockView).await?;
    service::stock_detail(&db()?, sku_id).await
}

/// Holds stock for an order; with no warehouse the one with the most available is chosen.
#[server(endpoint = "reserve_stock")]
pub async fn reserve_stock(
    sku: String,
    quantity: i64,
    #[server(default)] warehouse: String,
    reference: String,
) -> Result<Reservation, AppError> {
    let actor = require(Permission::StockReserve).await?;
    service::reserve(&db()?, Some(actor.id), &sku, quantity, Some(&warehouse), &reference).await
}

#[server(endpoint = "release_reservation")]
pub async fn release_reservation(id: i64) -> Result<Reservation, AppError> {
    let actor = require(Permission::StockReserve).await?;
    service::settle(&db()?, Some(actor.id), id, false).await
}

#[server(endpoint = "commit_reservation")]
pub async fn commit_reservation(id: i64) -> Result<Reservation, AppError> {
    let actor = require(Permission::StockReserve).await?;
    service::settle(&db()?, Some(actor.id), id, true).await
}

#[server(endpoint = "list_receipts")]
pub async fn list_receipts(#[server(default)] state: String) -> Result<Vec<Receipt>, AppError> {
    require(Permission::WarehousePage).await?;
    service::receipts(&db()?, &state).await
}

#[server(endpoint = "get_receipt")]
pub async fn get_receipt(id: i64) -> Result<ReceiptDetail, AppError> {
    let actor = require(Permission::WarehousePage).await?;
    service::receipt_detail(&db()?, &actor, id).await
}

/// Returns the new receipt's id.
#[server(endpoint = "register_receipt", input = JsonOrForm)]
pub async fn register_receipt(
    warehouse_id: i64,
    fields: HashMap<String, String>,
    lines: Vec<ReceiptLineInput>,
) -> Result<i64, AppError> {
    let actor = require(Permission::ReceiptRegister).await?;
    Ok(service::register_receipt(&db()?, &actor, warehouse_id, &fields, &lines).await?.id)
}

#[server(endpoint = "act_on_receipt", input = JsonOrForm)]
pub async fn act_on_receipt(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
    #[server(default)] inspections: Vec<LineInspection>,
) -> Result<(), AppError> {
    let step = RECEIPTS.action(&action).filter(|a| !a.creates()).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    service::act_on_receipt(&db()?, &actor, id, version, &action, &fields, &inspections).await.map(|_| ())
}

// ---------------------------------------------------------------- transfers

#[server(endpoint = "list_transfers")]
pub async fn list_transfers(#[server(default)] state: String) -> Result<Vec<Transfer>, AppError> {
    require(Permission::WarehousePage).await?;
    operations::transfers(&db()?, &state).await
}

#[server(endpoint = "get_transfer")]
pub async fn get_transfer(id: i64) -> Result<TransferDetail, AppError> {
    let actor = require(Permission::WarehousePage).await?;
    operations::transfer_detail(&db()?, &actor, id).await
}

/// Returns the new transfer's id.
#[server(endpoint = "request_transfer", input = JsonOrForm)]
pub async fn request_transfer(
    from_warehouse: i64,
    to_warehouse: i64,
    fields: HashMap<String, String>,
    lines: Vec<TransferLineInput>,
) -> Result<i64, AppError> {
    let actor = require(Permission::StockTransfer).await?;
    Ok(operations::request_transfer(&db()?, &actor, from_warehouse, to_warehouse, &fields, &lines).await?.id)
}

#[server(endpoint = "act_on_transfer", input = JsonOrForm)]
pub async fn act_on_transfer(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
    #[server(default)] arrivals: Vec<ArrivalInput>,
) -> Result<(), AppError> {
    let step = TRANSFERS.action(&action).filter(|a| !a.creates()).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    operations::act_on_transfer(&db()?, &actor, id, version, &action, &fields, &arrivals).await.map(|_| ())
}

// ---------------------------------------------------------------- counts

#[cfg(feature = "ssr")]
fn count_policy() -> super::counts::CountPolicy {
    use_context::<crate::server::AppState>().map(|s| s.config.counts).unwrap_or_default()
}

#[server(endpoint = "list_counts")]
pub async fn list_counts(#[server(default)] state: String) -> Result<Vec<StockCount>, AppError> {
    require(Permission::WarehousePage).await?;
    operations::counts(&db()?, &count_policy(), &state).await
}

#[server(endpoint = "get_count")]
pub async fn get_count(id: i64) -> Result<CountDetail, AppError> {
    let actor = require(Permission::WarehousePage).await?;
    operations::count_detail(&db()?, &actor, &count_policy(), id).await
}

/// Returns the new count's id. No SKUs listed: every SKU the warehouse holds.
#[server(endpoint = "start_count", input = JsonOrForm)]
pub async fn start_count(warehouse_id: i64, fields: HashMap<String, String>, skus: Vec<String>) -> Result<i64, AppError> {
    let actor = require(Permission::StockCount).await?;
    Ok(operations::start_count(&db()?, &actor, warehouse_id, &fields, &skus).await?.id)
}

#[server(endpoint = "act_on_count", input = JsonOrForm)]
pub async fn act_on_count(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
    #[server(default)] entries: Vec<CountEntry>,
) -> Result<(), AppError> {
    let step = COUNTS.action(&action).filter(|a| !a.creates()).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    operations::act_on_count(&db()?, &actor, &count_policy(), id, version, &action, &fields, &entries).await.map(|_| ())
}
