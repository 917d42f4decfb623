//! Carriers and tracking. A [`CarrierAdapter`] fetches a parcel's events from its carrier; the
//! built-in [`Simulated`] carrier produces a parcel's journey over time so that tracking runs
//! on one machine. Carriers may also push events to the webhook, signed with HMAC-SHA256.
//! Both paths end in [`record_tracking`]: events are stored once, a delivered parcel is marked,
//! and when every parcel of an order has arrived the order moves to delivered by itself.

use super::{CarrierEvent, OrderPolicy, TrackingUpdate, ORDERS, PACKED, PICKING, SHIPPED};
use crate::domain::{now_millis, AppError, AppResult};
use crate::engine::run::{self, audit};
use crate::server::Db;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;

pub trait CarrierAdapter: Send + Sync {
    /// The events of the parcel `tracking_number`, shipped at `shipped_at`, known at `now`.
    fn events<'a>(&'a self, tracking_number: &'a str, shipped_at: i64, now: i64) -> Pin<Box<dyn Future<Output = AppResult<Vec<CarrierEvent>>> + Send + 'a>>;
}

/// A parcel's journey in five stages, one every `step_ms` after shipping.
pub struct Simulated {
    pub step_ms: i64,
}

const JOURNEY: &[(&str, &str, &str)] = &[
    ("accepted", "Picked up by the courier", "Origin warehouse"),
    ("in_transit", "Left the origin sorting centre", "Origin sorting centre"),
    ("in_transit", "Arrived at the destination city", "Destination sorting centre"),
    ("out_for_delivery", "Out for delivery with the courier", "Destination city"),
    ("delivered", "Delivered and signed for by the recipient", "Recipient's address"),
];

impl CarrierAdapter for Simulated {
    fn events<'a>(&'a self, tracking_number: &'a str, shipped_at: i64, now: i64) -> Pin<Box<dyn Future<Output = AppResult<Vec<CarrierEvent>>> + Send + 'a>> {
        Box::pin(async move {
            Ok(JOURNEY
                .iter()
                .enumerate()
                .map(|(k, (status, description, location))| CarrierEvent {
                    id: format!("{tracking_number}-{k}"),
                    status: status.to_string(),
                    description: description.to_string(),
                    location: Some(location.to_string()),
                    at: shipped_at + (k as i64 + 1) * self.step_ms,
                })
                .filter(|e| e.at <= now)
                .collect())
        })
    }
}

