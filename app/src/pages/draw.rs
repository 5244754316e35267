//! The coupon page's "Draw" section of a draw coupon (docs/draw.md): entries so far, the
//! commitment published before the first entry, when the draw runs, the Draw button once the
//! window has closed; after the draw the winners, the waitlist still waiting, each entry-time
//! decile's share of the winners (flat when the draw is fair), and the proof with the command
//! that checks it.

use leptos::prelude::*;

use crate::components::{LINK, Loaded, PRIMARY_BUTTON, when};
use crate::contract::api_types::CouponSummary;
use crate::contract::draw::{DrawInfo, DrawPanel, DrawState};
use crate::contract::url::encode;
use crate::server_fns::draw_fns::{DrawNow, load_draw_panel};

/// The Draw section of `coupon`, which has a draw.
#[component]
pub fn DrawSection(coupon: CouponSummary, draw: DrawInfo) -> impl IntoView {
    let name = coupon.name.clone();
    let action = ServerAction::<DrawNow>::new();
    let panel = Resource::new(
        move || (name.clone(), action.version().get()),
        |(name, _)| load_draw_panel(name),
    );
    let state = match draw.state {
        DrawState::Open => "Entries are open.",
        DrawState::Closed => "Entries have closed; the draw has not run yet.",
        DrawState::Drawn => "Drawn.",
    };
    let refused = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let figures = move |found: Option<DrawPanel>| {
        found.map(|panel| view! { <Figures panel drawn=draw.state == DrawState::Drawn /> })
    };
    let encoded = encode(&coupon.name);
    let proof = format!("/api/coupons/{encoded}/draw");
    view! {
        <section
            aria-labelledby="draw"
            class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
        >
            <h2 id="draw" class="text-lg font-semibold">"Draw"</h2>
            <p data-testid="draw-state" class="mt-1 text-sm text-slate-700">{state}</p>
            <dl class="mt-3 grid gap-2 text-sm sm:grid-cols-2">
                <div>
                    <dt class="font-medium text-slate-800">"Commitment (sha256 of the seed)"</dt>
                    <dd data-testid="commitment" class="break-all font-mono text-xs">{draw.commitment.clone()}</dd>
                </div>
                <div>
                    <dt class="font-medium text-slate-800">"Draw at"</dt>
                    <dd>{when(&draw.draw_at)}</dd>
                </div>
                <div>
                    <dt class="font-medium text-slate-800">"Beacon"</dt>
                    <dd class="break-all">
                        {draw.beacon.clone().unwrap_or_else(|| {
                            if draw.beacon_required { "required, not given yet" } else { "none" }.to_owned()
                        })}
                    </dd>
                </div>
            </dl>
            <Loaded resource=panel what="The draw" then=figures />
            <ActionForm action attr:class="mt-4">
                <input type="hidden" name="name" value=coupon.name.clone() />
                <button
                    type="submit"
                    class=PRIMARY_BUTTON
                    disabled=draw.state != DrawState::Closed
                >
                    "Draw now"
                </button>
            </ActionForm>
            <div aria-live="polite">
                {move || refused().map(|m| view! { <p role="alert" class="mt-2 text-sm text-red-700">{m}</p> })}
            </div>
            {(draw.state == DrawState::Drawn).then(|| view! {
                <p class="mt-4 text-sm">
                    <a class=LINK href=proof.clone()>"The proof"</a>
                    " and its "
                    <a class=LINK href=format!("{proof}/tickets")>"ranked tickets"</a>
                    ". Anyone can check them with the verifier of docs/draw.md:"
                </p>
                <pre class="mt-2 overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100">{format!(
                    "curl -s $SERVER{proof} > proof.json\ncurl -s $SERVER{proof}/tickets > tickets.txt\npython3 verify.py proof.json tickets.txt <your user id>"
                )}</pre>
            })}
        </section>
    }
}

/// Entries, and once drawn winners, waitlist, entries over time and the deciles' shares.
#[component]
fn Figures(panel: DrawPanel, drawn: bool) -> impl IntoView {
    let deciles: Vec<(i64, String)> = panel
        .deciles
        .iter()
        .enumerate()
        .map(|(i, (entries, winners))| {
            let label = format!("Decile {}: {winners} winners of {entries} entries", i + 1);
            (*winners, label)
        })
        .collect();
    let timeline: Vec<(i64, String)> = panel
        .timeline
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                *n,
                format!("Tenth {} of the entry time: {n} entries", i + 1),
            )
        })
        .collect();
    let span = match (panel.first_entry_at, panel.last_entry_at) {
        (Some(first), Some(last)) => format!("from {} to {}", when(&first), when(&last)),
        _ => "no entries".to_owned(),
    };
    view! {
        <dl class="mt-4 grid grid-cols-3 gap-4 text-center">
            <Figure label="Entries" value=panel.entries testid="draw-entries" />
            <Figure label="Winners" value=panel.winners testid="draw-winners" />
            <Figure label="Waitlist" value=panel.waitlist testid="draw-waitlist" />
        </dl>
        {drawn.then(|| view! {
            <figure class="mt-4">
                <figcaption class="text-sm text-slate-700">
                    {format!("Entries over time ({span}, in ten equal parts).")}
                </figcaption>
                <Bars testid="timeline" bars=timeline />
            </figure>
            <figure class="mt-4">
                <figcaption class="text-sm text-slate-700">
                    "Winners by entry time (entries in order, in ten equal parts): flat bars mean arriving early gave no edge."
                </figcaption>
                <Bars testid="deciles" bars=deciles />
            </figure>
        })}
    }
}

/// A row of bars, each `(value, label)`, as tall as its value against the largest.
#[component]
fn Bars(testid: &'static str, bars: Vec<(i64, String)>) -> impl IntoView {
    let max = bars.iter().map(|b| b.0).max().unwrap_or(0).max(1);
    view! {
        <ol data-testid=testid class="mt-2 flex h-24 items-end gap-1">
            {bars.into_iter().map(|(value, label)| {
                let height = format!("height: {}%", value * 100 / max);
                view! {
                    <li class="flex-1 rounded-t bg-indigo-600" style=height title=label.clone() aria-label=label></li>
                }
            }).collect_view()}
        </ol>
    }
}

#[component]
fn Figure(label: &'static str, value: i64, testid: &'static str) -> impl IntoView {
    view! {
        <div class="rounded-md bg-slate-50 p-3">
            <dt class="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</dt>
            <dd data-testid=testid class="mt-1 text-2xl font-semibold tabular-nums">{value}</dd>
        </div>
    }
}
