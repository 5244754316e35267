//! `/webhooks`: the shop's endpoints that hear of claims, releases, redemptions and sell-outs.
//! A new endpoint's signing secret (and a rotated one) is shown once; the list shows each
//! endpoint's events, state and pending deliveries, with its delivery log one click away.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{INPUT, LINK, Loaded, PRIMARY_BUTTON, SECONDARY_BUTTON, when};
use crate::contract::webhooks::{EventType, Webhook, WebhookWithSecret};
use crate::server_fns::webhook_fns::{
    CreateWebhook, DeleteWebhook, RotateWebhook, SetWebhookEnabled, load_webhooks,
};

/// The Webhooks page.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let toggle = ServerAction::<SetWebhookEnabled>::new();
    let rotate = ServerAction::<RotateWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let actions = Actions {
        toggle,
        rotate,
        delete,
    };
    let webhooks = Resource::new(
        move || {
            (
                create.version().get(),
                toggle.version().get(),
                rotate.version().get(),
                delete.version().get(),
            )
        },
        |_| load_webhooks(),
    );
    let rotated = move || rotate.value().get().and_then(Result::ok);
    view! {
        <Title text="Webhooks · Coupons" />
        <h1 class="mb-2 text-3xl font-bold tracking-tight">"Webhooks"</h1>
        <p class="mb-6 text-slate-700">
            "Endpoints get a signed POST (Standard Webhooks) for each event they subscribe to, retried with backoff until they answer 2xx. Verify the webhook-signature header with the endpoint's secret."
        </p>
        <NewWebhookForm action=create />
        <div aria-live="polite">
            {move || rotated().map(|created| view! { <NewSecret created verb="Rotated the secret of" /> })}
        </div>
        <h2 class="mb-3 mt-8 text-lg font-semibold">"Endpoints"</h2>
        <Loaded
            resource=webhooks
            what="The webhook endpoints"
            then=move |list| view! { <WebhookTable list actions /> }
        />
    }
}

#[derive(Clone, Copy)]
struct Actions {
    toggle: ServerAction<SetWebhookEnabled>,
    rotate: ServerAction<RotateWebhook>,
    delete: ServerAction<DeleteWebhook>,
}

