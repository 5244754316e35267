//! Creating, listing and revoking keys: each change and its audit entry in one transaction,
//! announced to the other processes when it commits.

use app::{
    contract::api_keys::{ApiKey, CreatedApiKey, NewApiKey},
    contract::audit::action,
};
use serde_json::json;

use super::{ApiKeys, KeyEntry, generate};
use crate::db::{self, api_keys::ActiveKey};

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no API key has this id")]
    NotFound,
    #[error(transparent)]
    Commit(#[from] crate::db::sync_wait::CommitError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn audit_view(key: &ApiKey) -> serde_json::Value {
    json!({"id": key.id, "name": key.name, "scopes": key.scopes, "prefix": key.prefix,
           "revoked_at": key.revoked_at})
}

impl ApiKeys {
    /// Creates a key for `actor`; the answer holds its secret, which nothing keeps.
    pub async fn create(&self, actor: &str, new: &NewApiKey) -> Result<CreatedApiKey, KeyError> {
        let (secret, shown, hash) = generate()?;
        let names: Vec<String> = new.scopes.iter().map(|s| s.as_str().to_owned()).collect();
        let mut tx = self.0.pool.begin().await?;
        let info = db::api_keys::insert(&mut tx, &new.name, &names, &shown, &hash, actor).await?;
        db::audit::append(
            &mut *tx,
            actor,
            action::KEY_CREATE,
            None,
            None,
            Some(&audit_view(&info)),
        )
        .await?;
        db::sync_wait::commit(tx).await?;
        self.announce(info.id).await;
        // Usable here at once; the other processes reload on the announcement.
        let entry = KeyEntry::new(ActiveKey {
            id: info.id,
            scopes: info.scopes.clone(),
            secret_hash: hash.to_vec(),
        });
        self.write().insert(hash, entry.into());
        Ok(CreatedApiKey { info, key: secret })
    }

    /// Revokes key `id` for `actor`: it stops working here at once, elsewhere on the NOTIFY.
    pub async fn revoke(&self, actor: &str, id: i64) -> Result<ApiKey, KeyError> {
        let mut tx = self.0.pool.begin().await?;
        let before = db::api_keys::list_one(&mut *tx, id).await?;
        let revoked = db::api_keys::revoke(&mut tx, id)
            .await?
            .ok_or(KeyError::NotFound)?;
        db::audit::append(
            &mut *tx,
            actor,
            action::KEY_REVOKE,
            None,
            before.as_ref().map(audit_view).as_ref(),
            Some(&audit_view(&revoked)),
        )
        .await?;
        db::sync_wait::commit(tx).await?;
        self.forget(id);
        self.announce(id).await;
        Ok(revoked)
    }

    /// Tells the other processes of a committed change of key `id`. A failure is logged here, not
    /// raised: the change stands, and their periodic reload brings it.
    async fn announce(&self, id: i64) {
        if let Err(error) = db::api_keys::announce(&self.0.pool, id).await {
            tracing::warn!(%error, id, "key change not announced; other processes see it on reload");
        }
    }

    /// Every key, newest first, revoked ones included; never a secret.
    pub async fn list(&self) -> Result<Vec<ApiKey>, KeyError> {
        Ok(db::api_keys::list(&self.0.pool).await?)
    }
}
