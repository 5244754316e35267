//! The live dashboard's serde types: the payloads of the SSE events, shared by server and UI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Event names of the live streams.
pub mod event {
    /// The whole state, first on every connection.
    pub const SNAPSHOT: &str = "snapshot";
    /// Stock changed (coalesced: the newest state, at most every 100 ms).
    pub const STOCK: &str = "stock";
    /// The newest claimers since the previous event.
    pub const CLAIMS: &str = "claims";
    /// The coupon sold out (sent once per stream).
    pub const SOLD_OUT: &str = "sold_out";
}

/// One claim as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Claimer {
    pub user_id: String,
    pub claimed_at: DateTime<Utc>,
}

/// The live state of one coupon, read from the database (the truth), never counted in memory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LiveCoupon {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    /// Successful claims so far (`amount - remaining_amount`); the streams' event id.
    pub claimed: i64,
    pub first_claim_at: Option<DateTime<Utc>>,
    pub last_claim_at: Option<DateTime<Utc>>,
    /// The newest claims, newest first (a few only: a dashboard shows them scrolling in).
    pub newest_claimers: Vec<Claimer>,
}

impl LiveCoupon {
    /// True when no stock is left.
    pub fn sold_out(&self) -> bool {
        self.remaining_amount == 0
    }

    /// Milliseconds from the first claim to the claim that sold it out, once sold out.
    pub fn sell_out_ms(&self) -> Option<i64> {
        match (self.sold_out(), self.first_claim_at, self.last_claim_at) {
            (true, Some(first), Some(last)) => Some((last - first).num_milliseconds()),
            _ => None,
        }
    }

    /// Applies a `stock` event.
    pub fn apply_stock(&mut self, stock: &StockEvent) {
        // Events may overtake a reconnect's snapshot; the count only grows, so keep the newest.
        if stock.name == self.name && stock.claimed >= self.claimed {
            self.amount = stock.amount;
            self.remaining_amount = stock.remaining_amount;
            self.claimed = stock.claimed;
        }
    }

    /// Applies a `claims` event, keeping at most `keep` claimers.
    pub fn apply_claims(&mut self, claims: &ClaimsEvent, keep: usize) {
        if claims.name != self.name {
            return;
        }
        let mut merged = claims.claimers.clone();
        merged.append(&mut self.newest_claimers);
        merged.truncate(keep);
        if self.first_claim_at.is_none() {
            self.first_claim_at = merged.last().map(|c| c.claimed_at);
        }
        self.last_claim_at = merged.first().map(|c| c.claimed_at).or(self.last_claim_at);
        self.newest_claimers = merged;
    }

    /// Applies a `sold_out` event.
    pub fn apply_sold_out(&mut self, sold: &SoldOutEvent) {
        if sold.name == self.name {
            self.remaining_amount = 0;
            self.claimed = i64::from(self.amount);
            self.first_claim_at = Some(sold.first_claim_at);
            self.last_claim_at = Some(sold.sold_out_at);
        }
    }
}

/// Payload of `stock`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct StockEvent {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    pub claimed: i64,
}

/// Payload of `claims`: the claims since the previous event, newest first (at most a few).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClaimsEvent {
    pub name: String,
    pub claimers: Vec<Claimer>,
}

/// Payload of `sold_out`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SoldOutEvent {
    pub name: String,
    pub first_claim_at: DateTime<Utc>,
    pub sold_out_at: DateTime<Utc>,
    /// From the first claim to the last one, in milliseconds.
    pub sell_out_ms: i64,
}

/// Payload of `snapshot` on `GET /api/events`: every coupon, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LiveBoard {
    pub coupons: Vec<LiveCoupon>,
}

impl From<&LiveCoupon> for StockEvent {
    fn from(c: &LiveCoupon) -> Self {
        Self {
            name: c.name.clone(),
            amount: c.amount,
            remaining_amount: c.remaining_amount,
            claimed: c.claimed,
        }
    }
}

impl SoldOutEvent {
    /// The event for a sold-out coupon, `None` while stock is left.
    pub fn of(c: &LiveCoupon) -> Option<Self> {
        Some(Self {
            name: c.name.clone(),
            first_claim_at: c.first_claim_at?,
            sold_out_at: c.last_claim_at?,
            sell_out_ms: c.sell_out_ms()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_800_000_000_000 + ms).unwrap()
    }

    fn claimer(user: &str, ms: i64) -> Claimer {
        Claimer {
            user_id: user.into(),
            claimed_at: at(ms),
        }
    }

    fn fresh(amount: i32) -> LiveCoupon {
        LiveCoupon {
            name: "C".into(),
            amount,
            remaining_amount: amount,
            claimed: 0,
            first_claim_at: None,
            last_claim_at: None,
            newest_claimers: vec![],
        }
    }

    #[test]
    fn events_applied_in_order_reach_the_sold_out_state() {
        let mut c = fresh(3);
        c.apply_stock(&StockEvent {
            name: "C".into(),
            amount: 3,
            remaining_amount: 1,
            claimed: 2,
        });
        c.apply_claims(
            &ClaimsEvent {
                name: "C".into(),
                claimers: vec![claimer("b", 20), claimer("a", 10)],
            },
            2,
        );
        assert_eq!(c.remaining_amount, 1);
        assert_eq!(c.first_claim_at, Some(at(10)));
        c.apply_claims(
            &ClaimsEvent {
                name: "C".into(),
                claimers: vec![claimer("c", 1510)],
            },
            2,
        );
        let users: Vec<_> = c
            .newest_claimers
            .iter()
            .map(|x| x.user_id.as_str())
            .collect();
        assert_eq!(users, ["c", "b"], "newest first, at most `keep`");
        c.apply_sold_out(&SoldOutEvent {
            name: "C".into(),
            first_claim_at: at(10),
            sold_out_at: at(1510),
            sell_out_ms: 1500,
        });
        assert!(c.sold_out());
        assert_eq!((c.claimed, c.sell_out_ms()), (3, Some(1500)));
        assert_eq!(SoldOutEvent::of(&c).map(|s| s.sell_out_ms), Some(1500));
    }

    #[test]
    fn an_older_or_foreign_stock_event_is_ignored() {
        let mut c = fresh(10);
        let stock = |name: &str, claimed: i64| StockEvent {
            name: name.into(),
            amount: 10,
            remaining_amount: 10 - claimed as i32,
            claimed,
        };
        c.apply_stock(&stock("C", 5));
        c.apply_stock(&stock("C", 4));
        c.apply_stock(&stock("OTHER", 9));
        assert_eq!((c.claimed, c.remaining_amount), (5, 5));
        assert_eq!(c.sell_out_ms(), None);
    }
}
