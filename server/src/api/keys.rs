//! `/api/keys` (admin): create, list and revoke API keys.

use app::contract::api_keys::{ApiKey, CreatedApiKey, NewApiKey};
use axum::{Json, extract::State, http::StatusCode};

use super::{
    ApiError,
    extract::{ActorName, ApiJson, ApiPath, validated},
    spec::{AdminOnly, BadInput, Busy, JsonBody},
};
use crate::credentials::api_keys::ApiKeys;

/// `POST /api/keys`: 201 with the key and its secret, shown this once.
#[utoipa::path(
    post,
    path = "/keys",
    operation_id = "create_key",
    tag = "admin",
    summary = "Create an API key (its secret is in this answer only)",
    security(("bearer" = []), ("session" = [])),
    request_body = NewApiKey,
    responses(
        (status = 201, description = "Created: `key` is the secret, never shown again", body = CreatedApiKey),
        JsonBody, AdminOnly, Busy
    )
)]
pub async fn create(
    State(keys): State<ApiKeys>,
    ActorName(actor): ActorName,
    ApiJson(body): ApiJson<NewApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let body = validated(body)?;
    Ok((StatusCode::CREATED, Json(keys.create(&actor, &body).await?)))
}

/// `GET /api/keys`: every key, newest first, revoked ones included; never a secret.
#[utoipa::path(
    get,
    path = "/keys",
    operation_id = "list_keys",
    tag = "admin",
    summary = "List API keys (names, scopes, prefixes, times; never secrets)",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Every key, newest first", body = Vec<ApiKey>),
        AdminOnly, Busy
    )
)]
pub async fn list(State(keys): State<ApiKeys>) -> Result<Json<Vec<ApiKey>>, ApiError> {
    Ok(Json(keys.list().await?))
}

/// `DELETE /api/keys/{id}`: revokes the key on every server process (within a second).
#[utoipa::path(
    delete,
    path = "/keys/{id}",
    operation_id = "revoke_key",
    tag = "admin",
    summary = "Revoke an API key: it stops working on every server process",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key, with its `revoked_at`", body = ApiKey),
        (status = 404, description = "`key_not_found`", body = app::contract::api_types::ErrorBody),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn revoke(
    State(keys): State<ApiKeys>,
    ActorName(actor): ActorName,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(keys.revoke(&actor, id).await?))
}
