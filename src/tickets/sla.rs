//! Service levels of tickets, counted in business hours: the targets per priority, the
//! service's business calendar (working days and hours in its time zone, holidays), and the
//! clocks of one ticket derived from its audit events — so changing the calendar recomputes
//! every clock. Pure: no I/O, tested directly.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// How far ahead (or back) the calendar looks before it gives up: ten years.
const HORIZON_DAYS: i64 = 3660;

/// Business hours allowed per priority: first response, next response, resolution.
pub fn targets(priority: &str) -> Targets {
    let (first, next, resolution) = match priority {
        "urgent" => (1, 2, 8),
        "high" => (2, 4, 24),
        "low" => (8, 16, 80),
        _ => (4, 8, 40),
    };
    Targets { first_ms: first * HOUR, next_ms: next * HOUR, resolution_ms: resolution * HOUR }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub first_ms: i64,
    pub next_ms: i64,
    pub resolution_ms: i64,
}

/// When the service desk works. Times are stored in UTC; the calendar's days and hours are
/// local to `tz_offset_minutes` (480 for China Standard Time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    pub tz_offset_minutes: i32,
    /// Minutes after local midnight.
    pub open_minute: u32,
    pub close_minute: u32,
    /// Monday first.
    pub workdays: [bool; 7],
    pub holidays: Vec<NaiveDate>,
}

impl Default for Calendar {
    /// Monday to Friday, 09:00–18:00 China Standard Time, no holidays.
    fn default() -> Self {
        Calendar { tz_offset_minutes: 480, open_minute: 9 * 60, close_minute: 18 * 60, workdays: [true, true, true, true, true, false, false], holidays: Vec::new() }
    }
}

impl Calendar {
    /// A calendar that is open some time.
    pub fn validate(&self) -> crate::domain::AppResult<()> {
        use crate::domain::AppError;
        if self.open_minute >= self.close_minute || self.close_minute > 24 * 60 {
            return Err(AppError::invalid("hours", "opening must come before closing, within the day"));
        }
        if !self.workdays.iter().any(|d| *d) {
            return Err(AppError::invalid("workdays", "choose at least one working day"));
        }
        if !(-14 * 60..=14 * 60).contains(&self.tz_offset_minutes) {
            return Err(AppError::invalid("tz_offset_minutes", "a time zone offset between -14:00 and +14:00"));
        }
        Ok(())
    }

    fn offset(&self) -> i64 {
        i64::from(self.tz_offset_minutes) * 60_000
    }

    fn local_date(&self, at: i64) -> NaiveDate {
        let days = (at + self.offset()).div_euclid(DAY);
        NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + Duration::days(days)
    }

    /// The working window of a local date, in UTC milliseconds, if it is a working day.
    fn window(&self, date: NaiveDate) -> Option<(i64, i64)> {
        let weekday = date.weekday().num_days_from_monday() as usize;
        if !self.workdays[weekday] || self.holidays.contains(&date) {
            return None;
        }
        let midnight = (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() * DAY - self.offset();
        Some((midnight + i64::from(self.open_minute) * 60_000, midnight + i64::from(self.close_minute) * 60_000))
    }

    /// Business time between two instants.
    pub fn business_ms(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let (first, last) = (self.local_date(from), self.local_date(to));
        let mut total = 0;
        let mut day = first;
        let mut n = 0;
        while day <= last && n < HORIZON_DAYS {
            if let Some((open, close)) = self.window(day) {
                total += (close.min(to) - open.max(from)).max(0);
            }
            day += Duration::days(1);
            n += 1;
        }
        total
    }

    /// The instant at which `ms` of business time have passed after `from`.
    pub fn add(&self, from: i64, ms: i64) -> i64 {
        let mut left = ms.max(0);
        let mut day = self.local_date(from);
        for _ in 0..HORIZON_DAYS {
            if let Some((open, close)) = self.window(day) {
                let start = open.max(from);
                if start < close {
                    if left <= close - start {
                        return start + left;
                    }
                    left -= close - start;
                }
            }
            day += Duration::days(1);
        }
        i64::MAX / 2
    }
}

/// One service-level clock of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Clock {
    /// Answered (or resolved) within the target, using this much business time.
    Met { used_ms: i64 },
    /// Answered (or resolved) after the target.
    Breached { used_ms: i64 },
    /// Still running: due at this instant (in the past when late).
    Running { due_at: i64 },
    /// Stopped while the ticket waits on the customer.
    Paused { used_ms: i64 },
    /// Does not apply (nothing to answer, or the ticket closed unanswered by merging).
    None,
}

