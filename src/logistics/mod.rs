//! Carriers and their shipping services, configured by the logistics coordinator. A carrier
//! is who takes the parcel (SF Express, JD Logistics, …); a service is what the customer
//! chooses at checkout (the carrier's standard or next-day delivery) with its price. Orders
//! keep the service's code and the fee they were charged, so a later price change never
//! touches an order already placed, and a service is retired by deactivating it, never by
//! deleting it.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use crate::domain::{parse_money, required_text, AppError, AppResult};
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

/// A name written by staff in both languages of the app; the Chinese one may be left empty,
/// and then the English one is shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    pub en: String,
    pub zh: String,
}

impl Name {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh if !self.zh.is_empty() => &self.zh,
            _ => &self.en,
        }
    }

    /// A stored code with no name (a carrier since removed from the data): the code itself.
    pub fn code(code: &str) -> Name {
        Name { en: code.to_string(), zh: String::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Carrier {
    pub id: i64,
    pub code: String,
    pub name: Name,
    /// Where a customer can follow a parcel on the carrier's own site; `{number}` stands for
    /// the tracking number.
    pub tracking_url: Option<String>,
    pub active: bool,
    pub services: Vec<ShippingService>,
    /// The carrier's own webhook secret, if it has one (never the secret itself).
    pub webhook: Option<WebhookKey>,
}

/// What the carriers page shows of a carrier's webhook secret: enough to tell which secret
/// the carrier holds, not enough to sign with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookKey {
    /// The secret's last four characters.
    pub hint: String,
    pub set_at: i64,
    /// After a new secret is made, the one before it still signs until then, so the carrier
    /// can switch over without losing events.
    pub previous_until: Option<i64>,
}

/// How long a replaced webhook secret keeps working.
pub const WEBHOOK_GRACE_MS: i64 = 24 * 3_600_000;

/// Where a carrier with its own secret sends tracking events.
pub fn webhook_path(code: &str) -> String {
    format!("/webhooks/tracking/{code}")
}

/// The secrets a carrier's webhook call may be signed with at `now`: its own, and the one it
/// replaced while that is in its grace period.
pub fn accepted_secrets(current: Option<String>, previous: Option<String>, previous_until: Option<i64>, now: i64) -> Vec<String> {
    let previous = previous.filter(|_| previous_until.is_some_and(|until| now < until));
    current.into_iter().chain(previous).collect()
}

impl Carrier {
    pub fn tracking_link(&self, number: &str) -> Option<String> {
        tracking_link(self.tracking_url.as_deref(), number)
    }
}

pub fn tracking_link(template: Option<&str>, number: &str) -> Option<String> {
    template.map(|t| t.replace("{number}", number))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippingService {
    pub id: i64,
    pub code: String,
    pub carrier: String,
    pub name: Name,
    pub fee: i64,
    /// Goods worth at least this travel free; `None`: never free.
    pub free_from: Option<i64>,
    pub days_min: i64,
    pub days_max: i64,
    pub active: bool,
}

/// What a parcel costs to send with a service, for goods worth `goods_total`.
pub fn shipping_fee(fee: i64, free_from: Option<i64>, goods_total: i64) -> i64 {
    match free_from {
        Some(from) if goods_total >= from => 0,
        _ => fee,
    }
}

impl ShippingService {
    pub fn fee_for(&self, goods_total: i64) -> i64 {
        shipping_fee(self.fee, self.free_from, goods_total)
    }
}

/// A service as the checkout offers it: only active services of active carriers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippingOption {
    pub code: String,
    pub carrier: Name,
    pub name: Name,
    pub fee: i64,
    pub free_from: Option<i64>,
    pub days_min: i64,
    pub days_max: i64,
}

impl ShippingOption {
    pub fn fee_for(&self, goods_total: i64) -> i64 {
        shipping_fee(self.fee, self.free_from, goods_total)
    }
}

/// "2–4 days", "next day"
pub fn delivery_days(min: i64, max: i64, lang: Lang) -> String {
    match (lang, min == max) {
        (Lang::En, true) if min == 1 => "next day".into(),
        (Lang::En, true) => format!("{min} days"),
        (Lang::En, false) => format!("{min}–{max} days"),
        (Lang::Zh, true) if min == 1 => "次日达".into(),
        (Lang::Zh, true) => format!("{min}天"),
        (Lang::Zh, false) => format!("{min}–{max}天"),
    }
}

/// A carrier's or a service's code: lower-case letters, digits, dashes and underscores, as
/// stored on orders and parcels and sent by carriers' webhooks.
pub fn parse_code(field: &str, text: &str) -> AppResult<String> {
    let code = required_text(field, &text.trim().to_lowercase(), 20)?;
    if !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        return Err(AppError::invalid(field, "lower-case letters, digits, - and _ only"));
    }
    Ok(code)
}

