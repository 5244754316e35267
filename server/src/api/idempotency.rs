//! `Idempotency-Key` on claims, with Stripe's semantics, stored in PostgreSQL so that any server
//! process replays any key.
//!
//! - The first request with a key takes it (a row "in progress") and runs; its final answer
//!   (status and body) is stored with the key.
//! - The same key with the same body within 24 hours gets that answer again, with
//!   `Idempotent-Replayed: true`; with another body, `422 idempotency_key_reused`.
//! - While the first request runs, another one with its key gets `409 idempotency_key_in_use`.
//! - Only final answers are stored: `200`, and the `404`/`409` of the claim rules. A passing
//!   failure (`429`, `503`, `500`) frees the key, so a retry runs the claim again; that is safe,
//!   because a claim is itself idempotent per user and coupon (a retry of a claim that did
//!   commit answers `already_claimed`).
//! - A key whose owner died mid-way (process killed) is free again after [`STALE`].
//! - Keys older than [`TTL`] are purged in the background.

use std::{future::Future, time::Duration};

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::ApiError;
use crate::db::{self, idempotency::Taken};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header of a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a key's answer is replayed.
pub const TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a key may stay in progress before another request may take it over: longer than any
/// claim can run (the request timeout, 30 s by default, which includes the flush to disk).
pub const STALE: Duration = Duration::from_secs(120);
/// Longest key, in characters.
const MAX_KEY_CHARS: usize = 255;
/// Largest body stored (a claim's answer is a few hundred bytes).
const MAX_STORED_BODY: usize = 64 * 1024;

/// The key of a request, if it has one: 1 to 255 visible ASCII characters, else `400`.
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_CHARS || !bytes.iter().all(u8::is_ascii_graphic) {
        return Err(ApiError::InvalidRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        ));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// "The same body": a digest of the claim's canonical fields (validated to hold no control
/// character, so the NUL separator is unambiguous).
pub fn fingerprint(user_id: &str, coupon_name: &str) -> Vec<u8> {
    let mut digest = Sha256::new();
    digest.update(user_id.as_bytes());
    digest.update([0]);
    digest.update(coupon_name.as_bytes());
    digest.finalize().to_vec()
}

/// Runs `work` at most once per key (see the module docs) and answers for it.
///
/// `work` runs on a task of its own, so a client that hangs up cannot leave its key in progress:
/// the answer is stored (or the key freed) whatever the client does.
pub async fn once<F>(pool: &PgPool, key: String, hash: Vec<u8>, work: F) -> Response
where
    F: Future<Output = Response> + Send + 'static,
{
    let taken =
        db::idempotency::take(pool, &key, &hash, TTL.as_secs_f64(), STALE.as_secs_f64()).await;
    match taken {
        Err(error) => ApiError::from(error).into_response(),
        Ok(Taken::Held(row)) if row.request_hash != hash => {
            ApiError::IdempotencyKeyReused.into_response()
        }
        Ok(Taken::Held(row)) => match (row.status, row.body) {
            (Some(status), Some(body)) => replay(status, body),
            _ => ApiError::IdempotencyKeyInUse.into_response(),
        },
        Ok(Taken::Owned) => {
            let pool = pool.clone();
            let run = tokio::spawn(async move { settle(&pool, &key, work.await).await });
            run.await
                .unwrap_or_else(|e| ApiError::Internal(e.into()).into_response())
        }
    }
}

/// Stores a final answer with its key, or frees the key after a passing failure.
async fn settle(pool: &PgPool, key: &str, response: Response) -> Response {
    let status = response.status();
    if !is_final(status) {
        if let Err(error) = db::idempotency::free(pool, key).await {
            // The key frees itself after STALE; the client's answer stands.
            tracing::warn!(%error, "could not free an idempotency key");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_STORED_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => return ApiError::Internal(anyhow::anyhow!(error)).into_response(),
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Err(error) = db::idempotency::complete(pool, key, status.as_u16() as i16, &text).await {
        // The claim itself stands and is durable; only its replay is lost. A retry with this key
        // gets "in use" until STALE, then runs the claim again (answering already_claimed).
        tracing::error!(%error, "could not store an idempotency key's answer");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Answers that are the claim's verdict, so a replay must repeat them.
fn is_final(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::OK | StatusCode::NOT_FOUND | StatusCode::CONFLICT
    )
}

fn replay(status: i16, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// Purges expired keys now and then, until `stop`. Several processes may run it at once.
pub async fn purge_expired(pool: PgPool, stop: CancellationToken) {
    const BATCH: i64 = 10_000;
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = stop.cancelled() => return,
        }
        loop {
            match db::idempotency::purge(&pool, TTL.as_secs_f64(), BATCH).await {
                Ok(done) if done as i64 == BATCH => continue,
                Ok(done) => {
                    if done > 0 {
                        tracing::info!(keys = done, "purged expired idempotency keys");
                    }
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "could not purge idempotency keys; will try again");
                    break;
                }
            }
        }
    }
}
