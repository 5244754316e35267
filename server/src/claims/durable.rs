//! No answer before durability: the barrier a batch passes before its waiters hear anything.

use std::time::{Duration, Instant};

use sqlx::PgConnection;

use crate::db;

/// Longest pause between two barrier attempts.
const MAX_PAUSE: Duration = Duration::from_millis(500);

/// Returns once everything `conn` committed, and every commit it read, is flushed to disk.
///
/// A refusal (e.g. a statement timeout while the disk stalls) is retried on the same connection
/// until `budget` has passed. A lost connection ends the wait with its error: the barrier cannot
/// move to another connection, because only the committing connection staying alive proves that
/// PostgreSQL did not crash between the COMMIT and the barrier.
pub(super) async fn confirm(conn: &mut PgConnection, budget: Duration) -> Result<(), sqlx::Error> {
    let deadline = Instant::now() + budget;
    let mut pause = Duration::from_millis(10);
    loop {
        match db::batches::wait_durable(conn).await {
            Ok(_) => return Ok(()),
            Err(error) if !db::may_have_committed(&error) && Instant::now() + pause < deadline => {
                tracing::debug!(%error, "durability barrier refused; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            Err(error) => return Err(error),
        }
    }
}
