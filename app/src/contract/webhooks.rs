//! Webhooks' types (`/api/webhooks`, the Webhooks page), shared by the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::contract::validation::check_text;

/// Longest endpoint URL accepted.
pub const MAX_URL_CHARS: u64 = 2048;
/// Most delivery log rows one page shows.
pub const DELIVERY_LOG_LIMIT: i64 = 100;

/// What a webhook reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum EventType {
    /// A shopper claimed a unit (`data`: coupon_name, user_id, claimed_at).
    #[serde(rename = "claim.created")]
    ClaimCreated,
    /// The admin gave a claim back (`data`: coupon_name, user_id, claimed_at, released_at).
    #[serde(rename = "claim.released")]
    ClaimReleased,
    /// The shop redeemed a claim at checkout (`data`: coupon_name, user_id, claimed_at,
    /// redeemed_at).
    #[serde(rename = "claim.redeemed")]
    ClaimRedeemed,
    /// A claim was not redeemed within the coupon's `redeem_within` and went (`data`:
    /// coupon_name, user_id, claimed_at, lapsed_at).
    #[serde(rename = "claim.lapsed")]
    ClaimLapsed,
    /// The stock reached zero (`data`: the coupon's settings and stock).
    #[serde(rename = "coupon.sold_out")]
    CouponSoldOut,
    /// The admin changed the amount, the pause or the window (`data`: as for sold_out).
    #[serde(rename = "coupon.updated")]
    CouponUpdated,
    /// A draw made this entry a winner (`data`: coupon_name, user_id, rank, drawn_at); its
    /// claim is announced as `claim.created` too.
    #[serde(rename = "entry.won")]
    EntryWon,
    /// A draw put this entry on the waitlist (`data`: coupon_name, user_id, rank,
    /// waitlist_position, drawn_at).
    #[serde(rename = "entry.waitlisted")]
    EntryWaitlisted,
}

impl EventType {
    pub const ALL: [EventType; 8] = [
        Self::ClaimCreated,
        Self::ClaimReleased,
        Self::ClaimRedeemed,
        Self::ClaimLapsed,
        Self::CouponSoldOut,
        Self::CouponUpdated,
        Self::EntryWon,
        Self::EntryWaitlisted,
    ];

    /// The name in JSON, in the payload's `type` and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaimCreated => "claim.created",
            Self::ClaimReleased => "claim.released",
            Self::ClaimRedeemed => "claim.redeemed",
            Self::ClaimLapsed => "claim.lapsed",
            Self::CouponSoldOut => "coupon.sold_out",
            Self::CouponUpdated => "coupon.updated",
            Self::EntryWon => "entry.won",
            Self::EntryWaitlisted => "entry.waitlisted",
        }
    }

    /// The event type named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// `POST /api/webhooks` body.
#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewWebhook {
    /// Where to POST events: `http` or `https`, a public address (the server refuses loopback,
    /// private, link-local and metadata addresses).
    #[validate(length(min = 1, max = MAX_URL_CHARS, message = "must be 1 to 2048 characters"))]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 2048))]
    pub url: String,
    /// The event types to send, each at most once.
    #[validate(custom(function = "check_events"))]
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 8))]
    pub events: Vec<EventType>,
    /// What the endpoint is for.
    #[serde(default)]
    #[validate(
        length(max = 255, message = "must be at most 255 characters"),
        custom(function = "check_text")
    )]
    #[cfg_attr(feature = "ssr", schema(max_length = 255))]
    pub description: Option<String>,
}

/// `PATCH /api/webhooks/{id}` body: each field present is changed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookPatch {
    #[validate(length(min = 1, max = MAX_URL_CHARS, message = "must be 1 to 2048 characters"))]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 2048))]
    pub url: Option<String>,
    #[validate(custom(function = "check_events"))]
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 8))]
    pub events: Option<Vec<EventType>>,
    #[validate(
        length(max = 255, message = "must be at most 255 characters"),
        custom(function = "check_text")
    )]
    #[cfg_attr(feature = "ssr", schema(max_length = 255))]
    pub description: Option<String>,
    /// `false` stops deliveries (pending ones wait); `true` resumes them and clears the reason
    /// the server disabled it for.
    pub enabled: Option<bool>,
}

fn check_events(events: &[EventType]) -> Result<(), ValidationError> {
    let mut sorted = events.to_vec();
    sorted.sort();
    sorted.dedup();
    if events.is_empty() || sorted.len() != events.len() {
        return Err(ValidationError::new("events")
            .with_message("must name one or more event types, each once".into()));
    }
    Ok(())
}

/// An endpoint as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<EventType>,
    pub description: String,
    pub enabled: bool,
    /// Why the server disabled it (`410 Gone`, failing for too long); `null` otherwise.
    pub disabled_reason: Option<String>,
    /// Since when every attempt failed; `null` after a success.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation still signs too.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Deliveries not yet made (waiting for a retry or in flight).
    pub pending: i64,
}

/// `POST /api/webhooks` and `.../rotate` answer: the endpoint and, this once, its secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` and the base64 of 32 random bytes: verify each delivery's `webhook-signature`
    /// with it (docs/webhooks.md). Shown only in this answer.
    pub secret: String,
}

/// One event's delivery to one endpoint, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: i64,
    /// The `webhook-id` header and the payload's `id`.
    pub event_id: String,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    /// `pending`, `delivered` or `failed` (every retry failed).
    pub state: String,
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's status code, `null` when no answer came (timeout, refused, unreachable).
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
}
