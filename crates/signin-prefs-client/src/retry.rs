//! When to retry, how long to wait, and the record of what happened.
//!
//! 429, 503 and 504 are retried after the service's `Retry-After` (integer seconds, fractional
//! seconds or an HTTP-date; Azure's `retry-after-ms` and `x-ms-retry-after-ms` too), capped; without
//! one, and after connection failures and slow responses, after an exponential backoff with jitter.
//! Attempts are bounded, and the client's overall deadline wins over both.

use std::fmt;
use std::time::{Duration, SystemTime};

/// How many times to try and how long to wait in between.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included; at least 1. Attempts the service throttled (a 429, or
    /// a 503 with `Retry-After`) are not counted here: waiting as asked is not a failure.
    pub max_attempts: u32,
    /// Attempts that may be throttled before the call gives up, the overall deadline permitting;
    /// at least 1. A bulk run puts a user given up on this way back in its queue.
    pub max_throttled_attempts: u32,
    /// The longest wait a `Retry-After` may impose; longer ones are cut to this.
    pub max_retry_after: Duration,
    /// The first backoff when the service gives no `Retry-After`; doubled at each attempt.
    pub base_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// Retry 429 (throttling).
    pub retry_throttling: bool,
    /// Retry 503, 504, connection failures and per-request timeouts.
    pub retry_transient: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            max_throttled_attempts: 30,
            max_retry_after: Duration::from_secs(120),
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            retry_throttling: true,
            retry_transient: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            max_throttled_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts in all (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the number of throttled attempts tolerated (at least 1).
    pub fn with_max_throttled_attempts(mut self, attempts: u32) -> Self {
        self.max_throttled_attempts = attempts.max(1);
        self
    }

    /// Sets the cap on `Retry-After`.
    pub fn with_max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// Sets the backoff range used when the service gives no `Retry-After`.
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_backoff = base;
        self.max_backoff = max.max(base);
        self
    }

    /// Whether an outcome is retried at all under this policy.
    pub(crate) fn retries(&self, reason: RetryReason) -> bool {
        match reason {
            RetryReason::Throttled => self.retry_throttling,
            RetryReason::Unavailable | RetryReason::Connection | RetryReason::SlowResponse => {
                self.retry_transient
            }
        }
    }

    /// The wait before attempt `next_attempt` (2 for the first retry): the service's `Retry-After`
    /// up to the cap, else an exponential backoff with jitter. `unit_random` is in `[0, 1)`.
    pub fn delay(
        &self,
        next_attempt: u32,
        retry_after: Option<Duration>,
        unit_random: f64,
    ) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let doublings = next_attempt.saturating_sub(2).min(30);
        let ceiling = self
            .base_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff);
        // Half fixed, half random ("equal jitter"): never an immediate retry, which Graph counts
        // against the caller, yet workers that failed together do not retry together.
        let half = ceiling / 2;
        half + half.mul_f64(unit_random.clamp(0.0, 1.0))
    }
}

/// Reads a `Retry-After` value: whole or fractional seconds, or an HTTP-date (a date in the past
/// means now). Anything else, negative or not finite, is ignored. Never panics.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds: f64 = value.parse().ok()?;
        return seconds_to_duration(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Reads a millisecond count (`retry-after-ms`).
pub(crate) fn parse_retry_after_ms(value: &str) -> Option<Duration> {
    let millis: f64 = value.trim().parse().ok()?;
    seconds_to_duration(millis / 1000.0)
}

/// Past this a wait means "not in this run" anyway; keeps `Duration` arithmetic far from overflow.
const LONGEST_MEANINGFUL_WAIT: f64 = 86_400.0 * 365.0;

fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(
        seconds.min(LONGEST_MEANINGFUL_WAIT),
    ))
}

/// The wait a response asks for, from the first header that gives one: `retry-after-ms`,
/// `x-ms-retry-after-ms`, then `Retry-After`. Names are compared case-insensitively.
pub(crate) fn retry_after_from<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: SystemTime,
) -> Option<Duration> {
    let mut millis = None;
    let mut standard = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("retry-after-ms")
            || name.eq_ignore_ascii_case("x-ms-retry-after-ms")
        {
            millis = millis.or_else(|| parse_retry_after_ms(value));
        } else if name.eq_ignore_ascii_case("retry-after") {
            standard = standard.or_else(|| parse_retry_after(value, now));
        }
    }
    millis.or(standard)
}

/// Whether an answer is the service asking for a wait (a 429, or a 503 with `Retry-After`) rather
/// than a failure.
pub(crate) fn is_throttle(status: Option<u16>, retry_after: Option<Duration>) -> bool {
    status == Some(429) || (status == Some(503) && retry_after.is_some())
}

/// Why an attempt is worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// 429.
    Throttled,
    /// 503 or 504.
    Unavailable,
    /// The connection failed or was reset.
    Connection,
    /// No response within the per-request timeout.
    SlowResponse,
}

