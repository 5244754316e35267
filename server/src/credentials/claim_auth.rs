//! Who may claim (`CLAIM_AUTH`): the modes this server takes, and the shopper token keys.

use std::sync::Arc;

use super::shopper_token::ShopperTokens;
use crate::config::{ClaimAuthMode, Config};

/// The claim modes and, with `token`, the verifier. Cheap to clone.
#[derive(Clone)]
pub struct ClaimAuth(Arc<Inner>);

struct Inner {
    modes: Vec<ClaimAuthMode>,
    tokens: Option<ShopperTokens>,
}

impl ClaimAuth {
    /// The modes of `config`. `token` needs a key (`CLAIM_TOKEN_SECRET` or
    /// `CLAIM_TOKEN_PUBLIC_KEYS`) and an audience; fails saying which is missing.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let mut modes = config.claim_auth.clone();
        modes.dedup();
        if modes.is_empty() {
            modes.push(ClaimAuthMode::Open);
        }
        let tokens = ShopperTokens::from_config(config)?;
        let takes_tokens = modes.contains(&ClaimAuthMode::Token);
        anyhow::ensure!(
            !takes_tokens || tokens.is_some(),
            "CLAIM_AUTH has token: set CLAIM_TOKEN_SECRET or CLAIM_TOKEN_PUBLIC_KEYS (and CLAIM_TOKEN_AUDIENCE)"
        );
        if tokens.is_some() && !takes_tokens {
            tracing::warn!(
                "shopper token keys are set but CLAIM_AUTH has no token: tokens are not taken"
            );
        }
        Ok(Self(Arc::new(Inner {
            tokens: tokens.filter(|_| takes_tokens),
            modes,
        })))
    }

    /// True when claims in `mode` are taken.
    pub fn takes(&self, mode: ClaimAuthMode) -> bool {
        self.0.modes.contains(&mode)
    }

    /// The verifier of shopper tokens, when `token` is a mode.
    pub fn tokens(&self) -> Option<&ShopperTokens> {
        self.0.tokens.as_ref()
    }

    /// What a claim without credentials needs, for the `401`: the modes other than open.
    pub fn required(&self) -> &'static str {
        match (
            self.takes(ClaimAuthMode::Key),
            self.takes(ClaimAuthMode::Token),
        ) {
            (true, true) => "an API key with the claim scope or a shopper token",
            (true, false) => "an API key with the claim scope",
            _ => "a shopper token",
        }
    }
}
