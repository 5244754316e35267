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
