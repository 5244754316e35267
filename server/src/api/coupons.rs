//! Coupon handlers: create, claim, read.

use app::api_types::{ClaimReceipt, ClaimRequest, Coupon, NewCoupon};
use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sqlx::PgPool;

use super::{
    ApiError,
    extract::{ApiJson, ApiPath, validated},
};
use crate::{claims::ClaimEngine, db, live::LiveHub, rate_limit::RateLimits};

/// Characters escaped in a path segment: all but RFC 3986 "unreserved" ones.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `POST /api/coupons`: 201 with the coupon and its Location.
pub async fn create(
    State(pool): State<PgPool>,
    State(live): State<LiveHub>,
    ApiJson(body): ApiJson<NewCoupon>,
) -> Result<impl IntoResponse, ApiError> {
    let body = validated(body)?;
    // The range rule above guarantees the amount fits an i32.
    let amount = i32::try_from(body.amount)
        .map_err(|_| ApiError::InvalidRequest("amount out of range".into()))?;
    let created = db::coupons::insert(&pool, &body.name, amount)
        .await
        .map_err(|e| {
            if db::violates(&e, db::coupons::NAME_KEY) {
                ApiError::CouponExists
            } else {
                e.into()
            }
        })?;
    // Dashboards of all coupons show the new one (on every process, via the live publisher).
    live.changed(&created.name);
    let location = format!(
        "/api/coupons/{}",
        utf8_percent_encode(&created.name, PATH_SEGMENT)
    );
    let coupon = Coupon {
        name: created.name,
        amount: created.amount,
        remaining_amount: created.remaining_amount,
        claimed_by: Vec::new(),
        created_at: created.created_at,
    };
    let location = HeaderValue::from_str(&location).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(coupon),
    ))
}

/// `POST /api/coupons/claim`: 200 with the receipt, or why not.
pub async fn claim(
    State(engine): State<ClaimEngine>,
    State(limits): State<RateLimits>,
    ApiJson(body): ApiJson<ClaimRequest>,
) -> Result<Json<ClaimReceipt>, ApiError> {
    let body = validated(body)?;
    limits
        .claim_by_user(&body.user_id)
        .map_err(|wait| ApiError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        })?;
    Ok(Json(engine.claim(&body.user_id, &body.coupon_name).await?))
}

/// `GET /api/coupons/{name}`: the coupon with its claimers in claim order.
pub async fn get(
    State(pool): State<PgPool>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    super::coupon_read::read(&pool, &name).await
}

/// `GET /api/coupons/claim`: a coupon may be named "claim" too.
pub async fn get_named_claim(State(pool): State<PgPool>) -> Result<Response, ApiError> {
    super::coupon_read::read(&pool, "claim").await
}
