//! When the next attempt is due after a failure: the configured schedule with jitter, never
//! sooner than the receiver's `Retry-After` on `429` and `503`.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;

/// Longest `Retry-After` honoured; a later one waits this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The wait before attempt `attempt + 1` after attempt `attempt` (from 1) failed, `None` when
/// the schedule is used up. `unit` in `[0, 1)` picks the jitter: the wait varies by up to a
/// fifth either way, so receivers that failed together are not retried all at once.
pub fn next_wait(schedule: &[Duration], attempt: i32, unit: f64) -> Option<Duration> {
    let index = usize::try_from(attempt).ok()?.checked_sub(1)?;
    let base = schedule.get(index)?;
    Some(base.mul_f64(0.8 + 0.4 * unit.clamp(0.0, 1.0)))
}

/// A uniform number in `[0, 1)`.
pub fn unit_random() -> f64 {
    f64::from(getrandom::u32().unwrap_or(0)) / (f64::from(u32::MAX) + 1.0)
}

/// The wait a `Retry-After` header asks for: seconds or an HTTP date, capped at a day.
pub fn retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    let wait = match text.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(text)
            .ok()?
            .duration_since(now)
            .unwrap_or_default(),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_with_jitter_then_none() {
        let schedule = [Duration::from_secs(5), Duration::from_secs(300)];
        assert_eq!(next_wait(&schedule, 1, 0.5), Some(Duration::from_secs(5)));
        assert_eq!(next_wait(&schedule, 1, 0.0), Some(Duration::from_secs(4)));
        assert_eq!(next_wait(&schedule, 2, 1.0), Some(Duration::from_secs(360)));
        assert_eq!(next_wait(&schedule, 3, 0.5), None);
        assert_eq!(next_wait(&schedule, 0, 0.5), None);
        let u = unit_random();
        assert!((0.0..1.0).contains(&u));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let secs = HeaderValue::from_static("120");
        assert_eq!(retry_after(&secs, now), Some(Duration::from_secs(120)));
        let date = HeaderValue::from_str(&httpdate::fmt_http_date(now + Duration::from_secs(60)));
        assert_eq!(
            retry_after(&date.unwrap(), now),
            Some(Duration::from_secs(60))
        );
        let huge = HeaderValue::from_static("99999999");
        assert_eq!(retry_after(&huge, now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(&HeaderValue::from_static("soon"), now), None);
    }
}
