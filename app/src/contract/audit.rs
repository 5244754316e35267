//! The admin audit log's types (`GET /api/audit`, the audit page).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Entries per page when the caller does not say.
pub const DEFAULT_AUDIT_LIMIT: u32 = 100;
/// Most entries one page may hold.
pub const MAX_AUDIT_LIMIT: u32 = 500;

/// What an admin did.
pub mod action {
    pub const COUPON_CREATE: &str = "coupon.create";
    pub const COUPON_PATCH: &str = "coupon.patch";
    pub const CLAIM_RELEASE: &str = "claim.release";
    pub const CLAIM_REDEEM: &str = "claim.redeem";
    pub const DRAW_BEACON: &str = "draw.beacon";
    /// A draw made: by an admin's "Draw now", or by `system` at its `draw_at`.
    pub const DRAW_RUN: &str = "draw.run";
    pub const SIGNIN_SUCCESS: &str = "signin.success";
    pub const SIGNIN_FAILURE: &str = "signin.failure";
    pub const KEY_CREATE: &str = "key.create";
    pub const KEY_REVOKE: &str = "key.revoke";
    pub const WEBHOOK_CREATE: &str = "webhook.create";
    pub const WEBHOOK_UPDATE: &str = "webhook.update";
    pub const WEBHOOK_ROTATE: &str = "webhook.rotate";
    pub const WEBHOOK_DELETE: &str = "webhook.delete";
    pub const WEBHOOK_RESEND: &str = "webhook.resend";
}

/// One admin action.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Increases with every entry: the keyset cursor.
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `token`, `session:<id>`, `key:<id>`, `open` (no admin password set) or `ip:<address>`
    /// (sign-in).
    pub actor: String,
    /// One of [`action`].
    pub action: String,
    pub coupon_name: Option<String>,
    /// The values before and after the action (`null` where there is no such side).
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A page of the audit log, oldest first (`GET /api/audit`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` to get the next page; `null` when this page is the end for now.
    pub next: Option<i64>,
}

impl AuditPage {
    /// A page of up to `limit` entries read after a cursor: a full page names its last id as
    /// `next`, a shorter one is the end of the log for now.
    pub fn of(entries: Vec<AuditEntry>, limit: u32) -> Self {
        let next = (entries.len() == limit as usize)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        Self { entries, next }
    }
}

/// Query of `GET /api/audit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// The `next` cursor of the previous page (0 or absent: from the start).
    pub after: Option<i64>,
    /// 1 to 500, default 100.
    pub limit: Option<u32>,
}

impl AuditQuery {
    /// The cursor and limit with their rules applied.
    pub fn checked(self) -> Result<(i64, u32), String> {
        let after = self.after.unwrap_or(0);
        if after < 0 {
            return Err("after must be a cursor returned as next".to_owned());
        }
        let limit = self.limit.unwrap_or(DEFAULT_AUDIT_LIMIT);
        if !(1..=MAX_AUDIT_LIMIT).contains(&limit) {
            return Err(format!("limit must be from 1 to {MAX_AUDIT_LIMIT}"));
        }
        Ok((after, limit))
    }
}
