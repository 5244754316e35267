//! `/audit`: the admin audit log, newest first, 100 a page (keyset, `?before=`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde_json::Value;

use crate::components::{LINK, Loaded, when};
use crate::contract::audit::{AuditEntry, AuditPage};
use crate::contract::url::coupon_href;
use crate::server_fns::sale_fns::load_audit;

/// The audit log page.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|a| a.parse::<i64>().ok())
    };
    let page = Resource::new(before, load_audit);
    view! {
        <Title text="Audit log · Coupons" />
        <h1 class="mb-2 text-3xl font-bold tracking-tight">"Audit log"</h1>
        <p class="mb-6 text-slate-700">
            "Every admin action, newest first: who, when, what, and the values before and after."
        </p>
        <Loaded
            resource=page
            what="The audit log"
            then=move |page| view! { <AuditTable page before=before() /> }
        />
    }
}

/// Values of one side of an entry, as `key: value` pairs on one line.
fn values(side: Option<&Value>) -> String {
    match side {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

#[component]
fn AuditTable(page: AuditPage, before: Option<i64>) -> impl IntoView {
    if page.entries.is_empty() {
        let text = if before.is_some() {
            "No more entries."
        } else {
            "No admin action yet."
        };
        return view! {
            <p class="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-slate-700">
                {text}
            </p>
        }
        .into_any();
    }
    let next = page.next.map(|n| format!("/audit?before={n}"));
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-left text-sm">
                <caption class="sr-only">"Admin actions, newest first"</caption>
                <thead class="bg-slate-100 text-xs uppercase tracking-wide text-slate-700">
                    <tr>
                        <th scope="col" class="px-3 py-3">"When"</th>
                        <th scope="col" class="px-3 py-3">"Who"</th>
                        <th scope="col" class="px-3 py-3">"Action"</th>
                        <th scope="col" class="px-3 py-3">"Coupon"</th>
                        <th scope="col" class="px-3 py-3">"Before"</th>
                        <th scope="col" class="px-3 py-3">"After"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 align-top">
                    {page.entries.into_iter().map(|e| view! { <Row entry=e /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav aria-label="Audit log pages" class="mt-4 flex items-center justify-between gap-4">
            {match before {
                Some(_) => view! { <a class=LINK href="/audit">"← Newest"</a> }.into_any(),
                None => view! { <span></span> }.into_any(),
            }}
            {next.map(|href| view! { <a class=LINK href=href rel="next">"Older →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn Row(entry: AuditEntry) -> impl IntoView {
    let coupon = entry.coupon_name.clone().map(|name| {
        view! {
            <a class=LINK href=coupon_href(&name)>
                {name.clone()}
            </a>
        }
    });
    view! {
        <tr>
            <td class="whitespace-nowrap px-3 py-2 text-slate-700">{when(&entry.at)}</td>
            <td class="max-w-[10rem] break-all px-3 py-2 font-mono text-xs">{entry.actor}</td>
            <td class="whitespace-nowrap px-3 py-2 font-medium">{entry.action}</td>
            <td class="max-w-[10rem] break-all px-3 py-2">{coupon}</td>
            <td class="max-w-xs break-words px-3 py-2 text-slate-700">
                {values(entry.before.as_ref())}
            </td>
            <td class="max-w-xs break-words px-3 py-2 text-slate-700">
                {values(entry.after.as_ref())}
            </td>
        </tr>
    }
}
