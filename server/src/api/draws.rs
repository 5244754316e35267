//! A draw coupon's draw (docs/draw.md): its public proof, the admin's "Draw now", and the
//! beacon the admin gives after the window closed.

use app::contract::{
    api_types::{CouponSummary, ErrorBody},
    audit::action,
    draw::{DrawProof, NewBeacon},
};
use axum::{Json, extract::State};
use sqlx::PgPool;

use super::{
    ApiError,
    extract::{ActorName, ApiJson, ApiPath},
    spec::{AdminOnly, BadInput, Busy, CouponName, CouponNotFound, JsonBody},
};
use crate::{
    db,
    draw::{
        published::{self, Proof},
        run::{self, Outcome},
    },
    live::LiveHub,
};

/// `GET /api/coupons/{name}/draw`: the public proof, once drawn.
#[utoipa::path(
    get,
    path = "/coupons/{name}/draw",
    operation_id = "get_draw",
    tag = "draws",
    summary = "The proof of a draw coupon's draw, once drawn",
    security(()),
    params(CouponName),
    responses(
        (status = 200, description = "The proof: check it with docs/draw.md's verifier", body = DrawProof),
        (status = 409, description = "`not_a_draw` (a first_come coupon) or `not_drawn` (not yet)", body = ErrorBody),
        CouponNotFound, BadInput, Busy
    )
)]
pub async fn proof(
    State(pool): State<PgPool>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<DrawProof>, ApiError> {
    drawn(&pool, &name).await.map(Json)
}

/// The proof of `name`'s draw, or why there is none.
pub(super) async fn drawn(pool: &PgPool, name: &str) -> Result<DrawProof, ApiError> {
    app::contract::validation::check_name(name).map_err(ApiError::InvalidRequest)?;
    match published::proof(pool, name).await? {
        Proof::Drawn(proof) => Ok(proof),
        Proof::NotFound => Err(ApiError::CouponNotFound),
        Proof::NotADraw => Err(ApiError::NotADraw),
        Proof::NotDrawn => Err(ApiError::NotDrawn),
    }
}

/// `POST /api/coupons/{name}/draw` (admin): draws now, once the window has closed.
#[utoipa::path(
    post,
    path = "/coupons/{name}/draw",
    operation_id = "run_draw",
    tag = "draws",
    summary = "Draw now (the draw also runs by itself at draw_at)",
    description = "Runs the draw once the entry window has closed, even before `draw_at`. \
        Exactly once across processes: a draw already made answers its proof again.",
    security(("bearer" = []), ("session" = [])),
    params(CouponName),
    responses(
        (status = 200, description = "Drawn (now or before): the proof", body = DrawProof),
        (status = 409, description = "`not_a_draw`, `entries_open` (the window has not closed) or `beacon_missing` (the coupon requires a beacon)", body = ErrorBody),
        CouponNotFound, BadInput, AdminOnly, Busy
    )
)]
pub async fn run(
    State(pool): State<PgPool>,
    State(live): State<LiveHub>,
    ActorName(actor): ActorName,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<DrawProof>, ApiError> {
    app::contract::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    match run::draw_now(&pool, &live, &name, &actor).await? {
        Outcome::Drawn { .. } | Outcome::AlreadyDrawn => drawn(&pool, &name).await.map(Json),
        Outcome::NotFound => Err(ApiError::CouponNotFound),
        Outcome::FirstCome => Err(ApiError::NotADraw),
        Outcome::Open => Err(ApiError::EntriesOpen),
        Outcome::BeaconMissing => Err(ApiError::BeaconMissing),
    }
}

/// `POST /api/coupons/{name}/draw/beacon` (admin): the beacon, once the window has closed.
#[utoipa::path(
    post,
    path = "/coupons/{name}/draw/beacon",
    operation_id = "give_beacon",
    tag = "draws",
    summary = "Give the draw's beacon: a public random value published after the window closed",
    description = "The draw's key becomes sha256(seed || beacon), so nobody, the operator \
        included, could know the outcome while entries were open. Given once: the same value \
        again changes nothing.",
    security(("bearer" = []), ("session" = [])),
    params(CouponName),
    request_body = NewBeacon,
    responses(
        (status = 200, description = "Given: the coupon with its draw", body = CouponSummary),
        (status = 409, description = "`not_a_draw`, `entries_open` (the window has not closed), `already_drawn`, `beacon_given` (another beacon was given)", body = ErrorBody),
        CouponNotFound, JsonBody, AdminOnly, Busy
    )
)]
pub async fn beacon(
    State(pool): State<PgPool>,
    ActorName(actor): ActorName,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<NewBeacon>,
) -> Result<Json<CouponSummary>, ApiError> {
    app::contract::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    let given = body.checked().map_err(ApiError::InvalidRequest)?;
    let call = db::draws::give_beacon(&pool, &name, given, &actor, action::DRAW_BEACON);
    let call = db::sync_wait::call(call).await?;
    match call.outcome.as_deref() {
        None => {}
        Some("not_found") => return Err(ApiError::CouponNotFound),
        Some("not_a_draw") => return Err(ApiError::NotADraw),
        Some("entries_open") => return Err(ApiError::EntriesOpen),
        Some("drawn") => return Err(ApiError::AlreadyDrawn),
        Some(_) => return Err(ApiError::BeaconGiven),
    }
    db::coupons::find(&pool, &name)
        .await?
        .map(Json)
        .ok_or(ApiError::CouponNotFound)
}
