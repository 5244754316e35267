//! Server functions of the API keys page: list, create (the secret comes back once), revoke.
//! The same service as `/api/keys`, audited the same way.

use leptos::prelude::*;

use crate::contract::api_keys::{ApiKey, CreatedApiKey};
use crate::contract::errors::LoadError;
#[cfg(feature = "ssr")]
use crate::contract::errors::answer;
use crate::server_fns::sale_fns::SaleActionError;

/// Every key, newest first, revoked ones included.
#[server(prefix = "/rpc", endpoint = "api_keys")]
pub async fn load_keys() -> Result<Vec<ApiKey>, LoadError> {
    let keys = async { Ok(crate::server_fns::backend::admitted()?.list_keys().await?) };
    answer(keys.await)
}

/// Creates a key named `name` with the scopes whose boxes were ticked.
#[server(prefix = "/rpc", endpoint = "create_key")]
pub async fn create_api_key(
    name: String,
    claim: Option<String>,
    read: Option<String>,
    admin: Option<String>,
) -> Result<CreatedApiKey, SaleActionError> {
    use crate::contract::api_keys::{NewApiKey, Scope};
    use validator::Validate;
    let created = async {
        let ticked = [
            (claim, Scope::Claim),
            (read, Scope::Read),
            (admin, Scope::Admin),
        ];
        let scopes = ticked
            .into_iter()
            .filter_map(|(field, scope)| field.map(|_| scope))
            .collect();
        let new = NewApiKey { name, scopes };
        new.validate().map_err(|e| -> SaleActionError {
            let why = crate::contract::validation::describe(&e);
            let why = why.replace(
                "scopes must name one to three scopes, each once",
                "Tick at least one scope",
            );
            SaleActionError::Invalid(why)
        })?;
        let backend = crate::server_fns::backend::admitted()?;
        let key = backend
            .create_key(&crate::server_fns::backend::actor(), &new)
            .await;
        key.map_err(|failure| SaleActionError::from(LoadError::from(failure)))
    };
    answer(created.await)
}

/// Revokes key `id` on every server process.
#[server(prefix = "/rpc", endpoint = "revoke_key")]
pub async fn revoke_api_key(id: i64) -> Result<ApiKey, SaleActionError> {
    let revoked = async {
        let backend = crate::server_fns::backend::admitted()?;
        let revoked = backend
            .revoke_key(&crate::server_fns::backend::actor(), id)
            .await;
        revoked
            .map_err(|failure| SaleActionError::from(LoadError::from(failure)))?
            .ok_or_else(|| SaleActionError::NotFound("No API key has this id.".to_owned()))
    };
    answer(revoked.await)
}
