//! Releasing a claim from the claimers list, in two steps that need no JavaScript: the row's
//! "Release" link adds `?release=<user>` to the page, which shows this confirmation; confirming
//! posts the release, and the page comes back with `?released=<user>`.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{LINK, PRIMARY_BUTTON};
use crate::contract::url::encode;
use crate::server_fns::sale_fns::ReleaseClaim;

/// The link that asks to release `user_id`'s claim, keeping the list's page and search.
pub fn ask_href(user_id: &str, keep: &str) -> String {
    format!("?release={}{keep}", encode(user_id))
}

/// The confirmation of a release asked by `?release=`, and the notice of one just done.
#[component]
pub fn ReleaseConfirmation(name: String, action: ServerAction<ReleaseClaim>) -> impl IntoView {
    let query = use_query_map();
    let asked = move || query.read().get("release").filter(|u| !u.is_empty());
    let released = move || query.read().get("released").filter(|u| !u.is_empty());
    let refusal = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let cancel = crate::contract::url::coupon_href(&name);
    view! {
        <div aria-live="polite">
            {move || {
                released()
                    .map(|user| {
                        view! {
                            <p role="status" class="mt-4 rounded-md bg-green-50 p-3 text-sm text-green-900">
                                {format!("Released the claim of {user}. The unit is back in stock.")}
                            </p>
                        }
                    })
            }}
            {move || refusal().map(|m| view! { <p role="alert" class="mt-4 text-sm text-red-700">{m}</p> })}
        </div>
        {move || {
            let name = name.clone();
            let cancel = cancel.clone();
            asked()
                .map(|user| {
                    view! {
                        <section
                            aria-labelledby="confirm-release"
                            class="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4"
                        >
                            <h3 id="confirm-release" class="font-semibold text-amber-950">
                                {format!("Release the claim of {user}?")}
                            </h3>
                            <p class="mt-1 text-sm text-amber-950">
                                "One unit goes back to stock and this user may claim again. The audit log keeps the claim."
                            </p>
                            <ActionForm action attr:class="mt-3 flex items-center gap-4">
                                <input type="hidden" name="name" value=name />
                                <input type="hidden" name="user_id" value=user />
                                <button type="submit" class=PRIMARY_BUTTON>"Release claim"</button>
                                <a class=LINK href=cancel>"Cancel"</a>
                            </ActionForm>
                        </section>
                    }
                })
        }}
    }
}
