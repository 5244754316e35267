//! The bar on top of every page: product name, navigation, sign-out, and the "admin is open" and
//! "claims are open" banners (it asks the server who is signed in, so it sits above the shared
//! components).

use leptos::prelude::*;

use crate::components::{LINK, SECONDARY_BUTTON};
use crate::server_fns::admin_fns::get_admin_status;

/// The bar on top of every page: product name, sign-out, and the "admin is open" banner.
#[component]
pub fn AdminHeader() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_admin_status());
    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-5xl items-center justify-between gap-4 px-4 py-3">
                <a
                    href="/"
                    class="rounded text-lg font-semibold text-slate-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600"
                >
                    "Coupons admin"
                </a>
                <nav aria-label="Admin" class="mr-auto flex gap-4 text-sm">
                    <a class=LINK href="/live">"Live"</a>
                    <a class=LINK href="/audit">"Audit log"</a>
                    <a class=LINK href="/keys">"API keys"</a>
                    <a class=LINK href="/webhooks">"Webhooks"</a>
                    <a class=LINK href="/docs">"API docs"</a>
                </nav>
                <Suspense>
                    {move || {
                        status
                            .get()
                            .and_then(Result::ok)
                            .filter(|s| s.signed_in)
                            .map(|_| {
                                view! {
                                    <form method="post" action="/signout">
                                        <button type="submit" class=SECONDARY_BUTTON>
                                            "Sign out"
                                        </button>
                                    </form>
                                }
                            })
                    }}
                </Suspense>
            </div>
            <Suspense>
                {move || {
                    status
                        .get()
                        .and_then(Result::ok)
                        .map(|s| {
                            let admin = (!s.auth_required).then(|| view! {
                                <Warning
                                    label="Admin access"
                                    title="No admin password is set. "
                                    text="Anyone who can reach this server can use this admin. Set ADMIN_PASSWORD to require sign-in."
                                />
                            });
                            let claims = s.claims_open.then(|| view! {
                                <Warning
                                    label="Claim access"
                                    title="Claims are unauthenticated. "
                                    text="Anyone may claim in any user's name (CLAIM_AUTH=open). Set CLAIM_AUTH=key or token to require an API key or a shopper token."
                                />
                            });
                            (admin, claims)
                        })
                }}
            </Suspense>
        </header>
    }
}

/// A banner under the bar: what is open on this server, and the setting that closes it.
#[component]
fn Warning(label: &'static str, title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <aside
            aria-label=label
            class="border-t border-amber-300 bg-amber-50 px-4 py-2 text-center text-sm text-amber-900"
        >
            <strong class="font-semibold">{title}</strong>
            {text}
        </aside>
    }
}
