//! Registry client, retries: `429 Too Many Requests` and `5xx` are retried a bounded number of
//! times, waiting as long as `Retry-After` asks (seconds or an HTTP date, capped) or else
//! with exponential backoff.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Requests in all, the first included.
    pub attempts: u32,
    /// The first backoff; it doubles with each retry.
    pub base: Duration,
    /// The longest wait, whatever `Retry-After` says.
    pub cap: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 4,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

impl Retry {
    /// Whether a response with `status` is worth asking again.
    pub fn is_retryable(status: u16) -> bool {
        status == 429 || (500..600).contains(&status)
    }

    /// How long to wait after the `failures`-th failed attempt (1-based).
    pub fn delay(&self, failures: u32, retry_after: Option<&str>, now: SystemTime) -> Duration {
        let asked = retry_after.and_then(|value| parse_retry_after(value, now));
        let backoff = || {
            let factor = 1u32 << failures.saturating_sub(1).min(16);
            self.base.saturating_mul(factor)
        };
        asked.unwrap_or_else(backoff).min(self.cap)
    }
}

/// `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// RFC 9110's IMF-fixdate, the form servers send: `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let mut parts = value.split_whitespace();
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT" || day == 0 || day > 31 || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day as i64);
    let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_retried() {
        assert!(Retry::is_retryable(429));
        assert!(Retry::is_retryable(503));
        assert!(!Retry::is_retryable(404));
        assert!(!Retry::is_retryable(401));
    }

    #[test]
    fn delays_honour_retry_after_and_are_capped() {
        let retry = Retry::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_460); // 2015-10-21 07:27:40 GMT
        assert_eq!(retry.delay(1, None, now), Duration::from_millis(500));
        assert_eq!(retry.delay(3, None, now), Duration::from_secs(2));
        assert_eq!(retry.delay(40, None, now), Duration::from_secs(30));
        assert_eq!(retry.delay(1, Some("7"), now), Duration::from_secs(7));
        assert_eq!(retry.delay(1, Some("3600"), now), Duration::from_secs(30));
        assert_eq!(
            retry.delay(1, Some("Wed, 21 Oct 2015 07:28:00 GMT"), now),
            Duration::from_secs(20)
        );
        // A date in the past means now; nonsense falls back to the backoff.
        assert_eq!(
            retry.delay(1, Some("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Duration::ZERO
        );
        assert_eq!(retry.delay(2, Some("soon"), now), Duration::from_secs(1));
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("Sunday"), None);
    }
}
