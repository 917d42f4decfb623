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

/// The start (Monday 00:00 UTC) of the week holding `at`.
pub fn week_start(at: i64) -> i64 {
    const WEEK: i64 = 7 * 24 * 3_600_000;
    // 1970-01-01 was a Thursday: Mondays fall 4 days after each week boundary of the epoch.
    const MONDAY: i64 = 4 * 24 * 3_600_000;
    (at - MONDAY).div_euclid(WEEK) * WEEK + MONDAY
}

/// Averages (score ×100) and counts per week of `(answered_at, score)`, oldest week first.
pub fn weekly_scores(answers: &[(i64, i64)]) -> Vec<(i64, i64, i64)> {
    let mut weeks: std::collections::BTreeMap<i64, (i64, i64)> = Default::default();
    for (at, score) in answers {
        let w = weeks.entry(week_start(*at)).or_default();
        w.0 += score;
        w.1 += 1;
    }
    weeks.into_iter().map(|(week, (sum, n))| (week, sum * 100 / n, n)).collect()
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
        let scores = weekly_scores(&[(wed, 5), (mon, 4), (mon - 1, 1)]);
        assert_eq!(scores.len(), 2);
        assert_eq!(scores[1], (mon, 450, 2));
        assert_eq!(scores[0].1, 100);
    }
}
