//! Running a sale: its status at a given time, the admin's changes to a coupon, and a release.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use validator::Validate;

use crate::validation::MAX_AMOUNT;

/// Where a sale stands, in the order claims are judged: a paused sale is paused whatever its
/// window, a sale outside its window is scheduled or ended whatever its stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
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

/// `PATCH /api/coupons/{name}` body: every field optional, unknown fields refused. For the
/// window, an absent field keeps the value and `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct CouponPatch {
    /// The new stock in all: it may grow, or shrink down to the units already claimed.
    #[validate(range(min = 1, max = MAX_AMOUNT, message = "must be an integer from 1 to 2147483647"))]
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
    pub paused: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
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
    fn window_order() {
        assert!(check_window(Some(at(1)), Some(at(1))).is_err());
        assert!(check_window(Some(at(1)), Some(at(2))).is_ok());
        assert!(check_window(None, Some(at(2))).is_ok());
    }
}
