//! Turning the API's answers into a verdict, and deciding when and how long to wait before
//! asking again.
//!
//! Everything here is pure (the clock and the random source are passed in), so the rules are
//! unit-tested without a network.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What one HTTP status from `GET /api-keys` means for the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Accepted (200), or accepted but out of credits (402).
    Live,
    /// Rejected (401).
    Invalid,
    /// Forbidden (403): ask `GET /users/me` to tell a valid key without permission to list
    /// keys from a rejected one.
    AskUser,
    /// Rate limited (429) or a server error (5xx): try again later.
    Retry,
    /// Anything else: no verdict, with the reason.
    Unknown(String),
}

/// Classifies a status from `GET /api-keys`.
pub fn classify_keys(status: u16) -> Class {
    match status {
        200 | 402 => Class::Live,
        401 => Class::Invalid,
        403 => Class::AskUser,
        _ => classify_other(status),
    }
}

/// Classifies a status from the follow-up `GET /users/me`: there a 403 means rejected too.
pub fn classify_user(status: u16) -> Class {
    match status {
        200 | 402 => Class::Live,
        401 | 403 => Class::Invalid,
        _ => classify_other(status),
    }
}

fn classify_other(status: u16) -> Class {
    match status {
        429 | 500..=599 => Class::Retry,
        300..=399 => Class::Unknown(format!("redirect (HTTP {status}) not followed")),
        _ => Class::Unknown(format!("unexpected answer HTTP {status}")),
    }
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (IMF-fixdate, as senders
/// must write it) measured from `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an HTTP date in any of the three forms recipients must accept: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`).
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    let (day, month, year, time) = match fields.as_slice() {
        [weekday, day, month, year, time, "GMT"] if weekday.ends_with(',') => (
            parse_digits(day, 2)?,
            *month,
            i64::from(parse_digits(year, 4)?),
            *time,
        ),
        [weekday, date, time, "GMT"] if weekday.ends_with(',') => {
            let parts: Vec<&str> = date.split('-').collect();
            let [day, month, year] = parts.as_slice() else {
                return None;
            };
            // Two-digit years: RFC 9110 reads a year over 50 years ahead as the last century.
            let year = i64::from(parse_digits(year, 2)?);
            let year = if year < 70 { 2000 + year } else { 1900 + year };
            (parse_digits(day, 2)?, *month, year, *time)
        }
        [_weekday, month, day, time, year] => {
            let day = parse_digits(day, 1).or_else(|| parse_digits(day, 2))?;
            (day, *month, i64::from(parse_digits(year, 4)?), *time)
        }
        _ => return None,
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|name| *name == month)? as u32 + 1;
    let clock: Vec<&str> = time.split(':').collect();
    let [hour, minute, second] = clock.as_slice() else {
        return None;
    };
    let (hour, minute, second) = (
        parse_digits(hour, 2)?,
        parse_digits(minute, 2)?,
        parse_digits(second, 2)?,
    );
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    let seconds = u64::try_from(seconds).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

fn parse_digits(text: &str, width: usize) -> Option<u32> {
    if text.len() != width || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// How often and how long to retry a request that met a rate limit, a server error or a
/// network failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff; each retry doubles it.
    pub base: Duration,
    /// The longest wait: backoff never exceeds it, and a `Retry-After` beyond it ends the
    /// retries.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

/// Whether to wait and try again, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    /// Wait this long, then retry.
    For(Duration),
    /// Stop: no attempts left, or the server asked for a wait beyond the cap.
    GiveUp(Option<String>),
}

impl RetryPolicy {
    /// The wait before retry number `retry` (from 0), given the server's `Retry-After` if any
    /// and a random number for jitter. Without `Retry-After`, the wait is exponential backoff
    /// with "equal jitter": half the backoff plus a random share of the other half.
    pub fn wait(&self, retry: u32, retry_after: Option<Duration>, random: u64) -> Wait {
        if retry + 1 >= self.attempts {
            return Wait::GiveUp(None);
        }
        if let Some(requested) = retry_after {
            if requested > self.cap {
                return Wait::GiveUp(Some(format!(
                    "the API asked to retry after {} s, beyond the {} s limit",
                    requested.as_secs(),
                    self.cap.as_secs()
                )));
            }
            return Wait::For(requested);
        }
        let backoff = self
            .base
            .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
            .min(self.cap);
        let half = backoff / 2;
        let spread = half.as_nanos().max(1) as u64;
        Wait::For(half + Duration::from_nanos(random % spread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_documented_verdicts() {
        assert_eq!(classify_keys(200), Class::Live);
        assert_eq!(classify_keys(402), Class::Live);
        assert_eq!(classify_keys(401), Class::Invalid);
        assert_eq!(classify_keys(403), Class::AskUser);
        assert_eq!(classify_keys(429), Class::Retry);
        assert_eq!(classify_keys(503), Class::Retry);
        assert_eq!(classify_user(200), Class::Live);
        assert_eq!(classify_user(401), Class::Invalid);
        assert_eq!(classify_user(403), Class::Invalid);
        assert_eq!(
            classify_keys(404),
            Class::Unknown("unexpected answer HTTP 404".into())
        );
        assert!(matches!(classify_keys(302), Class::Unknown(reason) if reason.contains("302")));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("Sun, 32 Nov 1994 08:49:37 GMT", now),
            None
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", now),
            None
        );
    }

    #[test]
    fn http_dates_convert_to_the_right_instant() {
        let date = parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT").unwrap();
        assert_eq!(date, UNIX_EPOCH);
        let date = parse_http_date("Tue, 29 Feb 2028 12:00:01 GMT").unwrap();
        let seconds = date.duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(seconds, 1_835_438_401);
        let fixdate = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(fixdate.is_some());
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), fixdate);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), fixdate);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49"), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stops_after_the_attempts() {
        let policy = RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(300),
        };
        assert_eq!(
            policy.wait(0, None, 0),
            Wait::For(Duration::from_millis(50))
        );
        assert_eq!(
            policy.wait(1, None, u64::MAX),
            Wait::For(Duration::from_millis(100) + Duration::from_nanos(u64::MAX % 100_000_000))
        );
        // The third retry would be 400 ms, capped at 300.
        let Wait::For(third) = policy.wait(2, None, 7) else {
            panic!("the third retry was refused");
        };
        assert!(third >= Duration::from_millis(150) && third < Duration::from_millis(300));
        assert_eq!(policy.wait(3, None, 0), Wait::GiveUp(None));
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.wait(0, Some(Duration::from_secs(2)), 99),
            Wait::For(Duration::from_secs(2))
        );
        assert!(matches!(
            policy.wait(0, Some(Duration::from_secs(3600)), 0),
            Wait::GiveUp(Some(reason)) if reason.contains("3600 s")
        ));
    }
}