impl Clock {
    pub fn due_at(&self) -> Option<i64> {
        match self {
            Clock::Running { due_at } => Some(*due_at),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSla {
    pub first_response: Clock,
    pub next_response: Clock,
    pub resolution: Clock,
}

impl TicketSla {
    /// The running clock due first: what the queue counts down.
    pub fn next_due(&self) -> Option<i64> {
        [self.first_response, self.next_response, self.resolution].iter().filter_map(Clock::due_at).min()
    }

    /// Whether any clock ran past its target.
    pub fn breached(&self, now: i64) -> bool {
        [self.first_response, self.next_response, self.resolution]
            .iter()
            .any(|c| matches!(c, Clock::Breached { .. }) || c.due_at().is_some_and(|d| d < now))
    }
}

/// Steps in which staff answer the customer.
const ANSWERS: &[&str] = &["reply", "ask", "resolve"];
/// Steps in which the customer speaks.
const CUSTOMER: &[&str] = &["customer_reply", "customer_answer", "reopen"];

/// The clocks of a ticket of `priority` from its audit events `(at, action)`, oldest first.
pub fn clocks(events: &[(i64, String)], priority: &str, cal: &Calendar, now: i64) -> TicketSla {
    let t = targets(priority);
    let Some(opened) = events.iter().find(|e| e.1 == "open").map(|e| e.0) else {
        return TicketSla { first_response: Clock::None, next_response: Clock::None, resolution: Clock::None };
    };
    let mut first_answer = None;
    let mut awaiting: Option<i64> = None;
    let mut next_worst: Option<(i64, bool)> = None;
    // Waiting on the customer, and resolved, stop the resolution clock.
    let mut paused_since: Option<i64> = None;
    let mut paused_ms = 0;
    let mut done_at: Option<i64> = None;
    let mut closed = false;
    for (at, action) in events {
        let (at, action) = (*at, action.as_str());
        if ANSWERS.contains(&action) {
            first_answer.get_or_insert(at);
            if let Some(since) = awaiting.take() {
                let used = cal.business_ms(since, at);
                let breached = used > t.next_ms;
                if next_worst.is_none_or(|w| used > w.0) {
                    next_worst = Some((used, breached));
                }
            }
        }
        if CUSTOMER.contains(&action) && first_answer.is_some() {
            awaiting.get_or_insert(at);
        }
        match action {
            "ask" | "resolve" => {
                if paused_since.is_none() {
                    paused_since = Some(at);
                }
                if action == "resolve" {
                    done_at = Some(at);
                }
            }
            "customer_answer" | "reopen" => {
                if let Some(p) = paused_since.take() {
                    paused_ms += cal.business_ms(p, at);
                }
                done_at = None;
            }
            "close" | "merge" => closed = true,
            _ => {}
        }
    }
    let first_response = match first_answer {
        Some(at) => {
            let used = cal.business_ms(opened, at);
            if used <= t.first_ms { Clock::Met { used_ms: used } } else { Clock::Breached { used_ms: used } }
        }
        None if closed => Clock::None,
        None => Clock::Running { due_at: cal.add(opened, t.first_ms) },
    };
    let next_response = match (awaiting, next_worst) {
        (Some(since), _) if !closed => Clock::Running { due_at: cal.add(since, t.next_ms) },
        (_, Some((used, false))) => Clock::Met { used_ms: used },
        (_, Some((used, true))) => Clock::Breached { used_ms: used },
        _ => Clock::None,
    };
    let end = done_at.or(paused_since).unwrap_or(now);
    let used = cal.business_ms(opened, end) - paused_ms;
    let resolution = if done_at.is_some() {
        if used <= t.resolution_ms { Clock::Met { used_ms: used } } else { Clock::Breached { used_ms: used } }
    } else if closed {
        Clock::None
    } else if paused_since.is_some() {
        Clock::Paused { used_ms: used }
    } else {
        Clock::Running { due_at: cal.add(now, t.resolution_ms - used) }
    };
    TicketSla { first_response, next_response, resolution }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Milliseconds of a UTC time "2026-11-23T01:00:00Z" (a Monday; 09:00 in China).
    fn at(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn ev(list: &[(&str, &str)]) -> Vec<(i64, String)> {
        list.iter().map(|(t, a)| (at(t), a.to_string())).collect()
    }

    #[test]
    fn business_time_skips_nights_weekends_and_holidays() {
        let cal = Calendar::default();
        // Friday 17:00 → Monday 10:00 China time: 1 h on Friday, 1 h on Monday.
        assert_eq!(cal.business_ms(at("2026-11-27T09:00:00Z"), at("2026-11-30T02:00:00Z")), 2 * HOUR);
        // Adding 2 h on Friday 17:00 lands on Monday 10:00.
        assert_eq!(cal.add(at("2026-11-27T09:00:00Z"), 2 * HOUR), at("2026-11-30T02:00:00Z"));
        // Before opening, the clock starts at 09:00.
        assert_eq!(cal.add(at("2026-11-23T00:00:00Z"), HOUR), at("2026-11-23T02:00:00Z"));
        let holiday = Calendar { holidays: vec![NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()], ..Calendar::default() };
        assert_eq!(holiday.add(at("2026-11-27T09:00:00Z"), 2 * HOUR), at("2026-12-01T02:00:00Z"));
        assert_eq!(holiday.business_ms(at("2026-11-30T00:00:00Z"), at("2026-11-30T12:00:00Z")), 0);
    }

    #[test]
    fn calendars_must_be_open_some_time() {
        assert!(Calendar::default().validate().is_ok());
        assert!(Calendar { workdays: [false; 7], ..Calendar::default() }.validate().is_err());
        assert!(Calendar { open_minute: 600, close_minute: 540, ..Calendar::default() }.validate().is_err());
    }

    #[test]
    fn the_first_response_is_met_or_running() {
        let cal = Calendar::default();
        let opened = ev(&[("2026-11-23T01:00:00Z", "open")]);
        let s = clocks(&opened, "urgent", &cal, at("2026-11-23T01:30:00Z"));
        assert_eq!(s.first_response, Clock::Running { due_at: at("2026-11-23T02:00:00Z") });
        assert_eq!(s.next_due(), Some(at("2026-11-23T02:00:00Z")));
        let answered = ev(&[("2026-11-23T01:00:00Z", "open"), ("2026-11-23T01:40:00Z", "reply")]);
        let s = clocks(&answered, "urgent", &cal, at("2026-11-23T03:00:00Z"));
        assert_eq!(s.first_response, Clock::Met { used_ms: 40 * 60_000 });
        assert!(!s.breached(at("2026-11-23T03:00:00Z")));
        let late = ev(&[("2026-11-23T01:00:00Z", "open"), ("2026-11-23T03:00:00Z", "reply")]);
        assert_eq!(clocks(&late, "urgent", &cal, at("2026-11-23T04:00:00Z")).first_response, Clock::Breached { used_ms: 2 * HOUR });
    }

    #[test]
    fn waiting_on_the_customer_stops_the_resolution_clock() {
        let cal = Calendar::default();
        // Urgent: 8 business hours to resolve. 1 h worked, then 3 h waiting, then back.
        let events = ev(&[
            ("2026-11-23T01:00:00Z", "open"),
            ("2026-11-23T01:30:00Z", "reply"),
            ("2026-11-23T02:00:00Z", "ask"),
            ("2026-11-23T05:00:00Z", "customer_answer"),
        ]);
        let s = clocks(&events, "urgent", &cal, at("2026-11-23T05:00:00Z"));
        // Used 1 h before asking; 7 h left from 13:00 China time: 5 h today, 2 h on Tuesday.
        assert_eq!(s.resolution, Clock::Running { due_at: at("2026-11-24T03:00:00Z") });
        // The customer's answer starts the next-response clock (2 h for urgent).
        assert_eq!(s.next_response, Clock::Running { due_at: at("2026-11-23T07:00:00Z") });
        let waiting = clocks(&events[..3], "urgent", &cal, at("2026-11-23T04:00:00Z"));
        assert_eq!(waiting.resolution, Clock::Paused { used_ms: HOUR });
        assert_eq!(waiting.next_due(), None);
    }

    #[test]
    fn resolution_and_reopening() {
        let cal = Calendar::default();
        let mut events = ev(&[("2026-11-23T01:00:00Z", "open"), ("2026-11-23T01:10:00Z", "reply"), ("2026-11-23T03:00:00Z", "resolve")]);
        let s = clocks(&events, "normal", &cal, at("2026-11-25T03:00:00Z"));
        assert_eq!(s.resolution, Clock::Met { used_ms: 2 * HOUR });
        assert_eq!(s.next_due(), None);
        // Reopened on Wednesday: the resolved days do not count; the customer awaits an answer.
        events.extend(ev(&[("2026-11-25T01:00:00Z", "reopen")]));
        let s = clocks(&events, "normal", &cal, at("2026-11-25T02:00:00Z"));
        assert_eq!(s.resolution, Clock::Running { due_at: cal.add(at("2026-11-25T02:00:00Z"), 40 * HOUR - 3 * HOUR) });
        assert_eq!(s.next_response, Clock::Running { due_at: at("2026-11-25T09:00:00Z") });
        // Closed: nothing runs.
        events.extend(ev(&[("2026-11-25T02:00:00Z", "reply"), ("2026-11-25T02:30:00Z", "resolve"), ("2026-12-05T00:00:00Z", "close")]));
        let s = clocks(&events, "normal", &cal, at("2026-12-06T00:00:00Z"));
        assert_eq!(s.next_due(), None);
        assert_eq!(s.next_response, Clock::Met { used_ms: HOUR });
    }
}
