//! The serde types of the public JSON API, defined once for the server and the UI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::contract::{
    draw::{Allocation, DrawInfo, DrawProgress},
    validation::{MAX_AMOUNT, MAX_TEXT_CHARS, check_text},
};

/// `POST /api/coupons` body. Unknown fields are refused so a typo never passes silently.
#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewCoupon {
    #[validate(
        length(min = 1, max = MAX_TEXT_CHARS, message = "must be 1 to 255 characters"),
        custom(function = "check_text")
    )]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 255))]
    pub name: String,
    /// The stock: 1 to 2147483647.
    // Read as i64, so that an out-of-range integer gets the range message, not a parse error.
    #[validate(range(min = 1, max = MAX_AMOUNT, message = "must be an integer from 1 to 2147483647"))]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 2147483647))]
    pub amount: i64,
    /// Claims are refused (`409 not_started`) before this instant (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// Claims are refused (`409 ended`) from this instant on; after `starts_at`. Required for a
    /// draw: its entries close then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    /// `first_come` (the default) or `draw` (docs/draw.md).
    #[serde(default)]
    pub allocation: Allocation,
    /// A draw only: when it runs by itself, no earlier than `ends_at` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw_at: Option<DateTime<Utc>>,
    /// A draw only: it runs only once a beacon was given after the window closed.
    #[serde(default)]
    pub beacon_required: bool,
    /// Seconds a claim has to be redeemed before it lapses (its unit goes back: on sale again,
    /// or to a draw's waitlist); none: never.
    #[validate(range(min = 1, max = MAX_REDEEM_WITHIN, message = "must be an integer from 1 to 31536000 (a year)"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 31536000))]
    pub redeem_within: Option<i64>,
}

/// The longest `redeem_within`: a year, in seconds.
pub const MAX_REDEEM_WITHIN: i64 = 31_536_000;

/// `POST /api/coupons/claim` body.
#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClaimRequest {
    /// The user who claims. Required, except with a shopper token, whose subject is the user
    /// (if sent then, it must equal the subject).
    #[validate(
        length(min = 1, max = MAX_TEXT_CHARS, message = "must be 1 to 255 characters"),
        custom(function = "check_text")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 255))]
    pub user_id: Option<String>,
    #[validate(
        length(min = 1, max = MAX_TEXT_CHARS, message = "must be 1 to 255 characters"),
        custom(function = "check_text")
    )]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 255))]
    pub coupon_name: String,
}

/// A coupon with the users who claimed it, in claim order (`GET /api/coupons/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Coupon {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    /// Live claims: `amount - remaining_amount`, the length of `claimed_by`.
    pub claimed: i64,
    pub paused: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// The claimers' user ids in claim order. Left out of the public read for callers without
    /// admin rights when the server runs with `PUBLIC_CLAIMERS=false`.
    #[cfg_attr(feature = "ssr", schema(required = false))]
    pub claimed_by: Vec<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub allocation: Allocation,
    /// Seconds a claim has to be redeemed before it lapses; absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeem_within: Option<i32>,
    /// A draw coupon's draw; absent for `first_come`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<DrawInfo>,
}

/// The public read of a coupon for a caller who may not see who claimed it (`PUBLIC_CLAIMERS=false`
/// and no admin rights): [`Coupon`] without `claimed_by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CouponWithoutClaimers {
    #[serde(flatten)]
    pub coupon: CouponSummary,
    /// Live claims: `amount - remaining_amount`.
    pub claimed: i64,
}

/// A coupon without its claimers: one row of a list, the answer of a create or a patch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CouponSummary {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    pub paused: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub allocation: Allocation,
    /// Seconds a claim has to be redeemed before it lapses; absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeem_within: Option<i32>,
    /// A draw coupon's draw; absent for `first_come`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<DrawInfo>,
}

impl CouponSummary {
    /// Live claims: `amount - remaining_amount`.
    pub fn claimed(&self) -> i64 {
        i64::from(self.amount) - i64::from(self.remaining_amount)
    }

    /// The coupon for a caller who may not see its claimers.
    pub fn without_claimers(self) -> CouponWithoutClaimers {
        CouponWithoutClaimers {
            claimed: self.claimed(),
            coupon: self,
        }
    }

    /// The coupon with `claimed_by` (in claim order).
    pub fn with_claimers(self, claimed_by: Vec<String>) -> Coupon {
        Coupon {
            claimed: self.claimed(),
            name: self.name,
            amount: self.amount,
            remaining_amount: self.remaining_amount,
            paused: self.paused,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            claimed_by,
            created_at: self.created_at,
            allocation: self.allocation,
            redeem_within: self.redeem_within,
            draw: self.draw,
        }
    }

    /// Where the sale stands at `now` (server time).
    pub fn status(&self, now: DateTime<Utc>) -> crate::contract::sale::SaleStatus {
        crate::contract::sale::SaleStatus::at(
            now,
            self.paused,
            self.starts_at,
            self.ends_at,
            self.remaining_amount,
        )
    }
}

/// The public stock of a coupon (`GET /api/coupons/{name}/stock` and each event of
/// `/stock/events`): served from memory, never with claimer ids.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CouponStock {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    /// Live claims: `amount - remaining_amount`.
    pub claimed: i64,
    /// Where the sale stands at `now`.
    pub status: crate::contract::sale::SaleStatus,
    /// The coupon's change counter: a higher version is a newer state (the `ETag`).
    pub version: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Server time of the answer (a page's countdown runs on it).
    pub now: DateTime<Utc>,
    /// A draw coupon's entries and draw; absent for `first_come`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<DrawProgress>,
}

/// A successful claim (`200` of `POST /api/coupons/claim`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClaimReceipt {
    pub user_id: String,
    pub coupon_name: String,
    pub claimed_at: DateTime<Utc>,
    pub remaining_amount: i32,
}

/// Every error body of the API: a sentence for people and a stable code for programs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
    /// With `not_started` only: when the sale starts (server time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// With `invalid_token` only: why the token was refused (`expired`, `bad_signature`,
    /// `wrong_audience`, `malformed`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With `already_redeemed` and `redeemed` only: when the claim was redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeemed_at: Option<DateTime<Utc>>,
    /// With `insufficient_scope` only: the scope the key lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}
