use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{INPUT, LINK, PRIMARY_BUTTON};
use crate::server_fns::admin_fns::get_admin_status;

/// `/signin`: the password form. A plain form post to `POST /signin`, so it needs no JavaScript.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    let wrong = move || query.read().get("error").is_some();
    let signed_out = move || query.read().get("signed_out").is_some();
    let status = Resource::new(|| (), |_| get_admin_status());

    view! {
        <Title text="Sign in · Coupons" />
        <section class="mx-auto mt-8 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
            <h1 class="text-2xl font-bold tracking-tight">"Sign in"</h1>
            <Suspense>
                {move || {
                    status
                        .get()
                        .and_then(Result::ok)
                        .filter(|s| !s.auth_required)
                        .map(|_| {
                            view! {
                                <p class="mt-2 text-sm text-slate-700">
                                    "No password is needed: "
                                    <a class=LINK href="/">"go to the coupons"</a>
                                    "."
                                </p>
                            }
                        })
                }}
            </Suspense>
            {move || {
                signed_out()
                    .then(|| {
                        view! {
                            <p role="status" class="mt-3 text-sm text-green-800">
                                "You are signed out."
                            </p>
                        }
                    })
            }}
            <form method="post" action="/signin" class="mt-4 space-y-4">
                <input type="hidden" name="next" prop:value=next />
                <div>
                    <label for="password" class="block text-sm font-medium text-slate-800">
                        "Password"
                    </label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        required
                        autocomplete="current-password"
                        class=INPUT
                        aria-invalid=move || wrong().to_string()
                        aria-describedby="password-error"
                    />
                    <p id="password-error" role="alert" class="mt-1 text-sm text-red-700">
                        {move || wrong().then_some("Wrong password. Try again.")}
                    </p>
                </div>
                <button type="submit" class=format!("{PRIMARY_BUTTON} w-full")>
                    "Sign in"
                </button>
            </form>
        </section>
    }
}
