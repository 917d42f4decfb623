//! Carriers and shipping services in the database. Every change is audited; codes never
//! change, because orders, parcels and carriers' webhooks refer to them.

use super::{accepted_secrets, Carrier, CarrierInput, Name, ServiceInput, ShippingOption, ShippingService, WebhookKey, WEBHOOK_GRACE_MS};
use crate::accounts::Actor;
use crate::domain::{format_money, now_millis, AppError, AppResult};
use crate::engine::run::audit;
use crate::server::Db;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

type CarrierRow = (i64, String, String, String, Option<String>, i64, Option<String>, Option<i64>, Option<i64>);
type ServiceRow = (i64, String, String, String, String, i64, Option<i64>, i64, i64, i64);

const SERVICE_SELECT: &str =
    "SELECT id, code, carrier, name_en, name_zh, fee, free_from, days_min, days_max, active FROM shipping_services";

fn service_of(r: ServiceRow) -> ShippingService {
    ShippingService {
        id: r.0,
        code: r.1,
        carrier: r.2,
        name: Name { en: r.3, zh: r.4 },
        fee: r.5,
        free_from: r.6,
        days_min: r.7,
        days_max: r.8,
        active: r.9 == 1,
    }
}

/// Every carrier with its services, for the logistics page.
pub async fn carriers(db: &Db) -> AppResult<Vec<Carrier>> {
    let rows: Vec<CarrierRow> =
        sqlx::query_as(
            "SELECT id, code, name_en, name_zh, tracking_url, active, webhook_secret, webhook_set_at, webhook_previous_until \
             FROM carriers ORDER BY active DESC, code",
        )
            .fetch_all(db.pool())
            .await?;
    let services: Vec<ServiceRow> =
        sqlx::query_as(&format!("{SERVICE_SELECT} ORDER BY active DESC, fee, code")).fetch_all(db.pool()).await?;
    let mut by_carrier: HashMap<String, Vec<ShippingService>> = HashMap::new();
    for s in services.into_iter().map(service_of) {
        by_carrier.entry(s.carrier.clone()).or_default().push(s);
    }
    Ok(rows
        .into_iter()
        .map(|r| Carrier {
            id: r.0,
            services: by_carrier.remove(&r.1).unwrap_or_default(),
            code: r.1,
            name: Name { en: r.2, zh: r.3 },
            tracking_url: r.4,
            active: r.5 == 1,
            webhook: r.6.map(|secret| WebhookKey {
                hint: secret.chars().skip(secret.chars().count().saturating_sub(4)).collect(),
                set_at: r.7.unwrap_or_default(),
                previous_until: r.8.filter(|until| *until > now_millis()),
            }),
        })
        .collect())
}

/// Makes the carrier a new webhook secret and returns it: the only time it is shown. The
/// secret it replaces keeps signing for [`WEBHOOK_GRACE_MS`]; the audit event names the
/// secret by its last characters only.
pub async fn new_webhook_secret(db: &Db, actor: &Actor, id: i64) -> AppResult<String> {
    let secret = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    };
    let now = now_millis();
    let mut tx = db.begin().await?;
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT code, webhook_secret FROM carriers WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    let (code, old) = row.ok_or(AppError::NotFound)?;
    let previous_until = old.as_ref().map(|_| now + WEBHOOK_GRACE_MS);
    sqlx::query(
        "UPDATE carriers SET webhook_previous = webhook_secret, webhook_previous_until = $1, webhook_secret = $2, webhook_set_at = $3 WHERE id = $4",
    )
    .bind(previous_until)
    .bind(&secret)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let payload = json!({ "code": code, "hint": &secret[secret.len() - 4..], "previous_valid_until": previous_until.unwrap_or_default() });
    audit(&mut tx, "carrier", id, "webhook_secret", None, None, Some(actor.id), &payload).await?;
    tx.commit().await?;
    Ok(secret)
}

/// The secrets a call of the carrier's own webhook may be signed with; `None` for a carrier
/// that does not exist, empty for one without a secret of its own.
pub async fn webhook_secrets(db: &Db, code: &str) -> AppResult<Option<Vec<String>>> {
    let row: Option<(Option<String>, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT webhook_secret, webhook_previous, webhook_previous_until FROM carriers WHERE code = $1")
            .bind(code)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|(current, previous, until)| accepted_secrets(current, previous, until, now_millis())))
}

