//! The admin's actions on a sale: create, change (amount, pause, window), release a claim, and
//! the audit log entry of each, written in the action's own transaction. The JSON API and the
//! UI's server functions both come here, so both change coupons the same way.

use app::{
    api_types::CouponSummary,
    audit::action,
    sale::{CouponPatch, Release, check_window},
};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{Connection, PgPool};

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
    })
}

impl Sales {
    /// Creates a coupon with its whole stock remaining (name and amount already checked).
    pub async fn create(
        &self,
        actor: &str,
        name: &str,
        amount: i32,
        starts_at: Option<DateTime<Utc>>,
        ends_at: Option<DateTime<Utc>>,
    ) -> Result<CouponSummary, SaleError> {
        check_window(starts_at, ends_at).map_err(SaleError::Invalid)?;
        let mut tx = self.pool.begin().await?;
        let created = db::coupons::insert(&mut *tx, name, amount, starts_at, ends_at)
            .await
            .map_err(|e| {
                if db::violates(&e, db::coupons::NAME_KEY) {
                    SaleError::NameTaken
                } else {
                    e.into()
                }
            })?;
        let after = settings(&created);
        db::audit::append(
            &mut *tx,
            actor,
            action::COUPON_CREATE,
            Some(name),
            None,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        self.live.changed(&created.name);
        Ok(created)
    }

    /// Applies `patch` in one transaction under the coupon's row lock. The amount may shrink
    /// down to the units claimed, never below; the stock moves with it.
    pub async fn patch(
        &self,
        actor: &str,
        name: &str,
        patch: &CouponPatch,
    ) -> Result<CouponSummary, SaleError> {
        let amount = patch.amount.map(i32::try_from).transpose().map_err(|_| {
            SaleError::Invalid("amount must be an integer from 1 to 2147483647".into())
        })?;
        let mut conn = self.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        let before = db::coupons::lock(&mut tx, name)
            .await?
            .ok_or(SaleError::NotFound)?;
        let amount = amount.unwrap_or(before.amount);
        if i64::from(amount) < before.claimed() {
            return Err(SaleError::BelowClaimed {
                claimed: before.claimed(),
            });
        }
        let starts_at = patch.starts_at.unwrap_or(before.starts_at);
        let ends_at = patch.ends_at.unwrap_or(before.ends_at);
        check_window(starts_at, ends_at).map_err(SaleError::Invalid)?;
        let paused = patch.paused.unwrap_or(before.paused);
        let after = db::coupons::patch(&mut tx, name, amount, paused, starts_at, ends_at).await?;
        db::audit::append(
            &mut *tx,
            actor,
            action::COUPON_PATCH,
            Some(name),
            Some(&settings(&before)),
            Some(&settings(&after)),
        )
        .await?;
        tx.commit().await?;
        self.live.changed(name);
        Ok(after)
    }

    /// Gives `user_id`'s unit of `name` back: the claim row goes (its history stays in the audit
    /// log), the stock grows by one, and the user may claim again.
    pub async fn release(
        &self,
        actor: &str,
        name: &str,
        user_id: &str,
    ) -> Result<Release, SaleError> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        db::coupons::lock(&mut tx, name)
            .await?
            .ok_or(SaleError::NotFound)?;
        let released = db::claims::release(&mut tx, user_id, name)
            .await?
            .ok_or(SaleError::ClaimNotFound)?;
        db::audit::append(
            &mut *tx,
            actor,
            action::CLAIM_RELEASE,
            Some(name),
            Some(&json!({
                "user_id": user_id,
                "claim_id": released.claim_id,
                "claimed_at": released.claimed_at,
            })),
            Some(&json!({ "remaining_amount": released.remaining_amount })),
        )
        .await?;
        tx.commit().await?;
        self.live.changed(name);
        Ok(Release {
            user_id: user_id.to_owned(),
            coupon_name: name.to_owned(),
            claimed_at: released.claimed_at,
            released_at: released.released_at,
            remaining_amount: released.remaining_amount,
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
