//! Waking the webhook dispatchers after a sale's change outside the claim engine committed. The
//! change's events themselves are written by its database call, in its own transaction and on
//! its coupon's shard (docs/webhooks.md), so an event exists exactly when its change committed.

use sqlx::PgPool;

/// After the commit of a change that wrote an event: wakes every process's dispatcher.
pub(super) async fn wake(pool: &PgPool, wrote: bool) {
    if wrote {
        crate::webhooks::wake_dispatchers(pool).await;
    }
}
