//! The draw's types (docs/draw.md), shared by the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The public proof of a draw (`GET /api/coupons/{name}/draw` once drawn): enough for anyone to
/// check the seed against the commitment and the ranked tickets against the digest, and for an
/// entrant to find their own ticket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DrawProof {
    /// `hmac-sha256-v1`.
    pub algorithm: String,
    /// `hex(sha256(seed))`, published before the first entry.
    pub commitment: String,
    /// The seed, 64 hex digits, published with the result.
    pub seed: String,
    /// The public random value given after the window closed; none: the algorithm's name.
    pub beacon: Option<String>,
    pub entries: u64,
    /// `min(amount, entries)`: the first lines of the ranked tickets.
    pub winners: u64,
    pub drawn_at: DateTime<Utc>,
    /// SHA-256, in hex, of the ranked tickets' text.
    pub tickets_digest: String,
    /// Where the ranked tickets are: one line per entry, `rank,ticket,outcome`.
    pub tickets: String,
}

/// How a coupon's units are given: `first_come` (claims in arrival order, the default) or `draw`
/// (entries during the window, ranked afterwards; docs/draw.md). Set at creation, never changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Allocation {
    #[default]
    FirstCome,
    Draw,
}

impl Allocation {
    /// The allocation stored as `text` (`first_come`, `draw`); anything else is `first_come`.
    pub fn from_db(text: &str) -> Self {
        if text == "draw" {
            Self::Draw
        } else {
            Self::FirstCome
        }
    }

    pub fn is_draw(self) -> bool {
        self == Self::Draw
    }
}

/// Where a draw stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum DrawState {
    /// The window has not closed: entries are taken (from `starts_at`, unless paused).
    Open,
    /// The window closed; the draw has not run yet.
    Closed,
    /// Drawn: the proof is public.
    Drawn,
}

impl DrawState {
    /// Its name on the wire: `open`, `closed`, `drawn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Drawn => "drawn",
        }
    }

    /// The state at `now` of a draw whose window ends at `ends_at`, drawn at `drawn_at` if so.
    pub fn at(
        now: DateTime<Utc>,
        ends_at: Option<DateTime<Utc>>,
        drawn_at: Option<DateTime<Utc>>,
    ) -> Self {
        match (drawn_at, ends_at) {
            (Some(_), _) => Self::Drawn,
            (None, Some(end)) if now >= end => Self::Closed,
            _ => Self::Open,
        }
    }
}

/// The draw of a `draw` coupon, as its JSON shows it (`draw` of `GET /api/coupons/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DrawInfo {
    /// `hex(sha256(seed))`, published at the coupon's creation, before the first entry.
    pub commitment: String,
    /// When the draw runs by itself (no earlier than `ends_at`).
    pub draw_at: DateTime<Utc>,
    pub state: DrawState,
    /// The draw waits for a beacon given after the window closed.
    pub beacon_required: bool,
    /// The public random value given after the window closed, if any.
    pub beacon: Option<String>,
    pub drawn_at: Option<DateTime<Utc>>,
}

/// A draw coupon's entries and draw as the live stock read and streams show them (`draw` of
/// `GET /api/coupons/{name}/stock`; absent for `first_come`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DrawProgress {
    /// Entries taken so far (each one bumps the coupon's `version`).
    pub entries: i64,
    /// Where the draw stands at the answer's `now`: it turns `closed` at `ends_at` by the clock
    /// (a stream sends no event for that alone), `drawn` when the draw has run.
    pub state: DrawState,
    pub draw_at: DateTime<Utc>,
    pub drawn_at: Option<DateTime<Utc>>,
}

impl DrawProgress {
    /// The same progress with its state judged at `now` for a window ending at `ends_at`.
    pub fn at(&self, now: DateTime<Utc>, ends_at: Option<DateTime<Utc>>) -> Self {
        Self {
            state: DrawState::at(now, ends_at, self.drawn_at),
            ..self.clone()
        }
    }
}

/// `202` of `POST /api/coupons/claim` on a draw coupon: the entry is durable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntryReceipt {
    pub user_id: String,
    pub coupon_name: String,
    /// `entered`.
    pub state: String,
    pub entered_at: DateTime<Utc>,
    pub draw_at: DateTime<Utc>,
}

/// The draw settings of a coupon being created, checked: `draw_at`, `beacon_required` only for a
/// draw; a draw needs `ends_at`, and draws no earlier. Returns when the draw runs (`draw_at`, or
/// `ends_at` by default); `None` for `first_come`.
pub fn check_draw(
    allocation: Allocation,
    ends_at: Option<DateTime<Utc>>,
    draw_at: Option<DateTime<Utc>>,
    beacon_required: bool,
) -> Result<Option<DateTime<Utc>>, String> {
    match (allocation, ends_at) {
        (Allocation::FirstCome, _) if draw_at.is_some() || beacon_required => {
            Err("draw_at and beacon_required are for allocation \"draw\" only".to_owned())
        }
        (Allocation::FirstCome, _) => Ok(None),
        (Allocation::Draw, None) => Err("a draw needs ends_at: its entries close then".to_owned()),
        (Allocation::Draw, Some(end)) => match draw_at {
            Some(at) if at < end => Err("draw_at must not be before ends_at".to_owned()),
            Some(at) => Ok(Some(at)),
            None => Ok(Some(end)),
        },
    }
}

/// Where an entry stands (`GET /api/coupons/{name}/entries/{user_id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum EntryState {
    /// Entered; not drawn yet.
    Entered,
    /// The draw, or the waitlist since, gave this entry a unit: the user holds a claim.
    Won,
    /// Drawn, and waiting on the waitlist for a unit to come back.
    Waitlisted,
    /// Had a unit and it went back (released by the admin, or lapsed unredeemed).
    Lost,
}

/// `GET /api/coupons/{name}/entries/{user_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntryStatus {
    pub state: EntryState,
    /// The entry's rank in the draw, once drawn.
    pub rank: Option<u64>,
    /// Place in the waitlist's line (1: the next unit that comes back goes to this entry).
    pub waitlist_position: Option<u64>,
}

/// `POST /api/coupons/{name}/draw/beacon` body: a public random value published after the
/// window closed (a drand round, a lottery result), 1 to 1000 characters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewBeacon {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 1000))]
    pub beacon: String,
}

impl NewBeacon {
    /// The beacon, if it is 1 to 1000 characters.
    pub fn checked(&self) -> Result<&str, String> {
        match self.beacon.chars().count() {
            1..=1000 => Ok(&self.beacon),
            _ => Err("beacon must be 1 to 1000 characters".to_owned()),
        }
    }
}

/// A draw on the admin's coupon page: entries so far, and once drawn the winners, the waitlist
/// still waiting, and each entry-time decile's share of the winners (the fairness at a glance:
/// the shares should be flat).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DrawPanel {
    pub entries: i64,
    pub winners: i64,
    pub waitlist: i64,
    /// Entries in order of entry, cut into ten equal parts: (entries, winners) of each.
    pub deciles: Vec<(i64, i64)>,
    /// Entries over time: the time from the first entry to the last in ten equal parts, the
    /// entries of each (all ten, zeros included; none without entries).
    pub timeline: Vec<i64>,
    pub first_entry_at: Option<DateTime<Utc>>,
    pub last_entry_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::DrawState;

    #[test]
    fn a_draw_states_name_is_its_name_on_the_wire() {
        for state in [DrawState::Open, DrawState::Closed, DrawState::Drawn] {
            let wire = serde_json::to_value(state).unwrap();
            assert_eq!(wire, state.as_str());
        }
    }
}
