//! `GET /api/audit` (admin): the audit log, oldest first, keyset-paged.

use app::contract::audit::{AuditPage, AuditQuery};
use axum::{Json, extract::State};
use sqlx::PgPool;

use super::{
    ApiError,
    extract::ApiQuery,
    spec::{AdminOnly, BadInput, Busy},
};
use crate::db;

/// A page of entries after the cursor `after`; `next` is the cursor of the following page, or
/// `null` when this page reached the end of the log for now.
#[utoipa::path(
    get,
    path = "/audit",
    operation_id = "list_audit",
    tag = "admin",
    summary = "The audit log of admin actions, oldest first",
    security(("bearer" = []), ("session" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "The page; pass `next` as `after` for the following one", body = AuditPage),
        BadInput, AdminOnly, Busy
    )
)]
pub async fn list(
    State(pool): State<PgPool>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let (after, limit) = query.checked().map_err(ApiError::InvalidRequest)?;
    let entries = db::audit::page(&pool, after, i64::from(limit)).await?;
    Ok(Json(AuditPage::of(entries, limit)))
}
