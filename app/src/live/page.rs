//! `/live`: the dashboard. Lists the coupons and shows the [`LivePanel`] of one
//! (`/live?coupon=NAME`, the newest coupon by default).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{LivePanel, encode, fns::live_coupons};

/// The live dashboard page.
#[component]
pub fn LivePage() -> impl IntoView {
    let board = Resource::new(|| (), |_| live_coupons(None));
    let query = use_query_map();
    view! {
        <h1 class="mb-6 text-3xl font-bold tracking-tight">"Live stock"</h1>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading live stock…"</p> }>
            {move || {
                board
                    .get()
                    .map(|result| match result {
                        Ok(list) if list.is_empty() => {
                            view! {
                                <p class="rounded-md border border-dashed border-slate-300 p-8 text-center text-slate-600">
                                    "No coupons yet."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            let wanted = query.read().get("coupon");
                            let selected = wanted
                                .filter(|w| list.iter().any(|c| &c.name == w))
                                .unwrap_or_else(|| list[0].name.clone());
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
                        Err(_) => view! { <crate::components::ErrorNotice message="The live stock could not be loaded. Try again in a moment." /> }.into_any()
                    })
            }}
        </Suspense>
    }
}
