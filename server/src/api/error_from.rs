//! How the services' errors become the API's ([`ApiError`]): each refusal its status and code,
//! each database failure through `From<sqlx::Error>` (busy: `503`; else an opaque `500`).

use super::ApiError;
use crate::{
    claims::{ClaimError, Refusal},
    sale::SaleError,
};

impl From<ClaimError> for ApiError {
    fn from(error: ClaimError) -> Self {
        match error {
            ClaimError::NotFound => Self::CouponNotFound,
            ClaimError::AlreadyClaimed => Self::AlreadyClaimed,
            ClaimError::SoldOut => Self::SoldOut,
            ClaimError::AlreadyEntered => Self::AlreadyEntered,
            ClaimError::EntriesClosed => Self::EntriesClosed,
            ClaimError::Refused(Refusal::Paused) => Self::Paused,
            ClaimError::Refused(Refusal::NotStarted { starts_at }) => {
                Self::NotStarted { starts_at }
            }
            ClaimError::Refused(Refusal::Ended) => Self::Ended,
            ClaimError::Unavailable => Self::Unavailable,
            ClaimError::OutcomeUnknown => Self::ClaimOutcomeUnknown,
            ClaimError::Database(e) => e.into(),
        }
    }
}

impl From<crate::credentials::api_keys::KeyError> for ApiError {
    fn from(error: crate::credentials::api_keys::KeyError) -> Self {
        use crate::credentials::api_keys::KeyError;
        match error {
            KeyError::NotFound => Self::KeyNotFound,
            KeyError::Database(e) => e.into(),
            KeyError::Commit(e) => e.into(),
            KeyError::Internal(e) => Self::Internal(e),
        }
    }
}

impl From<crate::webhooks::WebhookError> for ApiError {
    fn from(error: crate::webhooks::WebhookError) -> Self {
        use crate::webhooks::WebhookError;
        match error {
            WebhookError::NotFound => Self::WebhookNotFound,
            WebhookError::DeliveryNotFound => Self::DeliveryNotFound,
            WebhookError::Refused(why) => Self::InvalidRequest(why.to_string()),
            WebhookError::Database(e) => e.into(),
            WebhookError::Commit(e) => e.into(),
            WebhookError::Internal(e) => Self::Internal(e),
        }
    }
}

/// An admin write's commit: kept only locally is `503 outcome_unknown`.
impl From<crate::db::sync_wait::CommitError> for ApiError {
    fn from(error: crate::db::sync_wait::CommitError) -> Self {
        match error {
            crate::db::sync_wait::CommitError::Database(e) => e.into(),
            crate::db::sync_wait::CommitError::Unconfirmed => Self::OutcomeUnknown,
        }
    }
}

impl From<SaleError> for ApiError {
    fn from(error: SaleError) -> Self {
        match error {
            SaleError::Invalid(why) => Self::InvalidRequest(why),
            SaleError::NameTaken => Self::CouponExists,
            SaleError::NotFound => Self::CouponNotFound,
            SaleError::BelowClaimed { claimed } => Self::BelowClaimed { claimed },
            SaleError::ClaimNotFound => Self::ClaimNotFound,
            SaleError::AlreadyRedeemed { redeemed_at } => Self::AlreadyRedeemed { redeemed_at },
            SaleError::Redeemed { redeemed_at } => Self::Redeemed { redeemed_at },
            SaleError::Database(e) => e.into(),
            SaleError::Commit(e) => e.into(),
            SaleError::NoSeed(e) => Self::Internal(e.into()),
        }
    }
}