/// The services a checkout may choose: only active services of active carriers. (A macro, so
/// that `concat!` can build the queries that use it.)
macro_rules! offered {
    () => {
        "FROM shipping_services s JOIN carriers c ON c.code = s.carrier WHERE s.active = 1 AND c.active = 1"
    };
}

const OPTION_SELECT: &str =
    concat!("SELECT s.code, c.name_en, c.name_zh, s.name_en, s.name_zh, s.fee, s.free_from, s.days_min, s.days_max ", offered!());

type OptionRow = (String, String, String, String, String, i64, Option<i64>, i64, i64);

fn option_of(r: OptionRow) -> ShippingOption {
    ShippingOption {
        code: r.0,
        carrier: Name { en: r.1, zh: r.2 },
        name: Name { en: r.3, zh: r.4 },
        fee: r.5,
        free_from: r.6,
        days_min: r.7,
        days_max: r.8,
    }
}

/// What the checkout offers: active services of active carriers, cheapest first.
pub async fn shipping_options(conn: &mut AnyConnection) -> AppResult<Vec<ShippingOption>> {
    let rows: Vec<OptionRow> = sqlx::query_as(&format!("{OPTION_SELECT} ORDER BY s.fee, s.days_max, s.code")).fetch_all(conn).await?;
    Ok(rows.into_iter().map(option_of).collect())
}

/// SQL: two columns, the fee and the free-from amount of the service whose code is the SQL
/// expression `code` (a parameter or a column), if the shop offers it now (the fee is NULL
/// otherwise). A checkout prices its shipping with them in the same query that reads its
/// cart: one statement fewer per order.
pub fn offered_fee_columns(code: &str) -> String {
    let offered = offered!();
    format!("(SELECT s.fee {offered} AND s.code = {code}), (SELECT s.free_from {offered} AND s.code = {code})")
}

/// The names of every carrier, active or not (old parcels keep theirs), by code.
pub async fn carrier_names(conn: &mut AnyConnection) -> AppResult<HashMap<String, Name>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as("SELECT code, name_en, name_zh FROM carriers").fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(code, en, zh)| (code, Name { en, zh })).collect())
}

/// Active carriers a parcel may be handed to: (code, name), by name.
pub async fn active_carriers(conn: &mut AnyConnection) -> AppResult<Vec<(String, Name)>> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT code, name_en, name_zh FROM carriers WHERE active = 1 ORDER BY name_en").fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(code, en, zh)| (code, Name { en, zh })).collect())
}

/// The carrier of a shipping service, to suggest when its parcels are shipped.
pub async fn carrier_of_service(conn: &mut AnyConnection, service: &str) -> AppResult<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT carrier FROM shipping_services WHERE code = $1").bind(service).fetch_optional(conn).await?;
    Ok(row.map(|r| r.0))
}

/// A parcel is only handed to a carrier the shop works with now; returns its name.
pub async fn require_active_carrier(conn: &mut AnyConnection, code: &str, field: &str) -> AppResult<Name> {
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT active, name_en, name_zh FROM carriers WHERE code = $1").bind(code).fetch_optional(conn).await?;
    match row {
        Some((1, en, zh)) => Ok(Name { en, zh }),
        Some(_) => Err(AppError::invalid(field, "this carrier is no longer used")),
        None => Err(AppError::invalid(field, "choose a carrier")),
    }
}

