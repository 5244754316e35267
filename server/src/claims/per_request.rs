//! One transaction (one statement) per claim; a claim of a coupon known to be a draw is its
//! entry, one statement too.

use std::{
    collections::HashSet,
    sync::{Mutex, PoisonError},
};

use sqlx::{PgConnection, PgPool};

use super::{
    ClaimError, Refusal, Taken,
    plan::{self, Decision},
};
use crate::db;

/// Times a claim is tried again when it took nothing although a fresh read shows stock and an
/// open sale (restocked or released in between).
const ATTEMPTS: usize = 3;

/// Most coupons remembered as draws; when full, the set starts again (a coupon forgotten costs
/// one refused claim call to learn again).
const MAX_KNOWN_DRAWS: usize = 10_000;

/// The coupons this process has seen to be draws. A coupon's allocation never changes (no
/// statement changes it), so a claim of one goes straight to its entry: one call, where learning
/// it again would take two (`claim_one` refuses a draw coupon, then `enter_batch`).
#[derive(Default)]
pub(super) struct KnownDraws(Mutex<HashSet<String>>);

impl KnownDraws {
    fn contains(&self, coupon: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(coupon)
    }

    fn learn(&self, coupon: &str) {
        let mut known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= MAX_KNOWN_DRAWS {
            known.clear();
        }
        known.insert(coupon.to_owned());
    }
}

pub(super) async fn claim(
    pool: &PgPool,
    draws: &KnownDraws,
    user_id: &str,
    coupon_name: &str,
) -> Result<Taken, ClaimError> {
    let mut conn = super::outcome::connection(pool).await?;
    if draws.contains(coupon_name) {
        return enter(&mut conn, user_id, coupon_name).await;
    }
    for _ in 0..ATTEMPTS {
        let (attempt, unconfirmed) =
            db::sync_wait::watch(db::claims::claim_one(&mut *conn, user_id, coupon_name)).await;
        let attempt = match attempt {
            // Only a statement that wrote can have waited for a standby.
            Ok(_) if unconfirmed => {
                super::outcome::log_unconfirmed(coupon_name, 1);
                return Err(ClaimError::OutcomeUnknown);
            }
            Ok(attempt) => attempt,
            // A claim by this user committed while this one waited for the row lock.
            Err(e) if db::violates(&e, db::claims::USER_COUPON_KEY) => {
                return Err(ClaimError::AlreadyClaimed);
            }
            Err(e) => return Err(e.into()),
        };
        if attempt.wake {
            crate::webhooks::wake_dispatchers(&mut *conn).await;
        }
        if let (Some(claimed_at), Some(remaining_after)) =
            (attempt.claimed_at, attempt.remaining_after)
        {
            return Decision::Grant { remaining_after }
                .receipt(user_id, coupon_name, Some(claimed_at))
                .map(Taken::Claim);
        }
        // Nothing taken: the call read why in a fresh snapshot; decide as a batch would.
        if !attempt.known {
            return Err(ClaimError::NotFound);
        }
        if attempt.refusal.as_deref() == Some(super::settle::DRAW) {
            draws.learn(coupon_name);
            return enter(&mut conn, user_id, coupon_name).await;
        }
        if let Some(refusal) = Refusal::from_db(attempt.refusal.as_deref(), attempt.starts_at) {
            return Err(ClaimError::Refused(refusal));
        }
        match plan::decide(
            attempt.holds.unwrap_or(false),
            attempt.remaining.unwrap_or(0),
        ) {
            // Stock came back (restocked or released) between the claim and the read: again.
            Decision::Grant { .. } => continue,
            refused => {
                return refused
                    .receipt(user_id, coupon_name, None)
                    .map(Taken::Claim);
            }
        }
    }
    // Stock keeps coming back between the claim and the read: as of the last claim, none was
    // there for this user.
    Err(ClaimError::SoldOut)
}

/// Enters `user_id` in the draw of `coupon_name`.
async fn enter(
    conn: &mut PgConnection,
    user_id: &str,
    coupon_name: &str,
) -> Result<Taken, ClaimError> {
    let users = [user_id.to_owned()];
    let entered = super::entries::enter(conn, coupon_name, &users).await?;
    entered
        .into_iter()
        .next()
        .unwrap_or(Err(ClaimError::Unavailable))
}
