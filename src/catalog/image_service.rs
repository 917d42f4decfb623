//! Product images on the server: checked, decoded within limits, thumbnailed, written to the
//! media folder and recorded (with an audit event) — or refused with a message, leaving no
//! file behind.

use super::images::{check_upload, ImageKind, ProductImage, MAX_IMAGES_PER_PRODUCT, MAX_IMAGE_SIDE, THUMB_SIDE};
use super::{EDITABLE, LISTING};
use crate::accounts::Actor;
use crate::domain::{now_millis, optional_text, AppError, AppResult, Permission};
use crate::engine::run::audit;
use crate::server::Db;
use serde_json::json;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Decodes the image within limits (a small file can declare a huge picture) and returns its
/// size and a JPEG thumbnail.
fn thumbnail(bytes: &[u8], kind: ImageKind) -> AppResult<(u32, u32, Vec<u8>)> {
    let format = match kind {
        ImageKind::Png => image::ImageFormat::Png,
        ImageKind::Jpeg => image::ImageFormat::Jpeg,
        ImageKind::Webp => image::ImageFormat::WebP,
        ImageKind::Gif => image::ImageFormat::Gif,
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let picture = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => AppError::invalid("file", "the image is larger than 8000 pixels a side"),
        _ => AppError::invalid("file", "the file is not a readable image"),
    })?;
    let mut out = Vec::new();
    picture
        .thumbnail(THUMB_SIDE, THUMB_SIDE)
        .to_rgb8()
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .map_err(AppError::internal)?;
    Ok((picture.width(), picture.height(), out))
}

/// The product, if the actor may change its images now (a draft or a returned product).
async fn editable_product(db: &Db, actor: &Actor, product_id: i64) -> AppResult<()> {
    if !actor.can(Permission::ProductEdit) {
        return Err(AppError::Forbidden);
    }
    let row: Option<(String,)> = sqlx::query_as("SELECT state FROM products WHERE id = $1").bind(product_id).fetch_optional(db.pool()).await?;
    let (state,) = row.ok_or(AppError::NotFound)?;
    if !EDITABLE.contains(&state.as_str()) {
        return Err(AppError::InvalidTransition { action: "edit images".into(), state });
    }
    Ok(())
}

fn random_name() -> String {
    use rand::RngCore;
    let mut b = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub async fn add_image(db: &Db, actor: &Actor, media: &Path, product_id: i64, file_name: &str, bytes: Vec<u8>) -> AppResult<ProductImage> {
    editable_product(db, actor, product_id).await?;
    let kind = check_upload(&bytes)?;
    let file_name = optional_text("file", file_name, 200)?.unwrap_or_else(|| format!("image.{}", kind.extension()));
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM product_images WHERE product_id = $1").bind(product_id).fetch_one(db.pool()).await?;
    if count >= MAX_IMAGES_PER_PRODUCT {
        return Err(AppError::invalid("file", "at most 12 images per product"));
    }
    // Decoding is CPU work: keep it off the request threads.
    let (bytes, (width, height, thumb)) = tokio::task::spawn_blocking(move || thumbnail(&bytes, kind).map(|t| (bytes, t)))
        .await
        .map_err(AppError::internal)??;
    let name = random_name();
    let rel = format!("products/{product_id}/{name}.{}", kind.extension());
    let thumb_rel = format!("products/{product_id}/{name}_thumb.jpg");
    let (full, thumb_full) = (media.join(&rel), media.join(&thumb_rel));
    let written = async {
        tokio::fs::create_dir_all(media.join(format!("products/{product_id}"))).await?;
        tokio::fs::write(&full, &bytes).await?;
        tokio::fs::write(&thumb_full, &thumb).await
    };
    if let Err(e) = written.await {
        remove_files(&[full, thumb_full]).await;
        return Err(AppError::internal(format!("writing the image to the media folder: {e}")));
    }
    let recorded = async {
        let mut tx = db.begin().await?;
        // Still editable now that the file is written (it may have been submitted meanwhile).
        let (state,): (String,) = sqlx::query_as("SELECT state FROM products WHERE id = $1").bind(product_id).fetch_one(&mut *tx).await?;
        if !EDITABLE.contains(&state.as_str()) {
            return Err(AppError::InvalidTransition { action: "edit images".into(), state });
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO product_images (product_id, file_name, path, thumb_path, content_type, bytes, width, height, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(product_id)
        .bind(&file_name)
        .bind(&rel)
        .bind(&thumb_rel)
        .bind(kind.content_type())
        .bind(bytes.len() as i64)
        .bind(i64::from(width))
        .bind(i64::from(height))
        .bind(actor.id)
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await?;
        audit(&mut tx, LISTING.id, product_id, "add_image", None, None, Some(actor.id), &json!({ "file": file_name })).await?;
        tx.commit().await?;
        Ok::<i64, AppError>(id)
    };
    match recorded.await {
        Ok(id) => Ok(image_view(id, product_id, file_name, rel, thumb_rel, width.into(), height.into())),
        Err(e) => {
            remove_files(&[full, thumb_full]).await;
            Err(e)
        }
    }
}

pub async fn remove_image(db: &Db, actor: &Actor, media: &Path, id: i64) -> AppResult<()> {
    let row: Option<(i64, String, String, String)> =
        sqlx::query_as("SELECT product_id, file_name, path, thumb_path FROM product_images WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
    let (product_id, file_name, path, thumb) = row.ok_or(AppError::NotFound)?;
    editable_product(db, actor, product_id).await?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM product_images WHERE id = $1").bind(id).execute(&mut *tx).await?;
    audit(&mut tx, LISTING.id, product_id, "remove_image", None, None, Some(actor.id), &json!({ "file": file_name })).await?;
    tx.commit().await?;
    // The record is gone; a file that cannot be removed is only wasted space.
    remove_files(&[media.join(path), media.join(thumb)]).await;
    Ok(())
}

async fn remove_files(paths: &[PathBuf]) {
    for p in paths {
        let _ = tokio::fs::remove_file(p).await;
    }
}

fn image_view(id: i64, product_id: i64, file_name: String, path: String, thumb: String, width: i64, height: i64) -> ProductImage {
    ProductImage { id, product_id, file_name, url: format!("/media/{path}"), thumb_url: format!("/media/{thumb}"), width, height }
}

/// The images of these products, in upload order.
pub async fn images_of(db: &Db, product_ids: &[i64]) -> AppResult<Vec<ProductImage>> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = (1..=product_ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT id, product_id, file_name, path, thumb_path, width, height FROM product_images WHERE product_id IN ({marks}) ORDER BY id");
    let mut q = sqlx::query_as::<_, (i64, i64, String, String, String, i64, i64)>(&sql);
    for id in product_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(db.pool()).await?.into_iter().map(|r| image_view(r.0, r.1, r.2, r.3, r.4, r.5, r.6)).collect())
}
