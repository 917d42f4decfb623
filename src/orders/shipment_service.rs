//! The shipments board on the server: one query for the parcels that can be on it, their lane
//! decided by [`lane_of`], counted per lane and listed for the lane asked for.

use super::shipments::{lane_of, BoardFilter, BoardParcel, Lane, ParcelFacts, ShipmentBoard, BOARD_ROWS, DELIVERED_SHOWN_MS};
use crate::domain::{now_millis, AppError, AppResult};
use crate::server::Db;

type Row = (i64, i64, String, String, Option<String>, Option<String>, Option<i64>, Option<i64>, Option<i64>, Option<String>, Option<String>, Option<String>, Option<i64>, i64);

/// Packed parcels not handed over yet, those on their way, those delivered within
/// the week, and any with an open exception; each with its carrier's last event.
const SELECT: &str = "SELECT s.id, s.order_id, u.display_name, w.name, s.carrier, s.tracking_number, s.packed_at, s.shipped_at, s.delivered_at, \
            t.status, t.description, t.location, t.occurred_at, \
            (SELECT COUNT(*) FROM shipping_exceptions e WHERE e.shipment_id = s.id AND e.state <> 'resolved') \
     FROM shipments s JOIN orders o ON o.id = s.order_id JOIN users u ON u.id = o.customer_id JOIN warehouses w ON w.id = s.warehouse_id \
     LEFT JOIN tracking_events t ON t.id = (SELECT t2.id FROM tracking_events t2 WHERE t2.shipment_id = s.id ORDER BY t2.occurred_at DESC, t2.id DESC LIMIT 1) \
     WHERE (s.shipped_at IS NULL AND s.packed_at IS NOT NULL AND o.state IN ('picking', 'packed')) \
        OR (s.shipped_at IS NOT NULL AND (s.delivered_at IS NULL OR s.delivered_at > $1)) \
        OR EXISTS (SELECT 1 FROM shipping_exceptions e WHERE e.shipment_id = s.id AND e.state <> 'resolved')";

pub async fn board(db: &Db, filter: &BoardFilter) -> AppResult<ShipmentBoard> {
    let lane = match filter.lane.trim() {
        "" => None,
        key => Some(Lane::from_key(key).ok_or_else(|| AppError::invalid("lane", "choose one of the options"))?),
    };
    let carrier = filter.carrier.trim();
    let mut names = crate::logistics::service::carrier_names(&mut *db.pool().acquire().await?).await?;
    if !carrier.is_empty() && !names.contains_key(carrier) {
        return Err(AppError::invalid("carrier", "choose one of the options"));
    }
    let now = now_millis();
    let rows: Vec<Row> = sqlx::query_as(SELECT).bind(now - DELIVERED_SHOWN_MS).fetch_all(db.pool()).await?;
    let mut counts: Vec<(Lane, i64)> = Lane::ALL.iter().map(|l| (*l, 0)).collect();
    let mut parcels = Vec::new();
    for r in rows {
        // Parcels not handed over have no carrier yet: a carrier's view leaves them out.
        if !carrier.is_empty() && r.4.as_deref() != Some(carrier) {
            continue;
        }
        let facts = ParcelFacts { packed_at: r.6, shipped_at: r.7, delivered_at: r.8, last_event_at: r.12, open_exceptions: r.13 };
        let Some((l, since)) = lane_of(facts, now) else { continue };
        if let Some(c) = counts.iter_mut().find(|c| c.0 == l) {
            c.1 += 1;
        }
        if lane.is_some_and(|want| want != l) {
            continue;
        }
        let last_event = match (r.9, r.10, r.12) {
            (Some(status), Some(description), Some(at)) => Some((status, description, r.11, at)),
            _ => None,
        };
        parcels.push(BoardParcel {
            shipment_id: r.0,
            order_id: r.1,
            customer: r.2,
            warehouse: r.3,
            carrier: r.4.map(|c| names.get(&c).cloned().unwrap_or_else(|| crate::logistics::Name::code(&c))),
            tracking_number: r.5,
            lane: l,
            since,
            last_event,
            open_exceptions: r.13,
        });
    }
    // Lane by lane in the board's order; within a lane, the longest waiting first.
    parcels.sort_by_key(|p| (Lane::ALL.iter().position(|l| *l == p.lane), p.since.unwrap_or(i64::MIN), p.shipment_id));
    let truncated = parcels.len() as i64 > BOARD_ROWS;
    parcels.truncate(BOARD_ROWS as usize);
    let mut carriers: Vec<_> = names.drain().collect();
    carriers.sort_by(|a, b| a.1.en.cmp(&b.1.en));
    Ok(ShipmentBoard { now, counts, parcels, truncated, carriers })
}
