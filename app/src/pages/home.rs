use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{LINK, Loaded, StatusBadge, percent_claimed, when};
use crate::contract::admin_types::CouponPage;
use crate::contract::url::coupon_href;
use crate::server_fns::admin_fns::{CreateCoupon, load_coupon_page};

use super::coupon_form::NewCouponForm;

/// `/`: the coupons page: every coupon, newest first, 50 a page, and the "New coupon" form.
#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let create = ServerAction::<CreateCoupon>::new();
    // A created coupon bumps the action's version, which reloads the list without a page load.
    let coupons = Resource::new(
        move || (page(), create.version().get()),
        |(page, _)| load_coupon_page(page),
    );

    view! {
        <Title text="Coupons" />
        <h1 class="mb-6 text-3xl font-bold tracking-tight">"Coupons"</h1>
        <NewCouponForm action=create />
        <section aria-labelledby="all-coupons" class="mt-8">
            <h2 id="all-coupons" class="sr-only">"All coupons"</h2>
            <Loaded resource=coupons what="The coupons" then=|page| view! { <CouponTable page /> } />
        </section>
    }
}

#[component]
fn CouponTable(page: CouponPage) -> impl IntoView {
    if page.coupons.is_empty() {
        return view! {
            <div class="rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center">
                <p class="text-lg font-medium">"No coupons yet"</p>
                <p class="mt-1 text-slate-600">
                    "Create the first one with the form above; it appears here at once."
                </p>
            </div>
        }
        .into_any();
    }
    let summary = format!(
        "{} coupon{}, page {} of {}",
        page.total,
        if page.total == 1 { "" } else { "s" },
        page.page,
        page.pages
    );
    view! {
        <p class="mb-2 text-sm text-slate-600">{summary}</p>
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-left text-sm">
                <caption class="sr-only">"Coupons, newest first"</caption>
                <thead class="bg-slate-100 text-xs uppercase tracking-wide text-slate-700">
                    <tr>
                        <th scope="col" class="px-4 py-3">"Name"</th>
                        <th scope="col" class="px-4 py-3">"Status"</th>
                        <th scope="col" class="hidden px-4 py-3 text-right sm:table-cell">"Amount"</th>
                        <th scope="col" class="px-4 py-3 text-right">"Remaining"</th>
                        <th scope="col" class="hidden px-4 py-3 text-right sm:table-cell">"Claimed"</th>
                        <th scope="col" class="px-4 py-3 text-right">"% claimed"</th>
                        <th scope="col" class="hidden px-4 py-3 md:table-cell">"Created"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {page
                        .coupons
                        .into_iter()
                        .map(|c| {
                            let claimed = c.amount - c.remaining_amount;
                            let percent = percent_claimed(c.amount, c.remaining_amount);
                            let status = c.status(page.now);
                            view! {
                                <tr class="hover:bg-slate-50">
                                    <td class="max-w-[12rem] break-all px-4 py-3 sm:max-w-xs">
                                        <a class=LINK href=coupon_href(&c.name)>
                                            {c.name.clone()}
                                        </a>
                                    </td>
                                    <td class="whitespace-nowrap px-4 py-3">
                                        <StatusBadge status />
                                    </td>
                                    <td class="hidden px-4 py-3 text-right tabular-nums sm:table-cell">{c.amount}</td>
                                    <td class="px-4 py-3 text-right tabular-nums">
                                        {c.remaining_amount}
                                    </td>
                                    <td class="hidden px-4 py-3 text-right tabular-nums sm:table-cell">{claimed}</td>
                                    <td class="px-4 py-3 text-right tabular-nums">
                                        {format!("{percent}%")}
                                    </td>
                                    <td class="hidden whitespace-nowrap px-4 py-3 text-slate-700 md:table-cell">
                                        {when(&c.created_at)}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <Pager page=page.page pages=page.pages />
    }
    .into_any()
}

#[component]
fn Pager(page: u32, pages: u32) -> impl IntoView {
    // An empty cell stands in for a missing link, so the page count stays in the middle.
    let link = |show: bool, to: u32, rel: &'static str, text: &'static str| {
        if show {
            view! {
                <a class=LINK href=format!("/?page={to}") rel=rel>
                    {text}
                </a>
            }
            .into_any()
        } else {
            view! { <span></span> }.into_any()
        }
    };
    (pages > 1).then(|| {
        view! {
            <nav aria-label="Pages" class="mt-4 flex items-center justify-between gap-4">
                {link(page > 1, page.saturating_sub(1), "prev", "← Newer")}
                <span class="text-sm text-slate-600">{format!("Page {page} of {pages}")}</span>
                {link(page < pages, page + 1, "next", "Older →")}
            </nav>
        }
    })
}
