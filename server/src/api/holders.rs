//! The shop's checkout: does this shopper hold this coupon, and spend the claim (redeem), once.

use app::{contract::api_types::ErrorBody, contract::sale::HeldClaim};
use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use sqlx::PgPool;

use super::{
    ApiError,
    extract::{ActorName, ApiPath, IdempotencyKey},
    idempotency,
    spec::{AdminOnly, BadInput, Busy, ClaimOf},
};
use crate::sale::Sales;

/// A coupon name and a user id from a path, by the input rules (`400` naming the field).
pub(super) fn checked(name: &str, user_id: &str) -> Result<(), ApiError> {
    app::contract::validation::check_name(name).map_err(ApiError::InvalidRequest)?;
    app::contract::validation::check_name(user_id)
        .map_err(|why| ApiError::InvalidRequest(why.replacen("name", "user_id", 1)))
}

/// `GET /api/coupons/{name}/claims/{user_id}`: the claim, one index probe.
#[utoipa::path(
    get,
    path = "/coupons/{name}/claims/{user_id}",
    operation_id = "get_claim",
    tag = "claims",
    summary = "Whether a user holds a coupon: the claim, with its redemption",
    security(("bearer" = []), ("session" = [])),
    params(ClaimOf),
    responses(
        (status = 200, description = "The user holds the coupon", body = HeldClaim),
        (status = 404, description = "`claim_not_found` (no such claim, or no such coupon)", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn get(
    State(sales): State<Sales>,
    ApiPath((name, user_id)): ApiPath<(String, String)>,
) -> Result<Json<HeldClaim>, ApiError> {
    checked(&name, &user_id)?;
    Ok(Json(sales.held(&name, &user_id).await?))
}

/// `POST /api/coupons/{name}/claims/{user_id}/redeem`: spends the claim at checkout, once.
#[utoipa::path(
    post,
    path = "/coupons/{name}/claims/{user_id}/redeem",
    operation_id = "redeem_claim",
    tag = "claims",
    summary = "Redeem a claim (the shop's checkout spends it), once",
    description = "A second redemption is `409 already_redeemed` with the first one's \
        `redeemed_at`; with an `Idempotency-Key`, a retry gets the first answer again. A \
        redeemed claim cannot be released.",
    security(("bearer" = []), ("session" = [])),
    params(
        ClaimOf,
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters")
    ),
    responses(
        (status = 200, description = "Redeemed now", body = HeldClaim),
        (status = 404, description = "`claim_not_found`", body = ErrorBody),
        (status = 409, description = "`already_redeemed` (with `redeemed_at`), or `idempotency_key_in_use`", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn redeem(
    State(sales): State<Sales>,
    State(pool): State<PgPool>,
    ActorName(actor): ActorName,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath((name, user_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    checked(&name, &user_id)?;
    let hash = idempotency::fingerprint(&format!("redeem\0{user_id}"), &name);
    let work = async move {
        match sales.redeem(&actor, &name, &user_id).await {
            Ok(claim) => Json(claim).into_response(),
            Err(error) => ApiError::from(error).into_response(),
        }
    };
    Ok(match key {
        Some(key) => idempotency::once(&pool, key, hash, work).await,
        None => work.await,
    })
}
