//! `/live`: the dashboard. Lists the coupons and shows the [`LivePanel`] of one
//! (`/live?coupon=NAME`, the newest coupon by default).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{LivePanel, fns::live_coupons};
use crate::contract::live_types::LiveCoupon;
use crate::{components::Loaded, contract::url::encode};

/// The live dashboard page.
#[component]
pub fn LivePage() -> impl IntoView {
    let board = Resource::new(|| (), |_| live_coupons(None));
    let query = use_query_map();
    // The query is read where the view is tracked: another `?coupon=` selects another panel.
    let board_of = move |list| view! { <Board list wanted=query.read().get("coupon") /> };
    view! {
        <h1 class="mb-6 text-3xl font-bold tracking-tight">"Live stock"</h1>
        <Loaded resource=board what="The live stock" then=board_of />
    }
}

/// The coupons of the board, and the panel of the one `wanted` (the newest when none is).
#[component]
fn Board(list: Vec<LiveCoupon>, wanted: Option<String>) -> impl IntoView {
    let Some(newest) = list.first() else {
        return view! {
            <p class="rounded-md border border-dashed border-slate-300 p-8 text-center text-slate-600">
                "No coupons yet."
            </p>
        }
        .into_any();
    };
    let selected = wanted
        .filter(|w| list.iter().any(|c| &c.name == w))
        .unwrap_or_else(|| newest.name.clone());
    let links = list
        .iter()
        .map(|c| {
            let current = (c.name == selected).then_some("page");
            view! {
                <li>
                    <a
                        href=format!("/live?coupon={}", encode(&c.name))
                        aria-current=current
                        class="block rounded px-3 py-1 hover:bg-slate-100 aria-[current=page]:bg-indigo-100"
                    >
                        {c.name.clone()}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="grid gap-6 md:grid-cols-[14rem_1fr]">
            <nav aria-label="Coupons">
                <ul class="space-y-1 text-sm">{links}</ul>
            </nav>
            <LivePanel name=selected />
        </div>
    }
    .into_any()
}
