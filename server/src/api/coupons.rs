//! Coupon handlers: create, change, claim, release, read.

use app::{
    contract::api_types::{
        ClaimReceipt, ClaimRequest, Coupon, CouponSummary, ErrorBody, NewCoupon,
    },
    contract::draw::EntryReceipt,
    contract::sale::{CouponPatch, Release},
};
use axum::{
    Extension, Json,
    extract::{OriginalUri, State},
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};
use sqlx::PgPool;

use super::{
    ApiError,
    claimant::Claimant,
    extract::{ActorName, ApiJson, ApiPath, IdempotencyKey, validated},
    idempotency,
    spec::{AdminOnly, BadInput, Busy, ClaimOf, CouponName, CouponNotFound, JsonBody},
};
use crate::{
    claims::{ClaimEngine, Taken},
    credentials::caller::Caller,
    http::rate_limit::RateLimits,
    sale::Sales,
    sale::coupon_cache::CouponReads,
};

/// `POST /api/coupons`: 201 with the coupon and its Location.
#[utoipa::path(
    post,
    path = "/coupons",
    operation_id = "create_coupon",
    tag = "admin",
    summary = "Create a coupon",
    security(("bearer" = []), ("session" = [])),
    request_body = NewCoupon,
    responses(
        (status = 201, description = "Created; `Location` names the coupon", body = Coupon,
            headers(("Location" = String, description = "/api/coupons/{name}, percent-encoded")),
            links(
                ("ClaimIt" = (operation_id = "claim_coupon",
                    request_body = json!({"coupon_name": "$response.body#/name"}),
                    description = "Claim a unit of the new coupon (any `user_id`)")),
                ("ReadIt" = (operation_id = "get_coupon",
                    parameters(("name" = "$response.body#/name")),
                    description = "The coupon `Location` names")),
                ("ChangeIt" = (operation_id = "patch_coupon",
                    parameters(("name" = "$response.body#/name")))),
                ("ItsClaims" = (operation_id = "list_claims",
                    parameters(("name" = "$response.body#/name"))))
            )),
        (status = 409, description = "`coupon_exists`", body = ErrorBody),
        JsonBody, AdminOnly, Busy
    )
)]
pub async fn create(
    State(sales): State<Sales>,
    ActorName(actor): ActorName,
    ApiJson(body): ApiJson<NewCoupon>,
) -> Result<impl IntoResponse, ApiError> {
    let body = validated(body)?;
    // The range rule above guarantees the amount fits an i32.
    let amount = i32::try_from(body.amount)
        .map_err(|_| ApiError::InvalidRequest("amount out of range".into()))?;
    let sale = crate::db::coupons::NewSale {
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        allocation: body.allocation,
        draw_at: body.draw_at,
        beacon_required: body.beacon_required,
        // The range rule above keeps it in an i32.
        redeem_within: body.redeem_within.and_then(|s| i32::try_from(s).ok()),
        ..crate::db::coupons::NewSale::first_come(&body.name, amount)
    };
    let created = sales.create(&actor, sale).await?;
    let location = format!("/api/coupons/{}", app::contract::url::encode(&created.name));
    let location = HeaderValue::from_str(&location).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created.with_claimers(Vec::new())),
    ))
}

/// `PATCH /api/coupons/{name}` (admin): amount, pause, window; 200 with the coupon.
#[utoipa::path(
    patch,
    path = "/coupons/{name}",
    operation_id = "patch_coupon",
    tag = "admin",
    summary = "Change a sale: stock, pause, window",
    security(("bearer" = []), ("session" = [])),
    params(CouponName),
    request_body = CouponPatch,
    responses(
        (status = 200, description = "The coupon as changed", body = CouponSummary),
        (status = 409, description = "`below_claimed`: the stock would be below the claims", body = ErrorBody),
        CouponNotFound, JsonBody, AdminOnly, Busy
    )
)]
pub async fn patch(
    State(sales): State<Sales>,
    ActorName(actor): ActorName,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<CouponSummary>, ApiError> {
    app::contract::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    // Read through a JSON object first: serde would take an array for the struct too.
    let body: CouponPatch = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::InvalidRequest(format!("invalid body: {e}")))?;
    let body = validated(body)?;
    Ok(Json(sales.patch(&actor, &name, &body).await?))
}

