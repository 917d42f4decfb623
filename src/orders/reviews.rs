//! Product reviews: after an order is completed its customer may rate each product they
//! received (1–5) with a comment, once per order line; the shop's product page shows them.

use crate::domain::{optional_text, AppError, AppResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewInput {
    pub order_line_id: i64,
    pub rating: String,
    pub comment: String,
}

impl ReviewInput {
    pub fn validate(&self) -> AppResult<(i64, String)> {
        let rating = match self.rating.trim().parse::<i64>() {
            Ok(r) if (1..=5).contains(&r) => r,
            _ => return Err(AppError::invalid("rating", "choose 1 to 5 stars")),
        };
        let comment = optional_text("comment", &self.comment, 1000)?.unwrap_or_default();
        Ok((rating, comment))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductReview {
    /// The reviewer's first name only.
    pub author: String,
    pub rating: i64,
    pub comment: String,
    pub sku: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductReviews {
    pub count: i64,
    /// The average rating times ten (4.5 stars is 45), when there are reviews.
    pub average_x10: Option<i64>,
    /// The newest, at most 20.
    pub latest: Vec<ProductReview>,
}

/// "★★★★☆" for a rating of 1 to 5.
pub fn stars(rating: i64) -> String {
    let r = rating.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(r), "☆".repeat(5 - r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five() {
        let r = |rating: &str| ReviewInput { order_line_id: 1, rating: rating.into(), comment: " Lovely tea ".into() };
        assert_eq!(r("5").validate().unwrap(), (5, "Lovely tea".to_string()));
        for bad in ["0", "6", "", "four"] {
            assert_eq!(r(bad).validate().unwrap_err().field_message("rating").as_deref(), Some("choose 1 to 5 stars"));
        }
        assert_eq!(stars(4), "★★★★☆");
    }
}
