//! The coupon platform's UI and the types it shares with the JSON API.
//!
//! Rendered on the server (`ssr`) and hydrated in the browser (`hydrate`). The server crate
//! depends on this one, never the other way round: server-only needs (the database) reach the
//! UI through the [`server_fns::backend::AdminBackend`] trait that the server provides as context.

// The release WASM build (`make run`) computes the layout of deeply nested view types; the
// default limit of 128 overflowed there (the debug build of the tests did not).
#![recursion_limit = "256"]

pub mod components;
pub mod contract;
pub mod live;
mod pages;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

/// A ticket-coloured square as an SVG data URL.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%234338ca'/%3E%3C/svg%3E";

/// The HTML document around the app; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::set_header();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // Inline, so browsers never ask the server for /favicon.ico (a 404 otherwise).
                <link rel="icon" href=FAVICON />
                <AutoReload options=options.clone() />
                // The bundle's names carry their hashes in release builds (long-lived caching).
                <HashedStylesheet id="leptos" options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// The root component: stylesheet, title and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Becomes true only once the WASM runs: end-to-end tests wait on it to know the page is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title text="Coupons" />
        <Router>
            <components::header::AdminHeader />
            <main
                class="mx-auto max-w-5xl px-4 py-8"
                data-hydrated=move || hydrated.get().to_string()
            >
                <Routes fallback=pages::NotFound>
                    <Route path=StaticSegment("") view=pages::HomePage ssr=SsrMode::Async />
                    // Async: the whole page waits for the coupon, so an unknown one answers 404.
                    <Route
                        path=(StaticSegment("coupons"), ParamSegment("name"))
                        view=pages::CouponPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("signin") view=pages::SignInPage />
                    <Route path=StaticSegment("live") view=live::LivePage />
                    <Route path=StaticSegment("audit") view=pages::AuditLogPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("keys") view=pages::ApiKeysPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("webhooks") view=pages::WebhooksPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("webhooks"), ParamSegment("id"))
                        view=pages::WebhookLogPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("docs") view=pages::ApiDocsPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// The browser entry point: attaches the app to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}

/// The Content-Security-Policy of every page, with this render's nonce: only our own scripts and
/// the inline scripts Leptos writes (each carries the nonce) run; WASM may compile; the page
/// talks only to this origin (server functions, EventSource); nobody may frame it.
#[cfg(feature = "ssr")]
mod csp {
    use leptos::prelude::use_context;

    /// The policy for a page rendered with `nonce`.
    pub fn policy(nonce: &str) -> String {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
        )
    }

    pub fn set_header() {
        let (Some(nonce), Some(response)) = (
            leptos::nonce::use_nonce(),
            use_context::<leptos_axum::ResponseOptions>(),
        ) else {
            return;
        };
        if let Ok(value) = http::HeaderValue::from_str(&policy(&nonce)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}