fn parse_name(en: &str, zh: &str) -> AppResult<Name> {
    let en = required_text("name_en", en, 60)?;
    let zh = crate::domain::optional_text("name_zh", zh, 60)?.unwrap_or_default();
    Ok(Name { en, zh })
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CarrierInput {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub tracking_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCarrier {
    pub code: String,
    pub name: Name,
    pub tracking_url: Option<String>,
}

impl CarrierInput {
    pub fn validate(&self) -> AppResult<ValidCarrier> {
        let code = parse_code("code", &self.code)?;
        let name = parse_name(&self.name_en, &self.name_zh)?;
        let tracking_url = crate::domain::optional_text("tracking_url", &self.tracking_url, 300)?;
        if let Some(url) = &tracking_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) || !url.contains("{number}") || url.contains(char::is_whitespace) {
                return Err(AppError::invalid("tracking_url", "a web address containing {number}"));
            }
        }
        Ok(ValidCarrier { code, name, tracking_url })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceInput {
    pub code: String,
    pub carrier: String,
    pub name_en: String,
    pub name_zh: String,
    pub fee: String,
    /// Empty: never free.
    pub free_from: String,
    pub days_min: String,
    pub days_max: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidService {
    pub code: String,
    pub carrier: String,
    pub name: Name,
    pub fee: i64,
    pub free_from: Option<i64>,
    pub days_min: i64,
    pub days_max: i64,
}

/// The most a parcel's fee may be (¥10,000): a larger one is a typo.
pub const MAX_FEE: i64 = 1_000_000;
/// The longest delivery promise, in days.
pub const MAX_DAYS: i64 = 60;

impl ServiceInput {
    pub fn validate(&self) -> AppResult<ValidService> {
        let code = parse_code("code", &self.code)?;
        let carrier = parse_code("carrier", &self.carrier)?;
        let name = parse_name(&self.name_en, &self.name_zh)?;
        let fee = parse_money("fee", &self.fee)?;
        if fee > MAX_FEE {
            return Err(AppError::invalid("fee", "at most 10000.00"));
        }
        let free_from = match self.free_from.trim() {
            "" => None,
            t => Some(parse_money("free_from", t)?),
        };
        let days = |field: &str, text: &str| -> AppResult<i64> {
            let d: i64 = text.trim().parse().map_err(|_| AppError::invalid(field, "a whole number of days"))?;
            if !(1..=MAX_DAYS).contains(&d) {
                return Err(AppError::invalid(field, "between 1 and 60 days"));
            }
            Ok(d)
        };
        let days_min = days("days_min", &self.days_min)?;
        let days_max = days("days_max", &self.days_max)?;
        if days_max < days_min {
            return Err(AppError::invalid("days_max", "not less than the fastest delivery"));
        }
        Ok(ValidService { code, carrier, name, fee, free_from, days_min, days_max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_secret_signs_until_its_grace_ends() {
        let (new, old) = (Some("new".to_string()), Some("old".to_string()));
        assert_eq!(accepted_secrets(new.clone(), old.clone(), Some(1_000), 999), ["new", "old"]);
        assert_eq!(accepted_secrets(new.clone(), old.clone(), Some(1_000), 1_000), ["new"]);
        assert_eq!(accepted_secrets(new, old.clone(), None, 0), ["new"]);
        assert!(accepted_secrets(None, None, None, 0).is_empty());
    }

    fn service() -> ServiceInput {
        ServiceInput {
            code: "sf-express".into(),
            carrier: "sf".into(),
            name_en: "Next day".into(),
            name_zh: "".into(),
            fee: "20".into(),
            free_from: "".into(),
            days_min: "1".into(),
            days_max: "1".into(),
        }
    }

    #[test]
    fn a_service_is_checked_and_priced() {
        let v = service().validate().unwrap();
        assert_eq!((v.fee, v.free_from, v.days_min, v.days_max), (2_000, None, 1, 1));
        let free = ServiceInput { free_from: "99".into(), ..service() }.validate().unwrap();
        assert_eq!(shipping_fee(free.fee, free.free_from, 9_899), 2_000);
        assert_eq!(shipping_fee(free.fee, free.free_from, 9_900), 0);
        assert_eq!(shipping_fee(free.fee, None, 10_000_000), 2_000);
        let free_shipping = ServiceInput { fee: "0".into(), ..service() }.validate().unwrap();
        assert_eq!(free_shipping.fee, 0);
    }

    #[test]
    fn bad_services_are_refused_with_the_field() {
        let err = |s: ServiceInput| s.validate().unwrap_err();
        assert_eq!(err(ServiceInput { code: "SF Express".into(), ..service() }), AppError::invalid("code", "lower-case letters, digits, - and _ only"));
        assert_eq!(err(ServiceInput { fee: "-1".into(), ..service() }), AppError::invalid("fee", "enter an amount such as 12.50"));
        assert_eq!(err(ServiceInput { fee: "10000.01".into(), ..service() }), AppError::invalid("fee", "at most 10000.00"));
        assert_eq!(err(ServiceInput { free_from: "abc".into(), ..service() }), AppError::invalid("free_from", "enter an amount such as 12.50"));
        assert_eq!(err(ServiceInput { days_min: "0".into(), ..service() }), AppError::invalid("days_min", "between 1 and 60 days"));
        assert_eq!(err(ServiceInput { days_max: "x".into(), ..service() }), AppError::invalid("days_max", "a whole number of days"));
        assert_eq!(err(ServiceInput { days_min: "3".into(), days_max: "2".into(), ..service() }), AppError::invalid("days_max", "not less than the fastest delivery"));
        assert_eq!(err(ServiceInput { name_en: " ".into(), ..service() }), AppError::invalid("name_en", "required"));
    }

    #[test]
    fn carrier_codes_are_normalised_and_tracking_links_need_the_number() {
        let ok = CarrierInput { code: " DHL ".into(), name_en: "DHL".into(), name_zh: "敦豪".into(), tracking_url: "https://dhl.example/t/{number}".into() };
        let v = ok.validate().unwrap();
        assert_eq!(v.code, "dhl");
        assert_eq!(tracking_link(v.tracking_url.as_deref(), "JD1").as_deref(), Some("https://dhl.example/t/JD1"));
        let no_number = CarrierInput { tracking_url: "https://dhl.example/t/".into(), ..ok.clone() };
        assert_eq!(no_number.validate().unwrap_err(), AppError::invalid("tracking_url", "a web address containing {number}"));
        let script = CarrierInput { tracking_url: "javascript:alert(1)//{number}".into(), ..ok };
        assert!(script.validate().is_err());
    }

    #[test]
    fn names_fall_back_to_english_and_days_read_naturally() {
        let n = Name { en: "SF Express".into(), zh: String::new() };
        assert_eq!(n.get(Lang::Zh), "SF Express");
        assert_eq!(delivery_days(1, 1, Lang::En), "next day");
        assert_eq!(delivery_days(2, 4, Lang::Zh), "2–4天");
    }
}
