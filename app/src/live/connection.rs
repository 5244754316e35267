//! What a panel shows of its stream: the connection's state and how much history it keeps.
//! The panel owns the signals; the browser's follower (`follow.rs`) writes them.

/// Seconds of history in the claims-per-second chart.
pub const RATE_WINDOW: usize = 60;
/// Newest claimers shown.
pub const CLAIMERS_SHOWN: usize = 10;

/// The state of the connection to the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    Reconnecting,
}
