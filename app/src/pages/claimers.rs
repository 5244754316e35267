use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{INPUT, LINK, Loaded, SECONDARY_BUTTON, when};
use crate::contract::admin_types::ClaimersPage;
use crate::contract::url::encode;
use crate::server_fns::admin_fns::load_claimers;
use crate::server_fns::sale_fns::ReleaseClaim;

use super::release::{ReleaseConfirmation, ask_href};

/// A coupon's claimers in claim order: 50 a page (keyset), searchable by user id prefix, and
/// downloadable as CSV. The page and the search live in the URL (`?after=&prefix=`), so links,
/// the back button and JavaScript-free browsers all work.
#[component]
pub fn Claimers(name: String, release: ServerAction<ReleaseClaim>) -> impl IntoView {
    let query = use_query_map();
    let after = move || {
        query
            .read()
            .get("after")
            .and_then(|a| a.parse::<i64>().ok())
    };
    let prefix = move || query.read().get("prefix").filter(|p| !p.is_empty());
    let coupon = name.clone();
    let page = Resource::new(
        move || (coupon.clone(), after(), prefix(), release.version().get()),
        |(name, after, prefix, _)| load_claimers(name, after, prefix),
    );
    let csv = format!("/api/coupons/{}/claims.csv", encode(&name));

    view! {
        <section aria-labelledby="claimers" class="mt-8">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <h2 id="claimers" class="text-xl font-semibold">"Claimers"</h2>
                <a class=SECONDARY_BUTTON href=csv download="">
                    "Download CSV"
                </a>
            </div>
            <ReleaseConfirmation name=name.clone() action=release />
            <form method="get" role="search" class="mt-4 flex flex-wrap items-end gap-2">
                <div class="min-w-0 flex-1">
                    <label for="prefix" class="block text-sm font-medium text-slate-800">
                        "Search by user ID prefix"
                    </label>
                    <input
                        id="prefix"
                        name="prefix"
                        type="search"
                        autocomplete="off"
                        class=INPUT
                        prop:value=move || prefix().unwrap_or_default()
                    />
                </div>
                <button type="submit" class=SECONDARY_BUTTON>
                    "Search"
                </button>
            </form>
            <Loaded
                resource=page
                what="The claimers"
                then=move |list| view! { <ClaimerTable list after=after() prefix=prefix() /> }
            />
        </section>
    }
}

#[component]
fn ClaimerTable(list: ClaimersPage, after: Option<i64>, prefix: Option<String>) -> impl IntoView {
    let with_prefix = prefix
        .as_deref()
        .map(|p| format!("&prefix={}", encode(p)))
        .unwrap_or_default();
    let first = after.map(|_| format!("?{}", with_prefix.trim_start_matches('&')));
    let keep = format!(
        "{}{with_prefix}",
        after.map(|a| format!("&after={a}")).unwrap_or_default()
    );
    let next = list.next.map(|n| format!("?after={n}{with_prefix}"));
    if list.claims.is_empty() {
        let text = match (&prefix, after) {
            (Some(p), _) => format!("No user ID starts with “{p}”."),
            (None, Some(_)) => "No more claims.".to_owned(),
            (None, None) => "No claims yet. Claims appear here as shoppers make them.".to_owned(),
        };
        return view! {
            <p class="mt-4 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-slate-700">
                {text}
            </p>
        }
        .into_any();
    }
    let redeemed = match list.redeemed {
        1 => "1 claim redeemed at checkout.".to_owned(),
        n => format!("{n} claims redeemed at checkout."),
    };
    view! {
        <p class="mt-4 text-sm text-slate-700">{redeemed}</p>
        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-left text-sm">
                <caption class="sr-only">"Claimers in claim order"</caption>
                <thead class="bg-slate-100 text-xs uppercase tracking-wide text-slate-700">
                    <tr>
                        <th scope="col" class="px-4 py-3">"User ID"</th>
                        <th scope="col" class="px-4 py-3">"Claimed at"</th>
                        <th scope="col" class="px-4 py-3">"Redeemed at"</th>
                        <th scope="col" class="px-4 py-3">
                            <span class="sr-only">"Release"</span>
                        </th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {list
                        .claims
                        .into_iter()
                        .map(|c| {
                            view! {
                                <tr>
                                    <td class="max-w-xs break-all px-4 py-2 font-mono">{c.user_id.clone()}</td>
                                    <td class="whitespace-nowrap px-4 py-2 text-slate-700">
                                        {when(&c.claimed_at)}
                                    </td>
                                    <td class="whitespace-nowrap px-4 py-2 text-slate-700">
                                        {c.redeemed_at.as_ref().map_or_else(|| "—".to_owned(), when)}
                                    </td>
                                    <td class="px-4 py-2 text-right">
                                        // A redeemed claim is spent: it cannot be released.
                                        {c.redeemed_at.is_none().then(|| view! {
                                            <a
                                                class=LINK
                                                href=ask_href(&c.user_id, &keep)
                                                aria-label=format!("Release the claim of {}", c.user_id)
                                            >
                                                "Release…"
                                            </a>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <nav aria-label="Claimer pages" class="mt-4 flex items-center justify-between gap-4">
            {match first {
                Some(href) => view! { <a class=LINK href=href>"← First page"</a> }.into_any(),
                None => view! { <span></span> }.into_any(),
            }}
            {next.map(|href| view! { <a class=LINK href=href rel="next">"Next page →"</a> })}
        </nav>
    }
    .into_any()
}
