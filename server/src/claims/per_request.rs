//! One transaction (one statement) per claim.

use app::api_types::ClaimReceipt;
use sqlx::PgPool;

use super::ClaimError;
use crate::db;

pub(super) async fn claim(
    pool: &PgPool,
    user_id: &str,
    coupon_name: &str,
) -> Result<ClaimReceipt, ClaimError> {
    let attempt = db::claims::claim_one(pool, user_id, coupon_name).await?;
    let Some(before) = attempt.remaining_before else {
        return Err(ClaimError::NotFound);
    };
    if let (Some(claimed_at), Some(remaining_amount)) =
        (attempt.claimed_at, attempt.remaining_after)
    {
        return Ok(ClaimReceipt {
            user_id: user_id.to_owned(),
            coupon_name: coupon_name.to_owned(),
            claimed_at,
            remaining_amount,
        });
    }
    if before > 0 {
        // Stock was there but the insert hit the unique constraint: this user holds it.
        return Err(ClaimError::AlreadyClaimed);
    }
    // Sold out. The statement's snapshot may predate a claim by this same user that committed
    // while we waited for the row lock, so ask again with a fresh snapshot.
    if db::claims::holds(pool, user_id, coupon_name).await? {
        Err(ClaimError::AlreadyClaimed)
    } else {
        Err(ClaimError::SoldOut)
    }
}
