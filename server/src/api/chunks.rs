//! Response bodies written chunk by chunk from a task (the CSV export, big coupons).

use axum::body::Bytes;
use tokio::sync::mpsc;

/// One piece of a streamed body; an error ends the body abnormally.
pub type Chunk = Result<Bytes, std::io::Error>;

/// Logs `error` once and breaks the body: the client sees a broken download, never a silently
/// shortened one.
pub async fn end_broken(tx: &mpsc::Sender<Chunk>, what: &str, coupon: &str, error: sqlx::Error) {
    tracing::error!(%error, coupon, "{what} failed");
    let _ = tx.send(Err(std::io::Error::other("read failed"))).await;
}
