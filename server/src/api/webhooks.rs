//! `/api/webhooks` (admin): endpoints, their secrets and their delivery logs (docs/webhooks.md).

use app::{
    contract::api_types::ErrorBody,
    contract::webhooks::{Delivery, NewWebhook, Webhook, WebhookPatch, WebhookWithSecret},
};
use axum::{Json, extract::State, http::StatusCode};

use super::{
    ApiError,
    extract::{ActorName, ApiJson, ApiPath, validated},
    spec::{AdminOnly, BadInput, Busy, JsonBody},
};
use crate::webhooks::Webhooks;

/// `POST /api/webhooks`: 201 with the endpoint and its signing secret, shown this once.
#[utoipa::path(
    post,
    path = "/webhooks",
    operation_id = "create_webhook",
    tag = "webhooks",
    summary = "Register a webhook endpoint (its secret is in this answer only)",
    description = "The URL must be `http` or `https` and resolve to public addresses only \
        (loopback, private, link-local and metadata addresses are refused with `400` unless \
        the server runs with WEBHOOK_ALLOW_PRIVATE=true).",
    security(("bearer" = []), ("session" = [])),
    request_body = NewWebhook,
    responses(
        (status = 201, description = "Registered: `secret` signs every delivery", body = WebhookWithSecret),
        JsonBody, AdminOnly, Busy
    )
)]
pub async fn create(
    State(webhooks): State<Webhooks>,
    ActorName(actor): ActorName,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<(StatusCode, Json<WebhookWithSecret>), ApiError> {
    let body = validated(body)?;
    Ok((
        StatusCode::CREATED,
        Json(webhooks.create(&actor, &body).await?),
    ))
}

/// `GET /api/webhooks`: every endpoint, newest first; never a secret.
#[utoipa::path(
    get,
    path = "/webhooks",
    operation_id = "list_webhooks",
    tag = "webhooks",
    summary = "List webhook endpoints (never their secrets)",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Every endpoint, newest first", body = Vec<Webhook>),
        AdminOnly, Busy
    )
)]
pub async fn list(State(webhooks): State<Webhooks>) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(webhooks.list().await?))
}

/// `GET /api/webhooks/{id}`.
#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    operation_id = "get_webhook",
    tag = "webhooks",
    summary = "One webhook endpoint",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint", body = Webhook),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn get(
    State(webhooks): State<Webhooks>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(webhooks.get(id).await?))
}

/// `PATCH /api/webhooks/{id}`: URL, events, description, enabled.
#[utoipa::path(
    patch,
    path = "/webhooks/{id}",
    operation_id = "update_webhook",
    tag = "webhooks",
    summary = "Change an endpoint: URL, events, description, or enable/disable it",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The endpoint's id")),
    request_body = WebhookPatch,
    responses(
        (status = 200, description = "The endpoint as changed", body = Webhook),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
        JsonBody, AdminOnly, Busy
    )
)]
pub async fn update(
    State(webhooks): State<Webhooks>,
    ActorName(actor): ActorName,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<WebhookPatch>,
) -> Result<Json<Webhook>, ApiError> {
    let body = validated(body)?;
    Ok(Json(webhooks.update(&actor, id, &body).await?))
}

/// `DELETE /api/webhooks/{id}`: the endpoint and its delivery log go.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    operation_id = "delete_webhook",
    tag = "webhooks",
    summary = "Delete an endpoint and its delivery log",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn delete(
    State(webhooks): State<Webhooks>,
    ActorName(actor): ActorName,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    webhooks.delete(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/webhooks/{id}/rotate`: a new secret; the old one signs too for a grace period.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate",
    operation_id = "rotate_webhook_secret",
    tag = "webhooks",
    summary = "Rotate an endpoint's secret (the old one still signs for the grace period)",
    description = "Until `previous_secret_until` (WEBHOOK_ROTATION_GRACE_SECS, a day by \
        default), each delivery carries two signatures: by the new secret and by the old one.",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint and its new secret, shown this once", body = WebhookWithSecret),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn rotate(
    State(webhooks): State<Webhooks>,
    ActorName(actor): ActorName,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<WebhookWithSecret>, ApiError> {
    Ok(Json(webhooks.rotate(&actor, id).await?))
}

/// `GET /api/webhooks/{id}/deliveries`: the delivery log, newest first.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "webhooks",
    summary = "An endpoint's newest deliveries: event, attempts, last status, latency, next try",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "At most 100 deliveries, newest first", body = Vec<Delivery>),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn deliveries(
    State(webhooks): State<Webhooks>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(webhooks.log(id).await?))
}

/// `POST /api/webhooks/{id}/deliveries/{delivery_id}/retry`: send it again, now.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/deliveries/{delivery_id}/retry",
    operation_id = "retry_webhook_delivery",
    tag = "webhooks",
    summary = "Send a delivery again now (whatever its state), with the same event id",
    security(("bearer" = []), ("session" = [])),
    params(
        ("id" = i64, Path, description = "The endpoint's id"),
        ("delivery_id" = i64, Path, description = "The delivery's id (from the log)")
    ),
    responses(
        (status = 200, description = "The delivery, due now", body = Delivery),
        (status = 404, description = "`delivery_not_found`", body = ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn retry(
    State(webhooks): State<Webhooks>,
    ActorName(actor): ActorName,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> Result<Json<Delivery>, ApiError> {
    Ok(Json(webhooks.resend(&actor, id, delivery).await?))
}
