//! Server functions of products and the catalog. The catalog ones are public on purpose: a
//! shop's listed products are for everyone to see; they return listed products only.

use super::{CatalogPage, CatalogProduct, CatalogQuery, Category, ProductDetail, ProductInput, ProductRow};
use crate::domain::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use std::collections::HashMap;

#[cfg(feature = "ssr")]
use {
    super::{service, LISTING},
    crate::domain::Permission,
    crate::server::{db, require},
};

#[server(endpoint = "list_categories")]
pub async fn list_categories() -> Result<Vec<Category>, AppError> {
    service::categories(&db()?).await
}

#[server(endpoint = "create_category")]
pub async fn create_category(name: String, #[server(default)] parent: Option<i64>) -> Result<i64, AppError> {
    let actor = require(Permission::CategoryManage).await?;
    service::create_category(&db()?, &actor, &name, parent).await
}

#[server(endpoint = "rename_category")]
pub async fn rename_category(id: i64, name: String) -> Result<(), AppError> {
    let actor = require(Permission::CategoryManage).await?;
    service::rename_category(&db()?, &actor, id, &name).await
}

#[server(endpoint = "list_products")]
pub async fn list_products(#[server(default)] state: String, #[server(default)] q: String) -> Result<Vec<ProductRow>, AppError> {
    require(Permission::ProductView).await?;
    service::list(&db()?, &state, &q).await
}

#[server(endpoint = "get_product")]
pub async fn get_product(id: i64) -> Result<ProductDetail, AppError> {
    let actor = require(Permission::ProductView).await?;
    service::detail(&db()?, &actor, id).await
}

/// Creates a draft; returns its id.
#[server(endpoint = "create_product", input = Json)]
pub async fn create_product(input: ProductInput) -> Result<i64, AppError> {
    let actor = require(Permission::ProductEdit).await?;
    Ok(service::create(&db()?, &actor, &input).await?.id)
}

/// Saves a draft's content; returns the new version.
#[server(endpoint = "update_product", input = Json)]
pub async fn update_product(id: i64, version: i64, input: ProductInput) -> Result<i64, AppError> {
    let actor = require(Permission::ProductEdit).await?;
    service::update(&db()?, &actor, id, version, &input).await
}

/// A listing step; the step's declared permission is what is required.
#[server(endpoint = "act_on_product")]
pub async fn act_on_product(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
) -> Result<(), AppError> {
    let step = LISTING.action(&action).filter(|a| !a.creates()).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    service::act(&db()?, &actor, id, version, &action, &fields).await.map(|_| ())
}

#[server(endpoint = "search_catalog")]
pub async fn search_catalog(#[server(default)] query: CatalogQuery) -> Result<CatalogPage, AppError> {
    service::search_catalog(&db()?, &query).await
}

#[server(endpoint = "catalog_product")]
pub async fn get_catalog_product(id: i64) -> Result<CatalogProduct, AppError> {
    service::catalog_product(&db()?, id).await
}

#[server(endpoint = "catalog_tags")]
pub async fn catalog_tags() -> Result<Vec<String>, AppError> {
    service::catalog_tags(&db()?).await
}
