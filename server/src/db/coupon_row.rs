//! A coupon row as the statements read it, and the coupon of the contract made from it: the draw
//! columns (migration `20261206000003_draw.sql`) become `allocation` and the `draw` object.

use app::contract::{
    api_types::CouponSummary,
    draw::{Allocation, DrawInfo, DrawState},
};
use chrono::{DateTime, Utc};

/// The columns of `coupons` a read of a coupon selects, in this order: `name, amount,
/// remaining_amount, paused, starts_at, ends_at, created_at, allocation, commitment, draw_at,
/// beacon_required, beacon, drawn_at, redeem_within`.
#[derive(Debug)]
pub struct CouponRow {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    pub paused: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub allocation: String,
    pub commitment: Option<String>,
    pub draw_at: Option<DateTime<Utc>>,
    pub beacon_required: bool,
    pub beacon: Option<String>,
    pub drawn_at: Option<DateTime<Utc>>,
    pub redeem_within: Option<i32>,
}

impl CouponRow {
    /// The coupon, its draw's state judged at `now`.
    pub fn at(self, now: DateTime<Utc>) -> CouponSummary {
        let allocation = Allocation::from_db(&self.allocation);
        let draw = match (allocation, self.commitment, self.draw_at) {
            (Allocation::Draw, Some(commitment), Some(draw_at)) => Some(DrawInfo {
                commitment,
                draw_at,
                state: DrawState::at(now, self.ends_at, self.drawn_at),
                beacon_required: self.beacon_required,
                beacon: self.beacon,
                drawn_at: self.drawn_at,
            }),
            _ => None,
        };
        CouponSummary {
            name: self.name,
            amount: self.amount,
            remaining_amount: self.remaining_amount,
            paused: self.paused,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            created_at: self.created_at,
            allocation,
            redeem_within: self.redeem_within,
            draw,
        }
    }
}

impl From<CouponRow> for CouponSummary {
    /// The coupon as of now.
    fn from(row: CouponRow) -> Self {
        row.at(Utc::now())
    }
}
