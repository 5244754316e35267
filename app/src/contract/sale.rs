//! Running a sale: its status at a given time, the admin's changes to a coupon, and a release.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use validator::Validate;

use crate::contract::validation::MAX_AMOUNT;

/// Where a sale stands, in the order claims are judged: a paused sale is paused whatever its
/// window, a sale outside its window is scheduled or ended whatever its stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SaleStatus {
    Paused,
    Scheduled,
    Ended,
    SoldOut,
    Live,
}

impl SaleStatus {
    /// The status at `now` (server time) of a coupon with these settings.
    pub fn at(
        now: DateTime<Utc>,
        paused: bool,
        starts_at: Option<DateTime<Utc>>,
        ends_at: Option<DateTime<Utc>>,
        remaining_amount: i32,
    ) -> Self {
        if paused {
            Self::Paused
        } else if starts_at.is_some_and(|s| now < s) {
            Self::Scheduled
        } else if ends_at.is_some_and(|e| now >= e) {
            Self::Ended
        } else if remaining_amount == 0 {
            Self::SoldOut
        } else {
            Self::Live
        }
    }

    /// The word shown to admins.
    pub fn label(self) -> &'static str {
        match self {
            Self::Paused => "paused",
            Self::Scheduled => "scheduled",
            Self::Ended => "ended",
            Self::SoldOut => "sold out",
            Self::Live => "live",
        }
    }
}

/// The time left from `now` until `at`, as a countdown shows it: `1d 02:03:04`, `02:03:04` or
/// `03:04` (whole seconds, rounded up so it reads `00:00` only when the moment has come).
pub fn countdown(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let ms = (at - now).num_milliseconds().max(0);
    let secs = (ms + 999) / 1000;
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h) {
        (0, 0) => format!("{m:02}:{s:02}"),
        (0, _) => format!("{h:02}:{m:02}:{s:02}"),
        _ => format!("{d}d {h:02}:{m:02}:{s:02}"),
    }
}

/// `ends_at` must be after `starts_at` when both are set.
pub fn check_window(
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
) -> Result<(), String> {
    match (starts_at, ends_at) {
        (Some(s), Some(e)) if e <= s => Err("ends_at must be after starts_at".to_owned()),
        _ => Ok(()),
    }
}

/// A stock typed in a form: an integer from 1 to 2147483647.
pub fn parse_amount(text: &str) -> Result<i64, String> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|a| (1..=MAX_AMOUNT).contains(a))
        .ok_or_else(|| "Amount must be an integer from 1 to 2147483647.".to_owned())
}

/// The form of a date and time in a form field (`datetime-local`), read as UTC.
pub const FORM_INSTANT: &str = "%Y-%m-%dT%H:%M:%S";

/// A date and time typed in a form: empty is none; RFC 3339, or a `datetime-local` value (with
/// or without seconds) read as UTC, like every time the admin shows.
pub fn parse_instant(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.to_utc()));
    }
    [FORM_INSTANT, "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .map(|at| Some(at.and_utc()))
        .ok_or_else(|| "must be a date and time in UTC, like 2026-12-01T09:00".to_owned())
}

/// `PATCH /api/coupons/{name}` body: every field optional, unknown fields refused. For the
/// window, an absent field keeps the value and `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CouponPatch {
    /// The new stock in all: it may grow, or shrink down to the units already claimed.
    #[validate(range(min = 1, max = MAX_AMOUNT, message = "must be an integer from 1 to 2147483647"))]
    #[cfg_attr(
        feature = "ssr",
        schema(minimum = 1, maximum = 2147483647, nullable = false)
    )]
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<i64>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub paused: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    /// `null` removes the start: claims are taken at once.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<DateTime<Utc>>))]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    /// `null` removes the end: the sale runs until sold out.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<DateTime<Utc>>))]
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

