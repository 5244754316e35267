//! The public `GET /api/coupons/{name}` of a coupon with many claimers, answered from memory
//! while it is unchanged.
//!
//! Reading 1,000 claimers costs PostgreSQL about a millisecond of CPU (a thousand index entries
//! and heap rows, aggregated), where checking the coupon's `version` is one index probe. Every
//! change of the claimers (a claim, a batch, a release) and of the coupon's settings bumps the
//! version in the same transaction, so an answer read at version `v` is the exact answer for as
//! long as the version is `v`: no staleness, only a cheaper way to the same bytes. Small coupons
//! are not kept (their full read is as cheap as the check); the memory is bounded by
//! `PUBLIC_READ_CACHE_MB` (0 turns this off).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::body::Bytes;

/// Coupons with fewer claimers are read whole every time.
pub const MIN_CLAIMERS: usize = 100;
/// The largest single answer kept.
const MAX_ENTRY_BYTES: usize = 1 << 20;

/// One kept answer: the JSON of the coupon at `version`.
struct Entry {
    version: i64,
    body: Bytes,
}

/// The settings of the public coupon read and its kept answers. Cheap to clone.
#[derive(Clone)]
pub struct CouponReads {
    /// `PUBLIC_CLAIMERS`: callers without admin rights get `claimed_by`.
    pub public_claimers: bool,
    budget: usize,
    kept: Arc<Mutex<Kept>>,
}

#[derive(Default)]
struct Kept {
    entries: HashMap<String, Entry>,
    bytes: usize,
}

impl CouponReads {
    /// `budget_mb` of answers at most (0: none kept).
    pub fn new(public_claimers: bool, budget_mb: usize) -> Self {
        Self {
            public_claimers,
            budget: budget_mb << 20,
            kept: Arc::default(),
        }
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True when a kept answer of `name` exists (then checking its version is worth it).
    pub fn holds(&self, name: &str) -> bool {
        self.budget > 0 && self.kept().entries.contains_key(name)
    }

    /// The kept answer of `name` if it was read at `version`.
    pub fn get(&self, name: &str, version: i64) -> Option<Bytes> {
        let kept = self.kept();
        let entry = kept.entries.get(name)?;
        (entry.version == version).then(|| entry.body.clone())
    }

    /// Keeps `body`, the answer of `name` at `version` with `claimers` claimers, when it is
    /// worth keeping and fits; a newer version replaces an older one, never the reverse.
    pub fn put(&self, name: &str, version: i64, claimers: usize, body: &Bytes) {
        let size = body.len() + name.len();
        if claimers < MIN_CLAIMERS || size > MAX_ENTRY_BYTES.min(self.budget) {
            return;
        }
        let mut kept = self.kept();
        if let Some(old) = kept.entries.get(name) {
            if old.version >= version {
                return;
            }
            let freed = old.body.len() + name.len();
            kept.bytes -= freed;
        }
        if kept.bytes + size > self.budget {
            // Full: start again rather than track recency (the hot coupons come back at once).
            kept.entries.clear();
            kept.bytes = 0;
        }
        kept.bytes += size;
        let body = body.clone();
        kept.entries
            .insert(name.to_owned(), Entry { version, body });
    }

    /// Forgets `name` (it no longer exists).
    pub fn forget(&self, name: &str) {
        let mut kept = self.kept();
        if let Some(old) = kept.entries.remove(name) {
            kept.bytes -= old.body.len() + name.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(len: usize) -> Bytes {
        Bytes::from(vec![b'x'; len])
    }

    #[test]
    fn keeps_big_answers_by_version_within_the_budget() {
        let reads = CouponReads::new(true, 1);
        reads.put("small", 1, MIN_CLAIMERS - 1, &body(10));
        assert!(!reads.holds("small"));
        reads.put("A", 5, MIN_CLAIMERS, &body(1000));
        assert_eq!(reads.get("A", 5), Some(body(1000)));
        assert_eq!(reads.get("A", 6), None, "another version is another answer");
        reads.put("A", 4, MIN_CLAIMERS, &body(7));
        assert_eq!(
            reads.get("A", 5),
            Some(body(1000)),
            "an older read never wins"
        );
        reads.put("A", 6, MIN_CLAIMERS, &body(8));
        assert_eq!(reads.get("A", 6), Some(body(8)));
        // Over the budget: everything kept is dropped, the new answer kept.
        for i in 0..300 {
            reads.put(&format!("C{i}"), 1, MIN_CLAIMERS, &body(10_000));
        }
        assert!(reads.kept().bytes <= 1 << 20);
        reads.forget("C299");
        assert!(!reads.holds("C299"));
        let off = CouponReads::new(true, 0);
        off.put("A", 1, MIN_CLAIMERS, &body(10));
        assert!(!off.holds("A"));
    }
}
