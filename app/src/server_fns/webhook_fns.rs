//! Server functions of the Webhooks pages: the same service as `/api/webhooks`, audited the
//! same way.
// `create_webhook` takes one argument per event box of the form; the `#[server]` macro copies
// the arguments into functions of its own, which an allow on the function does not reach.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::contract::errors::answer;
use crate::contract::webhooks::{Delivery, Webhook, WebhookWithSecret};
use crate::server_fns::sale_fns::SaleActionError;

#[cfg(feature = "ssr")]
use crate::server_fns::webhook_backend::admitted;

/// A refusal as the page shows it: a refused URL is the form's fault (`400`).
#[cfg(feature = "ssr")]
fn refused(refused: crate::server_fns::backend::Refused) -> SaleActionError {
    match refused {
        crate::server_fns::backend::Refused::Rule(why) => {
            SaleActionError::Invalid(format!("The {why}."))
        }
        other => crate::server_fns::sale_fns::ssr::refused(other),
    }
}

/// Every endpoint, newest first.
#[server(prefix = "/rpc", endpoint = "webhooks")]
pub async fn load_webhooks() -> Result<Vec<Webhook>, SaleActionError> {
    let list = async {
        let backend = admitted()?;
        backend.list_webhooks().await.map_err(refused)
    };
    answer(list.await)
}

/// Registers `url` for the event types whose boxes were ticked.
#[server(prefix = "/rpc", endpoint = "create_webhook")]
pub async fn create_webhook(
    url: String,
    description: Option<String>,
    claim_created: Option<String>,
    claim_released: Option<String>,
    claim_redeemed: Option<String>,
    claim_lapsed: Option<String>,
    coupon_sold_out: Option<String>,
    coupon_updated: Option<String>,
    entry_won: Option<String>,
    entry_waitlisted: Option<String>,
) -> Result<WebhookWithSecret, SaleActionError> {
    use crate::contract::webhooks::{EventType, NewWebhook};
    use validator::Validate;
    let created = async {
        let ticked = [
            (claim_created, EventType::ClaimCreated),
            (claim_released, EventType::ClaimReleased),
            (claim_redeemed, EventType::ClaimRedeemed),
            (claim_lapsed, EventType::ClaimLapsed),
            (coupon_sold_out, EventType::CouponSoldOut),
            (coupon_updated, EventType::CouponUpdated),
            (entry_won, EventType::EntryWon),
            (entry_waitlisted, EventType::EntryWaitlisted),
        ];
        let events = ticked
            .into_iter()
            .filter_map(|(field, event)| field.map(|_| event))
            .collect();
        let description = description.filter(|d| !d.trim().is_empty());
        let new = NewWebhook {
            url,
            events,
            description,
        };
        new.validate().map_err(|e| {
            let why = crate::contract::validation::describe(&e).replace(
                "events must name one or more event types, each once",
                "Tick at least one event",
            );
            SaleActionError::Invalid(why)
        })?;
        let backend = admitted()?;
        let actor = crate::server_fns::backend::actor();
        backend.create_webhook(&actor, &new).await.map_err(refused)
    };
    answer(created.await)
}

/// Enables or disables endpoint `id`.
#[server(prefix = "/rpc", endpoint = "set_webhook_enabled")]
pub async fn set_webhook_enabled(id: i64, enabled: bool) -> Result<Webhook, SaleActionError> {
    let changed = async {
        let backend = admitted()?;
        let actor = crate::server_fns::backend::actor();
        backend
            .set_webhook_enabled(&actor, id, enabled)
            .await
            .map_err(refused)
    };
    answer(changed.await)
}

/// A new signing secret for endpoint `id`, shown once.
#[server(prefix = "/rpc", endpoint = "rotate_webhook")]
pub async fn rotate_webhook(id: i64) -> Result<WebhookWithSecret, SaleActionError> {
    let rotated = async {
        let backend = admitted()?;
        let actor = crate::server_fns::backend::actor();
        backend.rotate_webhook(&actor, id).await.map_err(refused)
    };
    answer(rotated.await)
}

/// Deletes endpoint `id` and its delivery log.
#[server(prefix = "/rpc", endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), SaleActionError> {
    let deleted = async {
        let backend = admitted()?;
        let actor = crate::server_fns::backend::actor();
        backend.delete_webhook(&actor, id).await.map_err(refused)
    };
    answer(deleted.await)
}

/// Endpoint `id` and its newest deliveries.
#[server(prefix = "/rpc", endpoint = "webhook_log")]
pub async fn load_webhook_log(id: i64) -> Result<(Webhook, Vec<Delivery>), SaleActionError> {
    let log = async {
        let backend = admitted()?;
        backend.webhook_log(id).await.map_err(refused)
    };
    answer(log.await)
}

/// Sends delivery `delivery` of endpoint `id` again, now.
#[server(prefix = "/rpc", endpoint = "resend_delivery")]
pub async fn resend_delivery(id: i64, delivery: i64) -> Result<Delivery, SaleActionError> {
    let again = async {
        let backend = admitted()?;
        let actor = crate::server_fns::backend::actor();
        backend
            .resend_delivery(&actor, id, delivery)
            .await
            .map_err(refused)
    };
    answer(again.await)
}
