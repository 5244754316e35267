//! The serde types of the public JSON API, defined once for the server and the UI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::validation::{MAX_AMOUNT, MAX_TEXT_CHARS, check_text};

/// `POST /api/coupons` body. Unknown fields are refused so a typo never passes silently.
#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewCoupon {
    #[validate(
        length(min = 1, max = MAX_TEXT_CHARS, message = "must be 1 to 255 characters"),
        custom(function = "check_text")
    )]
    pub name: String,
    /// Read as i64 so that an out-of-range integer gets the range message, not a parse error.
    #[validate(range(min = 1, max = MAX_AMOUNT, message = "must be an integer from 1 to 2147483647"))]
    pub amount: i64,
}

/// `POST /api/coupons/claim` body.
#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    #[validate(
        length(min = 1, max = MAX_TEXT_CHARS, message = "must be 1 to 255 characters"),
        custom(function = "check_text")
    )]
    pub user_id: String,
    #[validate(
        length(min = 1, max = MAX_TEXT_CHARS, message = "must be 1 to 255 characters"),
        custom(function = "check_text")
    )]
    pub coupon_name: String,
}

/// A coupon with the users who claimed it, in claim order (`GET /api/coupons/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Coupon {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    pub claimed_by: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A coupon without its claimers: one row of a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CouponSummary {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    pub created_at: DateTime<Utc>,
}

/// A successful claim (`200` of `POST /api/coupons/claim`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClaimReceipt {
    pub user_id: String,
    pub coupon_name: String,
    pub claimed_at: DateTime<Utc>,
    pub remaining_amount: i32,
}

/// Every error body of the API: a sentence for people and a stable code for programs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
}
