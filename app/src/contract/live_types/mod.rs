//! The live dashboard's serde types: the payloads of the SSE events, shared by server and UI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::contract::{draw::DrawProgress, sale::SaleStatus};

/// Event names of the live streams.
pub mod event {
    /// The whole state, first on every connection.
    pub const SNAPSHOT: &str = "snapshot";
    /// Stock or the sale's settings (pause, window) changed (coalesced: the newest state, at
    /// most every 100 ms).
    pub const STOCK: &str = "stock";
    /// The newest claimers since the previous event.
    pub const CLAIMS: &str = "claims";
    /// The coupon sold out (again, after a restock or a release: once per time it sells out).
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
    /// Live claims (`amount - remaining_amount`).
    pub claimed: i64,
    /// The coupon row's change counter: grows with every claim, release and admin change, so a
    /// higher version is always a newer state (stock alone can go down and up again).
    pub version: i64,
    pub paused: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Server time when this state was read or sent: the page's countdown runs on it.
    pub now: DateTime<Utc>,
    pub first_claim_at: Option<DateTime<Utc>>,
    pub last_claim_at: Option<DateTime<Utc>>,
    /// The newest claims, newest first (a few only: a dashboard shows them scrolling in).
    pub newest_claimers: Vec<Claimer>,
    /// A draw coupon's entries and draw, judged at `now`; absent for `first_come`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<DrawProgress>,
}

impl LiveCoupon {
    /// The same state stamped with the server's clock `now`, its draw's state judged then.
    pub fn stamped(&self, now: DateTime<Utc>) -> Self {
        Self {
            now,
            draw: self.draw.as_ref().map(|d| d.at(now, self.ends_at)),
            ..self.clone()
        }
    }

    /// True when no stock is left.
    pub fn sold_out(&self) -> bool {
        self.remaining_amount == 0
    }

    /// Where the sale stands at `now` (server time).
    pub fn status(&self, now: DateTime<Utc>) -> SaleStatus {
        SaleStatus::at(
            now,
            self.paused,
            self.starts_at,
            self.ends_at,
            self.remaining_amount,
        )
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
        if stock.name != self.name {
            return;
        }
        self.now = stock.now;
        // Events may overtake a reconnect's snapshot; the version only grows: keep the newest.
        if stock.version >= self.version {
            self.amount = stock.amount;
            self.remaining_amount = stock.remaining_amount;
            self.claimed = stock.claimed;
            self.version = stock.version;
            self.paused = stock.paused;
            self.starts_at = stock.starts_at;
            self.ends_at = stock.ends_at;
            self.draw = stock.draw.clone();
        }
    }

    /// Applies a `claims` event, keeping at most `keep` claimers.
    pub fn apply_claims(&mut self, claims: &ClaimsEvent, keep: usize) {
        if claims.name != self.name {
            return;
        }
        let mut merged = claims.claimers.clone();
        // After a release the server cannot tell which claimers the page already has: skip the
        // ones it does.
        merged.retain(|c| !self.newest_claimers.contains(c));
        merged.append(&mut self.newest_claimers);
        merged.truncate(keep);
        if self.first_claim_at.is_none() {
            self.first_claim_at = merged.last().map(|c| c.claimed_at);
        }
        self.last_claim_at = merged.first().map(|c| c.claimed_at).or(self.last_claim_at);
        self.newest_claimers = merged;
    }

    /// Applies a `sold_out` event (always sent after the `stock` event of the same state).
    pub fn apply_sold_out(&mut self, sold: &SoldOutEvent) {
        if sold.name == self.name && sold.version >= self.version {
            self.remaining_amount = 0;
            self.claimed = i64::from(self.amount);
            self.first_claim_at = Some(sold.first_claim_at);
            self.last_claim_at = Some(sold.sold_out_at);
        }
    }
}

/// Payload of `stock`: everything of a [`LiveCoupon`] but its claimers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct StockEvent {
    pub name: String,
    pub amount: i32,
    pub remaining_amount: i32,
    pub claimed: i64,
    pub version: i64,
    pub paused: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Server time when the event was sent.
    pub now: DateTime<Utc>,
    /// A draw coupon's entries and draw; absent for `first_come`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<DrawProgress>,
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
    /// The version of the state that sold out.
    pub version: i64,
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
            version: c.version,
            paused: c.paused,
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            now: c.now,
            draw: c.draw.clone(),
        }
    }
}

impl SoldOutEvent {
    /// The event for a sold-out coupon, `None` while stock is left.
    pub fn of(c: &LiveCoupon) -> Option<Self> {
        Some(Self {
            name: c.name.clone(),
            version: c.version,
            first_claim_at: c.first_claim_at?,
            sold_out_at: c.last_claim_at?,
            sell_out_ms: c.sell_out_ms()?,
        })
    }
}

#[cfg(test)]
mod tests;