/// `PATCH /api/coupons/claim`: a coupon may be named "claim" too.
#[utoipa::path(
    patch,
    path = "/coupons/claim",
    operation_id = "patch_coupon_named_claim",
    tag = "admin",
    summary = "Change the sale of the coupon named `claim`",
    security(("bearer" = []), ("session" = [])),
    request_body = CouponPatch,
    responses(
        (status = 200, description = "The coupon as changed", body = CouponSummary),
        (status = 409, description = "`below_claimed`", body = ErrorBody),
        CouponNotFound, JsonBody, AdminOnly, Busy
    )
)]
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
#[utoipa::path(
    delete,
    path = "/coupons/{name}/claims/{user_id}",
    operation_id = "release_claim",
    tag = "admin",
    summary = "Release a claim: the unit goes back to the stock",
    security(("bearer" = []), ("session" = [])),
    params(ClaimOf),
    responses(
        (status = 200, description = "The released claim", body = Release),
        (status = 409, description = "`redeemed` (with `redeemed_at`): a spent claim gives no unit back", body = ErrorBody),
        (status = 404, description = "`coupon_not_found` or `claim_not_found`", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn release(
    State(sales): State<Sales>,
    ActorName(actor): ActorName,
    ApiPath((name, user_id)): ApiPath<(String, String)>,
) -> Result<Json<Release>, ApiError> {
    super::holders::checked(&name, &user_id)?;
    Ok(Json(sales.release(&actor, &name, &user_id).await?))
}

/// `POST /api/coupons/claim`: 200 with the receipt, or why not. With an `Idempotency-Key`,
/// at most once per key (see [`super::idempotency`]).
#[utoipa::path(
    post,
    path = "/coupons/claim",
    operation_id = "claim_coupon",
    tag = "claims",
    summary = "Claim one unit of a coupon for a user",
    description = "A `200` is durable: the claim is on disk before the answer. A user holds a \
        coupon at most once. With an `Idempotency-Key`, a retry gets the first answer again. \
        Who claims depends on CLAIM_AUTH: the body's `user_id` without credentials (`open`) or \
        with an API key of scope `claim` (`key`), or a shopper token's subject (`token`).",
    security(()),
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters; retries with the same key and body get the first answer")),
    request_body = ClaimRequest,
    responses(
        (status = 200, description = "Claimed", body = ClaimReceipt,
            links(
                ("ReleaseIt" = (operation_id = "release_claim",
                    parameters(("name" = "$request.body#/coupon_name"), ("user_id" = "$request.body#/user_id")),
                    description = "Give the unit back (admin)")),
                ("ClaimAgain" = (operation_id = "claim_coupon",
                    request_body = "$request.body",
                    description = "The same claim again: `already_claimed`")),
                ("ReadIt" = (operation_id = "get_coupon",
                    parameters(("name" = "$request.body#/coupon_name")),
                    description = "The coupon, now with this claimer"))
            )),
        (status = 202, description = "A `draw` coupon: entered in its draw (durable); the draw at `draw_at` decides", body = EntryReceipt),
        (status = 409, description = "`already_claimed`, `sold_out`, `paused`, `not_started` (with `starts_at`), `ended`, or `idempotency_key_in_use`; for a `draw` coupon `already_entered` and `entries_closed`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: this server's CLAIM_AUTH needs a key or a token; `invalid_key`; `invalid_token` (with `reason`: `expired`, `bad_signature`, `wrong_audience`, `malformed`, ...)", body = ErrorBody),
        (status = 403, description = "`insufficient_scope` (the key lacks `claim`), `token_mismatch` (the body's `user_id` or coupon is not the token's), `cross_site_request` (a browser on an origin not in CORS_ALLOWED_ORIGINS)", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: the key came with another body", body = ErrorBody),
        (status = 429, description = "`rate_limited`: this address, user or key claims too fast", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`unavailable`, `timeout` or `claim_outcome_unknown` (retry: the answer tells)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        CouponNotFound, JsonBody
    )
)]
pub async fn claim(
    State(engine): State<ClaimEngine>,
    State(limits): State<RateLimits>,
    State(pool): State<PgPool>,
    claimant: Claimant,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<ClaimRequest>,
) -> Result<Response, ApiError> {
    let body = validated(body)?;
    let user_id = claimant.user_for(&body)?;
    let coupon = body.coupon_name;
    let Some(key) = key else {
        return Ok(claim_now(engine, limits, user_id, coupon).await);
    };
    let hash = idempotency::fingerprint(&user_id, &coupon);
    let work = claim_now(engine, limits, user_id, coupon);
    Ok(idempotency::once(&pool, key, hash, work).await)
}

/// The claim itself: the per-user rate limit, then the engine.
async fn claim_now(
    engine: ClaimEngine,
    limits: RateLimits,
    user_id: String,
    coupon: String,
) -> Response {
    let rate = limits.claim_by_user(&user_id).map_err(ApiError::from);
    let claimed = match rate {
        Ok(()) => engine
            .claim(&user_id, &coupon)
            .await
            .map_err(ApiError::from),
        Err(refused) => Err(refused),
    };
    match claimed {
        Ok(Taken::Claim(receipt)) => Json(receipt).into_response(),
        Ok(Taken::Entry(entry)) => (StatusCode::ACCEPTED, Json(entry)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET /api/coupons/{name}`: the coupon with its claimers in claim order.
#[utoipa::path(
    get,
    path = "/coupons/{name}",
    operation_id = "get_coupon",
    tag = "claims",
    summary = "Read a coupon with its claimers in claim order",
    security(()),
    params(CouponName),
    responses(
        (status = 200, description = "The coupon; without `claimed_by` for callers without admin rights when the server runs with `PUBLIC_CLAIMERS=false`", body = Coupon),
        CouponNotFound, BadInput, Busy
    )
)]
pub async fn get(
    State(pool): State<PgPool>,
    State(reads): State<CouponReads>,
    caller: Option<Extension<Caller>>,
    OriginalUri(uri): OriginalUri,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    let with_claimers = sees_claimers(&reads, caller.as_deref(), uri.path());
    super::coupon_read::read(&pool, &reads, &name, with_claimers).await
}

/// True when `caller` gets the claimers' ids in the `GET` of `path` (`PUBLIC_CLAIMERS`).
fn sees_claimers(reads: &CouponReads, caller: Option<&Caller>, path: &str) -> bool {
    reads.public_claimers || caller.is_some_and(|c| c.reads_admin_data(&Method::GET, path))
}

/// `GET /api/coupons/claim`: a coupon may be named "claim" too.
#[utoipa::path(
    get,
    path = "/coupons/claim",
    operation_id = "get_coupon_named_claim",
    tag = "claims",
    summary = "Read the coupon named `claim`",
    security(()),
    responses(
        (status = 200, description = "The coupon", body = Coupon),
        CouponNotFound, Busy
    )
)]
pub async fn get_named_claim(
    State(pool): State<PgPool>,
    State(reads): State<CouponReads>,
    caller: Option<Extension<Caller>>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let with_claimers = sees_claimers(&reads, caller.as_deref(), uri.path());
    super::coupon_read::read(&pool, &reads, "claim", with_claimers).await
}
