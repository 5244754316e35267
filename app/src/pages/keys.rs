//! `/keys`: the API keys of shops' backends and tools. A new key's secret is shown once, right
//! after it is made; the list shows what identifies a key (name, scopes, prefix, times), never
//! the secret. Revoking stops a key on every server process within a second.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{INPUT, Loaded, PRIMARY_BUTTON, SECONDARY_BUTTON, when};
use crate::contract::api_keys::{ApiKey, CreatedApiKey, Scope};
use crate::server_fns::key_fns::{CreateApiKey, RevokeApiKey, load_keys};

/// The API keys page.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| load_keys(),
    );
    view! {
        <Title text="API keys · Coupons" />
        <h1 class="mb-2 text-3xl font-bold tracking-tight">"API keys"</h1>
        <p class="mb-6 text-slate-700">
            "Keys let a shop's backend claim for its shoppers (scope claim), read the admin's data (read) or do everything the admin can (admin). Send one as Authorization: Bearer <key>."
        </p>
        <NewKeyForm action=create />
        <h2 class="mb-3 mt-8 text-lg font-semibold">"Keys"</h2>
        <Loaded resource=keys what="The API keys" then=move |keys| view! { <KeyTable keys revoke /> } />
    }
}

#[component]
fn NewKeyForm(action: ServerAction<CreateApiKey>) -> impl IntoView {
    let value = action.value();
    let created = move || value.get().and_then(Result::ok);
    let refusal = move || value.get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <section
            aria-labelledby="new-key"
            class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
        >
            <h2 id="new-key" class="text-lg font-semibold">"New key"</h2>
            <ActionForm action attr:class="mt-4 grid gap-4 sm:grid-cols-[1fr_auto_auto] sm:items-end">
                <div>
                    <label for="key-name" class="block text-sm font-medium text-slate-800">
                        "Name"
                    </label>
                    <input id="key-name" name="name" type="text" required maxlength="255" autocomplete="off" class=INPUT />
                </div>
                <fieldset class="flex gap-4 pb-2">
                    <legend class="mb-1 text-sm font-medium text-slate-800">"Scopes"</legend>
                    {Scope::ALL
                        .into_iter()
                        .map(|scope| {
                            view! {
                                <label class="flex items-center gap-1 text-sm">
                                    <input type="checkbox" name=scope.as_str() value="on" />
                                    {scope.as_str()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit" class=PRIMARY_BUTTON>"Create key"</button>
            </ActionForm>
            <div aria-live="polite">
                {move || created().map(|created| view! { <NewSecret created /> })}
                {move || refusal().map(|m| view! { <p role="alert" class="mt-2 text-sm text-red-700">{m}</p> })}
            </div>
        </section>
    }
}

/// The one showing of a new key's secret.
#[component]
fn NewSecret(created: CreatedApiKey) -> impl IntoView {
    view! {
        <div role="status" class="mt-4 rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-950">
            <p class="font-semibold">{format!("Created the key {}. Copy it now: it is not shown again.", created.info.name)}</p>
            <code aria-label="New API key" class="mt-2 block break-all rounded bg-white p-2 font-mono text-xs">
                {created.key}
            </code>
        </div>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKey>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return view! {
            <p class="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-slate-700">
                "No API key yet."
            </p>
        }
        .into_any();
    }
    let never = || "never".to_owned();
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-left text-sm">
                <caption class="sr-only">"API keys, newest first"</caption>
                <thead class="bg-slate-100 text-xs uppercase tracking-wide text-slate-700">
                    <tr>
                        <th scope="col" class="px-3 py-3">"Name"</th>
                        <th scope="col" class="px-3 py-3">"Scopes"</th>
                        <th scope="col" class="px-3 py-3">"Key"</th>
                        <th scope="col" class="px-3 py-3">"Created"</th>
                        <th scope="col" class="px-3 py-3">"Last used"</th>
                        <th scope="col" class="px-3 py-3">"Status"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {keys
                        .into_iter()
                        .map(|key| {
                            let scopes = key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                            let label = format!("Revoke {}", key.name);
                            let status = match key.revoked_at {
                                Some(at) => view! { <span>{format!("revoked {}", when(&at))}</span> }.into_any(),
                                None => view! {
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="id" value=key.id.to_string() />
                                        <button type="submit" class=SECONDARY_BUTTON aria-label=label>
                                            "Revoke"
                                        </button>
                                    </ActionForm>
                                }
                                .into_any(),
                            };
                            view! {
                                <tr>
                                    <td class="max-w-[12rem] break-words px-3 py-2 font-medium">{key.name}</td>
                                    <td class="px-3 py-2">{scopes}</td>
                                    <td class="whitespace-nowrap px-3 py-2 font-mono text-xs">{format!("{}…", key.prefix)}</td>
                                    <td class="whitespace-nowrap px-3 py-2 text-slate-700">{when(&key.created_at)}</td>
                                    <td class="whitespace-nowrap px-3 py-2 text-slate-700">{key.last_used_at.as_ref().map_or_else(never, when)}</td>
                                    <td class="px-3 py-2">{status}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
