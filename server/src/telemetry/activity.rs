//! When this process last took a claim: the claim engine marks it (one relaxed store per claim),
//! the webhook dispatcher reads it to yield the cores to a running sale. A leaf.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// The time of the latest claim. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ClaimActivity(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    epoch: Instant,
    /// Milliseconds from `epoch` to the latest claim, plus one (0: none yet).
    last: AtomicU64,
}

impl Default for ClaimActivity {
    fn default() -> Self {
        Self(Arc::new(Inner {
            epoch: Instant::now(),
            last: AtomicU64::new(0),
        }))
    }
}

impl ClaimActivity {
    /// A claim arrived at `at` (the caller's clock reading: no second one on the claim path).
    pub fn touch(&self, at: Instant) {
        let ms = at.saturating_duration_since(self.0.epoch).as_millis() as u64 + 1;
        self.0.last.store(ms, Ordering::Relaxed);
    }

    /// True when a claim arrived within `window`.
    pub fn within(&self, window: Duration) -> bool {
        let last = self.0.last.load(Ordering::Relaxed);
        let now = self.0.epoch.elapsed().as_millis() as u64 + 1;
        last != 0 && now.saturating_sub(last) <= window.as_millis() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_recent_for_the_window_only() {
        let activity = ClaimActivity::default();
        assert!(!activity.within(Duration::from_secs(1)));
        activity.touch(Instant::now());
        // Within a minute: the test judges what counts as recent, not how fast this thread runs.
        assert!(activity.within(Duration::from_secs(60)));
        std::thread::sleep(Duration::from_millis(30));
        assert!(!activity.within(Duration::from_millis(5)));
    }
}
