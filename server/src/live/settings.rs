//! How the live updates of a process behave: the publisher's round, coalescing, keep-alive and
//! the subscriber cap.

use std::time::Duration;

/// Settings of the live updates.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    /// The publisher's round: the bound on database re-reads and NOTIFYs per process.
    pub refresh: Duration,
    /// The most often a subscriber gets an update.
    pub coalesce: Duration,
    /// Interval of the keep-alive comment.
    pub keep_alive: Duration,
    /// Most streams open at once in this process; more get `503`.
    pub max_subscribers: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            refresh: Duration::from_millis(50),
            coalesce: Duration::from_millis(100),
            keep_alive: Duration::from_secs(15),
            max_subscribers: 10_000,
        }
    }
}
