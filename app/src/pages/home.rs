use leptos::prelude::*;

use crate::api_types::CouponSummary;
use crate::server_fns::list_coupons;

/// `/`: every coupon with its stock, filterable by name in the browser.
#[component]
pub fn HomePage() -> impl IntoView {
    let coupons = Resource::new(|| (), |_| list_coupons());
    let filter = RwSignal::new(String::new());

    view! {
        <header class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <h1 class="text-3xl font-bold tracking-tight">"Coupons"</h1>
            <label class="flex flex-col text-sm font-medium text-slate-700">
                "Filter by name"
                <input
                    type="search"
                    class="mt-1 w-64 rounded-md border border-slate-300 bg-white px-3 py-2 text-base shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    prop:value=filter
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
            </label>
        </header>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading coupons…"</p> }>
            {move || {
                coupons
                    .get()
                    .map(|result| match result {
                        Ok(list) => view! { <CouponTable list filter /> }.into_any(),
                        Err(_) => {
                            view! {
                                <p role="alert" class="rounded-md bg-red-50 p-4 text-red-800">
                                    "The coupons could not be loaded. Try again in a moment."
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn CouponTable(list: Vec<CouponSummary>, filter: RwSignal<String>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="rounded-md border border-dashed border-slate-300 p-8 text-center text-slate-600">
                "No coupons yet. Create one with POST /api/coupons."
            </p>
        }
            .into_any();
    }
    let visible = move || {
        let needle = filter.get().to_lowercase();
        list.iter()
            .filter(|c| c.name.to_lowercase().contains(&needle))
            .cloned()
            .collect::<Vec<_>>()
    };
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-left text-sm">
                <thead class="bg-slate-100 text-xs uppercase tracking-wide text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-3">"Name"</th>
                        <th scope="col" class="px-4 py-3 text-right">"Amount"</th>
                        <th scope="col" class="px-4 py-3 text-right">"Remaining"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    <For each=visible key=|c| c.name.clone() let:coupon>
                        <tr>
                            <td class="px-4 py-3 font-medium">{coupon.name}</td>
                            <td class="px-4 py-3 text-right tabular-nums">{coupon.amount}</td>
                            <td class="px-4 py-3 text-right tabular-nums">
                                {coupon.remaining_amount}
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
