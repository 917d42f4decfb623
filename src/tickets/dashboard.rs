//! The customer-service dashboard's figures and the arithmetic behind them. The server
//! gathers the raw numbers (`service::dashboard`); what they mean is computed here, free of
//! I/O, so it is tested directly.

use serde::{Deserialize, Serialize};

/// Age buckets of the open backlog: under an hour, under a day, under three days, older.
pub const AGE_BUCKETS_MS: [i64; 3] = [3_600_000, 24 * 3_600_000, 3 * 24 * 3_600_000];

/// Which bucket an open ticket of this age falls in.
pub fn age_bucket(age_ms: i64) -> usize {
    AGE_BUCKETS_MS.iter().position(|limit| age_ms < *limit).unwrap_or(AGE_BUCKETS_MS.len())
}

/// The nearest-rank percentile `p` (0–100) of `values`, which must be sorted.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p.min(100)) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    Some(sorted[rank - 1])
}

/// Median and 90th percentile of a duration, in minutes, over `count` tickets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub count: usize,
    pub p50_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

impl Spread {
    /// From counts of durations in whole minutes, `(minutes, count)` in any order: what the
    /// database sends instead of every row.
    pub fn of_minute_counts(mut counts: Vec<(i64, i64)>) -> Spread {
        counts.sort_unstable();
        let total: i64 = counts.iter().map(|c| c.1).sum();
        let at_rank = |p: i64| {
            if total == 0 {
                return None;
            }
            let rank = (p * total + 99) / 100;
            let rank = rank.max(1);
            let mut seen = 0;
            counts.iter().find(|c| {
                seen += c.1;
                seen >= rank
            }).map(|c| c.0)
        };
        Spread { count: total as usize, p50_minutes: at_rank(50), p90_minutes: at_rank(90) }
    }

    pub fn of(mut durations_ms: Vec<i64>) -> Spread {
        durations_ms.sort_unstable();
        let minutes = |v: Option<i64>| v.map(|ms| ms / 60_000);
        Spread { count: durations_ms.len(), p50_minutes: minutes(percentile(&durations_ms, 50)), p90_minutes: minutes(percentile(&durations_ms, 90)) }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceDashboard {
    /// Open tickets per state, per age bucket.
    pub backlog: Vec<(String, [i64; 4])>,
    /// The period the time and satisfaction figures cover, in days.
    pub period_days: i64,
    /// First responses within the one-hour target, of all first responses.
    pub first_response_on_time: (i64, i64),
    pub first_response: Spread,
    pub resolution: Spread,
    /// Per week (its Monday, ms): the average score ×100 and the number of answers.
    pub satisfaction: Vec<(i64, i64, i64)>,
    /// Root cause, tickets, and the department whose process it points at.
    pub root_causes: Vec<(String, i64, Option<String>)>,
    /// The products most complained about: (title, complaints).
    pub products: Vec<(String, i64)>,
}

/// Weeks start on Monday 00:00 UTC; the database groups survey answers by
/// `(at - FIRST_MONDAY_MS) / WEEK_MS`.
pub const WEEK_MS: i64 = 7 * 24 * 3_600_000;
/// 1970-01-05, the first Monday after the epoch (a Thursday).
pub const FIRST_MONDAY_MS: i64 = 4 * 24 * 3_600_000;

/// The start (Monday 00:00 UTC) of the week holding `at`, as the database groups it.
pub fn week_start(at: i64) -> i64 {
    (at - FIRST_MONDAY_MS).div_euclid(WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&v, 100), Some(10));
        assert_eq!(percentile(&v, 0), Some(1));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn spreads_are_in_minutes() {
        let s = Spread::of(vec![120 * 60_000, 30 * 60_000, 60 * 60_000]);
        assert_eq!((s.count, s.p50_minutes, s.p90_minutes), (3, Some(60), Some(120)));
    }

    #[test]
    fn counted_minutes_give_the_same_spread_as_the_rows() {
        let rows = vec![120 * 60_000, 30 * 60_000, 60 * 60_000, 60 * 60_000 + 59_000, 5_000];
        let counts = vec![(120, 1), (30, 1), (60, 2), (0, 1)];
        assert_eq!(Spread::of_minute_counts(counts), Spread::of(rows));
        assert_eq!(Spread::of_minute_counts(Vec::new()), Spread::of(Vec::new()));
    }

    #[test]
    fn ages_fall_in_buckets() {
        assert_eq!(age_bucket(0), 0);
        assert_eq!(age_bucket(3_600_000), 1);
        assert_eq!(age_bucket(25 * 3_600_000), 2);
        assert_eq!(age_bucket(30 * 24 * 3_600_000), 3);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-25 (a Wednesday) 10:00 UTC → Monday 2026-11-23 00:00 UTC.
        let wed = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z").unwrap().timestamp_millis();
        let mon = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z").unwrap().timestamp_millis();
        assert_eq!(week_start(wed), mon);
        assert_eq!(week_start(mon), mon);
        assert_eq!(week_start(mon - 1), mon - WEEK_MS);
    }
}
