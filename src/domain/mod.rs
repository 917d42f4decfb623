//! Plain domain types shared by the server and the browser: no I/O lives here.

pub mod codec;
pub mod error;
pub mod money;
pub mod permission;

pub use error::{AppError, AppResult, BulkResult};
pub use money::{format_money, parse_money, price_label};
pub use permission::{Department, Permission, Role};

/// Milliseconds since the Unix epoch, UTC. Stored as BIGINT so both backends sort and
/// subtract it the same way (sqlx's Any driver has no portable timestamp type).
pub type Millis = i64;

pub fn now_millis() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// Formats a stored time for people: `2026-11-25 14:03 UTC`.
pub fn format_time(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Trims a form field and checks its length in characters (not bytes: Chinese text).
pub fn required_text(field: &str, value: &str, max_chars: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    if value.chars().count() > max_chars {
        return Err(AppError::invalid(field, &format!("at most {max_chars} characters")));
    }
    Ok(value.to_string())
}

/// Like [`required_text`] but an empty value is allowed and becomes `None`.
pub fn optional_text(field: &str, value: &str, max_chars: usize) -> AppResult<Option<String>> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    required_text(field, value, max_chars).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_counts_characters() {
        assert_eq!(required_text("t", "  hi ", 5).unwrap(), "hi");
        assert_eq!(required_text("t", "库存预警", 4).unwrap(), "库存预警");
        assert_eq!(
            required_text("t", "库存预警!", 4),
            Err(AppError::invalid("t", "at most 4 characters"))
        );
        assert_eq!(required_text("t", "   ", 4), Err(AppError::invalid("t", "required")));
        assert_eq!(optional_text("t", " ", 4), Ok(None));
    }

    #[test]
    fn times_format_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
    }
}