#[component]
fn NewWebhookForm(action: ServerAction<CreateWebhook>) -> impl IntoView {
    let value = action.value();
    let created = move || value.get().and_then(Result::ok);
    let refusal = move || value.get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <section
            aria-labelledby="new-webhook"
            class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
        >
            <h2 id="new-webhook" class="text-lg font-semibold">"New endpoint"</h2>
            <ActionForm action attr:class="mt-4 grid gap-4">
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="webhook-url" class="block text-sm font-medium text-slate-800">"URL"</label>
                        <input id="webhook-url" name="url" type="url" required maxlength="2048" autocomplete="off" placeholder="https://shop.example/hooks/coupons" class=INPUT />
                    </div>
                    <div>
                        <label for="webhook-description" class="block text-sm font-medium text-slate-800">"Description"</label>
                        <input id="webhook-description" name="description" type="text" maxlength="255" autocomplete="off" class=INPUT />
                    </div>
                </div>
                <fieldset class="flex flex-wrap gap-4">
                    <legend class="mb-1 text-sm font-medium text-slate-800">"Events"</legend>
                    {EventType::ALL
                        .into_iter()
                        .map(|event| {
                            view! {
                                <label class="flex items-center gap-1 text-sm">
                                    <input type="checkbox" name=field_of(event) value="on" />
                                    {event.as_str()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <div>
                    <button type="submit" class=PRIMARY_BUTTON>"Add endpoint"</button>
                </div>
            </ActionForm>
            <div aria-live="polite">
                {move || created().map(|created| view! { <NewSecret created verb="Added" /> })}
                {move || refusal().map(|m| view! { <p role="alert" class="mt-2 text-sm text-red-700">{m}</p> })}
            </div>
        </section>
    }
}

/// The form field of an event type's box (the server function's argument).
fn field_of(event: EventType) -> &'static str {
    match event {
        EventType::ClaimCreated => "claim_created",
        EventType::ClaimReleased => "claim_released",
        EventType::ClaimRedeemed => "claim_redeemed",
        EventType::ClaimLapsed => "claim_lapsed",
        EventType::CouponSoldOut => "coupon_sold_out",
        EventType::CouponUpdated => "coupon_updated",
        EventType::EntryWon => "entry_won",
        EventType::EntryWaitlisted => "entry_waitlisted",
    }
}

/// The one showing of an endpoint's signing secret.
#[component]
fn NewSecret(created: WebhookWithSecret, verb: &'static str) -> impl IntoView {
    view! {
        <div role="status" class="mt-4 rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-950">
            <p class="font-semibold">
                {format!("{verb} {}. Copy its signing secret now: it is not shown again.", created.webhook.url)}
            </p>
            <code aria-label="Signing secret" class="mt-2 block break-all rounded bg-white p-2 font-mono text-xs">
                {created.secret}
            </code>
        </div>
    }
}

/// An endpoint's state in words.
fn state_of(w: &Webhook) -> String {
    match (w.enabled, &w.disabled_reason, &w.failing_since) {
        (false, Some(reason), _) => format!("disabled: {reason}"),
        (false, None, _) => "disabled".to_owned(),
        (true, _, Some(since)) => format!("failing since {}", when(since)),
        (true, _, None) => "enabled".to_owned(),
    }
}

#[component]
fn WebhookTable(list: Vec<Webhook>, actions: Actions) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-slate-700">
                "No endpoint yet."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-left text-sm">
                <caption class="sr-only">"Webhook endpoints, newest first"</caption>
                <thead class="bg-slate-100 text-xs uppercase tracking-wide text-slate-700">
                    <tr>
                        <th scope="col" class="px-3 py-3">"URL"</th>
                        <th scope="col" class="px-3 py-3">"Events"</th>
                        <th scope="col" class="px-3 py-3">"State"</th>
                        <th scope="col" class="px-3 py-3">"Pending"</th>
                        <th scope="col" class="px-3 py-3">"Actions"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {list.into_iter().map(|w| view! { <WebhookRow w actions /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn WebhookRow(w: Webhook, actions: Actions) -> impl IntoView {
    let events = w
        .events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let id = w.id.to_string();
    let (toggle_text, toggle_to) = if w.enabled {
        ("Disable", "false")
    } else {
        ("Enable", "true")
    };
    let label = |what: &str| format!("{what} {}", w.url);
    let (toggle_label, rotate_label, delete_label) = (
        label(toggle_text),
        label("Rotate the secret of"),
        label("Delete"),
    );
    let (toggle_id, rotate_id, delete_id) = (id.clone(), id.clone(), id);
    view! {
        <tr>
            <td class="max-w-[16rem] break-all px-3 py-2">
                <a class=LINK href=format!("/webhooks/{}", w.id)>{w.url.clone()}</a>
                <div class="text-xs text-slate-600">{w.description.clone()}</div>
            </td>
            <td class="px-3 py-2">{events}</td>
            <td class="px-3 py-2">{state_of(&w)}</td>
            <td class="px-3 py-2">{w.pending}</td>
            <td class="flex flex-wrap gap-2 px-3 py-2">
                <ActionForm action=actions.toggle>
                    <input type="hidden" name="id" value=toggle_id />
                    <input type="hidden" name="enabled" value=toggle_to />
                    <button type="submit" class=SECONDARY_BUTTON aria-label=toggle_label>{toggle_text}</button>
                </ActionForm>
                <ActionForm action=actions.rotate>
                    <input type="hidden" name="id" value=rotate_id />
                    <button type="submit" class=SECONDARY_BUTTON aria-label=rotate_label>"Rotate secret"</button>
                </ActionForm>
                <ActionForm action=actions.delete>
                    <input type="hidden" name="id" value=delete_id />
                    <button type="submit" class=SECONDARY_BUTTON aria-label=delete_label>"Delete"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
