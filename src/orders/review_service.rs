//! Reviews on the server: only the customer of a completed order, once per line.

use super::reviews::{ProductReview, ProductReviews, ReviewInput};
use crate::accounts::Actor;
use crate::domain::{now_millis, AppError, AppResult};
use crate::engine::run::audit;
use crate::server::db::is_unique_violation;
use crate::server::Db;
use serde_json::json;

/// Orders in these states may be reviewed.
const REVIEWABLE: &[&str] = &["completed", "review_requested"];

pub async fn submit(db: &Db, actor: &Actor, input: &ReviewInput) -> AppResult<()> {
    let (rating, comment) = input.validate()?;
    let line: Option<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT o.id, o.customer_id, o.state, s.product_id FROM order_lines l JOIN orders o ON o.id = l.order_id \
         JOIN skus s ON s.id = l.sku_id WHERE l.id = $1",
    )
    .bind(input.order_line_id)
    .fetch_optional(db.pool())
    .await?;
    let (order, _, state, product) = line.filter(|l| l.1 == actor.id).ok_or(AppError::NotFound)?;
    if !REVIEWABLE.contains(&state.as_str()) {
        return Err(AppError::Conflict("products can be reviewed once the order is completed".into()));
    }
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO product_reviews (order_line_id, product_id, customer_id, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(input.order_line_id)
    .bind(product)
    .bind(actor.id)
    .bind(rating)
    .bind(&comment)
    .bind(now_millis())
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(AppError::Conflict("you have reviewed this product of this order already".into())),
        Err(e) => return Err(e.into()),
    }
    audit(&mut tx, super::ORDERS.id, order, "review", None, None, Some(actor.id), &json!({ "rating": rating.to_string() })).await?;
    tx.commit().await?;
    Ok(())
}

/// The order lines of an order its customer has reviewed already.
pub async fn reviewed_lines(db: &Db, order_id: i64) -> AppResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.order_line_id FROM product_reviews r JOIN order_lines l ON l.id = r.order_line_id WHERE l.order_id = $1",
    )
    .bind(order_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A listed product's reviews as the shop shows them.
pub async fn of_product(db: &Db, product_id: i64) -> AppResult<ProductReviews> {
    let (count, sum): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(rating), 0) AS BIGINT) FROM product_reviews WHERE product_id = $1")
            .bind(product_id)
            .fetch_one(db.pool())
            .await?;
    let rows: Vec<(String, i64, String, String, i64)> = sqlx::query_as(
        "SELECT u.display_name, r.rating, r.comment, l.sku_code, r.created_at FROM product_reviews r \
         JOIN users u ON u.id = r.customer_id JOIN order_lines l ON l.id = r.order_line_id \
         WHERE r.product_id = $1 ORDER BY r.id DESC LIMIT 20",
    )
    .bind(product_id)
    .fetch_all(db.pool())
    .await?;
    Ok(ProductReviews {
        count,
        // Rounded to the nearest tenth of a star.
        average_x10: (count > 0).then(|| (sum * 10 + count / 2) / count),
        latest: rows
            .into_iter()
            .map(|r| ProductReview {
                author: r.0.split_whitespace().next().unwrap_or("").to_string(),
                rating: r.1,
                comment: r.2,
                sku: r.3,
                at: r.4,
            })
            .collect(),
    })
}
