//! Transport retries: what is retried, and how long to wait.
//!
//! These are separate from re-asks (which send the model its own invalid answer): a
//! transport retry sends the *same* request again after a failure that says nothing about
//! the answer: 408, 409, 429, any 5xx, a connection error or a timeout. Other 4xx are
//! never retried.
//!
//! A batch ([`Client::extract_many`](crate::Client::extract_many)) also shares a gate: a
//! 429 closes it, and every request of the batch waits for it to open.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// How transport failures are retried. On by default: 2 retries, as the OpenAI SDKs do.
///
/// The delay before retry `n` (0-based) is `min(max_delay, initial_delay * 2^n)`, less a
/// random jitter of up to 25%, unless the server sent `Retry-After` (seconds or an HTTP
/// date) or `retry-after-ms`, which is honoured up to [`max_retry_after`](Self::max_retry_after).
/// No retry starts once [`max_elapsed`](Self::max_elapsed) would be exceeded.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times a failed request is sent again as it was (0 disables transport
    /// retries). Not to be confused with [`Extract::max_retries`](crate::Extract::max_retries),
    /// the re-asks: new requests that show the model its errors.
    pub max_transport_retries: u32,
    /// The first backoff delay.
    pub initial_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The longest server-requested delay honoured; a longer `Retry-After` ends the retries.
    pub max_retry_after: Duration,
    /// The time budget for one request and all its retries, waits included.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_transport_retries: 2,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// No transport retries.
    pub fn none() -> Self {
        Self {
            max_transport_retries: 0,
            ..Self::default()
        }
    }

    /// Sets [`max_transport_retries`](Self::max_transport_retries).
    pub fn with_max_transport_retries(mut self, n: u32) -> Self {
        self.max_transport_retries = n;
        self
    }

    /// Sets [`initial_delay`](Self::initial_delay) and [`max_delay`](Self::max_delay).
    pub fn with_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_delay = initial;
        self.max_delay = max.max(initial);
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Sets [`max_elapsed`](Self::max_elapsed).
    pub fn with_max_elapsed(mut self, max: Duration) -> Self {
        self.max_elapsed = max;
        self
    }

    /// The backoff before retry `retry` (0-based), with `unit` in `[0, 1)` drawing the
    /// jitter: between 75% and 100% of `min(max_delay, initial_delay * 2^retry)`.
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        let base = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        let unit = unit.clamp(0.0, 1.0);
        base.mul_f64(1.0 - 0.25 * unit)
    }
}

/// Whether a status is retried: 408, 409, 429 and 5xx.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// The delay a server asks for: `retry-after-ms` (milliseconds) wins over `retry-after`,
/// which is either seconds (`"2"`, `"1.5"`) or an HTTP date, counted from `now`. A date in
/// the past is zero; anything unreadable is `None`.
pub(crate) fn parse_retry_after(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(secs_saturating(ms / 1000.0));
        }
    }
    let value = retry_after?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| secs_saturating(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Finite, non-negative seconds as a `Duration`; one too large to hold is `Duration::MAX`
/// (`from_secs_f64` would panic on a header such as `retry-after: 1e20`).
fn secs_saturating(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

/// A gate shared by the requests of one batch: a 429 closes it until the time the server
/// asked for, and every request waits for it to open before it is sent.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    until: Mutex<Option<tokio::time::Instant>>,
}

impl Gate {
    /// Waits until the gate is open (at once when it is).
    pub(crate) async fn wait(&self) {
        loop {
            let until = *self.until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > tokio::time::Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// Keeps the gate closed for at least `delay` from now.
    pub(crate) fn close_for(&self, delay: Duration) {
        let t = tokio::time::Instant::now() + delay;
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if until.is_none_or(|u| u < t) {
            *until = Some(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let p = RetryPolicy::default();
        for retry in 0..10 {
            let full = p.initial_delay.saturating_mul(1 << retry).min(p.max_delay);
            let hi = p.backoff(retry, 0.0);
            let lo = p.backoff(retry, 0.999_999);
            assert_eq!(hi, full);
            assert!(lo >= full.mul_f64(0.75) && lo <= full, "{retry}: {lo:?}");
            assert!(hi <= p.max_delay);
        }
        assert_eq!(p.backoff(0, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(1, 0.0), Duration::from_secs(1));
        assert_eq!(p.backoff(100, 0.5), p.max_delay.mul_f64(0.875));
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after(None, Some("2"), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after(None, Some(" 1.5 "), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after(Some("250"), Some("9"), now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after(None, Some("Wed, 21 Oct 2015 07:28:30 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after(None, Some("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after(None, Some("1e300"), now),
            Some(Duration::MAX)
        );
        assert_eq!(
            parse_retry_after(Some("1e300"), None, now),
            Some(Duration::MAX)
        );
        assert_eq!(parse_retry_after(None, Some("soon"), now), None);
        assert_eq!(parse_retry_after(None, Some("-1"), now), None);
        assert_eq!(parse_retry_after(None, None, now), None);
    }

    #[test]
    fn statuses() {
        for s in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 422, 200] {
            assert!(!retryable_status(s), "{s}");
        }
    }
}
