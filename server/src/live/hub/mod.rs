//! The per-process hub: the newest state of each watched coupon in a `tokio::sync::watch`.
//!
//! Newest-value channels, never queues: a slow or stuck subscriber only ever misses
//! intermediate states, and the claim path only marks a coupon dirty (a short lock, no I/O).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
};

use app::contract::live_types::LiveCoupon;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use super::settings::LiveSettings;

/// The newest state of every coupon (for `GET /api/events`), by name.
pub type Board = HashMap<String, Arc<LiveCoupon>>;

/// What the publisher should do in one round.
#[derive(Debug, Default)]
pub struct Round {
    /// Coupons changed by claims on this process: announce them to the other processes.
    pub announce: Vec<String>,
    /// Coupons to re-read from the database because a subscriber here watches them.
    pub refresh: Vec<String>,
}

/// Cheap to clone: a handle on the shared hub.
#[derive(Clone)]
pub struct LiveHub {
    inner: Arc<Inner>,
}

struct Inner {
    settings: LiveSettings,
    coupons: Mutex<HashMap<String, watch::Sender<Arc<LiveCoupon>>>>,
    board: watch::Sender<Arc<Board>>,
    dirty: Mutex<Dirty>,
    wake: Notify,
    /// One permit per open stream: the subscriber cap of this process.
    streams: Arc<Semaphore>,
}

#[derive(Default)]
struct Dirty {
    local: HashSet<String>,
    remote: HashSet<String>,
}

impl Default for LiveHub {
    fn default() -> Self {
        Self::new(LiveSettings::default())
    }
}

/// A poisoned lock only means another thread panicked mid-update of a cache; keep serving.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LiveHub {
    /// An empty hub whose streams use `settings`.
    pub fn new(settings: LiveSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                coupons: Mutex::new(HashMap::new()),
                board: watch::Sender::new(Arc::new(Board::new())),
                dirty: Mutex::new(Dirty::default()),
                wake: Notify::new(),
                streams: Arc::new(Semaphore::new(settings.max_subscribers)),
            }),
        }
    }

    /// A place for one more stream, held for its life; `None` when `max_subscribers` are open.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.inner.streams).try_acquire_owned().ok()
    }

    /// Streams open now in this process.
    pub fn subscribers(&self) -> usize {
        self.inner.settings.max_subscribers - self.inner.streams.available_permits()
    }

    /// The settings the streams use.
    pub fn settings(&self) -> LiveSettings {
        self.inner.settings
    }

    /// A claim committed (or a coupon was created) on this process: cheap, never blocks on I/O.
    pub fn changed(&self, coupon: &str) {
        let mut dirty = lock(&self.inner.dirty);
        if !dirty.local.contains(coupon) {
            dirty.local.insert(coupon.to_owned());
        }
        drop(dirty);
        self.inner.wake.notify_one();
    }

    /// Another process announced a change of `coupon`.
    pub fn changed_elsewhere(&self, coupon: &str) {
        lock(&self.inner.dirty).remote.insert(coupon.to_owned());
        self.inner.wake.notify_one();
    }

    /// Notifications may have been lost (listener reconnected): re-read everything watched.
    pub fn refresh_all(&self) {
        let names: Vec<String> = lock(&self.inner.coupons).keys().cloned().collect();
        let board: Vec<String> = self.inner.board.borrow().keys().cloned().collect();
        let mut dirty = lock(&self.inner.dirty);
        dirty.remote.extend(names);
        dirty.remote.extend(board);
        drop(dirty);
        self.inner.wake.notify_one();
    }

    /// Waits until something is dirty.
    pub async fn dirtied(&self) {
        self.inner.wake.notified().await;
    }

    /// Takes the dirty sets, keeping for refresh only coupons someone here watches.
    pub fn take_round(&self) -> Round {
        let Dirty { local, remote } = std::mem::take(&mut *lock(&self.inner.dirty));
        let board_watched = self.inner.board.receiver_count() > 0;
        let coupons = lock(&self.inner.coupons);
        let refresh = local
            .iter()
            .chain(remote.iter())
            .filter(|n| board_watched || coupons.contains_key(*n))
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        Round {
            announce: local.into_iter().collect(),
            refresh,
        }
    }

    /// Puts back a round that failed, so the next round does its work again.
    pub fn retry(&self, round: Round) {
        let mut dirty = lock(&self.inner.dirty);
        dirty.local.extend(round.announce);
        dirty.remote.extend(round.refresh);
        drop(dirty);
        self.inner.wake.notify_one();
    }

    /// Subscribes to one coupon, seeding the hub with `fresh` (just read) if it is newer.
    pub fn subscribe(&self, fresh: LiveCoupon) -> watch::Receiver<Arc<LiveCoupon>> {
        let mut coupons = lock(&self.inner.coupons);
        match coupons.get(&fresh.name) {
            Some(tx) => {
                let rx = tx.subscribe();
                update(tx, fresh);
                rx
            }
            None => {
                let (tx, rx) = watch::channel(Arc::new(fresh.clone()));
                coupons.insert(fresh.name, tx);
                rx
            }
        }
    }

    /// Subscribes to every coupon, seeding the board with `fresh` states (just read).
    pub fn subscribe_board(&self, fresh: Vec<LiveCoupon>) -> watch::Receiver<Arc<Board>> {
        let rx = self.inner.board.subscribe();
        self.publish_board(fresh);
        rx
    }

    /// Publishes states read from the database to the coupons' and the board's subscribers.
    pub fn publish(&self, states: Vec<LiveCoupon>) {
        {
            let coupons = lock(&self.inner.coupons);
            for state in &states {
                if let Some(tx) = coupons.get(&state.name) {
                    update(tx, state.clone());
                }
            }
        }
        if self.inner.board.receiver_count() > 0 {
            self.publish_board(states);
        }
    }

    fn publish_board(&self, states: Vec<LiveCoupon>) {
        self.inner.board.send_if_modified(|board| {
            let mut next: Option<Board> = None;
            for state in states {
                if board
                    .get(&state.name)
                    .is_some_and(|b| b.version >= state.version)
                {
                    continue;
                }
                next.get_or_insert_with(|| (**board).clone())
                    .insert(state.name.clone(), Arc::new(state));
            }
            next.map(|n| *board = Arc::new(n)).is_some()
        });
    }

    /// Drops channels nobody listens to any more, so the hub does not grow with old coupons.
    pub fn prune(&self) {
        lock(&self.inner.coupons).retain(|_, tx| tx.receiver_count() > 0);
        if self.inner.board.receiver_count() == 0 && !self.inner.board.borrow().is_empty() {
            self.inner.board.send_replace(Arc::new(Board::new()));
        }
    }

    /// How many coupons have a channel (for tests and metrics).
    pub fn watched(&self) -> usize {
        lock(&self.inner.coupons).len()
    }
}

/// Replaces the state when it is newer: the row's version only grows (stock does not: restocks
/// and releases raise it), so an older read that arrives late (a slow refresh, a subscriber's
/// own read) never moves the state backwards.
fn update(tx: &watch::Sender<Arc<LiveCoupon>>, state: LiveCoupon) {
    tx.send_if_modified(|current| {
        let newer = state.version > current.version;
        if newer {
            *current = Arc::new(state);
        }
        newer
    });
}

#[cfg(test)]
mod tests;
