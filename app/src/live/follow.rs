//! Browser only: connects a panel's signals to its coupon's SSE stream.

use std::{cell::Cell, rc::Rc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::{
    client::LiveStream,
    connection::{CLAIMERS_SHOWN, Connection},
};
use crate::contract::live_types::{ClaimsEvent, LiveCoupon, SoldOutEvent, StockEvent, event};

/// Streams `name`'s events into the signals until the panel is dropped.
pub fn follow(
    name: &str,
    state: RwSignal<LiveCoupon>,
    connection: RwSignal<Connection>,
    rate: RwSignal<Vec<u32>>,
    clock: RwSignal<DateTime<Utc>>,
) {
    // How far the server's clock is ahead of this browser's, from the newest state's `now`
    // (every snapshot and stock event carries the time it was sent).
    let ahead = Rc::new(Cell::new(TimeDelta::zero()));
    let sync = {
        let ahead = Rc::clone(&ahead);
        move || {
            let server_now = state.with_untracked(|s| s.now);
            ahead.set(server_now - Utc::now());
            clock.set(server_now);
        }
    };
    sync();
    let url = format!("/api/coupons/{}/events", crate::contract::url::encode(name));
    let stream = LiveStream::open(
        url,
        move |kind, data| {
            apply(kind, data, state, connection, rate);
            if kind == event::SNAPSHOT || kind == event::STOCK {
                sync();
            }
        },
        move || connection.set(Connection::Reconnecting),
    );
    // The stream lives in the browser's one thread; the wrapper only satisfies on_cleanup.
    let stream = SendWrapper::new(stream);
    on_cleanup(move || drop(stream));
    if let Ok(tick) = set_interval_with_handle(
        move || {
            rate.update(|r| {
                r.remove(0);
                r.push(0);
            });
            clock.set(Utc::now() + ahead.get());
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || tick.clear());
    }
}

fn apply(
    kind: &str,
    data: &str,
    state: RwSignal<LiveCoupon>,
    connection: RwSignal<Connection>,
    rate: RwSignal<Vec<u32>>,
) {
    match kind {
        event::SNAPSHOT => {
            if let Ok(fresh) = serde_json::from_str::<LiveCoupon>(data) {
                state.set(fresh);
                connection.set(Connection::Live);
            }
        }
        event::STOCK => {
            if let Ok(stock) = serde_json::from_str::<StockEvent>(data) {
                let before = state.with_untracked(|s| s.claimed);
                state.update(|s| s.apply_stock(&stock));
                let new = u32::try_from(stock.claimed - before).unwrap_or(0);
                if new > 0 {
                    rate.update(|r| {
                        if let Some(now) = r.last_mut() {
                            *now += new;
                        }
                    });
                }
            }
        }
        event::CLAIMS => {
            if let Ok(claims) = serde_json::from_str::<ClaimsEvent>(data) {
                state.update(|s| s.apply_claims(&claims, CLAIMERS_SHOWN));
            }
        }
        event::SOLD_OUT => {
            if let Ok(sold) = serde_json::from_str::<SoldOutEvent>(data) {
                state.update(|s| s.apply_sold_out(&sold));
            }
        }
        _ => {}
    }
}
