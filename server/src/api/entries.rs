//! A shopper's entry in a draw: where it stands, for the shopper (a shopper token of that user,
//! from the shop's page too), the shop's backend (a `claim` or `read` key) and the admin.

use app::contract::{
    api_keys::Scope,
    api_types::ErrorBody,
    draw::{EntryState, EntryStatus},
};
use axum::{Extension, Json, extract::State};
use sqlx::PgPool;

use super::{
    ApiError,
    extract::ApiPath,
    spec::{AdminOnly, BadInput, Busy, ClaimOf},
};
use crate::{
    credentials::{AdminAuth, caller::Caller},
    db,
};

/// `GET /api/coupons/{name}/entries/{user_id}`.
#[utoipa::path(
    get,
    path = "/coupons/{name}/entries/{user_id}",
    operation_id = "get_entry",
    tag = "draws",
    summary = "Where a user's entry in a draw stands",
    description = "For the admin, an API key with `claim` or `read`, or a shopper token whose \
        subject is the user (from the shop's page too, through CORS).",
    security(("bearer" = []), ("session" = [])),
    params(ClaimOf),
    responses(
        (status = 200, description = "`entered` (not drawn yet), `won`, `waitlisted` (with its place in line) or `lost` (had a unit that went back)", body = EntryStatus),
        (status = 404, description = "`coupon_not_found` or `entry_not_found` (also for a first_come coupon)", body = ErrorBody),
        (status = 403, description = "`token_mismatch`: a shopper token of another user or coupon", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn status(
    State(pool): State<PgPool>,
    State(auth): State<AdminAuth>,
    caller: Option<Extension<Caller>>,
    ApiPath((name, user_id)): ApiPath<(String, String)>,
) -> Result<Json<EntryStatus>, ApiError> {
    super::holders::checked(&name, &user_id)?;
    admitted(&auth, caller.as_deref(), &name, &user_id)?;
    let row = db::entries::status(&pool, &name, &user_id)
        .await?
        .ok_or(ApiError::CouponNotFound)?;
    if !row.draw || !row.entered {
        return Err(ApiError::EntryNotFound);
    }
    let state = match (row.drawn, row.given, row.holds) {
        (false, _, _) => EntryState::Entered,
        (true, true, true) => EntryState::Won,
        (true, true, false) => EntryState::Lost,
        (true, false, _) => EntryState::Waitlisted,
    };
    let count = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
    Ok(Json(EntryStatus {
        state,
        rank: count(row.rank),
        waitlist_position: count(row.waitlist_position).filter(|_| state == EntryState::Waitlisted),
    }))
}

/// Who may read `user_id`'s entry of `name`: the admin (or anyone while the admin is open), a
/// key with `claim` or `read`, or that user's shopper token (for this coupon, if it names one).
fn admitted(
    auth: &AdminAuth,
    caller: Option<&Caller>,
    name: &str,
    user_id: &str,
) -> Result<(), ApiError> {
    match caller {
        Some(Caller::Admin(_)) => Ok(()),
        Some(Caller::Key(key)) => {
            if [Scope::Claim, Scope::Read]
                .iter()
                .any(|s| s.granted_by(&key.scopes))
            {
                Ok(())
            } else {
                Err(ApiError::InsufficientScope(Scope::Read))
            }
        }
        Some(Caller::Shopper(shopper)) => {
            if shopper.user_id != user_id {
                Err(ApiError::TokenMismatch("user_id"))
            } else if shopper.coupon.as_deref().is_some_and(|c| c != name) {
                Err(ApiError::TokenMismatch("coupon"))
            } else {
                Ok(())
            }
        }
        // The guard lets an anonymous caller through only while the admin is open.
        Some(Caller::Anonymous) | None if !auth.required() => Ok(()),
        Some(Caller::Anonymous) | None => Err(ApiError::ClaimUnauthorized(
            "the admin, an API key with claim or read, or the user's shopper token",
        )),
    }
}
