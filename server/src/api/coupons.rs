//! Coupon handlers: create, change, claim, release, read.

use app::{
    api_types::{ClaimRequest, CouponSummary, NewCoupon},
    sale::{CouponPatch, Release},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};
use sqlx::PgPool;

use super::{
    ApiError,
    extract::{ActorName, ApiJson, ApiPath, validated},
};
use crate::{claims::ClaimEngine, idempotency, rate_limit::RateLimits, sale::Sales};

/// Characters escaped in a path segment: all but RFC 3986 "unreserved" ones.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `POST /api/coupons`: 201 with the coupon and its Location.
pub async fn create(
    State(sales): State<Sales>,
    ActorName(actor): ActorName,
    ApiJson(body): ApiJson<NewCoupon>,
) -> Result<impl IntoResponse, ApiError> {
    let body = validated(body)?;
    // The range rule above guarantees the amount fits an i32.
    let amount = i32::try_from(body.amount)
        .map_err(|_| ApiError::InvalidRequest("amount out of range".into()))?;
    let created = sales
        .create(&actor, &body.name, amount, body.starts_at, body.ends_at)
        .await?;
    let location = format!(
        "/api/coupons/{}",
        utf8_percent_encode(&created.name, PATH_SEGMENT)
    );
    let location = HeaderValue::from_str(&location).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created.with_claimers(Vec::new())),
    ))
}

/// `PATCH /api/coupons/{name}` (admin): amount, pause, window; 200 with the coupon.
pub async fn patch(
    State(sales): State<Sales>,
    ActorName(actor): ActorName,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<CouponSummary>, ApiError> {
    app::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    // Read through a JSON object first: serde would take an array for the struct too.
    let body: CouponPatch = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::InvalidRequest(format!("invalid body: {e}")))?;
    let body = validated(body)?;
    Ok(Json(sales.patch(&actor, &name, &body).await?))
}

/// `PATCH /api/coupons/claim`: a coupon may be named "claim" too.
pub async fn patch_named_claim(
    State(sales): State<Sales>,
    actor: ActorName,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<CouponSummary>, ApiError> {
    patch(
        State(sales),
        actor,
        ApiPath("claim".to_owned()),
        ApiJson(body),
    )
    .await
}

/// `DELETE /api/coupons/{name}/claims/{user_id}` (admin): gives the unit back.
pub async fn release(
    State(sales): State<Sales>,
    ActorName(actor): ActorName,
    ApiPath((name, user_id)): ApiPath<(String, String)>,
) -> Result<Json<Release>, ApiError> {
    app::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    app::validation::check_name(&user_id)
        .map_err(|why| ApiError::InvalidRequest(why.replacen("name", "user_id", 1)))?;
    Ok(Json(sales.release(&actor, &name, &user_id).await?))
}

/// `POST /api/coupons/claim`: 200 with the receipt, or why not. With an `Idempotency-Key`,
/// at most once per key (see [`crate::idempotency`]).
pub async fn claim(
    State(engine): State<ClaimEngine>,
    State(limits): State<RateLimits>,
    State(pool): State<PgPool>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ClaimRequest>,
) -> Result<Response, ApiError> {
    let body = validated(body)?;
    let Some(key) = idempotency::key_of(&headers)? else {
        return Ok(claim_now(engine, limits, body).await);
    };
    let hash = idempotency::fingerprint(&body.user_id, &body.coupon_name);
    let work = claim_now(engine, limits, body);
    Ok(idempotency::once(&pool, key, hash, work).await)
}

/// The claim itself: the per-user rate limit, then the engine.
async fn claim_now(engine: ClaimEngine, limits: RateLimits, body: ClaimRequest) -> Response {
    let rate = limits
        .claim_by_user(&body.user_id)
        .map_err(|wait| ApiError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        });
    let claimed = match rate {
        Ok(()) => engine
            .claim(&body.user_id, &body.coupon_name)
            .await
            .map_err(ApiError::from),
        Err(refused) => Err(refused),
    };
    match claimed {
        Ok(receipt) => Json(receipt).into_response(),
        Err(error) => error.into_response(),
    }
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
