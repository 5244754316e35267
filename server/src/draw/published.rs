//! What a draw publishes once drawn: its proof, read back as kept (docs/draw.md).

use app::contract::draw::DrawProof;
use sqlx::PgPool;

use super::{proof::Published, ticket};
use crate::db;

/// Where a coupon's draw stands for its public proof.
#[derive(Debug)]
pub enum Proof {
    NotFound,
    /// A `first_come` coupon: no draw.
    NotADraw,
    /// Not drawn yet.
    NotDrawn,
    Drawn(DrawProof),
}

/// The proof of `coupon`'s draw, once drawn.
pub async fn proof(pool: &PgPool, coupon: &str) -> Result<Proof, sqlx::Error> {
    let Some(kept) = db::draws::kept(pool, coupon).await? else {
        return Ok(Proof::NotFound);
    };
    if kept.allocation != "draw" {
        return Ok(Proof::NotADraw);
    }
    let (Some(seed), Some(drawn_at), Some(entries), Some(winners), Some(digest)) = (
        kept.seed,
        kept.drawn_at,
        kept.entries,
        kept.winners,
        kept.tickets_digest,
    ) else {
        return Ok(Proof::NotDrawn);
    };
    let seed: ticket::Seed = seed
        .as_slice()
        .try_into()
        .map_err(|_| sqlx::Error::Decode(format!("the seed of {coupon} is not 32 bytes").into()))?;
    Ok(Proof::Drawn(
        Published {
            coupon,
            seed: &seed,
            beacon: kept.beacon.as_deref(),
            entries: u64::try_from(entries).unwrap_or(0),
            winners: u64::try_from(winners).unwrap_or(0),
            drawn_at,
            tickets_digest: &digest,
        }
        .proof(),
    ))
}
