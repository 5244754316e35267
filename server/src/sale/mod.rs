//! The sale's own rules outside the claim engine: the admin's actions on a sale (create, change
//! amount, pause or window, release a claim), the shop's check and redemption of a claim, and the
//! audit log entry of each, written in the action's own transaction; and the public read of a
//! coupon answered from memory ([`coupon_cache`]); and the sweep of claims that lapse and of a
//! draw's waitlist ([`sweeper`]). The JSON API and the UI's server functions both come here, so
//! both change coupons the same way.

pub mod coupon_cache;
mod events;
pub mod sweeper;

use app::{
    contract::api_types::CouponSummary,
    contract::audit::action,
    contract::draw::check_draw,
    contract::sale::{CouponPatch, HeldClaim, Release, check_window},
};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{db, live::LiveHub};

/// Why an admin action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SaleError {
    #[error("{0}")]
    Invalid(String),
    #[error("a coupon with this name already exists")]
    NameTaken,
    #[error("no coupon has this name")]
    NotFound,
    #[error("the amount is below the {claimed} units already claimed")]
    BelowClaimed { claimed: i64 },
    #[error("this user holds no claim of this coupon")]
    ClaimNotFound,
    #[error("this claim was redeemed already")]
    AlreadyRedeemed { redeemed_at: DateTime<Utc> },
    #[error("a redeemed claim cannot be released")]
    Redeemed { redeemed_at: DateTime<Utc> },
    /// The operating system gave no random seed for a draw.
    #[error("no random seed for the draw: {0}")]
    NoSeed(getrandom::Error),
    #[error(transparent)]
    Commit(#[from] crate::db::sync_wait::CommitError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Runs admin actions. Cheap to clone.
#[derive(Clone)]
pub struct Sales {
    pub pool: PgPool,
    pub live: LiveHub,
}

/// The audited settings of a coupon.
fn settings(c: &CouponSummary) -> Value {
    json!({
        "amount": c.amount,
        "remaining_amount": c.remaining_amount,
        "paused": c.paused,
        "starts_at": c.starts_at,
        "ends_at": c.ends_at,
        "allocation": c.allocation,
        "draw": c.draw.as_ref().map(|d| json!({
            "commitment": d.commitment,
            "draw_at": d.draw_at,
            "beacon_required": d.beacon_required,
        })),
        "redeem_within": c.redeem_within,
    })
}

impl Sales {
    /// Creates a coupon with its whole stock remaining (name and amount already checked). A draw
    /// coupon gets its secret seed here, kept in the same transaction, and publishes its
    /// commitment from the start (docs/draw.md).
    pub async fn create(
        &self,
        actor: &str,
        sale: db::coupons::NewSale<'_>,
    ) -> Result<CouponSummary, SaleError> {
        check_window(sale.starts_at, sale.ends_at).map_err(SaleError::Invalid)?;
        let draw_at = check_draw(
            sale.allocation,
            sale.ends_at,
            sale.draw_at,
            sale.beacon_required,
        )
        .map_err(SaleError::Invalid)?;
        let seed = match draw_at {
            Some(_) => Some(crate::draw::ticket::new_seed().map_err(SaleError::NoSeed)?),
            None => None,
        };
        let commitment = seed.as_ref().map(crate::draw::ticket::commitment);
        let sale = db::coupons::NewSale {
            draw_at,
            commitment: commitment.as_deref(),
            ..sale
        };
        let mut tx = self.pool.begin().await?;
        let created = db::coupons::insert(&mut *tx, sale).await.map_err(|e| {
            if db::violates(&e, db::coupons::NAME_KEY) {
                SaleError::NameTaken
            } else {
                e.into()
            }
        })?;
        if let Some(seed) = &seed {
            db::draws::keep_seed(&mut tx, sale.name, seed).await?;
        }
        let after = settings(&created);
        db::audit::append(
            &mut *tx,
            actor,
            action::COUPON_CREATE,
            Some(sale.name),
            None,
            Some(&after),
        )
        .await?;
        db::sync_wait::commit(tx).await?;
        self.live.changed(&created.name);
        Ok(created)
    }

    /// Applies `patch` in one call under the coupon's row lock (`db::coupons::change`). The
    /// amount may shrink down to the units claimed, never below; the stock moves with it.
    pub async fn patch(
        &self,
        actor: &str,
        name: &str,
        patch: &CouponPatch,
    ) -> Result<CouponSummary, SaleError> {
        let amount = patch.amount.map(i32::try_from).transpose().map_err(|_| {
            SaleError::Invalid("amount must be an integer from 1 to 2147483647".into())
        })?;
        let change = db::coupons::Change {
            amount,
            paused: patch.paused,
            starts_at: patch.starts_at,
            ends_at: patch.ends_at,
        };
        let call = db::coupons::change(&self.pool, name, actor, action::COUPON_PATCH, change);
        let changed = match db::sync_wait::call(call).await {
            Err(db::sync_wait::CommitError::Database(e))
                if db::violates(&e, db::coupons::DRAW_SETTINGS_CHECK) =>
            {
                return Err(SaleError::Invalid(
                    "a draw coupon keeps an ends_at, no later than its draw_at".into(),
                ));
            }
            changed => changed?,
        };
        match changed.outcome.as_deref() {
            None => {}
            Some("below_claimed") => {
                return Err(SaleError::BelowClaimed {
                    claimed: changed.claimed.unwrap_or_default(),
                });
            }
            Some("bad_window") => {
                let refusal = check_window(changed.starts_at, changed.ends_at).err();
                return Err(SaleError::Invalid(refusal.unwrap_or_default()));
            }
            Some(_) => return Err(SaleError::NotFound),
        }
        events::wake(&self.pool, changed.wake).await;
        self.live.changed(name);
        // The allocation, redeem_within and the draw's settings: set at creation, not by a patch.
        let settled = db::coupons::find(&self.pool, name).await?;
        let (allocation, redeem_within, draw) = settled
            .map(|c| (c.allocation, c.redeem_within, c.draw))
            .unwrap_or_default();
        Ok(CouponSummary {
            allocation,
            redeem_within,
            draw,
            name: changed.name.unwrap_or_else(|| name.to_owned()),
            amount: changed.amount.unwrap_or_default(),
            remaining_amount: changed.remaining_amount.unwrap_or_default(),
            paused: changed.paused.unwrap_or_default(),
            starts_at: changed.starts_at,
            ends_at: changed.ends_at,
            created_at: changed.created_at.unwrap_or_default(),
        })
    }

    /// Gives `user_id`'s unit of `name` back: the claim row goes (its history stays in the audit
    /// log), the stock grows by one, and the user may claim again. One call
    /// (`db::claims::release`).
    pub async fn release(
        &self,
        actor: &str,
        name: &str,
        user_id: &str,
    ) -> Result<Release, SaleError> {
        let call = db::claims::release(&self.pool, user_id, name, actor, action::CLAIM_RELEASE);
        let released = db::sync_wait::call(call).await?;
        if !released.known {
            return Err(SaleError::NotFound);
        }
        let (Some(claimed_at), Some(released_at), Some(remaining_amount)) = (
            released.claimed_at,
            released.released_at,
            released.remaining,
        ) else {
            return Err(match released.redeemed_at {
                Some(redeemed_at) => SaleError::Redeemed { redeemed_at },
                None => SaleError::ClaimNotFound,
            });
        };
        events::wake(&self.pool, released.wake).await;
        self.live.changed(name);
        Ok(Release {
            user_id: user_id.to_owned(),
            coupon_name: name.to_owned(),
            claimed_at,
            released_at,
            remaining_amount,
        })
    }

    /// Redeems `user_id`'s claim of `name` for `actor` (the shop's checkout): once, audited, in
    /// one call (`db::claims::redeem`). A second redemption is refused with the first one's time.
    pub async fn redeem(
        &self,
        actor: &str,
        name: &str,
        user_id: &str,
    ) -> Result<HeldClaim, SaleError> {
        let call = db::claims::redeem(&self.pool, user_id, name, actor, action::CLAIM_REDEEM);
        let redeemed = db::sync_wait::call(call).await?;
        let (Some(claimed_at), Some(redeemed_at)) = (redeemed.claimed_at, redeemed.redeemed_at)
        else {
            return Err(SaleError::ClaimNotFound);
        };
        if !redeemed.redeemed {
            return Err(SaleError::AlreadyRedeemed { redeemed_at });
        }
        events::wake(&self.pool, redeemed.wake).await;
        Ok(HeldClaim {
            user_id: user_id.to_owned(),
            coupon_name: name.to_owned(),
            claimed_at,
            redeemed_at: Some(redeemed_at),
        })
    }

    /// `user_id`'s claim of `name`, if any (one index probe).
    pub async fn held(&self, name: &str, user_id: &str) -> Result<HeldClaim, SaleError> {
        let held = db::claims::held(&self.pool, user_id, name)
            .await?
            .ok_or(SaleError::ClaimNotFound)?;
        Ok(HeldClaim {
            user_id: user_id.to_owned(),
            coupon_name: name.to_owned(),
            claimed_at: held.claimed_at,
            redeemed_at: held.redeemed_at,
        })
    }

    /// Records a sign-in attempt of `actor` (its address): a success with the session it opened,
    /// or a failure. A failure to record is logged here, not raised: a sign-in is not refused
    /// because the audit log could not be written.
    pub async fn record_sign_in(&self, actor: &str, session: Option<&str>) {
        let (what, after) = match session {
            Some(id) => (
                action::SIGNIN_SUCCESS,
                Some(json!({ "session": format!("session:{id}") })),
            ),
            None => (action::SIGNIN_FAILURE, None),
        };
        let append = db::audit::append(&self.pool, actor, what, None, None, after.as_ref());
        if let Err(error) = append.await {
            tracing::error!(%error, action = what, "could not write the audit log");
        }
    }
}
