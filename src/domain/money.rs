//! Money as integer minor units (fen, cents): parsed from and printed to decimal text
//! without ever passing through a float, so 0.1 + 0.2 is exactly 0.3 here.

use super::{AppError, AppResult};

/// Parses "12", "12.5" or "12.50" (an optional leading currency sign is allowed) into minor
/// units. Negative amounts, more than two decimals and absurd sizes are refused.
pub fn parse_money(field: &str, text: &str) -> AppResult<i64> {
    let t = text.trim().trim_start_matches(['¥', '$', '€']).trim().replace(',', "");
    if t.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || (!frac.is_empty() && !digits(frac)) || t.ends_with('.') {
        return Err(AppError::invalid(field, "enter an amount such as 12.50"));
    }
    if frac.len() > 2 {
        return Err(AppError::invalid(field, "at most two decimals"));
    }
    if whole.len() > 12 {
        return Err(AppError::invalid(field, "amount too large"));
    }
    let whole: i64 = whole.parse().map_err(|_| AppError::invalid(field, "amount too large"))?;
    let cents: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    Ok(whole * 100 + cents)
}

/// 1250 → "12.50"
pub fn format_money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02}", m / 100, m % 100)
}

/// 1250 → "¥12.50", as the shop shows prices.
pub fn price_label(minor: i64) -> String {
    format!("¥{}", format_money(minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_text_exactly() {
        assert_eq!(parse_money("p", "12").unwrap(), 1200);
        assert_eq!(parse_money("p", "12.5").unwrap(), 1250);
        assert_eq!(parse_money("p", " ¥1,299.99 ").unwrap(), 129_999);
        assert_eq!(parse_money("p", "0.07").unwrap(), 7);
        for bad in ["", "-3", "1.234", "abc", "1.", ".5", "1e3", "9999999999999"] {
            assert!(parse_money("p", bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_money(1250), "12.50");
        assert_eq!(format_money(7), "0.07");
        assert_eq!(format_money(-105), "-1.05");
        assert_eq!(price_label(129_999), "¥1299.99");
    }
}
