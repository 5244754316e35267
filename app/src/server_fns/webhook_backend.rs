//! What the Webhooks pages need from the server, as a trait the server implements (like
//! [`crate::server_fns::backend::AdminBackend`], provided through Leptos context).

use std::sync::Arc;

use crate::contract::errors::LoadError;
use crate::contract::webhooks::{Delivery, NewWebhook, Webhook, WebhookWithSecret};
use crate::server_fns::backend::Refused;

/// Endpoint management and delivery logs, as `/api/webhooks` does them (audited).
#[async_trait::async_trait]
pub trait WebhookBackend: Send + Sync + 'static {
    /// Every endpoint, newest first.
    async fn list_webhooks(&self) -> Result<Vec<Webhook>, Refused>;

    /// Registers an endpoint that passed the input rules; a refused URL is a `Rule`.
    async fn create_webhook(
        &self,
        actor: &str,
        new: &NewWebhook,
    ) -> Result<WebhookWithSecret, Refused>;

    /// Enables or disables endpoint `id`.
    async fn set_webhook_enabled(
        &self,
        actor: &str,
        id: i64,
        enabled: bool,
    ) -> Result<Webhook, Refused>;

    /// A new secret for endpoint `id` (the old one signs during the grace period).
    async fn rotate_webhook(&self, actor: &str, id: i64) -> Result<WebhookWithSecret, Refused>;

    /// Deletes endpoint `id` and its delivery log.
    async fn delete_webhook(&self, actor: &str, id: i64) -> Result<(), Refused>;

    /// Endpoint `id` and its newest deliveries.
    async fn webhook_log(&self, id: i64) -> Result<(Webhook, Vec<Delivery>), Refused>;

    /// Sends delivery `delivery` of endpoint `id` again, now.
    async fn resend_delivery(
        &self,
        actor: &str,
        id: i64,
        delivery: i64,
    ) -> Result<Delivery, Refused>;
}

/// The form in which the webhook backend travels through Leptos context.
pub type SharedWebhooks = Arc<dyn WebhookBackend>;

/// The webhook backend for a server function of an admitted caller (see
/// [`crate::server_fns::backend::admitted`]).
pub fn admitted() -> Result<SharedWebhooks, LoadError> {
    crate::server_fns::backend::admitted()?;
    leptos::prelude::use_context::<SharedWebhooks>()
        .ok_or_else(|| LoadError::Failed("The server is misconfigured.".to_owned()))
}
