//! Building the SSE streams: a snapshot first, then coalesced changes as `stock`, `claims` and
//! `sold_out` events, ending when the server shuts down.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use app::contract::live_types::{
    ClaimsEvent, LiveBoard, LiveCoupon, SoldOutEvent, StockEvent, event,
};
use axum::{
    http::{HeaderName, HeaderValue},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use chrono::Utc;
use futures::{Stream, StreamExt, stream};
use serde::Serialize;
use tokio::{
    sync::{OwnedSemaphorePermit, watch},
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use super::{hub::Board, stock};

/// The stream item: an event, or a serialisation error that ends the stream.
pub type Item = Result<Event, axum::Error>;

/// A state the streams can follow: how to describe it whole and how to describe a change.
pub trait Followed: Send + Sync + 'static {
    /// The events that describe the whole state (on connect).
    fn snapshot(&self) -> Vec<Item>;
    /// The events that take a subscriber from `prev` (what it last got) to `self`.
    fn changes_since(&self, prev: &Self) -> Vec<Item>;
}

fn event(name: &str, id: i64, data: &impl Serialize) -> Item {
    Event::default()
        .event(name)
        .id(id.to_string())
        .json_data(data)
}

/// `state` stamped with the server's clock as it is sent: pages run their countdown on it.
fn sent_now(state: &LiveCoupon) -> LiveCoupon {
    state.stamped(Utc::now())
}

/// The events from `prev` to `next` for one coupon, with the coupon's event id.
fn coupon_changes(prev: Option<&LiveCoupon>, next: &LiveCoupon, id: i64) -> Vec<Item> {
    let mut out = Vec::new();
    if let Some(prev) = prev
        && next.version != prev.version
    {
        out.push(event(event::STOCK, id, &StockEvent::from(&sent_now(next))));
        // Claimers newer than the newest one the subscriber has (all, if that one was released).
        let claimers: Vec<_> = next
            .newest_claimers
            .iter()
            .take_while(|c| prev.newest_claimers.first() != Some(*c))
            .cloned()
            .collect();
        if !claimers.is_empty() {
            let claims = ClaimsEvent {
                name: next.name.clone(),
                claimers,
            };
            out.push(event(event::CLAIMS, id, &claims));
        }
    }
    // Each time it sells out: stock can come back (restock, release) and sell out again.
    if !prev.is_some_and(LiveCoupon::sold_out)
        && let Some(sold) = SoldOutEvent::of(next)
    {
        out.push(event(event::SOLD_OUT, id, &sold));
    }
    out
}

impl Followed for LiveCoupon {
    fn snapshot(&self) -> Vec<Item> {
        let mut out = vec![event(event::SNAPSHOT, self.version, &sent_now(self))];
        out.extend(coupon_changes(None, self, self.version));
        out
    }

    fn changes_since(&self, prev: &Self) -> Vec<Item> {
        coupon_changes(Some(prev), self, self.version)
    }
}

/// The board's event id: the versions of every coupon on it added up, which only grows.
fn board_id(board: &Board) -> i64 {
    board.values().map(|c| c.version).sum()
}

impl Followed for Board {
    fn snapshot(&self) -> Vec<Item> {
        let mut coupons: Vec<LiveCoupon> = self.values().map(|c| sent_now(c)).collect();
        coupons.sort_by(|a, b| b.claimed.cmp(&a.claimed).then_with(|| a.name.cmp(&b.name)));
        let id = board_id(self);
        vec![event(event::SNAPSHOT, id, &LiveBoard { coupons })]
    }

    fn changes_since(&self, prev: &Self) -> Vec<Item> {
        let id = board_id(self);
        let mut out = Vec::new();
        for (name, next) in self {
            match prev.get(name) {
                Some(p) if Arc::ptr_eq(p, next) => {}
                // A coupon new to this board: its stock event carries everything but claimers.
                None => out.push(event(event::STOCK, id, &StockEvent::from(&sent_now(next)))),
                Some(p) => out.extend(coupon_changes(Some(p), next, id)),
            }
        }
        out
    }
}

/// The public stock stream's view of a coupon: its [`stock::public`] state as a `stock` event
/// on connect and on every change of version, never a claimer.
pub struct PublicStock;

fn public_stock(state: &LiveCoupon) -> Item {
    event(event::STOCK, state.version, &stock::public(state))
}

impl PublicStock {
    fn snapshot(state: &LiveCoupon) -> Vec<Item> {
        vec![public_stock(state)]
    }

    fn changes_since(next: &LiveCoupon, prev: &LiveCoupon) -> Vec<Item> {
        if next.version == prev.version {
            return Vec::new();
        }
        vec![public_stock(next)]
    }

    /// Follows `rx` with the public view (see [`follow`]).
    pub fn follow(
        rx: watch::Receiver<Arc<LiveCoupon>>,
        every: Duration,
        shutdown: CancellationToken,
    ) -> impl Stream<Item = Item> + Send + 'static {
        follow_with(rx, every, shutdown, Self::snapshot, Self::changes_since)
    }
}

struct Follow<T> {
    rx: watch::Receiver<Arc<T>>,
    sent: Arc<T>,
    queue: VecDeque<Item>,
    next_at: Instant,
    every: Duration,
    shutdown: CancellationToken,
    changes: fn(&T, &T) -> Vec<Item>,
}

/// Follows `rx`: its current state as a snapshot, then at most one batch of changes per
/// `every`, always computed from the newest state (older ones are skipped, not queued).
pub fn follow<T: Followed>(
    rx: watch::Receiver<Arc<T>>,
    every: Duration,
    shutdown: CancellationToken,
) -> impl Stream<Item = Item> + Send + 'static {
    follow_with(rx, every, shutdown, T::snapshot, T::changes_since)
}

/// [`follow`] with the events of `snapshot` and `changes` (next, previous).
fn follow_with<T: Send + Sync + 'static>(
    mut rx: watch::Receiver<Arc<T>>,
    every: Duration,
    shutdown: CancellationToken,
    snapshot: fn(&T) -> Vec<Item>,
    changes: fn(&T, &T) -> Vec<Item>,
) -> impl Stream<Item = Item> + Send + 'static {
    let sent = rx.borrow_and_update().clone();
    let start = Follow {
        queue: snapshot(&sent).into(),
        rx,
        sent,
        next_at: Instant::now() + every,
        every,
        shutdown,
        changes,
    };
    stream::unfold(start, |mut s| async move {
        loop {
            if let Some(item) = s.queue.pop_front() {
                return Some((item, s));
            }
            tokio::select! {
                _ = s.shutdown.cancelled() => return None,
                changed = s.rx.changed() => changed.ok()?,
            }
            tokio::select! {
                _ = s.shutdown.cancelled() => return None,
                _ = tokio::time::sleep_until(s.next_at) => {}
            }
            let next = s.rx.borrow_and_update().clone();
            s.queue.extend((s.changes)(&next, &s.sent));
            s.sent = next;
            s.next_at = Instant::now() + s.every;
        }
    })
}

/// The SSE response: keep-alive comments, and no buffering by proxies (`X-Accel-Buffering`).
/// `text/event-stream` is never compressed: tower-http's compression skips it by default.
/// `place` (the stream's share of the subscriber cap) is given back when the stream ends.
pub fn respond<S>(stream: S, keep_alive: Duration, place: OwnedSemaphorePermit) -> Response
where
    S: Stream<Item = Item> + Send + 'static,
{
    let stream = stream.map(move |item| {
        let _held = &place;
        item
    });
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(keep_alive));
    (
        [(
            HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        )],
        sse,
    )
        .into_response()
}