pub async fn create_carrier(db: &Db, actor: &Actor, input: &CarrierInput) -> AppResult<i64> {
    let c = input.validate()?;
    let mut tx = db.begin().await?;
    let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM carriers WHERE code = $1").bind(&c.code).fetch_optional(&mut *tx).await?;
    if taken.is_some() {
        return Err(AppError::invalid("code", "a carrier with this code exists"));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO carriers (code, name_en, name_zh, tracking_url, active, created_at) VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
    )
    .bind(&c.code)
    .bind(&c.name.en)
    .bind(&c.name.zh)
    .bind(&c.tracking_url)
    .bind(now_millis())
    .fetch_one(&mut *tx)
    .await?;
    audit(&mut tx, "carrier", id, "create", None, None, Some(actor.id), &json!({ "code": c.code, "name": c.name.en })).await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a carrier or changes its tracking link; its code stays.
pub async fn update_carrier(db: &Db, actor: &Actor, id: i64, input: &CarrierInput) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let code: Option<(String,)> = sqlx::query_as("SELECT code FROM carriers WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    let (code,) = code.ok_or(AppError::NotFound)?;
    let c = CarrierInput { code: code.clone(), ..input.clone() }.validate()?;
    sqlx::query("UPDATE carriers SET name_en = $1, name_zh = $2, tracking_url = $3 WHERE id = $4")
        .bind(&c.name.en)
        .bind(&c.name.zh)
        .bind(&c.tracking_url)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let payload = json!({ "code": code, "name": c.name.en, "tracking_url": c.tracking_url.unwrap_or_default() });
    audit(&mut tx, "carrier", id, "update", None, None, Some(actor.id), &payload).await?;
    tx.commit().await?;
    Ok(())
}

/// A deactivated carrier's services leave the checkout and its name stays on old parcels.
pub async fn set_carrier_active(db: &Db, actor: &Actor, id: i64, active: bool) -> AppResult<()> {
    crate::engine::run::set_active(db, actor.id, "carriers", "carrier", id, active).await
}

pub async fn create_service(db: &Db, actor: &Actor, input: &ServiceInput) -> AppResult<i64> {
    let s = input.validate()?;
    let mut tx = db.begin().await?;
    let carrier: Option<(i64,)> = sqlx::query_as("SELECT id FROM carriers WHERE code = $1").bind(&s.carrier).fetch_optional(&mut *tx).await?;
    if carrier.is_none() {
        return Err(AppError::invalid("carrier", "choose a carrier"));
    }
    let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM shipping_services WHERE code = $1").bind(&s.code).fetch_optional(&mut *tx).await?;
    if taken.is_some() {
        return Err(AppError::invalid("code", "a service with this code exists"));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO shipping_services (code, carrier, name_en, name_zh, fee, free_from, days_min, days_max, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9) RETURNING id",
    )
    .bind(&s.code)
    .bind(&s.carrier)
    .bind(&s.name.en)
    .bind(&s.name.zh)
    .bind(s.fee)
    .bind(s.free_from)
    .bind(s.days_min)
    .bind(s.days_max)
    .bind(now_millis())
    .fetch_one(&mut *tx)
    .await?;
    let payload = json!({ "code": s.code, "carrier": s.carrier, "name": s.name.en, "fee": format_money(s.fee) });
    audit(&mut tx, "shipping_service", id, "create", None, None, Some(actor.id), &payload).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a service's names, price and delivery promise. Orders already placed keep the
/// fee they were charged; the audit event keeps the old price beside the new one.
pub async fn update_service(db: &Db, actor: &Actor, id: i64, input: &ServiceInput) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let old: Option<ServiceRow> = sqlx::query_as(&format!("{SERVICE_SELECT} WHERE id = $1")).bind(id).fetch_optional(&mut *tx).await?;
    let old = service_of(old.ok_or(AppError::NotFound)?);
    let s = ServiceInput { code: old.code.clone(), carrier: old.carrier.clone(), ..input.clone() }.validate()?;
    sqlx::query(
        "UPDATE shipping_services SET name_en = $1, name_zh = $2, fee = $3, free_from = $4, days_min = $5, days_max = $6 WHERE id = $7",
    )
    .bind(&s.name.en)
    .bind(&s.name.zh)
    .bind(s.fee)
    .bind(s.free_from)
    .bind(s.days_min)
    .bind(s.days_max)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let money = |m: Option<i64>| m.map(format_money).unwrap_or_default();
    let payload = json!({
        "code": s.code,
        "fee": format_money(s.fee), "old_fee": format_money(old.fee),
        "free_from": money(s.free_from), "old_free_from": money(old.free_from),
        "days": format!("{}-{}", s.days_min, s.days_max),
    });
    audit(&mut tx, "shipping_service", id, "update", None, None, Some(actor.id), &payload).await?;
    tx.commit().await?;
    Ok(())
}

/// A deactivated service leaves the checkout; orders that chose it keep its name.
pub async fn set_service_active(db: &Db, actor: &Actor, id: i64, active: bool) -> AppResult<()> {
    crate::engine::run::set_active(db, actor.id, "shipping_services", "shipping_service", id, active).await
}
