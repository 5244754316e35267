//! `/webhooks/{id}`: one endpoint's delivery log (event, attempts, last status, latency, next
//! try), newest first, with "Send again" on each delivery.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{LINK, Loaded, SECONDARY_BUTTON, when};
use crate::contract::webhooks::{Delivery, Webhook};
use crate::server_fns::webhook_fns::{ResendDelivery, load_webhook_log};

/// The delivery log page.
#[component]
pub fn WebhookLogPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let resend = ServerAction::<ResendDelivery>::new();
    let log = Resource::new(
        move || (id(), resend.version().get()),
        |(id, _)| load_webhook_log(id),
    );
    let refusal = move || {
        resend
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Webhook deliveries · Coupons" />
        <p class="mb-2 text-sm"><a class=LINK href="/webhooks">"← Webhooks"</a></p>
        <h1 class="mb-4 text-3xl font-bold tracking-tight">"Deliveries"</h1>
        <div aria-live="polite">
            {move || refusal().map(|m| view! { <p role="alert" class="mb-2 text-sm text-red-700">{m}</p> })}
        </div>
        <Loaded
            resource=log
            what="The delivery log"
            then=move |(webhook, deliveries)| view! { <Log webhook deliveries resend /> }
        />
    }
}

#[component]
fn Log(
    webhook: Webhook,
    deliveries: Vec<Delivery>,
    resend: ServerAction<ResendDelivery>,
) -> impl IntoView {
    let header = view! {
        <p class="mb-4 break-all text-slate-700">
            {format!("{} · {} pending", webhook.url, webhook.pending)}
        </p>
    };
    if deliveries.is_empty() {
        return view! {
            {header}
            <p class="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-slate-700">
                "No delivery yet."
            </p>
        }
        .into_any();
    }
    let id = webhook.id;
    view! {
        {header}
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-left text-sm">
                <caption class="sr-only">"Deliveries, newest first"</caption>
                <thead class="bg-slate-100 text-xs uppercase tracking-wide text-slate-700">
                    <tr>
                        <th scope="col" class="px-3 py-3">"Event"</th>
                        <th scope="col" class="px-3 py-3">"State"</th>
                        <th scope="col" class="px-3 py-3">"Attempts"</th>
                        <th scope="col" class="px-3 py-3">"Status"</th>
                        <th scope="col" class="px-3 py-3">"Latency"</th>
                        <th scope="col" class="px-3 py-3">"Next try"</th>
                        <th scope="col" class="px-3 py-3"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {deliveries.into_iter().map(|d| view! { <Row id d resend /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn Row(id: i64, d: Delivery, resend: ServerAction<ResendDelivery>) -> impl IntoView {
    let status = match (d.last_status, &d.last_error) {
        (Some(code), _) => code.to_string(),
        (None, Some(error)) => error.clone(),
        (None, None) => "—".to_owned(),
    };
    let latency = d
        .last_latency_ms
        .map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms"));
    let next = d
        .next_attempt_at
        .as_ref()
        .map_or_else(|| "—".to_owned(), when);
    let label = format!("Send {} again", d.event_id);
    view! {
        <tr>
            <td class="px-3 py-2">
                <div class="font-medium">{d.event_type}</div>
                <div class="font-mono text-xs text-slate-600">{d.event_id}</div>
                <div class="text-xs text-slate-600">{when(&d.created_at)}</div>
            </td>
            <td class="px-3 py-2">{d.state}</td>
            <td class="px-3 py-2">{d.attempts}</td>
            <td class="max-w-[14rem] break-words px-3 py-2" title=d.last_error.clone().unwrap_or_default()>{status}</td>
            <td class="whitespace-nowrap px-3 py-2">{latency}</td>
            <td class="whitespace-nowrap px-3 py-2">{next}</td>
            <td class="px-3 py-2">
                <ActionForm action=resend>
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="delivery" value=d.id.to_string() />
                    <button type="submit" class=SECONDARY_BUTTON aria-label=label>"Send again"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
