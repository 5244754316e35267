//! `/docs`: the JSON API's reference, rendered from the server's OpenAPI document with our own
//! components (works offline: no CDN, no vendored viewer).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{LINK, Loaded};
use crate::server_fns::api_docs::{ApiDocs, Field, Operation, SchemaDoc, load_api_docs};

/// The API reference page.
#[component]
pub fn ApiDocsPage() -> impl IntoView {
    let docs = Resource::new(|| (), |()| load_api_docs());
    view! {
        <Title text="API docs · Coupons" />
        <h1 class="mb-2 text-3xl font-bold tracking-tight">"API docs"</h1>
        <Loaded resource=docs what="The API document" then=|docs| view! { <Reference docs /> } />
    }
}

#[component]
fn Reference(docs: ApiDocs) -> impl IntoView {
    view! {
        <p class="mb-2 max-w-3xl text-slate-700">{docs.description}</p>
        <p class="mb-6 text-sm text-slate-600">
            {format!("{} {} · ", docs.title, docs.version)}
            <a class=LINK href="/api/openapi.json">"OpenAPI 3.1 document (JSON)"</a>
        </p>
        <h2 class="mb-3 text-xl font-semibold">"Operations"</h2>
        <div class="space-y-4">
            {docs.operations.into_iter().map(|op| view! { <OperationCard op /> }).collect_view()}
        </div>
        <h2 class="mb-3 mt-10 text-xl font-semibold">"Schemas"</h2>
        <div class="space-y-4">
            {docs.schemas.into_iter().map(|schema| view! { <SchemaCard schema /> }).collect_view()}
        </div>
    }
}

#[component]
fn OperationCard(op: Operation) -> impl IntoView {
    let id = format!("{}-{}", op.method.to_lowercase(), op.path);
    let access = if op.admin { "admin" } else { "public" };
    view! {
        <section id=id class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h3 class="font-mono text-sm">
                <span class="mr-2 rounded bg-slate-800 px-2 py-0.5 font-semibold text-white">
                    {op.method}
                </span>
                <span class="font-semibold">{op.path}</span>
                <span class="ml-2 rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-700">
                    {access}
                </span>
            </h3>
            <p class="mt-2 text-slate-800">{op.summary}</p>
            <p class="mt-1 text-sm text-slate-600">{op.description}</p>
            {(!op.params.is_empty()).then(|| view! { <Fields caption="Parameters" fields=op.params /> })}
            {op.body.map(|body| view! {
                <p class="mt-2 text-sm">"Body: " <a class=LINK href=format!("#schema-{body}")>{body.clone()}</a></p>
            })}
            <table class="mt-3 w-full text-left text-sm">
                <caption class="sr-only">"Answers"</caption>
                <thead class="text-slate-600">
                    <tr><th class="w-16 py-1">"Status"</th><th class="py-1">"Meaning"</th><th class="py-1">"Body"</th></tr>
                </thead>
                <tbody>
                    {op.answers.into_iter().map(|a| view! {
                        <tr class="border-t border-slate-100 align-top">
                            <td class="py-1 font-mono">{a.status}</td>
                            <td class="py-1">{a.description}</td>
                            <td class="py-1 font-mono">{a.body.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn SchemaCard(schema: SchemaDoc) -> impl IntoView {
    let id = format!("schema-{}", schema.name);
    view! {
        <section id=id class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h3 class="font-mono font-semibold">{schema.name}</h3>
            <p class="mt-1 text-sm text-slate-600">{schema.description}</p>
            <Fields caption="Fields" fields=schema.fields />
        </section>
    }
}

#[component]
fn Fields(caption: &'static str, fields: Vec<Field>) -> impl IntoView {
    view! {
        <table class="mt-3 w-full text-left text-sm">
            <caption class="text-left font-medium text-slate-700">{caption}</caption>
            <tbody>
                {fields.into_iter().map(|f| view! {
                    <tr class="border-t border-slate-100 align-top">
                        <td class="py-1 pr-3 font-mono">{f.name}{f.required.then_some(" *")}</td>
                        <td class="py-1 pr-3 font-mono text-slate-700">{f.kind}</td>
                        <td class="py-1">{f.description}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
