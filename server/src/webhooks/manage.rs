//! The admin's changes to endpoints, each with its audit entry in its own transaction. Secrets
//! are in the answers of create and rotate only, and never in the audit log.

use app::{
    contract::audit::action,
    contract::webhooks::{Delivery, NewWebhook, Webhook, WebhookPatch, WebhookWithSecret},
};
use serde_json::{Value, json};
use sqlx::{PgConnection, Postgres, Transaction};

use super::{Webhooks, sign, target};
use crate::db::{self, webhooks::event_names};

/// Why an endpoint operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no webhook endpoint has this id")]
    NotFound,
    #[error("this endpoint has no delivery with this id")]
    DeliveryNotFound,
    #[error(transparent)]
    Refused(#[from] target::Refused),
    #[error(transparent)]
    Commit(#[from] crate::db::sync_wait::CommitError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn audit_view(w: &Webhook) -> Value {
    json!({"id": w.id, "url": w.url, "events": w.events, "description": w.description,
           "enabled": w.enabled})
}

impl Webhooks {
    /// Checks that `url` may be called (form, and public addresses unless allowed).
    async fn check_url(&self, url: &str) -> Result<(), WebhookError> {
        let parsed = target::parse(url)?;
        target::check(&parsed, self.0.settings.allow_private).await?;
        Ok(())
    }

    /// Registers an endpoint for `actor`; the answer holds its secret, shown this once.
    pub async fn create(
        &self,
        actor: &str,
        new: &NewWebhook,
    ) -> Result<WebhookWithSecret, WebhookError> {
        self.check_url(&new.url).await?;
        let secret = sign::new_secret()?;
        let mut tx = self.0.pool.begin().await?;
        let description = new.description.as_deref().unwrap_or_default();
        let events = event_names(&new.events);
        let id =
            db::webhooks::insert(&mut tx, &new.url, &events, description, &secret, actor).await?;
        let webhook = audited(&mut tx, actor, action::WEBHOOK_CREATE, None, id).await?;
        db::sync_wait::commit(tx).await?;
        Ok(WebhookWithSecret { webhook, secret })
    }

    /// Every endpoint, newest first.
    pub async fn list(&self) -> Result<Vec<Webhook>, WebhookError> {
        Ok(db::webhooks::list(&self.0.pool).await?)
    }

    /// Endpoint `id`.
    pub async fn get(&self, id: i64) -> Result<Webhook, WebhookError> {
        db::webhooks::one(&self.0.pool, id)
            .await?
            .ok_or(WebhookError::NotFound)
    }

    /// Changes the fields `patch` names.
    pub async fn update(
        &self,
        actor: &str,
        id: i64,
        patch: &WebhookPatch,
    ) -> Result<Webhook, WebhookError> {
        if let Some(url) = &patch.url {
            self.check_url(url).await?;
        }
        let mut tx = self.0.pool.begin().await?;
        let before = db::webhooks::one(&mut *tx, id).await?;
        let events = patch.events.as_deref().map(event_names);
        let found = db::webhooks::update(
            &mut tx,
            id,
            patch.url.as_deref(),
            events.as_deref(),
            patch.description.as_deref(),
            patch.enabled,
        )
        .await?;
        if !found {
            return Err(WebhookError::NotFound);
        }
        let after = audited(&mut tx, actor, action::WEBHOOK_UPDATE, before, id).await?;
        db::sync_wait::commit(tx).await?;
        super::wake_dispatchers(&self.0.pool).await;
        Ok(after)
    }

    /// A new secret for endpoint `id`; the old one keeps signing for the grace period.
    pub async fn rotate(&self, actor: &str, id: i64) -> Result<WebhookWithSecret, WebhookError> {
        let secret = sign::new_secret()?;
        let grace = self.0.settings.rotation_grace.as_secs_f64();
        let mut tx = self.0.pool.begin().await?;
        if !db::webhooks::rotate(&mut tx, id, &secret, grace).await? {
            return Err(WebhookError::NotFound);
        }
        let webhook = audited(&mut tx, actor, action::WEBHOOK_ROTATE, None, id).await?;
        db::sync_wait::commit(tx).await?;
        Ok(WebhookWithSecret { webhook, secret })
    }

    /// Deletes endpoint `id` and its deliveries.
    pub async fn delete(&self, actor: &str, id: i64) -> Result<(), WebhookError> {
        let mut tx = self.0.pool.begin().await?;
        let before = db::webhooks::one(&mut *tx, id)
            .await?
            .ok_or(WebhookError::NotFound)?;
        db::webhooks::delete(&mut *tx, id).await?;
        let before = audit_view(&before);
        db::audit::append(
            &mut *tx,
            actor,
            action::WEBHOOK_DELETE,
            None,
            Some(&before),
            None,
        )
        .await?;
        db::sync_wait::commit(tx).await?;
        Ok(())
    }

    /// The newest deliveries to endpoint `id`.
    pub async fn log(&self, id: i64) -> Result<Vec<Delivery>, WebhookError> {
        self.get(id).await?;
        Ok(db::deliveries::log(&self.0.pool, id).await?)
    }

    /// Sends delivery `delivery` of endpoint `id` again, now ("send again").
    pub async fn resend(
        &self,
        actor: &str,
        id: i64,
        delivery: i64,
    ) -> Result<Delivery, WebhookError> {
        let mut tx = self.0.pool.begin().await?;
        let again = db::deliveries::resend(&mut *tx, id, delivery)
            .await?
            .ok_or(WebhookError::DeliveryNotFound)?;
        let after = json!({"endpoint_id": id, "delivery_id": delivery, "event_id": again.event_id});
        db::audit::append(
            &mut *tx,
            actor,
            action::WEBHOOK_RESEND,
            None,
            None,
            Some(&after),
        )
        .await?;
        db::sync_wait::commit(tx).await?;
        super::wake_dispatchers(&self.0.pool).await;
        Ok(again)
    }
}

/// Reads endpoint `id` after a change and appends the audit entry of `what`.
async fn audited(
    tx: &mut Transaction<'_, Postgres>,
    actor: &str,
    what: &str,
    before: Option<Webhook>,
    id: i64,
) -> Result<Webhook, WebhookError> {
    let conn: &mut PgConnection = tx;
    let after = db::webhooks::one(&mut *conn, id)
        .await?
        .ok_or(WebhookError::NotFound)?;
    let before = before.as_ref().map(audit_view);
    let view = audit_view(&after);
    db::audit::append(&mut *conn, actor, what, None, before.as_ref(), Some(&view)).await?;
    Ok(after)
}
