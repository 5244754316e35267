//! The server's side of the UI's [`WebhookBackend`]: the webhook service, with its failures
//! logged here, once, and told to the UI as sentences.

use app::{
    contract::webhooks::{Delivery, NewWebhook, Webhook, WebhookPatch, WebhookWithSecret},
    server_fns::backend::{Failure, Refused},
    server_fns::webhook_backend::WebhookBackend,
};

use crate::webhooks::{WebhookError, Webhooks};

/// A failed webhook operation as the UI shows it (database failures by the same rule as the
/// other pages: `ui_backend::failed`).
fn refused(what: &'static str) -> impl FnOnce(WebhookError) -> Refused {
    move |error| match error {
        WebhookError::NotFound | WebhookError::DeliveryNotFound => {
            Refused::NotFound(error.to_string())
        }
        WebhookError::Refused(why) => Refused::Rule(why.to_string()),
        WebhookError::Database(e) => Refused::Failed(crate::ui::failed(what)(e)),
        WebhookError::Commit(e) => Refused::Failed(crate::ui::commit_failed(what, e)),
        other => {
            tracing::error!(error = %other, "{what} failed");
            Refused::Failed(Failure::Broken)
        }
    }
}

#[async_trait::async_trait]
impl WebhookBackend for Webhooks {
    async fn list_webhooks(&self) -> Result<Vec<Webhook>, Refused> {
        self.list().await.map_err(refused("listing webhooks"))
    }

    async fn create_webhook(
        &self,
        actor: &str,
        new: &NewWebhook,
    ) -> Result<WebhookWithSecret, Refused> {
        let created = self.create(actor, new).await;
        created.map_err(refused("creating a webhook"))
    }

    async fn set_webhook_enabled(
        &self,
        actor: &str,
        id: i64,
        enabled: bool,
    ) -> Result<Webhook, Refused> {
        let patch = WebhookPatch {
            enabled: Some(enabled),
            ..Default::default()
        };
        let changed = self.update(actor, id, &patch).await;
        changed.map_err(refused("changing a webhook"))
    }

    async fn rotate_webhook(&self, actor: &str, id: i64) -> Result<WebhookWithSecret, Refused> {
        let rotated = self.rotate(actor, id).await;
        rotated.map_err(refused("rotating a webhook secret"))
    }

    async fn delete_webhook(&self, actor: &str, id: i64) -> Result<(), Refused> {
        let deleted = self.delete(actor, id).await;
        deleted.map_err(refused("deleting a webhook"))
    }

    async fn webhook_log(&self, id: i64) -> Result<(Webhook, Vec<Delivery>), Refused> {
        let webhook = self.get(id).await.map_err(refused("reading a webhook"))?;
        let log = self
            .log(id)
            .await
            .map_err(refused("reading a delivery log"))?;
        Ok((webhook, log))
    }

    async fn resend_delivery(
        &self,
        actor: &str,
        id: i64,
        delivery: i64,
    ) -> Result<Delivery, Refused> {
        let again = self.resend(actor, id, delivery).await;
        again.map_err(refused("sending a delivery again"))
    }
}
