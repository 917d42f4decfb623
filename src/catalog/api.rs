//! Server functions of products and the catalog. The catalog ones are public on purpose: a
//! shop's listed products are for everyone to see; they return listed products only.

use super::{CatalogPage, CatalogProduct, CatalogQuery, Category, ProductDetail, ProductInput, ProductRow};
use crate::domain::AppError;
use leptos::prelude::*;
use crate::domain::codec::JsonOrForm;
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
#[server(endpoint = "create_product", input = JsonOrForm)]
pub async fn create_product(input: ProductInput) -> Result<i64, AppError> {
    let actor = require(Permission::ProductEdit).await?;
    Ok(service::create(&db()?, &actor, &input).await?.id)
}

/// Saves a draft's content; returns the new version.
#[server(endpoint = "update_product", input = JsonOrForm)]
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

// ---------------------------------------------------------------- prices

#[cfg(feature = "ssr")]
fn price_policy() -> super::PricePolicy {
    use_context::<crate::server::AppState>().map(|s| s.config.pricing).unwrap_or_default()
}

/// Applies the price at once within the policy; otherwise queues it for approval.
#[server(endpoint = "change_price")]
pub async fn change_price(sku_id: i64, new_price: String, reason: String) -> Result<super::PriceOutcome, AppError> {
    let actor = require(Permission::PriceChange).await?;
    super::pricing::change_price(&db()?, &actor, &price_policy(), sku_id, &new_price, &reason).await
}

#[server(endpoint = "price_approvals")]
pub async fn list_price_approvals(#[server(default)] state: String) -> Result<Vec<super::PriceApproval>, AppError> {
    require(Permission::PriceApprove).await?;
    super::pricing::approvals(&db()?, &state).await
}

#[server(endpoint = "act_on_price_approval")]
pub async fn act_on_price_approval(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
) -> Result<(), AppError> {
    let step = super::PRICE_APPROVALS
        .action(&action)
        .filter(|a| !a.creates())
        .ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    super::pricing::act_on_approval(&db()?, &actor, &price_policy(), id, version, &action, &fields).await.map(|_| ())
}

#[server(endpoint = "product_pricing")]
pub async fn product_pricing(product_id: i64) -> Result<super::ProductPricing, AppError> {
    require(Permission::ProductView).await?;
    super::pricing::product_pricing(&db()?, product_id).await
}

#[server(endpoint = "schedule_promo")]
pub async fn schedule_promo(sku_id: i64, price: String, starts: String, ends: String, reason: String) -> Result<i64, AppError> {
    let actor = require(Permission::PromoSchedule).await?;
    super::pricing::schedule_promo(&db()?, &actor, sku_id, &price, &starts, &ends, &reason).await
}

#[server(endpoint = "cancel_promo")]
pub async fn cancel_promo(id: i64) -> Result<(), AppError> {
    let actor = require(Permission::PromoSchedule).await?;
    super::pricing::cancel_promo(&db()?, &actor, id).await
}

// ---------------------------------------------------------------- import

/// Checks the file, records the import and starts writing its products in the background;
/// returns the import's id, whose progress and report [`get_import`] gives.
#[server(endpoint = "start_product_import", input = JsonOrForm)]
pub async fn start_product_import(file_name: String, csv: String) -> Result<i64, AppError> {
    let actor = require(Permission::ProductEdit).await?;
    let db = db()?;
    let (job, planned) = super::bulk_service::start_import(&db, &actor, &file_name, &csv).await?;
    let policy = price_policy();
    // The import outlives this request; its progress is in the database, for any instance.
    tokio::spawn(async move {
        if let Err(e) = super::bulk_service::run_import(&db, &actor, &policy, job, planned).await {
            tracing::error!(job, error = %e, "product import failed");
            let _ = super::bulk_service::fail_import(&db, job, &e).await;
        }
    });
    Ok(job)
}

#[server(endpoint = "get_import")]
pub async fn get_import(id: i64) -> Result<super::bulk::ImportJob, AppError> {
    require(Permission::ProductEdit).await?;
    super::bulk_service::import_job(&db()?, id).await
}

#[server(endpoint = "list_imports")]
pub async fn list_imports() -> Result<Vec<super::bulk::ImportJob>, AppError> {
    require(Permission::ProductEdit).await?;
    super::bulk_service::recent_imports(&db()?).await
}

// ---------------------------------------------------------------- images

#[cfg(feature = "ssr")]
fn media_dir() -> std::path::PathBuf {
    use_context::<crate::server::AppState>().map(|s| s.config.media_dir.clone()).unwrap_or_else(|| "data/media".into())
}

/// Adds an image to a draft or returned product: a multipart form with `product_id` and
/// `file`. The file is read up to the size limit and no further.
#[server(endpoint = "upload_product_image", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_product_image(data: leptos::server_fn::codec::MultipartData) -> Result<super::images::ProductImage, AppError> {
    use super::images::MAX_IMAGE_BYTES;
    let actor = require(Permission::ProductEdit).await?;
    let mut form = data.into_inner().ok_or_else(|| AppError::invalid("file", "choose an image file"))?;
    let (mut product_id, mut file_name, mut bytes) = (None, String::new(), Vec::new());
    while let Ok(Some(mut field)) = form.next_field().await {
        match field.name() {
            Some("product_id") => product_id = field.text().await.ok().and_then(|t| t.trim().parse::<i64>().ok()),
            Some("file") => {
                file_name = field.file_name().unwrap_or_default().to_string();
                while let Ok(Some(chunk)) = field.chunk().await {
                    if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
                        return Err(AppError::invalid("file", "the image is larger than 5 MB"));
                    }
                    bytes.extend_from_slice(&chunk);
                }
            }
            _ => {}
        }
    }
    let product_id = product_id.ok_or_else(|| AppError::invalid("file", "choose an image file"))?;
    super::image_service::add_image(&db()?, &actor, &media_dir(), product_id, &file_name, bytes).await
}

#[server(endpoint = "remove_product_image")]
pub async fn remove_product_image(id: i64) -> Result<(), AppError> {
    let actor = require(Permission::ProductEdit).await?;
    super::image_service::remove_image(&db()?, &actor, &media_dir(), id).await
}
