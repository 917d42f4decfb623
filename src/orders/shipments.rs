//! The logistics coordinator's shipments board: every parcel between packing and a week
//! after delivery, in lanes that say what it needs — to be handed to a carrier, on its way,
//! stalled (no news from the carrier for a day), in trouble (an open shipping exception), or
//! delivered. Where a parcel stands is derived from what is recorded (the order's state, the
//! parcel's times, its last tracking event, its exceptions), never stored twice.

use serde::{Deserialize, Serialize};

/// A parcel on its way with no tracking news for this long is stalled: the coordinator asks
/// the carrier before the customer has to.
pub const STALL_MS: i64 = 24 * 3_600_000;
/// Delivered parcels stay on the board this long.
pub const DELIVERED_SHOWN_MS: i64 = 7 * 24 * 3_600_000;
/// The most parcels one view of the board lists (the lane counts are always complete).
pub const BOARD_ROWS: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lane {
    ToShip,
    InTransit,
    Stalled,
    Exception,
    Delivered,
}

impl Lane {
    pub const ALL: [Lane; 5] = [Lane::ToShip, Lane::InTransit, Lane::Stalled, Lane::Exception, Lane::Delivered];

    pub fn key(self) -> &'static str {
        match self {
            Lane::ToShip => "to_ship",
            Lane::InTransit => "in_transit",
            Lane::Stalled => "stalled",
            Lane::Exception => "exception",
            Lane::Delivered => "delivered",
        }
    }

    pub fn from_key(key: &str) -> Option<Lane> {
        Lane::ALL.into_iter().find(|l| l.key() == key)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Lane::ToShip => "shipment.lane.to_ship",
            Lane::InTransit => "shipment.lane.in_transit",
            Lane::Stalled => "shipment.lane.stalled",
            Lane::Exception => "shipment.lane.exception",
            Lane::Delivered => "shipment.lane.delivered",
        }
    }
}

/// What the board knows of a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParcelFacts {
    /// When the parcel was packed (a split order's parcels each on their own).
    pub packed_at: Option<i64>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub last_event_at: Option<i64>,
    pub open_exceptions: i64,
}

/// The parcel's lane now, and since when it has been there; `None` once it has left the
/// board (delivered more than a week ago, or not packed yet).
pub fn lane_of(p: ParcelFacts, now: i64) -> Option<(Lane, Option<i64>)> {
    if p.open_exceptions > 0 {
        return Some((Lane::Exception, None));
    }
    match (p.shipped_at, p.delivered_at) {
        (_, Some(d)) => (now - d <= DELIVERED_SHOWN_MS).then_some((Lane::Delivered, Some(d))),
        (Some(s), None) => {
            let news = p.last_event_at.unwrap_or(s).max(s);
            if now - news > STALL_MS {
                Some((Lane::Stalled, Some(news)))
            } else {
                Some((Lane::InTransit, Some(s)))
            }
        }
        (None, None) => p.packed_at.map(|at| (Lane::ToShip, Some(at))),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardParcel {
    pub shipment_id: i64,
    pub order_id: i64,
    pub customer: String,
    pub warehouse: String,
    pub carrier: Option<crate::logistics::Name>,
    pub tracking_number: Option<String>,
    pub lane: Lane,
    /// When it entered its lane (shipped, last news, delivered), where that is known.
    pub since: Option<i64>,
    /// The carrier's last word: (status, description, location, when).
    pub last_event: Option<(String, String, Option<String>, i64)>,
    pub open_exceptions: i64,
}

/// Which parcels to list: one lane (empty: all lanes), one carrier (empty: every carrier).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardFilter {
    #[serde(default)]
    pub lane: String,
    #[serde(default)]
    pub carrier: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentBoard {
    pub now: i64,
    /// Parcels per lane (for every carrier in the filter), in [`Lane::ALL`] order.
    pub counts: Vec<(Lane, i64)>,
    /// The listed parcels, the ones waiting longest first within each lane.
    pub parcels: Vec<BoardParcel>,
    /// More parcels matched than [`BOARD_ROWS`].
    pub truncated: bool,
    /// Every carrier, for the filter: (code, name).
    pub carriers: Vec<(String, crate::logistics::Name)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn facts() -> ParcelFacts {
        ParcelFacts { packed_at: Some(H), shipped_at: None, delivered_at: None, last_event_at: None, open_exceptions: 0 }
    }

    #[test]
    fn a_packed_parcel_waits_to_ship_and_an_unpacked_one_is_not_on_the_board() {
        assert_eq!(lane_of(facts(), 100 * H), Some((Lane::ToShip, Some(H))));
        assert_eq!(lane_of(ParcelFacts { packed_at: None, ..facts() }, 100 * H), None);
    }

    #[test]
    fn a_parcel_without_news_for_a_day_is_stalled() {
        let shipped = ParcelFacts { shipped_at: Some(10 * H), ..facts() };
        assert_eq!(lane_of(shipped, 30 * H), Some((Lane::InTransit, Some(10 * H))));
        assert_eq!(lane_of(shipped, 10 * H + STALL_MS + 1), Some((Lane::Stalled, Some(10 * H))));
        // News from the carrier restarts the day.
        let heard = ParcelFacts { last_event_at: Some(40 * H), ..shipped };
        assert_eq!(lane_of(heard, 50 * H), Some((Lane::InTransit, Some(10 * H))));
        assert_eq!(lane_of(heard, 40 * H + STALL_MS + 1), Some((Lane::Stalled, Some(40 * H))));
        // An event stamped before the hand-over (a carrier's clock) does not make it older.
        let early = ParcelFacts { last_event_at: Some(9 * H), ..shipped };
        assert_eq!(lane_of(early, 30 * H), Some((Lane::InTransit, Some(10 * H))));
    }

    #[test]
    fn an_open_exception_wins_and_delivered_parcels_leave_after_a_week() {
        let troubled = ParcelFacts { shipped_at: Some(H), open_exceptions: 1, ..facts() };
        assert_eq!(lane_of(troubled, 100 * H), Some((Lane::Exception, None)));
        let delivered = ParcelFacts { shipped_at: Some(H), delivered_at: Some(20 * H), ..facts() };
        assert_eq!(lane_of(delivered, 21 * H), Some((Lane::Delivered, Some(20 * H))));
        assert_eq!(lane_of(delivered, 20 * H + DELIVERED_SHOWN_MS + 1), None);
    }

    #[test]
    fn lanes_round_trip_through_their_keys() {
        for l in Lane::ALL {
            assert_eq!(Lane::from_key(l.key()), Some(l));
        }
        assert_eq!(Lane::from_key("nowhere"), None);
    }
}