/// One attempt: what came back and how long the client waited before the next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first.
    pub number: u32,
    /// The `client-request-id` it was sent with.
    pub client_request_id: String,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
    /// Why it is retried, when it is.
    pub retry_reason: Option<RetryReason>,
    /// The `Retry-After` the service asked for.
    pub retry_after: Option<Duration>,
    /// The wait before the next attempt.
    pub waited: Option<Duration>,
}

impl Attempt {
    pub(crate) fn new(number: u32, client_request_id: String) -> Self {
        Self {
            number,
            client_request_id,
            status: None,
            retry_reason: None,
            retry_after: None,
            waited: None,
        }
    }

    /// Whether the service asked for a wait (a 429, or a 503 with `Retry-After`) rather than
    /// failing: the same test the client retries by.
    pub fn was_throttled(&self) -> bool {
        is_throttle(self.status, self.retry_after)
    }
}

/// Every attempt of one call, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryHistory {
    attempts: Vec<Attempt>,
}

impl RetryHistory {
    /// The attempts, first first.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// How many attempts were retried.
    pub fn retries(&self) -> usize {
        self.attempts
            .iter()
            .filter(|attempt| attempt.waited.is_some())
            .count()
    }

    pub(crate) fn push(&mut self, attempt: Attempt) {
        self.attempts.push(attempt);
    }

    pub(crate) fn last_mut(&mut self) -> Option<&mut Attempt> {
        self.attempts.last_mut()
    }
}

impl fmt::Display for RetryHistory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, attempt) in self.attempts.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "#{}", attempt.number)?;
            match attempt.status {
                Some(status) => write!(f, " HTTP {status}")?,
                None => write!(f, " {:?}", attempt.retry_reason)?,
            }
            if let Some(waited) = attempt.waited {
                write!(f, ", waited {waited:?}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn integer_fractional_and_date_forms() {
        assert_eq!(
            parse_retry_after("10", now()),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after(" 2.128 ", now()),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(parse_retry_after("0", now()), Some(Duration::ZERO));
        let in_a_minute = httpdate::fmt_http_date(now() + Duration::from_secs(60));
        assert_eq!(
            parse_retry_after(&in_a_minute, now()),
            Some(Duration::from_secs(60))
        );
        let a_minute_ago = httpdate::fmt_http_date(now() - Duration::from_secs(60));
        assert_eq!(
            parse_retry_after(&a_minute_ago, now()),
            Some(Duration::ZERO)
        );
        for junk in [
            "",
            "-1",
            "soon",
            "1e3",
            "NaN",
            "inf",
            "1..2",
            "Thu, 99 Foo 2024",
        ] {
            assert_eq!(parse_retry_after(junk, now()), None, "{junk:?}");
        }
    }

    #[test]
    fn millisecond_headers_win() {
        let headers = [("Retry-After", "10"), ("retry-after-ms", "250")];
        assert_eq!(
            retry_after_from(headers, now()),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after_from([("RETRY-AFTER", "3")], now()),
            Some(Duration::from_secs(3))
        );
        assert_eq!(retry_after_from([("x", "3")], now()), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_ceiling() {
        let policy =
            RetryPolicy::default().with_backoff(Duration::from_secs(1), Duration::from_secs(8));
        assert_eq!(policy.delay(2, None, 0.0), Duration::from_millis(500));
        assert!(policy.delay(2, None, 0.999_999) < Duration::from_secs(1));
        assert_eq!(policy.delay(3, None, 0.0), Duration::from_secs(1));
        assert_eq!(policy.delay(5, None, 0.0), Duration::from_secs(4));
        assert_eq!(policy.delay(50, None, 0.0), Duration::from_secs(4));
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_the_wait_is_capped(value in ".{0,40}", cap_secs in 0u64..1000) {
            let policy = RetryPolicy::default().with_max_retry_after(Duration::from_secs(cap_secs));
            let parsed = parse_retry_after(&value, now());
            let wait = policy.delay(2, parsed, 0.5);
            if parsed.is_some() {
                prop_assert!(wait <= Duration::from_secs(cap_secs));
            }
        }

        #[test]
        fn numbers_read_as_seconds(seconds in 0u32..1_000_000, millis in 0u32..1000) {
            let text = format!("{seconds}.{millis:03}");
            let parsed = parse_retry_after(&text, now()).unwrap();
            let expected = f64::from(seconds) + f64::from(millis) / 1000.0;
            prop_assert!((parsed.as_secs_f64() - expected).abs() < 1e-6);
        }

        #[test]
        fn backoff_stays_within_its_bounds(attempt in 2u32..100, random in 0.0f64..1.0) {
            let policy = RetryPolicy::default();
            let wait = policy.delay(attempt, None, random);
            prop_assert!(wait <= policy.max_backoff);
            prop_assert!(wait >= policy.base_backoff / 2);
        }
    }
}
