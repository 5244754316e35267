//! The shoppers' stock reads: `GET /api/coupons/{name}/stock` and its stream `/stock/events`,
//! public, answered from this process's memory (`live::stock`), never with claimer ids.

use app::contract::api_types::CouponStock;
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use axum_extra::headers::{ETag, HeaderMapExt, IfNoneMatch};
use tokio_util::sync::CancellationToken;

use super::{
    ApiError,
    extract::ApiPath,
    spec::{BadInput, Busy, CouponName, CouponNotFound, ServerSentEvent, StreamFull},
};
use crate::live::{
    LiveHub,
    sse::{self, PublicStock},
    stock::{self, StockReads},
};

/// Shared caches (a CDN, the shop's) may keep an answer for a second.
const CACHE_CONTROL: &str = "public, max-age=1";

/// `GET /api/coupons/{name}/stock`: `304` when `If-None-Match` names the current `ETag`.
#[utoipa::path(
    get,
    path = "/coupons/{name}/stock",
    operation_id = "coupon_stock",
    tag = "claims",
    summary = "The stock of a coupon, from memory (for shoppers' pages)",
    security(()),
    params(CouponName),
    responses(
        (status = 200, description = "The coupon's stock, at most about two LIVE_REFRESH_MS rounds behind the database; `ETag` from version and status, `Cache-Control: public, max-age=1`. While the process takes claims, reads are paced to STOCK_READS_PER_SEC_DURING_CLAIMS (a read that would wait over a second is `503 unavailable`)", body = CouponStock,
            headers(("ETag" = String, description = "Send it back as `If-None-Match`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
        CouponNotFound, BadInput, Busy
    )
)]
pub async fn read(
    State(reads): State<StockReads>,
    headers: HeaderMap,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    app::contract::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    if !reads.turn().await {
        return Err(ApiError::Unavailable);
    }
    let rx = reads.find(&name).await?.ok_or(ApiError::CouponNotFound)?;
    let state = stock::public(&rx.borrow());
    let etag = etag(&state);
    // A missing or malformed `If-None-Match` is no condition: the stock is sent.
    let unchanged = match (headers.typed_get::<IfNoneMatch>(), etag.parse::<ETag>()) {
        (Some(condition), Ok(tag)) => !condition.precondition_passes(&tag),
        _ => false,
    };
    let cache = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, CACHE_CONTROL.to_owned()),
    ];
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((cache, Json(state)).into_response())
}

/// A weak tag: the same version and status is the same stock (`now` moves on regardless).
fn etag(state: &CouponStock) -> String {
    let status = serde_json::to_value(state.status).unwrap_or_default();
    format!(
        "W/\"{}-{}\"",
        state.version,
        status.as_str().unwrap_or_default()
    )
}

/// `GET /api/coupons/{name}/stock/events`: the same state on connect and on every change.
#[utoipa::path(
    get,
    path = "/coupons/{name}/stock/events",
    operation_id = "coupon_stock_events",
    tag = "claims",
    summary = "The stock of a coupon as it changes (server-sent events, for shoppers' pages)",
    security(()),
    params(CouponName),
    responses(
        (status = 200, description = "Event `stock` with the JSON of `GET /stock` on connect and after every change (coalesced to LIVE_COALESCE_MS); ids are versions; no claimer ids", content_type = "text/event-stream", body = ServerSentEvent),
        CouponNotFound, BadInput, StreamFull
    )
)]
pub async fn events(
    State(reads): State<StockReads>,
    State(hub): State<LiveHub>,
    State(shutdown): State<CancellationToken>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    app::contract::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    let place = hub.admit().ok_or(ApiError::TooManySubscribers)?;
    let rx = reads.find(&name).await?.ok_or(ApiError::CouponNotFound)?;
    let settings = hub.settings();
    let stream = PublicStock::follow(rx, settings.coalesce, shutdown);
    Ok(sse::respond(stream, settings.keep_alive, place))
}
