//! `LivePanel`: one coupon's live stock. Rendered on the server from the current state, then the
//! SSE stream (after hydration) keeps it moving.

use leptos::prelude::*;

use chrono::{DateTime, Utc};

use super::connection::{Connection, RATE_WINDOW};
use super::fns::live_coupons;
use crate::components::{Loaded, StatusBadge, StockBar};
use crate::contract::live_types::LiveCoupon;
use crate::contract::sale::{SaleStatus, countdown};

/// The live panel of the coupon `name`, loading its current state itself (for a coupon page).
#[component]
pub fn LivePanel(#[prop(into)] name: String) -> impl IntoView {
    let state = Resource::new(move || name.clone(), |n| live_coupons(Some(n)));
    let panel = |mut states: Vec<LiveCoupon>| match states.pop() {
        Some(coupon) => view! { <LiveCouponView initial=coupon /> }.into_any(),
        None => view! { <p role="alert">"No coupon has this name."</p> }.into_any(),
    };
    view! {
        <Loaded resource=state what="The live stock" then=panel />
    }
}

/// The panel for a coupon whose state is already known (e.g. from the `/live` board).
#[component]
pub fn LiveCouponView(initial: LiveCoupon) -> impl IntoView {
    let name = initial.name.clone();
    let state = RwSignal::new(initial);
    let connection = RwSignal::new(Connection::Connecting);
    let rate = RwSignal::new(vec![0u32; RATE_WINDOW]);
    // Server time, ticking: the status and the countdown are judged on it, never on the
    // browser's own clock (which may be off).
    let clock = RwSignal::new(state.with_untracked(|s| s.now));
    #[cfg(feature = "hydrate")]
    super::follow::follow(&name, state, connection, rate, clock);

    let remaining = move || state.with(|s| s.remaining_amount);
    let amount = move || state.with(|s| s.amount);
    let sold_out = move || {
        state.with(|s| {
            s.sell_out_ms()
                .map(|ms| format!("Sold out in {:.2} s", ms as f64 / 1000.0))
        })
    };
    let claimers = move || state.with(|s| s.newest_claimers.clone());
    // A draw coupon: its entries so far and its draw's state at server time.
    let draw = move || {
        state.with(|s| {
            let draw = s.draw.as_ref()?.at(clock.get(), s.ends_at);
            Some(format!(
                "{} entries · draw {}",
                draw.entries,
                draw.state.as_str()
            ))
        })
    };
    view! {
        <section
            aria-label=format!("Live stock of {name}")
            class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm"
        >
            <header class="flex items-center justify-between gap-4">
                <h2 class="truncate text-xl font-semibold">{name.clone()}</h2>
                <ConnectionBadge connection />
            </header>
            <SaleClock state clock />
            <p class="mt-4 flex items-baseline gap-2">
                <span data-testid="remaining" class="text-6xl font-bold tabular-nums">
                    {remaining}
                </span>
                <span class="text-slate-600">"left of " {amount}</span>
            </p>
            <div class="mt-4">
                <StockBar amount=Signal::derive(amount) remaining=Signal::derive(remaining) label="Claimed" />
            </div>
            <p data-testid="live-draw" class="mt-2 text-sm text-slate-700">{draw}</p>
            <p class="mt-3 min-h-6 font-medium text-emerald-700">{sold_out}</p>
            <RateChart rate />
            <h3 class="mt-4 text-sm font-semibold text-slate-700">"Newest claimers"</h3>
            <ol aria-label="Newest claimers" class="mt-2 space-y-1 text-sm">
                <For
                    each=claimers
                    key=|c| (c.user_id.clone(), c.claimed_at)
                    let:claimer
                >
                    <li class="flex justify-between gap-4">
                        <span class="truncate">{claimer.user_id}</span>
                        <time class="tabular-nums text-slate-500">
                            {claimer.claimed_at.format("%H:%M:%S%.3f").to_string()}
                        </time>
                    </li>
                </For>
            </ol>
        </section>
    }
}

/// The sale's status at server time, and the countdown to its start (or its end once live).
#[component]
fn SaleClock(state: RwSignal<LiveCoupon>, clock: RwSignal<DateTime<Utc>>) -> impl IntoView {
    let status = move || state.with(|s| s.status(clock.get()));
    let countdown = move || {
        state.with(|s| {
            let now = clock.get();
            match s.status(now) {
                SaleStatus::Scheduled => s
                    .starts_at
                    .map(|t| format!("Starts in {}", countdown(now, t))),
                SaleStatus::Live | SaleStatus::SoldOut => {
                    s.ends_at.map(|t| format!("Ends in {}", countdown(now, t)))
                }
                SaleStatus::Paused | SaleStatus::Ended => None,
            }
        })
    };
    view! {
        <p class="mt-3 flex flex-wrap items-center gap-3">
            <StatusBadge status=Signal::derive(status) />
            <span data-testid="countdown" class="font-medium tabular-nums text-slate-700">
                {countdown}
            </span>
        </p>
    }
}

#[component]
fn ConnectionBadge(connection: RwSignal<Connection>) -> impl IntoView {
    let text = move || match connection.get() {
        Connection::Connecting => "Connecting…",
        Connection::Live => "Live",
        Connection::Reconnecting => "Reconnecting…",
    };
    let class = move || match connection.get() {
        Connection::Live => "rounded-full bg-emerald-100 px-3 py-1 text-sm text-emerald-800",
        _ => "rounded-full bg-amber-100 px-3 py-1 text-sm text-amber-800",
    };
    view! {
        <span role="status" class=class>
            {text}
        </span>
    }
}

/// Claims per second over the last minute, as bars (newest on the right).
#[component]
fn RateChart(rate: RwSignal<Vec<u32>>) -> impl IntoView {
    let bars = move || {
        rate.with(|r| {
            let max = r.iter().copied().max().unwrap_or(0).max(1) as f64;
            r.iter()
                .enumerate()
                .map(|(i, n)| {
                    let h = 40.0 * f64::from(*n) / max;
                    view! {
                        <rect x=i * 4 y=format!("{:.1}", 40.0 - h) width="3" height=format!("{h:.1}") />
                    }
                })
                .collect_view()
        })
    };
    let now = move || rate.with(|r| r.last().copied().unwrap_or(0));
    view! {
        <figure class="mt-4">
            <svg
                viewBox="0 0 240 40"
                class="h-10 w-full fill-indigo-400"
                role="img"
                aria-label="Claims per second over the last 60 seconds"
            >
                {bars}
            </svg>
            <figcaption class="text-xs text-slate-500">
                "Claims per second, last 60 s (now: " {now} ")"
            </figcaption>
        </figure>
    }
}