/// Stores a carrier's events for one parcel (each once), marks the parcel delivered when the
/// carrier says so, and moves the order to delivered when all its parcels are. Returns how
/// many events were new.
pub async fn record_tracking(db: &Db, update: &TrackingUpdate) -> AppResult<usize> {
    for e in &update.events {
        e.validate()?;
    }
    let found: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, order_id FROM shipments WHERE carrier = $1 AND tracking_number = $2 AND shipped_at IS NOT NULL")
            .bind(&update.carrier)
            .bind(update.tracking_number.trim())
            .fetch_optional(db.pool())
            .await?;
    let (shipment, order) = found.ok_or(AppError::NotFound)?;
    let mut tx = db.begin().await?;
    let mut new = 0;
    for e in &update.events {
        let inserted = sqlx::query(
            "INSERT INTO tracking_events (shipment_id, carrier, external_id, status, description, location, occurred_at, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (carrier, external_id) DO NOTHING",
        )
        .bind(shipment)
        .bind(&update.carrier)
        .bind(&e.id)
        .bind(&e.status)
        .bind(&e.description)
        .bind(&e.location)
        .bind(e.at)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        new += inserted.rows_affected() as usize;
        if e.status == "delivered" {
            sqlx::query("UPDATE shipments SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL").bind(e.at).bind(shipment).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    if new > 0 {
        deliver_if_complete(db, order).await;
    }
    Ok(new)
}

/// A shipped order whose parcels have all arrived is delivered (a system step).
async fn deliver_if_complete(db: &Db, order: i64) {
    let pending: Result<(String, i64), sqlx::Error> = sqlx::query_as(
        "SELECT o.state, (SELECT COUNT(*) FROM shipments s WHERE s.order_id = o.id AND s.delivered_at IS NULL) FROM orders o WHERE o.id = $1",
    )
    .bind(order)
    .fetch_one(db.pool())
    .await;
    let Ok((state, undelivered)) = pending else { return };
    if state != SHIPPED.id || undelivered > 0 {
        return;
    }
    let step = async {
        let step = run::begin_system(db, &ORDERS, order, "deliver").await?;
        step.commit(json!({ "note": "reported by the carrier" })).await
    };
    match step.await {
        Ok(_) | Err(AppError::InvalidTransition { .. } | AppError::StaleVersion) => {}
        Err(e) => tracing::warn!(order, error = %e, "marking an order delivered failed"),
    }
}

/// Asks the carriers about every parcel on its way. Run periodically by every instance;
/// repeated events are ignored, so overlapping runs do no harm. Returns the new events.
pub async fn poll_carriers(db: &Db, adapter: &dyn CarrierAdapter) -> AppResult<usize> {
    let parcels: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT s.carrier, s.tracking_number, s.shipped_at FROM shipments s JOIN orders o ON o.id = s.order_id \
         WHERE o.state IN ($1, $2, $3) AND s.shipped_at IS NOT NULL AND s.delivered_at IS NULL ORDER BY s.id LIMIT 1000",
    )
    // A split order's first parcels travel while the others are still picked or packed.
    .bind(PICKING.id)
    .bind(PACKED.id)
    .bind(SHIPPED.id)
    .fetch_all(db.pool())
    .await?;
    let now = now_millis();
    let mut new = 0;
    for (carrier, tracking_number, shipped_at) in parcels {
        // One parcel the carrier cannot tell about must not stop the others' news.
        let recorded = async {
            let events = adapter.events(&tracking_number, shipped_at, now).await?;
            if events.is_empty() {
                return Ok(0);
            }
            record_tracking(db, &TrackingUpdate { carrier: carrier.clone(), tracking_number: tracking_number.clone(), events }).await
        };
        match recorded.await {
            Ok(n) => new += n,
            Err(e) => tracing::warn!(carrier, tracking_number, error = %e, "tracking a parcel failed"),
        }
    }
    Ok(new)
}

/// Carriers sign their webhook calls like every inbound webhook.
pub use crate::server::webhook::{signature, signature_matches};

/// A refused webhook call, kept in the audit log for whoever investigates it.
pub async fn log_refused(db: &Db, reason: &str, from: &str) {
    let logged = async {
        let mut tx = db.begin().await?;
        audit(&mut tx, "tracking_webhook", 0, "refused", None, None, None, &json!({ "reason": reason, "from": from })).await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    };
    if let Err(e) = logged.await {
        tracing::error!(error = %e, "could not log a refused webhook call");
    }
    tracing::warn!(reason, from, "tracking webhook call refused");
}

/// The simulated carrier at the configured pace, or none when the simulation is turned off.
pub fn simulated(policy: OrderPolicy) -> Option<Simulated> {
    (policy.carrier_step_seconds > 0).then(|| Simulated { step_ms: policy.carrier_step_seconds * 1000 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_in_full() {
        let body = br#"{"carrier":"sf"}"#;
        let sig = signature("s3cret", body);
        assert!(signature_matches("s3cret", body, &sig));
        assert!(!signature_matches("other", body, &sig));
        assert!(!signature_matches("s3cret", b"{}", &sig));
        assert!(!signature_matches("s3cret", body, sig.trim_start_matches("sha256=")));
        assert!(!signature_matches("s3cret", body, "sha256=zz"));
    }

    #[tokio::test]
    async fn the_simulated_journey_unfolds_over_time() {
        let carrier = Simulated { step_ms: 1000 };
        assert!(carrier.events("T1", 0, 999).await.unwrap().is_empty());
        let some = carrier.events("T1", 0, 2500).await.unwrap();
        assert_eq!(some.iter().map(|e| e.status.as_str()).collect::<Vec<_>>(), ["accepted", "in_transit"]);
        let all = carrier.events("T1", 0, 10_000).await.unwrap();
        assert_eq!(all.last().unwrap().status, "delivered");
        assert!(all.iter().all(|e| e.validate().is_err()), "time 0 is not a carrier's time");
        let real = carrier.events("T1", 1_764_000_000_000, 1_764_000_000_000 + 10_000).await.unwrap();
        assert!(real.iter().all(|e| e.validate().is_ok()));
    }
}