/// A field that may be absent but not `null` (`null` is a wrong type: 400).
fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A field that is present, `null` or not: `Some(None)` for `null` (absent stays `None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The answer of `DELETE /api/coupons/{name}/claims/{user_id}`: the claim that was given back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Release {
    pub user_id: String,
    pub coupon_name: String,
    pub claimed_at: DateTime<Utc>,
    pub released_at: DateTime<Utc>,
    /// Stock after the release.
    pub remaining_amount: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn status_in_claim_order() {
        let status = |paused, start, end, left| SaleStatus::at(at(0), paused, start, end, left);
        assert_eq!(status(true, Some(at(10)), None, 0), SaleStatus::Paused);
        assert_eq!(status(false, Some(at(10)), None, 0), SaleStatus::Scheduled);
        assert_eq!(
            status(false, Some(at(0)), Some(at(0)), 5),
            SaleStatus::Ended
        );
        assert_eq!(
            status(false, Some(at(0)), Some(at(1)), 0),
            SaleStatus::SoldOut
        );
        assert_eq!(status(false, None, None, 1), SaleStatus::Live);
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let p: CouponPatch = serde_json::from_str(r#"{"starts_at":null}"#).unwrap();
        assert_eq!(p.starts_at, Some(None));
        assert_eq!(p.ends_at, None);
        let p: CouponPatch =
            serde_json::from_str(r#"{"ends_at":"2027-01-01T00:00:00+01:00","paused":true}"#)
                .unwrap();
        let end = DateTime::parse_from_rfc3339("2026-12-31T23:00:00Z").unwrap();
        assert_eq!(p.ends_at, Some(Some(end.to_utc())));
        assert_eq!(p.paused, Some(true));
        assert!(serde_json::from_str::<CouponPatch>(r#"{"amount":"5"}"#).is_err());
        assert!(serde_json::from_str::<CouponPatch>(r#"{"colour":1}"#).is_err());
        assert!(serde_json::from_str::<CouponPatch>(r#"{"paused":null}"#).is_err());
    }

    #[test]
    fn countdowns() {
        assert_eq!(countdown(at(0), at(5)), "00:05");
        assert_eq!(countdown(at(0), at(-5)), "00:00");
        assert_eq!(countdown(at(0), at(3723)), "01:02:03");
        assert_eq!(countdown(at(0), at(90_061)), "1d 01:01:01");
        let almost = at(4) - chrono::TimeDelta::milliseconds(1);
        assert_eq!(countdown(at(0), almost), "00:04", "rounded up");
    }

    #[test]
    fn form_fields() {
        assert_eq!(parse_amount(" 7 "), Ok(7));
        assert!(parse_amount("0").is_err() && parse_amount("2147483648").is_err());
        assert!(parse_amount("x").is_err());
        assert_eq!(parse_instant("  "), Ok(None));
        let at = |s| parse_instant(s).unwrap().unwrap().to_rfc3339();
        assert_eq!(at("2026-12-01T09:00"), "2026-12-01T09:00:00+00:00");
        assert_eq!(at("2026-12-01T09:00:05"), "2026-12-01T09:00:05+00:00");
        assert_eq!(at("2026-12-01T10:00:00+01:00"), "2026-12-01T09:00:00+00:00");
        assert!(parse_instant("tomorrow").is_err());
    }

    #[test]
    fn window_order() {
        assert!(check_window(Some(at(1)), Some(at(1))).is_err());
        assert!(check_window(Some(at(1)), Some(at(2))).is_ok());
        assert!(check_window(None, Some(at(2))).is_ok());
    }
}

/// One user's claim of one coupon (`GET /api/coupons/{name}/claims/{user_id}`, and the answer of
/// a redemption).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HeldClaim {
    pub user_id: String,
    pub coupon_name: String,
    pub claimed_at: DateTime<Utc>,
    /// When it was redeemed; `null` while it may still be.
    pub redeemed_at: Option<DateTime<Utc>>,
}
