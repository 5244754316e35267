//! Running a draw: read the entries, rank them ([`super::ticket`]), settle it in one call
//! ([`crate::db::draws::settle`]). Any process may run it, any number of times, at once: the
//! first settle under the coupon's row lock draws, the others find it drawn.

use app::contract::audit::action;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{proof, ticket};
use crate::{db, live::LiveHub};

/// What asking for a draw came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This call drew: `winners` claims were made.
    Drawn {
        drawn_at: DateTime<Utc>,
        entries: usize,
        winners: usize,
        /// Wake the webhook dispatchers: an event that wakes them was written.
        wake: bool,
    },
    /// Drawn before (by another process, or an earlier call).
    AlreadyDrawn,
    /// No coupon has the name.
    NotFound,
    /// The coupon is `first_come`.
    FirstCome,
    /// The entry window has not closed.
    Open,
    /// The coupon requires a beacon and has none yet.
    BeaconMissing,
}

/// Times a ranking is made again when entries or the beacon changed under it (an entry batch
/// that began before the window closed commits after the entries were read; a beacon given
/// meanwhile). Each retry reads after the change, so a second is all it takes in practice.
const ATTEMPTS: usize = 5;

/// Who draws when nobody asked: the draws that run by themselves at `draw_at`.
pub const SYSTEM: &str = "system";

/// Draws coupon `coupon_name` if it is due and not drawn; a draw made is audited as `actor`'s.
#[tracing::instrument(skip(pool))]
pub async fn draw(pool: &PgPool, coupon_name: &str, actor: &str) -> Result<Outcome, sqlx::Error> {
    for _ in 0..ATTEMPTS {
        let Some(input) = db::draws::input(pool, coupon_name).await? else {
            return Ok(Outcome::NotFound);
        };
        let Some(seed) = input.seed else {
            return Ok(Outcome::FirstCome);
        };
        let seed: ticket::Seed = seed.as_slice().try_into().map_err(|_| {
            sqlx::Error::Decode(format!("the seed of {coupon_name} is not 32 bytes").into())
        })?;
        // Reading a million entries and settling their draw may take longer than a request's
        // statement timeout: the draw's own connection has none (and is closed after).
        let mut conn = db::unbounded(pool).await?;
        let entrants = db::entries::entrants(&mut conn, coupon_name).await?;
        let beacon = input.beacon.as_deref();
        let ranked = {
            let users: Vec<&str> = entrants.iter().map(String::as_str).collect();
            ticket::rank(&ticket::key(&seed, beacon), &users)
        };
        let amount = u64::try_from(input.amount).unwrap_or(0);
        let digest = proof::digest(&proof::tickets_text(&ranked, amount));
        let users: Vec<String> = ranked.iter().map(|r| entrants[r.entry].clone()).collect();
        let tickets: Vec<Vec<u8>> = ranked.iter().map(|r| r.ticket.to_vec()).collect();
        let ranking = db::draws::Ranking {
            beacon,
            users: &users,
            tickets: &tickets,
            digest: &digest,
        };
        let settled =
            db::draws::settle(&mut conn, coupon_name, &ranking, actor, action::DRAW_RUN).await?;
        return Ok(match settled.outcome.as_str() {
            "drawn" => Outcome::Drawn {
                drawn_at: settled.drawn_at.unwrap_or_else(Utc::now),
                entries: users.len(),
                winners: settled.winners.len(),
                wake: settled.wake,
            },
            "already_drawn" => Outcome::AlreadyDrawn,
            "not_found" => Outcome::NotFound,
            "first_come" => Outcome::FirstCome,
            "open" => Outcome::Open,
            "beacon_missing" => Outcome::BeaconMissing,
            _ => continue, // entries_changed, beacon_changed: rank again
        });
    }
    Err(sqlx::Error::Protocol(format!(
        "the draw of {coupon_name} kept changing under its ranking ({ATTEMPTS} attempts)"
    )))
}

/// Draws `coupon_name` as [`draw`] does; when this call drew, wakes the webhook dispatchers (its
/// events are written) and tells the live dashboards. The admin's "Draw now" and the draws that
/// run by themselves ([`super::schedule`]) both come here.
pub async fn draw_now(
    pool: &PgPool,
    live: &LiveHub,
    coupon_name: &str,
    actor: &str,
) -> Result<Outcome, sqlx::Error> {
    let outcome = draw(pool, coupon_name, actor).await?;
    if let Outcome::Drawn { wake, .. } = &outcome {
        if *wake {
            crate::webhooks::wake_dispatchers(pool).await;
        }
        live.changed(coupon_name);
    }
    Ok(outcome)
}
