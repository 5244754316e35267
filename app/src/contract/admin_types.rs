//! Types of the admin UI and the admin JSON calls, shared by the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::contract::api_types::CouponSummary;

/// Coupons per page of the coupons list.
pub const COUPONS_PER_PAGE: u32 = 50;
/// Claimers per page when the caller does not say.
pub const DEFAULT_CLAIMERS_LIMIT: u32 = 50;
/// Most claimers one page may hold.
pub const MAX_CLAIMERS_LIMIT: u32 = 200;

/// Who is looking at the admin: set by the server's admin guard on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct AdminStatus {
    /// False when ADMIN_PASSWORD is unset: the admin is open to anyone.
    pub auth_required: bool,
    /// True with a valid session cookie, the admin token or an API key whose scope covers the
    /// request.
    pub signed_in: bool,
    /// True when claims are taken without credentials (`CLAIM_AUTH` has `open`): anyone may
    /// claim in anyone's name, and the admin pages say so.
    #[serde(default)]
    pub claims_open: bool,
}

/// Who acts on an admin route, as the audit log names them: `token`, `session:<id>`, `key:<id>` or `open`
/// (no admin password set). Set by the server's admin guard on admitted requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

/// One page of the coupons list, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CouponPage {
    pub coupons: Vec<CouponSummary>,
    /// 1-based page number actually shown (clamped to the last page).
    pub page: u32,
    /// Number of pages, at least 1.
    pub pages: u32,
    /// Number of coupons in all.
    pub total: i64,
    /// Server time of the read: each coupon's status is judged at it.
    pub now: DateTime<Utc>,
}

/// One claim of a coupon, as listed to admins.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Claimer {
    pub user_id: String,
    pub claimed_at: DateTime<Utc>,
    /// When the shop's checkout redeemed the claim (`null`: not redeemed).
    #[serde(default)]
    pub redeemed_at: Option<DateTime<Utc>>,
}

/// A page of claimers in claim order (`GET /api/coupons/{name}/claims`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClaimersPage {
    pub claims: Vec<Claimer>,
    /// Pass as `after` to get the next page; `null` on the last page.
    pub next: Option<i64>,
    /// Redeemed claims of the coupon, all pages together.
    #[serde(default)]
    pub redeemed: i64,
}

/// Query of `GET /api/coupons/{name}/claims`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ClaimersQuery {
    /// The `next` cursor of the previous page.
    pub after: Option<i64>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
    /// Only user ids starting with this (case-sensitive).
    pub prefix: Option<String>,
}

impl ClaimersQuery {
    /// The query with its rules applied: the limit in range and the prefix a valid text.
    pub fn checked(self) -> Result<(i64, u32, Option<String>), String> {
        let after = self.after.unwrap_or(0);
        if after < 0 {
            return Err("after must be a cursor returned as next".to_owned());
        }
        let limit = self.limit.unwrap_or(DEFAULT_CLAIMERS_LIMIT);
        if !(1..=MAX_CLAIMERS_LIMIT).contains(&limit) {
            return Err(format!("limit must be from 1 to {MAX_CLAIMERS_LIMIT}"));
        }
        let prefix = self.prefix.filter(|p| !p.is_empty());
        if let Some(p) = &prefix {
            if p.chars().count() as u64 > crate::contract::validation::MAX_TEXT_CHARS {
                return Err("prefix must be at most 255 characters".to_owned());
            }
            if p.chars().any(char::is_control) {
                return Err("prefix must not contain control characters".to_owned());
            }
        }
        Ok((after, limit, prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(after: Option<i64>, limit: Option<u32>, prefix: Option<&str>) -> ClaimersQuery {
        ClaimersQuery {
            after,
            limit,
            prefix: prefix.map(str::to_owned),
        }
    }

    #[test]
    fn claimers_query_rules() {
        assert_eq!(q(None, None, None).checked(), Ok((0, 50, None)));
        assert_eq!(
            q(Some(7), Some(200), Some("")).checked(),
            Ok((7, 200, None))
        );
        assert_eq!(
            q(None, Some(1), Some("u1")).checked(),
            Ok((0, 1, Some("u1".into())))
        );
        assert!(q(None, Some(0), None).checked().is_err());
        assert!(q(None, Some(201), None).checked().is_err());
        assert!(q(Some(-1), None, None).checked().is_err());
        assert!(q(None, None, Some("a\u{0}")).checked().is_err());
        assert!(q(None, None, Some(&"a".repeat(256))).checked().is_err());
    }
}
